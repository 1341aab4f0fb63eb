//! The authorization matrix: every API and UI route, with every role.
//! Customers get 404 for other organizations' tickets (existence must not
//! leak) and never see internal notes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::Method;
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

pub(crate) const MAIL_ADMINS: &[&str] = &["admin", "head_of_support"];
pub(crate) const SLA_ADMINS: &[&str] = &["admin", "head_of_support"];
pub(crate) const STAFF: &[&str] = &["admin", "head_of_support", "manager", "agent", "engineering", "solutions_engineer", "leadership"];
pub(crate) const WORKLOAD_VIEWERS: &[&str] = &["admin", "head_of_support", "manager"];
pub(crate) const WORKERS: &[&str] = &["admin", "head_of_support", "manager", "agent", "solutions_engineer"];
const ALL: &[&str] = &[
    "admin",
    "head_of_support",
    "manager",
    "agent",
    "engineering",
    "solutions_engineer",
    "leadership",
    "customer_admin",
    "customer_member",
    "customer_other",
    "foreign_admin",
];

/// What a persona must get from a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exp {
    /// 2xx (or a redirect for forms).
    Ok,
    Forbidden,
    NotFound,
    /// Reachable, but this input is refused with a field error.
    Invalid,
}

struct Case {
    method: Method,
    /// Path with {a} (org A ticket), {b} (org B ticket), {org_a}, {org_b}, {team}, {pos}, {user}, {tok}.
    path: &'static str,
    body: fn(usize) -> Value,
    expect: fn(&str) -> Exp,
}

fn no_body(_: usize) -> Value {
    Value::Null
}

fn allow(roles: &'static [&'static str], who: &str, otherwise: Exp) -> Exp {
    if roles.contains(&who) { Exp::Ok } else { otherwise }
}

/// Viewing ticket A: staff, org A's admin, and its requester.
fn view_a(who: &str) -> Exp {
    match who {
        w if STAFF.contains(&w) => Exp::Ok,
        "customer_admin" | "customer_member" => Exp::Ok,
        _ => Exp::NotFound,
    }
}

/// Working ticket A (changing it, moving it along the escalation path):
/// those who work tickets; others who see it are refused.
fn work_a(who: &str) -> Exp {
    match view_a(who) {
        Exp::Ok => allow(WORKERS, who, Exp::Forbidden),
        other => other,
    }
}

fn api_cases() -> Vec<Case> {
    vec![
        Case { method: Method::GET, path: "/api/v1/tickets", body: no_body, expect: |_| Exp::Ok },
        Case {
            method: Method::POST,
            path: "/api/v1/tickets",
            body: |n| json!({"subject": format!("Case {n}"), "body": "Steps to reproduce ...", "requester_email": format!("new{n}@northwind.example")}),
            expect: |w| match w {
                "engineering" | "leadership" => Exp::Forbidden,
                w if WORKERS.contains(&w) => Exp::Ok,
                // Customers may open tickets, but not name another requester.
                _ => Exp::Invalid,
            },
        },
        Case { method: Method::GET, path: "/api/v1/tickets/{a}", body: no_body, expect: view_a },
        Case {
            method: Method::GET,
            path: "/api/v1/tickets/{b}",
            body: no_body,
            expect: |w| if w == "foreign_admin" || STAFF.contains(&w) { Exp::Ok } else { Exp::NotFound },
        },
        Case {
            method: Method::PATCH,
            path: "/api/v1/tickets/{a}",
            body: |_| json!({"priority": "high"}),
            expect: |w| match view_a(w) {
                Exp::Ok => allow(WORKERS, w, Exp::Forbidden),
                other => other,
            },
        },
        Case { method: Method::GET, path: "/api/v1/tickets/{a}/messages", body: no_body, expect: view_a },
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{a}/messages",
            body: |n| json!({"body": format!("public reply {n}")}),
            expect: |w| match view_a(w) {
                Exp::Ok if w == "engineering" || w == "leadership" => Exp::Forbidden,
                other => other,
            },
        },
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{b}/messages",
            body: |n| json!({"kind": "internal", "body": format!("note {n}")}),
            expect: |w| match w {
                "leadership" => Exp::Forbidden,
                "foreign_admin" => Exp::Forbidden,
                w if STAFF.contains(&w) => Exp::Ok,
                _ => Exp::NotFound,
            },
        },
        Case { method: Method::GET, path: "/api/v1/tickets/{a}/events", body: no_body, expect: view_a },
        // The escalation path: {fresh} is a new tier-1 ticket of org A's member for each request, so one
        // persona's escalation does not decide the next one's answer.
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{fresh}/escalations",
            body: |n| json!({"reason": format!("stuck {n}")}),
            expect: work_a,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{fresh}/needs-senior",
            body: |n| json!({"reason": format!("angry {n}")}),
            expect: work_a,
        },
        // Ticket A stays at tier 1: whoever may send it down is told there is no step below (422).
        // A Solutions Engineer without a tiered position works no step, so sends nothing down.
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{a}/de-escalations",
            body: |_| json!({"note": "back"}),
            expect: |w| match work_a(w) {
                Exp::Ok if w == "solutions_engineer" => Exp::Forbidden,
                Exp::Ok => Exp::Invalid,
                other => other,
            },
        },
        // Help requests: staff who write notes ask and answer; {help} is a new open question of the agent's.
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{a}/help-requests",
            body: |n| json!({"to_tier": 2, "question": format!("Seen this before? {n}")}),
            expect: |w| match view_a(w) {
                Exp::Ok if w == "leadership" || !STAFF.contains(&w) => Exp::Forbidden,
                other => other,
            },
        },
        Case { method: Method::GET, path: "/api/v1/help-requests", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        // Tier 2 and up, managers, the Head of Support, admins (the desk's agent is tier 1).
        Case { method: Method::GET, path: "/api/v1/workload", body: no_body, expect: |w| allow(WORKLOAD_VIEWERS, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/help-requests/{help}/answer",
            body: |n| json!({"answer": format!("Yes, see KB {n}")}),
            expect: |w| if w == "leadership" { Exp::Forbidden } else { allow(STAFF, w, Exp::Forbidden) },
        },
        Case {
            method: Method::POST,
            path: "/api/v1/help-requests/{help}/withdraw",
            body: no_body,
            expect: |w| allow(&["admin", "agent"], w, Exp::Forbidden),
        },
        Case {
            method: Method::GET,
            path: "/api/v1/tickets/{a}/escalations",
            body: no_body,
            expect: |w| match view_a(w) {
                Exp::Ok if !STAFF.contains(&w) => Exp::Forbidden,
                other => other,
            },
        },
        // Accepting held mail: ticket workers; there is none held here, so they get 404.
        Case {
            method: Method::POST,
            path: "/api/v1/tickets/{a}/messages/{file_public}/accept",
            body: |_| json!({}),
            expect: |w| match view_a(w) {
                Exp::Ok if WORKERS.contains(&w) => Exp::NotFound,
                Exp::Ok => Exp::Forbidden,
                other => other,
            },
        },
        // A file of a public reply on ticket A: whoever may read the ticket.
        Case { method: Method::GET, path: "/api/v1/attachments/{file_public}", body: no_body, expect: view_a },
        // A file of an internal note on ticket A: staff only; customers learn nothing.
        Case {
            method: Method::GET,
            path: "/api/v1/attachments/{file_note}",
            body: no_body,
            expect: |w| if STAFF.contains(&w) { Exp::Ok } else { Exp::NotFound },
        },
        Case { method: Method::GET, path: "/api/v1/queues", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case { method: Method::GET, path: "/api/v1/queues/open", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case { method: Method::GET, path: "/api/v1/search?q=webhook", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case { method: Method::GET, path: "/api/v1/users", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/users",
            body: |n| json!({"email": format!("c{n}@globex.example"), "name": "New Customer", "role": "customer_member"}),
            expect: |w| allow(&["admin", "head_of_support", "solutions_engineer"], w, Exp::Forbidden),
        },
        // {user} is customer_other: people may read their own profile.
        Case {
            method: Method::GET,
            path: "/api/v1/users/{user}",
            body: no_body,
            expect: |w| if w == "customer_other" { Exp::Ok } else { allow(STAFF, w, Exp::Forbidden) },
        },
        Case {
            method: Method::PATCH,
            path: "/api/v1/users/{user}",
            body: |n| json!({"name": format!("Renamed {n}")}),
            expect: |w| allow(&["admin", "head_of_support", "solutions_engineer"], w, Exp::Forbidden),
        },
        // {user} is a customer: nobody sets a customer's availability (they
        // get no tickets); those who cannot see them get 404.
        Case {
            method: Method::PUT,
            path: "/api/v1/users/{user}/availability",
            body: |_| json!({"availability": "away"}),
            expect: |w| if w == "customer_other" || STAFF.contains(&w) { Exp::Forbidden } else { Exp::NotFound },
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/me/availability",
            body: |_| json!({"availability": "away"}),
            expect: |w| allow(WORKERS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/organizations", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/organizations",
            body: |n| json!({"name": format!("Org {n}"), "domains": [format!("org{n}.example")]}),
            expect: |w| allow(&["admin", "head_of_support", "solutions_engineer"], w, Exp::Forbidden),
        },
        Case {
            method: Method::GET,
            path: "/api/v1/organizations/{org_a}",
            body: no_body,
            expect: |w| {
                if STAFF.contains(&w) || ["customer_admin", "customer_member", "customer_other"].contains(&w) {
                    Exp::Ok
                } else {
                    Exp::NotFound
                }
            },
        },
        Case {
            method: Method::PATCH,
            path: "/api/v1/organizations/{org_b}",
            body: |n| json!({"notes": format!("note {n}")}),
            expect: |w| allow(&["admin", "head_of_support", "solutions_engineer"], w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/teams", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/teams",
            body: |n| json!({"name": format!("Team {n}")}),
            expect: |w| allow(&["admin", "head_of_support", "manager"], w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/teams/{team}", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::PATCH,
            path: "/api/v1/teams/{team}",
            body: |n| json!({"description": format!("d{n}")}),
            expect: |w| allow(&["admin", "head_of_support", "manager"], w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/positions", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/positions",
            body: |n| json!({"name": format!("Principal {n}"), "level": "IC4", "rank": 8, "tier": 2}),
            expect: |w| allow(&["admin", "head_of_support"], w, Exp::Forbidden),
        },
        Case {
            method: Method::PATCH,
            path: "/api/v1/positions/{pos}",
            body: |_| json!({"tier": 1}),
            expect: |w| allow(&["admin", "head_of_support"], w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/me", body: no_body, expect: |_| Exp::Ok },
        Case { method: Method::GET, path: "/api/v1/tokens", body: no_body, expect: |_| Exp::Ok },
        // Everyone has their own password and sessions, and only those.
        Case {
            method: Method::POST,
            path: "/api/v1/me/password",
            body: |_| json!({"current_password": "not the password", "password": "a new password here"}),
            expect: |_| Exp::Invalid,
        },
        Case { method: Method::GET, path: "/api/v1/me/sessions", body: no_body, expect: |_| Exp::Ok },
        Case { method: Method::DELETE, path: "/api/v1/me/sessions", body: no_body, expect: |_| Exp::Ok },
        Case { method: Method::DELETE, path: "/api/v1/me/sessions/0123456789abcdef", body: no_body, expect: |_| Exp::NotFound },
        // The bell is staff's, and each item its recipient's: {note} is a new item of the agent's.
        Case { method: Method::GET, path: "/api/v1/notifications?unread=true", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/notifications/{note}/read",
            body: |_| json!({}),
            expect: |w| match w {
                "agent" => Exp::Ok,
                w if STAFF.contains(&w) => Exp::NotFound,
                _ => Exp::Forbidden,
            },
        },
        Case {
            method: Method::POST,
            path: "/api/v1/notifications/read-all",
            body: |_| json!({}),
            expect: |w| allow(STAFF, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/me/notification-settings", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::PUT,
            path: "/api/v1/me/notification-settings",
            body: |_| json!({"settings": [{"kind": "help_requested", "in_app": true, "email": false}]}),
            expect: |w| allow(STAFF, w, Exp::Forbidden),
        },
        Case { method: Method::POST, path: "/api/v1/tokens", body: |n| json!({"name": format!("t{n}")}), expect: |_| Exp::Ok },
        // A token that belongs to the admin: nobody else can revoke it.
        Case {
            method: Method::DELETE,
            path: "/api/v1/tokens/{tok}",
            body: no_body,
            expect: |w| if w == "admin" { Exp::Ok } else { Exp::NotFound },
        },
        Case { method: Method::GET, path: "/api/v1/audit", body: no_body, expect: |w| allow(&["admin"], w, Exp::Forbidden) },
        // Automatic rules: admins only ({rule} is a fresh rule each time).
        Case { method: Method::GET, path: "/api/v1/rules", body: no_body, expect: |w| allow(&["admin"], w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/rules",
            body: |n| json!({"name": format!("Rule {n}"), "condition": "near_breach", "action": "escalate"}),
            expect: |w| allow(&["admin"], w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/rules/{rule}", body: no_body, expect: |w| allow(&["admin"], w, Exp::Forbidden) },
        Case {
            method: Method::PUT,
            path: "/api/v1/rules/{rule}",
            body: |n| json!({"name": format!("Rule {n} again"), "condition": "breached", "action": "set_priority", "new_priority": "urgent"}),
            expect: |w| allow(&["admin"], w, Exp::Forbidden),
        },
        Case { method: Method::DELETE, path: "/api/v1/rules/{rule}", body: no_body, expect: |w| allow(&["admin"], w, Exp::Forbidden) },
        Case { method: Method::GET, path: "/api/v1/mail/notifications", body: no_body, expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden) },
        Case {
            method: Method::PUT,
            path: "/api/v1/mail/notifications/ticket_solved",
            body: |_| json!({"enabled": true}),
            expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/mail/quarantine", body: no_body, expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden) },
        Case {
            method: Method::GET,
            path: "/api/v1/mail/quarantine/{q}/raw",
            body: no_body,
            expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden),
        },
        // {q} is a fresh unreadable mail: a retry is refused with a field error.
        Case {
            method: Method::POST,
            path: "/api/v1/mail/quarantine/{q}/retry",
            body: |_| json!({}),
            expect: |w| if MAIL_ADMINS.contains(&w) { Exp::Invalid } else { Exp::Forbidden },
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/mail/quarantine/{q}",
            body: no_body,
            expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/mail/templates", body: no_body, expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden) },
        Case {
            method: Method::PUT,
            path: "/api/v1/mail/templates/ticket_solved",
            body: |_| json!({"subject": "[#{{ ticket_id }}] Done: {{ subject }}", "body": "Solved. {{ ticket_url }}"}),
            expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden),
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/mail/templates/ticket_solved",
            body: no_body,
            expect: |w| allow(MAIL_ADMINS, w, Exp::Forbidden),
        },
        // SLA configuration: {cal}, {plan} and {policy} are fresh rows for each request.
        Case { method: Method::GET, path: "/api/v1/sla/calendars", body: no_body, expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/sla/calendars",
            body: |n| json!({"name": format!("Cal {n}"), "time_zone": "UTC", "hours": {"mon": [{"start": "09:00", "end": "17:00"}]}}),
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/sla/calendars/{cal}", body: no_body, expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden) },
        Case {
            method: Method::PUT,
            path: "/api/v1/sla/calendars/{cal}",
            body: |n| json!({"name": format!("Renamed {n}"), "time_zone": "Europe/Berlin", "hours": {"fri": [{"start": "09:00", "end": "12:00"}]}}),
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/sla/calendars/{cal}",
            body: no_body,
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        // Staff read the plans (organizations and tickets name them); SLA admins change them.
        Case { method: Method::GET, path: "/api/v1/sla/support-plans", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::POST,
            path: "/api/v1/sla/support-plans",
            body: |n| json!({"name": format!("Plan {n}")}),
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/sla/support-plans/{plan}", body: no_body, expect: |w| allow(STAFF, w, Exp::Forbidden) },
        Case {
            method: Method::PATCH,
            path: "/api/v1/sla/support-plans/{plan}",
            body: |n| json!({"name": format!("Renamed plan {n}")}),
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/sla/support-plans/{plan}",
            body: no_body,
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case { method: Method::GET, path: "/api/v1/sla/policies", body: no_body, expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden) },
        // Calendar 0 does not exist: those who may write policies are told so.
        Case {
            method: Method::POST,
            path: "/api/v1/sla/policies",
            body: |n| json!({"name": format!("Policy {n}"), "calendar_id": 0}),
            expect: |w| if SLA_ADMINS.contains(&w) { Exp::Invalid } else { Exp::Forbidden },
        },
        Case {
            method: Method::GET,
            path: "/api/v1/sla/policies/{policy}",
            body: no_body,
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/sla/policies/{policy}",
            body: |n| json!({"name": format!("Renamed policy {n}"), "calendar_id": 0}),
            expect: |w| if SLA_ADMINS.contains(&w) { Exp::Invalid } else { Exp::Forbidden },
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/sla/policies/{policy}",
            body: no_body,
            expect: |w| allow(SLA_ADMINS, w, Exp::Forbidden),
        },
        // An order naming a policy twice is refused before anything moves.
        Case {
            method: Method::POST,
            path: "/api/v1/sla/policies/order",
            body: |_| json!({"ids": [1, 1]}),
            expect: |w| if SLA_ADMINS.contains(&w) { Exp::Invalid } else { Exp::Forbidden },
        },
    ]
}

/// Fresh SLA rows for one request of the matrix.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FreshSla {
    /// A calendar no policy uses.
    pub cal: i64,
    /// The calendar `policy` uses.
    pub used: i64,
    pub plan: i64,
    pub policy: i64,
}

pub(crate) async fn fresh_sla_rows(t: &TestApp, d: &Desk, n: usize) -> FreshSla {
    use frontline_domain::sla::{CalendarSpec, SlaPolicy, WeeklyHoursSpec};
    let admin = d.admin.actor();
    let input = |name: String| frontline_app::sla_config::CalendarInput {
        name,
        spec: CalendarSpec { time_zone: "UTC".into(), hours: WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]), holidays: vec![] },
        version: None,
    };
    let cal = t.app.create_sla_calendar(&admin, &input(format!("Fresh {n}"))).await.expect("calendar").id;
    let used = t.app.create_sla_calendar(&admin, &input(format!("Used {n}"))).await.expect("calendar").id;
    let plan = t.app.create_support_plan(&admin, &format!("Fresh plan {n}")).await.expect("plan").id;
    let fields = frontline_app::sla_config::PolicyFields {
        name: format!("Fresh policy {n}"),
        calendar_id: used,
        policy: SlaPolicy::default(),
        version: None,
    };
    let policy = t.app.create_sla_policy(&admin, &fields).await.expect("policy").id;
    FreshSla { cal, used, plan, policy }
}

/// An agent's public reply and internal note on ticket A, each with a file:
/// the ids of the two files.
async fn files_on_ticket_a(t: &TestApp, d: &Desk) -> (i64, i64) {
    let mut ids = vec![];
    for kind in [frontline_domain::ticket::MessageKind::Public, frontline_domain::ticket::MessageKind::Internal] {
        let input = frontline_app::tickets::ReplyInput {
            kind,
            body: "see the file".into(),
            status: None,
            channel: frontline_domain::ticket::Channel::Api,
            attachments: vec![frontline_app::tickets::NewAttachment {
                filename: format!("{}.log", kind.as_str()),
                content_type: "text/plain".into(),
                content_id: None,
                inline: false,
                data: b"2026-11-22 webhook 500".to_vec(),
            }],
        };
        let m = t.app.reply(&d.agent.actor(), d.ticket_a, &input).await.expect("reply with a file");
        ids.push(m.attachments[0].id);
    }
    (ids[0], ids[1])
}

/// Every documented endpoint is in the matrix.
#[test]
fn every_documented_route_is_in_the_api_matrix() {
    let cases = api_cases();
    let doc = serde_json::to_value(frontline_web::openapi()).expect("openapi");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, item)| item.as_object().expect("item").keys().map(move |m| format!("{} {p}", m.to_uppercase())))
        .collect();
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| {
            let path = c.path.split('?').next().unwrap_or(c.path);
            let generic = path
                .replace("{a}", "{id}")
                .replace("{fresh}", "{id}")
                .replace("{help}", "{id}")
                .replace("{note}", "{id}")
                .replace("{rule}", "{id}")
                .replace("{b}", "{id}")
                .replace("{org_a}", "{id}")
                .replace("{org_b}", "{id}")
                .replace("{team}", "{id}")
                .replace("{pos}", "{id}")
                .replace("{user}", "{id}")
                .replace("{tok}", "{id}")
                .replace("{q}", "{id}")
                .replace("{cal}", "{id}")
                .replace("{plan}", "{id}")
                .replace("{policy}", "{id}")
                .replace("/messages/{file_public}/accept", "/messages/{message_id}/accept")
                .replace("{file_public}", "{id}")
                .replace("{file_note}", "{id}")
                .replace("/notifications/ticket_solved", "/notifications/{kind}")
                .replace("/templates/ticket_solved", "/templates/{kind}")
                .replace("/queues/open", "/queues/{view}")
                .replace("/sessions/0123456789abcdef", "/sessions/{id}");
            format!("{} {generic}", c.method)
        })
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "API routes missing from the authorization matrix: {missing:?}");
}

/// A new tier-1 ticket of org A's member, like ticket A.
pub(crate) async fn fresh_ticket(t: &TestApp, d: &Desk) -> i64 {
    let input =
        frontline_app::tickets::NewTicketInput { subject: "Export stuck".into(), body: "It never finishes.".into(), ..Default::default() };
    t.app.create_ticket(&d.cust_member.actor(), &input, frontline_domain::ticket::Channel::Portal).await.expect("ticket").id
}

/// A new unread bell item of the agent's, about ticket A.
pub(crate) async fn agent_notification(t: &TestApp, d: &Desk) -> i64 {
    use frontline_store::notifications::NewNotification;
    static N: AtomicUsize = AtomicUsize::new(0);
    let item = NewNotification {
        user_id: d.agent.id,
        kind: frontline_domain::notification::NotificationKind::HelpRequested,
        ticket_id: d.ticket_a,
        actor_id: Some(d.head.id),
        detail: "Seen this?".into(),
        source: format!("authz.{}", N.fetch_add(1, Ordering::Relaxed)),
    };
    t.store().record_notifications(&[item]).await.expect("notification");
    t.store().list_notifications(d.agent.id, true, None, 1).await.expect("list").items[0].id
}

async fn matrix(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let pos = t.app.list_positions(&d.admin.actor()).await.expect("positions")[0].id;
    let counter = AtomicUsize::new(0);
    let cases = api_cases();
    let (file_public, file_note) = files_on_ticket_a(&t, &d).await;
    let mut failures = vec![];
    for case in &cases {
        for who in ALL {
            let user = d.everyone().into_iter().find(|(n, _)| n == who).map(|(_, u)| u.clone()).expect("persona");
            let auth = t.token_for(&user).await;
            let admin_token = t.app.create_api_token(&d.admin.actor(), "victim").await.expect("token").0;
            let quarantined = t.app.quarantine_raw("support", None, b"not a mail", "unreadable").await.expect("quarantine");
            let fresh = if case.path.contains("{fresh}") { fresh_ticket(&t, &d).await.to_string() } else { String::new() };
            let (cal, plan, policy) = if case.path.contains("/sla/") && case.path.contains('{') {
                let f = fresh_sla_rows(&t, &d, counter.fetch_add(1, Ordering::Relaxed)).await;
                (f.cal.to_string(), f.plan.to_string(), f.policy.to_string())
            } else {
                Default::default()
            };
            let help = if case.path.contains("{help}") {
                let q = t.app.ask_for_help(&d.agent.actor(), d.ticket_a, None, Some(2), "Seen this?").await.expect("help request");
                q.id.to_string()
            } else {
                String::new()
            };
            let note = if case.path.contains("{note}") { agent_notification(&t, &d).await.to_string() } else { String::new() };
            let rule = if case.path.contains("{rule}") {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let draft = frontline_domain::rules::RuleDraft {
                    name: format!("Matrix rule {n}"),
                    enabled: true,
                    condition: "near_breach".into(),
                    action: "escalate".into(),
                    ..Default::default()
                };
                t.app.create_rule(&d.admin.actor(), &draft).await.expect("rule").id.to_string()
            } else {
                String::new()
            };
            let path = case
                .path
                .replace("{note}", &note)
                .replace("{fresh}", &fresh)
                .replace("{help}", &help)
                .replace("{rule}", &rule)
                .replace("{a}", &d.ticket_a.to_string())
                .replace("{b}", &d.ticket_b.to_string())
                .replace("{org_a}", &d.org_a.to_string())
                .replace("{org_b}", &d.org_b.to_string())
                .replace("{team}", &d.team.to_string())
                .replace("{pos}", &pos.to_string())
                .replace("{user}", &d.cust_other.id.to_string())
                .replace("{tok}", &admin_token.to_string())
                .replace("{q}", &quarantined.to_string())
                .replace("{cal}", &cal)
                .replace("{plan}", &plan)
                .replace("{policy}", &policy)
                .replace("{file_public}", &file_public.to_string())
                .replace("{file_note}", &file_note.to_string());
            let body = (case.body)(counter.fetch_add(1, Ordering::Relaxed));
            let resp = if body.is_null() {
                t.json(case.method.clone(), &path, &auth, &Value::Null).await
            } else {
                t.json(case.method.clone(), &path, &auth, &body).await
            };
            let resp = if body.is_null() && case.method == Method::GET { t.get(&path, &auth).await } else { resp };
            let expected = (case.expect)(who);
            let ok = match expected {
                Exp::Ok => resp.status.is_success(),
                Exp::Forbidden => resp.status == 403,
                Exp::NotFound => resp.status == 404,
                Exp::Invalid => resp.status == 422,
            };
            // Every wrong answer is listed at the end, so one does not hide the others.
            if !ok {
                failures.push(format!("{} {path} as {who}: expected {expected:?}, got {} {}", case.method, resp.status, resp.text()));
            } else if !resp.status.is_success() {
                resp.error_code();
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong answers:\n{}", failures.len(), failures.join("\n"));
}
on_both_engines!(api_matrix, matrix);

/// Without credentials every API route asks for them.
async fn api_without_credentials(db: TestDb) {
    let t = TestApp::new(db).await;
    for case in &api_cases() {
        let path = case
            .path
            .replace("{a}", "1")
            .replace("{fresh}", "1")
            .replace("{help}", "1")
            .replace("{note}", "1")
            .replace("{rule}", "1")
            .replace("{b}", "1")
            .replace("{org_a}", "1")
            .replace("{org_b}", "1")
            .replace("{team}", "1")
            .replace("{pos}", "1")
            .replace("{user}", "1")
            .replace("{tok}", "1")
            .replace("{cal}", "1")
            .replace("{plan}", "1")
            .replace("{policy}", "1")
            .replace("{file_public}", "1")
            .replace("{file_note}", "1");
        let resp = t.json(case.method.clone(), &path, &Auth::None, &(case.body)(0)).await;
        assert_eq!(resp.status, 401, "{} {path} without credentials", case.method);
        assert_eq!(resp.error_code(), "unauthenticated");
    }
}
on_both_engines!(api_matrix_anonymous, api_without_credentials);

/// Agent-app pages: (path, who may see it).
fn staff_pages(d: &Desk, quarantined: i64) -> Vec<(String, &'static [&'static str])> {
    let a = d.ticket_a.to_string();
    vec![
        ("/tickets?view=mine".into(), STAFF),
        ("/tickets?view=tier".into(), STAFF),
        ("/tickets?view=team".into(), STAFF),
        ("/tickets?view=open".into(), STAFF),
        ("/tickets?view=solved".into(), STAFF),
        (format!("/tickets/{a}"), STAFF),
        ("/tickets/new".into(), WORKERS),
        ("/search?q=webhook".into(), STAFF),
        ("/users".into(), STAFF),
        ("/users?kind=customers".into(), STAFF),
        (format!("/users/{}", d.cust_member.id), STAFF),
        ("/users/new".into(), &["admin", "head_of_support", "solutions_engineer"]),
        ("/organizations".into(), STAFF),
        (format!("/organizations/{}", d.org_a), STAFF),
        ("/teams".into(), STAFF),
        (format!("/teams/{}", d.team), STAFF),
        ("/admin/positions".into(), STAFF),
        ("/admin/audit".into(), &["admin"]),
        ("/admin/rules".into(), &["admin"]),
        ("/settings/tokens".into(), STAFF),
        ("/notifications".into(), STAFF),
        ("/settings/notifications".into(), STAFF),
        ("/partials/queue-counts?active=open".into(), STAFF),
        ("/admin/mail".into(), MAIL_ADMINS),
        (format!("/admin/mail/quarantine/{quarantined}/raw"), MAIL_ADMINS),
    ]
}

/// Pages: (path, who may see it). Customers are sent to the portal, staff
/// to the agent app; forbidden pages say so.
async fn pages(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (file_public, file_note) = files_on_ticket_a(&t, &d).await;
    let quarantined = t.app.quarantine_raw("support", None, b"not a mail", "unreadable").await.expect("quarantine");
    let a = d.ticket_a.to_string();
    let b = d.ticket_b.to_string();
    let staff_pages = staff_pages(&d, quarantined);
    for (who, user) in d.everyone() {
        let cookie = t.login(&user.email).await;
        for (path, allowed) in &staff_pages {
            let r = t.get(path, &cookie).await;
            let customer = user.role.is_customer();
            if customer {
                // Customers never get agent pages: the portal, or a 404 for tickets, or a 403.
                assert!(r.status.is_redirection() || r.status == 403 || r.status == 404, "{path} as {who}: {}", r.status);
                if r.status.is_redirection() {
                    assert!(r.location().starts_with("/portal"), "{path} as {who} went to {}", r.location());
                }
            } else if allowed.contains(&who) {
                assert_eq!(r.status, 200, "{path} as {who}: {}", r.text());
            } else {
                assert_eq!(r.status, 403, "{path} as {who}");
            }
        }
        // Everyone's own account pages, in their side's frame.
        for path in ["/settings/password", "/settings/sessions"] {
            let r = t.get(path, &cookie).await;
            assert_eq!(r.status, 200, "{path} as {who}");
            let frame = if user.role.is_customer() { "Support portal" } else { "href=\"/tickets" };
            assert!(r.text().contains(frame), "{path} as {who} in the wrong frame");
        }
        // The portal: customers only; their own organization's tickets only.
        let r = t.get("/portal", &cookie).await;
        if user.role.is_customer() {
            assert_eq!(r.status, 200, "portal as {who}");
        } else {
            assert!(r.status.is_redirection(), "staff {who} are sent to the agent app");
        }
        for (ticket, visible) in [(&a, ["customer_admin", "customer_member"].contains(&who)), (&b, who == "foreign_admin")] {
            let r = t.get(&format!("/portal/tickets/{ticket}"), &cookie).await;
            if !user.role.is_customer() {
                assert!(r.status.is_redirection());
            } else if visible {
                assert_eq!(r.status, 200, "portal ticket {ticket} as {who}");
            } else {
                assert_eq!(r.status, 404, "portal ticket {ticket} as {who} must not exist for them");
            }
            let reply = t.post_form(&format!("/portal/tickets/{ticket}/reply"), &cookie, &[("body", "me too")]).await;
            if user.role.is_customer() && !visible {
                assert_eq!(reply.status, 404, "reply to {ticket} as {who}");
            }
        }
        // Files, through the session: the public reply's for whoever may read
        // ticket A, the internal note's for staff only.
        for (file, visible) in [(file_public, view_a(who) == Exp::Ok), (file_note, STAFF.contains(&who))] {
            let r = t.get(&format!("/attachments/{file}"), &cookie).await;
            let expected = if visible { 200 } else { 404 };
            assert_eq!(r.status, expected, "file {file} as {who}");
        }
    }
}
on_both_engines!(page_matrix, pages);

/// Form posts of the agent app and the portal, with every role and without a session.
async fn page_posts(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let a = d.ticket_a.to_string();
    let b = d.ticket_b.to_string();
    for (who, user) in d.everyone() {
        let cookie = t.login(&user.email).await;
        // Form posts of the agent app.
        let note = t.post_form(&format!("/tickets/{a}/reply"), &cookie, &[("kind", "internal"), ("body", "checked the logs")]).await;
        match who {
            "leadership" => assert_eq!(note.status, 403),
            w if STAFF.contains(&w) => assert_eq!(note.status, 303, "note as {who}: {}", note.text()),
            "customer_admin" | "customer_member" => assert_eq!(note.status, 403, "a customer cannot write internal notes"),
            _ => assert_eq!(note.status, 404),
        }
        let org_edit = t
            .post_form(
                &format!("/organizations/{}", d.org_b),
                &cookie,
                &[("name", "Globex"), ("domains", "globex.example"), ("notes", who)],
            )
            .await;
        if ["admin", "head_of_support", "solutions_engineer"].contains(&who) {
            assert_eq!(org_edit.status, 303, "org edit as {who}: {}", org_edit.text());
        } else {
            assert!(org_edit.status == 403 || org_edit.status == 404, "org edit as {who}: {}", org_edit.status);
        }
        let pos = t
            .post_form("/admin/positions", &cookie, &[("name", &format!("Staff {who}")), ("level", "IC4"), ("rank", "9"), ("tier", "2")])
            .await;
        assert_eq!(pos.status == 303, ["admin", "head_of_support"].contains(&who), "add position as {who}: {}", pos.status);
    }
    // Every other form post of the agent app and the portal, with every role.
    let admin_token = t.app.create_api_token(&d.admin.actor(), "victim").await.expect("token").0.to_string();
    let pos_id = t.app.list_positions(&d.admin.actor()).await.expect("positions")[0].id.to_string();
    let version = t.app.ticket(&d.admin.actor(), d.ticket_b).await.expect("ticket").updated_at.to_rfc3339();
    // (path, form fields, roles allowed)
    type FormPost<'a> = (String, Vec<(&'a str, String)>, &'a [&'a str]);
    let posts: Vec<FormPost> = vec![
        (
            "/tickets".into(),
            vec![("requester_email", "x@northwind.example".into()), ("subject", "s".into()), ("body", "b".into()), ("tier", "1".into())],
            WORKERS,
        ),
        (
            format!("/tickets/{b}/fields"),
            vec![
                ("status", "open".into()),
                ("priority", "normal".into()),
                ("ticket_type", "question".into()),
                ("tier", "1".into()),
                ("escalation_level", "0".into()),
                ("version", version.clone()),
            ],
            WORKERS,
        ),
        (
            "/users".into(),
            vec![("email", "{n}@globex.example".into()), ("name", "N".into()), ("role", "customer_member".into())],
            &["admin", "head_of_support", "solutions_engineer"],
        ),
        (
            format!("/users/{}", d.cust_other.id),
            vec![("name", "Raj".into()), ("role", "customer_member".into()), ("active", "on".into())],
            &["admin", "head_of_support", "solutions_engineer"],
        ),
        (
            "/organizations".into(),
            vec![("name", "Org {n}".into()), ("domains", "".into())],
            &["admin", "head_of_support", "solutions_engineer"],
        ),
        ("/teams".into(), vec![("name", "Team {n}".into())], &["admin", "head_of_support", "manager"]),
        (
            format!("/teams/{}", d.team),
            vec![("name", "Integrations".into()), ("description", "{n}".into())],
            &["admin", "head_of_support", "manager"],
        ),
        (
            format!("/admin/positions/{pos_id}"),
            vec![("name", "Support Coordinator".into()), ("level", "IC1".into()), ("rank", "1".into()), ("tier", "1".into())],
            &["admin", "head_of_support"],
        ),
        ("/settings/tokens".into(), vec![("name", "t".into())], STAFF),
        (format!("/settings/tokens/{admin_token}/revoke"), vec![], &["admin"]),
        // Everyone may end their own other sessions (the one posting stays).
        ("/settings/sessions/end-others".into(), vec![], ALL),
        ("/admin/mail/notifications".into(), vec![("ticket_created", "on".into()), ("public_reply", "on".into())], MAIL_ADMINS),
        (
            "/admin/mail/templates/ticket_created".into(),
            vec![("subject", "[#{{ ticket_id }}] Got it: {{ subject }}".into()), ("body", "Thanks! {{ ticket_url }}".into())],
            MAIL_ADMINS,
        ),
        ("/admin/mail/templates/ticket_created/reset".into(), vec![], MAIL_ADMINS),
    ];
    let mut n = 0;
    for (who, user) in d.everyone() {
        let cookie = t.login(&user.email).await;
        for (path, form, allowed) in &posts {
            n += 1;
            let form: Vec<(&str, String)> = form.iter().map(|(k, v)| (*k, v.replace("{n}", &format!("p{n}")))).collect();
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = t.post_form(path, &cookie, &pairs).await;
            if allowed.contains(&who) {
                assert!(r.status == 303 || r.status == 200, "POST {path} as {who}: {} {}", r.status, r.text());
            } else {
                assert!(
                    matches!(r.status.as_u16(), 403 | 404) || (r.status.is_redirection() && r.location().starts_with("/portal")),
                    "POST {path} as {who}: {}",
                    r.status
                );
            }
        }
        // The quarantine's buttons, each on a fresh unreadable mail.
        for action in ["retry", "delete"] {
            let q = t.app.quarantine_raw("support", None, b"not a mail", "unreadable").await.expect("quarantine");
            let r = t.post_form(&format!("/admin/mail/quarantine/{q}/{action}"), &cookie, &[]).await;
            match (MAIL_ADMINS.contains(&who), action) {
                (true, "retry") => assert_eq!(r.status, 422, "retry as {who}: {}", r.text()),
                (true, _) => assert_eq!(r.status, 303, "delete as {who}"),
                (false, _) => assert!(
                    r.status == 403 || (r.status.is_redirection() && r.location().starts_with("/portal")),
                    "{action} as {who}: {}",
                    r.status
                ),
            }
        }
        // Portal posts: customers only.
        let r = t
            .post_form(
                "/portal/tickets",
                &cookie,
                &[("subject", "Help"), ("body", "Please"), ("priority", "normal"), ("ticket_type", "question")],
            )
            .await;
        if user.role.is_customer() {
            assert_eq!(r.status, 303, "portal create as {who}");
        } else {
            assert!(r.status.is_redirection() && r.location() == "/tickets", "staff {who} have no portal");
        }
        let r = t.post_form("/logout", &cookie, &[]).await;
        assert_eq!(r.status, 303);
    }
    // Form posts without a session go to the sign-in page and change nothing.
    for (path, _, _) in &posts {
        let r = t.post_form(path, &Auth::None, &[]).await;
        assert!(r.status.is_redirection() && r.location().starts_with("/login"), "anonymous POST {path}: {}", r.status);
    }
}
on_both_engines!(page_matrix_posts, page_posts);

/// Nobody is signed in: every page goes to the sign-in page.
async fn pages_without_a_session(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (file_public, file_note) = files_on_ticket_a(&t, &d).await;
    let quarantined = t.app.quarantine_raw("support", None, b"not a mail", "unreadable").await.expect("quarantine");
    let staff_pages = staff_pages(&d, quarantined);
    let files = [format!("/attachments/{file_public}"), format!("/attachments/{file_note}")];
    for path in staff_pages.iter().map(|(p, _)| p).chain(files.iter()) {
        let r = t.get(path, &Auth::None).await;
        assert!(r.status.is_redirection() && r.location().starts_with("/login"), "{path} anonymous: {}", r.status);
    }
}
on_both_engines!(page_matrix_anonymous, pages_without_a_session);

/// Customers never receive internal notes, through any surface.
async fn internal_notes_stay_internal(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let r = t
        .post_json(
            &format!("/api/v1/tickets/{}/messages", d.ticket_a),
            &agent,
            &json!({"kind": "internal", "body": "SECRET-NOTE customer is on the legacy plan"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent, &json!({"body": "We are looking into it."})).await;
    assert_eq!(r.status, 201);
    for user in [&d.cust_admin, &d.cust_member] {
        let auth = t.token_for(user).await;
        let msgs = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &auth).await;
        assert_eq!(msgs.status, 200);
        let text = msgs.text();
        assert!(text.contains("We are looking into it."), "{text}");
        assert!(!text.contains("SECRET-NOTE") && !text.contains("\"internal\""), "customer saw a note: {text}");
        let events = t.get(&format!("/api/v1/tickets/{}/events", d.ticket_a), &auth).await.text();
        assert!(!events.contains("internal_note"), "customer saw a note event: {events}");
        let ticket = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &auth).await.json();
        assert!(ticket.get("tier").is_none() && ticket.get("tags").is_none(), "agent-only fields leaked: {ticket}");
        let cookie = t.login(&user.email).await;
        let page = t.get(&format!("/portal/tickets/{}", d.ticket_a), &cookie).await.text();
        assert!(page.contains("We are looking into it.") && !page.contains("SECRET-NOTE"));
        // A customer cannot write one either.
        let r = t.post_json(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &auth, &json!({"kind": "internal", "body": "x"})).await;
        assert_eq!(r.status, 403);
    }
}
on_both_engines!(internal_notes, internal_notes_stay_internal);

/// A customer's ticket list is their own (or their organization's), whatever the filters.
async fn customer_lists_are_scoped(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let org_admin = t.token_for(&d.cust_admin).await;
    // The foreign organization sees nothing at all, and the list is scoped.
    let foreign = t.token_for(&d.foreign_admin).await;
    let list = t.get("/api/v1/tickets", &foreign).await.json();
    let ids: Vec<i64> = list["data"].as_array().expect("data").iter().map(|t| t["id"].as_i64().unwrap_or(0)).collect();
    assert_eq!(ids, vec![d.ticket_b]);
    let member = t.token_for(&d.cust_other).await;
    let list = t.get("/api/v1/tickets", &member).await.json();
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "a data engineer sees only their own tickets");
    let list = t.get(&format!("/api/v1/tickets?organization_id={}", d.org_b), &org_admin).await.json();
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "filters cannot widen a customer's scope");
    // Filters on agent-only fields are ignored for customers, so they reveal nothing.
    t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"tags": ["angry-customer"]})).await;
    let with_tag = t.get("/api/v1/tickets?tag=angry-customer", &org_admin).await.json();
    let without = t.get("/api/v1/tickets?tag=no-such-tag", &org_admin).await.json();
    assert_eq!(with_tag["data"], without["data"], "a tag filter must not tell customers which tags a ticket has");
}
on_both_engines!(customer_list_scope, customer_lists_are_scoped);

async fn account_notes_are_the_vendors(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let org_admin = t.token_for(&d.cust_admin).await;
    // Account notes are the vendor's.
    let admin = t.token_for(&d.admin).await;
    t.patch_json(&format!("/api/v1/organizations/{}", d.org_a), &admin, &json!({"notes": "renewal at risk"})).await;
    let own_org = t.get(&format!("/api/v1/organizations/{}", d.org_a), &org_admin).await.text();
    assert!(!own_org.contains("renewal at risk") && own_org.contains("Northwind"), "{own_org}");
    assert!(t.get(&format!("/api/v1/organizations/{}", d.org_a), &admin).await.text().contains("renewal at risk"));
}
on_both_engines!(account_notes, account_notes_are_the_vendors);

/// /metrics belongs to the scraper, not to a role: with a metrics token
/// configured, no one's session or API token opens it (401), and without
/// one it does not exist for anyone (404).
async fn metrics_route(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let mut credentials = vec![];
    for (who, user) in d.everyone() {
        credentials.push((who, "session", t.login(&user.email).await));
        credentials.push((who, "API token", t.token_for(user).await));
    }
    for (who, kind, auth) in &credentials {
        assert_eq!(t.get("/metrics", auth).await.status, 404, "{who} ({kind}) without metrics configured");
    }
    let t = t.with_metrics(frontline_web::metrics::MetricsAccess::Token("scraper-token".into()));
    for (who, kind, auth) in &credentials {
        let r = t.get("/metrics", auth).await;
        assert_eq!(r.status, 401, "{who} ({kind})");
        assert_eq!(r.error_code(), "unauthenticated");
    }
    assert_eq!(t.get("/metrics", &Auth::Token("scraper-token".into())).await.status, 200);
}
on_both_engines!(metrics_matrix, metrics_route);
