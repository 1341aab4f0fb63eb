//! What mail records for Prometheus (through the `metrics` facade: nothing
//! happens unless the process installed a recorder, as `serve` does when
//! metrics are enabled). Names and labels are kept here, in one place.
//! Mail taken in is counted in the database instead (`App::count_mail_in`):
//! piped mail arrives in processes of their own.

/// A notification mail handed to the SMTP server (`sent`) or refused (`failed`).
pub fn mail_out(sent: bool) {
    metrics::counter!("frontline_mail_out_total", "outcome" => if sent { "sent" } else { "failed" }).increment(1);
}

/// A poll of this `[[imap]]` mailbox that failed, and why (`reason`: a
/// timeout is the server's trouble, a refused login someone has to fix).
pub fn imap_poll_failed(mailbox: &str, why: crate::error::ImapFailure) {
    metrics::counter!("frontline_imap_poll_errors_total", "mailbox" => mailbox.to_string(), "reason" => why.as_str()).increment(1);
}
