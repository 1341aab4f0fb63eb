//! Automatic rules (`rules`), their firings (`rule_firings`, once per rule,
//! ticket and condition instance) and near-breach warnings
//! (`sla_warnings`, once per ticket, target and due time), and the
//! scheduler's candidate queries, each on its own index (migration 0019).

use chrono::{DateTime, Utc};
use frontline_domain::DomainError;
use frontline_domain::rules::{RuleCondition, RuleEffect, RuleFilters, RuleSpec};
use frontline_domain::sla::TargetKind;
use frontline_domain::ticket::EventField;
use serde::Serialize;
use sqlx::QueryBuilder;

use crate::jobs::NotifyJob;
use crate::{Audit, Store, StoreError};

/// A rule as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRecord {
    pub id: i64,
    pub spec: RuleSpec,
    /// Why the scheduler switched it off; None if it did not.
    pub disabled_reason: Option<String>,
    pub author_id: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    enabled: bool,
    condition: String,
    filters: String,
    effect: String,
    disabled_reason: Option<String>,
    author_id: i64,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<RuleRow> for RuleRecord {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> Result<Self, StoreError> {
        let bad = |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("rule {}: its {what} does not parse: {e}", r.id));
        let condition: RuleCondition = serde_json::from_str(&r.condition).map_err(|e| bad("condition", e))?;
        let filters: RuleFilters = serde_json::from_str(&r.filters).map_err(|e| bad("filters", e))?;
        let effect: RuleEffect = serde_json::from_str(&r.effect).map_err(|e| bad("effect", e))?;
        // Checked again as it is read: the same rules as at save.
        let spec = RuleSpec { name: r.name, enabled: r.enabled, condition, filters, effect };
        frontline_domain::rules::RuleDraft::of(&spec)
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("rule {}: {}", r.id, e.first().map(|f| f.message.as_str()).unwrap_or("invalid"))))?;
        Ok(RuleRecord {
            id: r.id,
            spec,
            disabled_reason: r.disabled_reason,
            author_id: r.author_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const RULE_COLUMNS: &str =
    "SELECT id, name, enabled, condition, filters, effect, disabled_reason, author_id, version, created_at, updated_at FROM rules ";

fn json(v: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

fn name_taken(e: StoreError) -> StoreError {
    if e.is_unique_violation() { DomainError::conflict("name", "another rule already has this name").into() } else { e }
}

/// A ticket a rule's condition holds for, with the instance the firing is
/// keyed by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleCandidate {
    pub ticket_id: i64,
    pub instance: DateTime<Utc>,
}

/// The stored breach a breach rule fires on: the earliest of the targets
/// still waited for, or one target's own (migration 0029), each on its
/// own partial index.
fn breach_column(target: Option<TargetKind>) -> &'static str {
    match target {
        None => "s.breached_at",
        Some(TargetKind::FirstReply) => "s.first_reply_breached_at",
        Some(TargetKind::NextReply) => "s.next_reply_breached_at",
        Some(TargetKind::Resolution) => "s.resolution_breached_at",
    }
}

/// Near-breach warnings recorded per transaction: one commit for many,
/// while a chunk holds SQLite's writer only briefly.
const WARNINGS_PER_TRANSACTION: usize = 200;

/// A ticket in its warning window, not yet warned about this due time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WarningCandidate {
    pub ticket_id: i64,
    pub due_target: String,
    pub due_at: DateTime<Utc>,
}

impl WarningCandidate {
    pub fn target(&self) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.as_str() == self.due_target)
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_rules(&self) -> Result<Vec<RuleRecord>, StoreError> {
        let rows: Vec<RuleRow> =
            with_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!("{RULE_COLUMNS} ORDER BY name LIMIT 500")))
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(RuleRecord::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_rule(&self, id: i64) -> Result<Option<RuleRecord>, StoreError> {
        let row: Option<RuleRow> = with_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!("{RULE_COLUMNS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(p)
            .await)?;
        row.map(RuleRecord::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_rule(&self, spec: &RuleSpec, author_id: i64, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let (condition, filters, effect) = (json(&spec.condition)?, json(&spec.filters)?, json(&spec.effect)?);
        let created: Result<i64, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO rules (name, enabled, condition, filters, effect, author_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(&spec.name)
                .bind(spec.enabled)
                .bind(&condition)
                .bind(&filters)
                .bind(&effect)
                .bind(author_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                write_audit!(tx, audit, now);
                id
            }))
        }
        .await;
        created.map_err(name_taken)
    }

    /// Replace a rule (saving it clears a reason it was disabled for).
    /// Returns the new version, None when there is no such rule; a stale
    /// `expected_version` is a conflict.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_rule(
        &self,
        id: i64,
        spec: &RuleSpec,
        author_id: i64,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let (condition, filters, effect) = (json(&spec.condition)?, json(&spec.filters)?, json(&spec.effect)?);
        let updated: Result<Option<i64>, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let version: Option<i64> = sqlx::query_scalar(
                    "UPDATE rules SET name = $1, enabled = $2, condition = $3, filters = $4, effect = $5, author_id = $6, \
                     disabled_reason = NULL, version = version + 1, updated_at = $7 WHERE id = $8 AND ($9 IS NULL OR version = $9) RETURNING version",
                )
                .bind(&spec.name)
                .bind(spec.enabled)
                .bind(&condition)
                .bind(&filters)
                .bind(&effect)
                .bind(author_id)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?;
                match version {
                    Some(v) => {
                        write_audit!(tx, audit, now);
                        Some(v)
                    }
                    None => {
                        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM rules WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                        if exists.is_some() {
                            return Err(DomainError::conflict("version", "someone else changed this rule meanwhile; reload it and apply your change again").into());
                        }
                        None
                    }
                }
            }))
        }
        .await;
        updated.map_err(name_taken)
    }

    /// Delete a rule and its firings. False when there was none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_rule(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok(with_tx!(self, |tx| {
            let n = sqlx::query("DELETE FROM rules WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n == 1
        }))
    }

    /// Switch a rule off with the reason shown on the rules page; only
    /// the version the scheduler judged (an admin's save meanwhile wins).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn disable_rule(&self, id: i64, version: i64, reason: &str, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok(with_tx!(self, |tx| {
            let now = self.now();
            let n = sqlx::query(
                "UPDATE rules SET enabled = FALSE, disabled_reason = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
            )
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                write_audit!(tx, audit, now);
            }
            n == 1
        }))
    }

    /// Which of these teams exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn existing_teams(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(with_pool!(self, |p| {
            let mut b = QueryBuilder::new("SELECT id FROM teams WHERE id IN (");
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            b.push(")");
            b.build_query_scalar().fetch_all(p).await
        })?)
    }

    /// Open tickets a rule's condition holds for now, not yet fired for
    /// that instance, with the rule's filters; at most `limit`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rule_candidates(&self, rule_id: i64, spec: &RuleSpec, limit: i64) -> Result<Vec<RuleCandidate>, StoreError> {
        let now = self.now();
        // A builder is typed by its engine: one is built inside each arm.
        macro_rules! query {
            () => {{
                let mut b = QueryBuilder::new("");
                match spec.condition {
                    RuleCondition::Breached { target } => {
                        // On ticket_sla_breached. One firing per breach: a reopened
                        // ticket that breaches again later fires again.
                        let breached = breach_column(target);
                        b.push(format!(
                            "SELECT s.ticket_id, {breached} AS instance FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id \
                                    WHERE {breached} IS NOT NULL AND {breached} <= "
                        ));
                        b.push_bind(now);
                        b.push(" AND NOT EXISTS (SELECT 1 FROM rule_firings f WHERE f.rule_id = ").push_bind(rule_id);
                        b.push(format!(" AND f.ticket_id = s.ticket_id AND f.instance >= {breached})"));
                    }
                    RuleCondition::NearBreach => {
                        // On ticket_sla_warn: warn_at is set only while the next due
                        // time is still ahead, so the range is the tickets in their window.
                        b.push(
                            "SELECT s.ticket_id, s.due_at AS instance FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id \
                            WHERE s.warn_at IS NOT NULL AND s.warn_at <= ",
                        );
                        b.push_bind(now);
                        b.push(" AND s.due_at > ").push_bind(now);
                        b.push(" AND NOT EXISTS (SELECT 1 FROM rule_firings f WHERE f.rule_id = ").push_bind(rule_id);
                        b.push(" AND f.ticket_id = s.ticket_id AND f.instance = s.due_at)");
                    }
                    RuleCondition::TimeInStatus { status, minutes } => {
                        // On tickets_status_since.
                        b.push("SELECT t.id AS ticket_id, t.status_since AS instance FROM tickets t WHERE t.status = ");
                        b.push_bind(status.as_str());
                        b.push(" AND t.status_since <= ").push_bind(now - chrono::Duration::minutes(minutes));
                        b.push(" AND NOT EXISTS (SELECT 1 FROM rule_firings f WHERE f.rule_id = ").push_bind(rule_id);
                        b.push(" AND f.ticket_id = t.id AND f.instance = t.status_since)");
                    }
                }
                b.push(" AND t.is_open");
                if let Some(team) = spec.filters.team_id {
                    b.push(" AND t.team_id = ").push_bind(team);
                }
                if let Some(p) = spec.filters.priority {
                    b.push(" AND t.priority = ").push_bind(p.as_str());
                }
                b.push(" ORDER BY 2 LIMIT ").push_bind(limit);
                b
            }};
        }
        Ok(with_pool!(self, |p| {
            let mut b = query!();
            b.build_query_as().fetch_all(p).await
        })?)
    }

    /// Tickets in their warning window (warn_at passed, due time ahead) not
    /// yet warned about this due time; at most `limit`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn warning_candidates(&self, limit: i64) -> Result<Vec<WarningCandidate>, StoreError> {
        let now = self.now();
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT s.ticket_id, s.due_target, s.due_at FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id \
             WHERE s.warn_at IS NOT NULL AND s.warn_at <= $1 AND s.due_at > $1 AND s.due_target IS NOT NULL AND t.is_open \
             AND NOT EXISTS (SELECT 1 FROM sla_warnings w WHERE w.ticket_id = s.ticket_id AND w.target = s.due_target AND w.due_at = s.due_at) \
             ORDER BY s.warn_at LIMIT $2"
        )
        .bind(now)
        .bind(limit)
        .fetch_all(p)
        .await
        })?)
    }

    /// Record near-breach warnings, each once: its `sla_warning` event and,
    /// if `mail`, its notification job, in the transaction that records it.
    /// A chunk of warnings shares a transaction (one commit, not one per
    /// warning); a crash loses a chunk whole, and the next tick records it
    /// again. Returns how many were new (a (ticket, target, due time)
    /// warned about already is skipped).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_sla_warnings(&self, warnings: &[(i64, TargetKind, DateTime<Utc>)], mail: bool) -> Result<usize, StoreError> {
        let mut recorded = 0;
        for chunk in warnings.chunks(WARNINGS_PER_TRANSACTION) {
            recorded += with_tx!(self, |tx| {
                let now = self.now();
                let mut fresh_here = 0;
                for (ticket_id, target, due_at) in chunk {
                    let fresh = sqlx::query(
                        "INSERT INTO sla_warnings (ticket_id, target, due_at, warned_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(ticket_id)
                    .bind(target.as_str())
                    .bind(due_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if fresh {
                        insert_event!(
                            tx,
                            *ticket_id,
                            None::<i64>,
                            EventField::SlaWarning,
                            Some(target.as_str()),
                            Some(due_at.to_rfc3339()),
                            now
                        );
                        if mail {
                            let job = NotifyJob::new(frontline_domain::notification::NotificationKind::SlaWarning, *ticket_id, None, now);
                            enqueue_job!(tx, &job, now);
                        }
                        fresh_here += 1;
                    }
                }
                fresh_here
            });
        }
        Ok(recorded)
    }

    /// A rule that changes no ticket field (notify) fires once: the firing,
    /// its `rule_fired` event and the mail job to `to_users`, in one
    /// transaction. False when it had fired for this instance already.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_rule_notice(&self, once: &crate::tickets::FireOnce, to_users: &[i64]) -> Result<bool, StoreError> {
        let fresh = with_tx!(self, |tx| {
            let now = self.now();
            let fresh = insert_firing!(tx, once, now);
            if fresh && !to_users.is_empty() {
                let mut job = NotifyJob::new(frontline_domain::notification::NotificationKind::RuleNotice, once.ticket_id, None, now);
                job.to_users = to_users.to_vec();
                enqueue_job!(tx, &job, now);
            }
            fresh
        });
        Ok(fresh)
    }
}
