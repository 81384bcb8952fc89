//! The person's data page (`/me/data`), HR's privacy page (`/privacy`: view
//! log, anonymisation) and HR's page beside one person's record
//! (`/people/{no}/data`: sections, views, notes, a copy on request).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;
use pulse_store::identity::privacy::{self, TOPICS};
use pulse_store::identity::settings::{self, PrivacySettings};
use pulse_store::people::Person;
use serde::Deserialize;

use super::service;
use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::forms::{FormFields, rerender_or_redirect};
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

/// A section as a page lists it: its title and how many records it holds.
pub struct SectionCount {
    pub title: String,
    pub count: i64,
}

pub struct ViewLine {
    pub at: String,
    pub viewer: String,
    pub subject: String,
    pub subject_no: String,
    pub kind: String,
}

pub struct NoteLine {
    pub topic: String,
    pub body: String,
    pub author: String,
    pub at: String,
}

async fn counts(state: &AppState, person_id: i64, tr: &Tr) -> AppResult<Vec<SectionCount>> {
    Ok(privacy::counts(&state.db, person_id)
        .await?
        .into_iter()
        .map(|(zh, en, n)| SectionCount {
            title: tr.0.pick(zh, en).to_string(),
            count: n,
        })
        .collect())
}

async fn view_lines(
    state: &AppState,
    subject: Option<i64>,
    limit: i64,
    tr: &Tr,
) -> AppResult<Vec<ViewLine>> {
    Ok(privacy::views(&state.db, subject, limit)
        .await?
        .into_iter()
        .map(|v| ViewLine {
            at: service::when(v.at),
            viewer: v.viewer_name,
            subject: v.subject_name,
            subject_no: v.subject_no,
            kind: tr.label("privacy.kind", &v.kind),
        })
        .collect())
}

async fn note_lines(state: &AppState, person_id: i64, tr: &Tr) -> AppResult<Vec<NoteLine>> {
    Ok(privacy::annotations(&state.db, person_id)
        .await?
        .into_iter()
        .map(|n| NoteLine {
            topic: tr.label("privacy.topic", &n.topic),
            body: n.body,
            author: n.author_name,
            at: service::when(n.created_at),
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy/mine.html")]
struct MinePage {
    tr: Tr,
    nav: Nav,
    sections: Vec<SectionCount>,
    views: Vec<ViewLine>,
    notes: Vec<NoteLine>,
}

/// `GET /me/data`: what Pulse holds about me, who looked at it, a download.
pub async fn mine(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
) -> AppResult<Response> {
    let ctx = page.at("me");
    let tr = ctx.tr;
    Ok(MinePage {
        sections: counts(&state, caller.person_id, &tr).await?,
        views: view_lines(&state, Some(caller.person_id), 50, &tr).await?,
        notes: note_lines(&state, caller.person_id, &tr).await?,
        tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy/hr.html")]
struct HrPage {
    tr: Tr,
    nav: Nav,
    views: Vec<ViewLine>,
    filter: String,
    filter_error: bool,
    retention_days: i64,
    due: i64,
    message: Option<String>,
    can_change_retention: bool,
}

#[derive(Debug, Deserialize)]
pub struct HrQuery {
    person: Option<String>,
    people: Option<usize>,
    texts: Option<usize>,
}

/// `GET /privacy` (HR): the view log, filtered by a person, and anonymisation.
pub async fn hr(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(q): Query<HrQuery>,
) -> AppResult<Response> {
    let ctx = page.at("privacy");
    let tr = ctx.tr;
    let filter = q.person.unwrap_or_default().trim().to_string();
    let (subject, filter_error) = if filter.is_empty() {
        (None, false)
    } else {
        match service::visible(&state, &caller, &filter).await {
            Ok(p) => (Some(p.id), false),
            Err(_) => (None, true),
        }
    };
    let views = if filter_error {
        Vec::new()
    } else {
        view_lines(&state, subject, 200, &tr).await?
    };
    let p: PrivacySettings = settings::get(&state.db, settings::PRIVACY).await?;
    let message = match (q.people, q.texts) {
        (Some(n), Some(t)) => Some(
            tr.t("privacy.ran")
                .replace("{people}", &n.to_string())
                .replace("{texts}", &t.to_string()),
        ),
        _ => None,
    };
    Ok(HrPage {
        views,
        filter,
        filter_error,
        retention_days: p.retention_days,
        due: privacy::due_count(&state.db, p.retention_days).await?,
        message,
        can_change_retention: caller.has_role(Role::Admin),
        tr,
        nav: ctx.nav,
    }
    .into_response())
}

/// `POST /privacy/anonymise` (HR): runs the anonymisation now.
pub async fn anonymise(State(state): State<AppState>, Me(caller): Me) -> AppResult<Response> {
    let p: PrivacySettings = settings::get(&state.db, settings::PRIVACY).await?;
    let done = privacy::anonymise_due(&state.db, &state.actor(&caller), p.retention_days).await?;
    Ok(Redirect::to(&format!(
        "/privacy?people={}&texts={}",
        done.people, done.texts
    ))
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy/person.html")]
struct PersonDataPage {
    tr: Tr,
    nav: Nav,
    person: Person,
    sections: Vec<SectionCount>,
    views: Vec<ViewLine>,
    notes: Vec<NoteLine>,
    topics: Vec<(&'static str, String)>,
    typed_topic: String,
    typed_body: String,
    error: Option<String>,
    message: Option<String>,
}

async fn render_person(
    state: &AppState,
    ctx: PageCtx,
    caller: &Caller,
    person: Person,
    typed: (String, String),
    error: Option<String>,
    message: Option<String>,
) -> AppResult<Response> {
    let tr = ctx.tr;
    // The page lists what HR can see of the person's reviews and ratings.
    service::viewed(state, caller, person.id, "archive", "page").await?;
    Ok(PersonDataPage {
        sections: counts(state, person.id, &tr).await?,
        views: view_lines(state, Some(person.id), 50, &tr).await?,
        notes: note_lines(state, person.id, &tr).await?,
        topics: TOPICS
            .iter()
            .map(|t| (*t, tr.label("privacy.topic", t)))
            .collect(),
        typed_topic: typed.0,
        typed_body: typed.1,
        person,
        error,
        message,
        tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /people/{employee_no}/data` (HR).
pub async fn person(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(employee_no): Path<String>,
    Query(q): Query<SavedQuery>,
) -> AppResult<Response> {
    let ctx = page.at("privacy");
    let person = service::visible(&state, &caller, &employee_no).await?;
    let message = q.saved.map(|_| ctx.tr.t("privacy.note_saved").to_string());
    render_person(
        &state,
        ctx,
        &caller,
        person,
        Default::default(),
        None,
        message,
    )
    .await
}

/// `POST /people/{employee_no}/data/notes` (HR): a refusal keeps what was typed.
pub async fn add_note(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(employee_no): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let person = service::visible(&state, &caller, &employee_no).await?;
    let (topic, body) = (form.text("topic"), form.text("body"));
    let result = super::api::add_note(&state, &caller, person.id, &topic, &body).await;
    let no = crate::access::urlencode(&person.employee_no);
    rerender_or_redirect(
        result,
        |_| format!("/people/{no}/data?saved=1#notes"),
        |e| async move {
            let ctx = page.at("privacy");
            let msg = e.message(ctx.lang()).to_string();
            render_person(&state, ctx, &caller, person, (topic, body), Some(msg), None).await
        },
    )
    .await
}
