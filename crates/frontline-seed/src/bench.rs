//! Benchmark data: a large, realistic-looking database loaded fast with
//! the store's bulk inserts (many rows per statement, large transactions).
//!
//! Tickets spread over `days` with a realistic share open, across every
//! status, tier, team and assignee; ids increase with creation time as
//! they would in production. Every ticket has its conversation (the
//! customer's first message, replies and internal notes, in time order)
//! and history events ("created", assignment, status changes, escalation,
//! one per message). One ticket has exactly `big_ticket_messages` messages
//! for the ticket-page benchmark.

use frontline_domain::ticket::EventField;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketType};
use frontline_domain::user::Role;
use frontline_store::bulk::{BulkEvent, BulkMessage, BulkOrg, BulkTicket, BulkUser};
use frontline_store::users::NewUser;
use frontline_store::{Position, Store};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::content::{self, TOPICS, Vars, render};
use crate::random::{pick, weighted};

/// A password to hash for [`BenchSpec::password_hash`] (the benchmark
/// signs in with it); any other works as well.
pub const BENCH_PASSWORD: &str = "frontline-bench";
/// The benchmark's Head of Support; its presence means bench data is loaded.
pub const BENCH_HEAD_EMAIL: &str = "head@bench.frontline.test";

/// Tickets per round of inserts (tickets, then their messages, then their events).
const BATCH: usize = 10_000;
const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct BenchSpec {
    pub tickets: usize,
    /// All messages, the tickets' first messages included; at least
    /// `tickets - 1 + big_ticket_messages`.
    pub messages: usize,
    pub organizations: usize,
    /// Staff with the agent role (tier-1 and tier-2 positions), spread over the teams.
    pub agents: usize,
    pub customers_per_org: usize,
    pub teams: usize,
    /// Tickets are spread over this many days back from now (at least 7).
    pub days: i64,
    /// Share of tickets in new, open, pending or on-hold.
    pub open_share: f64,
    /// Messages of the one very long ticket.
    pub big_ticket_messages: usize,
    /// Argon2 hash set on every bench user (hash [`BENCH_PASSWORD`] once
    /// with `App::hash_password`); empty leaves them without a password.
    pub password_hash: String,
    /// Same seed, same data (apart from the dates, relative to now).
    pub seed: u64,
}

impl Default for BenchSpec {
    fn default() -> Self {
        BenchSpec {
            tickets: 100_000,
            messages: 500_000,
            organizations: 50,
            agents: 40,
            customers_per_org: 8,
            teams: 6,
            days: 365,
            open_share: 0.25,
            big_ticket_messages: 200,
            password_hash: String::new(),
            seed: 42,
        }
    }
}

/// What a benchmark needs to know about the data.
#[derive(Debug, Clone, Serialize)]
pub struct BenchSummary {
    /// A tier-1 agent with a typical queue, to sign in as.
    pub agent_id: i64,
    pub agent_email: String,
    pub agent_team_id: i64,
    pub agent_tier: i64,
    pub head_id: i64,
    pub head_email: String,
    /// A customer platform admin, for portal benchmarks.
    pub customer_id: i64,
    pub customer_email: String,
    pub customer_organization_id: i64,
    /// The ticket with `big_ticket_messages` messages (assigned to the agent).
    pub big_ticket_id: i64,
    pub big_ticket_messages: usize,
    pub organizations: usize,
    pub teams: usize,
    pub agents: usize,
    pub customers: usize,
    pub tickets: usize,
    pub open_tickets: usize,
    pub messages: usize,
    pub events: u64,
    pub elapsed: StdDuration,
}

const TEAMS: &[&str] = &["Integrations", "Platform", "Billing & Accounts", "Data Pipelines", "Identity & Access", "Enterprise Onboarding"];
const ORG_PREFIXES: &[&str] = &[
    "Acme",
    "Blue Harbor",
    "Cascade",
    "Driftwood",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Harborview",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Northstar",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Silverline",
    "Tidewater",
];
const ORG_SUFFIXES: &[&str] = &[
    "Logistics",
    "Retail",
    "Health",
    "Payments",
    "Travel",
    "Analytics",
    "Foods",
    "Energy",
    "Media",
    "Insurance",
    "Manufacturing",
    "Telecom",
    "Robotics",
    "Apparel",
    "Pharma",
];
const FIRST_NAMES: &[&str] = &[
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nina", "Omar", "Paula",
    "Quinn", "Rosa", "Stefan", "Tara", "Umar", "Vera", "Wei", "Yara",
];
const LAST_NAMES: &[&str] = &[
    "Anders",
    "Brooks",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Garcia",
    "Hoffmann",
    "Ito",
    "Jansen",
    "Kowalczyk",
    "Larsen",
    "Moreno",
    "Nakamura",
    "Olsen",
    "Pereira",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urbina",
    "Varga",
    "Weber",
    "Young",
];

fn person(i: usize, j: usize) -> (&'static str, &'static str) {
    let f = FIRST_NAMES.len();
    let first = FIRST_NAMES[(i + j) % f];
    let last = LAST_NAMES[(i * 7 + j / f) % LAST_NAMES.len()];
    (first, last)
}

struct Agent {
    id: i64,
    first: &'static str,
    team: usize,
    tier: i64,
}

struct Customer {
    id: i64,
    first: &'static str,
    org: usize,
}

struct Org {
    id: i64,
    name: String,
    domain: String,
}

/// One ticket before it is written. Times are Unix seconds.
#[derive(Clone)]
struct Plan {
    status: Status,
    priority: Priority,
    ticket_type: TicketType,
    channel: Channel,
    tier: i64,
    level: i64,
    team: usize,
    /// Index into the agents; `None` with `head` false means unassigned.
    assignee: Option<usize>,
    head: bool,
    customer: usize,
    topic: usize,
    seed: u64,
    created: i64,
    /// Last message (the resolution for solved and closed tickets).
    activity_end: i64,
    updated: i64,
    solved: Option<i64>,
    messages: usize,
}

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn position<'p>(positions: &'p [Position], name: &str, tier: i64) -> Option<&'p Position> {
    positions.iter().find(|p| p.name == name).or_else(|| positions.iter().filter(|p| p.tier.get() == tier).max_by_key(|p| p.rank))
}

fn check(spec: &BenchSpec) -> anyhow::Result<()> {
    ensure!(spec.tickets >= 2, "at least 2 tickets");
    ensure!(spec.big_ticket_messages >= 1, "the big ticket needs at least one message");
    ensure!(
        spec.messages >= spec.tickets - 1 + spec.big_ticket_messages,
        "{} messages are too few: every ticket has at least one and the big ticket {}",
        spec.messages,
        spec.big_ticket_messages
    );
    ensure!(spec.organizations >= 1 && spec.customers_per_org >= 1, "at least one organization with one customer");
    ensure!(spec.agents >= 1 && spec.teams >= 1, "at least one agent and one team");
    ensure!(spec.days >= 7, "spread tickets over at least 7 days");
    ensure!((0.0..=1.0).contains(&spec.open_share), "open_share is a fraction between 0 and 1");
    Ok(())
}

/// Load the benchmark data set. Meant for an empty database (it may hold
/// the demo data; it must not hold bench data already).
pub async fn generate_bench(store: &Store, spec: &BenchSpec) -> anyhow::Result<BenchSummary> {
    check(spec)?;
    if store.user_by_email(BENCH_HEAD_EMAIL).await?.is_some() {
        bail!("benchmark data is already loaded in this database; use a fresh one");
    }
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let now = store.now().timestamp();
    let password_hash = (!spec.password_hash.is_empty()).then(|| spec.password_hash.clone());
    let setup_at = ts(now - spec.days * DAY - DAY);

    // Teams: reuse same-named ones (the demo's), create the rest.
    let existing = store.list_teams().await?;
    let mut team_ids = Vec::with_capacity(spec.teams);
    for i in 0..spec.teams {
        let name = TEAMS.get(i).map(|s| s.to_string()).unwrap_or_else(|| format!("Support Team {}", i + 1));
        let id = match existing.iter().find(|t| t.name == name) {
            Some(t) => t.id,
            None => {
                store
                    .create_team(
                        &frontline_store::directory::TeamInput {
                            name: name.clone(),
                            description: "Benchmark team".into(),
                            assignment_mode: Default::default(),
                            assignment_capacity: None,
                        },
                        None,
                    )
                    .await?
            }
        };
        team_ids.push(id);
    }

    // Staff: a Head of Support, then agents reporting to them.
    let positions = store.list_positions().await?;
    let head_pos = position(&positions, "Head of Support", 3).map(|p| p.id);
    let head_id = store
        .bulk_insert_users(&[BulkUser {
            user: NewUser {
                email: BENCH_HEAD_EMAIL.into(),
                name: "Harper Quinn".into(),
                role: Role::HeadOfSupport,
                organization_id: None,
                position_id: head_pos,
                team_id: None,
                reports_to: None,
                password_hash: password_hash.clone(),
            },
            created_at: setup_at,
        }])
        .await?
        .first()
        .copied()
        .context("head of support not created")?;
    let tier1_names = ["Support Specialist", "Support Analyst", "Support Specialist", "Support Coordinator", "Support Specialist"];
    let mut agent_rows = Vec::with_capacity(spec.agents);
    let mut agent_meta = Vec::with_capacity(spec.agents);
    for i in 0..spec.agents {
        // Round-robin over the teams; every third member of a team is a senior.
        let (team, rank_in_team) = (i % spec.teams, i / spec.teams);
        let (tier, name) =
            if rank_in_team % 3 == 2 { (2, "Senior Support Specialist") } else { (1, tier1_names[rank_in_team % tier1_names.len()]) };
        let pos = position(&positions, name, tier);
        let (first, last) = person(i, 0);
        agent_rows.push(BulkUser {
            user: NewUser {
                email: format!("agent{:03}@bench.frontline.test", i + 1),
                name: format!("{first} {last}"),
                role: Role::Agent,
                organization_id: None,
                position_id: pos.map(|p| p.id),
                team_id: team_ids.get(team).copied(),
                reports_to: Some(head_id),
                password_hash: password_hash.clone(),
            },
            created_at: setup_at,
        });
        agent_meta.push((first, team, pos.map(|p| p.tier.get()).unwrap_or(tier)));
    }
    let agent_ids = store.bulk_insert_users(&agent_rows).await?;
    let agents: Vec<Agent> =
        agent_ids.iter().zip(agent_meta).map(|(id, (first, team, tier))| Agent { id: *id, first, team, tier }).collect();

    // Organizations and their customers (the first of each is the platform admin).
    let org_rows: Vec<BulkOrg> = (0..spec.organizations)
        .map(|i| {
            let (p, s) = (ORG_PREFIXES.len(), ORG_SUFFIXES.len());
            let mut name = format!("{} {}", ORG_PREFIXES[i % p], ORG_SUFFIXES[(i / p) % s]);
            if i >= p * s {
                name.push_str(&format!(" {}", i / (p * s) + 1));
            }
            BulkOrg {
                name,
                domains: vec![format!("org{:03}.bench.test", i + 1)],
                notes: "Benchmark organization.".into(),
                created_at: setup_at,
            }
        })
        .collect();
    let org_ids = store.bulk_insert_orgs(&org_rows).await?;
    let orgs: Vec<Org> = org_ids
        .iter()
        .zip(org_rows)
        .map(|(id, o)| Org { id: *id, domain: o.domains.first().cloned().unwrap_or_default(), name: o.name })
        .collect();
    let mut customer_rows = Vec::with_capacity(orgs.len() * spec.customers_per_org);
    let mut customer_meta = Vec::with_capacity(customer_rows.capacity());
    for (i, org) in orgs.iter().enumerate() {
        for j in 0..spec.customers_per_org {
            let (first, last) = person(i + 5, j);
            let local = if j == 0 { "admin".to_string() } else { format!("{}.{}{}", first.to_lowercase(), last.to_lowercase(), j) };
            customer_rows.push(BulkUser {
                user: NewUser {
                    email: format!("{local}@{}", org.domain),
                    name: format!("{first} {last}"),
                    role: if j == 0 { Role::CustomerAdmin } else { Role::CustomerMember },
                    organization_id: Some(org.id),
                    position_id: None,
                    team_id: None,
                    reports_to: None,
                    password_hash: password_hash.clone(),
                },
                created_at: setup_at,
            });
            customer_meta.push((first, i));
        }
    }
    let customer_ids = store.bulk_insert_users(&customer_rows).await?;
    let customers: Vec<Customer> =
        customer_ids.iter().zip(customer_meta).map(|(id, (first, org))| Customer { id: *id, first, org }).collect();
    tracing::info!(agents = agents.len(), customers = customers.len(), organizations = orgs.len(), "bench people loaded");

    // Plan every ticket, then write them in creation order.
    let mut plans = plan_tickets(&mut rng, spec, &agents, customers.len(), now);
    let big = pick_big_ticket(&mut plans, spec, &agents, now);
    allocate_messages(&mut rng, &mut plans, spec, big);
    let open_tickets = plans.iter().filter(|p| p.status.is_open()).count();

    let people = People { agents: &agents, customers: &customers, orgs: &orgs, team_ids: &team_ids, head_id };
    let mut big_ticket_id = None;
    let mut messages_written = 0usize;
    let mut events_written = 0u64;
    for (batch_no, chunk) in plans.chunks_mut(BATCH).enumerate() {
        let offset = batch_no * BATCH;
        let written = write_batch(store, &mut rng, &people, chunk).await?;
        if (offset..offset + chunk.len()).contains(&big) {
            big_ticket_id = written.ticket_ids.get(big - offset).copied();
        }
        messages_written += written.messages;
        events_written += written.events;
        tracing::info!(tickets = offset + chunk.len(), messages = messages_written, "bench tickets loaded");
    }
    store.rebuild_ticket_counts().await?;
    bench_sla_policy(store).await?;
    store.analyze().await?;

    let agent = agents.first().context("no agents")?;
    let customer = customers.first().context("no customers")?;
    Ok(BenchSummary {
        agent_id: agent.id,
        agent_email: agent_rows.first().map(|u| u.user.email.clone()).unwrap_or_default(),
        agent_team_id: team_ids.get(agent.team).copied().unwrap_or_default(),
        agent_tier: agent.tier,
        head_id,
        head_email: BENCH_HEAD_EMAIL.into(),
        customer_id: customer.id,
        customer_email: customer_rows.first().map(|u| u.user.email.clone()).unwrap_or_default(),
        customer_organization_id: orgs.get(customer.org).map(|o| o.id).unwrap_or_default(),
        big_ticket_id: big_ticket_id.context("the big ticket was not written")?,
        big_ticket_messages: spec.big_ticket_messages,
        organizations: orgs.len(),
        teams: team_ids.len(),
        agents: agents.len(),
        customers: customers.len(),
        tickets: plans.len(),
        open_tickets,
        messages: messages_written,
        events: events_written,
        elapsed: started.elapsed(),
    })
}

fn plan_tickets(rng: &mut SmallRng, spec: &BenchSpec, agents: &[Agent], customers: usize, now: i64) -> Vec<Plan> {
    let open = (spec.open_share * 1000.0).round() as u32;
    let closed = 1000 - open.min(1000);
    let statuses = [
        (Status::New, open * 15 / 100),
        (Status::Open, open * 45 / 100),
        (Status::Pending, open * 25 / 100),
        (Status::OnHold, open - open * 15 / 100 - open * 45 / 100 - open * 25 / 100),
        (Status::Solved, closed * 6 / 100),
        (Status::Closed, closed - closed * 6 / 100),
    ];
    // Agents by (team, tier), for assignment.
    let horizon = spec.days * DAY;
    let recent = horizon.min(90 * DAY);
    let mut plans = Vec::with_capacity(spec.tickets);
    for _ in 0..spec.tickets {
        let status = weighted(rng, &statuses);
        let tier = if status == Status::New { weighted(rng, &[(1, 90), (2, 10)]) } else { weighted(rng, &[(1, 75), (2, 20), (3, 5)]) };
        let level = match tier {
            1 => 0,
            2 => weighted(rng, &[(1, 80), (0, 20)]),
            _ => weighted(rng, &[(2, 60), (3, 40)]),
        };
        let team = rng.random_range(0..spec.teams);
        let (assignee, head) = if status == Status::New || rng.random_bool(0.08) {
            (None, false)
        } else if tier == 3 {
            (None, true)
        } else {
            let fits: Vec<usize> = agents.iter().enumerate().filter(|(_, a)| a.team == team && a.tier == tier).map(|(i, _)| i).collect();
            let any_tier: Vec<usize> = agents.iter().enumerate().filter(|(_, a)| a.tier == tier).map(|(i, _)| i).collect();
            let pick = fits.choose(rng).or_else(|| any_tier.choose(rng)).copied().unwrap_or_else(|| rng.random_range(0..agents.len()));
            (Some(pick), false)
        };
        let u: f64 = rng.random();
        let resolution = 1_800 + (u * u * (10 * DAY) as f64) as i64;
        let (created, activity_end, updated, solved) = match status {
            Status::New => {
                let c = now - rng.random_range(300..=3 * DAY);
                (c, c, c, None)
            }
            Status::Open | Status::Pending | Status::OnHold => {
                let v: f64 = rng.random();
                let age = 600 + (v * v * recent as f64) as i64;
                let c = now - age;
                let last = c + rng.random_range(60..=(age - 60).max(60));
                (c, last, last, None)
            }
            Status::Solved => {
                let s = now - rng.random_range(600..=4 * DAY);
                let c = (s - resolution).max(now - horizon);
                (c, s, s, Some(s))
            }
            _ => {
                let c = now - rng.random_range(5 * DAY..=horizon);
                let s = (c + resolution).min(now - 4 * DAY - 3_600).max(c + 60);
                let closed_at = (s + 4 * DAY + rng.random_range(0..3_600)).min(now - 1);
                (c, s, closed_at, Some(s))
            }
        };
        plans.push(Plan {
            status,
            priority: weighted(rng, &[(Priority::Low, 20), (Priority::Normal, 55), (Priority::High, 19), (Priority::Urgent, 6)]),
            ticket_type: weighted(
                rng,
                &[(TicketType::Question, 40), (TicketType::Incident, 35), (TicketType::Problem, 10), (TicketType::Task, 15)],
            ),
            channel: weighted(rng, &[(Channel::Email, 45), (Channel::Portal, 30), (Channel::Api, 15), (Channel::Web, 10)]),
            tier,
            level,
            team,
            assignee,
            head,
            customer: rng.random_range(0..customers),
            topic: rng.random_range(0..TOPICS.len()),
            seed: rng.random(),
            created,
            activity_end,
            updated,
            solved,
            messages: 1,
        });
    }
    // Ids grow with creation time, as in production.
    plans.sort_by_key(|p| p.created);
    plans
}

/// An open ticket at least 20 days old, assigned to the benchmark's agent.
fn pick_big_ticket(plans: &mut [Plan], spec: &BenchSpec, agents: &[Agent], now: i64) -> usize {
    let old_open = plans.iter().position(|p| p.status == Status::Open && p.created <= now - 20 * DAY);
    let idx = old_open.or_else(|| plans.iter().position(|p| p.status == Status::Open)).unwrap_or(plans.len() / 2);
    let p = &mut plans[idx];
    if !p.status.is_open() || p.status == Status::New {
        p.status = Status::Open;
        p.solved = None;
        p.activity_end = p.activity_end.max(p.created + 60).min(now - 60).max(p.created);
        p.updated = p.activity_end;
    }
    if let Some(agent) = agents.first() {
        p.assignee = Some(0);
        p.head = false;
        p.team = agent.team;
        p.tier = agent.tier;
        p.level = if agent.tier >= 2 { 1 } else { 0 };
    }
    p.messages = spec.big_ticket_messages;
    idx
}

/// One message per ticket, the big ticket's, and the rest spread over
/// tickets that are past "new", a few of them long threads.
fn allocate_messages(rng: &mut SmallRng, plans: &mut [Plan], spec: &BenchSpec, big: usize) {
    let mut remaining = spec.messages - (spec.tickets - 1) - spec.big_ticket_messages;
    let mut eligible: Vec<usize> = (0..plans.len()).filter(|&i| i != big && plans[i].status != Status::New).collect();
    if eligible.is_empty() {
        eligible = (0..plans.len()).filter(|&i| i != big).collect();
    }
    // The chatty 5%: shuffle, then take a prefix.
    for i in (1..eligible.len()).rev() {
        let j = rng.random_range(0..=i);
        eligible.swap(i, j);
    }
    let heavy = &eligible[..eligible.len().div_ceil(20).max(1)];
    while remaining > 0 {
        let pool = if rng.random_bool(0.2) { heavy } else { &eligible[..] };
        if let Some(&i) = pool.choose(rng) {
            plans[i].messages += 1;
        }
        remaining -= 1;
    }
}

struct People<'a> {
    agents: &'a [Agent],
    customers: &'a [Customer],
    orgs: &'a [Org],
    team_ids: &'a [i64],
    head_id: i64,
}

struct Written {
    ticket_ids: Vec<i64>,
    messages: usize,
    events: u64,
}

/// Message times from creation to the last activity, strictly increasing.
/// May move the last activity (and what depends on it) later when a long
/// thread does not fit in a short span.
fn message_times(rng: &mut SmallRng, p: &mut Plan) -> Vec<i64> {
    let m = p.messages;
    let mut times = Vec::with_capacity(m);
    times.push(p.created);
    if m >= 2 {
        let mut middle: Vec<i64> =
            (0..m - 2).map(|_| if p.activity_end > p.created { rng.random_range(p.created..=p.activity_end) } else { p.created }).collect();
        middle.sort_unstable();
        times.extend(middle);
        times.push(p.activity_end);
        for i in 1..times.len() {
            if times[i] <= times[i - 1] {
                times[i] = times[i - 1] + 1;
            }
        }
    }
    let last = times.last().copied().unwrap_or(p.created);
    if last > p.activity_end {
        let shift = last - p.activity_end;
        p.activity_end = last;
        p.updated += shift;
        if let Some(s) = p.solved.as_mut() {
            *s += shift;
        }
    }
    times
}

async fn write_batch(store: &Store, rng: &mut SmallRng, people: &People<'_>, plans: &mut [Plan]) -> anyhow::Result<Written> {
    let times: Vec<Vec<i64>> = plans.iter_mut().map(|p| message_times(rng, p)).collect();
    let assignee_id = |p: &Plan| -> Option<i64> {
        if p.head { Some(people.head_id) } else { p.assignee.and_then(|a| people.agents.get(a)).map(|a| a.id) }
    };

    let mut tickets = Vec::with_capacity(plans.len());
    for p in plans.iter() {
        let topic = &TOPICS[p.topic];
        let customer = &people.customers[p.customer];
        let org = &people.orgs[customer.org];
        let v = vars(people, p, customer, org);
        let mut tags: Vec<String> = topic.tags.iter().map(|t| t.to_string()).collect();
        if p.level >= 3 {
            tags.push("engineering".into());
        }
        if p.seed % 10 == 0 {
            tags.push("vip".into());
        }
        let subject_tpl = topic.subjects[(p.seed >> 8) as usize % topic.subjects.len()];
        tickets.push(BulkTicket {
            subject: render(subject_tpl, &v),
            status: p.status,
            priority: p.priority,
            ticket_type: p.ticket_type,
            channel: p.channel,
            requester_id: customer.id,
            organization_id: Some(org.id),
            assignee_id: assignee_id(p),
            team_id: people.team_ids.get(p.team).copied(),
            tier: p.tier,
            escalation_level: p.level,
            tags,
            created_at: ts(p.created),
            updated_at: ts(p.updated),
            solved_at: p.solved.map(ts),
        });
    }
    let ticket_ids = store.bulk_insert_tickets(&tickets).await.context("inserting tickets")?;
    drop(tickets);

    // Messages, remembering who wrote what for the history.
    let mut messages = Vec::new();
    let mut first_staff_reply: Vec<Option<i64>> = Vec::with_capacity(plans.len());
    for ((p, id), times) in plans.iter().zip(&ticket_ids).zip(&times) {
        let topic = &TOPICS[p.topic];
        let customer = &people.customers[p.customer];
        let org = &people.orgs[customer.org];
        let v = vars(people, p, customer, org);
        // Unassigned tickets were still answered by someone on the team.
        let worker = assignee_id(p).unwrap_or_else(|| {
            let team: Vec<&Agent> = people.agents.iter().filter(|a| a.team == p.team).collect();
            team.choose(rng).map(|a| a.id).unwrap_or(people.head_id)
        });
        let m = times.len();
        let mut first_staff = None;
        for (i, &at) in times.iter().enumerate() {
            let last = i + 1 == m && m >= 2;
            let (staff, kind, template) = if i == 0 {
                (false, MessageKind::Public, pick(rng, topic.openings))
            } else if last {
                match p.status {
                    Status::Solved | Status::Closed => (true, MessageKind::Public, pick(rng, topic.fixes)),
                    Status::Pending => (true, MessageKind::Public, pick(rng, content::PENDING)),
                    Status::OnHold => (true, MessageKind::Public, pick(rng, content::HOLD_ENGINEERING)),
                    // Open: the customer is waiting, or the agent is working on it.
                    _ if rng.random_bool(0.6) => (false, MessageKind::Public, pick(rng, content::NUDGES)),
                    _ => (true, MessageKind::Internal, pick(rng, topic.notes)),
                }
            } else if i == 1 {
                let list = if rng.random_bool(0.6) { topic.asks } else { content::ACKS };
                (true, MessageKind::Public, pick(rng, list))
            } else {
                match rng.random_range(0..10) {
                    0 | 1 => {
                        let list = if p.level >= 1 && rng.random_bool(0.3) { content::ESCALATE_T2 } else { topic.notes };
                        (true, MessageKind::Internal, pick(rng, list))
                    }
                    2..=5 => {
                        let list = if rng.random_bool(0.6) { topic.details } else { content::NUDGES };
                        (false, MessageKind::Public, pick(rng, list))
                    }
                    _ => {
                        let list = if rng.random_bool(0.5) { topic.asks } else { content::EXTRA_ASKS };
                        (true, MessageKind::Public, pick(rng, list))
                    }
                }
            };
            if staff && kind == MessageKind::Public && first_staff.is_none() {
                first_staff = Some(at);
            }
            messages.push(BulkMessage {
                ticket_id: *id,
                author_id: if staff { worker } else { customer.id },
                kind,
                body: render(template, &v),
                channel: if staff { Channel::Web } else { p.channel },
                created_at: ts(at),
            });
        }
        first_staff_reply.push(first_staff);
    }
    let message_ids = store.bulk_insert_messages(&messages).await.context("inserting messages")?;

    // History, per ticket in time order.
    let mut events = Vec::with_capacity(messages.len() + plans.len() * 4);
    let mut next_message = 0usize;
    for (((p, id), times), first_staff) in plans.iter().zip(&ticket_ids).zip(&times).zip(&first_staff_reply) {
        let mut evs: Vec<BulkEvent> = Vec::with_capacity(times.len() + 6);
        let requester = people.customers[p.customer].id;
        let assignee = assignee_id(p);
        let ev = |actor: Option<i64>, field: EventField, old: Option<String>, new: Option<String>, at: i64| BulkEvent {
            ticket_id: *id,
            actor_id: actor,
            field,
            old_value: old,
            new_value: new,
            created_at: ts(at),
        };
        let creator = if p.channel == Channel::Web { assignee.or(Some(requester)) } else { Some(requester) };
        evs.push(ev(creator, EventField::Created, None, Some("new".into()), p.created));
        if let Some(team) = people.team_ids.get(p.team) {
            evs.push(ev(creator, EventField::Team, None, Some(team.to_string()), p.created));
        }
        for k in 0..times.len() {
            let m = &messages[next_message + k];
            let field = EventField::of_message(m.kind);
            let mid = message_ids.get(next_message + k).map(|i| i.to_string());
            evs.push(ev(Some(m.author_id), field, None, mid, times[k]));
        }
        next_message += times.len();
        if p.status != Status::New {
            let opened = first_staff.unwrap_or_else(|| (p.created + 600).min(p.activity_end));
            let actor = assignee.or(Some(people.head_id));
            if let Some(a) = assignee {
                evs.push(ev(actor, EventField::Assignee, None, Some(a.to_string()), opened));
            }
            evs.push(ev(actor, EventField::Status, Some("new".into()), Some("open".into()), opened));
            if p.level >= 1 {
                let at = opened + (p.activity_end - opened) / 2;
                if p.tier > 1 {
                    evs.push(ev(actor, EventField::Tier, Some("1".into()), Some(p.tier.to_string()), at));
                }
                evs.push(ev(actor, EventField::EscalationLevel, Some("0".into()), Some(p.level.to_string()), at));
            }
            match p.status {
                Status::Pending | Status::OnHold => {
                    evs.push(ev(actor, EventField::Status, Some("open".into()), Some(p.status.as_str().into()), p.activity_end));
                }
                Status::Solved | Status::Closed => {
                    let solved = p.solved.unwrap_or(p.activity_end);
                    evs.push(ev(actor, EventField::Status, Some("open".into()), Some("solved".into()), solved));
                    if p.status == Status::Closed {
                        evs.push(ev(None, EventField::Status, Some("solved".into()), Some("closed".into()), p.updated));
                    }
                }
                _ => {}
            }
        }
        evs.sort_by_key(|e| e.created_at);
        events.extend(evs);
    }
    drop(messages);
    let events_written = store.bulk_insert_events(&events).await.context("inserting events")?;
    Ok(Written { ticket_ids, messages: message_ids.len(), events: events_written })
}

/// One SLA policy for every ticket, on a Berlin business-hours calendar,
/// with targets for each priority, so that the SLA pass (run by `frontline
/// bench generate` after this) gives every open ticket its due time.
async fn bench_sla_policy(store: &Store) -> anyhow::Result<()> {
    use std::collections::BTreeMap;

    use frontline_domain::sla::{BusinessCalendar, CalendarSpec, EscalationStep, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec};

    let calendar = BusinessCalendar::new(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: WeeklyHoursSpec::weekdays(&[("08:00", "18:00")]),
        holidays: vec![],
    })?;
    let calendar_id = store.create_calendar("Berlin office", &calendar, None).await?;
    let targets = |first: Target, next: Target, resolution: Target| PriorityTargets {
        first_reply: Some(first),
        next_reply: Some(next),
        resolution: Some(resolution),
    };
    let policy = SlaPolicy {
        conditions: vec![],
        targets: BTreeMap::from([
            (Priority::Urgent, targets(Target::calendar(60), Target::calendar(120), Target::calendar(8 * 60))),
            (Priority::High, targets(Target::business(4 * 60), Target::business(8 * 60), Target::business(3 * 600))),
            (Priority::Normal, targets(Target::business(8 * 60), Target::business(10 * 60), Target::business(5 * 600))),
            (Priority::Low, targets(Target::business(2 * 600), Target::business(3 * 600), Target::business(10 * 600))),
        ]),
        step_shares: BTreeMap::from([(EscalationStep::Tier1, 25), (EscalationStep::Tier2, 75)]),
    }
    .checked()?;
    store.create_sla_policy(frontline_store::sla::PolicyInput { name: "Standard", calendar_id, policy: &policy }, None).await?;
    Ok(())
}

fn vars<'a>(people: &'a People<'_>, p: &Plan, customer: &'a Customer, org: &'a Org) -> Vars<'a> {
    let agent = p.assignee.and_then(|a| people.agents.get(a)).map(|a| a.first).unwrap_or("the team");
    Vars { customer: customer.first, agent, senior: agent, head: "Harper", org: &org.name, domain: &org.domain, seed: p.seed }
}
