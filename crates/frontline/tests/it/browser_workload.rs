//! The workload view in a real headless Chromium: the Head of Support lands
//! on their home, opens the workload, reads each agent's and tier's counts,
//! and takes an unassigned ticket near breach with the keyboard.

use frontline_testkit::TestDb;
use frontline_testkit::browser::Browser;
use thirtyfour::prelude::*;

use crate::workload::under_load;

async fn cells(b: &Browser, row: &str) -> Vec<String> {
    let mut out = vec![];
    for c in ["c-open", "c-pending", "c-near", "c-overdue", "c-help"] {
        let cell = b.driver.find(By::Css(format!("#{row} .{c}"))).await.unwrap_or_else(|_| panic!("{row} {c}"));
        out.push(cell.text().await.expect("text"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_of_support_reads_the_load_and_takes_a_ticket() {
    let Some(b) = Browser::start("browser_workload::head_of_support_reads_the_load_and_takes_a_ticket").await else { return };
    let l = under_load(TestDb::sqlite().await).await;
    let (base, server) = l.t.serve().await;

    b.sign_in(&base, &l.d.head.email).await;
    // Headings are upper-cased by the style sheet; wait for the intro text.
    b.wait_for_text("the questions waiting on you").await;
    assert!(b.driver.current_url().await.expect("url").as_str().ends_with("/home"), "the Head lands on their home");
    assert!(b.body_text().await.contains("3 unassigned at risk"));
    b.screenshot("workload-01-head-home").await;

    b.driver.find(By::Id("workload-link")).await.expect("workload link").click().await.expect("click");
    b.wait_for_text("open tickets as of").await;
    assert_eq!(cells(&b, &format!("agent-{}", l.d.agent.id)).await, ["2", "0", "0", "1", "0"]);
    assert_eq!(cells(&b, &format!("agent-{}", l.senior.id)).await, ["1", "1", "1", "0", "1"]);
    assert_eq!(cells(&b, "tier-1-total").await, ["5", "0", "1", "3", "0"]);
    assert_eq!(cells(&b, "tier-2-total").await, ["1", "1", "1", "0", "1"]);
    b.screenshot("workload-02-page").await;

    // Take with the keyboard: the button is a real one in the tab order.
    let take = b.driver.find(By::Id(format!("take-{}", l.near_unassigned))).await.expect("take");
    take.send_keys(Key::Enter).await.expect("enter");
    b.wait_for_text("Saved.").await;
    assert!(b.driver.find(By::Id(format!("take-{}", l.near_unassigned))).await.is_err(), "no longer unassigned");
    let head_row = cells(&b, &format!("agent-{}", l.d.head.id)).await;
    assert_eq!(head_row, ["1", "0", "1", "0", "0"], "the Head holds it now");
    b.screenshot("workload-03-taken").await;

    // A count opens the tickets behind it: tier 1's overdue ones nobody holds.
    let link = b.driver.find(By::Css("#tier-1-unassigned .c-overdue a")).await.expect("the count is a link");
    link.click().await.expect("click");
    b.wait_for_text("Overdue: Tier 1, unassigned").await;
    let rows = b.driver.find_all(By::Css("#slice-table tbody tr")).await.expect("rows");
    let mut ids = vec![];
    for r in rows {
        ids.push(r.attr("id").await.expect("id").unwrap_or_default());
    }
    assert_eq!(ids, [format!("row-{}", l.d.ticket_a), format!("row-{}", l.d.ticket_b)], "the two it counted, most overdue first");
    b.screenshot("workload-04-overdue-list").await;
    let take = b.driver.find(By::Id(format!("take-{}", l.d.ticket_a))).await.expect("take");
    take.send_keys(Key::Enter).await.expect("enter");
    b.wait_for_text("Overdue: Tier 1, unassigned").await;
    assert!(b.driver.find(By::Id(format!("row-{}", l.d.ticket_a))).await.is_err(), "taken: back on the list without it");
    assert!(b.driver.find(By::Id(format!("row-{}", l.d.ticket_b))).await.is_ok());
    b.quit().await;
    server.abort();
}
