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
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.is_empty() { "(no subject)".into() } else { out }
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
        let sig = "See attached.\n-- \nDana, Northwind\n";
        assert_eq!(split_quoted(sig).0, "See attached.");
        let plain = "No quotes here.\nSecond line.";
        assert_eq!(split_quoted(plain), (plain, ""));
        // A body that starts with a quote keeps everything visible.
        assert_eq!(split_quoted("> only a quote").0, "> only a quote");
    }
}
