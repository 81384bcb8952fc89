//! What the pages and the JSON share: logging a view of another person's
//! review data, building a person's archive, finding a person HR may see.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pulse_domain::i18n::Lang;
use pulse_store::accounts::Caller;
use pulse_store::identity::privacy;
use pulse_store::people::{self, Person};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// Logs that the caller saw `subject`'s review data (a look at one's own is not logged).
pub async fn viewed(
    state: &AppState,
    caller: &Caller,
    subject: i64,
    kind: &str,
    reference: &str,
) -> AppResult<()> {
    privacy::record_view(&state.db, caller.person_id, subject, kind, reference).await?;
    Ok(())
}

/// The same for each subject of a list.
pub async fn viewed_all(
    state: &AppState,
    caller: &Caller,
    subjects: &[i64],
    kind: &str,
    reference: &str,
) -> AppResult<()> {
    privacy::record_views(&state.db, caller.person_id, subjects, kind, reference).await?;
    Ok(())
}

/// A person in the caller's scope (HR's pages and JSON), else 404.
pub async fn visible(state: &AppState, caller: &Caller, employee_no: &str) -> AppResult<Person> {
    people::get_visible(&state.db, &caller.viewer(), employee_no.trim())
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))
}

/// The person's archive as a zip download named after them and the day.
pub async fn archive_download(
    state: &AppState,
    person: &Person,
    lang: Lang,
) -> AppResult<Response> {
    let sections = privacy::archive(&state.db, person.id).await?;
    let now = state.db.now_ms();
    let generated_at = pulse_domain::china_time::format_ms(now, "%Y-%m-%d %H:%M:%S");
    let (no, name) = (person.employee_no.clone(), person.name.clone());
    let bytes = tokio::task::spawn_blocking(move || {
        super::archive::zip_archive(&sections, &no, &name, &generated_at, lang)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let file = format!(
        "{}-{}-{}.zip",
        lang.pick("个人信息", "personal-data"),
        person.employee_no,
        pulse_domain::china_time::format_ms(now, "%Y%m%d")
    );
    let disposition = crate::attachment_disposition(&file);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

/// "2026-12-04 10:30", how a page shows an instant.
pub fn when(ms: i64) -> String {
    pulse_domain::china_time::format_ms(ms, "%Y-%m-%d %H:%M")
}
