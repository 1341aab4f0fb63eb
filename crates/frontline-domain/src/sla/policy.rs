//! SLA policies: targets per priority, shares of the resolution target per
//! escalation step, and the ordered conditions that choose a policy for a
//! ticket.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ticket::{Channel, Priority};
use crate::{DomainError, FieldError};

/// Longest target a policy may set: a year of minutes.
pub const TARGET_MINUTES_MAX: i64 = 366 * 24 * 60;
/// Conditions per policy.
pub const CONDITIONS_MAX: usize = 20;

/// Each step of the escalation path has its own clock: the step is the
/// escalation path's own type.
pub use crate::escalation::EscalationStep;

/// Which of a ticket's promises a target is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// From the ticket's creation to the team's first public reply.
    FirstReply,
    /// From a customer's message (after the first reply) to the next public reply.
    NextReply,
    /// From creation to solved, across reopenings.
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [TargetKind::FirstReply, TargetKind::NextReply, TargetKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::FirstReply => "first_reply",
            TargetKind::NextReply => "next_reply",
            TargetKind::Resolution => "resolution",
        }
    }
}

/// How a target's minutes are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Hours {
    /// Only the minutes the policy's calendar calls business time.
    #[default]
    Business,
    /// Every minute, as a wall clock runs.
    Calendar,
}

/// One target. A member it does not know is refused (a typo of `hours`
/// would otherwise count business hours without a word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub minutes: i64,
    #[serde(default)]
    pub hours: Hours,
}

impl Target {
    pub fn business(minutes: i64) -> Self {
        Self { minutes, hours: Hours::Business }
    }
    pub fn calendar(minutes: i64) -> Self {
        Self { minutes, hours: Hours::Calendar }
    }
}

/// The targets for one priority; a missing one is not measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reply: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Target>,
}

impl PriorityTargets {
    pub fn get(&self, kind: TargetKind) -> Option<Target> {
        match kind {
            TargetKind::FirstReply => self.first_reply,
            TargetKind::NextReply => self.next_reply,
            TargetKind::Resolution => self.resolution,
        }
    }
}

/// One condition on a ticket; a policy applies when all of its hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum Condition {
    Organization(i64),
    /// The ticket's organization's support plan.
    SupportPlan(i64),
    Priority(Priority),
    Channel(Channel),
    Tag(String),
}

/// What a policy's conditions look at, taken from the ticket as it is now.
#[derive(Debug, Clone, Copy)]
pub struct TicketFacts<'a> {
    pub organization_id: Option<i64>,
    pub support_plan_id: Option<i64>,
    pub priority: Priority,
    pub channel: Channel,
    pub tags: &'a [String],
}

impl Condition {
    pub fn holds(&self, t: &TicketFacts<'_>) -> bool {
        match self {
            Condition::Organization(id) => t.organization_id == Some(*id),
            Condition::SupportPlan(id) => t.support_plan_id == Some(*id),
            Condition::Priority(p) => t.priority == *p,
            Condition::Channel(c) => t.channel == *c,
            Condition::Tag(tag) => t.tags.iter().any(|x| x == tag),
        }
    }
}

/// An SLA policy, checked. Its name, order and calendar live with the
/// stored row; this is the part the clock needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// All must hold; none means "every ticket" (a catch-all policy last).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub targets: BTreeMap<Priority, PriorityTargets>,
    /// Each step's share of the resolution target, in percent (together at
    /// most 100). A step without a share has no internal target.
    #[serde(default)]
    pub step_shares: BTreeMap<EscalationStep, u8>,
}

impl SlaPolicy {
    /// Check targets, shares and conditions, naming the field at fault
    /// (`targets.high.first_reply`, `step_shares.tier_1`, `conditions[2]`).
    /// Tags are brought to their stored form (trimmed, lower case).
    pub fn checked(mut self) -> Result<SlaPolicy, DomainError> {
        match self.check().into_iter().next() {
            Some(first) => Err(DomainError::Invalid(first)),
            None => Ok(self),
        }
    }

    /// Every field's problem at once, for a form; empty when `checked`
    /// accepts the policy.
    pub fn problems(&self) -> Vec<FieldError> {
        self.clone().check()
    }

    fn check(&mut self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.conditions.len() > CONDITIONS_MAX {
            out.push(FieldError::new("conditions", format!("at most {CONDITIONS_MAX} conditions")));
        }
        for (i, c) in self.conditions.iter_mut().enumerate() {
            let field = format!("conditions[{i}]");
            match c {
                Condition::Organization(id) | Condition::SupportPlan(id) if *id <= 0 => {
                    out.push(FieldError::new(field, "must name an existing record (a positive id)"));
                }
                Condition::Tag(tag) => match crate::ticket::parse_tags(&[tag.as_str()]) {
                    Ok(tags) => match tags.into_iter().next() {
                        Some(t) => *tag = t,
                        None => out.push(FieldError::new(field, "a tag condition needs a tag")),
                    },
                    Err(DomainError::Invalid(f)) => out.push(FieldError::new(field, f.message)),
                    Err(other) => out.push(FieldError::new(field, other.to_string())),
                },
                _ => {}
            }
        }
        for (priority, targets) in &self.targets {
            for kind in TargetKind::ALL {
                if let Some(t) = targets.get(kind)
                    && !(1..=TARGET_MINUTES_MAX).contains(&t.minutes)
                {
                    out.push(FieldError::new(
                        format!("targets.{priority}.{}", kind.as_str()),
                        format!("a target must be between 1 and {TARGET_MINUTES_MAX} minutes"),
                    ));
                }
            }
        }
        for (step, share) in &self.step_shares {
            if !(1..=100).contains(share) {
                out.push(FieldError::new(format!("step_shares.{}", step.as_str()), "a share is a percentage from 1 to 100"));
            }
        }
        let total: u32 = self.step_shares.values().map(|s| u32::from(*s)).sum();
        if total > 100 {
            out.push(FieldError::new("step_shares", format!("the steps' shares add up to {total}%, more than the whole target")));
        }
        out
    }

    pub fn target(&self, priority: Priority, kind: TargetKind) -> Option<Target> {
        self.targets.get(&priority).and_then(|t| t.get(kind))
    }

    pub fn matches(&self, ticket: &TicketFacts<'_>) -> bool {
        self.conditions.iter().all(|c| c.holds(ticket))
    }

    /// A step's share of a resolution target of `resolution_seconds`.
    pub fn step_share_seconds(&self, step: EscalationStep, resolution_seconds: i64) -> Option<i64> {
        self.step_shares.get(&step).map(|pct| resolution_seconds * i64::from(*pct) / 100)
    }
}

/// The first of `ordered` (in the admin's order) whose policy matches the
/// ticket: `policy_of` reads the policy out of whatever row type holds it.
pub fn select_policy<'a, T>(ordered: &'a [T], policy_of: impl Fn(&T) -> &SlaPolicy, ticket: &TicketFacts<'_>) -> Option<&'a T> {
    ordered.iter().find(|row| policy_of(row).matches(ticket))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tags: &[String]) -> TicketFacts<'_> {
        TicketFacts { organization_id: Some(7), support_plan_id: Some(2), priority: Priority::High, channel: Channel::Email, tags }
    }

    fn invalid_field(r: Result<SlaPolicy, DomainError>) -> String {
        match r {
            Err(DomainError::Invalid(f)) => f.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn the_first_policy_whose_conditions_all_hold_is_chosen() {
        let tags = vec!["billing".to_string()];
        let enterprise = SlaPolicy { conditions: vec![Condition::SupportPlan(3)], ..Default::default() };
        let urgent_mail =
            SlaPolicy { conditions: vec![Condition::Priority(Priority::Urgent), Condition::Channel(Channel::Email)], ..Default::default() };
        let premium_billing =
            SlaPolicy { conditions: vec![Condition::SupportPlan(2), Condition::Tag("billing".into())], ..Default::default() };
        let org_seven = SlaPolicy { conditions: vec![Condition::Organization(7)], ..Default::default() };
        let catch_all = SlaPolicy::default();
        let ordered =
            vec![("enterprise", enterprise), ("urgent", urgent_mail), ("premium", premium_billing), ("org", org_seven), ("all", catch_all)];
        let pick = |f: &TicketFacts<'_>| select_policy(&ordered, |r| &r.1, f).map(|r| r.0);
        assert_eq!(pick(&facts(&tags)), Some("premium"));
        assert_eq!(pick(&facts(&[])), Some("org"), "without the tag the next policy in order");
        let mut urgent = facts(&tags);
        urgent.priority = Priority::Urgent;
        assert_eq!(pick(&urgent), Some("urgent"), "order decides, not how specific a policy is");
        let stranger = TicketFacts { organization_id: None, support_plan_id: None, ..facts(&[]) };
        assert_eq!(pick(&stranger), Some("all"));
        assert_eq!(select_policy(&ordered[..1], |r| &r.1, &stranger).map(|r| r.0), None, "no policy: no SLA");
    }

    #[test]
    fn bad_policies_name_their_field() {
        let with_target = |minutes| SlaPolicy {
            targets: BTreeMap::from([(
                Priority::High,
                PriorityTargets { first_reply: Some(Target::business(minutes)), ..Default::default() },
            )]),
            ..Default::default()
        };
        assert_eq!(invalid_field(with_target(0).checked()), "targets.high.first_reply");
        assert_eq!(invalid_field(with_target(TARGET_MINUTES_MAX + 1).checked()), "targets.high.first_reply");
        assert!(with_target(60).checked().is_ok());
        let shares = |s: &[(EscalationStep, u8)]| SlaPolicy { step_shares: s.iter().copied().collect(), ..Default::default() };
        assert_eq!(invalid_field(shares(&[(EscalationStep::Tier1, 60), (EscalationStep::Tier2, 50)]).checked()), "step_shares");
        assert_eq!(invalid_field(shares(&[(EscalationStep::Engineering, 0)]).checked()), "step_shares.engineering");
        assert!(shares(&[(EscalationStep::Tier1, 25), (EscalationStep::Tier2, 75)]).checked().is_ok());
        let cond = |c: Condition| SlaPolicy { conditions: vec![Condition::Priority(Priority::Low), c], ..Default::default() };
        assert_eq!(invalid_field(cond(Condition::Tag("two words".into())).checked()), "conditions[1]");
        assert_eq!(invalid_field(cond(Condition::Tag("  ".into())).checked()), "conditions[1]");
        assert_eq!(invalid_field(cond(Condition::SupportPlan(0)).checked()), "conditions[1]");
        let ok = cond(Condition::Tag(" VIP ".into())).checked().unwrap_or_default();
        assert_eq!(ok.conditions[1], Condition::Tag("vip".into()), "tags are kept as the ticket keeps them");
    }

    #[test]
    fn a_form_gets_every_problem_at_once() {
        let p = SlaPolicy {
            conditions: vec![Condition::Organization(-1), Condition::Tag("a b".into())],
            targets: BTreeMap::from([
                (Priority::Low, PriorityTargets { resolution: Some(Target::business(0)), ..Default::default() }),
                (Priority::Urgent, PriorityTargets { next_reply: Some(Target::calendar(-5)), ..Default::default() }),
            ]),
            step_shares: BTreeMap::from([(EscalationStep::Tier1, 0), (EscalationStep::Tier2, 100), (EscalationStep::HeadOfSupport, 50)]),
        };
        let fields: Vec<String> = p.problems().into_iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            vec![
                "conditions[0]",
                "conditions[1]",
                "targets.low.resolution",
                "targets.urgent.next_reply",
                "step_shares.tier_1",
                "step_shares"
            ]
        );
        assert_eq!(invalid_field(p.checked()), "conditions[0]");
    }

    #[test]
    fn policies_read_and_write_plain_json() {
        let json = r#"{
            "conditions": [{"field": "support_plan", "value": 2}, {"field": "channel", "value": "email"}],
            "targets": {"urgent": {"first_reply": {"minutes": 30, "hours": "calendar"}, "resolution": {"minutes": 480}}},
            "step_shares": {"tier_1": 25, "tier_2": 75}
        }"#;
        let p: SlaPolicy = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.target(Priority::Urgent, TargetKind::FirstReply), Some(Target::calendar(30)));
        assert_eq!(p.target(Priority::Urgent, TargetKind::Resolution), Some(Target::business(480)));
        assert_eq!(p.target(Priority::Low, TargetKind::Resolution), None);
        assert_eq!(p.step_share_seconds(EscalationStep::Tier1, 480 * 60), Some(120 * 60));
        let again: SlaPolicy = serde_json::from_str(&serde_json::to_string(&p).unwrap_or_default()).unwrap_or_default();
        assert_eq!(again, p);
        assert!(serde_json::from_str::<SlaPolicy>(r#"{"targets": {"urgent": {"first_reply": {"minutes": 1}, "typo": 1}}}"#).is_err());
        assert!(serde_json::from_str::<SlaPolicy>(r#"{"targets": {"urgent": {"first_reply": {"minutes": 1, "unit": "h"}}}}"#).is_err());
    }

    #[test]
    fn steps_are_the_escalation_levels() {
        for step in EscalationStep::ALL {
            assert_eq!(EscalationStep::of_level(step.level()), step);
        }
        assert_eq!(EscalationStep::of_level(crate::tier::EscalationLevel::NONE), EscalationStep::Tier1);
    }
}
