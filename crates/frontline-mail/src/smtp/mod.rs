//! SMTP out: our own connections (TCP_NODELAY, TLS as `smtp_url` says,
//! AUTH) in a small pool, with lettre speaking the protocol.

pub mod connect;
pub mod pool;
pub mod target;

#[cfg(test)]
mod tests;
