//! HR's feedback setup: the tag library, the points window and the reward catalog (F1, F2).

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pulse_store::feedback::{self, Tag};
use pulse_store::points;

#[derive(Template, WebTemplate)]
#[template(path = "feedback/feedback_setup.html")]
pub(super) struct SetupPage {
    tr: Tr,
    nav: Nav,
    tags: Vec<Tag>,
    families: Vec<String>,
    window: i64,
    rewards: Vec<points::Reward>,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn render_setup(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    Ok(SetupPage {
        tags: feedback::tags(&state.db, false).await?,
        families: pulse_store::people::job_families(&state.db).await?,
        window: feedback::window_hours(&state.db).await?,
        rewards: points::rewards(&state.db, false).await?,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// HR: the tag library, the points window and the reward catalog.
pub async fn setup(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("feedback_setup");
    render_setup(&state, ctx, None, None).await
}

pub async fn setup_save(
    State(state): State<AppState>,
    Me(_caller): Me,
    Path(what): Path<String>,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("feedback_setup");
    let mut tx = state.db.begin().await?;
    let result: Result<(), pulse_store::StoreError> = match what.as_str() {
        "tag" => feedback::save_tag(
            &mut tx,
            &form.text("name"),
            &form.text("description"),
            form.text("active") != "0",
            Some(&form.text("job_family")),
        )
        .await
        .map(|_| ()),
        "window" => match form.text("hours").parse::<i64>() {
            Ok(h) => feedback::set_window_hours(&mut tx, h).await,
            Err(_) => feedback::set_window_hours(&mut tx, 0).await,
        },
        "reward" => points::save_reward(
            &mut tx,
            &points::RewardInput {
                name: form.text("name"),
                kind: form.text("kind"),
                description: form.text("description"),
                cost: form.text("cost").parse().unwrap_or(0),
                stock: form.text("stock").parse().ok(),
                active: form.text("active") != "0",
            },
        )
        .await
        .map(|_| ()),
        _ => return Err(AppError::not_found("设置", "setting")),
    };
    match result {
        Ok(()) => {
            tx.commit().await?;
            let ok = ctx.tr.t("feedback.saved").to_string();
            render_setup(&state, ctx, Some(ok), None).await
        }
        Err(e) => {
            drop(tx);
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let msg = e.message(ctx.lang()).to_string();
            render_setup(&state, ctx, None, Some(msg)).await
        }
    }
}
