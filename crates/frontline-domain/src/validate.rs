//! Small text checks shared by every input surface.

use crate::error::DomainError;

/// Control characters no text field keeps: the C0 controls other than tab,
/// line feed and carriage return, DEL, and the C1 controls. PostgreSQL's
/// text refuses NUL while SQLite stores it, and the others only ever come
/// from broken clients or probes, so every surface refuses them alike.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuse text holding a forbidden control character, naming the field.
/// The message never repeats the text: it may be unprintable.
pub fn text(field: &str, raw: &str) -> Result<(), DomainError> {
    if raw.chars().any(is_forbidden_control) {
        return Err(DomainError::invalid(field, format!("{field} must not contain control characters (such as NUL)")));
    }
    Ok(())
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069): in a subject or a name they reorder the text shown after
/// them, so "invoice_\u{202E}fdp.exe" reads as "invoice_exe.pdf".
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no room: zero-width space, non-joiner and joiner,
/// word joiner, byte-order mark. Allowed inside text (some scripts need the
/// joiners), but text made only of them (and spaces) looks empty.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The rule for text shown as a label (subjects, names): no bidirectional
/// controls, and something visible. Called after `text`, on trimmed text.
pub fn label(field: &str, s: &str) -> Result<(), DomainError> {
    if s.chars().any(is_bidi_control) {
        return Err(DomainError::invalid(
            field,
            format!("{field} must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)"),
        ));
    }
    if !s.is_empty() && s.chars().all(|c| is_invisible(c) || c.is_whitespace()) {
        return Err(DomainError::invalid(field, format!("{field} must contain visible text")));
    }
    Ok(())
}

/// A required single-line name (organization, team, position, person).
pub fn name(field: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, format!("{field} is required")));
    }
    if s.chars().count() > max {
        return Err(DomainError::invalid(field, format!("{field} must be at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, format!("{field} must be a single line of text")));
    }
    label(field, s)?;
    Ok(s.to_string())
}

pub const PASSWORD_MIN: usize = 10;

pub fn password(raw: &str) -> Result<(), DomainError> {
    text("password", raw)?;
    if raw.chars().count() < PASSWORD_MIN {
        return Err(DomainError::invalid("password", format!("password must be at least {PASSWORD_MIN} characters")));
    }
    if raw.len() > 1024 {
        return Err(DomainError::invalid("password", "password must be at most 1024 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_passwords() {
        assert!(super::name("name", "  ", 10).is_err());
        assert!(super::name("name", "a\nb", 10).is_err());
        assert_eq!(super::name("name", " Acme ", 10).as_deref(), Ok("Acme"));
        assert!(super::password("short").is_err());
        assert!(super::password("long enough!").is_ok());
        assert!(super::password("long enough\0!").is_err());
    }

    #[test]
    fn control_characters() {
        for bad in ["a\0b", "\u{1b}[31m", "x\u{7f}", "\u{85}"] {
            assert!(super::text("body", bad).is_err(), "{bad:?}");
        }
        assert!(super::text("body", "tab\tline\r\nend ünïcode").is_ok());
    }

    #[test]
    fn labels_refuse_reordering_and_invisible_text() {
        for bad in ["invoice_\u{202E}fdp.exe", "a\u{202A}b", "\u{2066}x\u{2069}", "x\u{2068}"] {
            assert!(super::name("name", bad, 100).is_err(), "{bad:?}");
        }
        for empty in ["\u{200B}", "\u{200B}\u{200C} \u{FEFF}", "\u{2060}\u{200D}"] {
            let e = super::name("name", empty, 100).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("visible"), "{empty:?}: {e}");
        }
        // Joiners inside real text stay (Persian and emoji need them).
        assert!(super::name("name", "می\u{200C}خواهم", 100).is_ok());
        assert!(super::name("name", "\u{1F469}\u{200D}\u{1F4BB} Dana", 100).is_ok());
        // Right-to-left text itself is fine; only the controls are refused.
        assert!(super::name("name", "שלום", 100).is_ok());
    }
}
