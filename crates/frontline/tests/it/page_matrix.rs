//! The page authorization matrix, derived from the router as the API's is
//! from the OpenAPI document: every page route (GET and POST) the router
//! serves is requested as every role and without a session, and a route
//! missing from the expected table fails the test.

use std::collections::BTreeSet;

use frontline_testkit::{Auth, PASSWORD, TestApp, TestDb, TestResponse, on_both_engines};

use crate::authz::{FreshSla, MAIL_ADMINS, SLA_ADMINS, STAFF, WORKERS};
use crate::fixtures::Desk;

/// What a signed-in persona must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exp {
    /// 200 for a page, 303 for a form.
    Ok,
    Forbidden,
    NotFound,
    /// Sent elsewhere (`/` to the right app, sign-out to the sign-in page).
    Redirect,
    /// Reached, and this input refused with a field error (422).
    Invalid,
    /// A link that does not work (a reset token): 400 with the reason.
    BadRequest,
    /// Customers on an agent page: the portal, a 403 or a 404; never the page.
    NotForCustomers,
    /// Staff on a portal route: the agent app.
    NotForStaff,
}

const DIRECTORY_EDITORS: &[&str] = &["admin", "head_of_support", "solutions_engineer"];
const TEAM_EDITORS: &[&str] = &["admin", "head_of_support", "manager"];
const POSITION_EDITORS: &[&str] = &["admin", "head_of_support"];

fn is_customer(who: &str) -> bool {
    !STAFF.contains(&who)
}

/// An agent page (or form) for `allowed` among staff.
fn agent(allowed: &'static [&'static str]) -> impl Fn(&str) -> Exp {
    move |who| {
        if is_customer(who) {
            Exp::NotForCustomers
        } else if allowed.contains(&who) {
            Exp::Ok
        } else {
            Exp::Forbidden
        }
    }
}

/// A portal route, for customers who may see ticket A (or any customer when `any`).
fn portal(any: bool) -> impl Fn(&str) -> Exp {
    move |who| match who {
        w if !is_customer(w) => Exp::NotForStaff,
        "customer_admin" | "customer_member" => Exp::Ok,
        _ if any => Exp::Ok,
        _ => Exp::NotFound,
    }
}

struct PageCase {
    method: &'static str,
    /// The route as the router has it.
    route: &'static str,
    /// The route with real ids and query.
    path: String,
    form: Vec<(&'static str, String)>,
    expect: Box<dyn Fn(&str) -> Exp>,
}

fn case(
    method: &'static str,
    route: &'static str,
    path: String,
    form: &[(&'static str, &str)],
    expect: impl Fn(&str) -> Exp + 'static,
) -> PageCase {
    PageCase { method, route, path, form: form.iter().map(|(k, v)| (*k, v.to_string())).collect(), expect: Box::new(expect) }
}

fn check(r: &TestResponse, expected: Exp, method: &str, what: &str) {
    let status = r.status.as_u16();
    let to = if r.status.is_redirection() { r.location() } else { String::new() };
    let ok = match expected {
        Exp::Ok if method == "GET" => status == 200,
        Exp::Ok => status == 303 || status == 200,
        Exp::Forbidden => status == 403,
        Exp::NotFound => status == 404,
        Exp::Invalid => status == 422,
        Exp::BadRequest => status == 400,
        Exp::Redirect => r.status.is_redirection(),
        Exp::NotForCustomers => status == 403 || status == 404 || to.starts_with("/portal"),
        Exp::NotForStaff => r.status.is_redirection() && to.starts_with("/tickets"),
    };
    assert!(ok, "{what}: expected {expected:?}, got {status} {to} {}", if r.status.is_redirection() { String::new() } else { r.text() });
}

async fn every_page_route(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (a, b) = (d.ticket_a, d.ticket_b);
    let agent_auth = t.token_for(&d.agent).await;
    let reply = t.post_json(&format!("/api/v1/tickets/{a}/messages"), &agent_auth, &serde_json::json!({"body": "see the file"})).await;
    let public_message = reply.json()["id"].as_i64().expect("message");
    let file = t
        .app
        .reply(
            &d.agent.actor(),
            a,
            &frontline_app::tickets::ReplyInput {
                kind: frontline_domain::ticket::MessageKind::Public,
                body: "log".into(),
                status: None,
                channel: frontline_domain::ticket::Channel::Api,
                attachments: vec![frontline_app::tickets::NewAttachment {
                    filename: "a.log".into(),
                    content_type: "text/plain".into(),
                    content_id: None,
                    inline: false,
                    data: b"log".to_vec(),
                }],
            },
        )
        .await
        .expect("reply")
        .attachments[0]
        .id;
    let pos = t.app.list_positions(&d.admin.actor()).await.expect("positions")[0].id;
    let version = || async { t.app.ticket(&d.admin.actor(), b).await.expect("ticket").updated_at.to_rfc3339() };
    // One rule: the admin (first persona) reads, saves and at last deletes it; nobody else gets past 403.
    let rule_draft = frontline_domain::rules::RuleDraft {
        name: "Matrix rule".into(),
        enabled: true,
        condition: "near_breach".into(),
        action: "escalate".into(),
        ..Default::default()
    };
    let rule = t.app.create_rule(&d.admin.actor(), &rule_draft).await.expect("rule").id;

    // Cases that need fresh data per request are built per persona.
    // `fresh`: a new tier-1 ticket of org A's member per persona, to escalate.
    // `help_a`, `help_w`: open questions of the agent's, to answer and to withdraw.
    let agent_id = d.agent.id.to_string();
    // `sla`: fresh SLA rows per persona, to change and delete.
    // `note`: a new bell item of the agent's, to open.
    let cases = |n: usize,
                 quarantined: i64,
                 token: i64,
                 version: String,
                 fresh: i64,
                 help_a: i64,
                 help_w: i64,
                 sla: FreshSla,
                 note: i64|
     -> Vec<PageCase> {
        let uniq = format!("p{n}");
        vec![
            case("GET", "/", "/".into(), &[], |_| Exp::Redirect),
            case("GET", "/login", "/login".into(), &[], |_| Exp::Ok),
            case("GET", "/tickets", "/tickets?view=tier".into(), &[], agent(STAFF)),
            case(
                "POST",
                "/tickets",
                "/tickets".into(),
                &[("requester_email", "x@northwind.example"), ("subject", "s"), ("body", "b"), ("tier", "1")],
                agent(WORKERS),
            ),
            case("GET", "/tickets/new", "/tickets/new".into(), &[], agent(WORKERS)),
            case("GET", "/tickets/{id}", format!("/tickets/{a}"), &[], agent(STAFF)),
            case("POST", "/tickets/{id}/reply", format!("/tickets/{a}/reply"), &[("kind", "internal"), ("body", "checked")], |w| match w {
                "leadership" => Exp::Forbidden,
                w if is_customer(w) => Exp::NotForCustomers,
                _ => Exp::Ok,
            }),
            // No mail is held on ticket A: workers find none, the others may not accept.
            case(
                "POST",
                "/tickets/{id}/messages/{message_id}/accept",
                format!("/tickets/{a}/messages/{public_message}/accept"),
                &[],
                |w| match w {
                    w if WORKERS.contains(&w) => Exp::NotFound,
                    w if is_customer(w) => Exp::NotForCustomers,
                    _ => Exp::Forbidden,
                },
            ),
            case("GET", "/attachments/{id}", format!("/attachments/{file}"), &[], |w| match w {
                "customer_other" | "foreign_admin" => Exp::NotFound,
                _ => Exp::Ok,
            }),
            case(
                "POST",
                "/tickets/{id}/fields",
                format!("/tickets/{b}/fields"),
                &[
                    ("status", "open"),
                    ("priority", "normal"),
                    ("ticket_type", "question"),
                    ("tier", "1"),
                    ("escalation_level", "0"),
                    ("version", &version),
                ],
                agent(WORKERS),
            ),
            case("POST", "/tickets/{id}/escalate", format!("/tickets/{fresh}/escalate"), &[("reason", "stuck")], agent(WORKERS)),
            case("POST", "/tickets/{id}/needs-senior", format!("/tickets/{fresh}/needs-senior"), &[("reason", "angry")], agent(WORKERS)),
            // Ticket A is at tier 1: those who may send it down are told there is no step below.
            // A Solutions Engineer without a tiered position works no step, so sends nothing down.
            case("POST", "/tickets/{id}/de-escalate", format!("/tickets/{a}/de-escalate"), &[("reason", "back")], |w| {
                match agent(WORKERS)(w) {
                    Exp::Ok if w == "solutions_engineer" => Exp::Forbidden,
                    Exp::Ok => Exp::Invalid,
                    other => other,
                }
            }),
            case(
                "POST",
                "/tickets/{id}/help-requests",
                format!("/tickets/{a}/help-requests"),
                &[("to", "tier:2"), ("question", "Seen it?")],
                |w| match w {
                    "leadership" => Exp::Forbidden,
                    w => agent(STAFF)(w),
                },
            ),
            case("GET", "/help-requests", "/help-requests".into(), &[], agent(STAFF)),
            case("POST", "/help-requests/{id}/answer", format!("/help-requests/{help_a}/answer"), &[("answer", "Yes")], |w| match w {
                "leadership" => Exp::Forbidden,
                w => agent(STAFF)(w),
            }),
            case("POST", "/help-requests/{id}/withdraw", format!("/help-requests/{help_w}/withdraw"), &[], agent(&["admin", "agent"])),
            case("GET", "/home", "/home".into(), &[], agent(STAFF)),
            case("GET", "/workload", "/workload".into(), &[], agent(crate::authz::WORKLOAD_VIEWERS)),
            case("GET", "/workload/tickets", "/workload/tickets?state=open&tier=1".into(), &[], agent(crate::authz::WORKLOAD_VIEWERS)),
            // Without a version (the page always sends one) an assignment applies to the ticket as it is.
            case("POST", "/workload/tickets/{id}/take", format!("/workload/tickets/{fresh}/take"), &[], agent(WORKERS)),
            case(
                "POST",
                "/workload/tickets/{id}/assign",
                format!("/workload/tickets/{fresh}/assign"),
                &[("assignee_id", agent_id.as_str())],
                agent(WORKERS),
            ),
            case("GET", "/search", "/search?q=webhook".into(), &[], agent(STAFF)),
            case("GET", "/partials/queue-counts", "/partials/queue-counts?active=open".into(), &[], agent(STAFF)),
            case("GET", "/users", "/users?kind=customers".into(), &[], agent(STAFF)),
            case(
                "POST",
                "/users",
                "/users".into(),
                &[("email", &format!("{uniq}@globex.example")), ("name", "N"), ("role", "customer_member")],
                agent(DIRECTORY_EDITORS),
            ),
            case("GET", "/users/new", "/users/new".into(), &[], agent(DIRECTORY_EDITORS)),
            case("GET", "/users/{id}", format!("/users/{}", d.cust_member.id), &[], agent(STAFF)),
            case(
                "POST",
                "/users/{id}",
                format!("/users/{}", d.cust_other.id),
                &[("name", "Raj"), ("role", "customer_member"), ("active", "on")],
                agent(DIRECTORY_EDITORS),
            ),
            case("GET", "/organizations", "/organizations".into(), &[], agent(STAFF)),
            case(
                "POST",
                "/organizations",
                "/organizations".into(),
                &[("name", &format!("Org {uniq}")), ("domains", "")],
                agent(DIRECTORY_EDITORS),
            ),
            case("GET", "/organizations/{id}", format!("/organizations/{}", d.org_a), &[], agent(STAFF)),
            case(
                "POST",
                "/organizations/{id}",
                format!("/organizations/{}", d.org_b),
                &[("name", "Globex"), ("domains", "globex.example"), ("notes", &uniq)],
                agent(DIRECTORY_EDITORS),
            ),
            case("GET", "/teams", "/teams".into(), &[], agent(STAFF)),
            case("POST", "/teams", "/teams".into(), &[("name", &format!("Team {uniq}"))], agent(TEAM_EDITORS)),
            case("GET", "/teams/{id}", format!("/teams/{}", d.team), &[], agent(STAFF)),
            case(
                "POST",
                "/teams/{id}",
                format!("/teams/{}", d.team),
                &[("name", "Integrations"), ("description", &uniq)],
                agent(TEAM_EDITORS),
            ),
            case("GET", "/admin/positions", "/admin/positions".into(), &[], agent(STAFF)),
            case(
                "POST",
                "/admin/positions",
                "/admin/positions".into(),
                &[("name", &format!("Staff {uniq}")), ("level", "IC4"), ("rank", "9"), ("tier", "2")],
                agent(POSITION_EDITORS),
            ),
            case(
                "POST",
                "/admin/positions/{id}",
                format!("/admin/positions/{pos}"),
                &[("name", "Support Coordinator"), ("level", "IC1"), ("rank", "1"), ("tier", "1")],
                agent(POSITION_EDITORS),
            ),
            case("GET", "/admin/audit", "/admin/audit".into(), &[], agent(&["admin"])),
            case("GET", "/admin/rules", "/admin/rules".into(), &[], agent(&["admin"])),
            case(
                "POST",
                "/admin/rules",
                "/admin/rules".into(),
                &[("name", &format!("Rule {uniq}")), ("condition", "near_breach"), ("action", "escalate")],
                agent(&["admin"]),
            ),
            case("GET", "/admin/rules/{id}", format!("/admin/rules/{rule}"), &[], agent(&["admin"])),
            case(
                "POST",
                "/admin/rules/{id}",
                format!("/admin/rules/{rule}"),
                &[("name", "Matrix rule"), ("condition", "breached"), ("action", "escalate")],
                agent(&["admin"]),
            ),
            case("POST", "/admin/rules/{id}/delete", format!("/admin/rules/{rule}/delete"), &[], agent(&["admin"])),
            case("GET", "/admin/mail", "/admin/mail".into(), &[], agent(MAIL_ADMINS)),
            case(
                "POST",
                "/admin/mail/notifications",
                "/admin/mail/notifications".into(),
                &[("ticket_created", "on"), ("public_reply", "on")],
                agent(MAIL_ADMINS),
            ),
            case(
                "POST",
                "/admin/mail/templates/{kind}",
                "/admin/mail/templates/ticket_created".into(),
                &[("subject", "[#{{ ticket_id }}] Got it: {{ subject }}"), ("body", "Thanks! {{ ticket_url }}")],
                agent(MAIL_ADMINS),
            ),
            case(
                "POST",
                "/admin/mail/templates/{kind}/reset",
                "/admin/mail/templates/ticket_created/reset".into(),
                &[],
                agent(MAIL_ADMINS),
            ),
            case("GET", "/admin/mail/quarantine/{id}/raw", format!("/admin/mail/quarantine/{quarantined}/raw"), &[], agent(MAIL_ADMINS)),
            // An unreadable mail cannot be taken in again: admins get the form's 422.
            case("POST", "/admin/mail/quarantine/{id}/retry", format!("/admin/mail/quarantine/{quarantined}/retry"), &[], |w| {
                if MAIL_ADMINS.contains(&w) { Exp::Invalid } else { agent(MAIL_ADMINS)(w) }
            }),
            case(
                "POST",
                "/admin/mail/quarantine/{id}/delete",
                format!("/admin/mail/quarantine/{quarantined}/delete"),
                &[],
                agent(MAIL_ADMINS),
            ),
            case("GET", "/admin/sla", "/admin/sla".into(), &[], agent(SLA_ADMINS)),
            case("POST", "/admin/sla/plans", "/admin/sla/plans".into(), &[("name", &format!("Plan {uniq}"))], agent(SLA_ADMINS)),
            case(
                "POST",
                "/admin/sla/plans/{id}",
                format!("/admin/sla/plans/{}", sla.plan),
                &[("name", &format!("Renamed plan {uniq}"))],
                agent(SLA_ADMINS),
            ),
            case("POST", "/admin/sla/plans/{id}/delete", format!("/admin/sla/plans/{}/delete", sla.plan), &[], agent(SLA_ADMINS)),
            case("GET", "/admin/sla/calendars/new", "/admin/sla/calendars/new".into(), &[], agent(SLA_ADMINS)),
            case(
                "POST",
                "/admin/sla/calendars",
                "/admin/sla/calendars".into(),
                &[("name", &format!("Calendar {uniq}")), ("time_zone", "UTC"), ("mon", "09:00-17:00")],
                agent(SLA_ADMINS),
            ),
            case("GET", "/admin/sla/calendars/{id}", format!("/admin/sla/calendars/{}", sla.cal), &[], agent(SLA_ADMINS)),
            case(
                "POST",
                "/admin/sla/calendars/{id}",
                format!("/admin/sla/calendars/{}", sla.cal),
                &[("name", &format!("Calendar renamed {uniq}")), ("time_zone", "Europe/Berlin"), ("tue", "09:00-12:00, 13:00-17:00")],
                agent(SLA_ADMINS),
            ),
            case("POST", "/admin/sla/calendars/{id}/delete", format!("/admin/sla/calendars/{}/delete", sla.cal), &[], agent(SLA_ADMINS)),
            case("GET", "/admin/sla/policies/new", "/admin/sla/policies/new".into(), &[], agent(SLA_ADMINS)),
            case(
                "POST",
                "/admin/sla/policies",
                "/admin/sla/policies".into(),
                &[("name", &format!("Policy {uniq}")), ("calendar_id", &sla.used.to_string()), ("targets.high.first_reply", "2")],
                agent(SLA_ADMINS),
            ),
            case("GET", "/admin/sla/policies/{id}", format!("/admin/sla/policies/{}", sla.policy), &[], agent(SLA_ADMINS)),
            case(
                "POST",
                "/admin/sla/policies/{id}",
                format!("/admin/sla/policies/{}", sla.policy),
                &[("name", &format!("Policy renamed {uniq}")), ("calendar_id", &sla.used.to_string())],
                agent(SLA_ADMINS),
            ),
            case(
                "POST",
                "/admin/sla/policies/{id}/move",
                format!("/admin/sla/policies/{}/move", sla.policy),
                &[("direction", "up"), ("seen", &sla.policy.to_string())],
                agent(SLA_ADMINS),
            ),
            case("POST", "/admin/sla/policies/{id}/delete", format!("/admin/sla/policies/{}/delete", sla.policy), &[], agent(SLA_ADMINS)),
            case(
                "POST",
                "/organizations/{id}/support-plan",
                format!("/organizations/{}/support-plan", d.org_b),
                &[("support_plan_id", "")],
                agent(SLA_ADMINS),
            ),
            case("GET", "/notifications", "/notifications?unread=true".into(), &[], agent(STAFF)),
            case("POST", "/notifications/read-all", "/notifications/read-all".into(), &[], agent(STAFF)),
            // Only its recipient opens an item; other staff find none.
            case("POST", "/notifications/{id}/open", format!("/notifications/{note}/open"), &[], |w| match w {
                "agent" => Exp::Ok,
                w if is_customer(w) => Exp::NotForCustomers,
                _ => Exp::NotFound,
            }),
            case("GET", "/settings/notifications", "/settings/notifications".into(), &[], agent(STAFF)),
            case("POST", "/settings/notifications", "/settings/notifications".into(), &[("ticket_escalated.in_app", "on")], agent(STAFF)),
            case("GET", "/settings/tokens", "/settings/tokens".into(), &[], agent(STAFF)),
            case("POST", "/settings/tokens", "/settings/tokens".into(), &[("name", "t")], agent(STAFF)),
            case("POST", "/settings/tokens/{id}/revoke", format!("/settings/tokens/{token}/revoke"), &[], |w| match w {
                // The admin's own token; someone else's is none of theirs.
                "admin" => Exp::Ok,
                w if is_customer(w) => Exp::NotForCustomers,
                _ => Exp::NotFound,
            }),
            // Password reset is for whoever asks, signed in or not; a made-up link is explained.
            case("GET", "/password/forgot", "/password/forgot".into(), &[], |_| Exp::Ok),
            case("POST", "/password/forgot", "/password/forgot".into(), &[("email", &format!("{uniq}@nowhere.example"))], |_| Exp::Ok),
            case("GET", "/password/reset", "/password/reset?token=made-up".into(), &[], |_| Exp::BadRequest),
            case("POST", "/password/reset", "/password/reset".into(), &[("token", "made-up"), ("password", "a new long password")], |_| {
                Exp::BadRequest
            }),
            // Everyone's own account: staff in the agent app, customers in the portal.
            case("GET", "/settings/password", "/settings/password".into(), &[], |_| Exp::Ok),
            case(
                "POST",
                "/settings/password",
                "/settings/password".into(),
                &[("current_password", "not the password"), ("password", "a new long password")],
                |_| Exp::Invalid,
            ),
            case("GET", "/settings/sessions", "/settings/sessions".into(), &[], |_| Exp::Ok),
            case("POST", "/settings/sessions/{id}/end", "/settings/sessions/0000000000000000/end".into(), &[], |_| Exp::NotFound),
            case("POST", "/settings/sessions/end-others", "/settings/sessions/end-others".into(), &[], |_| Exp::Ok),
            // The top bar's availability: those who are given tickets.
            case("POST", "/settings/availability", "/settings/availability".into(), &[("availability", "available")], agent(WORKERS)),
            case("GET", "/portal", "/portal".into(), &[], portal(true)),
            case("GET", "/portal/new", "/portal/new".into(), &[], portal(true)),
            case(
                "POST",
                "/portal/tickets",
                "/portal/tickets".into(),
                &[("subject", "Help"), ("body", "Please"), ("priority", "normal"), ("ticket_type", "question")],
                portal(true),
            ),
            case("GET", "/portal/tickets/{id}", format!("/portal/tickets/{a}"), &[], portal(false)),
            case("POST", "/portal/tickets/{id}/reply", format!("/portal/tickets/{a}/reply"), &[("body", "me too")], portal(false)),
            // Signing in again works whoever is signed in; signing out comes last.
            case("POST", "/login", "/login".into(), &[("email", "admin@vendor.example"), ("password", PASSWORD)], |_| Exp::Redirect),
            case("POST", "/logout", "/logout".into(), &[], |_| Exp::Redirect),
        ]
    };

    // The table covers every route the router serves, and nothing else.
    let served: BTreeSet<(String, String)> =
        frontline_web::page_routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let table: BTreeSet<(String, String)> = cases(0, 0, 0, String::new(), 0, 0, 0, FreshSla::default(), 0)
        .iter()
        .map(|c| (c.method.to_string(), c.route.to_string()))
        .collect();
    let missing: Vec<_> = served.difference(&table).collect();
    assert!(missing.is_empty(), "page routes missing from the authorization matrix: {missing:?}");
    let stale: Vec<_> = table.difference(&served).collect();
    assert!(stale.is_empty(), "the matrix names routes the router does not serve: {stale:?}");

    let mut n = 0;
    for (who, user) in d.everyone() {
        let cookie = t.login(&user.email).await;
        let quarantined = t.app.quarantine_raw("support", None, format!("not a mail {who}").as_bytes(), "unreadable").await.expect("q");
        let token = t.app.create_api_token(&d.admin.actor(), "victim").await.expect("token").0;
        n += 1;
        let fresh = crate::authz::fresh_ticket(&t, &d).await;
        let asker = d.agent.actor();
        let help_a = t.app.ask_for_help(&asker, a, None, Some(2), "Seen it?").await.expect("ask").id;
        let help_w = t.app.ask_for_help(&asker, a, None, Some(2), "Seen it?").await.expect("ask").id;
        let sla = crate::authz::fresh_sla_rows(&t, &d, 1000 + n).await;
        let note = crate::authz::agent_notification(&t, &d).await;
        for c in cases(n, quarantined, token, version().await, fresh, help_a, help_w, sla, note) {
            let pairs: Vec<(&str, &str)> = c.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = if c.method == "GET" { t.get(&c.path, &cookie).await } else { t.post_form(&c.path, &cookie, &pairs).await };
            check(&r, (c.expect)(who), c.method, &format!("{} {} as {who}", c.method, c.path));
        }
    }

    // Without a session every route leads to the sign-in page, but the sign-in page itself.
    for c in cases(0, 1, 1, version().await, 1, 1, 1, FreshSla { cal: 1, used: 1, plan: 1, policy: 1 }, 1) {
        let pairs: Vec<(&str, &str)> = c.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = if c.method == "GET" { t.get(&c.path, &Auth::None).await } else { t.post_form(&c.path, &Auth::None, &pairs).await };
        let what = format!("{} {} anonymous", c.method, c.path);
        match (c.method, c.route) {
            ("GET", "/login") => assert_eq!(r.status, 200, "{what}"),
            ("POST", "/login") => assert!(r.status.is_redirection() && r.location() == "/tickets", "{what}: {}", r.status),
            ("GET" | "POST", "/password/forgot") => assert_eq!(r.status, 200, "{what}"),
            ("GET" | "POST", "/password/reset") => assert_eq!(r.status, 400, "{what}"),
            _ => assert!(r.status.is_redirection() && r.location().starts_with("/login"), "{what}: {}", r.status),
        }
    }
}
on_both_engines!(page_route_matrix, every_page_route);
