//! The review-cycle API for HR (W1): list, launch, progress, release, complete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_domain::Lang;
use pulse_domain::reviews::CycleState;
use pulse_store::reviews::{self, Cycle};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
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
