//! Notification mail through a real SMTP server: queued as a job with the
//! change, sent by the job runner with threading headers, retried when the
//! server is down, never carrying internal notes.

use frontline_testkit::smtp::SmtpSink;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::json;

use crate::fixtures::Desk;

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_lowercase());
    raw.lines().take_while(|l| !l.is_empty()).find(|l| l.to_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim())
}

async fn notifications_thread(db: TestDb) {
    let Some(sink) = SmtpSink::start("mail::notifications_thread").await else { return };
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let d = Desk::new(&t).await;
    // The fixture's tickets were opened before; start from a quiet outbox.
    t.app.run_due_jobs().await.expect("jobs");
    let already = sink.messages().len();

    let customer = t.token_for(&d.cust_member).await;
    let r = t
        .post_json("/api/v1/tickets", &customer, &json!({"subject": "Export stuck at 99%", "body": "The nightly export never finishes."}))
        .await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_i64().expect("id");
    // Queued with the ticket, sent by the runner.
    let queued = t.store().list_jobs(10).await.expect("jobs");
    assert!(queued.iter().any(|j| j.kind == "mail.notify" && j.payload.contains(&format!("\"ticket_id\":{id}"))), "{queued:?}");
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 1).await;
    let ack = &mails[already];
    assert!(header(ack, "To").is_some_and(|v| v.contains("dana@northwind.example")), "{ack}");
    assert_eq!(header(ack, "Subject"), Some(format!("[#{id}] Export stuck at 99%").as_str()));
    assert_eq!(header(ack, "Auto-Submitted"), Some("auto-generated"));
    assert!(header(ack, "Reply-To").is_some_and(|v| v.contains("support@acme.example")));
    assert!(ack.contains("multipart/alternative") && ack.contains("text/plain") && ack.contains("text/html"));
    let ack_id = header(ack, "Message-ID").expect("message id").to_string();
    assert!(ack_id.starts_with("<frontline.") && ack_id.ends_with("@acme.example>"));

    // An internal note sends nothing; a public reply threads under the acknowledgement.
    let agent = t.token_for(&d.agent).await;
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"kind": "internal", "body": "SECRET: their S3 bucket is full"}))
        .await;
    t.post_json(
        &format!("/api/v1/tickets/{id}/messages"),
        &agent,
        &json!({"body": "Could you check the bucket's free space?", "status": "pending"}),
    )
    .await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 2).await;
    assert_eq!(mails.len(), already + 2, "the note sent no mail");
    let reply = &mails[already + 1];
    assert_eq!(header(reply, "Subject"), Some(format!("Re: [#{id}] Export stuck at 99%").as_str()));
    assert_eq!(header(reply, "In-Reply-To"), Some(ack_id.as_str()));
    assert!(header(reply, "References").is_some_and(|v| v.contains(&ack_id)));
    assert!(header(reply, "Auto-Submitted").is_none(), "a person's reply is not automatic mail");
    assert!(reply.contains("Could you check the bucket") && !reply.contains("SECRET"), "{reply}");

    // The customer answers the reply from their mail client: it lands on the same ticket.
    let reply_id = header(reply, "Message-ID").expect("reply id").to_string();
    let answer = format!(
        "From: Dana <dana@northwind.example>\r\nTo: support@acme.example\r\nSubject: Re: Re: [#{id}] Export stuck at 99%\r\nMessage-ID: <dana-answer@northwind.example>\r\nIn-Reply-To: {reply_id}\r\nReferences: {ack_id} {reply_id}\r\n\r\nThe bucket was full, cleaned it up.\r\n\r\nOn Mon, Support wrote:\r\n> Could you check the bucket's free space?\r\n"
    );
    let parsed = frontline_mail::inbound::parse(answer.as_bytes()).expect("parse");
    let outcome = t.app.ingest_email(&parsed, None).await.expect("ingest");
    assert_eq!(outcome, frontline_app::ingest::IngestOutcome::Appended { ticket_id: id });
    let v = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_eq!(v["status"], "open", "the customer's answer reopens the pending ticket");

    // An admin's template shapes the mail; a broken one is refused before it is saved.
    let admin = t.token_for(&d.admin).await;
    let r = t
        .json(axum::http::Method::PUT, "/api/v1/mail/templates/public_reply", &admin, &json!({"subject": "{{ subjekt }}", "body": "x"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["field"], "subject");
    let r = t
        .json(
            axum::http::Method::PUT,
            "/api/v1/mail/templates/public_reply",
            &admin,
            &json!({"subject": "Reply to your request", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "the ticket token must stay in the subject");
    let r = t
        .json(
            axum::http::Method::PUT,
            "/api/v1/mail/templates/public_reply",
            &admin,
            &json!({"subject": "[#{{ ticket_id }}] News from Acme: {{ subject }}", "body": "Hi {{ recipient }},\n\n{{ author }} says:\n{{ body }}\n\n{{ ticket_url }}"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Templated reply"})).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 3).await;
    let templated = &mails[already + 2];
    assert_eq!(header(templated, "Subject"), Some(format!("[#{id}] News from Acme: Export stuck at 99%").as_str()));
    assert!(templated.contains("Hi dana") && templated.contains("says:") && templated.contains("Templated reply"), "{templated}");
    assert!(
        header(templated, "In-Reply-To").is_some() && header(templated, "References").is_some_and(|r| r.contains(&ack_id)),
        "still threaded"
    );
}
on_both_engines!(notifications, notifications_thread);

/// Who is told what (in memory, no SMTP): the requester hears of their new
/// ticket, public replies and solving; an agent hears when someone else
/// assigns them; internal notes and switched-off kinds send nothing.
async fn who_is_told_what(db: TestDb) {
    use frontline_app::mail::NotificationKind as K;
    let (t, outbox) = TestApp::with_outbox(db).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    outbox.take();
    let dana = || vec!["dana@northwind.example".to_string()];

    let customer = t.token_for(&d.cust_member).await;
    let r = t.post_json("/api/v1/tickets", &customer, &json!({"subject": "Export stuck at 99%", "body": "Never finishes."})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![(K::TicketCreated, id, dana())]);

    let agent = t.token_for(&d.agent).await;
    let note = t
        .post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"kind": "internal", "body": "SECRET: bucket is full"}))
        .await;
    assert_eq!(note.status, 201, "{}", note.text());
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![], "an internal note tells no one");
    let reply = t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "Could you check the bucket?"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    t.app.run_due_jobs().await.expect("jobs");
    let sent = outbox.take();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].kind, sent[0].to[0].email.as_str()), (K::PublicReply, "dana@northwind.example"));
    assert_eq!(sent[0].body.as_deref(), Some("Could you check the bucket?"));

    // Assigned by someone else: the agent hears; assigning oneself: nobody.
    let head = t.token_for(&d.head).await;
    assert_eq!(t.patch_json(&format!("/api/v1/tickets/{id}"), &head, &json!({"assignee_id": d.agent.id})).await.status, 200);
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![(K::TicketAssigned, id, vec![d.agent.email.clone()])]);
    assert_eq!(t.patch_json(&format!("/api/v1/tickets/{id}"), &head, &json!({"assignee_id": d.head.id})).await.status, 200);
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![], "assigning oneself tells no one");

    assert_eq!(t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "solved"})).await.status, 200);
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![(K::TicketSolved, id, dana())]);

    // Switched off by an admin: no mail.
    t.app.set_notification(&d.admin.actor(), "public_reply", false).await.expect("setting");
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "One more thing"})).await;
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(outbox.take_summary(), vec![]);
}
on_both_engines!(who_is_told, who_is_told_what);

async fn smtp_down_delays_but_loses_nothing(db: TestDb) {
    // A port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let t = TestApp::with_smtp(db, &format!("smtp://127.0.0.1:{dead}")).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("runner survives a dead server");
    let jobs = t.store().list_jobs(20).await.expect("jobs");
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter().all(|j| j.kind == "mail.notify" && j.attempts == 1 && j.last_error.as_deref().is_some_and(|e| e.contains("SMTP"))),
        "{jobs:?}"
    );
    assert!(jobs.iter().all(|j| j.failed_at.is_none() && j.run_at > chrono::Utc::now()), "kept for a retry later");
    let _ = d;
}
on_both_engines!(smtp_down, smtp_down_delays_but_loses_nothing);
