use chrono::{DateTime, Utc};
use frontline_domain::user::Role;
use sqlx::QueryBuilder;

use crate::rows::UserRow;
use crate::{Audit, Page, Store, StoreError, User};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub position_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reports_to: Option<i64>,
    pub password_hash: Option<String>,
}

/// The editable profile of a user; every field is written.
#[derive(Debug, Clone)]
pub struct UserProfile {
    pub name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub position_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reports_to: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Some(true): customers only; Some(false): staff only.
    pub customers: Option<bool>,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub query: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_user(&self, u: &NewUser, audit: Option<&Audit>) -> Result<i64, StoreError> {
        Ok(self.insert_user(u, audit, None).await?.0)
    }

    /// A new user and their invitation: a link to choose a password that
    /// works until `expires_at`, and the job that mails it, in the user's
    /// transaction (a crash leaves neither or both). Returns (user, link) ids.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_invited_user(
        &self,
        u: &NewUser,
        audit: Option<&Audit>,
        expires_at: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let (user, link) = self.insert_user(u, audit, Some(expires_at)).await?;
        Ok((user, link.ok_or_else(|| StoreError::Corrupt("invitation link not written".into()))?))
    }

    async fn insert_user(
        &self,
        u: &NewUser,
        audit: Option<&Audit>,
        invite_until: Option<DateTime<Utc>>,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let at = self.now();
        let ids = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, name, role, organization_id, position_id, team_id, reports_to, password_hash, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9) RETURNING id",
            )
            .bind(&u.email)
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(u.organization_id)
            .bind(u.position_id)
            .bind(u.team_id)
            .bind(u.reports_to)
            .bind(&u.password_hash)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit, at);
            let link = match invite_until {
                Some(expires_at) => {
                    let link: i64 = sqlx::query_scalar(
                        "INSERT INTO password_resets (user_id, created_at, expires_at) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(id)
                    .bind(at)
                    .bind(expires_at)
                    .fetch_one(&mut *tx)
                    .await?;
                    enqueue_job!(tx, &crate::resets::InvitationMailJob { reset_id: link }, at);
                    Some(link)
                }
                None => None,
            };
            (id, link)
        });
        Ok(ids)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(user_select!(), "WHERE u.id = $1")).bind(id).fetch_optional(p).await)?;
        row.map(User::try_from).transpose()
    }

    /// Several users in one query (in id order); unknown ids are left out.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<Vec<User>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<UserRow> = with_pool!(self, |p| {
            let mut b = sqlx::QueryBuilder::new(concat!(user_select!(), "WHERE u.id IN ("));
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            b.push(") ORDER BY u.id");
            b.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter().map(User::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> =
            with_pool!(self, |p| sqlx::query_as(concat!(user_select!(), "WHERE u.email = $1")).bind(email).fetch_optional(p).await)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_users(&self, f: &UserFilter) -> Result<Page<User>, StoreError> {
        let customer_roles = [Role::CustomerAdmin.as_str(), Role::CustomerMember.as_str()];
        let pattern = f.query.as_ref().map(|q| format!("%{}%", q.to_lowercase()));
        let rows: Vec<UserRow> = with_pool!(self, |p| sqlx::query_as(concat!(
            user_select!(),
            "WHERE ($1 IS NULL OR ($1 = (u.role IN ($2, $3)))) \
             AND ($4 IS NULL OR u.organization_id = $4) \
             AND ($5 IS NULL OR u.team_id = $5) \
             AND ($6 IS NULL OR lower(u.name) LIKE $6 OR u.email LIKE $6) \
             ORDER BY u.name, u.id LIMIT $7 OFFSET $8"
        ))
        .bind(f.customers)
        .bind(customer_roles[0])
        .bind(customer_roles[1])
        .bind(f.organization_id)
        .bind(f.team_id)
        .bind(&pattern)
        .bind(f.limit + 1)
        .bind(f.offset)
        .fetch_all(p)
        .await)?;
        let has_more = rows.len() as i64 > f.limit;
        let items = rows.into_iter().take(f.limit as usize).map(User::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, has_more })
    }

    /// Active users with one of `roles` (authz says which roles work
    /// tickets), for assignee pickers.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn active_users_in_roles(&self, roles: &[Role]) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(concat!(user_select!(), "WHERE u.active = TRUE AND u.role IN ("));
            let mut sep = b.separated(", ");
            for r in roles {
                sep.push_bind(r.as_str());
            }
            // An empty list matches nobody rather than being a syntax error.
            b.push(if roles.is_empty() { "NULL) ORDER BY u.name LIMIT 1000" } else { ") ORDER BY u.name LIMIT 1000" });
            b.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// Active users who have one of the (role, position tier) pairs, None
    /// standing for no position: everyone who works a step on the
    /// escalation path (authz's `step_workers` says which pairs). All of
    /// them, however many: they are who an escalation tells.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn active_users_with(&self, who: &[(Role, Option<frontline_domain::tier::Tier>)]) -> Result<Vec<User>, StoreError> {
        if who.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<UserRow> = with_pool!(self, |p| {
            let mut b = QueryBuilder::new(concat!(user_select!(), "WHERE u.active = TRUE AND ("));
            for (i, (role, tier)) in who.iter().enumerate() {
                b.push(if i == 0 { "(u.role = " } else { " OR (u.role = " });
                b.push_bind(role.as_str());
                match tier {
                    // A position always has a tier: no tier, no position.
                    None => b.push(" AND p.tier IS NULL)"),
                    Some(t) => b.push(" AND p.tier = ").push_bind(t.get()).push(")"),
                };
            }
            b.push(") ORDER BY u.id");
            b.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter().map(User::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_user(&self, id: i64, u: &UserProfile, audit: Option<&Audit>) -> Result<bool, StoreError> {
        let n = with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE users SET name = $1, role = $2, organization_id = $3, position_id = $4, team_id = $5, reports_to = $6, active = $7 WHERE id = $8",
            )
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(u.organization_id)
            .bind(u.position_id)
            .bind(u.team_id)
            .bind(u.reports_to)
            .bind(u.active)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            write_audit!(tx, audit, self.now());
            if !u.active {
                // A deactivated user keeps no way in: sessions end and API tokens are
                // revoked for good, so reactivation does not bring them back.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
                let revoked = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(self.now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if revoked > 0 {
                    let revocation = audit.map(|a| Audit {
                        actor_id: a.actor_id,
                        action: frontline_domain::audit::AuditAction::ApiTokenRevoke,
                        target: format!("user:{id}"),
                        detail: format!("{revoked} token(s) revoked: user deactivated"),
                    });
                    write_audit!(tx, revocation.as_ref(), self.now());
                }
            }
            n
        });
        Ok(n == 1)
    }

    /// Set a new password hash and end every session of the user but
    /// `keep_session` (a token hash: the one changing their own password).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_password(
        &self,
        id: i64,
        hash: &str,
        revoke_tokens: bool,
        keep_session: Option<&str>,
        audit: Option<&Audit>,
    ) -> Result<bool, StoreError> {
        let n = with_tx!(self, |tx| {
            let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            if revoke_tokens {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(self.now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            write_audit!(tx, audit, self.now());
            n
        });
        Ok(n == 1)
    }

    /// Would making `manager` the manager of `user` close a loop?
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reports_to_chain(&self, start: i64) -> Result<Vec<i64>, StoreError> {
        let mut chain = Vec::new();
        let mut cur = Some(start);
        // Bounded: reporting lines are short; a corrupt loop must not hang us.
        while let Some(id) = cur {
            if chain.contains(&id) || chain.len() > 64 {
                break;
            }
            chain.push(id);
            cur = with_pool!(self, |p| sqlx::query_scalar::<_, Option<i64>>("SELECT reports_to FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await)?
            .flatten();
        }
        Ok(chain)
    }
}
