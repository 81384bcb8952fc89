//! People: the directory, scoped by the caller's grants (S2), and changes to
//! a person with the manager-cycle check (O2).

use std::collections::HashMap;

use chrono::NaiveDate;
use pulse_domain::roles::Visibility;
use pulse_domain::search::search_key;
use serde::Serialize;

use crate::{Db, StoreError, Tx};

mod upsert;
pub use upsert::*;

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

/// One page of the people a viewer sees that match a query, by 工号.
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

/// One page of the people the viewer may see, and how many there are in all.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    query: &PeopleQuery,
) -> Result<(Vec<Person>, i64), StoreError> {
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

/// The 工号 of whoever else holds this WeChat Work user id (sign-in finds
/// people by it, so it must be theirs alone).
pub async fn wecom_userid_holder(
    db: &Db,
    userid: &str,
    except: i64,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT employee_no FROM people WHERE wecom_userid = $1 AND id <> $2 LIMIT 1")
            .bind(userid).bind(except).fetch_optional(pool).await?
    });
    Ok(row.map(|(no,)| no))
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
    /// Whether the viewer sees everyone.
    pub fn is_org(&self) -> bool {
        self.org
    }

    /// The org units whose people the viewer sees (beyond themself).
    pub fn units(&self) -> Vec<i64> {
        let mut u: Vec<i64> = self.units.iter().copied().collect();
        u.sort_unstable();
        u
    }

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
