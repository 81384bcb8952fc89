//! What the calibration API, pages and screens share: who stands where in a
//! session, and the views of cases, blind (pseudonyms, nothing that names
//! the person) while scoring is open.

use std::collections::HashMap;

use pulse_domain::Lang;
use pulse_domain::calibration::stats::round2;
use pulse_domain::calibration::{self as cal, SessionState, spread};
use pulse_store::accounts::Caller;
use pulse_store::calibration::{self, Case, Score, Session};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::features::reviews::service::is_hr;

/// How the caller stands to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub member: bool,
    pub facilitator: bool,
    pub hr: bool,
}

impl Standing {
    /// Runs the room: the named facilitator, or HR.
    pub fn runs(&self) -> bool {
        self.facilitator || self.hr
    }

    pub fn code(&self) -> &'static str {
        if self.facilitator {
            "facilitator"
        } else if self.member {
            "member"
        } else {
            "hr"
        }
    }
}

fn not_found() -> AppError {
    AppError::not_found("校准会", "calibration session")
}

/// The session if the caller is on it (member, facilitator) or HR; 404
/// otherwise, so nobody learns a session exists they are not part of.
pub async fn open(state: &AppState, caller: &Caller, id: i64) -> AppResult<(Session, Standing)> {
    let s = calibration::session(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let seat = calibration::seat(&state.db, &s, Some(caller.person_id)).await?;
    let standing = Standing {
        member: seat.member,
        facilitator: seat.facilitator,
        hr: is_hr(caller),
    };
    if !(standing.member || standing.facilitator || standing.hr) {
        return Err(not_found());
    }
    Ok((s, standing))
}

/// The session if the caller runs it; 403 for a member, 404 for others.
pub async fn open_to_run(state: &AppState, caller: &Caller, id: i64) -> AppResult<Session> {
    let (s, st) = open(state, caller, id).await?;
    if !st.runs() {
        return Err(AppError::forbidden());
    }
    Ok(s)
}

pub const SIGMA_KIND: &str = "population";

pub fn sigma_note(lang: Lang) -> &'static str {
    lang.pick(
        "σ 为总体标准差（除以评分人数）：委员会就是全部评分人，不是样本",
        "σ is the population standard deviation (divided by the number of scores): the committee is every rater, not a sample",
    )
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDto {
    pub case_id: i64,
    /// 案例 07 / Case 07.
    pub pseudonym: String,
    pub seq: i64,
    /// The scoring round (a re-scoring round starts empty; earlier rounds are kept).
    pub round: i64,
    /// This round's scores, lowest first (who gave which is not shown).
    pub scores: Vec<f64>,
    pub n: usize,
    pub members: usize,
    pub mean: Option<f64>,
    /// The population standard deviation of this round's scores.
    pub sigma: Option<f64>,
    /// Always `population`.
    pub sigma_kind: &'static str,
    pub threshold: f64,
    pub flagged: bool,
    /// The caller's own score this round, if they are a member and scored.
    pub my_score: Option<f64>,
    /// Earlier rounds: (round, scores, σ).
    pub history: Vec<RoundDto>,
    pub manager_rating: Option<f64>,
    pub final_rating: Option<f64>,
    /// 1 (low performance, low potential) … 9 (high, high).
    pub nine_box: u8,
    /// `low`, `medium` or `high`.
    pub potential: &'static str,
    pub current: bool,
    /// Present once revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundDto {
    pub round: i64,
    pub scores: Vec<f64>,
    pub sigma: Option<f64>,
}

/// Every case of a session as the caller may see it.
pub fn case_views(
    session: &Session,
    cases: &[Case],
    scores: &[Score],
    members: usize,
    me: Option<i64>,
    lang: Lang,
) -> Vec<CaseDto> {
    let mut by_case: HashMap<i64, Vec<&Score>> = HashMap::new();
    for s in scores {
        by_case.entry(s.case_id).or_default().push(s);
    }
    cases
        .iter()
        .map(|c| {
            case_view(
                session,
                c,
                by_case.get(&c.id).map_or(&[][..], Vec::as_slice),
                members,
                me,
                lang,
            )
        })
        .collect()
}

pub fn case_view(
    session: &Session,
    c: &Case,
    scores: &[&Score],
    members: usize,
    me: Option<i64>,
    lang: Lang,
) -> CaseDto {
    let blind = session.blind();
    let round_scores = |round: i64| -> Vec<f64> {
        let mut v: Vec<f64> = scores
            .iter()
            .filter(|s| s.round == round)
            .map(|s| s.score)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let now = round_scores(c.round);
    let sp = spread(&now);
    let history = (1..c.round)
        .map(|r| {
            let v = round_scores(r);
            RoundDto {
                round: r,
                sigma: spread(&v).sigma.map(round2),
                scores: v,
            }
        })
        .collect();
    let shown = |s: &str| (!blind).then(|| s.to_string());
    CaseDto {
        case_id: c.id,
        pseudonym: cal::pseudonym(c.seq, lang),
        seq: c.seq,
        round: c.round,
        n: sp.n,
        members,
        mean: sp.mean.map(round2),
        sigma: sp.sigma.map(round2),
        sigma_kind: SIGMA_KIND,
        threshold: session.sigma_threshold,
        flagged: sp.flagged(session.sigma_threshold),
        my_score: me.and_then(|m| {
            scores
                .iter()
                .find(|s| s.round == c.round && s.member_id == m)
                .map(|s| s.score)
        }),
        scores: now,
        history,
        manager_rating: c.manager_rating(),
        final_rating: c.final_rating,
        nine_box: c.nine_box().number(),
        potential: c.potential().as_str(),
        current: session.current_case_id == Some(c.id),
        name: shown(&c.name),
        employee_no: shown(&c.employee_no),
        unit: shown(&c.unit_name),
        manager: shown(&c.manager_name),
        rationale: (!blind && !c.rationale.is_empty()).then(|| c.rationale.clone()),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: i64,
    pub name: String,
    /// `prepared`, `pre_scoring`, `live`, `revealed`, `finalized`.
    pub state: String,
    pub state_label: String,
    /// Scoring is open and every committee client sees pseudonyms only.
    pub blind: bool,
    pub cycle_id: i64,
    pub cycle: String,
    pub region: Option<String>,
    pub job_family: String,
    pub facilitator: String,
    /// China time, `YYYY-MM-DD HH:MM`.
    pub scheduled_at: String,
    pub sigma_threshold: f64,
    pub sigma_kind: &'static str,
    /// Distribution guidance, top band first (`20-70-10`).
    pub guidance: String,
    pub current_case_id: Option<i64>,
    pub cases: i64,
    pub flagged: i64,
    pub decided: i64,
    /// Live → finalized, in minutes (H4).
    pub duration_minutes: Option<i64>,
    /// `facilitator`, `member` or `hr`.
    pub seat: &'static str,
}

pub fn session_dto(s: &Session, standing: Standing, lang: Lang) -> SessionDto {
    SessionDto {
        id: s.id,
        name: s.name.clone(),
        state: s.state.clone(),
        state_label: s.state().label(lang).to_string(),
        blind: s.blind(),
        cycle_id: s.cycle_id,
        cycle: s.cycle_name.clone(),
        region: s.region_name.clone(),
        job_family: s.job_family.clone(),
        facilitator: s.facilitator_name.clone(),
        scheduled_at: pulse_domain::china_time::format_ms(s.scheduled_at, "%Y-%m-%d %H:%M"),
        sigma_threshold: s.sigma_threshold,
        sigma_kind: SIGMA_KIND,
        guidance: s.guidance.clone(),
        current_case_id: s.current_case_id,
        cases: s.cases,
        flagged: s.flagged,
        decided: s.decided,
        duration_minutes: s.duration_ms.map(|ms| (ms + 30_000) / 60_000),
        seat: standing.code(),
    }
}

/// The sessions the caller may open: all for HR, else the ones they sit on.
pub async fn sessions_for(
    state: &AppState,
    caller: &Caller,
) -> AppResult<Vec<(Session, Standing)>> {
    let hr = is_hr(caller);
    let list = if hr {
        calibration::sessions(&state.db).await?
    } else {
        calibration::sessions_of(&state.db, caller.person_id).await?
    };
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        let seat = calibration::seat(&state.db, &s, Some(caller.person_id)).await?;
        out.push((
            s,
            Standing {
                member: seat.member,
                facilitator: seat.facilitator,
                hr,
            },
        ));
    }
    Ok(out)
}

/// Signals this instance's streams after a committed change.
pub fn signal(state: &AppState, session_id: i64, event_id: i64) {
    state.calibration.committed(session_id, event_id);
}

pub fn state_from(code: &str) -> AppResult<SessionState> {
    SessionState::from_code(code.trim()).ok_or_else(|| {
        AppError::bad_request(
            format!("未知的会议状态：{code}"),
            format!("unknown session state: {code}"),
        )
    })
}
