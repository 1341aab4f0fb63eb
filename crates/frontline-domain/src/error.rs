use serde::Serialize;

/// A problem with one input field, named so that the API and the UI can
/// point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Errors every use case can return; the web layer maps each kind to one
/// HTTP status in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// Several inputs wrong at once, each with its message, checked
    /// together so that one answer names them all (never empty; the first
    /// leads, as `Invalid` would). Made by `DomainError::invalid_all`.
    #[error("{}", all_text(.0))]
    InvalidAll(Vec<FieldError>),
    /// Also used when the actor may not know the thing exists (other
    /// organizations' tickets), so that existence does not leak.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("{}: {}", .0.field, .0.message)]
    Conflict(FieldError),
    #[error("sign in required")]
    Unauthenticated,
    /// Refused by a throttle; the caller may try again after this long.
    #[error("too many attempts; try again in {}", wait_text(*retry_after_seconds))]
    Throttled { retry_after_seconds: u64 },
}

fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} seconds"),
        60..=119 => "a minute".into(),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

fn all_text(all: &[FieldError]) -> String {
    all.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl DomainError {
    /// Every problem of one input at once: `Invalid` when there is one,
    /// `InvalidAll` when there are several (None when there are none).
    pub fn invalid_all(mut problems: Vec<FieldError>) -> Option<Self> {
        match problems.len() {
            0 => None,
            1 => problems.pop().map(Self::Invalid),
            _ => Some(Self::InvalidAll(problems)),
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict(FieldError::new(field, message))
    }
}
