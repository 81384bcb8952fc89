//! SCIM users onto people (+ their account) and groups onto org units.
//!
//! A user's `id` is the person's id, `userName` the account's login (a person
//! without an account shows their 工号). Writes go through the same upsert as
//! the roster import, so the manager-cycle rule and the audit trail hold; the
//! account follows: created with the employee role and a password nobody
//! knows, renamed with `userName`, disabled with every session and token
//! ended when `active` turns false. A group's members are the people whose
//! unit it is: adding a member moves them in; removing one moves them up to
//! the parent unit (a directory's "regroup" is an add here and a remove
//! there, in either order).

use std::collections::HashMap;

use pulse_domain::Problem;
use pulse_domain::identity::scim::{Filter, ScimGroup, ScimUser};
use pulse_domain::org::{EmployeeNo, PersonStatus, UnitKind};
use pulse_domain::roles::{Grant, Role, ScopeKind};

use crate::org::NewUnit;
use crate::people::{PersonInput, upsert};
use crate::{Actor, Db, StoreError, Tx, accounts};

/// Problem codes the SCIM layer maps onto `scimType`s.
pub const UNIQUENESS: &str = "scim_uniqueness";
pub const MUTABILITY: &str = "scim_mutability";
pub const INVALID_VALUE: &str = "scim_invalid_value";

fn problem(code: &'static str, en: String) -> StoreError {
    StoreError::Invalid(Problem::new(code, en.clone(), en))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    pub email: Option<String>,
    pub status: String,
    pub level: String,
    pub org_unit_id: i64,
    pub unit_name: String,
    pub manager_id: Option<i64>,
    pub manager_name: Option<String>,
    pub external_id: Option<String>,
    pub login: Option<String>,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    pub fn user_name(&self) -> &str {
        self.login.as_deref().unwrap_or(&self.employee_no)
    }

    pub fn active(&self) -> bool {
        self.status == "active" && self.disabled_at.is_none()
    }

    /// The stored user as a SCIM resource, the base a PATCH applies to.
    pub fn to_scim(&self) -> ScimUser {
        ScimUser {
            user_name: self.user_name().to_string(),
            external_id: self.external_id.clone(),
            display_name: Some(self.name.clone()),
            family_name: None,
            given_name: None,
            formatted: None,
            email: self.email.clone(),
            active: self.active(),
            employee_number: Some(self.employee_no.clone()),
            department: Some(self.unit_name.clone()),
            manager: self.manager_id.map(|m| m.to_string()),
            title: (!self.level.is_empty()).then(|| self.level.clone()),
        }
    }
}

const USER_SELECT: &str = "SELECT p.id, p.employee_no, p.name, p.email, p.status, p.level, p.org_unit_id, u.name AS unit_name, \
     p.manager_id, m.name AS manager_name, p.scim_external_id AS external_id, a.login, a.disabled_at, p.created_at, p.updated_at \
     FROM people p JOIN org_units u ON u.id = p.org_unit_id LEFT JOIN people m ON m.id = p.manager_id \
     LEFT JOIN accounts a ON a.person_id = p.id";

/// The filter attributes users support.
pub const USER_FILTERS: &[&str] = &[
    "username",
    "externalid",
    "id",
    "emails.value",
    "enterprise.employeenumber",
];
pub const GROUP_FILTERS: &[&str] = &["displayname", "externalid", "id"];

fn user_where(f: Option<&Filter>) -> (&'static str, Option<String>) {
    match f {
        None => ("", None),
        Some(f) => {
            let clause = match f.attr.as_str() {
                "username" => " WHERE LOWER(COALESCE(a.login, p.employee_no)) = LOWER($1)",
                "externalid" => " WHERE p.scim_external_id = $1",
                "id" => " WHERE CAST(p.id AS TEXT) = $1",
                "emails.value" => " WHERE LOWER(p.email) = LOWER($1)",
                _ => " WHERE p.employee_no = $1",
            };
            (clause, Some(f.value.clone()))
        }
    }
}

/// A page of users (`offset`, `limit`) in id order, and how many match.
pub async fn users(
    db: &Db,
    filter: Option<&Filter>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<UserRow>), StoreError> {
    let (clause, value) = user_where(filter);
    let count_sql =
        format!("SELECT COUNT(*) FROM people p LEFT JOIN accounts a ON a.person_id = p.id{clause}");
    let page_sql = if value.is_some() {
        format!("{USER_SELECT}{clause} ORDER BY p.id LIMIT $2 OFFSET $3")
    } else {
        format!("{USER_SELECT} ORDER BY p.id LIMIT $1 OFFSET $2")
    };
    Ok(on_db!(db, pool => {
        let total: (i64,) = match &value {
            Some(v) => sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())).bind(v).fetch_one(pool).await?,
            None => sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())).fetch_one(pool).await?,
        };
        let rows = match &value {
            Some(v) => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(page_sql.clone())).bind(v).bind(limit).bind(offset).fetch_all(pool).await?,
            None => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(page_sql.clone())).bind(limit).bind(offset).fetch_all(pool).await?,
        };
        (total.0, rows)
    }))
}

pub async fn user(db: &Db, id: i64) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("{USER_SELECT} WHERE p.id = $1");
    Ok(
        on_db!(db, pool => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?),
    )
}

async fn user_in_tx(tx: &mut Tx, id: i64) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("{USER_SELECT} WHERE p.id = $1");
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(conn).await?),
    )
}

#[derive(sqlx::FromRow)]
struct Kept {
    job_family: String,
    hire_date: Option<chrono::NaiveDate>,
    wecom_userid: Option<String>,
}

async fn root_unit(tx: &mut Tx) -> Result<i64, StoreError> {
    let root: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(conn).await?
    });
    root.map(|(id,)| id).ok_or_else(|| {
        problem(
            INVALID_VALUE,
            "create the org's top unit before provisioning people".into(),
        )
    })
}

async fn unit_named(tx: &mut Tx, name: &str) -> Result<Option<i64>, StoreError> {
    let found: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM org_units WHERE name = $1 OR code = $1 ORDER BY id LIMIT 1")
            .bind(name).fetch_optional(conn).await?
    });
    Ok(found.map(|(id,)| id))
}

/// Writes a user: create when `id` is None, else replace person `id`. Returns the person id.
pub async fn write_user(
    db: &Db,
    actor: &Actor,
    id: Option<i64>,
    u: &ScimUser,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let current = match id {
        Some(id) => Some(
            user_in_tx(&mut tx, id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("User {id}")))?,
        ),
        None => None,
    };
    let login = pulse_domain::org::required_text(&u.user_name, 64, "登录名", "userName")
        .map_err(|p| problem(INVALID_VALUE, p.en))?;
    let clash: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT person_id FROM accounts WHERE LOWER(login) = LOWER($1)")
            .bind(&login).fetch_optional(conn).await?
    });
    if clash.is_some_and(|(pid,)| Some(pid) != current.as_ref().map(|c| c.id)) {
        return Err(problem(UNIQUENESS, format!("userName '{login}' is taken")));
    }
    // 工号: kept on replace (it keys every record in Pulse), given or derived on create.
    let employee_no = match (&current, &u.employee_number) {
        (Some(c), Some(n)) if n != &c.employee_no => {
            return Err(problem(
                MUTABILITY,
                format!("employeeNumber cannot change (it is '{}')", c.employee_no),
            ));
        }
        (Some(c), _) => c.employee_no.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => {
            let (next,): (i64,) = on_tx!(tx, conn => {
                sqlx::query_as("SELECT COALESCE(MAX(id), 0) + 1 FROM people").fetch_one(conn).await?
            });
            format!("SCIM{next:05}")
        }
    };
    let employee_no = EmployeeNo::parse(&employee_no).map_err(|p| problem(INVALID_VALUE, p.en))?;
    if current.is_none() {
        let taken: Option<(i64,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT id FROM people WHERE employee_no = $1").bind(employee_no.as_str()).fetch_optional(conn).await?
        });
        if taken.is_some() {
            return Err(problem(
                UNIQUENESS,
                format!("employeeNumber '{}' is taken", employee_no.as_str()),
            ));
        }
    }
    let org_unit_id = match (&u.department, &current) {
        // Unchanged (a PATCH of another attribute): stay, even if another unit shares the name.
        (Some(d), Some(c)) if d == &c.unit_name => c.org_unit_id,
        (Some(d), current) => match unit_named(&mut tx, d).await? {
            Some(id) => id,
            None => match current {
                Some(c) => c.org_unit_id,
                None => root_unit(&mut tx).await?,
            },
        },
        (None, Some(c)) => c.org_unit_id,
        (None, None) => root_unit(&mut tx).await?,
    };
    let manager_employee_no = match &u.manager {
        None => None,
        Some(m) => {
            let found: Option<(String,)> = match m.parse::<i64>() {
                Ok(mid) => on_tx!(tx, conn => {
                    sqlx::query_as("SELECT employee_no FROM people WHERE id = $1").bind(mid).fetch_optional(conn).await?
                }),
                Err(_) => None,
            };
            let (no,) = found.ok_or_else(|| {
                problem(
                    INVALID_VALUE,
                    format!("manager '{m}' is not a known User id"),
                )
            })?;
            Some(EmployeeNo::parse(&no).map_err(|p| problem(INVALID_VALUE, p.en))?)
        }
    };
    let kept: Option<Kept> = match &current {
        Some(c) => on_tx!(tx, conn => {
            sqlx::query_as::<_, Kept>("SELECT job_family, hire_date, wecom_userid FROM people WHERE id = $1")
                .bind(c.id).fetch_optional(conn).await?
        }),
        None => None,
    };
    let name = pulse_domain::org::required_text(&u.person_name(), 64, "姓名", "name")
        .map_err(|p| problem(INVALID_VALUE, p.en))?;
    let input = PersonInput {
        employee_no: employee_no.clone(),
        name,
        job_family: kept
            .as_ref()
            .map(|k| k.job_family.clone())
            .unwrap_or_else(|| "general".into()),
        level: u.title.clone().unwrap_or_else(|| {
            current
                .as_ref()
                .map(|c| c.level.clone())
                .unwrap_or_default()
        }),
        org_unit_id,
        manager_employee_no,
        hire_date: kept.as_ref().and_then(|k| k.hire_date),
        status: if u.active {
            PersonStatus::Active
        } else {
            PersonStatus::Left
        },
        email: u.email.clone(),
        wecom_userid: kept.and_then(|k| k.wecom_userid),
    };
    upsert(&mut tx, actor, &[input], true)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(p) => problem(INVALID_VALUE, p.en),
            other => other,
        })?;
    let (person_id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM people WHERE employee_no = $1").bind(employee_no.as_str()).fetch_one(&mut *conn).await?
    });
    on_tx!(tx, conn => {
        sqlx::query("UPDATE people SET scim_external_id = $1 WHERE id = $2")
            .bind(&u.external_id).bind(person_id).execute(conn).await?;
    });
    let account: Option<(i64, String, Option<i64>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id, login, disabled_at FROM accounts WHERE person_id = $1").bind(person_id).fetch_optional(conn).await?
    });
    let account_id = match account {
        Some((aid, old, _)) => {
            if old != login {
                on_tx!(tx, conn => {
                    sqlx::query("UPDATE accounts SET login = $1 WHERE id = $2").bind(&login).bind(aid).execute(conn).await?;
                });
                crate::audit::record(
                    &mut tx,
                    actor,
                    "rename",
                    "account",
                    &login,
                    Some(&old),
                    Some(&login),
                )
                .await?;
            }
            aid
        }
        None => {
            let hash = pulse_domain::auth::NO_PASSWORD.to_string();
            let grant = Grant {
                role: Role::Employee,
                scope: ScopeKind::SelfOnly,
                anchor_unit: None,
            };
            accounts::create_account_hashed(
                &mut tx,
                actor,
                employee_no.as_str(),
                &login,
                &hash,
                &[grant],
            )
            .await?
        }
    };
    let was_active = current.as_ref().is_none_or(|c| c.active());
    let now = tx.now_ms();
    if u.active {
        on_tx!(tx, conn => {
            sqlx::query("UPDATE accounts SET disabled_at = NULL WHERE id = $1").bind(account_id).execute(conn).await?;
        });
    } else {
        on_tx!(tx, conn => {
            sqlx::query("UPDATE accounts SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2").bind(now).bind(account_id).execute(conn).await?;
        });
        if was_active {
            accounts::end_access(&mut tx, actor, account_id, true, "scim_deactivated", None)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(person_id)
}

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
