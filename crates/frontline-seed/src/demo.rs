//! Demo data: a support team following the design's career ladder, five
//! customer organizations integrating with the vendor, and about 300
//! tickets over the last 90 days with their conversations.
//!
//! People, organizations and teams are created through the use cases (so
//! they pass the same validation as the admin screens). Tickets are
//! backdated, which the everyday use cases don't allow, so most go through
//! the app's import (`import_ticket`/`import_message`, the system's only,
//! which keep history events and queue counts); the last few are created
//! "now" through the everyday use cases, as an agent or a customer would.

use frontline_domain::tier::{EscalationLevel, Tier};
use std::collections::{HashMap, HashSet};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use frontline_app::App;
use frontline_app::directory::{OrgFields, UserInput, system_actor};
use frontline_app::import::{ImportedMessage, ImportedTicket};
use frontline_app::ingest::{InboundEmail, IngestOutcome};
use frontline_app::tickets::{NewAttachment, NewTicketInput, ReplyInput, TicketPatch};
use frontline_domain::authz::Actor;
use frontline_domain::ticket::{self, Channel, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_domain::user::Role;
use frontline_store::tickets::TicketFilter;
use frontline_store::{Position, User};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::content::{self, BILLING, INTEGRATIONS, PLATFORM, TEAM_NAMES, TOPICS, Topic, Vars, render};
use crate::random::{pick, weighted};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "frontline-demo";
/// Created last, so its presence means the demo data is complete.
pub const DEMO_ADMIN_EMAIL: &str = "admin@frontline.example";

const DEMO_DAYS: i64 = 90;
const DEMO_TICKETS: usize = 300;
/// Of those, created "now" through the use cases.
const LIVE_TICKETS: usize = 9;

/// A user to sign in as.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub email: String,
    pub name: String,
    /// The role's label ("Head of Support", "Customer platform admin", ...).
    pub role: String,
    pub position: Option<String>,
    pub team: Option<String>,
    pub organization: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// False when the demo data was already there and nothing was written.
    pub seeded: bool,
    pub password: &'static str,
    /// Staff first (admin first of all), then customers by organization.
    pub logins: Vec<DemoLogin>,
    /// Totals in the database afterwards.
    pub users: i64,
    pub organizations: i64,
    pub teams: i64,
    pub tickets: i64,
    pub open_tickets: i64,
    pub messages: i64,
    pub internal_notes: i64,
    pub events: i64,
    pub tickets_by_status: Vec<(String, i64)>,
}

struct StaffSpec {
    key: &'static str,
    email: &'static str,
    name: &'static str,
    role: Role,
    position: Option<&'static str>,
    team: Option<usize>,
    reports_to: Option<&'static str>,
}

const fn staff(
    key: &'static str,
    email: &'static str,
    name: &'static str,
    role: Role,
    position: Option<&'static str>,
    team: Option<usize>,
    reports_to: Option<&'static str>,
) -> StaffSpec {
    StaffSpec { key, email, name, role, position, team, reports_to }
}

/// In creation order: managers before the people reporting to them. The
/// admin comes last (see [`DEMO_ADMIN_EMAIL`]).
const STAFF: &[StaffSpec] = &[
    staff("head", "head@frontline.example", "Helena Park", Role::HeadOfSupport, Some("Head of Support"), None, None),
    staff("lead", "lead@frontline.example", "Marcus Bell", Role::Manager, Some("Senior Support Lead"), Some(PLATFORM), Some("head")),
    staff("manager", "manager@frontline.example", "Priya Nair", Role::Manager, Some("Support Manager"), Some(INTEGRATIONS), Some("lead")),
    staff(
        "sam",
        "t2.sam@frontline.example",
        "Sam Okafor",
        Role::Agent,
        Some("Senior Support Specialist"),
        Some(INTEGRATIONS),
        Some("lead"),
    ),
    staff(
        "jordan",
        "t2.jordan@frontline.example",
        "Jordan Lee",
        Role::Agent,
        Some("Senior Support Specialist"),
        Some(PLATFORM),
        Some("lead"),
    ),
    staff("alex", "t1.alex@frontline.example", "Alex Moreau", Role::Agent, Some("Support Specialist"), Some(INTEGRATIONS), Some("manager")),
    staff(
        "riley",
        "t1.riley@frontline.example",
        "Riley Chen",
        Role::Agent,
        Some("Support Specialist"),
        Some(INTEGRATIONS),
        Some("manager"),
    ),
    staff("noah", "t1.noah@frontline.example", "Noah Fischer", Role::Agent, Some("Support Specialist"), Some(PLATFORM), Some("manager")),
    staff("maya", "t1.maya@frontline.example", "Maya Singh", Role::Agent, Some("Support Specialist"), Some(BILLING), Some("manager")),
    staff("kim", "analyst.kim@frontline.example", "Kim Tanaka", Role::Agent, Some("Support Analyst"), Some(PLATFORM), Some("manager")),
    staff("luis", "coord.luis@frontline.example", "Luis Ortega", Role::Agent, Some("Support Coordinator"), Some(BILLING), Some("manager")),
    staff("eng", "eng@frontline.example", "Ethan Novak", Role::Engineering, None, None, None),
    staff("se", "se@frontline.example", "Sofia Rossi", Role::SolutionsEngineer, None, None, None),
    staff("leadership", "leadership@frontline.example", "Grace Whitfield", Role::Leadership, None, None, None),
    staff("admin", DEMO_ADMIN_EMAIL, "Morgan Reyes", Role::Admin, None, None, None),
];

/// Fallback when an admin renamed a seeded position: its rank on the ladder.
const POSITION_RANKS: &[(&str, i64)] = &[
    ("Support Coordinator", 1),
    ("Support Analyst", 2),
    ("Support Specialist", 3),
    ("Senior Support Specialist", 4),
    ("Support Manager", 5),
    ("Senior Support Lead", 6),
    ("Head of Support", 7),
];

struct OrgSpec {
    name: &'static str,
    domain: &'static str,
    notes: &'static str,
    /// Share of the tickets, in percent.
    weight: u32,
    admin: (&'static str, &'static str),
    engineers: &'static [(&'static str, &'static str)],
}

const ORGS: &[OrgSpec] = &[
    OrgSpec {
        name: "Northwind Logistics",
        domain: "northwind.example",
        notes: "Enterprise plan. Streams shipment and order events through the event ingest API and receives delivery-status webhooks. EU region go-live planned this quarter.",
        weight: 25,
        admin: ("admin@northwind.example", "Oliver Grant"),
        engineers: &[("dana@northwind.example", "Dana Kowalski"), ("raj@northwind.example", "Raj Patel")],
    },
    OrgSpec {
        name: "Contoso Health",
        domain: "contoso.example",
        notes: "Business plan. SSO via Microsoft Entra ID with SCIM provisioning; nightly CSV imports of appointment data (no patient data in payloads).",
        weight: 18,
        admin: ("admin@contoso.example", "Fatima Haddad"),
        engineers: &[("ben@contoso.example", "Ben Carter")],
    },
    OrgSpec {
        name: "Globex Retail",
        domain: "globex.example",
        notes: "Enterprise plan. High-volume order ingest with peaks during promotions, webhooks into their order management system, API tokens on a service account.",
        weight: 25,
        admin: ("admin@globex.example", "Lucas Silva"),
        engineers: &[("mei@globex.example", "Mei Lin"), ("tom@globex.example", "Tom Becker")],
    },
    OrgSpec {
        name: "Initech Payments",
        domain: "initech.test",
        notes: "Growth plan. Reconciles invoices through the REST API; strict IP allowlist on their side; time-zone-sensitive daily reports.",
        weight: 16,
        admin: ("admin@initech.test", "Nora Jensen"),
        engineers: &[("victor@initech.test", "Victor Ramos")],
    },
    OrgSpec {
        name: "Tailspin Travel",
        domain: "tailspin.test",
        notes: "Onboarding with Solutions Engineering. Sandbox integration in progress; booking events with a custom schema.",
        weight: 16,
        admin: ("admin@tailspin.test", "Chloe Martin"),
        engineers: &[("arjun@tailspin.test", "Arjun Mehta"), ("elena@tailspin.test", "Elena Petrova")],
    },
];

/// Seed the demo data unless it is there already (the admin user exists).
pub async fn seed_demo(app: &App) -> anyhow::Result<DemoSummary> {
    if app.user_by_email(DEMO_ADMIN_EMAIL).await?.is_some() {
        return summary(app, false).await;
    }
    let sys = system_actor();
    let mut rng = SmallRng::seed_from_u64(0x5EED_F00D);
    let hash = app.hash_password(DEMO_PASSWORD).await.context("hashing the demo password")?;

    let mut teams = Vec::with_capacity(TEAM_NAMES.len());
    for (name, description) in TEAM_NAMES {
        teams.push(app.create_team(&sys, name, description).await.with_context(|| format!("creating team {name}"))?);
    }
    let positions = app.list_positions(&sys).await?;

    let mut people: HashMap<&'static str, User> = HashMap::new();
    for s in STAFF {
        let input = UserInput {
            email: s.email.into(),
            name: s.name.into(),
            role: s.role.as_str().into(),
            position_id: s.position.and_then(|p| position_id(&positions, p)),
            team_id: s.team.and_then(|t| teams.get(t)).map(|t| t.id),
            reports_to: s.reports_to.and_then(|k| people.get(k)).map(|u| u.id),
            ..Default::default()
        };
        let user = create_user(app, &sys, &input, &hash).await?;
        people.insert(s.key, user);
    }

    let mut orgs = Vec::with_capacity(ORGS.len());
    for o in ORGS {
        let fields = OrgFields { name: o.name.into(), domains: vec![o.domain.into()], notes: o.notes.into() };
        let org = app.create_org(&sys, &fields).await.with_context(|| format!("creating organization {}", o.name))?;
        let mut members = Vec::new();
        for (i, (email, name)) in std::iter::once(&o.admin).chain(o.engineers).enumerate() {
            let role = if i == 0 { Role::CustomerAdmin } else { Role::CustomerMember };
            let input = UserInput {
                email: (*email).into(),
                name: (*name).into(),
                role: role.as_str().into(),
                organization_id: Some(org.id),
                ..Default::default()
            };
            members.push(create_user(app, &sys, &input, &hash).await?);
        }
        // Customers for a year or more (staggered), so "customer since" reads
        // true beside tickets going back 90 days.
        let since = app.now().trunc_secs() - Duration::days(400 + 45 * orgs.len() as i64);
        let ids: Vec<i64> = members.iter().map(|u| u.id).collect();
        app.import_customer_since(&sys, org.id, &ids, since).await?;
        orgs.push(DemoOrg { spec: o, id: org.id, members });
    }

    let org_names: Vec<(i64, &'static str)> = orgs.iter().map(|o| (o.id, o.spec.name)).collect();
    crate::demo_sla::configure(app, &sys, &org_names).await?;

    let cast = Cast::new(&people, &teams)?;
    let now = app.now().trunc_secs();
    let stories = DEMO_TICKETS - LIVE_TICKETS - crate::demo_sla::SLA_TICKETS;
    let statuses = status_mix(stories, &mut rng);
    // Nobody has the same question open twice: (requester, topic) of open tickets.
    let mut open: HashSet<(i64, usize)> = HashSet::new();
    for status in statuses {
        let mut plan = plan_ticket(&mut rng, &cast, &orgs, status);
        for _ in 0..50 {
            if !status.is_open() || open.insert((plan.requester.id, topic_index(plan.topic))) {
                break;
            }
            plan = plan_ticket(&mut rng, &cast, &orgs, status);
        }
        write_story(app, &mut rng, &cast, &plan, now).await?;
    }
    live_activity(app, &mut rng, &cast, &orgs, &mut open).await?;
    let person = |k: &str| people.get(k).ok_or_else(|| anyhow!("demo user {k} missing"));
    let sla_cast = crate::demo_sla::SlaCast {
        tier1: person("alex")?,
        other_tier1: person("riley")?,
        senior: person("sam")?,
        head: person("head")?,
        engineering: person("eng")?,
        // A data engineer of each organization asks (the admin when there is none).
        orgs: orgs.iter().map(|o| (o.id, o.spec.name, o.members.get(1).unwrap_or(&o.members[0]))).collect(),
        team_id: cast.team_ids.get(INTEGRATIONS).copied(),
    };
    crate::demo_sla::stories(app, &sla_cast, now).await?;
    // Someone in every availability: one away, one off for the day.
    for (key, availability) in [("noah", "away"), ("maya", "off")] {
        app.set_availability(&sys, person(key)?.id, availability).await.with_context(|| format!("setting {key} {availability}"))?;
    }
    crate::demo_sla::measure_all(app).await?;
    summary(app, true).await
}

trait TruncSecs {
    fn trunc_secs(self) -> Self;
}

impl TruncSecs for DateTime<Utc> {
    fn trunc_secs(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap_or(self)
    }
}

fn position_id(positions: &[Position], name: &str) -> Option<i64> {
    positions.iter().find(|p| p.name == name).map(|p| p.id).or_else(|| {
        let rank = POSITION_RANKS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)?;
        positions.iter().find(|p| p.rank == rank).map(|p| p.id)
    })
}

/// Create through the use case (validation, audit), then set the shared
/// hash so the password is hashed once rather than per user.
async fn create_user(app: &App, sys: &Actor, input: &UserInput, hash: &str) -> anyhow::Result<User> {
    let user = app.create_user(sys, input).await.with_context(|| format!("creating user {}", input.email))?;
    app.import_password_hash(sys, user.id, hash).await?;
    Ok(user)
}

async fn summary(app: &App, seeded: bool) -> anyhow::Result<DemoSummary> {
    let mut logins = Vec::new();
    let emails = std::iter::once(DEMO_ADMIN_EMAIL)
        .chain(STAFF.iter().map(|s| s.email).filter(|e| *e != DEMO_ADMIN_EMAIL))
        .chain(ORGS.iter().flat_map(|o| std::iter::once(o.admin.0).chain(o.engineers.iter().map(|(e, _)| *e))));
    for email in emails {
        if let Some(u) = app.user_by_email(email).await? {
            logins.push(DemoLogin {
                email: u.email,
                name: u.name,
                role: u.role.label().to_string(),
                position: u.position_name,
                team: u.team_name,
                organization: u.organization_name,
            });
        }
    }
    let c = app.data_counts(&system_actor()).await?;
    Ok(DemoSummary {
        seeded,
        password: DEMO_PASSWORD,
        logins,
        users: c.users,
        organizations: c.organizations,
        teams: c.teams,
        tickets: c.tickets,
        open_tickets: c.open_tickets,
        messages: c.messages,
        internal_notes: c.internal_messages,
        events: c.events,
        tickets_by_status: c.tickets_by_status,
    })
}

struct DemoOrg {
    spec: &'static OrgSpec,
    id: i64,
    /// The platform admin first, then the data engineers.
    members: Vec<User>,
}

/// Who works which tickets.
struct Cast {
    head: User,
    lead: User,
    manager: User,
    engineering: User,
    se: User,
    /// Tier-1 agents per team.
    tier1: Vec<Vec<User>>,
    /// Tier-2 staff per team (senior specialists; the lead helps out).
    tier2: Vec<Vec<User>>,
    team_ids: Vec<i64>,
}

impl Cast {
    fn new(people: &HashMap<&'static str, User>, teams: &[frontline_store::Team]) -> anyhow::Result<Self> {
        let get = |k: &str| people.get(k).cloned().ok_or_else(|| anyhow!("demo user {k} missing"));
        let tier1 = vec![vec![get("alex")?, get("riley")?], vec![get("noah")?, get("kim")?], vec![get("maya")?, get("luis")?]];
        let tier2 = vec![
            vec![get("sam")?, get("sam")?, get("lead")?],
            vec![get("jordan")?, get("jordan")?, get("lead")?],
            vec![get("jordan")?, get("sam")?],
        ];
        if teams.len() != TEAM_NAMES.len() {
            bail!("expected {} demo teams", TEAM_NAMES.len());
        }
        Ok(Cast {
            head: get("head")?,
            lead: get("lead")?,
            manager: get("manager")?,
            engineering: get("eng")?,
            se: get("se")?,
            tier1,
            tier2,
            team_ids: teams.iter().map(|t| t.id).collect(),
        })
    }
}

/// Exact counts per status (so every status is present), shuffled.
fn status_mix(n: usize, rng: &mut SmallRng) -> Vec<Status> {
    let shares =
        [(Status::New, 7), (Status::Open, 15), (Status::Pending, 8), (Status::OnHold, 5), (Status::Solved, 12), (Status::Closed, 53)];
    let mut out = Vec::with_capacity(n);
    for (status, pct) in shares {
        out.extend(std::iter::repeat_n(status, (n * pct).div_ceil(100)));
    }
    out.truncate(n);
    while out.len() < n {
        out.push(Status::Closed);
    }
    // Fisher-Yates with our seeded generator.
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}

fn first_name(u: &User) -> &str {
    u.name.split_whitespace().next().unwrap_or(&u.name)
}

struct Plan<'a> {
    topic: &'static Topic,
    status: Status,
    /// 0 none, 1 tier 2, 2 Head of Support, 3 Engineering.
    level: i64,
    priority: Priority,
    ticket_type: TicketType,
    channel: Channel,
    org: &'a DemoOrg,
    requester: &'a User,
    team: usize,
    t1: &'a User,
    senior: &'a User,
    /// Opened by the Solutions Engineer on the customer's behalf.
    by_se: bool,
    seed: u64,
}

fn plan_ticket<'a>(rng: &mut SmallRng, cast: &'a Cast, orgs: &'a [DemoOrg], status: Status) -> Plan<'a> {
    let topic = TOPICS.choose(rng).unwrap_or(&TOPICS[0]);
    let org_weights: Vec<(usize, u32)> = orgs.iter().enumerate().map(|(i, o)| (i, o.spec.weight)).collect();
    let org = &orgs[weighted(rng, &org_weights)];
    let requester = if topic.admin_topic || org.members.len() == 1 || rng.random_bool(0.2) {
        &org.members[0]
    } else {
        org.members[1..].choose(rng).unwrap_or(&org.members[0])
    };
    let level = match status {
        Status::New => 0,
        Status::OnHold => weighted(rng, &[(3, 70), (1, 20), (2, 10)]),
        _ => weighted(rng, &[(0, 66), (1, 20), (2, 8), (3, 6)]),
    };
    let team = topic.team;
    let t1 = cast.tier1[team].choose(rng).unwrap_or(&cast.tier1[0][0]);
    let senior = cast.tier2[team].choose(rng).unwrap_or(&cast.tier2[0][0]);
    let by_se = topic.onboarding && rng.random_bool(0.4);
    let channel = if by_se {
        Channel::Web
    } else {
        weighted(rng, &[(Channel::Email, 45), (Channel::Portal, 35), (Channel::Api, 10), (Channel::Web, 10)])
    };
    Plan {
        topic,
        status,
        level,
        priority: weighted(rng, &topic.priority_weights()),
        ticket_type: *topic.types.choose(rng).unwrap_or(&TicketType::Question),
        channel,
        org,
        requester,
        team,
        t1,
        senior,
        by_se,
        seed: rng.random(),
    }
}

/// One message of the story with the fields as they are after it.
struct Step {
    author: i64,
    kind: MessageKind,
    body: String,
    fields: TicketFields,
    /// Time since the previous step.
    gap: Duration,
}

fn minutes(rng: &mut SmallRng, lo: i64, hi: i64) -> Duration {
    Duration::minutes(rng.random_range(lo..=hi))
}

fn with_tag(tags: &[String], tag: &str) -> Vec<String> {
    let mut t = tags.to_vec();
    t.push(tag.to_string());
    t.sort();
    t.dedup();
    t
}

/// The conversation of a ticket up to its planned status.
fn build_steps(rng: &mut SmallRng, cast: &Cast, p: &Plan<'_>, v: &Vars<'_>) -> (TicketFields, Vec<Step>) {
    let topic = p.topic;
    let mut tags: Vec<String> = topic.tags.iter().map(|t| t.to_string()).collect();
    if p.org.spec.weight >= 25 && rng.random_bool(0.3) {
        tags.push("enterprise".into());
    }
    if topic.onboarding && p.by_se {
        tags.push("onboarding".into());
    }
    let tags = ticket::parse_tags(&tags).unwrap_or_default();
    let subject = render(pick(rng, topic.subjects), v);
    let initial_priority = if p.priority == Priority::Urgent && rng.random_bool(0.5) { Priority::High } else { p.priority };
    let created = TicketFields {
        subject,
        status: Status::New,
        priority: initial_priority,
        ticket_type: p.ticket_type,
        assignee_id: None,
        team_id: None,
        tier: Tier::FRONT_LINE,
        escalation_level: EscalationLevel::NONE,
        tags,
    };
    let mut f = created.clone();
    let mut steps: Vec<Step> = Vec::new();
    let customer = p.requester.id;
    let team_id = cast.team_ids.get(p.team).copied();
    let mut push = |author: i64, kind: MessageKind, body: String, fields: &TicketFields, gap: Duration| {
        steps.push(Step { author, kind, body, fields: fields.clone(), gap });
    };
    let first_response = match p.priority {
        Priority::Urgent => (5, 45),
        Priority::High => (15, 150),
        Priority::Normal => (30, 420),
        Priority::Low => (60, 1200),
    };

    if p.by_se {
        push(cast.se.id, MessageKind::Internal, render(pick(rng, content::SE_NOTES), v), &f, minutes(rng, 2, 20));
    }
    if p.status == Status::New {
        if rng.random_bool(0.5) {
            f.team_id = team_id;
        }
        if rng.random_bool(0.3) {
            let gap = minutes(rng, 10, 180);
            push(customer, MessageKind::Public, render(pick(rng, content::NEW_FOLLOW_UPS), v), &f, gap);
        }
        // A team set by routing with no message: fold it into creation.
        let mut created = created;
        created.team_id = f.team_id;
        for s in &mut steps {
            s.fields.team_id = f.team_id;
        }
        return (created, steps);
    }

    // Triage and the first reply.
    let mut worker = p.t1;
    f.assignee_id = Some(worker.id);
    f.team_id = team_id;
    f.priority = p.priority;
    let asks = rng.random_bool(0.7);
    let gap = minutes(rng, first_response.0, first_response.1);
    if asks {
        f.status = Status::Pending;
        push(worker.id, MessageKind::Public, render(pick(rng, topic.asks), v), &f, gap);
        f.status = Status::Open;
        push(customer, MessageKind::Public, render(pick(rng, topic.details), v), &f, minutes(rng, 30, 1200));
    } else {
        f.status = Status::Open;
        push(worker.id, MessageKind::Public, render(pick(rng, content::ACKS), v), &f, gap);
    }
    if topic.team != BILLING && rng.random_bool(0.3) {
        let k = rng.random_range(0..content::EXTRA_ASKS.len().min(content::EXTRA_DETAILS.len()));
        f.status = Status::Pending;
        push(worker.id, MessageKind::Public, render(content::EXTRA_ASKS[k], v), &f, minutes(rng, 20, 240));
        f.status = Status::Open;
        push(customer, MessageKind::Public, render(content::EXTRA_DETAILS[k], v), &f, minutes(rng, 30, 900));
    }
    if rng.random_bool(0.75) {
        push(worker.id, MessageKind::Internal, render(pick(rng, topic.notes), v), &f, minutes(rng, 10, 180));
    }
    if matches!(p.priority, Priority::High | Priority::Urgent) && rng.random_bool(0.3) {
        push(cast.manager.id, MessageKind::Internal, render(pick(rng, content::MANAGER_NOTES), v), &f, minutes(rng, 30, 300));
    }

    // Escalation up the tiers.
    if p.level >= 1 {
        let notes = if topic.team == BILLING { content::ESCALATE_T2_BILLING } else { content::ESCALATE_T2 };
        let note = render(pick(rng, notes), v);
        if note.starts_with("Needs a senior") {
            f.tags = with_tag(&f.tags, "needs-senior");
        }
        f.tier = tier(2);
        f.escalation_level = level(1);
        f.assignee_id = Some(p.senior.id);
        push(worker.id, MessageKind::Internal, note, &f, minutes(rng, 60, 600));
        worker = p.senior;
        if rng.random_bool(0.6) {
            push(worker.id, MessageKind::Public, render(pick(rng, content::SENIOR_TAKEOVER), v), &f, minutes(rng, 20, 240));
        }
    }
    if p.level >= 2 {
        f.tier = tier(3);
        f.escalation_level = level(2);
        f.assignee_id = Some(cast.head.id);
        push(worker.id, MessageKind::Internal, render(pick(rng, content::ESCALATE_HEAD), v), &f, minutes(rng, 120, 1440));
        worker = &cast.head;
    }
    if p.level >= 3 {
        f.escalation_level = level(3);
        f.tags = with_tag(&f.tags, "engineering");
        push(worker.id, MessageKind::Internal, render(pick(rng, content::ESCALATE_ENGINEERING), v), &f, minutes(rng, 120, 1440));
        let eng_note = if rng.random_bool(0.6) { pick(rng, topic.engineering) } else { pick(rng, content::ENGINEERING_GENERIC) };
        push(cast.engineering.id, MessageKind::Internal, render(eng_note, v), &f, minutes(rng, 240, 4320));
    }

    // Where the story stops.
    match p.status {
        Status::Open => {
            if rng.random_bool(0.65) {
                push(customer, MessageKind::Public, render(pick(rng, content::NUDGES), v), &f, minutes(rng, 240, 2880));
            } else {
                push(worker.id, MessageKind::Internal, render(pick(rng, topic.notes), v), &f, minutes(rng, 30, 600));
            }
        }
        Status::Pending => {
            f.status = Status::Pending;
            let body = if rng.random_bool(0.5) { pick(rng, topic.fixes) } else { pick(rng, content::PENDING) };
            push(worker.id, MessageKind::Public, render(body, v), &f, minutes(rng, 60, 1440));
        }
        Status::OnHold => {
            f.status = Status::OnHold;
            let body = if p.level >= 3 { pick(rng, content::HOLD_ENGINEERING) } else { pick(rng, content::HOLD_THIRD_PARTY) };
            push(worker.id, MessageKind::Public, render(body, v), &f, minutes(rng, 30, 600));
        }
        Status::Solved | Status::Closed => {
            let fix = render(pick(rng, topic.fixes), v);
            if rng.random_bool(0.4) {
                f.status = Status::Pending;
                push(worker.id, MessageKind::Public, fix, &f, minutes(rng, 120, 2880));
                f.status = Status::Open;
                push(customer, MessageKind::Public, render(pick(rng, content::THANKS), v), &f, minutes(rng, 60, 1440));
                f.status = Status::Solved;
                push(worker.id, MessageKind::Public, render(pick(rng, content::CONFIRM_SOLVED), v), &f, minutes(rng, 10, 240));
            } else {
                f.status = Status::Solved;
                push(worker.id, MessageKind::Public, fix, &f, minutes(rng, 120, 2880));
            }
            if p.status == Status::Closed {
                f.status = Status::Closed;
                let gap = Duration::days(4) + minutes(rng, 0, 600);
                push(worker.id, MessageKind::Internal, render(pick(rng, content::CLOSE_NOTES), v), &f, gap);
            }
        }
        Status::New => {}
    }
    (created, steps)
}

/// Write one backdated ticket and its conversation through the store.
async fn write_story(app: &App, rng: &mut SmallRng, cast: &Cast, p: &Plan<'_>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let v = Vars {
        customer: first_name(p.requester),
        agent: first_name(p.t1),
        senior: first_name(p.senior),
        head: first_name(&cast.head),
        org: p.org.spec.name,
        domain: p.org.spec.domain,
        seed: p.seed,
    };
    let (created, mut steps) = build_steps(rng, cast, p, &v);
    let body = render(pick(rng, p.topic.openings), &v);

    // When the story ends decides when it starts.
    let mut total: Duration = steps.iter().map(|s| s.gap).sum();
    let horizon = Duration::days(DEMO_DAYS) - Duration::hours(2);
    if total > horizon - Duration::days(1) {
        // Too long to fit: compress evenly.
        let factor = (horizon - Duration::days(1)).num_seconds() as f64 / total.num_seconds().max(1) as f64;
        for s in &mut steps {
            s.gap = Duration::seconds((s.gap.num_seconds() as f64 * factor) as i64);
        }
        total = steps.iter().map(|s| s.gap).sum();
    }
    let ago = |lo: i64, hi: i64, rng: &mut SmallRng| Duration::minutes(rng.random_range(lo..=hi.max(lo)));
    let end_ago = match p.status {
        Status::New => ago(5, 36 * 60, rng),
        Status::Open => ago(15, 36 * 60, rng),
        Status::Pending => ago(120, 5 * 24 * 60, rng),
        Status::OnHold => ago(24 * 60, 12 * 24 * 60, rng),
        Status::Solved => ago(60, 84 * 60, rng),
        Status::Closed => {
            // Start anywhere from 90 days ago to as late as still fits.
            let latest_start = (now - total - Duration::hours(1)).timestamp();
            let earliest_start = (now - horizon).timestamp();
            let start = rng.random_range(earliest_start.min(latest_start)..=latest_start);
            now - (DateTime::from_timestamp(start, 0).unwrap_or(now) + total)
        }
    };
    let mut start = now - end_ago - total;
    if start < now - horizon {
        start = now - horizon;
    }

    let created_by = if p.by_se {
        cast.se.id
    } else if p.channel == Channel::Web {
        p.t1.id
    } else {
        p.requester.id
    };
    let sys = system_actor();
    let opened = ImportedTicket {
        fields: created,
        channel: p.channel,
        requester_id: p.requester.id,
        organization_id: Some(p.org.id),
        created_by,
        body,
        created_at: start,
    };
    let id = app.import_ticket(&sys, opened).await?;
    let mut at = start;
    for s in steps {
        at += s.gap.max(Duration::seconds(1));
        let channel = if s.author == p.requester.id { p.channel } else { Channel::Web };
        let message = ImportedMessage { author_id: s.author, kind: s.kind, body: s.body, channel, at, fields_after: s.fields };
        app.import_message(&sys, id, message).await.with_context(|| format!("writing the conversation of ticket {id}"))?;
    }
    Ok(())
}

/// The newest tickets and replies, made now through the use cases as the
/// people themselves would.
fn topic_index(topic: &Topic) -> usize {
    TOPICS.iter().position(|t| std::ptr::eq(t, topic)).unwrap_or(0)
}

async fn live_activity(
    app: &App,
    rng: &mut SmallRng,
    cast: &Cast,
    orgs: &[DemoOrg],
    open: &mut HashSet<(i64, usize)>,
) -> anyhow::Result<()> {
    live_replies(app, cast).await?;
    // The mail with files is the first of the live tickets.
    mail_with_files(app, cast, orgs).await?;
    for i in 1..LIVE_TICKETS {
        let org = &orgs[i % orgs.len()];
        let requester = org.members.get(1 + i % 2).or_else(|| org.members.first()).ok_or_else(|| anyhow!("organization without users"))?;
        // The first topic from the usual one that this requester has no open ticket about.
        let index = (0..TOPICS.len())
            .map(|k| (i * 7 + 3 + k) % TOPICS.len())
            .find(|&t| !open.contains(&(requester.id, t)))
            .unwrap_or((i * 7 + 3) % TOPICS.len());
        open.insert((requester.id, index));
        let topic = &TOPICS[index];
        let agent = cast.tier1[topic.team].choose(rng).unwrap_or(&cast.tier1[0][0]);
        let v = Vars {
            customer: first_name(requester),
            agent: first_name(agent),
            senior: first_name(&cast.lead),
            head: first_name(&cast.head),
            org: org.spec.name,
            domain: org.spec.domain,
            seed: rng.random(),
        };
        let subject = render(pick(rng, topic.subjects), &v);
        let body = render(pick(rng, topic.openings), &v);
        let priority = weighted(rng, &topic.priority_weights()).as_str().to_string();
        let tags: Vec<String> = topic.tags.iter().map(|t| t.to_string()).collect();
        let team_id = cast.team_ids.get(topic.team).copied();
        let agent_actor = agent.actor();
        match i % 3 {
            // Opened by the customer in the portal; still new.
            0 => {
                let input = NewTicketInput { subject, body, priority: Some(priority), ..Default::default() };
                app.create_ticket(&requester.actor(), &input, Channel::Portal).await?;
            }
            // Emailed in, then triaged by an agent who answers.
            1 => {
                let input = NewTicketInput { subject, body, priority: Some(priority), ..Default::default() };
                let t = app.create_ticket(&requester.actor(), &input, Channel::Email).await?;
                let patch =
                    TicketPatch { assignee_id: Some(Some(agent.id)), team_id: Some(team_id), tags: Some(tags), ..Default::default() };
                app.update_ticket(&agent_actor, t.id, &patch).await?;
                let reply = ReplyInput {
                    kind: MessageKind::Public,
                    body: render(pick(rng, content::ACKS), &v),
                    status: None,
                    channel: Channel::Web,
                    attachments: vec![],
                };
                app.reply(&agent_actor, t.id, &reply).await?;
            }
            // Taken on the phone by an agent, who asks for details.
            _ => {
                let input = NewTicketInput {
                    subject,
                    body,
                    requester_id: Some(requester.id),
                    priority: Some(priority),
                    assignee_id: Some(agent.id),
                    team_id,
                    tags: Some(tags),
                    ..Default::default()
                };
                let t = app.create_ticket(&agent_actor, &input, Channel::Web).await?;
                let reply = ReplyInput {
                    kind: MessageKind::Public,
                    body: render(pick(rng, topic.asks), &v),
                    status: Some("pending".into()),
                    channel: Channel::Web,
                    attachments: vec![],
                };
                app.reply(&agent_actor, t.id, &reply).await?;
            }
        }
    }

    Ok(())
}

/// On older tickets: a customer answers a pending webhook ticket (which
/// reopens it), and engineering adds a note to a ticket on hold with them.
/// A customer mails in with the failed deliveries attached (HTML mail, as
/// most clients send it), and a tier-1 agent answers with a file.
async fn mail_with_files(app: &App, cast: &Cast, orgs: &[DemoOrg]) -> anyhow::Result<()> {
    let org = orgs.first().ok_or_else(|| anyhow!("no organizations"))?;
    let engineer = org.members.get(1).or_else(|| org.members.first()).ok_or_else(|| anyhow!("organization without users"))?;
    let csv: String = std::iter::once("delivery_id,event,status,attempts,last_error".to_string())
        .chain((0..40).map(|i| format!("dlv_{:06},order.updated,failed,{},HTTP 401 signature mismatch", 481_200 + i * 17, 3 + i % 4)))
        .collect::<Vec<_>>()
        .join("\n");
    let first = engineer.name.split_whitespace().next().unwrap_or("there").to_string();
    let mail = InboundEmail {
        message_id: Some(format!("<demo-deliveries-1@{}>", engineer.email.split('@').nth(1).unwrap_or("example.com"))),
        from_name: Some(engineer.name.clone()),
        from_email: engineer.email.clone(),
        subject: "Failed webhook deliveries since the key rotation (export attached)".into(),
        body: format!(
            "Hi support,\n\nsince we rotated our signing key on Friday, 40 deliveries failed with a signature mismatch. \
             The export from our side is attached, with the raw payload of one of them.\n\nCan you replay them once the key is fixed?\n\n{first}"
        ),
        body_html: Some(format!(
            "<p>Hi support,</p><p>since we rotated our signing key on Friday, <b>40 deliveries failed</b> with a signature mismatch. \
             The export from our side is attached, with the raw payload of one of them.</p><p>Can you replay them once the key is fixed?</p><p>{first}</p>"
        )),
        attachments: vec![
            NewAttachment {
                filename: "failed-deliveries.csv".into(),
                content_type: "text/csv".into(),
                content_id: None,
                inline: false,
                data: csv.into_bytes(),
            },
            NewAttachment {
                filename: "payload-dlv_481200.json".into(),
                content_type: "application/json".into(),
                content_id: None,
                inline: false,
                data:
                    br#"{"id":"dlv_481200","event":"order.updated","signature":"t=1795000000,v1=9f2c...","data":{"order_id":"ORD-22817"}}"#
                        .to_vec(),
            },
        ],
        ..Default::default()
    };
    let ticket_id = match app.ingest_email(&mail, cast.team_ids.first().copied()).await? {
        IngestOutcome::Created { ticket_id }
        | IngestOutcome::Appended { ticket_id }
        | IngestOutcome::Held { ticket_id }
        | IngestOutcome::Duplicate { ticket_id } => ticket_id,
    };
    let agent = cast.tier1.first().and_then(|t| t.first()).ok_or_else(|| anyhow!("no tier-1 agent"))?;
    let patch =
        TicketPatch { assignee_id: Some(Some(agent.id)), tags: Some(vec!["webhooks".into(), "signatures".into()]), ..Default::default() };
    app.update_ticket(&agent.actor(), ticket_id, &patch).await?;
    let reply = ReplyInput {
        kind: MessageKind::Public,
        body: format!(
            "Thanks {first}, that export helps. The new key was not yet active on our side; it is now. \
             The attached steps replay the 40 deliveries from your dashboard; tell us if any still fail."
        ),
        status: Some("pending".into()),
        channel: Channel::Web,
        attachments: vec![NewAttachment {
            filename: "replay-steps.md".into(),
            content_type: "text/markdown".into(),
            content_id: None,
            inline: false,
            data: b"1. Open Developers > Webhooks > Deliveries\n2. Filter: status = failed, since Friday\n3. Select all, then Replay\n"
                .to_vec(),
        }],
    };
    app.reply(&agent.actor(), ticket_id, &reply).await?;
    Ok(())
}

async fn live_replies(app: &App, cast: &Cast) -> anyhow::Result<()> {
    let newest = |status: Status, tag: &str| TicketFilter { statuses: vec![status], tag: Some(tag.into()), limit: 1, ..Default::default() };
    let sys = system_actor();
    let pending = match app.list_tickets(&sys, newest(Status::Pending, "webhooks")).await?.items.into_iter().next() {
        Some(t) => Some(t),
        None => app
            .list_tickets(&sys, TicketFilter { statuses: vec![Status::Pending], limit: 1, ..Default::default() })
            .await?
            .items
            .into_iter()
            .next(),
    };
    if let Some(t) = pending {
        let requester = app.user(&sys, t.requester_id).await?;
        let body = format!(
            "Thanks, I tried that just now. New deliveries look fine, but the ones from before the change still show as failed on our side. Do we need to replay them?\n\n{}",
            first_name(&requester)
        );
        let reply = ReplyInput { kind: MessageKind::Public, body, status: None, channel: Channel::Portal, attachments: vec![] };
        app.reply(&requester.actor(), t.id, &reply).await?;
    }
    if let Some(t) = app.list_tickets(&sys, newest(Status::OnHold, "engineering")).await?.items.first() {
        let reply = ReplyInput {
            kind: MessageKind::Internal,
            body:
                "Engineering: the fix is merged and in the release candidate; deploy planned for Tuesday. I'll confirm here once it's live."
                    .into(),
            status: None,
            channel: Channel::Web,
            attachments: vec![],
        };
        app.reply(&cast.engineering.actor(), t.id, &reply).await?;
    }
    Ok(())
}

/// The demo's fixed tiers and levels, which are always in range.
fn tier(n: i64) -> Tier {
    Tier::new(n).unwrap_or(Tier::FRONT_LINE)
}

fn level(n: i64) -> EscalationLevel {
    EscalationLevel::new(n).unwrap_or(EscalationLevel::NONE)
}
