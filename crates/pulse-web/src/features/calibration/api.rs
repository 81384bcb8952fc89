//! The calibration API (C1–C5): sessions, blind cases, scores, the
//! facilitator's moves. The live stream is in `stream`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pulse_domain::calibration::Level;
use pulse_store::calibration::{self, Decision, SessionInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, CaseDto, SessionDto};
use crate::AppState;
use crate::access::Me;
use crate::api::ApiJson;
use crate::error::{AppError, AppResult};
use crate::i18n::request_lang;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionDto>,
}

#[utoipa::path(get, path = "/api/v1/calibration-sessions", tag = "calibration",
    responses((status = 200, body = SessionList)))]
pub async fn sessions(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Json<SessionList>> {
    let lang = request_lang(&headers);
    let items = service::sessions_for(&state, &caller)
        .await?
        .iter()
        .map(|(s, st)| service::session_dto(s, *st, lang))
        .collect();
    Ok(Json(SessionList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$"
    )]
    pub name: String,
    /// The review cycle whose submitted reviews are calibrated.
    #[schema(minimum = 1)]
    pub cycle_id: i64,
    /// An org unit's code (a region): everyone under it.
    #[schema(max_length = 50)]
    pub region: Option<String>,
    #[schema(max_length = 50)]
    pub job_family: Option<String>,
    /// The facilitator's employee number.
    #[schema(min_length = 1, max_length = 32)]
    pub facilitator: String,
    /// The committee members' employee numbers (2–15).
    #[schema(min_items = 2, max_items = 15)]
    pub members: Vec<String>,
    /// China time, `YYYY-MM-DD HH:MM`.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$")]
    pub scheduled_at: String,
    /// σ above which a case is flagged (default 1.2).
    #[schema(minimum = 0.1, maximum = 4)]
    pub sigma_threshold: Option<f64>,
    /// Distribution guidance, top band first: 3 or 5 percentages summing to 100 (default `20-70-10`).
    #[schema(max_length = 30)]
    pub guidance: Option<String>,
}

pub fn parse_when(text: &str) -> AppResult<i64> {
    let t = text.trim().replace('T', " ");
    chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M")
        .map(pulse_domain::china_time::local_ms)
        .map_err(|_| {
            AppError::invalid(pulse_domain::Problem::new(
                "invalid_time",
                "会议时间格式应为 YYYY-MM-DD HH:MM",
                "the session time is YYYY-MM-DD HH:MM",
            ))
        })
}

pub async fn person_id(state: &AppState, no: &str, zh: &str, en: &str) -> AppResult<i64> {
    pulse_store::people::by_employee_no(&state.db, no.trim())
        .await?
        .map(|p| p.id)
        .ok_or_else(|| {
            AppError::invalid(pulse_domain::Problem::new(
                "unknown_person",
                format!("找不到{zh}：{}", no.trim()),
                format!("no such {en}: {}", no.trim()),
            ))
        })
}

/// HR sets up a session: its cases are the cycle's submitted reviews in the
/// population. 422 for an empty population.
#[utoipa::path(post, path = "/api/v1/calibration-sessions", tag = "calibration", request_body = SessionBody,
    responses((status = 201, body = SessionDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    ApiJson(b): ApiJson<SessionBody>,
) -> AppResult<(StatusCode, Json<SessionDto>)> {
    let lang = request_lang(&headers);
    let facilitator_id = person_id(&state, &b.facilitator, "主持人", "facilitator").await?;
    let mut member_ids = Vec::new();
    for m in &b.members {
        member_ids.push(person_id(&state, m, "委员", "committee member").await?);
    }
    let input = SessionInput {
        name: b.name,
        cycle_id: b.cycle_id,
        region_code: b.region,
        job_family: b.job_family,
        facilitator_id,
        member_ids,
        scheduled_at: parse_when(&b.scheduled_at)?,
        sigma_threshold: b.sigma_threshold.unwrap_or(1.2),
        guidance: b.guidance.unwrap_or_else(|| "20-70-10".into()),
    };
    let s = calibration::create(&state.db, &state.actor(&caller), &input).await?;
    let (s, st) = service::open(&state, &caller, s.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::session_dto(&s, st, lang)),
    ))
}

#[utoipa::path(get, path = "/api/v1/calibration-sessions/{id}", tag = "calibration", params(("id" = i64, Path)),
    responses((status = 200, body = SessionDto), (status = 404, body = crate::api::ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<SessionDto>> {
    let (s, st) = service::open(&state, &caller, id).await?;
    Ok(Json(service::session_dto(&s, st, request_lang(&headers))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseDto>,
    /// Always `population`: see ARCHITECTURE.md.
    pub sigma_kind: &'static str,
    pub blind: bool,
}

/// A session's cases. While scoring is open (pre-scoring, live) no case
/// carries a name, employee number, unit or manager.
#[utoipa::path(get, path = "/api/v1/calibration-sessions/{id}/cases", tag = "calibration", params(("id" = i64, Path)),
    responses((status = 200, body = CaseList), (status = 404, body = crate::api::ErrorBody)))]
pub async fn cases(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<CaseList>> {
    let (s, _) = service::open(&state, &caller, id).await?;
    let cases = calibration::cases(&state.db, id).await?;
    let subjects: Vec<i64> = cases.iter().map(|c| c.person_id).collect();
    crate::features::privacy::service::viewed_all(
        &state,
        &caller,
        &subjects,
        "rating",
        &format!("calibration:{id}"),
    )
    .await?;
    let scores = calibration::scores(&state.db, id).await?;
    let members = calibration::members(&state.db, id).await?.len();
    let items = service::case_views(
        &s,
        &cases,
        &scores,
        members,
        Some(caller.person_id),
        request_lang(&headers),
    );
    Ok(Json(CaseList {
        items,
        sigma_kind: service::SIGMA_KIND,
        blind: s.blind(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    /// 1 to 5, halves allowed.
    #[schema(minimum = 1, maximum = 5, multiple_of = 0.5)]
    pub score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreAnswer {
    pub case_id: i64,
    pub round: i64,
    pub n: usize,
    pub mean: Option<f64>,
    pub sigma: Option<f64>,
    pub sigma_kind: &'static str,
    pub flagged: bool,
}

/// A committee member's blind score for the case's current round (sent
/// again, it replaces the member's score of this round).
#[utoipa::path(put, path = "/api/v1/calibration-sessions/{id}/cases/{case_id}/score", tag = "calibration",
    params(("id" = i64, Path), ("case_id" = i64, Path)), request_body = ScoreBody,
    responses((status = 200, body = ScoreAnswer), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    Me(caller): Me,
    Path((id, case_id)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<ScoreBody>,
) -> AppResult<Json<ScoreAnswer>> {
    let (_, st) = service::open(&state, &caller, id).await?;
    if !st.member {
        return Err(AppError::forbidden());
    }
    let o = calibration::score(&state.db, id, case_id, caller.person_id, b.score).await?;
    service::signal(&state, id, o.last_event);
    Ok(Json(ScoreAnswer {
        case_id: o.case_id,
        round: o.round,
        n: o.n,
        mean: o.mean,
        sigma: o.sigma,
        sigma_kind: service::SIGMA_KIND,
        flagged: o.flagged,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    #[schema(value_type = crate::api::vocab::SessionMove)]
    pub state: String,
}

/// The facilitator (or HR) moves the session: pre-scoring or live (locking
/// the reviews), revealed, finalized (writing the ratings back). Two
/// finalizing at once: one wins, the other gets 409.
#[utoipa::path(post, path = "/api/v1/calibration-sessions/{id}/state", tag = "calibration", params(("id" = i64, Path)),
    request_body = MoveBody,
    responses((status = 200, body = SessionDto), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn move_to(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<MoveBody>,
) -> AppResult<Json<SessionDto>> {
    service::open_to_run(&state, &caller, id).await?;
    let to = service::state_from(&b.state)?;
    let (_, event) = calibration::move_to(&state.db, &state.actor(&caller), id, to).await?;
    service::signal(&state, id, event);
    let (s, st) = service::open(&state, &caller, id).await?;
    Ok(Json(service::session_dto(&s, st, request_lang(&headers))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrentBody {
    #[schema(minimum = 1)]
    pub case_id: i64,
}

/// Puts a case on every screen and committee client.
#[utoipa::path(put, path = "/api/v1/calibration-sessions/{id}/current", tag = "calibration", params(("id" = i64, Path)),
    request_body = CurrentBody,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn put_on(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CurrentBody>,
) -> AppResult<StatusCode> {
    service::open_to_run(&state, &caller, id).await?;
    let event = calibration::put_on(&state.db, &state.actor(&caller), id, b.case_id).await?;
    service::signal(&state, id, event);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundAnswer {
    pub case_id: i64,
    pub round: i64,
}

/// Opens a new scoring round for a case (live only); earlier rounds stay.
#[utoipa::path(post, path = "/api/v1/calibration-sessions/{id}/cases/{case_id}/rescore", tag = "calibration",
    params(("id" = i64, Path), ("case_id" = i64, Path)),
    responses((status = 200, body = RoundAnswer), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn rescore(
    State(state): State<AppState>,
    Me(caller): Me,
    Path((id, case_id)): Path<(i64, i64)>,
) -> AppResult<Json<RoundAnswer>> {
    service::open_to_run(&state, &caller, id).await?;
    let (round, event) =
        calibration::rescore(&state.db, &state.actor(&caller), id, case_id).await?;
    service::signal(&state, id, event);
    Ok(Json(RoundAnswer { case_id, round }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// On the cycle's rating scale.
    #[schema(minimum = 1, maximum = 10, multiple_of = 0.5)]
    pub final_rating: f64,
    /// Required when the final rating differs from the manager's.
    #[schema(max_length = 2000)]
    pub rationale: Option<String>,
    #[schema(value_type = Option<crate::api::vocab::PotentialLevel>)]
    pub potential: Option<String>,
}

fn level(code: Option<&str>) -> AppResult<Option<Level>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => Level::from_code(c).map(Some).ok_or_else(|| {
            AppError::bad_request(
                format!("未知的潜力档：{c}"),
                format!("unknown potential level: {c}"),
            )
        }),
    }
}

/// The facilitator records the committee's final rating (after the reveal).
#[utoipa::path(put, path = "/api/v1/calibration-sessions/{id}/cases/{case_id}/decision", tag = "calibration",
    params(("id" = i64, Path), ("case_id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = CaseDto), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path((id, case_id)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> AppResult<Json<CaseDto>> {
    service::open_to_run(&state, &caller, id).await?;
    let d = Decision {
        final_rating: b.final_rating,
        rationale: b.rationale.unwrap_or_default(),
        potential: level(b.potential.as_deref())?,
    };
    let (_, event) = calibration::decide(&state.db, &state.actor(&caller), id, case_id, &d).await?;
    service::signal(&state, id, event);
    one_case(&state, &caller, id, case_id, &headers)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxBody {
    /// 1 (low performance, low potential) … 9 (high, high), row by row from the bottom left.
    #[serde(rename = "box")]
    #[schema(minimum = 1, maximum = 9)]
    pub cell: i64,
}

/// A 9-box move, logged (after the reveal, before finalizing).
#[utoipa::path(put, path = "/api/v1/calibration-sessions/{id}/cases/{case_id}/box", tag = "calibration",
    params(("id" = i64, Path), ("case_id" = i64, Path)), request_body = BoxBody,
    responses((status = 200, body = CaseDto), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path((id, case_id)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<BoxBody>,
) -> AppResult<Json<CaseDto>> {
    service::open_to_run(&state, &caller, id).await?;
    let cell = u8::try_from(b.cell).unwrap_or(0);
    let (_, event) =
        calibration::place(&state.db, &state.actor(&caller), id, case_id, cell).await?;
    service::signal(&state, id, event);
    one_case(&state, &caller, id, case_id, &headers)
        .await
        .map(Json)
}

async fn one_case(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    case_id: i64,
    headers: &HeaderMap,
) -> AppResult<CaseDto> {
    let (s, _) = service::open(state, caller, id).await?;
    let c = calibration::case(&state.db, id, case_id)
        .await?
        .ok_or_else(|| AppError::not_found("案例", "case"))?;
    let scores = calibration::scores(&state.db, id).await?;
    let mine: Vec<&pulse_store::calibration::Score> =
        scores.iter().filter(|x| x.case_id == case_id).collect();
    let members = calibration::members(&state.db, id).await?.len();
    Ok(service::case_view(
        &s,
        &c,
        &mine,
        members,
        Some(caller.person_id),
        request_lang(headers),
    ))
}
