//! The manager's weekly digest on a phone (D1, D2), the cards behind a term,
//! HR's dictionary and digest settings, and the competency models (R1).
//! The radar (R2) is drawn on the person page (`pages::people`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_store::{competency, digests};
use serde::Deserialize;
use serde_json::Value;

use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::insights::service;
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx, fmt_ms};
use crate::{AppState, charts};

pub struct TagView {
    pub tag: String,
    pub count: u64,
    pub avg: String,
    pub previous_avg: String,
}

pub struct TermView {
    pub term: String,
    pub count: u64,
    pub previous: u64,
    pub change: String,
    pub flagged: bool,
    pub new: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "insights/digest.html")]
struct DigestPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    week: String,
    week_start: String,
    week_end: String,
    people: u64,
    cards: u64,
    previous_cards: u64,
    flags: Vec<String>,
    tags: Vec<TagView>,
    tag_chart: String,
    cloud: String,
    terms: Vec<TermView>,
    min_count: u64,
    rise_pct: u64,
    generated: String,
    history: Vec<(i64, String, i64, i64)>,
    /// The week before and the week after, one tap away: (id, week start).
    older: Option<(i64, String)>,
    newer: Option<(i64, String)>,
    /// The caller's own team on every competency dimension (own digest only).
    team_heatmap: String,
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or(0)
}

fn render(
    d: &digests::StoredDigest,
    ctx: PageCtx,
    history: Vec<(i64, String, i64, i64)>,
    team_heatmap: String,
) -> Response {
    let v: Value = serde_json::from_str(&d.body_json).unwrap_or(Value::Null);
    let en = ctx.tr.is_en();
    let empty = Vec::new();
    let flags = v["flags"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|f| s(f, if en { "text_en" } else { "text" }))
        .collect();
    let tags: Vec<TagView> = v["tags"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|t| TagView {
            tag: s(t, "tag"),
            count: n(t, "count"),
            avg: format!("{:.1}", t["avg_rating"].as_f64().unwrap_or(0.0)),
            previous_avg: t["previous_avg"]
                .as_f64()
                .map_or("–".into(), |p| format!("{p:.1}")),
        })
        .collect();
    let bar_items: Vec<(&str, f64, String)> = tags
        .iter()
        .map(|t| {
            (
                t.tag.as_str(),
                t.avg.parse().unwrap_or(0.0),
                format!("{} · {}", t.avg, t.count),
            )
        })
        .collect();
    let tag_chart = charts::bars("tags", ctx.tr.t("digest.tags"), &bar_items, 5.0);
    let raw_terms = v["terms"].as_array().unwrap_or(&empty);
    let terms: Vec<TermView> = raw_terms
        .iter()
        .map(|t| TermView {
            term: s(t, "term"),
            count: n(t, "count"),
            previous: n(t, "previous"),
            change: t["change_pct"]
                .as_i64()
                .map_or_else(|| ctx.tr.t("digest.new").to_string(), |c| format!("{c:+}%")),
            flagged: t["flagged"].as_bool().unwrap_or(false),
            new: t["new"].as_bool().unwrap_or(false),
        })
        .collect();
    let words: Vec<charts::Word> = terms
        .iter()
        .take(30)
        .map(|t| charts::Word {
            text: &t.term,
            weight: t.count as f64,
            flagged: t.flagged,
            href: Some(format!(
                "/digests/{}/cards?term={}",
                d.id,
                crate::access::urlencode(&t.term)
            )),
        })
        .collect();
    let cloud = charts::word_cloud("cloud", ctx.tr.t("digest.cloud"), &words);
    DigestPage {
        id: d.id,
        week: s(&v, "week"),
        week_start: s(&v, "week_start"),
        week_end: s(&v, "week_end"),
        people: n(&v, "people"),
        cards: n(&v, "cards"),
        previous_cards: n(&v, "previous_cards"),
        flags,
        tags,
        tag_chart,
        cloud,
        terms,
        min_count: n(&v["rule"], "min_count"),
        rise_pct: n(&v["rule"], "rise_pct"),
        generated: fmt_ms(d.generated_at),
        older: history
            .iter()
            .position(|h| h.0 == d.id)
            .and_then(|i| history.get(i + 1))
            .map(|h| (h.0, h.1.clone())),
        newer: history
            .iter()
            .position(|h| h.0 == d.id)
            .filter(|i| *i > 0)
            .and_then(|i| history.get(i - 1))
            .map(|h| (h.0, h.1.clone())),
        history,
        team_heatmap,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "insights/digest_none.html")]
struct NoDigestPage {
    tr: Tr,
    nav: Nav,
}

/// `/digests`: the caller's latest digest.
pub async fn latest_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("digests");
    match service::latest(&state, &caller).await {
        Ok(d) => {
            let history = digests::list(&state.db, caller.person_id, 12).await?;
            let heatmap = match service::team_grid(&state, &caller).await? {
                Some(g) => {
                    let rows: Vec<String> = g.rows.iter().map(|r| r.0.clone()).collect();
                    let values: Vec<Vec<Option<f64>>> = g.rows.into_iter().map(|r| r.2).collect();
                    charts::heatmap(
                        "team",
                        &format!("{} · {}", ctx.tr.t("digest.team_heatmap"), g.job_family),
                        &rows,
                        &g.dimensions,
                        &values,
                        100.0,
                    )
                }
                None => String::new(),
            };
            Ok(render(&d, ctx, history, heatmap))
        }
        Err(e) if e.code == "no_digest" => Ok(NoDigestPage {
            tr: ctx.tr,
            nav: ctx.nav,
        }
        .into_response()),
        Err(e) => Err(e),
    }
}

pub async fn digest_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("digests");
    let d = service::visible(&state, &caller, id).await?;
    let history = digests::list(&state.db, d.manager_id, 12).await?;
    Ok(render(&d, ctx, history, String::new()))
}

#[derive(Debug, Deserialize)]
pub struct TermQuery {
    term: Option<String>,
}

pub struct TermCard {
    pub id: i64,
    pub author: String,
    pub at: String,
    pub observation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "insights/digest_cards.html")]
struct TermCardsPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    term: String,
    cards: Vec<TermCard>,
    trend: String,
}

/// The cards of the digest's week that mention a term.
pub async fn term_cards_page(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<TermQuery>,
) -> AppResult<Response> {
    let ctx = page.at("digests");
    let d = service::visible(&state, &caller, id).await?;
    let term = q.term.unwrap_or_default();
    let v: Value = serde_json::from_str(&d.body_json).unwrap_or(Value::Null);
    let ids: Vec<i64> = v["terms"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["term"] == term.as_str()))
        .and_then(|t| t["card_ids"].as_array())
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let ids: Vec<i64> = ids.into_iter().take(100).collect();
    let cards: Vec<TermCard> = digests::cards_by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .map(|(id, author, at, observation)| TermCard {
            id,
            author,
            at: fmt_ms(at),
            observation,
        })
        .collect();
    let monday = s(&v, "week_start")
        .parse()
        .unwrap_or_else(|_| pulse_jobs::digests::last_complete_week(state.db.today()));
    let history = service::term_history(&state, d.manager_id, &term, monday, 8).await?;
    let labels: Vec<String> = history
        .iter()
        .map(|h| h.0.split('-').next_back().unwrap_or("").to_string())
        .collect();
    let trend = charts::lines(
        "trend",
        &format!(
            "{}{}{}",
            ctx.tr.t("digest.term_trend"),
            ctx.tr.colon(),
            term
        ),
        &labels,
        &[(
            term.as_str(),
            history.iter().map(|h| Some(f64::from(h.1))).collect(),
        )],
    );
    Ok(TermCardsPage {
        tr: ctx.tr,
        nav: ctx.nav,
        id,
        term,
        cards,
        trend,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "insights/digest_setup.html")]
struct SetupPage {
    tr: Tr,
    nav: Nav,
    settings: pulse_jobs::digests::Settings,
    custom_domain: Vec<String>,
    custom_stop: Vec<String>,
    shipped_domain: String,
    flagged: Vec<(i64, String, String, String, i64)>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_setup(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let (custom_domain, custom_stop) = digests::dictionary(&state.db).await?;
    Ok(SetupPage {
        settings: pulse_jobs::digests::settings(&state.db).await?,
        custom_domain,
        custom_stop,
        shipped_domain: pulse_text::DEFAULT_DOMAIN_TERMS.join(ctx.tr.0.pick("、", ", ")),
        flagged: digests::flagged_latest(&state.db, 50).await?,
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn setup_page(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("digest_setup");
    render_setup(&state, ctx, None, None).await
}

/// One form per action: `add_term`, `remove_term`, `settings`.
pub async fn setup_save(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("digest_setup");
    let result: Result<(), pulse_store::StoreError> = match form.text("action").as_str() {
        "add_term" | "remove_term" => {
            let mut tx = state.db.begin().await?;
            let kind = form.text("kind");
            let term = form.text("term");
            let r = if form.text("action") == "add_term" {
                digests::save_term(&mut tx, &term, &kind).await.map(|_| ())
            } else {
                digests::remove_term(&mut tx, &term, &kind)
                    .await
                    .map(|_| ())
            };
            match r {
                Ok(()) => tx.commit().await,
                Err(e) => Err(e),
            }
        }
        "settings" => {
            let num = |k: &str| form.text(k).parse::<u32>().unwrap_or(0);
            pulse_jobs::digests::save_settings(
                &state.db,
                &pulse_jobs::digests::Settings {
                    rule: pulse_text::TrendRule {
                        min_count: num("min_count"),
                        rise_pct: num("rise_pct"),
                    },
                    weekday: num("weekday"),
                    hour: form.text("hour").parse().unwrap_or(99),
                },
            )
            .await
        }
        _ => return Err(AppError::not_found("设置", "setting")),
    };
    let (ok, err) = outcome(&ctx, result)?;
    render_setup(&state, ctx, ok, err).await
}

/// Saved → (a note, none); a client error → (none, its message: nothing
/// changed); anything else → the error page.
fn outcome(
    ctx: &PageCtx,
    result: Result<(), pulse_store::StoreError>,
) -> AppResult<(Option<String>, Option<String>)> {
    match result {
        Ok(()) => Ok((Some(ctx.tr.t("feedback.saved").to_string()), None)),
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            Ok((None, Some(e.message(ctx.lang()).to_string())))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "insights/competency.html")]
struct ModelsPage {
    tr: Tr,
    nav: Nav,
    families: Vec<(String, Vec<competency::Dimension>)>,
    metrics: Vec<(String, String)>,
    tags: Vec<String>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_models(
    state: &AppState,
    ctx: PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let mut families: Vec<(String, Vec<competency::Dimension>)> = Vec::new();
    for d in competency::dimensions(&state.db, None).await? {
        match families.last_mut() {
            Some((f, dims)) if *f == d.job_family => dims.push(d),
            _ => families.push((d.job_family.clone(), vec![d])),
        }
    }
    Ok(ModelsPage {
        families,
        metrics: pulse_domain::competency::Metric::fixed_codes()
            .map(|(c, zh, en)| (c.to_string(), ctx.tr.0.pick(zh, en).to_string()))
            .collect(),
        tags: pulse_store::feedback::tags(&state.db, true)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

pub async fn models_page(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("competency");
    render_models(&state, ctx, None, None).await
}

/// Save a dimension (`action=save`) or delete one (`action=delete`, `id`).
pub async fn models_save(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let ctx = page.at("competency");
    let result: Result<(), pulse_store::StoreError> = if form.text("action") == "delete" {
        let mut tx = state.db.begin().await?;
        match competency::delete_dimension(&mut tx, form.text("id").parse().unwrap_or(0)).await {
            Ok(_) => tx.commit().await,
            Err(e) => Err(e),
        }
    } else {
        let target = form.text("target").parse::<f64>().ok();
        match service::save_dimension(
            &state,
            &form.text("job_family"),
            &form.text("name"),
            &form.text("metric"),
            &form.text("normalisation"),
            target,
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status.is_client_error() => {
                let msg = e.message(ctx.lang()).to_string();
                return render_models(&state, ctx, None, Some(msg)).await;
            }
            Err(e) => return Err(e),
        }
    };
    let (ok, err) = outcome(&ctx, result)?;
    render_models(&state, ctx, ok, err).await
}
