//! The org-health API: the dashboard (H4), its settings, and the anonymous
//! survey (H2): launch, answer, close, results per unit under the anonymity rule.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_domain::Lang;
use pulse_domain::health::{self as rules, OPTIONS, QUESTION};
use pulse_store::health::surveys::{self, Cell, NewSurvey, Standing, Survey};
use pulse_store::health::{self, Settings};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{self, DashboardDto};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitParams {
    /// An org unit's code; leave out for the whole company (or your own part of it).
    #[param(min_length = 1, max_length = 40)]
    pub unit: Option<String>,
}

impl UnitParams {
    /// The API takes a unit's code or no parameter (a page's "all" sends "").
    pub fn check(&self) -> AppResult<()> {
        match self.unit.as_deref() {
            Some(u) if u.is_empty() || u.chars().count() > 40 => Err(AppError::bad_request(
                "组织代码不能为空，最多 40 个字符；看全公司时请省略该参数",
                "a unit code is 1–40 characters; leave the parameter out for the whole company",
            )),
            _ => Ok(()),
        }
    }
}

/// The three health metrics — baseline, now, target, trend — and the
/// operational figures, each with the raw counts behind it (H4).
#[utoipa::path(get, path = "/api/v1/org-health", tag = "org-health", params(UnitParams),
    responses((status = 200, body = DashboardDto), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UnitParams>,
) -> AppResult<Json<DashboardDto>> {
    q.check()?;
    let tree = state.org_tree().await?;
    let unit = service::unit_for(&state, &caller, &tree, q.unit.as_deref()).await?;
    let d = service::dashboard(&state, &tree, unit).await?;
    Ok(Json(dto::dashboard_dto(
        &d,
        &tree,
        state.db.today(),
        request_lang(&headers),
    )))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HealthSettings)]
pub struct SettingsDto {
    /// The target is the baseline plus this many percentage points.
    #[schema(minimum = 1, maximum = 100)]
    pub target_points: i64,
    /// Development engagement's target: actions per person per week.
    #[schema(exclusive_minimum = 0, maximum = 50)]
    pub engagement_target: f64,
    /// A new survey's minimum group size (never below 3).
    #[schema(minimum = 3, maximum = 50)]
    pub min_group: i64,
}

#[utoipa::path(get, path = "/api/v1/org-health/settings", tag = "org-health",
    responses((status = 200, body = SettingsDto)))]
pub async fn settings(State(state): State<AppState>) -> AppResult<Json<SettingsDto>> {
    let s = health::settings(&state.db).await?;
    Ok(Json(SettingsDto {
        target_points: s.target_points,
        engagement_target: s.engagement_target,
        min_group: s.min_group,
    }))
}

#[utoipa::path(put, path = "/api/v1/org-health/settings", tag = "org-health", request_body = SettingsDto,
    responses((status = 200, body = SettingsDto), (status = 422, body = crate::api::ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(b): ApiJson<SettingsDto>,
) -> AppResult<Json<SettingsDto>> {
    let s = Settings {
        target_points: b.target_points,
        engagement_target: b.engagement_target,
        min_group: b.min_group,
    };
    health::save_settings(&state.db, &state.actor(&caller), &s).await?;
    Ok(Json(b))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SurveyOption)]
pub struct OptionDto {
    /// What to send as `answer`: 1–5.
    pub value: i64,
    pub code: String,
    pub label: String,
    /// Counted as "clear" (非常清楚 / 比较清楚).
    pub clear: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Survey)]
pub struct SurveyDto {
    pub id: i64,
    pub title: String,
    pub question: String,
    pub options: Vec<OptionDto>,
    /// `open` or `closed`.
    pub state: String,
    pub unit: dto::UnitRef,
    pub min_group: i64,
    pub population: i64,
    pub answered: i64,
    pub opened_at: String,
    /// The caller: `invited`, `answered` or `outside` the population.
    pub me: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SurveyList)]
pub struct SurveyList {
    pub items: Vec<SurveyDto>,
}

pub fn options(lang: Lang) -> Vec<OptionDto> {
    OPTIONS
        .iter()
        .enumerate()
        .map(|(i, (code, zh, en))| OptionDto {
            value: i as i64 + 1,
            code: (*code).into(),
            label: if lang == Lang::Zh { *zh } else { *en }.into(),
            clear: i < rules::CLEAR_OPTIONS,
        })
        .collect()
}

pub fn survey_dto(s: &Survey, me: Standing, lang: Lang) -> SurveyDto {
    SurveyDto {
        id: s.id,
        title: s.title.clone(),
        question: if lang == Lang::Zh {
            QUESTION.0
        } else {
            QUESTION.1
        }
        .into(),
        options: options(lang),
        state: s.state.clone(),
        unit: dto::UnitRef {
            code: s.unit_code.clone(),
            name: s.unit_name.clone(),
        },
        min_group: s.min_group,
        population: s.population,
        answered: s.answered,
        opened_at: crate::pages::fmt_ms(s.opened_at),
        me: match me {
            Standing::Outside => "outside",
            Standing::Invited => "invited",
            Standing::Answered => "answered",
        }
        .into(),
    }
}

pub async fn survey_of(state: &AppState, id: i64) -> AppResult<Survey> {
    surveys::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("调查", "survey"))
}

#[utoipa::path(get, path = "/api/v1/surveys", tag = "org-health",
    responses((status = 200, body = SurveyList)))]
pub async fn surveys(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Json<SurveyList>> {
    let lang = request_lang(&headers);
    let mut items = Vec::new();
    for s in surveys::list(&state.db).await? {
        let me = surveys::standing(&state.db, s.id, caller.person_id).await?;
        items.push(survey_dto(&s, me, lang));
    }
    Ok(Json(SurveyList { items }))
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "org-health", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn survey(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<SurveyDto>> {
    let s = survey_of(&state, id).await?;
    let me = surveys::standing(&state.db, id, caller.person_id).await?;
    // Outside the population and not HR: the survey is not theirs to see.
    if me == Standing::Outside && !service::is_hr(&caller) {
        return Err(AppError::not_found("调查", "survey"));
    }
    Ok(Json(survey_dto(&s, me, request_lang(&headers))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SurveyLaunchBody)]
pub struct LaunchBody {
    #[schema(min_length = 1, max_length = 60)]
    pub title: String,
    /// The unit whose active frontline staff are asked; leave out for the whole company.
    #[schema(min_length = 1, max_length = 40)]
    pub unit: Option<String>,
    /// No result is shown for a group under this many respondents (default from the settings).
    #[schema(minimum = 3, maximum = 50)]
    pub min_group: Option<i64>,
}

/// Launches the trust question to a population; each person gets a to-do.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "org-health", request_body = LaunchBody,
    responses((status = 201, body = SurveyDto), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<LaunchBody>,
) -> AppResult<(StatusCode, Json<SurveyDto>)> {
    if b.unit.as_deref().is_some_and(str::is_empty) {
        return Err(AppError::bad_request(
            "组织代码不能为空；问全公司时请省略 unit",
            "a unit code cannot be empty; leave unit out for the whole company",
        ));
    }
    let tree = state.org_tree().await?;
    let unit_id = match b.unit.as_deref().map(str::trim) {
        Some(code) => tree
            .units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.id)
            .ok_or_else(|| AppError::not_found("组织单元", "org unit"))?,
        None => tree
            .children(None)
            .next()
            .map(|u| u.id)
            .ok_or_else(|| AppError::not_found("组织单元", "org unit"))?,
    };
    let min_group = match b.min_group {
        Some(m) => m,
        None => health::settings(&state.db).await?.min_group,
    };
    let id = surveys::launch(
        &state.db,
        &state.actor(&caller),
        &tree,
        &NewSurvey {
            title: b.title,
            unit_id,
            min_group,
        },
    )
    .await?;
    let s = survey_of(&state, id).await?;
    let me = surveys::standing(&state.db, id, caller.person_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(survey_dto(&s, me, request_lang(&headers))),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SurveyAnswerBody)]
pub struct AnswerBody {
    /// The option's value 1–5 (its code or text is accepted too).
    #[schema(value_type = i64, minimum = 1, maximum = 5)]
    pub answer: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SurveyAnswered)]
pub struct Answered {
    pub survey_id: i64,
    /// Always true: what was chosen is not echoed, stored with the person, or logged.
    pub answered: bool,
}

/// Answers the survey once. The answer is counted without the person.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses", tag = "org-health", params(("id" = i64, Path)), request_body = AnswerBody,
    responses((status = 201, body = Answered), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn respond(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> AppResult<(StatusCode, Json<Answered>)> {
    let raw = match &b.answer {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let option = rules::parse_answer(&raw).map_err(AppError::invalid)?;
    survey_of(&state, id).await?;
    surveys::respond(
        &state.db,
        &state.actor(&caller),
        id,
        caller.person_id,
        option,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Answered {
            survey_id: id,
            answered: true,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/surveys/{id}/close", tag = "org-health", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<SurveyDto>> {
    survey_of(&state, id).await?;
    surveys::close(&state.db, &state.actor(&caller), id).await?;
    let s = survey_of(&state, id).await?;
    let me = surveys::standing(&state.db, id, caller.person_id).await?;
    Ok(Json(survey_dto(&s, me, request_lang(&headers))))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SurveyCount)]
pub struct CountDto {
    pub value: i64,
    pub label: String,
    pub count: i64,
}

/// A unit's answers, or `suppressed` with no counts at all.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SurveyResults)]
pub struct ResultsDto {
    pub survey_id: i64,
    pub unit: dto::UnitRef,
    pub min_group: i64,
    pub suppressed: bool,
    /// `too_few` (under the minimum), `sibling` (hidden so a small group
    /// beside it cannot be worked out by subtraction) or `not_asked` (the
    /// unit is outside the survey); only when suppressed.
    pub reason: Option<String>,
    /// Only when shown.
    pub respondents: Option<i64>,
    pub counts: Option<Vec<CountDto>>,
    /// Percent answering 非常清楚 or 比较清楚, with its 95 % interval.
    pub clear_share: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// A unit's results under the anonymity rule, decided for every unit at
/// once: under the minimum (or beside one) there are no counts.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/results", tag = "org-health", params(("id" = i64, Path), UnitParams),
    responses((status = 200, body = ResultsDto), (status = 400, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn results(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<UnitParams>,
) -> AppResult<Json<ResultsDto>> {
    q.check()?;
    let s = survey_of(&state, id).await?;
    let tree = state.org_tree().await?;
    let unit = service::unit_for(&state, &caller, &tree, q.unit.as_deref())
        .await?
        .unwrap_or(s.org_unit_id);
    let r = surveys::results(&state.db, &tree, &s).await?;
    let u = tree
        .get(unit)
        .ok_or_else(|| AppError::not_found("组织单元", "org unit"))?;
    Ok(Json(results_dto(
        &s,
        dto::UnitRef {
            code: u.code.clone(),
            name: u.name.clone(),
        },
        &r.cell(&tree, unit),
        request_lang(&headers),
    )))
}

pub fn results_dto(s: &Survey, unit: dto::UnitRef, cell: &Cell, lang: Lang) -> ResultsDto {
    let mut out = ResultsDto {
        survey_id: s.id,
        unit,
        min_group: s.min_group,
        suppressed: true,
        reason: None,
        respondents: None,
        counts: None,
        clear_share: None,
        ci_low: None,
        ci_high: None,
    };
    match cell {
        Cell::Shown { counts, share } => {
            out.suppressed = false;
            out.respondents = Some(share.n);
            out.counts = Some(
                options(lang)
                    .into_iter()
                    .zip(counts)
                    .map(|(o, n)| CountDto {
                        value: o.value,
                        label: o.label,
                        count: *n,
                    })
                    .collect(),
            );
            out.clear_share = Some(rules::round(share.value * 100.0, 1));
            out.ci_low = Some(rules::round(share.low * 100.0, 1));
            out.ci_high = Some(rules::round(share.high * 100.0, 1));
        }
        Cell::Suppressed(why) => {
            out.reason = Some(
                match why {
                    rules::suppress::Why::TooFew => "too_few",
                    rules::suppress::Why::Sibling => "sibling",
                }
                .into(),
            );
        }
        Cell::Outside => out.reason = Some("not_asked".into()),
    }
    out
}
