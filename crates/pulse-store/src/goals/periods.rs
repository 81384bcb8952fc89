//! Periods (quarters, years) and their closing, KPI definitions (G3, G7).

use crate::{Actor, Db, StoreError, Tx};
use chrono::NaiveDate;
use pulse_domain::Problem;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Period {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub state: String,
}

impl Period {
    /// The name in the reader's language (see [`pulse_domain::goals::period_label`]).
    pub fn label(&self, lang: pulse_domain::Lang) -> String {
        pulse_domain::goals::period_label(&self.code, &self.name, lang)
    }
}

pub(super) const PERIOD_COLUMNS: &str = "id, code, name, starts_on, ends_on, state";

pub async fn upsert_period(
    tx: &mut Tx,
    code: &str,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<i64, StoreError> {
    if ends_on < starts_on {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_period",
            "周期的结束日期早于开始日期",
            "the period ends before it starts",
        )));
    }
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO periods (code, name, starts_on, ends_on) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(code).bind(name).bind(starts_on).bind(ends_on)
        .fetch_one(conn).await?
    });
    Ok(id)
}

/// The open period containing `day`, shortest first (a quarter before its year).
pub async fn period_at(db: &Db, day: NaiveDate) -> Result<Option<Period>, StoreError> {
    let sql = format!(
        "SELECT {PERIOD_COLUMNS} FROM periods WHERE starts_on <= $1 AND ends_on >= $1 \
         ORDER BY starts_on DESC, ends_on, id LIMIT 1"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).bind(day).fetch_optional(pool).await?
    }))
}

pub async fn period_by_code(db: &Db, code: &str) -> Result<Option<Period>, StoreError> {
    let sql = format!("SELECT {PERIOD_COLUMNS} FROM periods WHERE code = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).bind(code).fetch_optional(pool).await?
    }))
}

pub async fn periods(db: &Db) -> Result<Vec<Period>, StoreError> {
    let sql = format!("SELECT {PERIOD_COLUMNS} FROM periods ORDER BY starts_on DESC, id");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Period>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

/// Refuses changes to a closed period (G7) with a clear error.
pub async fn ensure_open(tx: &mut Tx, period_id: i64) -> Result<(), StoreError> {
    let row: Option<(String, String)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name, state FROM periods WHERE id = $1").bind(period_id).fetch_optional(conn).await?
    });
    match row {
        None => Err(StoreError::NotFound(format!("period {period_id}"))),
        Some((name, state)) if state != "open" => Err(StoreError::Conflict(Problem::new(
            "period_closed",
            format!("周期“{name}”已关闭，目标和权重不能再修改"),
            format!("period '{name}' is closed; goals and weights can no longer change"),
        ))),
        Some(_) => Ok(()),
    }
}

/// Closes a period: from now on its goals, weights and targets are frozen.
pub async fn close_period(tx: &mut Tx, actor: &Actor, period_id: i64) -> Result<(), StoreError> {
    ensure_open(tx, period_id).await?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query("UPDATE periods SET state = 'closed', closed_at = $1 WHERE id = $2").bind(now).bind(period_id).execute(conn).await?;
    });
    crate::audit::record::<(), _>(
        tx,
        actor,
        "period.close",
        "period",
        &period_id.to_string(),
        None,
        Some(&serde_json::json!({"state": "closed"})),
    )
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Metric {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub source: String,
    pub formula: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct MetricInput {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub source: String,
    pub formula: String,
    pub description: String,
}

pub async fn upsert_metric(tx: &mut Tx, m: &MetricInput) -> Result<i64, StoreError> {
    pulse_domain::org::required_text(&m.code, 64, "指标编码", "metric code")?;
    pulse_domain::org::required_text(&m.name, 100, "指标名称", "metric name")?;
    if !["higher", "lower"].contains(&m.direction.as_str()) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_direction",
            "指标方向必须是 higher（越高越好）或 lower（越低越好）",
            "direction must be higher or lower",
        )));
    }
    if !["manual", "events", "import", "crm"].contains(&m.source.as_str()) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_source",
            "数据来源必须是 manual、events、import 或 crm",
            "source must be manual, events, import or crm",
        )));
    }
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO metrics (code, name, unit, direction, source, formula, description) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit = excluded.unit, direction = excluded.direction, \
             source = excluded.source, formula = excluded.formula, description = excluded.description RETURNING id",
        )
        .bind(&m.code).bind(&m.name).bind(&m.unit).bind(&m.direction).bind(&m.source).bind(&m.formula).bind(&m.description)
        .fetch_one(conn).await?
    });
    Ok(id)
}

pub async fn metrics(db: &Db) -> Result<Vec<Metric>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Metric>("SELECT id, code, name, unit, direction, source, formula, description FROM metrics ORDER BY code")
            .fetch_all(pool).await?
    }))
}
