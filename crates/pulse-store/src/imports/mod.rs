//! Importers built on the sheet framework (X1): org units and people.
//!
//! Each importer is a column spec plus a row parser; the shared [`run`] does
//! the rest: read, locate header, parse rows, cross-row checks, then either a
//! dry run (validate and count, write nothing) or an all-or-nothing commit.
//! Every upload is kept as a batch so its error workbook can be downloaded
//! from any instance.

use pulse_sheets::{ColumnSpec, Columns, Row, RowError};
use serde::{Deserialize, Serialize};

use crate::org::{OrgUnit, Tree};
use crate::people::UpsertCounts;
use crate::{Actor, Db, StoreError};

mod people_import;
mod unit_import;
use people_import::*;
use unit_import::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    People,
    OrgUnits,
    /// Targets and weights per person and KPI (G4).
    Goals,
    /// The CRM's customer list (X3).
    Customers,
    /// Customer evaluations and project deliveries (P4).
    Events,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::People => "people",
            ImportKind::OrgUnits => "org_units",
            ImportKind::Goals => "goals",
            ImportKind::Customers => "customers",
            ImportKind::Events => "events",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "people" => Some(ImportKind::People),
            "org_units" | "org-units" | "units" => Some(ImportKind::OrgUnits),
            "goals" => Some(ImportKind::Goals),
            "customers" => Some(ImportKind::Customers),
            "events" => Some(ImportKind::Events),
            _ => None,
        }
    }

    pub fn columns(self) -> Columns {
        match self {
            ImportKind::People => PEOPLE_COLUMNS,
            ImportKind::OrgUnits => UNIT_COLUMNS,
            ImportKind::Goals => crate::goal_imports::GOAL_COLUMNS,
            ImportKind::Customers => crate::customers::CUSTOMER_COLUMNS,
            ImportKind::Events => crate::event_imports::EVENT_COLUMNS,
        }
    }
}

pub const PEOPLE_COLUMNS: Columns = Columns(&[
    ColumnSpec {
        key: "employee_no",
        names: &["工号", "员工编号", "employee_no"],
        required: true,
    },
    ColumnSpec {
        key: "name",
        names: &["姓名", "name"],
        required: true,
    },
    ColumnSpec {
        key: "org_unit",
        names: &["部门", "所属部门", "部门编码", "org_unit"],
        required: true,
    },
    ColumnSpec {
        key: "manager",
        names: &["上级工号", "直属上级工号", "manager_employee_no"],
        required: false,
    },
    ColumnSpec {
        key: "job_family",
        names: &["岗位族", "岗位序列", "job_family"],
        required: true,
    },
    ColumnSpec {
        key: "level",
        names: &["职级", "level"],
        required: true,
    },
    ColumnSpec {
        key: "hire_date",
        names: &["入职日期", "hire_date"],
        required: false,
    },
    ColumnSpec {
        key: "status",
        names: &["在职状态", "状态", "status"],
        required: false,
    },
    ColumnSpec {
        key: "email",
        names: &["邮箱", "email"],
        required: false,
    },
    ColumnSpec {
        key: "wecom_userid",
        names: &["企业微信ID", "企业微信账号", "wecom_userid"],
        required: false,
    },
]);

pub const UNIT_COLUMNS: Columns = Columns(&[
    ColumnSpec {
        key: "code",
        names: &["部门编码", "code"],
        required: true,
    },
    ColumnSpec {
        key: "name",
        names: &["部门名称", "name"],
        required: true,
    },
    ColumnSpec {
        key: "parent",
        names: &["上级部门编码", "parent_code"],
        required: false,
    },
    ColumnSpec {
        key: "kind",
        names: &["类型", "组织类型", "kind"],
        required: false,
    },
    ColumnSpec {
        key: "sort",
        names: &["排序", "sort_order"],
        required: false,
    },
]);

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct ImportReport {
    pub batch_id: i64,
    pub kind: String,
    pub file_name: String,
    pub rows: usize,
    pub errors: Vec<ReportError>,
    pub counts: UpsertCounts,
    pub committed: bool,
    pub dry_run: bool,
    /// A file-level problem (unreadable, no header …); rows are then not checked.
    pub file_error: Option<String>,
    pub file_error_en: Option<String>,
    /// Headers and the first rows as they will be imported.
    pub preview_headers: Vec<String>,
    pub preview: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ReportError {
    pub row: usize,
    pub column: String,
    pub message: String,
    pub message_en: String,
}

impl From<RowError> for ReportError {
    fn from(e: RowError) -> Self {
        ReportError {
            row: e.row,
            column: e.column,
            message: e.message,
            message_en: e.message_en,
        }
    }
}

impl ImportReport {
    pub fn ok(&self) -> bool {
        self.file_error.is_none() && self.errors.is_empty()
    }
}

const PREVIEW_ROWS: usize = 50;

/// Checks and (unless `dry_run`) imports a file. Problems in the data come
/// back inside the report; only infrastructure failures are `Err`.
pub async fn run(
    db: &Db,
    actor: &Actor,
    kind: ImportKind,
    file_name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport {
        kind: kind.as_str().into(),
        file_name: file_name.chars().take(200).collect(),
        dry_run,
        ..Default::default()
    };
    match pulse_sheets::read(bytes).and_then(|g| kind.columns().locate(g)) {
        Err(e) => {
            report.file_error = Some(e.to_string());
            report.file_error_en = Some(e.message_en());
        }
        Ok((table, map)) => {
            report.rows = table.rows.len();
            report.preview_headers = table.headers.clone();
            report.preview = table
                .rows
                .iter()
                .take(PREVIEW_ROWS)
                .map(|r| r.cells.iter().map(pulse_sheets::Cell::as_text).collect())
                .collect();
            match kind {
                ImportKind::People => {
                    import_people(db, actor, &table, &map, dry_run, &mut report).await?
                }
                ImportKind::OrgUnits => {
                    import_units(db, actor, &table, &map, dry_run, &mut report).await?
                }
                ImportKind::Customers => {
                    crate::customers::import(db, &table, &map, dry_run, &mut report).await?
                }
                ImportKind::Events => {
                    crate::event_imports::import(db, &table, &map, dry_run, &mut report).await?
                }
                ImportKind::Goals => {
                    let period = crate::goals::period_at(db, db.today()).await?.map(|p| p.id);
                    crate::goal_imports::import_goals(
                        db,
                        actor,
                        &table,
                        &map,
                        dry_run,
                        period,
                        &mut report,
                    )
                    .await?
                }
            }
        }
    }
    report.batch_id = save_batch(db, actor, kind, &report, bytes).await?;
    Ok(report)
}

async fn save_batch(
    db: &Db,
    actor: &Actor,
    kind: ImportKind,
    report: &ImportReport,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    let status = if report.committed {
        "committed"
    } else if report.ok() {
        "previewed"
    } else {
        "failed"
    };
    let summary = serde_json::to_string(report).unwrap_or_default();
    let (id,): (i64,) = on_db!(db, pool => {
        sqlx::query_as(
            "INSERT INTO import_batches (kind, file_name, file_bytes, uploaded_by, created_at, status, row_count, summary_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(kind.as_str()).bind(&report.file_name).bind(bytes).bind(actor.account_id).bind(db.now_ms())
        .bind(status).bind(report.rows as i64).bind(summary)
        .fetch_one(pool).await?
    });
    Ok(id)
}

/// A stored batch: its report, kind and the original bytes.
pub async fn batch(
    db: &Db,
    id: i64,
) -> Result<Option<(ImportKind, ImportReport, Vec<u8>)>, StoreError> {
    let row: Option<(String, String, Vec<u8>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT kind, summary_json, file_bytes FROM import_batches WHERE id = $1")
            .bind(id).fetch_optional(pool).await?
    });
    Ok(row.and_then(|(k, s, b)| {
        let kind = ImportKind::parse(&k)?;
        let mut report: ImportReport = serde_json::from_str(&s).ok()?;
        report.batch_id = id;
        Some((kind, report, b))
    }))
}

/// The uploaded workbook with an error column, for a batch that had row errors.
pub async fn error_workbook(db: &Db, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    let Some((kind, report, bytes)) = batch(db, id).await? else {
        return Ok(None);
    };
    let Ok((table, _)) = pulse_sheets::read(&bytes).and_then(|g| kind.columns().locate(g)) else {
        return Ok(None);
    };
    let errors: Vec<RowError> = report
        .errors
        .into_iter()
        .map(|e| RowError {
            row: e.row,
            column: e.column,
            message: e.message,
            message_en: e.message_en,
        })
        .collect();
    pulse_sheets::error_workbook(&table, &errors)
        .map(Some)
        .map_err(|e| StoreError::Config(format!("cannot write workbook: {e}")))
}

fn row_error(row: &Row, column: &str, zh: impl Into<String>, en: impl Into<String>) -> ReportError {
    ReportError {
        row: row.number,
        column: column.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

/// Resolves the 部门 column: a unit code, a path such as `华东大区/上海一组`,
/// or a name that is unique in the tree.
fn resolve_unit(tree: &Tree, raw: &str) -> Result<i64, (String, String)> {
    let raw = raw.trim();
    if let Some(u) = tree.units.iter().find(|u| u.code == raw) {
        return Ok(u.id);
    }
    if raw.contains('/') {
        let want: Vec<&str> = raw
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let found = tree.units.iter().find(|u| {
            let path: Vec<&str> = tree.path(u.id).iter().map(|p| p.name.as_str()).collect();
            path.ends_with(&want)
        });
        if let Some(u) = found {
            return Ok(u.id);
        }
    }
    let named: Vec<&OrgUnit> = tree.units.iter().filter(|u| u.name == raw).collect();
    match named.len() {
        1 => Ok(named[0].id),
        0 => Err((
            format!("部门“{raw}”不存在"),
            format!("org unit '{raw}' does not exist"),
        )),
        _ => {
            let paths: Vec<String> = named
                .iter()
                .map(|u| format!("{}（{}）", tree.path_names(u.id), u.code))
                .collect();
            Err((
                format!(
                    "部门名称“{raw}”不唯一，请填写部门编码：{}",
                    paths.join("、")
                ),
                format!("org unit name '{raw}' is ambiguous; use its code"),
            ))
        }
    }
}
