//! Mail with files, HTML, replies from real clients and forwards, through
//! `frontline mail ingest`: attachments and inline images are stored and
//! served only to people who may read them, HTML is sanitized, Gmail and
//! Outlook replies thread, an agent's forward becomes the customer's ticket.

use axum::http::header;
use frontline_testkit::{TestApp, TestDb, on_both_engines};
use serde_json::Value;

use crate::fixtures::Desk;
use crate::mail_in::{created_id, fixture, ingest};

fn attachment<'a>(message: &'a Value, filename: &str) -> &'a Value {
    message["attachments"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["filename"] == filename))
        .unwrap_or_else(|| panic!("no attachment {filename} in {message}"))
}

async fn files_and_html(db: TestDb) {
    let url = db.url.clone();
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;

    // multipart/mixed > related > alternative, an inline image, a PDF, a CSV
    // with an RFC 2231 encoded name.
    let (code, out) = ingest(&url, &fixture("nested-attachments.eml"));
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    let msgs = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let first = &msgs[0];
    assert!(first["body"].as_str().unwrap_or_default().contains("nightly export totals are off"), "{first}");
    assert_eq!(first["attachments"].as_array().map(Vec::len), Some(3), "{first}");
    let png = attachment(first, "screenshot.png");
    assert_eq!(png["inline"], true);
    assert_eq!(png["content_id"], "shot@northwind");
    let pdf = attachment(first, "report.pdf");
    assert_eq!((pdf["inline"].as_bool(), pdf["content_type"].as_str()), (Some(false), Some("application/pdf")));
    let csv = attachment(first, "Prüfung rows.csv");
    assert_eq!(csv["content_type"], "text/csv");

    // Sanitized HTML: no script, style, handlers, javascript: links or remote images.
    let html = first["body_html"].as_str().expect("html kept");
    assert!(html.contains("<b>totals</b>") && html.contains("cid:shot@northwind"), "{html}");
    for banned in ["<script", "alert(", "<style", "onclick", "javascript:", "tracker.example"] {
        assert!(!html.contains(banned), "{banned} survived: {html}");
    }
    assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");

    // Our own address in Cc is not a follower; the colleague is.
    let followers = t.store().followers(id).await.expect("followers");
    let raj = t.store().user_by_email("raj@northwind.example").await.expect("db").expect("raj");
    let names: Vec<String> = t.store().users_by_ids(&followers).await.expect("users").into_iter().map(|u| u.email).collect();
    assert_eq!(followers, vec![raj.id], "{names:?}");
    assert!(t.store().user_by_email("support@acme.example").await.expect("db").is_none(), "never a customer");

    // Downloads: exact bytes; only raster images show inline, the rest is a download.
    let r = t.get(pdf["url"].as_str().expect("url"), &agent).await;
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with(b"%PDF-1.4"), "exact bytes");
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap_or_default().starts_with("attachment; filename=\"report.pdf\""));
    assert!(r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap_or_default().contains("sandbox"));
    let r = t.get(png["url"].as_str().expect("url"), &agent).await;
    assert_eq!((r.status.as_u16(), r.headers[header::CONTENT_TYPE].to_str().unwrap_or_default()), (200, "image/png"));
    assert!(r.body.starts_with(b"\x89PNG"));
    // The requester may fetch them; a customer of another organization learns nothing.
    let dana = t.store().user_by_email("dana@northwind.example").await.expect("db").expect("dana");
    assert_eq!(t.get(pdf["url"].as_str().expect("url"), &t.token_for(&dana).await).await.status, 200);
    let r = t.get(pdf["url"].as_str().expect("url"), &t.token_for(&d.foreign_admin).await).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_found");

    // The ticket page lists the files and shows the formatted mail with its inline image.
    let cookie = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    let pdf_id = pdf["id"].as_i64().expect("id");
    let png_id = png["id"].as_i64().expect("id");
    assert!(page.contains(&format!("href=\"/attachments/{pdf_id}\"")) && page.contains("report.pdf"), "file listed");
    assert!(page.contains("Show formatted mail") && page.contains(&format!("src=\"/attachments/{png_id}\"")), "inline image");
    let r = t.get(&format!("/attachments/{pdf_id}"), &cookie).await;
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with(b"%PDF"));

    // A Gmail reply and an Outlook reply (German, windows-1252) thread by
    // In-Reply-To; the quoted history is folded away.
    for name in ["gmail-reply.eml", "outlook-reply.eml"] {
        let raw = String::from_utf8_lossy(&fixture(name)).replace("TICKET", &id.to_string());
        let (code, out) = ingest(&url, raw.as_bytes());
        assert_eq!(code, 0, "{name}: {out}");
        assert!(out.contains(&format!("Appended {{ ticket_id: {id} }}")), "{name}: {out}");
    }
    let page = t.get(&format!("/tickets/{id}"), &cookie).await.text();
    let outlook = page.split("Bei uns sind die Summen jetzt auch korrekt – danke!").nth(1).expect("windows-1252 decoded");
    let fold = outlook.find("Show quoted text").expect("quote folded");
    assert!(outlook.find("Ursprüngliche Nachricht").is_some_and(|q| fold < q), "history below the fold");
    let gmail = page.split("Re-running the export with the new filter fixed today").nth(1).expect("gmail reply");
    assert!(gmail.find("Show quoted text").is_some_and(|f| gmail.find("currency filter").is_some_and(|q| f < q)));

    // Files over the limit are not stored; the conversation says so.
    let big = vec![b'x'; 11 * 1024 * 1024];
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&big)
    };
    let huge = format!(
        "From: dana@northwind.example\r\nSubject: Full dump\r\nMessage-ID: <big-1@northwind.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDump attached.\r\n--b\r\n\
         Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"dump.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b--\r\n"
    );
    let (code, out) = ingest(&url, huge.as_bytes());
    assert_eq!(code, 0, "{out}");
    let m = &t.get(&format!("/api/v1/tickets/{}/messages", created_id(&out)), &agent).await.json()[0];
    assert_eq!(m["attachments"].as_array().map(Vec::len), Some(0));
    assert!(m["body"].as_str().unwrap_or_default().contains("Attachment not stored: dump.bin (11.0 MB) is over the size limit."), "{m}");

    // A crafted Content-ID cannot smuggle attributes into the page: were it
    // matched as text, `src="cid:a" alt="` would become the file's URL and
    // leave ` onerror=...` as an attribute of its own.
    let crafted = "From: dana@northwind.example\r\nSubject: Crafted\r\nMessage-ID: <crafted-1@northwind.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n\
         <p>see</p><img src=\"cid:a\" alt=\" onerror=alert(1) x\"><a href=\"/admin/mail\">admin</a>\r\n--r\r\n\
         Content-Type: image/png\r\nContent-ID: <a\" alt=>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n";
    let (code, out) = ingest(&url, crafted.as_bytes());
    assert_eq!(code, 0, "{out}");
    let crafted_id = created_id(&out);
    let page = t.get(&format!("/tickets/{crafted_id}"), &cookie).await.text();
    let m = &t.get(&format!("/api/v1/tickets/{crafted_id}/messages"), &agent).await.json()[0];
    let file = m["attachments"][0]["id"].as_i64().expect("the image is kept");
    assert!(page.contains("alt=\" onerror=alert(1) x\""), "the text stays inside its alt value");
    assert!(!page.contains(&format!("src=\"/attachments/{file}\" onerror")), "attribute injected into the page");
    assert!(!page.contains("href=\"/admin/mail\""), "relative links in mail are dropped");
    assert_eq!((m["attachments"][0]["inline"].as_bool(), m["attachments"][0]["content_id"].is_null()), (Some(false), true), "{m}");
    assert!(page.contains(&format!("href=\"/attachments/{file}\"")), "the image is offered as a file");

    // Mail from our own address is a loop: quarantined, never a ticket.
    let (code, out) =
        ingest(&url, b"From: Acme Support <support@acme.example>\r\nSubject: [#1] Re: x\r\nMessage-ID: <loop-1@acme.example>\r\n\r\nx\r\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("quarantined") && out.contains("mail loop"), "{out}");
}
on_both_engines!(mail_with_files, files_and_html);

async fn forwards(db: TestDb) {
    let url = db.url.clone();
    // Mail is configured (to a server that is down): jobs would be queued.
    let t = TestApp::with_smtp(db, "smtp://127.0.0.1:1").await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let smtp = [("FRONTLINE_SMTP_URL", "smtp://127.0.0.1:1")];

    // An agent forwards a customer's mail inline: the ticket is the customer's.
    let (code, out) = crate::mail_in::ingest_env(&url, &fixture("forward-inline.eml"), &[], &smtp);
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    let v = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json();
    assert_eq!(v["requester"]["email"], "mei@globex.example", "{v}");
    assert_eq!(v["requester"]["name"], "Mei Chen");
    assert_eq!(v["organization_id"], d.org_b, "joins the organization owning the domain");
    assert_eq!(v["subject"], "Webhook signature mismatch");
    // The forwarded message is the customer's; the agent's note above it stays internal.
    let msgs = t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json();
    let (first, note) = (&msgs[0], &msgs[1]);
    assert_eq!(first["author"]["name"], "Mei Chen");
    let text = first["body"].as_str().unwrap_or_default();
    assert!(text.starts_with("---------- Forwarded message") && text.contains("Since this morning every webhook fails"), "{text}");
    assert!(!text.contains("personal inbox"), "the agent's words are not the customer's: {text}");
    assert_eq!((note["kind"].as_str(), note["author"]["name"].as_str()), (Some("internal"), Some(d.agent.name.as_str())));
    assert!(note["body"].as_str().unwrap_or_default().contains("Came to my personal inbox, please handle."), "{note}");
    let mei = t.store().user_by_email("mei@globex.example").await.expect("db").expect("mei");
    let seen = t.get(&format!("/api/v1/tickets/{id}/messages"), &t.token_for(&mei).await).await.text();
    assert!(!seen.contains("personal inbox"), "{seen}");
    // Nobody is mailed about a forward until an agent answers.
    let jobs = t.store().list_jobs(100).await.expect("jobs");
    let about = |j: &frontline_store::jobs::Job| serde_json::from_str::<Value>(&j.payload).ok().and_then(|p| p["ticket_id"].as_i64());
    assert!(!jobs.iter().any(|j| about(j) == Some(id)), "{jobs:?}");
    assert!(!jobs.is_empty(), "the check can see jobs: the desk's own tickets queued theirs");

    // Forwarded as an attachment (message/rfc822): the same, and the mail is kept as a file.
    let (code, out) = ingest(&url, &fixture("forward-attached.eml"));
    assert_eq!(code, 0, "{out}");
    let id = created_id(&out);
    assert_eq!(t.get(&format!("/api/v1/tickets/{id}"), &agent).await.json()["requester"]["email"], "hiro@globex.example");
    let m = &t.get(&format!("/api/v1/tickets/{id}/messages"), &agent).await.json()[0];
    assert!(m["body"].as_str().unwrap_or_default().contains("stops after 1,000 rows"), "{m}");
    let eml = attachment(m, "Invoice export missing rows.eml");
    assert_eq!(eml["content_type"], "message/rfc822");

    // A customer forwarding something stays the requester themself.
    let own = b"From: dana@northwind.example\r\nSubject: Fwd: from my colleague\r\nMessage-ID: <fwd-c-1@northwind.example>\r\n\r\n---------- Forwarded message ---------\r\nFrom: Raj <raj@northwind.example>\r\n\r\nplease look\r\n";
    let (code, out) = ingest(&url, own);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        t.get(&format!("/api/v1/tickets/{}", created_id(&out)), &agent).await.json()["requester"]["email"],
        "dana@northwind.example"
    );
}
on_both_engines!(mail_forwards, forwards);

/// Agents attach files to replies in the API and on the ticket page; the
/// customer's mail carries them; bad uploads are refused with a field error
/// and store nothing.
async fn replies_with_files(db: TestDb) {
    use base64::Engine;
    let Some(sink) = frontline_testkit::smtp::SmtpSink::start("mail_files::replies_with_files").await else { return };
    let t = TestApp::with_smtp(db, &sink.url()).await;
    let d = Desk::new(&t).await;
    t.app.run_due_jobs().await.expect("jobs");
    let already = sink.messages().len();
    let agent = t.token_for(&d.agent).await;
    let a = d.ticket_a;
    let messages = |v: Value| v.as_array().map(Vec::len).unwrap_or(0);
    let before = messages(t.get(&format!("/api/v1/tickets/{a}/messages"), &agent).await.json());

    // API: base64 in JSON.
    let log = b"2026-11-22T10:00:00Z POST /hooks 500 signature mismatch\n";
    let r = t
        .post_json(
            &format!("/api/v1/tickets/{a}/messages"),
            &agent,
            &serde_json::json!({"body": "The log of the failed delivery is attached.", "attachments": [
                {"filename": "../../delivery.log", "content_type": "text/plain", "content_base64": base64::engine::general_purpose::STANDARD.encode(log)}
            ]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let file = &r.json()["attachments"][0];
    assert_eq!(file["filename"], "delivery.log", "no path survives");
    assert_eq!(file["size"], log.len());
    assert_eq!(t.get(file["url"].as_str().expect("url"), &agent).await.body, log.to_vec());

    // The customer's mail carries the file.
    t.app.run_due_jobs().await.expect("jobs");
    let mails = sink.wait_for(already + 1).await;
    let mail = &mails[already];
    assert!(mail.contains("multipart/mixed") && mail.contains("filename=\"delivery.log\""), "{mail}");
    let parsed = frontline_mail::inbound::parse(mail.as_bytes()).expect("our own mail parses");
    assert_eq!(
        parsed.attachments.iter().map(|f| (f.filename.as_str(), f.data.as_slice())).collect::<Vec<_>>(),
        vec![("delivery.log", &log[..])]
    );

    // Bad uploads: a field error, nothing written.
    let r = t
        .post_json(
            &format!("/api/v1/tickets/{a}/messages"),
            &agent,
            &serde_json::json!({"body": "x", "attachments": [{"filename": "a.txt", "content_base64": "***"}]}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.json()["error"]["field"].as_str()), (422, Some("attachments[0].content_base64")));
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 10 * 1024 * 1024 + 1]);
    let r = t
        .post_json(
            &format!("/api/v1/tickets/{a}/messages"),
            &agent,
            &serde_json::json!({"body": "x", "attachments": [{"filename": "dump.bin", "content_base64": big}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "attachments");
    assert!(r.json()["error"]["message"].as_str().unwrap_or_default().contains("at most 10.0 MB"), "{}", r.text());
    assert_eq!(messages(t.get(&format!("/api/v1/tickets/{a}/messages"), &agent).await.json()), before + 1);

    // The ticket page: a multipart form with files, and a reply that is only a file.
    let cookie = t.login(&d.agent.email).await;
    let png = b"\x89PNG\r\n\x1a\nfake image bytes";
    let r = t
        .post_multipart(
            &format!("/tickets/{a}/reply"),
            &cookie,
            &[("kind", "internal"), ("body", ""), ("status", "")],
            &[("files", "screen shot.png", "image/png", png), ("files", "", "application/octet-stream", b"")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get(&format!("/tickets/{a}"), &cookie).await.text();
    assert!(page.contains("Attached: screen shot.png") && page.contains("class=\"thumb\""), "a file-only note");
    let all = t.get(&format!("/api/v1/tickets/{a}/messages"), &agent).await.json();
    let note = all.as_array().and_then(|m| m.last()).expect("note");
    assert_eq!(note["kind"], "internal");
    assert_eq!(note["attachments"].as_array().map(Vec::len), Some(1), "the empty file input is skipped");
    // Nothing about an internal note goes out by mail.
    t.app.run_due_jobs().await.expect("jobs");
    assert_eq!(sink.messages().len(), already + 1);

    // The customer answers in the portal with a file.
    let customer = t.login(&d.cust_member.email).await;
    let r = t
        .post_multipart(
            &format!("/portal/tickets/{a}/reply"),
            &customer,
            &[("body", "Here is our side of it.")],
            &[("files", "ours.csv", "text/csv", b"id,status\n1,500\n")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get(&format!("/portal/tickets/{a}"), &customer).await.text();
    assert!(
        page.contains("ours.csv") && page.contains("delivery.log") && !page.contains("screen shot.png"),
        "the note's file stays internal"
    );
}
on_both_engines!(reply_files, replies_with_files);

/// New tickets may carry files: over the API, from the agent's form and
/// from the portal; a refused file keeps what was typed and writes nothing.
async fn new_tickets_with_files(db: TestDb) {
    use base64::Engine;
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    let agent = t.token_for(&d.agent).await;
    let count = |v: Value| v["data"].as_array().map(Vec::len).unwrap_or(0);
    let before = count(t.get("/api/v1/tickets?limit=100", &agent).await.json());

    let har = br#"{"log":{"entries":[{"request":{"url":"https://api.acme.example/v2/orders"},"response":{"status":429}}]}}"#;
    let customer = t.token_for(&d.cust_member).await;
    let r = t
        .post_json(
            "/api/v1/tickets",
            &customer,
            &serde_json::json!({"subject": "429s on the orders API", "body": "HAR attached.", "attachments": [
                {"filename": "orders.har", "content_type": "application/json", "content_base64": base64::engine::general_purpose::STANDARD.encode(har)}
            ]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    let first = &t.get(&format!("/api/v1/tickets/{id}/messages"), &customer).await.json()[0];
    assert_eq!(attachment(first, "orders.har")["size"], har.len());

    // The agent's form: the file lands on the first message.
    let cookie = t.login(&d.agent.email).await;
    let fields = [
        ("requester_email", "dana@northwind.example"),
        ("subject", "Phone call: export fails"),
        ("body", "Dana called; screenshot of the error attached."),
        ("priority", "normal"),
        ("ticket_type", "problem"),
        ("tier", "1"),
        ("tags", ""),
        ("assignee_id", ""),
        ("team_id", ""),
    ];
    let r = t.post_multipart("/tickets", &cookie, &fields, &[("files", "error.png", "image/png", b"\x89PNG fake")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = t.get(&r.location(), &cookie).await.text();
    assert!(page.contains("error.png") && page.contains("class=\"thumb\""), "the file shows on the new ticket");

    // The portal: a file too large is refused next to the field, the text stays, nothing is created.
    let portal = t.login(&d.cust_member.email).await;
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let r = t
        .post_multipart(
            "/portal/tickets",
            &portal,
            &[("subject", "Slow dashboard"), ("body", "Profile attached."), ("priority", "normal"), ("ticket_type", "question")],
            &[("files", "profile.json", "application/json", &big)],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.text();
    assert!(page.contains("at most 10.0 MB") && page.contains("Profile attached."), "error next to the field, text kept");
    let r = t
        .post_multipart(
            "/portal/tickets",
            &portal,
            &[("subject", "Slow dashboard"), ("body", "Profile attached."), ("priority", "normal"), ("ticket_type", "question")],
            &[("files", "profile.json", "application/json", b"{\"ms\": 5400}")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(t.get(&r.location(), &portal).await.text().contains("profile.json"));
    assert_eq!(count(t.get("/api/v1/tickets?limit=100", &agent).await.json()), before + 3);
}
on_both_engines!(new_ticket_files, new_tickets_with_files);
