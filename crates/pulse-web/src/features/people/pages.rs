use std::collections::HashSet;

use super::edit_form::EditForm;
use super::service;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use pulse_domain::roles::Role;
use pulse_store::org::Tree;
use pulse_store::people::{self, PeopleQuery, Person};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::forms::FormFields;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, fmt_ms};

#[derive(Template, WebTemplate)]
#[template(path = "people/me.html")]
struct MePage {
    tr: Tr,
    nav: Nav,
    person: Person,
    org_path: String,
    chain: Vec<Person>,
    /// The people on the page the caller may open: only they are links.
    links: HashSet<String>,
    grants: Vec<(String, String)>,
    prefs: crate::features::notify::service::PreferencesDto,
    message: Option<String>,
    error: Option<String>,
}

impl MePage {
    fn chose(&self, kind: &str) -> bool {
        self.prefs.channels.iter().any(|c| c == kind)
    }

    fn offered(&self, kind: &str) -> bool {
        self.prefs.available.iter().any(|c| c == kind)
    }

    fn quiet(&self) -> (String, String) {
        self.prefs
            .quiet_hours
            .as_ref()
            .map(|q| (q.start.clone(), q.end.clone()))
            .unwrap_or_default()
    }
}

/// The manager chain above a person, nearest first, stopping at a cycle.
async fn chain_of(state: &AppState, person: &Person) -> AppResult<Vec<Person>> {
    let mut out = Vec::new();
    let mut next = person.manager_id;
    while let Some(id) = next {
        if out.len() >= 20 {
            break;
        }
        let Some(m) = people::by_id(&state.db, id).await? else {
            break;
        };
        next = m.manager_id;
        out.push(m);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct MeParams {
    changed: Option<String>,
}

pub async fn me(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    page: Page,
    Query(p): Query<MeParams>,
) -> AppResult<Response> {
    let lang = crate::i18n::request_lang(&headers);
    let message = p
        .changed
        .map(|_| lang.pick("密码已修改", "Password changed").to_string());
    me_with(&state, &caller, page, message, None).await
}

async fn me_with(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    page: Page,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let ctx = page.at("me");
    let person = people::by_id(&state.db, caller.person_id)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let tree = state.org_tree().await?;
    let lang = ctx.lang();
    let grants = caller
        .grants
        .iter()
        .map(|g| {
            let scope = match g.anchor_unit.and_then(|id| tree.get(id)) {
                Some(u) => format!("{}{}{}", g.scope.label(lang), lang.pick("：", ": "), u.name),
                None => g.scope.label(lang).to_string(),
            };
            (g.role.label(lang).to_string(), scope)
        })
        .collect();
    let chain = chain_of(state, &person).await?;
    let links = service::openable(state, caller, &chain.iter().collect::<Vec<_>>()).await?;
    let page = MePage {
        tr: ctx.tr,
        nav: ctx.nav,
        org_path: tree.path_names(person.org_unit_id),
        chain,
        links,
        prefs: crate::features::notify::service::preferences(state, person.id).await?,
        person,
        grants,
        message,
        error,
    };
    Ok(axum::response::IntoResponse::into_response(page))
}

#[derive(Template, WebTemplate)]
#[template(path = "people/person.html")]
struct PersonPage {
    tr: Tr,
    nav: Nav,
    person: Person,
    org_path: String,
    chain: Vec<Person>,
    reports: Vec<Person>,
    /// The people on the page the caller may open: only they are links.
    links: HashSet<String>,
    history: Vec<(String, String, String)>,
    can_edit: bool,
    f: EditForm,
    message: Option<String>,
    error: Option<String>,
    radar: Option<crate::features::insights::service::Radar>,
    radar_svg: String,
}

#[derive(Debug, Deserialize)]
pub struct PersonParams {
    saved: Option<String>,
}

pub async fn person(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    page: Page,
    Path(employee_no): Path<String>,
    Query(p): Query<PersonParams>,
) -> AppResult<Response> {
    let lang = crate::i18n::request_lang(&headers);
    let message = p.saved.map(|_| lang.pick("已保存", "Saved").to_string());
    person_with(&state, &caller, page, &employee_no, message, None).await
}

async fn person_with(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    page: Page,
    employee_no: &str,
    message: Option<String>,
    error: Option<(String, &FormFields)>,
) -> AppResult<Response> {
    let (error, typed) = match error {
        Some((e, t)) => (Some(e), Some(t)),
        None => (None, None),
    };
    let ctx = page.at("org");
    let person = people::get_visible(&state.db, &caller.viewer(), employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("人员", "person"))?;
    let tree = state.org_tree().await?;
    let history = if ctx.nav.can_audit {
        pulse_store::audit::list(&state.db, Some("person"), Some(&person.employee_no), 20)
            .await?
            .into_iter()
            .map(|e| {
                let action =
                    crate::features::accounts::audit_pages::action_label(ctx.tr, &e.action);
                let actor = pulse_domain::i18n::actor_label(&e.actor_label, ctx.tr.0).to_string();
                (fmt_ms(e.at), actor, action)
            })
            .collect()
    } else {
        Vec::new()
    };
    // The radar (R2); a failure to compute it must not hide the person page.
    let radar = crate::features::insights::service::radar(state, caller, employee_no, true)
        .await
        .ok()
        .filter(|r| !r.dimensions.is_empty());
    let radar_svg = radar.as_ref().map_or_else(String::new, |r| {
        let axes: Vec<crate::charts::Axis> = r
            .dimensions
            .iter()
            .map(|d| crate::charts::Axis {
                label: &d.name,
                value: d.value,
                peer: d.peer_median,
            })
            .collect();
        crate::charts::radar(
            "radar",
            &format!("{} · {}", ctx.tr.t("radar.title"), person.name),
            &axes,
            (ctx.tr.t("radar.me"), ctx.tr.t("radar.peers")),
        )
    });
    let chain = chain_of(state, &person).await?;
    let reports = people::reports(&state.db, person.id).await?;
    let shown: Vec<&Person> = chain.iter().chain(&reports).collect();
    let links = service::openable(state, caller, &shown).await?;
    let page = PersonPage {
        radar,
        radar_svg,
        org_path: tree.path_names(person.org_unit_id),
        chain,
        reports,
        links,
        history,
        can_edit: ctx.nav.is_hr,
        f: EditForm::of(&person, typed),
        message,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
        person,
    };
    Ok(page.into_response())
}

/// HR's edit form on the person page; same rules as `PATCH /api/v1/people/{employee_no}`.
pub async fn update(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    page: Page,
    Path(employee_no): Path<String>,
    form: FormFields,
) -> AppResult<Response> {
    let lang = crate::i18n::request_lang(&headers);
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string());
    let hire_date = match get("hire_date").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match pulse_sheets::parse_date(&v) {
            Ok(d) => Some(d),
            Err(msg) => {
                return person_with(
                    &state,
                    &caller,
                    page,
                    &employee_no,
                    None,
                    Some((msg, &form)),
                )
                .await;
            }
        },
    };
    let patch = crate::features::people::api::PersonPatch {
        name: get("name"),
        job_family: get("job_family"),
        level: get("level"),
        org_unit: get("org_unit"),
        manager: get("manager").map(|m| Some(m).filter(|m| !m.is_empty())),
        hire_date,
        status: get("status"),
        email: get("email").filter(|e| !e.is_empty()),
        wecom_userid: get("wecom_userid").map(|v| Some(v).filter(|v| !v.is_empty())),
    };
    match crate::features::people::api::apply_patch(&state, &caller, &employee_no, patch).await {
        Ok(_) => Ok(axum::response::Redirect::to(&format!(
            "/people/{}?saved=1",
            crate::access::urlencode(&employee_no)
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::NOT_FOUND => {
            person_with(
                &state,
                &caller,
                page,
                &employee_no,
                None,
                Some((e.message(lang).to_string(), &form)),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct OrgParams {
    unit: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

pub struct TreeRow {
    code: String,
    name: String,
    depth: usize,
    total: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "people/org.html")]
struct OrgPage {
    tr: Tr,
    nav: Nav,
    tree: Vec<TreeRow>,
    selected: String,
    selected_path: String,
    q: String,
    people: Vec<Person>,
    total: i64,
    page: i64,
    pages: i64,
    can_export: bool,
    /// The selected department's feedback leaderboard (F3), live on the page.
    board: Option<crate::features::feedback::service::Leaderboard>,
}

/// Units to list: the top two levels, plus the children of every unit on
/// the path to the selected one, so the tree opens where the person is looking.
fn visible_tree(tree: &Tree, selected: Option<i64>) -> Vec<TreeRow> {
    let open: Vec<i64> = selected
        .map(|id| tree.path(id).iter().map(|u| u.id).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    fn walk(tree: &Tree, parent: Option<i64>, depth: usize, open: &[i64], out: &mut Vec<TreeRow>) {
        for u in tree.children(parent) {
            out.push(TreeRow {
                code: u.code.clone(),
                name: u.name.clone(),
                depth,
                total: tree.total_headcount(u.id),
            });
            if depth < 1 || open.contains(&u.id) {
                walk(tree, Some(u.id), depth + 1, open, out);
            }
        }
    }
    walk(tree, None, 0, &open, &mut out);
    out
}

const PER_PAGE: i64 = 30;

pub async fn org(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Query(p): Query<OrgParams>,
) -> AppResult<Response> {
    let ctx = page.at("org");
    let tree = state.org_tree_with_headcount().await?;
    let selected_unit = p
        .unit
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|code| tree.units.iter().find(|u| u.code == code))
        .map(|u| u.id);
    let q =
        p.q.clone()
            .unwrap_or_default()
            .chars()
            .take(64)
            .collect::<String>();
    let page = p.page.unwrap_or(1).max(1);
    let query = PeopleQuery {
        q: Some(q.clone()),
        org_unit: p.unit.clone().filter(|s| !s.is_empty()),
        status: Some("active".into()),
        page,
        per_page: PER_PAGE,
    };
    let (found, total) = people::list(&state.db, &caller.viewer(), &query).await?;
    let board = match selected_unit.and_then(|id| tree.get(id)) {
        Some(u) => Some(
            crate::features::feedback::service::leaderboard(&state, &caller, Some(&u.code)).await?,
        ),
        None => None,
    };
    let page = OrgPage {
        board,
        tree: visible_tree(&tree, selected_unit),
        selected: selected_unit
            .and_then(|id| tree.get(id))
            .map(|u| u.code.clone())
            .unwrap_or_default(),
        selected_path: selected_unit
            .map(|id| tree.path_names(id))
            .unwrap_or_default(),
        q,
        people: found,
        total,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        can_export: [Role::Manager, Role::Director, Role::Hrbp, Role::Admin]
            .iter()
            .any(|r| caller.has_role(*r)),
        tr: ctx.tr,
        nav: ctx.nav,
    };
    Ok(axum::response::IntoResponse::into_response(page))
}

/// The notification form on "my profile": channels and quiet hours.
pub async fn save_notifications(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let lang = crate::i18n::request_lang(&headers);
    let pairs = form.pairs();
    let channels: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "channel")
        .map(|(_, v)| v.clone())
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (start, end) = (get("quiet_start"), get("quiet_end"));
    let quiet = (!start.is_empty() || !end.is_empty())
        .then_some(crate::features::notify::service::QuietHoursDto { start, end });
    match crate::features::notify::service::save_preferences(
        &state,
        caller.person_id,
        &channels,
        quiet.as_ref(),
    )
    .await
    {
        Ok(()) => {
            let ok = lang.pick("通知设置已保存", "Notification settings saved");
            me_with(&state, &caller, page, Some(ok.to_string()), None).await
        }
        Err(e) if e.status.is_client_error() => {
            me_with(
                &state,
                &caller,
                page,
                None,
                Some(e.message(lang).to_string()),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The password form on "my profile".
pub async fn change_password(
    State(state): State<AppState>,
    Me(caller): Me,
    headers: HeaderMap,
    page: Page,
    form: FormFields,
) -> AppResult<Response> {
    let lang = crate::i18n::request_lang(&headers);
    let get = |k: &str| form.get(k).unwrap_or_default();
    if get("new_password") != get("confirm_password") {
        return me_with(
            &state,
            &caller,
            page,
            None,
            Some(
                lang.pick("两次输入的新密码不一致", "the new passwords do not match")
                    .to_string(),
            ),
        )
        .await;
    }
    match crate::features::accounts::service::change_own_password(
        &state,
        &caller,
        &get("current_password"),
        &get("new_password"),
    )
    .await
    {
        Ok(secret) => {
            // The old session ended with the change; continue on the new one.
            let mut res = axum::response::Redirect::to("/me?changed=1").into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&crate::access::session_cookie(
                &secret,
                state.config.secure_cookies,
            )) {
                res.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e) if e.status.is_client_error() => {
            me_with(
                &state,
                &caller,
                page,
                None,
                Some(e.message(lang).to_string()),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
