//! The mail benchmark's generator against the real ingest path: a few
//! generated messages, taken in in order, become exactly the tickets,
//! messages and customers its manifest predicts (threading by headers and by
//! subject token included), so the benchmark's own check stays meaningful.

use frontline_app::directory::{OrgFields, system_actor};
use frontline_testkit::{TestApp, TestDb, on_both_engines};

async fn generated_mail_becomes_what_its_manifest_says(db: TestDb) {
    let t = TestApp::new(db).await;
    let mail = frontline_seed::generate_mail(&frontline_seed::MailSpec { messages: 120, ..Default::default() }).expect("generate");
    let m = &mail.manifest;
    for org in &m.organizations {
        let fields = OrgFields { name: org.name.clone(), domains: vec![org.domain.clone()], notes: String::new() };
        t.app.create_org(&system_actor(), &fields).await.expect("org");
    }
    let before = t.store().data_counts().await.expect("counts");
    for (i, raw) in mail.messages.iter().enumerate() {
        let parsed = frontline_mail::inbound::parse(raw).unwrap_or_else(|e| panic!("message {i}: {e}"));
        assert!(!parsed.body.trim().is_empty(), "message {i} has a body");
        t.app.ingest_email(&parsed, None).await.unwrap_or_else(|e| panic!("message {i}: {e}"));
    }
    let after = t.store().data_counts().await.expect("counts");
    assert_eq!(after.tickets, m.tickets as i64, "{m:?}");
    assert_eq!(after.messages, m.messages as i64);
    assert_eq!(after.customers - before.customers, m.people as i64);
    assert!(m.replies_by_token > 0 && m.auto_replies > 0 && m.legacy_charset > 0, "{m:?}");
}
on_both_engines!(generated_mail, generated_mail_becomes_what_its_manifest_says);
