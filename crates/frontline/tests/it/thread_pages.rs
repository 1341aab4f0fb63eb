//! A long ticket's page stays bounded: the first message, the latest 100
//! messages and history events, a count of what is not shown and a link to
//! page back, for agents and (within their scope) customers.

use frontline_app::tickets::ReplyInput;
use frontline_domain::ticket::{Channel, MessageKind};
use frontline_testkit::{TestApp, TestDb, on_both_engines};

use crate::fixtures::Desk;

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The message ids a page shows, in order.
fn shown(html: &str) -> Vec<i64> {
    html.split("id=\"message-").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
}

async fn long_ticket(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    // ticket_a's first message, then 120 public replies and 30 internal notes.
    let mut public = vec![];
    for n in 0..150 {
        let kind = if n % 5 == 4 { MessageKind::Internal } else { MessageKind::Public };
        let input = ReplyInput { kind, body: format!("Reply number {n}"), status: None, channel: Channel::Web, attachments: vec![] };
        let m = t.app.reply(&d.agent.actor(), d.ticket_a, &input).await.expect("reply");
        if kind == MessageKind::Public {
            public.push(m.id);
        }
    }
    let agent = t.login(&d.agent.email).await;
    let page = t.get(&format!("/tickets/{}", d.ticket_a), &agent).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    let ids = shown(&html);
    assert_eq!(ids.len(), 101, "the first message and the latest 100");
    assert!(html.contains("Reply number 149") && !html.contains("Reply number 49<"), "the latest, not the oldest replies");
    assert!(html.contains("50 earlier messages not shown"), "{}", &html[..2000.min(html.len())]);
    // History: the latest 100 events, and a way to the earlier ones.
    assert!(html.contains("id=\"earlier-history\""));

    // Paging back shows the 50 hidden ones (with the first message) and a way back.
    let before = ids[1];
    let back = t.get(&format!("/tickets/{}?before={before}", d.ticket_a), &agent).await.text();
    let back_ids = shown(&back);
    assert_eq!(back_ids.len(), 51, "the first message and the 50 before the page");
    assert!(back_ids.windows(2).all(|w| w[0] < w[1]) && *back_ids.last().expect("last") < before);
    assert!(!back.contains("earlier messages not shown") && back.contains("Back to the latest"));
    assert_eq!(count(&back, "id=\"newer-messages\""), 1);

    // The customer's page counts only what they may see: public replies.
    let customer = t.login(&d.cust_member.email).await;
    let html = t.get(&format!("/portal/tickets/{}", d.ticket_a), &customer).await.text();
    let ids = shown(&html);
    assert_eq!(ids.len(), 101, "{ids:?}");
    assert_eq!(&ids[1..], &public[public.len() - 100..], "the latest 100 public replies, no notes");
    assert!(html.contains("20 earlier messages not shown"), "120 public replies, 100 shown");
    assert!(!html.contains("Reply number 4<") && !html.contains("Reply number 149<"), "no internal note");
}
on_both_engines!(a_long_ticket_page_shows_the_latest_and_pages_back, long_ticket);

/// The API pages the conversation with `after_id` and `limit`; a bad
/// limit is a 400 naming it.
async fn api_pages_messages(db: TestDb) {
    let t = TestApp::new(db).await;
    let d = Desk::new(&t).await;
    for n in 0..5 {
        let input =
            ReplyInput { kind: MessageKind::Public, body: format!("Reply {n}"), status: None, channel: Channel::Web, attachments: vec![] };
        t.app.reply(&d.agent.actor(), d.ticket_a, &input).await.expect("reply");
    }
    let auth = t.token_for(&d.agent).await;
    let path = format!("/api/v1/tickets/{}/messages", d.ticket_a);
    let ids = |r: frontline_testkit::TestResponse| -> Vec<i64> {
        assert_eq!(r.status, 200, "{}", r.text());
        r.json().as_array().expect("list").iter().map(|m| m["id"].as_i64().expect("id")).collect()
    };
    let all = ids(t.get(&path, &auth).await);
    assert_eq!(all.len(), 6, "the first message and five replies");
    let first = ids(t.get(&format!("{path}?limit=4"), &auth).await);
    assert_eq!(first, all[..4]);
    let rest = ids(t.get(&format!("{path}?limit=4&after_id={}", first[3]), &auth).await);
    assert_eq!(rest, all[4..]);
    for bad in ["limit=0", "limit=1001", "after_id=-1"] {
        let r = t.get(&format!("{path}?{bad}"), &auth).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], bad.split('=').next().expect("name"), "{bad}");
    }
}
on_both_engines!(the_messages_api_pages_with_after_id_and_limit, api_pages_messages);
