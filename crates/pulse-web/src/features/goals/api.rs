use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_store::adjustments;
use pulse_store::goals;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self, Board};

/// A target adjustment request (目标微调申请).
#[derive(Debug, Serialize, ToSchema)]
pub struct Adjustment {
    pub id: i64,
    pub goal_id: i64,
    pub goal_title: String,
    pub requester_name: String,
    pub approver_name: String,
    pub old_target: String,
    pub new_target: String,
    pub reason: String,
    /// `pending`, `approved`, `rejected` or `withdrawn` (replaced by a newer request).
    pub state: String,
    pub comment: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// Hours from request to decision, once decided.
    pub response_hours: Option<f64>,
}

impl From<adjustments::Adjustment> for Adjustment {
    fn from(a: adjustments::Adjustment) -> Self {
        Adjustment {
            response_hours: a
                .decided_at
                .filter(|_| a.state == "approved" || a.state == "rejected")
                .map(|d| ((d - a.created_at) as f64 / 360_000.0).round() / 10.0),
            id: a.id,
            goal_id: a.goal_id,
            goal_title: a.goal_title,
            requester_name: a.requester_name,
            approver_name: a.approver_name,
            old_target: a.old_target,
            new_target: a.new_target,
            reason: a.reason,
            state: a.state,
            comment: a.comment,
            created_at: a.created_at,
            decided_at: a.decided_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTime {
    pub region_code: String,
    pub region_name: String,
    pub decided: i64,
    pub avg_hours: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// Period code such as `2026Q4`; default the period running today.
    pub period: Option<String>,
}

/// A person's goals for a period (default: the current one) with weights,
/// targets, progress and the chain up to the company TOP goals.
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/goals", tag = "goals", params(PeriodParams),
    responses((status = 200, body = Board), (status = 404, body = crate::api::ErrorBody)))]
pub async fn person_goals(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> AppResult<Json<Board>> {
    Ok(Json(
        service::board(&state, &caller, &employee_no, p.period.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    pub goal_id: i64,
    /// Exact decimal text or a number, e.g. "0.385" or 110.
    #[schema(value_type = crate::api::vocab::Decimal)]
    pub new_target: serde_json::Value,
    /// Required business reason.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    #[serde(default)]
    pub reason: String,
}

/// A JSON number as decimal text. Integers stay exact; a float is taken to
/// 12 decimal places (its binary value has no exact decimal anyway), and one
/// beyond ±10^18 is refused by the decimal parser as too long.
fn number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.is_finite() && f.abs() < 1e18 => {
            let s = format!("{f:.12}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        _ => n.to_string(),
    }
}

pub(super) fn target_text(v: &serde_json::Value) -> AppResult<String> {
    match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(number_text(n)),
        _ => Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_number",
            "新目标必须是数字",
            "new_target must be a number",
        ))),
    }
}

/// File a target adjustment request (目标微调申请) for one of the caller's goals:
/// at most 10 % change, a reason required; routed to the approver as a to-do.
#[utoipa::path(post, path = "/api/v1/goal-adjustments", tag = "goals", request_body = AdjustmentInput,
    responses((status = 201, body = Adjustment), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn create_adjustment(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(body): ApiJson<AdjustmentInput>,
) -> AppResult<(StatusCode, Json<Adjustment>)> {
    let target = target_text(&body.new_target)?;
    let a =
        service::request_adjustment(&state, &caller, body.goal_id, &target, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentList {
    pub items: Vec<Adjustment>,
    pub total: i64,
}

/// Requests the caller made or must decide, pending first.
#[utoipa::path(get, path = "/api/v1/goal-adjustments", tag = "goals", responses((status = 200, body = AdjustmentList)))]
pub async fn list_adjustments(
    State(state): State<AppState>,
    Me(caller): Me,
) -> AppResult<Json<AdjustmentList>> {
    let items: Vec<Adjustment> = adjustments::for_person(&state.db, caller.person_id, 200)
        .await?
        .into_iter()
        .map(Adjustment::from)
        .collect();
    let total = items.len() as i64;
    Ok(Json(AdjustmentList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Required when rejecting.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
}

/// A rejection: the same body as [`Decision`], with the reason required.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectDecision {
    /// Why, for the requester.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub comment: String,
}

/// Approve a request (approver only): the new target applies at once.
#[utoipa::path(post, path = "/api/v1/goal-adjustments/{id}/approve", tag = "goals", request_body = Decision,
    responses((status = 200, body = Adjustment), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<Json<Adjustment>> {
    Ok(Json(
        service::decide_adjustment(&state, &caller, id, true, &body.comment)
            .await?
            .into(),
    ))
}

/// Reject a request with a comment (approver only).
#[utoipa::path(post, path = "/api/v1/goal-adjustments/{id}/reject", tag = "goals", request_body = RejectDecision,
    responses((status = 200, body = Adjustment), (status = 422, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<Json<Adjustment>> {
    Ok(Json(
        service::decide_adjustment(&state, &caller, id, false, &body.comment)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTimes {
    pub items: Vec<ResponseTime>,
}

/// Average approval response time per region (hours).
#[utoipa::path(get, path = "/api/v1/goal-adjustments/response-times", tag = "goals", responses((status = 200, body = ResponseTimes)))]
pub async fn response_times(
    State(state): State<AppState>,
    _me: Me,
) -> AppResult<Json<ResponseTimes>> {
    Ok(Json(ResponseTimes {
        items: adjustments::response_times(&state.db)
            .await?
            .into_iter()
            .map(|r| ResponseTime {
                region_code: r.region_code,
                region_name: r.region_name,
                decided: r.decided,
                avg_hours: r.avg_hours,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    /// The value reached so far, decimal text or a number.
    #[schema(value_type = crate::api::vocab::Decimal)]
    pub actual: serde_json::Value,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// Record progress on one of the caller's goals (HR: anyone's); the period must be open.
#[utoipa::path(post, path = "/api/v1/goals/{id}/check-ins", tag = "goals", request_body = CheckInBody,
    responses((status = 200, body = crate::features::goals::service::GoalDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CheckInBody>,
) -> AppResult<Json<crate::features::goals::service::GoalDto>> {
    let actual = target_text(&body.actual)?;
    Ok(Json(
        service::check_in(&state, &caller, id, &actual, &body.note).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodList {
    pub items: Vec<crate::features::goals::service::PeriodDto>,
}

/// Periods, newest first.
#[utoipa::path(get, path = "/api/v1/periods", tag = "goals", responses((status = 200, body = PeriodList)))]
pub async fn periods(State(state): State<AppState>, _me: Me) -> AppResult<Json<PeriodList>> {
    Ok(Json(PeriodList {
        items: goals::periods(&state.db)
            .await?
            .iter()
            .map(crate::features::goals::service::PeriodDto::from)
            .collect(),
    }))
}

/// Close a period (HR): goals, weights and targets are frozen from then on.
#[utoipa::path(post, path = "/api/v1/periods/{code}/close", tag = "goals",
    responses((status = 200, body = crate::features::goals::service::PeriodDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn close_period(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(code): Path<String>,
) -> AppResult<Json<crate::features::goals::service::PeriodDto>> {
    Ok(Json(service::close_period(&state, &caller, &code).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDto {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// `higher` or `lower` is better.
    pub direction: String,
    /// `manual`, `events`, `import` or `crm`.
    pub source: String,
    pub formula: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricList {
    pub items: Vec<MetricDto>,
}

/// KPI definitions (G3).
#[utoipa::path(get, path = "/api/v1/metrics", tag = "goals", responses((status = 200, body = MetricList)))]
pub async fn metrics(State(state): State<AppState>, _me: Me) -> AppResult<Json<MetricList>> {
    Ok(Json(MetricList {
        items: goals::metrics(&state.db)
            .await?
            .into_iter()
            .map(|m| MetricDto {
                code: m.code,
                name: m.name,
                unit: m.unit,
                direction: m.direction,
                source: m.source,
                formula: m.formula,
                description: m.description,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[schema(value_type = crate::api::vocab::Direction)]
    pub direction: String,
    #[schema(value_type = crate::api::vocab::MetricSource)]
    pub source: String,
    #[serde(default)]
    pub formula: String,
    #[serde(default)]
    pub description: String,
}

/// Create or change a KPI definition (HR).
#[utoipa::path(put, path = "/api/v1/metrics/{code}", tag = "goals", request_body = MetricBody,
    params(("code" = String, Path, description = "Metric code, e.g. `FCR`", max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_metric(
    State(state): State<AppState>,
    _me: Me,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<MetricBody>,
) -> AppResult<StatusCode> {
    service::save_metric(
        &state,
        &goals::MetricInput {
            code,
            name: b.name,
            unit: b.unit,
            direction: b.direction,
            source: b.source,
            formula: b.formula,
            description: b.description,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateLineBody {
    #[schema(min_length = 1, max_length = 64)]
    pub metric_code: String,
    /// Basis points; the lines add up to 10000 (100 %).
    #[schema(minimum = 0, maximum = 10000)]
    pub weight_bp: i64,
    /// Decimal text; none for a metric without a fixed target.
    #[schema(pattern = r"^-?([0-9]{1,20}(\.[0-9]{0,12})?|\.[0-9]{1,12})$")]
    pub target: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    #[schema(min_items = 1)]
    pub lines: Vec<TemplateLineBody>,
}

/// Replace a job family's KPI template (HR); weights must sum to 10000.
#[utoipa::path(put, path = "/api/v1/goal-templates/{job_family}", tag = "goals", request_body = TemplateBody,
    params(("job_family" = String, Path, max_length = 32, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_template(
    State(state): State<AppState>,
    _me: Me,
    Path(job_family): Path<String>,
    ApiJson(b): ApiJson<TemplateBody>,
) -> AppResult<StatusCode> {
    let lines: Vec<(String, i64, Option<String>)> = b
        .lines
        .into_iter()
        .map(|l| (l.metric_code, l.weight_bp, l.target))
        .collect();
    service::save_template(&state, &job_family, &lines).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Applied {
    /// People who got the template's KPIs (people who had goals are left alone).
    pub people: usize,
}

/// Give every person of the job family without KPIs this period the template's set (HR).
#[utoipa::path(post, path = "/api/v1/goal-templates/{job_family}/apply", tag = "goals",
    responses((status = 200, body = Applied), (status = 404, body = crate::api::ErrorBody)))]
pub async fn apply_template(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(job_family): Path<String>,
) -> AppResult<Json<Applied>> {
    Ok(Json(Applied {
        people: service::apply_template(&state, &caller, &job_family).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproverBody {
    /// The approver's 工号, or null to fall back to the region director.
    pub approver: Option<String>,
}

/// Who approves target adjustments for a unit's people (HR, G6).
#[utoipa::path(put, path = "/api/v1/org-units/{code}/approver", tag = "goals", request_body = ApproverBody,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn set_approver(
    State(state): State<AppState>,
    _me: Me,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ApproverBody>,
) -> AppResult<StatusCode> {
    let unit = pulse_store::org::by_code(&state.db, code.trim())
        .await?
        .ok_or_else(|| AppError::not_found("部门", "org unit"))?;
    let person = match b
        .approver
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(no) => Some(
            pulse_store::people::by_employee_no(&state.db, no)
                .await?
                .filter(|p| p.status == "active")
                .ok_or_else(|| AppError::not_found("审批人", "approver"))?
                .id,
        ),
    };
    let mut tx = state.db.begin().await?;
    adjustments::set_unit_approver(&mut tx, unit.id, person).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archive a goal (HR); a person's weighted goal gives its weight back to
/// the person's other KPIs in proportion, so the sum stays 100 %.
#[utoipa::path(post, path = "/api/v1/goals/{id}/archive", tag = "goals",
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    goals::archive(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitGoalBody {
    #[schema(value_type = crate::api::vocab::UnitGoalKind)]
    pub kind: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub title: String,
    /// The owning org unit's code.
    #[schema(min_length = 1, max_length = 64)]
    pub unit: String,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Add a company goal, objective or key result to the running period's
/// tree. HR anywhere; a manager or director objectives and key results for
/// their own unit and the units below it.
#[utoipa::path(post, path = "/api/v1/goals", tag = "goals", request_body = UnitGoalBody,
    responses((status = 201, body = Created), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_unit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<UnitGoalBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id =
        service::create_unit_goal(&state, &caller, &b.kind, &b.title, &b.unit, b.parent_id).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditGoalBody {
    pub title: Option<String>,
    /// A decimal; an empty string clears the target.
    pub target: Option<String>,
}

/// Rename a unit goal or set a key result's target (same scope as creating
/// one). Personal KPI targets change through adjustment requests.
#[utoipa::path(patch, path = "/api/v1/goals/{id}", tag = "goals", request_body = EditGoalBody,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn edit_unit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<EditGoalBody>,
) -> AppResult<StatusCode> {
    service::edit_unit_goal(&state, &caller, id, b.title.as_deref(), b.target.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
