//! The weekly digest (D1, D2), the text dictionary, competency models (R1)
//! and the capability radar (R2).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pulse_jobs::digests::Settings;
use pulse_store::{competency, digests};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};
use crate::features::insights::service::{self, Radar};

/// The caller's latest weekly digest: `{"id", "week", "week_start",
/// "week_end", "people", "cards", "previous_cards", "tags": [{"tag",
/// "count", "avg_rating", ...}], "terms": [{"term", "count", "previous",
/// "change_pct", "flagged", "new", "card_ids"}], "flags": [{"term", "text",
/// ...}], "rule": {"min_count", "rise_pct"}}`. Built on first request when
/// none is stored; 404 `no_digest` for someone without reports.
#[utoipa::path(get, path = "/api/v1/digests/latest", tag = "digests",
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub async fn latest(State(state): State<AppState>, Me(caller): Me) -> AppResult<Json<Value>> {
    let d = service::latest(&state, &caller).await?;
    Ok(Json(service::digest_json(
        &d,
        Some((&caller.employee_no, &caller.name)),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// Any day of the week wanted (default: last complete week).
    #[serde(default)]
    #[schema(format = Date)]
    pub week_start: Option<String>,
}

/// Build the caller's digest now (on demand), stored but not sent.
#[utoipa::path(post, path = "/api/v1/digests", tag = "digests", request_body = GenerateBody,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<GenerateBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let week = match b.week_start.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<chrono::NaiveDate>().map_err(|_| {
            AppError::invalid(pulse_domain::Problem::new(
                "invalid_date",
                "日期格式应为 YYYY-MM-DD",
                "dates are YYYY-MM-DD",
            ))
        })?),
    };
    let d = service::generate(&state, &caller, week).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::digest_json(
            &d,
            Some((&caller.employee_no, &caller.name)),
        )),
    ))
}

/// One digest: the caller's own, or any for HR.
#[utoipa::path(get, path = "/api/v1/digests/{id}", tag = "digests",
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let d = service::visible(&state, &caller, id).await?;
    Ok(Json(service::digest_json(&d, None)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DigestList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub total: usize,
}

/// The caller's digests, newest first: `{"items": [{"id", "week_start", "cards", "flagged"}]}`.
#[utoipa::path(get, path = "/api/v1/digests", tag = "digests", responses((status = 200, body = DigestList)))]
pub async fn list(State(state): State<AppState>, Me(caller): Me) -> AppResult<Json<DigestList>> {
    let items: Vec<Value> = digests::list(&state.db, caller.person_id, 26)
        .await?
        .into_iter()
        .map(|(id, week, cards, flagged)| {
            serde_json::json!({"id": id, "week_start": week, "cards": cards, "flagged": flagged})
        })
        .collect();
    Ok(Json(DigestList {
        total: items.len(),
        items,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestSettingsBody {
    /// A term is flagged only from this many mentions a week.
    #[schema(minimum = 1, maximum = 1000)]
    pub min_count: u32,
    /// …and when it rose at least this much against the week before.
    #[schema(minimum = 1, maximum = 1000)]
    pub rise_pct: u32,
    /// 1 = Monday … 7 = Sunday.
    #[schema(minimum = 1, maximum = 7)]
    pub weekday: u32,
    /// 0–23, China time.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: u32,
}

/// Digest rule and schedule (HR).
#[utoipa::path(get, path = "/api/v1/digest-settings", tag = "digests", responses((status = 200, body = DigestSettingsBody)))]
pub async fn settings(
    State(state): State<AppState>,
    _me: Me,
) -> AppResult<Json<DigestSettingsBody>> {
    let s = pulse_jobs::digests::settings(&state.db).await?;
    Ok(Json(DigestSettingsBody {
        min_count: s.rule.min_count,
        rise_pct: s.rule.rise_pct,
        weekday: s.weekday,
        hour: s.hour,
    }))
}

#[utoipa::path(put, path = "/api/v1/digest-settings", tag = "digests", request_body = DigestSettingsBody,
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    _me: Me,
    ApiJson(b): ApiJson<DigestSettingsBody>,
) -> AppResult<StatusCode> {
    pulse_jobs::digests::save_settings(
        &state.db,
        &Settings {
            rule: pulse_text::TrendRule {
                min_count: b.min_count,
                rise_pct: b.rise_pct,
            },
            weekday: b.weekday,
            hour: b.hour,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dictionary {
    /// Shipped domain terms and the HRBP's own.
    pub domain: Vec<String>,
    pub stop: Vec<String>,
    pub custom_domain: Vec<String>,
    pub custom_stop: Vec<String>,
}

/// The segmentation dictionary: domain terms kept whole, stop words left out.
#[utoipa::path(get, path = "/api/v1/text-terms", tag = "digests", responses((status = 200, body = Dictionary)))]
pub async fn terms(State(state): State<AppState>, _me: Me) -> AppResult<Json<Dictionary>> {
    let (custom_domain, custom_stop) = digests::dictionary(&state.db).await?;
    Ok(Json(Dictionary {
        domain: pulse_text::DEFAULT_DOMAIN_TERMS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        stop: pulse_text::DEFAULT_STOP_WORDS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        custom_domain,
        custom_stop,
    }))
}

/// Add a term (`kind`: `domain` or `stop`) (HR).
#[utoipa::path(put, path = "/api/v1/text-terms/{kind}/{term}", tag = "digests",
    params(("kind" = inline(crate::api::vocab::TermKind), Path), ("term" = String, Path, description = "1–12 characters, no spaces", pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,12}$")),
    responses((status = 204), (status = 422, body = crate::api::ErrorBody)))]
pub async fn add_term(
    State(state): State<AppState>,
    _me: Me,
    Path((kind, term)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    digests::save_term(&mut tx, &term, &kind).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/text-terms/{kind}/{term}", tag = "digests",
    params(("kind" = inline(crate::api::vocab::TermKind), Path), ("term" = String, Path, description = "1–12 characters, no spaces", pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,12}$")),
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn remove_term(
    State(state): State<AppState>,
    _me: Me,
    Path((kind, term)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    let removed = digests::remove_term(&mut tx, &term, &kind).await?;
    tx.commit().await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("词条", "term"))
    }
}

/// A person's capability radar against the peer median (same job family
/// and level) over the last 90 days: `{"dimensions": [{"name", "value",
/// "peer_median", "raw", "unit", "metric", ...}], ...}`. Each view is logged.
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/radar", tag = "competency",
    responses((status = 200, body = Radar), (status = 404, body = crate::api::ErrorBody)))]
pub async fn radar(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
) -> AppResult<Json<Radar>> {
    Ok(Json(
        service::radar(&state, &caller, &employee_no, true).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Models {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<competency::Dimension>,
    /// Metric codes to map a dimension to (`feedback_tag:<tag>` for any tag).
    #[schema(value_type = Vec<Object>)]
    pub metrics: Vec<Value>,
}

/// Competency models: every dimension of every job family.
#[utoipa::path(get, path = "/api/v1/competency-models", tag = "competency", responses((status = 200, body = Models)))]
pub async fn models(State(state): State<AppState>, _me: Me) -> AppResult<Json<Models>> {
    Ok(Json(Models {
        items: competency::dimensions(&state.db, None).await?,
        metrics: pulse_domain::competency::Metric::fixed_codes()
            .map(|(code, label, label_en)| {
                serde_json::json!({"code": code, "label": label, "label_en": label_en})
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionBody {
    /// e.g. `feedback_tag:沟通质量`, `response_minutes`.
    pub metric: String,
    /// Within the peer group, or as a share of `target`.
    #[schema(value_type = crate::api::vocab::Normalisation)]
    pub normalisation: String,
    #[serde(default)]
    pub target: Option<f64>,
}

/// Add or change a dimension of a job family's model (HR).
#[utoipa::path(put, path = "/api/v1/competency-models/{job_family}/dimensions/{name}", tag = "competency",
    params(("job_family" = String, Path, max_length = 40, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"), ("name" = String, Path, max_length = 16, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")),
    request_body = DimensionBody, responses((status = 200, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_dimension(
    State(state): State<AppState>,
    _me: Me,
    Path((job_family, name)): Path<(String, String)>,
    ApiJson(b): ApiJson<DimensionBody>,
) -> AppResult<Json<Value>> {
    let id = service::save_dimension(
        &state,
        &job_family,
        &name,
        &b.metric,
        &b.normalisation,
        b.target,
    )
    .await?;
    Ok(Json(serde_json::json!({"id": id})))
}

#[utoipa::path(delete, path = "/api/v1/competency-dimensions/{id}", tag = "competency",
    responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn delete_dimension(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    let gone = competency::delete_dimension(&mut tx, id).await?;
    tx.commit().await?;
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("能力维度", "dimension"))
    }
}
