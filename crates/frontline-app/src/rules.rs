//! Automatic rules: the admin's use cases (list, save, delete) and what
//! the scheduler does with them each tick, plus the built-in near-breach
//! warnings. Every firing is written in the transaction of the change it
//! makes, keyed once per (rule, ticket, condition instance).

use frontline_domain::authz::{self, Actor, Permission};
use frontline_domain::escalation::EscalationStep;
use frontline_domain::notification::NotificationKind;
use frontline_domain::rules::{Reference, RuleDraft, RuleEffect, RuleSpec};
use frontline_domain::ticket::Channel;
use frontline_domain::{DomainError, FieldError};
use frontline_store::rules::RuleRecord;
use frontline_store::tickets::{Effects, FireOnce, Modify};
use frontline_store::{Audit, Ticket};

use crate::escalation::{RuleStep, StepRequest};
use crate::{App, Result};

/// What the rules did in one tick.
#[derive(Debug, Clone, Default)]
pub(crate) struct RulesRun {
    pub fired: usize,
    pub disabled: usize,
    /// A rule had more candidates than one tick takes.
    pub more: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct WarningsRun {
    pub sent: usize,
    pub more: bool,
}

fn audit(actor: &Actor, action: frontline_domain::audit::AuditAction, id: i64, name: &str) -> Audit {
    Audit { actor_id: actor.user_id(), action, target: format!("rule:{id}"), detail: name.to_string() }
}

impl App {
    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<RuleRecord>> {
        authz::require(actor, Permission::ManageRules)?;
        Ok(self.store.list_rules().await?)
    }

    pub async fn get_rule(&self, actor: &Actor, id: i64) -> Result<RuleRecord> {
        authz::require(actor, Permission::ManageRules)?;
        Ok(self.store.get_rule(id).await?.ok_or(DomainError::NotFound("rule"))?)
    }

    /// Every problem of a draft at once, for a form; empty when it would save.
    pub async fn rule_problems(&self, actor: &Actor, draft: &RuleDraft) -> Result<Vec<FieldError>> {
        authz::require(actor, Permission::ManageRules)?;
        self.draft_problems(draft).await
    }

    /// Its fields' problems and the teams and users it names that are
    /// missing, together (one message per field, the format's first), so
    /// that nobody fixes one round to be told of the next.
    async fn draft_problems(&self, draft: &RuleDraft) -> Result<Vec<FieldError>> {
        let mut out = draft.parse().err().unwrap_or_default();
        let missing = self.missing_references(vec![draft.references()]).await?.swap_remove(0);
        for e in missing {
            if !out.iter().any(|o| o.field == e.field) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The checked rule, or every problem at once as a 422 (the first
    /// naming its field, all of them in `InvalidAll` when there are several).
    async fn checked_rule(&self, draft: &RuleDraft) -> Result<RuleSpec> {
        if let Some(e) = DomainError::invalid_all(self.draft_problems(draft).await?) {
            return Err(e.into());
        }
        Ok(draft.parse().map_err(first_problem)?)
    }

    pub async fn create_rule(&self, actor: &Actor, draft: &RuleDraft) -> Result<RuleRecord> {
        authz::require(actor, Permission::ManageRules)?;
        let author = actor.user_id().ok_or(DomainError::Forbidden("a rule is saved by a person"))?;
        let spec = self.checked_rule(draft).await?;
        let id = self
            .store
            .create_rule(&spec, author, Some(&audit(actor, frontline_domain::audit::AuditAction::RuleCreate, 0, &spec.name)))
            .await?;
        self.get_rule(actor, id).await
    }

    /// Replace a rule; `expected_version` from the form or API (a stale
    /// one is a 409). Saving clears a reason the scheduler disabled it for.
    pub async fn update_rule(&self, actor: &Actor, id: i64, draft: &RuleDraft, expected_version: Option<i64>) -> Result<RuleRecord> {
        authz::require(actor, Permission::ManageRules)?;
        let author = actor.user_id().ok_or(DomainError::Forbidden("a rule is saved by a person"))?;
        let spec = self.checked_rule(draft).await?;
        let a = audit(actor, frontline_domain::audit::AuditAction::RuleUpdate, id, &spec.name);
        self.store.update_rule(id, &spec, author, expected_version, Some(&a)).await?.ok_or(DomainError::NotFound("rule"))?;
        self.get_rule(actor, id).await
    }

    pub async fn delete_rule(&self, actor: &Actor, id: i64) -> Result<()> {
        authz::require(actor, Permission::ManageRules)?;
        let a = audit(actor, frontline_domain::audit::AuditAction::RuleDelete, id, "");
        if !self.store.delete_rule(id, Some(&a)).await? {
            return Err(DomainError::NotFound("rule").into());
        }
        Ok(())
    }

    /// Per rule, the teams and users it names that do not exist, or cannot
    /// do what the rule asks of them (deactivated; an assignee who cannot
    /// work tickets; someone told who is not staff). Two queries for all.
    async fn missing_references(&self, refs: Vec<Vec<Reference>>) -> Result<Vec<Vec<FieldError>>> {
        let team_ids: Vec<i64> =
            refs.iter().flatten().filter_map(|r| if let Reference::Team { id, .. } = r { Some(*id) } else { None }).collect();
        let user_ids: Vec<i64> =
            refs.iter().flatten().filter_map(|r| if let Reference::User { id, .. } = r { Some(*id) } else { None }).collect();
        let teams = self.store.existing_teams(&team_ids).await?;
        let users = self.store.users_by_ids(&user_ids).await?;
        Ok(refs.into_iter().map(|refs| reference_problems(refs, &teams, &users)).collect())
    }

    /// Each enabled rule's due firings, bounded per rule. A rule whose team
    /// or user has gone is disabled with the reason, not run (and the tick
    /// goes on with the others). What a rule's firings share (the
    /// notifications on, the people a notice goes to) is read once per tick.
    pub(crate) async fn run_rules(&self, per_rule: i64) -> Result<RulesRun> {
        let mut run = RulesRun::default();
        let rules: Vec<RuleRecord> = self.store.list_rules().await?.into_iter().filter(|r| r.spec.enabled).collect();
        if rules.is_empty() {
            return Ok(run);
        }
        let missing = self.missing_references(rules.iter().map(|r| r.spec.references()).collect()).await?;
        let enabled = self.enabled_notifications().await?;
        for (rule, missing) in rules.iter().zip(missing) {
            if let Some(problem) = missing.first() {
                let reason = format!("{}: {}", problem.field, problem.message);
                let a = audit(&Actor::System, frontline_domain::audit::AuditAction::RuleDisable, rule.id, &reason);
                if self.store.disable_rule(rule.id, rule.version, &reason, Some(&a)).await? {
                    tracing::warn!(rule = rule.id, %reason, "automatic rule disabled");
                    run.disabled += 1;
                }
                continue;
            }
            let candidates = self.store.rule_candidates(rule.id, &rule.spec, per_rule).await?;
            if candidates.is_empty() {
                continue;
            }
            let full = candidates.len() as i64 >= per_rule;
            let effect = self.effect_context(rule, &enabled).await?;
            run.more |= full;
            for c in candidates {
                let once = FireOnce { rule_id: rule.id, rule_name: rule.spec.name.clone(), ticket_id: c.ticket_id, instance: c.instance };
                match self.fire(rule, &effect, once).await {
                    Ok(true) => run.fired += 1,
                    Ok(false) => {}
                    // One ticket's trouble (deleted meanwhile, moved under
                    // the rule) is not the tick's: next tick judges it again.
                    Err(e) => tracing::info!(rule = rule.id, ticket = c.ticket_id, error = %e, "automatic rule did not fire"),
                }
            }
        }
        Ok(run)
    }

    /// What every firing of a rule in this tick shares.
    async fn effect_context(&self, rule: &RuleRecord, enabled: &[NotificationKind]) -> Result<EffectContext> {
        let on = |k: NotificationKind| enabled.contains(&k);
        Ok(match &rule.spec.effect {
            RuleEffect::Escalate => EffectContext::default(),
            RuleEffect::Reassign { .. } | RuleEffect::SetPriority { .. } => EffectContext {
                assigned: if on(NotificationKind::TicketAssigned) { vec![NotificationKind::TicketAssigned] } else { vec![] },
                ..EffectContext::default()
            },
            RuleEffect::Notify { user_ids, step } => EffectContext {
                told: if on(NotificationKind::RuleNotice) { self.notice_recipients(user_ids, *step).await? } else { vec![] },
                ..EffectContext::default()
            },
        })
    }

    /// Fire one rule on one ticket; false when it had fired for this instance.
    async fn fire(&self, rule: &RuleRecord, effect: &EffectContext, once: FireOnce) -> Result<bool> {
        let system = Actor::System;
        let ticket_id = once.ticket_id;
        match &rule.spec.effect {
            RuleEffect::Escalate => {
                let req = StepRequest::escalate(rule.spec.name.clone(), None, Channel::Web);
                let step = RuleStep { author_id: rule.author_id, once: once.clone() };
                match self.step_as(&system, ticket_id, &req, None, Some(&step)).await {
                    Ok((fired, _)) => Ok(fired),
                    // Nowhere further up (Engineering), or closed meanwhile:
                    // recorded as fired with nothing to change, so it is not
                    // judged again for this instance.
                    Err(crate::AppError::Domain(DomainError::Invalid(_))) => self.fire_fields(once, None, vec![]).await,
                    Err(e) => Err(e),
                }
            }
            RuleEffect::Reassign { .. } | RuleEffect::SetPriority { .. } => {
                self.fire_fields(once, Some(rule.spec.effect.clone()), effect.assigned.clone()).await
            }
            RuleEffect::Notify { .. } => Ok(self.store.record_rule_notice(&once, &effect.told).await?),
        }
    }

    /// A firing that edits the ticket's fields (or, with no effect, only
    /// records itself), decided on the ticket locked in the transaction.
    /// `assigned`: the notification a new assignee gets, if on.
    async fn fire_fields(&self, once: FireOnce, effect: Option<RuleEffect>, assigned: Vec<NotificationKind>) -> Result<bool> {
        let decide = |t: &Ticket| -> std::result::Result<Effects, DomainError> {
            let before = t.fields();
            let after = effect.as_ref().and_then(|e| e.apply(&before)).unwrap_or_else(|| before.clone());
            let notify = if after.assignee_id.is_some() && after.assignee_id != before.assignee_id { assigned.clone() } else { vec![] };
            Ok(Effects { after, notify })
        };
        let c = Modify {
            ticket_id: once.ticket_id,
            actor_id: None,
            expected_version: None,
            message: None,
            accept: None,
            decide: &decide,
            idempotency: None,
        };
        Ok(self.store.modify_ticket_fired(c, None, Some(&once)).await?.0)
    }

    /// The people a notify rule tells: those it names (still active staff)
    /// and the people working the step it names.
    async fn notice_recipients(&self, user_ids: &[i64], step: Option<EscalationStep>) -> Result<Vec<i64>> {
        let mut to: Vec<i64> = self
            .store
            .users_by_ids(user_ids)
            .await?
            .into_iter()
            .filter(|u| u.active && authz::can(&u.actor(), Permission::ViewInternal))
            .map(|u| u.id)
            .collect();
        if let Some(step) = step {
            to.extend(self.step_workers(step).await?.into_iter().map(|u| u.id));
        }
        to.sort_unstable();
        to.dedup();
        Ok(to)
    }

    /// Warn once per (ticket, target, due time) about tickets in their
    /// warning window: a `sla_warning` event, and the mail if it is on.
    pub(crate) async fn send_sla_warnings(&self, limit: i64) -> Result<WarningsRun> {
        let mail = self.notifications(&[NotificationKind::SlaWarning]).await?.contains(&NotificationKind::SlaWarning);
        let candidates = self.store.warning_candidates(limit).await?;
        let more = candidates.len() as i64 >= limit;
        let warnings: Vec<_> = candidates.iter().filter_map(|c| c.target().map(|target| (c.ticket_id, target, c.due_at))).collect();
        let sent = self.store.record_sla_warnings(&warnings, mail).await?;
        Ok(WarningsRun { sent, more })
    }
}

/// Read once per tick for all firings of one rule.
#[derive(Default)]
struct EffectContext {
    /// The notification a new assignee gets, if on.
    assigned: Vec<NotificationKind>,
    /// Who a notice goes to (nobody when the mail is off).
    told: Vec<i64>,
}

/// One rule's references judged against the teams and users that exist.
fn reference_problems(refs: Vec<Reference>, teams: &[i64], users: &[frontline_store::User]) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = vec![];
    for r in refs {
        let problem = match r {
            Reference::Team { field, id } => (!teams.contains(&id)).then(|| (field, format!("team {id} does not exist"))),
            Reference::User { field, id } => {
                let need = if field == "assignee_id" { Permission::WorkTickets } else { Permission::ViewInternal };
                let ok = users.iter().any(|u| u.id == id && u.active && authz::can(&u.actor(), need));
                (!ok).then(|| (field, format!("user {id} does not exist, is deactivated, or cannot be given this")))
            }
        };
        // One message per field (a notify list names each missing user once).
        if let Some((field, message)) = problem {
            match out.iter_mut().find(|e| e.field == field) {
                Some(e) if field == "notify_user_ids" => e.message = format!("{}; {message}", e.message),
                Some(_) => {}
                None => out.push(FieldError::new(field, message)),
            }
        }
    }
    out
}

fn first_problem(mut problems: Vec<FieldError>) -> DomainError {
    if problems.is_empty() {
        return DomainError::invalid("rule", "invalid rule");
    }
    let e = problems.swap_remove(0);
    DomainError::invalid(e.field, e.message)
}
