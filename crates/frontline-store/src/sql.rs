//! SQL fragments and statements shared by several modules, as macros so
//! that they stay `'static` strings and run on either engine's transaction.

/// Users joined with their organization, position, team and manager.
macro_rules! user_select {
    () => {
        "SELECT u.id, u.email, u.name, u.role, u.organization_id, o.name AS organization_name, \
         u.position_id, p.name AS position_name, p.tier AS tier, u.team_id, t.name AS team_name, \
         u.reports_to, r.name AS reports_to_name, u.active, u.availability, u.created_at, u.password_hash \
         FROM users u LEFT JOIN organizations o ON o.id = u.organization_id \
         LEFT JOIN positions p ON p.id = u.position_id LEFT JOIN teams t ON t.id = u.team_id \
         LEFT JOIN users r ON r.id = u.reports_to "
    };
}

/// Insert an audit row inside an open transaction.
macro_rules! write_audit {
    ($tx:expr, $audit:expr, $at:expr) => {
        if let Some(a) = $audit {
            sqlx::query("INSERT INTO audit_log (actor_id, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(a.actor_id)
                .bind(a.action.as_str())
                .bind(&a.target)
                .bind(&a.detail)
                .bind($at)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Insert a job inside an open transaction, so the job exists exactly when
/// the change that causes it does (notification mails, later webhooks).
macro_rules! enqueue_job {
    ($tx:expr, $job:expr, $at:expr) => {
        let (kind, payload) = $crate::jobs::encode($job)?;
        sqlx::query("INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $3)")
            .bind(kind)
            .bind(payload)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        // The runner is woken once this commits (`with_tx!`).
        {
            use $crate::db::QueuesJobs as _;
            $tx.job_queued();
        }
    };
}

/// The columns of a ticket row (`TicketRow`): the ticket `t` and the names
/// that `ticket_names!` joins to it.
macro_rules! ticket_columns {
    () => {
        "SELECT t.id, t.subject, t.status, t.priority, t.ticket_type, t.channel, t.requester_id, \
         rq.name AS requester_name, rq.email AS requester_email, t.organization_id, o.name AS organization_name, \
         o.support_plan_id, sp.name AS support_plan_name, t.assignee_id, a.name AS assignee_name, t.team_id, tm.name AS team_name, t.tier, t.escalation_level, \
         t.tags, t.created_at, t.updated_at, t.solved_at, t.sla_due_at, tsla.paused AS sla_paused "
    };
}

/// The names shown next to a ticket `t`, and whether its SLA clock is
/// paused (the last SLA pass's word; no row: no policy or not computed yet).
macro_rules! ticket_names {
    () => {
        "JOIN users rq ON rq.id = t.requester_id \
         LEFT JOIN organizations o ON o.id = t.organization_id LEFT JOIN support_plans sp ON sp.id = o.support_plan_id \
         LEFT JOIN users a ON a.id = t.assignee_id \
         LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN ticket_sla tsla ON tsla.ticket_id = t.id "
    };
}

/// Tickets joined with the names shown next to them.
macro_rules! ticket_select {
    () => {
        concat!(ticket_columns!(), "FROM tickets t ", ticket_names!())
    };
}

/// The start of a page of tickets (`finish_page` in `tickets.rs` closes
/// it): the page's ids are picked from `tickets` alone, then those rows
/// are read with their names, joined (`ticket_names!`, SQLite) or looked up
/// one by one (PostgreSQL: planning the five-way join cost about 1 ms on
/// every request, these subqueries a quarter of that).
macro_rules! ticket_page_start {
    (joined) => {
        concat!(ticket_columns!(), "FROM (SELECT t.id FROM tickets t ")
    };
    (looked_up) => {
        "SELECT t.id, t.subject, t.status, t.priority, t.ticket_type, t.channel, t.requester_id, \
         (SELECT name FROM users WHERE id = t.requester_id) AS requester_name, \
         (SELECT email FROM users WHERE id = t.requester_id) AS requester_email, t.organization_id, \
         (SELECT name FROM organizations WHERE id = t.organization_id) AS organization_name, \
         (SELECT support_plan_id FROM organizations WHERE id = t.organization_id) AS support_plan_id, \
         (SELECT sp.name FROM organizations o JOIN support_plans sp ON sp.id = o.support_plan_id WHERE o.id = t.organization_id) \
         AS support_plan_name, t.assignee_id, \
         (SELECT name FROM users WHERE id = t.assignee_id) AS assignee_name, t.team_id, \
         (SELECT name FROM teams WHERE id = t.team_id) AS team_name, t.tier, t.escalation_level, \
         t.tags, t.created_at, t.updated_at, t.solved_at, t.sla_due_at, \
         (SELECT paused FROM ticket_sla WHERE ticket_id = t.id) AS sla_paused \
         FROM (SELECT t.id FROM tickets t "
    };
}

/// Move one ticket between queue-count buckets inside an open transaction.
/// `$tier` is a `Tier`: only a checked tier names a bucket.
/// Ticket edits use shard 0; each PostgreSQL ticket-writer lane has its own
/// (`writer.rs`), so parallel batches do not queue on one row.
macro_rules! adjust_count {
    ($tx:expr, $status:expr, $tier:expr, $team:expr, $assignee:expr, $delta:expr) => {
        adjust_count!($tx, $status, $tier, $team, $assignee, $delta, 0_i64)
    };
    ($tx:expr, $status:expr, $tier:expr, $team:expr, $assignee:expr, $delta:expr, $shard:expr) => {
        sqlx::query(
            "INSERT INTO ticket_counts (status, tier, team_id, assignee_id, shard, n) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (status, tier, team_id, assignee_id, shard) DO UPDATE SET n = ticket_counts.n + excluded.n",
        )
        .bind($status)
        .bind(frontline_domain::tier::Tier::get($tier))
        .bind($team.unwrap_or(0_i64))
        .bind($assignee.unwrap_or(0_i64))
        .bind($shard)
        .bind($delta as i64)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Append one history event inside an open transaction.
macro_rules! insert_event {
    ($tx:expr, $ticket:expr, $actor:expr, $field:expr, $old:expr, $new:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, actor_id, field, old_value, new_value, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($ticket)
        .bind($actor)
        .bind(frontline_domain::ticket::EventField::as_str($field))
        .bind($old)
        .bind($new)
        .bind($at)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Move one solved ticket in or out of its day's count (`solved_counts`)
/// inside an open transaction.
macro_rules! adjust_solved {
    ($tx:expr, $solved_at:expr, $delta:expr) => {
        sqlx::query("INSERT INTO solved_counts (day, n) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET n = solved_counts.n + excluded.n")
            .bind($solved_at.date_naive())
            .bind($delta as i64)
            .execute(&mut *$tx)
            .await?;
    };
}

/// Give organization `$org` the plan `$plan` (or none) inside an open
/// transaction; true when the organization exists. An unknown plan is
/// refused naming `support_plan_id` (on PostgreSQL the plan row is locked,
/// so a parallel delete of it waits and then sees it in use), and the
/// organization's open tickets are marked for SLA recomputation.
macro_rules! set_org_plan {
    ($store:expr, $tx:expr, $org:expr, $plan:expr) => {{
        if let Some(plan) = $plan {
            let found: Option<i64> =
                sqlx::query_scalar($crate::sla::PLAN_FOR_USE.pick($store.engine())).bind(plan).fetch_optional(&mut *$tx).await?;
            if found.is_none() {
                return Err(frontline_domain::DomainError::invalid("support_plan_id", format!("there is no support plan {plan}")).into());
            }
        }
        let n = sqlx::query("UPDATE organizations SET support_plan_id = $1 WHERE id = $2")
            .bind($plan)
            .bind($org)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if n == 1 {
            mark_sla!($tx, open_of_organization: $org);
        }
        n == 1
    }};
}

/// Count up the SLA write marks (`sla_marks`, migration 0029) of what may
/// have changed a ticket's SLA, inside the write's own transaction: the SLA
/// pass recomputes those tickets. Row locks come in the order every ticket
/// write takes them: the ticket (locked by the write) before its mark.
macro_rules! mark_sla {
    ($tx:expr, ticket: $id:expr) => {
        sqlx::query("INSERT INTO sla_marks (ticket_id) VALUES ($1) ON CONFLICT (ticket_id) DO UPDATE SET dirty = sla_marks.dirty + 1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
    };
    ($tx:expr, all_open) => {
        sqlx::query("UPDATE sla_marks SET dirty = dirty + 1 WHERE ticket_id IN (SELECT id FROM tickets WHERE is_open)")
            .execute(&mut *$tx)
            .await?;
    };
    ($tx:expr, open_of_organization: $org:expr) => {
        sqlx::query(
            "UPDATE sla_marks SET dirty = dirty + 1 WHERE ticket_id IN (SELECT id FROM tickets WHERE is_open AND organization_id = $1)",
        )
        .bind($org)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Record a rule's firing once (`rule_firings`, unique per rule, ticket and
/// instance) with its `rule_fired` event, inside an open transaction;
/// evaluates to false, writing nothing, when it had fired already.
macro_rules! insert_firing {
    ($tx:expr, $once:expr, $at:expr) => {{
        let once: &$crate::tickets::FireOnce = $once;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO rule_firings (rule_id, ticket_id, instance, fired_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (rule_id, ticket_id, instance) DO NOTHING RETURNING id",
        )
        .bind(once.rule_id)
        .bind(once.ticket_id)
        .bind(once.instance)
        .bind($at)
        .fetch_optional(&mut *$tx)
        .await?;
        if id.is_some() {
            insert_event!(
                $tx,
                once.ticket_id,
                None::<i64>,
                frontline_domain::ticket::EventField::RuleFired,
                Some(once.rule_id.to_string()),
                Some(once.rule_name.as_str()),
                $at
            );
        }
        id.is_some()
    }};
}
