//! Live weight rules (G5): saving checked rules, region inputs, and the
//! evaluation that applies overrides to the people of each region and tells
//! the region's managers what changed and why.
//!
//! Semantics are state-based (see `pulse_domain::rules`): each evaluation
//! computes, per region, which rules hold now and sets every person's
//! effective weights to "base weights + winning overrides". An evaluation
//! that changes nothing writes no history and notifies nobody.

use std::collections::{BTreeMap, HashMap};

use pulse_domain::Problem;
use pulse_domain::rules::{Condition, Inputs, RuleOutcome, RuleStatus, VARIABLES, VarKind, decide};
use serde::Serialize;

use crate::goals::{self, Cause};
use crate::{Actor, Db, StoreError, Tx, notify};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub condition: String,
    pub metric_id: i64,
    pub metric_code: String,
    pub metric_name: String,
    pub weight_bp: i64,
    pub scope_unit_id: Option<i64>,
    pub priority: i64,
    pub enabled: i64,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub condition: String,
    pub metric_code: String,
    pub weight_bp: i64,
    /// Limit to one unit's regions (a region or a parent of regions); None = every region.
    pub scope_unit_code: Option<String>,
    pub priority: i64,
    pub enabled: bool,
    pub description: String,
}

/// Checks and saves a rule (new when `id` is None). Nothing is saved when the
/// condition does not compile, names an unknown variable or KPI, or the
/// weight is outside 0–100 %.
pub async fn save_rule(
    tx: &mut Tx,
    actor: &Actor,
    id: Option<i64>,
    r: &RuleInput,
) -> Result<i64, StoreError> {
    pulse_domain::org::required_text(&r.name, 100, "规则名称", "rule name")?;
    Condition::compile(&r.condition)?;
    if !(0..=pulse_domain::weights::FULL).contains(&r.weight_bp) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_weight",
            "规则设定的权重必须在 0%–100% 之间",
            "the rule's weight must be between 0% and 100%",
        )));
    }
    let metric: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM metrics WHERE code = $1").bind(r.metric_code.trim()).fetch_optional(conn).await?
    });
    let Some((metric_id,)) = metric else {
        return Err(StoreError::Invalid(Problem::new(
            "unknown_metric",
            format!("指标“{}”不存在", r.metric_code),
            format!("no metric with code '{}'", r.metric_code),
        )));
    };
    let scope = match r
        .scope_unit_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(code) => {
            let u: Option<(i64,)> = on_tx!(tx, conn => {
                sqlx::query_as("SELECT id FROM org_units WHERE code = $1").bind(code).fetch_optional(conn).await?
            });
            Some(
                u.ok_or_else(|| {
                    StoreError::Invalid(Problem::new(
                        "unknown_unit",
                        format!("部门“{code}”不存在"),
                        format!("no org unit '{code}'"),
                    ))
                })?
                .0,
            )
        }
    };
    let now = tx.now_ms();
    let condition = r.condition.trim();
    let id = match id {
        None => {
            let (id,): (i64,) = on_tx!(tx, conn => {
                sqlx::query_as(
                    "INSERT INTO weight_rules (name, condition, metric_id, weight_bp, scope_unit_id, priority, enabled, description, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(r.name.trim()).bind(condition).bind(metric_id).bind(r.weight_bp).bind(scope).bind(r.priority)
                .bind(i64::from(r.enabled)).bind(&r.description).bind(now)
                .fetch_one(conn).await?
            });
            id
        }
        Some(id) => {
            let n = on_tx!(tx, conn => {
                sqlx::query(
                    "UPDATE weight_rules SET name = $1, condition = $2, metric_id = $3, weight_bp = $4, scope_unit_id = $5, \
                     priority = $6, enabled = $7, description = $8, updated_at = $9 WHERE id = $10",
                )
                .bind(r.name.trim()).bind(condition).bind(metric_id).bind(r.weight_bp).bind(scope).bind(r.priority)
                .bind(i64::from(r.enabled)).bind(&r.description).bind(now).bind(id)
                .execute(conn).await?.rows_affected()
            });
            if n == 0 {
                return Err(StoreError::NotFound(format!("rule {id}")));
            }
            id
        }
    };
    crate::audit::record::<(), _>(
        tx,
        actor,
        "weight_rule.save",
        "weight_rule",
        &id.to_string(),
        None,
        Some(&serde_json::json!({"name": r.name, "condition": condition, "metric": r.metric_code, "weight_bp": r.weight_bp, "priority": r.priority, "enabled": r.enabled})),
    )
    .await?;
    Ok(id)
}

const RULE_SELECT: &str = "SELECT r.id, r.name, r.condition, r.metric_id, m.code AS metric_code, m.name AS metric_name, \
     r.weight_bp, r.scope_unit_id, r.priority, r.enabled, r.description FROM weight_rules r JOIN metrics m ON m.id = r.metric_id";

pub async fn rules(db: &Db) -> Result<Vec<Rule>, StoreError> {
    let sql = format!("{RULE_SELECT} ORDER BY r.priority DESC, r.id");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Rule>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

async fn rules_in(tx: &mut Tx) -> Result<Vec<Rule>, StoreError> {
    let sql = format!("{RULE_SELECT} WHERE r.enabled = 1 ORDER BY r.priority DESC, r.id");
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, Rule>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(conn).await?
    }))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct RuleState {
    pub rule_id: i64,
    pub org_unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub state: String,
    pub inputs_json: String,
    pub error: Option<String>,
    pub changed_at: i64,
    pub evaluated_at: i64,
}

pub async fn states(db: &Db) -> Result<Vec<RuleState>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, RuleState>(
            "SELECT s.rule_id, s.org_unit_id, u.code AS unit_code, u.name AS unit_name, s.state, s.inputs_json, s.error, s.changed_at, s.evaluated_at \
             FROM rule_states s JOIN org_units u ON u.id = s.org_unit_id ORDER BY s.rule_id, u.sort_order, u.id",
        )
        .fetch_all(pool).await?
    }))
}

/// Stores a region's metrics for a period (the rule inputs). Only numeric
/// variables the rule language documents are accepted.
pub async fn set_region_metrics(
    tx: &mut Tx,
    org_unit_id: i64,
    period_id: i64,
    values: &[(String, f64)],
) -> Result<(), StoreError> {
    for (name, v) in values {
        let known = VARIABLES
            .iter()
            .any(|x| x.name == name && x.kind == VarKind::Number && x.name != "headcount");
        if !known {
            return Err(StoreError::Invalid(Problem::new(
                "unknown_variable",
                format!("“{name}”不是可录入的大区指标"),
                format!("'{name}' is not a region metric that can be set"),
            )));
        }
        if !v.is_finite() {
            return Err(StoreError::Invalid(Problem::new(
                "invalid_number",
                format!("“{name}”的值不是有效数字"),
                format!("the value of '{name}' is not a finite number"),
            )));
        }
    }
    let now = tx.now_ms();
    for (name, v) in values {
        on_tx!(tx, conn => {
            sqlx::query(
                "INSERT INTO region_metrics (org_unit_id, period_id, name, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_unit_id, period_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(org_unit_id).bind(period_id).bind(name).bind(*v).bind(now)
            .execute(conn).await?;
        });
    }
    Ok(())
}

/// People (active) in a unit's subtree.
async fn people_under(tx: &mut Tx, unit_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM org_units WHERE id = $1 \
               UNION ALL SELECT o.id, sub.depth + 1 FROM org_units o JOIN sub ON o.parent_id = sub.id WHERE sub.depth < 64) \
             SELECT p.id FROM people p JOIN sub ON p.org_unit_id = sub.id WHERE p.status = 'active' ORDER BY p.id",
        )
        .bind(unit_id).fetch_all(conn).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A region's inputs: its name, stored metrics and headcount.
pub async fn region_inputs(
    tx: &mut Tx,
    unit_id: i64,
    period_id: i64,
) -> Result<Inputs, StoreError> {
    let (name,): (String,) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name FROM org_units WHERE id = $1").bind(unit_id).fetch_one(conn).await?
    });
    let rows: Vec<(String, f64)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name, value FROM region_metrics WHERE org_unit_id = $1 AND period_id = $2")
            .bind(unit_id).bind(period_id).fetch_all(conn).await?
    });
    let mut numbers: BTreeMap<String, f64> = rows.into_iter().collect();
    numbers.insert(
        "headcount".into(),
        people_under(tx, unit_id).await?.len() as f64,
    );
    Ok(Inputs {
        region: name,
        numbers,
    })
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Evaluation {
    pub regions: usize,
    /// (rule, region, before, after) for rules whose state changed.
    pub state_changes: Vec<(String, String, String, String)>,
    pub people_changed: usize,
    pub messages: usize,
}

/// Evaluates every enabled rule for every region (or one) in a period and
/// applies the result. One transaction per region: a failure leaves each
/// region either fully re-weighted or untouched.
pub async fn evaluate(
    db: &Db,
    period_id: i64,
    only_region: Option<i64>,
    actor: &Actor,
) -> Result<Evaluation, StoreError> {
    let units = crate::org::list(db).await?;
    let tree = crate::org::Tree::new(units.clone());
    let mut out = Evaluation::default();
    for region in units.iter().filter(|u| u.kind == "region") {
        if only_region.is_some_and(|r| r != region.id) {
            continue;
        }
        let in_scope = |scope: Option<i64>| {
            scope.is_none_or(|s| tree.path(region.id).iter().any(|u| u.id == s))
        };
        let mut tx = db.begin().await?;
        goals::ensure_open(&mut tx, period_id).await?;
        let rules: Vec<Rule> = rules_in(&mut tx)
            .await?
            .into_iter()
            .filter(|r| in_scope(r.scope_unit_id))
            .collect();
        let inputs = region_inputs(&mut tx, region.id, period_id).await?;
        // Rules come highest priority first (rules_in), as `decide` wants.
        let outcomes: Vec<RuleOutcome> = rules
            .iter()
            .map(|r| RuleOutcome {
                metric_id: r.metric_id,
                outcome: Condition::compile(&r.condition).and_then(|c| c.eval(&inputs)),
            })
            .collect();
        let decided: Vec<(&Rule, RuleStatus, Option<String>)> = rules
            .iter()
            .zip(decide(&outcomes))
            .map(|(r, (state, error))| (r, state, error))
            .collect();
        let overrides: Vec<(i64, i64, i64)> = decided
            .iter()
            .filter(|(_, s, _)| *s == RuleStatus::Active)
            .map(|(r, _, _)| (r.metric_id, r.weight_bp, r.id))
            .collect();
        let previous: HashMap<i64, String> = {
            let rows: Vec<(i64, String)> = on_tx!(&mut tx, conn => {
                sqlx::query_as("SELECT rule_id, state FROM rule_states WHERE org_unit_id = $1")
                    .bind(region.id).fetch_all(conn).await?
            });
            rows.into_iter().collect()
        };
        let flips: Vec<&(&Rule, RuleStatus, Option<String>)> = decided
            .iter()
            .filter(|(r, s, _)| {
                let before = previous
                    .get(&r.id)
                    .map_or(RuleStatus::Inactive, |b| RuleStatus::parse(b));
                s.flips_from(before)
            })
            .collect();
        let note = match flips.first() {
            Some((r, RuleStatus::Active, _)) => format!("规则“{}”生效", r.name),
            Some((r, _, _)) => format!("规则“{}”不再满足，恢复基础权重", r.name),
            None => "规则重新计算".to_string(),
        };
        let cause = Cause {
            kind: if flips.iter().any(|(_, s, _)| *s == RuleStatus::Active) {
                "rule"
            } else {
                "rule_ended"
            },
            rule_id: flips.first().map(|(r, _, _)| r.id),
            note: &note,
        };
        // (metric_id) → (before, after) as seen on the first person changed.
        let mut kpi_moves: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut region_people = 0;
        for person in people_under(&mut tx, region.id).await? {
            let changes =
                goals::reapply(&mut tx, actor, person, period_id, &overrides, &cause).await?;
            if !changes.is_empty() {
                region_people += 1;
            }
            for (g, after) in changes {
                if let Some(m) = g.metric_id {
                    kpi_moves.entry(m).or_insert((g.weight_bp, after));
                }
            }
        }
        let inputs_json = serde_json::to_string(&inputs.numbers).unwrap_or_default();
        let now = db.now_ms();
        for (r, state, error) in &decided {
            let changed = previous.get(&r.id).map(String::as_str) != Some(state.as_str());
            on_tx!(&mut tx, conn => {
                sqlx::query(
                    "INSERT INTO rule_states (rule_id, org_unit_id, state, inputs_json, error, changed_at, evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     ON CONFLICT (rule_id, org_unit_id) DO UPDATE SET state = excluded.state, inputs_json = excluded.inputs_json, error = excluded.error, \
                     evaluated_at = excluded.evaluated_at, changed_at = CASE WHEN rule_states.state = excluded.state THEN rule_states.changed_at ELSE excluded.changed_at END",
                )
                .bind(r.id).bind(region.id).bind(state.as_str()).bind(&inputs_json).bind(error.as_deref()).bind(now)
                .execute(conn).await?;
            });
            if changed {
                out.state_changes.push((
                    r.name.clone(),
                    region.name.clone(),
                    previous.get(&r.id).cloned().unwrap_or_else(|| "new".into()),
                    state.as_str().to_string(),
                ));
            }
        }
        for (r, state, _) in flips {
            let (before, after) = kpi_moves.get(&r.metric_id).copied().unwrap_or((0, 0));
            let flip = Flip {
                rule: r,
                state: *state,
                region: &region.name,
                inputs: &inputs,
                before,
                after,
            };
            let body = explain(&flip, region_people);
            let subject = if *state == RuleStatus::Active {
                format!("权重规则生效：{}（{}）", r.name, region.name)
            } else {
                format!("权重规则结束：{}（{}）", r.name, region.name)
            };
            let key = format!("rule:{}:{}:{}:{now}", r.id, region.id, state.as_str());
            let notice = notice_subject(&flip);
            for m in region_managers(&mut tx, region.id).await? {
                out.messages +=
                    notify::to_person(&mut tx, m, &format!("{key}:{m}"), &subject, &body).await?;
                // The notice also waits in their inbox, linked to the team
                // board where the new weights show (G5).
                crate::inbox::create(
                    &mut tx,
                    &crate::inbox::NewTodo {
                        person_id: m,
                        kind: "weight_rule_notice".into(),
                        subject: notice.clone(),
                        link: "/goals/team".into(),
                        source_key: key.clone(),
                        due_at: None,
                    },
                )
                .await?;
            }
            if notify::to_unit(&mut tx, region.id, &key, &subject, &body).await? {
                out.messages += 1;
            }
        }
        tx.commit().await?;
        out.people_changed += region_people;
        out.regions += 1;
    }
    Ok(out)
}

/// A rule that started or ended in a region, with what its messages say.
struct Flip<'a> {
    rule: &'a Rule,
    state: RuleStatus,
    region: &'a str,
    inputs: &'a Inputs,
    /// The KPI's weight before → after (basis points).
    before: i64,
    after: i64,
}

/// The channel message (Chinese markdown) to the region's managers and robot.
fn explain(f: &Flip, people: usize) -> String {
    let Flip {
        rule: r,
        state,
        region,
        inputs,
        before,
        after,
    } = *f;
    let values = pulse_domain::rules::fired_values(&r.condition, inputs, pulse_domain::Lang::Zh);
    let change = if before != after {
        format!("{}，其余指标按比例调整。", change_zh(r, before, after))
    } else {
        format!("{}。", change_zh(r, before, after))
    };
    format!(
        "**{}**：{}\n大区：{region}\n条件：{}\n输入：{}\n{change}\n涉及 {people} 人。",
        if state == RuleStatus::Active {
            "规则生效"
        } else {
            "规则结束，恢复基础权重"
        },
        r.name,
        r.condition,
        if values.is_empty() {
            "—".into()
        } else {
            values.join("，")
        },
    )
}

/// "“新客户首单转化率”权重 25% → 35%", or that it is unchanged.
fn change_zh(r: &Rule, before: i64, after: i64) -> String {
    let pct = pulse_domain::weights::percent;
    if before != after {
        format!("“{}”权重 {} → {}", r.metric_name, pct(before), pct(after))
    } else {
        format!("“{}”权重不变", r.metric_name)
    }
}

/// The inbox line: rule, region, the values that fired it, before → after.
fn notice_subject(f: &Flip) -> pulse_domain::i18n::Both {
    let Flip {
        rule: r,
        state,
        region,
        inputs,
        before,
        after,
    } = *f;
    use pulse_domain::Lang;
    let pct = pulse_domain::weights::percent;
    let values = |lang| pulse_domain::rules::fired_values(&r.condition, inputs, lang);
    let active = state == RuleStatus::Active;
    let zh_values = values(Lang::Zh).join("，");
    let en_values = values(Lang::En).join(", ");
    let zh_change = change_zh(r, before, after);
    let en_change = if before != after {
        format!(
            "weight of \"{}\" {} → {}",
            r.metric_name,
            pct(before),
            pct(after)
        )
    } else {
        format!("weight of \"{}\" unchanged", r.metric_name)
    };
    let cut = |s: String| s.chars().take(200).collect::<String>();
    pulse_domain::i18n::Both::new(
        cut(format!(
            "{}：{}（{region}）{}；{zh_change}",
            if active {
                "权重规则生效"
            } else {
                "权重规则结束"
            },
            r.name,
            if zh_values.is_empty() {
                String::new()
            } else {
                format!("，{zh_values}")
            },
        )),
        cut(format!(
            "Weight rule {}: {} ({region}){}; {en_change}",
            if active { "in force" } else { "ended" },
            r.name,
            if en_values.is_empty() {
                String::new()
            } else {
                format!(", {en_values}")
            },
        )),
    )
}

/// People who manage a region: manager or director grants anchored at it.
async fn region_managers(tx: &mut Tx, unit_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT DISTINCT a.person_id FROM role_grants g JOIN accounts a ON a.id = g.account_id \
             WHERE g.anchor_unit = $1 AND g.role IN ('manager', 'director') AND a.disabled_at IS NULL ORDER BY a.person_id",
        )
        .bind(unit_id).fetch_all(conn).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The overrides active now for a person: rules firing in a region above
/// their unit, highest priority first — what a manual or imported weight
/// change must keep applying on top of the new base weights.
pub async fn active_overrides(
    tx: &mut Tx,
    person_id: i64,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT o.id, o.parent_id, 0 FROM org_units o JOIN people p ON p.org_unit_id = o.id WHERE p.id = $1 \
               UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64 ) \
             SELECT r.metric_id, r.weight_bp, r.id FROM up JOIN rule_states s ON s.org_unit_id = up.id AND s.state = 'active' \
             JOIN weight_rules r ON r.id = s.rule_id AND r.enabled = 1 ORDER BY r.priority DESC, r.id",
        )
        .bind(person_id).fetch_all(conn).await?
    });
    Ok(rows)
}
