//! "Forgot password?": a single-use link, mailed by the job runner, that
//! sets a new password. The answer to a request is the same whether or not
//! the email belongs to anyone; requests are throttled per email and per
//! client address.

use chrono::Duration;
use frontline_domain::audit::AuditAction;
use frontline_domain::notification::NotificationKind;
use frontline_domain::throttle::Window;
use frontline_domain::{DomainError, validate};
use frontline_store::Audit;
use frontline_store::resets::{InvitationMailJob, ResetMailJob};
use frontline_store::throttle::{Attempt, Attempts};

use crate::auth::{Client, new_secret, secret_hash};
use crate::mail::{Notification, Recipient};
use crate::{App, AppError, Result};

/// Reset requests per email, and per client address, within an hour.
const PER_EMAIL: Window = Window { max: 3, window: Duration::hours(1) };
const PER_ADDRESS: Window = Window { max: 20, window: Duration::hours(1) };

pub const RESET_PREFIX: &str = "r_";

/// Why a reset link does not work, in words for the person holding it.
fn link_error(message: &str) -> AppError {
    DomainError::invalid("token", message).into()
}

impl App {
    /// Ask for a reset link for `email`. Whether or not it exists, the
    /// answer is Ok (or the throttle's refusal, which does not depend on
    /// it either); a mail goes out only to an active user.
    pub async fn request_password_reset(&self, email: &str, client: &Client) -> Result<()> {
        validate::text("email", email)?;
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(DomainError::invalid("email", "email is required").into());
        }
        let ip = client.address.as_str();
        // Every request counts, whether or not the email exists: its attempt is never marked a success.
        let _counted = self
            .attempt(Attempt::PasswordReset, &email, ip, &[(Attempts::Email(&email), PER_EMAIL), (Attempts::Address(ip), PER_ADDRESS)])
            .await?;
        if self.mailer.is_none() {
            tracing::warn!("a password reset was asked for, but mail is not configured");
            return Ok(());
        }
        if let Some(user) = self.store.user_by_email(&email).await?.filter(|u| u.active) {
            // The link's row and its mail job are written together.
            self.store.create_password_reset(user.id, self.now() + Duration::minutes(self.config.reset_link_minutes)).await?;
        }
        Ok(())
    }

    /// Whether a link works (for the page that asks for the new password).
    pub async fn check_reset_link(&self, token: &str) -> Result<()> {
        validate::text("token", token)?;
        let link = match token.starts_with(RESET_PREFIX) {
            true => self.store.password_reset(&secret_hash(token)).await?,
            false => None,
        };
        match link {
            None => Err(link_error("This link is not valid. Copy the whole link from the mail, or ask for a new one.")),
            Some(l) if l.used_at.is_some() => {
                Err(link_error("This link was already used (or a newer one was). Ask for a new one if you need it."))
            }
            Some(l) if l.expires_at <= self.now() => Err(link_error("This link has expired. Ask for a new one.")),
            Some(_) => Ok(()),
        }
    }

    /// Set a new password with a reset link: the link (and every other of
    /// the user's) is spent and every session of the user ends.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<()> {
        self.check_reset_link(token).await?;
        validate::password(password)?;
        let hash = self.hash_password(password).await?;
        let audit = Audit {
            actor_id: None,
            action: AuditAction::UserPasswordReset,
            target: String::new(),
            detail: "by mailed link; sessions ended".into(),
        };
        match self.store.use_password_reset(&secret_hash(token), &hash, &audit).await? {
            Some(_) => Ok(()),
            // Spent by a parallel use between the check and now.
            None => Err(link_error("This link was already used (or a newer one was). Ask for a new one if you need it.")),
        }
    }

    /// Run a reset mail job: make the link's secret and mail it. A link
    /// used or expired before its mail went out sends nothing.
    pub(crate) async fn run_reset_mail(&self, p: ResetMailJob) -> Result<()> {
        self.run_link_mail(p.reset_id, LinkMail::Reset).await
    }

    /// Run an invitation's mail job, as a reset's.
    pub(crate) async fn run_invitation_mail(&self, p: InvitationMailJob) -> Result<()> {
        self.run_link_mail(p.reset_id, LinkMail::Invitation).await
    }

    async fn run_link_mail(&self, reset_id: i64, which: LinkMail) -> Result<()> {
        let Some(mailer) = &self.mailer else {
            return Err(AppError::internal("mail is not configured; the mail with a password link is kept for later"));
        };
        let secret = new_secret(RESET_PREFIX);
        let Some(to) = self.store.arm_password_reset(reset_id, &secret_hash(&secret)).await? else { return Ok(()) };
        let base = self.base_url.trim_end_matches('/');
        let url = format!("{base}/password/reset?token={secret}");
        let until = to.expires_at.format("%Y-%m-%d %H:%M UTC");
        let (kind, subject, text) = match which {
            LinkMail::Reset => (
                NotificationKind::PasswordReset,
                "Reset your Frontline password".to_string(),
                format!(
                    "Someone (hopefully you) asked to reset the password of the Frontline account {}.\n\n\
                     Set a new password here; the link works once, until {until}:\n\n{url}\n\n\
                     If you did not ask for this, ignore this mail: your password stays as it is.",
                    to.email,
                ),
            ),
            LinkMail::Invitation => (
                NotificationKind::Invitation,
                "You were invited to Frontline".to_string(),
                format!(
                    "Hello {},\n\nyou were invited to Frontline, the support desk at {base}, as {}.\n\n\
                     Choose your password here; the link works once, until {until}:\n\n{url}\n\n\
                     Then sign in at {base}/login with this email address. If the link has expired, \
                     use \"Forgot password?\" on the sign-in page to get a new one.",
                    to.name, to.email,
                ),
            ),
        };
        let n = Notification {
            kind,
            to: vec![Recipient { name: to.name, email: to.email }],
            ticket_id: 0,
            subject: subject.clone(),
            status_label: String::new(),
            author_name: None,
            body: None,
            ticket_url: url,
            // Named by its kind, as every mail the kind sends.
            message_id: format!(
                "<frontline.{}.{reset_id}.{}@{}>",
                kind.as_str(),
                self.now().timestamp_micros(),
                mailer.message_id_domain()
            ),
            in_reply_to: None,
            references: vec![],
            custom: Some((subject, text)),
            attachments: vec![],
        };
        mailer.deliver(&n).await.map_err(AppError::Internal)
    }
}

/// The mails that carry a link to set a password: both spend the same kind
/// of link, and say why it came.
#[derive(Debug, Clone, Copy)]
enum LinkMail {
    Reset,
    Invitation,
}
