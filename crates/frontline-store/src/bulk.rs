//! Bulk loading for demo data and benchmarks: multi-row INSERTs, many rows
//! per statement and many statements per transaction.
//!
//! Ids are reserved up front (the table's max id + 1 on SQLite inside the
//! write transaction, the identity sequence on PostgreSQL), so that the
//! caller gets them back in input order and rows can refer to each other
//! without a round trip per row.
//!
//! This is not a second write path for normal use: nothing is validated,
//! no audit is written, and the queue counts are not kept per row: call
//! [`Store::rebuild_ticket_counts`] (and [`Store::analyze`]) once loading
//! is done. Use it on a database that nothing else writes to meanwhile.

use chrono::{DateTime, Utc};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketType};

use sqlx::QueryBuilder;

use crate::tickets::priority_rank;
use crate::users::NewUser;
use crate::{Engine, Store, StoreError};

/// Most bind parameters one statement may carry.
const SQLITE_MAX_PARAMS: usize = 32766;
const POSTGRES_MAX_PARAMS: usize = 65535;
/// Rows per statement are capped as well, so that a statement of narrow
/// rows stays a reasonable size.
const MAX_ROWS_PER_STATEMENT: usize = 4000;

fn rows_per_statement(engine: Engine, columns: usize) -> usize {
    let max = match engine {
        Engine::Sqlite => SQLITE_MAX_PARAMS,
        Engine::Postgres => POSTGRES_MAX_PARAMS,
    };
    (max / columns).clamp(1, MAX_ROWS_PER_STATEMENT)
}

/// Reserve `$n` ids of `$table` inside an open write transaction, in
/// increasing order.
macro_rules! reserve_ids {
    ($tx:expr, $engine:expr, $table:literal, $n:expr) => {{
        let n = $n as i64;
        match $engine {
            Engine::Sqlite => {
                let max: i64 = sqlx::query_scalar(concat!("SELECT COALESCE(MAX(id), 0) FROM ", $table)).fetch_one(&mut *$tx).await?;
                ((max + 1)..=(max + n)).collect::<Vec<i64>>()
            }
            Engine::Postgres => {
                let mut ids: Vec<i64> =
                    sqlx::query_scalar(concat!("SELECT nextval(pg_get_serial_sequence('", $table, "', 'id')) FROM generate_series(1, $1)"))
                        .bind(n)
                        .fetch_all(&mut *$tx)
                        .await?;
                // Sequence values come back in no promised order; hand them out increasing.
                ids.sort_unstable();
                ids
            }
        }
    }};
}

/// Insert `$rows` (a slice) into `$head` ("INSERT INTO t (a, b) ") in
/// statements of as many rows as the engine's bind limit allows.
macro_rules! insert_rows {
    ($tx:expr, $engine:expr, $head:literal, $columns:expr, $rows:expr, |$b:ident, $row:pat_param| $push:block) => {
        for chunk in $rows.chunks(rows_per_statement($engine, $columns)) {
            let mut qb = QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $row| $push);
            qb.build().execute(&mut *$tx).await?;
        }
    };
}

#[derive(Debug, Clone)]
pub struct BulkOrg {
    pub name: String,
    pub domains: Vec<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct BulkUser {
    /// `reports_to` must refer to a user that exists already (an earlier call).
    pub user: NewUser,
    pub created_at: DateTime<Utc>,
}

/// A ticket as stored; `is_open` and the priority rank are derived here.
#[derive(Debug, Clone)]
pub struct BulkTicket {
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub ticket_type: TicketType,
    pub channel: Channel,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub tier: i64,
    pub escalation_level: i64,
    /// Written both as the space-separated column and as `ticket_tags` rows
    /// (sorted and without duplicates).
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set for solved and closed tickets.
    pub solved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct BulkMessage {
    pub ticket_id: i64,
    pub author_id: i64,
    pub kind: MessageKind,
    pub body: String,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct BulkEvent {
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    pub field: frontline_domain::ticket::EventField,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Row counts, for seed summaries and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataCounts {
    pub users: i64,
    pub staff: i64,
    pub customers: i64,
    pub organizations: i64,
    pub teams: i64,
    pub tickets: i64,
    pub open_tickets: i64,
    pub messages: i64,
    pub public_messages: i64,
    pub internal_messages: i64,
    pub events: i64,
    /// (status, tickets) for every status present, by status.
    pub tickets_by_status: Vec<(String, i64)>,
    /// (tier, tickets), by tier.
    pub tickets_by_tier: Vec<(i64, i64)>,
}

/// Rows that break the invariants the ordinary write path keeps; every
/// field is a number of offending rows and should be zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataChecks {
    /// Queue-count buckets that differ from counting the tickets table.
    pub count_buckets_off: i64,
    pub open_flag_wrong: i64,
    pub priority_rank_wrong: i64,
    pub updated_before_created: i64,
    /// Solved or closed without `solved_at`, or open with one.
    pub solved_at_wrong: i64,
    /// Tags column and `ticket_tags` rows disagree on having tags.
    pub tags_out_of_sync: i64,
    pub tickets_without_created_event: i64,
    pub tickets_without_messages: i64,
    /// Messages dated before their ticket was created or after its last update.
    pub messages_outside_ticket: i64,
    /// Messages dated before the previous message of the same ticket.
    pub messages_out_of_order: i64,
}

impl DataChecks {
    /// The non-zero checks, named, for an assertion message.
    pub fn problems(&self) -> Vec<String> {
        let all = [
            ("count_buckets_off", self.count_buckets_off),
            ("open_flag_wrong", self.open_flag_wrong),
            ("priority_rank_wrong", self.priority_rank_wrong),
            ("updated_before_created", self.updated_before_created),
            ("solved_at_wrong", self.solved_at_wrong),
            ("tags_out_of_sync", self.tags_out_of_sync),
            ("tickets_without_created_event", self.tickets_without_created_event),
            ("tickets_without_messages", self.tickets_without_messages),
            ("messages_outside_ticket", self.messages_outside_ticket),
            ("messages_out_of_order", self.messages_out_of_order),
        ];
        all.iter().filter(|(_, n)| *n != 0).map(|(name, n)| format!("{name}: {n}")).collect()
    }

    pub fn is_clean(&self) -> bool {
        self.problems().is_empty()
    }
}

impl Store {
    /// Organizations with their domains; ids in input order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bulk_insert_orgs(&self, orgs: &[BulkOrg]) -> Result<Vec<i64>, StoreError> {
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.engine();
        let ids = with_tx!(self, |tx| {
            let ids = reserve_ids!(tx, engine, "organizations", orgs.len());
            let rows: Vec<(i64, &BulkOrg)> = ids.iter().copied().zip(orgs).collect();
            insert_rows!(tx, engine, "INSERT INTO organizations (id, name, notes, created_at) ", 4, rows, |b, (id, o)| {
                b.push_bind(*id).push_bind(&o.name).push_bind(&o.notes).push_bind(o.created_at);
            });
            let domains: Vec<(i64, &String)> = rows.iter().flat_map(|(id, o)| o.domains.iter().map(move |d| (*id, d))).collect();
            insert_rows!(tx, engine, "INSERT INTO organization_domains (domain, organization_id) ", 2, domains, |b, (id, d)| {
                b.push_bind(*d).push_bind(*id);
            });
            ids
        });
        Ok(ids)
    }

    /// Users; ids in input order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bulk_insert_users(&self, users: &[BulkUser]) -> Result<Vec<i64>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.engine();
        let ids = with_tx!(self, |tx| {
            let ids = reserve_ids!(tx, engine, "users", users.len());
            let rows: Vec<(i64, &BulkUser)> = ids.iter().copied().zip(users).collect();
            insert_rows!(
                tx,
                engine,
                "INSERT INTO users (id, email, name, role, organization_id, position_id, team_id, reports_to, password_hash, active, created_at) ",
                11,
                rows,
                |b, (id, bulk)| {
                    let u = &bulk.user;
                    b.push_bind(*id)
                        .push_bind(&u.email)
                        .push_bind(&u.name)
                        .push_bind(u.role.as_str())
                        .push_bind(u.organization_id)
                        .push_bind(u.position_id)
                        .push_bind(u.team_id)
                        .push_bind(u.reports_to)
                        .push_bind(&u.password_hash)
                        .push_bind(true)
                        .push_bind(bulk.created_at);
                }
            );
            ids
        });
        Ok(ids)
    }

    /// Tickets and their tag rows; ids in input order. Queue counts are
    /// not touched: call [`Store::rebuild_ticket_counts`] afterwards.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bulk_insert_tickets(&self, tickets: &[BulkTicket]) -> Result<Vec<i64>, StoreError> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.engine();
        let ids = with_tx!(self, |tx| {
            let ids = reserve_ids!(tx, engine, "tickets", tickets.len());
            let rows: Vec<(i64, &BulkTicket, String)> = ids
                .iter()
                .copied()
                .zip(tickets)
                .map(|(id, t)| {
                    let mut tags: Vec<&str> = t.tags.iter().map(String::as_str).collect();
                    tags.sort_unstable();
                    tags.dedup();
                    (id, t, tags.join(" "))
                })
                .collect();
            insert_rows!(
                tx,
                engine,
                "INSERT INTO tickets (id, subject, status, priority, ticket_type, channel, requester_id, organization_id, assignee_id, \
                 team_id, tier, escalation_level, tags, priority_rank, is_open, created_at, updated_at, solved_at, status_since) ",
                19,
                rows,
                |b, (id, t, tags)| {
                    b.push_bind(*id)
                        .push_bind(&t.subject)
                        .push_bind(t.status.as_str())
                        .push_bind(t.priority.as_str())
                        .push_bind(t.ticket_type.as_str())
                        .push_bind(t.channel.as_str())
                        .push_bind(t.requester_id)
                        .push_bind(t.organization_id)
                        .push_bind(t.assignee_id)
                        .push_bind(t.team_id)
                        .push_bind(t.tier)
                        .push_bind(t.escalation_level)
                        .push_bind(tags)
                        .push_bind(priority_rank(t.priority))
                        .push_bind(t.status.is_open())
                        .push_bind(t.created_at)
                        .push_bind(t.updated_at)
                        .push_bind(t.solved_at)
                        // Bulk rows carry no history: their last change is when they entered their status.
                        .push_bind(t.updated_at);
                }
            );
            insert_rows!(tx, engine, "INSERT INTO sla_marks (ticket_id) ", 1, ids, |b, id| {
                b.push_bind(*id);
            });
            let tag_rows: Vec<(i64, &str)> =
                rows.iter().flat_map(|(id, _, tags)| tags.split_whitespace().map(move |tag| (*id, tag))).collect();
            insert_rows!(tx, engine, "INSERT INTO ticket_tags (ticket_id, tag) ", 2, tag_rows, |b, (id, tag)| {
                b.push_bind(*id).push_bind(*tag);
            });
            ids
        });
        Ok(ids)
    }

    /// Messages; ids increase in input order, so pass each ticket's
    /// messages in time order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bulk_insert_messages(&self, messages: &[BulkMessage]) -> Result<Vec<i64>, StoreError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.engine();
        let ids = with_tx!(self, |tx| {
            let ids = reserve_ids!(tx, engine, "messages", messages.len());
            let rows: Vec<(i64, &BulkMessage)> = ids.iter().copied().zip(messages).collect();
            insert_rows!(
                tx,
                engine,
                "INSERT INTO messages (id, ticket_id, author_id, kind, body, channel, created_at) ",
                7,
                rows,
                |b, (id, m)| {
                    b.push_bind(*id)
                        .push_bind(m.ticket_id)
                        .push_bind(m.author_id)
                        .push_bind(m.kind.as_str())
                        .push_bind(&m.body)
                        .push_bind(m.channel.as_str())
                        .push_bind(m.created_at);
                }
            );
            ids
        });
        Ok(ids)
    }

    /// History events, in input order; returns how many were written.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bulk_insert_events(&self, events: &[BulkEvent]) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let engine = self.engine();
        with_tx!(self, |tx| {
            insert_rows!(
                tx,
                engine,
                "INSERT INTO ticket_events (ticket_id, actor_id, field, old_value, new_value, created_at) ",
                6,
                events,
                |b, e| {
                    b.push_bind(e.ticket_id)
                        .push_bind(e.actor_id)
                        .push_bind(e.field.as_str())
                        .push_bind(&e.old_value)
                        .push_bind(&e.new_value)
                        .push_bind(e.created_at);
                }
            );
        });
        Ok(events.len() as u64)
    }

    /// Recount the queue-count table from the tickets table.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rebuild_ticket_counts(&self) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query("DELETE FROM ticket_counts").execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO ticket_counts (status, tier, team_id, assignee_id, n) \
                 SELECT status, tier, COALESCE(team_id, 0), COALESCE(assignee_id, 0), count(*) FROM tickets GROUP BY 1, 2, 3, 4",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM solved_counts").execute(&mut *tx).await?;
        });
        // Per day in Rust: the day of a timestamp is spelled differently on each engine.
        let days: Vec<(DateTime<Utc>,)> = with_pool!(self, |p| {
            sqlx::query_as("SELECT solved_at FROM tickets WHERE status = 'solved' AND solved_at IS NOT NULL").fetch_all(p).await
        })?;
        let mut per_day: std::collections::BTreeMap<chrono::NaiveDate, i64> = Default::default();
        for (at,) in days {
            *per_day.entry(at.date_naive()).or_default() += 1;
        }
        with_tx!(self, |tx| {
            for (day, n) in &per_day {
                sqlx::query("INSERT INTO solved_counts (day, n) VALUES ($1, $2)").bind(*day).bind(*n).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Refresh the planner's statistics after a bulk load.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn analyze(&self) -> Result<(), StoreError> {
        match &self.db {
            crate::db::Db::Sqlite(..) => with_tx!(self, |tx| {
                sqlx::query("ANALYZE").execute(&mut *tx).await?;
            }),
            // VACUUM too, as after a real import: it sets the visibility map
            // that index-only scans need. It cannot run in a transaction.
            crate::db::Db::Postgres(p) => {
                sqlx::query("VACUUM ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn data_counts(&self) -> Result<DataCounts, StoreError> {
        macro_rules! count {
            ($sql:literal) => {
                with_pool!(self, |p| sqlx::query_scalar::<_, i64>($sql).fetch_one(p).await)?
            };
        }
        let tickets_by_status: Vec<(String, i64)> = with_pool!(self, |p| {
            sqlx::query_as("SELECT status, count(*) FROM tickets GROUP BY status ORDER BY status").fetch_all(p).await
        })?;
        let tickets_by_tier: Vec<(i64, i64)> =
            with_pool!(self, |p| { sqlx::query_as("SELECT tier, count(*) FROM tickets GROUP BY tier ORDER BY tier").fetch_all(p).await })?;
        Ok(DataCounts {
            users: count!("SELECT count(*) FROM users"),
            staff: count!("SELECT count(*) FROM users WHERE role NOT IN ('customer_admin', 'customer_member')"),
            customers: count!("SELECT count(*) FROM users WHERE role IN ('customer_admin', 'customer_member')"),
            organizations: count!("SELECT count(*) FROM organizations"),
            teams: count!("SELECT count(*) FROM teams"),
            tickets: count!("SELECT count(*) FROM tickets"),
            open_tickets: count!("SELECT count(*) FROM tickets WHERE is_open = TRUE"),
            messages: count!("SELECT count(*) FROM messages"),
            public_messages: count!("SELECT count(*) FROM messages WHERE kind = 'public'"),
            internal_messages: count!("SELECT count(*) FROM messages WHERE kind = 'internal'"),
            events: count!("SELECT count(*) FROM ticket_events"),
            tickets_by_status,
            tickets_by_tier,
        })
    }

    /// Check the invariants of the tickets, messages and counts (full
    /// scans: for tests and after loading, not for a live request).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn data_checks(&self) -> Result<DataChecks, StoreError> {
        macro_rules! count {
            ($sql:expr) => {
                with_pool!(self, |p| sqlx::query_scalar::<_, i64>($sql).fetch_one(p).await)?
            };
        }
        Ok(DataChecks {
            count_buckets_off: count!(
                "SELECT count(*) FROM (SELECT status, tier, team_id, assignee_id FROM ( \
                   SELECT status, tier, team_id, assignee_id, n FROM ticket_counts \
                   UNION ALL \
                   SELECT status, tier, COALESCE(team_id, 0), COALESCE(assignee_id, 0), -count(*) FROM tickets GROUP BY 1, 2, 3, 4 \
                 ) x GROUP BY status, tier, team_id, assignee_id HAVING sum(n) <> 0) y"
            ),
            open_flag_wrong: count!(
                "SELECT count(*) FROM tickets WHERE (is_open = TRUE AND status NOT IN ('new', 'open', 'pending', 'on_hold')) \
                 OR (is_open = FALSE AND status IN ('new', 'open', 'pending', 'on_hold'))"
            ),
            priority_rank_wrong: count!(
                "SELECT count(*) FROM tickets WHERE priority_rank <> \
                 CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END"
            ),
            updated_before_created: count!("SELECT count(*) FROM tickets WHERE updated_at < created_at"),
            solved_at_wrong: count!(
                "SELECT count(*) FROM tickets WHERE (status IN ('solved', 'closed') AND solved_at IS NULL) \
                 OR (is_open = TRUE AND solved_at IS NOT NULL) OR solved_at < created_at OR solved_at > updated_at"
            ),
            tags_out_of_sync: count!(
                "SELECT count(*) FROM tickets t WHERE (t.tags <> '') <> EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id)"
            ),
            tickets_without_created_event: count!(
                "SELECT count(*) FROM tickets t WHERE NOT EXISTS \
                 (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.field = 'created')"
            ),
            tickets_without_messages: count!(
                "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
            ),
            messages_outside_ticket: count!(
                "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id \
                 WHERE m.created_at < t.created_at OR m.created_at > t.updated_at"
            ),
            messages_out_of_order: count!(
                "SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER (PARTITION BY ticket_id ORDER BY id) AS prev \
                 FROM messages) x WHERE prev > created_at"
            ),
        })
    }
}
