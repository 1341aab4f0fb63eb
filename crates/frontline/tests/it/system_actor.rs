//! Frontline's own actions (the CLI, jobs, mail, housekeeping) are the
//! system's: they name no person, and what they write refers to no user
//! row (a NULL actor, never a user id 0 that the foreign keys refuse).

use std::process::Command;

use frontline_domain::authz::Actor;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::Value;

use crate::fixtures::Desk;

async fn system_actions_name_no_one(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let admin = t.token_for(&d.admin).await;

    // The CLI creates an organization: audited, with no actor.
    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--database-url", &url, "org", "create", "--name", "Tailspin Travel", "--domain", "tailspin.test"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit = t.get("/api/v1/audit", &admin).await.json();
    let row = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|a| a["action"] == "organization.create" && a["target"] == "organization:Tailspin Travel")
        .unwrap_or_else(|| panic!("no audit row in {audit}"))
        .clone();
    assert_eq!(row["actor"], Value::Null, "{row}");

    // The system changes a ticket (as a job would): the history shows the change, by no one.
    let patch = frontline_app::tickets::TicketPatch { priority: Some("urgent".into()), ..Default::default() };
    t.app.update_ticket(&Actor::System, d.ticket_a, &patch).await.expect("the system may change a ticket");
    let events = t.get(&format!("/api/v1/tickets/{}/events", d.ticket_a), &admin).await.json()["data"].clone();
    let change = events.as_array().expect("events").iter().find(|e| e["field"] == "priority").expect("priority event").clone();
    assert_eq!((change["actor"].clone(), change["new_value"].as_str()), (Value::Null, Some("urgent")), "{change}");
    let audit = t.get("/api/v1/audit", &admin).await.json();
    assert!(audit.as_array().expect("audit").iter().all(|a| a["actor"]["id"] != 0), "{audit}");
}
on_both_engines!(system_actor, system_actions_name_no_one);
