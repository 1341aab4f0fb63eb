//! Forms that may carry files: read as multipart/form-data when the
//! browser sends files, or as a plain urlencoded form otherwise.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, RequestExt};
use frontline_app::tickets::NewAttachment;
use frontline_domain::FieldError;
use frontline_domain::attachment::{Limits, human_size};

use super::FormErrors;
use crate::AppState;

/// The text fields and the files of a posted form. A file input left empty
/// sends a part without a name and without bytes; it is skipped.
#[derive(Debug, Default)]
pub struct PostedForm {
    fields: Vec<(String, String)>,
    pub files: Vec<NewAttachment>,
    /// The upload could not be read (too large, cut off): said next to the file field.
    pub upload_error: Option<FieldError>,
}

impl PostedForm {
    pub fn field(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// The text fields as a typed form, as `Form<T>` would read them.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, Response> {
        let encoded =
            serde_urlencoded::to_string(&self.fields).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response())?;
        serde_urlencoded::from_str(&encoded)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, format!("unreadable form: {e}")).into_response())
    }

    /// Why the form cannot be used: the upload failed, or a text field
    /// holds a control character.
    pub fn refused(&self) -> Option<FieldError> {
        self.upload_error.clone().or_else(|| crate::text::in_pairs(&self.fields))
    }

    pub fn errors(&self) -> Option<FormErrors> {
        self.refused().map(|e| FormErrors(vec![e]))
    }
}

impl FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limits = state.app.config.attachment_limits;
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let Form(fields) = req.extract::<Form<Vec<(String, String)>>, _>().await.map_err(IntoResponse::into_response)?;
            return Ok(PostedForm { fields, ..Default::default() });
        }
        let mut parts = req.extract::<Multipart, _>().await.map_err(IntoResponse::into_response)?;
        let mut form = PostedForm::default();
        loop {
            let field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => {
                    form.upload_error = Some(upload_error(&e, &limits));
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(filename) => {
                    let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                    match field.bytes().await {
                        Ok(data) if filename.is_empty() && data.is_empty() => {}
                        Ok(data) => {
                            form.files.push(NewAttachment { filename, content_type, content_id: None, inline: false, data: data.to_vec() })
                        }
                        Err(e) => {
                            form.upload_error = Some(upload_error(&e, &limits));
                            break;
                        }
                    }
                }
                None => match field.text().await {
                    Ok(value) => form.fields.push((name, value)),
                    Err(e) => {
                        form.upload_error = Some(upload_error(&e, &limits));
                        break;
                    }
                },
            }
        }
        Ok(form)
    }
}

fn upload_error(e: &axum::extract::multipart::MultipartError, limits: &Limits) -> FieldError {
    let message = if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!("the files are too large to upload; one message may carry at most {} in all", human_size(limits.max_total_bytes))
    } else {
        format!("the upload was cut off or unreadable ({}); attach the files again", e.body_text())
    };
    FieldError::new("attachments", message)
}
