//! SLA configuration through the API and the pages, on both engines:
//! calendars, support plans and policies (create, edit with versions,
//! delete), field-named refusals that write nothing, an organization's plan
//! on its page, in its DTO and on its tickets, the open tickets marked for
//! recomputation, and deletes racing uses.

use axum::http::Method;
use frontline_testkit::{Auth, Engine, TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::fixtures::Desk;

fn office(name: &str) -> Value {
    json!({
        "name": name,
        "time_zone": "Europe/Berlin",
        "hours": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}], "fri": [{"start": "09:00", "end": "15:00"}]},
        "holidays": ["2026-12-25", "2026-12-24"]
    })
}

fn policy(name: &str, calendar: i64, conditions: Value) -> Value {
    json!({
        "name": name,
        "calendar_id": calendar,
        "conditions": conditions,
        "targets": {"high": {"first_reply": {"minutes": 60}, "resolution": {"minutes": 480, "hours": "calendar"}}},
        "step_shares": {"tier_1": 25, "tier_2": 75}
    })
}

fn field(r: &frontline_testkit::TestResponse) -> (u16, Value) {
    (r.status.as_u16(), r.json()["error"]["field"].clone())
}

async fn delete(t: &TestApp, path: &str, auth: &Auth) -> u16 {
    t.json(Method::DELETE, path, auth, &Value::Null).await.status.as_u16()
}

async fn calendars_crud(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.head).await;
    let r = t.post_json("/api/v1/sla/calendars", &admin, &office("Berlin office")).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    let id = c["id"].as_i64().expect("id");
    assert_eq!((c["version"].clone(), c["time_zone"].clone()), (json!(1), json!("Europe/Berlin")));
    assert_eq!(c["holidays"], json!(["2026-12-24", "2026-12-25"]), "holidays come back sorted");
    assert_eq!(c["hours"]["mon"][1], json!({"start": "13:00", "end": "17:30"}));
    assert_eq!(t.get(&format!("/api/v1/sla/calendars/{id}"), &admin).await.json()["name"], "Berlin office");

    // Edits carry the version they were made from.
    let mut edit = office("Berlin office");
    edit["time_zone"] = json!("America/New_York");
    edit["version"] = json!(1);
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{id}"), &admin, &edit).await;
    assert_eq!((r.status.as_u16(), r.json()["version"].clone(), r.json()["time_zone"].clone()), (200, json!(2), json!("America/New_York")));
    edit["time_zone"] = json!("Asia/Tokyo");
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{id}"), &admin, &edit).await;
    assert_eq!(field(&r), (409, json!("version")), "{}", r.text());
    assert_eq!(t.get(&format!("/api/v1/sla/calendars/{id}"), &admin).await.json()["time_zone"], "America/New_York");
    assert_eq!(field(&t.post_json("/api/v1/sla/calendars", &admin, &office("Berlin office")).await), (409, json!("name")));

    // Bad calendars name their field, and nothing is written.
    let bad = |f: &dyn Fn(&mut Value)| {
        let mut v = office("Broken");
        f(&mut v);
        v
    };
    for (body, wanted) in [
        (bad(&|v| v["time_zone"] = json!("Mars/Olympus")), "time_zone"),
        (bad(&|v| v["hours"]["wed"] = json!([{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}])), "hours.wed"),
        (bad(&|v| v["hours"]["sat"] = json!([{"start": "18:00", "end": "08:00"}])), "hours.sat"),
        (bad(&|v| v["hours"] = json!({})), "hours"),
        (bad(&|v| v["holidays"] = json!(["2026-12-25", "Christmas"])), "holidays[1]"),
        (bad(&|v| v["name"] = json!("  ")), "name"),
    ] {
        let r = t.post_json("/api/v1/sla/calendars", &admin, &body).await;
        assert_eq!(field(&r), (422, json!(wanted)), "{body}: {}", r.text());
    }
    // A date that does not exist reads as the form says it, at its index.
    let r = t.post_json("/api/v1/sla/calendars", &admin, &bad(&|v| v["holidays"] = json!(["2026-02-30"]))).await;
    assert_eq!(field(&r), (422, json!("holidays[0]")), "{}", r.text());
    assert!(r.text().contains("'2026-02-30' is not a date; write dates as 2026-12-25"), "{}", r.text());
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{id}"), &admin, &bad(&|v| v["time_zone"] = json!("Nowhere"))).await;
    assert_eq!(field(&r), (422, json!("time_zone")));
    let list = t.get("/api/v1/sla/calendars", &admin).await.json();
    assert_eq!(list.as_array().expect("list").len(), 1, "no refused calendar was written: {list}");
    assert_eq!(list[0]["version"], 2, "a refused edit changes nothing");

    assert_eq!(delete(&t, &format!("/api/v1/sla/calendars/{id}"), &admin).await, 204);
    assert_eq!(t.get(&format!("/api/v1/sla/calendars/{id}"), &admin).await.status, 404);
    assert_eq!(delete(&t, &format!("/api/v1/sla/calendars/{id}"), &admin).await, 404);
    // Each write is in the audit log.
    let audit = t.get("/api/v1/audit", &t.token_for(&d.admin).await).await.text();
    for action in ["sla.calendar.create", "sla.calendar.update", "sla.calendar.delete"] {
        assert!(audit.contains(action), "{action} missing from the audit log");
    }
}
on_both_engines!(sla_calendars_through_the_api, calendars_crud);

async fn plans_and_policies(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let cal = t.post_json("/api/v1/sla/calendars", &admin, &office("Office")).await.json()["id"].as_i64().expect("calendar");
    let standard = t.post_json("/api/v1/sla/support-plans", &admin, &json!({"name": "Standard"})).await.json();
    let premium = t.post_json("/api/v1/sla/support-plans", &admin, &json!({"name": "Premium"})).await.json();
    let (standard, premium) = (standard["id"].as_i64().expect("id"), premium["id"].as_i64().expect("id"));
    let r = t.patch_json(&format!("/api/v1/sla/support-plans/{premium}"), &admin, &json!({"name": "Premium+", "version": 1})).await;
    assert_eq!((r.status.as_u16(), r.json()["name"].clone(), r.json()["version"].clone()), (200, json!("Premium+"), json!(2)));
    let r = t.patch_json(&format!("/api/v1/sla/support-plans/{premium}"), &admin, &json!({"name": "Gold", "version": 1})).await;
    assert_eq!(field(&r), (409, json!("version")));
    // A patch that changes nothing writes nothing: the version stays.
    let r = t.patch_json(&format!("/api/v1/sla/support-plans/{premium}"), &admin, &json!({})).await;
    assert_eq!((r.status.as_u16(), r.json()["version"].clone()), (200, json!(2)), "{}", r.text());
    let r = t.patch_json(&format!("/api/v1/sla/support-plans/{premium}"), &admin, &json!({"name": "Standard"})).await;
    assert_eq!(field(&r), (409, json!("name")));
    let r = t.patch_json(&format!("/api/v1/sla/support-plans/{premium}"), &admin, &json!({"position": 0})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let names: Vec<Value> =
        t.get("/api/v1/sla/support-plans", &admin).await.json().as_array().expect("plans").iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, vec![json!("Premium+"), json!("Standard")], "plans are listed by position");

    // Conditions must name what exists; each refusal names its place.
    let r = t
        .post_json(
            "/api/v1/sla/policies",
            &admin,
            &policy("Ghost plan", cal, json!([{"field": "priority", "value": "high"}, {"field": "support_plan", "value": premium + 100}])),
        )
        .await;
    assert_eq!(field(&r), (422, json!("conditions[1].value")), "{}", r.text());
    let r = t
        .post_json("/api/v1/sla/policies", &admin, &policy("Ghost org", cal, json!([{"field": "organization", "value": d.org_b + 100}])))
        .await;
    assert_eq!(field(&r), (422, json!("conditions[0].value")), "{}", r.text());
    let r = t.post_json("/api/v1/sla/policies", &admin, &policy("No calendar", cal + 100, json!([]))).await;
    assert_eq!(field(&r), (422, json!("calendar_id")));
    let mut too_long = policy("Too long", cal, json!([]));
    too_long["targets"]["high"]["first_reply"]["minutes"] = json!(600_000);
    assert_eq!(field(&t.post_json("/api/v1/sla/policies", &admin, &too_long).await), (422, json!("targets.high.first_reply")));
    let mut over = policy("Over", cal, json!([]));
    over["step_shares"] = json!({"tier_1": 60, "tier_2": 60});
    assert_eq!(field(&t.post_json("/api/v1/sla/policies", &admin, &over).await), (422, json!("step_shares")));
    // Errors inside the maps name their key.
    for (change, wanted) in [
        (json!({"targets": {"critical": {"first_reply": {"minutes": 30, "hours": "calendar"}}}}), "targets.critical"),
        (json!({"targets": {"normal": {"first_reply": {"minutes": 1.5, "hours": "calendar"}}}}), "targets.normal.first_reply.minutes"),
        (json!({"step_shares": {"tier_9": 10}}), "step_shares.tier_9"),
        (json!({"step_shares": {"tier_1": -10}}), "step_shares.tier_1"),
    ] {
        let mut body = policy("Keyed", cal, json!([]));
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post_json("/api/v1/sla/policies", &admin, &body).await;
        assert_eq!(field(&r), (422, json!(wanted)), "{change}: {}", r.text());
    }
    let r =
        t.post_json("/api/v1/sla/policies", &admin, &policy("Bad priority", cal, json!([{"field": "priority", "value": "asap"}]))).await;
    assert_eq!(field(&r).0, 422);
    assert_eq!(t.get("/api/v1/sla/policies", &admin).await.json(), json!([]), "no refused policy was written");

    let mut ids = vec![];
    for (name, conditions) in [
        ("Premium", json!([{"field": "support_plan", "value": premium}])),
        ("Northwind", json!([{"field": "organization", "value": d.org_a}, {"field": "tag", "value": " VIP "}])),
        ("Everyone", json!([])),
    ] {
        let r = t.post_json("/api/v1/sla/policies", &admin, &policy(name, cal, conditions)).await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_i64().expect("id"));
    }
    let p = t.get(&format!("/api/v1/sla/policies/{}", ids[1]), &admin).await.json();
    assert_eq!(p["conditions"][1], json!({"field": "tag", "value": "vip"}), "tags are kept as tickets keep them");
    assert_eq!(p["targets"]["high"]["resolution"], json!({"minutes": 480, "hours": "calendar"}));
    assert_eq!((p["position"].clone(), p["step_shares"]["tier_2"].clone()), (json!(2), json!(75)));

    // Order: every policy once, as seen.
    let r = t.post_json("/api/v1/sla/policies/order", &admin, &json!({"ids": [ids[2], ids[0], ids[1]]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let order: Vec<i64> = r.json().as_array().expect("list").iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!(order, vec![ids[2], ids[0], ids[1]]);
    assert_eq!(field(&t.post_json("/api/v1/sla/policies/order", &admin, &json!({"ids": [ids[0], ids[1]]})).await), (409, json!("ids")));
    assert_eq!(
        field(&t.post_json("/api/v1/sla/policies/order", &admin, &json!({"ids": [ids[0], ids[0], ids[1]]})).await),
        (422, json!("ids"))
    );

    // A whole replacement with the version seen; the place in the order stays.
    let mut edit = policy("Premium", cal, json!([{"field": "support_plan", "value": premium}, {"field": "channel", "value": "email"}]));
    edit["version"] = json!(1);
    let r = t.json(Method::PUT, &format!("/api/v1/sla/policies/{}", ids[0]), &admin, &edit).await;
    assert_eq!((r.status.as_u16(), r.json()["version"].clone(), r.json()["position"].clone()), (200, json!(2), json!(2)), "{}", r.text());
    assert_eq!(field(&t.json(Method::PUT, &format!("/api/v1/sla/policies/{}", ids[0]), &admin, &edit).await), (409, json!("version")));
    edit["conditions"] = json!([{"field": "support_plan", "value": premium + 100}]);
    edit["version"] = json!(2);
    assert_eq!(
        field(&t.json(Method::PUT, &format!("/api/v1/sla/policies/{}", ids[0]), &admin, &edit).await),
        (422, json!("conditions[0].value"))
    );

    // What is in use stays.
    let r = t.json(Method::DELETE, &format!("/api/v1/sla/support-plans/{premium}"), &admin, &Value::Null).await;
    assert_eq!(field(&r), (409, json!("support_plan")), "a policy names it");
    assert_eq!(
        field(&t.json(Method::DELETE, &format!("/api/v1/sla/calendars/{cal}"), &admin, &Value::Null).await),
        (409, json!("calendar"))
    );
    assert_eq!(delete(&t, &format!("/api/v1/sla/support-plans/{standard}"), &admin).await, 204);
    for id in &ids {
        assert_eq!(delete(&t, &format!("/api/v1/sla/policies/{id}"), &admin).await, 204);
    }
    assert_eq!(delete(&t, &format!("/api/v1/sla/support-plans/{premium}"), &admin).await, 204);
    assert_eq!(delete(&t, &format!("/api/v1/sla/calendars/{cal}"), &admin).await, 204);
}
on_both_engines!(sla_plans_and_policies_through_the_api, plans_and_policies);

async fn organization_plans(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let head = t.token_for(&d.head).await;
    let premium = t.post_json("/api/v1/sla/support-plans", &head, &json!({"name": "Premium"})).await.json()["id"].as_i64().expect("id");
    let org = format!("/api/v1/organizations/{}", d.org_a);
    assert_eq!(t.get(&org, &head).await.json()["support_plan"], Value::Null, "staff see that there is none");

    let r = t.patch_json(&org, &head, &json!({"support_plan_id": premium})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["support_plan"], json!({"id": premium, "name": "Premium"}));
    // An unknown plan is refused whole: the name sent with it is not written either.
    let r = t.patch_json(&org, &head, &json!({"name": "Renamed", "support_plan_id": premium + 9})).await;
    assert_eq!(field(&r), (422, json!("support_plan_id")));
    let now = t.get(&org, &head).await.json();
    assert_eq!((now["name"].clone(), now["support_plan"]["id"].clone()), (json!("Northwind"), json!(premium)));
    // A solutions engineer edits organizations but not their SLA.
    let se = t.token_for(&d.solutions).await;
    assert_eq!(t.patch_json(&org, &se, &json!({"support_plan_id": null})).await.status, 403);
    assert_eq!(t.patch_json(&org, &se, &json!({"notes": "renewal in May"})).await.status, 200);

    // The plan is on the organization's tickets, for staff only.
    let ticket = format!("/api/v1/tickets/{}", d.ticket_a);
    assert_eq!(t.get(&ticket, &t.token_for(&d.agent).await).await.json()["support_plan"], json!({"id": premium, "name": "Premium"}));
    let seen_by_customer = t.get(&ticket, &t.token_for(&d.cust_admin).await).await.json();
    assert!(seen_by_customer.get("support_plan").is_none(), "{seen_by_customer}");
    assert!(t.get(&org, &t.token_for(&d.cust_admin).await).await.json().get("support_plan").is_none());
    let other = t.get(&format!("/api/v1/tickets/{}", d.ticket_b), &head).await.json();
    assert_eq!(other["support_plan"], Value::Null);

    // In use by an organization: not deleted; cleared with null.
    assert_eq!(
        field(&t.json(Method::DELETE, &format!("/api/v1/sla/support-plans/{premium}"), &head, &Value::Null).await),
        (409, json!("support_plan"))
    );
    let r = t.patch_json(&org, &head, &json!({"support_plan_id": null})).await;
    assert_eq!(r.json()["support_plan"], Value::Null);
    assert_eq!(delete(&t, &format!("/api/v1/sla/support-plans/{premium}"), &head).await, 204);
}
on_both_engines!(an_organizations_plan_is_on_it_and_its_tickets, organization_plans);

/// The database under a test's app, reached around it.
struct Raw {
    engine: Engine,
    url: String,
}

impl Raw {
    fn of(db: &TestDb) -> Raw {
        Raw { engine: db.engine, url: db.url.clone() }
    }

    async fn execute(&self, sql: &str) {
        match self.engine {
            Engine::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut c).await.expect("write");
            }
            Engine::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut c).await.expect("write");
            }
        }
    }

    /// The SLA write count (`sla_marks.dirty`) of each ticket.
    async fn dirty(&self, ids: &[i64]) -> Vec<i64> {
        let mut out = vec![];
        for id in ids {
            let sql = "SELECT dirty FROM sla_marks WHERE ticket_id = $1";
            let n: i64 = match self.engine {
                Engine::Sqlite => {
                    let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                    sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.expect("read")
                }
                Engine::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                    sqlx::query_scalar(sql).bind(id).fetch_one(&mut c).await.expect("read")
                }
            };
            out.push(n);
        }
        out
    }

    /// As if the SLA pass had just run.
    async fn settle(&self) {
        self.execute("UPDATE sla_marks SET dirty = 0, seen = 0").await;
    }
}

/// Whatever may change a ticket's SLA marks the open tickets it concerns,
/// for the SLA pass to recompute; a solved ticket is left alone.
async fn marks_open_tickets(db: TestDb) {
    let raw = Raw::of(&db);
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let agent = t.token_for(&d.agent).await;
    let solved = crate::authz::fresh_ticket(&t, &d).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{solved}"), &agent, &json!({"status": "solved"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (a, b) = (d.ticket_a, d.ticket_b);
    let cal = t.post_json("/api/v1/sla/calendars", &admin, &office("Office")).await.json()["id"].as_i64().expect("id");
    let plan = t.post_json("/api/v1/sla/support-plans", &admin, &json!({"name": "Gold"})).await.json()["id"].as_i64().expect("id");

    raw.settle().await;
    let r = t.post_json("/api/v1/sla/policies", &admin, &policy("All", cal, json!([]))).await;
    let pid = r.json()["id"].as_i64().expect("id");
    assert_eq!(raw.dirty(&[a, b, solved]).await, vec![1, 1, 0], "a new policy may apply to any open ticket");

    raw.settle().await;
    t.patch_json(&format!("/api/v1/organizations/{}", d.org_a), &admin, &json!({"support_plan_id": plan})).await;
    assert_eq!(raw.dirty(&[a, b, solved]).await, vec![1, 0, 0], "a plan change concerns its organization's open tickets");

    raw.settle().await;
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{cal}"), &admin, &office("Office hours")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(raw.dirty(&[a, b, solved]).await, vec![1, 1, 0], "a calendar edit");

    raw.settle().await;
    let mut nowhere = office("Office hours");
    nowhere["time_zone"] = json!("Nowhere");
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{cal}"), &admin, &nowhere).await;
    assert_eq!(r.status, 422);
    assert_eq!(raw.dirty(&[a, b]).await, vec![0, 0], "a refused edit marks nothing");

    t.patch_json(&format!("/api/v1/sla/support-plans/{plan}"), &admin, &json!({"name": "Platinum"})).await;
    assert_eq!(raw.dirty(&[a, b]).await, vec![0, 0], "a plan's name moves no due time");

    t.post_json("/api/v1/sla/policies/order", &admin, &json!({"ids": [pid]})).await;
    assert_eq!(raw.dirty(&[a, b]).await, vec![1, 1], "the order");
    raw.settle().await;
    assert_eq!(delete(&t, &format!("/api/v1/sla/policies/{pid}"), &admin).await, 204);
    assert_eq!(raw.dirty(&[a, b, solved]).await, vec![1, 1, 0], "a deleted policy");
}
on_both_engines!(sla_changes_mark_open_tickets_for_recomputation, marks_open_tickets);

/// Deleting a calendar while a policy starts to use it, and a plan while an
/// organization gets it or a policy names it: one of the two wins, the
/// other is told why (409 or 422, never a 500), and nothing is left
/// pointing at a deleted row.
async fn deletes_race_uses(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    for round in 0..12 {
        let cal = t.post_json("/api/v1/sla/calendars", &admin, &office(&format!("Race {round}"))).await.json()["id"].as_i64().expect("id");
        let plan = t.post_json("/api/v1/sla/support-plans", &admin, &json!({"name": format!("Race {round}")})).await.json()["id"]
            .as_i64()
            .expect("id");
        let other_plan = t.post_json("/api/v1/sla/support-plans", &admin, &json!({"name": format!("Other {round}")})).await.json()["id"]
            .as_i64()
            .expect("id");
        let uses_cal = policy(&format!("Uses calendar {round}"), cal, json!([]));
        // The policy naming the plan uses a calendar nobody deletes.
        let keep = t.post_json("/api/v1/sla/calendars", &admin, &office(&format!("Keep {round}"))).await.json()["id"].as_i64().expect("id");
        let names_plan = policy(&format!("Names plan {round}"), keep, json!([{"field": "support_plan", "value": other_plan}]));
        let org = format!("/api/v1/organizations/{}", d.org_b);
        let (cal_path, plan_path, other_path) = (
            format!("/api/v1/sla/calendars/{cal}"),
            format!("/api/v1/sla/support-plans/{plan}"),
            format!("/api/v1/sla/support-plans/{other_plan}"),
        );
        let give = json!({"support_plan_id": plan});
        let (del_cal, use_cal, del_plan, give_plan, del_other, name_other) = tokio::join!(
            t.json(Method::DELETE, &cal_path, &admin, &Value::Null),
            t.post_json("/api/v1/sla/policies", &admin, &uses_cal),
            t.json(Method::DELETE, &plan_path, &admin, &Value::Null),
            t.patch_json(&org, &admin, &give),
            t.json(Method::DELETE, &other_path, &admin, &Value::Null),
            t.post_json("/api/v1/sla/policies", &admin, &names_plan),
        );
        let pair = |del: &frontline_testkit::TestResponse, used: &frontline_testkit::TestResponse, used_field: &str, what: &str| match (
            del.status.as_u16(),
            used.status.as_u16(),
        ) {
            (204, 422) => assert_eq!(used.json()["error"]["field"], json!(used_field), "{what}: {}", used.text()),
            (409, 200 | 201) => {}
            other => panic!("{what}, round {round}: delete and use answered {other:?}: {} / {}", del.text(), used.text()),
        };
        pair(&del_cal, &use_cal, "calendar_id", "calendar vs policy");
        pair(&del_plan, &give_plan, "support_plan_id", "plan vs organization");
        pair(&del_other, &name_other, "conditions[0].value", "plan vs policy condition");

        // Nothing points at a deleted row.
        let calendars: Vec<i64> =
            t.get("/api/v1/sla/calendars", &admin).await.json().as_array().expect("list").iter().filter_map(|c| c["id"].as_i64()).collect();
        let plans: Vec<i64> = t
            .get("/api/v1/sla/support-plans", &admin)
            .await
            .json()
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect();
        for p in t.get("/api/v1/sla/policies", &admin).await.json().as_array().expect("list") {
            assert!(p["problem"].is_null(), "{p}");
            assert!(calendars.contains(&p["calendar_id"].as_i64().expect("calendar")), "{p} uses a deleted calendar");
            for c in p["conditions"].as_array().expect("conditions") {
                if c["field"] == "support_plan" {
                    assert!(plans.contains(&c["value"].as_i64().expect("plan")), "{p} names a deleted plan");
                }
            }
        }
        let org_plan = t.get(&org, &admin).await.json()["support_plan"]["id"].as_i64();
        assert!(org_plan.is_none_or(|p| plans.contains(&p)), "the organization has a deleted plan");
        // Clean up so the next round starts the same.
        t.patch_json(&org, &admin, &json!({"support_plan_id": null})).await;
        for p in t.get("/api/v1/sla/policies", &admin).await.json().as_array().expect("list") {
            delete(&t, &format!("/api/v1/sla/policies/{}", p["id"]), &admin).await;
        }
    }
}
on_both_engines!(sla_deletes_race_uses, deletes_race_uses);

/// One corrupt row (written around the app) does not take the lists down:
/// it is shown by name as broken, unused, and can be replaced or deleted.
async fn broken_rows_are_listed(db: TestDb) {
    let raw = Raw::of(&db);
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let cal = t.post_json("/api/v1/sla/calendars", &admin, &office("Good")).await.json()["id"].as_i64().expect("id");
    let bad = t.post_json("/api/v1/sla/calendars", &admin, &office("Bad")).await.json()["id"].as_i64().expect("id");
    let pid = t.post_json("/api/v1/sla/policies", &admin, &policy("Mangled", cal, json!([]))).await.json()["id"].as_i64().expect("id");
    raw.execute(&format!("UPDATE business_calendars SET hours = 'not json' WHERE id = {bad}")).await;
    raw.execute(&format!("UPDATE sla_policies SET targets = '{{\"high\": 7}}' WHERE id = {pid}")).await;
    let r = t.get("/api/v1/sla/calendars", &admin).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json();
    let broken = list.as_array().expect("list").iter().find(|c| c["id"] == bad).expect("listed").clone();
    assert_eq!(broken["name"], "Bad");
    assert!(broken["problem"].as_str().is_some_and(|p| !p.is_empty()), "{broken}");
    assert!(broken.get("hours").is_none(), "{broken}");
    let policies = t.get("/api/v1/sla/policies", &admin).await.json();
    assert_eq!(policies[0]["name"], "Mangled");
    assert!(policies[0]["problem"].as_str().is_some_and(|p| p.contains("targets")), "{policies}");
    // The page shows them too.
    let page = t.get("/admin/sla", &t.login(&d.admin.email).await).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("broken"), "the page marks broken rows");
    // Replace the calendar, delete the policy.
    let r = t.json(Method::PUT, &format!("/api/v1/sla/calendars/{bad}"), &admin, &office("Bad")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(delete(&t, &format!("/api/v1/sla/policies/{pid}"), &admin).await, 204);
    assert!(t.get("/api/v1/sla/calendars", &admin).await.json().as_array().expect("list").iter().all(|c| c["problem"].is_null()));
}
on_both_engines!(sla_broken_rows_are_listed_not_fatal, broken_rows_are_listed);

/// The pages: every field's message at once with what was typed kept, and
/// the organization and ticket pages name the plan.
async fn pages(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let r = t
        .post_form(
            "/admin/sla/calendars",
            &admin,
            &[
                ("name", ""),
                ("time_zone", "Europe/Berln"),
                ("mon", "09:00-13:00, 12:00-17:00"),
                ("tue", "nine to five"),
                ("holidays", "2026-12-25\nXmas"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.text();
    for message in ["name is required", "not a known IANA time zone", "overlaps", "is not an interval", "is not a date"] {
        assert!(page.contains(message), "missing '{message}'");
    }
    assert!(page.contains(r#"name="time_zone" value="Europe"#) && page.contains(r#"value="nine to five""#), "what was typed is kept");
    let r = t
        .post_form(
            "/admin/sla/calendars",
            &admin,
            &[("name", "Berlin"), ("time_zone", "Europe/Berlin"), ("mon", "09:00-17:00"), ("wed", "08:00-12:00,13:00-16:00")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let cal = t.app.sla_calendars(&d.admin.actor()).await.expect("list")[0].as_ref().expect("usable").id;
    let plan = t.app.create_support_plan(&d.admin.actor(), "Enterprise").await.expect("plan").id;

    let r = t
        .post_form(
            "/admin/sla/policies",
            &admin,
            &[
                ("name", "Enterprise"),
                ("calendar_id", ""),
                ("cond_tag", "two words"),
                ("targets.urgent.first_reply", "soon"),
                ("targets.high.resolution", "0"),
                ("step_shares.tier_1", "70"),
                ("step_shares.tier_2", "70"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.text();
    for (id, message) in [
        ("err-calendar_id", "choose a calendar"),
        ("err-cond_tag", ""),
        ("err-targets.urgent.first_reply", "whole number"),
        ("err-targets.high.resolution", "between 1 and"),
        ("err-step_shares", "more than the whole target"),
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no message at {id}");
        assert!(page.contains(message), "missing '{message}'");
    }
    assert!(page.contains("value=\"two words\"") && page.contains("value=\"soon\""), "what was typed is kept");
    let r = t
        .post_form(
            "/admin/sla/policies",
            &admin,
            &[
                ("name", "Enterprise"),
                ("calendar_id", &cal.to_string()),
                ("cond_plan", &plan.to_string()),
                ("targets.urgent.first_reply", "30"),
                ("targets.urgent.resolution", "8"),
                ("targets.urgent.resolution.unit", "h"),
                ("targets.urgent.resolution.hours", "calendar"),
                ("step_shares.tier_1", "40"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let p = t.app.sla_policies(&d.admin.actor()).await.expect("list").remove(0).expect("usable");
    let urgent = p.policy.targets[&frontline_domain::ticket::Priority::Urgent];
    assert_eq!(urgent.resolution, Some(frontline_domain::sla::Target::calendar(480)));
    assert_eq!(urgent.first_reply, Some(frontline_domain::sla::Target::business(30)));
    let overview = t.get("/admin/sla", &admin).await.text();
    assert!(overview.contains("plan Enterprise") && overview.contains("Berlin"), "the list names the plan and calendar");

    // The organization page sets the plan; the ticket page shows it.
    let r =
        t.post_form(&format!("/organizations/{}/support-plan", d.org_a), &admin, &[("support_plan_id", &(plan + 50).to_string())]).await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("there is no support plan"));
    let r = t.post_form(&format!("/organizations/{}/support-plan", d.org_a), &admin, &[("support_plan_id", &plan.to_string())]).await;
    assert_eq!(r.status, 303);
    let org_page = t.get(&format!("/organizations/{}", d.org_a), &admin).await.text();
    assert!(org_page.contains(&format!("<option value=\"{plan}\" selected>Enterprise</option>")), "the plan is chosen");
    let ticket_page = t.get(&format!("/tickets/{}", d.ticket_a), &t.login(&d.agent.email).await).await.text();
    assert!(ticket_page.contains("Support plan: <strong>Enterprise</strong>"), "the ticket page names the plan");
    let org_for_agent = t.get(&format!("/organizations/{}", d.org_a), &t.login(&d.agent.email).await).await.text();
    assert!(org_for_agent.contains("<strong>Enterprise</strong>"), "staff see the plan");
}
on_both_engines!(sla_pages_show_every_error_and_the_plan, pages);

/// The policy form with every kind of problem at once (a missing name, a
/// calendar and an organization that do not exist, a bad tag, a target that
/// is not a number, a unit and an hours choice that are not choices): one
/// submit shows every message at its input, keeps what was typed, and saves
/// nothing. A lone unknown unit is refused too, not read as minutes.
async fn policy_form_every_problem_at_once(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.login(&d.admin.email).await;
    let token = t.token_for(&d.admin).await;
    let cal = t.post_json("/api/v1/sla/calendars", &token, &office("Office")).await.json()["id"].as_i64().expect("calendar");
    let missing_org = (d.org_a.max(d.org_b) + 1000).to_string();
    let r = t
        .post_form(
            "/admin/sla/policies",
            &admin,
            &[
                ("name", " "),
                ("calendar_id", &(cal + 1000).to_string()),
                ("cond_organization", &missing_org),
                ("cond_tag", "two words"),
                ("targets.urgent.first_reply", "soon"),
                ("targets.high.resolution", "4"),
                ("targets.high.resolution.unit", "fortnights"),
                ("targets.low.next_reply", "30"),
                ("targets.low.next_reply.hours", "lunar"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let page = r.text();
    for (id, message) in [
        ("err-name", "name is required"),
        ("err-calendar_id", &format!("there is no calendar {}", cal + 1000)),
        ("err-cond_organization", &format!("there is no organization {missing_org}")),
        ("err-cond_tag", ""),
        ("err-targets.urgent.first_reply", "enter a whole number"),
        ("err-targets.high.resolution.unit", "&#39;fortnights&#39; is not a unit"),
        ("err-targets.low.next_reply.hours", "&#39;lunar&#39; is not a choice"),
    ] {
        assert!(page.contains(&format!("aria-describedby=\"{id}\"")), "no input tied to {id}: {page}");
        let at = page.split(&format!("id=\"{id}\">")).nth(1).unwrap_or_else(|| panic!("no message at {id}: {page}"));
        let shown = at.split("</p>").next().unwrap_or_default();
        assert!(shown.contains(message), "{id}: {message:?}, shown {shown:?}");
    }
    assert!(
        page.contains("value=\"two words\"") && page.contains("value=\"soon\"") && page.contains("value=\"30\""),
        "what was typed is kept"
    );
    let policies = t.get("/api/v1/sla/policies", &token).await.json();
    assert_eq!(policies, json!([]), "nothing saved");

    // A policy that is fine but for its unit: refused at the unit, not saved in minutes.
    let r = t
        .post_form(
            "/admin/sla/policies",
            &admin,
            &[
                ("name", "Fine but the unit"),
                ("calendar_id", &cal.to_string()),
                ("targets.high.first_reply", "2"),
                ("targets.high.first_reply.unit", "days"),
                ("targets.high.first_reply.hours", "business"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("id=\"err-targets.high.first_reply.unit\">&#39;days&#39; is not a unit"), "{}", r.text());
    assert_eq!(t.get("/api/v1/sla/policies", &token).await.json(), json!([]), "nothing saved");
}
on_both_engines!(sla_policy_form_shows_every_problem_at_once, policy_form_every_problem_at_once);

/// A target object with a member it does not know is refused in the API's
/// error shape, naming the member; nothing is saved.
async fn policy_target_unknown_member(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;
    let cal = t.post_json("/api/v1/sla/calendars", &admin, &office("Office")).await.json()["id"].as_i64().expect("calendar");
    let mut body = policy("Typo", cal, json!([]));
    body["targets"]["high"]["first_reply"] = json!({"minutes": 2, "unit": "h"});
    let r = t.post_json("/api/v1/sla/policies", &admin, &body).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let error = &r.json()["error"];
    assert_eq!(error["code"], "invalid_field", "{error}");
    assert_eq!(error["field"], "targets.high.first_reply.unit", "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("unknown field `unit`")), "{error}");
    assert_eq!(t.get("/api/v1/sla/policies", &admin).await.json(), json!([]), "nothing saved");
}
on_both_engines!(sla_policy_target_with_an_unknown_member_is_refused, policy_target_unknown_member);
