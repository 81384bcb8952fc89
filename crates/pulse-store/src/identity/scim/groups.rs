//! SCIM groups: org units, members being the people whose unit it is.

use std::collections::HashMap;

use pulse_domain::Problem;
use pulse_domain::identity::scim::{Filter, ScimGroup};
use pulse_domain::org::{EmployeeNo, PersonStatus, UnitKind};

use super::{INVALID_VALUE, MUTABILITY, UNIQUENESS, problem, root_unit};
use crate::org::NewUnit;
use crate::people::{PersonInput, upsert};
use crate::{Actor, Db, StoreError, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub external_id: Option<String>,
    pub parent_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A group with its active members (id, name).
#[derive(Debug, Clone)]
pub struct GroupWithMembers {
    pub group: GroupRow,
    pub members: Vec<(i64, String)>,
}

const GROUP_SELECT: &str = "SELECT id, code, name, scim_external_id AS external_id, parent_id, created_at, updated_at FROM org_units";

pub async fn groups(
    db: &Db,
    filter: Option<&Filter>,
    offset: i64,
    limit: i64,
    with_members: bool,
) -> Result<(i64, Vec<GroupWithMembers>), StoreError> {
    let (clause, value) = match filter {
        None => ("", None),
        Some(f) => (
            match f.attr.as_str() {
                "displayname" => " WHERE name = $1",
                "externalid" => " WHERE scim_external_id = $1",
                _ => " WHERE CAST(id AS TEXT) = $1",
            },
            Some(f.value.clone()),
        ),
    };
    let count_sql = format!("SELECT COUNT(*) FROM org_units{clause}");
    let page_sql = if value.is_some() {
        format!("{GROUP_SELECT}{clause} ORDER BY id LIMIT $2 OFFSET $3")
    } else {
        format!("{GROUP_SELECT} ORDER BY id LIMIT $1 OFFSET $2")
    };
    let (total, rows): ((i64,), Vec<GroupRow>) = on_db!(db, pool => {
        match &value {
            Some(v) => (
                sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())).bind(v).fetch_one(pool).await?,
                sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(page_sql.clone())).bind(v).bind(limit).bind(offset).fetch_all(pool).await?,
            ),
            None => (
                sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())).fetch_one(pool).await?,
                sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(page_sql.clone())).bind(limit).bind(offset).fetch_all(pool).await?,
            ),
        }
    });
    let mut members: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    if with_members && !rows.is_empty() {
        let (lo, hi) = (rows[0].id, rows[rows.len() - 1].id);
        let found: Vec<(i64, i64, String)> = on_db!(db, pool => {
            sqlx::query_as("SELECT org_unit_id, id, name FROM people WHERE status = 'active' AND org_unit_id BETWEEN $1 AND $2 ORDER BY id")
                .bind(lo).bind(hi).fetch_all(pool).await?
        });
        for (unit, id, name) in found {
            members.entry(unit).or_default().push((id, name));
        }
    }
    Ok((
        total.0,
        rows.into_iter()
            .map(|g| GroupWithMembers {
                members: members.remove(&g.id).unwrap_or_default(),
                group: g,
            })
            .collect(),
    ))
}

pub async fn group(db: &Db, id: i64) -> Result<Option<GroupWithMembers>, StoreError> {
    let f = Filter {
        attr: "id".into(),
        value: id.to_string(),
    };
    Ok(groups(db, Some(&f), 0, 1, true).await?.1.pop())
}

/// Writes a group: create when `id` is None, else replace unit `id` (name,
/// external id, members). Returns the unit id.
pub async fn write_group(
    db: &Db,
    actor: &Actor,
    id: Option<i64>,
    g: &ScimGroup,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let name = pulse_domain::org::required_text(&g.display_name, 64, "部门名称", "displayName")
        .map_err(|p| problem(INVALID_VALUE, p.en))?;
    let same_name: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM org_units WHERE name = $1").bind(&name).fetch_optional(conn).await?
    });
    if same_name.is_some_and(|(other,)| Some(other) != id) {
        return Err(problem(
            UNIQUENESS,
            format!("a group named '{name}' exists"),
        ));
    }
    let (unit_id, code, kind, parent_code, sort_order) = match id {
        Some(id) => {
            let found: Option<(String, String, Option<String>, i64)> = on_tx!(tx, conn => {
                sqlx::query_as("SELECT u.code, u.kind, p.code, u.sort_order FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id WHERE u.id = $1")
                    .bind(id).fetch_optional(conn).await?
            });
            let (code, kind, parent, sort) =
                found.ok_or_else(|| StoreError::NotFound(format!("Group {id}")))?;
            (
                Some(id),
                code,
                UnitKind::parse(&kind).unwrap_or(UnitKind::Department),
                parent,
                sort,
            )
        }
        None => {
            let root = root_unit(&mut tx).await?;
            let (root_code, next): (String, i64) = on_tx!(tx, conn => {
                sqlx::query_as("SELECT (SELECT code FROM org_units WHERE id = $1), (SELECT COALESCE(MAX(id), 0) + 1 FROM org_units)")
                    .bind(root).fetch_one(conn).await?
            });
            (
                None,
                format!("SCIM{next:04}"),
                UnitKind::Department,
                Some(root_code),
                0,
            )
        }
    };
    crate::org::upsert_units(
        &mut tx,
        actor,
        &[NewUnit {
            code: code.clone(),
            name,
            kind,
            parent_code,
            sort_order,
        }],
    )
    .await?;
    let (unit_id, parent_id): (i64, Option<i64>) = match unit_id {
        Some(id) => {
            on_tx!(tx, conn => sqlx::query_as("SELECT id, parent_id FROM org_units WHERE id = $1").bind(id).fetch_one(conn).await?)
        }
        None => {
            on_tx!(tx, conn => sqlx::query_as("SELECT id, parent_id FROM org_units WHERE code = $1").bind(&code).fetch_one(conn).await?)
        }
    };
    on_tx!(tx, conn => {
        sqlx::query("UPDATE org_units SET scim_external_id = $1 WHERE id = $2").bind(&g.external_id).bind(unit_id).execute(conn).await?;
    });
    set_members(&mut tx, actor, unit_id, parent_id, &g.members).await?;
    tx.commit().await?;
    Ok(unit_id)
}

/// Moves people so the unit's active members are exactly `wanted`.
async fn set_members(
    tx: &mut Tx,
    actor: &Actor,
    unit_id: i64,
    parent_id: Option<i64>,
    wanted: &[String],
) -> Result<(), StoreError> {
    let mut wanted_ids = Vec::with_capacity(wanted.len());
    for w in wanted {
        let id = w
            .parse::<i64>()
            .map_err(|_| problem(INVALID_VALUE, format!("member '{w}' is not a User id")))?;
        wanted_ids.push(id);
    }
    let now_in: Vec<i64> = on_tx!(tx, conn => {
        sqlx::query_as::<_, (i64,)>("SELECT id FROM people WHERE org_unit_id = $1 AND status = 'active'")
            .bind(unit_id).fetch_all(conn).await?.into_iter().map(|(id,)| id).collect()
    });
    let leave_to = parent_id.unwrap_or(unit_id);
    let mut moves: Vec<(i64, i64)> = now_in
        .iter()
        .filter(|id| !wanted_ids.contains(id))
        .map(|id| (*id, leave_to))
        .collect();
    moves.extend(
        wanted_ids
            .iter()
            .filter(|id| !now_in.contains(id))
            .map(|id| (*id, unit_id)),
    );
    if moves.is_empty() {
        return Ok(());
    }
    let mut inputs = Vec::with_capacity(moves.len());
    for (person, to) in moves {
        let row: Option<MoveRow> = on_tx!(tx, conn => {
            sqlx::query_as::<_, MoveRow>(
                "SELECT p.employee_no, p.name, p.job_family, p.level, m.employee_no AS manager_no, p.hire_date, p.status, p.email, p.wecom_userid \
                 FROM people p LEFT JOIN people m ON m.id = p.manager_id WHERE p.id = $1",
            )
            .bind(person).fetch_optional(conn).await?
        });
        let r = row.ok_or_else(|| {
            problem(
                INVALID_VALUE,
                format!("member '{person}' is not a known User id"),
            )
        })?;
        inputs.push(PersonInput {
            employee_no: EmployeeNo::parse(&r.employee_no)?,
            name: r.name,
            job_family: r.job_family,
            level: r.level,
            org_unit_id: to,
            manager_employee_no: r.manager_no.as_deref().map(EmployeeNo::parse).transpose()?,
            hire_date: r.hire_date,
            status: PersonStatus::parse(&r.status)?,
            email: r.email,
            wecom_userid: r.wecom_userid,
        });
    }
    upsert(tx, actor, &inputs, true).await?;
    on_tx!(tx, conn => {
        sqlx::query("UPDATE org_version SET version = version + 1 WHERE id = 1").execute(conn).await?;
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    employee_no: String,
    name: String,
    job_family: String,
    level: String,
    manager_no: Option<String>,
    hire_date: Option<chrono::NaiveDate>,
    status: String,
    email: Option<String>,
    wecom_userid: Option<String>,
}

/// Deletes a group: only an empty leaf unit may go (history keeps the rest).
pub async fn delete_group(db: &Db, actor: &Actor, id: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let found: Option<(String, i64, i64)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT code, (SELECT COUNT(*) FROM people WHERE org_unit_id = $1), (SELECT COUNT(*) FROM org_units WHERE parent_id = $1) FROM org_units WHERE id = $1",
        )
        .bind(id).fetch_optional(conn).await?
    });
    let (code, people, children) =
        found.ok_or_else(|| StoreError::NotFound(format!("Group {id}")))?;
    if people > 0 || children > 0 {
        return Err(StoreError::Conflict(Problem::new(
            MUTABILITY,
            "only an empty group without subgroups can be deleted; move its members first",
            "only an empty group without subgroups can be deleted; move its members first",
        )));
    }
    let deleted = on_tx!(tx, conn => {
        sqlx::query("DELETE FROM org_units WHERE id = $1").bind(id).execute(&mut *conn).await.map(|_| ())
    });
    if deleted.is_err() {
        return Err(StoreError::Conflict(Problem::new(
            MUTABILITY,
            "this group is referenced by goals or history and cannot be deleted",
            "this group is referenced by goals or history and cannot be deleted",
        )));
    }
    on_tx!(tx, conn => {
        sqlx::query("UPDATE org_version SET version = version + 1 WHERE id = 1").execute(conn).await?;
    });
    crate::audit::record::<(), ()>(&mut tx, actor, "delete", "org_unit", &code, None, None).await?;
    tx.commit().await?;
    Ok(())
}
