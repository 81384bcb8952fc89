//! Incentive exports: bonus coefficients per person and period for payroll,
//! and the talent pools' members, as workbooks HR takes away.

use axum::extract::{Query, State};
use axum::response::Response;
use pulse_domain::linkage::{coefficient, signed_coefficient};
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::linkage::{outcomes, rules};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    period: String,
}

/// `GET /linkage/coefficients.xlsx?period=2026Q3`.
pub async fn coefficients(
    State(state): State<AppState>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let period = pulse_store::goals::period_by_code(&state.db, q.period.trim())
        .await?
        .ok_or_else(|| AppError::not_found("周期", "period"))?;
    let rows: Vec<Vec<Cell>> = outcomes::coefficients(&state.db, period.id)
        .await?
        .into_iter()
        .map(|c| {
            let why = c
                .adjustments
                .iter()
                .map(|(rule, h)| format!("{rule} {}", signed_coefficient(*h)))
                .collect::<Vec<_>>()
                .join("；");
            vec![
                Cell::Text(c.employee_no),
                Cell::Text(c.name),
                Cell::Text(c.unit),
                Cell::Text(c.job_family),
                Cell::Text(c.period),
                Cell::Number(c.base as f64 / 100.0),
                Cell::Number(c.coefficient as f64 / 100.0),
                Cell::Text(coefficient(c.coefficient)),
                Cell::Text(why),
            ]
        })
        .collect();
    let sheet = XlsxTable {
        sheet_name: "奖金系数".into(),
        headers: [
            "工号",
            "姓名",
            "部门",
            "岗位族",
            "周期",
            "基准系数",
            "本期系数",
            "系数（文本）",
            "依据",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        widths: vec![12.0, 10.0, 18.0, 12.0, 10.0, 10.0, 10.0, 12.0, 48.0],
    };
    let bytes = sheet.to_bytes().map_err(AppError::internal)?;
    Ok(crate::xlsx_response(
        &format!("奖金系数-{}.xlsx", period.code),
        bytes,
    ))
}

/// `GET /linkage/pools.xlsx`: one sheet per talent pool.
pub async fn pools(State(state): State<AppState>) -> AppResult<Response> {
    let mut sheets = Vec::new();
    for pool in rules::items(&state.db, Some(rules::ItemKind::Pool)).await? {
        let rows = outcomes::members(&state.db, "join_pool", &pool.name)
            .await?
            .into_iter()
            .map(|m| {
                vec![
                    Cell::Text(m.employee_no),
                    Cell::Text(m.name),
                    Cell::Text(m.unit),
                    Cell::Text(m.job_family),
                    Cell::Text(m.level),
                    Cell::Text(m.period),
                    Cell::Text(m.rule),
                ]
            })
            .collect();
        sheets.push(XlsxTable {
            sheet_name: pool.name.chars().take(31).collect(),
            headers: [
                "工号",
                "姓名",
                "部门",
                "岗位族",
                "职级",
                "入池周期",
                "依据规则",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            widths: vec![12.0, 10.0, 18.0, 12.0, 8.0, 10.0, 36.0],
        });
    }
    if sheets.is_empty() {
        sheets.push(XlsxTable {
            sheet_name: "人才池".into(),
            headers: vec!["工号".into(), "姓名".into()],
            ..Default::default()
        });
    }
    let bytes = pulse_sheets::write_tables(&sheets).map_err(AppError::internal)?;
    Ok(crate::xlsx_response("人才池名单.xlsx", bytes))
}
