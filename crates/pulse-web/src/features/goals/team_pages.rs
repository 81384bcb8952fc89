//! Goal pages of a team lead or director: the team board, its key results and the goals export (G2, G4, G7).

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::goals::service::{self, RuleDto};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::roles::Role;
use pulse_domain::weights::percent;
use pulse_store::{adjustments, goals, people};
use serde::Deserialize;

pub struct MemberRow {
    employee_no: String,
    /// The caller may open the person's goals (a committee member leads
    /// people they do not see).
    linkable: bool,
    name: String,
    score: String,
    kpis: Vec<(String, String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "goals/team_goals.html")]
pub(super) struct TeamPage {
    tr: Tr,
    nav: Nav,
    period: String,
    members: Vec<MemberRow>,
    /// The team's own goals (key results) with progress rolled up from the KPIs under them.
    unit_goals: Vec<UnitGoalRow>,
    /// The manager's unit code and the objectives a new key result may align to.
    unit_code: String,
    parents: Vec<(i64, String)>,
    rules: Vec<RuleDto>,
    response: Vec<(String, i64, f64)>,
    is_director: bool,
    /// The team workbook's link for this period, for callers it admits.
    workbook: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

pub(super) struct UnitGoalRow {
    id: i64,
    title: String,
    progress: String,
    target: String,
    editable: bool,
}

#[derive(Deserialize)]
pub struct TeamQuery {
    ok: Option<String>,
}

/// The manager's team board: each direct report's weights and score; a
/// director also sees the rule states of their regions and response times.
pub async fn team(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<TeamQuery>,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("goals");
    let message = match q.ok.as_deref() {
        Some("added") => Some(
            ctx.lang()
                .pick("关键结果已加入团队目标", "key result added")
                .to_string(),
        ),
        Some("edited") => Some(ctx.lang().pick("目标已保存", "goal saved").to_string()),
        _ => None,
    };
    render_team(&state, &caller, ctx, message, None).await
}

pub(super) async fn render_team(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let state = state.clone();
    let period = service::period(&state, None).await?;
    let reports = people::reports(&state.db, caller.person_id).await?;
    let mut unit_goals = Vec::new();
    let mut unit_code = String::new();
    let mut parents = Vec::new();
    if let (Some(p), Some(me)) = (&period, people::by_id(&state.db, caller.person_id).await?) {
        unit_code = me.org_unit_code.clone();
        for g in goals::unit_goals(&state.db, me.org_unit_id, p.id).await? {
            let progress = goals::rollup_progress(&state.db, g.id).await?;
            unit_goals.push(UnitGoalRow {
                editable: g.kind != "company",
                id: g.id,
                title: g.title,
                progress: percent(progress),
                target: g.target.unwrap_or_default(),
            });
        }
        parents = goals::tree_parents(&state.db, p.id).await?;
    }
    let mut members = Vec::new();
    let openable = crate::features::people::service::openable(
        &state,
        caller,
        &reports.iter().collect::<Vec<_>>(),
    )
    .await?;
    if let Some(p) = &period {
        let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
        let mut by_person = goals::goals_of_people(&state.db, &ids, p.id).await?;
        for r in reports {
            let gs = by_person.remove(&r.id).unwrap_or_default();
            members.push(MemberRow {
                score: percent(goals::weighted_score_bp(&gs)),
                kpis: gs
                    .iter()
                    .filter(|g| pulse_domain::goals::is_weighted(&g.kind))
                    .map(|g| {
                        (
                            g.title.clone(),
                            percent(g.weight_bp),
                            g.weight_bp != g.base_weight_bp,
                        )
                    })
                    .collect(),
                linkable: openable.contains(&r.employee_no),
                employee_no: r.employee_no,
                name: r.name,
            });
        }
    }
    let is_director = caller.has_role(Role::Director)
        || caller.has_role(Role::Hrbp)
        || caller.has_role(Role::Admin);
    let (rules, response) = if is_director {
        let anchors: Vec<i64> = caller.grants.iter().filter_map(|g| g.anchor_unit).collect();
        let tree = state.org_tree().await?;
        let mine = |code: &str| {
            anchors.is_empty()
                || tree
                    .units
                    .iter()
                    .find(|u| u.code == code)
                    .is_some_and(|u| tree.path(u.id).iter().any(|p| anchors.contains(&p.id)))
        };
        let rules = service::rules(&state)
            .await?
            .into_iter()
            .map(|mut r| {
                r.regions.retain(|s| mine(&s.code));
                r
            })
            .collect();
        let response = adjustments::response_times(&state.db)
            .await?
            .into_iter()
            .filter(|r| mine(&r.region_code))
            .map(|r| (r.region_name, r.decided, r.avg_hours))
            .collect();
        (rules, response)
    } else {
        (Vec::new(), Vec::new())
    };
    let workbook = period
        .as_ref()
        .filter(|_| crate::menu::may(caller, "GET", "/export/team.xlsx"))
        .map(|p| {
            format!(
                "/export/team.xlsx?period={}",
                crate::access::urlencode(&p.code)
            )
        });
    Ok(TeamPage {
        workbook,
        period: period.map(|p| p.label(ctx.tr.0)).unwrap_or_default(),
        members,
        unit_goals,
        unit_code,
        parents,
        message,
        error,
        rules,
        response,
        is_director,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// The current period's KPIs of everyone in the caller's scope, with the
/// columns the goals importer reads: export → edit → import round-trips.
pub async fn export(State(state): State<AppState>, Me(caller): Me) -> AppResult<Response> {
    use pulse_sheets::{Cell, XlsxTable};
    let period = service::period(&state, None)
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let query = pulse_store::people::PeopleQuery {
        q: None,
        org_unit: None,
        status: Some("active".into()),
        page: 1,
        per_page: 1,
    };
    let found = people::list_all(&state.db, &caller.viewer(), &query).await?;
    let text = |s: &str| Cell::Text(s.to_string());
    let mut rows = Vec::new();
    let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
    let mut by_person = goals::goals_of_people(&state.db, &ids, period.id).await?;
    for p in &found {
        for g in by_person.remove(&p.id).unwrap_or_default() {
            if !pulse_domain::goals::is_weighted(&g.kind) {
                continue;
            }
            rows.push(vec![
                text(&p.employee_no),
                text(&p.name),
                text(&p.org_unit_name),
                text(g.metric_code.as_deref().unwrap_or("")),
                text(&g.title),
                text(g.target.as_deref().unwrap_or("")),
                text(g.actual.as_deref().unwrap_or("")),
                text(&percent(g.base_weight_bp)),
                text(&percent(g.weight_bp)),
                text(&period.code),
            ]);
        }
    }
    let bytes = XlsxTable {
        sheet_name: "目标与权重".into(),
        headers: [
            "工号",
            "姓名",
            "部门",
            "指标编码",
            "指标名称",
            "目标值",
            "实际值",
            "权重",
            "当前权重（含规则）",
            "周期",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        rows,
        widths: vec![12.0, 10.0, 16.0, 10.0, 18.0, 10.0, 10.0, 10.0, 16.0, 10.0],
    }
    .to_bytes()
    .map_err(AppError::internal)?;
    Ok(crate::xlsx_response(
        &format!("目标与权重-{}.xlsx", period.code),
        bytes,
    ))
}

/// A team lead adds a key result for their own team (G2), aligned to an
/// objective above it.
pub async fn team_add_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let parent = form.text("parent_id").parse::<i64>().ok();
    let result = service::create_unit_goal(
        &state,
        &caller,
        "key_result",
        &form.text("title"),
        &form.text("unit"),
        parent,
    )
    .await;
    team_outcome(&state, &caller, page, result.map(|_| ()), "added").await
}

/// Renames a unit goal or sets a key result's target from the team board.
pub async fn team_edit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let title = form.text("title");
    let target = form.text("target");
    let result = service::edit_unit_goal(&state, &caller, id, Some(&title), Some(&target)).await;
    team_outcome(&state, &caller, page, result, "edited").await
}

pub(super) async fn team_outcome(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    page: Page,
    result: AppResult<()>,
    ok: &str,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/goals/team?ok={ok}")).into_response()),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            let ctx = page.at("goals");
            let msg = e.message(ctx.lang()).to_string();
            render_team(state, caller, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}
