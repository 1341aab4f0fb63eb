//! Mail in: parse one RFC 5322 message (any charset, encoded headers,
//! multipart, HTML-only) into what the ingest use case needs.

use frontline_app::ingest::InboundEmail;
use frontline_domain::mail::{AutomaticSigns, is_automatic};
use mail_parser::{HeaderValue, MessageParser};

/// Message-IDs as `<id>`, however the header wrote them.
fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<String> = match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => vec![],
    };
    raw.into_iter()
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_string())
        .filter(|id| !id.is_empty())
        .map(|id| format!("<{id}>"))
        .collect()
}

pub fn parse(raw: &[u8]) -> Result<InboundEmail, String> {
    let msg = MessageParser::default().parse(raw).ok_or("not an email message")?;
    let from = msg.from().and_then(|a| a.first()).ok_or("the message has no From address")?;
    let from_email = from.address().ok_or("the From header has no address")?.to_string();
    let header = |name: &str| msg.header_raw(name).map(|v| v.trim().to_string());
    let signs = AutomaticSigns {
        auto_submitted: header("Auto-Submitted"),
        precedence: header("Precedence"),
        x_autoreply: header("X-Autoreply").is_some() || header("X-Autorespond").is_some(),
        list_id: header("List-Id").is_some(),
        from: from_email.clone(),
        null_return_path: header("Return-Path").is_some_and(|v| v == "<>"),
    };
    let cc = msg
        .cc()
        .map(|a| a.iter().filter_map(|addr| addr.address().map(|e| (addr.name().map(str::to_string), e.to_string()))).collect())
        .unwrap_or_default();
    Ok(InboundEmail {
        message_id: msg.message_id().map(|id| format!("<{}>", id.trim_start_matches('<').trim_end_matches('>'))),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from_name: from.name().map(str::to_string),
        from_email,
        cc,
        subject: msg.subject().unwrap_or_default().to_string(),
        body: msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
        automatic: is_automatic(&signs),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_headers_and_detects_machines() {
        let raw = b"From: \"Dana K\" <dana@northwind.example>\r\nTo: support@acme.example\r\nCc: Raj <raj@northwind.example>\r\nSubject: =?UTF-8?Q?Re:_[#12]_Export_f=C3=A4ilt?=\r\nMessage-ID: <abc@mail.example>\r\nIn-Reply-To: <frontline.12.1.5@acme.example>\r\nReferences: <x@y> <frontline.12.1.5@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nStill broken.\r\n";
        let m = super::parse(raw).expect("parse");
        assert_eq!(m.from_email, "dana@northwind.example");
        assert_eq!(m.from_name.as_deref(), Some("Dana K"));
        assert_eq!(m.subject, "Re: [#12] Export fäilt");
        assert_eq!(m.message_id.as_deref(), Some("<abc@mail.example>"));
        assert_eq!(m.in_reply_to, vec!["<frontline.12.1.5@acme.example>"]);
        assert_eq!(m.references, vec!["<x@y>", "<frontline.12.1.5@acme.example>"]);
        assert_eq!(m.cc, vec![(Some("Raj".to_string()), "raj@northwind.example".to_string())]);
        assert_eq!(m.body.trim(), "Still broken.");
        assert!(!m.automatic);
        let auto = b"From: dana@northwind.example\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway.\r\n";
        assert!(super::parse(auto).expect("parse").automatic);
        assert!(super::parse(b"garbage without headers").is_err());
    }
}
