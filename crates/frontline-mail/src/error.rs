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

/// Why a delivered mail could not be read. Such a mail is not refused: it
/// goes to the quarantine with this text, for an admin to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not an email message")]
    NotAMessage,
    #[error("the message has no From address")]
    NoFrom,
    #[error("the From header has no address")]
    FromWithoutAddress,
}

/// Why an IMAP poll ended before taking everything. What was stored before
/// stays stored with its progress; the next poll starts from there.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The mailbox's TLS settings cannot be used (found before connecting).
    #[error(transparent)]
    Config(#[from] TlsConfigError),
    /// No TCP connection (refused, unreachable, name not found).
    #[error("connect {server}: {source}")]
    Connect { server: String, source: std::io::Error },
    /// The host cannot be checked against a certificate.
    #[error("host {host}: not a name TLS can check: {reason}")]
    ServerName { host: String, reason: String },
    /// The TLS handshake failed; `reason` explains a refused certificate.
    #[error("TLS with {server}: {reason}")]
    Tls { server: String, reason: String },
    /// The server refused STARTTLS (or did not offer it): never plain instead.
    #[error("{server}: STARTTLS refused: {source}")]
    StartTls { server: String, source: async_imap::error::Error },
    /// The server closed the connection or garbled its greeting.
    #[error("greeting: {reason}")]
    Greeting { reason: String },
    /// The server refused the username and password.
    #[error("login: {source}")]
    Login { source: async_imap::error::Error },
    /// The server answered a command with an error, or the connection broke.
    #[error("{stage}: {source}")]
    Command { stage: String, source: async_imap::error::Error },
    /// The server stopped answering within the mailbox's timeout.
    #[error("{stage}: no answer from {server} within {}s", after.as_secs_f32())]
    Timeout { stage: String, server: String, after: std::time::Duration },
    /// Frontline could not store a message (or its progress): the database's
    /// error; the message is read again next time.
    #[error("{stage}: {source}")]
    Store { stage: String, source: frontline_app::AppError },
}

/// What kind of failure ended a poll; the poll-error counter is labelled
/// with it, so an operator's alert can tell a server that hangs from
/// credentials someone has to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapFailure {
    /// Settings that cannot work (TLS options, the host's name).
    Config,
    Connect,
    /// The handshake failed or the certificate was refused.
    Tls,
    /// The server refused the username and password.
    Login,
    /// A command failed or the server broke the conversation.
    Protocol,
    Timeout,
    /// Frontline's database.
    Store,
}

impl ImapFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            ImapFailure::Config => "config",
            ImapFailure::Connect => "connect",
            ImapFailure::Tls => "tls",
            ImapFailure::Login => "login",
            ImapFailure::Protocol => "protocol",
            ImapFailure::Timeout => "timeout",
            ImapFailure::Store => "store",
        }
    }
}

impl ImapError {
    pub fn kind(&self) -> ImapFailure {
        match self {
            ImapError::Config(_) | ImapError::ServerName { .. } => ImapFailure::Config,
            ImapError::Connect { .. } => ImapFailure::Connect,
            ImapError::Tls { .. } | ImapError::StartTls { .. } => ImapFailure::Tls,
            ImapError::Greeting { .. } | ImapError::Command { .. } => ImapFailure::Protocol,
            ImapError::Login { .. } => ImapFailure::Login,
            ImapError::Timeout { .. } => ImapFailure::Timeout,
            ImapError::Store { .. } => ImapFailure::Store,
        }
    }
}
