//! The automatic mails Frontline sends, each switchable by admins, and the
//! words each one says by default: the one place that lists them (the
//! settings table, templates, the mail adapter and the admin page use these).
//! Kinds told to staff (`in_app`) also land in the recipient's bell, and
//! each staff user switches them off for themselves, in-app and mail apart.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    TicketCreated,
    PublicReply,
    TicketSolved,
    TicketAssigned,
    /// The ticket came to the recipient's step (escalated, or a senior is
    /// needed): sent to the users who work that step.
    TicketEscalated,
    /// A colleague asked the recipient (or the recipient's tier) for help
    /// on a ticket.
    HelpRequested,
    /// A ticket is near breach of an SLA target: to its assignee, or the
    /// people of its step when nobody has it.
    SlaWarning,
    /// An automatic rule asks someone to look at a ticket.
    RuleNotice,
    /// Account mail with a reset link: never switched off and never
    /// templated by admins, so it is not in `ALL` (the switchable kinds).
    PasswordReset,
    /// Account mail to someone an admin added without a password: a link
    /// to choose one. Like `PasswordReset`, never switched off or templated.
    Invitation,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 8] = [
        NotificationKind::TicketCreated,
        NotificationKind::PublicReply,
        NotificationKind::TicketSolved,
        NotificationKind::TicketAssigned,
        NotificationKind::TicketEscalated,
        NotificationKind::HelpRequested,
        NotificationKind::SlaWarning,
        NotificationKind::RuleNotice,
    ];

    /// Told to staff about their own work: each also goes to the
    /// recipients' bell, and each is switched per user (in-app and mail
    /// apart). A new staff-facing kind joins here.
    pub fn in_app(self) -> bool {
        matches!(
            self,
            NotificationKind::TicketAssigned
                | NotificationKind::TicketEscalated
                | NotificationKind::HelpRequested
                | NotificationKind::SlaWarning
                | NotificationKind::RuleNotice
        )
    }

    /// The kinds a staff user switches for themselves, in `ALL`'s order.
    pub fn personal() -> impl Iterator<Item = NotificationKind> {
        Self::ALL.into_iter().filter(|k| k.in_app())
    }

    /// A personal kind by name (`field` names the input, for the error).
    pub fn parse_personal(field: &'static str, s: &str) -> Result<Self, DomainError> {
        Self::personal().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::personal().map(|k| k.as_str()).collect();
            DomainError::invalid(field, format!("unknown notification '{s}'; use one of {}", names.join(", ")))
        })
    }

    /// What a bell item says happened (before the ticket's name).
    pub fn headline(self) -> &'static str {
        match self {
            NotificationKind::TicketAssigned => "Assigned to you",
            NotificationKind::TicketEscalated => "Escalated to your step",
            NotificationKind::HelpRequested => "Asked for your help",
            NotificationKind::SlaWarning => "Near SLA breach",
            NotificationKind::RuleNotice => "A rule asks you to look",
            NotificationKind::TicketCreated => "New ticket",
            NotificationKind::PublicReply => "New reply",
            NotificationKind::TicketSolved => "Solved",
            NotificationKind::PasswordReset => "Password reset",
            NotificationKind::Invitation => "Invitation",
        }
    }

    /// The switch's name on a user's own settings page.
    pub fn personal_label(self) -> &'static str {
        match self {
            NotificationKind::TicketAssigned => "A ticket is assigned to me",
            NotificationKind::TicketEscalated => "A ticket is escalated to my step",
            NotificationKind::HelpRequested => "Someone asks me or my tier for help",
            NotificationKind::SlaWarning => "A ticket of mine (or of my step, unassigned) nears an SLA breach",
            NotificationKind::RuleNotice => "An automatic rule names me",
            other => other.description(),
        }
    }

    /// The name stored (settings, templates, jobs, sent mail) and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "ticket_created",
            NotificationKind::PublicReply => "public_reply",
            NotificationKind::TicketSolved => "ticket_solved",
            NotificationKind::TicketAssigned => "ticket_assigned",
            NotificationKind::TicketEscalated => "ticket_escalated",
            NotificationKind::HelpRequested => "help_requested",
            NotificationKind::SlaWarning => "sla_warning",
            NotificationKind::RuleNotice => "rule_notice",
            NotificationKind::PasswordReset => "password_reset",
            NotificationKind::Invitation => "invitation",
        }
    }

    /// `field` names the input the kind came from, for the error.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
            DomainError::invalid(field, format!("unknown notification '{s}'; use one of {}", names.join(", ")))
        })
    }

    /// What the admin's switch does.
    pub fn description(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "Acknowledge new tickets to the requester",
            NotificationKind::PublicReply => "Send the team's public replies to the requester and followers",
            NotificationKind::TicketSolved => "Tell the requester when their ticket is solved",
            NotificationKind::TicketAssigned => "Tell an agent when someone assigns them a ticket",
            NotificationKind::TicketEscalated => "Tell the people of an escalation step when a ticket is escalated to it",
            NotificationKind::HelpRequested => "Tell a colleague, or the people of a tier, when someone asks them for help",
            NotificationKind::SlaWarning => "Warn a ticket's assignee (or its step's people) when it nears an SLA breach",
            NotificationKind::RuleNotice => "Mail the people an automatic rule names when it fires",
            NotificationKind::PasswordReset => "Mail a link to set a new password to whoever asks for one",
            NotificationKind::Invitation => "Mail a link to choose a password to people added without one",
        }
    }

    /// The default mail's first sentence.
    pub fn intro(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "We received your request and will get back to you.",
            NotificationKind::PublicReply => "There is a new reply to your request.",
            NotificationKind::TicketSolved => "Your request was marked as solved. Reply to this mail if it is not.",
            NotificationKind::TicketAssigned => "A ticket was assigned to you.",
            NotificationKind::TicketEscalated => "A ticket was escalated to your step. The reason:",
            NotificationKind::HelpRequested => "A colleague asked for your help on a ticket. The question:",
            NotificationKind::SlaWarning => "A ticket is close to breaching its SLA.",
            NotificationKind::RuleNotice => "An automatic rule asks you to look at a ticket.",
            NotificationKind::PasswordReset => "Someone asked to reset your password.",
            NotificationKind::Invitation => "You were invited to Frontline.",
        }
    }

    /// The default subject. Called with template placeholders it gives the
    /// default subject template, so both always say the same.
    pub fn subject(self, ticket_id: impl Display, subject: impl Display) -> String {
        match self {
            NotificationKind::TicketCreated => format!("[#{ticket_id}] {subject}"),
            NotificationKind::PublicReply => format!("Re: [#{ticket_id}] {subject}"),
            NotificationKind::TicketSolved => format!("[#{ticket_id}] Solved: {subject}"),
            NotificationKind::TicketAssigned => format!("[#{ticket_id}] Assigned to you: {subject}"),
            NotificationKind::TicketEscalated => format!("[#{ticket_id}] Escalated: {subject}"),
            NotificationKind::HelpRequested => format!("[#{ticket_id}] Help requested: {subject}"),
            NotificationKind::SlaWarning => format!("[#{ticket_id}] Near SLA breach: {subject}"),
            NotificationKind::RuleNotice => format!("[#{ticket_id}] Rule: {subject}"),
            NotificationKind::PasswordReset | NotificationKind::Invitation => subject.to_string(),
        }
    }

    /// Sent on a person's behalf (a reply), rather than by the machine:
    /// only those go without `Auto-Submitted`.
    pub fn is_automatic(self) -> bool {
        self != NotificationKind::PublicReply
    }

    /// Whether it goes to the agent assigned (else to the requester and followers).
    pub fn to_assignee(self) -> bool {
        self == NotificationKind::TicketAssigned
    }

    /// Whether only staff receive it, so it may carry an internal note
    /// (an escalation's reason).
    pub fn to_staff_only(self) -> bool {
        self.in_app()
    }
}

impl Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse("kind", k.as_str()).expect("parses"), k);
            let json = serde_json::to_string(&k).expect("json");
            assert_eq!(json, format!("\"{}\"", k.as_str()), "stored jobs keep the same name");
        }
        assert!(NotificationKind::parse("kind", "ticket_deleted").is_err());
    }

    #[test]
    fn account_mails_cannot_be_switched_off() {
        for k in [NotificationKind::PasswordReset, NotificationKind::Invitation] {
            assert!(!NotificationKind::ALL.contains(&k), "{k}");
            assert!(NotificationKind::parse("kind", k.as_str()).is_err(), "{k}");
        }
    }

    #[test]
    fn staff_kinds_are_personal_and_customer_mail_is_not() {
        let personal: Vec<NotificationKind> = NotificationKind::personal().collect();
        assert_eq!(
            personal,
            vec![
                NotificationKind::TicketAssigned,
                NotificationKind::TicketEscalated,
                NotificationKind::HelpRequested,
                NotificationKind::SlaWarning,
                NotificationKind::RuleNotice
            ]
        );
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse_personal("kind", k.as_str()).is_ok(), k.in_app(), "{k}");
            assert_eq!(k.to_staff_only(), k.in_app(), "{k}: the bell is for staff only");
        }
        assert!(NotificationKind::parse_personal("kind", "password_reset").is_err());
    }

    #[test]
    fn every_default_subject_keeps_the_ticket_token() {
        for k in NotificationKind::ALL {
            assert!(k.subject(1234, "Export").contains("[#1234]"), "{k}");
        }
    }
}
