//! Page input: one extractor for submitted forms. Pages read fields by name
//! (trimmed text, an optional value, every value of a repeated key), so no
//! handler parses a raw body; a page that refuses a form re-renders it with
//! what was typed ([`rerender_or_redirect`]).

use std::future::Future;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::{AppError, AppResult};

/// The decoded fields of a URL-encoded form, in order (repeated keys kept).
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(encoded: &str) -> FormFields {
        FormFields(crate::access::form_pairs(encoded))
    }

    /// A field trimmed, "" when absent.
    pub fn text(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// A field as sent (untrimmed), if present.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every value of a repeated field (checkboxes), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every field, for forms whose names carry data (`rating_<tag>`).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = String::from_request(req, state).await.map_err(|_| {
            AppError::bad_request(
                "表单内容无法读取（过大或不是 UTF-8 文本）",
                "the form could not be read (too large or not UTF-8 text)",
            )
        })?;
        Ok(FormFields::parse(&body))
    }
}

/// A page form that may carry one file (a work order with its photo): a
/// `multipart/form-data` body gives its text fields and the first chosen
/// file; a URL-encoded body gives the fields and no file.
#[derive(Debug, Default)]
pub struct FormWithFile {
    pub fields: FormFields,
    pub file: Option<Vec<u8>>,
}

impl<S: Send + Sync> FromRequest<S> for FormWithFile {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("multipart/form-data"));
        if !multipart {
            return Ok(FormWithFile {
                fields: FormFields::from_request(req, state).await?,
                file: None,
            });
        }
        let unreadable = || {
            AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "form_too_large",
                "表单无法读取：照片最大 10 MB",
                "the form could not be read: photos are at most 10 MB",
            )
        };
        let mut mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| unreadable())?;
        let mut out = FormWithFile::default();
        while let Some(field) = mp.next_field().await.map_err(|_| unreadable())? {
            let name = field.name().unwrap_or("").to_string();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|_| unreadable())?;
                if out.file.is_none() && !bytes.is_empty() {
                    out.file = Some(bytes.to_vec());
                }
            } else {
                let text = field.text().await.map_err(|_| unreadable())?;
                out.fields.0.push((name, text));
            }
        }
        Ok(out)
    }
}

/// A form with fixed fields, deserialised into `T` (extra fields such as
/// `_csrf` are ignored); a body that does not fit answers in our envelope.
pub struct PageForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = AppError;

    #[allow(clippy::disallowed_types)] // the one wrapper around axum's form extractor
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(rej) => Err(AppError::bad_request(
                format!("表单内容不正确：{}", rej.body_text()),
                format!("the form does not fit: {}", rej.body_text()),
            )),
        }
    }
}

/// POST-redirect-GET for page forms: on success go to `to(value)` (a
/// refresh then does not send the form again); a refusal (4xx) re-renders
/// the page with its message and what was typed; anything else is an error.
pub async fn rerender_or_redirect<T, Fut>(
    result: AppResult<T>,
    to: impl FnOnce(T) -> String,
    rerender: impl FnOnce(AppError) -> Fut,
) -> AppResult<Response>
where
    Fut: Future<Output = AppResult<Response>>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&to(v)).into_response()),
        Err(e) if e.status.is_client_error() => rerender(e).await,
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_trimmed_and_repeated_keys_kept() {
        let f = FormFields::parse("name=+%E5%BC%A0%E4%BC%9F+&role=hrbp&role=admin&empty=");
        assert_eq!(f.text("name"), "张伟");
        assert_eq!(f.get("name").as_deref(), Some(" 张伟 "));
        assert_eq!(f.all("role"), ["hrbp", "admin"]);
        assert_eq!(f.text("missing"), "");
        assert_eq!(f.get("empty").as_deref(), Some(""));
        assert_eq!(f.pairs().len(), 4);
    }
}
