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
}
