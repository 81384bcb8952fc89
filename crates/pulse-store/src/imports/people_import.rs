//! The people sheet: rows to validated people, managers and cycles checked, one transaction (X1).

use crate::org::Tree;
use crate::people::PersonInput;
use crate::{Actor, Db, StoreError};
use pulse_domain::org::{EmployeeNo, PersonStatus, find_cycle, person_name, required_text};
use pulse_sheets::{HeaderMap, Row, Table};
use std::collections::{HashMap, HashSet};

use super::*;

pub(super) async fn import_people(
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
        let no = checked(
            &mut errors,
            row,
            map,
            "employee_no",
            EmployeeNo::parse(&map.text(row, "employee_no")),
        );
        let mut text =
            |key: &str, parsed| checked(&mut errors, row, map, key, parsed).unwrap_or_default();
        let name = text("name", person_name(&map.text(row, "name")));
        let job_family = text(
            "job_family",
            required_text(&map.text(row, "job_family"), 32, "岗位族", "job family"),
        );
        let level = text(
            "level",
            required_text(&map.text(row, "level"), 16, "职级", "level"),
        );
        let status = checked(
            &mut errors,
            row,
            map,
            "status",
            PersonStatus::parse(&map.text(row, "status")),
        );
        let manager_raw = map.text(row, "manager");
        let manager = if manager_raw.is_empty() {
            None
        } else {
            checked(
                &mut errors,
                row,
                map,
                "manager",
                EmployeeNo::parse(&manager_raw),
            )
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
        if let Some(no) = &no {
            if let Some(first) = first_row_of.get(no.as_str()) {
                errors.push(row_error(
                    row,
                    &map.header("employee_no"),
                    format!("工号“{no}”与第 {first} 行重复"),
                    format!("employee number '{no}' repeats row {first}"),
                ));
            } else {
                first_row_of.insert(no.to_string(), row.number);
            }
            if manager.as_ref() == Some(no) {
                errors.push(row_error(
                    row,
                    &map.header("manager"),
                    "上级工号不能是本人",
                    "a person cannot be their own manager",
                ));
            }
        }
        if let (Some(no), Some(status), true) = (no, status, errors.len() == before) {
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
            let Some(c) = current.get(p.employee_no.as_str()) else {
                continue;
            };
            if absent("manager") {
                // Stored 工号s were parsed on the way in; one that no longer
                // parses (an older rule) is left unlinked rather than failing the row.
                p.manager_employee_no = c
                    .manager_employee_no
                    .as_deref()
                    .and_then(|m| EmployeeNo::parse(m).ok());
            }
            if absent("hire_date") {
                p.hire_date = c.hire_date;
            }
            if absent("status") {
                p.status = PersonStatus::parse(&c.status)?;
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
                manager_of.insert(p.employee_no.to_string(), m.to_string());
            }
            None => {
                manager_of.remove(p.employee_no.as_str());
            }
        }
    }
    if let Some(cycle) = find_cycle(&manager_of) {
        let problem = pulse_domain::org::manager_cycle_problem(&cycle);
        for (p, row) in inputs.iter().zip(&input_rows) {
            if cycle.iter().any(|c| c == p.employee_no.as_str()) {
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

pub(super) async fn stored_managers(
    db: &Db,
) -> Result<HashMap<String, Option<String>>, StoreError> {
    let rows: Vec<(String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT p.employee_no, m.employee_no FROM people p LEFT JOIN people m ON m.id = p.manager_id")
            .fetch_all(pool).await?
    });
    Ok(rows.into_iter().collect())
}

/// The value of a parsed cell, or `None` with the cell's error recorded.
fn checked<T>(
    errors: &mut Vec<ReportError>,
    row: &Row,
    map: &HeaderMap,
    key: &str,
    parsed: Result<T, pulse_domain::Problem>,
) -> Option<T> {
    parsed
        .map_err(|p| errors.push(row_error(row, &map.header(key), p.zh, p.en)))
        .ok()
}
