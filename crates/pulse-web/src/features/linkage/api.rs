//! The linkage API (L1–L4): a person's outcomes with their chain, HR's
//! rules with check and preview, evaluation of a closed period, reversal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_store::linkage::{evaluate, outcomes, rules};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{self, LinkageRuleDto, OutcomeDto, OutcomeList};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

/// What led to each of a person's outcomes, newest period first (L3).
#[utoipa::path(get, path = "/api/v1/people/{employee_no}/outcomes", tag = "linkage",
    responses((status = 200, body = OutcomeList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn person_outcomes(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(employee_no): Path<String>,
) -> AppResult<Json<OutcomeList>> {
    let lang = request_lang(&headers);
    let person = service::visible(&state, &caller, &employee_no).await?;
    let items = outcomes::of_person(&state.db, person.id)
        .await?
        .iter()
        .map(|o| dto::outcome_dto(o, lang))
        .collect();
    Ok(Json(OutcomeList { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutcomeParams {
    /// A period's code, e.g. `2026Q3`.
    #[param(min_length = 1, max_length = 20)]
    pub period: Option<String>,
    /// `join_pool`, `recommend_course`, `adjust_bonus` or `grant_eligibility`.
    #[param(inline, value_type = Option<crate::api::vocab::LinkageAction>)]
    pub kind: Option<String>,
    /// `active` or `reversed`.
    #[param(inline, value_type = Option<crate::api::vocab::OutcomeState>)]
    pub state: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Outcomes in the caller's scope (a manager's teams, HR everyone).
#[utoipa::path(get, path = "/api/v1/linkage-outcomes", tag = "linkage", params(OutcomeParams),
    responses((status = 200, body = OutcomeList), (status = 400, body = crate::api::ErrorBody)))]
pub async fn list_outcomes(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<OutcomeParams>,
) -> AppResult<Json<OutcomeList>> {
    let lang = request_lang(&headers);
    // The page's form sends "" for "all"; the API takes a value or no parameter.
    if [&q.period, &q.kind, &q.state]
        .iter()
        .any(|v| v.as_deref() == Some(""))
    {
        return Err(AppError::bad_request(
            "筛选条件不能为空值；不筛选时请省略该参数",
            "a filter cannot be empty; leave the parameter out instead",
        ));
    }
    let filter = filter(&state, &caller, &q).await?;
    let items = outcomes::list(&state.db, &filter)
        .await?
        .iter()
        .map(|o| dto::outcome_dto(o, lang))
        .collect();
    Ok(Json(OutcomeList { items }))
}

pub async fn filter(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    q: &OutcomeParams,
) -> AppResult<outcomes::Filter> {
    if q.period.as_deref().is_some_and(|p| p.chars().count() > 20) {
        return Err(AppError::bad_request(
            "周期代码最多 20 个字符",
            "a period code is at most 20 characters",
        ));
    }
    let period_id = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        // An unknown period has no outcomes: an empty list, not an error.
        Some(code) => Some(
            pulse_store::goals::period_by_code(&state.db, code)
                .await?
                .map_or(-1, |p| p.id),
        ),
        None => None,
    };
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    if kind.as_deref().is_some_and(|k| {
        ![
            "join_pool",
            "recommend_course",
            "adjust_bonus",
            "grant_eligibility",
        ]
        .contains(&k)
    }) {
        return Err(AppError::bad_request(
            "未知的结果类型",
            "unknown outcome kind",
        ));
    }
    let st = q.state.clone().filter(|k| !k.is_empty());
    if st
        .as_deref()
        .is_some_and(|s| s != "active" && s != "reversed")
    {
        return Err(AppError::bad_request(
            "状态应为 active 或 reversed",
            "state is active or reversed",
        ));
    }
    Ok(outcomes::Filter {
        people: None,
        units: service::scope_units(state, caller).await?,
        period_id,
        kind,
        state: st,
        limit: crate::api::limit(q.limit, 500, 500)?,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseBody {
    /// Why HR reverses it; the person is told.
    #[schema(min_length = 2, max_length = 200, pattern = r"\S")]
    pub reason: String,
}

/// HR reverses an outcome with a reason (L4): audited, the person is told.
/// 409 when it is already reversed.
#[utoipa::path(post, path = "/api/v1/linkage-outcomes/{id}/reverse", tag = "linkage", request_body = ReverseBody,
    responses((status = 200, body = OutcomeDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reverse(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReverseBody>,
) -> AppResult<Json<OutcomeDto>> {
    let o = outcomes::reverse(
        &state.db,
        &state.actor(&caller),
        id,
        &b.reason,
        &state.config.public_url,
    )
    .await?;
    Ok(Json(dto::outcome_dto(&o, request_lang(&headers))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkageRuleList {
    pub items: Vec<LinkageRuleDto>,
}

/// The linkage rules (HR).
#[utoipa::path(get, path = "/api/v1/linkage-rules", tag = "linkage", responses((status = 200, body = LinkageRuleList)))]
pub async fn list_rules(
    State(state): State<AppState>,
    _me: Me,
    headers: HeaderMap,
) -> AppResult<Json<LinkageRuleList>> {
    let lang = request_lang(&headers);
    let items = rules::rules(&state.db)
        .await?
        .iter()
        .map(|r| dto::rule_dto(r, lang))
        .collect();
    Ok(Json(LinkageRuleList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[schema(value_type = crate::api::vocab::LinkageAction)]
    pub kind: String,
    /// The pool, course or eligibility (for those kinds).
    #[schema(max_length = 40)]
    #[serde(default)]
    pub name: String,
    /// For `adjust_bonus`: "+0.15" or "-0.05" (two decimals at most).
    #[schema(max_length = 10)]
    #[serde(default)]
    pub adjustment: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkageRuleBody {
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$"
    )]
    pub name: String,
    /// CEL with the helpers consecutive, top_pct, bottom_pct, rank, delta, current.
    #[schema(min_length = 1, max_length = 2000)]
    pub condition: String,
    /// '' or absent = every job family.
    #[schema(max_length = 40)]
    #[serde(default)]
    pub job_family: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[schema(min_items = 1, max_items = 5)]
    pub actions: Vec<ActionBody>,
}

fn yes() -> bool {
    true
}

pub fn rule_input(b: &LinkageRuleBody) -> AppResult<rules::RuleInput> {
    let actions = b
        .actions
        .iter()
        .map(|a| service::action(&a.kind, &a.name, &a.adjustment))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rules::RuleInput {
        name: b.name.clone(),
        condition: b.condition.clone(),
        actions,
        job_family: b.job_family.clone(),
        enabled: b.enabled,
    })
}

/// Adds a rule after checking it whole (condition, job family, every action).
#[utoipa::path(post, path = "/api/v1/linkage-rules", tag = "linkage", request_body = LinkageRuleBody,
    responses((status = 201, body = LinkageRuleDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<LinkageRuleBody>,
) -> AppResult<(StatusCode, Json<LinkageRuleDto>)> {
    let input = rule_input(&b)?;
    let r = rules::save(&state.db, &state.actor(&caller), None, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(dto::rule_dto(&r, request_lang(&headers))),
    ))
}

/// Replaces a rule. Outcomes already decided keep the rule as it was.
#[utoipa::path(put, path = "/api/v1/linkage-rules/{id}", tag = "linkage", request_body = LinkageRuleBody,
    responses((status = 200, body = LinkageRuleDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LinkageRuleBody>,
) -> AppResult<Json<LinkageRuleDto>> {
    let input = rule_input(&b)?;
    let r = rules::save(&state.db, &state.actor(&caller), Some(id), &input).await?;
    Ok(Json(dto::rule_dto(&r, request_lang(&headers))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    pub rule: LinkageRuleBody,
    /// A closed period's code, e.g. `2026Q3`.
    #[schema(min_length = 1, max_length = 20)]
    pub period: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewMatch {
    pub employee_no: String,
    pub name: String,
    pub chain: Vec<dto::ChainStep>,
    pub sentence: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDto {
    pub period: String,
    /// People the rule was tried on (its job family in the period).
    pub evaluated: usize,
    pub matched: usize,
    /// The first matches with the chain each would get.
    pub sample: Vec<PreviewMatch>,
}

/// Who a rule would match in a closed period and why, before it is saved.
/// Nothing is written.
#[utoipa::path(post, path = "/api/v1/linkage-rules/preview", tag = "linkage", request_body = PreviewBody,
    responses((status = 200, body = PreviewDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _me: Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PreviewBody>,
) -> AppResult<Json<PreviewDto>> {
    let input = rule_input(&b.rule)?;
    Ok(Json(
        preview_dto(&state, &input, &b.period, request_lang(&headers), 20).await?,
    ))
}

pub async fn preview_dto(
    state: &AppState,
    input: &rules::RuleInput,
    period: &str,
    lang: pulse_domain::Lang,
    sample: usize,
) -> AppResult<PreviewDto> {
    let p = evaluate::preview(&state.db, input, period, sample).await?;
    let mut out = Vec::new();
    for m in &p.sample {
        let Some(person) = pulse_store::people::by_id(&state.db, m.person_id).await? else {
            continue;
        };
        out.push(PreviewMatch {
            employee_no: person.employee_no,
            name: person.name,
            chain: dto::chain(&m.steps, lang),
            sentence: pulse_domain::linkage::chain_sentence(&m.steps, &input.actions, lang),
        });
    }
    Ok(PreviewDto {
        period: p.period,
        evaluated: p.evaluated,
        matched: p.matched,
        sample: out,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    /// A closed period's code, e.g. `2026Q3`.
    #[schema(min_length = 1, max_length = 20)]
    pub period: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedDto {
    pub rule: String,
    pub employee_no: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    pub period: String,
    pub rules: usize,
    pub people: usize,
    pub matched: usize,
    /// Outcomes written by this evaluation (0 when it ran before).
    pub created: usize,
    /// Outcomes that were already there.
    pub unchanged: usize,
    /// People told about new outcomes.
    pub notified: usize,
    /// Rules left out (no longer valid) and outcomes refused (a coefficient below zero).
    pub skipped: Vec<SkippedDto>,
}

/// Evaluates every enabled rule for a closed period (L4): a second call
/// creates nothing and notifies nobody. 409 for an open period.
#[utoipa::path(post, path = "/api/v1/linkage-rules/evaluate", tag = "linkage", request_body = EvaluateBody,
    responses((status = 200, body = EvaluationDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<EvaluateBody>,
) -> AppResult<Json<EvaluationDto>> {
    let lang = request_lang(&headers);
    let e = evaluate::evaluate(
        &state.db,
        &state.actor(&caller),
        &b.period,
        &state.config.public_url,
    )
    .await?;
    Ok(Json(evaluation_dto(&state, &e, lang).await?))
}

pub async fn evaluation_dto(
    state: &AppState,
    e: &evaluate::Evaluation,
    lang: pulse_domain::Lang,
) -> AppResult<EvaluationDto> {
    let mut skipped = Vec::new();
    for s in &e.skipped {
        let employee_no = match s.person_id {
            Some(id) => pulse_store::people::by_id(&state.db, id)
                .await?
                .map(|p| p.employee_no),
            None => None,
        };
        skipped.push(SkippedDto {
            rule: s.rule.clone(),
            employee_no,
            code: s.problem.code.to_string(),
            message: s.problem.message(lang).to_string(),
        });
    }
    Ok(EvaluationDto {
        period: e.period.clone(),
        rules: e.rules,
        people: e.people,
        matched: e.matched,
        created: e.created,
        unchanged: e.unchanged,
        notified: e.notified,
        skipped,
    })
}
