//! An in-memory `Mailer`: keeps every notification the job runner hands
//! it, so tests of who is told what need no SMTP server. The SMTP path
//! itself (MIME, TLS, AUTH, threading headers) is tested against aiosmtpd.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use frontline_app::mail::{Mailer, Notification, NotificationKind, SendFuture};

#[derive(Debug, Default)]
pub struct Outbox {
    sent: Mutex<Vec<Notification>>,
    /// Deliveries still to refuse (a relay that is down), for retry tests.
    failing: AtomicUsize,
}

impl Outbox {
    /// Everything delivered so far, oldest first.
    pub fn sent(&self) -> Vec<Notification> {
        self.lock().clone()
    }

    /// Take what was delivered, leaving the outbox empty.
    pub fn take(&self) -> Vec<Notification> {
        std::mem::take(&mut *self.lock())
    }

    /// (kind, ticket, recipients' addresses) of each mail taken, oldest first.
    pub fn take_summary(&self) -> Vec<(NotificationKind, i64, Vec<String>)> {
        self.take().into_iter().map(|n| (n.kind, n.ticket_id, n.to.into_iter().map(|r| r.email).collect())).collect()
    }

    /// Refuse the next `n` deliveries, as a relay that is down would.
    pub fn fail_next(&self, n: usize) {
        self.failing.store(n, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Notification>> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Mailer for Outbox {
    fn deliver<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            if self.failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                return Err("relay refused the mail (Outbox::fail_next)".into());
            }
            self.lock().push(notification.clone());
            Ok(())
        })
    }

    fn message_id_domain(&self) -> &str {
        "acme.example"
    }
}
