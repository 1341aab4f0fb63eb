//! SLA configuration: business-hours calendars, support plans (and which
//! organization has which), and SLA policies in the admin's order.
//!
//! Calendars and policies arrive as checked domain values and their JSON
//! columns are checked again by the domain when read, so a row that the
//! domain would refuse is never used for a due time: reading it alone is
//! `StoreError::Corrupt`; lists leave it out (and log it), and the admin's
//! lists show it as a `BrokenRow` with its name so it can be fixed or
//! deleted. Every edit bumps the row's `version`; an edit that carries the
//! version it was made from is refused with a conflict (409) when the row
//! changed meanwhile, one without a version applies to the row as it is.
//!
//! Whatever can change a ticket's SLA (a policy or calendar edit, the
//! policies' order, an organization's plan) marks the open tickets it may
//! concern for recomputation (`sla_marks`) in its own transaction.
//!
//! A row in use is never deleted from under its user: the check and the
//! delete, and the check and the use, are one transaction, and on
//! PostgreSQL the referenced row is locked (`FOR UPDATE` by the delete,
//! `FOR SHARE` by the use), so whichever comes second sees the first's
//! result. SQLite's writes are serialized by the one writer.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_domain::DomainError;
use frontline_domain::sla::{BusinessCalendar, CalendarSpec, Condition, SlaPolicy, WeeklyHoursSpec};

use crate::{Audit, Store, StoreError};

/// A stored business-hours calendar.
#[derive(Debug, Clone)]
pub struct CalendarRecord {
    pub id: i64,
    pub name: String,
    pub calendar: BusinessCalendar,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CalendarRow {
    id: i64,
    name: String,
    time_zone: String,
    hours: String,
    holidays: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A stored row the domain refuses (written around the store, by a script
/// or an older instance): never used, shown by name so an admin can
/// replace or delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRow {
    pub id: i64,
    pub name: String,
    pub version: i64,
    /// What the domain said about the stored value.
    pub problem: String,
}

impl BrokenRow {
    fn corrupt(&self, what: &str) -> StoreError {
        StoreError::Corrupt(format!("{what} {}: {}", self.id, self.problem))
    }
}

/// A row as an admin's list shows it: usable, or broken.
pub type Entry<T> = Result<T, BrokenRow>;

/// The usable rows of a list; broken ones are logged and left out, so one
/// bad row cannot stop every ticket's SLA.
fn usable<T>(entries: Vec<Entry<T>>, what: &str) -> Vec<T> {
    entries
        .into_iter()
        .filter_map(|e| match e {
            Ok(v) => Some(v),
            Err(b) => {
                tracing::warn!(id = b.id, name = %b.name, problem = %b.problem, "{what} is broken and not used");
                None
            }
        })
        .collect()
}

impl CalendarRow {
    fn into_entry(self) -> Entry<CalendarRecord> {
        let broken =
            |e: &dyn std::fmt::Display| BrokenRow { id: self.id, name: self.name.clone(), version: self.version, problem: e.to_string() };
        let hours: WeeklyHoursSpec = serde_json::from_str(&self.hours).map_err(|e| broken(&e))?;
        let holidays: Vec<NaiveDate> = serde_json::from_str(&self.holidays).map_err(|e| broken(&e))?;
        let calendar =
            BusinessCalendar::new(&CalendarSpec { time_zone: self.time_zone.clone(), hours, holidays }).map_err(|e| broken(&e))?;
        Ok(CalendarRecord {
            id: self.id,
            name: self.name,
            calendar,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A support plan (Standard, Premium, ...), listed by `position`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SupportPlan {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored SLA policy; the first (by `position`, then id) whose
/// conditions hold applies (`frontline_domain::sla::select_policy`).
#[derive(Debug, Clone)]
pub struct PolicyRecord {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub calendar_id: i64,
    pub policy: SlaPolicy,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: i64,
    name: String,
    position: i64,
    calendar_id: i64,
    conditions: String,
    targets: String,
    step_shares: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PolicyRow {
    fn into_entry(self) -> Entry<PolicyRecord> {
        let broken =
            |e: &dyn std::fmt::Display| BrokenRow { id: self.id, name: self.name.clone(), version: self.version, problem: e.to_string() };
        let policy = SlaPolicy {
            conditions: serde_json::from_str(&self.conditions).map_err(|e| broken(&format!("conditions: {e}")))?,
            targets: serde_json::from_str(&self.targets).map_err(|e| broken(&format!("targets: {e}")))?,
            step_shares: serde_json::from_str(&self.step_shares).map_err(|e| broken(&format!("step_shares: {e}")))?,
        }
        .checked()
        .map_err(|e| broken(&e))?;
        Ok(PolicyRecord {
            id: self.id,
            name: self.name,
            position: self.position,
            calendar_id: self.calendar_id,
            policy,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// What an admin writes for a policy. The policy must come from
/// `SlaPolicy::checked`; the name is checked by the use case. The
/// calendar, and the plans and organizations its conditions name, must
/// exist (checked, and kept from deletion, in the write's transaction).
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub name: &'a str,
    pub calendar_id: i64,
    pub policy: &'a SlaPolicy,
}

fn json(v: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// A second row with the same name is the user's conflict, not a crash.
fn name_taken(what: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| {
        if e.is_unique_violation() { DomainError::conflict("name", format!("another {what} already has this name")).into() } else { e }
    }
}

fn changed_meanwhile(what: &str) -> StoreError {
    DomainError::conflict("version", format!("someone else changed this {what} meanwhile; reload it and apply your change again")).into()
}

/// Statements per engine: PostgreSQL locks the row a check reads, so a
/// parallel delete (`FOR UPDATE`) and use (`FOR SHARE`) wait for each
/// other; SQLite's one writer already runs them one after the other.
pub(crate) struct LockSql {
    sqlite: &'static str,
    postgres: &'static str,
}

impl LockSql {
    pub(crate) fn pick(&self, engine: crate::Engine) -> &'static str {
        match engine {
            crate::Engine::Sqlite => self.sqlite,
            crate::Engine::Postgres => self.postgres,
        }
    }
}

const CALENDAR_FOR_USE: LockSql = LockSql {
    sqlite: "SELECT id FROM business_calendars WHERE id = $1",
    postgres: "SELECT id FROM business_calendars WHERE id = $1 FOR SHARE",
};
const CALENDAR_FOR_DELETE: LockSql = LockSql {
    sqlite: "SELECT id FROM business_calendars WHERE id = $1",
    postgres: "SELECT id FROM business_calendars WHERE id = $1 FOR UPDATE",
};
pub(crate) const PLAN_FOR_USE: LockSql =
    LockSql { sqlite: "SELECT id FROM support_plans WHERE id = $1", postgres: "SELECT id FROM support_plans WHERE id = $1 FOR SHARE" };
const PLAN_FOR_DELETE: LockSql =
    LockSql { sqlite: "SELECT id FROM support_plans WHERE id = $1", postgres: "SELECT id FROM support_plans WHERE id = $1 FOR UPDATE" };
const ORG_FOR_USE: LockSql =
    LockSql { sqlite: "SELECT id FROM organizations WHERE id = $1", postgres: "SELECT id FROM organizations WHERE id = $1 FOR SHARE" };

/// Does the row `$sql` looks for exist (and, on PostgreSQL, is it locked)?
macro_rules! row_exists {
    ($tx:expr, $sql:expr, $id:expr) => {{
        let found: Option<i64> = sqlx::query_scalar($sql).bind($id).fetch_optional(&mut *$tx).await?;
        found.is_some()
    }};
}

/// A policy's calendar, and the plans and organizations its conditions
/// name, must exist; each is refused naming its field (a foreign key
/// would only say "constraint failed", and conditions have none).
macro_rules! require_policy_refs {
    ($store:expr, $tx:expr, $input:expr) => {{
        let engine = $store.engine();
        if !row_exists!($tx, CALENDAR_FOR_USE.pick(engine), $input.calendar_id) {
            return Err(DomainError::invalid("calendar_id", format!("there is no calendar {}", $input.calendar_id)).into());
        }
        for (i, c) in $input.policy.conditions.iter().enumerate() {
            let (sql, id, what) = match c {
                Condition::SupportPlan(id) => (PLAN_FOR_USE.pick(engine), *id, "support plan"),
                Condition::Organization(id) => (ORG_FOR_USE.pick(engine), *id, "organization"),
                _ => continue,
            };
            if !row_exists!($tx, sql, id) {
                return Err(DomainError::invalid(format!("conditions[{i}].value"), format!("there is no {what} {id}")).into());
            }
        }
    }};
}

/// After an UPDATE ... WHERE id AND version matched nothing: was the row
/// gone (None) or changed (conflict)?
macro_rules! missing_or_changed {
    ($tx:expr, $table:literal, $id:expr, $what:literal) => {{
        let exists: Option<i64> =
            sqlx::query_scalar(concat!("SELECT id FROM ", $table, " WHERE id = $1")).bind($id).fetch_optional(&mut *$tx).await?;
        if exists.is_some() {
            return Err(changed_meanwhile($what));
        }
        None
    }};
}

/// The one shape of every edit of a versioned SLA row, in one transaction:
/// `$before` checks what the edit refers to; `$update` is an `UPDATE ...
/// WHERE id = .. AND ($v IS NULL OR version = $v) RETURNING version`. When
/// it matched, the edit is audited and, when `$marks`, the open tickets are
/// marked for SLA recomputation; when not, a missing row is None and a
/// changed one a conflict. A name another row has is a conflict on `name`.
macro_rules! versioned_edit {
    ($store:expr, $table:literal, $what:literal, $id:expr, $audit:expr, marks: $marks:expr,
     |$tx:ident| before $before:block update $update:expr) => {{
        let edited: Result<Option<i64>, StoreError> = async {
            Ok::<_, StoreError>(with_tx!($store, |$tx| {
                $before
                let version: Option<i64> = $update.fetch_optional(&mut *$tx).await?;
                match version {
                    Some(v) => {
                        write_audit!($tx, $audit, $store.now());
                        if $marks {
                            mark_sla!($tx, all_open);
                        }
                        Some(v)
                    }
                    None => missing_or_changed!($tx, $table, $id, $what),
                }
            }))
        }
        .await;
        edited.map_err(name_taken($what))
    }};
}

macro_rules! calendar_select {
    () => {
        "SELECT id, name, time_zone, hours, holidays, version, created_at, updated_at FROM business_calendars "
    };
}
macro_rules! policy_select {
    () => {
        "SELECT id, name, position, calendar_id, conditions, targets, step_shares, version, created_at, updated_at FROM sla_policies "
    };
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_calendar(&self, name: &str, calendar: &BusinessCalendar, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let spec = calendar.spec();
        let (hours, holidays) = (json(&spec.hours)?, json(&spec.holidays)?);
        let created: Result<i64, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO business_calendars (name, time_zone, hours, holidays, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(name)
                .bind(&spec.time_zone)
                .bind(&hours)
                .bind(&holidays)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                write_audit!(tx, audit, now);
                id
            }))
        }
        .await;
        created.map_err(name_taken("calendar"))
    }

    /// Every calendar, broken ones included (for the admin's list), by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn calendar_entries(&self) -> Result<Vec<Entry<CalendarRecord>>, StoreError> {
        let rows: Vec<CalendarRow> =
            with_pool!(self, |p| { sqlx::query_as(concat!(calendar_select!(), "ORDER BY name LIMIT 500")).fetch_all(p).await })?;
        Ok(rows.into_iter().map(CalendarRow::into_entry).collect())
    }

    /// The calendars that can be used; a broken one is logged and left out.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_calendars(&self) -> Result<Vec<CalendarRecord>, StoreError> {
        Ok(usable(self.calendar_entries().await?, "business calendar"))
    }

    /// One calendar, or what is wrong with it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn calendar_entry(&self, id: i64) -> Result<Option<Entry<CalendarRecord>>, StoreError> {
        let row: Option<CalendarRow> =
            with_pool!(self, |p| { sqlx::query_as(concat!(calendar_select!(), "WHERE id = $1")).bind(id).fetch_optional(p).await })?;
        Ok(row.map(CalendarRow::into_entry))
    }

    /// One usable calendar; a broken one is `Corrupt`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_calendar(&self, id: i64) -> Result<Option<CalendarRecord>, StoreError> {
        self.calendar_entry(id).await?.map(|e| e.map_err(|b| b.corrupt("calendar"))).transpose()
    }

    /// Replace a calendar's name and hours. Returns the new version, or None
    /// when there is no such calendar; a stale `expected_version` is a conflict.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_calendar(
        &self,
        id: i64,
        name: &str,
        calendar: &BusinessCalendar,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let spec = calendar.spec();
        let (hours, holidays) = (json(&spec.hours)?, json(&spec.holidays)?);
        let now = self.now();
        versioned_edit!(self, "business_calendars", "calendar", id, audit, marks: true, |tx| before {} update
            sqlx::query_scalar(
                "UPDATE business_calendars SET name = $1, time_zone = $2, hours = $3, holidays = $4, \
                 version = version + 1, updated_at = $5 WHERE id = $6 AND ($7 IS NULL OR version = $7) RETURNING version",
            )
            .bind(name)
            .bind(&spec.time_zone)
            .bind(&hours)
            .bind(&holidays)
            .bind(now)
            .bind(id)
            .bind(expected_version))
    }

    /// Delete a calendar no policy uses. False when there is none; a
    /// conflict naming the policies when some still use it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_calendar(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let engine = self.engine();
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            if !row_exists!(tx, CALENDAR_FOR_DELETE.pick(engine), id) {
                return Ok(false);
            }
            let users: Vec<String> = sqlx::query_scalar("SELECT name FROM sla_policies WHERE calendar_id = $1 ORDER BY name LIMIT 5")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            if !users.is_empty() {
                return Err(DomainError::conflict(
                    "calendar",
                    format!("the calendar is used by the SLA policies {}; give them another calendar first", users.join(", ")),
                )
                .into());
            }
            sqlx::query("DELETE FROM business_calendars WHERE id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(tx, audit, self.now());
            true
        }))
    }

    /// A new plan goes last.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_support_plan(&self, name: &str, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let created: Result<i64, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO support_plans (name, position, created_at, updated_at) \
                     VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM support_plans), $2, $2) RETURNING id",
                )
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                write_audit!(tx, audit, now);
                id
            }))
        }
        .await;
        created.map_err(name_taken("support plan"))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_support_plans(&self) -> Result<Vec<SupportPlan>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, position, version, created_at, updated_at FROM support_plans ORDER BY position, id LIMIT 500"
        )
        .fetch_all(p)
        .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_support_plan(&self, id: i64) -> Result<Option<SupportPlan>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, position, version, created_at, updated_at FROM support_plans WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// Rename or move a plan. Returns the new version, None when missing.
    /// A plan's name and place change no ticket's SLA.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_support_plan(
        &self,
        id: i64,
        name: &str,
        position: i64,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let now = self.now();
        versioned_edit!(self, "support_plans", "support plan", id, audit, marks: false, |tx| before {} update
            sqlx::query_scalar(
                "UPDATE support_plans SET name = $1, position = $2, version = version + 1, updated_at = $3 \
                 WHERE id = $4 AND ($5 IS NULL OR version = $5) RETURNING version",
            )
            .bind(name)
            .bind(position)
            .bind(now)
            .bind(id)
            .bind(expected_version))
    }

    /// Delete a plan that no organization has and no policy names. False
    /// when there is none; a conflict saying who still uses it otherwise.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_support_plan(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let engine = self.engine();
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            if !row_exists!(tx, PLAN_FOR_DELETE.pick(engine), id) {
                return Ok(false);
            }
            let orgs: i64 =
                sqlx::query_scalar("SELECT count(*) FROM organizations WHERE support_plan_id = $1").bind(id).fetch_one(&mut *tx).await?;
            if orgs > 0 {
                return Err(DomainError::conflict(
                    "support_plan",
                    format!("{orgs} organization(s) have this plan; give them another plan first"),
                )
                .into());
            }
            // Only the conditions are read: a policy broken elsewhere still says which plan it names.
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT name, conditions FROM sla_policies ORDER BY position, id").fetch_all(&mut *tx).await?;
            let naming: Vec<String> = rows
                .into_iter()
                .filter(|(_, conditions)| {
                    serde_json::from_str::<Vec<Condition>>(conditions).is_ok_and(|c| c.contains(&Condition::SupportPlan(id)))
                })
                .map(|(name, _)| name)
                .collect();
            if !naming.is_empty() {
                return Err(DomainError::conflict(
                    "support_plan",
                    format!("the SLA policies {} choose tickets by this plan; change them first", naming.join(", ")),
                )
                .into());
            }
            sqlx::query("DELETE FROM support_plans WHERE id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(tx, audit, self.now());
            true
        }))
    }

    /// Give an organization a plan (or none). False when the organization
    /// does not exist; an unknown plan is refused naming `support_plan_id`.
    /// The organization's open tickets are marked for SLA recomputation.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_org_support_plan(&self, org_id: i64, plan_id: Option<i64>, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            let found = set_org_plan!(self, tx, org_id, plan_id);
            if found {
                write_audit!(tx, audit, self.now());
            }
            found
        }))
    }

    /// The organization's plan; None for no plan or no such organization.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn org_support_plan(&self, org_id: i64) -> Result<Option<i64>, StoreError> {
        let plan: Option<Option<i64>> =
            with_pool!(self, |p| sqlx::query_scalar("SELECT support_plan_id FROM organizations WHERE id = $1")
                .bind(org_id)
                .fetch_optional(p)
                .await)?;
        Ok(plan.flatten())
    }

    /// A new policy goes last (the admin moves it).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_sla_policy(&self, input: PolicyInput<'_>, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let (conditions, targets, shares) =
            (json(&input.policy.conditions)?, json(&input.policy.targets)?, json(&input.policy.step_shares)?);
        let created: Result<i64, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                require_policy_refs!(self, tx, input);
                let now = self.now();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO sla_policies (name, position, calendar_id, conditions, targets, step_shares, created_at, updated_at) \
                     VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM sla_policies), $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(input.name)
                .bind(input.calendar_id)
                .bind(&conditions)
                .bind(&targets)
                .bind(&shares)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                write_audit!(tx, audit, now);
                mark_sla!(tx, all_open);
                id
            }))
        }
        .await;
        created.map_err(name_taken("SLA policy"))
    }

    /// Every policy, broken ones included (for the admin's list), in order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn policy_entries(&self) -> Result<Vec<Entry<PolicyRecord>>, StoreError> {
        let rows: Vec<PolicyRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(policy_select!(), "ORDER BY position, id LIMIT 500")).fetch_all(p).await)?;
        Ok(rows.into_iter().map(PolicyRow::into_entry).collect())
    }

    /// The usable policies in the order they are tried; a broken one is
    /// logged and left out (its tickets fall to the next policy that matches).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_sla_policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        Ok(usable(self.policy_entries().await?, "SLA policy"))
    }

    /// One policy, or what is wrong with it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn policy_entry(&self, id: i64) -> Result<Option<Entry<PolicyRecord>>, StoreError> {
        let row: Option<PolicyRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(policy_select!(), "WHERE id = $1")).bind(id).fetch_optional(p).await)?;
        Ok(row.map(PolicyRow::into_entry))
    }

    /// One usable policy; a broken one is `Corrupt`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_sla_policy(&self, id: i64) -> Result<Option<PolicyRecord>, StoreError> {
        self.policy_entry(id).await?.map(|e| e.map_err(|b| b.corrupt("SLA policy"))).transpose()
    }

    /// Replace a policy (its place in the order is `reorder_sla_policies`'s).
    /// Returns the new version, None when missing; a stale
    /// `expected_version` is a conflict.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_sla_policy(
        &self,
        id: i64,
        input: PolicyInput<'_>,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let (conditions, targets, shares) =
            (json(&input.policy.conditions)?, json(&input.policy.targets)?, json(&input.policy.step_shares)?);
        let now = self.now();
        versioned_edit!(self, "sla_policies", "SLA policy", id, audit, marks: true, |tx| before {
            require_policy_refs!(self, tx, input);
        } update
            sqlx::query_scalar(
                "UPDATE sla_policies SET name = $1, calendar_id = $2, conditions = $3, targets = $4, \
                 step_shares = $5, version = version + 1, updated_at = $6 \
                 WHERE id = $7 AND ($8 IS NULL OR version = $8) RETURNING version",
            )
            .bind(input.name)
            .bind(input.calendar_id)
            .bind(&conditions)
            .bind(&targets)
            .bind(&shares)
            .bind(now)
            .bind(id)
            .bind(expected_version))
    }

    /// Put the policies in this order: `ids` must name every policy once,
    /// as the admin saw them; a policy added or deleted meanwhile makes it
    /// a conflict, and nothing moves.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reorder_sla_policies(&self, ids: &[i64], audit: Option<&Audit>) -> Result<(), StoreError> {
        let engine = self.engine();
        let lock = match engine {
            crate::Engine::Sqlite => "SELECT id FROM sla_policies ORDER BY id",
            crate::Engine::Postgres => "SELECT id FROM sla_policies ORDER BY id FOR UPDATE",
        };
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        if wanted.is_empty() {
            return Err(DomainError::invalid("ids", "list every policy, in the order wanted").into());
        }
        with_tx!(self, |tx| {
            let current: Vec<i64> = sqlx::query_scalar(lock).fetch_all(&mut *tx).await?;
            if current != wanted {
                // Named, so a client's mistake reads as one; from a page, a
                // policy added or deleted since it was drawn.
                let unknown: Vec<String> =
                    wanted.iter().filter(|id| !current.contains(id)).map(|id| format!("policy {id} does not exist")).collect();
                let missing: Vec<String> =
                    current.iter().filter(|id| !wanted.contains(id)).map(|id| format!("policy {id} is not listed")).collect();
                let what = unknown.into_iter().chain(missing).collect::<Vec<_>>().join(", ");
                return Err(DomainError::conflict(
                    "ids",
                    format!("{what}: list every policy once; if one was added or deleted meanwhile, reload them and order them again"),
                )
                .into());
            }
            for (i, id) in ids.iter().enumerate() {
                sqlx::query("UPDATE sla_policies SET position = $1 WHERE id = $2")
                    .bind(i64::try_from(i).unwrap_or(i64::MAX) + 1)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
            write_audit!(tx, audit, self.now());
            mark_sla!(tx, all_open);
        });
        Ok(())
    }

    /// Delete a policy; its tickets fall to the next policy that matches.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_sla_policy(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            let n = sqlx::query("DELETE FROM sla_policies WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
                mark_sla!(tx, all_open);
            }
            n == 1
        }))
    }
}
