//! Goal setup for HR: metrics, templates, the strategy tree, closing periods (G1–G3, G7).

use super::rules_pages::*;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::weights::percent;
use pulse_store::goals;

#[derive(Template, WebTemplate)]
#[template(path = "goals/goal_setup.html")]
pub(super) struct SetupPage {
    tr: Tr,
    nav: Nav,
    metrics: Vec<goals::Metric>,
    /// Job family → "FOC 25% 35" lines.
    templates: Vec<(String, String)>,
    /// The strategy tree depth-first: (depth, node).
    tree: Vec<(usize, goals::TreeNode)>,
    /// Company goals and objectives of the running period: (id, label) for the parent picker.
    parents: Vec<(i64, String)>,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn render_setup(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let mut templates: Vec<(String, String)> = Vec::new();
    for t in goals::templates(&state.db).await? {
        let line = format!(
            "{} {}{}",
            t.metric_code,
            percent(t.weight_bp),
            t.target.map(|x| format!(" {x}")).unwrap_or_default()
        );
        match templates.last_mut() {
            Some((family, lines)) if *family == t.job_family => {
                lines.push('\n');
                lines.push_str(&line);
            }
            _ => templates.push((t.job_family, line)),
        }
    }
    let mut parents = Vec::new();
    let mut tree = Vec::new();
    if let Some(p) = service::period(state, None).await? {
        parents = goals::tree_parents(&state.db, p.id).await?;
        tree = pulse_domain::goals::flatten_tree(goals::unit_tree(&state.db, p.id).await?);
    }
    Ok(SetupPage {
        parents,
        tree,
        metrics: goals::metrics(&state.db).await?,
        templates,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn setup(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("setup");
    render_setup(&state, ctx, None, None).await
}

pub(super) async fn setup_outcome(
    state: &AppState,
    ctx: PageCtx,
    ok: String,
    result: AppResult<()>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    match result {
        Ok(()) => render_setup(state, ctx, Some(ok), None).await,
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_setup(state, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn setup_metric(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("setup");
    let m = goals::MetricInput {
        code: form.text("code"),
        name: form.text("name"),
        unit: form.text("unit"),
        direction: form.text("direction"),
        source: form.text("source"),
        formula: form.text("formula"),
        description: form.text("description"),
    };
    let ok = format!("{} {}", m.name, ctx.lang().pick("已保存", "saved"));
    let result = service::save_metric(&state, &m).await;
    setup_outcome(&state, ctx, ok, result).await
}

/// Saves a job family's template, and with `apply` gives it to everyone of
/// the family who has no KPIs this period.
pub async fn setup_template(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("setup");
    let lang = ctx.lang();
    let family = form.text("job_family");
    let apply = form.text("action") == "apply";
    let result: AppResult<String> = async {
        let lines =
            service::parse_template_lines(&form.text("lines")).map_err(AppError::invalid)?;
        service::save_template(&state, &family, &lines).await?;
        if apply {
            let n = service::apply_template(&state, &caller, &family).await?;
            Ok(format!(
                "{family}：{} {n} {}",
                lang.pick("模板已保存并下发给", "template saved and given to"),
                lang.pick("人", "people")
            ))
        } else {
            Ok(format!(
                "{family}：{}",
                lang.pick("模板已保存", "template saved")
            ))
        }
    }
    .await;
    match result {
        Ok(msg) => setup_outcome(&state, ctx, msg, Ok(())).await,
        Err(e) => setup_outcome(&state, ctx, String::new(), Err(e)).await,
    }
}

/// The goal-tree form on the setup page.
pub async fn setup_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("setup");
    let parent = form.text("parent_id").parse::<i64>().ok();
    let title = form.text("title");
    let result = service::create_unit_goal(
        &state,
        &caller,
        &form.text("kind"),
        &title,
        &form.text("unit"),
        parent,
    )
    .await
    .map(|_| ());
    let ok = format!(
        "{title} {}",
        ctx.lang().pick("已加入目标树", "added to the goal tree")
    );
    setup_outcome(&state, ctx, ok, result).await
}

/// Renames a goal of the tree from the setup page (HR).
pub async fn setup_edit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("setup");
    let title = form.text("title");
    let result = service::edit_unit_goal(&state, &caller, id, Some(&title), None).await;
    let ok = format!("{title} {}", ctx.lang().pick("已保存", "saved"));
    setup_outcome(&state, ctx, ok, result).await
}

pub async fn close_period(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let result = service::close_period(&state, &caller, &code).await;
    let ctx = page.at("rules");
    let lang = ctx.lang();
    match result {
        Ok(p) => {
            let msg = format!(
                "{} {}",
                pulse_domain::goals::period_label(&p.code, &p.name, lang),
                lang.pick("已关闭，数据已冻结", "closed and frozen")
            );
            render_rules(&state, ctx, Some(msg), None, None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_rules(&state, ctx, None, Some(msg), None).await
        }
        Err(e) => Err(e),
    }
}
