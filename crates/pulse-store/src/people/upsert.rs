//! Writing people: the upsert by 工号 that the roster import, the edit form,
//! the API and the demo share, with the manager-cycle and own-departure rules.

use std::collections::HashMap;

use chrono::NaiveDate;
use pulse_domain::Problem;
use pulse_domain::org::{EmployeeNo, PersonStatus, find_cycle, manager_cycle_problem};
use pulse_domain::search::search_key;
use serde::Serialize;

use crate::{Actor, StoreError, Tx, audit};

/// The fields of a person that HR maintains (import, edit form, API). The
/// 工号s and the status are validated types, so every path in (sheet, form,
/// API, demo) has parsed them before a row reaches the store.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonInput {
    pub employee_no: EmployeeNo,
    pub name: String,
    pub job_family: String,
    pub level: String,
    pub org_unit_id: i64,
    pub manager_employee_no: Option<EmployeeNo>,
    pub hire_date: Option<NaiveDate>,
    pub status: PersonStatus,
    pub email: Option<String>,
    pub wecom_userid: Option<String>,
}

/// What an upsert did, for the import summary.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct UpsertCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
struct Stored {
    id: i64,
    employee_no: String,
    name: String,
    job_family: String,
    level: String,
    org_unit_id: i64,
    manager_id: Option<i64>,
    hire_date: Option<NaiveDate>,
    status: String,
    email: Option<String>,
    wecom_userid: Option<String>,
}

/// Upserts people by 工号 inside `tx`, links managers (who may be in the same
/// batch or already stored), and refuses a manager cycle anywhere. With
/// `write == false` it only validates and counts (the import dry run), so a
/// preview of 100,000 rows costs no writes. Every created or changed person
/// gets an audit record.
pub async fn upsert(
    tx: &mut Tx,
    actor: &Actor,
    people: &[PersonInput],
    write: bool,
) -> Result<UpsertCounts, StoreError> {
    let existing = stored_for(tx, people).await?;
    let no_of_id: HashMap<i64, String> = existing
        .iter()
        .map(|s| (s.id, s.employee_no.clone()))
        .collect();
    let mut by_no: HashMap<String, Stored> = existing
        .into_iter()
        .map(|s| (s.employee_no.clone(), s))
        .collect();

    // The manager picture after this batch, checked before anything is written.
    let mut manager_of: HashMap<String, String> = by_no
        .values()
        .filter_map(|s| {
            s.manager_id
                .and_then(|m| no_of_id.get(&m))
                .map(|m| (s.employee_no.clone(), m.clone()))
        })
        .collect();
    let incoming: std::collections::HashSet<&str> =
        people.iter().map(|p| p.employee_no.as_str()).collect();
    for p in people {
        let no = p.employee_no.as_str();
        match &p.manager_employee_no {
            Some(m) => {
                if !by_no.contains_key(m.as_str()) && !incoming.contains(m.as_str()) {
                    return Err(StoreError::Invalid(Problem::new(
                        "unknown_manager",
                        format!("上级工号“{m}”不存在"),
                        format!("manager employee number '{m}' does not exist"),
                    )));
                }
                manager_of.insert(no.to_string(), m.to_string());
            }
            None => {
                manager_of.remove(no);
            }
        }
        refuse_own_departure(actor, by_no.get(no), p)?;
    }
    if let Some(cycle) = find_cycle(&manager_of) {
        return Err(StoreError::Invalid(manager_cycle_problem(&cycle)));
    }

    let mut counts = UpsertCounts::default();
    if !write {
        for p in people {
            match by_no.get(p.employee_no.as_str()) {
                None => counts.created += 1,
                Some(before) => {
                    let before_mgr = before.manager_id.and_then(|m| no_of_id.get(&m));
                    let after_mgr = p.manager_employee_no.as_ref().map(EmployeeNo::as_str);
                    if same_fields(before, p) && before_mgr.map(String::as_str) == after_mgr {
                        counts.unchanged += 1;
                    } else {
                        counts.updated += 1;
                    }
                }
            }
        }
        return Ok(counts);
    }

    // Pass 1: insert new people without a manager, so every 工号 has an id.
    let now = tx.now_ms();
    let mut created = std::collections::HashSet::new();
    let new_people: Vec<&PersonInput> = people
        .iter()
        .filter(|p| !by_no.contains_key(p.employee_no.as_str()))
        .collect();
    for p in new_people {
        let (id,): (i64,) = on_tx!(tx, conn => {
            sqlx::query_as(
                "INSERT INTO people (employee_no, name, job_family, level, org_unit_id, hire_date, status, email, wecom_userid, created_at, updated_at, search_key, left_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, CASE WHEN $7 = 'left' THEN $10 END) RETURNING id",
            )
            .bind(p.employee_no.as_str()).bind(&p.name).bind(&p.job_family).bind(&p.level).bind(p.org_unit_id)
            .bind(p.hire_date).bind(p.status.as_str()).bind(&p.email).bind(&p.wecom_userid).bind(now)
            .bind(search_key(&p.name))
            .fetch_one(conn).await?
        });
        by_no.insert(p.employee_no.to_string(), stored_from(id, p, None));
        created.insert(p.employee_no.as_str());
    }

    // Pass 2: link managers and apply changes, with their audit records.
    for p in people {
        let manager_id = p
            .manager_employee_no
            .as_ref()
            .and_then(|m| by_no.get(m.as_str()))
            .map(|s| s.id);
        let Some(before) = by_no.get(p.employee_no.as_str()).cloned() else {
            continue;
        };
        let after = stored_from(before.id, p, manager_id);
        if after != before {
            on_tx!(tx, conn => {
                sqlx::query(
                    "UPDATE people SET name = $1, job_family = $2, level = $3, org_unit_id = $4, manager_id = $5, \
                     hire_date = $6, status = $7, email = $8, wecom_userid = $9, updated_at = $10, search_key = $12, \
                     left_at = CASE WHEN $7 = 'left' THEN COALESCE(left_at, $10) ELSE NULL END WHERE id = $11",
                )
                .bind(&after.name).bind(&after.job_family).bind(&after.level).bind(after.org_unit_id).bind(after.manager_id)
                .bind(after.hire_date).bind(&after.status).bind(&after.email).bind(&after.wecom_userid).bind(now).bind(after.id)
                .bind(search_key(&after.name))
                .execute(conn).await?;
            });
        }
        if created.contains(p.employee_no.as_str()) {
            counts.created += 1;
            audit::record::<(), _>(
                tx,
                actor,
                "create",
                "person",
                p.employee_no.as_str(),
                None,
                Some(&after),
            )
            .await?;
        } else if after != before {
            counts.updated += 1;
            audit::record(
                tx,
                actor,
                "update",
                "person",
                p.employee_no.as_str(),
                Some(&before),
                Some(&after),
            )
            .await?;
        } else {
            counts.unchanged += 1;
        }
        by_no.insert(p.employee_no.to_string(), after);
    }
    Ok(counts)
}

/// Batches up to this size read only the rows they can touch.
const SMALL_BATCH: usize = 64;

/// The stored people the batch needs: all of them for an import; for a small
/// batch (a form, the API, SCIM) only the batch's people, the managers it
/// names and everyone above them. A cycle the batch would close runs through
/// one of its new edges and then up stored manager links, so it lies inside
/// that set, and a provisioning run need not read 2,000 rows per user.
async fn stored_for(tx: &mut Tx, people: &[PersonInput]) -> Result<Vec<Stored>, StoreError> {
    const COLUMNS: &str = "id, employee_no, name, job_family, level, org_unit_id, manager_id, hire_date, status, email, wecom_userid";
    if people.len() > SMALL_BATCH {
        let sql = format!("SELECT {COLUMNS} FROM people");
        return Ok(on_tx!(tx, conn => {
            sqlx::query_as::<_, Stored>(sqlx::AssertSqlSafe(sql)).fetch_all(conn).await?
        }));
    }
    let mut seeds: Vec<&str> = Vec::new();
    for p in people {
        seeds.push(p.employee_no.as_str());
        if let Some(m) = &p.manager_employee_no {
            seeds.push(m.as_str());
        }
    }
    seeds.sort_unstable();
    seeds.dedup();
    let marks = (1..=seeds.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH RECURSIVE up(id) AS (SELECT id FROM people WHERE employee_no IN ({marks}) \
         UNION SELECT p.manager_id FROM people p JOIN up ON p.id = up.id WHERE p.manager_id IS NOT NULL) \
         SELECT {COLUMNS} FROM people WHERE id IN (SELECT id FROM up)"
    );
    Ok(on_tx!(tx, conn => {
        let mut q = sqlx::query_as::<_, Stored>(sqlx::AssertSqlSafe(sql.clone()));
        for s in &seeds {
            q = q.bind(*s);
        }
        q.fetch_all(conn).await?
    }))
}

/// Leaving ends one's own sessions at once, so the last HR person could lock
/// everyone out of the roster: someone else records one's departure, whether
/// by the edit form, the API or a roster import.
fn refuse_own_departure(
    actor: &Actor,
    before: Option<&Stored>,
    p: &PersonInput,
) -> Result<(), StoreError> {
    let Some(before) = before else {
        return Ok(());
    };
    let is_actor = actor.person_id == Some(before.id);
    if is_actor && p.status == PersonStatus::Left && before.status != PersonStatus::Left.as_str() {
        return Err(StoreError::Conflict(Problem::new(
            "own_departure",
            format!(
                "不能把自己（{}）标记为离职，请由另一位 HR 操作",
                p.employee_no
            ),
            format!(
                "you cannot mark yourself ({}) as having left; another HR person records it",
                p.employee_no
            ),
        )));
    }
    Ok(())
}

fn stored_from(id: i64, p: &PersonInput, manager_id: Option<i64>) -> Stored {
    Stored {
        id,
        employee_no: p.employee_no.to_string(),
        name: p.name.clone(),
        job_family: p.job_family.clone(),
        level: p.level.clone(),
        org_unit_id: p.org_unit_id,
        manager_id,
        hire_date: p.hire_date,
        status: p.status.as_str().to_string(),
        email: p.email.clone(),
        wecom_userid: p.wecom_userid.clone(),
    }
}

fn same_fields(s: &Stored, p: &PersonInput) -> bool {
    s.name == p.name
        && s.job_family == p.job_family
        && s.level == p.level
        && s.org_unit_id == p.org_unit_id
        && s.hire_date == p.hire_date
        && s.status == p.status.as_str()
        && s.email == p.email
        && s.wecom_userid == p.wecom_userid
}
