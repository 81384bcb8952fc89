//! The three wall screens (C2), one page each (`/calibration/{id}/screen/
//! left|middle|right`), following the case the facilitator puts on: left,
//! the person's raw process data for the year; middle, the capability
//! trajectory from the texts; right, regions × metrics against the national
//! mean. While scoring is blind nothing on them names the person: texts are
//! redacted here, on the server, and the right screen highlights a region
//! only when the session is for that region anyway.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::Lang;
use pulse_domain::calibration::pseudonym;
use pulse_domain::calibration::redact::{Mask, Redactor};
use pulse_domain::goals::period_label;
use pulse_store::calibration::screens::{self as data, Quarter};
use pulse_store::calibration::{self, Case, Session};
use serde::Deserialize;

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::charts;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::{Nav, Page};

/// One quarter of the left screen (and of the pack a flag opens).
pub struct QuarterRow {
    pub label: String,
    pub visits: String,
    pub evaluation: String,
    pub on_time: String,
    pub response: String,
    pub tickets: String,
    pub cards: String,
    pub card_rating: String,
    pub goal: String,
}

/// The process-data pack: what opens on every committee client when a
/// case is flagged, and what the left screen shows.
pub struct Pack {
    pub rows: Vec<QuarterRow>,
    pub visits_chart: String,
    pub goal_chart: String,
    pub observations: Vec<String>,
}

fn f1(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.1}"))
}

/// The session's year: four quarters up to the cycle's period end (or today, if earlier).
pub(super) async fn quarters(state: &AppState, s: &Session) -> AppResult<Vec<Quarter>> {
    let cycle = pulse_store::reviews::cycle(&state.db, s.cycle_id)
        .await?
        .ok_or_else(|| AppError::not_found("评价周期", "review cycle"))?;
    let period = pulse_store::goals::period_by_code(&state.db, &cycle.period_code).await?;
    let end = period.map_or(state.db.today(), |p| p.ends_on.min(state.db.today()));
    Ok(data::year_of_quarters(end))
}

/// The redactor for a case while blind; `None` once revealed.
async fn redactor(
    state: &AppState,
    s: &Session,
    c: &Case,
    year: &[Quarter],
) -> AppResult<Option<Redactor>> {
    if !s.blind() {
        return Ok(None);
    }
    let (from, to) = (
        year.first().map_or(0, |q| q.from),
        year.last().map_or(0, |q| q.to),
    );
    let mut terms = vec![
        (c.name.clone(), Mask::Person),
        (c.employee_no.clone(), Mask::EmployeeNo),
        (c.unit_name.clone(), Mask::Unit),
        (c.manager_name.clone(), Mask::Colleague),
    ];
    for name in data::customer_names(&state.db, c.person_id, from, to).await? {
        terms.push((name, Mask::Customer));
    }
    Ok(Some(Redactor::new(terms)))
}

fn clean(r: &Option<Redactor>, text: &str, lang: Lang) -> String {
    match r {
        Some(r) => r.apply(text, lang),
        None => text.to_string(),
    }
}

pub async fn pack(state: &AppState, s: &Session, c: &Case, lang: Lang) -> AppResult<Pack> {
    let year = quarters(state, s).await?;
    let figures = data::process_data(&state.db, c.person_id, &year).await?;
    let tr = Tr(lang);
    let label = |code: &str| period_label(code, code, lang);
    let rows: Vec<QuarterRow> = figures
        .iter()
        .map(|f| QuarterRow {
            label: label(&f.code),
            visits: f.visits.to_string(),
            evaluation: f1(f.evaluation_avg),
            on_time: (f.on_time * 100)
                .checked_div(f.deliveries)
                .map_or("–".into(), |p| format!("{p}%")),
            response: f
                .response_avg_minutes
                .map_or("–".into(), |m| format!("{m:.0}")),
            tickets: f.tickets.to_string(),
            cards: f.cards.to_string(),
            card_rating: f1(f.card_rating_avg),
            goal: f
                .goal_score_bp
                .map_or("–".into(), |bp| format!("{:.0}%", bp as f64 / 100.0)),
        })
        .collect();
    let visit_items: Vec<(String, f64, String)> = figures
        .iter()
        .map(|f| (label(&f.code), f64::from(f.visits), f.visits.to_string()))
        .collect();
    let max = visit_items.iter().map(|v| v.1).fold(1.0, f64::max);
    let items: Vec<(&str, f64, String)> = visit_items
        .iter()
        .map(|(l, v, t)| (l.as_str(), *v, t.clone()))
        .collect();
    let visits_chart = charts::bars(
        "cal-visits",
        tr.t("calibration.visits_per_quarter"),
        &items,
        max,
    );
    let x: Vec<String> = figures.iter().map(|f| label(&f.code)).collect();
    let goal_chart = charts::lines(
        "cal-goals",
        tr.t("calibration.goal_and_rating"),
        &x,
        &[
            (
                tr.t("calibration.goal_pct"),
                figures
                    .iter()
                    .map(|f| f.goal_score_bp.map(|bp| bp as f64 / 100.0))
                    .collect(),
            ),
            (
                tr.t("calibration.evaluation_x20"),
                figures
                    .iter()
                    .map(|f| f.evaluation_avg.map(|v| v * 20.0))
                    .collect(),
            ),
        ],
    );
    let r = redactor(state, s, c, &year).await?;
    let texts = data::texts(&state.db, c.person_id, &year).await?;
    let observations = texts
        .iter()
        .rev()
        .filter(|t| t.kind == "card")
        .take(6)
        .map(|t| clean(&r, &t.text, lang))
        .collect();
    Ok(Pack {
        rows,
        visits_chart,
        goal_chart,
        observations,
    })
}

pub struct PointView {
    pub anchor: String,
    pub quarter: String,
    pub score: String,
    pub sentences: Vec<(String, String)>,
}

pub struct SeriesView {
    pub competency: String,
    pub points: Vec<PointView>,
}

pub struct HeatRow {
    pub region: String,
    pub highlight: bool,
    pub people: usize,
    pub cells: Vec<HeatCell>,
}

pub struct HeatCell {
    pub text: String,
    pub class: &'static str,
    pub title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/screen.html")]
struct ScreenPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    side: String,
    session_name: String,
    case_label: String,
    blind: bool,
    has_case: bool,
    pack: Option<Pack>,
    series: Vec<SeriesView>,
    trajectory_chart: String,
    dictionary_empty: bool,
    heat_cols: Vec<String>,
    heat_rows: Vec<HeatRow>,
    national: Vec<String>,
    family: String,
    /// The divergence banner when the case on screen is flagged.
    flag_text: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct ScreenQuery {
    case: Option<i64>,
}

/// The deviation class of a region's figure from the national mean.
pub fn deviation_class(dev_pct: f64, higher_is_better: bool) -> &'static str {
    let good = if higher_is_better { dev_pct } else { -dev_pct };
    match good {
        g if g >= 15.0 => "dev-good2",
        g if g >= 5.0 => "dev-good1",
        g if g <= -15.0 => "dev-bad2",
        g if g <= -5.0 => "dev-bad1",
        _ => "dev-even",
    }
}

pub async fn screen(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, side)): Path<(i64, String)>,
    Query(q): Query<ScreenQuery>,
) -> AppResult<Response> {
    if !matches!(side.as_str(), "left" | "middle" | "right") {
        return Err(AppError::not_found("屏幕", "screen"));
    }
    let ctx = page.at("calibration");
    let lang = ctx.lang();
    let (s, _) = service::open(&state, &caller, id).await?;
    let cases = calibration::cases(&state.db, id).await?;
    let case = match q.case.or(s.current_case_id) {
        Some(cid) => cases.iter().find(|c| c.id == cid),
        None => cases.first(),
    };
    let tr = ctx.tr;
    let case_label = case.map_or(String::new(), |c| {
        if s.blind() {
            pseudonym(c.seq, lang)
        } else {
            format!("{} · {} · {}", pseudonym(c.seq, lang), c.name, c.unit_name)
        }
    });
    let family = case.map_or(s.job_family.clone(), |c| c.job_family.clone());
    let mut page_data = ScreenPage {
        id,
        side: side.clone(),
        session_name: s.name.clone(),
        case_label,
        blind: s.blind(),
        has_case: case.is_some(),
        pack: None,
        series: Vec::new(),
        trajectory_chart: String::new(),
        dictionary_empty: false,
        heat_cols: Vec::new(),
        heat_rows: Vec::new(),
        national: Vec::new(),
        family: family.clone(),
        flag_text: match case {
            Some(c) => flag_text(&state, &s, c, &tr).await?,
            None => String::new(),
        },
        tr,
        nav: ctx.nav,
    };
    match (side.as_str(), case) {
        ("left", Some(c)) => {
            let reference = format!("case:{id}/{}", c.id);
            crate::features::privacy::service::viewed(
                &state,
                &caller,
                c.person_id,
                "calibration",
                &reference,
            )
            .await?;
            page_data.pack = Some(pack(&state, &s, c, lang).await?);
        }
        ("middle", Some(c)) => middle(&state, &s, c, lang, &mut page_data).await?,
        ("right", c) => right(&state, &s, c, &family, lang, &mut page_data).await?,
        _ => {}
    }
    Ok(page_data.into_response())
}

/// "委员评分分歧较大（σ 1.25 > 1.2）…" for a flagged case, else empty.
async fn flag_text(state: &AppState, s: &Session, c: &Case, tr: &Tr) -> AppResult<String> {
    let scores = calibration::scores(&state.db, s.id).await?;
    let now: Vec<f64> = scores
        .iter()
        .filter(|x| x.case_id == c.id && x.round == c.round)
        .map(|x| x.score)
        .collect();
    let sp = pulse_domain::calibration::spread(&now);
    if !sp.flagged(s.sigma_threshold) {
        return Ok(String::new());
    }
    Ok(tr
        .t("calibration.flag_alert")
        .replace("{sigma}", &format!("{:.2}", sp.sigma.unwrap_or(0.0)))
        .replace("{t}", &format!("{:.1}", s.sigma_threshold)))
}

/// The HRBP's dictionary as (competency, keywords), in display order.
pub async fn dictionary(state: &AppState) -> AppResult<Vec<(String, Vec<String>)>> {
    let mut dictionary: Vec<(String, Vec<String>)> = Vec::new();
    for w in pulse_store::calibration::keywords::keywords(&state.db).await? {
        match dictionary.iter_mut().find(|d| d.0 == w.competency) {
            Some(d) => d.1.push(w.keyword),
            None => dictionary.push((w.competency, vec![w.keyword])),
        }
    }
    Ok(dictionary)
}

/// A case's capability trajectory over the session's year (C2 middle, C6).
pub async fn trajectory_of(
    state: &AppState,
    s: &Session,
    c: &Case,
    dictionary: &[(String, Vec<String>)],
) -> AppResult<(Vec<Quarter>, Vec<pulse_text::trajectory::Series>)> {
    let year = quarters(state, s).await?;
    let texts = data::texts(&state.db, c.person_id, &year).await?;
    let series = trajectory_from(state, &year, &texts, dictionary).await?;
    Ok((year, series))
}

/// The trajectory over texts already read (the gap map reads a session's
/// texts at once).
pub async fn trajectory_from(
    state: &AppState,
    year: &[Quarter],
    texts: &[data::SourceText],
    dictionary: &[(String, Vec<String>)],
) -> AppResult<Vec<pulse_text::trajectory::Series>> {
    let analyzer: Arc<pulse_text::Analyzer> = state.text.analyzer(&state.db).await?;
    let codes: Vec<String> = year.iter().map(|q| q.code.clone()).collect();
    let sources: Vec<pulse_text::trajectory::Source<'_>> = texts
        .iter()
        .map(|t| pulse_text::trajectory::Source {
            quarter: &t.quarter,
            reference: format!("{}:{}", t.kind, t.id),
            text: &t.text,
        })
        .collect();
    Ok(pulse_text::trajectory::trajectory(
        &analyzer, dictionary, &codes, &sources,
    ))
}

async fn middle(
    state: &AppState,
    s: &Session,
    c: &Case,
    lang: Lang,
    out: &mut ScreenPage,
) -> AppResult<()> {
    let dictionary = dictionary(state).await?;
    out.dictionary_empty = dictionary.is_empty();
    let (year, series) = trajectory_of(state, s, c, &dictionary).await?;
    let codes: Vec<String> = year.iter().map(|q| q.code.clone()).collect();
    let r = redactor(state, s, c, &year).await?;
    let tr = Tr(lang);
    let x: Vec<String> = codes.iter().map(|q| period_label(q, q, lang)).collect();
    let lines: Vec<(&str, Vec<Option<f64>>)> = series
        .iter()
        .map(|se| {
            (
                se.competency.as_str(),
                se.points
                    .iter()
                    .map(|p| p.score.map(|v| v * 20.0))
                    .collect(),
            )
        })
        .collect();
    out.trajectory_chart = charts::lines(
        "cal-trajectory",
        tr.t("calibration.trajectory_chart"),
        &x,
        &lines,
    );
    out.series = series
        .iter()
        .enumerate()
        .map(|(ci, se)| SeriesView {
            competency: se.competency.clone(),
            points: se
                .points
                .iter()
                .enumerate()
                .map(|(qi, p)| PointView {
                    anchor: format!("src-{ci}-{qi}"),
                    quarter: period_label(&p.quarter, &p.quarter, lang),
                    score: p.score.map_or("–".into(), |v| format!("{v:.1}")),
                    sentences: p
                        .sentences
                        .iter()
                        .map(|snt| {
                            let source = if snt.reference.starts_with("review") {
                                tr.t("calibration.source_review")
                            } else {
                                tr.t("calibration.source_card")
                            };
                            (source.to_string(), clean(&r, &snt.text, lang))
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(())
}

async fn right(
    state: &AppState,
    s: &Session,
    c: Option<&Case>,
    family: &str,
    lang: Lang,
    out: &mut ScreenPage,
) -> AppResult<()> {
    let figures = data::region_figures(&state.db, state.db.today(), family).await?;
    let zh = lang == Lang::Zh;
    out.heat_cols = figures
        .columns
        .iter()
        .map(|c| format!("{} · {}", c.job_family, c.metric.label(zh)))
        .collect();
    out.national = figures.national.iter().map(|v| f1(*v)).collect();
    // Blind: highlight only the session's own region, which names nobody.
    let case_region = match c {
        Some(c) => {
            let tree = state.org_tree().await?;
            tree.path(c.org_unit_id)
                .into_iter()
                .find(|u| u.kind == "region")
                .map(|u| u.id)
        }
        None => None,
    };
    let highlight = if s.blind() {
        s.region_unit_id.filter(|r| Some(*r) == case_region)
    } else {
        case_region
    };
    out.heat_rows = figures
        .regions
        .iter()
        .map(|row| HeatRow {
            region: row.name.clone(),
            highlight: Some(row.id) == highlight,
            people: row.people,
            cells: figures
                .columns
                .iter()
                .zip(&row.means)
                .zip(&figures.national)
                .map(|((col, v), nat)| match (v, nat) {
                    (Some(v), Some(n)) if n.abs() > f64::EPSILON => {
                        let dev = (v - n) / n * 100.0;
                        HeatCell {
                            text: format!("{v:.1}"),
                            class: deviation_class(dev, col.metric.higher_is_better()),
                            title: if dev.round() == 0.0 {
                                "±0%".into()
                            } else {
                                format!("{dev:+.0}%")
                            },
                        }
                    }
                    (Some(v), _) => HeatCell {
                        text: format!("{v:.1}"),
                        class: "dev-even",
                        title: String::new(),
                    },
                    _ => HeatCell {
                        text: "–".into(),
                        class: "dev-none",
                        title: String::new(),
                    },
                })
                .collect(),
        })
        .collect();
    Ok(())
}
