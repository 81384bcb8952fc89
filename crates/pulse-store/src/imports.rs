//! Importers built on the sheet framework (X1): org units and people.
//!
//! Each importer is a column spec plus a row parser; the shared [`run`] does
//! the rest: read, locate header, parse rows, cross-row checks, then either a
//! dry run (validate and count, write nothing) or an all-or-nothing commit.
//! Every upload is kept as a batch so its error workbook can be downloaded
//! from any instance.

use std::collections::{HashMap, HashSet};

use pulse_domain::org::{
    EmployeeNo, PersonStatus, UnitKind, find_cycle, person_name, required_text,
};
use pulse_sheets::{ColumnSpec, Columns, HeaderMap, Row, RowError, Table};
use serde::{Deserialize, Serialize};

use crate::org::{NewUnit, OrgUnit, Tree};
use crate::people::{PersonInput, UpsertCounts};
use crate::{Actor, Db, StoreError};

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

async fn import_people(
    db: &Db,
    actor: &Actor,
    table: &Table,
    map: &HeaderMap,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let tree = Tree::new(crate::org::list(db).await?);
    let mut errors: Vec<ReportError> = Vec::new();
    let mut inputs: Vec<PersonInput> = Vec::with_capacity(table.rows.len());
    let mut input_rows: Vec<&Row> = Vec::with_capacity(table.rows.len());
    let mut first_row_of: HashMap<String, usize> = HashMap::new();

    for row in &table.rows {
        let before = errors.len();
        let mut field = |key: &str, r: Result<String, pulse_domain::Problem>| -> String {
            r.unwrap_or_else(|p| {
                errors.push(row_error(row, &map.header(key), p.zh, p.en));
                String::new()
            })
        };
        let no = field(
            "employee_no",
            EmployeeNo::parse(&map.text(row, "employee_no")).map(|n| n.as_str().to_string()),
        );
        let name = field("name", person_name(&map.text(row, "name")));
        let job_family = field(
            "job_family",
            required_text(&map.text(row, "job_family"), 32, "岗位族", "job family"),
        );
        let level = field(
            "level",
            required_text(&map.text(row, "level"), 16, "职级", "level"),
        );
        let status = field(
            "status",
            PersonStatus::parse(&map.text(row, "status")).map(|s| s.as_str().to_string()),
        );
        let manager_raw = map.text(row, "manager");
        let manager = if manager_raw.is_empty() {
            None
        } else {
            let m = field(
                "manager",
                EmployeeNo::parse(&manager_raw).map(|n| n.as_str().to_string()),
            );
            (!m.is_empty()).then_some(m)
        };
        let org_unit_id = match resolve_unit(&tree, &map.text(row, "org_unit")) {
            Ok(id) => id,
            Err((zh, en)) => {
                let zh = if map.text(row, "org_unit").is_empty() {
                    "部门不能为空".to_string()
                } else {
                    zh
                };
                errors.push(row_error(row, &map.header("org_unit"), zh, en));
                0
            }
        };
        let hire_date = match map.cell(row, "hire_date").as_date() {
            Ok(d) => d,
            Err(msg) => {
                errors.push(row_error(
                    row,
                    &map.header("hire_date"),
                    msg,
                    "not a date (e.g. 2025-03-31)",
                ));
                None
            }
        };
        let optional = |key: &str, max: usize, errors: &mut Vec<ReportError>| -> Option<String> {
            let v = map.text(row, key);
            if v.is_empty() {
                None
            } else if v.chars().count() > max {
                errors.push(row_error(
                    row,
                    &map.header(key),
                    format!("不能超过 {max} 个字符"),
                    format!("exceeds {max} characters"),
                ));
                None
            } else {
                Some(v)
            }
        };
        let email = optional("email", 128, &mut errors);
        let wecom_userid = optional("wecom_userid", 64, &mut errors);
        if !no.is_empty() {
            if let Some(first) = first_row_of.get(&no) {
                errors.push(row_error(
                    row,
                    &map.header("employee_no"),
                    format!("工号“{no}”与第 {first} 行重复"),
                    format!("employee number '{no}' repeats row {first}"),
                ));
            } else {
                first_row_of.insert(no.clone(), row.number);
            }
        }
        if manager.as_deref() == Some(no.as_str()) && !no.is_empty() {
            errors.push(row_error(
                row,
                &map.header("manager"),
                "上级工号不能是本人",
                "a person cannot be their own manager",
            ));
        }
        if errors.len() == before {
            inputs.push(PersonInput {
                employee_no: no,
                name,
                job_family,
                level,
                org_unit_id,
                manager_employee_no: manager,
                hire_date,
                status,
                email,
                wecom_userid,
            });
            input_rows.push(row);
        }
    }

    // Optional columns that the file does not have keep their stored values:
    // re-importing a sheet without 邮箱 must not wipe everyone's email.
    let absent = |key: &str| map.index(key).is_none();
    if ["manager", "hire_date", "status", "email", "wecom_userid"]
        .iter()
        .any(|k| absent(k))
    {
        let everyone = crate::people::Viewer {
            account_id: 0,
            person_id: 0,
            visibility: pulse_domain::roles::Visibility::Org,
        };
        let query = crate::people::PeopleQuery {
            status: None,
            ..Default::default()
        };
        let current: HashMap<String, crate::people::Person> =
            crate::people::list_all(db, &everyone, &query)
                .await?
                .into_iter()
                .map(|p| (p.employee_no.clone(), p))
                .collect();
        for p in inputs.iter_mut() {
            let Some(c) = current.get(&p.employee_no) else {
                continue;
            };
            if absent("manager") {
                p.manager_employee_no = c.manager_employee_no.clone();
            }
            if absent("hire_date") {
                p.hire_date = c.hire_date;
            }
            if absent("status") {
                p.status = c.status.clone();
            }
            if absent("email") {
                p.email = c.email.clone();
            }
            if absent("wecom_userid") {
                p.wecom_userid = c.wecom_userid.clone();
            }
        }
    }

    // Cross-row checks against the file and the stored people together.
    let stored = stored_managers(db).await?;
    let known: HashSet<&str> = stored
        .keys()
        .map(String::as_str)
        .chain(first_row_of.keys().map(String::as_str))
        .collect();
    let mut manager_of: HashMap<String, String> = stored
        .iter()
        .filter_map(|(k, v)| v.clone().map(|m| (k.clone(), m)))
        .collect();
    for (p, row) in inputs.iter().zip(&input_rows) {
        match &p.manager_employee_no {
            Some(m) if !known.contains(m.as_str()) => errors.push(row_error(
                row,
                &map.header("manager"),
                format!("上级工号“{m}”在文件和系统中都不存在"),
                format!("manager '{m}' is neither in the file nor in Pulse"),
            )),
            Some(m) => {
                manager_of.insert(p.employee_no.clone(), m.clone());
            }
            None => {
                manager_of.remove(&p.employee_no);
            }
        }
    }
    if let Some(cycle) = find_cycle(&manager_of) {
        let problem = pulse_domain::org::manager_cycle_problem(&cycle);
        for (p, row) in inputs.iter().zip(&input_rows) {
            if cycle.contains(&p.employee_no) {
                errors.push(row_error(
                    row,
                    &map.header("manager"),
                    problem.zh.clone(),
                    problem.en.clone(),
                ));
            }
        }
    }
    errors.sort_by_key(|e| e.row);
    report.errors = errors;
    if !report.errors.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    match crate::people::upsert(&mut tx, actor, &inputs, !dry_run).await {
        Ok(counts) => {
            report.counts = counts;
            if dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
                report.committed = true;
            }
        }
        Err(StoreError::Invalid(p)) | Err(StoreError::Conflict(p)) => {
            tx.rollback().await?;
            report.file_error = Some(p.zh);
            report.file_error_en = Some(p.en);
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn stored_managers(db: &Db) -> Result<HashMap<String, Option<String>>, StoreError> {
    let rows: Vec<(String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT p.employee_no, m.employee_no FROM people p LEFT JOIN people m ON m.id = p.manager_id")
            .fetch_all(pool).await?
    });
    Ok(rows.into_iter().collect())
}

async fn import_units(
    db: &Db,
    actor: &Actor,
    table: &Table,
    map: &HeaderMap,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let existing: HashSet<String> = crate::org::list(db)
        .await?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let mut errors = Vec::new();
    let mut units = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let before = errors.len();
        let code = required_text(&map.text(row, "code"), 32, "部门编码", "unit code")
            .map_err(|p| errors.push(row_error(row, &map.header("code"), p.zh, p.en)))
            .unwrap_or_default();
        let name = required_text(&map.text(row, "name"), 64, "部门名称", "unit name")
            .map_err(|p| errors.push(row_error(row, &map.header("name"), p.zh, p.en)))
            .unwrap_or_default();
        let kind = UnitKind::parse(&map.text(row, "kind"))
            .map_err(|p| errors.push(row_error(row, &map.header("kind"), p.zh, p.en)))
            .unwrap_or(UnitKind::Department);
        let sort_text = map.text(row, "sort");
        let sort_order = if sort_text.is_empty() {
            row.number as i64
        } else {
            sort_text.parse::<i64>().unwrap_or_else(|_| {
                errors.push(row_error(
                    row,
                    &map.header("sort"),
                    "排序必须是整数",
                    "sort order must be an integer",
                ));
                0
            })
        };
        let parent = map.text(row, "parent");
        if !code.is_empty()
            && let Some(first) = first_row_of.insert(code.clone(), row.number)
        {
            errors.push(row_error(
                row,
                &map.header("code"),
                format!("部门编码“{code}”与第 {first} 行重复"),
                format!("unit code '{code}' repeats row {first}"),
            ));
        }
        if errors.len() == before {
            units.push((
                row,
                NewUnit {
                    code,
                    name,
                    kind,
                    parent_code: (!parent.is_empty()).then_some(parent),
                    sort_order,
                },
            ));
        }
    }
    for (row, u) in &units {
        if let Some(p) = &u.parent_code
            && !existing.contains(p)
            && !first_row_of.contains_key(p)
        {
            errors.push(row_error(
                row,
                &map.header("parent"),
                format!("上级部门编码“{p}”不存在"),
                format!("parent unit '{p}' does not exist"),
            ));
        }
    }
    report.errors = errors;
    if !report.errors.is_empty() {
        return Ok(());
    }
    let new_units: Vec<NewUnit> = units.into_iter().map(|(_, u)| u).collect();
    report.counts.created = new_units
        .iter()
        .filter(|u| !existing.contains(&u.code))
        .count();
    report.counts.updated = new_units.len() - report.counts.created;
    let mut tx = db.begin().await?;
    match crate::org::upsert_units(&mut tx, actor, &new_units).await {
        Ok(_) if dry_run => tx.rollback().await?,
        Ok(_) => {
            tx.commit().await?;
            report.committed = true;
        }
        Err(StoreError::Invalid(p)) | Err(StoreError::Conflict(p)) => {
            tx.rollback().await?;
            report.file_error = Some(p.zh);
            report.file_error_en = Some(p.en);
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
