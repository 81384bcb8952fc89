//! People: the directory, scoped by the caller's grants (S2), and changes to
//! a person with the manager-cycle check (O2).

use std::collections::HashMap;

use chrono::NaiveDate;
use pulse_domain::Problem;
use pulse_domain::org::{EmployeeNo, PersonStatus, find_cycle, manager_cycle_problem};
use pulse_domain::roles::Visibility;
use pulse_domain::search::search_key;
use serde::Serialize;

use crate::{Actor, Db, StoreError, Tx, audit};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Person {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    pub level: String,
    pub org_unit_id: i64,
    pub org_unit_code: String,
    pub org_unit_name: String,
    pub manager_id: Option<i64>,
    pub manager_employee_no: Option<String>,
    pub manager_name: Option<String>,
    pub hire_date: Option<NaiveDate>,
    pub status: String,
    pub email: Option<String>,
    pub wecom_userid: Option<String>,
}

macro_rules! select_people {
    () => {
        "SELECT p.id, p.employee_no, p.name, p.job_family, p.level, p.org_unit_id, \
         u.code AS org_unit_code, u.name AS org_unit_name, p.manager_id, \
         m.employee_no AS manager_employee_no, m.name AS manager_name, \
         p.hire_date, p.status, p.email, p.wecom_userid \
         FROM people p JOIN org_units u ON u.id = p.org_unit_id \
         LEFT JOIN people m ON m.id = p.manager_id"
    };
}

/// The scope part of the WHERE clause, shared by listing and single lookups.
/// `$1` = org-wide flag, `$2` = the caller's own person id, `$3` = the caller's account id.
macro_rules! scope_cte {
    () => {
        "WITH RECURSIVE scope_units(id) AS ( \
           SELECT anchor_unit FROM role_grants WHERE account_id = $3 AND scope = 'subtree' AND anchor_unit IS NOT NULL \
           UNION SELECT o.id FROM org_units o JOIN scope_units s ON o.parent_id = s.id ), \
         filter_units(id) AS ( \
           SELECT id FROM org_units WHERE code = $4 \
           UNION SELECT o.id FROM org_units o JOIN filter_units f ON o.parent_id = f.id ) "
    };
}

/// Two forms of the scope test with the same parameters, chosen in Rust: an
/// `OR` of "org-wide" and "in my units" would stop SQLite from driving the
/// query from the (small) set of units a manager sees.
macro_rules! scope_where {
    (org) => {
        concat!(" WHERE $1 = 1 AND $2 IS NOT NULL", scope_where!(filters))
    };
    (units) => {
        concat!(
            " WHERE $1 = 0 AND p.id IN (SELECT $2 UNION SELECT p1.id FROM people p1 \
              WHERE p1.org_unit_id IN (SELECT id FROM scope_units))",
            scope_where!(filters)
        )
    };
    (filters) => {
        " AND ($4 IS NULL OR p.org_unit_id IN (SELECT id FROM filter_units)) \
          AND ($5 IS NULL OR LOWER(p.name) LIKE $5 ESCAPE '\\' OR LOWER(p.employee_no) LIKE $5 ESCAPE '\\' \
               OR p.search_key LIKE $5 ESCAPE '\\') \
          AND ($6 IS NULL OR p.status = $6)"
    };
}

/// A statement in its two scope forms.
struct Scoped {
    org: &'static str,
    units: &'static str,
}

impl Scoped {
    fn pick(&self, viewer: &Viewer) -> &'static str {
        if viewer.visibility == Visibility::Org {
            self.org
        } else {
            self.units
        }
    }
}

/// Who is asking, reduced to what the scope filter needs.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub account_id: i64,
    pub person_id: i64,
    pub visibility: Visibility,
}

impl Viewer {
    fn org_flag(&self) -> i64 {
        i64::from(self.visibility == Visibility::Org)
    }
}

#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    pub q: Option<String>,
    pub org_unit: Option<String>,
    /// `None` = any status.
    pub status: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

pub const MAX_PER_PAGE: i64 = 100;

fn like_pattern(q: &str) -> String {
    let escaped = q
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of the people the viewer may see, and how many there are in all.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    query: &PeopleQuery,
) -> Result<(Vec<Person>, i64), StoreError> {
    const LIST: Scoped = Scoped {
        org: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(org),
            " ORDER BY p.employee_no LIMIT $7 OFFSET $8"
        ),
        units: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(units),
            " ORDER BY p.employee_no LIMIT $7 OFFSET $8"
        ),
    };
    const COUNT: Scoped = Scoped {
        org: concat!(
            scope_cte!(),
            "SELECT COUNT(*) FROM people p",
            scope_where!(org)
        ),
        units: concat!(
            scope_cte!(),
            "SELECT COUNT(*) FROM people p",
            scope_where!(units)
        ),
    };
    let q = query
        .q
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(like_pattern);
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
    let offset = (query.page.max(1) - 1).saturating_mul(per_page);
    let org = viewer.org_flag();
    let result = on_db!(db, pool => {
        let items = sqlx::query_as::<_, Person>(LIST.pick(viewer))
            .bind(org).bind(viewer.person_id).bind(viewer.account_id)
            .bind(&query.org_unit).bind(&q).bind(&query.status)
            .bind(per_page).bind(offset)
            .fetch_all(pool).await?;
        let (total,): (i64,) = sqlx::query_as(COUNT.pick(viewer))
            .bind(org).bind(viewer.person_id).bind(viewer.account_id)
            .bind(&query.org_unit).bind(&q).bind(&query.status)
            .fetch_one(pool).await?;
        (items, total)
    });
    Ok(result)
}

/// A person by 工号 if the viewer may see them. Someone outside the scope is
/// reported as not found, so the API does not confirm who exists.
pub async fn get_visible(
    db: &Db,
    viewer: &Viewer,
    employee_no: &str,
) -> Result<Option<Person>, StoreError> {
    const SQL: Scoped = Scoped {
        org: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(org),
            " AND p.employee_no = $7"
        ),
        units: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(units),
            " AND p.employee_no = $7"
        ),
    };
    let org = viewer.org_flag();
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Person>(SQL.pick(viewer))
            .bind(org).bind(viewer.person_id).bind(viewer.account_id)
            .bind(None::<String>).bind(None::<String>).bind(None::<String>)
            .bind(employee_no)
            .fetch_optional(pool).await?
    }))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Person>, StoreError> {
    const SQL: &str = concat!(select_people!(), " WHERE p.id = $1");
    Ok(on_db!(db, pool => sqlx::query_as::<_, Person>(SQL).bind(id).fetch_optional(pool).await?))
}

/// Direct reports, for the person page.
pub async fn reports(db: &Db, manager_id: i64) -> Result<Vec<Person>, StoreError> {
    const SQL: &str = concat!(
        select_people!(),
        " WHERE p.manager_id = $1 AND p.status = 'active' ORDER BY p.employee_no"
    );
    Ok(on_db!(db, pool => sqlx::query_as::<_, Person>(SQL).bind(manager_id).fetch_all(pool).await?))
}

/// What a viewer may see, read in one query, to test people already loaded
/// (the links on a page) with the rule [`get_visible`] applies in SQL.
#[derive(Debug, Clone)]
pub struct Scope {
    org: bool,
    person_id: i64,
    units: std::collections::HashSet<i64>,
}

impl Scope {
    pub fn sees(&self, p: &Person) -> bool {
        self.org || p.id == self.person_id || self.units.contains(&p.org_unit_id)
    }
}

pub async fn scope(db: &Db, viewer: &Viewer) -> Result<Scope, StoreError> {
    let mut scope = Scope {
        org: viewer.visibility == Visibility::Org,
        person_id: viewer.person_id,
        units: Default::default(),
    };
    if !scope.org {
        const SQL: &str = "WITH RECURSIVE scope_units(id) AS ( \
               SELECT anchor_unit FROM role_grants WHERE account_id = $1 AND scope = 'subtree' AND anchor_unit IS NOT NULL \
               UNION SELECT o.id FROM org_units o JOIN scope_units s ON o.parent_id = s.id ) \
             SELECT id FROM scope_units";
        let rows: Vec<(i64,)> = on_db!(db, pool => {
            sqlx::query_as(SQL).bind(viewer.account_id).fetch_all(pool).await?
        });
        scope.units = rows.into_iter().map(|r| r.0).collect();
    }
    Ok(scope)
}

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
    let existing: Vec<Stored> = on_tx!(tx, conn => {
        sqlx::query_as::<_, Stored>(
            "SELECT id, employee_no, name, job_family, level, org_unit_id, manager_id, hire_date, status, email, wecom_userid FROM people",
        )
        .fetch_all(conn)
        .await?
    });
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
                "INSERT INTO people (employee_no, name, job_family, level, org_unit_id, hire_date, status, email, wecom_userid, created_at, updated_at, search_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
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
                     hire_date = $6, status = $7, email = $8, wecom_userid = $9, updated_at = $10, search_key = $12 WHERE id = $11",
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

/// A person by 工号, regardless of scope (for admin and service code).
pub async fn by_employee_no(db: &Db, employee_no: &str) -> Result<Option<Person>, StoreError> {
    const SQL: &str = concat!(select_people!(), " WHERE p.employee_no = $1");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, Person>(SQL).bind(employee_no).fetch_optional(pool).await?),
    )
}

/// Every person the viewer may see that matches the filters, for exports.
pub async fn list_all(
    db: &Db,
    viewer: &Viewer,
    query: &PeopleQuery,
) -> Result<Vec<Person>, StoreError> {
    const LIST: Scoped = Scoped {
        org: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(org),
            " ORDER BY p.employee_no LIMIT $7 OFFSET $8"
        ),
        units: concat!(
            scope_cte!(),
            select_people!(),
            scope_where!(units),
            " ORDER BY p.employee_no LIMIT $7 OFFSET $8"
        ),
    };
    let q = query
        .q
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(like_pattern);
    let org = viewer.org_flag();
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Person>(LIST.pick(viewer))
            .bind(org).bind(viewer.person_id).bind(viewer.account_id)
            .bind(&query.org_unit).bind(&q).bind(&query.status)
            .bind(i64::MAX).bind(0_i64)
            .fetch_all(pool).await?
    }))
}

/// Fills in search keys of rows written before pinyin search existed.
pub async fn backfill_search_keys(db: &Db) -> Result<usize, StoreError> {
    let rows: Vec<(i64, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, name FROM people WHERE search_key = ''").fetch_all(pool).await?
    });
    let mut tx = db.begin().await?;
    for (id, name) in &rows {
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE people SET search_key = $1 WHERE id = $2").bind(search_key(name)).bind(id).execute(conn).await?;
        });
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Person ids by 工号, read inside a transaction (for bulk writers).
pub async fn ids_by_employee_no(tx: &mut Tx) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT employee_no, id FROM people").fetch_all(conn).await?
    });
    Ok(rows.into_iter().collect())
}

/// The org unit a person belongs to (None for an unknown id).
pub async fn unit_of(tx: &mut crate::Tx, person_id: i64) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT org_unit_id FROM people WHERE id = $1").bind(person_id).fetch_optional(conn).await?
    });
    Ok(row.map(|r| r.0))
}

/// The job families of active people, sorted (for pickers).
pub async fn job_families(db: &Db) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT DISTINCT job_family FROM people WHERE status = 'active' ORDER BY job_family")
            .fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}
