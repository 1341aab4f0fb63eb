//! Help requests through the API: ask a colleague or a tier without handing
//! the ticket over, the recipients' list, answers as internal notes, and
//! two answers at once.

use frontline_domain::ticket::Channel;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::escalation::senior;
use crate::fixtures::Desk;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().expect("list").iter().filter_map(|h| h["id"].as_i64()).collect()
}

async fn ask_and_answer(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let senior = senior(&t, &d).await;
    let (agent, senior_auth) = (t.token_for(&d.agent).await, t.token_for(&senior).await);
    let other = t.token_for(&t.user("agent", "other@vendor.example", None).await).await;
    let id = d.ticket_a;
    let ask = |body: Value| {
        let agent = agent.clone();
        let t = &t;
        async move { t.post_json(&format!("/api/v1/tickets/{id}/help-requests"), &agent, &body).await }
    };

    for (body, field) in [
        (json!({"to_tier": 2}), "question"),
        (json!({"question": "Seen this?"}), "to_user_id"),
        (json!({"question": "Seen this?", "to_tier": 2, "to_user_id": senior.id}), "to_user_id"),
        (json!({"question": "Seen this?", "to_tier": 5}), "to_tier"),
        (json!({"question": "Seen this?", "to_user_id": d.leadership.id}), "to_user_id"),
        (json!({"question": "Seen this?", "to_user_id": d.cust_member.id}), "to_user_id"),
        (json!({"question": "Asking myself?", "to_user_id": d.agent.id}), "to_user_id"),
    ] {
        let r = ask(body.clone()).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!(field)), "{body}");
    }
    let r = ask(json!({"to_tier": 2, "question": "Webhook 401s only for EU keys: seen this before?"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let q = r.json();
    assert_eq!((q["status"].clone(), q["to_tier"].clone(), q["asked_by"]["id"].clone()), (json!("open"), json!(2), json!(d.agent.id)));
    let qid = q["id"].as_i64().expect("id");
    let r = ask(json!({"to_user_id": d.engineering.id, "question": "Is the key rotation job healthy?"})).await;
    let to_eng = r.json()["id"].as_i64().expect("id");

    // Who sees which: the asker both, tier 2 its tier's, engineering its own, another tier-1 agent none.
    assert_eq!(ids(&t.get("/api/v1/help-requests", &agent).await.json()), vec![to_eng, qid]);
    assert_eq!(ids(&t.get("/api/v1/help-requests", &senior_auth).await.json()), vec![qid]);
    assert_eq!(ids(&t.get("/api/v1/help-requests", &t.token_for(&d.engineering).await).await.json()), vec![to_eng]);
    assert_eq!(ids(&t.get("/api/v1/help-requests", &other).await.json()), Vec::<i64>::new());
    // The ticket stays where it was.
    let ticket = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_eq!((ticket["step"].clone(), ticket["assignee"].clone()), (json!("tier_1"), Value::Null));

    // The answer is an internal note; the request closes and leaves the lists.
    let r = t.post_json(&format!("/api/v1/help-requests/{qid}/answer"), &senior_auth, &json!({"answer": " "})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("answer")));
    let r = t
        .post_json(
            &format!("/api/v1/help-requests/{qid}/answer"),
            &senior_auth,
            &json!({"answer": "Yes: the EU key set rotated, re-fetch JWKS."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["status"].clone(), r.json()["answered_by"]["id"].clone()), (json!("answered"), json!(senior.id)));
    let messages = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let note = messages.as_array().expect("messages").last().expect("note").clone();
    assert_eq!((note["kind"].clone(), note["body"].clone()), (json!("internal"), json!("Yes: the EU key set rotated, re-fetch JWKS.")));
    assert_eq!(r.json()["answer_note_id"], note["id"]);
    assert_eq!(ids(&t.get("/api/v1/help-requests", &senior_auth).await.json()), Vec::<i64>::new());
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json();
    let fields: Vec<&str> = events["data"].as_array().expect("events").iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"help_requested") && fields.contains(&"help_answered"), "{fields:?}");

    // Closed is closed; only the asker withdraws.
    let r = t.post_json(&format!("/api/v1/help-requests/{qid}/answer"), &other, &json!({"answer": "late"})).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(t.post_json(&format!("/api/v1/help-requests/{qid}/withdraw"), &agent, &Value::Null).await.status, 409);
    assert_eq!(t.post_json(&format!("/api/v1/help-requests/{to_eng}/withdraw"), &other, &Value::Null).await.status, 403);
    let r = t.post_json(&format!("/api/v1/help-requests/{to_eng}/withdraw"), &agent, &Value::Null).await;
    assert_eq!(r.json()["status"], "withdrawn");
    assert_eq!(ids(&t.get("/api/v1/help-requests", &agent).await.json()), Vec::<i64>::new());

    // Customers see none of it.
    let customer = t.token_for(&d.cust_member).await;
    let text = t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.text();
    assert!(!text.contains("JWKS"), "{text}");
    let text = t.get(&format!("/api/v1/tickets/{id}/events"), &customer).await.text();
    assert!(!text.contains("help_"), "{text}");
    assert_eq!(t.get("/api/v1/help-requests", &customer).await.status, 403);
}
on_both_engines!(help_requests, ask_and_answer);

/// Colleagues answering the same question at once: one answer, one note.
async fn one_answer_wins(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let q = t.app.ask_for_help(&d.agent.actor(), d.ticket_a, None, Some(1), "Anyone?").await.expect("ask");
    let mut auths = Vec::new();
    for n in 0..5 {
        auths.push(t.token_for(&t.user("agent", &format!("helper{n}@vendor.example"), None).await).await);
    }
    let (path, body) = (format!("/api/v1/help-requests/{}/answer", q.id), json!({"answer": "Me!"}));
    let answers = futures::future::join_all(auths.iter().map(|a| t.post_json(&path, a, &body))).await;
    let mut codes: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [200, 409, 409, 409, 409], "{:?}", answers.iter().map(|r| r.text()).collect::<Vec<_>>());
    let admin = t.token_for(&d.admin).await;
    let messages = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &admin).await.json();
    assert_eq!(messages.as_array().expect("messages").iter().filter(|m| m["body"] == "Me!").count(), 1);
}
on_both_engines!(help_requests_parallel, one_answer_wins);

/// A closed ticket takes no more notes, so an answer (a note) is refused
/// with a message naming the answer; the question can still be withdrawn.
async fn a_closed_ticket_takes_no_answer(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let q = t.app.ask_for_help(&d.agent.actor(), d.ticket_a, None, Some(2), "Seen this?").await.expect("ask");
    let agent = t.token_for(&d.agent).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{}", d.ticket_a), &agent, &json!({"status": "closed"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let helper = t.token_for(&d.manager).await;
    let r = t.post_json(&format!("/api/v1/help-requests/{}/answer", q.id), &helper, &json!({"answer": "Restart the sync"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("answer")), "{}", r.text());
    assert!(r.json()["error"]["message"].as_str().unwrap_or_default().contains("closed"), "{}", r.text());
    let messages = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent).await.text();
    assert!(!messages.contains("Restart the sync"), "no note on a closed ticket: {messages}");
    let r = t.post_json(&format!("/api/v1/help-requests/{}/withdraw", q.id), &agent, &Value::Null).await;
    assert_eq!((r.status.as_u16(), r.json()["status"].clone()), (200, json!("withdrawn")), "{}", r.text());
    // Nor is a new question put on it: its answer could never be written.
    let r =
        t.post_json(&format!("/api/v1/tickets/{}/help-requests", d.ticket_a), &agent, &json!({"to_tier": 2, "question": "Still?"})).await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].clone()), (422, json!("ticket")), "{}", r.text());
}
on_both_engines!(help_requests_closed_ticket, a_closed_ticket_takes_no_answer);

/// An answer and a withdrawal at once: exactly one wins, the other is told
/// why with 409, and an answer's note exists only if the answer won.
async fn answer_or_withdraw(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (agent, helper) = (t.token_for(&d.agent).await, t.token_for(&d.manager).await);
    for round in 0..6 {
        let q = t.app.ask_for_help(&d.agent.actor(), d.ticket_a, None, Some(2), &format!("Round {round}?")).await.expect("ask");
        let answer = format!("Answer {round}");
        let (a, w) = futures::future::join(
            t.post_json(&format!("/api/v1/help-requests/{}/answer", q.id), &helper, &json!({"answer": answer})),
            t.post_json(&format!("/api/v1/help-requests/{}/withdraw", q.id), &agent, &Value::Null),
        )
        .await;
        let codes = (a.status.as_u16(), w.status.as_u16());
        assert!(codes == (200, 409) || codes == (409, 200), "{codes:?}: {} / {}", a.text(), w.text());
        let loser = if codes.0 == 409 { &a } else { &w };
        let message = loser.json()["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains("already"), "{message}");
        let now = t.get("/api/v1/help-requests", &agent).await;
        assert!(!now.text().contains(&format!("Round {round}?")), "closed either way");
        let notes = t.get(&format!("/api/v1/tickets/{}/messages", d.ticket_a), &agent).await.json();
        let written = notes.as_array().expect("messages").iter().filter(|m| m["body"] == answer.as_str()).count();
        assert_eq!(written, usize::from(codes.0 == 200), "round {round}: {codes:?}");
    }
}
on_both_engines!(help_requests_answer_or_withdraw, answer_or_withdraw);

/// The Help requests page: answered by someone else meanwhile, the answer
/// is refused with a message and what was typed is kept, to be used elsewhere.
async fn a_late_answer_is_kept(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let q = t.app.ask_for_help(&d.agent.actor(), d.ticket_a, None, Some(2), "Which key rotated?").await.expect("ask");
    let cookie = t.login(&d.manager.email).await;
    assert!(t.get("/help-requests", &cookie).await.text().contains("Which key rotated?"));
    t.app.answer_help(&d.head.actor(), q.id, "The EU one.", Channel::Web).await.expect("first answer");
    let r = t.post_form(&format!("/help-requests/{}/answer", q.id), &cookie, &[("answer", "Rotate the EU key set")]).await;
    assert!(r.status == 409 || r.status == 422, "{}", r.status);
    let html = r.text();
    assert!(html.contains("this request was answered already"), "{html}");
    assert!(html.contains("Rotate the EU key set"), "the typed answer is kept: {html}");
}
on_both_engines!(help_requests_late_answer_page, a_late_answer_is_kept);
