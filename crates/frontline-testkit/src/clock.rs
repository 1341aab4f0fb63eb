//! A clock tests move, so time-dependent behaviour (expiries, windows) is
//! tested without sleeping. It runs with the real time, shifted by however
//! far a test advanced it (time still passes, so versions such as
//! `updated_at` keep changing between edits), unless a test freezes it at
//! a given instant with `set`.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use frontline_domain::clock::Clock;

#[derive(Debug, Clone, Copy)]
enum State {
    Running { offset: Duration },
    Frozen(DateTime<Utc>),
}

#[derive(Debug, Clone)]
pub struct TestClock {
    state: Arc<Mutex<State>>,
}

impl Default for TestClock {
    fn default() -> Self {
        TestClock { state: Arc::new(Mutex::new(State::Running { offset: Duration::zero() })) }
    }
}

impl TestClock {
    /// Stop the clock at `t` (until the next `set`; `advance` still moves it).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.lock() = State::Frozen(t);
    }

    /// Move the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        *state = match *state {
            State::Running { offset } => State::Running { offset: offset + by },
            State::Frozen(t) => State::Frozen(t + by),
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            State::Running { offset } => Utc::now() + offset,
            State::Frozen(t) => t,
        }
    }
}
