//! SLA configuration: business-hours calendars, support plans (and which
//! organization has which), and SLA policies in the admin's order.
//!
//! Calendars and policies arrive as checked domain values and their JSON
//! columns are checked again by the domain when read, so a row that the
//! domain would refuse surfaces as `StoreError::Corrupt`, never as a wrong
//! due time. Every edit bumps the row's `version`; an edit that carries the
//! version it was made from is refused with a conflict (409) when the row
//! changed meanwhile, one without a version applies to the row as it is.

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

fn corrupt(what: &str, id: i64, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {id}: {e}"))
}

impl CalendarRow {
    fn into_record(self) -> Result<CalendarRecord, StoreError> {
        let hours: WeeklyHoursSpec = serde_json::from_str(&self.hours).map_err(|e| corrupt("calendar", self.id, e))?;
        let holidays: Vec<NaiveDate> = serde_json::from_str(&self.holidays).map_err(|e| corrupt("calendar", self.id, e))?;
        let calendar = BusinessCalendar::new(&CalendarSpec { time_zone: self.time_zone, hours, holidays })
            .map_err(|e| corrupt("calendar", self.id, e))?;
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
    fn into_record(self) -> Result<PolicyRecord, StoreError> {
        let policy = SlaPolicy {
            conditions: serde_json::from_str(&self.conditions).map_err(|e| corrupt("SLA policy", self.id, e))?,
            targets: serde_json::from_str(&self.targets).map_err(|e| corrupt("SLA policy", self.id, e))?,
            step_shares: serde_json::from_str(&self.step_shares).map_err(|e| corrupt("SLA policy", self.id, e))?,
        }
        .checked()
        .map_err(|e| corrupt("SLA policy", self.id, e))?;
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
/// `SlaPolicy::checked`; the name is checked by the use case.
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

/// A policy's calendar must exist: refused naming `calendar_id` (the
/// foreign key would only say "constraint failed").
macro_rules! require_calendar {
    ($tx:expr, $id:expr) => {{
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM business_calendars WHERE id = $1").bind($id).fetch_optional(&mut *$tx).await?;
        if found.is_none() {
            return Err(DomainError::invalid("calendar_id", format!("there is no calendar {}", $id)).into());
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

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_calendars(&self) -> Result<Vec<CalendarRecord>, StoreError> {
        let rows: Vec<CalendarRow> = with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, name, time_zone, hours, holidays, version, created_at, updated_at FROM business_calendars ORDER BY name LIMIT 500"
        )
        .fetch_all(p)
        .await
        })?;
        rows.into_iter().map(CalendarRow::into_record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_calendar(&self, id: i64) -> Result<Option<CalendarRecord>, StoreError> {
        let row: Option<CalendarRow> = with_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, time_zone, hours, holidays, version, created_at, updated_at FROM business_calendars WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        row.map(CalendarRow::into_record).transpose()
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
        let updated: Result<Option<i64>, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let version: Option<i64> = sqlx::query_scalar(
                    "UPDATE business_calendars SET name = $1, time_zone = $2, hours = $3, holidays = $4, \
                     version = version + 1, updated_at = $5 WHERE id = $6 AND ($7 IS NULL OR version = $7) RETURNING version",
                )
                .bind(name)
                .bind(&spec.time_zone)
                .bind(&hours)
                .bind(&holidays)
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
                    None => missing_or_changed!(tx, "business_calendars", id, "calendar"),
                }
            }))
        }
        .await;
        updated.map_err(name_taken("calendar"))
    }

    /// Delete a calendar no policy uses. False when there is none; a
    /// conflict naming the policies when some still use it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_calendar(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
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
            let n = sqlx::query("DELETE FROM business_calendars WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n == 1
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_support_plan(
        &self,
        id: i64,
        name: &str,
        position: i64,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let updated: Result<Option<i64>, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                let now = self.now();
                let version: Option<i64> = sqlx::query_scalar(
                    "UPDATE support_plans SET name = $1, position = $2, version = version + 1, updated_at = $3 \
                     WHERE id = $4 AND ($5 IS NULL OR version = $5) RETURNING version",
                )
                .bind(name)
                .bind(position)
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
                    None => missing_or_changed!(tx, "support_plans", id, "support plan"),
                }
            }))
        }
        .await;
        updated.map_err(name_taken("support plan"))
    }

    /// Delete a plan that no organization has and no policy names. False
    /// when there is none; a conflict saying who still uses it otherwise.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_support_plan(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            let orgs: i64 =
                sqlx::query_scalar("SELECT count(*) FROM organizations WHERE support_plan_id = $1").bind(id).fetch_one(&mut *tx).await?;
            if orgs > 0 {
                return Err(DomainError::conflict(
                    "support_plan",
                    format!("{orgs} organization(s) have this plan; give them another plan first"),
                )
                .into());
            }
            let rows: Vec<PolicyRow> = sqlx::query_as(
                "SELECT id, name, position, calendar_id, conditions, targets, step_shares, version, created_at, updated_at \
                 FROM sla_policies ORDER BY position, id",
            )
            .fetch_all(&mut *tx)
            .await?;
            let mut naming = Vec::new();
            for row in rows {
                let p = row.into_record()?;
                if p.policy.conditions.contains(&Condition::SupportPlan(id)) {
                    naming.push(p.name);
                }
            }
            if !naming.is_empty() {
                return Err(DomainError::conflict(
                    "support_plan",
                    format!("the SLA policies {} choose tickets by this plan; change them first", naming.join(", ")),
                )
                .into());
            }
            let n = sqlx::query("DELETE FROM support_plans WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n == 1
        }))
    }

    /// Give an organization a plan (or none). False when the organization
    /// does not exist; an unknown plan is refused naming `support_plan_id`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_org_support_plan(&self, org_id: i64, plan_id: Option<i64>, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            if let Some(plan) = plan_id {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM support_plans WHERE id = $1").bind(plan).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Err(DomainError::invalid("support_plan_id", format!("there is no support plan {plan}")).into());
                }
            }
            let n = sqlx::query("UPDATE organizations SET support_plan_id = $1 WHERE id = $2")
                .bind(plan_id)
                .bind(org_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n == 1
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

    /// A new policy goes last (before nothing: the admin moves it).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_sla_policy(&self, input: PolicyInput<'_>, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let (conditions, targets, shares) =
            (json(&input.policy.conditions)?, json(&input.policy.targets)?, json(&input.policy.step_shares)?);
        let created: Result<i64, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                require_calendar!(tx, input.calendar_id);
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
                id
            }))
        }
        .await;
        created.map_err(name_taken("SLA policy"))
    }

    /// Every policy in the order they are tried.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_sla_policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        let rows: Vec<PolicyRow> = with_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, position, calendar_id, conditions, targets, step_shares, version, created_at, updated_at \
             FROM sla_policies ORDER BY position, id LIMIT 500"
        )
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(PolicyRow::into_record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_sla_policy(&self, id: i64) -> Result<Option<PolicyRecord>, StoreError> {
        let row: Option<PolicyRow> = with_pool!(self, |p| sqlx::query_as(
            "SELECT id, name, position, calendar_id, conditions, targets, step_shares, version, created_at, updated_at \
             FROM sla_policies WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        row.map(PolicyRow::into_record).transpose()
    }

    /// Replace a policy (and its place in the order). Returns the new
    /// version, None when missing; a stale `expected_version` is a conflict.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_sla_policy(
        &self,
        id: i64,
        input: PolicyInput<'_>,
        position: i64,
        expected_version: Option<i64>,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let (conditions, targets, shares) =
            (json(&input.policy.conditions)?, json(&input.policy.targets)?, json(&input.policy.step_shares)?);
        let updated: Result<Option<i64>, StoreError> = async {
            Ok::<_, StoreError>(with_tx!(self, |tx| {
                require_calendar!(tx, input.calendar_id);
                let now = self.now();
                let version: Option<i64> = sqlx::query_scalar(
                    "UPDATE sla_policies SET name = $1, position = $2, calendar_id = $3, conditions = $4, targets = $5, \
                     step_shares = $6, version = version + 1, updated_at = $7 \
                     WHERE id = $8 AND ($9 IS NULL OR version = $9) RETURNING version",
                )
                .bind(input.name)
                .bind(position)
                .bind(input.calendar_id)
                .bind(&conditions)
                .bind(&targets)
                .bind(&shares)
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
                    None => missing_or_changed!(tx, "sla_policies", id, "SLA policy"),
                }
            }))
        }
        .await;
        updated.map_err(name_taken("SLA policy"))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_sla_policy(&self, id: i64, audit: Option<&Audit>) -> Result<bool, StoreError> {
        Ok::<_, StoreError>(with_tx!(self, |tx| {
            let n = sqlx::query("DELETE FROM sla_policies WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                write_audit!(tx, audit, self.now());
            }
            n == 1
        }))
    }
}
