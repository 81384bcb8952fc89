use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use pulse_domain::roles::{Grant, Role, ScopeKind};
use pulse_store::{accounts, audit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access::Me;
use crate::api::{ApiJson, ApiQuery};
use crate::error::{AppError, AppResult};
use crate::features::auth::api::RoleDto;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub login: String,
    pub employee_no: String,
    pub name: String,
    pub org_unit: String,
    pub disabled: bool,
    pub grants: Vec<RoleDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountDto>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    pub q: Option<String>,
}

pub(crate) fn account_dto(
    a: accounts::AccountWithGrants,
    tree: &pulse_store::org::Tree,
) -> AccountDto {
    AccountDto {
        login: a.account.login,
        employee_no: a.account.employee_no,
        name: a.account.name,
        org_unit: a.account.org_unit_name,
        disabled: a.account.disabled_at.is_some(),
        grants: RoleDto::list(&a.grants, tree),
    }
}

/// Login accounts with their roles (admin).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "admin", params(AccountParams), responses((status = 200, body = AccountList)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    _me: Me,
    ApiQuery(p): ApiQuery<AccountParams>,
) -> AppResult<Json<AccountList>> {
    let tree = state.org_tree().await?;
    let items: Vec<AccountDto> = accounts::list_accounts(&state.db, p.q.as_deref(), 500)
        .await?
        .into_iter()
        .map(|a| account_dto(a, &tree))
        .collect();
    let total = items.len() as i64;
    Ok(Json(AccountList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    #[schema(value_type = crate::api::vocab::RoleName)]
    pub role: String,
    /// The role's default when absent.
    #[schema(value_type = Option<crate::api::vocab::ScopeName>)]
    pub scope: Option<String>,
    /// Org unit code for `subtree`; defaults to the person's own unit.
    pub scope_unit: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesInput {
    pub grants: Vec<GrantInput>,
}

pub(crate) async fn resolve_grants(
    state: &AppState,
    own_unit_code: &str,
    input: &[GrantInput],
) -> AppResult<Vec<Grant>> {
    let tree = state.org_tree().await?;
    let unit_id = |code: &str| {
        tree.units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.id)
            .ok_or_else(|| {
                AppError::invalid(pulse_domain::Problem::new(
                    "unknown_org_unit",
                    format!("部门编码“{code}”不存在"),
                    format!("org unit '{code}' does not exist"),
                ))
            })
    };
    let mut out = Vec::new();
    for g in input {
        let role = Role::parse(&g.role)?;
        let scope = match &g.scope {
            Some(s) => ScopeKind::parse(s)?,
            None => role.default_scope(),
        };
        let anchor_unit = match scope {
            ScopeKind::Subtree => Some(unit_id(g.scope_unit.as_deref().unwrap_or(own_unit_code))?),
            _ => None,
        };
        out.push(Grant {
            role,
            scope,
            anchor_unit,
        });
    }
    Ok(out)
}

/// Replace an account's roles (admin). Audited.
#[utoipa::path(put, path = "/api/v1/accounts/{login}/roles", tag = "admin", request_body = RolesInput,
    responses((status = 200, body = AccountDto), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn set_roles(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(login): Path<String>,
    ApiJson(body): ApiJson<RolesInput>,
) -> AppResult<Json<AccountDto>> {
    crate::features::accounts::service::set_roles(&state, &caller, &login, &body.grants).await?;
    let updated = accounts::account_by_login(&state.db, &login)
        .await?
        .ok_or_else(|| AppError::not_found("账号", "account"))?;
    Ok(Json(account_dto(updated, &*state.org_tree().await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The account the token acts as; its roles and data scope apply.
    pub login: String,
    #[schema(value_type = Vec<crate::api::vocab::TokenScope>, min_items = 1)]
    pub scopes: Vec<String>,
    /// Never expires when absent or 0; at most ten years.
    #[schema(maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    /// Shown once; send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Issue a scoped API token (admin).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = TokenInput,
    responses((status = 201, body = TokenCreated), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(body): ApiJson<TokenInput>,
) -> AppResult<impl IntoResponse> {
    let expires = body
        .expires_in_days
        .filter(|d| *d > 0)
        .map(|d| state.db.now_ms() + i64::from(d.min(3650)) * 86_400_000);
    let mut tx = state.db.begin().await?;
    let (id, token) = accounts::create_token(
        &mut tx,
        &state.actor(&caller),
        &body.login,
        &body.name,
        &body.scopes,
        expires,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { id, token })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<serde_json::Value>,
    pub total: i64,
}

/// Issued tokens, without their secrets (admin).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = TokenList)))]
pub async fn list_tokens(State(state): State<AppState>, _me: Me) -> AppResult<Json<TokenList>> {
    let items: Vec<serde_json::Value> = accounts::list_tokens(&state.db)
        .await?
        .into_iter()
        .map(|t| serde_json::to_value(t).unwrap_or_default())
        .collect();
    let total = items.len() as i64;
    Ok(Json(TokenList { items, total }))
}

/// Revoke a token (admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    accounts::revoke_token(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Kind of record, e.g. `goal_adjustment`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Newest first, at most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<serde_json::Value>,
    pub total: i64,
}

/// The audit trail, newest first (admin, HRBP).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams), responses((status = 200, body = AuditList)))]
pub async fn list_audit(
    State(state): State<AppState>,
    _me: Me,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> AppResult<Json<AuditList>> {
    let limit = crate::api::limit(p.limit, 100, 1000)?;
    let items: Vec<serde_json::Value> = audit::list(
        &state.db,
        p.entity.as_deref(),
        p.entity_id.as_deref(),
        limit,
    )
    .await?
    .into_iter()
    .map(|e| serde_json::to_value(e).unwrap_or_default())
    .collect();
    let total = items.len() as i64;
    Ok(Json(AuditList { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 工号 of the person who gets the login.
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub employee_no: String,
    /// Defaults to the 工号.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub login: Option<String>,
    /// Initial password, 4–64 characters; the person should change it.
    #[schema(min_length = 4, max_length = 64)]
    pub password: String,
    /// Defaults to `[{"role": "employee"}]`.
    pub grants: Option<Vec<GrantInput>>,
}

/// Create a login for a person (admin).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "admin", request_body = NewAccount,
    responses((status = 201, body = AccountDto), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    Me(caller): Me,
    ApiJson(body): ApiJson<NewAccount>,
) -> AppResult<impl IntoResponse> {
    let login = crate::features::accounts::service::create(&state, &caller, body).await?;
    let created = accounts::account_by_login(&state.db, &login)
        .await?
        .ok_or_else(|| AppError::not_found("账号", "account"))?;
    Ok((
        StatusCode::CREATED,
        Json(account_dto(created, &*state.org_tree().await?)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 4–64 characters.
    #[schema(min_length = 4, max_length = 64)]
    pub password: String,
}

/// Reset an account's password (admin); its sessions end.
#[utoipa::path(put, path = "/api/v1/accounts/{login}/password", tag = "admin", request_body = PasswordReset,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(login): Path<String>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> AppResult<StatusCode> {
    crate::features::accounts::service::reset_password(&state, &caller, &login, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountState {
    pub disabled: bool,
}

/// Disable or re-enable sign-in (admin). Disabling ends the sessions.
#[utoipa::path(put, path = "/api/v1/accounts/{login}/disabled", tag = "admin", request_body = AccountState,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody)))]
pub async fn set_disabled(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(login): Path<String>,
    ApiJson(body): ApiJson<AccountState>,
) -> AppResult<StatusCode> {
    crate::features::accounts::service::set_disabled(&state, &caller, &login, body.disabled)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
