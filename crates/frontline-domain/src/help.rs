//! Asking for help without handing a ticket over: a question to a named
//! colleague or to a whole tier, open until it is answered (the answer is
//! an internal note on the ticket) or withdrawn by whoever asked.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ticket::Status;
use crate::tier::Tier;

pub const QUESTION_MAX: usize = 10_000;

/// Who is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HelpTarget {
    User(i64),
    Tier(Tier),
}

impl HelpTarget {
    /// Exactly one of the two inputs; 422 on `to_user_id` otherwise.
    pub fn from_input(to_user_id: Option<i64>, to_tier: Option<i64>) -> Result<HelpTarget, DomainError> {
        match (to_user_id, to_tier) {
            (Some(u), None) => Ok(HelpTarget::User(u)),
            (None, Some(t)) => Ok(HelpTarget::Tier(Tier::new(t).map_err(|_| DomainError::invalid("to_tier", "a tier is 1, 2 or 3"))?)),
            (None, None) => Err(DomainError::invalid("to_user_id", "ask a colleague (to_user_id) or a tier (to_tier)")),
            (Some(_), Some(_)) => Err(DomainError::invalid("to_user_id", "ask a colleague or a tier, not both")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpStatus {
    Open,
    Answered,
    Withdrawn,
}

impl HelpStatus {
    pub const ALL: [HelpStatus; 3] = [HelpStatus::Open, HelpStatus::Answered, HelpStatus::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            HelpStatus::Open => "open",
            HelpStatus::Answered => "answered",
            HelpStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<HelpStatus> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

/// A question: required, without control characters, bounded.
pub fn parse_question(field: &'static str, raw: &str) -> Result<String, DomainError> {
    crate::validate::text(field, raw)?;
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, format!("{} is required", field.replace('_', " "))));
    }
    if s.chars().count() > QUESTION_MAX {
        return Err(DomainError::invalid(field, format!("{field} must be at most {QUESTION_MAX} characters")));
    }
    Ok(s.to_string())
}

/// Only an open request can be answered or withdrawn; a second answer (two
/// colleagues at once) or an answer after a withdrawal is a conflict.
pub fn require_open(status: HelpStatus) -> Result<(), DomainError> {
    match status {
        HelpStatus::Open => Ok(()),
        other => Err(DomainError::conflict("help_request", format!("this request was {} already", other.as_str()))),
    }
}

/// An answer is an internal note, and a closed ticket takes no more
/// notes: the answer is refused (422 on `answer`); the question can still
/// be withdrawn.
pub fn require_answerable(ticket: Status) -> Result<(), DomainError> {
    if ticket == Status::Closed {
        return Err(DomainError::invalid(
            "answer",
            "this ticket is closed, so it takes no more notes; withdraw the question, or answer on a follow-up ticket",
        ));
    }
    Ok(())
}

/// A question can be put on a ticket that still takes notes (not closed),
/// and to someone other than the asker.
pub fn require_askable(ticket: Status, asker: i64, target: HelpTarget) -> Result<(), DomainError> {
    if ticket == Status::Closed {
        return Err(DomainError::invalid("ticket", "this ticket is closed, so its answer could not be written; ask on a follow-up ticket"));
    }
    if target == HelpTarget::User(asker) {
        return Err(DomainError::invalid("to_user_id", "you cannot ask yourself; ask a colleague or a tier"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_question_to_oneself_or_on_a_closed_ticket() {
        let tier2 = HelpTarget::from_input(None, Some(2)).expect("tier");
        assert!(require_askable(Status::Open, 7, tier2).is_ok());
        assert!(require_askable(Status::Solved, 7, HelpTarget::User(8)).is_ok(), "a solved ticket still takes notes");
        let own = require_askable(Status::Open, 7, HelpTarget::User(7)).expect_err("oneself");
        assert!(matches!(own, DomainError::Invalid(ref e) if e.field == "to_user_id"), "{own:?}");
        let closed = require_askable(Status::Closed, 7, tier2).expect_err("closed");
        assert!(matches!(closed, DomainError::Invalid(ref e) if e.field == "ticket"), "{closed:?}");
    }

    #[test]
    fn a_request_goes_to_one_colleague_or_one_tier() {
        assert_eq!(HelpTarget::from_input(Some(4), None), Ok(HelpTarget::User(4)));
        assert!(matches!(HelpTarget::from_input(None, Some(2)), Ok(HelpTarget::Tier(t)) if t.get() == 2));
        for bad in [(None, None), (Some(1), Some(2))] {
            assert!(matches!(HelpTarget::from_input(bad.0, bad.1), Err(DomainError::Invalid(f)) if f.field == "to_user_id"));
        }
        assert!(matches!(HelpTarget::from_input(None, Some(4)), Err(DomainError::Invalid(f)) if f.field == "to_tier"));
    }

    #[test]
    fn questions_and_states() {
        assert!(parse_question("question", "  ").is_err());
        assert_eq!(parse_question("question", " Which index? ").as_deref(), Ok("Which index?"));
        assert!(require_open(HelpStatus::Open).is_ok());
        assert!(matches!(require_open(HelpStatus::Answered), Err(DomainError::Conflict(_))));
        assert_eq!(HelpStatus::parse("withdrawn"), Some(HelpStatus::Withdrawn));
        assert!(require_answerable(Status::Solved).is_ok());
        assert!(matches!(require_answerable(Status::Closed), Err(DomainError::Invalid(f)) if f.field == "answer"));
    }
}
