//! SCIM users: people with their account.

use pulse_domain::identity::scim::{Filter, ScimUser};
use pulse_domain::org::{EmployeeNo, PersonStatus};
use pulse_domain::roles::{Grant, Role, ScopeKind};

use super::{INVALID_VALUE, MUTABILITY, UNIQUENESS, problem, root_unit};
use crate::people::{PersonInput, upsert};
use crate::{Actor, Db, StoreError, Tx, accounts};

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
