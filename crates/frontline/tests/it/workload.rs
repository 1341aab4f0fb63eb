//! The workload view: the right counts per agent and per tier (tickets in
//! every state, SLA state from the SLA pass at a moved clock), who may see
//! it, one-click take and reassign (a stale or losing click is told so),
//! the landing page of each role, and engineering's queue.

use std::collections::BTreeMap;

use chrono::Duration;
use frontline_app::escalation::StepRequest;
use frontline_app::tickets::{NewTicketInput, ReplyInput, TicketPatch};
use frontline_domain::authz::Actor;
use frontline_domain::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec};
use frontline_domain::ticket::{Channel, MessageKind, Priority};
use frontline_store::User;
use frontline_store::sla::PolicyInput;
use frontline_testkit::{Auth, PASSWORD, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::escalation::senior;
use crate::fixtures::Desk;

/// The desk at "now", 80 minutes after the first tickets came in, under a
/// policy of a 60-minute first reply (calendar time; near breach 15
/// minutes before).
pub(crate) struct Load {
    pub t: TestApp,
    pub d: Desk,
    pub senior: User,
    /// Tier 1, the agent's: overdue (no reply for 80 minutes).
    pub overdue_mine: i64,
    /// Tier 1, the agent's: answered, nothing running.
    pub answered: i64,
    /// Tier 2, the senior's: pending (the clock paused at once).
    pub pending: i64,
    /// Tier 2, the senior's: 50 minutes old, near breach.
    pub near_senior: i64,
    /// Tier 1, nobody's: 50 minutes old, near breach.
    pub near_unassigned: i64,
}

/// The SLA pass, as its scheduler would run it, until nothing is left.
async fn sla_pass(t: &TestApp) {
    loop {
        let report = t.app.sla_pass(&Actor::System, 1000).await.expect("sla pass");
        if !report.more {
            break;
        }
    }
}

async fn customer_ticket(t: &TestApp, d: &Desk, subject: &str) -> i64 {
    let input = NewTicketInput { subject: subject.into(), body: "It stopped working.".into(), ..Default::default() };
    t.app.create_ticket(&d.cust_member.actor(), &input, Channel::Portal).await.expect("ticket").id
}

async fn patch(t: &TestApp, d: &Desk, id: i64, patch: TicketPatch) {
    t.app.update_ticket(&d.admin.actor(), id, &patch).await.expect("patch");
}

pub(crate) async fn under_load(db: TestDb) -> Load {
    let t = TestApp::new(db).await;
    let store = t.store();
    let calendar = BusinessCalendar::new(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]),
        holidays: vec![],
    })
    .expect("calendar");
    let cal = store.create_calendar("Berlin", &calendar, None).await.expect("calendar");
    let targets = PriorityTargets { first_reply: Some(Target::calendar(60)), next_reply: None, resolution: None };
    let policy = SlaPolicy {
        conditions: vec![],
        targets: Priority::ALL.iter().map(|p| (*p, targets)).collect::<BTreeMap<_, _>>(),
        step_shares: BTreeMap::new(),
    }
    .checked()
    .expect("policy");
    store.create_sla_policy(PolicyInput { name: "Everyone", calendar_id: cal, policy: &policy }, None).await.expect("policy");

    // Desk's own two tickets come in now, unassigned at tier 1: overdue at the end.
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    let overdue_mine = customer_ticket(&t, &d, "Exports time out").await;
    patch(&t, &d, overdue_mine, TicketPatch { assignee_id: Some(Some(d.agent.id)), ..Default::default() }).await;
    let answered = customer_ticket(&t, &d, "How do I rotate keys?").await;
    patch(&t, &d, answered, TicketPatch { assignee_id: Some(Some(d.agent.id)), ..Default::default() }).await;
    let reply = ReplyInput {
        kind: MessageKind::Public,
        body: "Settings, then API keys.".into(),
        status: None,
        channel: Channel::Web,
        attachments: vec![],
    };
    t.app.reply(&d.agent.actor(), answered, &reply).await.expect("reply");
    let pending = customer_ticket(&t, &d, "Waiting for the customer's logs").await;
    // To tier 2 the way agents move tickets: escalated, then given to the senior.
    let escalate = |id: i64| {
        let (t, agent) = (&t, d.agent.actor());
        async move {
            t.app.step(&agent, id, &StepRequest::escalate("Needs tier 2", None, Channel::Web)).await.expect("escalate");
        }
    };
    let to_senior =
        |status: Option<&str>| TicketPatch { assignee_id: Some(Some(senior.id)), status: status.map(str::to_string), ..Default::default() };
    escalate(pending).await;
    patch(&t, &d, pending, to_senior(Some("pending"))).await;

    t.clock.advance(Duration::minutes(30));
    let near_senior = customer_ticket(&t, &d, "Webhook retries pile up").await;
    escalate(near_senior).await;
    patch(&t, &d, near_senior, to_senior(None)).await;
    let near_unassigned = customer_ticket(&t, &d, "SSO loop for EU users").await;
    t.app.ask_for_help(&d.agent.actor(), overdue_mine, Some(senior.id), None, "Seen this timeout?").await.expect("ask senior");
    t.app.ask_for_help(&d.agent.actor(), overdue_mine, None, Some(2), "Anyone on tier 2?").await.expect("ask tier");

    t.clock.advance(Duration::minutes(50));
    sla_pass(&t).await;
    Load { t, d, senior, overdue_mine, answered, pending, near_senior, near_unassigned }
}

fn tier(w: &Value, n: i64) -> Value {
    w["tiers"].as_array().expect("tiers").iter().find(|g| g["tier"] == n).cloned().unwrap_or_else(|| panic!("tier {n} in {w}"))
}

fn agent(w: &Value, id: i64) -> Value {
    let all = w["tiers"].as_array().expect("tiers").iter().flat_map(|g| g["agents"].as_array().expect("agents").clone());
    all.into_iter().find(|a| a["agent"]["id"] == id).unwrap_or_else(|| panic!("agent {id} in {w}"))
}

fn counts(open: i64, pending: i64, near_breach: i64, overdue: i64) -> Value {
    json!({"open": open, "pending": pending, "near_breach": near_breach, "overdue": overdue})
}

async fn counts_per_agent_and_tier(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    let r = t.get("/api/v1/workload", &t.token_for(&d.head).await).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let w = r.json();

    let agent_row = agent(&w, d.agent.id);
    assert_eq!(agent_row["counts"], counts(2, 0, 0, 1), "{agent_row}");
    assert_eq!((agent_row["oldest"]["id"].clone(), agent_row["help_waiting"].clone()), (json!(l.overdue_mine), json!(0)));
    assert_eq!(agent_row["oldest"]["age_minutes"], 80);
    assert_eq!(agent_row["availability"], "available");
    let senior_row = agent(&w, l.senior.id);
    assert_eq!(senior_row["counts"], counts(1, 1, 1, 0), "{senior_row}");
    assert_eq!((senior_row["oldest"]["id"].clone(), senior_row["help_waiting"].clone()), (json!(l.pending), json!(1)));

    // Agents sit in their queue's tier: the tier-1 agent, the senior (and
    // the manager, who has no position and so works tier 2) at tier 2, the Head at 3.
    let t1 = tier(&w, 1);
    let ids =
        |g: &Value| g["agents"].as_array().expect("agents").iter().map(|a| a["agent"]["id"].as_i64().expect("id")).collect::<Vec<_>>();
    assert_eq!((ids(&t1), ids(&tier(&w, 2)), ids(&tier(&w, 3))), (vec![d.agent.id], vec![d.manager.id, l.senior.id], vec![d.head.id]));
    // Tier 1 holds the desk's two tickets and the unassigned one (nobody's), and the agent's two.
    assert_eq!(t1["totals"], counts(5, 0, 1, 3), "{t1}");
    assert_eq!(t1["unassigned"], counts(3, 0, 1, 2), "{t1}");
    assert_eq!((t1["oldest"]["id"].clone(), t1["help_waiting"].clone()), (json!(d.ticket_a), json!(0)));
    let t2 = tier(&w, 2);
    assert_eq!(
        (t2["totals"].clone(), t2["unassigned"].clone(), t2["help_waiting"].clone()),
        (counts(1, 1, 1, 0), counts(0, 0, 0, 0), json!(1))
    );
    assert_eq!(tier(&w, 3)["totals"], counts(0, 0, 0, 0));

    // Nobody's tickets at risk, most overdue first, then the one near breach.
    let risk: Vec<(i64, bool)> = w["unassigned_at_risk"]
        .as_array()
        .expect("risk")
        .iter()
        .map(|r| (r["id"].as_i64().expect("id"), r["overdue"].as_bool().expect("overdue")))
        .collect();
    assert_eq!(risk, vec![(d.ticket_a, true), (d.ticket_b, true), (l.near_unassigned, false)]);

    // Taking one moves it between the counts.
    let version = w["unassigned_at_risk"][2]["updated_at"].clone();
    let r = t
        .patch_json(
            &format!("/api/v1/tickets/{}", l.near_unassigned),
            &t.token_for(&l.senior).await,
            &json!({"assignee_id": l.senior.id, "expected_updated_at": version}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let w = t.get("/api/v1/workload", &t.token_for(&l.senior).await).await.json();
    assert_eq!(agent(&w, l.senior.id)["counts"], counts(2, 1, 2, 0));
    assert_eq!(tier(&w, 1)["unassigned"], counts(2, 0, 0, 2));
    assert_eq!(w["unassigned_at_risk"].as_array().expect("risk").len(), 2);
}
on_both_engines!(workload_counts, counts_per_agent_and_tier);

/// The numbers in one agent's row of the page, by column.
fn row_counts(html: &str, row_id: &str) -> Vec<String> {
    let row =
        html.split(&format!("id=\"{row_id}\"")).nth(1).and_then(|s| s.split("</tr>").next()).unwrap_or_else(|| panic!("{row_id}: {html}"));
    ["c-open", "c-pending", "c-near", "c-overdue", "c-help"]
        .iter()
        .map(|c| {
            let cell = row.split(c).nth(1).unwrap_or_else(|| panic!("{c} in {row}"));
            let inner = cell.split_once('>').map(|x| x.1).unwrap_or_default().split("</td>").next().unwrap_or_default();
            // The text of the cell, a count's link or not.
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    ch if !in_tag => text.push(ch),
                    _ => {}
                }
            }
            text
        })
        .collect()
}

/// Where the count in `column` (c-open, c-pending, c-near, c-overdue) of a
/// row leads; None when it is no link.
fn count_link(html: &str, row_id: &str, column: &str) -> Option<String> {
    let row = html.split(&format!("id=\"{row_id}\"")).nth(1)?.split("</tr>").next()?;
    let cell = row.split(column).nth(1)?.split("</td>").next()?;
    let href = cell.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#38;", "&"))
}

/// The ticket ids a list behind a count shows, in order.
fn listed(html: &str) -> Vec<i64> {
    html.split("<tr id=\"row-").skip(1).map(|s| s.split('"').next().and_then(|n| n.parse().ok()).expect("row id")).collect()
}

/// Each count on the page opens the tickets it counts, with Take and
/// Reassign there; a take comes back to the list.
async fn counts_open_their_tickets(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    let senior = t.login(&l.senior.email).await;
    let html = t.get("/workload", &senior).await.text();
    let agent_row = format!("agent-{}", d.agent.id);
    assert_eq!(count_link(&html, &agent_row, "c-near"), None, "no link on a zero");
    let open = |link: Option<String>| {
        let senior = senior.clone();
        async move {
            let link = link.expect("a link");
            let r = t.get(&link, &senior).await;
            assert_eq!(r.status, 200, "{link}: {}", r.text());
            (link, r.text())
        }
    };
    let (_, page) = open(count_link(&html, &agent_row, "c-overdue")).await;
    assert_eq!(listed(&page), vec![l.overdue_mine], "{page}");
    assert!(page.contains(&format!("Overdue: {}&#39;s tickets", d.agent.name)), "{page}");
    let (_, page) = open(count_link(&html, &agent_row, "c-open")).await;
    assert_eq!(listed(&page), vec![l.overdue_mine, l.answered], "oldest first");
    let (_, page) = open(count_link(&html, &format!("agent-{}", l.senior.id), "c-pending")).await;
    assert_eq!(listed(&page), vec![l.pending]);
    let (_, page) = open(count_link(&html, "tier-1-total", "c-near")).await;
    assert_eq!(listed(&page), vec![l.near_unassigned]);
    let (back, page) = open(count_link(&html, "tier-1-unassigned", "c-overdue")).await;
    assert_eq!(listed(&page), vec![d.ticket_a, d.ticket_b], "most overdue first: {back} {page}");
    assert!(page.contains(&format!("id=\"take-{}\"", d.ticket_a)) && page.contains(&format!("id=\"assign-{}\"", d.ticket_b)));

    // Taking one from the list comes back to it, without that ticket.
    let version = page
        .split(&format!("id=\"row-{}\"", d.ticket_a))
        .nth(1)
        .and_then(|s| s.split("name=\"version\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .expect("version")
        .to_string();
    let r = t
        .post_form(&format!("/workload/tickets/{}/take", d.ticket_a), &senior, &[("version", version.as_str()), ("back", back.as_str())])
        .await;
    assert_eq!((r.status.as_u16(), r.location()), (303, back.clone()));
    assert_eq!(listed(&t.get(&back, &senior).await.text()), vec![d.ticket_b]);
    // Elsewhere than a workload list is not where a take leads.
    let r = t.post_form(&format!("/workload/tickets/{}/take", d.ticket_b), &senior, &[("back", "https://evil.example/")]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, format!("/workload?saved=assigned#risk-{}", d.ticket_b)));

    // A state that is none of the counts, or an agent's tickets said to be nobody's: 422.
    for bad in
        ["/workload/tickets?state=late", "/workload/tickets?state=open&agent=1&unassigned=true", "/workload/tickets?state=open&tier=9"]
    {
        assert_eq!(t.get(bad, &senior).await.status, 422, "{bad}");
    }
    // Not for tier 1, as the view itself.
    assert_eq!(t.get(&back, &t.login(&d.agent.email).await).await.status, 403);
}
on_both_engines!(workload_counts_open_their_tickets, counts_open_their_tickets);

async fn who_sees_it_and_the_page(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    for (who, user, status) in [
        ("senior (tier 2)", &l.senior, 200),
        ("manager", &d.manager, 200),
        ("admin", &d.admin, 200),
        ("agent (tier 1)", &d.agent, 403),
        ("engineering", &d.engineering, 403),
        ("leadership", &d.leadership, 403),
        ("solutions engineer", &d.solutions, 403),
        ("customer", &d.cust_admin, 403),
    ] {
        assert_eq!(t.get("/api/v1/workload", &t.token_for(user).await).await.status, status, "API as {who}");
    }
    let agent_page = t.get("/workload", &t.login(&d.agent.email).await).await;
    assert_eq!(agent_page.status, 403);
    assert!(!t.get("/tickets", &t.login(&d.agent.email).await).await.text().contains("id=\"workload-link\""), "no link for tier 1");

    let r = t.get("/workload", &t.login(&l.senior.email).await).await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("id=\"workload-link\""), "the navigation offers it");
    assert_eq!(row_counts(&html, &format!("agent-{}", d.agent.id)), ["2", "0", "0", "1", "0"]);
    assert_eq!(row_counts(&html, &format!("agent-{}", l.senior.id)), ["1", "1", "1", "0", "1"]);
    let tier1 = html.split("id=\"tier-1\"").nth(1).expect("tier 1 table");
    assert_eq!(row_counts(tier1, "tier-1-total"), ["5", "0", "1", "3", "0"]);
    // The oldest ticket is a link with its age; every at-risk ticket has Take and Reassign.
    assert!(
        html.contains(&format!("<a href=\"/tickets/{0}\">#{0} Exports time out</a> <span class=\"muted\">1h</span>", l.overdue_mine)),
        "{html}"
    );
    for id in [d.ticket_a, d.ticket_b, l.near_unassigned] {
        assert!(html.contains(&format!("id=\"take-{id}\"")) && html.contains(&format!("id=\"assign-{id}\"")), "{id}");
    }
    // Real time passes during the test: the near-breach ticket is due in 9 or 10 minutes.
    assert!(html.contains("overdue by 20m") && (html.contains("due in 10m") || html.contains("due in 9m")), "{html}");
}
on_both_engines!(workload_access_and_page, who_sees_it_and_the_page);

async fn one_click_take_and_reassign(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    let w = t.get("/api/v1/workload", &t.token_for(&d.head).await).await.json();
    let version_of = |id: i64| {
        w["unassigned_at_risk"].as_array().expect("risk").iter().find(|r| r["id"] == id).expect("at risk")["updated_at"]
            .as_str()
            .expect("version")
            .to_string()
    };
    let (senior, manager) = (t.login(&l.senior.email).await, t.login(&d.manager.email).await);
    let assignee = |id: i64| async move {
        t.get(&format!("/api/v1/tickets/{id}"), &t.token_for(&d.admin).await).await.json()["assignee"]["id"].clone()
    };

    // Take: the ticket is the senior's.
    let v = version_of(l.near_unassigned);
    t.clock.advance(Duration::seconds(1));
    let r = t.post_form(&format!("/workload/tickets/{}/take", l.near_unassigned), &senior, &[("version", &v)]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, format!("/workload?saved=assigned#risk-{}", l.near_unassigned)));
    assert_eq!(assignee(l.near_unassigned).await, json!(l.senior.id));
    // A click from the same (now stale) page is refused and says so; the ticket stays the senior's.
    t.clock.advance(Duration::seconds(1));
    let r = t.post_form(&format!("/workload/tickets/{}/take", l.near_unassigned), &manager, &[("version", &v)]).await;
    assert_eq!(r.status, 409);
    assert!(r.text().contains("someone else changed this ticket meanwhile"), "{}", r.text());
    assert_eq!(assignee(l.near_unassigned).await, json!(l.senior.id));

    // Reassign to a colleague: no one chosen is refused, then it goes.
    let v = version_of(d.ticket_b);
    let r = t.post_form(&format!("/workload/tickets/{}/assign", d.ticket_b), &manager, &[("version", &v), ("assignee_id", "")]).await;
    assert!(r.status == 422 && r.text().contains("choose who takes it"), "{}", r.status);
    let agent_id = d.agent.id.to_string();
    let r =
        t.post_form(&format!("/workload/tickets/{}/assign", d.ticket_b), &manager, &[("version", &v), ("assignee_id", &agent_id)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(assignee(d.ticket_b).await, json!(d.agent.id));

    // Two people clicking Take on the same ticket at once: one gets it, the other is told.
    let v = version_of(d.ticket_a);
    t.clock.advance(Duration::seconds(1));
    let path = format!("/workload/tickets/{}/take", d.ticket_a);
    let form = [("version", v.as_str())];
    let (a, b) = tokio::join!(t.post_form(&path, &senior, &form), t.post_form(&path, &manager, &form));
    let mut codes = [a.status.as_u16(), b.status.as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [303, 409]);
    let winner = if a.status == 303 { l.senior.id } else { d.manager.id };
    assert_eq!(assignee(d.ticket_a).await, json!(winner));
}
on_both_engines!(workload_take, one_click_take_and_reassign);

/// A take or reassign whose `version` is not a time (a tampered or broken
/// form) is the workload page again, 422, with the message at its top,
/// and the ticket is not assigned.
async fn garbage_version(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    let manager = t.login(&d.manager.email).await;
    let agent_id = d.agent.id.to_string();
    for (path, form) in [
        (format!("/workload/tickets/{}/take", l.near_unassigned), vec![("version", "abc")]),
        (format!("/workload/tickets/{}/assign", l.near_unassigned), vec![("version", "abc"), ("assignee_id", agent_id.as_str())]),
    ] {
        let r = t.post_form(&path, &manager, &form).await;
        assert_eq!(r.status, 422, "{path}: {}", r.text());
        let html = r.text();
        assert!(html.contains("<h1>Workload</h1>") && html.contains("id=\"tier-1\""), "the workload page again: {html}");
        let message = format!("id=\"refused\">#{}: the version sent with this ticket is not a time", l.near_unassigned);
        assert!(html.contains(&message), "{html}");
    }
    let ticket = t.get(&format!("/api/v1/tickets/{}", l.near_unassigned), &t.token_for(&d.admin).await).await.json();
    assert_eq!(ticket["assignee"], Value::Null, "nothing assigned");
}
on_both_engines!(workload_garbage_version_is_the_page_with_a_message, garbage_version);

async fn lands_on(t: &TestApp, email: &str) -> (String, String) {
    let r = t.post_form("/login", &Auth::None, &[("email", email), ("password", PASSWORD)]).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let home = t.get("/", &t.login(email).await).await;
    (r.location(), home.location())
}

async fn each_role_lands_on_its_work(db: TestDb) {
    let l = under_load(db).await;
    let (t, d) = (&l.t, &l.d);
    let home = |s: &str| (s.to_string(), s.to_string());
    assert_eq!(lands_on(t, &d.head.email).await, home("/home"));
    assert_eq!(lands_on(t, &l.senior.email).await, home("/tickets"));
    assert_eq!(lands_on(t, &d.agent.email).await, home("/tickets"));
    assert_eq!(lands_on(t, &d.admin.email).await, home("/tickets"));
    assert_eq!(lands_on(t, &d.engineering.email).await, home("/tickets?view=engineering"));
    assert_eq!(lands_on(t, &d.cust_member.email).await, home("/portal"));

    // A tier-2 agent's queue has the team's near-breach tickets beside it; tier 1's has none.
    let html = t.get("/tickets", &t.login(&l.senior.email).await).await.text();
    let panel = html.split("id=\"risk-panel\"").nth(1).expect("risk panel");
    for id in [d.ticket_a, d.ticket_b, l.overdue_mine, l.near_senior, l.near_unassigned] {
        assert!(panel.contains(&format!("id=\"risk-{id}\"")), "{id} in {panel}");
    }
    assert!(!panel.contains(&format!("id=\"risk-{}\"", l.answered)) && !panel.contains(&format!("id=\"risk-{}\"", l.pending)));
    assert!(!t.get("/tickets", &t.login(&d.agent.email).await).await.text().contains("risk-panel"));

    // The Head's home: escalated tickets, open help requests, the workload summary.
    let admin = t.token_for(&d.admin).await;
    let r = t.post_json(&format!("/api/v1/tickets/{}/escalations", l.near_senior), &admin, &json!({"reason": "needs the Head"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let q = t.app.ask_for_help(&d.agent.actor(), l.near_senior, Some(d.head.id), None, "Can you call them?").await.expect("ask");
    let html = t.get("/home", &t.login(&d.head.email).await).await.text();
    let escalated = html.split("id=\"escalated\"").nth(1).and_then(|s| s.split("</section>").next()).expect("escalated");
    assert!(escalated.contains(&format!("/tickets/{}", l.near_senior)) && !escalated.contains(&format!("/tickets/{}", l.pending)));
    assert!(html.split("id=\"open-help\"").nth(1).expect("help").contains(&q.question));
    // The escalated ticket left the senior (who does not work the Head's step): four nobody holds.
    assert!(html.contains("id=\"workload-summary\"") && html.contains("4 unassigned at risk"), "{html}");
}
on_both_engines!(workload_landings, each_role_lands_on_its_work);

async fn engineering_has_its_queue(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let head = t.token_for(&d.head).await;
    let r = t
        .post_json(&format!("/api/v1/tickets/{}/escalations", d.ticket_a), &head, &json!({"reason": "A defect", "to": "engineering"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let eng = t.token_for(&d.engineering).await;
    let page = t.get("/api/v1/queues/engineering", &eng).await.json();
    let ids: Vec<i64> = page["data"].as_array().expect("data").iter().filter_map(|t| t["id"].as_i64()).collect();
    assert_eq!(ids, vec![d.ticket_a]);
    let counts = t.get("/api/v1/queues", &eng).await.json();
    let engineering = counts.as_array().expect("counts").iter().find(|c| c["view"] == "engineering").expect("engineering view").clone();
    assert_eq!(engineering["count"], 1);
    // Not offered to a tier-1 agent; asked for anyway, empty.
    let agent = t.token_for(&d.agent).await;
    assert!(!t.get("/api/v1/queues", &agent).await.text().contains("engineering"));
    assert_eq!(t.get("/api/v1/queues/engineering", &agent).await.json()["data"], json!([]));
    let html = t.get("/tickets?view=engineering", &t.login(&d.engineering.email).await).await.text();
    assert!(html.contains(&format!("href=\"/tickets/{}\"", d.ticket_a)), "{html}");
}
on_both_engines!(workload_engineering_queue, engineering_has_its_queue);
