//! The demo's tiered support: two business-hours calendars (Berlin and New
//! York), support plans given to the organizations, a policy per plan with
//! each escalation step's share, and a handful of tickets placed so the
//! clocks show every case whatever the weekday the demo starts on (their
//! targets count calendar hours): near breach, breached, and a resolution
//! breach that tier 1 caused before it escalated. Open help requests and
//! tickets at every step of the path come with it.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontline_app::App;
use frontline_app::escalation::StepRequest;
use frontline_app::import::{ImportedMessage, ImportedTicket};
use frontline_app::sla_config::{CalendarInput, PolicyFields};
use frontline_domain::authz::Actor;
use frontline_domain::escalation::EscalationStep;
use frontline_domain::sla::{CalendarSpec, Condition, PriorityTargets, SlaPolicy, Target, WeeklyHoursSpec};
use frontline_domain::ticket::{Channel, MessageKind, Priority, Status, TicketFields, TicketType};
use frontline_store::User;

/// Tickets the stories add (the demo keeps its total).
pub(crate) const SLA_TICKETS: usize = 6;

/// The people the SLA stories need.
pub(crate) struct SlaCast<'a> {
    pub tier1: &'a User,
    pub other_tier1: &'a User,
    pub senior: &'a User,
    pub head: &'a User,
    pub engineering: &'a User,
    /// (organization id, its name, a requester) in the order of `ORGS`.
    pub orgs: Vec<(i64, &'static str, &'a User)>,
    pub team_id: Option<i64>,
}

fn calendar(name: &str, zone: &str, hours: (&str, &str), holidays: &[(i32, u32, u32)]) -> CalendarInput {
    CalendarInput {
        name: name.into(),
        spec: CalendarSpec {
            time_zone: zone.into(),
            hours: WeeklyHoursSpec::weekdays(&[hours]),
            holidays: holidays.iter().filter_map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)).collect(),
        },
        version: None,
    }
}

/// Targets in minutes: (first reply, next reply, resolution) per priority;
/// urgent counts calendar hours (an outage does not wait for Monday).
fn targets(
    urgent: (i64, i64, i64),
    high: (i64, i64, i64),
    normal: (i64, i64, i64),
    low: (i64, i64, i64),
) -> BTreeMap<Priority, PriorityTargets> {
    let business = |(f, n, r): (i64, i64, i64)| PriorityTargets {
        first_reply: Some(Target::business(f)),
        next_reply: Some(Target::business(n)),
        resolution: Some(Target::business(r)),
    };
    let calendar = |(f, n, r): (i64, i64, i64)| PriorityTargets {
        first_reply: Some(Target::calendar(f)),
        next_reply: Some(Target::calendar(n)),
        resolution: Some(Target::calendar(r)),
    };
    BTreeMap::from([
        (Priority::Urgent, calendar(urgent)),
        (Priority::High, business(high)),
        (Priority::Normal, business(normal)),
        (Priority::Low, business(low)),
    ])
}

fn shares(t1: u8, t2: u8, head: u8, eng: u8) -> BTreeMap<EscalationStep, u8> {
    BTreeMap::from([
        (EscalationStep::Tier1, t1),
        (EscalationStep::Tier2, t2),
        (EscalationStep::HeadOfSupport, head),
        (EscalationStep::Engineering, eng),
    ])
}

/// Calendars, plans, policies; each organization gets its plan.
pub(crate) async fn configure(app: &App, sys: &Actor, orgs: &[(i64, &'static str)]) -> anyhow::Result<()> {
    let berlin = app
        .create_sla_calendar(
            sys,
            &calendar(
                "Europe (Berlin)",
                "Europe/Berlin",
                ("08:00", "18:00"),
                &[(2026, 12, 24), (2026, 12, 25), (2026, 12, 26), (2027, 1, 1)],
            ),
        )
        .await
        .context("creating the Berlin calendar")?;
    let new_york = app
        .create_sla_calendar(
            sys,
            &calendar("Americas (New York)", "America/New_York", ("09:00", "17:00"), &[(2026, 11, 26), (2026, 12, 25), (2027, 1, 1)]),
        )
        .await
        .context("creating the New York calendar")?;
    let mut plans = BTreeMap::new();
    for name in ["Enterprise", "Business", "Growth"] {
        plans.insert(name, app.create_support_plan(sys, name).await.with_context(|| format!("creating plan {name}"))?.id);
    }
    // The organizations' notes say which plan each has; Tailspin is still onboarding (no plan).
    let plan_of = |org: &str| match org {
        "Northwind Logistics" | "Globex Retail" => Some("Enterprise"),
        "Contoso Health" => Some("Business"),
        "Initech Payments" => Some("Growth"),
        _ => None,
    };
    let mut globex = None;
    for &(id, name) in orgs {
        if let Some(plan) = plan_of(name) {
            app.set_org_support_plan(sys, id, Some(plans[plan])).await.with_context(|| format!("giving {name} its plan"))?;
        }
        if name == "Globex Retail" {
            globex = Some(id);
        }
    }
    let enterprise = SlaPolicy {
        conditions: vec![Condition::SupportPlan(plans["Enterprise"])],
        targets: targets((30, 60, 480), (60, 120, 960), (240, 480, 2400), (480, 960, 4800)),
        step_shares: shares(20, 40, 10, 30),
    };
    let mut policies = Vec::new();
    if let Some(globex) = globex {
        // Globex works from Chicago: its Enterprise clock runs on New York's hours.
        let mut americas = enterprise.clone();
        americas.conditions.push(Condition::Organization(globex));
        policies.push(("Enterprise (Americas)", new_york.id, americas));
    }
    policies.push(("Enterprise", berlin.id, enterprise));
    policies.push((
        "Business",
        berlin.id,
        SlaPolicy {
            conditions: vec![Condition::SupportPlan(plans["Business"])],
            targets: targets((60, 120, 720), (120, 240, 1440), (480, 960, 3600), (960, 1440, 7200)),
            step_shares: shares(25, 45, 10, 20),
        },
    ));
    policies.push((
        "Standard",
        new_york.id,
        SlaPolicy {
            conditions: vec![],
            targets: targets((120, 240, 1440), (240, 480, 2400), (960, 1440, 4800), (1440, 2880, 9600)),
            step_shares: shares(30, 50, 10, 10),
        },
    ));
    for (name, calendar_id, policy) in policies {
        let fields = PolicyFields { name: name.into(), calendar_id, policy: policy.checked()?, version: None };
        app.create_sla_policy(sys, &fields).await.with_context(|| format!("creating policy {name}"))?;
    }
    Ok(())
}

fn fields(
    subject: &str,
    priority: Priority,
    status: Status,
    assignee: Option<i64>,
    team_id: Option<i64>,
    step: EscalationStep,
) -> TicketFields {
    let (tier, escalation_level) = step.fields();
    TicketFields {
        subject: subject.into(),
        status,
        priority,
        ticket_type: TicketType::Incident,
        assignee_id: assignee,
        team_id,
        tier,
        escalation_level,
        tags: vec!["sla-demo".into()],
    }
}

async fn open_ticket(
    app: &App,
    sys: &Actor,
    org: (i64, &'static str, &User),
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let (org_id, _, requester) = org;
    let opened = ImportedTicket {
        fields: fields(subject, Priority::Urgent, Status::New, None, None, EscalationStep::Tier1),
        channel: Channel::Email,
        requester_id: requester.id,
        organization_id: Some(org_id),
        created_by: requester.id,
        body: body.into(),
        created_at: at,
    };
    Ok(app.import_ticket(sys, opened).await?)
}

/// Urgent tickets placed around their clocks, help requests, and tickets
/// at the upper steps of the path.
pub(crate) async fn stories(app: &App, cast: &SlaCast<'_>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let sys = frontline_app::directory::system_actor();
    let [northwind, contoso, globex, ..] = cast.orgs[..] else { anyhow::bail!("the SLA stories need three organizations") };

    // Near breach: Enterprise urgent answers within 30 minutes; 25 have gone.
    open_ticket(
        app,
        &sys,
        northwind,
        "Event ingest rejects every batch with 503",
        "Since a few minutes ago all our batches fail with 503 Service Unavailable. Production is affected.",
        now - Duration::minutes(25),
    )
    .await?;
    // Near breach: Business urgent answers within an hour; 50 minutes have gone.
    open_ticket(
        app,
        &sys,
        contoso,
        "SSO login fails for all clinicians",
        "Nobody can sign in through Entra ID since the certificate rollover this morning.",
        now - Duration::minutes(50),
    )
    .await?;
    // Breached: nobody answered Globex's outage within its 30 minutes.
    open_ticket(
        app,
        &sys,
        globex,
        "Order webhooks stopped during the promotion",
        "We received no order webhooks for the last two hours, during our biggest promotion of the year.",
        now - Duration::hours(2),
    )
    .await?;

    // A resolution breach tier 1 caused: eight hours to resolve, tier 1's
    // share 20% (96 minutes), but the ticket sat with tier 1 for seven hours
    // before it went to tier 2.
    let start = now - Duration::hours(9);
    let subject = "Webhook signatures invalid after key rotation";
    let id =
        open_ticket(app, &sys, northwind, subject, "After we rotated the signing key every delivery fails signature verification.", start)
            .await?;
    let t1 = cast.tier1.id;
    let mut after = fields(subject, Priority::Urgent, Status::Open, Some(t1), cast.team_id, EscalationStep::Tier1);
    let reply = "Thanks for the report. We are checking the signing keys on our side.";
    app.import_message(
        &sys,
        id,
        ImportedMessage {
            author_id: t1,
            kind: MessageKind::Public,
            body: reply.into(),
            channel: Channel::Web,
            at: start + Duration::minutes(12),
            fields_after: after.clone(),
        },
    )
    .await?;
    after = fields(subject, Priority::Urgent, Status::Open, Some(cast.senior.id), cast.team_id, EscalationStep::Tier2);
    let note = "Escalated to Tier 2: the old key is still cached in the delivery workers; needs someone who can read the worker logs.";
    app.import_message(
        &sys,
        id,
        ImportedMessage {
            author_id: t1,
            kind: MessageKind::Internal,
            body: note.into(),
            channel: Channel::Web,
            at: start + Duration::hours(7),
            fields_after: after,
        },
    )
    .await?;

    // Tickets further up the path, moved there now through the escalation actions.
    let head_ticket = open_ticket(
        app,
        &sys,
        contoso,
        "SCIM deprovisioning deletes active users",
        "Users who are still active in Entra ID were deactivated by the last SCIM sync.",
        now - Duration::hours(3),
    )
    .await?;
    for (who, text) in [
        (cast.other_tier1, "Data loss risk for a Business customer; tier 2 to confirm."),
        (cast.senior, "Confirmed: needs a decision on pausing SCIM for this tenant."),
    ] {
        app.step(&who.actor(), head_ticket, &StepRequest::escalate(text, None, Channel::Web)).await?;
    }
    let eng_ticket = open_ticket(
        app,
        &sys,
        globex,
        "Duplicate orders after 429 retries",
        "When the API answers 429, retrying creates duplicate orders although we send the same idempotency key.",
        now - Duration::hours(5),
    )
    .await?;
    for (who, text) in [
        (cast.tier1, "Reproduced with two retries; duplicates every time."),
        (cast.senior, "The idempotency key is ignored after a 429: a product defect."),
        (cast.head, "Engineering to fix; Globex is told daily until it ships."),
    ] {
        app.step(&who.actor(), eng_ticket, &StepRequest::escalate(text, None, Channel::Web)).await?;
    }

    // Open help requests: to colleagues by name (engineering, the Head of
    // Support, who unblocks people) and to tier 2.
    app.ask_for_help(
        &cast.senior.actor(),
        head_ticket,
        Some(cast.head.id),
        None,
        "Can we pause SCIM for this tenant without their admin's sign-off?",
    )
    .await?;
    app.ask_for_help(
        &cast.tier1.actor(),
        head_ticket,
        Some(cast.engineering.id),
        None,
        "Is there a way to replay the SCIM sync for one tenant?",
    )
    .await?;
    app.ask_for_help(
        &cast.other_tier1.actor(),
        eng_ticket,
        None,
        Some(2),
        "Has anyone seen 429 retries bypass the idempotency key before?",
    )
    .await?;
    Ok(())
}

/// The SLA pass over every ticket, as the scheduler would run it.
pub(crate) async fn measure_all(app: &App) -> anyhow::Result<()> {
    let sys = frontline_app::directory::system_actor();
    // Bounded: 500 tickets a batch, far more batches than the demo has tickets.
    for _ in 0..1000 {
        if !app.sla_pass(&sys, 500).await?.more {
            break;
        }
    }
    Ok(())
}
