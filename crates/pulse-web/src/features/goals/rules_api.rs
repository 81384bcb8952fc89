//! The weight-rules API: list, create, update, check, preview, and the region inputs they read (G5).

use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self, PreviewRegion, RuleDto};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_store::goals;
use pulse_store::weight_rules::{self, RuleInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleDto>,
    pub total: i64,
}

/// Weight rules with their current firing state per region.
#[utoipa::path(get, path = "/api/v1/weight-rules", tag = "goals", responses((status = 200, body = RuleList)))]
pub async fn list_rules(State(state): State<AppState>, _me: Me) -> AppResult<Json<RuleList>> {
    let items = service::rules(&state).await?;
    let total = items.len() as i64;
    Ok(Json(RuleList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// CEL over the documented region variables, e.g. `a_class_new_sign_rate > 0.15`.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub condition: String,
    /// The KPI (metric code) whose weight the rule sets.
    #[schema(min_length = 1, max_length = 64)]
    pub metric_code: String,
    /// The weight it gets while the condition holds, basis points (10000 = 100 %).
    #[schema(minimum = 0, maximum = 10000)]
    pub weight_bp: i64,
    /// Limit to the regions under this unit code; absent = all regions.
    pub scope: Option<String>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub description: String,
}

pub(super) fn yes() -> bool {
    true
}

impl From<RuleBody> for RuleInput {
    fn from(b: RuleBody) -> Self {
        RuleInput {
            name: b.name,
            condition: b.condition,
            metric_code: b.metric_code,
            weight_bp: b.weight_bp,
            scope_unit_code: b.scope,
            priority: b.priority,
            enabled: b.enabled,
            description: b.description,
        }
    }
}

pub(super) async fn save(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: Option<i64>,
    body: RuleBody,
) -> AppResult<RuleDto> {
    let id = service::save_rule(state, caller, id, &body.into()).await?;
    service::rules(state)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::not_found("规则", "rule"))
}

/// Create a weight rule (HRBP); it is checked, saved and evaluated at once.
#[utoipa::path(post, path = "/api/v1/weight-rules", tag = "goals", request_body = RuleBody,
    responses((status = 201, body = RuleDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(body): ApiJson<RuleBody>,
) -> AppResult<(StatusCode, Json<RuleDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(save(&state, &caller, None, body).await?),
    ))
}

/// Change a weight rule (HRBP).
#[utoipa::path(put, path = "/api/v1/weight-rules/{id}", tag = "goals", request_body = RuleBody,
    responses((status = 200, body = RuleDto), (status = 422, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RuleBody>,
) -> AppResult<Json<RuleDto>> {
    Ok(Json(save(&state, &caller, Some(id), body).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// As typed; an empty, over-long or ill-typed condition is answered with `ok: false`.
    pub condition: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub ok: bool,
    /// Why not, in the caller's language; null when ok.
    pub error: Option<crate::api::ErrorDetail>,
}

/// Check a condition as it is typed: syntax, variable names, boolean result.
#[utoipa::path(post, path = "/api/v1/weight-rules/check", tag = "goals", request_body = CheckBody,
    responses((status = 200, body = CheckResult)))]
pub async fn check(
    _me: Me,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<CheckBody>,
) -> Json<CheckResult> {
    let lang = crate::i18n::request_lang(&headers);
    Json(match service::check_condition(&body.condition) {
        Ok(()) => CheckResult {
            ok: true,
            error: None,
        },
        Err(p) => CheckResult {
            ok: false,
            error: Some(crate::api::ErrorDetail {
                code: p.code.to_string(),
                message: lang.pick(&p.zh, &p.en).to_string(),
            }),
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResult {
    pub regions: Vec<PreviewRegion>,
    /// People whose weights would change in all regions.
    pub people: i64,
}

/// Who would change and how if this rule were saved now (nothing is written).
#[utoipa::path(post, path = "/api/v1/weight-rules/preview", tag = "goals", request_body = RuleBody,
    responses((status = 200, body = PreviewResult), (status = 422, body = crate::api::ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _me: Me,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<RuleBody>,
) -> AppResult<Json<PreviewResult>> {
    let lang = crate::i18n::api_lang(&headers);
    let regions = service::preview(&state, &body.into(), lang).await?;
    Ok(Json(PreviewResult {
        people: regions.iter().map(|r| r.people).sum(),
        regions,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionMetricsBody {
    /// Variable → value, e.g. `{"a_class_new_sign_rate": 0.182}`.
    pub values: std::collections::BTreeMap<String, f64>,
    pub period: Option<String>,
}

/// Push a region's metrics (CRM, HRBP); the rules are re-evaluated for it at once.
/// 409 when the period is closed: its goals and weights no longer change.
#[utoipa::path(put, path = "/api/v1/region-metrics/{code}", tag = "goals", request_body = RegionMetricsBody,
    responses((status = 200, body = RuleList), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn put_region_metrics(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<RegionMetricsBody>,
) -> AppResult<Json<RuleList>> {
    let unit = pulse_store::org::by_code(&state.db, code.trim())
        .await?
        .filter(|u| u.kind == "region")
        .ok_or_else(|| AppError::not_found("大区", "region"))?;
    let period = service::period(&state, body.period.as_deref())
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let values: Vec<(String, f64)> = body.values.into_iter().collect();
    let mut tx = state.db.begin().await?;
    goals::ensure_open(&mut tx, period.id).await?;
    weight_rules::set_region_metrics(&mut tx, unit.id, period.id, &values).await?;
    tx.commit().await?;
    weight_rules::evaluate(&state.db, period.id, Some(unit.id), &state.actor(&caller)).await?;
    let items = service::rules(&state).await?;
    let total = items.len() as i64;
    Ok(Json(RuleList { items, total }))
}
