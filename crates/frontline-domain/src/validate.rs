//! Small text checks shared by every input surface.

use crate::error::DomainError;

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
    }
}
