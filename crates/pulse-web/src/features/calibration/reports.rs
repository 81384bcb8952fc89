//! C6: the session's two reports. A growth letter per person (strengths,
//! behaviours to improve, courses) from their radar, their review texts'
//! trajectory, the review and the committee's rationale — never the other
//! members' or people's scores. And the organisational capability gap map
//! for HR: per unit, how many people fall short on each competency.
//!
//! Who reads what: the facilitator and HR read every letter once the
//! session is revealed (a letter names the person); the person and their
//! manager read theirs once the session is finalized (the person only
//! after their review is released). The gap map names units, never people:
//! the facilitator and HR read it in any state, except an HR member of the
//! committee while scoring is blind.

use std::collections::HashMap;

use axum::http::StatusCode;
use pulse_domain::Lang;
use pulse_domain::calibration::growth::{self, Basis, GapMap, Reading};
use pulse_domain::calibration::{SessionState, pseudonym};
use pulse_domain::reviews::writer::course_for;
use pulse_store::accounts::Caller;
use pulse_store::calibration::{self, Case, Session};
use pulse_store::competency;
use pulse_text::trajectory::Series;
use serde::Serialize;
use utoipa::ToSchema;

use pulse_store::calibration::screens::{Quarter, SourceText, session_texts};

use super::screens::{dictionary, quarters, trajectory_from, trajectory_of};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::features::insights::service::radar_of;
use crate::features::reviews::service::{is_hr, is_released};

/// One line of a letter: a competency, what it was read from, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterPoint {
    pub competency: String,
    /// `radar` (0–100 against the peer group) or `texts` (1–5 from review and feedback texts).
    pub basis: &'static str,
    pub value: f64,
    pub peer_median: Option<f64>,
    /// The sentence behind a texts reading.
    pub evidence: Option<String>,
    /// "雷达 72 分（同岗中位 55）" / "texts 2.4 of 5".
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Letter {
    pub case_id: i64,
    pub pseudonym: String,
    pub employee_no: String,
    pub name: String,
    pub unit: String,
    pub job_family: String,
    pub cycle: String,
    /// The calibrated rating where the committee decided one, else the manager's.
    pub rating: Option<f64>,
    pub rating_label: Option<String>,
    pub calibrated: bool,
    /// The committee's rationale, where it gave one.
    pub rationale: String,
    pub strengths: Vec<LetterPoint>,
    pub improve: Vec<LetterPoint>,
    pub courses: Vec<String>,
    /// The manager's review text.
    pub review_text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapUnitDto {
    pub unit: String,
    pub people: u32,
    /// People short on each competency, in `competencies` order.
    pub short: Vec<u32>,
    /// Whether each count is a gap for the unit (≥ 30 % and ≥ 2 people).
    pub gap: Vec<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapHeadline {
    pub competency: String,
    /// Units where it is a gap.
    pub units: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapMapDto {
    pub session_id: i64,
    pub competencies: Vec<String>,
    pub units: Vec<GapUnitDto>,
    pub headline: Vec<GapHeadline>,
    /// How a person counts as short, in words.
    pub rule: String,
}

fn conflict(code: &'static str, zh: &str, en: &str) -> AppError {
    AppError::new(StatusCode::CONFLICT, code, zh, en)
}

fn not_found() -> AppError {
    AppError::not_found("成长建议书", "growth letter")
}

/// The session and case if the caller may read the case's letter, and
/// whether the caller runs the session (facilitator or HR).
pub async fn open_letter(
    state: &AppState,
    caller: &Caller,
    id: i64,
    case_id: i64,
) -> AppResult<(Session, Case, bool)> {
    let s = calibration::session(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let c = calibration::case(&state.db, id, case_id)
        .await?
        .ok_or_else(not_found)?;
    let seat = calibration::seat(&state.db, &s, Some(caller.person_id)).await?;
    if seat.facilitator || is_hr(caller) {
        if s.blind() {
            return Err(conflict(
                "letters_after_reveal",
                "揭晓之后才能查看成长建议书：评分仍在匿名进行",
                "growth letters open after the reveal: scoring is still blind",
            ));
        }
        logged(state, caller, &c).await?;
        return Ok((s, c, true));
    }
    if seat.member {
        return Err(AppError::forbidden());
    }
    // The person and their manager, once the committee has finished.
    let review = pulse_store::reviews::get(&state.db, c.review_id)
        .await?
        .ok_or_else(not_found)?;
    let subject = c.person_id == caller.person_id && is_released(&review);
    let manager = review.reviewer_id == caller.person_id;
    if s.state() == SessionState::Finalized && (subject || manager) {
        logged(state, caller, &c).await?;
        return Ok((s, c, false));
    }
    Err(not_found())
}

/// A letter is the person's calibration data: each opening by someone else is logged (S3).
async fn logged(state: &AppState, caller: &Caller, c: &Case) -> AppResult<()> {
    let reference = format!("letter:{}/{}", c.session_id, c.id);
    crate::features::privacy::service::viewed(state, caller, c.person_id, "calibration", &reference)
        .await
}

/// The session if the caller may read its gap map.
pub async fn open_gaps(state: &AppState, caller: &Caller, id: i64) -> AppResult<Session> {
    let (s, st) = super::service::open(state, caller, id).await?;
    if !st.runs() {
        return Err(AppError::forbidden());
    }
    if st.member && s.blind() {
        return Err(conflict(
            "gaps_after_reveal",
            "您是本场委员：揭晓之后才能查看能力短板地图",
            "you sit on this committee: the gap map opens after the reveal",
        ));
    }
    Ok(s)
}

/// A texts series as one reading: the mean of its scored quarters, with the
/// sentence that leans furthest the same way as evidence.
pub fn texts_reading(se: &Series) -> Option<Reading> {
    let scored: Vec<f64> = se.points.iter().filter_map(|p| p.score).collect();
    if scored.is_empty() {
        return None;
    }
    let value = (scored.iter().sum::<f64>() / scored.len() as f64 * 10.0).round() / 10.0;
    let sentences = se.points.iter().flat_map(|p| p.sentences.iter());
    let evidence = if value < growth::TEXTS_SHORT {
        sentences.min_by(|a, b| a.leaning.total_cmp(&b.leaning))
    } else {
        sentences.max_by(|a, b| a.leaning.total_cmp(&b.leaning))
    };
    Some(Reading {
        competency: se.competency.clone(),
        basis: Basis::Texts,
        value,
        peer_median: None,
        metric: String::new(),
        evidence: evidence.map(|s| s.text.clone()),
    })
}

/// Family → radar dimensions, read once per report.
type Dimensions = HashMap<String, Vec<competency::Dimension>>;

/// A case's texts over the session's year, when read for the whole session.
type Texts<'a> = Option<(&'a [Quarter], &'a [SourceText])>;

/// Everything the reports read about one case: radar and texts.
async fn readings(
    state: &AppState,
    s: &Session,
    c: &Case,
    texts: Texts<'_>,
    dictionary: &[(String, Vec<String>)],
    dims: &mut Dimensions,
) -> AppResult<Vec<Reading>> {
    let mut out = Vec::new();
    if let Some(person) = pulse_store::people::by_id(&state.db, c.person_id).await? {
        if !dims.contains_key(&person.job_family) {
            let d = competency::dimensions(&state.db, Some(&person.job_family)).await?;
            dims.insert(person.job_family.clone(), d);
        }
        let family_dims = dims.get(&person.job_family).cloned().unwrap_or_default();
        if !family_dims.is_empty() {
            let radar = radar_of(state, person, &family_dims).await?;
            for axis in radar.dimensions {
                if let Some(value) = axis.value {
                    out.push(Reading {
                        competency: axis.name,
                        basis: Basis::Radar,
                        value,
                        peer_median: axis.peer_median,
                        metric: axis.metric,
                        evidence: None,
                    });
                }
            }
        }
    }
    let series = match texts {
        Some((year, texts)) => trajectory_from(state, year, texts, dictionary).await?,
        None => trajectory_of(state, s, c, dictionary).await?.1,
    };
    out.extend(series.iter().filter_map(texts_reading));
    Ok(out)
}

fn point(r: &Reading, lang: Lang) -> LetterPoint {
    let explanation = match (r.basis, lang) {
        (Basis::Radar, Lang::Zh) => match r.peer_median {
            Some(m) => format!(
                "能力雷达 {:.0} 分（同岗同级中位 {:.0} 分，满分 100）",
                r.value, m
            ),
            None => format!("能力雷达 {:.0} 分（满分 100）", r.value),
        },
        (Basis::Radar, Lang::En) => match r.peer_median {
            Some(m) => format!("radar {:.0} of 100 (peers' median {:.0})", r.value, m),
            None => format!("radar {:.0} of 100", r.value),
        },
        (Basis::Texts, Lang::Zh) => {
            format!("评价与反馈文本 {:.1} 分（1–5，3 为中性）", r.value)
        }
        (Basis::Texts, Lang::En) => {
            format!(
                "review and feedback texts {:.1} of 5 (3 is neutral)",
                r.value
            )
        }
    };
    LetterPoint {
        competency: r.competency.clone(),
        basis: match r.basis {
            Basis::Radar => "radar",
            Basis::Texts => "texts",
        },
        value: r.value,
        peer_median: r.peer_median,
        evidence: r.evidence.clone(),
        explanation,
    }
}

/// What every letter and the gap map of one request share: the dictionary
/// and each family's dimensions, read once.
pub struct Reader {
    dict: Vec<(String, Vec<String>)>,
    dims: Dimensions,
    /// The session's cycle name, read with the first letter.
    cycle: Option<String>,
}

impl Reader {
    pub async fn new(state: &AppState) -> AppResult<Reader> {
        Ok(Reader {
            dict: dictionary(state).await?,
            dims: Dimensions::new(),
            cycle: None,
        })
    }
}

/// The growth letter of one case.
pub async fn letter(
    state: &AppState,
    rd: &mut Reader,
    s: &Session,
    c: &Case,
    lang: Lang,
) -> AppResult<Letter> {
    let rs = readings(state, s, c, None, &rd.dict, &mut rd.dims).await?;
    let (strong, weak) = growth::assess(&rs, 3);
    let mut courses: Vec<String> = Vec::new();
    for r in &weak {
        if let Some(course) = course_for(&r.metric, &r.competency)
            && !courses.iter().any(|x| x == course)
        {
            courses.push(course.to_string());
        }
    }
    let review = pulse_store::reviews::get(&state.db, c.review_id)
        .await?
        .ok_or_else(not_found)?;
    if rd.cycle.is_none() {
        let cycle = pulse_store::reviews::cycle(&state.db, s.cycle_id).await?;
        rd.cycle = Some(cycle.map_or(String::new(), |x| x.name));
    }
    let rating = c.rating();
    Ok(Letter {
        case_id: c.id,
        pseudonym: pseudonym(c.seq, lang),
        employee_no: c.employee_no.clone(),
        name: c.name.clone(),
        unit: c.unit_name.clone(),
        job_family: c.job_family.clone(),
        cycle: rd.cycle.clone().unwrap_or_default(),
        rating,
        rating_label: rating.map(|x| review.scale().label(x, lang)),
        calibrated: c.final_rating.is_some(),
        rationale: c.rationale.clone(),
        strengths: strong.iter().map(|r| point(r, lang)).collect(),
        improve: weak.iter().map(|r| point(r, lang)).collect(),
        courses,
        review_text: review.body.clone(),
    })
}

/// (session, Chinese?) → (computed at, the dictionary it read, the map).
pub type GapCache =
    std::sync::Arc<std::sync::Mutex<HashMap<(i64, bool), (i64, String, GapMapDto)>>>;

/// How long an instance reuses a gap map: the radar's own figures are
/// reused for 10 minutes, and reviews are locked while a session runs.
const GAP_MAP_TTL_MS: i64 = 5 * 60 * 1000;

/// The gap map of a session's population (reused for a few minutes unless
/// the keyword dictionary changed).
pub async fn gap_map(state: &AppState, s: &Session, lang: Lang) -> AppResult<GapMapDto> {
    let mut rd = Reader::new(state).await?;
    let stamp = format!("{:?}", rd.dict);
    let key = (s.id, lang == Lang::Zh);
    let now = state.db.now_ms();
    if let Ok(cache) = state.gap_maps.lock()
        && let Some((at, dict, map)) = cache.get(&key)
        && *dict == stamp
        && now - at < GAP_MAP_TTL_MS
    {
        return Ok(map.clone());
    }
    let map = compute_gap_map(state, &mut rd, s, lang).await?;
    if let Ok(mut cache) = state.gap_maps.lock() {
        cache.retain(|_, (at, _, _)| now - *at < GAP_MAP_TTL_MS);
        cache.insert(key, (now, stamp, map.clone()));
    }
    Ok(map)
}

async fn compute_gap_map(
    state: &AppState,
    rd: &mut Reader,
    s: &Session,
    lang: Lang,
) -> AppResult<GapMapDto> {
    let year = quarters(state, s).await?;
    let texts = session_texts(&state.db, s.id, &year).await?;
    let mut people = Vec::new();
    for c in calibration::cases(&state.db, s.id).await? {
        let mine = texts.get(&c.person_id).map_or(&[][..], Vec::as_slice);
        let rs = readings(state, s, &c, Some((&year, mine)), &rd.dict, &mut rd.dims).await?;
        people.push((c.unit_name.clone(), rs));
    }
    Ok(gap_dto(s.id, &GapMap::build(&people), lang))
}

pub fn gap_dto(session_id: i64, map: &GapMap, lang: Lang) -> GapMapDto {
    GapMapDto {
        session_id,
        competencies: map.competencies.clone(),
        units: map
            .units
            .iter()
            .map(|u| GapUnitDto {
                unit: u.unit.clone(),
                people: u.people,
                short: u.short.clone(),
                gap: (0..u.short.len()).map(|i| u.is_gap(i)).collect(),
            })
            .collect(),
        headline: map
            .headline()
            .into_iter()
            .map(|(competency, units)| GapHeadline { competency, units })
            .collect(),
        rule: lang
            .pick(
                &format!(
                    "短板：能力雷达低于 {:.0} 分（满分 100），或评价与反馈文本低于 {:.0} 分（1–5）。一个单位中至少 {} 人且占 {}% 以上即为该单位的短板。",
                    growth::RADAR_SHORT,
                    growth::TEXTS_SHORT,
                    growth::GAP_MIN_PEOPLE,
                    growth::GAP_SHARE_PCT
                ),
                &format!(
                    "Short: a radar value below {:.0} of 100, or texts below {:.0} on 1–5. A competency is a unit's gap when at least {} people and {}% of the unit are short on it.",
                    growth::RADAR_SHORT,
                    growth::TEXTS_SHORT,
                    growth::GAP_MIN_PEOPLE,
                    growth::GAP_SHARE_PCT
                ),
            )
            .to_string(),
    }
}
