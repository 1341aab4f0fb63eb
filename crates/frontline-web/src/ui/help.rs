//! Help requests in the agent app: the "Help requests" view (questions I
//! asked, was asked, or my tier was asked, each answerable there) and the
//! ticket page's "Ask for help" form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_domain::help::{self, HelpTarget};
use frontline_domain::ticket::Channel;
use frontline_domain::{DomainError, FieldError};
use frontline_store::help::HelpRequest;
use serde::Deserialize;

use super::form::{Failed, Form, run};
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "help_requests.html")]
pub struct HelpPage {
    chrome: Chrome,
    requests: Vec<HelpRequest>,
    me: i64,
    /// After a failed answer: which request, what was typed, and why.
    failed: Option<i64>,
    typed: String,
    errors: FormErrors,
}

impl HelpPage {
    fn failed_here(&self, h: &HelpRequest) -> bool {
        self.failed == Some(h.id)
    }
    fn asked_by_me(&self, h: &HelpRequest) -> bool {
        h.asked_by == Some(self.me)
    }
    fn is_open(&self, h: &HelpRequest) -> bool {
        h.status == help::HelpStatus::Open
    }
    fn to_whom(&self, h: &HelpRequest) -> String {
        match (&h.to_user_name, h.to_tier) {
            (Some(name), _) if h.to_user_id == Some(self.me) => format!("you ({name})"),
            (Some(name), _) => name.clone(),
            (None, Some(t)) => format!("Tier {t}"),
            _ => "—".into(),
        }
    }
}

async fn render(s: &AppState, user: frontline_store::User, failed: Option<(i64, String, FormErrors)>) -> Response {
    let actor = user.actor();
    let mut requests = match s.app.my_help_requests(&actor).await {
        Ok(r) => r,
        Err(e) => return error_response(e),
    };
    // Answered or withdrawn meanwhile, it left the list: shown first, with
    // why the action failed and what was typed.
    if let Some((id, _, _)) = &failed
        && !requests.iter().any(|h| h.id == *id)
    {
        match s.app.help_request(&actor, *id).await {
            Ok(h) => requests.insert(0, h),
            Err(e) => return error_response(e),
        }
    }
    let me = user.id;
    let chrome = match Chrome::load(s, user, "help").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match failed {
        None => HelpPage { chrome, requests, me, failed: None, typed: String::new(), errors: FormErrors::default() }.into_response(),
        Some((id, typed, errors)) => invalid(HelpPage { chrome, requests, me, failed: Some(id), typed, errors }),
    }
}

pub async fn page(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    render(&s, user, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
}

pub async fn answer(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<AnswerForm>,
) -> Response {
    let mut pre = FormErrors::default();
    pre.check(help::parse_question("answer", &f.answer));
    let actor = user.actor();
    match run(pre, checked, s.app.answer_help(&actor, id, &f.answer, Channel::Web)).await {
        Ok(h) => Redirect::to(&format!("/tickets/{}?saved=answer#message-{}", h.ticket_id, h.answer_note_id.unwrap_or(0))).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => render(&s, user, Some((id, f.answer, errors))).await,
    }
}

pub async fn withdraw(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.withdraw_help(&user.actor(), id).await {
        Ok(_) => Redirect::to("/help-requests?saved=withdrawn").into_response(),
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => render(&s, user, Some((id, String::new(), errors))).await,
            Err(page) => page,
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    /// "tier:2" or "user:17".
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub question: String,
}

/// The ticket page's ask form after a failed submit.
#[derive(Default)]
pub struct AskFormState {
    pub form: AskForm,
    pub errors: FormErrors,
}

/// "tier:2" / "user:17" as the API's two inputs.
fn target(to: &str) -> Result<(Option<i64>, Option<i64>), DomainError> {
    let bad = || DomainError::invalid("to", "choose a colleague or a tier");
    let (kind, n) = to.trim().split_once(':').ok_or_else(bad)?;
    let n: i64 = n.parse().map_err(|_| bad())?;
    let (user, tier) = match kind {
        "user" => (Some(n), None),
        "tier" => (None, Some(n)),
        _ => return Err(bad()),
    };
    HelpTarget::from_input(user, tier).map_err(|e| match e {
        DomainError::Invalid(f) => DomainError::Invalid(FieldError::new("to", f.message)),
        other => other,
    })?;
    Ok((user, tier))
}

pub async fn ask(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>, Form(f, checked): Form<AskForm>) -> Response {
    let mut pre = FormErrors::default();
    let to = pre.check(target(&f.to));
    pre.check(help::parse_question("question", &f.question));
    let (to_user, to_tier) = to.unwrap_or_default();
    let actor = user.actor();
    match run(pre, checked, s.app.ask_for_help(&actor, id, to_user, to_tier, &f.question)).await {
        Ok(_) => Redirect::to(&format!("/tickets/{id}?saved=help#help")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => {
            // The use case names the colleague's field as the API does; the page has one "to".
            let errors = FormErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut e| {
                        if e.field == "to_user_id" || e.field == "to_tier" {
                            e.field = "to".into();
                        }
                        e
                    })
                    .collect(),
            );
            let forms = super::tickets::PageForms { help: AskFormState { form: f, errors }, ..Default::default() };
            super::tickets::ticket_page_with_forms(&s, user, id, forms).await
        }
    }
}
