//! Passwords, sessions, API tokens and sign-in throttling.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::Duration;
use frontline_domain::audit::AuditAction;
use frontline_domain::authz::Actor;
use frontline_domain::throttle::{self, Window};
use frontline_domain::{DomainError, validate};
use frontline_store::auth::SessionInfo;
use frontline_store::throttle::{Attempt, Attempts};
use frontline_store::{ApiToken, Audit, User};
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::throttle::AttemptGuard;
use crate::{App, AppError, Result};

/// A fresh random secret: 32 bytes as hex, with a readable prefix.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// Secrets are stored only as their SHA-256; they are random and long, so
/// a fast hash is enough (unlike passwords).
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed-in person's own account: the system has none.
fn own_account(actor: &Actor) -> Result<i64> {
    actor.user_id().ok_or_else(|| DomainError::Forbidden("only a signed-in person has sessions and a password").into())
}

pub const API_TOKEN_PREFIX: &str = "fl_";
pub const SESSION_PREFIX: &str = "s_";

/// Where a request comes from: the client address as the rate limits see
/// it (X-Forwarded-For only from trusted proxies) and its User-Agent.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
}

impl Client {
    pub fn new(address: impl Into<String>, user_agent: &str) -> Self {
        // Kept for people to recognise their sessions; long or odd values are cut.
        let user_agent = user_agent.chars().filter(|c| !c.is_control()).take(200).collect();
        Client { address: address.into(), user_agent }
    }
}

/// A throttle's refusal as the error callers show (429 with Retry-After).
pub(crate) fn throttled(wait: Duration) -> AppError {
    DomainError::Throttled { retry_after_seconds: throttle::retry_after_seconds(wait) }.into()
}

impl App {
    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = if self.config.fast_password_hashing { Params::new(256, 1, 1, None) } else { Params::new(19 * 1024, 2, 1, None) }
            .map_err(AppError::internal)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub async fn hash_password(&self, password: &str) -> Result<String> {
        validate::password(password)?;
        let argon = self.argon2()?;
        let password = password.to_string();
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let salt: [u8; 16] = rand::rng().random();
            argon.hash_password_with_salt(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
        })
        .await
        .map_err(AppError::internal)?
    }

    async fn verify_password(&self, hash: Option<String>, password: &str) -> Result<bool> {
        // Without a hash we still spend the time, so timing does not tell
        // which emails exist.
        let argon = self.argon2()?;
        let password = password.to_string();
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let Some(hash) = hash else {
                let _ = argon.hash_password_with_salt(password.as_bytes(), &[0u8; 16]);
                return Ok(false);
            };
            let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
            Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Sign in with email and password; returns the session secret for the
    /// cookie.
    pub async fn login(&self, email: &str, password: &str, ip: &str) -> Result<(String, User)> {
        self.sign_in(email, password, &Client::new(ip, "")).await
    }

    /// Sign in; attempts are throttled per (email, client address) and per
    /// address before the password is checked, so someone guessing from
    /// one address neither gets far nor locks the real user out of theirs.
    pub async fn sign_in(&self, email: &str, password: &str, client: &Client) -> Result<(String, User)> {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(DomainError::invalid("email", "email is required").into());
        }
        validate::text("email", &email)?;
        validate::text("password", password)?;
        let attempt = self.sign_in_attempt(&email, &client.address).await?;
        let user = self.store.user_by_email(&email).await?;
        let hash = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.clone());
        let ok = self.verify_password(hash, password).await?;
        if ok {
            attempt.succeeded().await?;
        }
        match user {
            Some(user) if ok => {
                let secret = new_secret(SESSION_PREFIX);
                let expires = self.now() + Duration::days(self.config.session_days);
                self.store.create_session(&secret_hash(&secret), user.id, expires, &client.address, &client.user_agent).await?;
                Ok((secret, user))
            }
            _ => Err(DomainError::invalid("password", "email or password is wrong").into()),
        }
    }

    /// Sign-in's limits: per (email, client address), and per address.
    async fn sign_in_attempt(&self, email: &str, ip: &str) -> Result<AttemptGuard<'_>> {
        let window = Duration::minutes(self.config.login_window_minutes);
        let pair = Window { max: usize::try_from(self.config.login_max_failures).unwrap_or(0), window };
        let address = Window { max: usize::try_from(self.config.login_max_failures_per_address).unwrap_or(0), window };
        self.attempt(Attempt::SignIn, email, ip, &[(Attempts::EmailFrom { email, ip }, pair), (Attempts::Address(ip), address)]).await
    }

    /// The signed-in user's sessions; `current` (a session secret) is marked.
    pub async fn list_sessions(&self, actor: &Actor) -> Result<Vec<SessionInfo>> {
        let user_id = own_account(actor)?;
        Ok(self.store.list_sessions(user_id).await?)
    }

    /// The id under which `list_sessions` shows the session with this secret.
    pub fn session_id(session_secret: &str) -> String {
        secret_hash(session_secret).chars().take(frontline_store::auth::SESSION_ID_LEN).collect()
    }

    /// End one of the actor's own sessions.
    pub async fn end_session(&self, actor: &Actor, id: &str) -> Result<()> {
        let user_id = own_account(actor)?;
        // Ids are hex digits of a fixed length: anything else names no session.
        if id.len() != frontline_store::auth::SESSION_ID_LEN || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DomainError::NotFound("session").into());
        }
        let audit = Audit {
            actor_id: Some(user_id),
            action: AuditAction::SessionEnd,
            target: format!("user:{user_id}"),
            detail: format!("session {id}"),
        };
        match self.store.end_sessions(user_id, Some(id), None, Some(&audit)).await? {
            0 => Err(DomainError::NotFound("session").into()),
            _ => Ok(()),
        }
    }

    /// End every session of the actor but the one with `current_secret`
    /// (none when called with an API token). Returns how many ended.
    pub async fn end_other_sessions(&self, actor: &Actor, current_secret: Option<&str>) -> Result<u64> {
        let user_id = own_account(actor)?;
        let audit = Audit {
            actor_id: Some(user_id),
            action: AuditAction::SessionEnd,
            target: format!("user:{user_id}"),
            detail: "all other sessions".into(),
        };
        let keep = current_secret.map(secret_hash);
        Ok(self.store.end_sessions(user_id, None, keep.as_deref(), Some(&audit)).await?)
    }

    /// Change one's own password, proving the current one; every other
    /// session ends (the one making the change, `current_secret`, stays).
    pub async fn change_own_password(&self, actor: &Actor, current_secret: Option<&str>, current: &str, new: &str) -> Result<()> {
        let user_id = own_account(actor)?;
        validate::text("current_password", current)?;
        validate::password(new)?;
        let user = self.store.get_user(user_id).await?.ok_or(DomainError::NotFound("user"))?;
        if current.is_empty() {
            return Err(DomainError::invalid("current_password", "enter your current password").into());
        }
        self.check_current_password(&user, current).await?;
        let hash = self.hash_password(new).await?;
        let audit = Audit {
            actor_id: Some(user_id),
            action: AuditAction::UserPasswordChange,
            target: format!("user:{user_id}"),
            detail: "other sessions ended".into(),
        };
        let keep = current_secret.map(secret_hash);
        self.store.set_password(user_id, &hash, false, keep.as_deref(), Some(&audit)).await?;
        Ok(())
    }

    /// Prove the current password of a signed-in user. Wrong guesses are
    /// throttled per user (sign-in's limits and window) and counted apart
    /// from sign-in, so someone holding a session or a token cannot guess
    /// on, and cannot lock the real user out of signing in either.
    async fn check_current_password(&self, user: &User, current: &str) -> Result<()> {
        let window = Duration::minutes(self.config.login_window_minutes);
        let per_user = Window { max: usize::try_from(self.config.login_max_failures).unwrap_or(0), window };
        let check = self.attempt(Attempt::CurrentPassword, &user.email, "", &[(Attempts::Account(&user.email), per_user)]).await?;
        if !self.verify_password(user.password_hash.clone(), current).await? {
            // Dropped, the attempt stays: a counted failure.
            return Err(DomainError::invalid("current_password", "the current password is wrong").into());
        }
        check.succeeded().await
    }

    pub async fn logout(&self, session_secret: &str) -> Result<()> {
        Ok(self.store.delete_session(&secret_hash(session_secret)).await?)
    }

    pub async fn session_user(&self, session_secret: &str) -> Result<Option<User>> {
        Ok(self.store.session_user(&secret_hash(session_secret)).await?)
    }

    pub async fn token_user(&self, token: &str) -> Result<Option<User>> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self.store.token_user(&secret_hash(token)).await?)
    }

    /// Create an API token for the actor; the secret is returned once and
    /// only its hash is kept.
    pub async fn create_api_token(&self, actor: &Actor, name: &str) -> Result<(i64, String)> {
        let user_id = actor.user_id().ok_or(DomainError::Forbidden("API tokens belong to a person"))?;
        let name = frontline_domain::structure::token_name(name)?;
        let secret = new_secret(API_TOKEN_PREFIX);
        let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
        let audit = Audit {
            actor_id: Some(user_id),
            action: frontline_domain::audit::AuditAction::ApiTokenCreate,
            target: format!("user:{user_id}"),
            detail: name.clone(),
        };
        let id = self.store.create_api_token(user_id, &name, &secret_hash(&secret), &prefix, Some(&audit)).await?;
        Ok((id, secret))
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        let Some(user_id) = actor.user_id() else { return Ok(vec![]) };
        Ok(self.store.list_api_tokens(user_id).await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, token_id: i64) -> Result<()> {
        let user_id = actor.user_id().ok_or(DomainError::NotFound("token"))?;
        let audit = Audit {
            actor_id: Some(user_id),
            action: frontline_domain::audit::AuditAction::ApiTokenRevoke,
            target: format!("api_token:{token_id}"),
            detail: String::new(),
        };
        if self.store.revoke_api_token(user_id, token_id, Some(&audit)).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("token").into())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_random_and_hashed() {
        let a = super::new_secret("fl_");
        assert!(a.starts_with("fl_") && a.len() == 67);
        assert_ne!(a, super::new_secret("fl_"));
        assert_eq!(super::secret_hash("x"), super::secret_hash("x"));
        assert_eq!(super::secret_hash("x").len(), 64);
    }
}
