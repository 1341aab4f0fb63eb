//! What mail records for Prometheus (through the `metrics` facade: nothing
//! happens unless the process installed a recorder, as `serve` does when
//! metrics are enabled). Names and labels are kept here, in one place.

/// Where a message came in.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Imap,
    /// `frontline mail ingest`, piped from an MTA.
    Pipe,
}

/// What became of a message that came in.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Stored,
    /// Its Message-ID was stored before: nothing written.
    Duplicate,
    Quarantined,
}

pub fn mail_in(source: Source, outcome: Outcome) {
    let source = match source {
        Source::Imap => "imap",
        Source::Pipe => "pipe",
    };
    let outcome = match outcome {
        Outcome::Stored => "stored",
        Outcome::Duplicate => "duplicate",
        Outcome::Quarantined => "quarantined",
    };
    metrics::counter!("frontline_mail_in_total", "source" => source, "outcome" => outcome).increment(1);
}

/// A notification mail handed to the SMTP server (`sent`) or refused (`failed`).
pub fn mail_out(sent: bool) {
    metrics::counter!("frontline_mail_out_total", "outcome" => if sent { "sent" } else { "failed" }).increment(1);
}

/// A poll of this `[[imap]]` mailbox that failed, and why (`reason`: a
/// timeout is the server's trouble, a refused login someone has to fix).
pub fn imap_poll_failed(mailbox: &str, why: crate::error::ImapFailure) {
    metrics::counter!("frontline_imap_poll_errors_total", "mailbox" => mailbox.to_string(), "reason" => why.as_str()).increment(1);
}
