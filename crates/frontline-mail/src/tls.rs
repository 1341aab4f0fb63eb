//! TLS for the mail adapters: rustls with the ring provider, the public
//! (webpki) roots plus an optional private CA, and errors an admin can act on.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};

use crate::error::TlsConfigError;

/// Every certificate in a PEM file; a file without one is an error, since
/// trusting nothing new is surely not what the admin meant.
pub fn load_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let bad = |e: rustls::pki_types::pem::Error| TlsConfigError::CaFile { path: path.to_path_buf(), reason: e.to_string() };
    let certs = CertificateDer::pem_file_iter(path).map_err(bad)?.collect::<Result<Vec<_>, _>>().map_err(bad)?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate { path: path.to_path_buf() });
    }
    Ok(certs)
}

/// A client configuration trusting the public roots and, if given, the
/// certificates in `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = ca_file {
        for cert in load_pem_certs(path)? {
            roots.add(cert).map_err(|e| TlsConfigError::CaFile { path: path.to_path_buf(), reason: e.to_string() })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS failure explained: the refused certificate's reason, else the error.
pub fn explain(e: &(dyn std::error::Error + 'static)) -> String {
    match find_rustls_error(e).and_then(describe_certificate_error) {
        Some(why) => why,
        None => e.to_string(),
    }
}

/// The rustls error somewhere in an error's chain. An io::Error's `source()`
/// skips the error it wraps, so that one is looked into explicitly.
pub fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        current = match err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// A refused certificate, explained; None for other TLS failures.
pub fn describe_certificate_error(e: &rustls::Error) -> Option<String> {
    let rustls::Error::InvalidCertificate(why) = e else { return None };
    Some(match why {
        CertificateError::UnknownIssuer => {
            "certificate not trusted (unknown issuer); if the server uses a private CA, configure its certificate as the CA file".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate is not valid for this host name".into()
        }
        other => format!("certificate not trusted: {other:?}"),
    })
}
