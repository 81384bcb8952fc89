//! Login accounts, role grants, sessions, login throttling and API tokens (S1, S2, X4).
//!
//! Sessions live in the database so any instance accepts them; only the
//! SHA-256 digest of a session id or token is stored.

use pulse_domain::Problem;
use pulse_domain::auth::{digest_secret, hash_password, new_secret};
use pulse_domain::roles::{Grant, Role, ScopeKind, Visibility};
use serde::Serialize;

use crate::people::Viewer;
use crate::{Actor, Db, StoreError, Tx, audit};

// Defined before the submodules so `tokens` can use it too.
macro_rules! select_caller {
    () => {
        "SELECT a.id AS account_id, p.id AS person_id, a.login, p.employee_no, p.name, p.org_unit_id, \
         u.code AS org_unit_code, u.name AS org_unit_name \
         FROM accounts a JOIN people p ON p.id = a.person_id JOIN org_units u ON u.id = p.org_unit_id "
    };
}

mod tokens;

pub use tokens::*;

/// An authenticated caller: the account, the person behind it and their grants.
#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    pub account_id: i64,
    pub person_id: i64,
    pub login: String,
    pub employee_no: String,
    pub name: String,
    pub org_unit_id: i64,
    pub org_unit_code: String,
    pub org_unit_name: String,
    pub grants: Vec<Grant>,
    /// Present for browser sessions: forms must echo it.
    #[serde(skip)]
    pub csrf_token: Option<String>,
    /// Present for API tokens: what the token may do.
    pub token_scopes: Option<Vec<String>>,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }

    pub fn viewer(&self) -> Viewer {
        Viewer {
            account_id: self.account_id,
            person_id: self.person_id,
            visibility: Visibility::from_grants(self.person_id, &self.grants),
        }
    }
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    account_id: i64,
    person_id: i64,
    login: String,
    employee_no: String,
    name: String,
    org_unit_id: i64,
    org_unit_code: String,
    org_unit_name: String,
}

async fn grants_of(db: &Db, account_id: i64) -> Result<Vec<Grant>, StoreError> {
    let rows: Vec<(String, String, Option<i64>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT role, scope, anchor_unit FROM role_grants WHERE account_id = $1 ORDER BY role")
            .bind(account_id)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(r, s, a)| {
            Some(Grant {
                role: Role::parse(&r).ok()?,
                scope: ScopeKind::parse(&s).ok()?,
                anchor_unit: a,
            })
        })
        .collect())
}

async fn finish_caller(
    db: &Db,
    row: CallerRow,
    csrf: Option<String>,
    scopes: Option<Vec<String>>,
) -> Result<Caller, StoreError> {
    let grants = grants_of(db, row.account_id).await?;
    Ok(Caller {
        account_id: row.account_id,
        person_id: row.person_id,
        login: row.login,
        employee_no: row.employee_no,
        name: row.name,
        org_unit_id: row.org_unit_id,
        org_unit_code: row.org_unit_code,
        org_unit_name: row.org_unit_name,
        grants,
        csrf_token: csrf,
        token_scopes: scopes,
    })
}

/// The roles an account holds.
pub async fn roles_of(db: &Db, account_id: i64) -> Result<Vec<Role>, StoreError> {
    Ok(grants_of(db, account_id)
        .await?
        .into_iter()
        .map(|g| g.role)
        .collect())
}

/// Login name → (account id, password hash) of an enabled account whose person is active.
pub async fn credentials(db: &Db, login: &str) -> Result<Option<(i64, String)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT a.id, a.password_hash FROM accounts a JOIN people p ON p.id = a.person_id \
             WHERE a.login = $1 AND a.disabled_at IS NULL AND p.status = 'active'",
        )
        .bind(login.trim())
        .fetch_optional(pool)
        .await?
    }))
}

pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

/// Opens a session; returns the secret for the cookie.
pub async fn create_session(db: &Db, account_id: i64) -> Result<String, StoreError> {
    let secret = new_secret();
    let now = db.now_ms();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO sessions (id_digest, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(digest_secret(&secret)).bind(account_id).bind(new_secret()).bind(now).bind(now + SESSION_TTL_MS)
            .execute(pool).await?;
        // Opportunistic clean-up keeps the table small without a scheduler.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(pool).await?;
    });
    Ok(secret)
}

/// The caller behind a session cookie, grants included, in ONE query: this
/// runs on every request, so the grants come along as joined rows.
pub async fn caller_by_session(db: &Db, secret: &str) -> Result<Option<Caller>, StoreError> {
    const SQL: &str = "SELECT s.csrf_token, a.id AS account_id, p.id AS person_id, a.login, p.employee_no, p.name, p.org_unit_id, \
         u.code AS org_unit_code, u.name AS org_unit_name, g.role AS grant_role, g.scope AS grant_scope, g.anchor_unit AS grant_anchor \
         FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN people p ON p.id = a.person_id \
         JOIN org_units u ON u.id = p.org_unit_id LEFT JOIN role_grants g ON g.account_id = a.id \
         WHERE s.id_digest = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL AND p.status = 'active' \
         ORDER BY g.role";
    let rows: Vec<SessionRow> = on_db!(db, pool => {
        sqlx::query_as::<_, SessionRow>(SQL).bind(digest_secret(secret)).bind(db.now_ms()).fetch_all(pool).await?
    });
    let grants: Vec<Grant> = rows
        .iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::parse(r.grant_role.as_deref()?).ok()?,
                scope: ScopeKind::parse(r.grant_scope.as_deref()?).ok()?,
                anchor_unit: r.grant_anchor,
            })
        })
        .collect();
    Ok(rows.into_iter().next().map(|r| Caller {
        account_id: r.account_id,
        person_id: r.person_id,
        login: r.login,
        employee_no: r.employee_no,
        name: r.name,
        org_unit_id: r.org_unit_id,
        org_unit_code: r.org_unit_code,
        org_unit_name: r.org_unit_name,
        grants,
        csrf_token: r.csrf_token,
        token_scopes: None,
    }))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: Option<String>,
    account_id: i64,
    person_id: i64,
    login: String,
    employee_no: String,
    name: String,
    org_unit_id: i64,
    org_unit_code: String,
    org_unit_name: String,
    grant_role: Option<String>,
    grant_scope: Option<String>,
    grant_anchor: Option<i64>,
}

pub async fn delete_session(db: &Db, secret: &str) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE id_digest = $1").bind(digest_secret(secret)).execute(pool).await?;
    });
    Ok(())
}

/// Login throttling shared by all instances: failures per login name in a window.
pub async fn recent_failures(db: &Db, login: &str, window_ms: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM login_failures WHERE login = $1 AND at > $2")
            .bind(login.trim()).bind(db.now_ms() - window_ms).fetch_one(pool).await?
    });
    Ok(n)
}

pub async fn record_failure(db: &Db, login: &str) -> Result<(), StoreError> {
    let now = db.now_ms();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO login_failures (login, at) VALUES ($1, $2)")
            .bind(login.trim().chars().take(128).collect::<String>()).bind(now).execute(pool).await?;
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(now - 24 * 3600 * 1000).execute(pool).await?;
    });
    Ok(())
}

pub async fn clear_failures(db: &Db, login: &str) -> Result<(), StoreError> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login.trim()).execute(pool).await?;
    });
    Ok(())
}

/// Creates a login for a person with the given grants.
pub async fn create_account(
    tx: &mut Tx,
    actor: &Actor,
    employee_no: &str,
    login: &str,
    password: &str,
    grants: &[Grant],
) -> Result<i64, StoreError> {
    let hash = hash_password(password)?;
    create_account_hashed(tx, actor, employee_no, login, &hash, grants).await
}

/// Like [`create_account`] with a ready argon2id hash (bulk provisioning
/// hashes once per distinct password instead of once per account).
pub async fn create_account_hashed(
    tx: &mut Tx,
    actor: &Actor,
    employee_no: &str,
    login: &str,
    hash: &str,
    grants: &[Grant],
) -> Result<i64, StoreError> {
    let login = pulse_domain::org::required_text(login, 64, "登录名", "login")?;
    let person: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM people WHERE employee_no = $1").bind(employee_no).fetch_optional(conn).await?
    });
    let Some((person_id,)) = person else {
        return Err(StoreError::Invalid(Problem::new(
            "unknown_person",
            format!("工号“{employee_no}”不存在"),
            format!("no person with employee number '{employee_no}'"),
        )));
    };
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO accounts (person_id, login, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(person_id).bind(&login).bind(hash).bind(now)
            .fetch_one(conn).await?
    });
    audit::record::<(), _>(
        tx,
        actor,
        "create",
        "account",
        &login,
        None,
        Some(&serde_json::json!({"employee_no": employee_no})),
    )
    .await?;
    set_grants(tx, actor, id, &login, grants).await?;
    Ok(id)
}

/// Replaces an account's grants (one per role).
pub async fn set_grants(
    tx: &mut Tx,
    actor: &Actor,
    account_id: i64,
    login: &str,
    grants: &[Grant],
) -> Result<(), StoreError> {
    let before: Vec<(String, String, Option<i64>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT role, scope, anchor_unit FROM role_grants WHERE account_id = $1 ORDER BY role")
            .bind(account_id).fetch_all(conn).await?
    });
    let mut seen = std::collections::HashSet::new();
    for g in grants {
        if !seen.insert(g.role) {
            return Err(StoreError::Invalid(Problem::new(
                "duplicate_role",
                format!("角色“{}”重复", g.role.label(pulse_domain::Lang::Zh)),
                format!("role '{}' given twice", g.role.as_str()),
            )));
        }
        if g.scope == ScopeKind::Subtree && g.anchor_unit.is_none() {
            return Err(StoreError::Invalid(Problem::new(
                "subtree_needs_unit",
                "“本部门及下级”范围需要指定部门",
                "a subtree scope needs an org unit",
            )));
        }
    }
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM role_grants WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
        for g in grants {
            sqlx::query("INSERT INTO role_grants (account_id, role, scope, anchor_unit) VALUES ($1, $2, $3, $4)")
                .bind(account_id).bind(g.role.as_str()).bind(g.scope.as_str()).bind(g.anchor_unit)
                .execute(&mut *conn).await?;
        }
    });
    let after: Vec<(String, String, Option<i64>)> = grants
        .iter()
        .map(|g| {
            (
                g.role.as_str().to_string(),
                g.scope.as_str().to_string(),
                g.anchor_unit,
            )
        })
        .collect();
    let mut before_sorted = before.clone();
    before_sorted.sort();
    let mut after_sorted = after.clone();
    after_sorted.sort();
    if before_sorted != after_sorted {
        // A changed role ends the person's sessions everywhere: the next
        // request signs in again and meets the new grants (S1).
        on_tx!(tx, conn => {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(conn).await?;
        });
        audit::record(
            tx,
            actor,
            "set_roles",
            "account",
            login,
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccountSummary {
    pub account_id: i64,
    pub login: String,
    pub employee_no: String,
    pub name: String,
    pub org_unit_name: String,
    pub disabled_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountWithGrants {
    #[serde(flatten)]
    pub account: AccountSummary,
    pub grants: Vec<Grant>,
}

/// Accounts for the admin page, optionally filtered by login/name/工号.
pub async fn list_accounts(
    db: &Db,
    q: Option<&str>,
    limit: i64,
) -> Result<Vec<AccountWithGrants>, StoreError> {
    let pattern = q
        .filter(|s| !s.trim().is_empty())
        .map(|s| format!("%{}%", s.trim().to_lowercase()));
    let rows: Vec<AccountSummary> = on_db!(db, pool => {
        sqlx::query_as::<_, AccountSummary>(
            "SELECT a.id AS account_id, a.login, p.employee_no, p.name, u.name AS org_unit_name, a.disabled_at \
             FROM accounts a JOIN people p ON p.id = a.person_id JOIN org_units u ON u.id = p.org_unit_id \
             WHERE ($1 IS NULL OR LOWER(a.login) LIKE $1 OR LOWER(p.name) LIKE $1 OR LOWER(p.employee_no) LIKE $1) \
             ORDER BY a.login LIMIT $2",
        )
        .bind(&pattern).bind(limit).fetch_all(pool).await?
    });
    // All their grants in one query rather than one per account.
    let grant_rows: Vec<(i64, String, String, Option<i64>)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT g.account_id, g.role, g.scope, g.anchor_unit FROM role_grants g WHERE g.account_id IN ( \
               SELECT a.id FROM accounts a JOIN people p ON p.id = a.person_id \
               WHERE ($1 IS NULL OR LOWER(a.login) LIKE $1 OR LOWER(p.name) LIKE $1 OR LOWER(p.employee_no) LIKE $1) \
               ORDER BY a.login LIMIT $2) ORDER BY g.role",
        )
        .bind(&pattern).bind(limit).fetch_all(pool).await?
    });
    let mut by_account: std::collections::HashMap<i64, Vec<Grant>> =
        std::collections::HashMap::new();
    for (account_id, role, scope, anchor_unit) in grant_rows {
        if let (Ok(role), Ok(scope)) = (Role::parse(&role), ScopeKind::parse(&scope)) {
            by_account.entry(account_id).or_default().push(Grant {
                role,
                scope,
                anchor_unit,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|a| AccountWithGrants {
            grants: by_account.remove(&a.account_id).unwrap_or_default(),
            account: a,
        })
        .collect())
}

pub async fn account_by_login(
    db: &Db,
    login: &str,
) -> Result<Option<AccountWithGrants>, StoreError> {
    let row: Option<AccountSummary> = on_db!(db, pool => {
        sqlx::query_as::<_, AccountSummary>(
            "SELECT a.id AS account_id, a.login, p.employee_no, p.name, u.name AS org_unit_name, a.disabled_at \
             FROM accounts a JOIN people p ON p.id = a.person_id JOIN org_units u ON u.id = p.org_unit_id WHERE a.login = $1",
        )
        .bind(login).fetch_optional(pool).await?
    });
    match row {
        Some(a) => {
            let grants = grants_of(db, a.account_id).await?;
            Ok(Some(AccountWithGrants { account: a, grants }))
        }
        None => Ok(None),
    }
}

async fn account_id_by_login(tx: &mut Tx, login: &str) -> Result<i64, StoreError> {
    let found: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM accounts WHERE login = $1").bind(login).fetch_optional(conn).await?
    });
    found
        .map(|(id,)| id)
        .ok_or_else(|| StoreError::NotFound(format!("account {login}")))
}

/// Sets a new password hash and ends the account's sessions everywhere.
pub async fn set_password(
    tx: &mut Tx,
    actor: &Actor,
    login: &str,
    hash: &str,
) -> Result<(), StoreError> {
    let id = account_id_by_login(tx, login).await?;
    on_tx!(tx, conn => {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
    });
    audit::record::<(), ()>(tx, actor, "set_password", "account", login, None, None).await
}

/// Disables (or re-enables) sign-in; disabling ends the account's sessions.
pub async fn set_disabled(
    tx: &mut Tx,
    actor: &Actor,
    login: &str,
    disabled: bool,
) -> Result<(), StoreError> {
    let id = account_id_by_login(tx, login).await?;
    let at = disabled.then(|| tx.now_ms());
    on_tx!(tx, conn => {
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2").bind(at).bind(id).execute(&mut *conn).await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
        }
    });
    let action = if disabled { "disable" } else { "enable" };
    audit::record::<(), ()>(tx, actor, action, "account", login, None, None).await
}

/// The stored hash of an account, for checking a current password.
pub async fn password_hash_of(db: &Db, account_id: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT password_hash FROM accounts WHERE id = $1").bind(account_id).fetch_optional(pool).await?
    });
    Ok(row.map(|(h,)| h))
}

/// Ends every session of an account, and with `tokens` revokes its API tokens
/// too (a deactivated person's integrations stop at once). Returns how many
/// sessions ended.
pub async fn end_access(
    tx: &mut Tx,
    actor: &Actor,
    account_id: i64,
    tokens: bool,
    reason: &str,
    keep_session: Option<&str>,
) -> Result<u64, StoreError> {
    let now = tx.now_ms();
    // An admin ending their own sessions keeps the one they are using.
    let keep = keep_session.map(digest_secret).unwrap_or_default();
    let (ended, revoked) = on_tx!(tx, conn => {
        let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_digest <> $2").bind(account_id).bind(&keep).execute(&mut *conn).await?.rows_affected();
        let revoked = if tokens {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
                .bind(now).bind(account_id).execute(&mut *conn).await?.rows_affected()
        } else {
            0
        };
        (ended, revoked)
    });
    audit::record::<(), _>(
        tx,
        actor,
        "end_sessions",
        "account",
        &account_id.to_string(),
        None,
        Some(&serde_json::json!({"sessions": ended, "tokens_revoked": revoked, "reason": reason})),
    )
    .await?;
    Ok(ended)
}

/// How many live sessions an account has (the admin page shows it).
pub async fn session_count(db: &Db, account_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND expires_at > $2")
            .bind(account_id).bind(db.now_ms()).fetch_one(pool).await?
    });
    Ok(n)
}
