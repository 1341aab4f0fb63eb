//! Users, organizations, teams, positions and the audit log.

use frontline_domain::DomainError;
use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::ticket::parse_tier;
use frontline_domain::user::{Email, Role, parse_domain};
use frontline_domain::validate;
use frontline_store::directory::{OrgInput, TeamInput};
use frontline_store::users::{NewUser, UserFilter, UserProfile};
use frontline_store::{Audit, AuditEntry, Page, Position, Team, User};
use serde::Deserialize;

pub use crate::views::OrgView;
use crate::{App, AppError, Result};

/// A user as submitted by an admin form, the API or the CLI.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub position_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reports_to: Option<i64>,
    pub password: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgFields {
    pub name: String,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

/// A team as submitted: name, description and how it assigns new tickets
/// (`assignment_mode`: manual, round_robin, least_loaded; capacity: open
/// tickets per agent, None unlimited).
#[derive(Debug, Clone, Deserialize)]
pub struct TeamFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "manual")]
    pub assignment_mode: String,
    #[serde(default)]
    pub assignment_capacity: Option<i64>,
}

fn manual() -> String {
    frontline_domain::assignment::AssignmentMode::Manual.as_str().into()
}

impl Default for TeamFields {
    fn default() -> Self {
        TeamFields { name: String::new(), description: String::new(), assignment_mode: manual(), assignment_capacity: None }
    }
}

fn team_input(f: &TeamFields) -> Result<TeamInput> {
    use frontline_domain::{assignment, structure};
    Ok(TeamInput {
        name: structure::team_name(&f.name)?,
        description: structure::team_description(&f.description)?,
        assignment_mode: assignment::AssignmentMode::parse(&f.assignment_mode)?,
        assignment_capacity: assignment::capacity(f.assignment_capacity)?,
    })
}

fn team_detail(t: &TeamInput) -> String {
    match t.assignment_capacity {
        Some(c) => format!("assignment={} capacity={c}", t.assignment_mode.as_str()),
        None => format!("assignment={} capacity=unlimited", t.assignment_mode.as_str()),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PositionInput {
    pub name: String,
    pub level: String,
    pub rank: i64,
    pub tier: i64,
}

/// The CLI acts as the system: full rights, no user behind it.
pub fn system_actor() -> Actor {
    Actor::System
}

/// An audit row naming the person acting; the system's rows name no one (NULL).
pub(crate) fn audit(actor: &Actor, action: frontline_domain::audit::AuditAction, target: String, detail: String) -> Audit {
    Audit { actor_id: actor.user_id(), action, target, detail }
}

/// One's own password is changed with the current one (`change_own_password`),
/// so a session left open on someone's screen cannot take the account.
fn own_password_elsewhere() -> AppError {
    DomainError::invalid("password", "change your own password under Settings → Password, with your current password").into()
}

fn unique(e: frontline_store::StoreError, field: &str, message: &str) -> AppError {
    if e.is_unique_violation() { DomainError::conflict(field, message).into() } else { e.into() }
}

/// Organizations have two unique keys: the name, and each email domain
/// (which another organization may claim at the same moment).
fn org_unique(e: frontline_store::StoreError) -> AppError {
    if e.is_unique_violation() && e.to_string().contains("domain") {
        DomainError::conflict("domains", "a domain was just claimed by another organization").into()
    } else {
        unique(e, "name", "an organization with this name already exists")
    }
}

/// What became of a new user's invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitation {
    /// They have a password (or were added without inviting).
    NotNeeded,
    /// Its mail is queued, with a link to choose a password.
    Sent,
    /// No password and no mail configured: they cannot sign in until
    /// someone sets a password for them.
    NoMail,
}

impl App {
    async fn check_user_refs(&self, role: Role, input: &UserInput, self_id: Option<i64>) -> Result<()> {
        if let Some(org) = input.organization_id
            && self.store.get_org(org).await?.is_none()
        {
            return Err(DomainError::invalid("organization_id", format!("organization {org} does not exist")).into());
        }
        if role.is_staff() && input.organization_id.is_some() {
            return Err(DomainError::invalid("organization_id", "staff do not belong to a customer organization").into());
        }
        if role.is_customer() && (input.position_id.is_some() || input.team_id.is_some() || input.reports_to.is_some()) {
            return Err(DomainError::invalid("position_id", "positions, teams and managers are for staff").into());
        }
        if let Some(p) = input.position_id
            && self.store.get_position(p).await?.is_none()
        {
            return Err(DomainError::invalid("position_id", format!("position {p} does not exist")).into());
        }
        if let Some(t) = input.team_id
            && self.store.get_team(t).await?.is_none()
        {
            return Err(DomainError::invalid("team_id", format!("team {t} does not exist")).into());
        }
        if let Some(m) = input.reports_to {
            let manager = self.store.get_user(m).await?;
            if !manager.is_some_and(|u| u.role.is_staff()) {
                return Err(DomainError::invalid("reports_to", format!("user {m} is not a member of staff")).into());
            }
            if let Some(me) = self_id
                && self.store.reports_to_chain(m).await?.contains(&me)
            {
                return Err(DomainError::invalid("reports_to", "this would make a reporting loop").into());
            }
        }
        Ok(())
    }

    /// Add a user as given (the demo, benchmarks and tests set passwords
    /// their own way): someone without a password cannot sign in yet.
    pub async fn create_user(&self, actor: &Actor, input: &UserInput) -> Result<User> {
        Ok(self.add_user(actor, input, false).await?.0)
    }

    /// Add a user as an admin does (CLI, agent app, API): someone added
    /// without a password is mailed an invitation, a single-use link to
    /// choose one, when mail is configured.
    pub async fn create_user_inviting(&self, actor: &Actor, input: &UserInput) -> Result<(User, Invitation)> {
        self.add_user(actor, input, true).await
    }

    async fn add_user(&self, actor: &Actor, input: &UserInput, invite: bool) -> Result<(User, Invitation)> {
        let role = Role::parse(input.role.trim())?;
        if !authz::can_assign_role(actor, role) {
            return Err(DomainError::Forbidden("you cannot create users with this role").into());
        }
        let email = Email::parse(&input.email)?;
        let name = validate::name("name", &input.name, 120)?;
        self.check_user_refs(role, input, None).await?;
        let password_hash = match input.password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let organization_id = match (role.is_customer(), input.organization_id) {
            (true, None) => self.store.org_for_domain(email.domain()).await?,
            (_, org) => org,
        };
        let new = NewUser {
            email: email.as_str().to_string(),
            name,
            role,
            organization_id,
            position_id: input.position_id,
            team_id: input.team_id,
            reports_to: input.reports_to,
            password_hash,
        };
        let a = audit(
            actor,
            frontline_domain::audit::AuditAction::UserCreate,
            format!("user:{}", email.as_str()),
            format!("role={}", role.as_str()),
        );
        let invitation = match (new.password_hash.is_some(), invite, self.mailer.is_some()) {
            (true, _, _) | (false, false, _) => Invitation::NotNeeded,
            (false, true, false) => Invitation::NoMail,
            (false, true, true) => Invitation::Sent,
        };
        let created = match invitation {
            Invitation::Sent => {
                let until = self.now() + chrono::Duration::days(self.config.invitation_days);
                self.store.create_invited_user(&new, Some(&a), until).await.map(|(id, _)| id)
            }
            Invitation::NotNeeded | Invitation::NoMail => self.store.create_user(&new, Some(&a)).await,
        };
        let id = created.map_err(|e| unique(e, "email", "a user with this email already exists"))?;
        let user = self.store.get_user(id).await?.ok_or_else(|| AppError::internal("new user vanished"))?;
        Ok((user, invitation))
    }

    pub async fn update_user(&self, actor: &Actor, id: i64, input: &UserInput) -> Result<User> {
        let existing = self.store.get_user(id).await?.ok_or(DomainError::NotFound("user"))?;
        let role = Role::parse(input.role.trim())?;
        // Both the old and the new role must be within the actor's reach.
        if !authz::can_assign_role(actor, existing.role) || !authz::can_assign_role(actor, role) {
            return Err(DomainError::Forbidden("you cannot change users with this role").into());
        }
        if !authz::may_change_own_standing(actor, id, role != existing.role, input.active == Some(false)) {
            return Err(DomainError::invalid("role", "you cannot change your own role or deactivate yourself").into());
        }
        let name = validate::name("name", &input.name, 120)?;
        self.check_user_refs(role, input, Some(id)).await?;
        // Check the new password before anything is written, so a bad one changes nothing.
        let new_password = input.password.as_deref().filter(|p| !p.is_empty());
        if let Some(p) = new_password {
            validate::password(p)?;
            if actor.is_user(id) {
                return Err(own_password_elsewhere());
            }
        }
        let profile = UserProfile {
            name,
            role,
            organization_id: input.organization_id,
            position_id: input.position_id,
            team_id: input.team_id,
            reports_to: input.reports_to,
            active: input.active.unwrap_or(existing.active),
        };
        let a = audit(
            actor,
            frontline_domain::audit::AuditAction::UserUpdate,
            format!("user:{id}"),
            format!("role={} active={}", role.as_str(), profile.active),
        );
        self.store.update_user(id, &profile, Some(&a)).await?;
        if let Some(p) = new_password {
            self.set_password(actor, id, p).await?;
        }
        self.store.get_user(id).await?.ok_or_else(|| AppError::internal("user vanished"))
    }

    pub async fn set_password(&self, actor: &Actor, id: i64, password: &str) -> Result<()> {
        if actor.is_user(id) {
            return Err(own_password_elsewhere());
        }
        let user = self.store.get_user(id).await?.ok_or(DomainError::NotFound("user"))?;
        if !authz::can_set_password(actor, id, user.role) {
            return Err(DomainError::Forbidden("you cannot change this user's password").into());
        }
        let hash = self.hash_password(password).await?;
        // A reset by someone else (an admin, the CLI) assumes the account may be
        // compromised: its sessions and API tokens go too.
        let a = audit(actor, frontline_domain::audit::AuditAction::UserSetPassword, format!("user:{id}"), "tokens revoked".into());
        self.store.set_password(id, &hash, true, None, Some(&a)).await?;
        Ok(())
    }

    pub async fn user(&self, actor: &Actor, id: i64) -> Result<User> {
        if !authz::can_view_user(actor, id) {
            authz::require(actor, Permission::ViewDirectory)?;
        }
        Ok(self.store.get_user(id).await?.ok_or(DomainError::NotFound("user"))?)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        validate::text("email", email)?;
        Ok(self.store.user_by_email(&email.trim().to_lowercase()).await?)
    }

    pub async fn list_users(&self, actor: &Actor, filter: &UserFilter) -> Result<Page<User>> {
        authz::require(actor, Permission::ViewDirectory)?;
        if let Some(q) = &filter.query {
            validate::text("q", q)?;
        }
        let mut f = filter.clone();
        f.limit = f.limit.clamp(1, 200);
        f.offset = f.offset.max(0);
        Ok(self.store.list_users(&f).await?)
    }

    pub async fn assignable_staff(&self, actor: &Actor) -> Result<Vec<User>> {
        authz::require(actor, Permission::ViewAllTickets)?;
        Ok(self.store.active_users_in_roles(&authz::roles_with(Permission::WorkTickets)).await?)
    }

    async fn org_input(&self, input: &OrgFields, except: Option<i64>) -> Result<OrgInput> {
        let name = validate::name("name", &input.name, 120)?;
        let mut domains =
            input.domains.iter().filter(|d| !d.trim().is_empty()).map(|d| parse_domain(d)).collect::<std::result::Result<Vec<_>, _>>()?;
        domains.sort();
        domains.dedup();
        if domains.len() > 20 {
            return Err(DomainError::invalid("domains", "at most 20 domains").into());
        }
        let taken = self.store.domains_taken(&domains, except).await?;
        if !taken.is_empty() {
            return Err(DomainError::conflict("domains", format!("already used by another organization: {}", taken.join(", "))).into());
        }
        validate::text("notes", &input.notes)?;
        if input.notes.chars().count() > 5000 {
            return Err(DomainError::invalid("notes", "notes must be at most 5000 characters").into());
        }
        Ok(OrgInput { name, domains, notes: input.notes.trim().to_string() })
    }

    pub async fn create_org(&self, actor: &Actor, input: &OrgFields) -> Result<OrgView> {
        authz::require(actor, Permission::ManageOrganizations)?;
        let o = self.org_input(input, None).await?;
        let a =
            audit(actor, frontline_domain::audit::AuditAction::OrganizationCreate, format!("organization:{}", o.name), o.domains.join(" "));
        let id = self.store.create_org(&o, Some(&a)).await.map_err(org_unique)?;
        let org = self.store.get_org(id).await?.ok_or_else(|| AppError::internal("new organization vanished"))?;
        Ok(OrgView::new(actor, org))
    }

    pub async fn update_org(&self, actor: &Actor, id: i64, input: &OrgFields) -> Result<OrgView> {
        self.update_org_and_plan(actor, id, input, None).await
    }

    /// Change an organization and, when `plan` is given, its support plan
    /// (which needs `ManageSla` too), in one transaction: nothing is
    /// written when either is refused.
    pub async fn update_org_and_plan(&self, actor: &Actor, id: i64, input: &OrgFields, plan: Option<Option<i64>>) -> Result<OrgView> {
        authz::require(actor, Permission::ManageOrganizations)?;
        if plan.is_some() {
            authz::require(actor, Permission::ManageSla)?;
        }
        self.store.get_org(id).await?.ok_or(DomainError::NotFound("organization"))?;
        let o = self.org_input(input, Some(id)).await?;
        let mut audits =
            vec![audit(actor, frontline_domain::audit::AuditAction::OrganizationUpdate, format!("organization:{id}"), o.domains.join(" "))];
        if let Some(p) = plan {
            audits.push(crate::sla_config::plan_audit(actor, id, p));
        }
        if !self.store.update_org(id, &o, plan, &audits).await.map_err(org_unique)? {
            return Err(DomainError::NotFound("organization").into());
        }
        let org = self.store.get_org(id).await?.ok_or_else(|| AppError::internal("organization vanished"))?;
        Ok(OrgView::new(actor, org))
    }

    /// Staff see every organization; a customer only their own.
    pub async fn org(&self, actor: &Actor, id: i64) -> Result<OrgView> {
        if !authz::can_view_org(actor, id) {
            return Err(DomainError::NotFound("organization").into());
        }
        let org = self.store.get_org(id).await?.ok_or(DomainError::NotFound("organization"))?;
        Ok(OrgView::new(actor, org))
    }

    pub async fn list_orgs(&self, actor: &Actor, query: Option<&str>, offset: i64, limit: i64) -> Result<Page<OrgView>> {
        authz::require(actor, Permission::ViewDirectory)?;
        if let Some(q) = query {
            validate::text("q", q)?;
        }
        let orgs = self.store.list_orgs(query.filter(|q| !q.trim().is_empty()), offset.max(0), limit.clamp(1, 200)).await?;
        Ok(Page { items: orgs.items.into_iter().map(|o| OrgView::new(actor, o)).collect(), has_more: orgs.has_more })
    }

    /// A manual team (the demo and tests); `create_team_with` sets assignment too.
    pub async fn create_team(&self, actor: &Actor, name: &str, description: &str) -> Result<Team> {
        let fields = TeamFields { name: name.into(), description: description.into(), ..Default::default() };
        self.create_team_with(actor, &fields).await
    }

    pub async fn create_team_with(&self, actor: &Actor, fields: &TeamFields) -> Result<Team> {
        authz::require(actor, Permission::ManageTeams)?;
        let t = team_input(fields)?;
        let a = audit(actor, frontline_domain::audit::AuditAction::TeamCreate, format!("team:{}", t.name), team_detail(&t));
        let id = self.store.create_team(&t, Some(&a)).await.map_err(|e| unique(e, "name", "a team with this name already exists"))?;
        self.store.get_team(id).await?.ok_or_else(|| AppError::internal("new team vanished"))
    }

    /// Name and description only; assignment settings stay as they are.
    pub async fn update_team(&self, actor: &Actor, id: i64, name: &str, description: &str) -> Result<Team> {
        authz::require(actor, Permission::ManageTeams)?;
        let current = self.store.get_team(id).await?.ok_or(DomainError::NotFound("team"))?;
        let fields = TeamFields {
            name: name.into(),
            description: description.into(),
            assignment_mode: current.assignment_mode.as_str().into(),
            assignment_capacity: current.assignment_capacity,
        };
        self.update_team_with(actor, id, &fields).await
    }

    /// Every field written; turning assignment on (or letting more through)
    /// starts a pass over the team's waiting tickets.
    pub async fn update_team_with(&self, actor: &Actor, id: i64, fields: &TeamFields) -> Result<Team> {
        authz::require(actor, Permission::ManageTeams)?;
        self.store.get_team(id).await?.ok_or(DomainError::NotFound("team"))?;
        let t = team_input(fields)?;
        let a =
            audit(actor, frontline_domain::audit::AuditAction::TeamUpdate, format!("team:{id}"), format!("{} {}", t.name, team_detail(&t)));
        let found =
            self.store.update_team(id, &t, Some(&a)).await.map_err(|e| unique(e, "name", "a team with this name already exists"))?;
        if !found {
            return Err(DomainError::NotFound("team").into());
        }
        self.store.get_team(id).await?.ok_or_else(|| AppError::internal("team vanished"))
    }

    pub async fn team(&self, actor: &Actor, id: i64) -> Result<Team> {
        authz::require(actor, Permission::ViewDirectory)?;
        Ok(self.store.get_team(id).await?.ok_or(DomainError::NotFound("team"))?)
    }

    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        authz::require(actor, Permission::ViewDirectory)?;
        Ok(self.store.list_teams().await?)
    }

    pub async fn list_positions(&self, actor: &Actor) -> Result<Vec<Position>> {
        authz::require(actor, Permission::ViewDirectory)?;
        Ok(self.store.list_positions().await?)
    }

    /// Create (id None) or rename/re-tier a position.
    pub async fn save_position(&self, actor: &Actor, id: Option<i64>, input: &PositionInput) -> Result<Position> {
        authz::require(actor, Permission::ManagePositions)?;
        let name = frontline_domain::structure::position_name(&input.name)?;
        let level = frontline_domain::structure::position_level(&input.level)?;
        let tier = parse_tier(input.tier)?;
        frontline_domain::structure::rank(input.rank)?;
        let a = audit(
            actor,
            if id.is_some() {
                frontline_domain::audit::AuditAction::PositionUpdate
            } else {
                frontline_domain::audit::AuditAction::PositionCreate
            },
            format!("position:{name}"),
            format!("tier={tier}"),
        );
        let saved = self
            .store
            .upsert_position(id, &name, &level, input.rank, tier, Some(&a))
            .await
            .map_err(|e| unique(e, "name", "a position with this name already exists"))?
            .ok_or(DomainError::NotFound("position"))?;
        self.store.get_position(saved).await?.ok_or_else(|| AppError::internal("position vanished"))
    }

    pub async fn audit_log(&self, actor: &Actor, page: i64) -> Result<Page<AuditEntry>> {
        authz::require(actor, Permission::ViewAuditLog)?;
        let page = crate::tickets::clamp_page(page);
        Ok(self.store.list_audit((page - 1) * 100, 100).await?)
    }
}
