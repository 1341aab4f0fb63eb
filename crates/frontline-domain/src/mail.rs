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
