//! Automatic rules: on a breach, a near breach or time spent in a status, a
//! rule escalates, reassigns, changes priority or notifies. Pure: the draft
//! an admin sends is parsed into a checked `RuleSpec` (every field's
//! problem at once), and the effect on a ticket's fields is computed here;
//! the app looks the referenced teams and users up and the store keeps
//! "once per ticket and condition instance".

use serde::{Deserialize, Serialize};

use crate::escalation::EscalationStep;
use crate::sla::TargetKind;
use crate::ticket::{Priority, Status, TicketFields};
use crate::{DomainError, FieldError};

/// Longest wait a time-in-status condition accepts (a year).
pub const MINUTES_MAX: i64 = 366 * 24 * 60;
/// Most people one notify rule mails.
pub const NOTIFY_USERS_MAX: usize = 50;
pub const NAME_MAX: usize = 100;

/// When a rule fires. Each condition has instances (see `instance` in the
/// store): a rule fires once per ticket and instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleCondition {
    /// A target (or any target) is breached; instance: the breach instant.
    Breached { target: Option<TargetKind> },
    /// The ticket entered the warning lead of its next due time; instance: that due time.
    NearBreach,
    /// The ticket has been in `status` for `minutes`; instance: when it entered the status.
    TimeInStatus { status: Status, minutes: i64 },
}

impl RuleCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleCondition::Breached { .. } => "breached",
            RuleCondition::NearBreach => "near_breach",
            RuleCondition::TimeInStatus { .. } => "time_in_status",
        }
    }

    /// In words, for the rules page and the history.
    pub fn describe(self) -> String {
        match self {
            RuleCondition::Breached { target: None } => "any SLA target breached".into(),
            RuleCondition::Breached { target: Some(t) } => format!("{} target breached", t.as_str().replace('_', " ")),
            RuleCondition::NearBreach => "near breach".into(),
            RuleCondition::TimeInStatus { status, minutes } => format!("{} for {minutes} min", status.label()),
        }
    }
}

/// Which tickets a rule looks at, beyond its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RuleFilters {
    #[serde(default)]
    pub team_id: Option<i64>,
    #[serde(default)]
    pub priority: Option<Priority>,
}

impl RuleFilters {
    pub fn matches(&self, team_id: Option<i64>, priority: Priority) -> bool {
        self.team_id.is_none_or(|t| team_id == Some(t)) && self.priority.is_none_or(|p| p == priority)
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleEffect {
    /// One step up the escalation path, the rule's name as the reason.
    Escalate,
    /// To a user (None: unassigned) and, if given, to a team.
    Reassign {
        assignee_id: Option<i64>,
        team_id: Option<i64>,
    },
    SetPriority {
        priority: Priority,
    },
    /// Mail these users and/or the people working a step.
    Notify {
        user_ids: Vec<i64>,
        step: Option<EscalationStep>,
    },
}

impl RuleEffect {
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleEffect::Escalate => "escalate",
            RuleEffect::Reassign { .. } => "reassign",
            RuleEffect::SetPriority { .. } => "set_priority",
            RuleEffect::Notify { .. } => "notify",
        }
    }

    /// The new fields of a reassign or priority change (the ticket as it
    /// is, locked); None for effects that are not field edits.
    pub fn apply(&self, before: &TicketFields) -> Option<TicketFields> {
        let mut after = before.clone();
        match self {
            RuleEffect::Reassign { assignee_id, team_id } => {
                after.assignee_id = *assignee_id;
                if team_id.is_some() {
                    after.team_id = *team_id;
                }
            }
            RuleEffect::SetPriority { priority } => after.priority = *priority,
            RuleEffect::Escalate | RuleEffect::Notify { .. } => return None,
        }
        Some(after)
    }
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    pub name: String,
    pub enabled: bool,
    pub condition: RuleCondition,
    pub filters: RuleFilters,
    pub effect: RuleEffect,
}

/// Who and what a rule names, to check that they exist (at save) and
/// still exist (at each tick). Fields are the draft's, for the 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Team { field: &'static str, id: i64 },
    User { field: &'static str, id: i64 },
}

impl RuleSpec {
    pub fn references(&self) -> Vec<Reference> {
        RuleDraft::of(self).references()
    }
}

/// A rule as an admin sends it (API body or form), flat so that each
/// input has its own name for its error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDraft {
    pub name: String,
    pub enabled: bool,
    /// breached | near_breach | time_in_status
    pub condition: String,
    /// Breached only: first_reply | next_reply | resolution; empty: any.
    pub target: Option<String>,
    /// Time in status only.
    pub status: Option<String>,
    pub minutes: Option<i64>,
    /// Filters.
    pub team_id: Option<i64>,
    pub priority: Option<String>,
    /// escalate | reassign | set_priority | notify
    pub action: String,
    /// Reassign: the new assignee (empty: unassigned) and team (empty: unchanged).
    pub assignee_id: Option<i64>,
    pub to_team_id: Option<i64>,
    /// Set priority.
    pub new_priority: Option<String>,
    /// Notify.
    pub notify_user_ids: Vec<i64>,
    pub notify_step: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn positive(out: &mut Vec<FieldError>, field: &str, id: Option<i64>) -> Option<i64> {
    match id {
        Some(i) if i <= 0 => {
            out.push(FieldError::new(field, "must name an existing record (a positive id)"));
            None
        }
        other => other,
    }
}

fn field_error(out: &mut Vec<FieldError>, field: &str, e: DomainError) {
    match e {
        DomainError::Invalid(f) => out.push(FieldError::new(field, f.message)),
        other => out.push(FieldError::new(field, other.to_string())),
    }
}

impl RuleDraft {
    /// The teams and users the draft names where its action uses them (a
    /// positive id; others are `parse`'s problems), also when other fields
    /// are wrong: so that a missing one is told with the draft's other
    /// problems, not after they are fixed.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = vec![];
        let named = |id: Option<i64>| id.filter(|i| *i > 0);
        if let Some(id) = named(self.team_id) {
            out.push(Reference::Team { field: "team_id", id });
        }
        match self.action.trim() {
            "reassign" => {
                if let Some(id) = named(self.assignee_id) {
                    out.push(Reference::User { field: "assignee_id", id });
                }
                if let Some(id) = named(self.to_team_id) {
                    out.push(Reference::Team { field: "to_team_id", id });
                }
            }
            "notify" => {
                let mut ids: Vec<i64> = self.notify_user_ids.iter().copied().filter(|i| *i > 0).collect();
                ids.sort_unstable();
                ids.dedup();
                out.extend(ids.into_iter().map(|id| Reference::User { field: "notify_user_ids", id }));
            }
            _ => {}
        }
        out
    }

    /// Values the draft's condition or action does not use: refused rather
    /// than dropped, so that what was sent is what is saved. Only for a
    /// known condition and action (an unknown one is its own problem).
    fn unused(&self, out: &mut Vec<FieldError>) {
        let condition = self.condition.trim();
        if ["breached", "near_breach"].contains(&condition) {
            if given(&self.status).is_some() {
                out.push(FieldError::new("status", "only a time-in-status rule has a status; leave it empty"));
            }
            if self.minutes.is_some() {
                out.push(FieldError::new("minutes", "only a time-in-status rule counts minutes; leave it empty"));
            }
        }
        let action = self.action.trim();
        if !["escalate", "reassign", "set_priority", "notify"].contains(&action) {
            return;
        }
        if action != "reassign" {
            if self.assignee_id.is_some() {
                out.push(FieldError::new("assignee_id", "only a reassign rule names an assignee; leave it empty"));
            }
            if self.to_team_id.is_some() {
                out.push(FieldError::new("to_team_id", "only a reassign rule moves tickets to a team; leave it empty"));
            }
        }
        if action != "set_priority" && given(&self.new_priority).is_some() {
            out.push(FieldError::new("new_priority", "only a set-priority rule sets a priority; leave it empty"));
        }
        if action != "notify" {
            if !self.notify_user_ids.is_empty() {
                out.push(FieldError::new("notify_user_ids", "only a notify rule mails people; leave it empty"));
            }
            if given(&self.notify_step).is_some() {
                out.push(FieldError::new("notify_step", "only a notify rule mails a step's people; leave it empty"));
            }
        }
    }

    /// The checked rule, or every field's problem at once.
    pub fn parse(&self) -> Result<RuleSpec, Vec<FieldError>> {
        let mut out = vec![];
        let name = match crate::validate::name("name", &self.name, NAME_MAX) {
            Ok(n) => Some(n),
            Err(e) => {
                field_error(&mut out, "name", e);
                None
            }
        };
        let target = match given(&self.target) {
            None => None,
            Some(t) => match TargetKind::ALL.into_iter().find(|k| k.as_str() == t) {
                Some(k) => Some(k),
                None => {
                    out.push(FieldError::new("target", "use first_reply, next_reply or resolution (or leave empty for any)"));
                    None
                }
            },
        };
        let condition = match self.condition.trim() {
            "breached" => Some(RuleCondition::Breached { target }),
            "near_breach" => Some(RuleCondition::NearBreach),
            "time_in_status" => {
                let status = match given(&self.status) {
                    None => {
                        out.push(FieldError::new("status", "a time-in-status rule needs a status"));
                        None
                    }
                    Some(s) => match Status::parse(s) {
                        Ok(Status::Closed) => {
                            out.push(FieldError::new("status", "closed tickets never change again; choose another status"));
                            None
                        }
                        Ok(s) => Some(s),
                        Err(e) => {
                            field_error(&mut out, "status", e);
                            None
                        }
                    },
                };
                let minutes = match self.minutes {
                    Some(m) if (1..=MINUTES_MAX).contains(&m) => Some(m),
                    _ => {
                        out.push(FieldError::new("minutes", format!("a number of minutes from 1 to {MINUTES_MAX}")));
                        None
                    }
                };
                status.zip(minutes).map(|(status, minutes)| RuleCondition::TimeInStatus { status, minutes })
            }
            _ => {
                out.push(FieldError::new("condition", "use breached, near_breach or time_in_status"));
                None
            }
        };
        if target.is_some() && !matches!(condition, Some(RuleCondition::Breached { .. })) {
            out.push(FieldError::new("target", "only a breach condition names a target"));
        }
        let team_id = positive(&mut out, "team_id", self.team_id);
        let priority = match given(&self.priority) {
            None => None,
            Some(p) => Priority::parse(p).map_err(|e| field_error(&mut out, "priority", e)).ok(),
        };
        let effect = match self.action.trim() {
            "escalate" => Some(RuleEffect::Escalate),
            "reassign" => {
                let assignee_id = positive(&mut out, "assignee_id", self.assignee_id);
                let team_id = positive(&mut out, "to_team_id", self.to_team_id);
                Some(RuleEffect::Reassign { assignee_id, team_id })
            }
            "set_priority" => match given(&self.new_priority) {
                None => {
                    out.push(FieldError::new("new_priority", "choose the priority to set"));
                    None
                }
                Some(p) => Priority::parse(p)
                    .map_err(|e| field_error(&mut out, "new_priority", e))
                    .ok()
                    .map(|priority| RuleEffect::SetPriority { priority }),
            },
            "notify" => {
                let step = match given(&self.notify_step) {
                    None => None,
                    Some(s) => EscalationStep::parse("notify_step", s).map_err(|e| field_error(&mut out, "notify_step", e)).ok(),
                };
                let mut user_ids = self.notify_user_ids.clone();
                user_ids.sort_unstable();
                user_ids.dedup();
                if user_ids.iter().any(|i| *i <= 0) {
                    out.push(FieldError::new("notify_user_ids", "must name existing users (positive ids)"));
                } else if user_ids.len() > NOTIFY_USERS_MAX {
                    out.push(FieldError::new("notify_user_ids", format!("at most {NOTIFY_USERS_MAX} people")));
                } else if user_ids.is_empty() && step.is_none() && given(&self.notify_step).is_none() {
                    out.push(FieldError::new("notify_user_ids", "name the people to tell, or a step whose people are told"));
                }
                Some(RuleEffect::Notify { user_ids, step })
            }
            _ => {
                out.push(FieldError::new("action", "use escalate, reassign, set_priority or notify"));
                None
            }
        };
        self.unused(&mut out);
        match (name, condition, effect) {
            (Some(name), Some(condition), Some(effect)) if out.is_empty() => {
                Ok(RuleSpec { name, enabled: self.enabled, condition, filters: RuleFilters { team_id, priority }, effect })
            }
            _ => Err(out),
        }
    }

    /// The draft that gives back `spec` (to fill the edit form).
    pub fn of(spec: &RuleSpec) -> RuleDraft {
        let mut d = RuleDraft {
            name: spec.name.clone(),
            enabled: spec.enabled,
            condition: spec.condition.as_str().into(),
            team_id: spec.filters.team_id,
            priority: spec.filters.priority.map(|p| p.as_str().into()),
            action: spec.effect.as_str().into(),
            ..RuleDraft::default()
        };
        match spec.condition {
            RuleCondition::Breached { target } => d.target = target.map(|t| t.as_str().into()),
            RuleCondition::NearBreach => {}
            RuleCondition::TimeInStatus { status, minutes } => {
                d.status = Some(status.as_str().into());
                d.minutes = Some(minutes);
            }
        }
        match &spec.effect {
            RuleEffect::Escalate => {}
            RuleEffect::Reassign { assignee_id, team_id } => {
                d.assignee_id = *assignee_id;
                d.to_team_id = *team_id;
            }
            RuleEffect::SetPriority { priority } => d.new_priority = Some(priority.as_str().into()),
            RuleEffect::Notify { user_ids, step } => {
                d.notify_user_ids = user_ids.clone();
                d.notify_step = step.map(|s| s.as_str().into());
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(condition: &str, action: &str) -> RuleDraft {
        RuleDraft {
            name: "Breach to tier 2".into(),
            enabled: true,
            condition: condition.into(),
            action: action.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_draft_parses_and_round_trips() {
        let mut d = draft("time_in_status", "reassign");
        d.status = Some("pending".into());
        d.minutes = Some(90);
        d.priority = Some("high".into());
        d.assignee_id = Some(4);
        d.to_team_id = Some(2);
        let spec = d.parse().expect("parses");
        assert_eq!(spec.condition, RuleCondition::TimeInStatus { status: Status::Pending, minutes: 90 });
        assert_eq!(spec.effect, RuleEffect::Reassign { assignee_id: Some(4), team_id: Some(2) });
        assert_eq!(RuleDraft::of(&spec).parse().expect("again"), spec);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut d = draft("time_in_status", "set_priority");
        d.name = "  ".into();
        d.status = Some("sleeping".into());
        d.minutes = Some(0);
        d.team_id = Some(-1);
        let fields: Vec<String> = d.parse().expect_err("refused").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "status", "minutes", "team_id", "new_priority"]);
    }

    #[test]
    fn unknown_condition_and_action_are_refused_with_their_fields() {
        let fields: Vec<String> = draft("sunset", "delete").parse().expect_err("refused").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["condition", "action"]);
    }

    #[test]
    fn a_target_only_goes_with_a_breach() {
        let mut d = draft("near_breach", "escalate");
        d.target = Some("resolution".into());
        assert_eq!(d.parse().expect_err("refused")[0].field, "target");
        let mut d = draft("breached", "escalate");
        d.target = Some("resolution".into());
        assert_eq!(d.parse().expect("ok").condition, RuleCondition::Breached { target: Some(TargetKind::Resolution) });
    }

    #[test]
    fn notify_needs_someone() {
        assert_eq!(draft("near_breach", "notify").parse().expect_err("refused")[0].field, "notify_user_ids");
        let mut d = draft("near_breach", "notify");
        d.notify_step = Some("tier_2".into());
        d.notify_user_ids = vec![3, 3, 1];
        assert_eq!(d.parse().expect("ok").effect, RuleEffect::Notify { user_ids: vec![1, 3], step: Some(EscalationStep::Tier2) });
    }

    #[test]
    fn references_name_the_draft_fields() {
        let mut d = draft("near_breach", "reassign");
        d.team_id = Some(1);
        d.assignee_id = Some(7);
        d.to_team_id = Some(2);
        let spec = d.parse().expect("ok");
        assert_eq!(
            spec.references(),
            vec![
                Reference::Team { field: "team_id", id: 1 },
                Reference::User { field: "assignee_id", id: 7 },
                Reference::Team { field: "to_team_id", id: 2 }
            ]
        );
    }

    #[test]
    fn values_the_rule_does_not_use_are_refused() {
        let mut d = draft("near_breach", "escalate");
        d.status = Some("pending".into());
        d.minutes = Some(5);
        d.assignee_id = Some(4);
        d.to_team_id = Some(2);
        d.new_priority = Some("high".into());
        d.notify_user_ids = vec![3];
        d.notify_step = Some("tier_2".into());
        let fields: Vec<String> = d.parse().expect_err("refused").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["status", "minutes", "assignee_id", "to_team_id", "new_priority", "notify_user_ids", "notify_step"]);
        // Empty values are not values.
        let mut d = draft("near_breach", "escalate");
        d.status = Some(" ".into());
        d.new_priority = Some(String::new());
        assert!(d.parse().is_ok());
    }

    #[test]
    fn a_draft_names_its_references_even_when_it_is_wrong() {
        let mut d = draft("sunset", "notify");
        d.team_id = Some(5);
        d.notify_user_ids = vec![9, -1, 9, 8];
        assert!(d.parse().is_err());
        assert_eq!(
            d.references(),
            vec![
                Reference::Team { field: "team_id", id: 5 },
                Reference::User { field: "notify_user_ids", id: 8 },
                Reference::User { field: "notify_user_ids", id: 9 }
            ]
        );
    }

    #[test]
    fn filters_and_field_effects() {
        let f = RuleFilters { team_id: Some(2), priority: Some(Priority::High) };
        assert!(f.matches(Some(2), Priority::High));
        assert!(!f.matches(None, Priority::High) && !f.matches(Some(2), Priority::Low));
        assert!(RuleFilters::default().matches(None, Priority::Low));
    }
}
