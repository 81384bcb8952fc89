//! Points and rewards: the catalog, redemption, HR's fulfilment list (F2).

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_store::accounts::Caller;
use pulse_store::points;

#[derive(Template, WebTemplate)]
#[template(path = "feedback/rewards.html")]
pub(super) struct RewardsPage {
    tr: Tr,
    nav: Nav,
    balance: i64,
    rewards: Vec<points::Reward>,
    vouchers: Vec<(String, String, String, String)>,
    ledger: Vec<(String, i64, i64, String)>,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn render_rewards(
    state: &AppState,
    caller: &Caller,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let tr = ctx.tr;
    Ok(RewardsPage {
        balance: points::balance(&state.db, caller.person_id).await?,
        rewards: points::rewards(&state.db, true).await?,
        vouchers: points::redemptions(&state.db, caller.person_id)
            .await?
            .into_iter()
            .map(|r| {
                let state = if r.state == "fulfilled" {
                    tr.t("rewards.fulfilled")
                } else {
                    tr.t("rewards.pending")
                };
                (
                    r.reward_name,
                    r.voucher_code,
                    fmt_ms(r.created_at),
                    state.to_string(),
                )
            })
            .collect(),
        ledger: points::ledger(&state.db, caller.person_id, 20)
            .await?
            .into_iter()
            .map(|l| {
                let why = match l.reason.as_str() {
                    "feedback_card" => tr.t("rewards.reason.card"),
                    "redeem" => tr.t("rewards.reason.redeem"),
                    _ => tr.t("rewards.reason.other"),
                };
                (
                    fmt_ms(l.created_at),
                    l.delta,
                    l.balance_after,
                    why.to_string(),
                )
            })
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct RewardsQuery {
    /// The redemption just made (POST-redirect-GET); shown only to its owner.
    redeemed: Option<i64>,
}

/// My points, the catalog and my vouchers.
pub async fn rewards(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<RewardsQuery>,
) -> AppResult<Response> {
    let ctx = page.at("rewards");
    let message = match q.redeemed {
        Some(id) => points::redemption(&state.db, id)
            .await?
            .filter(|r| r.person_id == caller.person_id)
            .map(|r| {
                format!(
                    "{} {}{}{}{}",
                    ctx.tr.t("rewards.redeemed"),
                    r.reward_name,
                    ctx.tr.open(),
                    r.voucher_code,
                    ctx.tr.close()
                )
            }),
        None => None,
    };
    render_rewards(&state, &caller, ctx, message, None).await
}

pub async fn redeem(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("rewards");
    match points::redeem(&state.db, caller.person_id, id, None).await {
        // POST-redirect-GET: reloading the result must not redeem twice.
        Ok(o) => {
            Ok(Redirect::to(&format!("/rewards?redeemed={}", o.redemption.id)).into_response())
        }
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let msg = e.message(ctx.lang()).to_string();
            render_rewards(&state, &caller, ctx, None, Some(msg)).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/rewards_fulfil.html")]
pub(super) struct FulfilPage {
    tr: Tr,
    nav: Nav,
    pending: Vec<(i64, String, String, String, String)>,
}

/// HR: vouchers waiting to be honoured.
pub async fn fulfil_list(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("rewards");
    Ok(FulfilPage {
        pending: points::pending_redemptions(&state.db)
            .await?
            .into_iter()
            .map(|(r, no, name)| {
                (
                    r.id,
                    format!("{name}{}{no}{}", ctx.tr.open(), ctx.tr.close()),
                    r.reward_name,
                    r.voucher_code,
                    fmt_ms(r.created_at),
                )
            })
            .collect(),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn fulfil(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    points::fulfil(&mut tx, &state.actor(&caller), id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/rewards/fulfil").into_response())
}
