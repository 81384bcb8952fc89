//! One language at a time (issue 13 §8, O5): every page each demo persona
//! can reach, rendered in Chinese and in English, shows no text from the
//! other language and no epoch milliseconds.
//!
//! Data stays as typed (a person's name is Chinese in the English UI too), so
//! the English check accepts a Chinese run only when it is data: a value the
//! database holds. The Chinese check refuses code-like words (`pending`,
//! `weekly_digests`, `adjustment.approved`) that are not data either.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::http::StatusCode;

use crate::links::hrefs;
use crate::support::{Client, TestApp, build_demo, demo_login};

/// Text a person sees: element text plus the attributes a browser shows
/// (placeholder, title, aria-label, alt) and the messages scripts show
/// (`data-why-*`, `data-confirm`). Scripts and styles are not text.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        for attr in [
            "placeholder",
            "title",
            "aria-label",
            "alt",
            "data-confirm",
            "data-why-pick",
            "data-why-too-many",
            "data-why-unrated",
            "data-why-observation",
        ] {
            if let Some(v) = attr_value(tag, attr) {
                out.push_str(&v);
                out.push(' ');
            }
        }
        rest = &rest[gt + 1..];
        // Code is shown as code (a CEL condition, a URL, an API scope).
        if matches!(name.as_str(), "script" | "style" | "code" | "pre") {
            let close = format!("</{name}");
            rest = rest.find(&close).map_or("", |i| &rest[i..]);
        }
    }
    out.push_str(rest);
    decode(&out)
}

fn attr_value(tag: &str, attr: &str) -> Option<String> {
    let needle = format!(" {attr}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF | 0x2018..=0x201D)
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x2018..=0x201D)
}

/// Maximal runs of Chinese characters and full-width punctuation.
fn cjk_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if is_cjk(c) {
            cur.push(c);
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// Words of ASCII letters, digits, `_` and `.` (a code looks like one).
fn ascii_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Digits long enough to be epoch milliseconds (13) or seconds (10, 17…).
fn epoch_like(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|d| d.len() == 13 && (d.starts_with("17") || d.starts_with("18")))
        .map(str::to_string)
        .collect()
}

/// What the database holds as typed: names, titles, observations, terms…
struct Data {
    runs: HashSet<String>,
    joined: String,
    words: HashSet<String>,
}

async fn data(app: &TestApp) -> Data {
    let queries = [
        "SELECT name FROM people",
        "SELECT level FROM people",
        "SELECT COALESCE(email, '') FROM people",
        "SELECT employee_no FROM people",
        "SELECT name FROM org_units",
        "SELECT code FROM org_units",
        "SELECT name FROM customers",
        "SELECT external_id FROM customers",
        "SELECT title FROM goals",
        "SELECT name FROM feedback_tags",
        "SELECT description FROM feedback_tags",
        "SELECT observation FROM feedback_cards",
        "SELECT COALESCE(ack, '') FROM feedback_cards",
        "SELECT body FROM feedback_messages",
        "SELECT body FROM data_annotations",
        "SELECT reason FROM goal_adjustments",
        "SELECT comment FROM goal_adjustments",
        "SELECT name FROM metrics",
        "SELECT code FROM metrics",
        "SELECT unit FROM metrics",
        "SELECT description FROM metrics",
        "SELECT formula FROM metrics",
        "SELECT name FROM rewards",
        "SELECT description FROM rewards",
        "SELECT voucher_code FROM redemptions",
        "SELECT name FROM competency_dimensions",
        "SELECT metric FROM competency_dimensions",
        "SELECT name FROM weight_rules",
        "SELECT condition FROM weight_rules",
        "SELECT description FROM weight_rules",
        "SELECT name FROM review_cycles",
        "SELECT competency FROM competency_keywords",
        "SELECT keyword FROM competency_keywords",
        "SELECT name FROM calibration_sessions",
        "SELECT rationale FROM calibration_cases",
        "SELECT body FROM reviews",
        "SELECT draft_text FROM reviews",
        "SELECT self_text FROM reviews",
        "SELECT ack_comment FROM reviews",
        "SELECT note FROM weight_changes",
        "SELECT term FROM text_terms",
        "SELECT payload_json FROM events",
        "SELECT body_json FROM digests",
        "SELECT name FROM notify_channels",
        "SELECT config_json FROM notify_channels",
        "SELECT scopes FROM api_tokens",
        "SELECT name FROM region_metrics",
        "SELECT subject FROM outbox",
        "SELECT body FROM outbox",
        "SELECT login FROM accounts",
        "SELECT name FROM api_tokens",
        "SELECT file_name FROM import_batches",
        "SELECT name FROM crm_sources",
        "SELECT url FROM crm_sources",
        "SELECT name FROM linkage_items",
        "SELECT description FROM linkage_items",
        "SELECT dimension FROM linkage_items",
        "SELECT name FROM linkage_rules",
        "SELECT condition FROM linkage_rules",
        "SELECT rule_name FROM linkage_outcomes",
        "SELECT COALESCE(reversed_reason, '') FROM linkage_outcomes",
        "SELECT action_json FROM linkage_outcomes",
        "SELECT name FROM role_profiles",
        "SELECT description FROM role_profiles",
        "SELECT dimension FROM role_requirements",
        "SELECT target FROM development_activity",
        "SELECT actor_label FROM audit_log",
        "SELECT COALESCE(after_json, '') FROM audit_log",
        "SELECT COALESCE(before_json, '') FROM audit_log",
    ];
    let mut values = Vec::new();
    for q in queries {
        let rows: Vec<String> = match app.db.pool() {
            pulse_store::Pool::Sqlite(p) => sqlx::query_scalar(q).fetch_all(p).await,
            pulse_store::Pool::Postgres(p) => sqlx::query_scalar(q).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("{q}: {e}"));
        values.extend(rows);
    }
    // JSON keeps non-ASCII as typed, but an escaped one must read as text.
    let mut values: Vec<String> = values
        .into_iter()
        .map(|v| match serde_json::from_str::<serde_json::Value>(&v) {
            Ok(j @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                json_strings(&j).join("\n")
            }
            _ => v,
        })
        .collect();
    // The shipped domain vocabulary is Chinese words found in Chinese text.
    values.extend(
        pulse_text::DEFAULT_DOMAIN_TERMS
            .iter()
            .map(|t| t.to_string()),
    );
    let mut runs = HashSet::new();
    let mut words = HashSet::new();
    for v in &values {
        runs.extend(cjk_runs(v));
        words.extend(ascii_words(v).into_iter().map(|w| w.to_lowercase()));
    }
    let joined = runs.iter().cloned().collect::<Vec<_>>().join("\u{1}");
    Data {
        runs,
        joined,
        words,
    }
}

fn json_strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().flat_map(json_strings).collect(),
        serde_json::Value::Object(o) => o
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.clone()).chain(json_strings(v)))
            .collect(),
        _ => Vec::new(),
    }
}

impl Data {
    /// A Chinese run is data when it is one of the values, part of one
    /// (a shortened title), or values side by side (unit › team).
    fn holds(&self, run: &str) -> bool {
        if self.runs.contains(run) || (run.chars().count() >= 3 && self.joined.contains(run)) {
            return true;
        }
        let chars: Vec<char> = run.chars().collect();
        let mut reach = vec![false; chars.len() + 1];
        reach[0] = true;
        for end in 1..=chars.len() {
            reach[end] = (0..end).any(|start| {
                reach[start]
                    && self
                        .runs
                        .contains(&chars[start..end].iter().collect::<String>())
            });
        }
        reach[chars.len()]
    }
}

/// Words the Chinese UI may show: product and format names, units.
const ASCII_OK: &[&str] = &[
    "api", "kpi", "okr", "top", "foc", "cel", "crm", "xlsx", "csv", "excel", "openapi", "json",
    "http", "https", "www", "mb", "kb", "id", "hrbp", "hr", "pulse", "sso", "vs", "pdf", "jpg",
    "png", "webhook", "wecom", "ok", "q1", "q2", "q3", "q4", "h1", "h2", "url", "token", "utc",
    "gmt", "min", "ms", "am", "pm", "ai", "xls", "ods", "smtp", "starttls", "tls", "ssl",
];

/// A word in the Chinese UI that reads as a code: lower case, or with `_`
/// or `.` inside, and neither data nor a product name.
fn code_like(word: &str, data: &Data) -> bool {
    if word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return false;
    }
    let lower = word.to_lowercase();
    // A host name (smtp.example.cn) is an address, not a code.
    let host = [".cn", ".com", ".net", ".org", ".io"]
        .iter()
        .any(|tld| lower.ends_with(tld));
    if host {
        return false;
    }
    let looks_like_code = word.contains('_')
        || (word.contains('.') && word.chars().any(|c| c.is_ascii_lowercase()))
        || (word.len() >= 3 && word.chars().all(|c| c.is_ascii_lowercase()));
    looks_like_code && !ASCII_OK.contains(&lower.as_str()) && !data.words.contains(&lower)
}

fn skip_link(href: &str) -> bool {
    !href.starts_with('/')
        || href.starts_with("/lang/")
        || href.starts_with("/logout")
        || href.starts_with("/export")
        || href.starts_with("/api/")
        || href.starts_with("/static/")
        || href.starts_with("/files/")
        || href.contains(".xlsx")
        || href.contains("/photos/")
}

/// The path with its numbers and query values folded (but for the few that
/// choose a kind of page), so one page of a kind is read once.
fn shape(href: &str) -> String {
    let path = href.split('#').next().unwrap_or(href);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut keys: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k @ ("kind" | "state"), v)) => format!("{k}={v}"),
            Some((k, _)) => k.to_string(),
            None => kv.to_string(),
        })
        .collect();
    keys.sort();
    format!("{path}?{}", keys.join("&"))
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect::<String>()
        .split("99")
        .collect::<Vec<_>>()
        .join("9")
}

/// Pages of a persona: the menu's and, one step on, the ones they link to.
async fn pages_of(c: &Client) -> BTreeMap<String, String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = vec!["/home".into(), "/me".into()];
    let mut out = BTreeMap::new();
    let mut depth = 0;
    while !queue.is_empty() && depth < 3 {
        let mut next = Vec::new();
        for href in queue {
            let path = href.split('#').next().unwrap_or(&href).to_string();
            if skip_link(&path) || !seen.insert(shape(&path)) || out.len() >= 90 {
                continue;
            }
            let res = c.get(&path).await;
            let html = res
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html"));
            if res.status != StatusCode::OK || !html {
                continue;
            }
            let text = res.text();
            next.extend(hrefs(&text));
            out.insert(path, text);
        }
        queue = next;
        depth += 1;
    }
    out
}

#[tokio::test]
async fn every_page_speaks_one_language() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let data = data(&app).await;
    let mut problems: BTreeSet<String> = BTreeSet::new();
    let mut pages_read = 0;
    for (persona, _) in pulse_demo::DEMO_ACCOUNTS {
        let zh = demo_login(&app, persona).await;
        let mut en = zh.clone();
        en.cookie = Some(format!(
            "{}; pulse_lang=en",
            zh.cookie.as_deref().unwrap_or("")
        ));
        for (lang, client) in [("zh", &zh), ("en", &en)] {
            for (path, html) in pages_of(client).await {
                pages_read += 1;
                let text = visible_text(&html);
                for n in epoch_like(&text) {
                    problems.insert(format!("{persona} {lang} {path}: epoch number {n}"));
                }
                if lang == "en" {
                    for run in cjk_runs(&text) {
                        if run == "中文" {
                            continue;
                        }
                        if data.holds(&run) {
                            continue;
                        }
                        let words = run.split(is_cjk_punctuation).filter(|w| !w.is_empty());
                        if let Some(w) = words.clone().find(|w| !data.holds(w)) {
                            problems.insert(format!("{persona} en {path}: Chinese “{w}”"));
                        } else if run.contains(is_cjk_punctuation) {
                            problems.insert(format!("{persona} en {path}: punctuation “{run}”"));
                        }
                    }
                } else {
                    for w in ascii_words(&text) {
                        if code_like(&w, &data) {
                            problems.insert(format!("{persona} zh {path}: code “{w}”"));
                        }
                    }
                }
            }
        }
    }
    assert!(pages_read > 100, "read {pages_read} pages");
    // Reported by kind of page, so one missing label is one line per page.
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checks_see_what_they_should() {
    let html = r#"<p title="提示">Hi <b>there</b></p><script>var x = "中文";</script><input placeholder="搜索">"#;
    let t = visible_text(html);
    assert!(
        t.contains("提示") && t.contains("搜索") && t.contains("there"),
        "{t}"
    );
    assert!(!t.contains("var x"), "{t}");
    assert_eq!(cjk_runs("Goal 目标（华东） ok"), vec!["目标（华东）"]);
    assert_eq!(
        epoch_like("at 1764643200000 or 2026"),
        vec!["1764643200000"]
    );
    let data = Data {
        runs: ["华东大区", "上海销售一组"].map(String::from).into(),
        joined: "华东大区\u{1}上海销售一组".into(),
        words: HashSet::new(),
    };
    assert!(data.holds("华东大区上海销售一组") && data.holds("上海销售"));
    assert!(!data.holds("审批") && !data.holds("华东审批"));
    assert!(code_like("pending", &data) && code_like("weekly_digests", &data));
    assert!(code_like("adjustment.approved", &data));
    assert!(!code_like("KPI", &data) && !code_like("Excel", &data) && !code_like("3.5", &data));
}
