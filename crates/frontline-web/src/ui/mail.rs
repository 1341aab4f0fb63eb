//! Admin: which notification mails go out, and the mail quarantine.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_store::mail::QuarantinedMail;
use std::collections::HashMap;

use super::form::{Failed, Form, run};
use super::{Chrome, FormErrors, error_response, invalid};
use crate::AppState;
use crate::auth::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "mail_admin.html")]
pub struct MailPage {
    chrome: Chrome,
    settings: Vec<(String, bool)>,
    templates: Vec<frontline_app::mail_templates::MailTemplate>,
    /// The kind whose template form the errors (and kept text) belong to.
    editing: Option<(String, String, String)>,
    quarantine: Vec<QuarantinedMail>,
    errors: FormErrors,
}

pub fn describe(kind: &str) -> &'static str {
    frontline_domain::notification::NotificationKind::parse("kind", kind).map_or("", |k| k.description())
}

async fn page(s: &AppState, user: frontline_store::User, errors: FormErrors) -> Response {
    page_editing(s, user, errors, None).await
}

async fn page_editing(
    s: &AppState,
    user: frontline_store::User,
    errors: FormErrors,
    editing: Option<(String, String, String)>,
) -> Response {
    let actor = user.actor();
    let settings = match s.app.notification_settings(&actor).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    let mut templates = match s.app.mail_templates(&actor).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    // Show what the admin typed, not the saved text, next to its error.
    if let Some((kind, subject, body)) = &editing
        && let Some(t) = templates.iter_mut().find(|t| t.kind.as_str() == kind)
    {
        t.subject = subject.clone();
        t.body = body.clone();
    }
    let quarantine = match s.app.quarantine(&actor).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    let chrome = match Chrome::load(s, user, "mail").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let failed = errors.any();
    let p = MailPage { chrome, settings, templates, editing, quarantine, errors };
    if failed { invalid(p) } else { p.into_response() }
}

pub async fn show(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    page(&s, user, FormErrors::default()).await
}

/// Checked boxes arrive as `kind=on`; unchecked ones are absent.
pub async fn save_notifications(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Form(f, checked): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = checked.ok() {
        return error_response(e);
    }
    let actor = user.actor();
    let settings = match s.app.notification_settings(&actor).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    for (kind, was) in settings {
        let now = f.contains_key(&kind);
        if now != was
            && let Err(e) = s.app.set_notification(&actor, &kind, now).await
        {
            return error_response(e);
        }
    }
    Redirect::to("/admin/mail").into_response()
}

pub async fn retry(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.retry_quarantined(&user.actor(), id, frontline_mail::inbound::parse).await {
        Ok(_) => Redirect::to("/admin/mail").into_response(),
        Err(e) => match FormErrors::from_error(e) {
            Ok(errors) => page(&s, user, errors).await,
            Err(r) => r,
        },
    }
}

pub async fn delete(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.delete_quarantined(&user.actor(), id).await {
        Ok(()) => Redirect::to("/admin/mail").into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(serde::Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
}

pub async fn save_template(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Path(kind): Path<String>,
    Form(f, checked): Form<TemplateForm>,
) -> Response {
    // Subject and text each checked (and rendered) on their own, so both messages show at once.
    let pre = match s.app.mail_template_problems(&user.actor(), &f.subject, &f.body).await {
        Ok(problems) => FormErrors(problems),
        Err(e) => return error_response(e),
    };
    match run(pre, checked, s.app.save_mail_template(&user.actor(), &kind, Some((&f.subject, &f.body)))).await {
        Ok(()) => Redirect::to(&format!("/admin/mail#template-{kind}")).into_response(),
        Err(Failed::Page(page)) => page,
        Err(Failed::Form(errors)) => page_editing(&s, user, errors, Some((kind, f.subject, f.body))).await,
    }
}

pub async fn reset_template(State(s): State<AppState>, PageUser(user): PageUser, Path(kind): Path<String>) -> Response {
    match s.app.save_mail_template(&user.actor(), &kind, None).await {
        Ok(()) => Redirect::to(&format!("/admin/mail#template-{kind}")).into_response(),
        Err(e) => error_response(e),
    }
}

impl MailPage {
    fn error_for(&self, kind: &str, field: &str) -> Option<&str> {
        match &self.editing {
            Some((k, _, _)) if k == kind => self.errors.get(field),
            _ => None,
        }
    }

    /// `aria-*` tying a template's field to its message (ids are per kind).
    fn aria_for(&self, kind: &str, field: &str) -> String {
        match self.error_for(kind, field) {
            Some(_) => format!(" aria-invalid=\"true\" aria-describedby=\"err-{field}-{kind}\""),
            None => String::new(),
        }
    }
}

/// The exact bytes of a quarantined mail, as a .eml file.
pub async fn raw(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.quarantined_raw(&user.actor(), id).await {
        Ok(raw) => crate::download::raw_mail_response(&format!("quarantine-{id}.eml"), raw),
        Err(e) => error_response(e),
    }
}
