//! Form and query extractors for pages that refuse text holding control
//! characters. A form is still decoded, so the page can be shown again with
//! what was typed and the message next to the field; a query has no form to
//! go back to and is answered with an error page naming the parameter.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use frontline_app::AppError;
use frontline_domain::{DomainError, FieldError};
use serde::de::DeserializeOwned;

use super::error_page;

/// Whether a form's text was fit to use.
pub struct Checked(Option<FieldError>);

impl Checked {
    /// For forms whose text was checked elsewhere (multipart forms).
    pub fn passed() -> Checked {
        Checked(None)
    }

    /// The refusal as a use-case error, so it takes the handler's usual path to the page.
    pub fn ok(self) -> Result<(), AppError> {
        match self.0 {
            None => Ok(()),
            Some(e) => Err(DomainError::Invalid(e).into()),
        }
    }

    /// Run the use case only when the text was fit (a future does nothing until awaited).
    pub async fn then<T>(self, use_case: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
        self.ok()?;
        use_case.await
    }
}

/// Why a submitted form was not done: messages for its fields, or a page
/// (not allowed, not found, a server error).
pub enum Failed {
    Form(super::FormErrors),
    Page(Response),
}

impl From<AppError> for Failed {
    fn from(e: AppError) -> Self {
        match super::FormErrors::from_error(e) {
            Ok(errors) => Failed::Form(errors),
            Err(page) => Failed::Page(page),
        }
    }
}

/// The form's own checks of every field first, so that all their messages
/// show at once; the use case runs only when they and the text pass.
pub async fn run<T>(pre: super::FormErrors, checked: Checked, use_case: impl Future<Output = Result<T, AppError>>) -> Result<T, Failed> {
    // A control character is the field's message, before the form's own checks.
    let pre = super::FormErrors(checked.0.into_iter().collect()).merge(pre);
    if pre.any() {
        return Err(Failed::Form(pre));
    }
    Ok(use_case.await?)
}

/// A urlencoded form and the verdict on its text.
pub struct Form<T>(pub T, pub Checked);

impl<S, T> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let checked = Checked(crate::text::in_pairs(&pairs));
        let encoded = serde_urlencoded::to_string(&pairs).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response())?;
        let value = serde_urlencoded::from_str(&encoded)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, format!("unreadable form: {e}")).into_response())?;
        Ok(Form(value, checked))
    }
}

/// A query string, refused with a 422 page when a parameter holds a control character.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(e) = crate::text::query_error(parts.uri.query()) {
            return Err(error_page(StatusCode::UNPROCESSABLE_ENTITY, "That did not work", &e.message));
        }
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        Ok(Query(v))
    }
}
