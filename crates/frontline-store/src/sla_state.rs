//! The stored SLA state of tickets (migration 0023): which tickets the SLA
//! pass must look at, their clock history read for a whole batch at once,
//! and the results written back without losing a change made meanwhile.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use frontline_domain::sla::{HistoryItem, Recorded, TargetKind, TicketNow};
use frontline_domain::ticket::{Channel, EscalationLevel, EventField, MessageKind, Priority, Status, Tier};
use frontline_domain::user::Role;
use sqlx::QueryBuilder;

use crate::{Store, StoreError};

/// Tickets saved per statement: ten parameters a row stays far below
/// either engine's limit on bound parameters.
const SAVE_CHUNK: usize = 500;

/// "Is one of these ids", for a batch of the SLA pass: an `IN` list on
/// SQLite (which has no arrays), one array parameter on PostgreSQL, whose
/// statement then stays the same whatever the batch (planned once, not with
/// 2,000 parameters every time).
trait IdsIn: sqlx::Database {
    fn push_ids_in(b: &mut QueryBuilder<Self>, ids: &[i64]);
}

impl IdsIn for sqlx::Sqlite {
    fn push_ids_in(b: &mut QueryBuilder<Self>, ids: &[i64]) {
        b.push(" IN (");
        let mut sep = b.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        b.push(")");
    }
}

impl IdsIn for sqlx::Postgres {
    fn push_ids_in(b: &mut QueryBuilder<Self>, ids: &[i64]) {
        b.push(" = ANY(").push_bind(ids.to_vec()).push(")");
    }
}

/// A ticket as the SLA pass needs it: what a policy's conditions look at,
/// where it stands now, and its clock history in the order it was recorded.
#[derive(Debug, Clone)]
pub struct SlaTicket {
    pub id: i64,
    pub now: TicketNow,
    pub organization_id: Option<i64>,
    pub support_plan_id: Option<i64>,
    pub channel: Channel,
    pub tags: Vec<String>,
    /// The ticket's write count when read (`sla_marks.dirty`): the result
    /// is kept only if no write moved it since.
    pub dirty: i64,
    pub history: Vec<HistoryItem>,
}

/// The next tickets for the SLA pass, and whether more may be waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaWork {
    pub ids: Vec<i64>,
    pub more: bool,
}

/// A ticket whose stored history the clock cannot read.
#[derive(Debug)]
pub struct BrokenTicket {
    pub id: i64,
    pub dirty: i64,
    pub error: StoreError,
}

/// What the pass concluded for one ticket; `record` is None when no
/// policy applies.
#[derive(Debug, Clone)]
pub struct SlaResult {
    pub ticket_id: i64,
    pub seen_dirty: i64,
    pub record: Option<SlaRecord>,
}

#[derive(Debug, Clone)]
pub struct SlaRecord {
    pub policy_id: i64,
    pub paused: bool,
    pub due: Option<(TargetKind, DateTime<Utc>)>,
    pub warn_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    /// Each target's own breach while still waited for, in
    /// `TargetKind::ALL` order (columns `<target>_breached_at`).
    pub target_breached: [Option<DateTime<Utc>>; 3],
}

/// A ticket's stored SLA state, as the last pass left it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSla {
    pub ticket_id: i64,
    pub policy_id: Option<i64>,
    pub computed_at: DateTime<Utc>,
    pub paused: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub due_target: Option<String>,
    pub warn_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub first_reply_breached_at: Option<DateTime<Utc>>,
    pub next_reply_breached_at: Option<DateTime<Utc>>,
    pub resolution_breached_at: Option<DateTime<Utc>>,
    /// `tickets.sla_due_at`, which queues sort by.
    pub ticket_due_at: Option<DateTime<Utc>>,
    /// Writes not yet taken in by a pass (`sla_marks.dirty - seen`).
    pub dirty: i64,
}

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    status: String,
    priority: String,
    channel: String,
    organization_id: Option<i64>,
    support_plan_id: Option<i64>,
    tier: i64,
    escalation_level: i64,
    tags: String,
    created_at: DateTime<Utc>,
    dirty: i64,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    ticket_id: i64,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    ticket_id: i64,
    kind: String,
    author_role: String,
    unverified_sender: bool,
    created_at: DateTime<Utc>,
}

/// The history fields that move the clock.
const CLOCK_FIELDS: [EventField; 4] = [EventField::Status, EventField::Priority, EventField::Tier, EventField::EscalationLevel];

fn corrupt(ticket_id: i64, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("ticket {ticket_id}'s SLA history: {e}"))
}

fn number(e: &EventRow, v: &str) -> Result<i64, StoreError> {
    v.parse().map_err(|_| corrupt(e.ticket_id, format!("'{v}' is not a number in a {} event", e.field)))
}

fn recorded(e: &EventRow) -> Result<Option<Recorded>, StoreError> {
    let (Some(old), Some(new)) = (e.old_value.as_deref(), e.new_value.as_deref()) else { return Ok(None) };
    let bad = |x: frontline_domain::DomainError| corrupt(e.ticket_id, x);
    Ok(Some(match EventField::parse(&e.field) {
        Some(EventField::Status) => Recorded::Status { from: Status::parse(old).map_err(bad)?, to: Status::parse(new).map_err(bad)? },
        Some(EventField::Priority) => {
            Recorded::Priority { from: Priority::parse(old).map_err(bad)?, to: Priority::parse(new).map_err(bad)? }
        }
        Some(EventField::Tier) => {
            Recorded::Tier { from: Tier::new(number(e, old)?).map_err(bad)?, to: Tier::new(number(e, new)?).map_err(bad)? }
        }
        Some(EventField::EscalationLevel) => Recorded::Level {
            from: EscalationLevel::new(number(e, old)?).map_err(bad)?,
            to: EscalationLevel::new(number(e, new)?).map_err(bad)?,
        },
        _ => return Ok(None),
    }))
}

impl Store {
    /// What the last SLA pass stored for a ticket (None: no policy applied,
    /// or no pass has seen it yet).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn stored_sla(&self, ticket_id: i64) -> Result<Option<StoredSla>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT s.ticket_id, s.policy_id, s.computed_at, s.paused, s.due_at, s.due_target, s.warn_at, s.breached_at, \
                 s.next_check_at, s.first_reply_breached_at, s.next_reply_breached_at, s.resolution_breached_at, \
                 t.sla_due_at AS ticket_due_at, COALESCE(m.dirty - m.seen, 0) AS dirty \
                 FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id LEFT JOIN sla_marks m ON m.ticket_id = s.ticket_id \
                 WHERE s.ticket_id = $1",
            )
            .bind(ticket_id)
            .fetch_optional(p)
            .await
        })?)
    }

    /// How many writes on the ticket no SLA pass has taken in yet.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sla_dirty(&self, ticket_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COALESCE(m.dirty - m.seen, 0) FROM tickets t LEFT JOIN sla_marks m ON m.ticket_id = t.id WHERE t.id = $1",
            )
            .bind(ticket_id)
            .fetch_optional(p)
            .await
        })?)
    }

    /// The tickets the SLA pass should look at next, at most `limit`: up
    /// to half of them those whose next check time has come (so warnings
    /// and breaches are not held up behind a backlog of writes), the rest
    /// those written since their last computation; each read on its own
    /// partial index. A ticket in both counts once, so the batch may come
    /// out short while more wait: `more` says whether either read was full.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sla_work(&self, limit: i64) -> Result<SlaWork, StoreError> {
        let now = self.now();
        let due_share = (limit / 2).max(1);
        let mut ids: Vec<i64> = with_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT ticket_id FROM ticket_sla WHERE next_check_at IS NOT NULL AND next_check_at <= $1 \
                 ORDER BY next_check_at, ticket_id LIMIT $2",
            )
            .bind(now)
            .bind(due_share)
            .fetch_all(p)
            .await
        })?;
        let mut more = ids.len() as i64 >= due_share;
        let left = limit - ids.len() as i64;
        if left > 0 {
            let dirty: Vec<i64> = with_pool!(self, |p| {
                sqlx::query_scalar("SELECT ticket_id FROM sla_marks WHERE dirty > seen ORDER BY ticket_id LIMIT $1")
                    .bind(left)
                    .fetch_all(p)
                    .await
            })?;
            more |= dirty.len() as i64 >= left;
            let known: std::collections::HashSet<i64> = ids.iter().copied().collect();
            ids.extend(dirty.into_iter().filter(|id| !known.contains(id)));
        }
        Ok(SlaWork { ids, more })
    }

    /// The tickets `ids` with their clock history, in three queries
    /// whatever their number. The message that opened a ticket is left out:
    /// it starts the clock rather than answering anything.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sla_tickets(&self, ids: &[i64]) -> Result<Vec<Result<SlaTicket, BrokenTicket>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let tickets: Vec<TicketRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(
                "SELECT t.id, t.status, t.priority, t.channel, t.organization_id, o.support_plan_id, t.tier, t.escalation_level, \
                 t.tags, t.created_at, COALESCE(m.dirty, 0) AS dirty FROM tickets t LEFT JOIN organizations o ON o.id = t.organization_id \
                 LEFT JOIN sla_marks m ON m.ticket_id = t.id WHERE t.id",
            );
            IdsIn::push_ids_in(&mut b, ids);
            b.build_query_as().fetch_all(p).await
        })?;
        let events: Vec<EventRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new("SELECT ticket_id, field, old_value, new_value, created_at FROM ticket_events WHERE ticket_id");
            IdsIn::push_ids_in(&mut b, ids);
            b.push(" AND field IN (");
            let mut sep = b.separated(", ");
            for f in CLOCK_FIELDS {
                sep.push_bind(f.as_str());
            }
            b.push(") ORDER BY ticket_id, id");
            b.build_query_as().fetch_all(p).await
        })?;
        let messages: Vec<MessageRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(
                "SELECT m.ticket_id, m.kind, u.role AS author_role, m.unverified_sender, m.created_at \
                 FROM messages m JOIN users u ON u.id = m.author_id WHERE m.ticket_id",
            );
            IdsIn::push_ids_in(&mut b, ids);
            b.push(" ORDER BY m.ticket_id, m.id");
            b.build_query_as().fetch_all(p).await
        })?;

        // Per ticket: messages before events at one instant (a reply and
        // the status sent with it are one act; the clock gets the reply first).
        // A ticket whose history cannot be read is answered as broken on its
        // own, so it does not hold up the others.
        let mut history: HashMap<i64, Vec<(DateTime<Utc>, u8, HistoryItem)>> = HashMap::new();
        let mut broken: HashMap<i64, StoreError> = HashMap::new();
        let mut opened: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for m in &messages {
            if opened.insert(m.ticket_id) {
                continue;
            }
            let kind = MessageKind::parse(&m.kind).map_err(|e| corrupt(m.ticket_id, e));
            let role = Role::parse(&m.author_role).map_err(|e| corrupt(m.ticket_id, e));
            match (kind, role) {
                (Ok(kind), Ok(role)) => {
                    let what =
                        Recorded::Message { public: kind == MessageKind::Public, by_staff: role.is_staff(), held: m.unverified_sender };
                    history.entry(m.ticket_id).or_default().push((m.created_at, 0, HistoryItem { at: m.created_at, what }));
                }
                (Err(e), _) | (_, Err(e)) => {
                    broken.insert(m.ticket_id, e);
                }
            }
        }
        for e in &events {
            match recorded(e) {
                Ok(Some(what)) => history.entry(e.ticket_id).or_default().push((e.created_at, 1, HistoryItem { at: e.created_at, what })),
                Ok(None) => {}
                Err(err) => {
                    broken.insert(e.ticket_id, err);
                }
            }
        }
        Ok(tickets
            .into_iter()
            .map(|t| {
                let (id, dirty) = (t.id, t.dirty);
                let mut read = || -> Result<SlaTicket, StoreError> {
                    if let Some(e) = broken.remove(&t.id) {
                        return Err(e);
                    }
                    let bad = |e: frontline_domain::DomainError| corrupt(t.id, e);
                    let mut items = history.remove(&t.id).unwrap_or_default();
                    // Stable: within one instant and source, the recorded order stays.
                    items.sort_by_key(|(at, source, _)| (*at, *source));
                    Ok(SlaTicket {
                        id: t.id,
                        now: TicketNow {
                            created_at: t.created_at,
                            status: Status::parse(&t.status).map_err(bad)?,
                            priority: Priority::parse(&t.priority).map_err(bad)?,
                            tier: Tier::new(t.tier).map_err(bad)?,
                            level: EscalationLevel::new(t.escalation_level).map_err(bad)?,
                        },
                        organization_id: t.organization_id,
                        support_plan_id: t.support_plan_id,
                        channel: Channel::parse(&t.channel).map_err(bad)?,
                        tags: t.tags.split_whitespace().map(str::to_string).collect(),
                        dirty: t.dirty,
                        history: items.into_iter().map(|(_, _, h)| h).collect(),
                    })
                };
                read().map_err(|error| BrokenTicket { id, dirty, error })
            })
            .collect())
    }

    /// Keep the pass's results in one transaction. A ticket written since
    /// it was read (its write count moved) is skipped and stays dirty for
    /// the next pass. Returns how many were kept. A crash before the commit
    /// leaves the tickets dirty, as they were. A few statements per chunk of
    /// tickets, not a few per ticket (on SQLite every statement is a round
    /// trip to its worker thread), and the tickets row is written only where
    /// its due time moved (a rewrite of it costs far more than one of
    /// `sla_marks` or `ticket_sla`, migration 0029).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_sla(&self, results: &[SlaResult]) -> Result<usize, StoreError> {
        if results.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        // In one order, so two passes saving the same tickets cannot deadlock.
        let mut ordered: Vec<&SlaResult> = results.iter().collect();
        ordered.sort_by_key(|r| r.ticket_id);
        if let crate::db::Db::Postgres(pool) = &self.db {
            return save_sla_postgres(pool, &ordered, now).await;
        }
        with_tx!(self, |tx| {
            let mut kept = 0;
            for chunk in ordered.chunks(SAVE_CHUNK) {
                // The write count only grows, so "unchanged since read" cannot
                // be mistaken for a later write that brought it back. Joined on
                // the key: a row-value `IN` list made SQLite scan the table.
                let mut b = QueryBuilder::new("UPDATE sla_marks SET seen = dirty FROM (");
                b.push_values(chunk, |mut row, r| {
                    row.push_bind(r.ticket_id).push_bind(r.seen_dirty);
                });
                b.push(") AS v WHERE sla_marks.ticket_id = v.column1 AND sla_marks.dirty = v.column2 RETURNING sla_marks.ticket_id");
                let moved: std::collections::HashSet<i64> = b.build_query_scalar().fetch_all(&mut *tx).await?.into_iter().collect();
                kept += moved.len();
                let kept_here: Vec<&&SlaResult> = chunk.iter().filter(|r| moved.contains(&r.ticket_id)).collect();
                if kept_here.is_empty() {
                    continue;
                }
                let mut b = QueryBuilder::new("UPDATE tickets SET sla_due_at = v.column2 FROM (");
                b.push_values(&kept_here, |mut row, r| {
                    row.push_bind(r.ticket_id).push_bind(due_of(r));
                });
                b.push(") AS v WHERE tickets.id = v.column1 AND tickets.sla_due_at IS NOT v.column2");
                b.build().execute(&mut *tx).await?;
                let (with, without): (Vec<&&SlaResult>, Vec<&&SlaResult>) = kept_here.into_iter().partition(|r| r.record.is_some());
                if !without.is_empty() {
                    let mut b = QueryBuilder::new("DELETE FROM ticket_sla WHERE ticket_id IN (");
                    let mut ids = b.separated(", ");
                    for r in &without {
                        ids.push_bind(r.ticket_id);
                    }
                    b.push(")");
                    b.build().execute(&mut *tx).await?;
                }
                if !with.is_empty() {
                    let mut b = QueryBuilder::new(
                        "INSERT INTO ticket_sla (ticket_id, policy_id, computed_at, paused, due_at, due_target, warn_at, breached_at, \
                         next_check_at, first_reply_breached_at, next_reply_breached_at, resolution_breached_at) ",
                    );
                    b.push_values(&with, |mut row, r| {
                        let Some(x) = &r.record else { return };
                        let [first, next, resolution] = x.target_breached;
                        row.push_bind(r.ticket_id)
                            .push_bind(x.policy_id)
                            .push_bind(now)
                            .push_bind(x.paused)
                            .push_bind(due_of(r))
                            .push_bind(x.due.map(|d| d.0.as_str()))
                            .push_bind(x.warn_at)
                            .push_bind(x.breached_at)
                            .push_bind(x.next_check_at)
                            .push_bind(first)
                            .push_bind(next)
                            .push_bind(resolution);
                    });
                    b.push(UPSERT_SLA_TAIL);
                    b.build().execute(&mut *tx).await?;
                }
            }
            Ok(kept)
        })
    }
}

/// What replaces a ticket's stored SLA row, on both engines.
const UPSERT_SLA_TAIL: &str = " ON CONFLICT (ticket_id) DO UPDATE SET policy_id = excluded.policy_id, computed_at = excluded.computed_at, \
     paused = excluded.paused, due_at = excluded.due_at, due_target = excluded.due_target, warn_at = excluded.warn_at, \
     breached_at = excluded.breached_at, next_check_at = excluded.next_check_at, \
     first_reply_breached_at = excluded.first_reply_breached_at, next_reply_breached_at = excluded.next_reply_breached_at, \
     resolution_breached_at = excluded.resolution_breached_at";

fn due_of(r: &SlaResult) -> Option<DateTime<Utc>> {
    r.record.as_ref().and_then(|x| x.due.map(|d| d.1))
}

/// `save_sla` on PostgreSQL: the same writes for the whole batch, each with
/// a few array parameters (`unnest`). The tickets are locked first, in id
/// order, as every ticket write locks its ticket before its mark: so no
/// pass and writer, and no two passes, wait on each other in a circle.
/// `FOR NO KEY UPDATE` leaves messages and events free to reference them.
async fn save_sla_postgres(pool: &sqlx::PgPool, ordered: &[&SlaResult], now: DateTime<Utc>) -> Result<usize, StoreError> {
    let ids: Vec<i64> = ordered.iter().map(|r| r.ticket_id).collect();
    let seen: Vec<i64> = ordered.iter().map(|r| r.seen_dirty).collect();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT id FROM tickets WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE").bind(&ids).execute(&mut *tx).await?;
    // The write count only grows, so "unchanged since read" cannot be
    // mistaken for a later write that brought it back.
    let moved: Vec<i64> = sqlx::query_scalar(
        "UPDATE sla_marks m SET seen = m.dirty FROM unnest($1::bigint[], $2::bigint[]) AS v(id, seen) \
         WHERE m.ticket_id = v.id AND m.dirty = v.seen RETURNING m.ticket_id",
    )
    .bind(&ids)
    .bind(&seen)
    .fetch_all(&mut *tx)
    .await?;
    let moved: std::collections::HashSet<i64> = moved.into_iter().collect();
    let kept: Vec<&SlaResult> = ordered.iter().copied().filter(|r| moved.contains(&r.ticket_id)).collect();
    sqlx::query(
        "UPDATE tickets t SET sla_due_at = v.due FROM unnest($1::bigint[], $2::timestamptz[]) AS v(id, due) \
         WHERE t.id = v.id AND t.sla_due_at IS DISTINCT FROM v.due",
    )
    .bind(kept.iter().map(|r| r.ticket_id).collect::<Vec<i64>>())
    .bind(kept.iter().map(|r| due_of(r)).collect::<Vec<Option<DateTime<Utc>>>>())
    .execute(&mut *tx)
    .await?;
    let gone: Vec<i64> = kept.iter().filter(|r| r.record.is_none()).map(|r| r.ticket_id).collect();
    if !gone.is_empty() {
        sqlx::query("DELETE FROM ticket_sla WHERE ticket_id = ANY($1)").bind(&gone).execute(&mut *tx).await?;
    }
    let with: Vec<(&SlaResult, &SlaRecord)> = kept.iter().filter_map(|r| r.record.as_ref().map(|x| (*r, x))).collect();
    if !with.is_empty() {
        let breach = |i: usize| with.iter().map(|(_, x)| x.target_breached[i]).collect::<Vec<Option<DateTime<Utc>>>>();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ticket_sla (ticket_id, policy_id, computed_at, paused, due_at, due_target, warn_at, breached_at, next_check_at, \
             first_reply_breached_at, next_reply_breached_at, resolution_breached_at) \
             SELECT u.id, u.policy, $3, u.paused, u.due, u.target, u.warn, u.breach, u.next_check, u.first, u.next, u.resolution \
             FROM unnest($1::bigint[], $2::bigint[], $4::bool[], $5::timestamptz[], $6::text[], $7::timestamptz[], $8::timestamptz[], \
             $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[]) \
             AS u(id, policy, paused, due, target, warn, breach, next_check, first, next, resolution){UPSERT_SLA_TAIL}"
        )))
        .bind(with.iter().map(|(r, _)| r.ticket_id).collect::<Vec<i64>>())
        .bind(with.iter().map(|(_, x)| x.policy_id).collect::<Vec<i64>>())
        .bind(now)
        .bind(with.iter().map(|(_, x)| x.paused).collect::<Vec<bool>>())
        .bind(with.iter().map(|(_, x)| x.due.map(|d| d.1)).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(with.iter().map(|(_, x)| x.due.map(|d| d.0.as_str().to_string())).collect::<Vec<Option<String>>>())
        .bind(with.iter().map(|(_, x)| x.warn_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(with.iter().map(|(_, x)| x.breached_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(with.iter().map(|(_, x)| x.next_check_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(breach(0))
        .bind(breach(1))
        .bind(breach(2))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(kept.len())
}
