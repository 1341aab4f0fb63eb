use frontline_domain::DomainError;
use frontline_store::StoreError;

/// Any error, kept with its chain of causes.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A use case fails either for a reason the user can act on (domain) or
/// for one they cannot (internal, logged and answered opaquely).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The cause itself, not its text, so the log shows every link of the
    /// chain (a database error and what the driver saw under it).
    #[error(transparent)]
    Internal(BoxError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => AppError::Domain(d),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl AppError {
    /// An internal error from an error value, or from a message (`&str`, `String`).
    pub fn internal(e: impl Into<BoxError>) -> Self {
        AppError::Internal(e.into())
    }

    /// Every message of the chain, outermost first, joined by ": ".
    pub fn chain(&self) -> String {
        error_chain(self)
    }
}

/// `e` and its sources, outermost first, joined by ": ".
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // Wrappers that print their cause in their own message would say it twice.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn internal_keeps_its_source() {
        let e = AppError::internal(Outer(std::io::Error::other("disk on fire")));
        let AppError::Internal(inner) = &e else { panic!("not internal") };
        assert!(inner.downcast_ref::<Outer>().is_some(), "the error value is kept, not its text");
        assert_eq!(e.chain(), "outer: disk on fire");
    }

    #[test]
    fn store_errors_keep_their_type() {
        let e: AppError = StoreError::WriterStopped.into();
        let AppError::Internal(inner) = &e else { panic!("not internal") };
        assert!(matches!(inner.downcast_ref::<StoreError>(), Some(StoreError::WriterStopped)));
    }
}
