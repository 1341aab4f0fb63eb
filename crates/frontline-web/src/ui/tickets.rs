//! Agent pages: queues, the ticket page, new ticket, search.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use frontline_app::tickets::{NewTicketInput, ReplyInput, TicketPatch, TicketThread, TicketView};
use frontline_domain::authz::{self, Permission};
use frontline_domain::queue::{QueueView, Sort};
use frontline_domain::ticket::{self, Channel, MessageKind, Priority, Status, TicketType};
use frontline_store::{Page, Team, User};
use serde::Deserialize;

use super::form::{Checked, Failed, Form, Query, run};
use super::upload::PostedForm;
use super::{Chrome, FormErrors, error_response, invalid, opt_id};
use crate::AppState;
use crate::auth::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    view: QueueView,
    sort: String,
    page: i64,
    tickets: Page<TicketView>,
    count: i64,
    /// Beside a tier-2 agent's own queue: the team's tickets at SLA risk.
    panel: Option<super::workload::AtRiskPanel>,
}

impl QueuePage {
    fn sort_link(&self, key: &str) -> String {
        // Clicking the active column flips its direction; "due" has one (soonest first).
        let next = if key == "due" || self.sort == format!("-{key}") { key.to_string() } else { format!("-{key}") };
        format!("/tickets?view={}&sort={next}", self.view.as_str())
    }
    /// aria-sort on the header of the column the queue is sorted by.
    fn aria_sort(&self, key: &str) -> &'static str {
        if self.sort == format!("-{key}") {
            " aria-sort=\"descending\""
        } else if self.sort == key {
            " aria-sort=\"ascending\""
        } else {
            ""
        }
    }
    fn sort_mark(&self, key: &str) -> &'static str {
        if self.sort == format!("-{key}") {
            " ▼"
        } else if self.sort == key {
            " ▲"
        } else {
            ""
        }
    }
    fn page_link(&self, page: i64) -> String {
        format!("/tickets?view={}&sort={}&page={page}", self.view.as_str(), self.sort)
    }
    fn last_page(&self) -> i64 {
        ((self.count + frontline_app::tickets::PAGE_SIZE - 1) / frontline_app::tickets::PAGE_SIZE).max(1)
    }
}

#[derive(Deserialize)]
pub struct QueueParams {
    view: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

pub async fn queue(State(s): State<AppState>, PageUser(user): PageUser, Query(q): Query<QueueParams>) -> Response {
    let view = match QueueView::parse(q.view.as_deref().unwrap_or("mine")) {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    let chrome = match Chrome::load(&s, user, view.as_str()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = chrome.user.actor();
    let sort = match q.sort.as_deref().map(Sort::parse).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return error_response(e),
    };
    let page = frontline_app::tickets::clamp_page(q.page.unwrap_or(1));
    let tickets = match s.app.queue(&actor, view, sort, page).await {
        Ok(t) => t,
        Err(e) => return error_response(e),
    };
    let count = chrome.counts.iter().find(|c| c.view == view).map(|c| c.count).unwrap_or(0);
    let panel = match frontline_app::workload::landing_of(&chrome.user) {
        frontline_domain::home::Landing::Queue { view: landing, at_risk_panel: true } if landing == view => {
            match s.app.team_at_risk(&actor).await {
                Ok(tickets) => Some(super::workload::AtRiskPanel { tickets, now: s.app.now() }),
                Err(e) => return error_response(e),
            }
        }
        _ => None,
    };
    QueuePage { chrome, view, sort: sort.as_param(), page, tickets, count, panel }.into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/queue_counts.html")]
pub struct QueueCountsPartial {
    chrome: Chrome,
}

#[derive(Deserialize)]
pub struct ActiveParam {
    active: Option<String>,
}

/// The sidebar's queue counts, refreshed by htmx while an agent keeps a page open.
pub async fn queue_counts_partial(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<ActiveParam>) -> Response {
    let section = p.active.as_deref().and_then(|a| QueueView::parse(a).ok()).map(|v| v.as_str()).unwrap_or("");
    match Chrome::load(&s, user, section).await {
        Ok(chrome) => QueueCountsPartial { chrome }.into_response(),
        Err(r) => r,
    }
}

/// Choices for the ticket forms.
pub struct Choices {
    pub staff: Vec<User>,
    pub teams: Vec<Team>,
}

impl Choices {
    async fn load(s: &AppState, user: &User) -> Result<Choices, Response> {
        let actor = user.actor();
        let staff = s.app.assignable_staff(&actor).await.map_err(error_response)?;
        let teams = s.app.list_teams(&actor).await.map_err(error_response)?;
        Ok(Choices { staff, teams })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket_new.html")]
pub struct NewTicketPage {
    chrome: Chrome,
    choices: Choices,
    form: NewTicketForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct NewTicketForm {
    requester_email: String,
    #[serde(default)]
    requester_name: String,
    subject: String,
    body: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    ticket_type: String,
    assignee_id: Option<String>,
    team_id: Option<String>,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    tags: String,
}

pub async fn new_form(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    let choices = match Choices::load(&s, &user).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let chrome = match Chrome::load(&s, user, "new").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !chrome.caps.create_ticket {
        return error_response(frontline_domain::DomainError::Forbidden("your role cannot create tickets"));
    }
    let form = NewTicketForm { priority: "normal".into(), ticket_type: "question".into(), tier: "1".into(), ..Default::default() };
    NewTicketPage { chrome, choices, form, errors: FormErrors::default() }.into_response()
}

pub async fn create(State(s): State<AppState>, PageUser(user): PageUser, form: PostedForm) -> Response {
    let actor = user.actor();
    let f: NewTicketForm = match form.decode() {
        Ok(f) => f,
        Err(r) => return r,
    };
    // The upload's or a control character's message first, then the form's own checks.
    let pre = FormErrors(form.refused().into_iter().collect()).merge(super::checks::agent_ticket(
        &f.requester_email,
        &f.subject,
        &f.body,
        &f.tier,
        &f.tags,
    ));
    let files = form.files;
    let use_case = async {
        let input = NewTicketInput {
            subject: f.subject.clone(),
            body: f.body.clone(),
            requester_id: None,
            requester_email: Some(f.requester_email.clone()),
            requester_name: Some(f.requester_name.clone()),
            priority: Some(f.priority.clone()),
            ticket_type: Some(f.ticket_type.clone()),
            assignee_id: opt_id(&f.assignee_id)?,
            team_id: opt_id(&f.team_id)?,
            tier: Some(f.tier.trim().parse().map_err(|_| frontline_domain::DomainError::invalid("tier", "choose a tier"))?),
            tags: Some(ticket::split_tags(&f.tags)),
            attachments: files,
        };
        s.app.create_ticket(&actor, &input, Channel::Web).await
    };
    let errors = match run(pre, Checked::passed(), use_case).await {
        Ok(t) => return Redirect::to(&format!("/tickets/{}", t.id)).into_response(),
        Err(Failed::Form(errors)) => errors,
        Err(Failed::Page(page)) => return page,
    };
    let choices = match Choices::load(&s, &user).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match Chrome::load(&s, user, "new").await {
        Ok(chrome) => invalid(NewTicketPage { chrome, choices, form: f, errors }),
        Err(r) => r,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    chrome: Chrome,
    view: TicketThread,
    choices: Choices,
    can_work: bool,
    can_note: bool,
    reply_body: String,
    reply_kind: String,
    errors: FormErrors,
    field_errors: FormErrors,
    fields: FieldValues,
    /// After an edit conflict: what others changed since the user's page was drawn.
    changed_meanwhile: Vec<String>,
    /// The escalation card: where the ticket stands, what the user may do,
    /// and the form as typed after a failed submit.
    step: Step,
    /// The "Ask for help" form (the requests are the thread's).
    can_ask: bool,
    ask: super::help::AskFormState,
    /// The SLA card; None when no policy applies.
    sla: Option<super::sla_card::SlaCard>,
}

/// The ticket page's action forms as typed, after one of them failed, and
/// where its conversation and history start when paged back.
#[derive(Default)]
pub struct PageForms {
    pub step: super::escalation::StepFormState,
    pub help: super::help::AskFormState,
    pub thread: frontline_app::tickets::ThreadPage,
}

pub struct Step {
    now: frontline_domain::escalation::EscalationStep,
    needs_senior: bool,
    can_escalate: bool,
    can_de_escalate: bool,
    /// Steps an escalation may go to; the first is the next one.
    above: Vec<frontline_domain::escalation::EscalationStep>,
    below: Option<frontline_domain::escalation::EscalationStep>,
    form: super::escalation::StepFormState,
}

impl Step {
    fn of(view: &TicketThread, user: &User, form: super::escalation::StepFormState) -> Step {
        use frontline_domain::escalation::EscalationStep;
        let now = view.ticket.internal.as_ref().map_or(EscalationStep::Tier1, |i| EscalationStep::of(i.tier, i.escalation_level));
        let actor = user.actor();
        Step {
            now,
            needs_senior: view.needs_senior,
            can_escalate: authz::can_escalate(&actor),
            can_de_escalate: now.down().is_ok() && authz::can_de_escalate(&actor, user.tier, now),
            above: EscalationStep::ALL.into_iter().filter(|s| *s > now).collect(),
            below: now.down().ok(),
            form,
        }
    }
}

/// What the properties form shows: the ticket's values, or what the user
/// chose when their save failed, kept so they can apply it again.
pub struct FieldValues {
    status: String,
    priority: String,
    ticket_type: String,
    assignee_id: Option<i64>,
    team_id: Option<i64>,
    tags: String,
    /// The version a save is made against.
    version: String,
}

impl FieldValues {
    fn of(t: &TicketView) -> FieldValues {
        // Readers of agent pages see the agent-only fields (ViewAllTickets
        // comes with ViewInternal); were one not to, the form would show a
        // new ticket's values.
        let (team_id, tags) = match &t.internal {
            Some(i) => (i.team_id, i.tags.join(" ")),
            None => (None, String::new()),
        };
        FieldValues {
            status: t.status.as_str().into(),
            priority: t.priority.as_str().into(),
            ticket_type: t.ticket_type.as_str().into(),
            assignee_id: t.assignee_id,
            team_id,
            tags,
            version: t.updated_at.to_rfc3339(),
        }
    }

    /// The submitted choices over the ticket's values (unreadable ones fall back to the ticket's).
    /// `meanwhile` are the changes others made since the user's page was
    /// drawn: a field the user left as it was then takes its value now, so
    /// saving again applies only what the user changed.
    fn kept(f: &FieldsForm, t: &TicketView, version: String, meanwhile: &[frontline_store::TicketEvent]) -> FieldValues {
        let now = FieldValues::of(t);
        let seen = |field: &str| meanwhile.iter().find(|e| e.field == field).map(|e| e.old_value.clone().unwrap_or_default());
        let pick = |field: &str, mine: &str, current: &str| -> String {
            if seen(field).is_some_and(|was| was == mine.trim()) { current.to_string() } else { mine.to_string() }
        };
        let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
        let f = FieldsForm {
            status: pick("status", &f.status, &now.status),
            priority: pick("priority", &f.priority, &now.priority),
            ticket_type: pick("type", &f.ticket_type, &now.ticket_type),
            assignee_id: Some(pick("assignee", f.assignee_id.as_deref().unwrap_or_default(), &id(now.assignee_id))),
            team_id: Some(pick("team", f.team_id.as_deref().unwrap_or_default(), &id(now.team_id))),
            tier: f.tier.clone(),
            escalation_level: f.escalation_level.clone(),
            tags: pick("tags", &f.tags, &now.tags),
            version: f.version,
        };
        FieldValues {
            status: f.status.clone(),
            priority: f.priority.clone(),
            ticket_type: f.ticket_type.clone(),
            assignee_id: opt_id(&f.assignee_id).unwrap_or(t.assignee_id),
            team_id: opt_id(&f.team_id).unwrap_or(now.team_id),
            tags: f.tags.clone(),
            version,
        }
    }
}

impl TicketPage {
    /// The current assignee is not among the assignable staff (deactivated,
    /// or no longer in a working role): they still need an option, or saving
    /// the form would silently unassign the ticket.
    fn assignee_missing(&self) -> bool {
        self.view.ticket.assignee_id.is_some_and(|id| !self.choices.staff.iter().any(|u| u.id == id))
    }

    /// A readable line for one history event.
    fn describe(&self, name: &str, old: &Option<String>, new: &Option<String>) -> String {
        use frontline_domain::ticket::EventField as F;
        let field = F::parse(name);
        let name_of = |id: &Option<String>| -> String {
            match id {
                None => "nobody".into(),
                Some(v) => {
                    let id: i64 = v.parse().unwrap_or(-1);
                    self.choices
                        .staff
                        .iter()
                        .find(|u| u.id == id)
                        .map(|u| u.name.clone())
                        .or_else(|| self.choices.teams.iter().find(|t| t.id == id && field == Some(F::Team)).map(|t| t.name.clone()))
                        .unwrap_or_else(|| format!("#{v}"))
                }
            }
        };
        // Stored values are codes ("on_hold"); people read the labels ("On hold").
        let val = |v: &Option<String>| -> String {
            let Some(v) = v.as_deref() else { return "none".into() };
            let label = match field {
                Some(F::Status | F::Created) => Status::parse(v).map(|s| s.label()).ok(),
                Some(F::Priority) => Priority::parse(v).map(|p| p.label()).ok(),
                Some(F::Type) => TicketType::parse(v).map(|t| t.label()).ok(),
                Some(F::Tier) => v.parse().ok().map(ticket::tier_label),
                _ => None,
            };
            label.map(str::to_string).unwrap_or_else(|| v.to_string())
        };
        let label_name = name.replace('_', " ");
        let step = |v: &Option<String>| frontline_domain::escalation::EscalationStep::label_of(v.as_deref().unwrap_or("")).to_string();
        match field {
            Some(F::Created) => format!("created the ticket as {}", val(new)),
            Some(F::PublicReply) => "replied publicly".into(),
            Some(F::InternalNote) => "added an internal note".into(),
            Some(F::Assignee) if old.is_none() => format!("assigned to {}", name_of(new)),
            Some(F::Assignee) => format!("reassigned from {} to {}", name_of(old), name_of(new)),
            Some(F::Team) => {
                let team = |v: &Option<String>| {
                    v.as_ref()
                        .and_then(|id| self.choices.teams.iter().find(|t| t.id.to_string() == *id))
                        .map(|t| t.name.clone())
                        .unwrap_or_else(|| val(v))
                };
                format!("team {} → {}", team(old), team(new))
            }
            Some(F::EscalationLevel) => format!(
                "escalation: {} → {}",
                ticket::escalation_label(old.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0)),
                ticket::escalation_label(new.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0))
            ),
            Some(F::Escalated) => format!("escalated from {} to {}", step(old), step(new)),
            Some(F::DeEscalated) => format!("sent back from {} to {}", step(old), step(new)),
            Some(F::NeedsSenior) if old == new => "marked the ticket: needs a senior".into(),
            Some(F::NeedsSenior) => format!("marked the ticket: needs a senior (moved to {})", step(new)),
            Some(F::HelpRequested) => "asked for help".into(),
            Some(F::HelpAnswered) => "answered a help request".into(),
            Some(F::HelpWithdrawn) => "withdrew a help request".into(),
            Some(F::AutoAssigned) => format!(
                "assigned automatically ({})",
                frontline_domain::assignment::AssignmentMode::parse(new.as_deref().unwrap_or(""))
                    .map(|m| m.label())
                    .unwrap_or("team rule")
                    .to_lowercase()
            ),
            Some(F::SlaWarning) => format!("near SLA breach: {} due {}", val(old).replace('_', " "), val(new)),
            Some(F::RuleFired) => format!("rule \"{}\" fired", val(new)),
            Some(F::UnverifiedMail) => "mailed from an address outside the ticket (held for an agent)".into(),
            Some(F::MailAccepted) => "accepted a held mail as the customer's".into(),
            _ if old.is_none() => format!("set {label_name} to {}", val(new)),
            _ => format!("{label_name}: {} → {}", val(old), val(new)),
        }
    }
}

async fn ticket_page(s: &AppState, user: User, id: i64, reply: (String, String), errors: FormErrors, field_errors: FormErrors) -> Response {
    ticket_page_kept(s, user, id, reply, errors, field_errors, None).await
}

/// The ticket page; `kept` is a properties form that failed, shown again as typed.
async fn ticket_page_kept(
    s: &AppState,
    user: User,
    id: i64,
    reply: (String, String),
    errors: FormErrors,
    field_errors: FormErrors,
    kept: Option<&FieldsForm>,
) -> Response {
    ticket_page_full(s, user, id, reply, errors, field_errors, kept, Default::default()).await
}

/// The ticket page after a failed escalation or help action, with its form as typed.
pub(crate) async fn ticket_page_with_forms(s: &AppState, user: User, id: i64, forms: PageForms) -> Response {
    ticket_page_full(s, user, id, (String::new(), "public".into()), FormErrors::default(), FormErrors::default(), None, forms).await
}

#[allow(clippy::too_many_arguments)]
async fn ticket_page_full(
    s: &AppState,
    user: User,
    id: i64,
    reply: (String, String),
    errors: FormErrors,
    field_errors: FormErrors,
    kept: Option<&FieldsForm>,
    forms: PageForms,
) -> Response {
    let actor = user.actor();
    let view = match s.app.ticket_thread(&actor, id, forms.thread).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    let step = Step::of(&view, &user, forms.step);
    let sla = match s.app.ticket_sla(&actor, id).await {
        Ok(sla) => sla.map(|sla| super::sla_card::SlaCard::of(&sla, step.now)),
        Err(e) => return error_response(e),
    };
    let choices = match Choices::load(s, &user).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let chrome = match Chrome::load(s, user, "ticket").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let conflict = field_errors.get("ticket").is_some();
    let (fields, changed_meanwhile) = match kept {
        None => (FieldValues::of(&view.ticket), vec![]),
        // A conflict: save against the version now shown, and say what changed since the one the user saw.
        Some(f) if conflict => {
            let events: Vec<_> = view
                .events
                .iter()
                .filter(|e| e.created_at > f.version && !matches!(e.field.as_str(), "public_reply" | "internal_note" | "created"))
                .cloned()
                .collect();
            (FieldValues::kept(f, &view.ticket, view.ticket.updated_at.to_rfc3339(), &events), events)
        }
        Some(f) => (FieldValues::kept(f, &view.ticket, f.version.to_rfc3339(), &[]), vec![]),
    };
    let mut page = TicketPage {
        fields,
        changed_meanwhile: vec![],
        can_work: authz::can(&actor, Permission::WorkTickets),
        can_note: authz::can(&actor, Permission::AddInternalNote),
        chrome,
        view,
        choices,
        reply_body: reply.0,
        reply_kind: reply.1,
        errors,
        field_errors,
        step,
        can_ask: authz::can_ask_for_help(&actor),
        ask: forms.help,
        sla,
    };
    page.changed_meanwhile = changed_meanwhile
        .iter()
        .map(|e| format!("{} {}", e.actor_name.as_deref().unwrap_or("System"), page.describe(&e.field, &e.old_value, &e.new_value)))
        .collect();
    if conflict {
        // Not a 409 page: the form is shown again with the user's choices.
        page.field_errors = FormErrors(vec![frontline_domain::FieldError::new(
            "ticket",
            "Someone changed this ticket while you were editing. Your choices are kept below; check what changed and save again.",
        )]);
    }
    if page.errors.any() || page.field_errors.any() || page.step.form.errors.any() || page.ask.errors.any() {
        invalid(page)
    } else {
        page.into_response()
    }
}

#[derive(Deserialize)]
pub struct ShowParams {
    /// The reply box's mode after a post: the one just used, so that a
    /// second note does not go to the customer by mistake.
    reply: Option<String>,
    /// Paging back: the conversation's messages before this one.
    before: Option<i64>,
    /// Paging back: the history's events before this one.
    history_before: Option<i64>,
}

pub async fn show(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>, Query(p): Query<ShowParams>) -> Response {
    if authz::uses_portal(&user.actor()) {
        return Redirect::to(&format!("/portal/tickets/{id}")).into_response();
    }
    let kind = if p.reply.as_deref() == Some("internal") { "internal" } else { "public" };
    let forms = PageForms {
        thread: frontline_app::tickets::ThreadPage { before_message: p.before, before_event: p.history_before },
        ..Default::default()
    };
    ticket_page_full(&s, user, id, (String::new(), kind.into()), FormErrors::default(), FormErrors::default(), None, forms).await
}

/// A reply or note from the ticket page, with files if any were attached.
pub async fn reply(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>, form: PostedForm) -> Response {
    let (body, kind) = (form.field("body"), form.field("kind"));
    if let Some(errors) = form.errors() {
        return ticket_page(&s, user, id, (body, kind), errors, FormErrors::default()).await;
    }
    let status = Some(form.field("status")).filter(|s| !s.is_empty());
    let result = async {
        let input =
            ReplyInput { kind: MessageKind::parse(&kind)?, body: body.clone(), status, channel: Channel::Web, attachments: form.files };
        s.app.reply(&user.actor(), id, &input).await
    }
    .await;
    match result {
        Ok(m) => {
            let (mode, saved) = if kind == "internal" { ("internal", "note") } else { ("public", "reply") };
            Redirect::to(&format!("/tickets/{id}?reply={mode}&saved={saved}#message-{}", m.id)).into_response()
        }
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => ticket_page(&s, user, id, (body, kind), errors, FormErrors::default()).await,
            Err(page) => page,
        },
    }
}

/// Accept a mail held from an unverified sender into the conversation.
pub async fn accept_mail(State(s): State<AppState>, PageUser(user): PageUser, Path((id, message_id)): Path<(i64, i64)>) -> Response {
    match s.app.accept_mail(&user.actor(), id, message_id).await {
        Ok(m) => Redirect::to(&format!("/tickets/{id}#message-{}", m.id)).into_response(),
        Err(e) => error_response(e),
    }
}

/// A file of a message, for anyone who may read that message.
pub async fn attachment(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.attachment(&user.actor(), id).await {
        Ok((meta, data)) => crate::download::attachment_response(&meta, data),
        Err(e) => error_response(e),
    }
}

#[derive(Deserialize)]
pub struct FieldsForm {
    status: String,
    priority: String,
    ticket_type: String,
    assignee_id: Option<String>,
    team_id: Option<String>,
    /// Absent from the page since the escalation actions move the step;
    /// still read when a client posts them, to refuse a move.
    #[serde(default)]
    tier: String,
    #[serde(default)]
    escalation_level: String,
    #[serde(default)]
    tags: String,
    /// The ticket's updated_at when the page was rendered.
    version: DateTime<Utc>,
}

pub async fn update_fields(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<FieldsForm>,
) -> Response {
    let result = async {
        checked.ok()?;
        let patch = TicketPatch {
            subject: None,
            status: Some(f.status.clone()),
            priority: Some(f.priority.clone()),
            ticket_type: Some(f.ticket_type.clone()),
            assignee_id: Some(opt_id(&f.assignee_id)?),
            team_id: Some(opt_id(&f.team_id)?),
            tier: Some(f.tier.trim())
                .filter(|t| !t.is_empty())
                .map(|t| t.parse().map_err(|_| frontline_domain::DomainError::invalid("tier", "choose a tier")))
                .transpose()?,
            escalation_level: Some(f.escalation_level.trim())
                .filter(|l| !l.is_empty())
                .map(|l| l.parse().map_err(|_| frontline_domain::DomainError::invalid("escalation_level", "choose a level")))
                .transpose()?,
            tags: Some(ticket::split_tags(&f.tags)),
            expected_version: Some(f.version),
        };
        s.app.update_ticket(&user.actor(), id, &patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/tickets/{id}?saved=properties")).into_response(),
        Err(e) => match FormErrors::from_error(e) {
            Ok(mut errors) => {
                // The form has no tier or level fields (the Escalation card
                // moves the step): a posted one is refused above the form.
                for e in errors.0.iter_mut().filter(|e| e.field == "tier" || e.field == "escalation_level") {
                    e.field = "form".into();
                }
                // A form drawn from an older version is refused as a conflict,
                // not for a rule about a state the user never saw (a stale
                // form that changes nothing still saves, in the store).
                if errors.get("ticket").is_none() && s.app.ticket(&user.actor(), id).await.is_ok_and(|t| t.updated_at != f.version) {
                    errors = FormErrors(vec![frontline_domain::FieldError::new("ticket", "someone else changed this ticket meanwhile")]);
                }
                ticket_page_kept(&s, user, id, (String::new(), "public".into()), FormErrors::default(), errors, Some(&f)).await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    chrome: Chrome,
    q: String,
    page: i64,
    tickets: Page<TicketView>,
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    page: Option<i64>,
}

pub async fn search(State(s): State<AppState>, PageUser(user): PageUser, headers: HeaderMap, Query(p): Query<SearchParams>) -> Response {
    let q = p.q.unwrap_or_default().trim().to_string();
    // A bare ticket number jumps straight to the ticket.
    if let Ok(id) = q.trim_start_matches('#').parse::<i64>()
        && headers.get("hx-request").is_none()
        && s.app.ticket(&user.actor(), id).await.is_ok()
    {
        return Redirect::to(&format!("/tickets/{id}")).into_response();
    }
    let page = frontline_app::tickets::clamp_page(p.page.unwrap_or(1));
    let tickets = if q.is_empty() {
        Page { items: vec![], has_more: false }
    } else {
        match s.app.search(&user.actor(), &q, page).await {
            Ok(t) => t,
            Err(e) => return error_response(e),
        }
    };
    match Chrome::load(&s, user, "search").await {
        Ok(chrome) => SearchPage { chrome, q, page, tickets }.into_response(),
        Err(r) => r,
    }
}

/// Used by templates.
pub fn statuses() -> &'static [Status] {
    Status::ALL
}
pub fn priorities() -> &'static [Priority] {
    Priority::ALL
}
pub fn types() -> &'static [TicketType] {
    TicketType::ALL
}
