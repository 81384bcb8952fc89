//! The review API (W1–W3): cycles for HR, reviews for their writers and
//! subjects, the evidence, the writer's draft, the advisory check, submit.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use pulse_domain::Lang;
use pulse_domain::reviews::format_rating;
use pulse_store::reviews::{self, Review};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{self, EvidenceItem, Standing, Warning};
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScaleStep {
    pub value: f64,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: i64,
    pub cycle_id: i64,
    pub cycle_name: String,
    pub period: String,
    pub period_name: String,
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub reviewer_name: String,
    /// `draft`, `submitted`, `in_calibration`, `calibrated`, `released`, `acknowledged`.
    pub state: String,
    pub state_label: String,
    /// `reviewer` (the caller writes it), `self` (it is about the caller) or `hr`.
    pub role: String,
    pub due_on: String,
    pub overdue: bool,
    /// The manager's rating (hidden from the employee until release).
    pub rating: Option<f64>,
    pub calibrated_rating: Option<f64>,
    pub rating_label: Option<String>,
    /// G7's weighted goal score of the period, in percent, taken at submission.
    pub goal_score: Option<f64>,
    pub text: Option<String>,
    pub self_text: String,
    pub edit_count: Option<i64>,
    pub writing_seconds: Option<i64>,
    pub submitted_at: Option<i64>,
    pub released_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub ack_comment: String,
    pub scale: Vec<ScaleStep>,
    /// Advisory warnings on the submitted text (submit only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

pub fn review_dto(
    r: &Review,
    standing: Standing,
    lang: Lang,
    today: chrono::NaiveDate,
) -> ReviewDto {
    let shown = standing != Standing::Subject || service::visible_to_subject(r);
    let scale = r.scale();
    ReviewDto {
        id: r.id,
        cycle_id: r.cycle_id,
        cycle_name: r.cycle_name.clone(),
        period: r.period_code.clone(),
        period_name: r.period_name.clone(),
        employee_no: r.employee_no.clone(),
        name: r.name.clone(),
        unit: r.org_unit_name.clone(),
        reviewer_name: r.reviewer_name.clone(),
        state: r.state.clone(),
        state_label: service::state_label(r, lang, today),
        role: match standing {
            Standing::Reviewer => "reviewer",
            Standing::Subject => "self",
            Standing::Hr => "hr",
        }
        .into(),
        due_on: r.due_on.to_string(),
        overdue: r.overdue(today),
        rating: r.rating.filter(|_| shown),
        calibrated_rating: r.calibrated_rating.filter(|_| shown),
        rating_label: service::rating_label(r, lang).filter(|_| shown),
        goal_score: r
            .goal_score_bp
            .filter(|_| shown)
            .map(|bp| bp as f64 / 100.0),
        text: Some(r.body.clone()).filter(|t| shown && !t.is_empty()),
        self_text: r.self_text.clone(),
        edit_count: r.edit_count.filter(|_| standing != Standing::Subject),
        writing_seconds: r.writing_seconds.filter(|_| standing != Standing::Subject),
        submitted_at: r.submitted_at,
        released_at: r.released_at,
        acknowledged_at: r.acknowledged_at,
        ack_comment: r.ack_comment.clone(),
        scale: scale
            .steps()
            .into_iter()
            .map(|v| ScaleStep {
                value: v,
                label: scale.label(v, lang),
            })
            .collect(),
        warnings: Vec::new(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReviewParams {
    /// Only this cycle's reviews.
    #[param(minimum = 1)]
    pub cycle: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewDto>,
}

/// The reviews the caller writes (as manager) followed by their own.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(ReviewParams), responses((status = 200, body = ReviewList)))]
pub async fn list(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ReviewParams>,
) -> AppResult<Json<ReviewList>> {
    let lang = request_lang(&headers);
    let today = state.db.today();
    if p.cycle.is_some_and(|c| c < 1) {
        return Err(AppError::bad_request(
            "cycle 须为正整数",
            "cycle must be a positive whole number",
        ));
    }
    let (to_write, mine) = service::reviews_of(&state, &caller, p.cycle).await?;
    let items = to_write
        .iter()
        .map(|r| review_dto(r, Standing::Reviewer, lang, today))
        .chain(
            mine.iter()
                .map(|r| review_dto(r, Standing::Subject, lang, today)),
        )
        .collect();
    Ok(Json(ReviewList { items }))
}

/// One review, as its writer, its subject or HR may see it.
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<ReviewDto>> {
    let (r, standing) = service::open(&state, &caller, id).await?;
    crate::features::privacy::service::viewed(
        &state,
        &caller,
        r.person_id,
        "review",
        &format!("review:{id}"),
    )
    .await?;
    Ok(Json(review_dto(
        &r,
        standing,
        request_lang(&headers),
        state.db.today(),
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceList {
    pub items: Vec<EvidenceItem>,
    /// Records of the period in all (the list shows the most notable).
    pub total: usize,
}

/// The person's evidence for the review's period, most notable first.
#[utoipa::path(get, path = "/api/v1/reviews/{id}/evidence", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = EvidenceList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<EvidenceList>> {
    let (r, standing) = service::open(&state, &caller, id).await?;
    if standing == Standing::Subject {
        return Err(AppError::not_found("评价", "review"));
    }
    let lang = request_lang(&headers);
    let facts = service::evidence_of(&state, &r).await?;
    let items = facts
        .iter()
        .take(service::PICKER_ITEMS)
        .map(|f| service::item(f, &r, lang))
        .collect();
    Ok(Json(EvidenceList {
        items,
        total: facts.len(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// Exactly two ids from the review's evidence list.
    pub evidence_ids: Vec<i64>,
    /// Ask the configured language model to polish the offline draft (W3).
    pub polish: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionDto {
    pub evidence_id: i64,
    pub situation: String,
    pub behaviour: String,
    pub impact: String,
    /// The record the section cites.
    pub source: EvidenceItem,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftDto {
    pub text: String,
    pub sections: Vec<SectionDto>,
    pub suggestion: String,
    /// The radar dimension the suggestion comes from.
    pub suggestion_dimension: Option<String>,
    pub course: Option<String>,
    /// `offline` or `polished`.
    pub source: String,
    /// Why the polish was not used, when it was asked for.
    pub polish_note: Option<String>,
}

/// Draft the review from exactly two of the person's evidence items.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/draft", tag = "reviews", params(("id" = i64, Path)), request_body = DraftBody,
    responses((status = 200, body = DraftDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn draft(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DraftBody>,
) -> AppResult<Json<DraftDto>> {
    let lang = request_lang(&headers);
    let r = service::open_for_writing(&state, &caller, id).await?;
    let d =
        super::drafting::make(&state, &r, &b.evidence_ids, b.polish.unwrap_or(false), lang).await?;
    Ok(Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub text: String,
    /// On the cycle's scale (1 to its maximum; halves where the cycle allows).
    #[schema(minimum = 1, maximum = 10)]
    pub rating: f64,
}

/// Submit (or resubmit until calibration locks it). Records the edits
/// against the last draft and the active writing time.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/submit", tag = "reviews", params(("id" = i64, Path)), request_body = SubmitBody,
    responses((status = 200, body = ReviewDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SubmitBody>,
) -> AppResult<Json<ReviewDto>> {
    let lang = request_lang(&headers);
    let r = service::open_for_writing(&state, &caller, id).await?;
    let after = reviews::submit(&state.db, &state.actor(&caller), r.id, &b.text, b.rating).await?;
    let facts = service::evidence_of(&state, &after).await?;
    let warnings = service::check(
        &state,
        &after,
        &b.text,
        Some(b.rating),
        &service::citable_names(&facts),
        lang,
    )
    .await?;
    let mut dto = review_dto(&after, Standing::Reviewer, lang, state.db.today());
    dto.warnings = warnings;
    Ok(Json(dto))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewCheckBody {
    #[schema(max_length = 5000)]
    pub text: String,
    #[schema(minimum = 1, maximum = 10)]
    pub rating: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCheckResult {
    pub warnings: Vec<Warning>,
}

/// The advisory check before submitting: rating and prose disagree, or the
/// text cites no evidence. Changes nothing.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/check", tag = "reviews", params(("id" = i64, Path)), request_body = ReviewCheckBody,
    responses((status = 200, body = ReviewCheckResult), (status = 404, body = crate::api::ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewCheckBody>,
) -> AppResult<Json<ReviewCheckResult>> {
    let r = service::open_for_writing(&state, &caller, id).await?;
    let facts = service::evidence_of(&state, &r).await?;
    let warnings = service::check(
        &state,
        &r,
        &b.text,
        b.rating,
        &service::citable_names(&facts),
        request_lang(&headers),
    )
    .await?;
    Ok(Json(ReviewCheckResult { warnings }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WritingTime {
    pub active_seconds: i64,
}

/// The writer is at the draft: moves the writing clock (idle gaps over five
/// minutes are not counted).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/ping", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = WritingTime), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ping(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<WritingTime>> {
    let r = service::open_for_writing(&state, &caller, id).await?;
    let r = reviews::ping(&state.db, r.id).await?;
    Ok(Json(WritingTime {
        active_seconds: r.active_ms / 1000,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewAckBody {
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// The employee acknowledges their released review.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/acknowledge", tag = "reviews", params(("id" = i64, Path)), request_body = ReviewAckBody,
    responses((status = 200, body = ReviewDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewAckBody>,
) -> AppResult<Json<ReviewDto>> {
    let r = service::open_as(&state, &caller, id, Standing::Subject).await?;
    let after = reviews::acknowledge(
        &state.db,
        &state.actor(&caller),
        r.id,
        b.comment.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(review_dto(
        &after,
        Standing::Subject,
        request_lang(&headers),
        state.db.today(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerBody {
    /// The new reviewer's 工号.
    #[schema(min_length = 1, max_length = 32)]
    pub employee_no: String,
}

/// HR gives the review to another reviewer.
#[utoipa::path(put, path = "/api/v1/reviews/{id}/reviewer", tag = "reviews", params(("id" = i64, Path)), request_body = ReviewerBody,
    responses((status = 200, body = ReviewDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reassign(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewerBody>,
) -> AppResult<Json<ReviewDto>> {
    let r = service::open_for_hr(&state, &caller, id).await?;
    let to = pulse_store::people::by_employee_no(&state.db, b.employee_no.trim())
        .await?
        .ok_or_else(service::unknown_reviewer)?;
    let after = reviews::reassign(&state.db, &state.actor(&caller), r.id, to.id).await?;
    Ok(Json(review_dto(
        &after,
        Standing::Hr,
        request_lang(&headers),
        state.db.today(),
    )))
}

/// "4" / "3.5" for forms.
pub fn rating_text(r: Option<f64>) -> String {
    r.map(format_rating).unwrap_or_default()
}
