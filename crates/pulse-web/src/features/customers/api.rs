use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_store::customers::{self, Customer, CustomerInput, Mapping};
use pulse_store::people::UpsertCounts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerParams {
    /// Region code, e.g. `HD`.
    pub region: Option<String>,
    #[param(inline)]
    pub tier: Option<TierFilter>,
    /// Name, pinyin or customer id.
    pub q: Option<String>,
    /// At most this many (default 200).
    #[param(minimum = 1, maximum = 2000)]
    pub limit: Option<i64>,
}

/// Customer tier: A-class hospitals first.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum TierFilter {
    A,
    B,
    C,
}

impl TierFilter {
    fn code(self) -> &'static str {
        match self {
            TierFilter::A => "A",
            TierFilter::B => "B",
            TierFilter::C => "C",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<Customer>,
    pub total: i64,
}

/// CRM customers, A-class first, filtered by region, tier and a search.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerParams), responses((status = 200, body = CustomerList)))]
pub async fn list(
    State(state): State<AppState>,
    _me: Me,
    ApiQuery(p): ApiQuery<CustomerParams>,
) -> AppResult<Json<CustomerList>> {
    let tier = p
        .tier
        .map(|t| customers::parse_tier(t.code()))
        .transpose()
        .map_err(AppError::invalid)?;
    let (items, total) = customers::list(
        &state.db,
        p.region.as_deref().filter(|r| !r.is_empty()),
        tier,
        p.q.as_deref(),
        crate::api::limit(p.limit, 200, 2000)?,
    )
    .await?;
    Ok(Json(CustomerList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPush {
    pub items: Vec<CustomerInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemError {
    /// Position in `items`, from 0.
    pub index: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Push customers from a CRM (upsert by `external_id`); all or nothing: any
/// invalid item refuses the whole batch with every problem listed.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CustomerPush,
    responses((status = 200, body = UpsertCounts), (status = 422, body = crate::api::ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    _me: Me,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<CustomerPush>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    if body.items.len() > 10_000 {
        return Err(AppError::bad_request(
            "一次最多推送 10000 个客户",
            "at most 10,000 customers per request",
        ));
    }
    let lang = crate::i18n::request_lang(&headers);
    let mut tx = state.db.begin().await?;
    let refs = customers::refs(&mut tx).await?;
    tx.rollback().await?;
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in body.items.iter().enumerate() {
        match customers::check(&refs, item) {
            Ok(c) => checked.push(c),
            Err(ps) => errors.extend(ps.into_iter().map(|(field, p)| ItemError {
                index,
                field: field.into(),
                code: p.code.to_string(),
                message: lang.pick(&p.zh, &p.en).to_string(),
            })),
        }
    }
    if !errors.is_empty() {
        let body = serde_json::json!({
            "error": {"code": "customers_rejected", "message": lang.pick(&format!("{} 处数据有误，未导入任何客户", errors.len()), &format!("{} problems; nothing was imported", errors.len()))},
            "items": errors,
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let counts = customers::apply(&state.db, &checked, "api", false).await?;
    Ok(Json(counts).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    pub name: String,
    pub url: String,
    pub mapping: Mapping,
    pub enabled: bool,
    pub has_token: bool,
    pub last_pulled_at: Option<i64>,
    pub last_result: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceList {
    pub items: Vec<SourceDto>,
}

pub async fn source_dtos(state: &AppState) -> AppResult<Vec<SourceDto>> {
    Ok(customers::sources(&state.db)
        .await?
        .into_iter()
        .filter_map(|s| {
            Some(SourceDto {
                mapping: serde_json::from_str(&s.mapping_json).ok()?,
                has_token: !s.token.is_empty(),
                name: s.name,
                url: s.url,
                enabled: s.enabled != 0,
                last_pulled_at: s.last_pulled_at,
                last_result: s.last_result,
            })
        })
        .collect())
}

/// CRM sources (HR); tokens are never returned.
#[utoipa::path(get, path = "/api/v1/crm-sources", tag = "customers", responses((status = 200, body = SourceList)))]
pub async fn sources(State(state): State<AppState>, _me: Me) -> AppResult<Json<SourceList>> {
    Ok(Json(SourceList {
        items: source_dtos(&state).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// The CRM's list endpoint.
    #[schema(max_length = 500, pattern = r"^https?://[^\s/?#]+[^\s]*$")]
    pub url: String,
    /// Bearer token; empty keeps the stored one.
    #[serde(default)]
    pub token: String,
    pub mapping: Mapping,
    #[serde(default)]
    pub enabled: bool,
}

/// Create or change a CRM source (HR): URL, token and JSON-pointer mapping.
#[utoipa::path(put, path = "/api/v1/crm-sources/{name}", tag = "customers", request_body = SourceInput,
    params(("name" = String, Path, max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_source(
    State(state): State<AppState>,
    _me: Me,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<SourceInput>,
) -> AppResult<StatusCode> {
    customers::save_source(
        &state.db,
        &name,
        &body.url,
        &body.token,
        &body.mapping,
        body.enabled,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pull a CRM source now (HR); a failed pull changes nothing and says why.
#[utoipa::path(post, path = "/api/v1/crm-sources/{name}/pull", tag = "customers",
    responses((status = 200, body = UpsertCounts), (status = 502, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    _me: Me,
    Path(name): Path<String>,
) -> AppResult<Json<UpsertCounts>> {
    let source = customers::sources(&state.db)
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| AppError::not_found("CRM 数据源", "CRM source"))?;
    match pulse_jobs::crm::pull(&state.db, &pulse_jobs::channels::http_client(), &source).await? {
        Ok(counts) => Ok(Json(counts)),
        Err(reason) => Err(AppError::new(
            StatusCode::BAD_GATEWAY,
            "crm_pull_failed",
            reason.clone(),
            format!("the pull failed: {reason}"),
        )),
    }
}
