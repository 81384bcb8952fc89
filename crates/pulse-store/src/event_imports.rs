//! Customer evaluations and project deliveries from Excel (P4): the sheets
//! customer-service and PMO teams keep today. Every row is checked like an
//! API event; any error imports nothing.

use serde_json::{Map, Value};

use crate::events::{self, NewEvent};
use crate::imports::{ImportReport, ReportError};
use crate::people::UpsertCounts;
use crate::{Db, StoreError};

pub const EVENT_COLUMNS: pulse_sheets::Columns = pulse_sheets::Columns(&[
    pulse_sheets::ColumnSpec {
        key: "kind",
        names: &["类型", "事件类型", "type"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "employee_no",
        names: &["工号", "员工工号", "employee_no"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "customer",
        names: &["客户编码", "客户", "客户名称", "customer"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "occurred_on",
        names: &["日期", "评价日期", "date"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "score",
        names: &["评分", "满意度", "score"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "due_on",
        names: &["承诺交付日期", "计划交付日期", "due_on"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "delivered_on",
        names: &["实际交付日期", "交付日期", "delivered_on"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "note",
        names: &["备注", "note"],
        required: false,
    },
]);

fn kind_code(text: &str) -> Option<&'static str> {
    match text.trim() {
        "客户评价" | "评价" | "evaluation" => Some("evaluation"),
        "项目交付" | "交付" | "delivery" => Some("delivery"),
        _ => None,
    }
}

pub async fn import(
    db: &Db,
    table: &pulse_sheets::Table,
    map: &pulse_sheets::HeaderMap,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let people = crate::people::ids_by_employee_no(&mut tx).await?;
    tx.rollback().await?;
    let mut checked = Vec::new();
    for row in &table.rows {
        let mut err = |key: &str, zh: String, en: String| {
            report.errors.push(ReportError {
                row: row.number,
                column: map.header(key),
                message: zh,
                message_en: en,
            });
        };
        let Some(kind) = kind_code(&map.text(row, "kind")) else {
            err(
                "kind",
                "类型必须是“客户评价”或“项目交付”".into(),
                "type is 客户评价 (evaluation) or 项目交付 (delivery)".into(),
            );
            continue;
        };
        let no = map.text(row, "employee_no");
        let Some(person_id) = people.get(no.trim()).copied() else {
            err(
                "employee_no",
                format!("工号 {no} 不存在"),
                format!("no employee {no}"),
            );
            continue;
        };
        let customer = map.text(row, "customer");
        let customer_id = if customer.trim().is_empty() {
            None
        } else {
            match events::customer_ref(db, &customer).await? {
                Some(id) => Some(id),
                None => {
                    err(
                        "customer",
                        format!("客户“{customer}”不在客户名单中"),
                        format!("customer {customer} is not in the list"),
                    );
                    continue;
                }
            }
        };
        let mut dates = std::collections::HashMap::new();
        let mut bad_date = false;
        for key in ["occurred_on", "due_on", "delivered_on"] {
            match map.cell(row, key).as_date() {
                Ok(d) => {
                    dates.insert(key, d.map(crate::day_start_ms));
                }
                Err(msg) => {
                    err(key, msg, "not a date (e.g. 2026-11-20)".into());
                    bad_date = true;
                }
            }
        }
        if bad_date {
            continue;
        }
        let mut payload = Map::new();
        let score = map.text(row, "score");
        if !score.trim().is_empty() {
            payload.insert(
                "score".into(),
                score
                    .trim()
                    .parse::<i64>()
                    .map_or(Value::from(score.clone()), Value::from),
            );
        }
        if let Some(Some(d)) = dates.get("due_on") {
            payload.insert("due_at".into(), Value::from(*d));
        }
        if let Some(Some(d)) = dates.get("delivered_on") {
            payload.insert("delivered_at".into(), Value::from(*d));
        }
        let note = map.text(row, "note");
        if !note.trim().is_empty() {
            payload.insert("note".into(), Value::from(note.trim()));
        }
        let occurred_at = dates
            .get("occurred_on")
            .copied()
            .flatten()
            .or_else(|| dates.get("delivered_on").copied().flatten())
            .unwrap_or_else(|| db.now_ms());
        if let Err(p) = pulse_domain::events::check(kind, &payload) {
            err("kind", p.zh, p.en);
            continue;
        }
        if pulse_domain::events::needs_customer(kind) && customer_id.is_none() {
            err(
                "customer",
                "客户评价需要客户".into(),
                "an evaluation needs a customer".into(),
            );
            continue;
        }
        checked.push(NewEvent {
            kind: kind.into(),
            person_id,
            customer_id,
            occurred_at,
            payload,
            source: "import".into(),
            created_by: None,
        });
    }
    report.errors.sort_by_key(|e| e.row);
    if !report.errors.is_empty() {
        return Ok(());
    }
    report.counts = UpsertCounts {
        created: checked.len(),
        updated: 0,
        unchanged: 0,
    };
    if !dry_run {
        let mut tx = db.begin().await?;
        for e in &checked {
            events::record(&mut tx, e).await?;
        }
        tx.commit().await?;
        report.committed = true;
    }
    Ok(())
}
