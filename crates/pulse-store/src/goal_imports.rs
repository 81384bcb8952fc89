//! Importing targets and weights from Excel (G4, X1): one row per person and
//! KPI. A person's rows must add up to exactly 100 %; a person who has KPIs
//! this period must list exactly those KPIs (their targets and base weights
//! are updated), a person without any gets the listed set. All or nothing,
//! like every import.

use std::collections::{BTreeMap, HashMap};

use pulse_domain::decimal::Dec;
use pulse_domain::org::EmployeeNo;
use pulse_domain::weights;
use pulse_sheets::{ColumnSpec, Columns, HeaderMap, Row, Table};

use crate::goals::{self, Cause, NewKpi};
use crate::imports::{ImportReport, ReportError};
use crate::{Actor, Db, StoreError};

pub const GOAL_COLUMNS: Columns = Columns(&[
    ColumnSpec {
        key: "employee_no",
        names: &["工号", "员工编号", "employee_no"],
        required: true,
    },
    ColumnSpec {
        key: "name",
        names: &["姓名", "name"],
        required: false,
    },
    ColumnSpec {
        key: "metric",
        names: &["指标编码", "指标", "metric"],
        required: true,
    },
    ColumnSpec {
        key: "target",
        names: &["目标值", "目标", "target"],
        required: false,
    },
    ColumnSpec {
        key: "weight",
        names: &["权重", "基础权重", "weight"],
        required: true,
    },
    ColumnSpec {
        key: "period",
        names: &["周期", "周期编码", "period"],
        required: false,
    },
]);

fn err(row: &Row, column: &str, zh: impl Into<String>, en: impl Into<String>) -> ReportError {
    ReportError {
        row: row.number,
        column: column.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

struct Line<'a> {
    row: &'a Row,
    metric_id: i64,
    metric_name: String,
    lower: bool,
    target: Option<Dec>,
    weight: i64,
}

/// Checks every row, then applies the file in one transaction (rolled back
/// on a dry run). `period_id` is the period rows without a 周期 go to.
pub async fn import_goals(
    db: &Db,
    actor: &Actor,
    table: &Table,
    map: &HeaderMap,
    dry_run: bool,
    default_period: Option<i64>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let metrics = goals::metrics(db).await?;
    let periods = goals::periods(db).await?;
    let mut errors = Vec::new();
    // (person id, period id) → lines, in file order.
    let mut people: BTreeMap<(i64, i64), Vec<Line>> = BTreeMap::new();
    let mut seen: HashMap<(i64, i64, i64), usize> = HashMap::new();
    let mut tx = db.begin().await?;
    let ids = crate::people::ids_by_employee_no(&mut tx).await?;
    tx.rollback().await?;
    for row in &table.rows {
        let before = errors.len();
        let no = map.text(row, "employee_no");
        let person = match EmployeeNo::parse(&no) {
            Err(p) => {
                errors.push(err(row, &map.header("employee_no"), p.zh, p.en));
                None
            }
            Ok(n) => match ids.get(n.as_str()) {
                Some(id) => Some(*id),
                None => {
                    errors.push(err(
                        row,
                        &map.header("employee_no"),
                        format!("工号“{no}”在系统中不存在"),
                        format!("no person with employee number '{no}'"),
                    ));
                    None
                }
            },
        };
        let raw_metric = map.text(row, "metric");
        let metric = metrics
            .iter()
            .find(|m| m.code == raw_metric || m.name == raw_metric);
        if metric.is_none() {
            errors.push(err(
                row,
                &map.header("metric"),
                format!("指标“{raw_metric}”不存在（填指标编码或名称）"),
                format!("unknown metric '{raw_metric}' (use its code or name)"),
            ));
        }
        let raw_period = map.text(row, "period");
        let period = if raw_period.is_empty() {
            default_period
        } else {
            periods
                .iter()
                .find(|p| p.code == raw_period || p.name == raw_period)
                .map(|p| p.id)
        };
        match (period, periods.iter().find(|p| Some(p.id) == period)) {
            (None, _) => errors.push(err(
                row,
                &map.header("period"),
                format!("周期“{raw_period}”不存在"),
                format!("unknown period '{raw_period}'"),
            )),
            (Some(_), Some(p)) if p.state != "open" => errors.push(err(
                row,
                &map.header("period"),
                format!("周期“{}”已关闭，不能再导入", p.name),
                format!("period '{}' is closed", p.name),
            )),
            _ => {}
        }
        let target_raw = map.text(row, "target");
        let target = if target_raw.is_empty() {
            None
        } else {
            match Dec::parse(&target_raw) {
                Ok(d) => Some(d),
                Err(p) => {
                    errors.push(err(row, &map.header("target"), p.zh, p.en));
                    None
                }
            }
        };
        // Excel often stores "25%" as the number 0.25.
        let weight = match map.cell(row, "weight") {
            pulse_sheets::Cell::Number(n) if *n <= 1.0 => Ok((n * 10_000.0).round() as i64),
            cell => weights::parse_percent(&cell.as_text()),
        };
        let weight = weight.unwrap_or_else(|p| {
            errors.push(err(row, &map.header("weight"), p.zh, p.en));
            0
        });
        if errors.len() > before {
            continue;
        }
        let (Some(person), Some(metric), Some(period)) = (person, metric, period) else {
            continue;
        };
        if let Some(first) = seen.insert((person, period, metric.id), row.number) {
            errors.push(err(
                row,
                &map.header("metric"),
                format!("与第 {first} 行重复：同一人同一指标只能出现一次"),
                format!("duplicates row {first}: one row per person and metric"),
            ));
            continue;
        }
        people.entry((person, period)).or_default().push(Line {
            row,
            metric_id: metric.id,
            metric_name: metric.name.clone(),
            lower: metric.direction == "lower",
            target,
            weight,
        });
    }
    // Per person: exactly 100 %, and the same KPIs as stored (if any).
    let mut tx = db.begin().await?;
    let mut plan = Vec::new();
    for ((person, period), lines) in &people {
        let w: Vec<i64> = lines.iter().map(|l| l.weight).collect();
        if let Err(p) = weights::check_sum(&w) {
            for l in lines {
                errors.push(err(
                    l.row,
                    &map.header("weight"),
                    p.zh.clone(),
                    p.en.clone(),
                ));
            }
            continue;
        }
        let stored: Vec<goals::Goal> = goals::person_goals_in(&mut tx, *person, *period)
            .await?
            .into_iter()
            .filter(|g| pulse_domain::goals::is_weighted(&g.kind))
            .collect();
        if !stored.is_empty() {
            let missing: Vec<&goals::Goal> = stored
                .iter()
                .filter(|g| !lines.iter().any(|l| g.metric_id == Some(l.metric_id)))
                .collect();
            let extra: Vec<&Line> = lines
                .iter()
                .filter(|l| !stored.iter().any(|g| g.metric_id == Some(l.metric_id)))
                .collect();
            if !missing.is_empty() || !extra.is_empty() {
                let names: Vec<String> = missing.iter().map(|g| g.title.clone()).collect();
                for l in lines {
                    errors.push(err(
                        l.row,
                        &map.header("metric"),
                        if !extra.is_empty() && extra.iter().any(|e| e.row.number == l.row.number) {
                            format!("此人本周期没有指标“{}”", l.metric_name)
                        } else {
                            format!("此人的指标不完整，文件中缺少：{}", names.join("、"))
                        },
                        "the file must list exactly the person's KPIs of the period",
                    ));
                }
                continue;
            }
        }
        plan.push((*person, *period, lines, stored));
    }
    errors.sort_by_key(|e| e.row);
    report.errors = errors;
    if !report.errors.is_empty() {
        tx.rollback().await?;
        return Ok(());
    }
    let cause = Cause {
        kind: "import",
        rule_id: None,
        note: "Excel 导入",
    };
    for (person, period, lines, stored) in plan {
        if stored.is_empty() {
            let items: Vec<NewKpi> = lines
                .iter()
                .map(|l| NewKpi {
                    title: l.metric_name.clone(),
                    metric_id: Some(l.metric_id),
                    parent_id: None,
                    target: l.target.map(|t| t.to_string()),
                    actual: None,
                    lower_is_better: l.lower,
                    weight_bp: l.weight,
                })
                .collect();
            goals::create_kpi_set(&mut tx, actor, period, person, &items, &cause).await?;
            report.counts.created += 1;
            continue;
        }
        let mut changed = false;
        let mut base = Vec::new();
        for g in &stored {
            let l = lines
                .iter()
                .find(|l| g.metric_id == Some(l.metric_id))
                .expect("checked above: every stored KPI is in the file");
            if let Some(t) = &l.target
                && g.target
                    .as_deref()
                    .map(Dec::parse)
                    .transpose()
                    .ok()
                    .flatten()
                    != Some(*t)
            {
                goals::set_target(&mut tx, g.id, t).await?;
                changed = true;
            }
            changed |= g.base_weight_bp != l.weight;
            base.push((g.id, l.weight));
        }
        let overrides = crate::weight_rules::active_overrides(&mut tx, person).await?;
        goals::set_base_weights(&mut tx, actor, person, period, &base, &overrides, &cause).await?;
        if changed {
            report.counts.updated += 1;
        } else {
            report.counts.unchanged += 1;
        }
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        report.committed = true;
    }
    Ok(())
}
