//! The alignment API (H1): rounds, a sampled person's three tasks, the
//! HRBP's verification queue and verdicts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_domain::health::Verdict;
use pulse_store::health::alignment::{self, NewRound, Outcome, Pending, Round};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentRound)]
pub struct RoundDto {
    pub id: i64,
    pub name: String,
    /// The draw's seed: the same seed, size and population give the same people.
    pub seed: i64,
    pub sample_size: i64,
    pub stratified: bool,
    /// Active frontline staff drawn from.
    pub population: i64,
    /// `open` or `closed`.
    pub state: String,
    pub submitted: i64,
    pub started_at: String,
    pub closed_at: Option<String>,
    pub result: Option<OutcomeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentOutcome)]
pub struct OutcomeDto {
    pub sampled: i64,
    pub submitted: i64,
    /// Submitted people with a claim still to verify.
    pub pending: i64,
    /// Fully verified people.
    pub decided: i64,
    pub aligned: i64,
    /// Percent of decided people with ≥ 2 tasks supporting a TOP goal.
    pub share: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentRoundList)]
pub struct RoundList {
    pub items: Vec<RoundDto>,
}

pub fn outcome_dto(o: &Outcome) -> OutcomeDto {
    let r = |v: f64| pulse_domain::health::round(v * 100.0, 1);
    OutcomeDto {
        sampled: o.sampled,
        submitted: o.submitted,
        pending: o.pending,
        decided: o.share.map_or(0, |s| s.n),
        aligned: o.share.map_or(0, |s| s.k),
        share: o.share.map(|s| r(s.value)),
        ci_low: o.share.map(|s| r(s.low)),
        ci_high: o.share.map(|s| r(s.high)),
    }
}

pub fn round_dto(r: &Round, o: Option<&Outcome>) -> RoundDto {
    RoundDto {
        id: r.id,
        name: r.name.clone(),
        seed: r.seed,
        sample_size: r.sample_size,
        stratified: r.stratified,
        population: r.population,
        state: r.state.clone(),
        submitted: r.submitted,
        started_at: crate::pages::fmt_ms(r.created_at),
        closed_at: r.closed_at.map(crate::pages::fmt_ms),
        result: o.map(outcome_dto),
    }
}

pub async fn round_of(state: &AppState, id: i64) -> AppResult<Round> {
    alignment::round(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("抽样轮次", "alignment round"))
}

#[utoipa::path(get, path = "/api/v1/alignment-rounds", tag = "org-health",
    responses((status = 200, body = RoundList)))]
pub async fn rounds(State(state): State<AppState>) -> AppResult<Json<RoundList>> {
    let items = alignment::rounds(&state.db)
        .await?
        .iter()
        .map(|r| round_dto(r, None))
        .collect();
    Ok(Json(RoundList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlignmentRoundBody)]
pub struct RoundBody {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// Default 50.
    #[schema(minimum = 1, maximum = 10000)]
    pub sample_size: Option<i64>,
    /// Give one to redo an earlier draw; left out, one is chosen and recorded.
    #[schema(minimum = 0, maximum = 9007199254740991_i64)]
    pub seed: Option<i64>,
    /// Each region gets its proportional share of the sample.
    pub stratified: Option<bool>,
}

/// Draws a sample of active frontline staff; each gets a to-do. 422 when
/// the sample is larger than the population.
#[utoipa::path(post, path = "/api/v1/alignment-rounds", tag = "org-health", request_body = RoundBody,
    responses((status = 201, body = RoundDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<RoundBody>,
) -> AppResult<(StatusCode, Json<RoundDto>)> {
    if b.seed
        .is_some_and(|s| !(0..=(1_i64 << 53) - 1).contains(&s))
    {
        return Err(AppError::bad_request(
            "种子应为 0 到 2^53−1 之间的整数",
            "the seed is a whole number from 0 to 2^53−1",
        ));
    }
    let tree = state.org_tree().await?;
    let id = alignment::start(
        &state.db,
        &state.actor(&caller),
        &tree,
        &NewRound {
            name: b.name,
            size: b
                .sample_size
                .unwrap_or(pulse_domain::health::sample::DEFAULT_SIZE),
            seed: b.seed.map(|s| s as u64),
            stratified: b.stratified.unwrap_or(false),
        },
    )
    .await?;
    let r = round_of(&state, id).await?;
    Ok((StatusCode::CREATED, Json(round_dto(&r, None))))
}

#[utoipa::path(get, path = "/api/v1/alignment-rounds/{id}", tag = "org-health", params(("id" = i64, Path)),
    responses((status = 200, body = RoundDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn round(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<RoundDto>> {
    let r = round_of(&state, id).await?;
    let tree = state.org_tree().await?;
    let o = alignment::outcome(&state.db, &tree, id).await?;
    Ok(Json(round_dto(&r, Some(&o))))
}

#[utoipa::path(post, path = "/api/v1/alignment-rounds/{id}/close", tag = "org-health", params(("id" = i64, Path)),
    responses((status = 200, body = RoundDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<RoundDto>> {
    round_of(&state, id).await?;
    alignment::close(&state.db, &state.actor(&caller), id).await?;
    let r = round_of(&state, id).await?;
    let tree = state.org_tree().await?;
    let o = alignment::outcome(&state.db, &tree, id).await?;
    Ok(Json(round_dto(&r, Some(&o))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlignmentTaskBody)]
pub struct TaskBody {
    /// 2–60 characters.
    #[schema(min_length = 2, max_length = 60)]
    pub task: String,
    /// The company TOP goal it supports; null = none.
    pub goal_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlignmentTasksBody)]
pub struct TasksBody {
    /// Exactly three: the busiest tasks this month.
    #[schema(min_items = 3, max_items = 3)]
    pub tasks: Vec<TaskBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentSubmitted)]
pub struct Submitted {
    pub round_id: i64,
    pub tasks: i64,
}

/// A sampled person's three tasks, once. 409 the second time; 422 for
/// someone not drawn or a goal that is not a current TOP goal.
#[utoipa::path(post, path = "/api/v1/alignment-rounds/{id}/tasks", tag = "org-health", params(("id" = i64, Path)), request_body = TasksBody,
    responses((status = 201, body = Submitted), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TasksBody>,
) -> AppResult<(StatusCode, Json<Submitted>)> {
    round_of(&state, id).await?;
    let tasks: Vec<(String, Option<i64>)> =
        b.tasks.into_iter().map(|t| (t.task, t.goal_id)).collect();
    alignment::submit(
        &state.db,
        &state.actor(&caller),
        id,
        caller.person_id,
        &tasks,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Submitted {
            round_id: id,
            tasks: tasks.len() as i64,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    pub round: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentClaim)]
pub struct PendingDto {
    pub id: i64,
    pub round_id: i64,
    pub round: String,
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub position: i64,
    pub task: String,
    pub goal_id: i64,
    pub goal: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentClaimList)]
pub struct PendingList {
    pub items: Vec<PendingDto>,
}

pub fn pending_dto(p: Pending) -> PendingDto {
    PendingDto {
        id: p.id,
        round_id: p.round_id,
        round: p.round_name,
        employee_no: p.employee_no,
        name: p.name,
        unit: p.unit,
        position: p.position,
        task: p.task,
        goal_id: p.goal_id,
        goal: p.goal_title,
    }
}

/// Claims waiting for an HRBP's verdict, oldest round first.
#[utoipa::path(get, path = "/api/v1/alignment-tasks", tag = "org-health", params(QueueParams),
    responses((status = 200, body = PendingList), (status = 400, body = crate::api::ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<QueueParams>,
) -> AppResult<Json<PendingList>> {
    let limit = crate::api::limit(q.limit, 100, 500)?;
    let items = alignment::queue(&state.db, q.round, limit)
        .await?
        .into_iter()
        .map(pending_dto)
        .collect();
    Ok(Json(PendingList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlignmentVerdictBody)]
pub struct VerdictBody {
    /// `agree`: the task truly supports the goal; `disagree`: it does not.
    #[schema(value_type = crate::api::vocab::AlignmentVerdict)]
    pub verdict: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlignmentVerified)]
pub struct VerifiedDto {
    pub id: i64,
    pub verdict: String,
}

/// An HRBP's verdict on one claim, given once (409 the second time).
#[utoipa::path(post, path = "/api/v1/alignment-tasks/{id}/verification", tag = "org-health", params(("id" = i64, Path)), request_body = VerdictBody,
    responses((status = 200, body = VerifiedDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<VerdictBody>,
) -> AppResult<Json<VerifiedDto>> {
    let verdict = Verdict::parse(&b.verdict).map_err(AppError::invalid)?;
    let t = alignment::verify(&state.db, &state.actor(&caller), id, verdict).await?;
    Ok(Json(VerifiedDto {
        id: t.id,
        verdict: t.verdict.unwrap_or_default(),
    }))
}
