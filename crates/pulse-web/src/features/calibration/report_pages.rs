//! C6 reports as a person reads them: the growth letter (A4 print), the list
//! of a session's letters, the gap map heatmap, their workbooks and JSON.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use pulse_domain::reviews::format_rating;
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::calibration::{self, Session};

use super::reports::{self, GapMapDto, Letter, Reader};
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::i18n::{Tr, request_lang};
use crate::pages::{Nav, Page};

#[utoipa::path(get, path = "/api/v1/calibration-sessions/{id}/cases/{case_id}/letter", tag = "calibration",
    params(("id" = i64, Path), ("case_id" = i64, Path)),
    responses((status = 200, body = Letter), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
/// A case's growth letter (C6): the facilitator and HR after the reveal;
/// the person (review released) and their manager once finalized.
pub async fn letter_json(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path((id, case_id)): Path<(i64, i64)>,
) -> AppResult<Json<Letter>> {
    let (s, c, _) = reports::open_letter(&state, &caller, id, case_id).await?;
    let mut rd = Reader::new(&state).await?;
    Ok(Json(
        reports::letter(&state, &mut rd, &s, &c, request_lang(&headers)).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/calibration-sessions/{id}/gaps", tag = "calibration",
    params(("id" = i64, Path)),
    responses((status = 200, body = GapMapDto), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
/// The organisational capability gap map (C6): unit × competency counts of
/// people short on it. For the facilitator and HR.
pub async fn gaps_json(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<GapMapDto>> {
    let s = reports::open_gaps(&state, &caller, id).await?;
    Ok(Json(
        reports::gap_map(&state, &s, request_lang(&headers)).await?,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/letter.html")]
struct LetterPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    /// The person reading their own letter sees no way back to a session
    /// they are not part of.
    back: bool,
    l: Letter,
    rating: String,
}

pub async fn letter_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, case_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let ctx = page.at("calibration");
    let (s, c, back) = reports::open_letter(&state, &caller, id, case_id).await?;
    let mut rd = Reader::new(&state).await?;
    let l = reports::letter(&state, &mut rd, &s, &c, ctx.lang()).await?;
    // The scale's label already leads with the number ("5 · 卓越").
    let rating = l.rating_label.clone().unwrap_or_else(|| "–".into());
    Ok(LetterPage {
        tr: ctx.tr,
        nav: ctx.nav,
        id,
        back,
        l,
        rating,
    }
    .into_response())
}

pub struct LetterRow {
    pub case_id: i64,
    pub pseudonym: String,
    pub name: String,
    pub unit: String,
    pub rating: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/letters.html")]
struct LettersPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    session_name: String,
    rows: Vec<LetterRow>,
}

/// The session's letters, one link each, for the facilitator and HR.
pub async fn letters_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("calibration");
    let s = open_all_letters(&state, &caller, id).await?;
    let lang = ctx.lang();
    let rows = calibration::cases(&state.db, id)
        .await?
        .into_iter()
        .map(|c| LetterRow {
            case_id: c.id,
            pseudonym: pulse_domain::calibration::pseudonym(c.seq, lang),
            rating: c.rating().map_or("–".into(), format_rating),
            name: c.name,
            unit: c.unit_name,
        })
        .collect();
    Ok(LettersPage {
        tr: ctx.tr,
        nav: ctx.nav,
        id,
        session_name: s.name,
        rows,
    }
    .into_response())
}

/// The session if the caller may read all its letters (the facilitator and
/// HR, after the reveal): the first case's rule stands for all.
async fn open_all_letters(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    id: i64,
) -> AppResult<Session> {
    let s = super::service::open_to_run(state, caller, id).await?;
    match calibration::cases(&state.db, id).await?.first() {
        Some(c) => Ok(reports::open_letter(state, caller, id, c.id).await?.0),
        None => Ok(s),
    }
}

/// Every letter of the session as one workbook row each. Workbooks are in
/// Chinese, like the other exports HR hands on.
pub async fn letters_xlsx(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let lang = pulse_domain::Lang::Zh;
    let s = open_all_letters(&state, &caller, id).await?;
    let mut rd = Reader::new(&state).await?;
    let mut rows = Vec::new();
    let join = |ps: &[reports::LetterPoint]| {
        ps.iter()
            .map(|p| format!("{}（{}）", p.competency, p.explanation))
            .collect::<Vec<_>>()
            .join("；")
    };
    let cases = calibration::cases(&state.db, id).await?;
    let subjects: Vec<i64> = cases.iter().map(|c| c.person_id).collect();
    crate::features::privacy::service::viewed_all(
        &state,
        &caller,
        &subjects,
        "calibration",
        &format!("letters:{id}"),
    )
    .await?;
    for c in cases {
        let l = reports::letter(&state, &mut rd, &s, &c, lang).await?;
        rows.push(vec![
            Cell::Text(l.employee_no.clone()),
            Cell::Text(l.name.clone()),
            Cell::Text(l.unit.clone()),
            l.rating.map_or(Cell::Empty, Cell::Number),
            Cell::Text(l.rating_label.clone().unwrap_or_default()),
            Cell::Text(if l.calibrated { "是" } else { "否" }.into()),
            Cell::Text(join(&l.strengths)),
            Cell::Text(join(&l.improve)),
            Cell::Text(l.courses.join("；")),
            Cell::Text(l.rationale.clone()),
        ]);
    }
    let headers = [
        "工号",
        "姓名",
        "单位",
        "评级",
        "评级说明",
        "经校准",
        "优势",
        "待提升的行为",
        "推荐课程",
        "校准说明",
    ];
    let bytes = XlsxTable {
        sheet_name: "成长建议书".into(),
        headers: headers.into_iter().map(String::from).collect(),
        rows,
        widths: vec![12.0, 10.0, 16.0, 8.0, 12.0, 8.0, 48.0, 48.0, 36.0, 36.0],
    }
    .to_bytes()
    .map_err(AppError::internal)?;
    Ok(crate::xlsx_response(
        &format!("成长建议书-{}.xlsx", s.name),
        bytes,
    ))
}

pub struct GapCell {
    pub count: u32,
    pub share: u32,
    pub class: &'static str,
}

pub struct GapRow {
    pub unit: String,
    pub people: u32,
    pub cells: Vec<GapCell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/gaps.html")]
struct GapsPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    session_name: String,
    map: GapMapDto,
    rows: Vec<GapRow>,
}

/// The heat of a cell: a gap is red, half-way to one amber.
fn gap_class(gap: bool, share: u32) -> &'static str {
    match (gap, share) {
        (true, s) if s >= 50 => "dev-bad2",
        (true, _) => "dev-bad1",
        (false, s) if s >= 15 => "dev-warn",
        _ => "dev-even",
    }
}

pub async fn gaps_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("calibration");
    let s = reports::open_gaps(&state, &caller, id).await?;
    let map = reports::gap_map(&state, &s, ctx.lang()).await?;
    let rows = map
        .units
        .iter()
        .map(|u| GapRow {
            unit: u.unit.clone(),
            people: u.people,
            cells: u
                .short
                .iter()
                .zip(&u.gap)
                .map(|(n, g)| {
                    let share = (n * 100).checked_div(u.people).unwrap_or(0);
                    GapCell {
                        count: *n,
                        share,
                        class: gap_class(*g, share),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(GapsPage {
        tr: ctx.tr,
        nav: ctx.nav,
        id,
        session_name: s.name,
        map,
        rows,
    }
    .into_response())
}

pub async fn gaps_xlsx(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let s = reports::open_gaps(&state, &caller, id).await?;
    let map = reports::gap_map(&state, &s, pulse_domain::Lang::Zh).await?;
    let mut headers = vec!["单位".to_string(), "人数".to_string()];
    headers.extend(map.competencies.iter().map(|c| format!("{c}（短板人数）")));
    headers.push("该单位的短板".into());
    let rows = map
        .units
        .iter()
        .map(|u| {
            let mut row = vec![
                Cell::Text(u.unit.clone()),
                Cell::Number(f64::from(u.people)),
            ];
            row.extend(u.short.iter().map(|n| Cell::Number(f64::from(*n))));
            let gaps: Vec<&str> = map
                .competencies
                .iter()
                .zip(&u.gap)
                .filter(|(_, g)| **g)
                .map(|(c, _)| c.as_str())
                .collect();
            row.push(Cell::Text(gaps.join("、")));
            row
        })
        .collect();
    let mut widths = vec![18.0, 8.0];
    widths.extend(map.competencies.iter().map(|_| 14.0));
    widths.push(36.0);
    let sheet = XlsxTable {
        sheet_name: "能力短板地图".into(),
        headers,
        rows,
        widths,
    };
    let about = XlsxTable {
        sheet_name: "说明".into(),
        headers: vec!["校准会".into(), "口径".into()],
        rows: vec![vec![
            Cell::Text(s.name.clone()),
            Cell::Text(map.rule.clone()),
        ]],
        widths: vec![32.0, 96.0],
    };
    let bytes = pulse_sheets::write_tables(&[sheet, about]).map_err(AppError::internal)?;
    Ok(crate::xlsx_response(
        &format!("能力短板地图-{}.xlsx", s.name),
        bytes,
    ))
}
