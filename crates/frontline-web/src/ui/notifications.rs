//! The bell's list (`/notifications`: newest first, paged, unread marked,
//! an item opened is marked read and leads to its ticket) and each staff
//! user's own switches (`/settings/notifications`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontline_app::notifications::PreferenceView;
use frontline_domain::authz;
use frontline_domain::notification::NotificationKind;
use frontline_store::notifications::Notification;
use serde::Deserialize;

use super::form::{Form, Query};
use super::{Chrome, error_response};
use crate::AppState;
use crate::auth::PageUser;

/// Items per page of the list.
const PAGE: i64 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    chrome: Chrome,
    items: Vec<Notification>,
    unread_only: bool,
    next_cursor: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    unread: Option<String>,
    #[serde(default)]
    cursor: Option<i64>,
}

pub async fn page(State(s): State<AppState>, PageUser(user): PageUser, Query(p): Query<ListParams>) -> Response {
    let unread_only = matches!(p.unread.as_deref(), Some("true" | "1" | "on"));
    let actor = user.actor();
    // The frame first: it sends portal users to the portal.
    let chrome = match Chrome::load(&s, user, "notifications").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let list = match s.app.my_notifications(&actor, unread_only, p.cursor, PAGE).await {
        Ok(l) => l,
        Err(e) => return error_response(e),
    };
    let next_cursor = if list.has_more { list.items.last().map(|n| n.id) } else { None };
    NotificationsPage { chrome, items: list.items, unread_only, next_cursor }.into_response()
}

/// Opening an item marks it read and leads to its ticket.
pub async fn open(State(s): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    match s.app.read_notification(&user.actor(), id).await {
        Ok(n) => Redirect::to(&format!("/tickets/{}", n.ticket_id)).into_response(),
        Err(e) => error_response(e),
    }
}

pub async fn read_all(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    match s.app.read_all_notifications(&user.actor()).await {
        Ok(_) => Redirect::to("/notifications?saved=all-read").into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notification_settings.html")]
pub struct SettingsPage {
    chrome: Chrome,
    prefs: Vec<PreferenceView>,
}

pub async fn settings(State(s): State<AppState>, PageUser(user): PageUser) -> Response {
    let actor = user.actor();
    let chrome = match Chrome::load(&s, user, "notification-settings").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match s.app.notification_preferences(&actor).await {
        Ok(prefs) => SettingsPage { chrome, prefs }.into_response(),
        Err(e) => error_response(e),
    }
}

/// A checkbox form: a switch that is not sent is off. Every personal kind
/// is saved at once, so the page is the whole truth.
pub async fn save_settings(
    State(s): State<AppState>,
    PageUser(user): PageUser,
    Form(f, checked): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = checked.ok() {
        return error_response(e);
    }
    let actor = user.actor();
    if authz::uses_portal(&actor) {
        return Redirect::to("/portal").into_response();
    }
    let changes: Vec<(String, bool, bool)> = NotificationKind::personal()
        .map(|k| (k.as_str().to_string(), f.contains_key(&format!("{k}.in_app")), f.contains_key(&format!("{k}.email"))))
        .collect();
    match s.app.set_notification_preferences(&actor, &changes).await {
        Ok(_) => Redirect::to("/settings/notifications?saved=notifications").into_response(),
        Err(e) => error_response(e),
    }
}
