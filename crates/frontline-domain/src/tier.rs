//! Support tiers and escalation levels: small numbers with a fixed range,
//! checked once when they are made so that no bare out-of-range integer
//! travels through the code (the database's CHECK constraints hold the
//! same ranges, migration 0011).

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Support tier: 1 front line, 2 senior, 3 Head of Support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Tier(i64);

impl Tier {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 3;
    pub const FRONT_LINE: Tier = Tier(1);
    pub const SENIOR: Tier = Tier(2);
    pub const HEAD_OF_SUPPORT: Tier = Tier(3);

    pub fn new(t: i64) -> Result<Tier, DomainError> {
        if (Self::MIN..=Self::MAX).contains(&t) {
            Ok(Tier(t))
        } else {
            Err(DomainError::invalid("tier", format!("tier must be between {} and {}", Self::MIN, Self::MAX)))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "Tier 1",
            2 => "Tier 2",
            _ => "Tier 3 (Head of Support)",
        }
    }
}

/// How far a ticket went up the path tier 1 -> tier 2 -> Head -> Engineering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(try_from = "i64", into = "i64")]
pub struct EscalationLevel(i64);

impl EscalationLevel {
    pub const MAX: i64 = 3;
    pub const NONE: EscalationLevel = EscalationLevel(0);

    pub fn new(level: i64) -> Result<EscalationLevel, DomainError> {
        if (0..=Self::MAX).contains(&level) {
            Ok(EscalationLevel(level))
        } else {
            Err(DomainError::invalid("escalation_level", format!("escalation level must be between 0 and {}", Self::MAX)))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            0 => "Not escalated",
            1 => "Escalated to tier 2",
            2 => "Escalated to Head of Support",
            _ => "Escalated to Engineering",
        }
    }
}

macro_rules! int_conversions {
    ($t:ty) => {
        impl TryFrom<i64> for $t {
            type Error = DomainError;
            fn try_from(v: i64) -> Result<Self, DomainError> {
                <$t>::new(v)
            }
        }
        impl From<$t> for i64 {
            fn from(v: $t) -> i64 {
                v.0
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
int_conversions!(Tier);
int_conversions!(EscalationLevel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_allowed_range_is_made() {
        assert!(Tier::new(0).is_err() && Tier::new(4).is_err());
        assert_eq!(Tier::new(2).map(Tier::get), Ok(2));
        assert!(EscalationLevel::new(-1).is_err() && EscalationLevel::new(4).is_err());
        assert_eq!(EscalationLevel::new(3).map(|l| l.label()), Ok("Escalated to Engineering"));
        assert!(serde_json::from_str::<Tier>("7").is_err(), "deserializing checks the range too");
        assert_eq!(serde_json::to_string(&Tier::FRONT_LINE).ok().as_deref(), Some("1"));
    }
}
