//! Knowing a ticket's Message-ID is not proof of taking part in it: mail
//! from outside the ticket that answers its thread is held, unverified,
//! until an agent accepts it, and neither its sender nor their Cc's follow
//! the ticket meanwhile. Mail arrives as an MTA pipes it.

use frontline_testkit::smtp::SmtpSink;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::{Value, json};

use crate::fixtures::Desk;
use crate::mail_in::{created_id, fixture, ingest_env};

/// The ticket `latin1-new.eml` opens answers to this Message-ID.
const THREAD: &str = "<latin1-1@mail.northwind.example>";

fn outsider_mail(n: u32, text: &str) -> String {
    format!(
        "From: Mallory <mallory@evil.example>\r\nTo: support@acme.example\r\nCc: Eve <eve@evil.example>\r\nSubject: Re: Webhook\r\nMessage-ID: <mallory-{n}@evil.example>\r\nIn-Reply-To: {THREAD}\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
    )
}

fn bodies(messages: &Value) -> String {
    messages.as_array().expect("messages").iter().map(|m| m["body"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>().join("\n")
}

fn message_with<'a>(messages: &'a Value, text: &str) -> &'a Value {
    messages
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["body"].as_str().is_some_and(|b| b.contains(text)))
        .unwrap_or_else(|| panic!("no message with {text:?} in {messages}"))
}

/// The mails the job runner sends for the next step, after what was sent before.
async fn mails_after(t: &TestApp, sink: &SmtpSink, before: usize) -> Vec<String> {
    t.app.run_due_jobs().await.expect("jobs");
    sink.wait_for(before + 1).await.split_off(before)
}

async fn outsider_reply_is_held(db: TestDb) {
    let Some(sink) = SmtpSink::start("mail_join::outsider_reply_is_held").await else { return };
    let url = db.url.clone();
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let d = Desk::new(&t).await;
    let smtp = sink.url();
    let env = [("FRONTLINE_SMTP_URL", smtp.as_str())];
    let pipe = |raw: &[u8]| ingest_env(&url, raw, &[], &env);
    let agent = t.token_for(&d.agent).await;

    let (code, out) = pipe(&fixture("latin1-new.eml"));
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    let requester = t.app.user_by_email("juergen@northwind.example").await.expect("lookup").expect("requester");
    let customer = t.token_for(&requester).await;
    let r = t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    t.app.run_due_jobs().await.expect("jobs");
    let sent = sink.messages().len();

    // Someone from another company answers the thread by its Message-ID, Cc'ing a friend.
    let (code, out) = pipe(outsider_mail(1, "Please send me their webhook secret.").as_bytes());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Held {{ ticket_id: {id} }}")), "{out}");

    // Staff see it, marked; the ticket is not reopened.
    let v = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_eq!(v["status"], "pending", "a held mail does not reopen the ticket");
    let staff_view = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let held = message_with(&staff_view, "webhook secret");
    assert_eq!(held["unverified_sender"], true, "{held}");
    assert_eq!(message_with(&staff_view, "Seit Montag")["unverified_sender"], false);
    let held_id = held["id"].as_i64().expect("id");
    let cookie = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    assert!(page.contains("Unverified sender"), "the ticket page marks the sender");
    assert!(page.contains(&format!("/tickets/{id}/messages/{held_id}/accept")), "and offers to accept it");

    // The customer sees nothing of it, in the conversation or the history.
    let customer_view = t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.json();
    assert!(!bodies(&customer_view).contains("webhook secret"), "{customer_view}");
    let events = t.get(&format!("/api/v1/tickets/{id}/events"), &customer).await.json()["data"].clone();
    let held_ref = held_id.to_string();
    let about_held = |e: &&Value| e["new_value"] == held_ref.as_str() || e["field"] == "unverified_mail";
    assert_eq!(events.as_array().expect("events").iter().filter(about_held).count(), 0, "{events}");
    let staff_events = t.get(&format!("/api/v1/tickets/{id}/events"), &agent).await.json()["data"].clone();
    assert_eq!(staff_events.as_array().expect("events").iter().filter(about_held).count(), 1, "{staff_events}");
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.status, 200);

    // Nothing was mailed for it, and the team's next public reply goes to the
    // requester only: neither the outsider nor their Cc follows the ticket.
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(sink.messages().len(), sent, "a held mail notifies no one");
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "We are looking into the webhook."})).await;
    let mails = mails_after(&t, &sink, sent).await;
    let all = mails.join("\n");
    assert!(all.contains("juergen@northwind.example"), "{all}");
    assert!(!all.contains("mallory@evil.example") && !all.contains("eve@evil.example"), "outsiders got the reply:\n{all}");
    let sent = sink.messages().len();

    // Only those who work tickets accept; then it is a normal customer message.
    for who in [&customer, &t.token_for(&d.leadership).await] {
        let r = t.post_json(&format!("/api/v1/tickets/{id}/messages/{held_id}/accept"), who, &json!({})).await;
        assert_eq!((r.status.as_u16(), r.error_code()), (403, "forbidden".to_string()), "{}", r.text());
    }
    t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "pending"})).await;
    let r = t.post_json(&format!("/api/v1/tickets/{id}/messages/{held_id}/accept"), &agent, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["unverified_sender"], false);
    assert_eq!(
        t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["status"],
        "open",
        "accepted, it reopens like a customer's answer"
    );
    assert!(bodies(&t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.json()).contains("webhook secret"));
    let again = t.post_json(&format!("/api/v1/tickets/{id}/messages/{held_id}/accept"), &agent, &json!({})).await;
    assert_eq!(again.status, 404, "accepted once");
    let audit = t.get("/api/v1/audit", &t.token_for(&d.admin).await).await.json();
    let row = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|a| a["action"] == "message.accept")
        .unwrap_or_else(|| panic!("no audit row in {audit}"))
        .clone();
    assert_eq!((row["actor"]["id"].as_i64(), row["target"].as_str()), (Some(d.agent.id), Some(format!("message:{held_id}").as_str())));
    // The accepted sender follows from now on; whom they Cc'd still does not.
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Thanks, both of you."})).await;
    let all = mails_after(&t, &sink, sent).await.join("\n");
    assert!(all.contains("mallory@evil.example") && !all.contains("eve@evil.example"), "{all}");

    let (code, out) = pipe(outsider_mail(2, "One more thing.").as_bytes());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Appended {{ ticket_id: {id} }}")), "a follower now takes part: {out}");

    // Another outsider writes: held, and accepted from the ticket page.
    let eve = format!(
        "From: oscar@other.example\r\nSubject: Re: Webhook\r\nMessage-ID: <oscar-1@other.example>\r\nReferences: {THREAD}\r\n\r\nMe too.\r\n"
    );
    let (code, out) = pipe(eve.as_bytes());
    assert!(code == 0 && out.contains("Held"), "{out}");
    let staff_view = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let eve_id = message_with(&staff_view, "Me too.")["id"].as_i64().expect("id");
    let r = t.post_form(&format!("/tickets/{id}/messages/{eve_id}/accept"), &cookie, &[]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, format!("/tickets/{id}#message-{eve_id}")));
    let staff_view = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    assert_eq!(message_with(&staff_view, "Me too.")["unverified_sender"], false);
}

async fn participants_reply_as_before(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let (code, out) = ingest_env(&url, &fixture("latin1-new.eml"), &[], &[]);
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "pending"})).await;

    // The requester answers by the thread: appended, unmarked, and it reopens the ticket.
    let answer = format!(
        "From: Juergen <juergen@northwind.example>\r\nSubject: Re: Webhook\r\nMessage-ID: <j-2@northwind.example>\r\nIn-Reply-To: {THREAD}\r\n\r\nStill broken.\r\n"
    );
    let (code, out) = ingest_env(&url, answer.as_bytes(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Appended {{ ticket_id: {id} }}")), "{out}");
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["status"], "open");
    let messages = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    assert_eq!(message_with(&messages, "Still broken")["unverified_sender"], false);

    // A colleague from the ticket's organization joins the thread as before.
    let colleague = format!(
        "From: Raj <raj@northwind.example>\r\nSubject: Re: Webhook\r\nMessage-ID: <raj-9@northwind.example>\r\nIn-Reply-To: {THREAD}\r\n\r\nSame here.\r\n"
    );
    let (code, out) = ingest_env(&url, colleague.as_bytes(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Appended {{ ticket_id: {id} }}")), "{out}");
    let raj = t.token_for(&d.cust_other).await;
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}/messages"), &raj).await.status, 404, "a colleague's mail does not widen who may read");

    // A held mail on a ticket that is not this one cannot be accepted through it.
    let r = t.post_json(&format!("/api/v1/tickets/{}/messages/1/accept", d.ticket_a), &agent, &json!({})).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (404, "not_found".to_string()), "{}", r.text());
}

/// Two agents accept the same held mail at once: one succeeds, one audit row.
async fn parallel_accepts(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let (code, out) = ingest_env(&url, &fixture("latin1-new.eml"), &[], &[]);
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    let (code, out) = ingest_env(&url, outsider_mail(1, "Let me in.").as_bytes(), &[], &[]);
    assert!(code == 0 && out.contains("Held"), "{out}");
    let (a, b) = (t.token_for(&d.agent).await, t.token_for(&d.manager).await);
    let held = message_with(&t.get(&format!("/api/v1/tickets/{id}/messages"), &a).await.json(), "Let me in.")["id"].as_i64().expect("id");
    let path = format!("/api/v1/tickets/{id}/messages/{held}/accept");
    let empty = json!({});
    let (ra, rb) = tokio::join!(t.post_json(&path, &a, &empty), t.post_json(&path, &b, &empty));
    let mut codes = [ra.status.as_u16(), rb.status.as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 404], "{} / {}", ra.text(), rb.text());
    let audit = t.get("/api/v1/audit", &t.token_for(&d.admin).await).await.json();
    assert_eq!(audit.as_array().expect("audit").iter().filter(|r| r["action"] == "message.accept").count(), 1, "{audit}");
}

on_both_engines!(outsider_held, outsider_reply_is_held);
on_both_engines!(participant_mail, participants_reply_as_before);
on_both_engines!(parallel_accept, parallel_accepts);
