//! A throwaway certificate authority made at test time (rcgen) and a server
//! certificate it signed for localhost, 127.0.0.1 and 127.0.0.2 (never
//! 127.0.0.3, so a test can reach a server by a name its certificate does
//! not carry), written as PEM files that Dovecot, aiosmtpd and the client
//! under test read.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};

pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    /// A new CA (nobody trusts it unless told to) and a server certificate.
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("tls dir");
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: another test CA must not look like this one's issuer.
        ca.distinguished_name.push(DnType::CommonName, format!("Frontline Test CA {}", uuid::Uuid::new_v4()));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().expect("server key");
        let mut server =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string(), "127.0.0.2".to_string()]).expect("server params");
        server.distinguished_name.push(DnType::CommonName, "localhost");
        server.use_authority_key_identifier_extension = true;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = server.signed_by(&key, &issuer).expect("server cert");

        let d = dir.path();
        std::fs::write(d.join("ca.pem"), ca_cert.pem()).expect("write ca");
        std::fs::write(d.join("server.pem"), cert.pem()).expect("write cert");
        std::fs::write(d.join("server.key"), key.serialize_pem()).expect("write key");
        TestCa { dir }
    }

    /// The CA certificate a client must trust.
    pub fn ca_file(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// The server's certificate (PEM).
    pub fn cert_file(&self) -> PathBuf {
        self.path("server.pem")
    }

    /// The server's private key (PEM).
    pub fn key_file(&self) -> PathBuf {
        self.path("server.key")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}
