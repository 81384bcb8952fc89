//! The two UI languages. zh-CN is the default everywhere (O5).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a cookie value or a language tag; anything unknown falls back to zh-CN.
    pub fn parse(s: &str) -> Lang {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") || s.starts_with("en_") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::Zh;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Zh
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Pulse's own actors (jobs, the CLI, the demo) are recorded by a Chinese
/// label; an English reader sees them in English. People stay as named.
const SYSTEM_ACTORS: &[(&str, &str)] = &[
    ("规则引擎", "rule engine"),
    ("规则引擎（定时）", "rule engine (scheduled)"),
    ("岗位模板", "job template"),
    ("演示数据 demo", "demo data"),
    ("命令行 CLI", "command line"),
    ("客户数据更新", "customer data update"),
];

pub fn actor_label(stored: &str, lang: Lang) -> &str {
    match (lang, SYSTEM_ACTORS.iter().find(|(zh, _)| *zh == stored)) {
        (Lang::En, Some((_, en))) => en,
        _ => stored,
    }
}

/// A text written in both languages when it is made (a to-do's subject),
/// so each reader sees their own; an empty English side falls back to zh.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Both {
    pub zh: String,
    pub en: String,
}

impl Both {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Both {
        Both {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.en.is_empty() => &self.en,
            _ => &self.zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_first_supported() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh;q=0.8"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr, zh-CN;q=0.5"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::parse("EN"), Lang::En);
        assert_eq!(Lang::parse("de"), Lang::Zh);
    }
}
