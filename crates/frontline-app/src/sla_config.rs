//! SLA configuration use cases: business-hours calendars, support plans,
//! SLA policies in the admin's order, and which plan an organization has.
//! Every write needs `ManageSla`, is audited, and carries the version the
//! admin saw when it edits a row (a stale one is a 409). The store marks
//! the open tickets whose SLA a change may move, in the change's own
//! transaction, for the SLA pass to recompute.

use frontline_domain::audit::AuditAction;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::sla::{BusinessCalendar, CalendarSpec, Condition, SlaPolicy};
use frontline_domain::{DomainError, FieldError, validate};
use frontline_store::Audit;
use frontline_store::sla::{self as store_sla, CalendarRecord, Entry, PolicyRecord, SupportPlan};

pub use frontline_store::sla::BrokenRow;

use crate::directory::audit;
use crate::views::OrgView;
use crate::{App, Result};

/// Names of calendars, plans and policies.
const NAME_MAX: usize = 120;

/// A calendar as an admin writes it. `version` is the one the admin saw
/// (None: apply to the row as it is).
#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub name: String,
    pub spec: CalendarSpec,
    pub version: Option<i64>,
}

/// A policy as an admin writes it.
#[derive(Debug, Clone)]
pub struct PolicyFields {
    pub name: String,
    pub calendar_id: i64,
    pub policy: SlaPolicy,
    pub version: Option<i64>,
}

/// Every field's problem in a calendar, for a form (empty when it is fine).
pub fn calendar_problems(input: &CalendarInput) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = validate::name("name", &input.name, NAME_MAX).err().into_iter().filter_map(invalid_field).collect();
    out.extend(BusinessCalendar::problems(&input.spec));
    out
}

/// Every field's problem in a policy, for a form (empty when it is fine).
pub fn policy_problems(input: &PolicyFields) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = validate::name("name", &input.name, NAME_MAX).err().into_iter().filter_map(invalid_field).collect();
    out.extend(input.policy.problems());
    out
}

fn invalid_field(e: DomainError) -> Option<FieldError> {
    match e {
        DomainError::Invalid(f) => Some(f),
        _ => None,
    }
}

/// The audit row of an organization's plan change.
pub(crate) fn plan_audit(actor: &Actor, org_id: i64, plan: Option<i64>) -> Audit {
    audit(
        actor,
        AuditAction::OrganizationSupportPlan,
        format!("organization:{org_id}"),
        plan.map_or_else(|| "plan=none".to_string(), |p| format!("plan={p}")),
    )
}

fn or_missing<T>(found: Option<T>, what: &'static str) -> Result<T> {
    found.ok_or_else(|| DomainError::NotFound(what).into())
}

impl App {
    // ---- calendars ----

    /// Every calendar by name, broken ones shown as such.
    pub async fn sla_calendars(&self, actor: &Actor) -> Result<Vec<Entry<CalendarRecord>>> {
        authz::require(actor, Permission::ManageSla)?;
        Ok(self.store.calendar_entries().await?)
    }

    pub async fn sla_calendar(&self, actor: &Actor, id: i64) -> Result<Entry<CalendarRecord>> {
        authz::require(actor, Permission::ManageSla)?;
        or_missing(self.store.calendar_entry(id).await?, "calendar")
    }

    fn checked_calendar(input: &CalendarInput) -> Result<(String, BusinessCalendar)> {
        let name = validate::name("name", &input.name, NAME_MAX)?;
        Ok((name, BusinessCalendar::new(&input.spec)?))
    }

    pub async fn create_sla_calendar(&self, actor: &Actor, input: &CalendarInput) -> Result<CalendarRecord> {
        authz::require(actor, Permission::ManageSla)?;
        let (name, calendar) = Self::checked_calendar(input)?;
        let a = audit(actor, AuditAction::SlaCalendarCreate, format!("calendar:{name}"), calendar.time_zone().name().to_string());
        let id = self.store.create_calendar(&name, &calendar, Some(&a)).await?;
        or_missing(self.store.get_calendar(id).await?, "calendar")
    }

    pub async fn update_sla_calendar(&self, actor: &Actor, id: i64, input: &CalendarInput) -> Result<CalendarRecord> {
        authz::require(actor, Permission::ManageSla)?;
        let (name, calendar) = Self::checked_calendar(input)?;
        let a = audit(actor, AuditAction::SlaCalendarUpdate, format!("calendar:{id}"), format!("{name} {}", calendar.time_zone().name()));
        or_missing(self.store.update_calendar(id, &name, &calendar, input.version, Some(&a)).await?, "calendar")?;
        or_missing(self.store.get_calendar(id).await?, "calendar")
    }

    pub async fn delete_sla_calendar(&self, actor: &Actor, id: i64) -> Result<()> {
        authz::require(actor, Permission::ManageSla)?;
        let a = audit(actor, AuditAction::SlaCalendarDelete, format!("calendar:{id}"), String::new());
        if self.store.delete_calendar(id, Some(&a)).await? { Ok(()) } else { Err(DomainError::NotFound("calendar").into()) }
    }

    // ---- support plans ----

    /// The plans in their order. Staff may read them (the organization
    /// and ticket pages name them); only `ManageSla` changes them.
    pub async fn support_plans(&self, actor: &Actor) -> Result<Vec<SupportPlan>> {
        authz::require(actor, Permission::ViewDirectory)?;
        Ok(self.store.list_support_plans().await?)
    }

    pub async fn support_plan(&self, actor: &Actor, id: i64) -> Result<SupportPlan> {
        authz::require(actor, Permission::ViewDirectory)?;
        or_missing(self.store.get_support_plan(id).await?, "support plan")
    }

    pub async fn create_support_plan(&self, actor: &Actor, name: &str) -> Result<SupportPlan> {
        authz::require(actor, Permission::ManageSla)?;
        let name = validate::name("name", name, NAME_MAX)?;
        let a = audit(actor, AuditAction::SupportPlanCreate, format!("support_plan:{name}"), String::new());
        let id = self.store.create_support_plan(&name, Some(&a)).await?;
        or_missing(self.store.get_support_plan(id).await?, "support plan")
    }

    /// Rename and/or move a plan (what is not given stays as it is).
    pub async fn update_support_plan(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<&str>,
        position: Option<i64>,
        version: Option<i64>,
    ) -> Result<SupportPlan> {
        authz::require(actor, Permission::ManageSla)?;
        let current = or_missing(self.store.get_support_plan(id).await?, "support plan")?;
        let name = match name {
            Some(n) => validate::name("name", n, NAME_MAX)?,
            None => current.name.clone(),
        };
        let position = position.unwrap_or(current.position);
        if !(0..=1_000_000).contains(&position) {
            return Err(DomainError::invalid("position", "a position is a number from 0 to 1000000").into());
        }
        // Changing nothing writes nothing (no new version, no audit entry);
        // a stale version still goes to the store, which refuses it.
        if name == current.name && position == current.position && version.is_none_or(|v| v == current.version) {
            return Ok(current);
        }
        let a = audit(actor, AuditAction::SupportPlanUpdate, format!("support_plan:{id}"), format!("{name} position={position}"));
        or_missing(self.store.update_support_plan(id, &name, position, version, Some(&a)).await?, "support plan")?;
        or_missing(self.store.get_support_plan(id).await?, "support plan")
    }

    pub async fn delete_support_plan(&self, actor: &Actor, id: i64) -> Result<()> {
        authz::require(actor, Permission::ManageSla)?;
        let a = audit(actor, AuditAction::SupportPlanDelete, format!("support_plan:{id}"), String::new());
        if self.store.delete_support_plan(id, Some(&a)).await? { Ok(()) } else { Err(DomainError::NotFound("support plan").into()) }
    }

    /// Give an organization a plan, or none.
    pub async fn set_org_support_plan(&self, actor: &Actor, org_id: i64, plan: Option<i64>) -> Result<OrgView> {
        authz::require(actor, Permission::ManageSla)?;
        let a = plan_audit(actor, org_id, plan);
        if !self.store.set_org_support_plan(org_id, plan, Some(&a)).await? {
            return Err(DomainError::NotFound("organization").into());
        }
        self.org(actor, org_id).await
    }

    // ---- policies ----

    /// Every policy in the order they are tried, broken ones shown as such.
    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<Entry<PolicyRecord>>> {
        authz::require(actor, Permission::ManageSla)?;
        Ok(self.store.policy_entries().await?)
    }

    pub async fn sla_policy(&self, actor: &Actor, id: i64) -> Result<Entry<PolicyRecord>> {
        authz::require(actor, Permission::ManageSla)?;
        or_missing(self.store.policy_entry(id).await?, "SLA policy")
    }

    fn checked_policy(input: &PolicyFields) -> Result<(String, SlaPolicy)> {
        let name = validate::name("name", &input.name, NAME_MAX)?;
        Ok((name, input.policy.clone().checked()?))
    }

    /// The records a policy names that do not exist (its calendar, the
    /// plans and organizations its conditions name), each at its field
    /// (`calendar_id`, `conditions[i].value`), for a form to show with its
    /// other messages. The write checks them again under its locks.
    pub async fn policy_reference_problems(&self, actor: &Actor, input: &PolicyFields) -> Result<Vec<FieldError>> {
        authz::require(actor, Permission::ManageSla)?;
        let mut out = Vec::new();
        if self.store.calendar_entry(input.calendar_id).await?.is_none() {
            out.push(FieldError::new("calendar_id", format!("there is no calendar {}", input.calendar_id)));
        }
        for (i, c) in input.policy.conditions.iter().enumerate() {
            let missing = match c {
                // A non-positive id is the domain's problem, at `conditions[i]`.
                Condition::SupportPlan(id) if *id > 0 => {
                    self.store.get_support_plan(*id).await?.is_none().then(|| format!("there is no support plan {id}"))
                }
                Condition::Organization(id) if *id > 0 => {
                    self.store.get_org(*id).await?.is_none().then(|| format!("there is no organization {id}"))
                }
                _ => None,
            };
            if let Some(message) = missing {
                out.push(FieldError::new(format!("conditions[{i}].value"), message));
            }
        }
        Ok(out)
    }

    pub async fn create_sla_policy(&self, actor: &Actor, input: &PolicyFields) -> Result<PolicyRecord> {
        authz::require(actor, Permission::ManageSla)?;
        let (name, policy) = Self::checked_policy(input)?;
        let a = audit(actor, AuditAction::SlaPolicyCreate, format!("sla_policy:{name}"), format!("calendar={}", input.calendar_id));
        let id = self
            .store
            .create_sla_policy(store_sla::PolicyInput { name: &name, calendar_id: input.calendar_id, policy: &policy }, Some(&a))
            .await?;
        or_missing(self.store.get_sla_policy(id).await?, "SLA policy")
    }

    pub async fn update_sla_policy(&self, actor: &Actor, id: i64, input: &PolicyFields) -> Result<PolicyRecord> {
        authz::require(actor, Permission::ManageSla)?;
        let (name, policy) = Self::checked_policy(input)?;
        let a = audit(actor, AuditAction::SlaPolicyUpdate, format!("sla_policy:{id}"), format!("{name} calendar={}", input.calendar_id));
        let written = self
            .store
            .update_sla_policy(
                id,
                store_sla::PolicyInput { name: &name, calendar_id: input.calendar_id, policy: &policy },
                input.version,
                Some(&a),
            )
            .await?;
        or_missing(written, "SLA policy")?;
        or_missing(self.store.get_sla_policy(id).await?, "SLA policy")
    }

    pub async fn delete_sla_policy(&self, actor: &Actor, id: i64) -> Result<()> {
        authz::require(actor, Permission::ManageSla)?;
        let a = audit(actor, AuditAction::SlaPolicyDelete, format!("sla_policy:{id}"), String::new());
        if self.store.delete_sla_policy(id, Some(&a)).await? { Ok(()) } else { Err(DomainError::NotFound("SLA policy").into()) }
    }

    /// Put the policies in this order (every policy once, as the admin saw them).
    pub async fn order_sla_policies(&self, actor: &Actor, ids: &[i64]) -> Result<Vec<Entry<PolicyRecord>>> {
        authz::require(actor, Permission::ManageSla)?;
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(DomainError::invalid("ids", format!("policy {dup} is listed twice")).into());
        }
        let detail = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let a = audit(actor, AuditAction::SlaPolicyOrder, "sla_policies".into(), detail);
        self.store.reorder_sla_policies(ids, Some(&a)).await?;
        Ok(self.store.policy_entries().await?)
    }

    /// Move one policy up (-1) or down (+1) in the order the admin saw
    /// (`seen`: the ids as listed on their page).
    pub async fn move_sla_policy(&self, actor: &Actor, seen: &[i64], id: i64, by: i64) -> Result<()> {
        authz::require(actor, Permission::ManageSla)?;
        let mut ids = seen.to_vec();
        let at = ids.iter().position(|x| *x == id).ok_or(DomainError::NotFound("SLA policy"))?;
        let to = at as i64 + by;
        if (0..ids.len() as i64).contains(&to) {
            ids.swap(at, to as usize);
            self.order_sla_policies(actor, &ids).await?;
        }
        Ok(())
    }
}
