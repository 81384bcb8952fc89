//! Alignment pages (H1): HR's rounds with the start form and the HRBP's
//! verification queue (each claim beside the person's goal chains); the
//! sampled person's phone form for their three busiest tasks.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::health::Verdict;
use pulse_domain::roles::Role;
use pulse_store::health::alignment::{self, Membership, NewRound, Round};

use super::alignment_api::{self, OutcomeDto, PendingDto};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

pub struct RoundRow {
    pub r: Round,
    pub started: String,
    pub outcome: OutcomeDto,
}

pub struct Claim {
    pub p: PendingDto,
    /// The person's goals, each as its chain up to the company goal; true
    /// where the chain ends in the goal the task names.
    pub chains: Vec<(String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "org_health/alignment.html")]
struct RoundsPage {
    tr: Tr,
    nav: Nav,
    rows: Vec<RoundRow>,
    queue: Vec<Claim>,
    /// All claims waiting, of which `queue` is the first page.
    pending: i64,
    can_verify: bool,
    error: Option<String>,
    verify_error: Option<(i64, String)>,
    typed: (String, String, String, bool),
}

async fn claims(state: &AppState, limit: i64) -> AppResult<Vec<Claim>> {
    let mut out = Vec::new();
    for p in alignment::queue(&state.db, None, limit).await? {
        let period = pulse_store::goals::goal(&state.db, p.goal_id)
            .await?
            .map(|g| g.period_id)
            .unwrap_or_default();
        let mut chains = Vec::new();
        for g in pulse_store::goals::person_goals(&state.db, p.person_id, period).await? {
            let up = pulse_store::goals::chain(&state.db, g.id).await?;
            let ends = up.last().is_some_and(|t| t.id == p.goal_id);
            let mut titles = vec![g.title.clone()];
            titles.extend(up.iter().map(|u| u.title.clone()));
            chains.push((titles.join(" → "), ends));
        }
        out.push(Claim {
            p: alignment_api::pending_dto(p),
            chains,
        });
    }
    Ok(out)
}

async fn render_rounds(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    error: Option<String>,
    verify_error: Option<(i64, String)>,
    typed: Option<(String, String, String, bool)>,
) -> AppResult<Response> {
    let tree = state.org_tree().await?;
    let mut rows = Vec::new();
    for r in alignment::rounds(&state.db).await? {
        let o = alignment::outcome(&state.db, &tree, r.id).await?;
        rows.push(RoundRow {
            started: crate::pages::fmt_ms(r.created_at),
            outcome: alignment_api::outcome_dto(&o),
            r,
        });
    }
    Ok(RoundsPage {
        rows,
        queue: claims(state, 20).await?,
        pending: alignment::pending_count(&state.db).await?,
        can_verify: caller.has_role(Role::Hrbp),
        error,
        verify_error,
        typed: typed.unwrap_or((String::new(), "50".into(), String::new(), true)),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /health/alignment` (HR).
pub async fn rounds(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    render_rounds(&state, page.at("health"), &caller, None, None, None).await
}

/// `POST /health/alignment` (HR): draws a round; a refusal keeps what was typed.
pub async fn start(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (
        form.text("name"),
        form.text("sample_size"),
        form.text("seed"),
        form.get("stratified").is_some(),
    );
    let result = async {
        let size = typed.1.parse::<i64>().map_err(|_| {
            AppError::bad_request("抽样人数请填写整数", "the sample size is a whole number")
        })?;
        let seed = match typed.2.as_str() {
            "" => None,
            s => Some(
                s.parse::<u64>()
                    .ok()
                    .filter(|v| *v < 1 << 53)
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "种子应为 0 到 2^53−1 之间的整数",
                            "the seed is a whole number from 0 to 2^53−1",
                        )
                    })?,
            ),
        };
        let tree = state.org_tree().await?;
        Ok::<i64, AppError>(
            alignment::start(
                &state.db,
                &state.actor(&caller),
                &tree,
                &NewRound {
                    name: typed.0.clone(),
                    size,
                    seed,
                    stratified: typed.3,
                },
            )
            .await?,
        )
    }
    .await;
    rerender_or_redirect(
        result,
        |id| format!("/health/alignment#round-{id}"),
        |e| async move {
            let ctx = page.at("health");
            let msg = e.message(ctx.lang()).to_string();
            render_rounds(&state, ctx, &caller, Some(msg), None, Some(typed)).await
        },
    )
    .await
}

/// `POST /health/alignment/{id}/close` (HR).
pub async fn close(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    alignment_api::round_of(&state, id).await?;
    alignment::close(&state.db, &state.actor(&caller), id).await?;
    Ok(Redirect::to(&format!("/health/alignment#round-{id}")).into_response())
}

/// `POST /health/alignment/tasks/{id}/verify` (an HRBP).
pub async fn verify(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let result = async {
        let v = Verdict::parse(&form.text("verdict")).map_err(AppError::invalid)?;
        alignment::verify(&state.db, &state.actor(&caller), id, v)
            .await
            .map_err(AppError::from)
    }
    .await;
    rerender_or_redirect(
        result,
        |_| "/health/alignment#queue".to_string(),
        |e| async move {
            let ctx = page.at("health");
            let msg = e.message(ctx.lang()).to_string();
            render_rounds(&state, ctx, &caller, None, Some((id, msg)), None).await
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "org_health/tasks.html")]
struct TasksPage {
    tr: Tr,
    nav: Nav,
    round: Round,
    member: Membership,
    goals: Vec<(i64, String)>,
    error: Option<String>,
    typed: Vec<(String, String)>,
}

async fn render_tasks(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    error: Option<String>,
    typed: Vec<(String, String)>,
) -> AppResult<Response> {
    let round = alignment_api::round_of(state, id).await?;
    let Some(member) = alignment::membership(&state.db, id, caller.person_id).await? else {
        if service::is_hr(caller) {
            return Ok(Redirect::to(&format!("/health/alignment#round-{id}")).into_response());
        }
        return Err(AppError::not_found("抽样轮次", "alignment round"));
    };
    let typed = if typed.is_empty() {
        vec![(String::new(), String::new()); 3]
    } else {
        typed
    };
    Ok(TasksPage {
        goals: alignment::top_goals(&state.db).await?,
        round,
        member,
        error,
        typed,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /health/alignment/{id}`: the sampled person's form (HR: the round).
pub async fn my_tasks(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render_tasks(&state, page.at("inbox"), &caller, id, None, Vec::new()).await
}

/// `POST /health/alignment/{id}/tasks`: a refusal keeps all three as typed.
pub async fn submit(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let typed: Vec<(String, String)> = (1..=3)
        .map(|i| {
            (
                form.text(&format!("task{i}")),
                form.text(&format!("goal{i}")),
            )
        })
        .collect();
    let result = async {
        let mut tasks = Vec::new();
        for (text, goal) in &typed {
            let goal = match goal.as_str() {
                "" => {
                    return Err(AppError::bad_request(
                        "请为每项工作选择支撑的 TOP 目标，或“都不支撑”",
                        "for each task, choose the TOP goal it supports, or none",
                    ));
                }
                "none" => None,
                g => Some(g.parse::<i64>().map_err(|_| {
                    AppError::bad_request(
                        "请选择一个 TOP 目标或“都不支撑”",
                        "choose a TOP goal or none",
                    )
                })?),
            };
            tasks.push((text.clone(), goal));
        }
        alignment::submit(
            &state.db,
            &state.actor(&caller),
            id,
            caller.person_id,
            &tasks,
        )
        .await
        .map_err(AppError::from)
    }
    .await;
    rerender_or_redirect(
        result,
        |_| format!("/health/alignment/{id}"),
        |e| async move {
            let ctx = page.at("inbox");
            let msg = e.message(ctx.lang()).to_string();
            render_tasks(&state, ctx, &caller, id, Some(msg), typed).await
        },
    )
    .await
}
