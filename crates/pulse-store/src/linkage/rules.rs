//! Linkage rules (L1) and what their actions may name: talent pools,
//! courses (T1's learning packages: a course may train one dimension) and
//! eligibilities. A rule is checked whole before it is kept: its condition
//! compiles against the metric catalogue and every action names something
//! that exists.

use pulse_domain::Problem;
use pulse_domain::linkage::{Action, BASE_COEFFICIENT, Catalog, LinkCondition, below_zero};
use serde::Serialize;

use crate::{Actor, Db, StoreError, Tx};

/// What an action may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Pool,
    Course,
    Eligibility,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Pool => "pool",
            ItemKind::Course => "course",
            ItemKind::Eligibility => "eligibility",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        match s {
            "pool" => Some(ItemKind::Pool),
            "course" => Some(ItemKind::Course),
            "eligibility" => Some(ItemKind::Eligibility),
            _ => None,
        }
    }

    fn noun(self, zh: bool) -> &'static str {
        match (self, zh) {
            (ItemKind::Pool, true) => "人才池",
            (ItemKind::Pool, false) => "talent pool",
            (ItemKind::Course, true) => "课程",
            (ItemKind::Course, false) => "course",
            (ItemKind::Eligibility, true) => "资格",
            (ItemKind::Eligibility, false) => "eligibility",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub description: String,
    /// For a course: the competency dimension it trains ('' = none).
    pub dimension: String,
    pub hours: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ItemInput {
    pub kind: ItemKind,
    pub name: String,
    pub description: String,
    pub dimension: String,
    pub hours: Option<i64>,
}

pub async fn items(db: &Db, kind: Option<ItemKind>) -> Result<Vec<Item>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Item>(
            "SELECT id, kind, name, description, dimension, hours FROM linkage_items \
             WHERE kind = $1 OR $1 IS NULL ORDER BY kind, name",
        )
        .bind(kind.map(ItemKind::as_str)).fetch_all(pool).await?
    }))
}

/// Adds an item or changes its description, dimension and hours (by kind and name).
pub async fn save_item(tx: &mut Tx, actor: &Actor, input: &ItemInput) -> Result<i64, StoreError> {
    let name = input.name.trim();
    pulse_domain::org::required_text(name, 40, "名称", "name")?;
    let description = input.description.trim();
    if description.chars().count() > 200 {
        return Err(StoreError::Invalid(Problem::new(
            "text_too_long",
            "说明不能超过 200 个字符",
            "the description must be at most 200 characters",
        )));
    }
    let dimension = input.dimension.trim();
    if dimension.chars().count() > 20 {
        return Err(StoreError::Invalid(Problem::new(
            "text_too_long",
            "维度名称不能超过 20 个字符",
            "a dimension name is at most 20 characters",
        )));
    }
    if input.hours.is_some_and(|h| !(1..=1000).contains(&h)) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_hours",
            "学时应在 1 到 1000 之间",
            "hours must be between 1 and 1000",
        )));
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO linkage_items (kind, name, description, dimension, hours, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (kind, name) DO UPDATE SET description = excluded.description, dimension = excluded.dimension, \
             hours = excluded.hours RETURNING id",
        )
        .bind(input.kind.as_str()).bind(name).bind(description).bind(dimension).bind(input.hours).bind(now)
        .fetch_one(conn).await?
    });
    crate::audit::record::<(), _>(
        tx,
        actor,
        "linkage_item.save",
        "linkage_item",
        &id.to_string(),
        None,
        Some(&serde_json::json!({"kind": input.kind.as_str(), "name": name})),
    )
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub condition: String,
    pub actions: Vec<Action>,
    /// '' = every job family.
    pub job_family: String,
    pub enabled: bool,
    pub created_by: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub condition: String,
    pub actions: Vec<Action>,
    pub job_family: String,
    pub enabled: bool,
}

type RuleRow = (i64, String, String, String, String, i64, String, i64);

fn to_rule(r: RuleRow) -> Rule {
    Rule {
        id: r.0,
        name: r.1,
        condition: r.2,
        // Written by this module only, from checked actions.
        actions: serde_json::from_str(&r.3).unwrap_or_default(),
        job_family: r.4,
        enabled: r.5 != 0,
        created_by: r.6,
        updated_at: r.7,
    }
}

const RULE_COLUMNS: &str =
    "id, name, condition, actions_json, job_family, enabled, created_by, updated_at";

pub async fn rules(db: &Db) -> Result<Vec<Rule>, StoreError> {
    let sql = format!("SELECT {RULE_COLUMNS} FROM linkage_rules ORDER BY id");
    let rows: Vec<RuleRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(to_rule).collect())
}

pub async fn rule(db: &Db, id: i64) -> Result<Option<Rule>, StoreError> {
    let sql = format!("SELECT {RULE_COLUMNS} FROM linkage_rules WHERE id = $1");
    let row: Option<RuleRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(to_rule))
}

fn unknown_item(kind: ItemKind, name: &str) -> StoreError {
    StoreError::Invalid(Problem::new(
        match kind {
            ItemKind::Pool => "unknown_pool",
            ItemKind::Course => "unknown_course",
            ItemKind::Eligibility => "unknown_eligibility",
        },
        format!("没有名为“{name}”的{}，请先在目录中添加", kind.noun(true)),
        format!(
            "there is no {} named '{name}'; add it to the catalogue first",
            kind.noun(false)
        ),
    ))
}

/// Checks a rule whole: the condition against the catalogue, the job
/// family, and every action against the catalogue of pools, courses and
/// eligibilities. Returns the compiled condition.
pub async fn check(db: &Db, input: &RuleInput) -> Result<LinkCondition, StoreError> {
    let catalog = super::catalog(db).await?;
    let known = items(db, None).await?;
    check_with(db, &catalog, &known, input).await
}

/// [`check`] against a catalogue and items the caller already read (an
/// evaluation checks every rule against the same ones).
pub async fn check_with(
    db: &Db,
    catalog: &Catalog,
    known: &[Item],
    input: &RuleInput,
) -> Result<LinkCondition, StoreError> {
    pulse_domain::org::required_text(input.name.trim(), 60, "规则名称", "rule name")?;
    let condition = LinkCondition::compile(&input.condition, catalog)?;
    let family = input.job_family.trim();
    if !family.is_empty() {
        let (n,): (i64,) = on_db!(db, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM people WHERE job_family = $1").bind(family).fetch_one(pool).await?
        });
        if n == 0 {
            return Err(StoreError::Invalid(Problem::new(
                "unknown_job_family",
                format!("没有岗位族为“{family}”的员工"),
                format!("nobody has the job family '{family}'"),
            )));
        }
    }
    if input.actions.is_empty() || input.actions.len() > 5 {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_actions",
            "一条规则应有 1 到 5 个结果",
            "a rule has between 1 and 5 actions",
        )));
    }
    let has = |kind: ItemKind, name: &str| {
        known
            .iter()
            .any(|i| i.kind == kind.as_str() && i.name == name)
    };
    let mut bonus = 0;
    for a in &input.actions {
        match a {
            Action::JoinPool { pool } if !has(ItemKind::Pool, pool) => {
                return Err(unknown_item(ItemKind::Pool, pool));
            }
            Action::RecommendCourse { course } if !has(ItemKind::Course, course) => {
                return Err(unknown_item(ItemKind::Course, course));
            }
            Action::GrantEligibility { eligibility }
                if !has(ItemKind::Eligibility, eligibility) =>
            {
                return Err(unknown_item(ItemKind::Eligibility, eligibility));
            }
            Action::AdjustBonus { hundredths } => {
                // The same bounds as a written adjustment ("+0.15").
                pulse_domain::linkage::parse_adjustment(&pulse_domain::linkage::coefficient(
                    *hundredths,
                ))?;
                bonus += hundredths;
            }
            _ => {}
        }
    }
    if BASE_COEFFICIENT + bonus < 0 {
        return Err(StoreError::Invalid(below_zero(bonus)));
    }
    Ok(condition)
}

/// Adds a rule (`id` None) or replaces one, after [`check`]. Audited.
pub async fn save(
    db: &Db,
    actor: &Actor,
    id: Option<i64>,
    input: &RuleInput,
) -> Result<Rule, StoreError> {
    check(db, input).await?;
    let before = match id {
        Some(id) => Some(
            rule(db, id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("linkage rule {id}")))?,
        ),
        None => None,
    };
    let actions = serde_json::to_string(&input.actions).unwrap_or_else(|_| "[]".into());
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let name = input.name.trim();
    let family = input.job_family.trim();
    let enabled = i64::from(input.enabled);
    let (rid,): (i64,) = match id {
        None => on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "INSERT INTO linkage_rules (name, condition, actions_json, job_family, enabled, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(name).bind(input.condition.trim()).bind(&actions).bind(family).bind(enabled).bind(&actor.label).bind(now)
            .fetch_one(conn).await?
        }),
        Some(id) => on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "UPDATE linkage_rules SET name = $1, condition = $2, actions_json = $3, job_family = $4, enabled = $5, updated_at = $6 \
                 WHERE id = $7 RETURNING id",
            )
            .bind(name).bind(input.condition.trim()).bind(&actions).bind(family).bind(enabled).bind(now).bind(id)
            .fetch_one(conn).await?
        }),
    };
    crate::audit::record(
        &mut tx,
        actor,
        if before.is_some() { "linkage_rule.update" } else { "linkage_rule.create" },
        "linkage_rule",
        &rid.to_string(),
        before.as_ref(),
        Some(&serde_json::json!({"name": name, "condition": input.condition.trim(), "actions": input.actions, "job_family": family, "enabled": input.enabled})),
    )
    .await?;
    tx.commit().await?;
    rule(db, rid)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("linkage rule {rid}")))
}
