use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pulse_store::outbox;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::notify::service::{self, ChannelDto};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};

pub struct JobView {
    name: String,
    runs: i64,
    last: String,
    result: String,
    next: String,
    running: bool,
}

pub struct LetterView {
    id: i64,
    target: String,
    subject: String,
    attempts: i64,
    last_error: String,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/notifications.html")]
struct NotifyPage {
    tr: Tr,
    nav: Nav,
    channels: Vec<ChannelDto>,
    counts: Vec<(String, i64)>,
    letters: Vec<LetterView>,
    units: Vec<(String, String, String)>,
    jobs: Vec<JobView>,
    message: Option<String>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let letters = outbox::list(&state.db, "dead", 100)
        .await?
        .into_iter()
        .map(|m| LetterView {
            id: m.id,
            target: m.target,
            subject: m.subject,
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created: fmt_ms(m.created_at),
        })
        .collect();
    Ok(NotifyPage {
        channels: service::list(state).await?,
        counts: outbox::counts(&state.db).await?,
        letters,
        units: pulse_store::notify::unit_channels(&state.db).await?,
        jobs: pulse_store::jobs::list(&state.db)
            .await?
            .into_iter()
            .map(|j| JobView {
                running: j.lease_until.is_some_and(|l| l > state.db.now_ms()),
                name: j.job,
                runs: j.runs,
                last: j.last_finished_at.map(fmt_ms).unwrap_or_else(|| "—".into()),
                result: j.last_result.unwrap_or_default(),
                next: if j.next_due_at == 0 {
                    "—".into()
                } else {
                    fmt_ms(j.next_due_at)
                },
            })
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn page(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    render(&state, ctx, None, None).await
}

/// Runs an action and shows the page with its outcome; rule errors become a message.
async fn outcome(
    state: &AppState,
    ctx: PageCtx,
    ok: String,
    result: AppResult<()>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    match result {
        Ok(()) => render(state, ctx, Some(ok), None).await,
        Err(e) if e.status.is_client_error() || e.status == axum::http::StatusCode::BAD_GATEWAY => {
            render(state, ctx, None, Some(e.message(lang).to_string())).await
        }
        Err(e) => Err(e),
    }
}

pub async fn save(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    let get = |k: &str| form.get(k).unwrap_or_default();
    let name = get("name");
    let kind = Some(get("kind"))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "wecom_robot".into());
    let form = service::ChannelForm {
        kind,
        webhook_url: get("webhook_url"),
        secret: get("secret"),
        corpid: get("corpid"),
        agentid: get("agentid"),
        smtp_host: get("smtp_host"),
        smtp_port: get("smtp_port"),
        smtp_username: get("smtp_username"),
        smtp_from: get("smtp_from"),
        smtp_tls: get("smtp_tls"),
        enabled: get("enabled") == "on",
    };
    let result = service::save(&state, name.trim(), &form).await;
    let ok = format!("{} {}", name, ctx.lang().pick("已保存", "saved"));
    outcome(&state, ctx, ok, result).await
}

pub async fn test(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    let result = service::test(&state, &name, &caller).await;
    let ok = format!(
        "{name} {}",
        ctx.lang().pick("测试消息已发送", "test message sent")
    );
    outcome(&state, ctx, ok, result).await
}

pub async fn retry(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    let result = outbox::retry_dead(&state.db, id)
        .await
        .map_err(AppError::from);
    let ok = ctx
        .lang()
        .pick("已重新加入发送队列", "queued again")
        .to_string();
    outcome(&state, ctx, ok, result).await
}

pub async fn set_unit(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    let get = |k: &str| form.get(k).unwrap_or_default();
    let code = get("unit");
    let channel = get("channel");
    let result = service::set_unit_channel(&state, &code, Some(channel.as_str())).await;
    let ok = format!("{code} → {channel}");
    outcome(&state, ctx, ok, result).await
}

/// "Run now": makes a scheduled job due; the next scheduler tick of any instance runs it.
pub async fn run_job(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let ctx = page.at("notify");
    let result = match pulse_store::jobs::run_soon(&state.db, &name).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AppError::not_found("定时任务", "scheduled job")),
        Err(e) => Err(e.into()),
    };
    let ok = format!(
        "{name} {}",
        ctx.lang().pick("将在一分钟内运行", "runs within a minute")
    );
    outcome(&state, ctx, ok, result).await
}
