//! HR's cycle pages: the list with the launch form, and a cycle's progress
//! (who is late, per unit), writing figures, release and completion.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::reviews::CycleState;
use pulse_store::accounts::Caller;
use pulse_store::reviews::{self, progress};
use serde::Deserialize;

use super::service::{self, LaunchInput};
use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

pub struct CycleRow {
    pub id: i64,
    pub name: String,
    pub period: String,
    pub population: String,
    pub due: String,
    pub state: String,
    pub state_label: String,
    pub reviews: i64,
    pub submitted: i64,
    pub released: i64,
}

/// What the launch form had in it.
pub struct LaunchForm {
    pub name: String,
    pub period: String,
    pub kind: String,
    pub value: String,
    pub scale_max: String,
    pub halves: bool,
    pub with_self: bool,
    pub due_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/cycles.html")]
struct CyclesPage {
    tr: Tr,
    nav: Nav,
    cycles: Vec<CycleRow>,
    periods: Vec<(String, String)>,
    units: Vec<(String, String)>,
    families: Vec<String>,
    form: LaunchForm,
    error: Option<String>,
}

fn population_label(tr: &Tr, kind: &str, value: &str, units: &[(String, String)]) -> String {
    match kind {
        "unit" => units
            .iter()
            .find(|u| u.0 == value)
            .map_or(value.to_string(), |u| u.1.clone()),
        "job_family" => value.to_string(),
        _ => tr.t("reviews.pop.company").to_string(),
    }
}

async fn render_cycles(
    state: &AppState,
    ctx: PageCtx,
    form: Option<LaunchForm>,
    error: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let units: Vec<(String, String)> = state
        .org_tree()
        .await?
        .units
        .iter()
        .filter(|u| u.kind != "team")
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let periods: Vec<(String, String)> = pulse_store::goals::periods(&state.db)
        .await?
        .iter()
        .map(|p| (p.code.clone(), p.label(lang)))
        .collect();
    let cycles = reviews::cycles(&state.db)
        .await?
        .iter()
        .map(|c| CycleRow {
            id: c.id,
            name: c.name.clone(),
            period: pulse_domain::goals::period_label(&c.period_code, &c.period_name, lang),
            population: population_label(&ctx.tr, &c.population_kind, &c.population_value, &units),
            due: c.due_on.to_string(),
            state: c.state.clone(),
            state_label: CycleState::from_code(&c.state)
                .map(|s| s.label(lang).to_string())
                .unwrap_or_default(),
            reviews: c.reviews,
            submitted: c.submitted,
            released: c.released,
        })
        .collect();
    let form = form.unwrap_or_else(|| LaunchForm {
        name: String::new(),
        period: periods.first().map(|p| p.0.clone()).unwrap_or_default(),
        kind: "company".into(),
        value: String::new(),
        scale_max: "5".into(),
        halves: false,
        with_self: false,
        due_on: (state.db.today() + chrono::Days::new(14)).to_string(),
    });
    Ok(CyclesPage {
        cycles,
        periods,
        units,
        families: pulse_store::people::job_families(&state.db).await?,
        form,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn cycles(State(state): State<AppState>, _me: Me, page: Page) -> AppResult<Response> {
    render_cycles(&state, page.at("review_cycles"), None, None).await
}

pub async fn launch(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let f = LaunchForm {
        name: form.text("name"),
        period: form.text("period"),
        kind: form.text("population_kind"),
        value: if form.text("population_kind") == "job_family" {
            form.text("job_family")
        } else {
            form.text("unit")
        },
        scale_max: form.text("scale_max"),
        halves: form.text("halves") == "1",
        with_self: form.text("self_assessment") == "1",
        due_on: form.text("due_on"),
    };
    let result = launch_from(&state, &caller, &f).await;
    rerender_or_redirect(
        result,
        |c| format!("/reviews/cycles/{}?launched=1", c.id),
        |e| async move {
            let ctx = page.at("review_cycles");
            let msg = e.message(ctx.lang()).to_string();
            render_cycles(&state, ctx, Some(f), Some(msg)).await
        },
    )
    .await
}

async fn launch_from(
    state: &AppState,
    caller: &Caller,
    f: &LaunchForm,
) -> AppResult<reviews::Cycle> {
    let period = pulse_store::goals::period_by_code(&state.db, f.period.trim())
        .await?
        .ok_or_else(|| {
            crate::error::AppError::invalid(pulse_domain::Problem::new(
                "unknown_period",
                "请选择考核期",
                "choose a period",
            ))
        })?;
    service::launch(
        state,
        caller,
        &LaunchInput {
            name: f.name.clone(),
            period_id: period.id,
            population_kind: f.kind.clone(),
            population_value: f.value.clone(),
            scale_max: f.scale_max.trim().parse().unwrap_or(0),
            halves: f.halves,
            self_assessment: f.with_self,
            due_on: f.due_on.clone(),
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/cycle.html")]
struct CyclePage {
    tr: Tr,
    nav: Nav,
    c: CycleRow,
    frozen: bool,
    units: Vec<progress::UnitProgress>,
    late: Vec<progress::LateReviewer>,
    past_due: bool,
    stats: progress::WritingStats,
    median: String,
    avg_edits: String,
    releasable: i64,
    q: String,
    found: Vec<(i64, String, String, String, String)>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct CycleQuery {
    launched: Option<String>,
    released: Option<usize>,
    completed: Option<String>,
    q: Option<String>,
}

async fn render_cycle(
    state: &AppState,
    ctx: PageCtx,
    id: i64,
    q: &str,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let c = service::cycle_for_hr(state, id).await?;
    let today = state.db.today();
    let units = progress::by_unit(&state.db, id, today).await?;
    let past_due = today > c.due_on;
    let late = if past_due {
        progress::late_reviewers(&state.db, id).await?
    } else {
        Vec::new()
    };
    let stats = progress::writing_stats(&state.db, id).await?;
    let median = stats
        .median_seconds
        .map(|s| {
            ctx.tr
                .t("reviews.minutes")
                .replace("{n}", &format!("{:.1}", s as f64 / 60.0))
        })
        .unwrap_or_default();
    let avg_edits = stats
        .average_edits
        .map(|e| format!("{e:.1}"))
        .unwrap_or_default();
    let releasable = units.iter().map(|u| u.submitted).sum();
    let found = if q.trim().is_empty() {
        Vec::new()
    } else {
        reviews::search(&state.db, id, q, 20)
            .await?
            .into_iter()
            .map(|r| {
                let label = super::service::state_label(&r, lang, today);
                (r.id, r.employee_no, r.name, r.reviewer_name, label)
            })
            .collect()
    };
    Ok(CyclePage {
        frozen: c.frozen(),
        c: CycleRow {
            id: c.id,
            name: c.name.clone(),
            period: pulse_domain::goals::period_label(&c.period_code, &c.period_name, lang),
            population: population_label(&ctx.tr, &c.population_kind, &c.population_value, &[]),
            due: c.due_on.to_string(),
            state: c.state.clone(),
            state_label: CycleState::from_code(&c.state)
                .map(|s| s.label(lang).to_string())
                .unwrap_or_default(),
            reviews: c.reviews,
            submitted: c.submitted,
            released: c.released,
        },
        units,
        late,
        past_due,
        stats,
        median,
        avg_edits,
        releasable,
        q: q.to_string(),
        found,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn cycle(
    State(state): State<AppState>,
    _me: Me,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<CycleQuery>,
) -> AppResult<Response> {
    let ctx = page.at("review_cycles");
    let message = if q.launched.is_some() {
        Some(ctx.tr.t("reviews.launched").to_string())
    } else if let Some(n) = q.released {
        Some(
            ctx.tr
                .t("reviews.released_msg")
                .replace("{n}", &n.to_string()),
        )
    } else if q.completed.is_some() {
        Some(ctx.tr.t("reviews.completed_msg").to_string())
    } else {
        None
    };
    render_cycle(&state, ctx, id, q.q.as_deref().unwrap_or(""), message, None).await
}

pub async fn release(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let result = async {
        service::cycle_for_hr(&state, id).await?;
        Ok(reviews::release(
            &state.db,
            &state.actor(&caller),
            id,
            &state.config.public_url,
        )
        .await?)
    }
    .await;
    let done = result
        .as_ref()
        .map_or(String::new(), |n| format!("released={n}"));
    answer(state, page, id, result, &done).await
}

pub async fn complete(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let result = async {
        service::cycle_for_hr(&state, id).await?;
        Ok(reviews::complete(&state.db, &state.actor(&caller), id).await?)
    }
    .await;
    answer(state, page, id, result, "completed=1").await
}

/// POST-redirect-GET for the cycle page's buttons: on success back to the
/// page with `done` in its query; a refusal shows the page with the reason.
async fn answer<T>(
    state: AppState,
    page: Page,
    id: i64,
    result: AppResult<T>,
    done: &str,
) -> AppResult<Response> {
    rerender_or_redirect(
        result,
        |_| format!("/reviews/cycles/{id}?{done}"),
        |e| async move {
            let ctx = page.at("review_cycles");
            let msg = e.message(ctx.lang()).to_string();
            render_cycle(&state, ctx, id, "", None, Some(msg)).await
        },
    )
    .await
}
