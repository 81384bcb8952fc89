//! Whom an identity names: the provider's subject linked at an earlier
//! sign-in, else the mapped claim compared with 工号 or e-mail; a WeChat Work
//! user id. The first sign-in links the subject to the account (creating an
//! employee account for a person who has none), so a later change of e-mail
//! at the provider keeps working.

use pulse_domain::Problem;
use pulse_domain::auth::digest_secret;
use pulse_domain::identity::claims::MatchField;
use pulse_domain::roles::{Grant, Role, ScopeKind};

use crate::{Actor, Db, StoreError, audit};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub person_id: i64,
    pub employee_no: String,
    pub name: String,
    pub status: String,
    pub account_id: Option<i64>,
    pub disabled_at: Option<i64>,
}

const SELECT: &str = "SELECT p.id AS person_id, p.employee_no, p.name, p.status, a.id AS account_id, a.disabled_at \
     FROM people p LEFT JOIN accounts a ON a.person_id = p.id ";

pub fn unknown_person() -> StoreError {
    StoreError::Invalid(Problem::new(
        "sso_unknown_person",
        "没有找到与此身份对应的在职员工，请联系 HR 核对工号或邮箱",
        "no active employee matches this identity; ask HR to check the employee number or e-mail",
    ))
}

/// The one person an identity names, refused when none, several, departed or disabled.
fn decide(found: Vec<Candidate>) -> Result<Candidate, StoreError> {
    let mut found = found;
    if found.len() > 1 {
        return Err(StoreError::Invalid(Problem::new(
            "sso_ambiguous",
            "有多名员工使用同一身份信息，请联系 HR 处理",
            "several employees share this identity; ask HR to resolve it",
        )));
    }
    let Some(c) = found.pop() else {
        return Err(unknown_person());
    };
    if c.status != "active" {
        return Err(StoreError::Invalid(Problem::new(
            "sso_person_left",
            "此员工已离职，不能登录",
            "this employee has left and cannot sign in",
        )));
    }
    if c.disabled_at.is_some() {
        return Err(StoreError::Invalid(Problem::new(
            "sso_account_disabled",
            "此账号已停用，请联系管理员",
            "this account is disabled; ask an administrator",
        )));
    }
    Ok(c)
}

/// The person linked to `(issuer, subject)` at an earlier sign-in, if any.
pub async fn by_link(
    db: &Db,
    issuer: &str,
    subject: &str,
) -> Result<Option<Candidate>, StoreError> {
    let sql = format!(
        "{SELECT} JOIN sso_links l ON l.account_id = a.id WHERE l.issuer = $1 AND l.subject = $2"
    );
    let found: Vec<Candidate> = on_db!(db, pool => {
        sqlx::query_as::<_, Candidate>(sqlx::AssertSqlSafe(sql.clone())).bind(issuer).bind(subject).fetch_all(pool).await?
    });
    if found.is_empty() {
        return Ok(None);
    }
    decide(found).map(Some)
}

/// The person whose 工号 or e-mail equals the claim.
pub async fn by_claim(db: &Db, field: MatchField, value: &str) -> Result<Candidate, StoreError> {
    let sql = match field {
        MatchField::EmployeeNo => format!("{SELECT} WHERE p.employee_no = $1"),
        MatchField::Email => format!("{SELECT} WHERE LOWER(p.email) = LOWER($1)"),
    };
    let found: Vec<Candidate> = on_db!(db, pool => {
        sqlx::query_as::<_, Candidate>(sqlx::AssertSqlSafe(sql.clone())).bind(value.trim()).fetch_all(pool).await?
    });
    decide(found)
}

/// The person with this WeChat Work user id.
pub async fn by_wecom(db: &Db, userid: &str) -> Result<Candidate, StoreError> {
    let sql = format!("{SELECT} WHERE p.wecom_userid = $1");
    let found: Vec<Candidate> = on_db!(db, pool => {
        sqlx::query_as::<_, Candidate>(sqlx::AssertSqlSafe(sql.clone())).bind(userid).fetch_all(pool).await?
    });
    decide(found)
}

/// The candidate's account (created with the employee role if missing), the
/// subject linked to it when given. Returns the account id.
pub async fn account_for(
    db: &Db,
    c: &Candidate,
    link: Option<(&str, &str)>,
    via: &str,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let actor = Actor {
        account_id: None,
        person_id: Some(c.person_id),
        label: format!("{} ({via})", c.name),
    };
    let account_id = match c.account_id {
        Some(id) => id,
        None => {
            // Nobody knows this password: the account signs in through SSO only.
            let hash = pulse_domain::auth::NO_PASSWORD.to_string();
            let taken: Option<(i64,)> = on_tx!(tx, conn => {
                sqlx::query_as("SELECT id FROM accounts WHERE login = $1").bind(&c.employee_no).fetch_optional(conn).await?
            });
            let login = if taken.is_some() {
                format!("sso-{}", c.employee_no)
            } else {
                c.employee_no.clone()
            };
            let grant = Grant {
                role: Role::Employee,
                scope: ScopeKind::SelfOnly,
                anchor_unit: None,
            };
            crate::accounts::create_account_hashed(
                &mut tx,
                &actor,
                &c.employee_no,
                &login,
                &hash,
                &[grant],
            )
            .await?
        }
    };
    if let Some((issuer, subject)) = link {
        let now = tx.now_ms();
        let n = on_tx!(tx, conn => {
            sqlx::query(
                "INSERT INTO sso_links (issuer, subject, account_id, linked_at, last_at) VALUES ($1, $2, $3, $4, $4) \
                 ON CONFLICT (issuer, subject) DO UPDATE SET last_at = excluded.last_at",
            )
            .bind(issuer).bind(subject).bind(account_id).bind(now)
            .execute(conn).await?.rows_affected()
        });
        let linked_before: Option<(i64,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT linked_at FROM sso_links WHERE issuer = $1 AND subject = $2 AND linked_at < $3")
                .bind(issuer).bind(subject).bind(now).fetch_optional(conn).await?
        });
        if n > 0 && linked_before.is_none() {
            audit::record::<(), _>(
                &mut tx,
                &actor,
                "sso_link",
                "account",
                &c.employee_no,
                None,
                Some(&serde_json::json!({"issuer": issuer})),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(account_id)
}

/// Spends a WeChat Work code; false when it was spent before.
pub async fn spend_wecom_code(db: &Db, code: &str) -> Result<bool, StoreError> {
    let now = db.now_ms();
    let n = on_db!(db, pool => {
        let n = sqlx::query("INSERT INTO wecom_codes (code_digest, used_at) VALUES ($1, $2) ON CONFLICT (code_digest) DO NOTHING")
            .bind(digest_secret(code)).bind(now).execute(pool).await?.rows_affected();
        // A code lives five minutes at WeChat Work; a day of digests is plenty.
        sqlx::query("DELETE FROM wecom_codes WHERE used_at < $1").bind(now - 24 * 3600 * 1000).execute(pool).await?;
        n
    });
    Ok(n == 1)
}
