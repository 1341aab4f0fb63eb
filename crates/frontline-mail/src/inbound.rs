//! Mail in: parse one RFC 5322 message (any charset, encoded headers,
//! multipart, HTML-only, attachments, inline images, forwarded messages)
//! into what the ingest use case needs. HTML is sanitized here.

use std::collections::HashSet;

use frontline_app::ingest::InboundEmail;
use frontline_app::tickets::NewAttachment;
use frontline_domain::mail::{AutomaticSigns, is_automatic};
use frontline_domain::validate::is_forbidden_control;
use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::error::ParseError;

/// Sanitized HTML larger than this is not kept (the text still is).
const HTML_MAX: usize = 2 * 1024 * 1024;

/// Only what displays a message: no script, style, forms or event
/// handlers; links open elsewhere without a referrer; images only from the
/// mail itself (`cid:`), so no remote tracking pixel is ever loaded.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        // A relative link in a customer's mail must not point into Frontline.
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !value.trim_start().to_ascii_lowercase().starts_with("cid:") {
                None
            } else {
                Some(value.into())
            }
        })
        .clean(html)
        .to_string()
}

fn mime_type(part: &MessagePart<'_>) -> String {
    part.content_type()
        .map(|c| match c.subtype() {
            Some(sub) => format!("{}/{}", c.ctype(), sub),
            None => c.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// (display name, address)
type Person = (Option<String>, String);

/// What a mail carries besides its text.
struct Carried {
    files: Vec<NewAttachment>,
    /// The sender of a message forwarded as an attachment...
    forwarded_from: Option<Person>,
    /// ...and its text, to add to the body.
    forwarded_text: Option<String>,
}

fn first_address(msg: &Message<'_>) -> Option<Person> {
    let from = msg.from()?.first()?;
    Some((from.name().map(str::to_string), from.address()?.to_string()))
}

/// Files and inline images, and a message forwarded as an attachment.
fn attachments(msg: &Message<'_>) -> Carried {
    let (mut files, mut forwarded_from, mut forwarded_text) = (Vec::new(), None, None);
    for (n, part) in msg.attachments().enumerate() {
        // Only plain Content-IDs are kept: pages point `cid:` images at their files by matching this text.
        let content_id = part
            .content_id()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_string())
            .filter(|id| !id.is_empty() && id.len() <= 200 && id.chars().all(|c| c.is_ascii_alphanumeric() || "._@$+-=%".contains(c)));
        let content_type = mime_type(part);
        let name = part.attachment_name().map(str::to_string);
        let (filename, content_type) = if let Some(inner) = part.message() {
            if forwarded_from.is_none() {
                forwarded_from = first_address(inner);
                forwarded_text = Some(format!(
                    "---------- Forwarded message ----------\nFrom: {}\nSubject: {}\n\n{}",
                    inner.header_raw("From").unwrap_or_default().trim(),
                    inner.subject().unwrap_or_default(),
                    inner.body_text(0).unwrap_or_default().trim()
                ));
            }
            let subject = inner.subject().unwrap_or("forwarded message").replace(['/', '\\'], "-");
            (name.unwrap_or_else(|| format!("{subject}.eml")), "message/rfc822".to_string())
        } else {
            (name.unwrap_or_else(|| format!("attachment-{}", n + 1)), content_type)
        };
        // An image the HTML refers to by Content-ID and not offered as a download.
        let inline = content_id.is_some()
            && content_type.starts_with("image/")
            && !part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        files.push(NewAttachment { filename, content_type, content_id, inline, data: part.contents().to_vec() });
    }
    Carried { files, forwarded_from, forwarded_text }
}

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

/// Mail text without the control characters no field keeps (a NUL from
/// `=00` above all): such a mail is stored without them, not refused and
/// retried forever.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !is_forbidden_control(*c)).collect()
}

fn clean_all(list: Vec<String>) -> Vec<String> {
    list.iter().map(|s| clean(s)).collect()
}

fn clean_person((name, address): Person) -> Person {
    (name.map(|n| clean(&n)), clean(&address))
}

/// Every text of a parsed mail, cleaned (see [`clean`]).
fn cleaned(m: InboundEmail) -> InboundEmail {
    InboundEmail {
        message_id: m.message_id.map(|id| clean(&id)),
        in_reply_to: clean_all(m.in_reply_to),
        references: clean_all(m.references),
        from_name: m.from_name.map(|n| clean(&n)),
        from_email: clean(&m.from_email),
        cc: m.cc.into_iter().map(clean_person).collect(),
        subject: clean(&m.subject),
        body: clean(&m.body),
        body_html: m.body_html.map(|h| clean(&h)),
        attachments: m
            .attachments
            .into_iter()
            .map(|a| NewAttachment {
                filename: clean(&a.filename),
                content_type: clean(&a.content_type),
                content_id: a.content_id.map(|id| clean(&id)),
                ..a
            })
            .collect(),
        forwarded_from: m.forwarded_from.map(clean_person),
        automatic: m.automatic,
    }
}

/// Read one mail. An unreadable one is an error to keep it by (the caller
/// quarantines it), never a reason to refuse or retry it.
pub fn parse(raw: &[u8]) -> Result<InboundEmail, ParseError> {
    let msg = MessageParser::default().parse(raw).ok_or(ParseError::NotAMessage)?;
    let from = msg.from().and_then(|a| a.first()).ok_or(ParseError::NoFrom)?;
    let from_email = from.address().ok_or(ParseError::FromWithoutAddress)?.to_string();
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
    let Carried { files: attachments, forwarded_from, forwarded_text } = attachments(&msg);
    let mut body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    if let Some(text) = forwarded_text {
        body = format!("{}\n\n{text}", body.trim_end());
    }
    // Only a real HTML part: mail-parser would otherwise make HTML out of the text.
    let body_html = msg
        .html_part(0)
        .and_then(|p| match &p.body {
            PartType::Html(html) => Some(sanitize_html(html)),
            _ => None,
        })
        .filter(|h| !h.trim().is_empty() && h.len() <= HTML_MAX);
    Ok(cleaned(InboundEmail {
        message_id: msg.message_id().map(|id| format!("<{}>", id.trim_start_matches('<').trim_end_matches('>'))),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from_name: from.name().map(str::to_string),
        from_email,
        cc,
        subject: msg.subject().unwrap_or_default().to_string(),
        body,
        body_html,
        attachments,
        forwarded_from,
        automatic: is_automatic(&signs),
    }))
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
        assert_eq!(super::parse(b"garbage without headers").err(), Some(super::ParseError::NoFrom));
        assert_eq!(super::parse(b"Subject: no sender\r\n\r\nHello.\r\n").err(), Some(super::ParseError::NoFrom));
    }

    #[test]
    fn control_characters_are_removed() {
        let raw = b"From: \"Da\x00na\" <dana@northwind.example>\r\nSubject: Web\x00hook\x07 down\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nNo=00 data=1B since\tMonday.\r\n";
        let m = super::parse(raw).expect("parse");
        assert_eq!(m.subject, "Webhook down");
        assert_eq!(m.from_name.as_deref(), Some("Dana"));
        assert_eq!(m.body.trim(), "No data since\tMonday.");
    }
}
