//! People and structure: users, organizations, teams, positions, audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_app::AppError;
use frontline_app::directory::OrgView;
use frontline_app::directory::{OrgFields, PositionInput, TeamFields, UserInput};
use frontline_app::tickets::TicketView;
use frontline_domain::user::Role;
use frontline_store::tickets::TicketFilter;
use frontline_store::users::UserFilter;
use frontline_store::{AuditEntry, Page, Position, Team, User};
use serde::Deserialize;

use super::form::{Failed, Form, Query, run};
use super::{Chrome, FormErrors, error_response, invalid, opt_id};
use crate::AppState;
use crate::auth::PageUser;

const PER_PAGE: i64 = 50;

/// Unwrap a result or return the response it carries.
macro_rules! tryr {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

fn page_err(e: AppError) -> Response {
    error_response(e)
}

// ---------- users ----------

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    chrome: Chrome,
    users: Page<User>,
    kind: String,
    q: String,
    page: i64,
}

#[derive(Deserialize)]
pub struct UsersParams {
    kind: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

pub async fn users(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<UsersParams>) -> Response {
    let kind = p.kind.unwrap_or_else(|| "staff".into());
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let filter = UserFilter {
        customers: Some(kind == "customers"),
        query: p.q.clone().filter(|q| !q.trim().is_empty()),
        offset: (page - 1) * PER_PAGE,
        limit: PER_PAGE,
        ..Default::default()
    };
    let users = tryr!(s.app.list_users(&user.actor(), &filter).await.map_err(page_err));
    let chrome = tryr!(Chrome::load(&s, user, "users").await);
    UsersPage { chrome, users, kind, q: p.q.unwrap_or_default(), page }.into_response()
}

/// The user form's choices.
pub struct UserChoices {
    roles: Vec<Role>,
    orgs: Vec<OrgView>,
    positions: Vec<Position>,
    teams: Vec<Team>,
    staff: Vec<User>,
}

impl UserChoices {
    async fn load(s: &AppState, user: &User) -> Result<UserChoices, Response> {
        let actor = user.actor();
        let roles = Role::ALL.into_iter().filter(|r| frontline_domain::authz::can_assign_role(&actor, *r)).collect();
        let orgs = s.app.list_orgs(&actor, None, 0, 200).await.map_err(page_err)?.items;
        let positions = s.app.list_positions(&actor).await.map_err(page_err)?;
        let teams = s.app.list_teams(&actor).await.map_err(page_err)?;
        let staff = s
            .app
            .list_users(&actor, &UserFilter { customers: Some(false), limit: 200, ..Default::default() })
            .await
            .map_err(page_err)?
            .items;
        Ok(UserChoices { roles, orgs, positions, teams, staff })
    }

    /// Lists are capped; the user's current organization and manager must
    /// still be options, or saving the form would silently clear them.
    async fn include_current(mut self, s: &AppState, me: &User, form: &UserForm) -> Result<UserChoices, Response> {
        let actor = me.actor();
        if let Ok(Some(org)) = opt_id(&form.organization_id)
            && !self.orgs.iter().any(|o| o.id == org)
            && let Ok(o) = s.app.org(&actor, org).await
        {
            self.orgs.push(o);
        }
        if let Ok(Some(manager)) = opt_id(&form.reports_to)
            && !self.staff.iter().any(|u| u.id == manager)
            && let Ok(u) = s.app.user(&actor, manager).await
        {
            self.staff.push(u);
        }
        Ok(self)
    }
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    name: String,
    role: String,
    organization_id: Option<String>,
    position_id: Option<String>,
    team_id: Option<String>,
    reports_to: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    active: Option<String>,
}

impl UserForm {
    fn from_user(u: &User) -> Self {
        let s = |v: Option<i64>| v.map(|i| i.to_string());
        UserForm {
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().into(),
            organization_id: s(u.organization_id),
            position_id: s(u.position_id),
            team_id: s(u.team_id),
            reports_to: s(u.reports_to),
            password: String::new(),
            active: u.active.then(|| "on".into()),
        }
    }
    fn input(&self) -> Result<UserInput, AppError> {
        Ok(UserInput {
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            organization_id: opt_id(&self.organization_id)?,
            position_id: opt_id(&self.position_id)?,
            team_id: opt_id(&self.team_id)?,
            reports_to: opt_id(&self.reports_to)?,
            password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            active: Some(self.active.is_some()),
        })
    }
    fn is(&self, field: &Option<String>, id: &i64) -> bool {
        field.as_deref() == Some(id.to_string().as_str())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_form.html")]
pub struct UserFormPage {
    chrome: Chrome,
    choices: UserChoices,
    /// None when creating.
    user: Option<User>,
    form: UserForm,
    errors: FormErrors,
    tickets: Vec<TicketView>,
}

pub async fn new_user(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    let choices = tryr!(UserChoices::load(&s, &user).await);
    let chrome = tryr!(Chrome::load(&s, user, "users").await);
    if !chrome.caps.manage_users {
        return error_response(frontline_domain::DomainError::Forbidden("your role cannot add users"));
    }
    let form = UserForm { role: "customer_member".into(), active: Some("on".into()), ..Default::default() };
    UserFormPage { chrome, choices, user: None, form, errors: FormErrors::default(), tickets: vec![] }.into_response()
}

pub async fn create_user(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<UserForm>) -> Response {
    let pre = super::checks::user(Some(&f.email), &f.name, &f.role, &f.password);
    // Someone added without a password is mailed an invitation to choose one.
    match run(pre, checked, async { s.app.create_user_inviting(&user.actor(), &f.input()?).await }).await {
        Ok((u, _)) => Redirect::to(&format!("/users/{}", u.id)).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => {
            let choices = tryr!(tryr!(UserChoices::load(&s, &user).await).include_current(&s, &user, &f).await);
            let chrome = tryr!(Chrome::load(&s, user, "users").await);
            invalid(UserFormPage { chrome, choices, user: None, form: f, errors, tickets: vec![] })
        }
    }
}

async fn user_page(s: &AppState, me: User, id: i64, form: Option<UserForm>, errors: FormErrors) -> Response {
    let actor = me.actor();
    let user = tryr!(s.app.user(&actor, id).await.map_err(page_err));
    let tickets =
        tryr!(s.app.list_tickets(&actor, TicketFilter { requester_id: Some(id), limit: 20, ..Default::default() }).await.map_err(page_err))
            .items;
    let choices = tryr!(UserChoices::load(s, &me).await);
    let chrome = tryr!(Chrome::load(s, me, "users").await);
    let failed = errors.any();
    let page =
        UserFormPage { chrome, choices, form: form.unwrap_or_else(|| UserForm::from_user(&user)), user: Some(user), errors, tickets };
    if failed { invalid(page) } else { page.into_response() }
}

pub async fn user(State(s): State<AppState>, PageUser(me): PageUser, Path(id): Path<i64>) -> Response {
    user_page(&s, me, id, None, FormErrors::default()).await
}

pub async fn update_user(
    State(s): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<UserForm>,
) -> Response {
    let pre = super::checks::user(None, &f.name, &f.role, &f.password);
    match run(pre, checked, async { s.app.update_user(&me.actor(), id, &f.input()?).await }).await {
        Ok(_) => Redirect::to(&format!("/users/{id}?saved=user")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => user_page(&s, me, id, Some(f), errors).await,
    }
}

// ---------- organizations ----------

#[derive(Template, WebTemplate)]
#[template(path = "orgs.html")]
pub struct OrgsPage {
    chrome: Chrome,
    orgs: Page<OrgView>,
    q: String,
    page: i64,
    form: OrgForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct OrgForm {
    name: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    notes: String,
}

impl OrgForm {
    fn fields(&self) -> OrgFields {
        OrgFields {
            name: self.name.clone(),
            domains: self.domains.split(|c: char| c == ',' || c.is_whitespace()).map(str::to_string).collect(),
            notes: self.notes.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct ListParams {
    q: Option<String>,
    page: Option<i64>,
}

async fn orgs_page(s: &AppState, user: User, q: String, page: i64, form: OrgForm, errors: FormErrors) -> Response {
    let orgs = tryr!(s.app.list_orgs(&user.actor(), Some(&q), (page - 1) * PER_PAGE, PER_PAGE).await.map_err(page_err));
    let chrome = tryr!(Chrome::load(s, user, "orgs").await);
    let failed = errors.any();
    let p = OrgsPage { chrome, orgs, q, page, form, errors };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn orgs(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<ListParams>) -> Response {
    orgs_page(
        &s,
        user,
        p.q.unwrap_or_default(),
        frontline_app::tickets::clamp_page(p.page.unwrap_or(1)),
        OrgForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn create_org(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<OrgForm>) -> Response {
    let pre = super::checks::org(&f.name, &f.domains);
    match run(pre, checked, s.app.create_org(&user.actor(), &f.fields())).await {
        Ok(o) => Redirect::to(&format!("/organizations/{}", o.id)).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => orgs_page(&s, user, String::new(), 1, f, errors).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "org.html")]
pub struct OrgPage {
    chrome: Chrome,
    org: OrgView,
    members: Vec<User>,
    tickets: Vec<TicketView>,
    form: OrgForm,
    errors: FormErrors,
    /// The plans to choose from (for those who may set one).
    plans: Vec<frontline_store::sla::SupportPlan>,
    /// Messages of the support plan form.
    plan_errors: FormErrors,
}

impl OrgPage {
    fn plan_chosen(&self, id: &i64) -> bool {
        matches!(&self.org.support_plan, Some(Some(p)) if p.id == *id)
    }
}

async fn org_page(s: &AppState, user: User, id: i64, form: Option<OrgForm>, errors: FormErrors) -> Response {
    org_page_full(s, user, id, form, errors, FormErrors::default()).await
}

/// The organization page after its support plan form was refused.
pub(super) async fn org_page_with_plan_errors(s: &AppState, user: User, id: i64, plan_errors: FormErrors) -> Response {
    org_page_full(s, user, id, None, FormErrors::default(), plan_errors).await
}

async fn org_page_full(s: &AppState, user: User, id: i64, form: Option<OrgForm>, errors: FormErrors, plan_errors: FormErrors) -> Response {
    let actor = user.actor();
    let org = tryr!(s.app.org(&actor, id).await.map_err(page_err));
    let members = tryr!(
        s.app.list_users(&actor, &UserFilter { organization_id: Some(id), limit: 200, ..Default::default() }).await.map_err(page_err)
    )
    .items;
    let tickets = tryr!(
        s.app.list_tickets(&actor, TicketFilter { organization_id: Some(id), limit: 25, ..Default::default() }).await.map_err(page_err)
    )
    .items;
    let chrome = tryr!(Chrome::load(s, user, "orgs").await);
    let plans = if chrome.caps.sla { tryr!(s.app.support_plans(&actor).await.map_err(page_err)) } else { Vec::new() };
    let form = form.unwrap_or_else(|| OrgForm {
        name: org.name.clone(),
        domains: org.domains.clone(),
        notes: org.notes.clone().unwrap_or_default(),
    });
    let failed = errors.any() || plan_errors.any();
    let p = OrgPage { chrome, org, members, tickets, form, errors, plans, plan_errors };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn org(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    org_page(&s, user, id, None, FormErrors::default()).await
}

pub async fn update_org(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<OrgForm>,
) -> Response {
    let pre = super::checks::org(&f.name, &f.domains);
    match run(pre, checked, s.app.update_org(&user.actor(), id, &f.fields())).await {
        Ok(_) => Redirect::to(&format!("/organizations/{id}?saved=organization")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => org_page(&s, user, id, Some(f), errors).await,
    }
}

// ---------- teams ----------

#[derive(Deserialize, Default)]
pub struct TeamForm {
    name: String,
    #[serde(default)]
    description: String,
    /// Empty (the create form has none): manual.
    #[serde(default)]
    assignment_mode: String,
    /// As typed; empty is unlimited.
    #[serde(default)]
    assignment_capacity: String,
}

impl TeamForm {
    fn of(team: &Team) -> Self {
        TeamForm {
            name: team.name.clone(),
            description: team.description.clone(),
            assignment_mode: team.assignment_mode.as_str().into(),
            assignment_capacity: team.assignment_capacity.map(|c| c.to_string()).unwrap_or_default(),
        }
    }

    fn mode(&self) -> &str {
        if self.assignment_mode.trim().is_empty() {
            frontline_domain::assignment::AssignmentMode::Manual.as_str()
        } else {
            &self.assignment_mode
        }
    }

    fn checks(&self) -> FormErrors {
        super::checks::team(&self.name, &self.description, self.mode(), &self.assignment_capacity)
    }

    /// Only called once `checks` passed; a capacity that does not parse is then impossible.
    fn fields(&self) -> TeamFields {
        TeamFields {
            name: self.name.clone(),
            description: self.description.clone(),
            assignment_mode: self.mode().into(),
            assignment_capacity: frontline_domain::assignment::capacity_text(&self.assignment_capacity).ok().flatten(),
        }
    }

    fn is_mode(&self, mode: &frontline_domain::assignment::AssignmentMode) -> bool {
        self.mode() == mode.as_str()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "teams.html")]
pub struct TeamsPage {
    chrome: Chrome,
    teams: Vec<Team>,
    form: TeamForm,
    errors: FormErrors,
}

async fn teams_page(s: &AppState, user: User, form: TeamForm, errors: FormErrors) -> Response {
    let teams = tryr!(s.app.list_teams(&user.actor()).await.map_err(page_err));
    let chrome = tryr!(Chrome::load(s, user, "teams").await);
    let failed = errors.any();
    let p = TeamsPage { chrome, teams, form, errors };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn teams(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    teams_page(&s, user, TeamForm::default(), FormErrors::default()).await
}

pub async fn create_team(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<TeamForm>) -> Response {
    let pre = f.checks();
    match run(pre, checked, s.app.create_team_with(&user.actor(), &f.fields())).await {
        Ok(t) => Redirect::to(&format!("/teams/{}", t.id)).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => teams_page(&s, user, f, errors).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    chrome: Chrome,
    team: Team,
    members: Vec<User>,
    form: TeamForm,
    errors: FormErrors,
    modes: [frontline_domain::assignment::AssignmentMode; 3],
}

async fn team_page(s: &AppState, user: User, id: i64, form: Option<TeamForm>, errors: FormErrors) -> Response {
    let actor = user.actor();
    let team = tryr!(s.app.team(&actor, id).await.map_err(page_err));
    let members =
        tryr!(s.app.list_users(&actor, &UserFilter { team_id: Some(id), limit: 200, ..Default::default() }).await.map_err(page_err)).items;
    let chrome = tryr!(Chrome::load(s, user, "teams").await);
    let form = form.unwrap_or_else(|| TeamForm::of(&team));
    let failed = errors.any();
    let modes = frontline_domain::assignment::AssignmentMode::ALL;
    let p = TeamPage { chrome, team, members, form, errors, modes };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn team(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    team_page(&s, user, id, None, FormErrors::default()).await
}

pub async fn update_team(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<TeamForm>,
) -> Response {
    let pre = f.checks();
    match run(pre, checked, s.app.update_team_with(&user.actor(), id, &f.fields())).await {
        Ok(_) => Redirect::to(&format!("/teams/{id}?saved=team")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => team_page(&s, user, id, Some(f), errors).await,
    }
}

// ---------- positions ----------

#[derive(Deserialize, Default)]
pub struct PositionForm {
    name: String,
    level: String,
    rank: String,
    tier: String,
}

impl PositionForm {
    fn input(&self) -> Result<PositionInput, AppError> {
        use frontline_domain::structure::whole_number;
        Ok(PositionInput {
            name: self.name.clone(),
            level: self.level.clone(),
            rank: whole_number("rank", &self.rank)?,
            tier: whole_number("tier", &self.tier)?,
        })
    }

    fn blank() -> PositionForm {
        PositionForm { tier: "1".into(), ..Default::default() }
    }
}

/// A position's row whose save failed: what was typed, and its messages.
pub struct FailedRow {
    id: i64,
    form: PositionForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "positions.html")]
pub struct PositionsPage {
    chrome: Chrome,
    positions: Vec<Position>,
    /// The new-position form and its messages.
    form: PositionForm,
    errors: FormErrors,
    row: Option<FailedRow>,
}

impl PositionsPage {
    fn failed(&self, id: i64) -> Option<&FailedRow> {
        self.row.as_ref().filter(|r| r.id == id)
    }

    /// A row's field: as typed when its save failed, else as saved.
    fn value(&self, p: &Position, field: &str) -> String {
        match (self.failed(p.id), field) {
            (Some(r), "name") => r.form.name.clone(),
            (Some(r), "level") => r.form.level.clone(),
            (Some(r), "rank") => r.form.rank.clone(),
            (Some(r), "tier") => r.form.tier.clone(),
            (None, "name") => p.name.clone(),
            (None, "level") => p.level.clone(),
            (None, "rank") => p.rank.to_string(),
            (None, "tier") => p.tier.to_string(),
            _ => String::new(),
        }
    }

    fn row_error(&self, id: &i64, field: &str) -> Option<&str> {
        self.failed(*id).and_then(|r| r.errors.get(field))
    }

    /// `aria-*` tying a row's input to its message (ids are per row).
    fn row_aria(&self, id: &i64, field: &str) -> String {
        match self.row_error(id, field) {
            Some(_) => format!(" aria-invalid=\"true\" aria-describedby=\"err-{field}-{id}\""),
            None => String::new(),
        }
    }

    /// Messages of a failed row that belong to no column (a conflict).
    fn row_form_error(&self, id: &i64) -> Option<&str> {
        self.row_error(id, "form")
    }
}

async fn positions_page(s: &AppState, user: User, form: PositionForm, errors: FormErrors, row: Option<FailedRow>) -> Response {
    let positions = tryr!(s.app.list_positions(&user.actor()).await.map_err(page_err));
    let chrome = tryr!(Chrome::load(s, user, "positions").await);
    let failed = errors.any() || row.is_some();
    let p = PositionsPage { chrome, positions, form, errors, row };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn positions(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    positions_page(&s, user, PositionForm::blank(), FormErrors::default(), None).await
}

pub async fn create_position(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<PositionForm>) -> Response {
    let pre = super::checks::position(&f.name, &f.level, &f.rank, &f.tier);
    match run(pre, checked, async { s.app.save_position(&user.actor(), None, &f.input()?).await }).await {
        Ok(_) => Redirect::to("/admin/positions").into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => positions_page(&s, user, f, errors, None).await,
    }
}

pub async fn update_position(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<PositionForm>,
) -> Response {
    let pre = super::checks::position(&f.name, &f.level, &f.rank, &f.tier);
    match run(pre, checked, async { s.app.save_position(&user.actor(), Some(id), &f.input()?).await }).await {
        Ok(_) => Redirect::to("/admin/positions").into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => {
            positions_page(&s, user, PositionForm::blank(), FormErrors::default(), Some(FailedRow { id, form: f, errors })).await
        }
    }
}

// ---------- audit ----------

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    entries: Page<AuditEntry>,
    page: i64,
}

#[derive(Deserialize)]
pub struct PageParam {
    page: Option<i64>,
}

pub async fn audit(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<PageParam>) -> Response {
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let entries = tryr!(s.app.audit_log(&user.actor(), page).await.map_err(page_err));
    let chrome = tryr!(Chrome::load(&s, user, "audit").await);
    AuditPage { chrome, entries, page }.into_response()
}
