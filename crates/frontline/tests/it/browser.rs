//! End to end in a real headless Chromium: a customer opens a ticket in
//! the portal, a tier-1 agent finds it in the queue, replies and adds an
//! internal note, and the customer sees the reply but not the note.
//! Screenshots land in target/screenshots/.

use frontline_app::directory::{UserInput, system_actor};
use frontline_testkit::browser::Browser;
use frontline_testkit::{TestApp, TestDb};
use thirtyfour::prelude::*;

/// Dana of Northwind (a customer) and Alex, a tier-1 Support Specialist.
async fn customer_and_tier1_agent(t: &TestApp) {
    let org = t.org("Northwind Logistics", "northwind.example").await;
    t.user("customer_member", "dana@northwind.example", Some(org)).await;
    let positions = t.app.list_positions(&system_actor()).await.expect("positions");
    let specialist = positions.iter().find(|p| p.name == "Support Specialist").expect("position");
    assert_eq!(specialist.tier.get(), 1);
    let input = UserInput {
        email: "alex@vendor.example".into(),
        name: "Alex Tier1".into(),
        role: "agent".into(),
        position_id: Some(specialist.id),
        password: Some("correct horse battery".into()),
        ..Default::default()
    };
    t.app.create_user(&system_actor(), &input).await.expect("agent");
}

async fn sign_out(b: &Browser) {
    b.driver.find(By::Css("form[action='/logout'] button")).await.expect("sign out").click().await.expect("click");
    b.wait_for_text("Sign in to Frontline").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_and_agent_in_the_browser() {
    let Some(b) = Browser::start("browser::customer_and_agent_in_the_browser").await else { return };
    let t = TestApp::new(TestDb::sqlite().await).await;
    customer_and_tier1_agent(&t).await;
    let (base, server) = t.serve().await;

    // The customer opens a ticket in the portal.
    b.sign_in(&base, "dana@northwind.example").await;
    b.wait_for_text("Your requests").await;
    b.screenshot("01-portal-empty").await;
    b.driver.find(By::Id("portal-new-link")).await.expect("new").click().await.expect("click");
    b.wait_for_text("New request").await;
    // Submitting without a subject shows the error next to the field and keeps the text.
    b.driver
        .find(By::Id("body"))
        .await
        .expect("body")
        .send_keys("Every webhook since Monday fails signature verification (HTTP 401).")
        .await
        .expect("type");
    b.driver.find(By::Id("portal-submit")).await.expect("submit").click().await.expect("click");
    b.wait_for_text("subject is required").await;
    let kept = b.driver.find(By::Id("body")).await.expect("body").prop("value").await.expect("value").unwrap_or_default();
    assert!(kept.contains("Every webhook since Monday"), "the description was kept: {kept}");
    b.screenshot("02-portal-validation").await;
    b.driver.find(By::Id("subject")).await.expect("subject").send_keys("Webhook signature verification fails").await.expect("type");
    b.driver.find(By::Id("portal-submit")).await.expect("submit").click().await.expect("click");
    b.wait_for_text("Awaiting our reply").await;
    b.screenshot("03-portal-ticket-created").await;
    let url = b.driver.current_url().await.expect("url").to_string();
    let id: i64 = url.rsplit('/').next().and_then(|s| s.split('#').next()).and_then(|s| s.parse().ok()).expect("ticket id in url");
    sign_out(&b).await;

    // A tier-1 agent finds it in their tier's queue and works it.
    b.sign_in(&base, "alex@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.find(By::Css("a[data-view='tier']")).await.expect("tier queue").click().await.expect("click");
    b.wait_for_text("Webhook signature verification fails").await;
    b.screenshot("04-agent-tier-queue").await;
    b.driver.find(By::LinkText("Webhook signature verification fails")).await.expect("ticket link").click().await.expect("click");
    b.wait_for_text("Every webhook since Monday").await;
    b.driver
        .find(By::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("Thanks Dana. Could you send one failing delivery id?")
        .await
        .expect("type");
    b.driver.find(By::Id("reply-submit")).await.expect("send").click().await.expect("click");
    b.wait_for_text("Could you send one failing delivery id?").await;
    b.driver.find(By::Css("input[name=kind][value=internal]")).await.expect("note tab").click().await.expect("click");
    b.driver
        .find(By::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("INTERNAL: matches the clock-skew bug from last week")
        .await
        .expect("type");
    b.driver.find(By::Id("reply-submit")).await.expect("send").click().await.expect("click");
    b.wait_for_text("INTERNAL: matches the clock-skew bug").await;
    let status = b.driver.find(By::Id("ticket-status")).await.expect("status").text().await.expect("text");
    assert_eq!(status, "Open", "a public reply opens a new ticket");
    b.screenshot("05-agent-ticket").await;
    sign_out(&b).await;

    // The customer sees the reply, not the note.
    b.sign_in(&base, "dana@northwind.example").await;
    b.wait_for_text("Your requests").await;
    b.driver.goto(format!("{base}/portal/tickets/{id}")).await.expect("ticket");
    b.wait_for_text("Could you send one failing delivery id?").await;
    let text = b.body_text().await;
    assert!(!text.contains("INTERNAL") && !text.contains("clock-skew"), "the customer saw an internal note:\n{text}");
    b.screenshot("06-portal-sees-reply").await;
    b.quit().await;
    server.abort();
}

/// A header's value, unfolded (long headers such as References span lines).
fn header(raw: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_lowercase());
    let mut lines = raw.lines().take_while(|l| !l.is_empty()).skip_while(|l| !l.to_lowercase().starts_with(&prefix));
    let first = lines.next()?[prefix.len()..].trim().to_string();
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with([' ', '\t'])).map(str::trim).collect();
    Some(std::iter::once(first.as_str()).chain(rest).collect::<Vec<_>>().join(" "))
}

/// Email end to end: a customer mails in through the MTA pipe, an agent
/// finds the ticket in the queue and answers in the browser with a file,
/// the reply reaches a real SMTP server with threading headers, and the
/// customer's answer to it lands on the same ticket and reopens it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_round_trip_with_a_browser_reply() {
    let Some(b) = Browser::start("browser::mail_round_trip_with_a_browser_reply").await else { return };
    let Some(sink) = frontline_testkit::smtp::SmtpSink::start("browser::mail_round_trip_with_a_browser_reply").await else { return };
    let t = TestApp::with_smtp(TestDb::sqlite().await, &sink.url()).await;
    customer_and_tier1_agent(&t).await;

    // The customer's mail arrives through the pipe, with an inline screenshot and files.
    let smtp = [("FRONTLINE_SMTP_URL", sink.url())];
    let smtp: Vec<(&str, &str)> = smtp.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out) = crate::mail_in::ingest_env(&t.db.url, &crate::mail_in::fixture("nested-attachments.eml"), &[], &smtp);
    assert_eq!(code, 0, "{out}");
    let id = crate::mail_in::created_id(&out);
    t.app.run_due_jobs().await.expect("jobs");
    let ack = sink.wait_for(1).await.remove(0);
    assert!(header(&ack, "To").is_some_and(|v| v.contains("dana@northwind.example")), "{ack}");
    let ack_id = header(&ack, "Message-ID").expect("ack id").to_string();
    assert!(!ack.contains("report.pdf"), "the customer's own files are not mailed back");

    // The agent finds it in the tier queue and answers with a file and a status.
    let (base, server) = t.serve().await;
    b.sign_in(&base, "alex@vendor.example").await;
    b.wait_for_text("My open tickets").await;
    b.driver.find(By::Css("a[data-view='tier']")).await.expect("tier queue").click().await.expect("click");
    let subject = "Export totals wrong, screenshot and report attached";
    b.wait_for_text(subject).await;
    b.driver.find(By::LinkText(subject)).await.expect("ticket link").click().await.expect("click");
    b.wait_for_text("nightly export totals are off").await;
    let page = b.body_text().await;
    assert!(page.contains("report.pdf") && page.contains("Prüfung rows.csv"), "files listed:\n{page}");
    b.driver.find(By::Css("details.formatted summary")).await.expect("formatted").click().await.expect("open");
    // The inline screenshot really loads from its file (same origin, allowed by the CSP).
    let mut width = 0;
    for _ in 0..50 {
        let ret = b
            .driver
            .execute("const i = document.querySelector('.mail-html img'); return i && i.complete ? i.naturalWidth : 0;", vec![])
            .await;
        width = ret.expect("script").json().as_i64().unwrap_or(0);
        if width > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(width > 0, "the inline image did not load");
    b.screenshot("07-agent-mail-ticket").await;
    b.driver
        .find(By::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("Could you re-run the export with the currency filter set? Steps attached.")
        .await
        .expect("type");
    let dir = tempfile::tempdir().expect("dir");
    let steps = dir.path().join("steps.txt");
    std::fs::write(&steps, "1. Open Exports\n2. Set currency = EUR\n3. Run\n").expect("file");
    b.driver.find(By::Id("reply-files")).await.expect("file input").send_keys(steps.display().to_string()).await.expect("attach");
    b.driver.find(By::Css("#reply-status option[value=pending]")).await.expect("pending").click().await.expect("select");
    b.driver.find(By::Id("reply-submit")).await.expect("send").click().await.expect("click");
    b.wait_for_text("Steps attached.").await;
    assert!(b.body_text().await.contains("steps.txt"), "the file is listed under the reply");
    let status = b.driver.find(By::Id("ticket-status")).await.expect("status").text().await.expect("text");
    assert_eq!(status, "Pending");
    b.screenshot("08-agent-replied-with-file").await;

    // The reply leaves over SMTP, threaded under the customer's mail and our acknowledgement.
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(2).await;
    let reply = &mails[1];
    assert_eq!(header(reply, "Subject"), Some(format!("Re: [#{id}] {subject}")));
    assert_eq!(header(reply, "In-Reply-To"), Some(ack_id.clone()));
    let references = header(reply, "References").expect("references");
    assert!(references.contains("<nested-1@mail.northwind.example>") && references.contains(&ack_id), "{references}");
    assert!(reply.contains("filename=\"steps.txt\""), "the file travels with the mail");
    let reply_id = header(reply, "Message-ID").expect("reply id").to_string();

    // The customer answers from their mail client: it lands on the same ticket and reopens it.
    let answer = format!(
        "From: Dana K <dana@northwind.example>\r\nTo: support@acme.example\r\nSubject: Re: [#{id}] {subject}\r\n\
         Message-ID: <dana-answer@mail.northwind.example>\r\nIn-Reply-To: {reply_id}\r\nReferences: {references} {reply_id}\r\n\r\n\
         Done, the totals match now.\r\n\r\nOn Mon, Alex wrote:\r\n> Could you re-run the export?\r\n"
    );
    let (code, out) = crate::mail_in::ingest_env(&t.db.url, answer.as_bytes(), &[], &smtp);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Appended {{ ticket_id: {id} }}")), "{out}");
    b.driver.refresh().await.expect("reload");
    b.wait_for_text("Done, the totals match now.").await;
    let status = b.driver.find(By::Id("ticket-status")).await.expect("status").text().await.expect("text");
    assert_eq!(status, "Open", "the customer's answer reopens the ticket");
    b.screenshot("09-agent-sees-mail-answer").await;
    b.quit().await;
    server.abort();
}
