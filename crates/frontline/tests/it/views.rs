//! What readers are shown of a ticket and an organization: customers never
//! get the agent-only parts (team, tier, escalation level, tags, account
//! notes) from any surface that shows the ticket or the organization, and
//! every member of staff does.

use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;

const AGENT_ONLY: [&str; 9] =
    ["team_id", "team_name", "tier", "escalation_level", "tags", "support_plan", "sla", "sla_due_at", "sla_paused"];
const TAG: &str = "churn-watch";

/// The ticket objects of an API answer: the object itself or its `data` list.
fn tickets(v: &Value) -> Vec<&Value> {
    match v.get("data").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![v],
    }
}

fn assert_redacted(who: &str, what: &str, v: &Value) {
    let list = tickets(v);
    assert!(!list.is_empty(), "{who}: {what} shows no ticket: {v}");
    for t in list {
        assert!(t["id"].is_i64() && t["subject"].is_string(), "{who}: {what} is not a ticket: {t}");
        for field in AGENT_ONLY {
            assert!(t.get(field).is_none(), "{who}: {what} carries {field}: {t}");
        }
    }
}

async fn customers_never_get_agent_only_fields(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"team_id": d.team, "tags": [TAG]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.post_json(&format!("/api/v1/tickets/{}/escalations", d.ticket_a), &agent, &json!({"reason": "tier 2 please"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let admin = t.token_for(&d.admin).await;
    let r = t.patch_json(&format!("/api/v1/organizations/{}", d.org_a), &admin, &json!({"notes": "renewal at risk"})).await;
    assert_eq!(r.status, 200, "{}", r.text());

    for (who, user) in [("customer_admin", &d.cust_admin), ("customer_member", &d.cust_member)] {
        let auth = t.token_for(user).await;
        let one = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &auth).await;
        assert_eq!(one.status, 200, "{who}");
        assert_redacted(who, "GET /tickets/{id}", &one.json());
        assert!(!one.text().contains(TAG) && !one.text().contains("Integrations"), "{who}: {}", one.text());
        let list = t.get("/api/v1/tickets", &auth).await;
        assert_eq!(list.status, 200, "{who}");
        assert_redacted(who, "GET /tickets", &list.json());
        assert!(!list.text().contains(TAG), "{who}: {}", list.text());
        // What a customer writes comes back as a customer's view too.
        let created = t
            .post_json("/api/v1/tickets", &auth, &json!({"subject": format!("Question from {who}"), "body": "How do I rotate keys?"}))
            .await;
        assert_eq!(created.status, 201, "{who}: {}", created.text());
        assert_redacted(who, "POST /tickets", &created.json());
        // Account notes are the vendor's.
        let org = t.get(&format!("/api/v1/organizations/{}", d.org_a), &auth).await;
        assert_eq!(org.status, 200, "{who}");
        assert!(org.json().get("notes").is_none() && !org.text().contains("renewal at risk"), "{who}: {}", org.text());

        let cookie = t.login(&user.email).await;
        for page in ["/portal?scope=all".to_string(), format!("/portal/tickets/{}", d.ticket_a)] {
            let r = t.get(&page, &cookie).await;
            assert_eq!(r.status, 200, "{who} {page}");
            let html = r.text();
            assert!(html.contains("Webhook signatures fail"), "{who} {page} shows the ticket");
            for hidden in [TAG, "Tier 2", "Escalated to"] {
                assert!(!html.contains(hidden), "{who} {page} shows {hidden:?}");
            }
        }
    }

    // Every member of staff sees them, in one ticket, lists, queues and search.
    let staff = [&d.admin, &d.head, &d.manager, &d.agent, &d.engineering, &d.solutions, &d.leadership];
    for user in staff {
        let who = user.role.as_str();
        let auth = t.token_for(user).await;
        let one = t.get(&format!("/api/v1/tickets/{}", d.ticket_a), &auth).await.json();
        assert_eq!((one["tier"].as_i64(), one["escalation_level"].as_i64()), (Some(2), Some(1)), "{who}: {one}");
        assert_eq!((one["team_id"].as_i64(), one["team_name"].as_str()), (Some(d.team), Some("Integrations")), "{who}: {one}");
        assert_eq!(one["tags"], json!([TAG]), "{who}");
        for path in ["/api/v1/tickets".to_string(), "/api/v1/queues/open".into(), format!("/api/v1/search?q={}", d.ticket_a)] {
            let r = t.get(&path, &auth).await;
            assert_eq!(r.status, 200, "{who} {path}: {}", r.text());
            let v = r.json();
            let found = tickets(&v).into_iter().find(|x| x["id"] == d.ticket_a).cloned();
            let found = found.unwrap_or_else(|| panic!("{who} {path}: ticket missing: {v}"));
            assert_eq!(found["tags"], json!([TAG]), "{who} {path}");
            assert_eq!(found["tier"], 2, "{who} {path}");
        }
        let org = t.get(&format!("/api/v1/organizations/{}", d.org_a), &auth).await.json();
        assert_eq!(org["notes"], "renewal at risk", "{who}");
    }
    let cookie = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &cookie).await.text();
    assert!(page.contains(r#"<span class="esc">Escalated to tier 2</span>"#), "the agent's ticket page shows the escalation");
    let queue = t.get("/tickets?view=open", &cookie).await.text();
    assert!(queue.contains(TAG), "the agent's queue shows the tag");
}
on_both_engines!(agent_only_fields, customers_never_get_agent_only_fields);
