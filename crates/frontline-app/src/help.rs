//! Help requests: ask a colleague or a whole tier about a ticket without
//! handing it over; answer (an internal note on the ticket) or withdraw.

use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::help::{self, HelpTarget};
use frontline_domain::notification::NotificationKind;
use frontline_domain::ticket::{Channel, MessageKind};
use frontline_store::Ticket;
use frontline_store::help::{HelpRequest, NewHelpRequest};
use frontline_store::tickets::{Effects, Modify, NewMessage};

use crate::{App, Result};

impl App {
    /// Ask about ticket `ticket_id`: `to_user_id` or `to_tier`, and the question.
    pub async fn ask_for_help(
        &self,
        actor: &Actor,
        ticket_id: i64,
        to_user_id: Option<i64>,
        to_tier: Option<i64>,
        question: &str,
    ) -> Result<HelpRequest> {
        let ticket = self.load_visible(actor, ticket_id).await?;
        let me =
            actor.user_id().filter(|_| authz::can_ask_for_help(actor)).ok_or(DomainError::Forbidden("your role cannot ask for help"))?;
        let question = help::parse_question("question", question);
        let target = HelpTarget::from_input(to_user_id, to_tier);
        let (question, target) = (question?, target?);
        help::require_askable(ticket.status, me, target)?;
        let (to_user_id, to_tier) = match target {
            HelpTarget::User(id) => {
                // Only someone who could answer (an active colleague who writes notes).
                let ok = self.store.get_user(id).await?.is_some_and(|u| u.active && authz::can_answer_help(&u.actor()));
                if !ok {
                    return Err(DomainError::invalid("to_user_id", format!("user {id} does not exist or cannot answer on tickets")).into());
                }
                (Some(id), None)
            }
            HelpTarget::Tier(t) => (None, Some(t.get())),
        };
        let notify = !self.notifications(&[NotificationKind::HelpRequested]).await?.is_empty();
        let id = self.store.create_help_request(&NewHelpRequest { ticket_id, asked_by: me, to_user_id, to_tier, question, notify }).await?;
        self.help_request(actor, id).await
    }

    pub async fn help_request(&self, actor: &Actor, id: i64) -> Result<HelpRequest> {
        authz::require(actor, Permission::ViewInternal)?;
        Ok(self.store.get_help_request(id).await?.ok_or(DomainError::NotFound("help request"))?)
    }

    /// Open requests the actor asked, was asked, or their tier was asked.
    pub async fn my_help_requests(&self, actor: &Actor) -> Result<Vec<HelpRequest>> {
        authz::require(actor, Permission::ViewInternal)?;
        let Some(me) = actor.user_id() else { return Ok(vec![]) };
        let user = self.store.get_user(me).await?.ok_or(DomainError::Unauthenticated)?;
        Ok(self.store.open_help_requests_for(me, authz::queue_tier(actor, user.tier)).await?)
    }

    /// Answer: an internal note on the ticket, written through the
    /// ticket's locked write; 409 when the request was answered or
    /// withdrawn meanwhile, 422 on `answer` when the ticket is closed.
    pub async fn answer_help(&self, actor: &Actor, id: i64, answer: &str, channel: Channel) -> Result<HelpRequest> {
        let request = self.help_request(actor, id).await?;
        let me = actor.user_id().filter(|_| authz::can_answer_help(actor)).ok_or(DomainError::Forbidden("your role cannot answer"))?;
        let answer = help::parse_question("answer", answer)?;
        // Closed already: say so before anything is locked (the write checks again).
        help::require_open(request.status)?;
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            help::require_answerable(t.status)?;
            Ok(Effects { after: t.fields(), notify: vec![] })
        };
        let change = Modify {
            ticket_id: request.ticket_id,
            actor_id: Some(me),
            // An answer is an append: nothing someone else changed refuses it.
            expected_version: None,
            message: Some(NewMessage {
                author_id: me,
                kind: MessageKind::Internal,
                body: answer,
                channel,
                created_at: None,
                email_message_id: None,
                body_html: None,
                attachments: vec![],
                unverified_sender: false,
            }),
            accept: None,
            decide: &decide,
            idempotency: None,
        };
        self.store.answer_help_request(change, id).await?;
        self.help_request(actor, id).await
    }

    pub async fn withdraw_help(&self, actor: &Actor, id: i64) -> Result<HelpRequest> {
        let request = self.help_request(actor, id).await?;
        if !authz::can_withdraw_help(actor, request.asked_by) {
            return Err(DomainError::Forbidden("only whoever asked may withdraw a question").into());
        }
        self.store.withdraw_help_request(id, actor.user_id()).await?;
        self.help_request(actor, id).await
    }
}
