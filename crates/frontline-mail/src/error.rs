//! What can go wrong in the mail adapter, as types. The messages are for
//! operators (startup errors, a job's `last_error`), so each says what to
//! check; the SMTP server's own reply is kept in them.

use std::path::PathBuf;

/// Settings the adapter cannot work with; found at startup.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("mail_from '{from}' is not an address: {reason}")]
    MailFrom { from: String, reason: String },
    #[error("smtp_url is not usable: {0}")]
    SmtpUrl(String),
    #[error("smtp_ca_file is set but smtp_url uses no TLS (use smtps:// or ?tls=required)")]
    CaWithoutTls,
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
}

/// A CA file or TLS setup that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error("CA file {}: no PEM certificate in it", path.display())]
    NoCertificate { path: PathBuf },
    #[error("TLS setup: {0}")]
    Setup(String),
}

/// A notification that could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("mail template: {0}")]
    Template(#[from] askama::Error),
    #[error("bad recipient {email}: {reason}")]
    Recipient { email: String, reason: String },
    #[error("attachment type: {0}")]
    ContentType(String),
    #[error("building the message: {0}")]
    Message(#[from] lettre::error::Error),
}

/// A mail that did not go out. Every variant but `Render` is worth retrying
/// later; `Rejected` with a 5xx code is the server saying no for good.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Render(#[from] RenderError),
    /// No TCP connection (refused, unreachable, name not found, timeout).
    #[error("SMTP: cannot connect to {server}: {reason}")]
    Connect { server: String, reason: String },
    /// The TLS handshake failed; `reason` explains a refused certificate.
    #[error("SMTP: TLS with {server}: {reason}")]
    Tls { server: String, reason: String },
    /// `?tls=required` but the server does not offer STARTTLS.
    #[error("SMTP: {server} does not offer STARTTLS, which smtp_url requires (tls=required)")]
    NoStartTls { server: String },
    /// The server refused our credentials (or knows no mechanism we do).
    #[error("SMTP: {server} refused the login: {reply}")]
    Auth { server: String, reply: String },
    /// The server answered a command with an error.
    #[error("SMTP: {server} rejected the mail at {stage}: {reply}")]
    Rejected { server: String, stage: &'static str, reply: String, permanent: bool },
    /// The mail needs an extension the server lacks (SMTPUTF8, 8BITMIME).
    #[error("SMTP: {server} cannot take this mail: {reason}")]
    Unsupported { server: String, reason: String },
    /// The conversation broke off (connection lost, garbled reply).
    #[error("SMTP: connection to {server} failed during {stage}: {reason}")]
    Broken { server: String, stage: &'static str, reason: String },
    /// The server stopped answering.
    #[error("SMTP: {server} did not answer within {after:?} during {stage}")]
    Timeout { server: String, stage: &'static str, after: std::time::Duration },
}
