//! H2 / S3: the anonymous trust survey. Participation and answers live in
//! two tables with nothing in common but the survey: `survey_invitees`
//! (who may answer, whether they did) and `survey_counts` (how many in a
//! unit chose each option). Both are written in full at launch and only
//! updated after, so no row order or time follows the answers; an answer
//! updates all five cells of the unit in one statement, so on PostgreSQL
//! the rows' transaction ids (`xmin`) and positions name the unit — which
//! participation already says — and never the option.

use std::collections::HashMap;

use pulse_domain::health::{self, OPTIONS, Share, suppress};
use serde::Serialize;

use super::{conflict, frontline, invalid, subtree};
use crate::bulk::{self, Cell as BulkCell};
use crate::inbox::{self, TodoState};
use crate::org::Tree;
use crate::{Actor, Db, StoreError, audit};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Survey {
    pub id: i64,
    pub title: String,
    pub org_unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub min_group: i64,
    pub population: i64,
    pub state: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub answered: i64,
}

const SURVEY_SQL: &str = "SELECT s.id, s.title, s.org_unit_id, u.code AS unit_code, u.name AS unit_name, s.min_group, s.population, s.state, s.opened_at, s.closed_at, \
     (SELECT COUNT(*) FROM survey_invitees i WHERE i.survey_id = s.id AND i.answered = 1) AS answered \
     FROM surveys s JOIN org_units u ON u.id = s.org_unit_id";

pub async fn list(db: &Db) -> Result<Vec<Survey>, StoreError> {
    let sql = format!("{SURVEY_SQL} ORDER BY s.opened_at DESC, s.id DESC");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Survey>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?),
    )
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Survey>, StoreError> {
    let sql = format!("{SURVEY_SQL} WHERE s.id = $1");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Survey>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?),
    )
}

/// Where a person stands with a survey: not invited, invited, answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Standing {
    Outside,
    Invited,
    Answered,
}

pub async fn standing(db: &Db, survey_id: i64, person_id: i64) -> Result<Standing, StoreError> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT answered FROM survey_invitees WHERE survey_id = $1 AND person_id = $2")
            .bind(survey_id).bind(person_id).fetch_optional(pool).await?
    });
    Ok(match row {
        None => Standing::Outside,
        Some((0,)) => Standing::Invited,
        Some(_) => Standing::Answered,
    })
}

/// Open surveys a person has yet to answer.
pub async fn open_for(db: &Db, person_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    const SQL: &str = "SELECT s.id, s.title FROM surveys s JOIN survey_invitees i ON i.survey_id = s.id \
         WHERE i.person_id = $1 AND i.answered = 0 AND s.state = 'open' ORDER BY s.id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(person_id).fetch_all(pool).await?))
}

pub struct NewSurvey {
    pub title: String,
    pub unit_id: i64,
    pub min_group: i64,
}

/// Launches the survey to the active frontline staff under a unit: their
/// invitations, every count cell at 0 and each person's to-do, at once.
pub async fn launch(db: &Db, actor: &Actor, tree: &Tree, s: &NewSurvey) -> Result<i64, StoreError> {
    let title = pulse_domain::org::required_text(&s.title, 60, "调查名称", "survey title")
        .map_err(StoreError::Invalid)?;
    let min_group = health::min_group(s.min_group).map_err(StoreError::Invalid)?;
    if tree.get(s.unit_id).is_none() {
        return Err(invalid(
            "unknown_unit",
            "组织单元不存在",
            "no such org unit",
        ));
    }
    let under = subtree(tree, s.unit_id);
    let people: Vec<(i64, i64)> = frontline(db)
        .await?
        .into_iter()
        .filter(|p| under.contains(&p.1))
        .collect();
    if people.is_empty() {
        return Err(invalid(
            "empty_population",
            "该组织下没有在岗一线员工",
            "there are no active frontline staff under this unit",
        ));
    }
    let mut units: Vec<i64> = people.iter().map(|p| p.1).collect();
    units.sort_unstable();
    units.dedup();
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO surveys (title, org_unit_id, min_group, population, launched_by, opened_at) \
                        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(&title).bind(s.unit_id).bind(min_group).bind(people.len() as i64).bind(actor.person_id).bind(now)
            .fetch_one(conn).await?
    });
    let int = |v: i64| BulkCell::Int(v);
    let invitees: Vec<Vec<BulkCell>> = people
        .iter()
        .map(|p| vec![int(id), int(p.0), int(p.1), int(0)])
        .collect();
    bulk::insert(
        &mut tx,
        "survey_invitees",
        &["survey_id", "person_id", "org_unit_id", "answered"],
        &invitees,
    )
    .await?;
    let cells: Vec<Vec<BulkCell>> = units
        .iter()
        .flat_map(|u| {
            (1..=OPTIONS.len() as i64).map(move |o| vec![int(id), int(*u), int(o), int(0)])
        })
        .collect();
    bulk::insert(
        &mut tx,
        "survey_counts",
        &["survey_id", "org_unit_id", "option", "n"],
        &cells,
    )
    .await?;
    let (zh, en) = (
        format!("匿名调查：{title}（约 1 分钟）"),
        format!("Anonymous survey: {title} (about a minute)"),
    );
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO todos (person_id, kind, subject, subject_en, link, source_key, state, created_at) \
                     SELECT person_id, 'survey', $1, $2, $3, $4, 'open', $5 FROM survey_invitees WHERE survey_id = $6")
            .bind(&zh).bind(&en).bind(format!("/health/surveys/{id}")).bind(format!("survey:{id}")).bind(now).bind(id)
            .execute(conn).await?;
    });
    let after = serde_json::json!({"title": title, "unit": s.unit_id, "min_group": min_group, "population": people.len()});
    audit::record(
        &mut tx,
        actor,
        "survey.launch",
        "survey",
        &id.to_string(),
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One answer: the person's invitation flips to answered (once), their
/// unit's five cells are rewritten with one of them + 1, the to-do closes,
/// and the audit log says that they answered — never what.
pub async fn respond(
    db: &Db,
    actor: &Actor,
    survey_id: i64,
    person_id: i64,
    option: i64,
) -> Result<(), StoreError> {
    if !(1..=OPTIONS.len() as i64).contains(&option) {
        return Err(invalid(
            "invalid_answer",
            "请选择五个选项之一（1–5）",
            "choose one of the five options (1–5)",
        ));
    }
    let survey = get(db, survey_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("survey".into()))?;
    if survey.state != "open" {
        return Err(conflict(
            "survey_closed",
            "本次调查已结束",
            "this survey is closed",
        ));
    }
    let mut tx = db.begin().await?;
    let unit: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("UPDATE survey_invitees SET answered = 1 WHERE survey_id = $1 AND person_id = $2 AND answered = 0 RETURNING org_unit_id")
            .bind(survey_id).bind(person_id).fetch_optional(conn).await?
    });
    let Some((unit,)) = unit else {
        tx.rollback().await?;
        return Err(match standing(db, survey_id, person_id).await? {
            Standing::Outside => StoreError::Invalid(pulse_domain::Problem::new(
                "not_invited",
                "你不在本次调查的范围内",
                "you are not among this survey's respondents",
            )),
            _ => conflict(
                "already_answered",
                "你已经回答过本次调查",
                "you have already answered this survey",
            ),
        });
    };
    on_tx!(tx, conn => {
        sqlx::query("UPDATE survey_counts SET n = n + CASE WHEN option = $1 THEN 1 ELSE 0 END WHERE survey_id = $2 AND org_unit_id = $3")
            .bind(option).bind(survey_id).bind(unit).execute(conn).await?;
    });
    inbox::close_for_person(
        &mut tx,
        person_id,
        &format!("survey:{survey_id}"),
        TodoState::Done,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "survey.answer",
        "survey",
        &survey_id.to_string(),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await
}

pub async fn close(db: &Db, actor: &Actor, survey_id: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    let done = on_tx!(tx, conn => {
        sqlx::query("UPDATE surveys SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'open'")
            .bind(now).bind(survey_id).execute(conn).await?.rows_affected()
    });
    if done == 0 {
        tx.rollback().await?;
        return Err(match get(db, survey_id).await? {
            Some(_) => conflict(
                "survey_closed",
                "本次调查已经结束",
                "this survey is already closed",
            ),
            None => StoreError::NotFound("survey".into()),
        });
    }
    crate::inbox::close_by_source(
        &mut tx,
        &format!("survey:{survey_id}"),
        TodoState::Dismissed,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "survey.close",
        "survey",
        &survey_id.to_string(),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await
}

/// A survey's counts with every group's verdict decided once.
#[derive(Debug, Clone)]
pub struct Results {
    pub min_group: i64,
    counts: HashMap<i64, [i64; 5]>,
    verdicts: suppress::Verdicts,
}

/// What may be said about one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    Shown {
        counts: [i64; 5],
        share: Share,
    },
    /// Under the minimum, or hidden with a small sibling.
    Suppressed(suppress::Why),
    /// Nobody under this unit was asked.
    Outside,
}

impl Results {
    /// What may be said about `unit` (the tree the results were read with).
    pub fn cell(&self, tree: &Tree, unit: i64) -> Cell {
        if !self.verdicts.totals.contains_key(&unit) {
            return Cell::Outside;
        }
        if let Some(why) = self.verdicts.why(unit) {
            return Cell::Suppressed(why);
        }
        let mut sum = [0i64; 5];
        for u in subtree(tree, unit) {
            if let Some(c) = self.counts.get(&u) {
                for (s, v) in sum.iter_mut().zip(c) {
                    *s += v;
                }
            }
        }
        match health::trust(&sum) {
            Some(share) => Cell::Shown { counts: sum, share },
            None => Cell::Suppressed(suppress::Why::TooFew),
        }
    }
}

pub async fn results(db: &Db, tree: &Tree, survey: &Survey) -> Result<Results, StoreError> {
    let rows: Vec<(i64, i64, i64)> = on_db!(db, pool => {
        sqlx::query_as("SELECT org_unit_id, option, n FROM survey_counts WHERE survey_id = $1")
            .bind(survey.id).fetch_all(pool).await?
    });
    Ok(results_of(tree, survey, &rows))
}

pub fn results_of(tree: &Tree, survey: &Survey, rows: &[(i64, i64, i64)]) -> Results {
    let mut counts: HashMap<i64, [i64; 5]> = HashMap::new();
    for (unit, option, n) in rows {
        if (1..=5).contains(option) {
            counts.entry(*unit).or_default()[*option as usize - 1] += n;
        }
    }
    // Every unit between the survey's root and an asked unit is a group.
    let mut groups: HashMap<i64, suppress::Group> = HashMap::new();
    for unit in counts.keys() {
        for u in tree.path(*unit).iter().rev() {
            groups.entry(u.id).or_insert(suppress::Group {
                id: u.id,
                parent: u.parent_id.filter(|_| u.id != survey.org_unit_id),
                own: 0,
            });
            if u.id == survey.org_unit_id {
                break;
            }
        }
    }
    for (unit, c) in &counts {
        if let Some(g) = groups.get_mut(unit) {
            g.own = c.iter().sum();
        }
    }
    let groups: Vec<suppress::Group> = groups.into_values().collect();
    Results {
        min_group: survey.min_group,
        verdicts: suppress::decide(&groups, survey.min_group),
        counts,
    }
}

/// Loads a survey's past answers at once (the demo's history, a migration
/// from a former tool): the same two writes as [`respond`] — invitations
/// flipped once, counts raised per unit and option — in one transaction.
/// Every person must be invited and not have answered; else nothing is kept.
pub async fn load_answers(
    db: &Db,
    survey_id: i64,
    answers: &[(i64, i64)],
) -> Result<(), StoreError> {
    if answers
        .iter()
        .any(|a| !(1..=OPTIONS.len() as i64).contains(&a.1))
    {
        return Err(invalid(
            "invalid_answer",
            "请选择五个选项之一（1–5）",
            "choose one of the five options (1–5)",
        ));
    }
    let units: HashMap<i64, i64> = on_db!(db, pool => {
        sqlx::query_as::<_, (i64, i64)>("SELECT person_id, org_unit_id FROM survey_invitees WHERE survey_id = $1 AND answered = 0")
            .bind(survey_id).fetch_all(pool).await?
    })
    .into_iter()
    .collect();
    let mut cells: HashMap<(i64, i64), i64> = HashMap::new();
    for (person, option) in answers {
        let unit = units.get(person).ok_or_else(|| {
            invalid(
                "not_invited",
                "有人不在调查范围内或已经回答过",
                "someone is not among the respondents or has already answered",
            )
        })?;
        *cells.entry((*unit, *option)).or_default() += 1;
    }
    let mut tx = db.begin().await?;
    for chunk in answers.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(|a| a.0.to_string()).collect();
        let sql = format!(
            "UPDATE survey_invitees SET answered = 1 WHERE survey_id = $1 AND answered = 0 AND person_id IN ({})",
            ids.join(",")
        );
        let n = on_tx!(tx, conn => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(survey_id).execute(conn).await?.rows_affected());
        if n as usize != chunk.len() {
            tx.rollback().await?;
            return Err(conflict(
                "already_answered",
                "有人重复出现在答案中",
                "someone appears twice among the answers",
            ));
        }
    }
    for ((unit, option), n) in &cells {
        on_tx!(tx, conn => {
            sqlx::query("UPDATE survey_counts SET n = n + $1 WHERE survey_id = $2 AND org_unit_id = $3 AND option = $4")
                .bind(n).bind(survey_id).bind(unit).bind(option).execute(conn).await?;
        });
    }
    tx.commit().await
}
