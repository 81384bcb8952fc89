//! A session's pages: the facilitator's console (case queue, current case,
//! guidance, final ratings, 9-box, moves) and the committee's scoring page
//! (tablet and phone), and the forms they post. Both follow the session
//! live: `app.js` listens to the stream and refreshes the `data-live` region.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::calibration::{Guidance, Level, NineBox, SessionState};
use pulse_domain::reviews::format_rating;
use pulse_store::accounts::Caller;
use pulse_store::calibration::{self, Decision};

use super::pages::{SessionRow, session_row};
use super::screens::{self, Pack};
use super::service::{self, CaseDto};
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

/// A case as a row of the console or the scoring page.
pub struct CaseRow {
    pub id: i64,
    pub pseudonym: String,
    /// "张伟 · 上海二组" once revealed, empty while blind.
    pub who: String,
    pub manager_rating: String,
    pub scores: String,
    pub count: String,
    pub mean: String,
    pub sigma: String,
    pub flagged: bool,
    pub final_rating: String,
    pub current: bool,
    pub my_score: Option<f64>,
    /// The caller's score as the step it shows as ("3.5"), empty if none.
    pub my_text: String,
    pub round: i64,
    pub history: String,
    pub rationale: String,
    pub nine_box: u8,
    pub potential: String,
}

fn num(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.2}"))
}

pub fn case_row(tr: &Tr, c: &CaseDto) -> CaseRow {
    let who = match (&c.name, &c.unit) {
        (Some(n), Some(u)) => format!("{n} · {u}"),
        (Some(n), None) => n.clone(),
        _ => String::new(),
    };
    let scores = c
        .scores
        .iter()
        .map(|s| format_rating(*s))
        .collect::<Vec<_>>()
        .join(" · ");
    CaseRow {
        id: c.case_id,
        pseudonym: c.pseudonym.clone(),
        who,
        manager_rating: c
            .manager_rating
            .map(format_rating)
            .unwrap_or_else(|| "–".into()),
        scores: if scores.is_empty() {
            "–".into()
        } else {
            scores
        },
        count: format!("{}/{}", c.n, c.members),
        mean: num(c.mean),
        sigma: num(c.sigma),
        flagged: c.flagged,
        final_rating: c.final_rating.map(format_rating).unwrap_or_default(),
        current: c.current,
        my_score: c.my_score,
        my_text: c.my_score.map(format_rating).unwrap_or_default(),
        round: c.round,
        history: c
            .history
            .iter()
            .map(|r| {
                let s = r
                    .scores
                    .iter()
                    .map(|x| format_rating(*x))
                    .collect::<Vec<_>>()
                    .join("·");
                tr.t("calibration.round_n")
                    .replace("{n}", &r.round.to_string())
                    .replace("{s}", if s.is_empty() { "–" } else { &s })
                    .replace("{sigma}", &num(r.sigma))
            })
            .collect::<Vec<_>>()
            .join("；"),
        rationale: c.rationale.clone().unwrap_or_default(),
        nine_box: c.nine_box,
        potential: Level::from_code(c.potential)
            .map(|l| l.label(tr.0))
            .unwrap_or("")
            .to_string(),
    }
}

pub struct BandRow {
    pub label: String,
    pub share: u32,
    pub actual: usize,
    pub target: usize,
    pub advice: String,
}

pub struct BoxCell {
    pub number: u8,
    pub label: String,
    pub cases: Vec<(i64, String)>,
}

pub struct Move {
    pub state: &'static str,
    pub label: String,
    pub confirm: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/console.html")]
struct ConsolePage {
    tr: Tr,
    nav: Nav,
    s: SessionRow,
    id: i64,
    blind: bool,
    revealed: bool,
    live: bool,
    finalized: bool,
    facilitator: String,
    sigma_note: String,
    threshold: String,
    duration: String,
    moves: Vec<Move>,
    cases: Vec<CaseRow>,
    current: Option<CaseRow>,
    bands: Vec<BandRow>,
    guidance: String,
    boxes: Vec<BoxCell>,
    steps: Vec<(String, String)>,
    pack: Option<Pack>,
    error: Option<String>,
    typed_rating: String,
    typed_rationale: String,
    typed_potential: String,
    /// The gap map opens to whoever runs the room, except a blind member.
    gaps_open: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "calibration/score.html")]
struct ScorePage {
    tr: Tr,
    nav: Nav,
    s: SessionRow,
    id: i64,
    blind: bool,
    open: bool,
    sigma_note: String,
    threshold: String,
    cases: Vec<CaseRow>,
    current: Option<CaseRow>,
    steps: Vec<String>,
    pack: Option<Pack>,
    error: Option<String>,
    runs: bool,
}

fn moves(tr: &Tr, s: SessionState) -> Vec<Move> {
    SessionState::ALL
        .into_iter()
        .filter(|to| s.can_move_to(*to))
        .map(|to| Move {
            state: to.as_str(),
            label: tr
                .t(&format!("calibration.move.{}", to.as_str()))
                .to_string(),
            confirm: if to == SessionState::Finalized {
                tr.t("calibration.confirm_finalize").to_string()
            } else {
                String::new()
            },
        })
        .collect()
}

/// What a refused console form had in it.
#[derive(Default)]
pub struct Typed {
    pub error: Option<String>,
    pub rating: String,
    pub rationale: String,
    pub potential: String,
}

pub async fn render_session(
    state: &AppState,
    ctx: PageCtx,
    caller: &Caller,
    id: i64,
    typed: Typed,
) -> AppResult<Response> {
    let (s, st) = service::open(state, caller, id).await?;
    let lang = ctx.lang();
    let cases = calibration::cases(&state.db, id).await?;
    let subjects: Vec<i64> = cases.iter().map(|c| c.person_id).collect();
    crate::features::privacy::service::viewed_all(
        state,
        caller,
        &subjects,
        "rating",
        &format!("calibration:{id}"),
    )
    .await?;
    let scores = calibration::scores(&state.db, id).await?;
    let members = calibration::members(&state.db, id).await?.len();
    let views = service::case_views(&s, &cases, &scores, members, Some(caller.person_id), lang);
    let tr = ctx.tr;
    let rows: Vec<CaseRow> = views.iter().map(|c| case_row(&tr, c)).collect();
    let current_id = s.current_case_id;
    let current_case = cases.iter().find(|c| Some(c.id) == current_id);
    let pack = match current_case {
        Some(c) if views.iter().any(|v| v.case_id == c.id && v.flagged) || !st.member => {
            Some(screens::pack(state, &s, c, lang).await?)
        }
        _ => None,
    };
    let current = views.iter().find(|v| v.current).map(|c| case_row(&tr, c));
    let row = session_row(&tr, &s, st);
    let threshold = format!("{:.1}", s.sigma_threshold);
    let sigma_note = service::sigma_note(lang).to_string();
    if st.member && !st.facilitator {
        let state_now = s.state();
        return Ok(ScorePage {
            s: row,
            id,
            blind: s.blind(),
            open: state_now.blind(),
            sigma_note,
            threshold,
            cases: rows,
            current,
            steps: (2..=10)
                .map(|h| format_rating(f64::from(h) / 2.0))
                .collect(),
            pack,
            error: typed.error,
            runs: st.hr,
            tr,
            nav: ctx.nav,
        }
        .into_response());
    }
    let guidance = s.guidance();
    let ratings: Vec<f64> = cases.iter().filter_map(|c| c.rating()).collect();
    let bands = guidance
        .bands(&ratings, lang)
        .into_iter()
        .map(|b| BandRow {
            advice: advice(&tr, b.delta),
            label: b.label,
            share: b.share,
            actual: b.actual,
            target: b.target,
        })
        .collect();
    let boxes = (1..=9u8)
        .rev()
        .collect::<Vec<_>>()
        .chunks(3)
        .flat_map(|row| row.iter().rev().copied().collect::<Vec<_>>())
        .map(|n| {
            let cell = NineBox::from_number(n).unwrap_or(NineBox {
                performance: Level::Medium,
                potential: Level::Medium,
            });
            BoxCell {
                number: n,
                label: cell.label(lang).to_string(),
                cases: views
                    .iter()
                    .filter(|v| v.nine_box == n)
                    .map(|v| {
                        (
                            v.case_id,
                            v.name.clone().unwrap_or_else(|| v.pseudonym.clone()),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let review_scale = pulse_domain::reviews::RatingScale::new(5, true).unwrap_or_default();
    let steps = review_scale
        .steps()
        .into_iter()
        .rev()
        .map(|v| (format_rating(v), review_scale.label(v, lang)))
        .collect();
    Ok(ConsolePage {
        id,
        blind: s.blind(),
        revealed: s.state() == SessionState::Revealed,
        live: s.state() == SessionState::Live,
        finalized: s.state() == SessionState::Finalized,
        facilitator: s.facilitator_name.clone(),
        sigma_note,
        threshold,
        duration: s
            .duration_ms
            .map(|ms| {
                tr.t("calibration.duration_n")
                    .replace("{n}", &((ms + 30_000) / 60_000).to_string())
            })
            .unwrap_or_default(),
        moves: moves(&tr, s.state()),
        current,
        cases: rows,
        bands,
        guidance: Guidance::parse(&s.guidance).unwrap_or_default().text(),
        boxes,
        steps,
        pack,
        error: typed.error,
        typed_rating: typed.rating,
        typed_rationale: typed.rationale,
        typed_potential: typed.potential,
        gaps_open: !(st.member && s.blind()),
        s: row,
        tr,
        nav: ctx.nav,
    }
    .into_response())
}

fn advice(tr: &Tr, delta: i64) -> String {
    match delta {
        0 => tr.t("calibration.band_ok").to_string(),
        d if d > 0 => tr.t("calibration.band_more").replace("{n}", &d.to_string()),
        d => tr
            .t("calibration.band_fewer")
            .replace("{n}", &(-d).to_string()),
    }
}

pub async fn session(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render_session(
        &state,
        page.at("calibration"),
        &caller,
        id,
        Typed::default(),
    )
    .await
}

async fn answer<T>(
    state: AppState,
    page: Page,
    caller: Caller,
    id: i64,
    result: AppResult<T>,
    typed: Typed,
) -> AppResult<Response> {
    rerender_or_redirect(
        result,
        |_| format!("/calibration/{id}"),
        |e| async move {
            let ctx = page.at("calibration");
            let msg = e.message(ctx.lang()).to_string();
            render_session(
                &state,
                ctx,
                &caller,
                id,
                Typed {
                    error: Some(msg),
                    ..typed
                },
            )
            .await
        },
    )
    .await
}

pub async fn move_to(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let result = async {
        service::open_to_run(&state, &caller, id).await?;
        let to = service::state_from(&form.text("state"))?;
        let (_, event) = calibration::move_to(&state.db, &state.actor(&caller), id, to).await?;
        service::signal(&state, id, event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, Typed::default()).await
}

pub async fn put_on(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let result = async {
        service::open_to_run(&state, &caller, id).await?;
        let case_id = form.text("case_id").parse().unwrap_or(0);
        let event = calibration::put_on(&state.db, &state.actor(&caller), id, case_id).await?;
        service::signal(&state, id, event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, Typed::default()).await
}

pub async fn score(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, case_id)): Path<(i64, i64)>,
    form: FormFields,
) -> AppResult<Response> {
    let result = async {
        let (_, st) = service::open(&state, &caller, id).await?;
        if !st.member {
            return Err(AppError::forbidden());
        }
        let text = form.text("score");
        let value: f64 = text.parse().map_err(|_| {
            AppError::invalid(pulse_domain::Problem::new(
                "invalid_score",
                "请选择 1 到 5 分（可打半分）",
                "choose a score from 1 to 5 (halves allowed)",
            ))
        })?;
        let o = calibration::score(&state.db, id, case_id, caller.person_id, value).await?;
        service::signal(&state, id, o.last_event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, Typed::default()).await
}

pub async fn rescore(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, case_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = async {
        service::open_to_run(&state, &caller, id).await?;
        let (_, event) =
            calibration::rescore(&state.db, &state.actor(&caller), id, case_id).await?;
        service::signal(&state, id, event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, Typed::default()).await
}

pub async fn decide(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, case_id)): Path<(i64, i64)>,
    form: FormFields,
) -> AppResult<Response> {
    let typed = Typed {
        error: None,
        rating: form.text("final_rating"),
        rationale: form.text("rationale"),
        potential: form.text("potential"),
    };
    let result = async {
        service::open_to_run(&state, &caller, id).await?;
        let final_rating: f64 = typed.rating.parse().map_err(|_| {
            AppError::invalid(pulse_domain::Problem::new(
                "invalid_rating",
                "请选择最终评分",
                "choose the final rating",
            ))
        })?;
        let d = Decision {
            final_rating,
            rationale: typed.rationale.clone(),
            potential: Level::from_code(&typed.potential),
        };
        let (_, event) =
            calibration::decide(&state.db, &state.actor(&caller), id, case_id, &d).await?;
        service::signal(&state, id, event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, typed).await
}

pub async fn place(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path((id, case_id)): Path<(i64, i64)>,
    form: FormFields,
) -> AppResult<Response> {
    let result = async {
        service::open_to_run(&state, &caller, id).await?;
        let cell: u8 = form.text("box").parse().unwrap_or(0);
        let (_, event) =
            calibration::place(&state.db, &state.actor(&caller), id, case_id, cell).await?;
        service::signal(&state, id, event);
        Ok(())
    }
    .await;
    answer(state, page, caller, id, result, Typed::default()).await
}
