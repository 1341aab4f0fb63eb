//! The workload page (everyone's queue per tier and agent, with one-click
//! take and reassign for unassigned tickets at SLA risk), the Head of
//! Support's home, and where `/` and sign-in lead.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use frontline_app::tickets::{TicketPatch, TicketView};
use frontline_app::workload::{Workload, WorkloadList};
use frontline_domain::authz;
use frontline_domain::tier::Tier;
use frontline_domain::user::Availability;
use frontline_domain::workload::{Counts, Holder, LoadSlice, LoadState, TierLoad};
use frontline_store::User;
use frontline_store::help::HelpRequest;
use frontline_store::workload::AtRiskTicket;
use serde::Deserialize;

use super::form::{Checked, Form};
use super::{Chrome, error_response};
use crate::AppState;
use crate::auth::PageUser;

/// "45m", "3h", "2d": how long ago `t` was at `now`.
pub fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let m = (now - t).num_minutes().max(0);
    match m {
        0..60 => format!("{m}m"),
        60..2880 => format!("{}h", m / 60),
        _ => format!("{}d", m / 1440),
    }
}

/// "due in 12m" / "overdue 3h" for an at-risk ticket.
pub fn due_text(now: DateTime<Utc>, t: &AtRiskTicket) -> String {
    // Worded as the queues' Due column words it.
    let span = crate::ui::sla_card::span;
    match (t.overdue, t.breached_at.or(t.due_at)) {
        (true, Some(since)) => format!("overdue by {}", span((now - since).num_minutes())),
        (true, None) => "overdue".into(),
        (false, Some(due)) => format!("due in {}", span((due - now).num_minutes())),
        (false, None) => "near breach".into(),
    }
}

pub fn tier_label(tier: &Option<Tier>) -> &'static str {
    crate::api::workload::tier_label(*tier)
}

#[derive(Template, WebTemplate)]
#[template(path = "workload.html")]
pub struct WorkloadPage {
    chrome: Chrome,
    w: Workload,
    /// Who a ticket can be reassigned to: every ticket worker listed.
    staff: Vec<(i64, String, Availability)>,
    /// A take or reassign that did not happen, and why.
    refused: Option<(i64, String)>,
}

impl WorkloadPage {
    fn age(&self, t: &DateTime<Utc>) -> String {
        age(self.w.as_of, *t)
    }
    fn due(&self, t: &AtRiskTicket) -> String {
        due_text(self.w.as_of, t)
    }
    fn step(&self, t: &AtRiskTicket) -> &'static str {
        frontline_domain::escalation::EscalationStep::of(t.tier, t.escalation_level).label()
    }
    fn is_empty(&self) -> bool {
        self.w.tiers.iter().all(|t| t.agents.is_empty() && t.totals == Counts::default())
    }
    fn tier_label(&self, t: &Option<Tier>) -> &'static str {
        tier_label(t)
    }
    /// "1", "2", "3", or "none": ids of a tier's table and rows.
    fn tier_key(&self, t: &Option<Tier>) -> String {
        t.map_or("none".into(), |t| t.get().to_string())
    }
}

/// The page; after a refused click, with the message at its top and the
/// refusal's status (409 for a ticket changed meanwhile, 422 for bad input).
async fn render(s: &AppState, user: User, refused: Option<(i64, String, StatusCode)>) -> Response {
    let chrome = match Chrome::load(s, user, "workload").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let w = match s.app.workload(&chrome.user.actor()).await {
        Ok(w) => w,
        Err(e) => return error_response(e),
    };
    let mut staff: Vec<(i64, String, Availability)> = w
        .tiers
        .iter()
        .flat_map(|t: &TierLoad| t.agents.iter())
        .map(|a| (a.worker.user_id, a.worker.name.clone(), a.worker.availability))
        .collect();
    staff.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.2);
    let page = WorkloadPage { chrome, w, staff, refused: refused.map(|(id, message, _)| (id, message)) };
    (status, page).into_response()
}

pub async fn page(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    render(&s, user, None).await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    /// Empty on "Take": the signed-in user.
    #[serde(default)]
    assignee_id: String,
    /// The ticket's updated_at when the page was drawn (the page always
    /// sends it; without one, as with the API's PATCH, the assignment
    /// applies to the ticket as it is). Read as text, so that one that is
    /// not a time comes back as the page with its message.
    #[serde(default)]
    version: String,
    /// The list behind a count the click came from, to come back to.
    #[serde(default)]
    back: String,
}

impl AssignForm {
    /// The version sent, None when empty; a message when it is not a time.
    fn version(&self) -> Result<Option<DateTime<Utc>>, String> {
        let v = self.version.trim();
        if v.is_empty() {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| "the version sent with this ticket is not a time; reload the page and try again".to_string())
    }
}

/// What a take or reassign form says, or the page with why not (422).
async fn read_form(s: &AppState, user: User, id: i64, f: &AssignForm, checked: Checked) -> Result<(User, Option<DateTime<Utc>>), Response> {
    let problem = match (checked.ok(), f.version()) {
        (Err(e), _) => match crate::error::classify(&e) {
            (_, _, message, Some(field)) => format!("{field}: {message}"),
            (_, _, message, None) => message,
        },
        (Ok(()), Err(message)) => message,
        (Ok(()), Ok(version)) => return Ok((user, version)),
    };
    Err(render(s, user, Some((id, problem, StatusCode::UNPROCESSABLE_ENTITY))).await)
}

/// Take (assign to me) or reassign one ticket from the workload page,
/// through the ordinary assignment, checked against the version the page
/// showed: a ticket changed meanwhile (taken by someone else) is refused
/// and the page says so.
async fn assign(s: &AppState, user: User, id: i64, assignee: i64, version: Option<DateTime<Utc>>, back: &str) -> Response {
    let patch = TicketPatch { assignee_id: Some(Some(assignee)), expected_version: version, ..TicketPatch::default() };
    match s.app.update_ticket(&user.actor(), id, &patch).await {
        // Only back to one of the workload's own lists: never elsewhere.
        Ok(_) if back.starts_with("/workload/tickets?") && !back.contains(['#', '\\']) => Redirect::to(back).into_response(),
        Ok(_) => Redirect::to(&format!("/workload?saved=assigned#risk-{id}")).into_response(),
        Err(e) => {
            let (status, _, message, _) = crate::error::classify(&e);
            let message = match status {
                StatusCode::CONFLICT => "someone else changed this ticket meanwhile (perhaps took it); the list is fresh now".to_string(),
                StatusCode::UNPROCESSABLE_ENTITY => message,
                _ => return error_response(e),
            };
            render(s, user, Some((id, message, status))).await
        }
    }
}

pub async fn take(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<AssignForm>,
) -> Response {
    let (user, version) = match read_form(&s, user, id, &f, checked).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let me = user.id;
    assign(&s, user, id, me, version, &f.back).await
}

pub async fn reassign(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<AssignForm>,
) -> Response {
    let (user, version) = match read_form(&s, user, id, &f, checked).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match f.assignee_id.trim().parse::<i64>() {
        Ok(to) => assign(&s, user, id, to, version, &f.back).await,
        Err(_) => render(&s, user, Some((id, "choose who takes it".into(), StatusCode::UNPROCESSABLE_ENTITY))).await,
    }
}

/// Which count a list behind the workload shows: `state` and either an
/// agent, or a tier with `unassigned` for its row of tickets nobody holds.
#[derive(Debug, Deserialize)]
pub struct SliceParams {
    #[serde(default)]
    state: String,
    agent: Option<i64>,
    tier: Option<i64>,
    #[serde(default)]
    unassigned: bool,
}

impl SliceParams {
    fn slice(&self) -> Result<LoadSlice, frontline_domain::DomainError> {
        let state = LoadState::parse(&self.state)?;
        let tier = self.tier.map(Tier::new).transpose().map_err(|e| frontline_domain::DomainError::invalid("tier", e.to_string()))?;
        let holder = match (self.agent, self.unassigned) {
            (Some(_), true) => return Err(frontline_domain::DomainError::invalid("agent", "an agent's tickets are not nobody's")),
            (Some(id), false) => Holder::Agent(id),
            (None, true) => Holder::Nobody,
            (None, false) => Holder::Anyone,
        };
        Ok(LoadSlice { state, tier, holder })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "workload_tickets.html")]
pub struct WorkloadListPage {
    chrome: Chrome,
    l: WorkloadList,
    /// This list's own address, where a take or reassign comes back to.
    here: String,
}

impl WorkloadListPage {
    fn due(&self, t: &AtRiskTicket) -> String {
        due_text(self.l.as_of, t)
    }
    fn age(&self, t: &DateTime<Utc>) -> String {
        age(self.l.as_of, *t)
    }
    fn step(&self, t: &AtRiskTicket) -> &'static str {
        frontline_domain::escalation::EscalationStep::of(t.tier, t.escalation_level).label()
    }
    /// "Overdue: Dana's tickets", "Near breach: tier 2, unassigned".
    fn title(&self) -> String {
        let who = match (self.l.slice.holder, &self.l.holder_name) {
            (Holder::Agent(_), Some(name)) => format!("{name}'s tickets"),
            (Holder::Nobody, _) => format!("{}, unassigned", tier_label(&self.l.slice.tier)),
            _ => format!("{}, all tickets", tier_label(&self.l.slice.tier)),
        };
        format!("{}: {who}", self.l.slice.state.label())
    }
    fn full(&self) -> bool {
        self.l.tickets.len() as i64 >= frontline_app::workload::SLICE_LIMIT
    }
}

/// The open tickets behind one of the workload's counts, each with Take
/// and Reassign.
pub async fn tickets(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<SliceParams>) -> Response {
    let chrome = match Chrome::load(&s, user, "workload").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let slice = match p.slice() {
        Ok(slice) => slice,
        Err(e) => return error_response(e),
    };
    let l = match s.app.workload_tickets(&chrome.user.actor(), slice).await {
        Ok(l) => l,
        Err(e) => return error_response(e),
    };
    WorkloadListPage { here: slice_link(&slice), chrome, l }.into_response()
}

/// The address of the list behind a count.
pub fn slice_link(slice: &LoadSlice) -> String {
    let mut link = format!("/workload/tickets?state={}", slice.state.as_str());
    if let Some(t) = slice.tier {
        link.push_str(&format!("&tier={}", t.get()));
    }
    match slice.holder {
        Holder::Agent(id) => link.push_str(&format!("&agent={id}")),
        Holder::Nobody => link.push_str("&unassigned=true"),
        Holder::Anyone => {}
    }
    link
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    chrome: Chrome,
    escalated: Vec<TicketView>,
    help: Vec<HelpRequest>,
    /// The tier totals, for those who may see the workload.
    workload: Option<Workload>,
    now: DateTime<Utc>,
}

impl HomePage {
    fn age(&self, t: &DateTime<Utc>) -> String {
        age(self.now, *t)
    }
}

/// The Head of Support's landing: escalated tickets, open help requests
/// and the workload summary. Any staff member may open it.
pub async fn home(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    let actor = user.actor();
    if authz::uses_portal(&actor) {
        return Redirect::to("/portal").into_response();
    }
    let loaded = async {
        let escalated = s.app.escalated_tickets(&actor).await?;
        let help = s.app.my_help_requests(&actor).await?;
        let workload = if s.app.sees_workload(&actor).await? { Some(s.app.workload(&actor).await?) } else { None };
        Ok::<_, frontline_app::AppError>((escalated, help, workload))
    }
    .await;
    let (escalated, help, workload) = match loaded {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    let chrome = match Chrome::load(&s, user, "home").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    HomePage { chrome, escalated, help, workload, now: s.app.now() }.into_response()
}

/// The side panel of a tier-2 agent's queue: the team's tickets near breach or overdue.
pub struct AtRiskPanel {
    pub tickets: Vec<AtRiskTicket>,
    pub now: DateTime<Utc>,
}

impl AtRiskPanel {
    pub fn due(&self, t: &AtRiskTicket) -> String {
        due_text(self.now, t)
    }
}
