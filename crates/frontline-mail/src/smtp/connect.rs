//! Opening an SMTP connection ourselves rather than through lettre's
//! transport: the TCP stream gets `TCP_NODELAY`. lettre writes a message and
//! then its end marker (`\r\n.\r\n`) as a second small write; with Nagle on,
//! that write waits for the server to acknowledge the body, and a delayed ACK
//! costs ~40 ms per mail (docs/BENCHMARKS.md). lettre still speaks SMTP
//! (`AsyncSmtpConnection::connect_with_transport`, `starttls`, `auth`).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

use super::target::{Security, Target};
use crate::error::{ConfigError, SendError};
use crate::tls;

/// Opens authenticated SMTP connections to one server.
#[derive(Clone)]
pub struct Connector {
    target: Target,
    tls: Protection,
    /// Bounds each step: TCP connect, TLS, greeting and EHLO, STARTTLS, AUTH.
    pub timeout: Duration,
}

/// The TLS the target needs, prepared once.
#[derive(Clone)]
enum Protection {
    Plain,
    /// smtps: our own handshake before the greeting.
    Implicit(TlsConnector),
    /// STARTTLS: lettre upgrades the stream it holds.
    StartTls(TlsParameters),
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("target", &self.target).finish()
    }
}

impl Connector {
    /// Both TLS modes trust the public (webpki) roots plus `ca_file`.
    pub fn new(target: Target, ca_file: Option<&std::path::Path>, timeout: Duration) -> Result<Connector, ConfigError> {
        if ca_file.is_some() && !target.uses_tls() {
            return Err(ConfigError::CaWithoutTls);
        }
        let tls = match target.security {
            Security::Plain => Protection::Plain,
            Security::Implicit => Protection::Implicit(TlsConnector::from(tls::client_config(ca_file)?)),
            Security::StartTls | Security::StartTlsIfOffered => {
                let mut params = TlsParameters::builder(target.host.clone());
                if let Some(path) = ca_file {
                    for der in tls::load_pem_certs(path)? {
                        let cert = Certificate::from_der(der.to_vec()).map_err(|e| ca_error(path, e))?;
                        params = params.add_root_certificate(cert);
                    }
                }
                Protection::StartTls(params.build_rustls().map_err(|e| ConfigError::SmtpUrl(format!("TLS setup: {e}")))?)
            }
        };
        Ok(Connector { target, tls, timeout })
    }

    pub fn server(&self) -> String {
        self.target.server()
    }

    /// A connection ready for MAIL: greeted, EHLO done, TLS as asked, logged in.
    pub async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream = self.stream().await?;
        let mut conn = self
            .step("greeting", AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.target.hello))
            .await?
            .map_err(|e| self.failed("greeting", e))?;
        if let Protection::StartTls(params) = &self.tls {
            let required = self.target.security == Security::StartTls;
            if conn.can_starttls() {
                self.step("STARTTLS", conn.starttls(params.clone(), &self.target.hello)).await?.map_err(|e| {
                    if e.is_tls() || tls::find_rustls_error(&e).is_some() {
                        SendError::Tls { server: self.server(), reason: tls::explain(&e) }
                    } else {
                        self.failed("STARTTLS", e)
                    }
                })?;
            } else if required {
                close(conn).await;
                return Err(SendError::NoStartTls { server: self.server() });
            }
        }
        if let Some(credentials) = &self.target.credentials {
            let login = self.step("AUTH", conn.auth(DEFAULT_MECHANISMS, credentials)).await?;
            if let Err(e) = login {
                close(conn).await;
                return Err(match e.is_transient() || e.is_permanent() || e.is_client() {
                    true => SendError::Auth { server: self.server(), reply: e.to_string() },
                    false => self.failed("AUTH", e),
                });
            }
        }
        Ok(conn)
    }

    /// The TCP stream, with `TCP_NODELAY`, wrapped in TLS for smtps.
    pub async fn stream(&self) -> Result<Stream, SendError> {
        let server = self.server();
        let tcp = self
            .step("connect", TcpStream::connect((self.target.host.as_str(), self.target.port)))
            .await?
            .map_err(|e| SendError::Connect { server: server.clone(), reason: e.to_string() })?;
        tcp.set_nodelay(true).map_err(|e| SendError::Connect { server: server.clone(), reason: format!("TCP_NODELAY: {e}") })?;
        let Protection::Implicit(connector) = &self.tls else { return Ok(Stream::Tcp(tcp)) };
        let name = ServerName::try_from(self.target.host.clone())
            .map_err(|e| SendError::Tls { server: server.clone(), reason: format!("not a host name: {e}") })?;
        let tls = self
            .step("TLS handshake", connector.connect(name, tcp))
            .await?
            .map_err(|e| SendError::Tls { server, reason: tls::explain(&e) })?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    /// Run one step of opening a connection within the timeout.
    async fn step<T>(&self, stage: &'static str, f: impl Future<Output = T>) -> Result<T, SendError> {
        tokio::time::timeout(self.timeout, f).await.map_err(|_| SendError::Timeout { server: self.server(), stage, after: self.timeout })
    }

    /// A lettre error while opening, sorted into our kinds.
    fn failed(&self, stage: &'static str, e: lettre::transport::smtp::Error) -> SendError {
        if e.is_transient() || e.is_permanent() {
            SendError::Rejected { server: self.server(), stage, reply: e.to_string(), permanent: e.is_permanent() }
        } else {
            SendError::Broken { server: self.server(), stage, reason: e.to_string() }
        }
    }
}

/// Say goodbye (QUIT) if the server still listens, without waiting long.
pub async fn close(mut conn: AsyncSmtpConnection) {
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.abort()).await;
}

fn ca_error(path: &std::path::Path, e: impl std::fmt::Display) -> ConfigError {
    crate::error::TlsConfigError::CaFile { path: path.to_path_buf(), reason: e.to_string() }.into()
}

/// The stream lettre reads and writes: TCP, or TLS over TCP for smtps.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }

    /// Whether Nagle's algorithm is off on the socket (it must be).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.tcp().nodelay()
    }
}

impl AsyncTokioStream for Stream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().peer_addr()
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}
