//! Organizations (with their email domains), teams and positions.

use crate::{Audit, Organization, Page, Position, Store, StoreError, Team};

macro_rules! org_select {
    () => {
        "SELECT o.id, o.name, o.notes, o.created_at, o.support_plan_id, sp.name AS support_plan_name, \
         COALESCE((SELECT string_agg(d.domain, ' ') FROM organization_domains d WHERE d.organization_id = o.id), '') AS domains \
         FROM organizations o LEFT JOIN support_plans sp ON sp.id = o.support_plan_id "
    };
}
macro_rules! org_select_sqlite {
    () => {
        "SELECT o.id, o.name, o.notes, o.created_at, o.support_plan_id, sp.name AS support_plan_name, \
         COALESCE((SELECT group_concat(d.domain, ' ') FROM organization_domains d WHERE d.organization_id = o.id), '') AS domains \
         FROM organizations o LEFT JOIN support_plans sp ON sp.id = o.support_plan_id "
    };
}

/// Run the org query in the engine's dialect (string_agg vs group_concat).
macro_rules! org_query {
    ($store:expr, $tail:literal, |$q:ident, $p:ident| $body:expr) => {
        match &$store.db {
            crate::db::Db::Sqlite($p, _) => {
                let $q = sqlx::query_as::<_, Organization>(concat!(org_select_sqlite!(), $tail));
                $body
            }
            crate::db::Db::Postgres($p) => {
                let $q = sqlx::query_as::<_, Organization>(concat!(org_select!(), $tail));
                $body
            }
        }
    };
}

/// A team as written: checked fields.
#[derive(Debug, Clone)]
pub struct TeamInput {
    pub name: String,
    pub description: String,
    pub assignment_mode: frontline_domain::assignment::AssignmentMode,
    pub assignment_capacity: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct OrgInput {
    pub name: String,
    pub domains: Vec<String>,
    pub notes: String,
}

impl Store {
    /// Demo data only: an organization and its people became customers at
    /// `since`, before the tickets the demo backdates up to 90 days.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn backdate_customer(&self, org_id: i64, user_ids: &[i64], since: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            sqlx::query("UPDATE organizations SET created_at = $1 WHERE id = $2").bind(since).bind(org_id).execute(&mut *tx).await?;
            for id in user_ids {
                sqlx::query("UPDATE users SET created_at = $1 WHERE id = $2").bind(since).bind(*id).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_org(&self, o: &OrgInput, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let id = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar("INSERT INTO organizations (name, notes, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(&o.name)
                .bind(&o.notes)
                .bind(self.now())
                .fetch_one(&mut *tx)
                .await?;
            for d in &o.domains {
                sqlx::query("INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)")
                    .bind(d)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            write_audit!(tx, audit, self.now());
            id
        });
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    /// Change an organization's fields and, when `plan` is given, its
    /// support plan, in one transaction (a refused plan leaves the rest
    /// unwritten). Every audit row is written with the change.
    pub async fn update_org(&self, id: i64, o: &OrgInput, plan: Option<Option<i64>>, audits: &[Audit]) -> Result<bool, StoreError> {
        let n = with_tx!(self, |tx| {
            if let Some(plan) = plan
                && !set_org_plan!(self, tx, id, plan)
            {
                return Ok(false);
            }
            let n = sqlx::query("UPDATE organizations SET name = $1, notes = $2 WHERE id = $3")
                .bind(&o.name)
                .bind(&o.notes)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM organization_domains WHERE organization_id = $1").bind(id).execute(&mut *tx).await?;
                for d in &o.domains {
                    sqlx::query("INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)")
                        .bind(d)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                for a in audits {
                    write_audit!(tx, Some(a), self.now());
                }
            }
            n
        });
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_org(&self, id: i64) -> Result<Option<Organization>, StoreError> {
        Ok(org_query!(self, "WHERE o.id = $1", |q, p| q.bind(id).fetch_optional(p).await)?)
    }

    /// Which organization owns an email domain, if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn org_for_domain(&self, domain: &str) -> Result<Option<i64>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_scalar("SELECT organization_id FROM organization_domains WHERE domain = $1")
            .bind(domain)
            .fetch_optional(p)
            .await)?)
    }

    /// Domains among `domains` already owned by another organization.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn domains_taken(&self, domains: &[String], except_org: Option<i64>) -> Result<Vec<String>, StoreError> {
        let mut taken = Vec::new();
        for d in domains {
            if let Some(owner) = self.org_for_domain(d).await?
                && Some(owner) != except_org
            {
                taken.push(d.clone());
            }
        }
        Ok(taken)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_orgs(&self, query: Option<&str>, offset: i64, limit: i64) -> Result<Page<Organization>, StoreError> {
        let pattern = query.map(|q| format!("%{}%", q.to_lowercase()));
        let mut items = org_query!(self, "WHERE ($1 IS NULL OR lower(o.name) LIKE $1) ORDER BY o.name LIMIT $2 OFFSET $3", |q, p| q
            .bind(&pattern)
            .bind(limit + 1)
            .bind(offset)
            .fetch_all(p)
            .await)?;
        let has_more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        Ok(Page { items, has_more })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_team(&self, t: &TeamInput, audit: Option<&Audit>) -> Result<i64, StoreError> {
        let id = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO teams (name, description, assignment_mode, assignment_capacity, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&t.name)
            .bind(&t.description)
            .bind(t.assignment_mode.as_str())
            .bind(t.assignment_capacity)
            .bind(self.now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit, self.now());
            id
        });
        Ok(id)
    }

    /// A team's settings; when they may let waiting tickets through (the
    /// mode turned automatic, the capacity rose or was lifted), a pass over
    /// the team's unassigned tickets is queued in the same transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_team(&self, id: i64, t: &TeamInput, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let at = self.now();
        let n = with_tx!(self, |tx| {
            let lock = match self.engine() {
                crate::Engine::Sqlite => "SELECT assignment_mode, assignment_capacity FROM teams WHERE id = $1",
                crate::Engine::Postgres => "SELECT assignment_mode, assignment_capacity FROM teams WHERE id = $1 FOR UPDATE",
            };
            let before: Option<(String, Option<i64>)> = sqlx::query_as(lock).bind(id).fetch_optional(&mut *tx).await?;
            let Some((mode_before, capacity_before)) = before else { return Ok(false) };
            sqlx::query("UPDATE teams SET name = $1, description = $2, assignment_mode = $3, assignment_capacity = $4 WHERE id = $5")
                .bind(&t.name)
                .bind(&t.description)
                .bind(t.assignment_mode.as_str())
                .bind(t.assignment_capacity)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, audit, at);
            let mode_before = frontline_domain::assignment::AssignmentMode::parse(&mode_before)?;
            let widened = match (capacity_before, t.assignment_capacity) {
                (Some(old), Some(new)) => new > old,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let opens = t.assignment_mode.is_automatic() && (!mode_before.is_automatic() || widened);
            if opens {
                enqueue_job!(tx, &crate::assignment::TeamAssignPass { team_id: id }, at);
            }
            1
        });
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_teams(&self) -> Result<Vec<Team>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT t.id, t.name, t.description, t.created_at, t.assignment_mode, t.assignment_capacity, \
             (SELECT count(*) FROM users u WHERE u.team_id = t.id AND u.active = TRUE) AS member_count \
             FROM teams t ORDER BY t.name LIMIT 500",
            )
            .fetch_all(p)
            .await
        })?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT t.id, t.name, t.description, t.created_at, t.assignment_mode, t.assignment_capacity, \
             (SELECT count(*) FROM users u WHERE u.team_id = t.id AND u.active = TRUE) AS member_count \
             FROM teams t WHERE t.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await
        })?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_positions(&self) -> Result<Vec<Position>, StoreError> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT p.id, p.name, p.level, p.rank, p.tier, \
             (SELECT count(*) FROM users u WHERE u.position_id = p.id) AS holder_count \
             FROM positions p ORDER BY p.rank, p.name LIMIT 500"
        )
        .fetch_all(p)
        .await)?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_position(&self, id: i64) -> Result<Option<Position>, StoreError> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT p.id, p.name, p.level, p.rank, p.tier, \
             (SELECT count(*) FROM users u WHERE u.position_id = p.id) AS holder_count FROM positions p WHERE p.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await
        })?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn upsert_position(
        &self,
        id: Option<i64>,
        name: &str,
        level: &str,
        rank: i64,
        tier: frontline_domain::tier::Tier,
        audit: Option<&Audit>,
    ) -> Result<Option<i64>, StoreError> {
        let out = with_tx!(self, |tx| {
            let out: Option<i64> = match id {
                None => Some(
                    sqlx::query_scalar("INSERT INTO positions (name, level, rank, tier) VALUES ($1, $2, $3, $4) RETURNING id")
                        .bind(name)
                        .bind(level)
                        .bind(rank)
                        .bind(tier.get())
                        .fetch_one(&mut *tx)
                        .await?,
                ),
                Some(id) => {
                    sqlx::query_scalar("UPDATE positions SET name = $1, level = $2, rank = $3, tier = $4 WHERE id = $5 RETURNING id")
                        .bind(name)
                        .bind(level)
                        .bind(rank)
                        .bind(tier.get())
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
            };
            if out.is_some() {
                write_audit!(tx, audit, self.now());
            }
            out
        });
        Ok(out)
    }
}
