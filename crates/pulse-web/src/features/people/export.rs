//! The roster as a workbook with the importer's columns (X2).

use axum::extract::{Query, State};
use axum::response::Response;
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::people::{self, PeopleQuery, Person};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize)]
pub struct ExportParams {
    unit: Option<String>,
    q: Option<String>,
}

/// People in the caller's scope as a workbook with the same columns the
/// importer reads, so an export can be edited and imported back (X2).
pub async fn export_people(
    State(state): State<AppState>,
    Me(caller): Me,
    Query(p): Query<ExportParams>,
) -> AppResult<Response> {
    let query = PeopleQuery {
        q: p.q.filter(|s| !s.is_empty()),
        org_unit: p.unit.filter(|s| !s.is_empty()),
        status: None,
        page: 1,
        per_page: 1,
    };
    let found = people::list_all(&state.db, &caller.viewer(), &query).await?;
    let bytes = people_workbook(&found).map_err(AppError::internal)?;
    Ok(crate::xlsx_response(
        &format!("人员花名册-{}.xlsx", state.db.today().format("%Y%m%d")),
        bytes,
    ))
}

pub fn people_workbook(found: &[Person]) -> Result<Vec<u8>, pulse_sheets::XlsxError> {
    let text = |s: &str| {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    };
    let rows = found
        .iter()
        .map(|p| {
            vec![
                text(&p.employee_no),
                text(&p.name),
                text(&p.org_unit_code),
                text(&p.org_unit_name),
                text(p.manager_employee_no.as_deref().unwrap_or("")),
                text(&p.job_family),
                text(&p.level),
                p.hire_date.map(Cell::Date).unwrap_or(Cell::Empty),
                text(if p.status == "left" {
                    "离职"
                } else {
                    "在职"
                }),
                text(p.email.as_deref().unwrap_or("")),
                text(p.wecom_userid.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    XlsxTable {
        sheet_name: "人员".into(),
        headers: [
            "工号",
            "姓名",
            "部门",
            "部门名称",
            "上级工号",
            "岗位族",
            "职级",
            "入职日期",
            "在职状态",
            "邮箱",
            "企业微信ID",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        widths: vec![
            12.0, 10.0, 14.0, 16.0, 12.0, 12.0, 8.0, 12.0, 10.0, 24.0, 14.0,
        ],
    }
    .to_bytes()
}
