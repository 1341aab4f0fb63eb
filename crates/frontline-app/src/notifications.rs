//! In-app notifications (the bell) and each staff user's own switches.
//!
//! One pipeline: a staff-facing event (escalation to a step, help request,
//! assignment, near-breach warning, a rule's notice) queues one `mail.notify` job in its own
//! transaction. When it runs, the job decides who is told (`staff_recipients`),
//! writes their bell items keyed by the job (a retry finds them there), and
//! mails those who keep mail on, if admins let the kind go out by mail.

use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::help::HelpStatus;
use frontline_domain::notification::NotificationKind;
use frontline_domain::tier::Tier;
use frontline_store::jobs::{Job, NotifyJob};
use frontline_store::notifications::{NewNotification, Notification, Preference};
use frontline_store::{Page, Ticket, User};

use crate::mail::Recipient;
use crate::{App, Result};

/// A bell item's detail is a glance, not the whole question.
const DETAIL_CHARS: usize = 140;

/// Who a staff notification reached, for the mail that follows.
#[derive(Debug, Default)]
pub(crate) struct StaffTold {
    /// Recipients who keep mail on for this kind.
    pub mail_to: Vec<Recipient>,
    /// What the mail carries when no message does (a help request's question).
    pub author: Option<String>,
    pub body: Option<String>,
}

/// The people a staff notification goes to, who caused it, and what to say.
struct Audience {
    users: Vec<User>,
    actor_id: Option<i64>,
    detail: String,
    author: Option<String>,
    body: Option<String>,
}

impl Audience {
    fn nobody() -> Self {
        Audience { users: vec![], actor_id: None, detail: String::new(), author: None, body: None }
    }
}

/// One switch of the settings page: the user's own, and whether admins
/// let the kind go out by mail at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferenceView {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
    pub mail_on_for_everyone: bool,
}

fn shorten(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", s[..cut].trim_end()),
        None => s.to_string(),
    }
}

impl App {
    /// Who a staff notification goes to, as the ticket and its rows stand
    /// when the job runs. A new staff kind adds its arm here.
    async fn staff_recipients(&self, p: &NotifyJob, ticket: &Ticket) -> Result<Audience> {
        Ok(match p.event {
            NotificationKind::TicketAssigned => {
                let Some(assignee) = ticket.assignee_id else { return Ok(Audience::nobody()) };
                let users = self.store.get_user(assignee).await?.filter(|u| u.active).into_iter().collect();
                Audience { users, actor_id: p.actor_id, detail: String::new(), author: None, body: None }
            }
            NotificationKind::TicketEscalated => {
                // The people of the step reached, not the one who escalated.
                let Some(note) = p.message_id else { return Ok(Audience::nobody()) };
                let Some(e) = self.store.escalation_by_note(note).await? else { return Ok(Audience::nobody()) };
                let users = self.step_workers(e.to_step).await?.into_iter().filter(|u| Some(u.id) != e.actor_id).collect();
                Audience { users, actor_id: e.actor_id, detail: e.to_step.label().to_string(), author: None, body: None }
            }
            NotificationKind::HelpRequested => {
                // The colleague asked, or the people whose tier was asked; an
                // answered or withdrawn question tells no one any more.
                let Some(id) = p.help_request_id else { return Ok(Audience::nobody()) };
                let Some(h) = self.store.get_help_request(id).await?.filter(|h| h.status == HelpStatus::Open) else {
                    return Ok(Audience::nobody());
                };
                let asked: Vec<User> = match (h.to_user_id, h.to_tier) {
                    (Some(to), _) => self.store.get_user(to).await?.filter(|u| u.active).into_iter().collect(),
                    // Those whose "My tier" queue is that tier: the people of its step.
                    (None, Some(tier)) => match Tier::new(tier) {
                        Ok(tier) => self.step_workers(EscalationStep::of_tier(tier)).await?,
                        Err(_) => vec![],
                    },
                    (None, None) => vec![],
                };
                let users = asked.into_iter().filter(|u| Some(u.id) != h.asked_by).collect();
                Audience { users, actor_id: h.asked_by, detail: shorten(&h.question), author: h.asked_by_name, body: Some(h.question) }
            }
            NotificationKind::SlaWarning => {
                // The assignee and the people of the ticket's step (its
                // queue), each once; each may switch the kind off.
                let mut users = self.step_workers(EscalationStep::of(ticket.tier, ticket.escalation_level)).await?;
                if let Some(id) = ticket.assignee_id.filter(|id| !users.iter().any(|u| u.id == *id)) {
                    users.extend(self.store.get_user(id).await?.filter(|u| u.active));
                }
                // Which target, and when it falls due, as the last SLA pass saw it.
                let detail = match self.store.stored_sla(ticket.id).await? {
                    Some(s) => match (s.due_target, s.due_at) {
                        (Some(target), Some(due)) => format!("{} due {} UTC", target.replace('_', " "), due.format("%Y-%m-%d %H:%M")),
                        _ => String::new(),
                    },
                    None => String::new(),
                };
                Audience { users, actor_id: None, detail, author: None, body: None }
            }
            NotificationKind::RuleNotice => {
                // The people the rule named when it fired, still active staff.
                let users = self
                    .store
                    .users_by_ids(&p.to_users)
                    .await?
                    .into_iter()
                    .filter(|u| u.active && authz::has_notifications(&u.actor()))
                    .collect();
                Audience { users, actor_id: None, detail: String::new(), author: None, body: None }
            }
            NotificationKind::TicketCreated
            | NotificationKind::PublicReply
            | NotificationKind::TicketSolved
            | NotificationKind::PasswordReset
            | NotificationKind::Invitation => Audience::nobody(),
        })
    }

    /// Fill the bell of a staff notification's recipients (those who keep
    /// it on), once per job and person; return who keeps mail on.
    pub(crate) async fn tell_staff(&self, p: &NotifyJob, job: &Job, ticket: &Ticket) -> Result<StaffTold> {
        let audience = self.staff_recipients(p, ticket).await?;
        let ids: Vec<i64> = audience.users.iter().map(|u| u.id).collect();
        let switches = self.store.preferences_for(&ids, p.event).await?;
        let on = |id: i64| switches.iter().find(|(u, _, _)| *u == id).map_or((true, true), |(_, a, m)| (*a, *m));
        let source = p.source(job.id);
        let items: Vec<NewNotification> = audience
            .users
            .iter()
            .filter(|u| on(u.id).0)
            .map(|u| NewNotification {
                user_id: u.id,
                kind: p.event,
                ticket_id: ticket.id,
                actor_id: audience.actor_id,
                detail: audience.detail.clone(),
                source: source.clone(),
            })
            .collect();
        self.store.record_notifications(&items).await?;
        // Never our own mailbox: that mail would come straight back as a loop.
        let mail_to = audience
            .users
            .into_iter()
            .filter(|u| on(u.id).1 && !self.config.is_own_address(&u.email))
            .map(|u| Recipient { name: u.name, email: u.email })
            .collect();
        Ok(StaffTold { mail_to, author: audience.author, body: audience.body })
    }

    fn bell_owner(actor: &Actor) -> Result<i64> {
        actor
            .user_id()
            .filter(|_| authz::has_notifications(actor))
            .ok_or_else(|| DomainError::Forbidden("notifications are for staff").into())
    }

    /// The actor's own items, newest first.
    pub async fn my_notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Page<Notification>> {
        let me = Self::bell_owner(actor)?;
        Ok(self.store.list_notifications(me, unread_only, before_id, limit.clamp(1, 100)).await?)
    }

    /// The bell's count (capped at `UNREAD_CAP`); 0 for whoever has no bell.
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        match Self::bell_owner(actor) {
            Ok(me) => Ok(self.store.unread_notifications(me).await?),
            Err(_) => Ok(0),
        }
    }

    /// Mark one of the actor's items read (opening it does); 404 for anyone else's.
    pub async fn read_notification(&self, actor: &Actor, id: i64) -> Result<Notification> {
        let me = Self::bell_owner(actor)?;
        let found = self.store.get_notification(id).await?.filter(|n| authz::can_read_notification(actor, n.user_id));
        if found.is_none() || !self.store.mark_notification_read(me, id).await? {
            return Err(DomainError::NotFound("notification").into());
        }
        Ok(self.store.get_notification(id).await?.ok_or(DomainError::NotFound("notification"))?)
    }

    /// Mark all the actor's items read; how many were unread.
    pub async fn read_all_notifications(&self, actor: &Actor) -> Result<u64> {
        let me = Self::bell_owner(actor)?;
        Ok(self.store.mark_all_notifications_read(me).await?)
    }

    /// The actor's switches for every personal kind.
    pub async fn notification_preferences(&self, actor: &Actor) -> Result<Vec<PreferenceView>> {
        let me = Self::bell_owner(actor)?;
        let mine = self.store.notification_preferences(me).await?;
        let admin = if self.mailer.is_some() { self.store.notification_settings().await? } else { vec![] };
        Ok(mine
            .into_iter()
            .map(|p| PreferenceView {
                kind: p.kind,
                in_app: p.in_app,
                email: p.email,
                mail_on_for_everyone: admin.iter().any(|(k, on)| k == p.kind.as_str() && *on),
            })
            .collect())
    }

    /// Change the actor's switches: (kind, in_app, email) for the kinds
    /// given; others keep theirs. Every unknown kind is refused before
    /// anything is saved.
    pub async fn set_notification_preferences(&self, actor: &Actor, changes: &[(String, bool, bool)]) -> Result<Vec<PreferenceView>> {
        let me = Self::bell_owner(actor)?;
        let mut prefs = Vec::with_capacity(changes.len());
        for (i, (kind, in_app, email)) in changes.iter().enumerate() {
            // Named by its place in the list, so a client finds the wrong one.
            let field = format!("settings[{i}].kind");
            frontline_domain::validate::text("kind", kind).map_err(|e| DomainError::invalid(field.clone(), e.to_string()))?;
            if kind.chars().count() > 64 {
                return Err(DomainError::invalid(field, "not a notification kind").into());
            }
            let kind = NotificationKind::parse_personal("kind", kind).map_err(|e| match e {
                DomainError::Invalid(f) => DomainError::invalid(field.clone(), f.message),
                other => other,
            })?;
            if prefs.iter().any(|p: &Preference| p.kind == kind) {
                return Err(DomainError::invalid(field, format!("{kind} is listed twice")).into());
            }
            prefs.push(Preference { kind, in_app: *in_app, email: *email });
        }
        self.store.set_notification_preferences(me, &prefs).await?;
        self.notification_preferences(actor).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_questions_are_cut_at_a_glance() {
        assert_eq!(shorten("  Seen this?  "), "Seen this?");
        let long = "é".repeat(200);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), DETAIL_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
