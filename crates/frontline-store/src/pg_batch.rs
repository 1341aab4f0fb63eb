//! A writer lane's batch of new tickets on PostgreSQL in a fixed number of
//! round trips. Row by row, a batch of 16 tickets took about 100 statements,
//! each a round trip with its own parse/bind/execute on both sides; here it
//! is one id reservation and one statement whose data-modifying CTEs insert
//! the tickets, tags, first messages, history events, notification jobs
//! and automatic-assignment jobs (for tickets waiting in an automatic team)
//! of the whole batch from arrays (`UNNEST`) and move the lane's queue
//! counts. Only files and Idempotency-Keys, which few creations carry, still
//! take statements of their own.
//!
//! Ids are reserved first (the tables' identity sequences), so the rows can
//! refer to each other and every job payload names its message, and the
//! caller gets the ids back in input order.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_domain::ticket::{EventField, MessageKind, Status};

use crate::StoreError;
use crate::tickets::{NewTicket, priority_rank};

/// One ticket id and one message id per ticket of the batch.
const RESERVE_IDS: &str = "SELECT nextval(pg_get_serial_sequence('tickets', 'id')), nextval(pg_get_serial_sequence('messages', 'id')) \
                           FROM generate_series(1, $1)";

/// Everything of the batch but files and idempotency marks. The counts are
/// summed per bucket in Rust (an upsert may touch a row only once per
/// statement) and listed in one order, so lane 0 and ticket edits, which
/// share shard 0, lock count rows in the same order.
const INSERT_BATCH: &str = "WITH \
  new_tickets AS (INSERT INTO tickets (id, subject, status, priority, ticket_type, channel, requester_id, organization_id, \
      assignee_id, team_id, tier, escalation_level, tags, priority_rank, is_open, created_at, updated_at, solved_at, status_since) \
    SELECT id, subject, status, priority, ticket_type, channel, requester_id, organization_id, \
      assignee_id, team_id, tier, escalation_level, tags, priority_rank, is_open, created_at, created_at, solved_at, created_at \
    FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], \
      $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::bigint[], $15::boolean[], $16::timestamptz[], \
      $17::timestamptz[]) \
    AS u(id, subject, status, priority, ticket_type, channel, requester_id, organization_id, \
      assignee_id, team_id, tier, escalation_level, tags, priority_rank, is_open, created_at, solved_at)), \
  new_tags AS (INSERT INTO ticket_tags (ticket_id, tag) SELECT * FROM UNNEST($18::bigint[], $19::text[])), \
  new_marks AS (INSERT INTO sla_marks (ticket_id) SELECT * FROM UNNEST($1::bigint[])), \
  new_messages AS (INSERT INTO messages (id, ticket_id, author_id, kind, body, channel, created_at, email_message_id, body_html) \
    SELECT id, ticket_id, author_id, $20::text, body, channel, created_at, email_message_id, body_html \
    FROM UNNEST($21::bigint[], $1::bigint[], $7::bigint[], $22::text[], $6::text[], $16::timestamptz[], $23::text[], $24::text[]) \
    AS u(id, ticket_id, author_id, body, channel, created_at, email_message_id, body_html)), \
  new_events AS (INSERT INTO ticket_events (ticket_id, actor_id, field, old_value, new_value, created_at) \
    SELECT ticket_id, actor_id, field, NULL, new_value, created_at \
    FROM UNNEST($25::bigint[], $26::bigint[], $27::text[], $28::text[], $29::timestamptz[]) \
    AS u(ticket_id, actor_id, field, new_value, created_at)), \
  new_jobs AS (INSERT INTO jobs (kind, payload, run_at, created_at) \
    SELECT kind, payload, at, at FROM UNNEST($30::text[], $31::text[], $32::timestamptz[]) AS u(kind, payload, at)), \
  auto_assign AS (INSERT INTO jobs (kind, payload, run_at, created_at) \
    SELECT $41::text, '{\"ticket_id\":' || u.id || '}', u.created_at, u.created_at \
    FROM UNNEST($1::bigint[], $9::bigint[], $10::bigint[], $15::boolean[], $16::timestamptz[]) AS u(id, assignee_id, team_id, is_open, created_at) \
    JOIN teams tm ON tm.id = u.team_id WHERE u.assignee_id IS NULL AND u.is_open AND tm.assignment_mode <> 'manual'), \
  solved AS (INSERT INTO solved_counts (day, n) SELECT * FROM UNNEST($33::date[], $34::bigint[]) \
    ON CONFLICT (day) DO UPDATE SET n = solved_counts.n + excluded.n) \
  INSERT INTO ticket_counts (status, tier, team_id, assignee_id, shard, n) \
    SELECT status, tier, team_id, assignee_id, $35::bigint, n FROM UNNEST($36::text[], $37::bigint[], $38::bigint[], $39::bigint[], $40::bigint[]) \
    AS u(status, tier, team_id, assignee_id, n) \
  ON CONFLICT (status, tier, team_id, assignee_id, shard) DO UPDATE SET n = ticket_counts.n + excluded.n";

/// The batch's columns, one vector per bound array.
#[derive(Default)]
struct Columns<'a> {
    ids: Vec<i64>,
    subjects: Vec<&'a str>,
    statuses: Vec<&'static str>,
    priorities: Vec<&'static str>,
    types: Vec<&'static str>,
    channels: Vec<&'static str>,
    requesters: Vec<i64>,
    organizations: Vec<Option<i64>>,
    assignees: Vec<Option<i64>>,
    teams: Vec<Option<i64>>,
    tiers: Vec<i64>,
    levels: Vec<i64>,
    tags: Vec<String>,
    ranks: Vec<i64>,
    open: Vec<bool>,
    created: Vec<DateTime<Utc>>,
    solved_at: Vec<Option<DateTime<Utc>>>,
    tag_tickets: Vec<i64>,
    tag_names: Vec<&'a str>,
    message_ids: Vec<i64>,
    bodies: Vec<&'a str>,
    mail_ids: Vec<Option<&'a str>>,
    html: Vec<Option<&'a str>>,
    event_tickets: Vec<i64>,
    event_actors: Vec<Option<i64>>,
    event_fields: Vec<&'static str>,
    event_values: Vec<String>,
    event_at: Vec<DateTime<Utc>>,
    job_kinds: Vec<&'static str>,
    job_payloads: Vec<String>,
    job_at: Vec<DateTime<Utc>>,
    counts: crate::tickets::CreatedCounts,
}

impl<'a> Columns<'a> {
    fn push(&mut self, t: &'a NewTicket, id: i64, mid: i64) -> Result<(), StoreError> {
        // `create_ticket` reads the clock before the ticket reaches a lane.
        let at = t.created_at.ok_or_else(|| StoreError::Corrupt("a ticket reached the writer without its creation time".into()))?;
        let f = &t.fields;
        let closed = matches!(f.status, Status::Solved | Status::Closed);
        self.ids.push(id);
        self.subjects.push(&f.subject);
        self.statuses.push(f.status.as_str());
        self.priorities.push(f.priority.as_str());
        self.types.push(f.ticket_type.as_str());
        self.channels.push(t.channel.as_str());
        self.requesters.push(t.requester_id);
        self.organizations.push(t.organization_id);
        self.assignees.push(f.assignee_id);
        self.teams.push(f.team_id);
        self.tiers.push(f.tier.get());
        self.levels.push(f.escalation_level.get());
        self.tags.push(f.tags.join(" "));
        self.ranks.push(priority_rank(f.priority));
        self.open.push(f.status.is_open());
        self.created.push(at);
        self.solved_at.push(closed.then_some(at));
        for tag in &f.tags {
            self.tag_tickets.push(id);
            self.tag_names.push(tag);
        }
        self.message_ids.push(mid);
        self.bodies.push(&t.body);
        self.mail_ids.push(t.email_message_id.as_deref());
        self.html.push(t.body_html.as_deref());
        // One "created" event, then the first message's, as the row-by-row path writes them.
        for (actor, field, value) in [
            (t.created_by, EventField::Created, f.status.as_str().to_string()),
            (Some(t.requester_id), EventField::of_message(MessageKind::Public), mid.to_string()),
        ] {
            self.event_tickets.push(id);
            self.event_actors.push(actor);
            self.event_fields.push(field.as_str());
            self.event_values.push(value);
            self.event_at.push(at);
        }
        for event in &t.notify {
            let (kind, payload) = crate::jobs::encode(&crate::jobs::NotifyJob::new(*event, id, Some(mid), at).by(t.created_by))?;
            self.job_kinds.push(kind);
            self.job_payloads.push(payload);
            self.job_at.push(at);
        }
        self.counts.add(f, Some(at));
        Ok(())
    }
}

/// Create `tickets` inside the open transaction `conn`, moving the counts
/// of `shard`; their ids in input order. Any failure fails the whole batch
/// (the lane then retries ticket by ticket).
pub(crate) async fn insert_tickets(conn: &mut sqlx::PgConnection, tickets: &[&NewTicket], shard: i64) -> Result<Vec<i64>, StoreError> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let reserved: Vec<(i64, i64)> = sqlx::query_as(RESERVE_IDS).bind(tickets.len() as i64).fetch_all(&mut *conn).await?;
    // Sequence values come back in no promised order; hand them out increasing.
    let (mut ids, mut mids): (Vec<i64>, Vec<i64>) = reserved.into_iter().unzip();
    ids.sort_unstable();
    mids.sort_unstable();
    let mut c = Columns::default();
    for ((t, id), mid) in tickets.iter().zip(&ids).zip(&mids) {
        c.push(t, *id, *mid)?;
    }
    let (days, day_n): (Vec<NaiveDate>, Vec<i64>) = c.counts.solved.iter().map(|(d, n)| (*d, *n)).unzip();
    let mut buckets = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((status, tier, team, assignee), n) in &c.counts.buckets {
        buckets.0.push(*status);
        buckets.1.push(tier.get());
        buckets.2.push(*team);
        buckets.3.push(*assignee);
        buckets.4.push(*n);
    }
    sqlx::query(INSERT_BATCH)
        .bind(&c.ids)
        .bind(&c.subjects)
        .bind(&c.statuses)
        .bind(&c.priorities)
        .bind(&c.types)
        .bind(&c.channels)
        .bind(&c.requesters)
        .bind(&c.organizations)
        .bind(&c.assignees)
        .bind(&c.teams)
        .bind(&c.tiers)
        .bind(&c.levels)
        .bind(&c.tags)
        .bind(&c.ranks)
        .bind(&c.open)
        .bind(&c.created)
        .bind(&c.solved_at)
        .bind(&c.tag_tickets)
        .bind(&c.tag_names)
        .bind(MessageKind::Public.as_str())
        .bind(&c.message_ids)
        .bind(&c.bodies)
        .bind(&c.mail_ids)
        .bind(&c.html)
        .bind(&c.event_tickets)
        .bind(&c.event_actors)
        .bind(&c.event_fields)
        .bind(&c.event_values)
        .bind(&c.event_at)
        .bind(&c.job_kinds)
        .bind(&c.job_payloads)
        .bind(&c.job_at)
        .bind(&days)
        .bind(&day_n)
        .bind(shard)
        .bind(&buckets.0)
        .bind(&buckets.1)
        .bind(&buckets.2)
        .bind(&buckets.3)
        .bind(&buckets.4)
        .bind(<crate::assignment::AutoAssignJob as crate::jobs::JobKind>::JOB_NAME)
        .execute(&mut *conn)
        .await?;
    for (((t, id), mid), at) in tickets.iter().zip(&ids).zip(&mids).zip(&c.created) {
        let (id, mid, at) = (*id, *mid, *at);
        insert_attachments!(conn, id, mid, &t.attachments, at);
        mark_idempotent!(conn, &t.idempotency, id);
    }
    Ok(ids)
}
