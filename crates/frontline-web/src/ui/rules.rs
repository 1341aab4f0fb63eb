//! Admin: automatic rules (/admin/rules). One page lists the rules, with
//! the reason for any the scheduler switched off, and holds the form to
//! add one; /admin/rules/{id} edits one. Every field's problem shows at
//! once, with what was typed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::rules::{RuleDraft, RuleEffect};
use frontline_domain::ticket::{Priority, Status};
use frontline_domain::{FieldError, sla::TargetKind};
use frontline_store::rules::RuleRecord;
use frontline_store::users::UserFilter;
use frontline_store::{Team, User};

use super::form::{Failed, Form, run};
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

/// The form as typed: every value a string (ids too), so a bad one comes
/// back as it was with its message.
#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub name: String,
    pub enabled: bool,
    pub condition: String,
    pub target: String,
    pub status: String,
    pub minutes: String,
    pub team_id: String,
    pub priority: String,
    pub action: String,
    pub assignee_id: String,
    pub to_team_id: String,
    pub new_priority: String,
    pub notify_user_ids: Vec<String>,
    pub notify_step: String,
    pub version: String,
}

impl RuleForm {
    /// From the posted pairs (checkboxes for the people to notify repeat their name).
    fn from_pairs(pairs: Vec<(String, String)>) -> RuleForm {
        let mut f = RuleForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "enabled" => f.enabled = true,
                "condition" => f.condition = v,
                "target" => f.target = v,
                "status" => f.status = v,
                "minutes" => f.minutes = v,
                "team_id" => f.team_id = v,
                "priority" => f.priority = v,
                "action" => f.action = v,
                "assignee_id" => f.assignee_id = v,
                "to_team_id" => f.to_team_id = v,
                "new_priority" => f.new_priority = v,
                "notify_user_ids" => f.notify_user_ids.push(v),
                "notify_step" => f.notify_step = v,
                "version" => f.version = v,
                _ => {}
            }
        }
        f
    }

    fn of(r: &RuleRecord) -> RuleForm {
        let d = RuleDraft::of(&r.spec);
        let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
        RuleForm {
            name: d.name,
            enabled: d.enabled,
            condition: d.condition,
            target: d.target.unwrap_or_default(),
            status: d.status.unwrap_or_default(),
            minutes: id(d.minutes),
            team_id: id(d.team_id),
            priority: d.priority.unwrap_or_default(),
            action: d.action,
            assignee_id: id(d.assignee_id),
            to_team_id: id(d.to_team_id),
            new_priority: d.new_priority.unwrap_or_default(),
            notify_user_ids: d.notify_user_ids.iter().map(|i| i.to_string()).collect(),
            notify_step: d.notify_step.unwrap_or_default(),
            version: r.version.to_string(),
        }
    }

    /// The draft, and the messages of numbers that are not numbers.
    fn draft(&self) -> (RuleDraft, FormErrors) {
        let mut errors = FormErrors::default();
        let mut number = |field: &str, v: &str| -> Option<i64> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            v.parse().map_err(|_| errors.push(FieldError::new(field, "must be a whole number"))).ok()
        };
        let opt = |v: &str| Some(v.trim().to_string()).filter(|s| !s.is_empty());
        let draft = RuleDraft {
            name: self.name.clone(),
            enabled: self.enabled,
            condition: self.condition.clone(),
            target: opt(&self.target),
            status: opt(&self.status),
            minutes: number("minutes", &self.minutes),
            team_id: number("team_id", &self.team_id),
            priority: opt(&self.priority),
            action: self.action.clone(),
            assignee_id: number("assignee_id", &self.assignee_id),
            to_team_id: number("to_team_id", &self.to_team_id),
            new_priority: opt(&self.new_priority),
            notify_user_ids: self.notify_user_ids.iter().filter_map(|v| number("notify_user_ids", v)).collect(),
            notify_step: opt(&self.notify_step),
        };
        (draft, errors)
    }

    pub fn notifies(&self, id: &i64) -> bool {
        self.notify_user_ids.iter().any(|v| v.trim() == id.to_string())
    }
}

/// One rule as the list shows it.
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub when: String,
    pub filters: String,
    pub then: String,
}

fn team_name(teams: &[Team], id: i64) -> String {
    teams.iter().find(|t| t.id == id).map_or_else(|| format!("team {id} (gone)"), |t| t.name.clone())
}

fn user_name(users: &[User], id: i64) -> String {
    users.iter().find(|u| u.id == id).map_or_else(|| format!("user {id}"), |u| u.name.clone())
}

fn row(r: &RuleRecord, teams: &[Team], users: &[User]) -> RuleRow {
    let s = &r.spec;
    let mut filters = vec![];
    if let Some(t) = s.filters.team_id {
        filters.push(format!("team {}", team_name(teams, t)));
    }
    if let Some(p) = s.filters.priority {
        filters.push(format!("priority {}", p.label()));
    }
    let then = match &s.effect {
        RuleEffect::Escalate => "escalate one step".to_string(),
        RuleEffect::Reassign { assignee_id, team_id } => {
            let who = assignee_id.map_or_else(|| "unassigned".to_string(), |a| format!("assign to {}", user_name(users, a)));
            match team_id {
                Some(t) => format!("{who}, team {}", team_name(teams, *t)),
                None => who,
            }
        }
        RuleEffect::SetPriority { priority } => format!("set priority {}", priority.label()),
        RuleEffect::Notify { user_ids, step } => {
            let mut who: Vec<String> = user_ids.iter().map(|u| user_name(users, *u)).collect();
            if let Some(step) = step {
                who.push(format!("{} people", step.label()));
            }
            format!("mail {}", who.join(", "))
        }
    };
    RuleRow {
        id: r.id,
        name: s.name.clone(),
        enabled: s.enabled,
        disabled_reason: r.disabled_reason.clone(),
        when: s.condition.describe(),
        filters: if filters.is_empty() { "all open tickets".into() } else { filters.join(", ") },
        then,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "rules.html")]
pub struct RulesPage {
    chrome: Chrome,
    rules: Vec<RuleRow>,
    /// The rule being edited (None: the form adds one).
    editing: Option<i64>,
    form: RuleForm,
    errors: FormErrors,
    teams: Vec<Team>,
    staff: Vec<User>,
}

impl RulesPage {
    fn conditions(&self) -> [(&'static str, &'static str); 3] {
        [("breached", "SLA breached"), ("near_breach", "Near SLA breach"), ("time_in_status", "Time in a status")]
    }
    fn actions(&self) -> [(&'static str, &'static str); 4] {
        [("escalate", "Escalate one step"), ("reassign", "Reassign"), ("set_priority", "Set priority"), ("notify", "Notify by mail")]
    }
    fn targets(&self) -> Vec<&'static str> {
        TargetKind::ALL.iter().map(|k| k.as_str()).collect()
    }
    fn statuses(&self) -> Vec<Status> {
        Status::ALL.iter().copied().filter(|s| *s != Status::Closed).collect()
    }
    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
    fn steps(&self) -> [EscalationStep; 4] {
        EscalationStep::ALL
    }
    fn is(&self, value: &str, id: &i64) -> bool {
        value.trim() == id.to_string()
    }
    /// Offered as a rule's assignee: only who can be given tickets (the
    /// use case refuses the others).
    fn can_take(&self, u: &User) -> bool {
        u.active && frontline_domain::authz::can(&u.actor(), frontline_domain::authz::Permission::WorkTickets)
    }
}

async fn page(s: &AppState, user: User, editing: Option<i64>, form: Option<RuleForm>, errors: FormErrors) -> Response {
    let actor = user.actor();
    let rules = match s.app.list_rules(&actor).await {
        Ok(r) => r,
        Err(e) => return error_response(e),
    };
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => match rules.iter().find(|r| r.id == id) {
            Some(r) => RuleForm::of(r),
            None => return error_response(frontline_app::AppError::from(frontline_domain::DomainError::NotFound("rule"))),
        },
        (None, None) => RuleForm { enabled: true, condition: "breached".into(), action: "escalate".into(), ..Default::default() },
    };
    let teams = match s.app.list_teams(&actor).await {
        Ok(t) => t,
        Err(e) => return error_response(e),
    };
    let staff = match s.app.list_users(&actor, &UserFilter { customers: Some(false), limit: 500, ..Default::default() }).await {
        Ok(p) => p.items.into_iter().filter(|u| u.active).collect::<Vec<_>>(),
        Err(e) => return error_response(e),
    };
    let chrome = match Chrome::load(s, user, "rules").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let rows = rules.iter().map(|r| row(r, &teams, &staff)).collect();
    let failed = errors.any();
    let p = RulesPage { chrome, rules: rows, editing, form, errors, teams, staff };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn list(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    page(&s, user, None, None, FormErrors::default()).await
}

pub async fn edit(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    page(&s, user, Some(id), None, FormErrors::default()).await
}

/// The form's own checks (numbers, then every field of the draft and the
/// teams and people it names), all at once.
async fn checks(s: &AppState, user: &User, f: &RuleForm) -> Result<(RuleDraft, FormErrors), Response> {
    let (draft, numbers) = f.draft();
    let problems = s.app.rule_problems(&user.actor(), &draft).await.map_err(error_response)?;
    Ok((draft, numbers.merge(FormErrors(problems))))
}

pub async fn create(State(s): State<AppState>, PageUser(user): PageUser, Form(pairs, checked): Form<Vec<(String, String)>>) -> Response {
    let f = RuleForm::from_pairs(pairs);
    let (draft, pre) = match checks(&s, &user, &f).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match run(pre, checked, s.app.create_rule(&user.actor(), &draft)).await {
        Ok(_) => Redirect::to("/admin/rules?saved=rule").into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => self::page(&s, user, None, Some(f), errors).await,
    }
}

pub async fn update(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(pairs, checked): Form<Vec<(String, String)>>,
) -> Response {
    let f = RuleForm::from_pairs(pairs);
    let (draft, pre) = match checks(&s, &user, &f).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let version = f.version.trim().parse().ok();
    match run(pre, checked, s.app.update_rule(&user.actor(), id, &draft, version)).await {
        Ok(_) => Redirect::to("/admin/rules?saved=rule").into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => page(&s, user, Some(id), Some(f), errors).await,
    }
}

pub async fn delete(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.delete_rule(&user.actor(), id).await {
        Ok(()) => Redirect::to("/admin/rules?saved=deleted").into_response(),
        Err(e) => error_response(e),
    }
}
