//! Account administration and password changes, shared by the API and the pages.

use pulse_domain::auth::{hash_password, verify_password};
use pulse_domain::org::EmployeeNo;
use pulse_store::accounts::{self, Caller};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::features::accounts::api::{GrantInput, NewAccount, resolve_grants};

async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::from)
}

/// Creates a login for a person; returns the login.
pub async fn create(state: &AppState, caller: &Caller, body: NewAccount) -> AppResult<String> {
    let no = EmployeeNo::parse(&body.employee_no)?;
    let person = pulse_store::people::by_employee_no(&state.db, no.as_str())
        .await?
        .ok_or_else(|| {
            AppError::invalid(pulse_domain::Problem::new(
                "unknown_person",
                format!("工号“{no}”不存在"),
                format!("no person with employee number '{no}'"),
            ))
        })?;
    let login = body
        .login
        .clone()
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| no.as_str().to_string());
    let input = body.grants.unwrap_or_else(|| {
        vec![GrantInput {
            role: "employee".into(),
            scope: None,
            scope_unit: None,
        }]
    });
    let grants = resolve_grants(state, &person.org_unit_code, &input).await?;
    let hash = hash(body.password).await?;
    let mut tx = state.db.begin().await?;
    accounts::create_account_hashed(
        &mut tx,
        &state.actor(caller),
        no.as_str(),
        login.trim(),
        &hash,
        &grants,
    )
    .await?;
    tx.commit().await?;
    Ok(login.trim().to_string())
}

pub async fn reset_password(
    state: &AppState,
    caller: &Caller,
    login: &str,
    password: &str,
) -> AppResult<()> {
    let hash = hash(password.to_string()).await?;
    let mut tx = state.db.begin().await?;
    accounts::set_password(&mut tx, &state.actor(caller), login, &hash).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    login: &str,
    disabled: bool,
) -> AppResult<()> {
    if disabled && login == caller.login {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "self_disable",
            "不能停用自己的账号",
            "you cannot disable your own account",
        )));
    }
    let mut tx = state.db.begin().await?;
    accounts::set_disabled(&mut tx, &state.actor(caller), login, disabled).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the current password, stores the new one, ends every session of
/// the account and opens a fresh one for this browser; returns its secret.
pub async fn change_own_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new: &str,
) -> AppResult<String> {
    let stored = accounts::password_hash_of(&state.db, caller.account_id)
        .await?
        .unwrap_or_default();
    let current = current.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&current, &stored))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::invalid(pulse_domain::Problem::new(
            "wrong_password",
            "当前密码不正确",
            "the current password is wrong",
        )));
    }
    reset_password(state, caller, &caller.login, new).await?;
    Ok(accounts::create_session(&state.db, caller.account_id).await?)
}

/// Replaces an account's roles; scopes default per role, `subtree` to the
/// person's own unit.
pub async fn set_roles(
    state: &AppState,
    caller: &Caller,
    login: &str,
    input: &[GrantInput],
) -> AppResult<()> {
    let account = accounts::account_by_login(&state.db, login)
        .await?
        .ok_or_else(|| AppError::not_found("账号", "account"))?;
    let own_unit = pulse_store::people::by_employee_no(&state.db, &account.account.employee_no)
        .await?
        .map(|p| p.org_unit_code)
        .unwrap_or_default();
    let grants = resolve_grants(state, &own_unit, input).await?;
    let mut tx = state.db.begin().await?;
    accounts::set_grants(
        &mut tx,
        &state.actor(caller),
        account.account.account_id,
        login,
        &grants,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
