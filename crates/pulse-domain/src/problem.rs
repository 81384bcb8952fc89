//! A rule violation explained to a person, in both UI languages.
//!
//! Every domain check returns a `Problem`; the web layer turns it into the
//! JSON error envelope or a message on the page, the importer into a row error.

use crate::Lang;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `invalid_employee_no`.
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Problem {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

impl std::error::Error for Problem {}
