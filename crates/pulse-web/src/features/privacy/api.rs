//! The JSON of data rights: the caller's archive, HR's copy of a person's,
//! the view log, anonymisation, and HR's notes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pulse_store::identity::privacy;
use pulse_store::identity::settings::{self, PrivacySettings};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::api_lang;

/// Everything Pulse holds about the caller (PIPL Art. 45): a zip of
/// `archive.json` and `archive.xlsx`.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "privacy",
    responses((status = 200, content_type = "application/zip", description = "archive.json and archive.xlsx")))]
pub async fn my_export(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let me = service::visible(&state, &caller, &caller.employee_no).await?;
    service::archive_download(&state, &me, api_lang(&headers)).await
}

/// HR's copy of a person's archive, made on their request; the view is logged.
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/export", tag = "privacy", params(("employee_no" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "archive.json and archive.xlsx"),
        (status = 404, body = crate::api::ErrorBody)))]
pub async fn person_export(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(employee_no): Path<String>,
) -> AppResult<Response> {
    let p = service::visible(&state, &caller, &employee_no).await?;
    service::viewed(&state, &caller, p.id, "archive", "export").await?;
    service::archive_download(&state, &p, api_lang(&headers)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ViewParams {
    /// Only views of this person's data.
    #[param(max_length = 32)]
    pub employee_no: Option<String>,
    /// Newest first; default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DataView)]
pub struct ViewDto {
    /// China time, `2026-12-04T10:30:00+08:00`.
    pub at: String,
    pub viewer_employee_no: String,
    pub viewer_name: String,
    pub subject_employee_no: String,
    pub subject_name: String,
    /// `review`, `rating`, `calibration` or `archive`.
    pub kind: String,
    /// What was opened, e.g. `review:12`.
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataViewList {
    pub items: Vec<ViewDto>,
}

pub fn view_dto(v: privacy::ViewRow) -> ViewDto {
    ViewDto {
        at: pulse_domain::china_time::format_ms(v.at, "%Y-%m-%dT%H:%M:%S%:z"),
        viewer_employee_no: v.viewer_no,
        viewer_name: v.viewer_name,
        subject_employee_no: v.subject_no,
        subject_name: v.subject_name,
        kind: v.kind,
        reference: v.reference,
    }
}

/// Who viewed whose review, rating and calibration data, newest first.
#[utoipa::path(get, path = "/api/v1/privacy/views", tag = "privacy", params(ViewParams),
    responses((status = 200, body = DataViewList), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn views(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiQuery(q): ApiQuery<ViewParams>,
) -> AppResult<Json<DataViewList>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request(
            "limit 需在 1 到 1000 之间",
            "limit must be between 1 and 1000",
        ));
    }
    let subject = match q.employee_no.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(no) => Some(service::visible(&state, &caller, no).await?.id),
    };
    let items = privacy::views(&state.db, subject, limit)
        .await?
        .into_iter()
        .map(view_dto)
        .collect();
    Ok(Json(DataViewList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnonymiseResult {
    /// People anonymised by this run (0 when nobody was due).
    pub people: usize,
    /// Free texts in which their identifiers were replaced.
    pub texts: usize,
    pub retention_days: i64,
}

/// Anonymises every leaver past the retention period now (the daily job
/// does the same); running it again finds nobody.
#[utoipa::path(post, path = "/api/v1/privacy/anonymise", tag = "privacy",
    responses((status = 200, body = AnonymiseResult)))]
pub async fn anonymise(
    State(state): State<AppState>,
    Me(caller): Me,
) -> AppResult<Json<AnonymiseResult>> {
    let p: PrivacySettings = settings::get(&state.db, settings::PRIVACY).await?;
    let done = privacy::anonymise_due(&state.db, &state.actor(&caller), p.retention_days).await?;
    Ok(Json(AnonymiseResult {
        people: done.people,
        texts: done.texts,
        retention_days: p.retention_days,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DataAnnotation)]
pub struct AnnotationDto {
    pub id: i64,
    /// `profile`, `goals`, `reviews` or `other`.
    pub topic: String,
    pub body: String,
    pub author_name: String,
    /// China time, `2026-12-04T10:30:00+08:00`.
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataAnnotationList {
    pub items: Vec<AnnotationDto>,
}

pub fn annotation_dto(a: privacy::Annotation) -> AnnotationDto {
    AnnotationDto {
        id: a.id,
        topic: a.topic,
        body: a.body,
        author_name: a.author_name,
        created_at: pulse_domain::china_time::format_ms(a.created_at, "%Y-%m-%dT%H:%M:%S%:z"),
    }
}

/// Topics a note may be about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = AnnotationTopic)]
pub enum Topic {
    Profile,
    Goals,
    Reviews,
    Other,
}

impl Topic {
    fn as_str(&self) -> &'static str {
        match self {
            Topic::Profile => "profile",
            Topic::Goals => "goals",
            Topic::Reviews => "reviews",
            Topic::Other => "other",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnotationInput {
    pub topic: Topic,
    /// What HR adds beside the record (1–500 characters).
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub body: String,
}

/// HR's notes beside a person's record, newest first.
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/annotations", tag = "privacy", params(("employee_no" = String, Path)),
    responses((status = 200, body = DataAnnotationList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn annotations(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
) -> AppResult<Json<DataAnnotationList>> {
    let p = service::visible(&state, &caller, &employee_no).await?;
    let items = privacy::annotations(&state.db, p.id)
        .await?
        .into_iter()
        .map(annotation_dto)
        .collect();
    Ok(Json(DataAnnotationList { items }))
}

/// Adds HR's note to a person's record (PIPL Art. 46), audited.
#[utoipa::path(post, path = "/api/v1/people/{employee_no}/annotations", tag = "privacy", params(("employee_no" = String, Path)),
    request_body = AnnotationInput,
    responses((status = 201, body = AnnotationDto), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn annotate(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
    ApiJson(b): ApiJson<AnnotationInput>,
) -> AppResult<(StatusCode, Json<AnnotationDto>)> {
    let p = service::visible(&state, &caller, &employee_no).await?;
    let id = add_note(&state, &caller, p.id, b.topic.as_str(), &b.body).await?;
    let note = privacy::annotations(&state.db, p.id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::internal("the note just written is missing"))?;
    Ok((StatusCode::CREATED, Json(annotation_dto(note))))
}

pub async fn add_note(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    person_id: i64,
    topic: &str,
    body: &str,
) -> AppResult<i64> {
    let mut tx = state.db.begin().await?;
    let id = privacy::annotate(&mut tx, &state.actor(caller), person_id, topic, body).await?;
    tx.commit().await?;
    Ok(id)
}
