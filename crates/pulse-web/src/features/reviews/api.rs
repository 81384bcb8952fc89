//! The review API (W1–W3): cycles for HR, reviews for their writers and
//! subjects, the evidence, the writer's draft, the advisory check, submit.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_domain::Lang;
use pulse_domain::reviews::{CycleState, format_rating};
use pulse_store::reviews::{self, Cycle, Review};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{self, EvidenceItem, Standing, Warning};
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

#[derive(Debug, Serialize, ToSchema)]
pub struct CycleDto {
    pub id: i64,
    pub name: String,
    /// The period's code, e.g. `2026Q3`.
    pub period: String,
    pub period_name: String,
    /// `open` or `completed` (frozen).
    pub state: String,
    pub state_label: String,
    /// `company`, `unit` or `job_family`.
    pub population_kind: String,
    pub population_value: String,
    pub scale_max: i64,
    pub allow_halves: bool,
    pub self_assessment: bool,
    pub due_on: String,
    pub reviews: i64,
    pub submitted: i64,
    pub released: i64,
}

pub fn cycle_dto(c: &Cycle, lang: Lang) -> CycleDto {
    CycleDto {
        id: c.id,
        name: c.name.clone(),
        period: c.period_code.clone(),
        period_name: c.period_name.clone(),
        state: c.state.clone(),
        state_label: CycleState::from_code(&c.state)
            .map(|s| s.label(lang).to_string())
            .unwrap_or_default(),
        population_kind: c.population_kind.clone(),
        population_value: c.population_value.clone(),
        scale_max: c.scale_max,
        allow_halves: c.allow_halves != 0,
        self_assessment: c.self_assessment != 0,
        due_on: c.due_on.to_string(),
        reviews: c.reviews,
        submitted: c.submitted,
        released: c.released,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CycleList {
    pub items: Vec<CycleDto>,
}

/// Review cycles, newest period first.
#[utoipa::path(get, path = "/api/v1/review-cycles", tag = "reviews", responses((status = 200, body = CycleList)))]
pub async fn cycles(
    State(state): State<AppState>,
    _me: Me,
    headers: HeaderMap,
) -> AppResult<Json<CycleList>> {
    let lang = request_lang(&headers);
    let items = reviews::cycles(&state.db)
        .await?
        .iter()
        .map(|c| cycle_dto(c, lang))
        .collect();
    Ok(Json(CycleList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$"
    )]
    pub name: String,
    /// The period's code, e.g. `2026Q4` or `2026`.
    #[schema(min_length = 1, max_length = 20)]
    pub period: String,
    /// `company` (default), `unit` (an org unit's code in `population_value`)
    /// or `job_family`.
    #[schema(value_type = Option<crate::api::vocab::PopulationKind>)]
    pub population_kind: Option<String>,
    #[schema(max_length = 100)]
    pub population_value: Option<String>,
    /// Steps of the rating scale (default 5).
    #[schema(minimum = 3, maximum = 10)]
    pub scale_max: Option<i64>,
    /// Halves allowed (3.5).
    pub allow_halves: Option<bool>,
    pub self_assessment: Option<bool>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub due_on: String,
}

/// Launch a cycle: one review per person of the population, the manager as
/// reviewer with a to-do. 409 when someone already has a review for the period.
#[utoipa::path(post, path = "/api/v1/review-cycles", tag = "reviews", request_body = CycleBody,
    responses((status = 201, body = CycleDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CycleBody>,
) -> AppResult<(StatusCode, Json<CycleDto>)> {
    let period = pulse_store::goals::period_by_code(&state.db, b.period.trim())
        .await?
        .ok_or_else(|| {
            AppError::invalid(pulse_domain::Problem::new(
                "unknown_period",
                "找不到这个考核周期",
                "no such period",
            ))
        })?;
    let c = service::launch(
        &state,
        &caller,
        &service::LaunchInput {
            name: b.name,
            period_id: period.id,
            population_kind: b.population_kind.unwrap_or_default(),
            population_value: b.population_value.unwrap_or_default(),
            scale_max: b.scale_max.unwrap_or(5),
            halves: b.allow_halves.unwrap_or(false),
            self_assessment: b.self_assessment.unwrap_or(false),
            due_on: b.due_on,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(cycle_dto(&c, request_lang(&headers))),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub cycle: CycleDto,
    pub units: Vec<reviews::progress::UnitProgress>,
    pub late_reviewers: Vec<reviews::progress::LateReviewer>,
}

/// A cycle's progress per unit and who still has reviews to write.
#[utoipa::path(get, path = "/api/v1/review-cycles/{id}/progress", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = Progress), (status = 404, body = crate::api::ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    _me: Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<Progress>> {
    let c = service::cycle_for_hr(&state, id).await?;
    let units = reviews::progress::by_unit(&state.db, id, state.db.today()).await?;
    let late_reviewers = if state.db.today() > c.due_on {
        reviews::progress::late_reviewers(&state.db, id).await?
    } else {
        Vec::new()
    };
    Ok(Json(Progress {
        cycle: cycle_dto(&c, request_lang(&headers)),
        units,
        late_reviewers,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Released {
    pub released: usize,
}

/// Release every submitted or calibrated review of the cycle to its employee.
#[utoipa::path(post, path = "/api/v1/review-cycles/{id}/release", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = Released), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<Released>> {
    service::cycle_for_hr(&state, id).await?;
    let released = reviews::release(
        &state.db,
        &state.actor(&caller),
        id,
        &state.config.public_url,
    )
    .await?;
    Ok(Json(Released { released }))
}

/// Complete (freeze) the cycle once every review is released.
#[utoipa::path(post, path = "/api/v1/review-cycles/{id}/complete", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = CycleDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<CycleDto>> {
    service::cycle_for_hr(&state, id).await?;
    let c = reviews::complete(&state.db, &state.actor(&caller), id).await?;
    Ok(Json(cycle_dto(&c, request_lang(&headers))))
}

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
    let (r, standing) = service::open(&state, &caller, id).await?;
    if standing != Standing::Subject {
        return Err(AppError::not_found("评价", "review"));
    }
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
    let (r, standing) = service::open(&state, &caller, id).await?;
    if standing != Standing::Hr && !service::is_hr(&caller) {
        return Err(AppError::not_found("评价", "review"));
    }
    let to = pulse_store::people::by_employee_no(&state.db, b.employee_no.trim())
        .await?
        .ok_or_else(|| {
            AppError::invalid(pulse_domain::Problem::new(
                "unknown_reviewer",
                "找不到这位在职的评价人",
                "no such active reviewer",
            ))
        })?;
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

/// The review writer's language-model settings (the key is never shown).
#[utoipa::path(get, path = "/api/v1/review-writer/llm", tag = "admin", responses((status = 200, body = super::polish::LlmConfig)))]
pub async fn llm_config(
    State(state): State<AppState>,
    _me: Me,
) -> AppResult<Json<super::polish::LlmConfig>> {
    Ok(Json(super::polish::config(&state).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmBody {
    pub enabled: bool,
    /// The OpenAI-compatible base, e.g. `http://127.0.0.1:11434/v1`.
    #[schema(max_length = 300, pattern = r"^https?://\S+$")]
    pub base_url: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub model: String,
    /// Empty keeps the stored key.
    #[schema(max_length = 300)]
    pub api_key: Option<String>,
    #[schema(minimum = 500, maximum = 60000)]
    pub timeout_ms: Option<u64>,
}

/// Configure the optional polish (W3). Drafts stay offline unless enabled.
#[utoipa::path(put, path = "/api/v1/review-writer/llm", tag = "admin", request_body = LlmBody,
    responses((status = 200, body = super::polish::LlmConfig), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_llm_config(
    State(state): State<AppState>,
    _me: Me,
    ApiJson(b): ApiJson<LlmBody>,
) -> AppResult<Json<super::polish::LlmConfig>> {
    let url = b.base_url.as_str();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    if url.chars().count() > 300
        || rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace))
    {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_url",
            "地址须以 http:// 或 https:// 开头，且不含空格",
            "the URL must start with http:// or https:// and hold no spaces",
        )));
    }
    if b.model.trim().is_empty() {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "model_required",
            "请填写模型名称",
            "name the model",
        )));
    }
    if b.model.chars().count() > 100
        || b.api_key
            .as_deref()
            .is_some_and(|k| k.chars().count() > 300)
        || b.timeout_ms.is_some_and(|t| !(500..=60_000).contains(&t))
    {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_llm_config",
            "模型名称、密钥或超时设置超出范围",
            "the model, key or timeout is out of range",
        )));
    }
    super::polish::save(
        &state,
        &super::polish::LlmConfig {
            enabled: b.enabled,
            base_url: url.to_string(),
            model: b.model,
            api_key: b.api_key.unwrap_or_default(),
            timeout_ms: b.timeout_ms,
        },
    )
    .await?;
    Ok(Json(super::polish::config(&state).await?))
}
