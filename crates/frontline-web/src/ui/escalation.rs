//! The ticket page's escalation actions: escalate, send back, needs a
//! senior. One form (a reason and, for escalations, an optional step
//! further up); each button posts it to its own action.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_app::escalation::StepRequest;
use frontline_domain::escalation::{self, EscalationStep, StepAction};
use frontline_domain::ticket::Channel;
use frontline_store::User;
use serde::Deserialize;

use super::FormErrors;
use super::form::{Failed, Form, run};
use crate::AppState;
use crate::auth::PageUser;

#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub reason: String,
    /// Escalate only: empty for the next step.
    #[serde(default)]
    pub to: String,
    /// The step the page showed: a ticket moved since is not moved again.
    #[serde(default)]
    pub from: String,
}

/// What the ticket page's escalation form shows: the text as typed and
/// its messages, after a failed submit.
#[derive(Default)]
pub struct StepFormState {
    pub form: StepForm,
    pub errors: FormErrors,
}

/// Every field's own check at once: the reason, and the step asked for.
fn checks(action: StepAction, f: &StepForm) -> FormErrors {
    let mut errors = FormErrors::default();
    // The page has one text box for reasons and notes.
    errors.check(escalation::parse_reason("reason", &f.reason));
    if action == StepAction::Escalate && !f.to.trim().is_empty() {
        errors.check(EscalationStep::parse("to", &f.to));
    }
    errors
}

async fn act(s: AppState, user: User, id: i64, action: StepAction, f: StepForm, checked: super::form::Checked) -> Response {
    let to = Some(f.to.clone()).filter(|t| !t.trim().is_empty() && action == StepAction::Escalate);
    let from = Some(f.from.clone()).filter(|s| !s.trim().is_empty());
    let req = StepRequest { action, text: f.reason.clone(), to, from, channel: Channel::Web };
    let actor = user.actor();
    let errors = match run(checks(action, &f), checked, s.app.step(&actor, id, &req)).await {
        Ok(_) => return Redirect::to(&format!("/tickets/{id}?saved={}#escalation", action.as_str())).into_response(),
        Err(Failed::Page(page)) => return page,
        Err(Failed::Form(errors)) => errors,
    };
    // The use case names a de-escalation's text "note"; on the page it is the reason box.
    let errors = FormErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                if e.field == "note" {
                    e.field = "reason".into();
                }
                e
            })
            .collect(),
    );
    let forms = super::tickets::PageForms { step: StepFormState { form: f, errors }, ..Default::default() };
    super::tickets::ticket_page_with_forms(&s, user, id, forms).await
}

pub async fn escalate(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<StepForm>,
) -> Response {
    act(s, user, id, StepAction::Escalate, f, checked).await
}

pub async fn de_escalate(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<StepForm>,
) -> Response {
    act(s, user, id, StepAction::DeEscalate, f, checked).await
}

pub async fn needs_senior(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Form(f, checked): Form<StepForm>,
) -> Response {
    act(s, user, id, StepAction::NeedsSenior, f, checked).await
}
