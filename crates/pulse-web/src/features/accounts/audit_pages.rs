//! The audit page (S4): the trail filtered by who, what and when, in words —
//! actions, objects and fields by their names, times as times.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pulse_store::audit::{self, AuditFilter};
use serde::Deserialize;

use crate::AppState;
use crate::access::Me;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, fmt_ms};

const PER_PAGE: i64 = 50;

pub struct AuditView {
    at: String,
    actor: String,
    action: String,
    entity: String,
    diff: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/audit.html")]
struct AuditPage {
    tr: Tr,
    nav: Nav,
    entries: Vec<AuditView>,
    total: i64,
    /// (code, label) of every action the trail holds.
    actions: Vec<(String, String)>,
    actor: String,
    action: String,
    from: String,
    to: String,
    page: i64,
    pages: i64,
    /// The filter as a query string, for the paging links.
    query: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

/// An action code in words ("adjustment.approved" → 批准目标微调), the code
/// itself when the table does not know it yet.
pub fn action_label(tr: Tr, code: &str) -> String {
    tr.get(&format!("audit.action.{code}"))
        .map_or_else(|| code.to_string(), str::to_string)
}

fn entity_label(tr: Tr, entity: &str, id: &str) -> String {
    let name = tr.get(&format!("audit.entity.{entity}")).unwrap_or(entity);
    // Some records are named by a code (a settings group): said in words.
    match tr.get(&format!("audit.entity_id.{entity}.{id}")) {
        Some(what) => format!("{name} · {what}"),
        None => format!("{name} {id}"),
    }
}

fn field_label(tr: Tr, key: &str) -> String {
    tr.get(&format!("audit.field.{key}"))
        .map_or_else(|| key.to_string(), str::to_string)
}

/// A stored value as a person reads it: times as times, basis points as
/// percentages, known codes in words.
fn value_text(tr: Tr, key: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Number(n) if key.ends_with("_at") => {
            n.as_i64().map(fmt_ms).unwrap_or_else(|| n.to_string())
        }
        serde_json::Value::Number(n) if key.ends_with("_bp") => n
            .as_i64()
            .map(|bp| format!("{:.1}%", bp as f64 / 100.0))
            .unwrap_or_else(|| n.to_string()),
        serde_json::Value::String(s) => tr
            .get(&format!("audit.value.{s}"))
            .map_or_else(|| s.clone(), str::to_string),
        serde_json::Value::Bool(b) => tr
            .t(if *b { "common.yes" } else { "common.no" })
            .to_string(),
        other => other.to_string(),
    }
}

/// Field-level differences between two JSON objects, for reading the trail.
pub fn diff(tr: Tr, before: Option<&str>, after: Option<&str>) -> Vec<(String, String, String)> {
    let parse = |s: Option<&str>| {
        s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let (b, a) = (parse(before), parse(after));
    let show = |k: &str, v: Option<&serde_json::Value>| {
        v.map(|v| value_text(tr, k, v)).unwrap_or_default()
    };
    // Ids are the database's business, not the reader's.
    let hidden = |k: &str| k == "id" || k == "search_key";
    match (&b, &a) {
        (serde_json::Value::Object(bo), serde_json::Value::Object(ao)) => {
            let mut keys: Vec<&String> = bo.keys().chain(ao.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| bo.get(*k) != ao.get(*k) && !hidden(k))
                .map(|k| (field_label(tr, k), show(k, bo.get(k)), show(k, ao.get(k))))
                .collect()
        }
        (serde_json::Value::Null, serde_json::Value::Object(ao)) => ao
            .iter()
            .filter(|(k, v)| !v.is_null() && !hidden(k))
            .map(|(k, v)| (field_label(tr, k), String::new(), show(k, Some(v))))
            .collect(),
        _ if b != a => vec![(String::new(), show("", Some(&b)), show("", Some(&a)))],
        _ => Vec::new(),
    }
}

fn day(s: Option<&str>) -> Result<Option<NaiveDate>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

pub async fn audit(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let ctx = page.at("audit");
    let tr = ctx.tr;
    let mut error = None;
    let (from, to) = match (day(q.from.as_deref()), day(q.to.as_deref())) {
        (Ok(f), Ok(t)) => (f, t),
        _ => {
            error = Some(tr.t("audit.bad_date").to_string());
            (None, None)
        }
    };
    let filter = AuditFilter {
        actor: q.actor.clone().filter(|s| !s.trim().is_empty()),
        action: q.action.clone().filter(|s| !s.trim().is_empty()),
        from_ms: from.map(pulse_domain::china_time::day_start_ms),
        // The "to" day is included.
        to_ms: to
            .and_then(|d| d.succ_opt())
            .map(pulse_domain::china_time::day_start_ms),
    };
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let (rows, total) =
        audit::search(&state.db, &filter, PER_PAGE, (page_no - 1) * PER_PAGE).await?;
    let entries = rows
        .into_iter()
        .map(|e| AuditView {
            at: fmt_ms(e.at),
            diff: diff(tr, e.before_json.as_deref(), e.after_json.as_deref()),
            actor: pulse_domain::i18n::actor_label(&e.actor_label, tr.0).to_string(),
            action: action_label(tr, &e.action),
            entity: entity_label(tr, &e.entity, &e.entity_id),
        })
        .collect();
    let actions = audit::actions(&state.db)
        .await?
        .into_iter()
        .map(|a| {
            let label = action_label(tr, &a);
            (a, label)
        })
        .collect();
    let enc = crate::access::urlencode;
    let text = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
    let (actor, action, from_s, to_s) =
        (text(&q.actor), text(&q.action), text(&q.from), text(&q.to));
    let query = format!(
        "actor={}&action={}&from={}&to={}",
        enc(&actor),
        enc(&action),
        enc(&from_s),
        enc(&to_s)
    );
    Ok(AuditPage {
        entries,
        total,
        actions,
        actor,
        action,
        from: from_s,
        to: to_s,
        page: page_no,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        query,
        error,
        tr: ctx.tr,
        nav: ctx.nav,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_domain::Lang;

    #[test]
    fn diff_lists_changed_fields_only_in_words() {
        let tr = Tr(Lang::Zh);
        let d = diff(
            tr,
            Some(r#"{"id":3,"name":"张三","level":"P4"}"#),
            Some(r#"{"id":3,"name":"张三","level":"P5"}"#),
        );
        assert_eq!(
            d,
            vec![("职级".to_string(), "P4".to_string(), "P5".to_string())]
        );
        let created = diff(tr, None, Some(r#"{"name":"李四","status":"active"}"#));
        assert_eq!(
            created,
            vec![
                ("姓名".to_string(), String::new(), "李四".to_string()),
                ("状态".to_string(), String::new(), "在职".to_string()),
            ]
        );
        let t = diff(
            tr,
            None,
            Some(r#"{"decided_at":1764547200000,"weight_bp":2500}"#),
        );
        assert!(
            t.iter().all(|(_, _, v)| !v.contains("1764547200000")),
            "{t:?}"
        );
        assert!(t.iter().any(|(_, _, v)| v == "25.0%"), "{t:?}");
        let en = diff(Tr(Lang::En), None, Some(r#"{"status":"left"}"#));
        assert_eq!(
            en,
            vec![("Status".to_string(), String::new(), "Left".to_string())]
        );
    }

    #[test]
    fn every_action_the_code_writes_has_words() {
        for code in [
            "create",
            "update",
            "set_roles",
            "set_password",
            "revoke",
            "disable",
            "enable",
            "adjustment.request",
            "adjustment.approved",
            "adjustment.rejected",
            "goal.check_in",
            "goal.edit",
            "goal.archive",
            "period.close",
            "redemption.fulfil",
            "weight_rule.save",
            "review_cycle.launch",
            "review_cycle.load_history",
            "review_cycle.release",
            "review_cycle.complete",
            "review.submit",
            "review.self_assessment",
            "review.reassign",
            "review.acknowledge",
        ] {
            for lang in [Lang::Zh, Lang::En] {
                assert_ne!(action_label(Tr(lang), code), code, "{code}");
            }
        }
    }
}
