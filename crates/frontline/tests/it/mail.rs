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
    let queued = t.app.store.list_jobs(10).await.expect("jobs");
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

    // Solving tells the customer; assigning tells the agent (when someone else assigns).
    let head = t.token_for(&d.head).await;
    t.patch_json(&format!("/api/v1/tickets/{id}"), &head, &json!({"assignee_id": d.agent.id})).await;
    t.patch_json(&format!("/api/v1/tickets/{id}"), &agent, &json!({"status": "solved"})).await;
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 4).await;
    let subjects: Vec<&str> = mails[already + 2..].iter().filter_map(|m| header(m, "Subject")).collect();
    assert!(subjects.contains(&format!("[#{id}] Assigned to you: Export stuck at 99%").as_str()), "{subjects:?}");
    assert!(subjects.contains(&format!("[#{id}] Solved: Export stuck at 99%").as_str()), "{subjects:?}");

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
    let mails = sink.wait_for(already + 5).await;
    let templated = &mails[already + 4];
    assert_eq!(header(templated, "Subject"), Some(format!("[#{id}] News from Acme: Export stuck at 99%").as_str()));
    assert!(templated.contains("Hi dana") && templated.contains("says:") && templated.contains("Templated reply"), "{templated}");
    assert!(
        header(templated, "In-Reply-To").is_some() && header(templated, "References").is_some_and(|r| r.contains(&ack_id)),
        "still threaded"
    );

    // Switched off by an admin: no mail.
    t.app.set_notification(&d.admin.actor(), "public_reply", false).await.expect("setting");
    t.post_json(&format!("/api/v1/tickets/{id}/messages"), &agent, &json!({"body": "One more thing"})).await;
    t.app.run_due_jobs().await.expect("jobs");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), already + 5);
}
on_both_engines!(notifications, notifications_thread);

async fn smtp_down_delays_but_loses_nothing(db: TestDb) {
    // A port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let t = TestApp::with_smtp(db, &format!("smtp://127.0.0.1:{dead}")).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("runner survives a dead server");
    let jobs = t.app.store.list_jobs(20).await.expect("jobs");
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter().all(|j| j.kind == "mail.notify" && j.attempts == 1 && j.last_error.as_deref().is_some_and(|e| e.contains("SMTP"))),
        "{jobs:?}"
    );
    assert!(jobs.iter().all(|j| j.failed_at.is_none() && j.run_at > chrono::Utc::now()), "kept for a retry later");
    let _ = d;
}
on_both_engines!(smtp_down, smtp_down_delays_but_loses_nothing);
