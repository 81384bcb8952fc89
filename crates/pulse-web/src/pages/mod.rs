//! Server-rendered pages (askama), zh-CN by default, phone first.

pub mod assets;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use pulse_domain::Lang;
use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{Tr, request_lang};

/// What the layout needs to draw the top bar.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub signed_in: bool,
    pub name: String,
    pub csrf: String,
    pub is_hr: bool,
    pub can_audit: bool,
    /// May answer other people's cards (the reply form's route admits them).
    pub can_reply: bool,
    pub section: &'static str,
    /// Open to-dos: the badge on every page.
    pub inbox_open: i64,
    /// The menu links this caller may open (from the route table).
    pub links: Vec<crate::menu::MenuItem>,
}

impl Nav {
    pub fn for_caller(c: Option<&Caller>, section: &'static str) -> Nav {
        match c {
            None => Nav {
                section,
                ..Default::default()
            },
            Some(c) => Nav {
                signed_in: true,
                name: c.name.clone(),
                csrf: c.csrf_token.clone().unwrap_or_default(),
                is_hr: c.has_role(Role::Hrbp) || c.has_role(Role::Admin),
                can_audit: c.has_role(Role::Hrbp) || c.has_role(Role::Admin),
                can_reply: crate::menu::may(c, "POST", "/feedback/cards/{id}/reply"),
                section,
                inbox_open: 0,
                links: crate::menu::for_caller(c),
            },
        }
    }
}

/// Language and layout data every page handler starts from.
pub struct PageCtx {
    pub tr: Tr,
    pub nav: Nav,
}

impl PageCtx {
    pub fn new(headers: &HeaderMap, caller: Option<&Caller>, section: &'static str) -> PageCtx {
        PageCtx {
            tr: Tr(request_lang(headers)),
            nav: Nav::for_caller(caller, section),
        }
    }

    /// Like [`PageCtx::new`] with the inbox badge filled in. A failing count
    /// shows no badge rather than failing the page. Only the `Page` extractor
    /// calls it: handlers take `page: Page` and call `page.at(section)`.
    async fn load(
        state: &AppState,
        headers: &HeaderMap,
        caller: Option<&Caller>,
        section: &'static str,
    ) -> PageCtx {
        let mut ctx = PageCtx::new(headers, caller, section);
        if let Some(c) = caller {
            ctx.nav.inbox_open = pulse_store::inbox::open_count(&state.db, c.person_id)
                .await
                .unwrap_or(0);
        }
        ctx
    }

    pub fn lang(&self) -> Lang {
        self.tr.0
    }
}

/// The page context of a request, taken as a handler argument: language,
/// the caller's menu and inbox badge. The handler names its menu section
/// with [`Page::at`].
pub struct Page(PageCtx);

impl Page {
    pub fn at(mut self, section: &'static str) -> PageCtx {
        self.0.nav.section = section;
        self.0
    }

    pub fn lang(&self) -> Lang {
        self.0.lang()
    }
}

impl axum::extract::FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = parts.extensions.get::<Caller>().cloned();
        Ok(Page(
            PageCtx::load(state, &parts.headers, caller.as_ref(), "").await,
        ))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    nav: Nav,
    message: String,
    status: u16,
    code: String,
}

/// The HTML rendering of an `AppError` (see `error::render_errors`).
pub async fn error_page(_state: &AppState, lang: Lang, err: &AppError) -> Response {
    let page = ErrorPage {
        tr: Tr(lang),
        nav: Nav::default(),
        message: err.message(lang).to_string(),
        status: err.status.as_u16(),
        code: err.code.to_string(),
    };
    let mut res = page.into_response();
    *res.status_mut() = err.status;
    res
}

/// Milliseconds since the epoch as local China time, the way users read it.
/// A file's size as a person reads it: 245 KB, 3.2 MB (never "0.0 MB").
pub fn human_size(bytes: i64) -> String {
    if bytes < 1_048_576 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    }
}

pub fn fmt_ms(ms: i64) -> String {
    pulse_domain::china_time::format_ms(ms, "%Y-%m-%d %H:%M")
}
