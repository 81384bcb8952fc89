//! Goal pages (G1–G6): my goal board on the phone, the request and decision
//! of a target adjustment, the manager's team board, the HRBP rules page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::Lang;
use pulse_domain::roles::Role;
use pulse_domain::weights::percent;
use pulse_store::{adjustments, goals, people};
use serde::Deserialize;

use crate::AppState;
use crate::access::form_value as field;
use crate::access::{Me, form_pairs};
use crate::error::{AppError, AppResult};
use crate::goals_flow::{self, GoalDto, RuleDto};
use crate::i18n::Tr;
use crate::pages::{Nav, PageCtx, fmt_ms};

pub struct GoalCard {
    id: i64,
    title: String,
    kind: String,
    weight: String,
    base_weight: String,
    rule_adjusted: bool,
    target: String,
    actual: String,
    progress: String,
    /// 0–100, the bar's width.
    bar: i64,
    chain: Vec<String>,
    weighted: bool,
}

fn card(g: GoalDto) -> GoalCard {
    let unit = g.unit.clone().unwrap_or_default();
    let show = |v: &Option<String>| {
        v.as_ref()
            .map(|t| match unit.as_str() {
                "" => t.clone(),
                "%" => format!("{t}%"),
                u => format!("{t} {u}"),
            })
            .unwrap_or_else(|| "—".into())
    };
    GoalCard {
        rule_adjusted: g.weight_changed_by_rule(),
        weight: percent(g.weight_bp),
        base_weight: percent(g.base_weight_bp),
        target: show(&g.target),
        actual: show(&g.actual),
        progress: percent(g.progress_bp),
        bar: (g.progress_bp / 100).clamp(0, 100),
        chain: g.chain.iter().map(|c| c.title.clone()).collect(),
        weighted: g.kind == "kpi" || g.kind == "key_result",
        id: g.id,
        title: g.title,
        kind: g.kind,
    }
}

pub struct AdjView {
    id: i64,
    goal_title: String,
    change: String,
    reason: String,
    state: String,
    requester: String,
    approver: String,
    created: String,
    decided: String,
    comment: String,
}

fn adj_view(a: adjustments::Adjustment) -> AdjView {
    AdjView {
        id: a.id,
        change: format!("{} → {}", a.old_target, a.new_target),
        goal_title: a.goal_title,
        reason: a.reason,
        state: a.state,
        requester: a.requester_name,
        approver: a.approver_name,
        created: fmt_ms(a.created_at),
        decided: a.decided_at.map(fmt_ms).unwrap_or_default(),
        comment: a.comment,
    }
}

pub struct HistView {
    at: String,
    goal_title: String,
    change: String,
    cause: String,
    note: String,
    actor: String,
}

fn cause_label(cause: &str, lang: Lang) -> String {
    match cause {
        "rule" => lang.pick("规则调整", "rule"),
        "rule_ended" => lang.pick("规则结束", "rule ended"),
        "manual" => lang.pick("手工调整", "manual"),
        "template" => lang.pick("岗位模板", "template"),
        "import" => lang.pick("导入", "import"),
        "adjustment" => lang.pick("微调审批", "adjustment"),
        other => other,
    }
    .to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "goals.html")]
struct GoalsPage {
    tr: Tr,
    nav: Nav,
    own: bool,
    employee_no: String,
    name: String,
    period: String,
    period_open: bool,
    total: String,
    score: String,
    cards: Vec<GoalCard>,
    requests: Vec<AdjView>,
    history: Vec<HistView>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    person: Option<String>,
    period: Option<String>,
    requested: Option<String>,
}

async fn render_board(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    employee_no: Option<&str>,
    period: Option<&str>,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let me = people::by_id(&state.db, caller.person_id)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let no = employee_no.unwrap_or(&me.employee_no);
    let board = goals_flow::board(state, caller, no, period).await?;
    let own = board.employee_no == me.employee_no;
    let lang = ctx.lang();
    let (requests, history) = match goals_flow::period(state, period).await? {
        Some(p) => {
            let person = people::by_employee_no(&state.db, &board.employee_no).await?;
            let history = match &person {
                Some(p2) => goals::weight_history(&state.db, p2.id, p.id)
                    .await?
                    .into_iter()
                    .take(30)
                    .map(|h| HistView {
                        at: fmt_ms(h.at),
                        goal_title: h.goal_title,
                        change: format!("{} → {}", percent(h.before_bp), percent(h.after_bp)),
                        cause: cause_label(&h.cause, lang),
                        note: h.note,
                        actor: h.actor,
                    })
                    .collect(),
                None => Vec::new(),
            };
            let requests = if own {
                adjustments::for_person(&state.db, caller.person_id, 50)
                    .await?
                    .into_iter()
                    .map(adj_view)
                    .collect()
            } else {
                Vec::new()
            };
            (requests, history)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(GoalsPage {
        own,
        employee_no: board.employee_no,
        name: board.name,
        period: board
            .period
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        period_open: board.period.as_ref().is_some_and(|p| p.state == "open"),
        total: percent(board.weight_total_bp),
        score: percent(board.score_bp),
        cards: board.items.into_iter().map(card).collect(),
        requests,
        history,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn board(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Query(q): Query<BoardQuery>,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
    let message = q.requested.map(|_| {
        ctx.lang()
            .pick("微调申请已提交，等待审批", "Request sent for approval")
            .to_string()
    });
    render_board(
        &state,
        ctx,
        &caller,
        q.person.as_deref(),
        q.period.as_deref(),
        message,
        None,
    )
    .await
}

/// The "申请微调" form on a goal card.
pub async fn request(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let get = |k: &str| field(&pairs, k);
    let goal_id: i64 = get("goal_id").trim().parse().unwrap_or(0);
    match goals_flow::request_adjustment(
        &state,
        &caller,
        goal_id,
        &get("new_target"),
        &get("reason"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/goals?requested=1").into_response()),
        Err(e) if e.status.is_client_error() => {
            let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
            let msg = e.message(ctx.lang()).to_string();
            render_board(&state, ctx, &caller, None, None, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "goal_adjustment.html")]
struct AdjustmentPage {
    tr: Tr,
    nav: Nav,
    a: AdjView,
    can_decide: bool,
    message: Option<String>,
    error: Option<String>,
}

async fn render_adjustment(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let a = goals_flow::adjustment_for(state, caller, id).await?;
    Ok(AdjustmentPage {
        can_decide: a.state == "pending" && a.approver_id == caller.person_id,
        a: adj_view(a),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn adjustment(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
    render_adjustment(&state, ctx, &caller, id, None, None).await
}

pub async fn decide(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let get = |k: &str| field(&pairs, k);
    let approve = get("decision") == "approve";
    let result = goals_flow::decide_adjustment(&state, &caller, id, approve, &get("comment")).await;
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
    let lang = ctx.lang();
    match result {
        Ok(a) => {
            let msg = if a.state == "approved" {
                lang.pick(
                    "已批准，新目标即时生效",
                    "Approved: the new target applies now",
                )
            } else {
                lang.pick("已驳回", "Rejected")
            };
            render_adjustment(&state, ctx, &caller, id, Some(msg.to_string()), None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_adjustment(&state, ctx, &caller, id, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

pub struct MemberRow {
    employee_no: String,
    name: String,
    score: String,
    kpis: Vec<(String, String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team_goals.html")]
struct TeamPage {
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
    message: Option<String>,
    error: Option<String>,
}

struct UnitGoalRow {
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
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

async fn render_team(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let state = state.clone();
    let period = goals_flow::period(&state, None).await?;
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
    if let Some(p) = &period {
        for r in reports {
            let gs = goals::person_goals(&state.db, r.id, p.id).await?;
            members.push(MemberRow {
                score: percent(goals::weighted_score_bp(&gs)),
                kpis: gs
                    .iter()
                    .filter(|g| g.kind == "kpi" || g.kind == "key_result")
                    .map(|g| {
                        (
                            g.title.clone(),
                            percent(g.weight_bp),
                            g.weight_bp != g.base_weight_bp,
                        )
                    })
                    .collect(),
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
        let rules = goals_flow::rules(&state)
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
    Ok(TeamPage {
        period: period.map(|p| p.name).unwrap_or_default(),
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

#[derive(Template, WebTemplate)]
#[template(path = "weight_rules.html")]
struct RulesPage {
    tr: Tr,
    nav: Nav,
    rules: Vec<RuleDto>,
    periods: Vec<goals::Period>,
    metrics: Vec<(String, String)>,
    variables: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_rules(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    Ok(RulesPage {
        rules: goals_flow::rules(state).await?,
        periods: goals::periods(&state.db).await?,
        metrics: goals::metrics(&state.db)
            .await?
            .into_iter()
            .map(|m| (m.code, m.name))
            .collect(),
        variables: pulse_domain::rules::VARIABLES
            .iter()
            .map(|v| (v.name, lang.pick(v.zh, v.en)))
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn rules(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rules").await;
    render_rules(&state, ctx, None, None).await
}

/// The rule editor form: checked, saved, evaluated; errors keep the page.
pub async fn save_rule(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let get = |k: &str| field(&pairs, k);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rules").await;
    let lang = ctx.lang();
    let weight = pulse_domain::weights::parse_percent(&get("weight"));
    let result = match weight {
        Err(p) => Err(AppError::invalid(p)),
        Ok(weight_bp) => {
            let input = pulse_store::weight_rules::RuleInput {
                name: get("name"),
                condition: get("condition"),
                metric_code: get("metric_code"),
                weight_bp,
                scope_unit_code: Some(get("scope")).filter(|s| !s.is_empty()),
                priority: get("priority").parse().unwrap_or(0),
                enabled: get("enabled") == "on",
                description: get("description"),
            };
            let id = get("id").parse::<i64>().ok();
            goals_flow::save_rule(&state, &caller, id, &input)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => {
            let ok = format!(
                "{} {}",
                get("name"),
                lang.pick("已保存并生效", "saved and applied")
            );
            render_rules(&state, ctx, Some(ok), None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_rules(&state, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

/// The "打卡" form on a goal card (G7).
pub async fn check_in(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let get = |k: &str| field(&pairs, k);
    let result = goals_flow::check_in(&state, &caller, id, &get("actual"), &get("note")).await;
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "goals").await;
    let lang = ctx.lang();
    match result {
        Ok(g) => {
            let msg = format!(
                "{} {}",
                g.title,
                lang.pick("进度已更新", "progress updated")
            );
            render_board(&state, ctx, &caller, None, None, Some(msg), None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_board(&state, ctx, &caller, None, None, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn close_period(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let result = goals_flow::close_period(&state, &caller, &code).await;
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "rules").await;
    let lang = ctx.lang();
    match result {
        Ok(p) => {
            let msg = format!(
                "{} {}",
                p.name,
                lang.pick("已关闭，数据已冻结", "closed and frozen")
            );
            render_rules(&state, ctx, Some(msg), None).await
        }
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(lang).to_string();
            render_rules(&state, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

/// The current period's KPIs of everyone in the caller's scope, with the
/// columns the goals importer reads: export → edit → import round-trips.
pub async fn export(State(state): State<AppState>, Me(caller): Me) -> AppResult<Response> {
    use pulse_sheets::{Cell, XlsxTable};
    let period = goals_flow::period(&state, None)
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
    for p in &found {
        for g in goals::person_goals(&state.db, p.id, period.id).await? {
            if g.kind != "kpi" && g.kind != "key_result" {
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

#[derive(Template, WebTemplate)]
#[template(path = "goal_setup.html")]
struct SetupPage {
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

async fn render_setup(
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
    if let Some(p) = goals_flow::period(state, None).await? {
        parents = goals::tree_parents(&state.db, p.id).await?;
        tree = goals::flatten_tree(goals::unit_tree(&state.db, p.id).await?);
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
    Me(caller): Me,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "setup").await;
    render_setup(&state, ctx, None, None).await
}

async fn setup_outcome(
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
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "setup").await;
    let m = goals::MetricInput {
        code: field(&pairs, "code"),
        name: field(&pairs, "name"),
        unit: field(&pairs, "unit"),
        direction: field(&pairs, "direction"),
        source: field(&pairs, "source"),
        formula: field(&pairs, "formula"),
        description: field(&pairs, "description"),
    };
    let ok = format!("{} {}", m.name, ctx.lang().pick("已保存", "saved"));
    let result = goals_flow::save_metric(&state, &m).await;
    setup_outcome(&state, ctx, ok, result).await
}

/// Saves a job family's template, and with `apply` gives it to everyone of
/// the family who has no KPIs this period.
pub async fn setup_template(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "setup").await;
    let lang = ctx.lang();
    let family = field(&pairs, "job_family");
    let apply = field(&pairs, "action") == "apply";
    let result: AppResult<String> = async {
        let lines =
            goals_flow::parse_template_lines(&field(&pairs, "lines")).map_err(AppError::invalid)?;
        goals_flow::save_template(&state, &family, &lines).await?;
        if apply {
            let n = goals_flow::apply_template(&state, &caller, &family).await?;
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
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "setup").await;
    let parent = field(&pairs, "parent_id").parse::<i64>().ok();
    let title = field(&pairs, "title");
    let result = goals_flow::create_unit_goal(
        &state,
        &caller,
        &field(&pairs, "kind"),
        &title,
        &field(&pairs, "unit"),
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

/// A team lead adds a key result for their own team (G2), aligned to an
/// objective above it.
pub async fn team_add_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let parent = field(&pairs, "parent_id").parse::<i64>().ok();
    let result = goals_flow::create_unit_goal(
        &state,
        &caller,
        "key_result",
        &field(&pairs, "title"),
        &field(&pairs, "unit"),
        parent,
    )
    .await;
    team_outcome(&state, &caller, &headers, result.map(|_| ()), "added").await
}

/// Renames a unit goal or sets a key result's target from the team board.
pub async fn team_edit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let title = field(&pairs, "title");
    let target = field(&pairs, "target");
    let result = goals_flow::edit_unit_goal(&state, &caller, id, Some(&title), Some(&target)).await;
    team_outcome(&state, &caller, &headers, result, "edited").await
}

async fn team_outcome(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    headers: &HeaderMap,
    result: AppResult<()>,
    ok: &str,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/goals/team?ok={ok}")).into_response()),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            let ctx = PageCtx::load(state, headers, Some(caller), "goals").await;
            let msg = e.message(ctx.lang()).to_string();
            render_team(state, caller, ctx, None, Some(msg)).await
        }
        Err(e) => Err(e),
    }
}

/// Renames a goal of the tree from the setup page (HR).
pub async fn setup_edit_goal(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: String,
) -> AppResult<Response> {
    let pairs = form_pairs(&body);
    let ctx = PageCtx::load(&state, &headers, Some(&caller), "setup").await;
    let title = field(&pairs, "title");
    let result = goals_flow::edit_unit_goal(&state, &caller, id, Some(&title), None).await;
    let ok = format!("{title} {}", ctx.lang().pick("已保存", "saved"));
    setup_outcome(&state, ctx, ok, result).await
}
