//! The dashboard (H4) on a desk, a phone and paper, its workbook, and HR's
//! settings form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::Lang;
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::health::{self, Settings};
use serde::Deserialize;

use super::dto::{self, DashboardDto, MetricDto};
use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page};

#[derive(Debug, Deserialize, Default)]
pub struct UnitQuery {
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "org_health/dashboard.html")]
struct DashboardPage {
    tr: Tr,
    nav: Nav,
    d: DashboardDto,
    charts: Vec<String>,
    /// Units the caller may switch to: (code, name).
    units: Vec<(String, String)>,
    unit: String,
    is_hr: bool,
    settings_error: Option<String>,
    typed: (String, String, String),
}

impl DashboardPage {
    fn value(&self, unit: &str, v: &Option<f64>) -> String {
        match *v {
            None => self.tr.t("org_health.no_data").into(),
            Some(v) if unit == "percent" => format!("{v:.1}%"),
            Some(v) if unit == "per_week" => format!("{v:.2}"),
            Some(v) => format!("{v:.1}"),
        }
    }

    fn unit_text(&self, unit: &str) -> &'static str {
        match unit {
            "per_week" => self.tr.t("org_health.per_week"),
            "feedback_per_person_week" => self.tr.t("org_health.cards_per_week"),
            "review_minutes_median" | "calibration_minutes_median" => {
                self.tr.t("org_health.minutes")
            }
            "adjustment_response_hours" => self.tr.t("org_health.hours"),
            _ => "",
        }
    }
}

fn chart(m: &MetricDto, target_label: &str) -> String {
    let x: Vec<String> = m
        .trend
        .iter()
        .map(|r| short_label(&r.label, &r.from))
        .collect();
    let vals: Vec<Option<f64>> = m.trend.iter().map(|r| r.value).collect();
    let mut series = vec![(m.label.as_str(), vals)];
    let target;
    if let Some(t) = m.target {
        target = format!("{target_label} {t}");
        series.push((target.as_str(), vec![Some(t); x.len()]));
    }
    crate::charts::lines(&format!("trend-{}", m.key), &m.label, &x, &series)
}

/// A round's or survey's trend point is labelled by its month.
fn short_label(label: &str, from: &str) -> String {
    if label.len() == 7 && label.as_bytes()[4] == b'-' {
        return label[2..].to_string();
    }
    from.get(2..7).unwrap_or(from).to_string()
}

async fn render(
    state: &AppState,
    page: Page,
    caller: &pulse_store::accounts::Caller,
    code: Option<&str>,
    settings_error: Option<String>,
    typed: Option<(String, String, String)>,
) -> AppResult<Response> {
    let ctx = page.at("health");
    let lang = ctx.lang();
    let tree = state.org_tree().await?;
    let unit = service::unit_for(state, caller, &tree, code).await?;
    let d = service::dashboard(state, &tree, unit).await?;
    let dto = dto::dashboard_dto(&d, &tree, state.db.today(), lang);
    let scope = pulse_store::people::scope(&state.db, &caller.viewer()).await?;
    let units: Vec<(String, String)> = tree
        .units
        .iter()
        .filter(|u| {
            if scope.is_org() {
                u.kind == "region" || u.parent_id.is_none()
            } else {
                scope.units().contains(&u.id) && u.kind != "team"
            }
        })
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let settings = health::settings(&state.db).await?;
    let typed = typed.unwrap_or_else(|| {
        (
            settings.target_points.to_string(),
            settings.engagement_target.to_string(),
            settings.min_group.to_string(),
        )
    });
    Ok(DashboardPage {
        charts: dto
            .metrics
            .iter()
            .map(|m| chart(m, ctx.tr.t("org_health.target")))
            .collect(),
        unit: dto
            .unit
            .as_ref()
            .map(|u| u.code.clone())
            .unwrap_or_default(),
        d: dto,
        units,
        is_hr: service::is_hr(caller),
        settings_error,
        typed,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `GET /health`: leadership's view of the organisation's pulse.
pub async fn dashboard(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<UnitQuery>,
) -> AppResult<Response> {
    render(&state, page, &caller, q.unit.as_deref(), None, None).await
}

/// `POST /health/settings` (HR): a refusal keeps what was typed.
pub async fn settings(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let typed = (
        form.text("target_points"),
        form.text("engagement_target"),
        form.text("min_group"),
    );
    let parsed = (
        typed.0.parse::<i64>(),
        typed.1.parse::<f64>(),
        typed.2.parse::<i64>(),
    );
    let result = match parsed {
        (Ok(target_points), Ok(engagement_target), Ok(min_group)) => health::save_settings(
            &state.db,
            &state.actor(&caller),
            &Settings {
                target_points,
                engagement_target,
                min_group,
            },
        )
        .await
        .map_err(AppError::from),
        _ => Err(AppError::bad_request("请填写数字", "please give numbers")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/health#settings").into_response()),
        Err(e) if e.status.is_client_error() => {
            let msg = e.message(page.lang()).to_string();
            render(&state, page, &caller, None, Some(msg), Some(typed)).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /health/export.xlsx`: the dashboard's figures with how each was computed.
pub async fn export(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(q): Query<UnitQuery>,
) -> AppResult<Response> {
    let lang = Lang::Zh;
    let tree = state.org_tree().await?;
    let unit = service::unit_for(&state, &caller, &tree, q.unit.as_deref()).await?;
    let d = service::dashboard(&state, &tree, unit).await?;
    let dto = dto::dashboard_dto(&d, &tree, state.db.today(), lang);
    let opt = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let mut metrics = Vec::new();
    let mut trend = Vec::new();
    for m in &dto.metrics {
        metrics.push(vec![
            Cell::Text(m.label.clone()),
            opt(m.baseline),
            opt(m.now),
            opt(m.target),
            Cell::Number(m.n as f64),
            opt(m.ci_low),
            opt(m.ci_high),
            Cell::Text(
                m.now_reading
                    .as_ref()
                    .map(|r| r.computed.clone())
                    .unwrap_or_default(),
            ),
            Cell::Text(
                m.baseline_reading
                    .as_ref()
                    .map(|r| r.computed.clone())
                    .unwrap_or_default(),
            ),
        ]);
        for r in &m.trend {
            trend.push(vec![
                Cell::Text(m.label.clone()),
                Cell::Text(r.label.clone()),
                Cell::Text(r.from.clone()),
                Cell::Text(r.to.clone()),
                opt(r.value),
                Cell::Number(r.count as f64),
                Cell::Number(r.of as f64),
                Cell::Text(r.computed.clone()),
            ]);
        }
    }
    let ops = dto
        .operations_detail
        .iter()
        .map(|o| {
            vec![
                Cell::Text(o.label.clone()),
                opt(o.value),
                opt(o.baseline),
                Cell::Number(o.count as f64),
                Cell::Number(o.of as f64),
                Cell::Text(o.computed.clone()),
            ]
        })
        .collect();
    let heat = dto
        .heatmap
        .iter()
        .map(|r| {
            let mut row = vec![Cell::Text(r.code.clone()), Cell::Text(r.name.clone())];
            for c in &r.cells {
                row.push(if c.suppressed {
                    Cell::Text("人数不足，不显示".into())
                } else {
                    opt(c.value)
                });
            }
            row
        })
        .collect();
    let h = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let sheets = vec![
        XlsxTable {
            sheet_name: "组织脉搏".into(),
            headers: h(&[
                "指标",
                "基线",
                "现在",
                "目标",
                "样本/人数",
                "95%下限",
                "95%上限",
                "现在怎么算的",
                "基线怎么算的",
            ]),
            rows: metrics,
            widths: vec![14.0, 8.0, 8.0, 8.0, 10.0, 8.0, 8.0, 70.0, 70.0],
        },
        XlsxTable {
            sheet_name: "趋势".into(),
            headers: h(&[
                "指标",
                "期间",
                "起",
                "止",
                "数值",
                "计数",
                "总数",
                "怎么算的",
            ]),
            rows: trend,
            widths: vec![14.0, 24.0, 11.0, 11.0, 8.0, 8.0, 8.0, 70.0],
        },
        XlsxTable {
            sheet_name: "运营指标".into(),
            headers: h(&["指标", "现在", "基线", "计数", "总数", "怎么算的"]),
            rows: ops,
            widths: vec![24.0, 8.0, 8.0, 10.0, 10.0, 80.0],
        },
        XlsxTable {
            sheet_name: "区域热力图".into(),
            headers: h(&[
                "代码",
                "组织",
                "目标对齐度%",
                "反馈信任度%",
                "发展获得感（次/人/周）",
            ]),
            rows: heat,
            widths: vec![12.0, 18.0, 14.0, 14.0, 20.0],
        },
    ];
    let bytes = pulse_sheets::write_tables(&sheets).map_err(AppError::internal)?;
    let name = dto
        .unit
        .as_ref()
        .map_or_else(|| "全公司".to_string(), |u| u.name.clone());
    Ok(crate::xlsx_response(
        &format!("组织脉搏-{name}-{}.xlsx", dto.as_of),
        bytes,
    ))
}
