//! The workload view's reads: open tickets counted per (tier, assignee) in
//! one aggregate, open help requests per recipient in another, the ticket
//! workers, and the tickets whose SLA is at risk. "Now" is the store's
//! clock. Near breach and overdue read the SLA pass's stored state
//! (`ticket_sla`, `tickets.sla_due_at`, migration 0023).

use chrono::{DateTime, Utc};
use frontline_domain::help::HelpStatus;
use frontline_domain::ticket::{Priority, Status};
use frontline_domain::tier::{EscalationLevel, Tier};
use frontline_domain::user::{Availability, Role};
use frontline_domain::workload::{Counts, Holder, LoadCell, LoadSlice, LoadState, OldestTicket};
use sqlx::QueryBuilder;

use crate::{Store, StoreError};

#[derive(sqlx::FromRow)]
struct CellRow {
    tier: i64,
    assignee_id: Option<i64>,
    open_n: i64,
    pending_n: i64,
    near_n: i64,
    late_n: i64,
    oldest_id: Option<i64>,
    oldest_subject: Option<String>,
    oldest_at: Option<DateTime<Utc>>,
}

/// A ticket worker as the workload lists them; the app turns the position's
/// tier into the queue tier (authz).
#[derive(Debug, Clone)]
pub struct WorkerRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub position_tier: Option<Tier>,
    pub availability: Availability,
}

#[derive(sqlx::FromRow)]
struct WorkerSql {
    id: i64,
    name: String,
    role: String,
    tier: Option<i64>,
    availability: String,
}

/// Open help requests waiting on one person or one tier.
#[derive(Debug, Clone, Default)]
pub struct HelpWaiting {
    pub to_users: Vec<(i64, i64)>,
    pub to_tiers: Vec<(Tier, i64)>,
}

#[derive(sqlx::FromRow)]
struct HelpCountRow {
    to_user_id: Option<i64>,
    to_tier: Option<i64>,
    n: i64,
}

/// A ticket whose SLA needs attention, with the version a one-click
/// assignment carries.
#[derive(Debug, Clone)]
pub struct AtRiskTicket {
    pub id: i64,
    pub subject: String,
    pub priority: Priority,
    pub tier: Tier,
    pub escalation_level: EscalationLevel,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The earliest due time of a running target (None: paused or none running).
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// Past due or breached, rather than only near it.
    pub overdue: bool,
}

#[derive(sqlx::FromRow)]
struct AtRiskRow {
    id: i64,
    subject: String,
    priority: String,
    tier: i64,
    escalation_level: i64,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
    late: i64,
}

/// Which at-risk tickets to list.
#[derive(Debug, Clone, Copy)]
pub struct AtRiskQuery {
    /// Only tickets nobody holds (the workload's "take" list).
    pub unassigned_only: bool,
    /// Only this team's tickets.
    pub team_id: Option<i64>,
    pub limit: i64,
}

/// Near breach: a target's warning time has come and its due time not yet.
/// Overdue: the earliest running target is past due, or one was breached.
macro_rules! near_breach {
    () => {
        "(s.warn_at <= $1 AND s.due_at > $1)"
    };
}
macro_rules! overdue {
    () => {
        "(t.sla_due_at <= $1 OR s.breached_at IS NOT NULL)"
    };
}

/// Open tickets near breach or overdue, the most urgent first (longest
/// overdue, then soonest due); `$2` a team or NULL for all, `$3` the limit.
macro_rules! at_risk_sql {
    ($extra:literal) => {
        concat!(
            "SELECT t.id, t.subject, t.priority, t.tier, t.escalation_level, t.assignee_id, a.name AS assignee_name, \
             t.created_at, t.updated_at, s.due_at, s.breached_at, CAST(CASE WHEN ",
            overdue!(),
            " THEN 1 ELSE 0 END AS BIGINT) AS late \
             FROM tickets t JOIN ticket_sla s ON s.ticket_id = t.id LEFT JOIN users a ON a.id = t.assignee_id \
             WHERE t.is_open = TRUE AND (",
            near_breach!(),
            " OR ",
            overdue!(),
            ") AND ($2 IS NULL OR t.team_id = $2)",
            $extra,
            " ORDER BY COALESCE(s.breached_at, t.sla_due_at, s.due_at), t.id LIMIT $3"
        )
    };
}

/// The open tickets behind one workload count (`LoadSlice`), with the same
/// tests as the counts: `$2` a tier or NULL, `$3` an assignee or NULL, `$4`
/// nobody's only; `$5`..`$8` which state (one is true); `$9`..`$12` the
/// statuses of open and pending; `$13` the limit. The SLA states list the
/// most urgent first, the others the oldest first.
const SLICE_SQL: &str = concat!(
    "SELECT t.id, t.subject, t.priority, t.tier, t.escalation_level, t.assignee_id, a.name AS assignee_name, \
     t.created_at, t.updated_at, s.due_at, s.breached_at, CAST(CASE WHEN ",
    overdue!(),
    " THEN 1 ELSE 0 END AS BIGINT) AS late \
     FROM tickets t LEFT JOIN ticket_sla s ON s.ticket_id = t.id LEFT JOIN users a ON a.id = t.assignee_id \
     WHERE t.is_open = TRUE AND ($2 IS NULL OR t.tier = $2) AND ($3 IS NULL OR t.assignee_id = $3) \
     AND ($4 = FALSE OR t.assignee_id IS NULL) \
     AND (($5 AND t.status IN ($9, $10)) OR ($6 AND t.status IN ($11, $12)) OR ($7 AND ",
    near_breach!(),
    ") OR ($8 AND ",
    overdue!(),
    ")) ORDER BY CASE WHEN $7 OR $8 THEN COALESCE(s.breached_at, t.sla_due_at, s.due_at) ELSE t.created_at END, t.id LIMIT $13"
);

impl Store {
    /// The open tickets behind one workload count, at most `limit` (1 to 200).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn workload_tickets(&self, slice: &LoadSlice, limit: i64) -> Result<Vec<AtRiskTicket>, StoreError> {
        let now = self.now();
        let (agent, nobody) = match slice.holder {
            Holder::Agent(id) => (Some(id), false),
            Holder::Nobody => (None, true),
            Holder::Anyone => (None, false),
        };
        let rows: Vec<AtRiskRow> = with_pool!(self, |p| sqlx::query_as(SLICE_SQL)
            .bind(now)
            .bind(slice.tier.map(Tier::get))
            .bind(agent)
            .bind(nobody)
            .bind(slice.state == LoadState::Open)
            .bind(slice.state == LoadState::Pending)
            .bind(slice.state == LoadState::NearBreach)
            .bind(slice.state == LoadState::Overdue)
            .bind(Status::New.as_str())
            .bind(Status::Open.as_str())
            .bind(Status::Pending.as_str())
            .bind(Status::OnHold.as_str())
            .bind(limit.clamp(1, 200))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(at_risk_of).collect()
    }

    /// Open tickets per (tier, assignee), with each group's oldest ticket,
    /// in one pass over the open tickets.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn workload_cells(&self) -> Result<Vec<LoadCell>, StoreError> {
        let now = self.now();
        let rows: Vec<CellRow> = with_pool!(self, |p| sqlx::query_as(concat!(
            "WITH o AS (SELECT t.id, t.subject, t.tier, t.assignee_id, t.status, t.created_at, \
             CASE WHEN ",
            near_breach!(),
            " THEN 1 ELSE 0 END AS near, CASE WHEN ",
            overdue!(),
            " THEN 1 ELSE 0 END AS late, \
             ROW_NUMBER() OVER (PARTITION BY t.tier, t.assignee_id ORDER BY t.created_at, t.id) AS rn \
             FROM tickets t LEFT JOIN ticket_sla s ON s.ticket_id = t.id WHERE t.is_open = TRUE) \
             SELECT tier, assignee_id, \
             CAST(SUM(CASE WHEN status IN ($2, $3) THEN 1 ELSE 0 END) AS BIGINT) AS open_n, \
             CAST(SUM(CASE WHEN status IN ($4, $5) THEN 1 ELSE 0 END) AS BIGINT) AS pending_n, \
             CAST(SUM(near) AS BIGINT) AS near_n, CAST(SUM(late) AS BIGINT) AS late_n, \
             MAX(CASE WHEN rn = 1 THEN id END) AS oldest_id, MAX(CASE WHEN rn = 1 THEN subject END) AS oldest_subject, \
             MIN(created_at) AS oldest_at \
             FROM o GROUP BY tier, assignee_id ORDER BY tier, assignee_id"
        ))
        .bind(now)
        .bind(Status::New.as_str())
        .bind(Status::Open.as_str())
        .bind(Status::Pending.as_str())
        .bind(Status::OnHold.as_str())
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                let oldest = match (r.oldest_id, r.oldest_subject, r.oldest_at) {
                    (Some(id), Some(subject), Some(created_at)) => Some(OldestTicket { id, subject, created_at }),
                    _ => None,
                };
                Ok(LoadCell {
                    tier: Tier::new(r.tier)?,
                    assignee_id: r.assignee_id,
                    counts: Counts { open: r.open_n, pending: r.pending_n, near_breach: r.near_n, overdue: r.late_n },
                    oldest,
                })
            })
            .collect()
    }

    /// Active users in `roles` (those who work tickets), by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn workload_workers(&self, roles: &[Role]) -> Result<Vec<WorkerRow>, StoreError> {
        let rows: Vec<WorkerSql> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(
                "SELECT u.id, u.name, u.role, p.tier AS tier, u.availability FROM users u \
                 LEFT JOIN positions p ON p.id = u.position_id WHERE u.active = TRUE AND u.role IN (",
            );
            let mut sep = b.separated(", ");
            for r in roles {
                sep.push_bind(r.as_str());
            }
            // An empty list matches nobody rather than being a syntax error.
            b.push(if roles.is_empty() { "NULL) ORDER BY u.name, u.id LIMIT 1000" } else { ") ORDER BY u.name, u.id LIMIT 1000" });
            b.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(WorkerRow {
                    id: r.id,
                    name: r.name,
                    role: Role::parse(&r.role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    position_tier: r.tier.map(Tier::new).transpose()?,
                    availability: Availability::parse("availability", &r.availability).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Open help requests per person and per tier they were put to.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn help_waiting(&self) -> Result<HelpWaiting, StoreError> {
        let rows: Vec<HelpCountRow> = with_pool!(self, |p| sqlx::query_as(
            "SELECT to_user_id, to_tier, CAST(COUNT(*) AS BIGINT) AS n FROM help_requests WHERE status = $1 \
             GROUP BY to_user_id, to_tier"
        )
        .bind(HelpStatus::Open.as_str())
        .fetch_all(p)
        .await)?;
        let mut out = HelpWaiting::default();
        for r in rows {
            match (r.to_user_id, r.to_tier) {
                (Some(u), _) => out.to_users.push((u, r.n)),
                (None, Some(t)) => out.to_tiers.push((Tier::new(t)?, r.n)),
                (None, None) => {}
            }
        }
        Ok(out)
    }

    /// Open tickets near breach or overdue, the most urgent first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn at_risk_tickets(&self, q: AtRiskQuery) -> Result<Vec<AtRiskTicket>, StoreError> {
        let now = self.now();
        let limit = q.limit.clamp(1, 200);
        // Two fixed statements rather than a built one: `$1` (now) appears
        // several times, and the team filter is a bound value that may be NULL.
        let sql: &'static str = if q.unassigned_only { at_risk_sql!(" AND t.assignee_id IS NULL") } else { at_risk_sql!("") };
        let rows: Vec<AtRiskRow> = with_pool!(self, |p| sqlx::query_as(sql).bind(now).bind(q.team_id).bind(limit).fetch_all(p).await)?;
        rows.into_iter().map(at_risk_of).collect()
    }
}

fn at_risk_of(r: AtRiskRow) -> Result<AtRiskTicket, StoreError> {
    Ok(AtRiskTicket {
        id: r.id,
        subject: r.subject,
        priority: Priority::parse(&r.priority).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        tier: Tier::new(r.tier)?,
        escalation_level: EscalationLevel::new(r.escalation_level)?,
        assignee_id: r.assignee_id,
        assignee_name: r.assignee_name,
        created_at: r.created_at,
        updated_at: r.updated_at,
        due_at: r.due_at,
        breached_at: r.breached_at,
        overdue: r.late == 1,
    })
}
