use serde::{Deserialize, Serialize};

use crate::error::DomainError;
pub use crate::tier::{EscalationLevel, Tier};

/// Declares a closed set of string-coded values with parse/as_str/label,
/// used for the ticket's enumerated fields.
macro_rules! coded_enum {
    ($name:ident, $field:literal, { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(DomainError::invalid(
                        $field,
                        format!(concat!("'{}' is not a valid ", $field, "; use one of: {}"),
                            other, [$($code),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded_enum!(Status, "status", {
    New => ("new", "New"),
    Open => ("open", "Open"),
    Pending => ("pending", "Pending"),
    OnHold => ("on_hold", "On hold"),
    Solved => ("solved", "Solved"),
    Closed => ("closed", "Closed"),
});

coded_enum!(Priority, "priority", {
    Low => ("low", "Low"),
    Normal => ("normal", "Normal"),
    High => ("high", "High"),
    Urgent => ("urgent", "Urgent"),
});

coded_enum!(TicketType, "type", {
    Question => ("question", "Question"),
    Incident => ("incident", "Incident"),
    Problem => ("problem", "Problem"),
    Task => ("task", "Task"),
});

coded_enum!(MessageKind, "kind", {
    Public => ("public", "Public reply"),
    Internal => ("internal", "Internal note"),
});

coded_enum!(Channel, "channel", {
    Web => ("web", "Agent web app"),
    Portal => ("portal", "Customer portal"),
    Api => ("api", "API"),
    Email => ("email", "Email"),
});

impl Status {
    /// Statuses that still need work from the team.
    pub const OPEN_SET: &'static [Status] = &[Status::New, Status::Open, Status::Pending, Status::OnHold];

    pub fn is_open(self) -> bool {
        Self::OPEN_SET.contains(&self)
    }

    /// Closed is final: a closed ticket is never reopened, a follow-up
    /// becomes a new ticket (as in Zendesk), so that reports stay stable.
    pub fn check_transition(self, to: Status) -> Result<(), DomainError> {
        if self == Status::Closed && to != Status::Closed {
            return Err(DomainError::invalid("status", "a closed ticket cannot be reopened; create a follow-up ticket"));
        }
        if self != Status::New && to == Status::New {
            return Err(DomainError::invalid("status", "a ticket cannot go back to new"));
        }
        Ok(())
    }

    /// The status after a customer writes: a ticket waiting on them, on
    /// hold or solved needs the team again.
    pub fn after_customer_message(self) -> Status {
        match self {
            Status::Pending | Status::Solved | Status::OnHold => Status::Open,
            other => other,
        }
    }

    /// The status after the team's public reply with no status chosen:
    /// answering a new ticket starts work on it.
    pub fn after_team_reply(self) -> Status {
        if self == Status::New { Status::Open } else { self }
    }
}

/// Support tiers: 1 front line, 2 senior, 3 Head of Support (see `Tier`).
pub const MIN_TIER: i64 = Tier::MIN;
pub const MAX_TIER: i64 = Tier::MAX;

pub fn parse_tier(t: i64) -> Result<Tier, DomainError> {
    Tier::new(t)
}

pub fn tier_label(t: i64) -> &'static str {
    Tier::new(t).map_or("Unknown tier", Tier::label)
}

/// Escalation levels along the path tier 1 -> tier 2 -> Head -> Engineering.
pub fn escalation_label(level: i64) -> &'static str {
    EscalationLevel::new(level).map_or("Unknown", EscalationLevel::label)
}

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 100_000;
pub const TAG_MAX: usize = 40;
pub const TAGS_MAX: usize = 20;

pub fn parse_subject(raw: &str) -> Result<String, DomainError> {
    crate::validate::text("subject", raw)?;
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid("subject", "subject is required"));
    }
    if s.chars().count() > SUBJECT_MAX {
        return Err(DomainError::invalid("subject", format!("subject must be at most {SUBJECT_MAX} characters")));
    }
    crate::validate::label("subject", s)?;
    Ok(s.to_string())
}

pub fn parse_body(raw: &str) -> Result<String, DomainError> {
    crate::validate::text("body", raw)?;
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid("body", "message text is required"));
    }
    if s.chars().count() > BODY_MAX {
        return Err(DomainError::invalid("body", format!("message must be at most {BODY_MAX} characters")));
    }
    Ok(s.to_string())
}

/// Tags are lowercase words of letters, digits, '-', '_' and ':'; the
/// result is sorted and without duplicates so that diffs are stable.
pub fn parse_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, DomainError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw {
        crate::validate::text("tags", t.as_ref())?;
        let t = t.as_ref().trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > TAG_MAX {
            return Err(DomainError::invalid("tags", format!("tag '{t}' is longer than {TAG_MAX} characters")));
        }
        if !t.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')) {
            return Err(DomainError::invalid("tags", format!("tag '{t}' may only contain letters, digits, '-', '_', ':' and '.'")));
        }
        tags.push(t);
    }
    tags.sort();
    tags.dedup();
    if tags.len() > TAGS_MAX {
        return Err(DomainError::invalid("tags", format!("at most {TAGS_MAX} tags")));
    }
    Ok(tags)
}

/// Split a free-text tag field ("billing, api sso") into tags.
pub fn split_tags(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The ticket fields an update may touch, as they are before or after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFields {
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub ticket_type: TicketType,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub tier: Tier,
    pub escalation_level: EscalationLevel,
    pub tags: Vec<String>,
}

/// What a history event records: a field that changed, or what happened
/// to the ticket (created, a reply, a note). Stored as text in
/// `ticket_events.field`; the names are the API's, so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventField {
    Created,
    PublicReply,
    InternalNote,
    Subject,
    Status,
    Priority,
    Type,
    Assignee,
    Team,
    Tier,
    EscalationLevel,
    Tags,
    /// A customer-looking mail from someone outside the ticket, held for an agent.
    UnverifiedMail,
    /// An agent accepted such a mail as the customer's.
    MailAccepted,
    /// Steps on the escalation path (old and new value: step names, see
    /// `escalation::EscalationStep`); the reason is the internal note
    /// written with them.
    Escalated,
    DeEscalated,
    /// A difficult customer: a tier-2 agent should take over.
    NeedsSenior,
    /// Help requests (new value: the request's id).
    HelpRequested,
    HelpAnswered,
    HelpWithdrawn,
    /// The team's automatic assignment chose the assignee (new value: the
    /// team's mode); the `assignee` event beside it names whom.
    AutoAssigned,
    /// A near-breach warning went out (old value: the target, new value:
    /// its due time, RFC 3339).
    SlaWarning,
    /// An automatic rule fired (old value: the rule's id, new value: its name).
    RuleFired,
}

impl EventField {
    pub const ALL: &'static [EventField] = &[
        EventField::Created,
        EventField::PublicReply,
        EventField::InternalNote,
        EventField::Subject,
        EventField::Status,
        EventField::Priority,
        EventField::Type,
        EventField::Assignee,
        EventField::Team,
        EventField::Tier,
        EventField::EscalationLevel,
        EventField::Tags,
        EventField::UnverifiedMail,
        EventField::MailAccepted,
        EventField::Escalated,
        EventField::DeEscalated,
        EventField::NeedsSenior,
        EventField::HelpRequested,
        EventField::HelpAnswered,
        EventField::HelpWithdrawn,
        EventField::AutoAssigned,
        EventField::SlaWarning,
        EventField::RuleFired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventField::Created => "created",
            EventField::PublicReply => "public_reply",
            EventField::InternalNote => "internal_note",
            EventField::Subject => "subject",
            EventField::Status => "status",
            EventField::Priority => "priority",
            EventField::Type => "type",
            EventField::Assignee => "assignee",
            EventField::Team => "team",
            EventField::Tier => "tier",
            EventField::EscalationLevel => "escalation_level",
            EventField::Tags => "tags",
            EventField::UnverifiedMail => "unverified_mail",
            EventField::MailAccepted => "mail_accepted",
            EventField::Escalated => "escalated",
            EventField::DeEscalated => "de_escalated",
            EventField::NeedsSenior => "needs_senior",
            EventField::HelpRequested => "help_requested",
            EventField::HelpAnswered => "help_answered",
            EventField::HelpWithdrawn => "help_withdrawn",
            EventField::AutoAssigned => "auto_assigned",
            EventField::SlaWarning => "sla_warning",
            EventField::RuleFired => "rule_fired",
        }
    }

    /// None for a name this version does not know (a newer instance's).
    pub fn parse(s: &str) -> Option<EventField> {
        Self::ALL.iter().copied().find(|f| f.as_str() == s)
    }

    /// The event a message of this kind writes.
    pub fn of_message(kind: MessageKind) -> EventField {
        match kind {
            MessageKind::Public => EventField::PublicReply,
            MessageKind::Internal => EventField::InternalNote,
        }
    }
}

impl std::fmt::Display for EventField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded change: the unit of ticket history and of every metric
/// computed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: EventField,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

fn opt_id(v: Option<i64>) -> Option<String> {
    v.map(|i| i.to_string())
}

/// The events an update produces: one per field whose value changes.
pub fn diff(before: &TicketFields, after: &TicketFields) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: EventField, old: Option<String>, new: Option<String>| {
        if old != new {
            out.push(FieldChange { field, old_value: old, new_value: new });
        }
    };
    push(EventField::Subject, Some(before.subject.clone()), Some(after.subject.clone()));
    push(EventField::Status, Some(before.status.as_str().into()), Some(after.status.as_str().into()));
    push(EventField::Priority, Some(before.priority.as_str().into()), Some(after.priority.as_str().into()));
    push(EventField::Type, Some(before.ticket_type.as_str().into()), Some(after.ticket_type.as_str().into()));
    push(EventField::Assignee, opt_id(before.assignee_id), opt_id(after.assignee_id));
    push(EventField::Team, opt_id(before.team_id), opt_id(after.team_id));
    push(EventField::Tier, Some(before.tier.to_string()), Some(after.tier.to_string()));
    push(EventField::EscalationLevel, Some(before.escalation_level.to_string()), Some(after.escalation_level.to_string()));
    let join = |t: &[String]| {
        if t.is_empty() { None } else { Some(t.join(" ")) }
    };
    push(EventField::Tags, join(&before.tags), join(&after.tags));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> TicketFields {
        TicketFields {
            subject: "Webhook fails".into(),
            status: Status::New,
            priority: Priority::Normal,
            ticket_type: TicketType::Question,
            assignee_id: None,
            team_id: None,
            tier: Tier::FRONT_LINE,
            escalation_level: EscalationLevel::NONE,
            tags: vec![],
        }
    }

    #[test]
    fn parse_rejects_unknown_values_and_names_the_field() {
        assert_eq!(Status::parse("on_hold"), Ok(Status::OnHold));
        match Status::parse("done") {
            Err(DomainError::Invalid(e)) => {
                assert_eq!(e.field, "status");
                assert!(e.message.contains("new, open, pending, on_hold, solved, closed"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(Priority::parse("URGENT").is_err());
        assert_eq!(TicketType::parse("incident"), Ok(TicketType::Incident));
    }

    #[test]
    fn closed_is_final_and_new_is_only_initial() {
        assert!(Status::Closed.check_transition(Status::Open).is_err());
        assert!(Status::Open.check_transition(Status::New).is_err());
        assert!(Status::Solved.check_transition(Status::Open).is_ok());
        assert!(Status::New.check_transition(Status::Solved).is_ok());
    }

    #[test]
    fn diff_records_only_changed_fields() {
        let before = fields();
        let mut after = fields();
        assert!(diff(&before, &after).is_empty());
        after.status = Status::Open;
        after.assignee_id = Some(7);
        after.tags = vec!["api".into()];
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0], FieldChange { field: EventField::Status, old_value: Some("new".into()), new_value: Some("open".into()) });
        assert_eq!(changes[1], FieldChange { field: EventField::Assignee, old_value: None, new_value: Some("7".into()) });
        assert_eq!(changes[2].new_value.as_deref(), Some("api"));
    }

    #[test]
    fn messages_move_the_status() {
        for s in [Status::Pending, Status::Solved, Status::OnHold] {
            assert_eq!(s.after_customer_message(), Status::Open);
        }
        for s in [Status::New, Status::Open, Status::Closed] {
            assert_eq!(s.after_customer_message(), s);
        }
        assert_eq!(Status::New.after_team_reply(), Status::Open);
        assert_eq!(Status::Pending.after_team_reply(), Status::Pending);
    }

    #[test]
    fn subjects_bodies_and_tags_are_validated() {
        assert!(parse_subject("   ").is_err());
        assert!(parse_subject(&"x".repeat(201)).is_err());
        assert_eq!(parse_subject("  Hi ").as_deref(), Ok("Hi"));
        assert!(parse_subject("Refund \u{202E}dias\u{202C}").is_err());
        assert!(parse_subject("\u{200B}\u{FEFF}").is_err());
        assert!(parse_body("").is_err());
        assert_eq!(parse_tags(&["B", "a", "b", " "]), Ok(vec!["a".to_string(), "b".to_string()]));
        assert!(parse_tags(&["no spaces!"]).is_err());
        assert_eq!(split_tags("api, sso  billing"), vec!["api", "sso", "billing"]);
        assert!(parse_tier(4).is_err() && parse_tier(2).is_ok());
    }
}
