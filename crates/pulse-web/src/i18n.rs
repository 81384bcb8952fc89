//! UI strings in zh-CN (default) and English (O5). Templates call `tr.t("key")`;
//! a test checks every key used in a template exists here.

use axum::http::{HeaderMap, header};
use pulse_domain::Lang;

pub const LANG_COOKIE: &str = "pulse_lang";

/// Pages are zh-CN unless the person chose English (the language cookie):
/// many Chinese offices run English-language browsers, and the product's
/// default must not flip with them. API clients may also ask with
/// `Accept-Language`.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie_lang(headers).unwrap_or_default()
}

pub fn api_lang(headers: &HeaderMap) -> Lang {
    cookie_lang(headers).unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    })
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    crate::access::cookie(headers, LANG_COOKIE).map(|v| Lang::parse(&v))
}

#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match all_texts().get(key) {
            Some((zh, en)) => self.0.pick(zh, en),
            None => {
                tracing::warn!(key, "missing UI text");
                "?"
            }
        }
    }

    /// The label of a stored code, `prefix.code` in the tables (a reward's
    /// kind, a metric's source); an unknown code shows as itself.
    pub fn label(&self, prefix: &str, code: &str) -> String {
        self.get(&format!("{prefix}.{code}"))
            .map_or_else(|| code.to_string(), str::to_string)
    }

    /// A text that may not exist (labels of codes): `None` instead of "?".
    pub fn get(&self, key: &str) -> Option<&'static str> {
        all_texts().get(key).map(|(zh, en)| self.0.pick(zh, en))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }

    // Punctuation around data follows the page's language: "王阳（E1001）"
    // reads "王阳 (E1001)" in English.
    pub fn open(&self) -> &'static str {
        self.0.pick("（", " (")
    }

    pub fn close(&self) -> &'static str {
        self.0.pick("）", ")")
    }

    pub fn colon(&self) -> &'static str {
        self.0.pick("：", ": ")
    }

    /// Between the items of a list: "甲、乙" / "A, B".
    pub fn list_sep(&self) -> &'static str {
        self.0.pick("、", ", ")
    }

    pub fn comma(&self) -> &'static str {
        self.0.pick("，", ", ")
    }

    pub fn lq(&self) -> &'static str {
        self.0.pick("“", "\"")
    }

    pub fn rq(&self) -> &'static str {
        self.0.pick("”", "\"")
    }
}

/// The core's texts (layout, menu, errors); each feature keeps its own in
/// `features/<x>/texts.rs`, joined here.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "绩效脉搏", "Pulse"),
    (
        "app.tagline",
        "持续绩效管理",
        "Continuous performance management",
    ),
    ("nav.me", "我的", "Me"),
    ("nav.inbox", "待办", "To-dos"),
    ("nav.org", "组织架构", "Organisation"),
    ("nav.import", "数据导入", "Import"),
    ("nav.admin", "用户与角色", "Users & roles"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.api", "API 文档", "API docs"),
    ("nav.logout", "退出登录", "Sign out"),
    ("nav.menu", "菜单", "Menu"),
    ("lang.switch", "English", "中文"),
    ("common.prev", "上一页", "Previous"),
    ("common.next", "下一页", "Next"),
    ("common.page", "页", "page"),
    ("common.save", "保存", "Save"),
    ("common.edit", "修改", "Edit"),
    ("nav.feedback", "业务与反馈", "Activity"),
    ("nav.digests", "团队周报", "Team digest"),
    ("nav.digest_setup", "周报与词库", "Digest setup"),
    ("nav.competency", "能力模型", "Competency models"),
    ("nav.team_feedback", "团队反馈", "Team feedback"),
    ("nav.rewards", "积分奖励", "Rewards"),
    ("nav.feedback_setup", "反馈配置", "Feedback setup"),
    ("common.search", "搜索", "Search"),
    ("common.back", "返回", "Back"),
    ("common.none", "无", "None"),
    ("nav.notify", "通知渠道", "Notifications"),
    ("nav.goals", "目标", "Goals"),
    ("nav.rules", "权重规则", "Weight rules"),
    ("nav.team_goals", "团队目标", "Team goals"),
    ("nav.customers", "客户", "Customers"),
    ("nav.setup", "目标配置", "Goal setup"),
    ("error.title", "出错了", "Something went wrong"),
    ("error.home", "返回首页", "Back to start"),
];

/// Every text table: the core's and each feature's.
pub fn tables() -> [&'static [(&'static str, &'static str, &'static str)]; 17] {
    use crate::features::*;
    [
        TEXTS,
        notify::texts::TEXTS,
        auth::texts::TEXTS,
        people::texts::TEXTS,
        feedback::texts::TEXTS,
        insights::texts::TEXTS,
        accounts::texts::TEXTS,
        goals::texts::TEXTS,
        customers::texts::TEXTS,
        reviews::texts::TEXTS,
        calibration::texts::TEXTS,
        linkage::texts::TEXTS,
        org_health::texts::TEXTS,
        sso::texts::TEXTS,
        privacy::texts::TEXTS,
        workbook::texts::TEXTS,
        home::texts::TEXTS,
    ]
}

type TextMap = std::collections::HashMap<&'static str, (&'static str, &'static str)>;

/// All texts by key, built once (a page asks for dozens).
fn all_texts() -> &'static TextMap {
    static MAP: std::sync::OnceLock<TextMap> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        tables()
            .iter()
            .flat_map(|t| t.iter())
            .map(|(k, zh, en)| (*k, (*zh, *en)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_key_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).expect("feature dir") {
                    files.push(inner.expect("entry").path());
                }
            } else {
                files.push(path);
            }
        }
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            // A title block is the page's <title>: plain text on one line
            // (a section pasted into it once rendered as the tab's title).
            if let Some(title) = text.split("{% block title %}").nth(1) {
                let title = title.split("{% endblock %}").next().unwrap_or("");
                if title.contains('<') || title.contains('\n') {
                    missing.push(format!("markup in the title block of {}", file.display()));
                }
            }
            for part in text.split("tr.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                if !all_texts().contains_key(key) {
                    missing.push(format!("{key} ({})", file.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing UI texts: {missing:?}");
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = tables()
            .iter()
            .flat_map(|t| t.iter())
            .map(|(k, _, _)| *k)
            .collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
