use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::roles::{Role, ScopeKind};
use pulse_store::accounts;
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::accounts::api::GrantInput;
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};

pub struct GrantView {
    label: String,
    scope_label: String,
    unit: Option<String>,
}

pub struct RoleOption {
    role: &'static str,
    label: &'static str,
    granted: bool,
    scope: &'static str,
    unit: String,
}

pub struct AccountView {
    login: String,
    disabled: bool,
    employee_no: String,
    name: String,
    org_unit: String,
    grants: Vec<GrantView>,
    options: Vec<RoleOption>,
}

pub struct TokenView {
    id: i64,
    name: String,
    login: String,
    scopes: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/admin_users.html")]
struct UsersPage {
    tr: Tr,
    nav: Nav,
    q: String,
    accounts: Vec<AccountView>,
    scopes: Vec<(&'static str, &'static str)>,
    tokens: Vec<TokenView>,
    /// (scope, its label).
    token_scopes: Vec<(&'static str, String)>,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
    /// The list stops at [`USERS_PER_PAGE`]; say so.
    truncated: bool,
}

/// Accounts listed at once; the search narrows a large organisation down.
const USERS_PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize, Default)]
pub struct UsersParams {
    q: Option<String>,
    ended: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    q: String,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let tree = state.org_tree().await?;
    let unit_code = |id: Option<i64>| id.and_then(|i| tree.get(i)).map(|u| u.code.clone());
    let accounts: Vec<AccountView> = accounts::list_accounts(&state.db, Some(&q), USERS_PER_PAGE)
        .await?
        .into_iter()
        .map(|a| AccountView {
            options: Role::ALL
                .iter()
                .map(|r| {
                    let g = a.grants.iter().find(|g| g.role == *r);
                    RoleOption {
                        role: r.as_str(),
                        label: r.label(lang),
                        granted: g.is_some(),
                        scope: g.map(|g| g.scope).unwrap_or(r.default_scope()).as_str(),
                        unit: g.and_then(|g| unit_code(g.anchor_unit)).unwrap_or_default(),
                    }
                })
                .collect(),
            grants: a
                .grants
                .iter()
                .map(|g| GrantView {
                    label: g.role.label(lang).into(),
                    scope_label: g.scope.label(lang).into(),
                    unit: g
                        .anchor_unit
                        .and_then(|i| tree.get(i))
                        .map(|u| u.name.clone()),
                })
                .collect(),
            disabled: a.account.disabled_at.is_some(),
            login: a.account.login,
            employee_no: a.account.employee_no,
            name: a.account.name,
            org_unit: a.account.org_unit_name,
        })
        .collect();
    let truncated = accounts.len() as i64 >= USERS_PER_PAGE;
    let tokens = accounts::list_tokens(&state.db)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            login: t.login,
            scopes: t
                .scopes
                .split_whitespace()
                .map(|s| ctx.tr.label("token_scope", s))
                .collect::<Vec<_>>()
                .join(ctx.tr.0.pick("、", ", ")),
            last_used: t.last_used_at.map(fmt_ms).unwrap_or_else(|| "—".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let scopes = [ScopeKind::SelfOnly, ScopeKind::Subtree, ScopeKind::Org]
        .iter()
        .map(|s| (s.as_str(), s.label(lang)))
        .collect();
    Ok(UsersPage {
        tr: ctx.tr,
        nav: ctx.nav,
        q,
        accounts,
        scopes,
        tokens,
        token_scopes: accounts::TOKEN_SCOPES
            .iter()
            .map(|s| (*s, ctx.tr.label("token_scope", s)))
            .collect(),
        message,
        error,
        new_token,
        truncated,
    }
    .into_response())
}

pub async fn users(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Query(p): Query<UsersParams>,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let message = p
        .ended
        .map(|login| ctx.tr.t("admin.sessions_ended").replace("{login}", &login));
    render(&state, ctx, p.q.unwrap_or_default(), message, None, None).await
}

/// The roles form posts `role=…` checkboxes plus `scope_<role>` and `unit_<role>`.
pub async fn set_roles(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(login): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let lang = ctx.lang();
    let pairs = form.pairs();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let input: Vec<GrantInput> = pairs
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, role)| GrantInput {
            role: role.clone(),
            scope: get(&format!("scope_{role}")),
            scope_unit: get(&format!("unit_{role}")).filter(|s| !s.trim().is_empty()),
        })
        .collect();
    let result =
        crate::features::accounts::service::set_roles(&state, &caller, &login, &input).await;
    match result {
        Ok(()) => {
            render(
                &state,
                ctx,
                login.clone(),
                Some(format!(
                    "{} {}",
                    login,
                    lang.pick("的角色已保存", "roles saved")
                )),
                None,
                None,
            )
            .await
        }
        Err(e) if e.status.is_client_error() => {
            render(
                &state,
                ctx,
                login,
                None,
                Some(e.message(lang).to_string()),
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let lang = ctx.lang();
    let pairs = form.pairs();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    let mut tx = state.db.begin().await?;
    match accounts::create_token(
        &mut tx,
        &state.actor(&caller),
        get("login").trim(),
        &get("name"),
        &scopes,
        None,
    )
    .await
    {
        Ok((_, secret)) => {
            tx.commit().await?;
            render(&state, ctx, String::new(), None, None, Some(secret)).await
        }
        Err(e) => {
            tx.rollback().await?;
            let e = AppError::from(e);
            if e.status.is_client_error() {
                render(
                    &state,
                    ctx,
                    String::new(),
                    None,
                    Some(e.message(lang).to_string()),
                    None,
                )
                .await
            } else {
                Err(e)
            }
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    accounts::revoke_token(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// Runs an account action and re-renders the users page with its outcome.
async fn outcome(
    state: &AppState,
    ctx: PageCtx,
    q: String,
    ok_msg: String,
    result: AppResult<()>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    match result {
        Ok(()) => render(state, ctx, q, Some(ok_msg), None, None).await,
        Err(e) if e.status.is_client_error() => {
            render(state, ctx, q, None, Some(e.message(lang).to_string()), None).await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_account(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let lang = ctx.lang();
    let input = crate::features::accounts::api::NewAccount {
        employee_no: form.text("employee_no"),
        login: Some(form.text("login")).filter(|s| !s.trim().is_empty()),
        password: form.get("password").unwrap_or_default(),
        grants: None,
    };
    let result = crate::features::accounts::service::create(&state, &caller, input).await;
    let (q, result) = match result {
        Ok(login) => (login, Ok(())),
        Err(e) => (String::new(), Err(e)),
    };
    let msg = format!("{q} {}", lang.pick("已创建", "created"));
    outcome(&state, ctx, q, msg, result).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(login): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let msg = format!(
        "{login} {}",
        ctx.lang().pick(
            "的密码已重置，原有登录已失效",
            "password reset; its sessions ended"
        )
    );
    let result = crate::features::accounts::service::reset_password(
        &state,
        &caller,
        &login,
        &form.get("password").unwrap_or_default(),
    )
    .await;
    outcome(&state, ctx, login.clone(), msg, result).await
}

pub async fn set_disabled(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(login): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("admin");
    let disabled = form.text("disabled") == "true";
    let msg = format!(
        "{login} {}",
        if disabled {
            ctx.lang().pick("已停用", "disabled")
        } else {
            ctx.lang().pick("已启用", "enabled")
        }
    );
    let result =
        crate::features::accounts::service::set_disabled(&state, &caller, &login, disabled).await;
    outcome(&state, ctx, login.clone(), msg, result).await
}
