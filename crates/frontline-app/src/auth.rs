//! Passwords, sessions, API tokens and sign-in throttling.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::Duration;
use frontline_domain::authz::Actor;
use frontline_domain::{DomainError, validate};
use frontline_store::{ApiToken, Audit, User, now};
use rand::RngExt;
use sha2::{Digest, Sha256};

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

pub const API_TOKEN_PREFIX: &str = "fl_";
pub const SESSION_PREFIX: &str = "s_";

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
    /// cookie. Too many failures for one email within the window are
    /// refused before the password is checked.
    pub async fn login(&self, email: &str, password: &str, ip: &str) -> Result<(String, User)> {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(DomainError::invalid("email", "email is required").into());
        }
        validate::text("email", &email)?;
        validate::text("password", password)?;
        // Record first, count after: the k-th of many parallel guesses sees
        // at least k attempts, so the limit holds under concurrency.
        let attempt = self.store.record_login_attempt(&email, ip).await?;
        let failures = self.store.recent_login_failures(&email, Duration::minutes(self.config.login_window_minutes)).await?;
        if failures > self.config.login_max_failures {
            return Err(DomainError::Throttled.into());
        }
        let user = self.store.user_by_email(&email).await?;
        let hash = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.clone());
        let ok = self.verify_password(hash, password).await?;
        if ok {
            self.store.login_succeeded(attempt).await?;
        }
        match user {
            Some(user) if ok => {
                let secret = new_secret(SESSION_PREFIX);
                self.store.create_session(&secret_hash(&secret), user.id, now() + Duration::days(self.config.session_days)).await?;
                Ok((secret, user))
            }
            _ => Err(DomainError::invalid("password", "email or password is wrong").into()),
        }
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
        let name = validate::name("name", name, 100)?;
        let secret = new_secret(API_TOKEN_PREFIX);
        let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
        let audit = Audit { actor_id: Some(user_id), action: "api_token.create", target: format!("user:{user_id}"), detail: name.clone() };
        let id = self.store.create_api_token(user_id, &name, &secret_hash(&secret), &prefix, Some(&audit)).await?;
        Ok((id, secret))
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        let Some(user_id) = actor.user_id() else { return Ok(vec![]) };
        Ok(self.store.list_api_tokens(user_id).await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, token_id: i64) -> Result<()> {
        let user_id = actor.user_id().ok_or(DomainError::NotFound("token"))?;
        let audit =
            Audit { actor_id: Some(user_id), action: "api_token.revoke", target: format!("api_token:{token_id}"), detail: String::new() };
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
