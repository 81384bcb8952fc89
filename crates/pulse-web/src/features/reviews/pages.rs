//! Review pages: the manager's "reviews to write", the evidence picker and
//! draft editor (phone and desktop), the employee's "my reviews" with the
//! acknowledgement; HR's cycle pages are in `cycle_pages`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use pulse_domain::Lang;
use pulse_store::accounts::Caller;
use pulse_store::reviews::{self, Review};
use serde::Deserialize;

use super::api::rating_text;
use super::service::{self, EvidenceItem, Standing, Warning};
use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

pub use super::cycle_pages::{complete, cycle, cycles, launch, release};

pub struct Row {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub cycle: String,
    pub period: String,
    pub state: String,
    pub state_label: String,
    pub overdue: bool,
    pub due: String,
    pub rating: String,
    pub writable: bool,
}

fn row(r: &Review, standing: Standing, lang: Lang, today: chrono::NaiveDate) -> Row {
    let shown = standing != Standing::Subject || service::visible_to_subject(r);
    Row {
        id: r.id,
        name: r.name.clone(),
        unit: r.org_unit_name.clone(),
        cycle: r.cycle_name.clone(),
        period: pulse_domain::goals::period_label(&r.period_code, &r.period_name, lang),
        state: r.state.clone(),
        state_label: service::state_label(r, lang, today),
        overdue: r.overdue(today),
        due: r.due_on.to_string(),
        rating: if shown {
            service::rating_label(r, lang).unwrap_or_default()
        } else {
            String::new()
        },
        writable: standing == Standing::Reviewer && service::writable(r),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/reviews.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    to_write: Vec<Row>,
    mine: Vec<Row>,
    open_count: usize,
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    cycle: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let ctx = page.at("reviews");
    let lang = ctx.lang();
    let today = state.db.today();
    let (to_write, mine) = service::reviews_of(&state, &caller, q.cycle).await?;
    let to_write: Vec<Row> = to_write
        .iter()
        .map(|r| row(r, Standing::Reviewer, lang, today))
        .collect();
    Ok(ListPage {
        open_count: to_write
            .iter()
            .filter(|r| r.writable && r.state == "draft")
            .count(),
        to_write,
        mine: mine
            .iter()
            .map(|r| row(r, Standing::Subject, lang, today))
            .collect(),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// What a reviewer had typed when a form is refused or warned about.
#[derive(Default)]
pub struct Typed {
    pub text: Option<String>,
    pub rating: Option<String>,
    pub ticked: Vec<i64>,
    pub warnings: Vec<Warning>,
    pub ack_comment: String,
    pub self_text: Option<String>,
    pub reviewer_no: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/review.html")]
struct ReviewPage {
    tr: Tr,
    nav: Nav,
    r: Row,
    reviewer: String,
    standing: &'static str,
    writable: bool,
    released: bool,
    acknowledged: bool,
    goal_score: String,
    body: String,
    edits: String,
    writing: String,
    ack_comment: String,
    self_text: String,
    can_self: bool,
    can_reassign: bool,
    reviewer_no: String,
    evidence: Vec<EvidenceItem>,
    evidence_total: usize,
    ticked: Vec<i64>,
    text: String,
    rating: String,
    scale: Vec<(String, String)>,
    sources: Vec<(usize, EvidenceItem)>,
    warnings: Vec<Warning>,
    polish_available: bool,
    message: Option<String>,
    error: Option<String>,
    /// The growth letter of a finalized calibration (C6), where the reader may open it.
    letter: Option<String>,
    calibrated: bool,
}

fn minutes(secs: Option<i64>, tr: &Tr) -> String {
    secs.map(|s| {
        tr.t("reviews.minutes")
            .replace("{n}", &format!("{:.1}", s as f64 / 60.0))
    })
    .unwrap_or_default()
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    caller: &Caller,
    id: i64,
    typed: Typed,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let lang = ctx.lang();
    let today = state.db.today();
    let (r, standing) = service::open(state, caller, id).await?;
    let writable = standing == Standing::Reviewer && service::writable(&r);
    let shown = standing != Standing::Subject || service::visible_to_subject(&r);
    let (evidence, total, sources) = if standing == Standing::Subject {
        (Vec::new(), 0, Vec::new())
    } else {
        let facts = service::evidence_of(state, &r).await?;
        let drafted: Vec<i64> = serde_json::from_str(&r.draft_evidence).unwrap_or_default();
        let sources = drafted
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                facts
                    .iter()
                    .find(|f| f.id() == *id)
                    .map(|f| (i + 1, service::item(f, &r, lang)))
            })
            .collect();
        let items = facts
            .iter()
            .take(service::PICKER_ITEMS)
            .map(|f| service::item(f, &r, lang))
            .collect();
        (items, facts.len(), sources)
    };
    let scale = r.scale();
    let text = typed.text.unwrap_or_else(|| {
        if r.body.is_empty() {
            r.draft_text.clone()
        } else {
            r.body.clone()
        }
    });
    let rating = typed.rating.unwrap_or_else(|| rating_text(r.rating));
    let ticked = if typed.ticked.is_empty() {
        serde_json::from_str(&r.draft_evidence).unwrap_or_default()
    } else {
        typed.ticked
    };
    let polish_available = writable && super::polish::config(state).await?.enabled;
    let goal_score = match r.goal_score_bp {
        Some(bp) if shown => format!("{:.1}%", bp as f64 / 100.0),
        _ if shown && r.submitted_at.is_some() => ctx.tr.t("reviews.no_goal_score").to_string(),
        _ => String::new(),
    };
    let letter = match pulse_store::calibration::finalized_case(&state.db, r.id).await? {
        Some((sid, cid)) if shown => Some(format!("/calibration/{sid}/letters/{cid}")),
        _ => None,
    };
    Ok(ReviewPage {
        letter,
        calibrated: shown && r.calibrated_rating.is_some(),
        reviewer: r.reviewer_name.clone(),
        standing: match standing {
            Standing::Reviewer => "reviewer",
            Standing::Subject => "subject",
            Standing::Hr => "hr",
        },
        writable,
        released: service::is_released(&r),
        acknowledged: r.acknowledged_at.is_some(),
        goal_score,
        body: if shown { r.body.clone() } else { String::new() },
        edits: r
            .edit_count
            .filter(|_| standing != Standing::Subject)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        writing: if standing == Standing::Subject {
            String::new()
        } else {
            minutes(r.writing_seconds, &ctx.tr)
        },
        ack_comment: if typed.ack_comment.is_empty() {
            r.ack_comment.clone()
        } else {
            typed.ack_comment
        },
        self_text: typed.self_text.unwrap_or_else(|| r.self_text.clone()),
        can_self: standing == Standing::Subject && r.self_assessment != 0 && service::writable(&r),
        can_reassign: standing == Standing::Hr && service::writable(&r),
        reviewer_no: typed.reviewer_no,
        evidence,
        evidence_total: total,
        ticked,
        text,
        rating,
        scale: scale
            .steps()
            .into_iter()
            .map(|v| {
                (
                    pulse_domain::reviews::format_rating(v),
                    scale.label(v, lang),
                )
            })
            .collect(),
        sources,
        warnings: typed.warnings,
        polish_available,
        message,
        error,
        r: row(&r, standing, lang, today),
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct ReviewQuery {
    drafted: Option<String>,
    submitted: Option<String>,
    acknowledged: Option<String>,
    saved: Option<String>,
    reassigned: Option<String>,
}

pub async fn review(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Response> {
    let ctx = page.at("reviews");
    let (r, standing) = service::open(&state, &caller, id).await?;
    crate::features::privacy::service::viewed(
        &state,
        &caller,
        r.person_id,
        "review",
        &format!("review:{id}"),
    )
    .await?;
    // Opening the editor starts (or continues) the writing clock (W2).
    if standing == Standing::Reviewer && service::writable(&r) {
        reviews::ping(&state.db, r.id).await?;
    }
    let key = if q.drafted.is_some() {
        Some("reviews.drafted")
    } else if q.submitted.is_some() {
        Some("reviews.submitted")
    } else if q.acknowledged.is_some() {
        Some("reviews.acknowledged_msg")
    } else if q.saved.is_some() {
        Some("reviews.self_saved")
    } else if q.reassigned.is_some() {
        Some("reviews.reassigned")
    } else {
        None
    };
    let message = key.map(|k| ctx.tr.t(k).to_string());
    render(&state, ctx, &caller, id, Typed::default(), message, None).await
}

fn ticked(form: &FormFields) -> Vec<i64> {
    form.all("evidence")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// "生成草稿": the two ticked records become the draft in the editor.
pub async fn draft(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let ids = ticked(&form);
    let lang = page.lang();
    let polish = form.text("polish") == "1";
    let result = async {
        let r = service::open_for_writing(&state, &caller, id).await?;
        super::drafting::make(&state, &r, &ids, polish, lang).await
    }
    .await;
    match result {
        // A failed polish is said on the page (the offline draft is in the editor).
        Ok(d) if d.polish_note.is_some() => {
            let ctx = page.at("reviews");
            let note = d.polish_note.clone();
            render(
                &state,
                ctx,
                &caller,
                id,
                Typed {
                    ticked: ids,
                    ..Typed::default()
                },
                Some(ctx_drafted(lang)),
                note,
            )
            .await
        }
        other => {
            rerender_or_redirect(
                other,
                |_| format!("/reviews/{id}?drafted=1#editor"),
                |e| async move {
                    let ctx = page.at("reviews");
                    let msg = e.message(ctx.lang()).to_string();
                    let typed = Typed {
                        ticked: ids,
                        text: Some(form.text("text")).filter(|t| !t.is_empty()),
                        rating: Some(form.text("rating")).filter(|t| !t.is_empty()),
                        ..Typed::default()
                    };
                    render(&state, ctx, &caller, id, typed, None, Some(msg)).await
                },
            )
            .await
        }
    }
}

fn ctx_drafted(lang: Lang) -> String {
    lang.pick(
        "已生成离线草稿：请在下方修改后提交",
        "Offline draft ready: edit it below, then submit",
    )
    .to_string()
}

/// "提交评价": warns once when rating and prose disagree or nothing is
/// cited, then submits on "仍然提交".
pub async fn submit(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let text = form.get("text").unwrap_or_default();
    let rating_raw = form.text("rating");
    let confirmed = form.text("confirm") == "1";
    let lang = page.lang();
    let keep = |warnings: Vec<Warning>| Typed {
        text: Some(text.clone()),
        rating: Some(rating_raw.clone()),
        ticked: ticked(&form),
        warnings,
        ..Typed::default()
    };
    let r = service::open_for_writing(&state, &caller, id).await?;
    let rating: Option<f64> = rating_raw.trim().parse().ok();
    if !confirmed && rating.is_some() && !text.trim().is_empty() && service::writable(&r) {
        let facts = service::evidence_of(&state, &r).await?;
        let warnings = service::check(
            &state,
            &r,
            &text,
            rating,
            &service::citable_names(&facts),
            lang,
        )
        .await?;
        if !warnings.is_empty() {
            let ctx = page.at("reviews");
            return render(&state, ctx, &caller, id, keep(warnings), None, None).await;
        }
    }
    let result = match rating {
        Some(x) => reviews::submit(&state.db, &state.actor(&caller), id, &text, x)
            .await
            .map_err(Into::into),
        None => Err(crate::error::AppError::invalid(pulse_domain::Problem::new(
            "rating_required",
            "请选择综合评分",
            "choose an overall rating",
        ))),
    };
    answer(
        state,
        page,
        caller,
        id,
        result,
        "submitted=1",
        keep(Vec::new()),
    )
    .await
}

/// POST-redirect-GET for the review page's forms: on success to the page
/// with `done` in its query, a refusal re-renders it with what was typed.
async fn answer<T>(
    state: AppState,
    page: Page,
    caller: Caller,
    id: i64,
    result: AppResult<T>,
    done: &str,
    typed: Typed,
) -> AppResult<Response> {
    rerender_or_redirect(
        result,
        |_| format!("/reviews/{id}?{done}"),
        |e| async move {
            let ctx = page.at("reviews");
            let msg = e.message(ctx.lang()).to_string();
            render(&state, ctx, &caller, id, typed, None, Some(msg)).await
        },
    )
    .await
}

pub async fn acknowledge(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let comment = form.text("comment");
    let result = async {
        let r = service::open_as(&state, &caller, id, Standing::Subject).await?;
        Ok(reviews::acknowledge(&state.db, &state.actor(&caller), r.id, &comment).await?)
    }
    .await;
    let typed = Typed {
        ack_comment: comment,
        ..Typed::default()
    };
    answer(state, page, caller, id, result, "acknowledged=1", typed).await
}

/// HR gives the review to another reviewer (by 工号).
pub async fn reassign(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let no = form.text("employee_no");
    let result = async {
        let r = service::open_for_hr(&state, &caller, id).await?;
        let to = pulse_store::people::by_employee_no(&state.db, no.trim())
            .await?
            .ok_or_else(service::unknown_reviewer)?;
        Ok(reviews::reassign(&state.db, &state.actor(&caller), r.id, to.id).await?)
    }
    .await;
    let typed = Typed {
        reviewer_no: no,
        ..Typed::default()
    };
    answer(state, page, caller, id, result, "reassigned=1", typed).await
}

pub async fn self_assessment(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
    form: FormFields,
) -> AppResult<Response> {
    let text = form.text("self_text");
    let result = async {
        let r = service::open_as(&state, &caller, id, Standing::Subject).await?;
        Ok(reviews::save_self(&state.db, &state.actor(&caller), r.id, &text).await?)
    }
    .await;
    let typed = Typed {
        self_text: Some(text),
        ..Typed::default()
    };
    answer(state, page, caller, id, result, "saved=1", typed).await
}
