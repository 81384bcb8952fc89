//! Org units, people and the manager chain (O2 org part, S5).
//!
//! Value types validate on construction, so a `EmployeeNo` in hand is always
//! well-formed, wherever it came from (form, API, spreadsheet).

use crate::Problem;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_EMPLOYEE_NO_CHARS: usize = 32;
pub const MAX_SHORT_TEXT_CHARS: usize = 32;

/// 工号: letters, digits, `-` and `_`, at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmployeeNo(String);

impl EmployeeNo {
    pub fn parse(raw: &str) -> Result<EmployeeNo, Problem> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Problem::new(
                "employee_no_required",
                "工号不能为空",
                "employee number is required",
            ));
        }
        if s.chars().count() > MAX_EMPLOYEE_NO_CHARS {
            return Err(Problem::new(
                "employee_no_too_long",
                format!("工号不能超过 {MAX_EMPLOYEE_NO_CHARS} 个字符"),
                format!("employee number exceeds {MAX_EMPLOYEE_NO_CHARS} characters"),
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Problem::new(
                "invalid_employee_no",
                format!("工号“{s}”只能包含字母、数字、“-”和“_”"),
                format!("employee number '{s}' may only contain letters, digits, '-' and '_'"),
            ));
        }
        Ok(EmployeeNo(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmployeeNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required free-text field (names, job family, level): trimmed, non-empty,
/// bounded, no control characters. Stored verbatim; escaping is the renderer's job.
pub fn required_text(
    raw: &str,
    max_chars: usize,
    field_zh: &str,
    field_en: &str,
) -> Result<String, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Problem::new(
            "required",
            format!("{field_zh}不能为空"),
            format!("{field_en} is required"),
        ));
    }
    if s.chars().count() > max_chars {
        return Err(Problem::new(
            "too_long",
            format!("{field_zh}不能超过 {max_chars} 个字符"),
            format!("{field_en} exceeds {max_chars} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Problem::new(
            "control_characters",
            format!("{field_zh}包含不可见的控制字符"),
            format!("{field_en} contains control characters"),
        ));
    }
    Ok(s.to_string())
}

/// Like [`required_text`] for text typed into a text area: line breaks and
/// tabs are kept, other control characters refused.
pub fn required_lines(
    raw: &str,
    max_chars: usize,
    field_zh: &str,
    field_en: &str,
) -> Result<String, Problem> {
    let flat: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    required_text(&flat, max_chars, field_zh, field_en)?;
    Ok(raw.trim().to_string())
}

pub fn person_name(raw: &str) -> Result<String, Problem> {
    required_text(raw, MAX_NAME_CHARS, "姓名", "name")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Group,
    Region,
    Department,
    Team,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Group => "group",
            UnitKind::Region => "region",
            UnitKind::Department => "department",
            UnitKind::Team => "team",
        }
    }

    /// Accepts the English code or the Chinese word HR writes in sheets.
    pub fn parse(raw: &str) -> Result<UnitKind, Problem> {
        match raw.trim() {
            "group" | "集团" | "公司" => Ok(UnitKind::Group),
            "region" | "大区" | "区域" => Ok(UnitKind::Region),
            "department" | "部门" | "中心" | "" => Ok(UnitKind::Department),
            "team" | "团队" | "小组" | "组" => Ok(UnitKind::Team),
            other => Err(Problem::new(
                "invalid_unit_kind",
                format!("未知的组织类型“{other}”（可用：集团、大区、部门、团队）"),
                format!("unknown unit type '{other}' (group, region, department, team)"),
            )),
        }
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            UnitKind::Group => lang.pick("集团", "Group"),
            UnitKind::Region => lang.pick("大区", "Region"),
            UnitKind::Department => lang.pick("部门", "Department"),
            UnitKind::Team => lang.pick("团队", "Team"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonStatus {
    Active,
    Left,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Left => "left",
        }
    }

    pub fn parse(raw: &str) -> Result<PersonStatus, Problem> {
        match raw.trim() {
            "" | "active" | "在职" | "正式" | "试用" => Ok(PersonStatus::Active),
            "left" | "离职" | "已离职" => Ok(PersonStatus::Left),
            other => Err(Problem::new(
                "invalid_status",
                format!("未知的在职状态“{other}”（可用：在职、离职）"),
                format!("unknown status '{other}' (active, left)"),
            )),
        }
    }
}

/// Finds a cycle in a "points to its parent" map (manager chain, org tree).
///
/// Returns the members of one cycle in chain order, starting from its smallest
/// member so the message is deterministic, or `None` when every chain ends.
pub fn find_cycle<K>(parent_of: &HashMap<K, K>) -> Option<Vec<K>>
where
    K: Clone + Eq + Hash + Ord,
{
    let mut finished: HashSet<&K> = HashSet::new();
    let mut keys: Vec<&K> = parent_of.keys().collect();
    keys.sort();
    for start in keys {
        if finished.contains(start) {
            continue;
        }
        let mut path: Vec<&K> = Vec::new();
        let mut on_path: HashSet<&K> = HashSet::new();
        let mut cur = start;
        loop {
            if finished.contains(cur) {
                break;
            }
            if on_path.contains(cur) {
                let pos = path.iter().position(|k| *k == cur).unwrap_or(0);
                let mut cycle: Vec<K> = path[pos..].iter().map(|k| (*k).clone()).collect();
                let min_at = cycle
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.cmp(b.1))
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                cycle.rotate_left(min_at);
                return Some(cycle);
            }
            on_path.insert(cur);
            path.push(cur);
            match parent_of.get(cur) {
                Some(next) => cur = next,
                None => break,
            }
        }
        finished.extend(path);
    }
    None
}

/// The problem reported for a manager cycle, naming the people in it.
pub fn manager_cycle_problem(cycle: &[String]) -> Problem {
    let mut chain = cycle.to_vec();
    if let Some(first) = cycle.first() {
        chain.push(first.clone());
    }
    Problem::new(
        "manager_cycle",
        format!("汇报关系出现循环：{}", chain.join(" → ")),
        format!("manager chain has a cycle: {}", chain.join(" → ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_areas_keep_line_breaks_and_refuse_other_control_characters() {
        assert_eq!(
            required_lines(" 第一行\r\n第二行\t末尾 \n", 20, "备注", "note").unwrap(),
            "第一行\r\n第二行\t末尾"
        );
        assert_eq!(
            required_lines("a\u{0017}b", 20, "备注", "note")
                .unwrap_err()
                .code,
            "control_characters"
        );
        assert_eq!(
            required_lines(" \n\t ", 20, "备注", "note")
                .unwrap_err()
                .code,
            "required"
        );
        assert_eq!(
            required_lines(&"长".repeat(21), 20, "备注", "note")
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn employee_no_rules() {
        assert_eq!(EmployeeNo::parse(" E001 ").unwrap().as_str(), "E001");
        assert_eq!(
            EmployeeNo::parse("").unwrap_err().code,
            "employee_no_required"
        );
        assert_eq!(
            EmployeeNo::parse("E 01").unwrap_err().code,
            "invalid_employee_no"
        );
        assert_eq!(
            EmployeeNo::parse("<script>").unwrap_err().code,
            "invalid_employee_no"
        );
    }

    #[test]
    fn names_keep_markup_verbatim_but_reject_control_chars() {
        assert_eq!(person_name("<b>张三</b>").unwrap(), "<b>张三</b>");
        assert_eq!(
            person_name("a\u{0}b").unwrap_err().code,
            "control_characters"
        );
        assert_eq!(person_name("   ").unwrap_err().code, "required");
    }

    #[test]
    fn unit_kind_accepts_chinese() {
        assert_eq!(UnitKind::parse("大区").unwrap(), UnitKind::Region);
        assert!(UnitKind::parse("星系").is_err());
    }

    #[test]
    fn cycle_found_and_rotated() {
        let m: HashMap<String, String> = [("c", "a"), ("a", "b"), ("b", "c"), ("d", "a")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            find_cycle(&m),
            Some(vec!["a".to_string(), "b".into(), "c".into()])
        );
        let p = manager_cycle_problem(&find_cycle(&m).unwrap());
        assert!(p.zh.contains("a → b → c → a"), "{}", p.zh);
    }

    #[test]
    fn self_manager_is_a_cycle() {
        let m: HashMap<i32, i32> = [(1, 1)].into_iter().collect();
        assert_eq!(find_cycle(&m), Some(vec![1]));
    }

    proptest! {
        /// A map where every key points to a strictly smaller key is a forest:
        /// no cycle may be reported. Adding one back edge up a chain must be found.
        #[test]
        fn forests_have_no_cycle(parents in proptest::collection::vec(0usize..1000, 1..200)) {
            let m: HashMap<usize, usize> = parents
                .iter()
                .enumerate()
                .filter(|(i, _)| *i > 0)
                .map(|(i, p)| (i, p % i))
                .collect();
            prop_assert_eq!(find_cycle(&m), None);
        }

        #[test]
        fn back_edge_creates_reported_cycle(n in 2usize..100) {
            // chain n-1 -> n-2 -> ... -> 0, then 0 -> n-1
            let mut m: HashMap<usize, usize> = (1..n).map(|i| (i, i - 1)).collect();
            m.insert(0, n - 1);
            let cycle = find_cycle(&m).expect("cycle");
            prop_assert_eq!(cycle.len(), n);
            prop_assert_eq!(cycle[0], 0);
        }
    }
}
