//! The escalation path: tier 1 -> tier 2 -> Head of Support -> Engineering.
//!
//! A step is where a ticket stands on that path. It is stored in the
//! ticket's existing `tier` and `escalation_level` columns, which from now
//! on always move together (`EscalationStep::fields`), so tier and step
//! cannot disagree. Steps only move by actions that are recorded with a
//! reason (`StepAction`), never by editing a number.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ticket::EventField;
use crate::tier::{EscalationLevel, Tier};

/// Reasons and notes are internal notes: the same limits as a message.
pub const REASON_MAX: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStep {
    #[serde(rename = "tier_1")]
    Tier1,
    #[serde(rename = "tier_2")]
    Tier2,
    HeadOfSupport,
    /// The seam for problem records: a later issue attaches one to the
    /// escalation (`ticket_escalations` row) that reached this step.
    Engineering,
}

impl EscalationStep {
    pub const ALL: [EscalationStep; 4] =
        [EscalationStep::Tier1, EscalationStep::Tier2, EscalationStep::HeadOfSupport, EscalationStep::Engineering];

    /// The name stored (events, `ticket_escalations`) and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationStep::Tier1 => "tier_1",
            EscalationStep::Tier2 => "tier_2",
            EscalationStep::HeadOfSupport => "head_of_support",
            EscalationStep::Engineering => "engineering",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EscalationStep::Tier1 => "Tier 1",
            EscalationStep::Tier2 => "Tier 2",
            EscalationStep::HeadOfSupport => "Head of Support",
            EscalationStep::Engineering => "Engineering",
        }
    }

    /// `field` names the input the step came from, for the error.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|st| st.as_str() == s.trim()).ok_or_else(|| {
            DomainError::invalid(field, format!("'{s}' is not a step; use one of: tier_1, tier_2, head_of_support, engineering"))
        })
    }

    /// The label of a stored step name (history shows names this version
    /// does not know as they are).
    pub fn label_of(stored: &str) -> &str {
        Self::ALL.into_iter().find(|st| st.as_str() == stored).map_or(stored, |s| s.label())
    }

    /// Its place on the path, 0 to 3 (the SLA clock keeps one per step).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The escalation level a ticket at this step has.
    pub fn level(self) -> EscalationLevel {
        self.fields().1
    }

    /// The ticket's columns for this step. Engineering stays at tier 3: the
    /// Head of Support keeps sight of what is with Engineering.
    pub fn fields(self) -> (Tier, EscalationLevel) {
        let (tier, level) = match self {
            EscalationStep::Tier1 => (Tier::FRONT_LINE, 0),
            EscalationStep::Tier2 => (Tier::SENIOR, 1),
            EscalationStep::HeadOfSupport => (Tier::HEAD_OF_SUPPORT, 2),
            EscalationStep::Engineering => (Tier::HEAD_OF_SUPPORT, 3),
        };
        (tier, EscalationLevel::new(level).unwrap_or_default())
    }

    /// The tier whose queue holds tickets at this step.
    pub fn tier(self) -> Tier {
        self.fields().0
    }

    /// Where a ticket stands. Tickets edited by hand before steps existed
    /// may have a tier and a level that disagree; the higher one wins, so
    /// nothing escalated is ever treated as front-line work.
    pub fn of(tier: Tier, level: EscalationLevel) -> EscalationStep {
        Self::of_tier(tier).max(Self::of_level(level))
    }

    /// The step a tier's queue stands for (tier 3: the Head of Support).
    pub fn of_tier(tier: Tier) -> EscalationStep {
        match tier.get() {
            1 => EscalationStep::Tier1,
            2 => EscalationStep::Tier2,
            _ => EscalationStep::HeadOfSupport,
        }
    }

    pub fn of_level(level: EscalationLevel) -> EscalationStep {
        match level.get() {
            0 => EscalationStep::Tier1,
            1 => EscalationStep::Tier2,
            2 => EscalationStep::HeadOfSupport,
            _ => EscalationStep::Engineering,
        }
    }

    /// A direct edit of tier or escalation level (PATCH, a posted form):
    /// the step moves only through the escalation actions, which record it
    /// with a reason and tell the step's people. A value the ticket already
    /// has (a script sending back what it read) moves nothing and passes;
    /// any other is refused, naming its field and the way to move a ticket.
    pub fn refuse_edit(
        ticket_id: i64,
        now: (Tier, EscalationLevel),
        tier: Option<Tier>,
        level: Option<EscalationLevel>,
    ) -> Result<(), DomainError> {
        let refuse = |field: &'static str, what: &str| {
            DomainError::invalid(
                field,
                format!(
                    "{what} moves only through the escalation actions, which record the step with a reason and tell its people: \
                     POST /api/v1/tickets/{ticket_id}/escalations or /api/v1/tickets/{ticket_id}/de-escalations \
                     (on the ticket page, the Escalation card)"
                ),
            )
        };
        if tier.is_some_and(|t| t != now.0) {
            return Err(refuse("tier", "the tier"));
        }
        if level.is_some_and(|l| l != now.1) {
            return Err(refuse("escalation_level", "the escalation level"));
        }
        Ok(())
    }

    /// The step a ticket's columns stand for, when they agree: history
    /// written as it was (imports) must not make tier and step disagree.
    pub fn of_fields(field: &'static str, tier: Tier, level: EscalationLevel) -> Result<EscalationStep, DomainError> {
        let step = Self::of(tier, level);
        if step.fields() == (tier, level) {
            return Ok(step);
        }
        let (t, l) = step.fields();
        Err(DomainError::invalid(
            field,
            format!("tier {tier} and escalation level {level} name different steps; {} is tier {t} with level {l}", step.label()),
        ))
    }

    /// The next step up; above Engineering there is none (422 on `to`).
    pub fn up(self) -> Result<EscalationStep, DomainError> {
        Self::ALL
            .get(self.index() + 1)
            .copied()
            .ok_or_else(|| DomainError::invalid("to", "the ticket is with Engineering already; there is no step above it"))
    }

    /// The next step down; below tier 1 there is none (422 on `ticket`: a
    /// de-escalation names no step).
    pub fn down(self) -> Result<EscalationStep, DomainError> {
        self.index()
            .checked_sub(1)
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or_else(|| DomainError::invalid("ticket", "the ticket is at tier 1 already; there is no step below it"))
    }

    /// Where an escalation from `self` goes: the step asked for, which must
    /// be above, or else the next one up.
    pub fn escalate_to(self, asked: Option<EscalationStep>) -> Result<EscalationStep, DomainError> {
        match asked {
            Some(to) if to > self => Ok(to),
            Some(to) => Err(DomainError::invalid(
                "to",
                format!("escalation only goes up: the ticket is at {} and {} is not above it", self.label(), to.label()),
            )),
            None => self.up(),
        }
    }
}

impl std::fmt::Display for EscalationStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What moved a ticket along the path; each writes its own history event
/// and a `ticket_escalations` row with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    Escalate,
    DeEscalate,
    /// A difficult or aggressive customer: marked, and at tier 2 at least.
    NeedsSenior,
}

impl StepAction {
    pub const ALL: [StepAction; 3] = [StepAction::Escalate, StepAction::DeEscalate, StepAction::NeedsSenior];

    /// The action a stored name stands for.
    pub fn parse(s: &str) -> Option<StepAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::Escalate => "escalate",
            StepAction::DeEscalate => "de_escalate",
            StepAction::NeedsSenior => "needs_senior",
        }
    }

    pub fn event_field(self) -> EventField {
        match self {
            StepAction::Escalate => EventField::Escalated,
            StepAction::DeEscalate => EventField::DeEscalated,
            StepAction::NeedsSenior => EventField::NeedsSenior,
        }
    }

    /// The input that carries the text, for its errors.
    pub fn text_field(self) -> &'static str {
        match self {
            StepAction::DeEscalate => "note",
            _ => "reason",
        }
    }

    /// Where the action takes a ticket that stands at `from`: 422 (on `to`)
    /// above Engineering, below tier 1, or for a chosen step not above it.
    pub fn target(self, from: EscalationStep, asked: Option<EscalationStep>) -> Result<EscalationStep, DomainError> {
        match self {
            StepAction::Escalate => from.escalate_to(asked),
            StepAction::DeEscalate => from.down(),
            // A mark, not a move up the path: it only lifts tier 1 work.
            StepAction::NeedsSenior => Ok(from.max(EscalationStep::Tier2)),
        }
    }

    /// Two people acting on the step they both saw must not move the ticket
    /// twice (two tier-1 agents escalating at once would send it to the Head
    /// of Support): a move made from `seen` is refused with 409 when the
    /// ticket stands elsewhere `now`, and nothing is written. Marking
    /// "needs a senior" moves nothing back, so it never conflicts.
    pub fn check_unmoved(self, seen: EscalationStep, now: EscalationStep) -> Result<(), DomainError> {
        if self == StepAction::NeedsSenior || seen == now {
            return Ok(());
        }
        Err(DomainError::conflict(
            "from",
            format!("someone moved this ticket meanwhile: it is at {} now, not {}", now.label(), seen.label()),
        ))
    }
}

/// A reason or note: required, without control characters, bounded.
pub fn parse_reason(field: &'static str, raw: &str) -> Result<String, DomainError> {
    crate::validate::text(field, raw)?;
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, format!("a {field} is required")));
    }
    if s.chars().count() > REASON_MAX {
        return Err(DomainError::invalid(field, format!("{field} must be at most {REASON_MAX} characters")));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use EscalationStep::*;

    fn field_of(e: DomainError) -> (String, bool) {
        match e {
            DomainError::Invalid(f) => (f.field, false),
            DomainError::Conflict(f) => (f.field, true),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_path_goes_up_and_down_one_step_and_stops_at_its_ends() {
        assert_eq!(Tier1.up(), Ok(Tier2));
        assert_eq!(HeadOfSupport.up(), Ok(Engineering));
        assert_eq!(field_of(Engineering.up().expect_err("above engineering")), ("to".into(), false));
        assert_eq!(Engineering.down(), Ok(HeadOfSupport));
        assert_eq!(field_of(Tier1.down().expect_err("below tier 1")), ("ticket".into(), false));
        assert_eq!(Tier1.escalate_to(Some(Engineering)), Ok(Engineering), "skipping ahead");
        assert!(Tier2.escalate_to(Some(Tier1)).is_err() && Tier2.escalate_to(Some(Tier2)).is_err(), "only upward");
    }

    #[test]
    fn steps_map_to_tier_and_level_and_back() {
        for s in EscalationStep::ALL {
            let (tier, level) = s.fields();
            assert_eq!(EscalationStep::of(tier, level), s);
            assert_eq!(EscalationStep::parse("to", s.as_str()), Ok(s));
        }
        assert_eq!(Engineering.tier(), Tier::HEAD_OF_SUPPORT);
        // Hand-edited tickets from before: the higher of the two wins.
        let t = |n| Tier::new(n).expect("tier");
        let l = |n| EscalationLevel::new(n).expect("level");
        assert_eq!(EscalationStep::of(t(1), l(3)), Engineering);
        assert_eq!(EscalationStep::of(t(2), l(0)), Tier2);
        // Written as it was (imports): both columns must name one step.
        assert_eq!(EscalationStep::of_fields("fields", t(3), l(3)), Ok(Engineering));
        assert!(EscalationStep::of_fields("fields", t(1), l(3)).is_err(), "tier 1 cannot be with Engineering");
        assert!(EscalationStep::parse("to", "tier_9").is_err());
        assert_eq!(EscalationStep::label_of("head_of_support"), "Head of Support");
        assert_eq!(EscalationStep::label_of("later_step"), "later_step");
    }

    #[test]
    fn edits_never_move_the_step() {
        let t = |n| Tier::new(n).expect("tier");
        let l = |n| EscalationLevel::new(n).expect("level");
        let engineering = Engineering.fields();
        // Sent back as read: nothing moves, nothing is refused.
        assert_eq!(EscalationStep::refuse_edit(7, engineering, Some(t(3)), Some(l(3))), Ok(()));
        assert_eq!(EscalationStep::refuse_edit(7, engineering, None, None), Ok(()));
        // `{tier: 3}` once dropped an Engineering ticket to the Head's step; now only other values are refused.
        assert_eq!(EscalationStep::refuse_edit(7, engineering, Some(t(3)), None), Ok(()));
        for (tier, level, field) in [(Some(t(2)), None, "tier"), (None, Some(l(2)), "escalation_level"), (Some(t(1)), Some(l(0)), "tier")] {
            let DomainError::Invalid(e) = EscalationStep::refuse_edit(7, engineering, tier, level).expect_err("a move") else {
                panic!("not a 422")
            };
            assert_eq!(e.field, field);
            assert!(e.message.contains("/api/v1/tickets/7/escalations"), "{}", e.message);
        }
    }

    #[test]
    fn acting_on_a_step_someone_else_already_left_is_a_conflict() {
        assert_eq!(StepAction::Escalate.target(Tier1, None), Ok(Tier2));
        assert_eq!(StepAction::Escalate.target(Tier1, Some(Engineering)), Ok(Engineering));
        assert_eq!(field_of(StepAction::Escalate.target(Engineering, None).expect_err("above")), ("to".into(), false));
        assert_eq!(StepAction::DeEscalate.target(HeadOfSupport, None), Ok(Tier2));
        assert_eq!(field_of(StepAction::DeEscalate.target(Tier1, None).expect_err("below")), ("ticket".into(), false));
        assert_eq!(StepAction::NeedsSenior.target(Tier1, None), Ok(Tier2));
        assert_eq!(StepAction::NeedsSenior.target(HeadOfSupport, None), Ok(HeadOfSupport), "never down");
        // Two tier-1 agents saw tier 1; the first moved it to tier 2.
        assert_eq!(field_of(StepAction::Escalate.check_unmoved(Tier1, Tier2).expect_err("second")), ("from".into(), true));
        assert!(StepAction::DeEscalate.check_unmoved(Tier2, Tier1).is_err());
        assert!(StepAction::Escalate.check_unmoved(Tier2, Tier2).is_ok());
        assert!(StepAction::NeedsSenior.check_unmoved(Tier1, Tier2).is_ok());
    }

    #[test]
    fn reasons_are_required_and_clean() {
        assert_eq!(field_of(parse_reason("reason", "  ").expect_err("empty")).0, "reason");
        assert!(parse_reason("note", "bad\u{0}byte").is_err());
        assert_eq!(parse_reason("reason", " Needs a DB fix ").as_deref(), Ok("Needs a DB fix"));
        assert_eq!(StepAction::DeEscalate.text_field(), "note");
        assert_eq!(StepAction::NeedsSenior.event_field(), EventField::NeedsSenior);
    }
}
