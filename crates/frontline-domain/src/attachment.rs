//! Rules for files attached to messages: how big, how many, what names and
//! types are kept, and which ones a browser may show inline.

use crate::DomainError;

/// Size limits; the defaults suit a help desk (screenshots, logs, HAR files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_total_bytes: usize,
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 10 * 1024 * 1024, max_total_bytes: 25 * 1024 * 1024, max_files: 20 }
    }
}

/// Human-readable size, for messages and pages.
pub fn human_size(bytes: usize) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// A file name safe to store and to offer for download: no directories,
/// no control characters, not empty, at most 200 characters.
pub fn clean_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() { "attachment".to_string() } else { cleaned.to_string() }
}

/// A MIME type as `type/subtype` in lower case, or application/octet-stream
/// when what was given is not one.
pub fn clean_content_type(content_type: &str) -> String {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |s: &str| !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    match essence.split_once('/') {
        Some((t, sub)) if token(t) && token(sub) => essence,
        _ => "application/octet-stream".to_string(),
    }
}

/// Raster images a browser may show in the page. Everything else (SVG and
/// HTML above all, which can carry script) is only ever downloaded.
pub fn displays_inline(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// Check the files of one upload (name and size of each) against the limits.
pub fn check_upload(files: &[(&str, usize)], limits: &Limits) -> Result<(), DomainError> {
    if files.len() > limits.max_files {
        return Err(DomainError::invalid("attachments", format!("attach at most {} files to one message", limits.max_files)));
    }
    for (name, size) in files {
        if *size == 0 {
            return Err(DomainError::invalid("attachments", format!("'{name}' is empty")));
        }
        if *size > limits.max_file_bytes {
            return Err(DomainError::invalid(
                "attachments",
                format!("'{name}' is {}; files may be at most {}", human_size(*size), human_size(limits.max_file_bytes)),
            ));
        }
    }
    let total: usize = files.iter().map(|(_, s)| s).sum();
    if total > limits.max_total_bytes {
        return Err(DomainError::invalid(
            "attachments",
            format!("the files add up to {}; one message may carry at most {}", human_size(total), human_size(limits.max_total_bytes)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\dana\\export.csv"), "export.csv");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("re\u{0}port\n.pdf"), "report.pdf");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(clean_filename("  "), "attachment");
        assert_eq!(clean_filename(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn content_types_are_normalised() {
        assert_eq!(clean_content_type("Image/PNG; name=a.png"), "image/png");
        assert_eq!(clean_content_type("text/html\"><script>"), "application/octet-stream");
        assert_eq!(clean_content_type(""), "application/octet-stream");
        assert!(displays_inline("image/jpeg"));
        assert!(!displays_inline("image/svg+xml"));
        assert!(!displays_inline("text/html"));
    }

    #[test]
    fn uploads_respect_the_limits() {
        let limits = Limits { max_file_bytes: 100, max_total_bytes: 150, max_files: 2 };
        assert!(check_upload(&[("a", 100), ("b", 50)], &limits).is_ok());
        assert!(check_upload(&[("a", 101)], &limits).is_err());
        assert!(check_upload(&[("a", 100), ("b", 51)], &limits).is_err());
        assert!(check_upload(&[("a", 1), ("b", 1), ("c", 1)], &limits).is_err());
        assert!(check_upload(&[("a", 0)], &limits).is_err());
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(human_size(1500), "2 KB");
    }
}
