//! The development path (T1) and what it reads from: role profiles and the
//! catalogue of pools, courses and eligibilities HR keeps.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_domain::linkage::path::{Contribution, RoleMatch};
use pulse_store::linkage::paths::{self, PersonPath};
use pulse_store::linkage::rules::{self, ItemKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributionDto {
    pub dimension: String,
    /// The role's requirement, 0–100.
    pub required: f64,
    /// The person's mean radar score over the periods read (None = no data).
    pub score: Option<f64>,
    /// The dimension's share of the role, in %.
    pub weight: f64,
    /// Points of the similarity it gives: weight × min(score ÷ required, 1).
    pub points: f64,
    /// How far below the requirement (0 when met).
    pub gap: f64,
}

fn contribution(c: &Contribution) -> ContributionDto {
    ContributionDto {
        dimension: c.dimension.clone(),
        required: c.required,
        score: c.score,
        weight: c.weight,
        points: c.points,
        gap: c.gap,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleMatchDto {
    pub name: String,
    pub description: String,
    /// 0–100, the sum of the contributions' points.
    pub similarity: f64,
    pub contributions: Vec<ContributionDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeakDto {
    pub dimension: String,
    /// Quarters under the peer group's lower quartile, of the quarters with data.
    pub below: usize,
    pub periods: usize,
    pub mean_percentile: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrengthDto {
    pub dimension: String,
    pub mean_percentile: f64,
    pub mean_score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDto {
    pub name: String,
    pub dimension: String,
    pub hours: Option<i64>,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionDto {
    pub name: String,
    /// The radar score per quarter read, oldest first (null = no data).
    pub scores: Vec<Option<f64>>,
    pub percentiles: Vec<Option<f64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DevelopmentPath {
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    /// The quarters read, oldest first.
    pub periods: Vec<String>,
    /// The consistently weak dimension's name (null when none is).
    pub weak_dimension: Option<String>,
    pub weak_detail: Option<WeakDto>,
    /// The standout strength's name (null when none stands out).
    pub strength: Option<String>,
    pub strength_detail: Option<StrengthDto>,
    /// The best-fitting next role with each dimension's part of the similarity.
    pub next_role: Option<RoleMatchDto>,
    /// The other role profiles, best fit first.
    pub other_roles: Vec<RoleMatchDto>,
    /// Courses for the weak dimension.
    pub learning: Vec<CourseDto>,
    pub dimensions: Vec<DimensionDto>,
    /// It advises; it decides nothing.
    pub note: String,
}

fn role_dto(m: &RoleMatch, profiles: &[paths::Profile]) -> RoleMatchDto {
    RoleMatchDto {
        name: m.name.clone(),
        description: profiles
            .iter()
            .find(|p| p.name == m.name)
            .map(|p| p.description.clone())
            .unwrap_or_default(),
        similarity: m.similarity,
        contributions: m.contributions.iter().map(contribution).collect(),
    }
}

pub async fn path_dto(
    state: &AppState,
    person: &pulse_store::people::Person,
    lang: pulse_domain::Lang,
) -> AppResult<DevelopmentPath> {
    let p: PersonPath = paths::path_for(&state.db, person.id, &person.job_family).await?;
    let mut roles = p.path.roles.iter().map(|m| role_dto(m, &p.profiles));
    let next_role = roles.next();
    Ok(DevelopmentPath {
        employee_no: person.employee_no.clone(),
        name: person.name.clone(),
        job_family: person.job_family.clone(),
        periods: p.periods.clone(),
        weak_dimension: p.path.weak.as_ref().map(|w| w.dimension.clone()),
        weak_detail: p.path.weak.as_ref().map(|w| WeakDto {
            dimension: w.dimension.clone(),
            below: w.below,
            periods: w.periods,
            mean_percentile: w.mean_percentile,
        }),
        strength: p.path.strength.as_ref().map(|s| s.dimension.clone()),
        strength_detail: p.path.strength.as_ref().map(|s| StrengthDto {
            dimension: s.dimension.clone(),
            mean_percentile: s.mean_percentile,
            mean_score: s.mean_score,
        }),
        next_role,
        other_roles: roles.collect(),
        learning: p
            .learning
            .iter()
            .map(|c| CourseDto {
                name: c.name.clone(),
                dimension: c.dimension.clone(),
                hours: c.hours,
                description: c.description.clone(),
            })
            .collect(),
        dimensions: p
            .dimensions
            .iter()
            .map(|d| DimensionDto {
                name: d.name.clone(),
                scores: d
                    .scores
                    .iter()
                    .map(|s| s.map(|v| (v * 10.0).round() / 10.0))
                    .collect(),
                percentiles: d.percentiles.clone(),
            })
            .collect(),
        note: match lang {
            pulse_domain::Lang::Zh => "发展建议仅供参考，不影响考核结果与任何决定。",
            pulse_domain::Lang::En => "Advice only: it changes no result and decides nothing.",
        }
        .into(),
    })
}

/// A person's development path (T1): weak dimension, strength, the best
/// next role with each dimension's contribution, a learning package. The
/// view is logged (H3).
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/development-path", tag = "linkage",
    responses((status = 200, body = DevelopmentPath), (status = 404, body = crate::api::ErrorBody)))]
pub async fn development_path(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(employee_no): Path<String>,
) -> AppResult<Json<DevelopmentPath>> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    let dto = path_dto(&state, &person, request_lang(&headers)).await?;
    paths::log(&state.db, person.id, caller.person_id, "view", "").await?;
    Ok(Json(dto))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClickBody {
    /// What was opened: a course's or a role's name.
    #[schema(min_length = 1, max_length = 80)]
    pub target: String,
}

/// Logs a click on one of the path's suggestions (H3).
#[utoipa::path(post, path = "/api/v1/people/{employee_no}/development-path/clicks", tag = "linkage", request_body = ClickBody,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn click(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(employee_no): Path<String>,
    ApiJson(b): ApiJson<ClickBody>,
) -> AppResult<StatusCode> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    let target = b.target.trim();
    if target.is_empty() || target.chars().count() > 80 {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "invalid_target",
            "请给出点击的建议（1 到 80 个字）",
            "give the suggestion clicked (1 to 80 characters)",
        )));
    }
    paths::log(&state.db, person.id, caller.person_id, "click", target).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileDto {
    pub id: i64,
    pub name: String,
    pub job_family: String,
    pub description: String,
    pub requirements: Vec<RequirementDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementDto {
    #[schema(min_length = 1, max_length = 20)]
    pub dimension: String,
    #[schema(minimum = 1, maximum = 100)]
    pub required: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<ProfileDto>,
}

pub fn profile_dto(p: &paths::Profile) -> ProfileDto {
    ProfileDto {
        id: p.id,
        name: p.name.clone(),
        job_family: p.job_family.clone(),
        description: p.description.clone(),
        requirements: p
            .requirements
            .iter()
            .map(|(d, r)| RequirementDto {
                dimension: d.clone(),
                required: *r,
            })
            .collect(),
    }
}

/// Role profiles: each role's required competency vector (T1).
#[utoipa::path(get, path = "/api/v1/role-profiles", tag = "linkage", responses((status = 200, body = ProfileList)))]
pub async fn profiles(State(state): State<AppState>, _me: Me) -> AppResult<Json<ProfileList>> {
    let items = paths::profiles(&state.db, None)
        .await?
        .iter()
        .map(profile_dto)
        .collect();
    Ok(Json(ProfileList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$"
    )]
    pub name: String,
    /// The job family it is a next step for; '' = any.
    #[schema(max_length = 40)]
    #[serde(default)]
    pub job_family: String,
    #[schema(max_length = 200)]
    #[serde(default)]
    pub description: String,
    #[schema(min_items = 1, max_items = 12)]
    pub requirements: Vec<RequirementDto>,
}

/// Adds a role profile or replaces one of the same name (HR).
#[utoipa::path(put, path = "/api/v1/role-profiles", tag = "linkage", request_body = ProfileBody,
    responses((status = 200, body = ProfileDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_profile(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<ProfileBody>,
) -> AppResult<Json<ProfileDto>> {
    let p = paths::save_profile(
        &state.db,
        &state.actor(&caller),
        &paths::ProfileInput {
            name: b.name,
            job_family: b.job_family,
            description: b.description,
            requirements: b
                .requirements
                .into_iter()
                .map(|r| (r.dimension, r.required))
                .collect(),
        },
    )
    .await?;
    Ok(Json(profile_dto(&p)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    pub id: i64,
    /// `pool`, `course` or `eligibility`.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub dimension: String,
    pub hours: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemList {
    pub items: Vec<ItemDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    #[param(inline, value_type = Option<crate::api::vocab::LinkageItemKind>)]
    pub kind: Option<String>,
}

fn kind(s: &str) -> AppResult<ItemKind> {
    ItemKind::parse(s.trim()).ok_or_else(|| {
        AppError::invalid(pulse_domain::Problem::new(
            "invalid_kind",
            "类型应为 pool（人才池）、course（课程）或 eligibility（资格）",
            "kind is pool, course or eligibility",
        ))
    })
}

/// Talent pools, courses and eligibilities that rules may name.
#[utoipa::path(get, path = "/api/v1/linkage-items", tag = "linkage", params(ItemParams),
    responses((status = 200, body = ItemList), (status = 422, body = crate::api::ErrorBody)))]
pub async fn items(
    State(state): State<AppState>,
    _me: Me,
    ApiQuery(q): ApiQuery<ItemParams>,
) -> AppResult<Json<ItemList>> {
    let k = match q.kind.as_deref() {
        Some(k) => Some(kind(k)?),
        None => None,
    };
    let items = rules::items(&state.db, k)
        .await?
        .into_iter()
        .map(|i| ItemDto {
            id: i.id,
            kind: i.kind,
            name: i.name,
            description: i.description,
            dimension: i.dimension,
            hours: i.hours,
        })
        .collect();
    Ok(Json(ItemList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    #[schema(value_type = crate::api::vocab::LinkageItemKind)]
    pub kind: String,
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$"
    )]
    pub name: String,
    #[schema(max_length = 200)]
    #[serde(default)]
    pub description: String,
    /// For a course: the competency dimension it trains.
    #[schema(max_length = 20)]
    #[serde(default)]
    pub dimension: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub hours: Option<i64>,
}

/// Adds a pool, course or eligibility, or changes one of the same kind and name (HR).
#[utoipa::path(post, path = "/api/v1/linkage-items", tag = "linkage", request_body = ItemBody,
    responses((status = 201, body = ItemDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_item(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<(StatusCode, Json<ItemDto>)> {
    let k = kind(&b.kind)?;
    let input = rules::ItemInput {
        kind: k,
        name: b.name.clone(),
        description: b.description.clone(),
        dimension: b.dimension.clone(),
        hours: b.hours,
    };
    let mut tx = state.db.begin().await?;
    let id = rules::save_item(&mut tx, &state.actor(&caller), &input).await?;
    tx.commit().await?;
    let item = rules::items(&state.db, Some(k))
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| AppError::not_found("目录项", "catalogue item"))?;
    Ok((
        StatusCode::CREATED,
        Json(ItemDto {
            id: item.id,
            kind: item.kind,
            name: item.name,
            description: item.description,
            dimension: item.dimension,
            hours: item.hours,
        }),
    ))
}
