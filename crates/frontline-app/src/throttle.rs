//! The one way an attempt is throttled (signing in, asking for a reset
//! link, proving the current password): record it first, then count the
//! failures each limit sees, so that of many parallel attempts the later
//! see the earlier and the limit holds under concurrency. Refused, the
//! attempt is forgotten (a refusal is no failure, so it cannot extend the
//! wait); one that worked is marked a success; otherwise its row stays, a
//! counted failure.

use frontline_domain::throttle::Window;
use frontline_store::throttle::{Attempt, Attempts};

use crate::auth::throttled;
use crate::{App, Result};

/// An attempt the limits let through, until it is known to have worked.
/// Dropped without `succeeded`, it counts as a failure.
#[must_use = "an attempt that worked must say so, or it counts as a failure"]
pub(crate) struct AttemptGuard<'a> {
    app: &'a App,
    id: i64,
}

impl AttemptGuard<'_> {
    pub(crate) async fn succeeded(self) -> Result<()> {
        Ok(self.app.store.attempt_succeeded(self.id).await?)
    }
}

impl App {
    /// Record an attempt of `what` by `email` from `address` and check it
    /// against each (whose attempts, window) limit: 429 with the longest
    /// wait when any is reached.
    pub(crate) async fn attempt(
        &self,
        what: Attempt,
        email: &str,
        address: &str,
        limits: &[(Attempts<'_>, Window)],
    ) -> Result<AttemptGuard<'_>> {
        let id = self.store.record_attempt(what, email, address).await?;
        match self.longest_wait(what, id, limits).await {
            Ok(None) => Ok(AttemptGuard { app: self, id }),
            refused => {
                self.store.forget_attempt(id).await?;
                Err(match refused {
                    Ok(wait) => throttled(wait.unwrap_or_default()),
                    Err(e) => e,
                })
            }
        }
    }

    async fn longest_wait(&self, what: Attempt, id: i64, limits: &[(Attempts<'_>, Window)]) -> Result<Option<chrono::Duration>> {
        let t = self.now();
        let mut longest = None;
        for (whose, limit) in limits {
            let most = i64::try_from(limit.max).unwrap_or(i64::MAX);
            let failures = self.store.failed_attempts(what, *whose, t - limit.window, id, most).await?;
            longest = longest.max(limit.wait(&failures, t));
        }
        Ok(longest)
    }
}
