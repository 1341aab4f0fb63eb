//! Escalation use cases: escalate, de-escalate, "needs a senior".
//!
//! Each is an action, not a field edit: it carries no version (the
//! ticket's `updated_at`), so a reply or a priority change meanwhile never
//! refuses it. It locks the ticket in its transaction
//! (`Store::modify_ticket_step`) and checks the one thing that matters:
//! the ticket still stands at the step the person saw (`from`, or the step
//! read when the request came). If someone moved it meanwhile, the second
//! move is refused with 409 and writes nothing, so two tier-1 agents
//! escalating at once leave the ticket at tier 2 with the first one's
//! reason, never at the Head of Support's step.

use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::escalation::{self, EscalationStep, StepAction};
use frontline_domain::notification::NotificationKind;
use frontline_domain::ticket::{Channel, MessageKind, Status};
use frontline_store::escalations::Escalation;
use frontline_store::idempotency::IdempotencyMark;
use frontline_store::tickets::{Effects, FireOnce, Modify, NewMessage, StepChange};
use frontline_store::{Ticket, User};

use crate::views::TicketView;
use crate::{App, Result};

/// An action on the escalation path as a person asked for it.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub action: StepAction,
    /// The reason (escalate, needs a senior) or note (de-escalate).
    pub text: String,
    /// Escalate only: a step further up than the next one.
    pub to: Option<String>,
    /// The step the person saw; None: where the ticket is when asked.
    pub from: Option<String>,
    pub channel: Channel,
}

impl StepRequest {
    pub fn escalate(reason: impl Into<String>, to: Option<String>, channel: Channel) -> Self {
        StepRequest { action: StepAction::Escalate, text: reason.into(), to, from: None, channel }
    }
    pub fn de_escalate(note: impl Into<String>, channel: Channel) -> Self {
        StepRequest { action: StepAction::DeEscalate, text: note.into(), to: None, from: None, channel }
    }
    pub fn needs_senior(reason: impl Into<String>, channel: Channel) -> Self {
        StepRequest { action: StepAction::NeedsSenior, text: reason.into(), to: None, from: None, channel }
    }
}

/// An escalation an automatic rule makes: who signs its note (the admin
/// who last saved the rule; a note has a person as its author) and the
/// firing written with it.
#[derive(Debug, Clone)]
pub(crate) struct RuleStep {
    pub author_id: i64,
    pub once: FireOnce,
}

/// The note's first words say what happened, so the conversation reads on
/// its own.
fn note_text(action: StepAction, to: EscalationStep, text: &str) -> String {
    match action {
        StepAction::Escalate => format!("Escalated to {}: {text}", to.label()),
        StepAction::DeEscalate => format!("Sent back to {}: {text}", to.label()),
        StepAction::NeedsSenior => format!("Needs a senior: {text}"),
    }
}

impl App {
    /// Escalate, de-escalate or mark "needs a senior". Returns the ticket after.
    pub async fn step(&self, actor: &Actor, id: i64, req: &StepRequest) -> Result<TicketView> {
        self.step_keyed(actor, id, req, None).await
    }

    /// `step` under an API request's Idempotency-Key, marked in its transaction.
    pub async fn step_keyed(&self, actor: &Actor, id: i64, req: &StepRequest, idempotency: Option<IdempotencyMark>) -> Result<TicketView> {
        Ok(self.step_as(actor, id, req, idempotency, None).await?.1)
    }

    /// `step` as a person asked for it, or as an automatic rule's firing
    /// (`rule`: the system acts, the rule's author signs the note, and the
    /// firing is written in the step's transaction, once). Returns whether
    /// a rule's firing was new, and the ticket after.
    pub(crate) async fn step_as(
        &self,
        actor: &Actor,
        id: i64,
        req: &StepRequest,
        idempotency: Option<IdempotencyMark>,
        rule: Option<&RuleStep>,
    ) -> Result<(bool, TicketView)> {
        let current = self.load_visible(actor, id).await?;
        let now = EscalationStep::of(current.tier, current.escalation_level);
        let author = match rule {
            Some(r) if authz::can_run_rules(actor) => r.author_id,
            Some(_) => return Err(DomainError::Forbidden("only the scheduler runs automatic rules").into()),
            None => {
                let author = actor.user_id().ok_or(DomainError::Forbidden("only a person can escalate a ticket"))?;
                let me = self.store.get_user(author).await?.ok_or(DomainError::Unauthenticated)?;
                let allowed = match req.action {
                    StepAction::Escalate | StepAction::NeedsSenior => authz::can_escalate(actor),
                    StepAction::DeEscalate => authz::can_de_escalate(actor, me.tier, now),
                };
                if !allowed {
                    return Err(
                        DomainError::Forbidden("your role or tier does not allow moving this ticket along the escalation path").into()
                    );
                }
                author
            }
        };
        // Both inputs are checked before either error is returned (the page shows all).
        let text = escalation::parse_reason(req.action.text_field(), &req.text);
        let asked = match (req.action, req.to.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (StepAction::Escalate, Some(to)) => Some(EscalationStep::parse("to", to)),
            (_, Some(_)) => Some(Err(DomainError::invalid("to", "only an escalation goes to a chosen step"))),
            (_, None) => None,
        }
        .transpose();
        let from = req.from.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|f| EscalationStep::parse("from", f)).transpose();
        let (text, asked, from) = (text?, asked?, from?);
        let seen = from.unwrap_or(now);
        // A client that sent no `from` meant "where it is": if someone moved
        // it before we could, the conflict is the ticket's, not a field's.
        let sent_from = from.is_some();
        let unmoved = move |seen: EscalationStep, now: EscalationStep| {
            req.action.check_unmoved(seen, now).map_err(|e| match e {
                DomainError::Conflict(f) if !sent_from => DomainError::conflict("ticket", f.message),
                other => other,
            })
        };
        // A page drawn before the ticket moved: 409 on `from` before judging where it could go.
        unmoved(seen, now)?;
        // Above Engineering, below tier 1, or not upward: refused before any write.
        let target = req.action.target(seen, asked)?;
        // Who may keep the ticket at the step it is going to.
        let keepers: Vec<i64> = self.step_workers(target).await?.into_iter().map(|u| u.id).collect();
        let enabled = self.enabled_notifications().await?;
        let action = req.action;
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            if t.status == Status::Closed {
                return Err(DomainError::invalid("ticket", "this ticket is closed; create a follow-up ticket"));
            }
            let from = EscalationStep::of(t.tier, t.escalation_level);
            unmoved(seen, from)?;
            let to = action.target(from, asked)?;
            let mut after = t.fields();
            (after.tier, after.escalation_level) = to.fields();
            // The assignee keeps the ticket only if they work the step it goes to;
            // otherwise it waits unassigned in that step's queue. (Only a
            // "needs a senior" on a ticket moved meanwhile goes elsewhere
            // than `target`: nobody is known to work that step, so it waits.)
            if to != from && after.assignee_id.is_some_and(|a| to != target || !keepers.contains(&a)) {
                after.assignee_id = None;
            }
            let wanted = match action {
                // Going down needs nobody told: the step below sees it in its queue.
                StepAction::DeEscalate => vec![],
                StepAction::Escalate | StepAction::NeedsSenior => vec![NotificationKind::TicketEscalated],
            };
            Ok(Effects { after, notify: wanted.into_iter().filter(|k| enabled.contains(k)).collect() })
        };
        let (fired, _) = self
            .store
            .modify_ticket_fired(
                Modify {
                    ticket_id: id,
                    // A rule's step is the system's, whoever signs the note.
                    actor_id: if rule.is_some() { None } else { Some(author) },
                    expected_version: None,
                    message: Some(NewMessage {
                        author_id: author,
                        kind: MessageKind::Internal,
                        body: note_text(action, target, &text),
                        channel: req.channel,
                        created_at: None,
                        email_message_id: None,
                        body_html: None,
                        attachments: vec![],
                        unverified_sender: false,
                    }),
                    accept: None,
                    decide: &decide,
                    idempotency,
                },
                Some(&StepChange { action, reason: text }),
                rule.map(|r| &r.once),
            )
            .await?;
        let after = self.store.get_ticket(id).await?.ok_or(DomainError::NotFound("ticket"))?;
        Ok((fired, TicketView::new(actor, after)))
    }

    /// A ticket's way along the escalation path, for staff.
    pub async fn escalations(&self, actor: &Actor, id: i64) -> Result<Vec<Escalation>> {
        self.load_visible(actor, id).await?;
        authz::require(actor, Permission::ViewInternal)?;
        Ok(self.store.list_escalations(id).await?)
    }

    /// The active people who work `step` (`authz::effective_step`), all of
    /// them and only them, selected by the database.
    pub(crate) async fn step_workers(&self, step: EscalationStep) -> Result<Vec<User>> {
        Ok(self.store.active_users_with(&authz::step_workers(step)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_say_what_happened() {
        assert_eq!(note_text(StepAction::Escalate, EscalationStep::Tier2, "SSO"), "Escalated to Tier 2: SSO");
        assert_eq!(note_text(StepAction::DeEscalate, EscalationStep::Tier1, "known fix"), "Sent back to Tier 1: known fix");
    }
}
