//! Queue pages and the ticket list hold exactly their tickets, in the
//! order asked for (ties broken by number), page after page, each with the
//! names shown next to it. The store picks a page from `tickets` first and
//! joins the names afterwards; this keeps that from changing what a user
//! sees.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use frontline_testkit::{Auth, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

const SORTS: [&str; 9] = ["updated", "-updated", "created", "-created", "priority", "-priority", "id", "-id", "due"];
const OPEN: [&str; 4] = ["new", "open", "pending", "on_hold"];

fn time(t: &Value, field: &str) -> Option<DateTime<Utc>> {
    t[field].as_str().map(|s| DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{field} {s}: {e}")).with_timezone(&Utc))
}

fn rank(t: &Value) -> i64 {
    match t["priority"].as_str() {
        Some("low") => 1,
        Some("normal") => 2,
        Some("high") => 3,
        Some("urgent") => 4,
        other => panic!("priority {other:?}"),
    }
}

fn id(t: &Value) -> i64 {
    t["id"].as_i64().expect("id")
}

/// The documented order of a view: the sort key in the asked direction;
/// by priority, the longest-waiting first within one; then the number.
/// "Due soonest": tickets with a due time first, the earliest first, then
/// the rest by the view's default order (solved tickets have none).
fn compare(view: &str, sort: &str, a: &Value, b: &Value) -> Ordering {
    if sort == "due" {
        if view == "solved" {
            return compare(view, "-updated", a, b);
        }
        let due = match (time(a, "sla_due_at"), time(b, "sla_due_at")) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        return due.then(time(b, "updated_at").cmp(&time(a, "updated_at"))).then(id(b).cmp(&id(a)));
    }
    let (descending, key) = match sort.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, sort),
    };
    let by_key = match key {
        // "Updated" in the solved view is when it was solved.
        "updated" if view == "solved" => time(a, "solved_at").cmp(&time(b, "solved_at")),
        "updated" => time(a, "updated_at").cmp(&time(b, "updated_at")),
        "created" => time(a, "created_at").cmp(&time(b, "created_at")),
        "priority" => rank(a).cmp(&rank(b)),
        "id" => Ordering::Equal,
        other => panic!("sort {other}"),
    };
    let by_key = if descending { by_key.reverse() } else { by_key };
    let waiting = if key == "priority" { time(a, "updated_at").cmp(&time(b, "updated_at")) } else { Ordering::Equal };
    let by_id = if descending { id(b).cmp(&id(a)) } else { id(a).cmp(&id(b)) };
    by_key.then(waiting).then(by_id)
}

fn in_view(view: &str, t: &Value, agent: i64, team: i64) -> bool {
    let open = OPEN.contains(&t["status"].as_str().unwrap_or(""));
    match view {
        "mine" => open && t["assignee"]["id"] == agent,
        "tier" => open && t["assignee"].is_null() && t["tier"] == 1,
        "team" => open && t["team_id"] == team,
        "open" => open,
        // Everything here was solved within the last minutes.
        "solved" => t["status"] == "solved",
        other => panic!("view {other}"),
    }
}

/// Every ticket through the API's list, page by page with its cursor.
async fn all_tickets(t: &TestApp, auth: &Auth) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut path = "/api/v1/tickets?limit=40".to_string();
    loop {
        let r = t.get(&path, auth).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        out.extend(body["data"].as_array().expect("data").iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/tickets?limit=40&cursor={cursor}"),
            None => return out,
        }
    }
}

async fn queues_page_in_order(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let r = t.patch_json(&format!("/api/v1/users/{}", d.agent.id), &admin, &json!({"team_id": d.team})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let agent = t.token_for(&d.agent).await;
    // Globex's normal and high tickets fall due an hour after they open
    // (the others have no due time): "due" sorts a mix, with ties.
    crate::sla_view::policy(
        &t,
        "Globex",
        vec![frontline_domain::sla::Condition::Organization(d.org_b)],
        &[frontline_domain::ticket::Priority::Normal, frontline_domain::ticket::Priority::High],
        frontline_domain::sla::PriorityTargets {
            first_reply: Some(frontline_domain::sla::Target::calendar(60)),
            next_reply: None,
            resolution: None,
        },
    )
    .await;

    // A frozen clock moved in whole seconds: several tickets share each
    // creation, update and solve time, so the tie-break by number counts.
    t.clock.set(Utc::now().duration_trunc(Duration::seconds(1)).expect("truncate"));
    let mut created = Vec::new();
    for i in 0..130_usize {
        if i % 3 == 0 {
            t.clock.advance(Duration::seconds(1));
        }
        let requester = if i % 5 == 0 { d.foreign_admin.id } else { d.cust_member.id };
        let priority = ["low", "normal", "high", "urgent"][i % 4];
        let mut body = json!({"subject": format!("Queue order {i}"), "body": "Order me.", "requester_id": requester, "priority": priority});
        if i % 2 == 0 {
            body["team_id"] = json!(d.team);
        }
        match i % 7 {
            0 => body["assignee_id"] = json!(d.agent.id),
            1 => body["assignee_id"] = json!(d.head.id),
            _ => {}
        }
        if i % 6 == 5 {
            body["tier"] = json!(2);
        }
        let r = t.post_json("/api/v1/tickets", &agent, &body).await;
        assert_eq!(r.status, 201, "{}", r.text());
        created.push(r.json()["id"].as_i64().expect("id"));
    }
    // Later changes move some tickets ahead in "updated" (and solve some),
    // so that order differs from the order of creation.
    t.clock.advance(Duration::seconds(10));
    for (k, ticket) in created.iter().enumerate().filter(|(k, _)| k % 4 == 1) {
        if k % 3 == 0 {
            t.clock.advance(Duration::seconds(1));
        }
        let status = ["solved", "pending", "on_hold", "open", "solved"][(k / 4) % 5];
        let r = t.patch_json(&format!("/api/v1/tickets/{ticket}"), &agent, &json!({"status": status})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    t.app.sla_pass(&frontline_domain::authz::Actor::System, 1000).await.expect("SLA pass");

    // The list: newest first, every ticket once, each as its own page shows it.
    let all = all_tickets(&t, &agent).await;
    assert!(all.iter().filter(|t| !t["sla_due_at"].is_null()).count() > 5, "some tickets have a due time");
    let ids: Vec<i64> = all.iter().map(id).collect();
    let mut expected: Vec<i64> = created.iter().copied().chain([d.ticket_a, d.ticket_b]).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, expected, "the list in cursor pages, newest first");
    for ticket in &all {
        let mut one = t.get(&format!("/api/v1/tickets/{}", id(ticket)), &agent).await.json();
        // Only answers about one ticket carry the SLA object.
        one.as_object_mut().and_then(|o| o.remove("sla"));
        assert_eq!(ticket, &one, "a listed ticket carries the same fields and names as its own page");
    }
    assert!(all.iter().any(|t| t["assignee"]["name"] == d.head.name), "some rows name another assignee");
    assert!(all.iter().any(|t| t["team_name"] == "Integrations"), "some rows name the team");
    assert!(all.iter().any(|t| t["organization_name"] == "Globex"), "some rows name another organization");
    let by_id: HashMap<i64, &Value> = all.iter().map(|t| (id(t), t)).collect();

    let cookie = t.login(&d.agent.email).await;
    for view in ["mine", "tier", "team", "open", "solved"] {
        let mut members: Vec<&Value> = all.iter().filter(|t| in_view(view, t, d.agent.id, d.team)).collect();
        assert!(members.len() > 10, "{view}: the fixture puts {} tickets in it", members.len());
        for sort in SORTS {
            members.sort_by(|a, b| compare(view, sort, a, b));
            let want: Vec<i64> = members.iter().map(|t| id(t)).collect();
            let mut got = Vec::new();
            for page in 1.. {
                let r = t.get(&format!("/api/v1/queues/{view}?sort={sort}&page={page}"), &agent).await;
                assert_eq!(r.status, 200, "{}", r.text());
                let body = r.json();
                for ticket in body["data"].as_array().expect("data") {
                    assert_eq!(Some(&ticket), by_id.get(&id(ticket)), "{view} {sort}: the row's fields and names");
                    got.push(id(ticket));
                }
                if body["has_more"] != true {
                    break;
                }
            }
            assert_eq!(got, want, "{view} sorted by {sort}, pages of 50");
        }
        // The page an agent sees lists the first 50 in the default order.
        members.sort_by(|a, b| compare(view, "-updated", a, b));
        let html = t.get(&format!("/tickets?view={view}"), &cookie).await.text();
        let shown: Vec<i64> = html
            .split("<tr data-href=\"/tickets/")
            .skip(1)
            .map(|rest| rest.split('"').next().and_then(|n| n.parse().ok()).expect("ticket number"))
            .collect();
        let first: Vec<i64> = members.iter().take(50).map(|t| id(t)).collect();
        assert_eq!(shown, first, "{view}: the queue page's rows");
    }
    // Open and tier need more than one page.
    assert!(all.iter().filter(|t| in_view("open", t, d.agent.id, d.team)).count() > 100);
}
on_both_engines!(queue_order, queues_page_in_order);
