//! Throttling of sign-in and password reset: a sliding window. A key (an
//! email from one address, or an address) may fail `max` times within
//! `window`; then it waits until its oldest counted failure leaves the
//! window, and each failure that ages out gives one attempt back. So a
//! lock always ends, and attempts refused by the throttle (never counted)
//! cannot extend it.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max: usize,
    pub window: Duration,
}

impl Window {
    /// How long to wait, given the key's counted failures within the window
    /// (newest first, at least the newest `max`); None: go ahead.
    pub fn wait(&self, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<Duration> {
        if self.max == 0 || failures.len() < self.max {
            return None;
        }
        // Allowed again once fewer than `max` are left in the window.
        let free_at = failures[self.max - 1] + self.window;
        // Never longer than the window, even for a failure stamped a moment
        // after `now` by a parallel attempt.
        (free_at > now).then(|| (free_at - now).min(self.window))
    }
}

/// Whole seconds to announce in `Retry-After` (at least one).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let ms = wait.num_milliseconds().max(0) as u64;
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(now: DateTime<Utc>, minutes_ago: &[i64]) -> Vec<DateTime<Utc>> {
        minutes_ago.iter().map(|m| now - Duration::minutes(*m)).collect()
    }

    #[test]
    fn under_the_limit_goes_ahead() {
        let w = Window { max: 3, window: Duration::minutes(15) };
        let now = Utc::now();
        assert_eq!(w.wait(&[], now), None);
        assert_eq!(w.wait(&at(now, &[1, 2]), now), None);
    }

    #[test]
    fn a_lock_ends_when_the_oldest_counted_failure_leaves_the_window() {
        let w = Window { max: 3, window: Duration::minutes(15) };
        let now = Utc::now();
        // Failures 1, 2 and 10 minutes ago: free when the third newest (10 min) is 15 min old.
        assert_eq!(w.wait(&at(now, &[1, 2, 10, 14]), now), Some(Duration::minutes(5)));
        // Five minutes later one attempt is back, though two failures are still in the window.
        let later = now + Duration::minutes(5);
        assert_eq!(w.wait(&at(now, &[1, 2, 10]), later), None);
        // However many failures there were, the wait is never longer than the window.
        let many: Vec<i64> = vec![0; 50];
        assert!(w.wait(&at(now, &many), now).is_some_and(|d| d <= Duration::minutes(15)));
        // A failure stamped just after `now` (a parallel attempt) still waits at most the window.
        assert_eq!(w.wait(&[now + Duration::milliseconds(3); 3], now), Some(Duration::minutes(15)));
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::minutes(15)), 900);
    }
}
