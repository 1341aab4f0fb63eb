//! Admin: SLA configuration. One page lists business-hours calendars,
//! support plans and policies (in the order they are tried, moved up and
//! down); a calendar and a policy each have a form page.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_app::sla_config::{CalendarInput, PolicyFields, calendar_problems, policy_problems};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::sla::{
    CalendarSpec, Condition, Hours, IntervalSpec, PriorityTargets, SlaPolicy, Target, TargetKind, WeeklyHoursSpec, parse_holidays,
};
use frontline_domain::ticket::{Channel, Priority};
use frontline_domain::{DomainError, FieldError};
use frontline_store::sla::{CalendarRecord, PolicyRecord, SupportPlan};
use serde::Deserialize;

use super::form::{Failed, Form, run};
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

macro_rules! tryr {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

fn day_of(h: &WeeklyHoursSpec, key: &str) -> Vec<IntervalSpec> {
    match key {
        "mon" => h.mon.clone(),
        "tue" => h.tue.clone(),
        "wed" => h.wed.clone(),
        "thu" => h.thu.clone(),
        "fri" => h.fri.clone(),
        "sat" => h.sat.clone(),
        _ => h.sun.clone(),
    }
}

fn minutes_of(hhmm: &str) -> i64 {
    let (h, m) = hhmm.split_once(':').unwrap_or(("0", "0"));
    h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
}

/// "37.5 h a week · 3 holidays", for the list.
fn week_summary(spec: &CalendarSpec) -> String {
    let minutes: i64 = DAYS.iter().flat_map(|(k, _)| day_of(&spec.hours, k)).map(|iv| minutes_of(&iv.end) - minutes_of(&iv.start)).sum();
    let hours = minutes as f64 / 60.0;
    let holidays = match spec.holidays.len() {
        0 => String::new(),
        1 => " · 1 holiday".into(),
        n => format!(" · {n} holidays"),
    };
    format!("{hours} h a week{holidays}")
}

fn interval_text(ivs: &[IntervalSpec]) -> String {
    ivs.iter().map(|iv| format!("{}-{}", iv.start, iv.end)).collect::<Vec<_>>().join(", ")
}

// ---------- the overview ----------

/// A calendar as listed.
pub struct CalendarItem {
    id: i64,
    name: String,
    zone: String,
    summary: String,
    problem: Option<String>,
}

/// A policy as listed.
pub struct PolicyItem {
    id: i64,
    name: String,
    calendar: String,
    conditions: String,
    targets: String,
    problem: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sla.html")]
pub struct SlaPage {
    chrome: Chrome,
    calendars: Vec<CalendarItem>,
    plans: Vec<SupportPlan>,
    policies: Vec<PolicyItem>,
    /// The policies' ids as listed, sent back by the move buttons.
    seen: String,
    /// Which form the messages belong to (`plan-new`, `plan-7`, `calendar-3`, `policy-2`).
    errors_for: String,
    /// The name typed in that form (a plan's), kept over the stored one.
    typed: String,
    errors: FormErrors,
}

/// The channels a policy may look at.
pub fn channels() -> &'static [Channel] {
    Channel::ALL
}

impl SlaPage {
    /// The message of one row's forms (`calendar`, `plan`, `policy` with its id).
    fn row_error(&self, kind: &str, id: &i64) -> Option<&str> {
        self.form_error(&format!("{kind}-{id}"))
    }

    /// A form's message that names no field of its own (a refusal, a conflict).
    fn form_error(&self, form: &str) -> Option<&str> {
        if self.errors_for == form { self.errors.0.first().map(|e| e.message.as_str()) } else { None }
    }

    fn plan_name_value(&self, p: &SupportPlan) -> String {
        if self.errors_for == format!("plan-{}", p.id) { self.typed.clone() } else { p.name.clone() }
    }

    fn new_plan_value(&self) -> &str {
        if self.errors_for == "plan-new" { &self.typed } else { "" }
    }
}

fn targets_summary(p: &SlaPolicy) -> String {
    let mut parts = Vec::new();
    for (priority, t) in &p.targets {
        let mut each = Vec::new();
        for kind in TargetKind::ALL {
            if let Some(target) = t.get(kind) {
                each.push(format!("{} {}", kind_label(kind).to_lowercase(), duration_text(target)));
            }
        }
        if !each.is_empty() {
            parts.push(format!("{}: {}", priority.label(), each.join(", ")));
        }
    }
    if parts.is_empty() { "no targets".into() } else { parts.join(" · ") }
}

fn duration_text(t: Target) -> String {
    let amount = if t.minutes % 60 == 0 { format!("{}h", t.minutes / 60) } else { format!("{}m", t.minutes) };
    match t.hours {
        Hours::Business => amount,
        Hours::Calendar => format!("{amount} (calendar)"),
    }
}

fn kind_label(k: TargetKind) -> &'static str {
    match k {
        TargetKind::FirstReply => "First reply",
        TargetKind::NextReply => "Next reply",
        TargetKind::Resolution => "Resolution",
    }
}

fn conditions_summary(p: &SlaPolicy, plans: &[SupportPlan], orgs: &HashMap<i64, String>) -> String {
    if p.conditions.is_empty() {
        return "every ticket".into();
    }
    p.conditions
        .iter()
        .map(|c| match c {
            Condition::Organization(id) => format!("organization {}", orgs.get(id).cloned().unwrap_or_else(|| format!("#{id}"))),
            Condition::SupportPlan(id) => {
                format!("plan {}", plans.iter().find(|x| x.id == *id).map_or_else(|| format!("#{id}"), |x| x.name.clone()))
            }
            Condition::Priority(pr) => format!("priority {}", pr.label()),
            Condition::Channel(ch) => format!("channel {}", ch.label()),
            Condition::Tag(t) => format!("tag {t}"),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Organizations for the condition choices and names (the first 200 by name).
async fn org_names(s: &AppState, actor: &frontline_domain::authz::Actor) -> Result<Vec<(i64, String)>, Response> {
    let orgs = s.app.list_orgs(actor, None, 0, 200).await.map_err(error_response)?;
    Ok(orgs.items.into_iter().map(|o| (o.id, o.name)).collect())
}

async fn overview(s: &AppState, user: frontline_store::User, errors_for: String, typed: String, errors: FormErrors) -> Response {
    let actor = user.actor();
    let calendars = tryr!(s.app.sla_calendars(&actor).await.map_err(error_response));
    let plans = tryr!(s.app.support_plans(&actor).await.map_err(error_response));
    let policies = tryr!(s.app.sla_policies(&actor).await.map_err(error_response));
    let orgs: HashMap<i64, String> = tryr!(org_names(s, &actor).await).into_iter().collect();
    let calendar_names: HashMap<i64, String> = calendars.iter().filter_map(|c| c.as_ref().ok()).map(|c| (c.id, c.name.clone())).collect();
    let calendars = calendars
        .into_iter()
        .map(|c| match c {
            Ok(c) => {
                let spec = c.calendar.spec();
                CalendarItem { id: c.id, name: c.name, summary: week_summary(&spec), zone: spec.time_zone, problem: None }
            }
            Err(b) => CalendarItem { id: b.id, name: b.name, zone: String::new(), summary: String::new(), problem: Some(b.problem) },
        })
        .collect();
    let seen = policies.iter().map(|p| p.as_ref().map_or_else(|b| b.id, |p| p.id).to_string()).collect::<Vec<_>>().join(",");
    let policies = policies
        .into_iter()
        .map(|p| match p {
            Ok(p) => PolicyItem {
                id: p.id,
                calendar: calendar_names.get(&p.calendar_id).cloned().unwrap_or_else(|| format!("calendar #{} (broken)", p.calendar_id)),
                conditions: conditions_summary(&p.policy, &plans, &orgs),
                targets: targets_summary(&p.policy),
                name: p.name,
                problem: None,
            },
            Err(b) => PolicyItem {
                id: b.id,
                name: b.name,
                calendar: String::new(),
                conditions: String::new(),
                targets: String::new(),
                problem: Some(b.problem),
            },
        })
        .collect();
    let chrome = tryr!(Chrome::load(s, user, "sla").await);
    let failed = errors.any();
    let page = SlaPage { chrome, calendars, plans, policies, seen, errors_for, typed, errors };
    if failed { invalid(page) } else { page.into_response() }
}

pub async fn show(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    overview(&s, user, String::new(), String::new(), FormErrors::default()).await
}

/// A refusal shown next to the form it came from (with the name typed
/// there), or an error page.
async fn refused(s: &AppState, user: frontline_store::User, form: String, e: Failed, typed: String) -> Response {
    match e {
        Failed::Page(page) => page,
        Failed::Form(errors) => overview(s, user, form, typed, errors).await,
    }
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
}

fn plan_checks(name: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(frontline_domain::validate::name("name", name, 120));
    errors
}

pub async fn create_plan(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<PlanForm>) -> Response {
    match run(plan_checks(&f.name), checked, s.app.create_support_plan(&user.actor(), &f.name)).await {
        Ok(_) => Redirect::to("/admin/sla?saved=plan#plans").into_response(),
        Err(e) => refused(&s, user, "plan-new".into(), e, f.name).await,
    }
}

pub async fn update_plan(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<PlanForm>,
) -> Response {
    let version = f.version.trim().parse().ok();
    match run(plan_checks(&f.name), checked, s.app.update_support_plan(&user.actor(), id, Some(&f.name), None, version)).await {
        Ok(_) => Redirect::to("/admin/sla?saved=plan#plans").into_response(),
        Err(e) => refused(&s, user, format!("plan-{id}"), e, f.name).await,
    }
}

pub async fn delete_plan(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.delete_support_plan(&user.actor(), id).await {
        Ok(()) => Redirect::to("/admin/sla?saved=plan-deleted#plans").into_response(),
        Err(e) => refused(&s, user, format!("plan-{id}"), e.into(), String::new()).await,
    }
}

pub async fn delete_calendar(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.delete_sla_calendar(&user.actor(), id).await {
        Ok(()) => Redirect::to("/admin/sla?saved=calendar-deleted#calendars").into_response(),
        Err(e) => refused(&s, user, format!("calendar-{id}"), e.into(), String::new()).await,
    }
}

pub async fn delete_policy(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.delete_sla_policy(&user.actor(), id).await {
        Ok(()) => Redirect::to("/admin/sla?saved=policy-deleted#policies").into_response(),
        Err(e) => refused(&s, user, format!("policy-{id}"), e.into(), String::new()).await,
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    direction: String,
    #[serde(default)]
    seen: String,
}

pub async fn move_policy(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<MoveForm>,
) -> Response {
    let by = if f.direction == "up" { -1 } else { 1 };
    let seen: Vec<i64> = f.seen.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    match run(FormErrors::default(), checked, s.app.move_sla_policy(&user.actor(), &seen, id, by)).await {
        Ok(()) => Redirect::to(&format!("/admin/sla?saved=order#policy-{id}")).into_response(),
        Err(e) => refused(&s, user, format!("policy-{id}"), e, String::new()).await,
    }
}

// ---------- a calendar ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarForm {
    name: String,
    time_zone: String,
    mon: String,
    tue: String,
    wed: String,
    thu: String,
    fri: String,
    sat: String,
    sun: String,
    holidays: String,
    version: String,
}

impl CalendarForm {
    fn day(&self, key: &str) -> &str {
        match key {
            "mon" => &self.mon,
            "tue" => &self.tue,
            "wed" => &self.wed,
            "thu" => &self.thu,
            "fri" => &self.fri,
            "sat" => &self.sat,
            _ => &self.sun,
        }
    }

    fn of(c: &CalendarRecord) -> CalendarForm {
        let spec = c.calendar.spec();
        let day = |k| interval_text(&day_of(&spec.hours, k));
        CalendarForm {
            name: c.name.clone(),
            time_zone: spec.time_zone.clone(),
            mon: day("mon"),
            tue: day("tue"),
            wed: day("wed"),
            thu: day("thu"),
            fri: day("fri"),
            sat: day("sat"),
            sun: day("sun"),
            holidays: spec.holidays.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
            version: c.version.to_string(),
        }
    }

    /// What was typed, read into a calendar; what cannot be read is a
    /// message for its field (the domain checks the rest).
    fn input(&self) -> (CalendarInput, FormErrors) {
        let mut errors = FormErrors::default();
        let mut hours = WeeklyHoursSpec::default();
        for (key, _) in DAYS {
            let mut ivs = Vec::new();
            for piece in self.day(key).split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
                match piece.split_once(['-', '–']) {
                    Some((a, b)) => ivs.push(IntervalSpec::new(a.trim(), b.trim())),
                    None => errors.push(FieldError::new(
                        format!("hours.{key}"),
                        format!("'{piece}' is not an interval; write 09:00-17:00, several separated by commas"),
                    )),
                }
            }
            match key {
                "mon" => hours.mon = ivs,
                "tue" => hours.tue = ivs,
                "wed" => hours.wed = ivs,
                "thu" => hours.thu = ivs,
                "fri" => hours.fri = ivs,
                "sat" => hours.sat = ivs,
                _ => hours.sun = ivs,
            }
        }
        let holidays = errors.check(parse_holidays(&self.holidays)).unwrap_or_default();
        let input = CalendarInput {
            name: self.name.clone(),
            spec: CalendarSpec { time_zone: self.time_zone.clone(), hours, holidays },
            version: self.version.trim().parse().ok(),
        };
        (input, errors)
    }
}

/// A weekday's row of the form.
pub struct DayRow {
    key: &'static str,
    label: &'static str,
    field: String,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sla_calendar.html")]
pub struct CalendarPage {
    chrome: Chrome,
    id: Option<i64>,
    form: CalendarForm,
    days: Vec<DayRow>,
    zones: Vec<&'static str>,
    errors: FormErrors,
}

async fn calendar_page(s: &AppState, user: frontline_store::User, id: Option<i64>, form: CalendarForm, errors: FormErrors) -> Response {
    let days =
        DAYS.iter().map(|&(key, label)| DayRow { key, label, field: format!("hours.{key}"), value: form.day(key).to_string() }).collect();
    let chrome = tryr!(Chrome::load(s, user, "sla").await);
    let failed = errors.any();
    let page = CalendarPage { chrome, id, form, days, zones: frontline_domain::sla::time_zone_names().collect(), errors };
    if failed { invalid(page) } else { page.into_response() }
}

pub async fn new_calendar(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    if let Err(e) = frontline_domain::authz::require(&user.actor(), frontline_domain::authz::Permission::ManageSla) {
        return error_response(e);
    }
    let form = CalendarForm {
        time_zone: "UTC".into(),
        mon: "09:00-17:00".into(),
        tue: "09:00-17:00".into(),
        wed: "09:00-17:00".into(),
        thu: "09:00-17:00".into(),
        fri: "09:00-17:00".into(),
        ..Default::default()
    };
    calendar_page(&s, user, None, form, FormErrors::default()).await
}

pub async fn calendar(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    let form = match s.app.sla_calendar(&user.actor(), id).await {
        Ok(Ok(c)) => CalendarForm::of(&c),
        // A broken calendar is replaced from an empty form, its name kept.
        Ok(Err(b)) => CalendarForm { name: b.name, version: b.version.to_string(), ..Default::default() },
        Err(e) => return error_response(e),
    };
    let errors = FormErrors::default();
    calendar_page(&s, user, Some(id), form, errors).await
}

async fn save_calendar(
    s: AppState,
    user: frontline_store::User,
    id: Option<i64>,
    f: CalendarForm,
    checked: super::form::Checked,
) -> Response {
    let (input, read) = f.input();
    let pre = read.merge(FormErrors(calendar_problems(&input)));
    let actor = user.actor();
    let saved = run(pre, checked, async {
        match id {
            Some(id) => s.app.update_sla_calendar(&actor, id, &input).await,
            None => s.app.create_sla_calendar(&actor, &input).await,
        }
    })
    .await;
    match saved {
        Ok(c) => Redirect::to(&format!("/admin/sla?saved=calendar#calendar-{}", c.id)).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => calendar_page(&s, user, id, f, errors).await,
    }
}

pub async fn create_calendar(State(s): State<AppState>, PageUser(user): PageUser, Form(f, checked): Form<CalendarForm>) -> Response {
    save_calendar(s, user, None, f, checked).await
}

pub async fn update_calendar(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<CalendarForm>,
) -> Response {
    save_calendar(s, user, Some(id), f, checked).await
}

// ---------- a policy ----------

/// The condition inputs, in the order their conditions are written.
const CONDITION_FIELDS: [&str; 5] = ["cond_organization", "cond_plan", "cond_priority", "cond_channel", "cond_tag"];

/// One target's inputs: amount, unit (minutes or hours), business or calendar time.
pub struct TargetCell {
    field: String,
    /// The inputs of its unit and of which hours count.
    unit_field: String,
    hours_field: String,
    label: String,
    amount: String,
    in_hours: bool,
    calendar_time: bool,
}

pub struct TargetRow {
    label: &'static str,
    cells: Vec<TargetCell>,
}

/// A record to choose in a select.
pub struct Choice {
    id: i64,
    name: String,
}

pub struct ShareCell {
    field: String,
    label: &'static str,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sla_policy.html")]
pub struct PolicyPage {
    chrome: Chrome,
    id: Option<i64>,
    form: HashMap<String, String>,
    calendars: Vec<Choice>,
    plans: Vec<SupportPlan>,
    orgs: Vec<Choice>,
    targets: Vec<TargetRow>,
    shares: Vec<ShareCell>,
    errors: FormErrors,
}

impl PolicyPage {
    fn val(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    fn chosen(&self, name: &str, value: &str) -> bool {
        self.val(name) == value
    }

    fn id_chosen(&self, name: &str, id: &i64) -> bool {
        self.val(name) == id.to_string()
    }
}

fn step_label(s: EscalationStep) -> &'static str {
    match s {
        EscalationStep::Tier1 => "Tier 1",
        EscalationStep::Tier2 => "Tier 2",
        EscalationStep::HeadOfSupport => "Head of Support",
        EscalationStep::Engineering => "Engineering",
    }
}

fn target_field(p: Priority, k: TargetKind) -> String {
    format!("targets.{}.{}", p.as_str(), k.as_str())
}

/// A stored policy as the form shows it.
fn policy_form(p: &PolicyRecord) -> HashMap<String, String> {
    let mut f = HashMap::new();
    f.insert("name".into(), p.name.clone());
    f.insert("calendar_id".into(), p.calendar_id.to_string());
    f.insert("version".into(), p.version.to_string());
    for c in &p.policy.conditions {
        let (k, v) = match c {
            Condition::Organization(id) => ("cond_organization", id.to_string()),
            Condition::SupportPlan(id) => ("cond_plan", id.to_string()),
            Condition::Priority(pr) => ("cond_priority", pr.as_str().to_string()),
            Condition::Channel(ch) => ("cond_channel", ch.as_str().to_string()),
            Condition::Tag(t) => ("cond_tag", t.clone()),
        };
        f.insert(k.into(), v);
    }
    for (priority, targets) in &p.policy.targets {
        for kind in TargetKind::ALL {
            if let Some(t) = targets.get(kind) {
                let field = target_field(*priority, kind);
                let (amount, unit) = if t.minutes % 60 == 0 { (t.minutes / 60, "h") } else { (t.minutes, "min") };
                f.insert(field.clone(), amount.to_string());
                f.insert(format!("{field}.unit"), unit.into());
                f.insert(format!("{field}.hours"), if t.hours == Hours::Calendar { "calendar" } else { "business" }.into());
            }
        }
    }
    for (step, share) in &p.policy.step_shares {
        f.insert(format!("step_shares.{}", step.as_str()), share.to_string());
    }
    f
}

/// What was typed, read into a policy; what cannot be read is a message
/// for its field. Also which input each condition came from, in order.
fn read_policy(f: &HashMap<String, String>) -> (PolicyFields, Vec<&'static str>, FormErrors) {
    let mut errors = FormErrors::default();
    let get = |k: &str| f.get(k).map_or("", |v| v.trim());
    let calendar_id = match get("calendar_id").parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            errors.push(FieldError::new("calendar_id", "choose a calendar"));
            0
        }
    };
    let mut conditions = Vec::new();
    let mut from = Vec::new();
    for field in CONDITION_FIELDS {
        let v = get(field);
        if v.is_empty() {
            continue;
        }
        let c = match field {
            "cond_organization" => {
                v.parse().map(Condition::Organization).map_err(|_| DomainError::invalid(field, "choose an organization"))
            }
            "cond_plan" => v.parse().map(Condition::SupportPlan).map_err(|_| DomainError::invalid(field, "choose a plan")),
            "cond_priority" => Priority::parse(v).map(Condition::Priority).map_err(|_| DomainError::invalid(field, "choose a priority")),
            "cond_channel" => Channel::parse(v).map(Condition::Channel).map_err(|_| DomainError::invalid(field, "choose a channel")),
            _ => Ok(Condition::Tag(v.to_string())),
        };
        if let Some(c) = errors.check(c) {
            conditions.push(c);
            from.push(field);
        }
    }
    let mut targets: BTreeMap<Priority, PriorityTargets> = BTreeMap::new();
    for priority in Priority::ALL {
        for kind in TargetKind::ALL {
            let field = target_field(*priority, kind);
            // The unit and the hours are choices: anything else is refused
            // at its own input, never read as the default.
            let unit_field = format!("{field}.unit");
            let per = match get(&unit_field) {
                "" | "min" => Some(1),
                "h" => Some(60),
                other => {
                    errors.push(FieldError::new(unit_field, format!("'{other}' is not a unit; choose min or hours")));
                    None
                }
            };
            let hours_field = format!("{field}.hours");
            let hours = match get(&hours_field) {
                "" | "business" => Some(Hours::Business),
                "calendar" => Some(Hours::Calendar),
                other => {
                    errors.push(FieldError::new(hours_field, format!("'{other}' is not a choice; count business or calendar hours")));
                    None
                }
            };
            let amount = get(&field);
            if amount.is_empty() {
                continue;
            }
            let Some(minutes) = amount.parse::<i64>().ok().and_then(|a| a.checked_mul(per.unwrap_or(1))) else {
                errors.push(FieldError::new(field, "enter a whole number of minutes or hours"));
                continue;
            };
            let (Some(_), Some(hours)) = (per, hours) else { continue };
            let entry = targets.entry(*priority).or_default();
            let target = Some(Target { minutes, hours });
            match kind {
                TargetKind::FirstReply => entry.first_reply = target,
                TargetKind::NextReply => entry.next_reply = target,
                TargetKind::Resolution => entry.resolution = target,
            }
        }
    }
    let mut step_shares = BTreeMap::new();
    for step in EscalationStep::ALL {
        let field = format!("step_shares.{}", step.as_str());
        let v = get(&field);
        if v.is_empty() {
            continue;
        }
        match v.parse::<u8>() {
            Ok(n) => {
                step_shares.insert(step, n);
            }
            Err(_) => errors.push(FieldError::new(field, "a share is a percentage from 1 to 100")),
        }
    }
    let fields = PolicyFields {
        name: get("name").to_string(),
        calendar_id,
        policy: SlaPolicy { conditions, targets, step_shares },
        version: get("version").parse().ok(),
    };
    (fields, from, errors)
}

/// The domain and the store name a condition by its place
/// (`conditions[1]`, `conditions[1].value`): show it at its input.
fn at_condition_inputs(errors: FormErrors, from: &[&'static str]) -> FormErrors {
    FormErrors(
        errors
            .0
            .into_iter()
            .map(|e| {
                let place = e.field.strip_prefix("conditions[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
                match place.and_then(|i| from.get(i)) {
                    Some(input) => FieldError::new(*input, e.message),
                    None => e,
                }
            })
            .collect(),
    )
}

async fn policy_page(
    s: &AppState,
    user: frontline_store::User,
    id: Option<i64>,
    form: HashMap<String, String>,
    errors: FormErrors,
) -> Response {
    let actor = user.actor();
    let calendars = tryr!(s.app.sla_calendars(&actor).await.map_err(error_response))
        .into_iter()
        .filter_map(Result::ok)
        .map(|c| Choice { id: c.id, name: c.name })
        .collect();
    let plans = tryr!(s.app.support_plans(&actor).await.map_err(error_response));
    let orgs = tryr!(org_names(s, &actor).await).into_iter().map(|(id, name)| Choice { id, name }).collect();
    let targets = Priority::ALL
        .iter()
        .rev()
        .map(|p| TargetRow {
            label: p.label(),
            cells: TargetKind::ALL
                .iter()
                .map(|k| {
                    let field = target_field(*p, *k);
                    TargetCell {
                        label: format!("{} target for {} priority", kind_label(*k), p.label().to_lowercase()),
                        amount: form.get(&field).cloned().unwrap_or_default(),
                        in_hours: form.get(&format!("{field}.unit")).is_some_and(|u| u == "h"),
                        calendar_time: form.get(&format!("{field}.hours")).is_some_and(|h| h == "calendar"),
                        unit_field: format!("{field}.unit"),
                        hours_field: format!("{field}.hours"),
                        field,
                    }
                })
                .collect(),
        })
        .collect();
    let shares = EscalationStep::ALL
        .iter()
        .map(|st| {
            let field = format!("step_shares.{}", st.as_str());
            ShareCell { value: form.get(&field).cloned().unwrap_or_default(), field, label: step_label(*st) }
        })
        .collect();
    let chrome = tryr!(Chrome::load(s, user, "sla").await);
    let failed = errors.any();
    let page = PolicyPage { chrome, id, form, calendars, plans, orgs, targets, shares, errors };
    if failed { invalid(page) } else { page.into_response() }
}

pub async fn new_policy(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    if let Err(e) = frontline_domain::authz::require(&user.actor(), frontline_domain::authz::Permission::ManageSla) {
        return error_response(e);
    }
    policy_page(&s, user, None, HashMap::new(), FormErrors::default()).await
}

pub async fn policy(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    let form = match s.app.sla_policy(&user.actor(), id).await {
        Ok(Ok(p)) => policy_form(&p),
        // A broken policy is replaced from an empty form, its name kept.
        Ok(Err(b)) => HashMap::from([("name".to_string(), b.name), ("version".to_string(), b.version.to_string())]),
        Err(e) => return error_response(e),
    };
    policy_page(&s, user, Some(id), form, FormErrors::default()).await
}

async fn save_policy(
    s: AppState,
    user: frontline_store::User,
    id: Option<i64>,
    f: HashMap<String, String>,
    checked: super::form::Checked,
) -> Response {
    let (input, from, read) = read_policy(&f);
    let actor = user.actor();
    // The records it names are looked up with the other checks, so that
    // a missing calendar or organization shows with every other message.
    let missing = match s.app.policy_reference_problems(&actor, &input).await {
        Ok(problems) => FormErrors(problems),
        Err(e) => return error_response(e),
    };
    let pre = at_condition_inputs(read.merge(FormErrors(policy_problems(&input))).merge(missing), &from);
    let saved = run(pre, checked, async {
        match id {
            Some(id) => s.app.update_sla_policy(&actor, id, &input).await,
            None => s.app.create_sla_policy(&actor, &input).await,
        }
    })
    .await;
    match saved {
        Ok(p) => Redirect::to(&format!("/admin/sla?saved=policy#policy-{}", p.id)).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => policy_page(&s, user, id, f, at_condition_inputs(errors, &from)).await,
    }
}

pub async fn create_policy(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Form(f, checked): Form<HashMap<String, String>>,
) -> Response {
    save_policy(s, user, None, f, checked).await
}

pub async fn update_policy(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<HashMap<String, String>>,
) -> Response {
    save_policy(s, user, Some(id), f, checked).await
}

// ---------- an organization's plan ----------

#[derive(Deserialize)]
pub struct OrgPlanForm {
    #[serde(default)]
    support_plan_id: Option<String>,
}

pub async fn set_org_plan(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<OrgPlanForm>,
) -> Response {
    let saved = async {
        let plan = super::opt_id(&f.support_plan_id)?;
        s.app.set_org_support_plan(&user.actor(), id, plan).await
    };
    match run(FormErrors::default(), checked, saved).await {
        Ok(_) => Redirect::to(&format!("/organizations/{id}?saved=support-plan")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => super::directory::org_page_with_plan_errors(&s, user, id, errors).await,
    }
}
