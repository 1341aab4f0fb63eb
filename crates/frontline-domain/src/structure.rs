//! The fields of teams, positions and API tokens: one rule each, used by
//! the use cases and by the forms' own checks (which run every field's
//! rule at once so a form shows all its messages).

use crate::error::DomainError;
use crate::tier::Tier;
use crate::validate;

pub const TEAM_NAME_MAX: usize = 80;
pub const TEAM_DESCRIPTION_MAX: usize = 500;
pub const POSITION_NAME_MAX: usize = 80;
pub const POSITION_LEVEL_MAX: usize = 40;
pub const RANK_MAX: i64 = 1000;
pub const TOKEN_NAME_MAX: usize = 100;

pub fn team_name(raw: &str) -> Result<String, DomainError> {
    validate::name("name", raw, TEAM_NAME_MAX)
}

/// Optional text, trimmed.
pub fn team_description(raw: &str) -> Result<String, DomainError> {
    validate::text("description", raw)?;
    let s = raw.trim();
    if s.chars().count() > TEAM_DESCRIPTION_MAX {
        return Err(DomainError::invalid("description", format!("description must be at most {TEAM_DESCRIPTION_MAX} characters")));
    }
    Ok(s.to_string())
}

pub fn position_name(raw: &str) -> Result<String, DomainError> {
    validate::name("name", raw, POSITION_NAME_MAX)
}

pub fn position_level(raw: &str) -> Result<String, DomainError> {
    validate::name("level", raw, POSITION_LEVEL_MAX)
}

/// A position's place on the ladder.
pub fn rank(rank: i64) -> Result<i64, DomainError> {
    if !(0..=RANK_MAX).contains(&rank) {
        return Err(DomainError::invalid("rank", format!("rank must be between 0 and {RANK_MAX}")));
    }
    Ok(rank)
}

/// A whole number typed into `field` (a form's text).
pub fn whole_number(field: &str, raw: &str) -> Result<i64, DomainError> {
    raw.trim().parse().map_err(|_| DomainError::invalid(field, format!("{field} must be a whole number")))
}

/// Rank and tier as typed into a form.
pub fn rank_text(raw: &str) -> Result<i64, DomainError> {
    whole_number("rank", raw).and_then(rank)
}

pub fn tier_text(raw: &str) -> Result<Tier, DomainError> {
    whole_number("tier", raw).and_then(Tier::new)
}

pub fn token_name(raw: &str) -> Result<String, DomainError> {
    validate::name("name", raw, TOKEN_NAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<impl std::fmt::Debug, DomainError>) -> String {
        match r {
            Err(DomainError::Invalid(e)) => format!("{}: {}", e.field, e.message),
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn each_field_names_itself() {
        assert_eq!(field(team_name(" ")), "name: name is required");
        assert_eq!(field(team_description(&"x".repeat(501))), "description: description must be at most 500 characters");
        assert_eq!(team_description("  Front line  ").expect("ok"), "Front line");
        assert_eq!(field(position_level("")), "level: level is required");
        assert_eq!(field(rank_text("ten")), "rank: rank must be a whole number");
        assert_eq!(field(rank_text("1001")), "rank: rank must be between 0 and 1000");
        assert_eq!(rank_text(" 7 ").expect("ok"), 7);
        assert_eq!(field(tier_text("9")), "tier: tier must be between 1 and 3");
        assert_eq!(field(token_name(&"t".repeat(101))), "name: name must be at most 100 characters");
    }
}
