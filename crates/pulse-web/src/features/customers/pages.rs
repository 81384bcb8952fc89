//! The customer list (X3) on the phone, and for HR the CRM sources with a
//! "pull now" button.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::roles::Role;
use pulse_store::customers::{self, Customer};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::customers::api::{SourceDto, source_dtos};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};

#[derive(Template, WebTemplate)]
#[template(path = "customers/customers.html")]
struct CustomersPage {
    tr: Tr,
    nav: Nav,
    items: Vec<Customer>,
    total: i64,
    tier: String,
    region: String,
    q: String,
    sources: Vec<(SourceDto, String)>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    tier: Option<String>,
    region: Option<String>,
    q: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    caller: &pulse_store::accounts::Caller,
    q: ListQuery,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let tier = q.tier.unwrap_or_default();
    let region = q.region.unwrap_or_default();
    let text = q.q.unwrap_or_default();
    let tier_filter = customers::parse_tier(&tier).ok();
    let (items, total) = customers::list(
        &state.db,
        Some(region.as_str()).filter(|r| !r.is_empty()),
        tier_filter,
        Some(text.as_str()),
        200,
    )
    .await?;
    let hr = caller.has_role(Role::Hrbp) || caller.has_role(Role::Admin);
    let sources = if hr {
        source_dtos(state)
            .await?
            .into_iter()
            .map(|s| {
                let at = s.last_pulled_at.map(fmt_ms).unwrap_or_default();
                (s, at)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CustomersPage {
        items,
        total,
        tier,
        region,
        q: text,
        sources,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let ctx = page.at("customers");
    render(&state, ctx, &caller, q, None, None).await
}

pub async fn pull(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let ctx = page.at("customers");
    let source = customers::sources(&state.db)
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| AppError::not_found("CRM 数据源", "CRM source"))?;
    let outcome =
        pulse_jobs::crm::pull(&state.db, &pulse_jobs::channels::http_client(), &source).await?;
    let lang = ctx.lang();
    match outcome {
        Ok(c) => {
            let msg = format!(
                "{name}：{} {}，{} {}，{} {}",
                lang.pick("新增", "new"),
                c.created,
                lang.pick("更新", "updated"),
                c.updated,
                lang.pick("未变", "unchanged"),
                c.unchanged
            );
            render(&state, ctx, &caller, ListQuery::default(), Some(msg), None).await
        }
        Err(reason) => {
            render(
                &state,
                ctx,
                &caller,
                ListQuery::default(),
                None,
                Some(reason),
            )
            .await
        }
    }
}
