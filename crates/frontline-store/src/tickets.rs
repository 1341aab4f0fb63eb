//! Tickets, their messages and their history. Every write records events
//! and keeps the queue counts in the same transaction.

use chrono::{DateTime, Duration, Utc};
use frontline_domain::DomainError;
use frontline_domain::authz::{EventScope, MessageScope};
use frontline_domain::queue::{QueueView, Sort, SortKey};
use frontline_domain::ticket::{Channel, EventField, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_domain::tier::Tier;
use sqlx::QueryBuilder;

use crate::attachments::NewAttachment;
use crate::idempotency::IdempotencyMark;
use crate::rows::{MessageRow, TicketRow};
use crate::{Message, Page, Store, StoreError, ThreadMessages, Ticket, TicketEvent};

/// Sort rank of a priority, so that "urgent first" is an index-friendly integer sort.
pub fn priority_rank(p: Priority) -> i64 {
    match p {
        Priority::Low => 1,
        Priority::Normal => 2,
        Priority::High => 3,
        Priority::Urgent => 4,
    }
}

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub fields: TicketFields,
    pub channel: Channel,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    /// Who opened it: the requester, or an agent on their behalf; None for the system.
    pub created_by: Option<i64>,
    pub body: String,
    /// Backdating is for demo data and benchmarks only.
    pub created_at: Option<DateTime<Utc>>,
    /// Notifications to send, queued as jobs in the same transaction.
    pub notify: Vec<frontline_domain::notification::NotificationKind>,
    /// Message-ID of the mail that opened the ticket, if it came by mail.
    pub email_message_id: Option<String>,
    /// Sanitized HTML of the mail that opened the ticket.
    pub body_html: Option<String>,
    pub attachments: Vec<NewAttachment>,
    /// The API request's Idempotency-Key, marked committed in this ticket's transaction.
    pub idempotency: Option<IdempotencyMark>,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author_id: i64,
    pub kind: MessageKind,
    pub body: String,
    pub channel: Channel,
    pub created_at: Option<DateTime<Utc>>,
    /// Message-ID of the mail that carried it, if it came by mail.
    pub email_message_id: Option<String>,
    /// Sanitized HTML of the mail that carried it.
    pub body_html: Option<String>,
    pub attachments: Vec<NewAttachment>,
    /// A mail from someone outside the ticket, held for an agent to accept:
    /// its event is `unverified_mail`, not `public_reply`.
    pub unverified_sender: bool,
}

/// An agent accepts a held mail from an unverified sender: it becomes a
/// normal customer message, its author follows the ticket, and the
/// acceptance is audited, all in the change's transaction.
#[derive(Debug, Clone)]
pub struct AcceptMail {
    pub message_id: i64,
    pub audit: crate::Audit,
}

/// What a change does to a ticket, decided from the ticket as it is inside
/// the write transaction (locked), so that what a message causes (a reopen,
/// a status set with a reply) is applied to the ticket's current state and
/// never to a stale copy.
#[derive(Debug, Clone)]
pub struct Effects {
    pub after: TicketFields,
    /// Notifications to send, queued as jobs in the same transaction.
    pub notify: Vec<frontline_domain::notification::NotificationKind>,
}

/// Decides a change's effects from the current ticket; an error rolls back.
pub type Decide<'a> = dyn Fn(&Ticket) -> Result<Effects, DomainError> + Send + Sync + 'a;

/// A change to one ticket: new field values and/or a message.
pub struct Modify<'a> {
    pub ticket_id: i64,
    /// None for the system (jobs, housekeeping): history shows no person.
    pub actor_id: Option<i64>,
    /// An edit made from what a user saw carries the ticket's `updated_at`
    /// as they saw it, and fails with a conflict if it changed since.
    /// Appends (replies, notes, mail) carry none and never conflict.
    pub expected_version: Option<DateTime<Utc>>,
    pub message: Option<NewMessage>,
    /// A held mail to accept with this change.
    pub accept: Option<AcceptMail>,
    pub decide: &'a Decide<'a>,
    /// The API request's Idempotency-Key, marked committed (with the new
    /// message's id, else the ticket's) in this change's transaction.
    pub idempotency: Option<IdempotencyMark>,
}

/// A step on the escalation path taken with a change: the change's
/// message is the internal note with the reason, and the step moved (or
/// marked) is read from the tier and level before and after it.
#[derive(Debug, Clone)]
pub struct StepChange {
    pub action: frontline_domain::escalation::StepAction,
    pub reason: String,
}

/// What a change records besides the ticket's fields and its message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attached<'a> {
    /// A step on the escalation path; the message is the note with the reason.
    Step(&'a StepChange),
    /// The answer to an open help request about this ticket; the message
    /// (an internal note) is the answer.
    HelpAnswer { request_id: i64 },
}

/// An automatic rule's firing, written with the change it makes: once per
/// (rule, ticket, instance), so two instances or two ticks that reach the
/// same ticket write the change once (`rule_firings`, migration 0019).
#[derive(Debug, Clone)]
pub struct FireOnce {
    pub rule_id: i64,
    pub rule_name: String,
    pub ticket_id: i64,
    /// The condition's instance: the breached or warned-about due time, or
    /// when the ticket entered the status.
    pub instance: DateTime<Utc>,
}

/// What one ticket write did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    /// The message written, if any.
    pub message_id: Option<i64>,
    /// Whom an automatic assignment (`pick`) assigned.
    pub assigned: Option<i64>,
    /// Whether a rule's firing (`once`) was recorded.
    pub fired: bool,
}

/// Filters for the API's ticket list and the portal. `visible_to_*` narrow
/// the list to what a customer may see.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub priority: Option<Priority>,
    pub ticket_type: Option<TicketType>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    pub team_id: Option<i64>,
    pub tier: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub tag: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Keyset cursor of the newest-first order: only tickets with a smaller id.
    pub before_id: Option<i64>,
    pub order: ListOrder,
    /// Keyset cursor of the due order: only tickets after this one.
    pub due_cursor: Option<DueCursor>,
    pub limit: i64,
    /// Customer scope: own tickets, or (for a customer admin) also the organization's.
    pub visible_to_requester: Option<i64>,
    pub visible_to_org: Option<i64>,
}

/// Who is asking for a queue, and which page.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    pub view: QueueView,
    pub user_id: i64,
    /// The tier of "my tier, unassigned"; None (no tier) matches no ticket there.
    pub tier: Option<Tier>,
    pub team_id: Option<i64>,
    pub sort: Sort,
    pub offset: i64,
    pub limit: i64,
}

/// The list's filters, after a written WHERE (a macro: it runs on either
/// engine's builder).
macro_rules! push_filters {
    ($b:expr, $f:expr) => {{
        let b = $b;
        let f: &TicketFilter = $f;
        if !f.statuses.is_empty() {
            b.push(" AND t.status IN (");
            let mut sep = b.separated(", ");
            for s in &f.statuses {
                sep.push_bind(s.as_str());
            }
            b.push(")");
        }
        if let Some(v) = f.priority {
            b.push(" AND t.priority = ").push_bind(v.as_str());
        }
        if let Some(v) = f.ticket_type {
            b.push(" AND t.ticket_type = ").push_bind(v.as_str());
        }
        if let Some(v) = f.assignee_id {
            b.push(" AND t.assignee_id = ").push_bind(v);
        }
        if f.unassigned {
            b.push(" AND t.assignee_id IS NULL");
        }
        if let Some(v) = f.team_id {
            b.push(" AND t.team_id = ").push_bind(v);
        }
        if let Some(v) = f.tier {
            b.push(" AND t.tier = ").push_bind(v);
        }
        if let Some(v) = f.requester_id {
            b.push(" AND t.requester_id = ").push_bind(v);
        }
        if let Some(v) = f.organization_id {
            b.push(" AND t.organization_id = ").push_bind(v);
        }
        if let Some(v) = &f.tag {
            b.push(" AND t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ").push_bind(v.clone()).push(")");
        }
        if let Some(v) = f.updated_since {
            b.push(" AND t.updated_at >= ").push_bind(v);
        }
        match (f.visible_to_requester, f.visible_to_org) {
            (Some(r), Some(o)) => {
                b.push(" AND (t.requester_id = ").push_bind(r).push(" OR t.organization_id = ").push_bind(o).push(")");
            }
            (Some(r), None) => {
                b.push(" AND t.requester_id = ").push_bind(r);
            }
            _ => {}
        }
    }};
}

/// Insert one message and its files inside an open transaction; evaluates
/// to the message's id.
macro_rules! insert_message {
    ($conn:expr, $ticket:expr, $author:expr, $kind:expr, $body:expr, $channel:expr, $at:expr, $email_id:expr, $html:expr, $files:expr) => {
        insert_message!($conn, $ticket, $author, $kind, $body, $channel, $at, $email_id, $html, $files, false)
    };
    ($conn:expr, $ticket:expr, $author:expr, $kind:expr, $body:expr, $channel:expr, $at:expr, $email_id:expr, $html:expr, $files:expr, $unverified:expr) => {{
        let mid: i64 = sqlx::query_scalar(
            "INSERT INTO messages (ticket_id, author_id, kind, body, channel, created_at, email_message_id, body_html, unverified_sender) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind($ticket)
        .bind($author)
        .bind($kind.as_str())
        .bind($body)
        .bind($channel.as_str())
        .bind($at)
        .bind($email_id)
        .bind($html)
        .bind($unverified)
        .fetch_one(&mut *$conn)
        .await?;
        insert_attachments!($conn, $ticket, mid, $files, $at);
        mid
    }};
}

/// The statements that create one ticket, inside an open transaction or
/// connection (`$conn`); evaluates to the new ticket's id.
macro_rules! insert_ticket {
    ($conn:expr, $t:expr, $counts_now:expr) => {{
        let t: &NewTicket = $t;
        // `create_ticket` reads the clock before the ticket reaches a lane.
        let at = t.created_at.ok_or_else(|| StoreError::Corrupt("a ticket reached the writer without its creation time".into()))?;
        let f = &t.fields;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (subject, status, priority, ticket_type, channel, requester_id, organization_id, assignee_id, \
                 team_id, tier, escalation_level, tags, priority_rank, is_open, created_at, updated_at, solved_at, status_since) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $15) RETURNING id",
        )
        .bind(&f.subject)
        .bind(f.status.as_str())
        .bind(f.priority.as_str())
        .bind(f.ticket_type.as_str())
        .bind(t.channel.as_str())
        .bind(t.requester_id)
        .bind(t.organization_id)
        .bind(f.assignee_id)
        .bind(f.team_id)
        .bind(f.tier.get())
        .bind(f.escalation_level.get())
        .bind(f.tags.join(" "))
        .bind(priority_rank(f.priority))
        .bind(f.status.is_open())
        .bind(at)
        .bind(if matches!(f.status, Status::Solved | Status::Closed) { Some(at) } else { None })
        .fetch_one(&mut *$conn)
        .await?;
        // Few statements per ticket: on SQLite each one is a round trip to
        // the connection's thread, made while every other writer waits.
        mark_sla!($conn, ticket: id);
        if !f.tags.is_empty() {
            let mut q = QueryBuilder::new("INSERT INTO ticket_tags (ticket_id, tag) ");
            q.push_values(&f.tags, |mut row, tag| {
                row.push_bind(id).push_bind(tag.clone());
            });
            q.build().execute(&mut *$conn).await?;
        }
        // A batch moves its counts once, at its end (`insert_tickets!`).
        if $counts_now {
            adjust_count!($conn, f.status.as_str(), f.tier, f.team_id, f.assignee_id, 1);
            if f.status == Status::Solved {
                adjust_solved!($conn, at, 1);
            }
        }
        let mid = insert_message!(
            $conn,
            id,
            t.requester_id,
            MessageKind::Public,
            &t.body,
            t.channel,
            at,
            &t.email_message_id,
            &t.body_html,
            &t.attachments
        );
        // One "created" event; the initial value of every other field is
        // the old value of its first change event (or the current value).
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, actor_id, field, old_value, new_value, created_at) \
                 VALUES ($1, $2, $7, NULL, $3, $4), ($1, $5, $8, NULL, $6, $4)",
        )
        .bind(id)
        .bind(t.created_by)
        .bind(f.status.as_str())
        .bind(at)
        .bind(t.requester_id)
        .bind(mid.to_string())
        .bind(frontline_domain::ticket::EventField::Created.as_str())
        .bind(frontline_domain::ticket::EventField::of_message(frontline_domain::ticket::MessageKind::Public).as_str())
        .execute(&mut *$conn)
        .await?;
        for event in &t.notify {
            enqueue_job!($conn, &crate::jobs::NotifyJob::new(*event, id, Some(mid), at).by(t.created_by), at);
        }
        mark_idempotent!($conn, &t.idempotency, id);
        id
    }};
}

/// Create a batch of tickets inside an open transaction; evaluates to
/// their ids. The queue counts move last, summed per row and in one order:
/// on PostgreSQL a count row stays locked from its update to the commit,
/// and every batch updates the same few rows, so the shorter that is, the
/// more batches commit in parallel.
macro_rules! insert_tickets {
    ($conn:expr, $tickets:expr, $shard:expr) => {{
        let tickets: &[&NewTicket] = $tickets;
        let mut ids = Vec::with_capacity(tickets.len());
        for t in tickets {
            ids.push(insert_ticket!($conn, t, false));
        }
        enqueue_auto_assign!($conn, tickets, &ids);
        let mut counts = $crate::tickets::CreatedCounts::default();
        for t in tickets {
            counts.add(&t.fields, t.created_at);
        }
        for ((status, tier, team, assignee), n) in counts.buckets {
            adjust_count!($conn, status, tier, Some(team), Some(assignee), n, $shard);
        }
        for (day, n) in counts.solved {
            sqlx::query(
                "INSERT INTO solved_counts (day, n) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET n = solved_counts.n + excluded.n",
            )
            .bind(day)
            .bind(n)
            .execute(&mut *$conn)
            .await?;
        }
        ids
    }};
}

/// What new tickets add to the count rows: one per (status, tier, team,
/// assignee; 0 for none), and the solved ones per day. Both creation paths
/// (the SQLite lane's statements, PostgreSQL's batch statement) use it.
#[derive(Default)]
pub(crate) struct CreatedCounts {
    pub(crate) buckets: std::collections::BTreeMap<(&'static str, Tier, i64, i64), i64>,
    pub(crate) solved: std::collections::BTreeMap<chrono::NaiveDate, i64>,
}

impl CreatedCounts {
    pub(crate) fn add(&mut self, f: &TicketFields, created_at: Option<DateTime<Utc>>) {
        *self.buckets.entry((f.status.as_str(), f.tier, f.team_id.unwrap_or(0), f.assignee_id.unwrap_or(0))).or_default() += 1;
        if let (Status::Solved, Some(at)) = (f.status, created_at) {
            *self.solved.entry(at.date_naive()).or_default() += 1;
        }
    }
}

/// Where a page of a ticket's history starts (None: at either end).
#[derive(Clone, Copy)]
enum EventsFrom {
    After(Option<i64>),
    Before(Option<i64>),
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_ticket(&self, t: &NewTicket) -> Result<i64, StoreError> {
        let mut t = t.clone();
        // Created now unless the caller says when (seeded history).
        t.created_at.get_or_insert_with(|| self.now());
        crate::writer::submit(&self.ticket_writer, t).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        let row: Option<TicketRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(ticket_select!(), "WHERE t.id = $1")).bind(id).fetch_optional(p).await)?;
        row.map(Ticket::try_from).transpose()
    }

    /// Apply a change: lock the ticket, check the version if the change
    /// carries one, let `decide` compute the new fields from the locked row,
    /// then write fields, counts, message, history and jobs in one
    /// transaction. Returns the id of the message written, if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn modify_ticket(&self, c: Modify<'_>) -> Result<Option<i64>, StoreError> {
        self.modify_ticket_step(c, None).await
    }

    /// `modify_ticket` that also records a step on the escalation path
    /// (`ticket_escalations` row and its history event) in the same
    /// transaction; `c.message` must be the note carrying the reason.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn modify_ticket_step(&self, c: Modify<'_>, step: Option<&StepChange>) -> Result<Option<i64>, StoreError> {
        self.modify_ticket_with(c, step.map(Attached::Step)).await
    }

    /// `modify_ticket_step` as an automatic rule's firing (`once`): the
    /// firing and its `rule_fired` event are written first in the same
    /// transaction; if the rule fired for this instance already, nothing is
    /// written. A firing that changes nothing is still recorded, so the rule
    /// is not judged again for that instance. Returns whether it fired and
    /// the id of the message written.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn modify_ticket_fired(
        &self,
        c: Modify<'_>,
        step: Option<&StepChange>,
        once: Option<&FireOnce>,
    ) -> Result<(bool, Option<i64>), StoreError> {
        let w = self.write_change(c, step.map(Attached::Step), None, once).await?;
        Ok((w.fired, w.message_id))
    }

    /// `modify_ticket` that also records what is `attached` to the change
    /// (a step on the escalation path, a help request's answer) in its
    /// transaction, under the ticket's lock.
    pub(crate) async fn modify_ticket_with(&self, c: Modify<'_>, attached: Option<Attached<'_>>) -> Result<Option<i64>, StoreError> {
        Ok(self.write_change(c, attached, None, None).await?.message_id)
    }

    /// The one ticket write: `modify_ticket_with`, a rule's firing (`once`),
    /// and automatic assignment (`pick`), which first locks the team's row
    /// (lock order: team, then ticket) and decides from the team's members
    /// as they are then.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(crate) async fn write_change(
        &self,
        c: Modify<'_>,
        attached: Option<Attached<'_>>,
        pick: Option<&crate::assignment::AutoPick<'_>>,
        once: Option<&FireOnce>,
    ) -> Result<Written, StoreError> {
        let at = c.message.as_ref().and_then(|m| m.created_at).unwrap_or_else(|| self.now());
        let written = with_tx!(self, |tx| {
            let team = match pick {
                Some(p) => match lock_team_assignment!(tx, self.engine(), p.team_id) {
                    Some(team) => Some((p, team)),
                    None => return Ok(Written::default()),
                },
                None => None,
            };
            // SQLite: BEGIN IMMEDIATE already holds the only write lock.
            let sql = match self.engine() {
                crate::Engine::Sqlite => concat!(ticket_select!(), "WHERE t.id = $1"),
                crate::Engine::Postgres => concat!(ticket_select!(), "WHERE t.id = $1 FOR UPDATE OF t"),
            };
            let row: Option<TicketRow> = sqlx::query_as(sql).bind(c.ticket_id).fetch_optional(&mut *tx).await?;
            let current = Ticket::try_from(row.ok_or(DomainError::NotFound("ticket"))?)?;
            if let Some(once) = once
                && !insert_firing!(tx, once, at)
            {
                return Ok(Written::default());
            }
            let effects = match team {
                None => (c.decide)(&current)?,
                Some((p, team)) => {
                    // Only a ticket still waiting in this team is the team's to hand out.
                    if current.team_id != Some(p.team_id) || current.assignee_id.is_some() || !current.status.is_open() {
                        return Ok(Written::default());
                    }
                    let candidates = team_candidates!(tx, self.engine(), p.team_id, p.roles);
                    match (p.decide)(&current, &team, &candidates)? {
                        Some(effects) => effects,
                        None => return Ok(Written::default()),
                    }
                }
            };
            let (b, a) = (&current.fields(), &effects.after);
            let changes = frontline_domain::ticket::diff(b, a);
            if let Some(accept) = &c.accept {
                // Only a mail still held on this ticket can be accepted; a
                // second acceptance (two agents at once) finds nothing.
                let author: Option<i64> = sqlx::query_scalar(
                    "UPDATE messages SET unverified_sender = FALSE WHERE id = $1 AND ticket_id = $2 AND unverified_sender RETURNING author_id",
                )
                .bind(accept.message_id)
                .bind(c.ticket_id)
                .fetch_optional(&mut *tx)
                .await?;
                let author = author.ok_or(DomainError::NotFound("unverified message"))?;
                sqlx::query("INSERT INTO ticket_followers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(c.ticket_id)
                    .bind(author)
                    .execute(&mut *tx)
                    .await?;
                insert_event!(
                    tx,
                    c.ticket_id,
                    c.actor_id,
                    frontline_domain::ticket::EventField::MailAccepted,
                    None::<String>,
                    Some(accept.message_id.to_string()),
                    at
                );
                write_audit!(tx, Some(&accept.audit), at);
            }
            // Changing nothing overwrites nobody's change.
            let touched = !(changes.is_empty() && c.message.is_none() && c.accept.is_none());
            if !touched && once.is_none() {
                return Ok(Written::default());
            }
            if c.expected_version.is_some_and(|v| v != current.updated_at) {
                return Err(DomainError::conflict("ticket", "someone else changed this ticket meanwhile; reload it and try again").into());
            }
            // Never backwards: a backdated message (demo data) must not make
            // the ticket look older than a version someone already saw.
            let stamp = at.max(current.updated_at);
            if touched {
                sqlx::query(
                "UPDATE tickets SET subject = $1, status = $2, priority = $3, ticket_type = $4, assignee_id = $5, team_id = $6, \
                 tier = $7, escalation_level = $8, tags = $9, priority_rank = $10, is_open = $11, updated_at = $12, \
                 status_since = CASE WHEN status <> $2 THEN $12 ELSE status_since END, \
                 solved_at = CASE WHEN $2 IN ('solved', 'closed') AND status NOT IN ('solved', 'closed') THEN $12 WHEN $11 THEN NULL ELSE solved_at END \
                 WHERE id = $13",
            )
            .bind(&a.subject)
            .bind(a.status.as_str())
            .bind(a.priority.as_str())
            .bind(a.ticket_type.as_str())
            .bind(a.assignee_id)
            .bind(a.team_id)
            .bind(a.tier.get())
            .bind(a.escalation_level.get())
            .bind(a.tags.join(" "))
            .bind(priority_rank(a.priority))
            .bind(a.status.is_open())
            .bind(stamp)
            .bind(c.ticket_id)
            .execute(&mut *tx)
            .await?;
                mark_sla!(tx, ticket: c.ticket_id);
                if a.tags != b.tags {
                    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(c.ticket_id).execute(&mut *tx).await?;
                    for tag in &a.tags {
                        sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
                            .bind(c.ticket_id)
                            .bind(tag)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let old_key = (b.status.as_str(), b.tier, b.team_id.unwrap_or(0), b.assignee_id.unwrap_or(0));
                let new_key = (a.status.as_str(), a.tier, a.team_id.unwrap_or(0), a.assignee_id.unwrap_or(0));
                if old_key != new_key {
                    // Lock count rows in one global order so two opposite moves cannot deadlock.
                    let mut moves = [(old_key, -1), (new_key, 1)];
                    moves.sort_by_key(|m| m.0);
                    for ((status, tier, team, assignee), delta) in moves {
                        adjust_count!(tx, status, tier, Some(team), Some(assignee), delta);
                    }
                }
                // The solved-per-day rollup: out of the old day, into the new one.
                let new_solved_at = if b.status == Status::Solved { current.solved_at } else { Some(stamp) };
                let solved_days =
                    (current.solved_at.filter(|_| b.status == Status::Solved), new_solved_at.filter(|_| a.status == Status::Solved));
                if solved_days.0.map(|d| d.date_naive()) != solved_days.1.map(|d| d.date_naive()) {
                    if let Some(day) = solved_days.0 {
                        adjust_solved!(tx, day, -1);
                    }
                    if let Some(day) = solved_days.1 {
                        adjust_solved!(tx, day, 1);
                    }
                }
            }
            let mut message_id = None;
            if let Some(m) = &c.message {
                let mid = insert_message!(
                    tx,
                    c.ticket_id,
                    m.author_id,
                    m.kind,
                    &m.body,
                    m.channel,
                    at,
                    &m.email_message_id,
                    &m.body_html,
                    &m.attachments,
                    m.unverified_sender
                );
                let field = if m.unverified_sender {
                    frontline_domain::ticket::EventField::UnverifiedMail
                } else {
                    frontline_domain::ticket::EventField::of_message(m.kind)
                };
                insert_event!(tx, c.ticket_id, Some(m.author_id), field, None::<String>, Some(mid.to_string()), at);
                message_id = Some(mid);
            }
            if let Some(Attached::HelpAnswer { request_id }) = attached {
                let note = message_id.ok_or_else(|| StoreError::Corrupt("a help request's answer came without its note".into()))?;
                use frontline_domain::help::{HelpStatus, require_open};
                // Under the ticket's lock, and the request's own on PostgreSQL
                // (SQLite: BEGIN IMMEDIATE holds the only write lock): of an
                // answer and a withdrawal at once, the later finds it closed.
                let sql = match self.engine() {
                    crate::Engine::Sqlite => "SELECT ticket_id, status FROM help_requests WHERE id = $1",
                    crate::Engine::Postgres => "SELECT ticket_id, status FROM help_requests WHERE id = $1 FOR UPDATE",
                };
                let row: Option<(i64, String)> = sqlx::query_as(sql).bind(request_id).fetch_optional(&mut *tx).await?;
                let (ticket_id, status) = row.filter(|r| r.0 == c.ticket_id).ok_or(DomainError::NotFound("help request"))?;
                require_open(HelpStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("unknown help status '{status}'")))?)?;
                sqlx::query("UPDATE help_requests SET status = $1, answer_note_id = $2, answered_by = $3, closed_at = $4 WHERE id = $5")
                    .bind(HelpStatus::Answered.as_str())
                    .bind(note)
                    .bind(c.actor_id)
                    .bind(at)
                    .bind(request_id)
                    .execute(&mut *tx)
                    .await?;
                insert_event!(
                    tx,
                    ticket_id,
                    c.actor_id,
                    frontline_domain::ticket::EventField::HelpAnswered,
                    None::<String>,
                    Some(request_id.to_string()),
                    at
                );
            }
            if let Some(Attached::Step(step)) = attached {
                use frontline_domain::escalation::EscalationStep;
                let note = message_id.ok_or_else(|| StoreError::Corrupt("a step on the escalation path came without its note".into()))?;
                let (from, to) = (EscalationStep::of(b.tier, b.escalation_level), EscalationStep::of(a.tier, a.escalation_level));
                sqlx::query(
                    "INSERT INTO ticket_escalations (ticket_id, action, from_step, to_step, actor_id, reason, note_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(c.ticket_id)
                .bind(step.action.as_str())
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(c.actor_id)
                .bind(&step.reason)
                .bind(note)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                insert_event!(tx, c.ticket_id, c.actor_id, step.action.event_field(), Some(from.as_str()), Some(to.as_str()), at);
            }
            for ch in &changes {
                insert_event!(tx, c.ticket_id, c.actor_id, ch.field, ch.old_value.as_deref(), ch.new_value.as_deref(), at);
            }
            let assigned = a.assignee_id.filter(|_| a.assignee_id != b.assignee_id);
            if let Some(user) = assigned {
                // For least-loaded assignment's tie-break: who waited longest.
                sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2").bind(at).bind(user).execute(&mut *tx).await?;
            }
            if let (Some((p, team)), Some(user)) = (team, assigned) {
                sqlx::query("UPDATE teams SET assignment_cursor = $1 WHERE id = $2").bind(user).bind(p.team_id).execute(&mut *tx).await?;
                insert_event!(
                    tx,
                    c.ticket_id,
                    None::<i64>,
                    frontline_domain::ticket::EventField::AutoAssigned,
                    None::<String>,
                    Some(team.mode.as_str()),
                    at
                );
            }
            // An agent's open ticket that leaves them (solved, reassigned)
            // may bring them under their team's capacity: the team's
            // waiting tickets get another pass.
            if let Some(freed) = b.assignee_id.filter(|_| b.status.is_open() && (a.assignee_id != b.assignee_id || !a.status.is_open())) {
                enqueue_capacity_pass!(tx, freed, at);
            }
            for event in &effects.notify {
                enqueue_job!(tx, &crate::jobs::NotifyJob::new(*event, c.ticket_id, message_id, at).by(c.actor_id), at);
            }
            mark_idempotent!(tx, &c.idempotency, message_id.unwrap_or(c.ticket_id));
            Written { message_id, assigned: assigned.filter(|_| team.is_some()), fired: once.is_some() }
        });
        Ok(written)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_message(&self, id: i64) -> Result<Option<Message>, StoreError> {
        let row: Option<MessageRow> = with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT m.id, m.ticket_id, m.author_id, u.name AS author_name, u.role AS author_role, m.kind, m.body, m.body_html, m.channel, m.created_at, m.unverified_sender \
             FROM messages m JOIN users u ON u.id = m.author_id WHERE m.id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await
        })?;
        let Some(mut message) = row.map(Message::try_from).transpose()? else { return Ok(None) };
        message.attachments = self.message_attachments(id).await?;
        Ok(Some(message))
    }

    /// A ticket page's part of the conversation (narrowed by `scope`): the
    /// latest `limit` messages before message `before` (the latest of all
    /// when None), oldest first, with their files; the ticket's first
    /// message when it is not among them; and how many messages lie
    /// between the two, not shown. Bounded however long the ticket grows.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn thread_messages(
        &self,
        ticket_id: i64,
        scope: MessageScope,
        before: Option<i64>,
        limit: i64,
    ) -> Result<ThreadMessages, StoreError> {
        macro_rules! scoped {
            () => {
                "SELECT m.id, m.ticket_id, m.author_id, u.name AS author_name, u.role AS author_role, m.kind, m.body, m.body_html, \
                 m.channel, m.created_at, m.unverified_sender FROM messages m JOIN users u ON u.id = m.author_id \
                 WHERE m.ticket_id = $1 AND ($2 OR m.kind = 'public') AND ($3 OR NOT m.unverified_sender)"
            };
        }
        let (latest, first, hidden): (Vec<MessageRow>, Option<MessageRow>, i64) = with_pool!(self, |p| {
            let latest: Vec<MessageRow> = sqlx::query_as(concat!(scoped!(), " AND m.id < $4 ORDER BY m.id DESC LIMIT $5"))
                .bind(ticket_id)
                .bind(scope.internal_notes)
                .bind(scope.unverified_mail)
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(p)
                .await?;
            let oldest_shown = latest.last().map_or(i64::MAX, |m| m.id);
            let first: Option<MessageRow> = sqlx::query_as(concat!(scoped!(), " ORDER BY m.id LIMIT 1"))
                .bind(ticket_id)
                .bind(scope.internal_notes)
                .bind(scope.unverified_mail)
                .fetch_optional(p)
                .await?
                .filter(|m: &MessageRow| m.id < oldest_shown);
            let hidden: i64 = match &first {
                None => 0,
                Some(f) => {
                    sqlx::query_scalar(concat!("SELECT COUNT(*) FROM (", scoped!(), " AND m.id > $4 AND m.id < $5) hidden"))
                        .bind(ticket_id)
                        .bind(scope.internal_notes)
                        .bind(scope.unverified_mail)
                        .bind(f.id)
                        .bind(oldest_shown)
                        .fetch_one(p)
                        .await?
                }
            };
            Ok::<_, sqlx::Error>((latest, first, hidden))
        })?;
        let mut messages: Vec<Message> = latest.into_iter().rev().map(Message::try_from).collect::<Result<_, _>>()?;
        let mut first = first.map(Message::try_from).transpose()?;
        let from = first.as_ref().or(messages.first()).map_or(0, |m| m.id);
        let to = messages.last().map_or(0, |m| m.id);
        let mut files = self.ticket_attachments_between(ticket_id, from, to).await?.into_iter().peekable();
        for m in first.iter_mut().chain(messages.iter_mut()) {
            while files.peek().is_some_and(|f| f.message_id < m.id) {
                files.next();
            }
            while let Some(f) = files.next_if(|f| f.message_id == m.id) {
                m.attachments.push(f);
            }
        }
        Ok(ThreadMessages { first, hidden, messages })
    }

    /// A ticket's latest `limit` history events (of `scope`) before event
    /// `before` (the latest when None), oldest first; `has_more`: earlier
    /// ones exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn latest_events(
        &self,
        ticket_id: i64,
        scope: EventScope,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Page<TicketEvent>, StoreError> {
        let mut page = self.events_page(ticket_id, scope, EventsFrom::Before(before), limit).await?;
        page.items.reverse();
        Ok(page)
    }

    /// Whether the ticket's history holds an event of `field` (e.g. it was
    /// once marked as needing a senior), on `ticket_events_ticket`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ticket_has_event(&self, ticket_id: i64, field: EventField) -> Result<bool, StoreError> {
        let found: Option<i64> =
            with_pool!(self, |p| sqlx::query_scalar("SELECT e.id FROM ticket_events e WHERE e.ticket_id = $1 AND e.field = $2 LIMIT 1")
                .bind(ticket_id)
                .bind(field.as_str())
                .fetch_optional(p)
                .await)?;
        Ok(found.is_some())
    }

    /// A ticket's conversation, narrowed to what `scope` (from authz) lets
    /// the reader see: at most `limit` messages after message `after_id`
    /// (from the start when None), oldest first, with their files.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_messages(
        &self,
        ticket_id: i64,
        scope: MessageScope,
        after_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>, StoreError> {
        let rows: Vec<MessageRow> = with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT m.id, m.ticket_id, m.author_id, u.name AS author_name, u.role AS author_role, m.kind, m.body, m.body_html, m.channel, m.created_at, m.unverified_sender \
             FROM messages m JOIN users u ON u.id = m.author_id \
             WHERE m.ticket_id = $1 AND ($2 OR m.kind = 'public') AND ($3 OR NOT m.unverified_sender) AND m.id > $4 ORDER BY m.id LIMIT $5"
        )
        .bind(ticket_id)
        .bind(scope.internal_notes)
        .bind(scope.unverified_mail)
        .bind(after_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(p)
        .await
        })?;
        let mut messages: Vec<Message> = rows.into_iter().map(Message::try_from).collect::<Result<_, _>>()?;
        let (from, to) = (messages.first().map_or(0, |m| m.id), messages.last().map_or(0, |m| m.id));
        // One query for these messages' files, then handed to their messages.
        let mut files = self.ticket_attachments_between(ticket_id, from, to).await?.into_iter().peekable();
        for m in &mut messages {
            while files.peek().is_some_and(|f| f.message_id < m.id) {
                files.next();
            }
            while let Some(f) = files.next_if(|f| f.message_id == m.id) {
                m.attachments.push(f);
            }
        }
        Ok(messages)
    }

    /// One page of a ticket's history, oldest first: at most `limit` events
    /// after the event `after_id` (from the start when None), only the
    /// event fields `scope` (from authz) lets the reader see.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_events(
        &self,
        ticket_id: i64,
        scope: EventScope,
        after_id: Option<i64>,
        limit: i64,
    ) -> Result<Page<TicketEvent>, StoreError> {
        self.events_page(ticket_id, scope, EventsFrom::After(after_id), limit).await
    }

    /// Up to `limit` events of a ticket that `scope` lets the reader see,
    /// from a mark: after it oldest first, or before it newest first.
    async fn events_page(&self, ticket_id: i64, scope: EventScope, from: EventsFrom, limit: i64) -> Result<Page<TicketEvent>, StoreError> {
        // The scope's fields go into the query, so the limit counts only what the reader sees.
        let mut items: Vec<TicketEvent> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(
                "SELECT e.id, e.ticket_id, e.actor_id, u.name AS actor_name, e.field, e.old_value, e.new_value, e.created_at \
                 FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = ",
            );
            b.push_bind(ticket_id);
            match from {
                EventsFrom::After(Some(after)) => {
                    b.push(" AND e.id > ").push_bind(after);
                }
                EventsFrom::Before(Some(before)) => {
                    b.push(" AND e.id < ").push_bind(before);
                }
                EventsFrom::After(None) | EventsFrom::Before(None) => {}
            }
            if let EventScope::Only(fields) = scope {
                b.push(" AND e.field IN (");
                let mut sep = b.separated(", ");
                for f in fields {
                    sep.push_bind(f.as_str());
                }
                b.push(")");
            }
            // One more than asked tells whether there is a next page.
            b.push(match from {
                EventsFrom::After(_) => " ORDER BY e.id LIMIT ",
                EventsFrom::Before(_) => " ORDER BY e.id DESC LIMIT ",
            })
            .push_bind(limit + 1);
            b.build_query_as().fetch_all(p).await
        })?;
        let has_more = items.len() as i64 > limit;
        items.truncate(limit.max(0) as usize);
        Ok(Page { items, has_more })
    }

    /// One page of an agent queue view.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_page(&self, q: &QueueQuery) -> Result<Page<Ticket>, StoreError> {
        let page = PageSql::of(self.engine());
        let rows: Vec<TicketRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(page.start);
            match q.view {
                QueueView::Mine => {
                    b.push("WHERE t.assignee_id = ").push_bind(q.user_id).push(" AND t.is_open = TRUE");
                }
                QueueView::MyTierUnassigned => {
                    b.push("WHERE t.assignee_id IS NULL AND t.tier = ")
                        .push_bind(no_tier_matches_none(q.tier))
                        .push(" AND t.is_open = TRUE");
                }
                QueueView::Team => {
                    // No team: an empty view rather than every ticket without one.
                    b.push("WHERE t.team_id = ").push_bind(q.team_id.unwrap_or(-1)).push(" AND t.is_open = TRUE");
                }
                QueueView::AllOpen => {
                    b.push("WHERE t.is_open = TRUE");
                }
                QueueView::RecentlySolved => {
                    b.push("WHERE t.status = 'solved' AND t.solved_at >= ").push_bind(solved_window_start(self.now()));
                }
                QueueView::Engineering => {
                    b.push("WHERE t.escalation_level = ")
                        .push_bind(frontline_domain::escalation::EscalationStep::Engineering.level().get())
                        .push(" AND t.is_open = TRUE");
                }
            }
            finish_page(&mut b, &page, |b| push_order(b, q.sort, q.view == QueueView::RecentlySolved), q.limit + 1, q.offset);
            b.build_query_as().fetch_all(p).await
        })?;
        page_of(rows, q.limit)
    }

    /// Queue counts from the count tables (a handful of rows), never from
    /// the tickets table; "recently solved" sums `solved_counts` per day.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_count(&self, view: QueueView, user_id: i64, tier: Option<Tier>, team_id: Option<i64>) -> Result<i64, StoreError> {
        let open: Vec<&str> = Status::OPEN_SET.iter().map(|s| s.as_str()).collect();
        let n: Option<i64> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new("");
            if view == QueueView::RecentlySolved {
                b.push("SELECT CAST(SUM(n) AS BIGINT) FROM solved_counts WHERE day >= ")
                    .push_bind(solved_window_start(self.now()).date_naive());
            } else if view == QueueView::Engineering {
                // The count rows have no step; the Engineering step's open
                // tickets are few and counted on their own index (0026).
                b.push("SELECT CAST(COUNT(*) AS BIGINT) FROM tickets WHERE escalation_level = ")
                    .push_bind(frontline_domain::escalation::EscalationStep::Engineering.level().get())
                    .push(" AND is_open = TRUE");
            } else {
                b.push("SELECT CAST(SUM(n) AS BIGINT) FROM ticket_counts WHERE status IN (");
                let mut sep = b.separated(", ");
                for s in &open {
                    sep.push_bind(*s);
                }
                b.push(")");
                match view {
                    QueueView::Mine => {
                        b.push(" AND assignee_id = ").push_bind(user_id);
                    }
                    QueueView::MyTierUnassigned => {
                        b.push(" AND assignee_id = 0 AND tier = ").push_bind(no_tier_matches_none(tier));
                    }
                    QueueView::Team => {
                        b.push(" AND team_id = ").push_bind(team_id.unwrap_or(-1));
                    }
                    _ => {}
                }
            }
            b.build_query_scalar().fetch_one(p).await
        })?;
        Ok(n.unwrap_or(0))
    }

    /// Tickets by filter with keyset pagination: newest first (on id), or
    /// "due soonest" (`ListOrder::DueSoonest`): those with a due time by
    /// due time, then the rest newest first. The due order is read in up to
    /// two statements, each one index range: the due part (`tickets_due`)
    /// from the cursor on, then, if the page is not full, the part without
    /// a due time from the primary key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_tickets(&self, f: &TicketFilter) -> Result<Page<Ticket>, StoreError> {
        let want = f.limit.max(0) + 1;
        let mut rows: Vec<TicketRow> = Vec::new();
        match f.order {
            ListOrder::Newest => {
                rows = self.list_part(f, ListPart::Newest { before_id: f.before_id }, want).await?;
            }
            ListOrder::DueSoonest => {
                let null_before = match f.due_cursor {
                    None => {
                        rows = self.list_part(f, ListPart::Due { after: None }, want).await?;
                        None
                    }
                    Some(DueCursor { due_at: Some(at), id }) => {
                        rows = self.list_part(f, ListPart::Due { after: Some((at, id)) }, want).await?;
                        None
                    }
                    Some(DueCursor { due_at: None, id }) => Some(id),
                };
                let got = rows.len() as i64;
                if got < want {
                    rows.extend(self.list_part(f, ListPart::NoDue { before_id: null_before }, want - got).await?);
                }
            }
        }
        page_of(rows, f.limit)
    }

    /// One part of `list_tickets`: its filters, its range and its order.
    async fn list_part(&self, f: &TicketFilter, part: ListPart, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let page = PageSql::of(self.engine());
        let rows: Vec<TicketRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(page.start);
            b.push("WHERE 1 = 1");
            push_filters!(&mut b, f);
            match part {
                ListPart::Newest { before_id } | ListPart::NoDue { before_id } => {
                    if matches!(part, ListPart::NoDue { .. }) {
                        b.push(" AND t.sla_due_at IS NULL");
                    }
                    if let Some(v) = before_id {
                        b.push(" AND t.id < ").push_bind(v);
                    }
                }
                ListPart::Due { after } => {
                    // Written as the partial index's own predicate, so that
                    // both engines see that `tickets_due` answers it.
                    b.push(" AND t.sla_due_at IS NOT NULL");
                    if let Some((at, id)) = after {
                        // After (at, id) in (due ASC, id DESC): a range from `at`.
                        b.push(" AND t.sla_due_at >= ")
                            .push_bind(at)
                            .push(" AND (t.sla_due_at > ")
                            .push_bind(at)
                            .push(" OR t.id < ")
                            .push_bind(id)
                            .push(")");
                    }
                }
            }
            let order = match part {
                ListPart::Due { .. } => " ORDER BY t.sla_due_at ASC, t.id DESC",
                _ => " ORDER BY t.id DESC",
            };
            finish_page(
                &mut b,
                &page,
                |b| {
                    b.push(order);
                },
                limit,
                0,
            );
            b.build_query_as().fetch_all(p).await
        })?;
        Ok(rows)
    }
}

/// The order of the API's ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first; the cursor is `TicketFilter::before_id`.
    #[default]
    Newest,
    /// Tickets with a due time first, the earliest first (ties: newest
    /// first), then the rest newest first; the cursor is `due_cursor`.
    DueSoonest,
}

/// Where a "due soonest" page ends: the last ticket's due time (None in
/// the part without one) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueCursor {
    pub due_at: Option<DateTime<Utc>>,
    pub id: i64,
}

impl DueCursor {
    /// The cursor after this ticket.
    pub fn after(t: &Ticket) -> DueCursor {
        DueCursor { due_at: t.sla_due_at, id: t.id }
    }
}

#[derive(Debug, Clone, Copy)]
enum ListPart {
    Newest { before_id: Option<i64> },
    Due { after: Option<(DateTime<Utc>, i64)> },
    NoDue { before_id: Option<i64> },
}

/// The tier to match in SQL; without one, 0, which no ticket has (tiers
/// start at 1, migration 0011 holds it).
fn no_tier_matches_none(tier: Option<Tier>) -> i64 {
    tier.map(Tier::get).unwrap_or(0)
}

/// "Recently solved" starts at midnight UTC `SOLVED_WINDOW_DAYS` days ago:
/// whole days, so that the list and its count (kept per day) agree.
fn solved_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let day = (now - Duration::days(QueueView::SOLVED_WINDOW_DAYS)).date_naive();
    day.and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc())
}

/// A page of tickets in one statement, in two steps: a subquery orders and
/// cuts the page on `tickets` alone, keeping only ids, and only those rows
/// are read and get their names, ordered again (a join keeps no order).
///
/// Why: with the names joined in the same select, PostgreSQL's choice of
/// index could flip. After a burst of new tickets without a team (a normal
/// inbox) the team page walked `tickets_open` backwards filtering on
/// `team_id` (16-22 ms at 1M tickets) instead of reading `tickets_team`
/// (0.1 ms); selecting every column from `tickets` alone flips the same
/// way. A subquery with a LIMIT is never pulled up into its outer query on
/// PostgreSQL, nor flattened by SQLite under a join; needing only ids and
/// sort keys, an open-ticket view is answered by its own index alone (an
/// index-only scan), which no other index can do, as they lack the view's
/// column. The
/// names are read for the page only, not for the rows OFFSET skips.
struct PageSql {
    start: &'static str,
    names: &'static str,
}

impl PageSql {
    fn of(engine: crate::Engine) -> PageSql {
        match engine {
            crate::Engine::Sqlite => PageSql { start: ticket_page_start!(joined), names: ticket_names!() },
            crate::Engine::Postgres => PageSql { start: ticket_page_start!(looked_up), names: "" },
        }
    }
}

/// Close a page opened with `PageSql::start` whose WHERE is written.
fn finish_page<DB>(b: &mut QueryBuilder<DB>, page: &PageSql, order: impl Fn(&mut QueryBuilder<DB>), limit: i64, offset: i64)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    order(b);
    b.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    b.push(") page JOIN tickets t ON t.id = page.id ").push(page.names);
    order(b);
}

fn push_order<DB: sqlx::Database>(b: &mut QueryBuilder<DB>, sort: Sort, solved_view: bool) {
    if sort.key == SortKey::Due {
        if solved_view {
            // Solved tickets wait for nothing: no due times, the view's own order.
            return push_order(b, Sort::default(), solved_view);
        }
        // The open views' `*_due` indexes (migration 0024) in their order:
        // tickets with a due time first, the earliest (most overdue) first,
        // then the rest as the queues list them by default.
        b.push(" ORDER BY (t.sla_due_at IS NULL), t.sla_due_at, t.updated_at DESC, t.id DESC");
        return;
    }
    let col = match sort.key {
        SortKey::Updated if solved_view => "t.solved_at",
        SortKey::Updated => "t.updated_at",
        SortKey::Created => "t.created_at",
        SortKey::Priority => "t.priority_rank",
        SortKey::Id | SortKey::Due => "t.id",
    };
    let dir = if sort.descending { "DESC" } else { "ASC" };
    b.push(" ORDER BY ").push(col).push(" ").push(dir);
    if sort.key == SortKey::Priority {
        // Within a priority, the longest-waiting first.
        b.push(", t.updated_at ASC");
    }
    b.push(", t.id ").push(dir);
}

/// Create tickets on an open SQLite connection (the batch writer's path;
/// PostgreSQL's is `pg_batch`, in a fixed number of round trips).
pub(crate) async fn insert_tickets_sqlite(conn: &mut sqlx::SqliteConnection, tickets: &[&NewTicket]) -> Result<Vec<i64>, StoreError> {
    Ok(insert_tickets!(conn, tickets, 0_i64))
}

pub(crate) fn page_of(rows: Vec<TicketRow>, limit: i64) -> Result<Page<Ticket>, StoreError> {
    let has_more = rows.len() as i64 > limit;
    let items = rows.into_iter().take(limit.max(0) as usize).map(Ticket::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, has_more })
}
