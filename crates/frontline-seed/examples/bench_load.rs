//! Load the benchmark data set and report how long it took.
//!
//!     cargo run --release -p frontline-seed --example bench_load -- /tmp/bench.db [tickets] [messages]
//!
//! The first argument is a SQLite file (created, must not hold bench data)
//! or a postgres:// URL. Add `--demo` to seed the demo data instead, and
//! `--check` to verify the data's invariants afterwards (full scans).

use std::time::Instant;

use anyhow::Context;
use frontline_app::{App, AppConfig};
use frontline_seed::{BENCH_PASSWORD, BenchSpec, generate_bench, seed_demo};
use frontline_store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|a| a == "--demo");
    let check = args.iter().any(|a| a == "--check");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let target = positional.first().context("usage: bench_load <sqlite path | postgres url> [tickets] [messages] [--demo]")?;
    let url = if target.starts_with("postgres://") || target.starts_with("postgresql://") {
        target.to_string()
    } else {
        format!("sqlite://{target}")
    };
    let store = Store::connect(&url, 4).await?;
    store.migrate().await?;
    let app = App::new(store.clone(), AppConfig::default());

    if demo {
        let started = Instant::now();
        let s = seed_demo(&app).await?;
        println!("demo seeded={} in {:.1?}: {} tickets, {} messages", s.seeded, started.elapsed(), s.tickets, s.messages);
        for l in &s.logins {
            println!("  {:36} {:26} {}", l.email, l.role, l.position.as_deref().or(l.organization.as_deref()).unwrap_or_default());
        }
        println!("password: {}", s.password);
        if check {
            let checks = store.data_checks().await?;
            println!("checks: {}", if checks.is_clean() { "clean".to_string() } else { checks.problems().join(", ") });
        }
        return Ok(());
    }

    let mut spec = BenchSpec { password_hash: app.hash_password(BENCH_PASSWORD).await?, ..Default::default() };
    if let Some(t) = positional.get(1) {
        spec.tickets = t.parse().context("tickets must be a number")?;
    }
    if let Some(m) = positional.get(2) {
        spec.messages = m.parse().context("messages must be a number")?;
    }
    println!("loading {} tickets and {} messages into {url}", spec.tickets, spec.messages);
    let started = Instant::now();
    let s = generate_bench(&store, &spec).await?;
    let wall = started.elapsed();
    println!(
        "loaded {} tickets ({} open), {} messages, {} events, {} organizations, {} customers, {} agents",
        s.tickets, s.open_tickets, s.messages, s.events, s.organizations, s.customers, s.agents
    );
    println!(
        "agent {} (id {}, password {BENCH_PASSWORD}); ticket with {} messages: #{}",
        s.agent_email, s.agent_id, s.big_ticket_messages, s.big_ticket_id
    );
    println!("wall time {wall:.1?} (generator reports {:.1?})", s.elapsed);
    if check {
        let started = Instant::now();
        let checks = store.data_checks().await?;
        println!(
            "checks in {:.1?}: {}",
            started.elapsed(),
            if checks.is_clean() { "clean".to_string() } else { checks.problems().join(", ") }
        );
    }
    store.close().await;
    Ok(())
}
