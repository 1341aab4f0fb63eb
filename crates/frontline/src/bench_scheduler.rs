//! `frontline bench scheduler`: open tickets under an SLA policy, then the
//! time of a full SLA recompute (every ticket dirty) and of a steady-state
//! scheduler tick (SLA pass, near-breach warnings, three rules) once the
//! rules' due firings are done. Figures go to docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::time::Instant;

use frontline_domain::authz::Actor;
use frontline_domain::rules::RuleDraft;
use frontline_domain::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec};
use frontline_domain::ticket::Priority;
use frontline_seed::{BENCH_PASSWORD, BenchSpec};

use crate::config::Config;
use crate::server::open_with_store;

#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// Open tickets to generate (into an empty database).
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    /// Reuse a database this bench generated before: change the bench
    /// policy's resolution target (what makes every open ticket's SLA
    /// change) and time that edit and the full recompute it causes.
    #[arg(long)]
    existing: bool,
}

/// The bench policy's targets; `resolution_days` differs between runs of
/// `--existing` so that every ticket's due time really moves.
fn bench_policy(resolution_days: i64) -> anyhow::Result<SlaPolicy> {
    let targets = PriorityTargets {
        first_reply: Some(Target::calendar(240)),
        next_reply: Some(Target::calendar(480)),
        resolution: Some(Target::calendar(resolution_days * 24 * 60)),
    };
    SlaPolicy {
        conditions: vec![],
        targets: Priority::ALL.iter().map(|p| (*p, targets)).collect::<BTreeMap<_, _>>(),
        step_shares: BTreeMap::new(),
    }
    .checked()
    .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Every batch of the SLA pass until none is left: (tickets kept, batches).
async fn full_recompute(app: &frontline_app::App) -> anyhow::Result<(usize, usize)> {
    let (mut recomputed, mut batches) = (0, 0);
    loop {
        let r = app.sla_pass(&Actor::System, frontline_app::scheduler::SLA_BATCH).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        recomputed += r.recomputed;
        batches += 1;
        if !r.more {
            return Ok((recomputed, batches));
        }
    }
}

/// `--existing`: edit the one bench policy, then recompute.
async fn recompute_existing(app: &frontline_app::App, store: &frontline_store::Store) -> anyhow::Result<()> {
    let policy = store.list_sla_policies().await?.into_iter().find(|p| p.name == "Bench");
    let Some(policy) = policy else { anyhow::bail!("no bench policy here: run `bench scheduler` on an empty database first") };
    let days = if policy.policy.targets.values().any(|t| t.resolution == Some(Target::calendar(7 * 24 * 60))) { 8 } else { 7 };
    let started = Instant::now();
    let input = frontline_store::sla::PolicyInput { name: "Bench", calendar_id: policy.calendar_id, policy: &bench_policy(days)? };
    store.update_sla_policy(policy.id, input, Some(policy.version), None).await?;
    println!("policy edit (marks every open ticket): {:.2}s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let (recomputed, batches) = full_recompute(app).await?;
    println!("full SLA recompute after the edit: {recomputed} tickets in {batches} batches, {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
}

pub async fn run(config: Config, args: SchedulerArgs) -> anyhow::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        // e.g. RUST_LOG=frontline_app::sla=debug: each batch's read, compute and save.
        crate::server::init_logging(&config.log_format, false);
    }
    let (app, store) = open_with_store(&config).await?;
    if args.existing {
        recompute_existing(&app, &store).await?;
        store.close().await;
        return Ok(());
    }
    let hash = app.hash_password(BENCH_PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let spec =
        BenchSpec { tickets: args.tickets, messages: args.tickets + 200, open_share: 1.0, password_hash: hash, ..BenchSpec::default() };
    let data = frontline_seed::generate_bench(&store, &spec).await?;
    println!("generated {} tickets ({} open) in {:.1}s", data.tickets, data.open_tickets, data.elapsed.as_secs_f64());

    // Every priority has calendar-hour targets on a weekday calendar, so
    // every open ticket's clocks run (most are long breached: the data spans a year).
    let calendar = BusinessCalendar::new(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("09:00", "17:00")]),
        holidays: vec![],
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let calendar_id = store.create_calendar("Bench office", &calendar, None).await?;
    let policy = bench_policy(7)?;
    store.create_sla_policy(frontline_store::sla::PolicyInput { name: "Bench", calendar_id, policy: &policy }, None).await?;

    let system = Actor::System;
    let started = Instant::now();
    let (recomputed, batches) = full_recompute(&app).await?;
    let full = started.elapsed();
    println!("full SLA recompute: {recomputed} tickets in {batches} batches, {:.2}s", full.as_secs_f64());

    // Three rules, each narrowed to one team (a sixth of the tickets), so the
    // due firings are done in a few ticks; the steady state still reads
    // every candidate ticket of each rule's condition.
    let team = data.agent_team_id;
    for (name, condition, extra) in [
        ("Breached: tell the head", "breached", ("", "")),
        ("Near breach: tell the head", "near_breach", ("", "")),
        ("Open a day: tell the head", "time_in_status", ("open", "1440")),
    ] {
        let draft = RuleDraft {
            name: name.into(),
            enabled: true,
            condition: condition.into(),
            status: (!extra.0.is_empty()).then(|| extra.0.to_string()),
            minutes: extra.1.parse().ok(),
            team_id: Some(team),
            action: "notify".into(),
            notify_user_ids: vec![data.head_id],
            ..RuleDraft::default()
        };
        let spec = draft.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        store.create_rule(&spec, data.head_id, None).await?;
    }
    let started = Instant::now();
    let (mut ticks, mut fired) = (0, 0);
    loop {
        let r = app.scheduler_tick(&system).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        ticks += 1;
        fired += r.fired;
        if !r.more && r.fired == 0 {
            break;
        }
    }
    println!("draining the rules' due firings: {fired} firings in {ticks} ticks, {:.1}s", started.elapsed().as_secs_f64());
    let mut runs = vec![];
    for _ in 0..5 {
        let started = Instant::now();
        let r = app.scheduler_tick(&system).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        runs.push((started.elapsed().as_secs_f64(), r));
    }
    for (secs, r) in &runs {
        println!("steady-state tick: {secs:.3}s (recomputed {}, warnings {}, fired {})", r.sla_recomputed, r.warnings, r.fired);
    }
    store.close().await;
    Ok(())
}
