//! Serving a stored attachment, for the API and the pages alike. Raster
//! images may show in the page; every other file is only ever downloaded,
//! as opaque bytes in a sandbox, so an uploaded HTML or SVG file can never
//! run as part of Frontline.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use frontline_app::tickets::Attachment;
use frontline_domain::attachment::displays_inline;

/// RFC 6266/8187 Content-Disposition with an ASCII fallback name and the
/// exact UTF-8 name.
fn disposition(kind: &str, filename: &str) -> String {
    let ascii: String = filename.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A raw mail, for an admin to open in a mail client or hand to a developer.
pub fn raw_mail_response(filename: &str, data: Vec<u8>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822")),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition("attachment", filename)).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
    ];
    (headers, data).into_response()
}

pub fn attachment_response(meta: &Attachment, data: Vec<u8>) -> Response {
    let (content_type, kind) = if displays_inline(&meta.content_type) {
        (meta.content_type.as_str(), "inline")
    } else {
        ("application/octet-stream", "attachment")
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"))),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition(kind, &meta.filename)).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        // Checked with the server on every use: access can end (sign-out, a moved ticket).
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
    ];
    (headers, data).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_survive_in_both_forms() {
        assert_eq!(super::disposition("attachment", "report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
        let d = super::disposition("attachment", "Prüfung \"1\".csv");
        assert!(d.contains("filename=\"Pr_fung _1_.csv\""), "{d}");
        assert!(d.contains("filename*=UTF-8''Pr%C3%BCfung%20%221%22.csv"), "{d}");
    }
}
