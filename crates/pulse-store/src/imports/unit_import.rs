//! The org-unit sheet: rows to units under their parents (X1).

use crate::org::NewUnit;
use crate::{Actor, Db, StoreError};
use pulse_domain::org::{UnitKind, required_text};
use pulse_sheets::{HeaderMap, Table};
use std::collections::{HashMap, HashSet};

use super::*;

pub(super) async fn import_units(
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
