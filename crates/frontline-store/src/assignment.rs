//! Availability and automatic assignment. A new ticket that lands
//! unassigned in a team whose mode is automatic gets an `assign.ticket` job
//! in its creation transaction; the job assigns through the normal ticket
//! write (`Store::auto_assign`), which locks the team's row first, so
//! parallel jobs of one team take turns and count each other's work.
//! Tickets nobody could take wait in the queue until a team pass
//! (`assign.team`): queued when someone becomes available, drops below
//! capacity, or the team's settings let more through.

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::assignment::{Candidate, TeamAssignment};
use frontline_domain::user::{Availability, Role};
use serde::{Deserialize, Serialize};

use crate::jobs::JobKind;
use crate::tickets::{Effects, Modify};
use crate::{Audit, Store, StoreError, Ticket};

/// Assign one new ticket if it still waits unassigned in an automatic team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AutoAssignJob {
    pub ticket_id: i64,
}

impl JobKind for AutoAssignJob {
    const JOB_NAME: &'static str = "assign.ticket";
}

/// Hand a team's waiting tickets (oldest first, a bounded batch per job)
/// to whoever can take them now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TeamAssignPass {
    pub team_id: i64,
}

impl JobKind for TeamAssignPass {
    const JOB_NAME: &'static str = "assign.team";
}

/// Decides automatic assignment's effects from the locked ticket, the
/// team's settings and its available members (None: nobody eligible).
pub type Pick<'a> = dyn Fn(&Ticket, &TeamAssignment, &[Candidate]) -> Result<Option<Effects>, DomainError> + Send + Sync + 'a;

/// Automatic assignment's part of a ticket write.
pub struct AutoPick<'a> {
    pub team_id: i64,
    /// The roles that work tickets (authz's answer): only they are candidates.
    pub roles: &'a [Role],
    pub decide: &'a Pick<'a>,
}

/// Queue `AutoAssignJob`s for the new tickets of a batch (`$tickets`,
/// `$ids` in the same order) that wait unassigned in an automatic team:
/// one statement per batch, and none when no ticket came into a team
/// unassigned, so creation pays nothing otherwise.
macro_rules! enqueue_auto_assign {
    ($conn:expr, $tickets:expr, $ids:expr) => {{
        let waiting: Vec<i64> = $tickets
            .iter()
            .zip($ids.iter())
            .filter(|(t, _)| t.fields.team_id.is_some() && t.fields.assignee_id.is_none() && t.fields.status.is_open())
            .map(|(_, id)| *id)
            .collect();
        if !waiting.is_empty() {
            let mut b = sqlx::QueryBuilder::new("INSERT INTO jobs (kind, payload, run_at, created_at) SELECT ");
            b.push_bind(<$crate::assignment::AutoAssignJob as $crate::jobs::JobKind>::JOB_NAME);
            // The payload is AutoAssignJob's JSON, made from the row itself.
            b.push(
                ", '{\"ticket_id\":' || t.id || '}', t.created_at, t.created_at FROM tickets t JOIN teams tm ON tm.id = t.team_id \
                 WHERE tm.assignment_mode <> ",
            );
            b.push_bind(frontline_domain::assignment::AssignmentMode::Manual.as_str()).push(" AND t.id IN (");
            let mut sep = b.separated(", ");
            for id in &waiting {
                sep.push_bind(*id);
            }
            b.push(")");
            if b.build().execute(&mut *$conn).await?.rows_affected() > 0 {
                // A transaction wakes the runner once it commits; a writer
                // lane's connection wakes it after its batch anyway.
                use $crate::db::QueuesJobs as _;
                $conn.job_queued();
            }
        }
    }};
}

/// Inside a ticket write whose ticket left `$user` (solved, reassigned):
/// if that brought them from their automatic team's capacity to below it,
/// queue a pass over the team's waiting tickets. Evaluates to whether a
/// job was queued.
macro_rules! enqueue_capacity_pass {
    ($tx:expr, $user:expr, $at:expr) => {{
        let queued = sqlx::query(
            "INSERT INTO jobs (kind, payload, run_at, created_at) \
             SELECT $1, '{\"team_id\":' || tm.id || '}', $2, $2 FROM users u JOIN teams tm ON tm.id = u.team_id \
             WHERE u.id = $3 AND u.active = TRUE AND u.availability = $4 AND tm.assignment_mode <> $5 \
             AND tm.assignment_capacity IS NOT NULL \
             AND (SELECT count(*) FROM tickets t WHERE t.assignee_id = u.id AND t.is_open = TRUE) = tm.assignment_capacity - 1",
        )
        .bind(<$crate::assignment::TeamAssignPass as $crate::jobs::JobKind>::JOB_NAME)
        .bind($at)
        .bind($user)
        .bind(frontline_domain::user::Availability::Available.as_str())
        .bind(frontline_domain::assignment::AssignmentMode::Manual.as_str())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0;
        if queued {
            // The runner is woken once this commits (`with_tx!`).
            use $crate::db::QueuesJobs as _;
            $tx.job_queued();
        }
        queued
    }};
}

/// Lock a team's row and read its assignment settings (None: no such team).
macro_rules! lock_team_assignment {
    ($tx:expr, $engine:expr, $team:expr) => {{
        let sql = match $engine {
            // BEGIN IMMEDIATE already holds SQLite's only write lock.
            $crate::Engine::Sqlite => "SELECT assignment_mode, assignment_capacity, assignment_cursor FROM teams WHERE id = $1",
            $crate::Engine::Postgres => {
                "SELECT assignment_mode, assignment_capacity, assignment_cursor FROM teams WHERE id = $1 FOR UPDATE"
            }
        };
        let row: Option<(String, Option<i64>, Option<i64>)> = sqlx::query_as(sql).bind($team).fetch_optional(&mut *$tx).await?;
        match row {
            None => None,
            Some((mode, capacity, cursor)) => Some(frontline_domain::assignment::TeamAssignment {
                mode: frontline_domain::assignment::AssignmentMode::parse(&mode)?,
                capacity,
                cursor,
            }),
        }
    }};
}

/// The team's active, available members in `$roles`, with their open
/// tickets counted (on `tickets_mine`), in id order. On PostgreSQL their
/// rows are share-locked until the assignment commits: someone going away
/// meanwhile waits for it, or is read as away (SQLite's one writer already
/// orders the two).
macro_rules! team_candidates {
    ($tx:expr, $engine:expr, $team:expr, $roles:expr) => {{
        let mut b = sqlx::QueryBuilder::new(
            "SELECT u.id, u.availability, u.last_assigned_at, \
             (SELECT count(*) FROM tickets t WHERE t.assignee_id = u.id AND t.is_open = TRUE) AS load \
             FROM users u WHERE u.active = TRUE AND u.availability = ",
        );
        b.push_bind(frontline_domain::user::Availability::Available.as_str()).push(" AND u.team_id = ");
        b.push_bind($team).push(" AND u.role IN (");
        let mut sep = b.separated(", ");
        for r in $roles.iter() {
            sep.push_bind(r.as_str());
        }
        b.push(if $roles.is_empty() { "NULL) ORDER BY u.id LIMIT 1000" } else { ") ORDER BY u.id LIMIT 1000" });
        if $engine == $crate::Engine::Postgres {
            b.push(" FOR SHARE OF u");
        }
        let rows: Vec<(i64, String, Option<chrono::DateTime<chrono::Utc>>, i64)> = b.build_query_as().fetch_all(&mut *$tx).await?;
        rows.into_iter()
            .map(|(user_id, availability, last_assigned_at, load)| {
                Ok::<_, DomainError>(frontline_domain::assignment::Candidate {
                    user_id,
                    availability: frontline_domain::user::Availability::parse("availability", &availability)?,
                    load,
                    last_assigned_at,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    }};
}

impl Store {
    /// Assign a ticket waiting unassigned in team `pick.team_id` as
    /// `pick.decide` chooses, through the normal ticket write (events,
    /// counts, mail jobs), by the system. Returns whom it assigned: None
    /// when nobody was eligible, or the ticket was assigned, moved or
    /// closed meanwhile (nothing is written then).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn auto_assign(&self, ticket_id: i64, pick: &AutoPick<'_>) -> Result<Option<i64>, StoreError> {
        // Never called: the pick decides on this path.
        let unused = |t: &Ticket| -> Result<Effects, DomainError> { Ok(Effects { after: t.fields(), notify: vec![] }) };
        let change =
            Modify { ticket_id, actor_id: None, expected_version: None, message: None, accept: None, decide: &unused, idempotency: None };
        Ok(self.write_change(change, None, Some(pick), None).await?.assigned)
    }

    /// A team's open unassigned tickets, least recently updated first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn waiting_in_team(&self, team_id: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT id FROM tickets WHERE team_id = $1 AND is_open = TRUE AND assignee_id IS NULL ORDER BY updated_at, id LIMIT $2"
        )
        .bind(team_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// Set a user's availability, audited; someone who becomes available
    /// in an automatic team starts a pass over its waiting tickets, queued
    /// in the same transaction. False when there is no such user.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_availability(&self, user_id: i64, availability: Availability, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let at = self.now();
        let found = with_tx!(self, |tx| {
            let team: Option<Option<i64>> = sqlx::query_scalar("UPDATE users SET availability = $1 WHERE id = $2 RETURNING team_id")
                .bind(availability.as_str())
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(team) = team else { return Ok(false) };
            write_audit!(tx, audit, at);
            if let (Some(team_id), true) = (team, availability.takes_new_work()) {
                let automatic: Option<String> =
                    sqlx::query_scalar("SELECT assignment_mode FROM teams WHERE id = $1").bind(team_id).fetch_optional(&mut *tx).await?;
                if automatic.is_some_and(|m| m != frontline_domain::assignment::AssignmentMode::Manual.as_str()) {
                    enqueue_job!(tx, &TeamAssignPass { team_id }, at);
                }
            }
            true
        });
        Ok(found)
    }

    /// When the user was last given a ticket (tests and the workload view).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn last_assigned_at(&self, user_id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar("SELECT last_assigned_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(p)
            .await)?
        .flatten())
    }
}
