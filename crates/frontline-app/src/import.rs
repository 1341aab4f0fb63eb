//! Writing history as it happened: backdated tickets with their
//! conversations, customers who joined long ago, password hashes made
//! once for many users. The demo data comes through here; only the system
//! may (`authz::can_import_history`). What makes a write consistent (history
//! events, queue counts, one transaction per write) is the store's, as for
//! every other ticket write; no notification goes out for the past.

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::ticket::{Channel, MessageKind, TicketFields};
use frontline_store::Ticket;
use frontline_store::bulk::DataCounts;
use frontline_store::tickets::{Effects, Modify, NewMessage, NewTicket};

use crate::{App, Result};

/// A ticket as it was opened, at `created_at`.
#[derive(Debug, Clone)]
pub struct ImportedTicket {
    pub fields: TicketFields,
    pub channel: Channel,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    /// Who opened it: the requester, or an agent on their behalf.
    pub created_by: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A message written at `at`, and the ticket's fields after it.
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    pub author_id: i64,
    pub kind: MessageKind,
    pub body: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub fields_after: TicketFields,
}

fn require_import(actor: &Actor) -> Result<()> {
    if authz::can_import_history(actor) { Ok(()) } else { Err(DomainError::Forbidden("only Frontline itself imports history").into()) }
}

impl App {
    /// Store a ticket opened in the past; its id.
    pub async fn import_ticket(&self, actor: &Actor, t: ImportedTicket) -> Result<i64> {
        require_import(actor)?;
        EscalationStep::of_fields("escalation_level", t.fields.tier, t.fields.escalation_level)?;
        Ok(self
            .store
            .create_ticket(&NewTicket {
                fields: t.fields,
                channel: t.channel,
                requester_id: t.requester_id,
                organization_id: t.organization_id,
                created_by: Some(t.created_by),
                body: t.body,
                created_at: Some(t.created_at),
                notify: vec![],
                email_message_id: None,
                body_html: None,
                attachments: vec![],
                idempotency: None,
            })
            .await?)
    }

    /// Add a past message to a ticket, with the fields it left the ticket with.
    pub async fn import_message(&self, actor: &Actor, ticket_id: i64, m: ImportedMessage) -> Result<()> {
        require_import(actor)?;
        // History may move the step as it happened, but tier and step never disagree.
        EscalationStep::of_fields("escalation_level", m.fields_after.tier, m.fields_after.escalation_level)?;
        let after = m.fields_after;
        let decide =
            move |_: &Ticket| -> std::result::Result<Effects, DomainError> { Ok(Effects { after: after.clone(), notify: vec![] }) };
        self.store
            .modify_ticket(Modify {
                ticket_id,
                actor_id: Some(m.author_id),
                expected_version: None,
                accept: None,
                message: Some(NewMessage {
                    author_id: m.author_id,
                    kind: m.kind,
                    body: m.body,
                    channel: m.channel,
                    created_at: Some(m.at),
                    email_message_id: None,
                    body_html: None,
                    attachments: vec![],
                    unverified_sender: false,
                }),
                decide: &decide,
                idempotency: None,
            })
            .await?;
        Ok(())
    }

    /// An organization and its people as customers since `since`.
    pub async fn import_customer_since(&self, actor: &Actor, org_id: i64, user_ids: &[i64], since: DateTime<Utc>) -> Result<()> {
        require_import(actor)?;
        Ok(self.store.backdate_customer(org_id, user_ids, since).await?)
    }

    /// Give a user a password hash made by `hash_password` (once for many
    /// users: hashing is slow on purpose). Sessions and tokens stay.
    pub async fn import_password_hash(&self, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
        require_import(actor)?;
        if !self.store.set_password(user_id, hash, false, None, None).await? {
            return Err(DomainError::NotFound("user").into());
        }
        Ok(())
    }

    /// How much data there is, to report what an import made.
    pub async fn data_counts(&self, actor: &Actor) -> Result<DataCounts> {
        require_import(actor)?;
        Ok(self.store.data_counts().await?)
    }
}
