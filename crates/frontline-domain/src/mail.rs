//! Rules for inbound mail that need no I/O: ticket tokens in subjects,
//! subject prefixes, and recognising mail sent by machines.

/// The ticket number in a subject such as "Re: [#1234] Export fails".
pub fn ticket_token(subject: &str) -> Option<i64> {
    let mut rest = subject;
    while let Some(start) = rest.find("[#") {
        let after = &rest[start + 2..];
        if let Some(end) = after.find(']')
            && let Ok(n) = after[..end].trim().parse::<i64>()
            && n > 0
        {
            return Some(n);
        }
        rest = after;
    }
    None
}

/// The subject without reply/forward prefixes (English, German, Nordic) and
/// without our ticket token.
pub fn clean_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let prefix = ["re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:", "antw:"].iter().find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => s = s[p.len()..].trim_start(),
            None => break,
        }
    }
    let mut out = s.to_string();
    if let Some(n) = ticket_token(&out) {
        out = out.replace(&format!("[#{n}]"), "");
    }
    // A mail cannot be asked again: reordering controls are dropped, and a
    // subject with nothing visible becomes "(no subject)".
    let out: String = out.chars().filter(|c| !crate::validate::is_bidi_control(*c)).collect();
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().all(crate::validate::is_invisible) { "(no subject)".into() } else { out }
}

/// Is this subject a forward ("Fwd:", "FW:", "WG:", "TR:") rather than a reply?
pub fn is_forward(subject: &str) -> bool {
    let lower = subject.trim_start().to_lowercase();
    ["fwd:", "fw:", "wg:", "tr:", "vs:"].iter().any(|p| lower.starts_with(p))
}

/// Lines that mail clients put above a forwarded message.
fn is_forward_marker(line: &str) -> bool {
    let t = line.trim().trim_matches(|c| c == '-' || c == '_' || c == ' ').to_lowercase();
    matches!(
        t.as_str(),
        "forwarded message" | "original message" | "weitergeleitete nachricht" | "ursprüngliche nachricht" | "message transféré"
    ) || t.starts_with("begin forwarded message")
}

/// One address as mail clients print it in a forwarded header block:
/// `Dana K <dana@x.example>`, `"Dana K" [mailto:dana@x.example]`, `dana@x.example`.
pub fn parse_printed_address(text: &str) -> Option<(Option<String>, String)> {
    let text = text.trim().trim_matches('*').trim();
    let (name, address) = if let Some(open) = text.find(['<', '[']) {
        let close = text[open..].find(['>', ']'])? + open;
        let inner = text[open + 1..close].trim();
        let inner = inner.strip_prefix("mailto:").unwrap_or(inner);
        (text[..open].trim().trim_matches(['"', '*', ' ']).to_string(), inner.to_string())
    } else {
        (String::new(), text.split_whitespace().find(|w| w.contains('@'))?.to_string())
    };
    let address = address.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    let (local, domain) = address.split_once('@')?;
    if local.is_empty() || !domain.contains('.') {
        return None;
    }
    Some((Some(name).filter(|n| !n.is_empty()), address.to_lowercase()))
}

/// A forward split into the forwarder's own note (above the marker) and
/// the forwarded message (the marker line and everything below it).
pub fn split_forward(body: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        if is_forward_marker(line) {
            return Some((body[..offset].trim(), body[offset..].trim()));
        }
        offset += line.len();
    }
    None
}

/// The original sender of a message forwarded inline: the From line of the
/// header block under a "Forwarded message" / "Original Message" marker.
pub fn forwarded_sender(body: &str) -> Option<(Option<String>, String)> {
    let mut lines = body.lines();
    lines.by_ref().find(|l| is_forward_marker(l))?;
    lines.take(12).find_map(|l| {
        let t = l.trim().trim_start_matches('*').trim_start_matches('>').trim();
        let rest = ["From:", "Von:", "De:", "From*:", "Van:"].iter().find_map(|p| t.strip_prefix(p))?;
        parse_printed_address(rest)
    })
}

/// Headers that tell whether a mail was sent by a program.
#[derive(Debug, Default, Clone)]
pub struct AutomaticSigns {
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub x_autoreply: bool,
    pub list_id: bool,
    pub from: String,
    /// Return-Path: <> (bounces).
    pub null_return_path: bool,
}

/// Auto-replies, bounces and list mail are stored but never answered or
/// notified about, so that two machines never mail each other forever.
pub fn is_automatic(s: &AutomaticSigns) -> bool {
    let auto = s.auto_submitted.as_deref().map(str::trim).map(str::to_lowercase).is_some_and(|v| !v.is_empty() && v != "no");
    let bulk = s
        .precedence
        .as_deref()
        .map(str::trim)
        .map(str::to_lowercase)
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"));
    let local = s.from.split('@').next().unwrap_or_default().to_lowercase();
    let daemon = matches!(local.as_str(), "mailer-daemon" | "postmaster" | "noreply" | "no-reply" | "do-not-reply");
    auto || bulk || s.x_autoreply || s.list_id || daemon || s.null_return_path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_subjects() {
        assert_eq!(ticket_token("Re: [#1234] Export fails"), Some(1234));
        assert_eq!(ticket_token("AW: WG: [# 77] x"), Some(77));
        assert_eq!(ticket_token("[#abc] then [#9]"), Some(9));
        assert_eq!(ticket_token("no token [#0]"), None);
        assert_eq!(clean_subject("Re: AW: Fwd:  [#12]  Export   fails"), "Export fails");
        assert_eq!(clean_subject("RE: "), "(no subject)");
        assert_eq!(clean_subject("Re: Refund \u{202E}dias"), "Refund dias");
        assert_eq!(clean_subject("\u{200B}"), "(no subject)");
        assert!(is_forward("Fwd: Export fails") && is_forward("WG: x") && !is_forward("Re: Fwd: x"));
    }

    #[test]
    fn forwarded_senders_are_found() {
        let gmail =
            "FYI\n\n---------- Forwarded message ---------\nFrom: Dana K <Dana@Northwind.example>\nDate: Mon\nSubject: Export\n\nIt fails.";
        assert_eq!(forwarded_sender(gmail), Some((Some("Dana K".into()), "dana@northwind.example".into())));
        let outlook = "-----Original Message-----\r\nFrom: \"Raj P\" [mailto:raj@northwind.example]\r\nSent: Monday";
        assert_eq!(forwarded_sender(outlook), Some((Some("Raj P".into()), "raj@northwind.example".into())));
        let apple = "Begin forwarded message:\n\n> From: raj@northwind.example\n> Subject: x";
        assert_eq!(forwarded_sender(apple), Some((None, "raj@northwind.example".into())));
        assert_eq!(forwarded_sender("From: dana@northwind.example\nno marker above"), None);
        let (note, forwarded) = split_forward(gmail).expect("a forward");
        assert_eq!(note, "FYI");
        assert!(forwarded.starts_with("---------- Forwarded message") && forwarded.ends_with("It fails."));
        assert_eq!(split_forward("no forward here"), None);
        assert_eq!(parse_printed_address("nobody"), None);
    }

    #[test]
    fn machines_are_recognised() {
        let person = AutomaticSigns { from: "dana@northwind.example".into(), ..Default::default() };
        assert!(!is_automatic(&person));
        assert!(!is_automatic(&AutomaticSigns { auto_submitted: Some("no".into()), ..person.clone() }));
        assert!(is_automatic(&AutomaticSigns { auto_submitted: Some("auto-replied".into()), ..person.clone() }));
        assert!(is_automatic(&AutomaticSigns { precedence: Some("Bulk".into()), ..person.clone() }));
        assert!(is_automatic(&AutomaticSigns { from: "MAILER-DAEMON@mx.example".into(), ..Default::default() }));
        assert!(is_automatic(&AutomaticSigns { null_return_path: true, ..person.clone() }));
        assert!(is_automatic(&AutomaticSigns { list_id: true, ..person }));
    }
}

/// Split a mail body into what the person wrote and the quoted history or
/// signature below it, for display (the original is kept whole).
pub fn split_quoted(body: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let l = line.trim_end_matches(['\r', '\n']);
        let t = l.trim();
        let starts_quote = t.starts_with('>')
            || l == "-- "
            || t.starts_with("-----Original Message-----")
            || t.starts_with("-----Ursprüngliche Nachricht-----")
            || t.starts_with("________________________________")
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with("Am ") && t.ends_with("schrieb:"))
            || (t.starts_with("From: ") && offset > 0 && body[offset..].contains("\nSent: "));
        if starts_quote && offset > 0 {
            let (head, tail) = body.split_at(offset);
            return (head.trim_end(), tail);
        }
        offset += line.len();
    }
    (body, "")
}

#[cfg(test)]
mod quote_tests {
    use super::split_quoted;

    #[test]
    fn quoted_history_and_signatures_are_split_off() {
        let gmail = "Thanks, that fixed it.\n\nOn Mon, 23 Nov 2026 at 10:00, Support <support@acme.example> wrote:\n> Please re-export.\n";
        assert_eq!(split_quoted(gmail).0, "Thanks, that fixed it.");
        assert!(split_quoted(gmail).1.contains("> Please re-export."));
        let outlook = "Still failing.\r\n\r\nFrom: Support <support@acme.example>\r\nSent: Monday\r\nSubject: Re: x\r\n\r\nold text";
        assert_eq!(split_quoted(outlook).0, "Still failing.");
        let german = "Danke!\r\n\r\n-----Ursprüngliche Nachricht-----\r\nVon: Support\r\n\r\nold";
        assert_eq!(split_quoted(german).0, "Danke!");
        let sig = "See attached.\n-- \nDana, Northwind\n";
        assert_eq!(split_quoted(sig).0, "See attached.");
        let plain = "No quotes here.\nSecond line.";
        assert_eq!(split_quoted(plain), (plain, ""));
        // A body that starts with a quote keeps everything visible.
        assert_eq!(split_quoted("> only a quote").0, "> only a quote");
    }
}

/// Where a message came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailSource {
    Imap,
    /// `frontline mail ingest`, piped from an MTA.
    Pipe,
}

impl MailSource {
    pub const ALL: [MailSource; 2] = [MailSource::Imap, MailSource::Pipe];

    pub fn as_str(self) -> &'static str {
        match self {
            MailSource::Imap => "imap",
            MailSource::Pipe => "pipe",
        }
    }
}

/// What became of a message that came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Stored,
    /// Stored (or quarantined) before: nothing written.
    Duplicate,
    Quarantined,
}

impl MailOutcome {
    pub const ALL: [MailOutcome; 3] = [MailOutcome::Stored, MailOutcome::Duplicate, MailOutcome::Quarantined];

    pub fn as_str(self) -> &'static str {
        match self {
            MailOutcome::Stored => "stored",
            MailOutcome::Duplicate => "duplicate",
            MailOutcome::Quarantined => "quarantined",
        }
    }
}
