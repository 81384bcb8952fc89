//! Launching a cycle: the population's people, one review each with their
//! manager as reviewer, and each reviewer's to-do.

use chrono::NaiveDate;
use pulse_domain::i18n::Both;
use pulse_domain::reviews::{Population, RatingScale};

use super::{Cycle, conflict, cycle_in, invalid};
use crate::inbox::{self, NewTodo};
use crate::{Actor, Db, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct CycleInput {
    pub name: String,
    pub period_id: i64,
    pub population: Population,
    pub scale: RatingScale,
    pub self_assessment: bool,
    pub due_on: NaiveDate,
}

/// Everyone a population covers who has a manager to write their review,
/// with that manager: (person, manager).
async fn population(tx: &mut Tx, p: &Population) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows: Vec<(i64, i64)> = match p {
        Population::Company => on_tx!(tx, conn => {
            sqlx::query_as("SELECT id, manager_id FROM people WHERE status = 'active' AND manager_id IS NOT NULL ORDER BY id")
                .fetch_all(conn).await?
        }),
        Population::JobFamily(f) => on_tx!(tx, conn => {
            sqlx::query_as("SELECT id, manager_id FROM people WHERE status = 'active' AND manager_id IS NOT NULL AND job_family = $1 ORDER BY id")
                .bind(f).fetch_all(conn).await?
        }),
        Population::Unit(code) => on_tx!(tx, conn => {
            sqlx::query_as(
                "WITH RECURSIVE down(id, depth) AS ( \
                   SELECT id, 0 FROM org_units WHERE code = $1 \
                   UNION ALL SELECT o.id, down.depth + 1 FROM org_units o JOIN down ON o.parent_id = down.id WHERE down.depth < 64 ) \
                 SELECT p.id, p.manager_id FROM people p JOIN down ON down.id = p.org_unit_id \
                 WHERE p.status = 'active' AND p.manager_id IS NOT NULL ORDER BY p.id",
            )
            .bind(code).fetch_all(conn).await?
        }),
    };
    Ok(rows)
}

/// Launches a cycle: one review per person of the population, each manager
/// a to-do for their reviews. Refused, with nothing written, when a person
/// already has a review for the period (a cycle launched twice).
pub async fn launch(db: &Db, actor: &Actor, input: &CycleInput) -> Result<Cycle, StoreError> {
    let name = input.name.trim();
    pulse_domain::org::required_text(name, 100, "周期名称", "cycle name")?;
    if let Population::Unit(code) = &input.population
        && crate::org::list(db).await?.iter().all(|u| &u.code != code)
    {
        return Err(invalid(
            "unknown_unit",
            format!("找不到部门：{code}"),
            format!("no such unit: {code}"),
        ));
    }
    let mut tx = db.begin().await?;
    let period: Option<(NaiveDate,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT ends_on FROM periods WHERE id = $1").bind(input.period_id).fetch_optional(conn).await?
    });
    let Some((period_end,)) = period else {
        return Err(invalid(
            "unknown_period",
            "找不到这个考核周期",
            "no such period",
        ));
    };
    if input.due_on < period_end - chrono::Days::new(92) {
        return Err(invalid(
            "due_too_early",
            "截止日期不能早于考核期",
            "the due date cannot be before the period",
        ));
    }
    let people = population(&mut tx, &input.population).await?;
    if people.is_empty() {
        return Err(invalid(
            "empty_population",
            "这个范围里没有需要评价的在职员工",
            "nobody active with a manager in this population",
        ));
    }
    let taken: Vec<(String,)> = {
        let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
        let mut names = Vec::new();
        for chunk in ids.chunks(500) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT p.name FROM reviews r JOIN people p ON p.id = r.person_id WHERE r.period_id = $1 AND r.person_id IN ({list}) ORDER BY p.id"
            );
            let mut rows: Vec<(String,)> = on_tx!(&mut tx, conn => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(input.period_id).fetch_all(conn).await?
            });
            names.append(&mut rows);
        }
        names
    };
    if !taken.is_empty() {
        let first: Vec<&str> = taken.iter().take(3).map(|t| t.0.as_str()).collect();
        return Err(conflict(
            "already_in_cycle",
            format!(
                "{} 人在本考核期已有评价（如 {}），同一人同一期只能有一份",
                taken.len(),
                first.join("、")
            ),
            format!(
                "{} people already have a review for this period (e.g. {}): one per person and period",
                taken.len(),
                first.join(", ")
            ),
        ));
    }
    let now = db.now_ms();
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO review_cycles (name, period_id, population_kind, population_value, scale_max, allow_halves, self_assessment, due_on, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id",
        )
        .bind(name).bind(input.period_id).bind(input.population.kind()).bind(input.population.value())
        .bind(i64::from(input.scale.max)).bind(i64::from(input.scale.halves)).bind(i64::from(input.self_assessment))
        .bind(input.due_on).bind(&actor.label).bind(now)
        .fetch_one(conn).await?
    });
    for chunk in people.chunks(400) {
        let values = chunk
            .iter()
            .map(|(p, m)| {
                format!(
                    "({id}, {}, {p}, {m}, 'draft', {now}, {now})",
                    input.period_id
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO reviews (cycle_id, period_id, person_id, reviewer_id, state, created_at, updated_at) VALUES {values}"
        );
        on_tx!(&mut tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(conn).await?;
        });
    }
    let c = cycle_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("cycle {id}")))?;
    let mut reviewers: std::collections::BTreeMap<i64, usize> = Default::default();
    for (_, m) in &people {
        *reviewers.entry(*m).or_default() += 1;
    }
    for (reviewer, n) in reviewers {
        remind_reviewer(&mut tx, &c, reviewer, n).await?;
    }
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "review_cycle.launch",
        "review_cycle",
        &id.to_string(),
        None,
        Some(&c),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

pub(crate) fn todo_key(cycle_id: i64, reviewer: i64) -> String {
    format!("review_cycle:{cycle_id}:reviewer:{reviewer}")
}

/// The reviewer's to-do for a cycle (N1): due with the cycle, so the
/// reminder job nudges and escalates it like any overdue to-do (N4).
pub(crate) async fn remind_reviewer(
    tx: &mut Tx,
    c: &Cycle,
    reviewer: i64,
    n: usize,
) -> Result<(), StoreError> {
    inbox::create(
        tx,
        &NewTodo {
            person_id: reviewer,
            kind: "review_due".into(),
            subject: Both::new(
                format!("撰写绩效评语：{}（{n} 人）", c.name),
                format!("Write reviews: {} ({n})", c.name),
            ),
            link: format!("/reviews?cycle={}", c.id),
            source_key: todo_key(c.id, reviewer),
            due_at: Some(c.due_at()),
        },
    )
    .await?;
    Ok(())
}
