//! Signing in, shared by the login form and `POST /api/v1/session`.

use axum::http::StatusCode;
use pulse_domain::auth::verify_password;
use pulse_store::accounts;

use crate::AppState;
use crate::error::{AppError, AppResult};

/// Failed attempts per login name allowed in [`WINDOW_MS`] before we refuse.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

fn bad_credentials() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "账号或密码错误",
        "wrong login or password",
    )
}

/// Checks the password (argon2id) and opens a session; returns its secret.
/// The throttle counts failures per login in the database, so it holds
/// across instances.
pub async fn sign_in(state: &AppState, login: &str, password: &str) -> AppResult<String> {
    let login = login.trim();
    if login.is_empty() || login.len() > 128 || password.is_empty() {
        return Err(bad_credentials());
    }
    if accounts::recent_failures(&state.db, login, WINDOW_MS).await? >= MAX_FAILURES {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "登录失败次数过多，请 15 分钟后再试",
            "too many failed sign-ins; try again in 15 minutes",
        ));
    }
    let found = accounts::credentials(&state.db, login).await?;
    let password = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = match found {
        Some((id, hash)) => {
            let good = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                .await
                .map_err(AppError::internal)?;
            good.then_some(id)
        }
        None => {
            // Spend the same time for unknown logins so timing does not reveal them.
            let _ =
                tokio::task::spawn_blocking(move || verify_password(&password, DUMMY_HASH)).await;
            None
        }
    };
    match ok {
        Some(account_id) => {
            accounts::clear_failures(&state.db, login).await?;
            let roles = accounts::roles_of(&state.db, account_id).await?;
            crate::features::sso::service::password_allowed(state, &roles).await?;
            Ok(accounts::create_session(&state.db, account_id).await?)
        }
        None => {
            accounts::record_failure(&state.db, login).await?;
            Err(bad_credentials())
        }
    }
}

/// argon2id hash of a random string nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$Zc6y4Sh3RkT0hWcdkfJm0SLHbUdrJ6D3qJj6p2gVDeY";
