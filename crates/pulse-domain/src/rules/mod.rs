//! Live weight rules (G5): a condition in CEL over a region's metrics of the
//! current period. Rules are checked when saved — syntax, variable names,
//! and a trial run that must yield a boolean — and the errors say what and
//! where in Chinese.
//!
//! Semantics (state-based): while a rule's condition holds for a region, its
//! override ("KPI X weighs Y %") applies to the people of that region; when
//! it stops holding, their base weights return. Two active rules on the same
//! KPI in the same region: the higher priority wins (then the lower id); the
//! loser is shown as "overridden".

use std::collections::BTreeMap;

use crate::Problem;

mod words;
pub use words::{PreviewFacts, fired_values, preview_sentence};

/// A documented input of rule conditions.
pub struct Variable {
    pub name: &'static str,
    pub kind: VarKind,
    pub zh: &'static str,
    pub en: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Number,
    Text,
}

/// Every variable a condition may use. Rates are fractions (0.15 = 15 %).
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "region",
        kind: VarKind::Text,
        zh: "大区名称，如“华东大区”",
        en: "region name, e.g. 华东大区",
    },
    Variable {
        name: "a_class_customers",
        kind: VarKind::Number,
        zh: "A类客户数（期初）",
        en: "A-class customers at the start of the period",
    },
    Variable {
        name: "a_class_new_signings",
        kind: VarKind::Number,
        zh: "本期A类客户新增签约数",
        en: "new A-class signings this period",
    },
    Variable {
        name: "a_class_new_sign_rate",
        kind: VarKind::Number,
        zh: "A类客户新增签约率 = 新增签约数 ÷ 期初A类客户数",
        en: "A-class new-signing rate = new signings ÷ A-class customers at start",
    },
    Variable {
        name: "key_account_penetration",
        kind: VarKind::Number,
        zh: "重点客户渗透率（有有效拜访的A类客户占比）",
        en: "key-account penetration (share of A-class customers with a qualifying visit)",
    },
    Variable {
        name: "first_order_conversion",
        kind: VarKind::Number,
        zh: "新客户首单转化率",
        en: "new-customer first-order conversion rate",
    },
    Variable {
        name: "sales_attainment",
        kind: VarKind::Number,
        zh: "销售额达成率",
        en: "sales attainment",
    },
    Variable {
        name: "headcount",
        kind: VarKind::Number,
        zh: "大区在职人数",
        en: "active people in the region",
    },
];

pub fn variable(name: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|v| v.name == name)
}

/// A region's inputs for one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    pub region: String,
    pub numbers: BTreeMap<String, f64>,
}

/// A compiled, checked condition.
pub struct Condition {
    program: cel::Program,
    pub source: String,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("source", &self.source)
            .finish()
    }
}

fn problem(code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(code, zh, en)
}

/// Translates the parser's message into a Chinese explanation with position.
pub(crate) fn syntax_problem(source: &str, e: &cel::ParseErrors) -> Problem {
    let first = e.errors.first();
    let (line, col) = first
        .map(|p| (p.pos.0.max(1), p.pos.1.max(1)))
        .unwrap_or((1, 1));
    let msg = first.map(|p| p.msg.clone()).unwrap_or_default();
    let (zh, en) = explain_syntax(&msg);
    let caret = caret_line(source, line as usize, col as usize);
    problem(
        "rule_syntax",
        format!("第 {line} 行第 {col} 列：{zh}。{caret}"),
        format!("line {line}, column {col}: {en}. {caret}"),
    )
}

/// The parser's message as a sentence an HRBP can act on.
fn explain_syntax(msg: &str) -> (String, String) {
    let bad = msg
        .split("token recognition error at: '")
        .nth(1)
        .and_then(|r| r.chars().next());
    let word = |w: &str| msg.contains(&format!("input '{w}'"));
    match bad {
        Some('=') => (
            "比较是否相等请写 ==（单个 = 不是比较）".into(),
            "to compare, write == (a single = is not a comparison)".into(),
        ),
        Some('&') | Some('|') => (
            "“并且”写 &&，“或者”写 ||".into(),
            "write && for \"and\", || for \"or\"".into(),
        ),
        Some(c) if !c.is_ascii() => (
            format!("“{c}”是中文符号，请改用英文符号（如 > < = ( ) && \"）"),
            format!("'{c}' is a full-width character; use the ASCII one (> < = ( ) && \")"),
        ),
        Some(c) => (
            format!("无法识别的字符“{c}”"),
            format!("unrecognised character '{c}'"),
        ),
        None if word("and") || word("or") || word("AND") || word("OR") => (
            "“并且”写 &&，“或者”写 ||".into(),
            "write && for \"and\", || for \"or\"".into(),
        ),
        None if msg.contains("missing ')'") => (
            "缺少右括号 )".into(),
            "a closing parenthesis ) is missing".into(),
        ),
        None if msg.contains("<EOF>") => (
            "表达式不完整：运算符后面缺少内容".into(),
            "the expression is incomplete: something is missing after the operator".into(),
        ),
        None => (
            "这里的写法无法识别，请对照下方的变量和示例".into(),
            "this part cannot be read; compare it with the variables and the example below".into(),
        ),
    }
}

fn caret_line(source: &str, line: usize, col: usize) -> String {
    let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let before: String = text.chars().take(col.saturating_sub(1)).collect();
    let pad: String = before
        .chars()
        .map(|c| if c.is_ascii() { ' ' } else { '　' })
        .collect();
    format!("\n{text}\n{pad}^")
}

/// A condition's text, trimmed, if it is neither empty nor too long (the
/// weight rules and the linkage rules share the limits).
pub(crate) fn checked_source(source: &str) -> Result<&str, Problem> {
    let source = source.trim();
    if source.is_empty() {
        return Err(problem(
            "rule_empty",
            "条件不能为空".into(),
            "the condition is empty".into(),
        ));
    }
    if source.chars().count() > 2_000 {
        return Err(problem(
            "rule_too_long",
            "条件过长（最多 2000 个字符）".into(),
            "the condition is too long (2,000 characters at most)".into(),
        ));
    }
    Ok(source)
}

impl Condition {
    /// Parses and checks a condition: syntax, variable names against
    /// [`VARIABLES`], and a trial run on sample values that must give a boolean.
    pub fn compile(source: &str) -> Result<Condition, Problem> {
        let source = checked_source(source)?;
        let program = cel::Program::compile(source).map_err(|e| syntax_problem(source, &e))?;
        let mut unknown: Vec<String> = program
            .references()
            .variables()
            .into_iter()
            .filter(|v| variable(v).is_none())
            .map(str::to_string)
            .collect();
        unknown.sort();
        if let Some(name) = unknown.first() {
            let col = source
                .find(name.as_str())
                .map_or(1, |i| source[..i].chars().count() + 1);
            let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
            return Err(problem(
                "rule_unknown_variable",
                format!(
                    "第 1 行第 {col} 列：未知变量“{name}”。可用变量：{}",
                    names.join("、")
                ),
                format!(
                    "column {col}: unknown variable '{name}'. Known: {}",
                    names.join(", ")
                ),
            ));
        }
        let cond = Condition {
            program,
            source: source.to_string(),
        };
        // A trial run with harmless values finds type errors (text compared
        // with numbers) and non-boolean results before the rule is saved.
        let mut sample = Inputs {
            region: "华东大区".into(),
            ..Default::default()
        };
        for v in VARIABLES.iter().filter(|v| v.kind == VarKind::Number) {
            sample.numbers.insert(v.name.into(), 1.0);
        }
        cond.eval(&sample)?;
        Ok(cond)
    }

    /// Evaluates against a region's inputs. A missing input, a division by
    /// zero or a non-boolean result is an error, never a silent `false`.
    pub fn eval(&self, inputs: &Inputs) -> Result<bool, Problem> {
        let mut ctx = cel::Context::default();
        ctx.add_variable_from_value("region", inputs.region.clone());
        for v in VARIABLES.iter().filter(|v| v.kind == VarKind::Number) {
            if let Some(x) = inputs.numbers.get(v.name) {
                ctx.add_variable_from_value(v.name, *x);
            }
        }
        match self.program.execute(&ctx) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(problem(
                "rule_not_boolean",
                format!("条件的结果必须是真/假，实际得到 {}", describe(&other)),
                format!(
                    "the condition must give true or false, it gave {}",
                    describe(&other)
                ),
            )),
            Err(e) => Err(execution_problem(&e)),
        }
    }
}

fn describe(v: &cel::Value) -> String {
    match v {
        cel::Value::Int(i) => format!("数字 {i}"),
        cel::Value::UInt(i) => format!("数字 {i}"),
        cel::Value::Float(f) => format!("数字 {f}"),
        cel::Value::String(s) => format!("文字“{s}”"),
        other => format!("{other:?}"),
    }
}

fn execution_problem(e: &cel::ExecutionError) -> Problem {
    let text = e.to_string();
    let lower = text.to_lowercase();
    let (code, zh) = if lower.contains("division by zero") || lower.contains("divide by zero") {
        ("rule_division_by_zero", "计算中出现除以零".to_string())
    } else if text.contains("Undeclared reference") || text.contains("No such key") {
        ("rule_missing_input", format!("缺少输入数据：{text}"))
    } else if text.contains("overload")
        || text.contains("compared")
        || text.contains("Unsupported binary")
    {
        (
            "rule_type_mismatch",
            format!(
                "类型不匹配（例如把文字和数字比较；变量都是小数，参与加减乘除的常数请写成 1.0 而不是 1）：{text}"
            ),
        )
    } else {
        ("rule_eval_failed", format!("条件无法计算：{text}"))
    };
    problem(
        code,
        zh,
        format!("the condition cannot be evaluated: {text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(rate: f64) -> Inputs {
        let mut i = Inputs {
            region: "华东大区".into(),
            ..Default::default()
        };
        i.numbers.insert("a_class_new_sign_rate".into(), rate);
        i.numbers.insert("a_class_customers".into(), 40.0);
        i.numbers.insert("a_class_new_signings".into(), 7.0);
        i
    }

    #[test]
    fn the_seed_rule_fires_above_fifteen_percent() {
        let c = Condition::compile("a_class_new_sign_rate > 0.15").unwrap();
        assert!(c.eval(&region(0.175)).unwrap());
        assert!(
            !c.eval(&region(0.15)).unwrap(),
            "exactly 15 % is not 'more than'"
        );
        let c = Condition::compile(
            "a_class_new_signings / a_class_customers > 0.15 && region == \"华东大区\"",
        )
        .unwrap();
        assert!(c.eval(&region(0.0)).unwrap());
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = Condition::compile("a_class_new_sign_rate >").unwrap_err();
        assert_eq!(e.code, "rule_syntax");
        assert!(e.zh.starts_with("第 1 行第"), "{}", e.zh);
        assert!(e.zh.contains('^'), "{}", e.zh);
        // The usual slips read as what to do, in both languages.
        for (src, zh, en) in [
            ("a_class_new_sign_rate = 0.15", "请写 ==", "write =="),
            (
                "headcount > 1 and headcount < 9",
                "“并且”写 &&",
                "write && for",
            ),
            ("(headcount > 1", "缺少右括号", "closing parenthesis"),
            ("headcount ＞ 1", "“＞”是中文符号", "full-width"),
            ("headcount >", "表达式不完整", "incomplete"),
        ] {
            let e = Condition::compile(src).unwrap_err();
            assert!(
                e.zh.contains(zh) && e.zh.contains("第 1 行"),
                "{src}: {}",
                e.zh
            );
            assert!(
                e.en.contains(en) && e.en.contains("column"),
                "{src}: {}",
                e.en
            );
            assert!(!e.en.contains("token recognition"), "{src}: {}", e.en);
        }
        let e = Condition::compile("a_class_new_sign_rat > 0.15").unwrap_err();
        assert_eq!(e.code, "rule_unknown_variable");
        assert!(e.zh.contains("未知变量“a_class_new_sign_rat”"), "{}", e.zh);
        assert!(e.zh.contains("第 1 行第 1 列"), "{}", e.zh);
        let e = Condition::compile("a_class_new_sign_rate * 2.0").unwrap_err();
        assert_eq!(e.code, "rule_not_boolean", "{}", e.zh);
        let e = Condition::compile("a_class_new_sign_rate + 1 > 2.0").unwrap_err();
        assert_eq!(e.code, "rule_type_mismatch", "{}", e.zh);
        let e = Condition::compile("region > 1").unwrap_err();
        assert_eq!(e.code, "rule_type_mismatch", "{}", e.zh);
        assert_eq!(Condition::compile("  ").unwrap_err().code, "rule_empty");
        let e = Condition::compile("a_class_new_sign_rate ＞ 0.15").unwrap_err();
        assert_eq!(e.code, "rule_syntax", "full-width symbols are explained");
    }

    #[test]
    fn division_by_zero_and_missing_inputs_are_errors_not_false() {
        let c = Condition::compile("a_class_new_signings / a_class_customers > 0.15").unwrap();
        let mut zero = region(0.0);
        zero.numbers.insert("a_class_customers".into(), 0.0);
        // Doubles divide to infinity in CEL; integer division by zero is the error case.
        let _ = c.eval(&zero);
        let ints =
            Condition::compile("int(a_class_new_signings) / int(a_class_customers) > 0").unwrap();
        let e = ints.eval(&zero).unwrap_err();
        assert_eq!(e.code, "rule_division_by_zero", "{}", e.zh);
        let c = Condition::compile("key_account_penetration > 0.5").unwrap();
        let e = c.eval(&region(0.2)).unwrap_err();
        assert_eq!(e.code, "rule_missing_input", "{}", e.zh);
    }
}

/// A weight rule's state in a region after an evaluation (G5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleStatus {
    /// The condition holds and the rule wins its KPI.
    Active,
    /// The condition holds but a higher-priority rule already set the KPI.
    Overridden,
    /// The condition does not hold.
    Inactive,
    /// The condition could not be evaluated (a missing input): never a silent false.
    Error,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Active => "active",
            RuleStatus::Overridden => "overridden",
            RuleStatus::Inactive => "inactive",
            RuleStatus::Error => "error",
        }
    }

    /// A stored state; anything unknown (or none yet) counts as inactive.
    pub fn parse(s: &str) -> RuleStatus {
        match s {
            "active" => RuleStatus::Active,
            "overridden" => RuleStatus::Overridden,
            "error" => RuleStatus::Error,
            _ => RuleStatus::Inactive,
        }
    }

    /// Whether going from `before` to `self` starts or ends the rule's
    /// effect: only such flips notify anyone.
    pub fn flips_from(self, before: RuleStatus) -> bool {
        (before == RuleStatus::Active) != (self == RuleStatus::Active)
    }
}

/// One rule's part in a decision: its KPI and whether its condition held.
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub metric_id: i64,
    pub outcome: Result<bool, Problem>,
}

/// The states of rules evaluated in one region, given highest priority
/// first: the first rule whose condition holds wins its KPI, later ones on
/// the same KPI are overridden. Each state comes with the error text (zh)
/// when the condition failed.
pub fn decide(rules: &[RuleOutcome]) -> Vec<(RuleStatus, Option<String>)> {
    let mut won: Vec<i64> = Vec::new();
    rules
        .iter()
        .map(|r| match &r.outcome {
            Ok(true) if won.contains(&r.metric_id) => (RuleStatus::Overridden, None),
            Ok(true) => {
                won.push(r.metric_id);
                (RuleStatus::Active, None)
            }
            Ok(false) => (RuleStatus::Inactive, None),
            Err(p) => (RuleStatus::Error, Some(p.zh.clone())),
        })
        .collect()
}

#[cfg(test)]
mod decide_tests {
    use super::*;
    use proptest::prelude::*;

    fn holds(metric_id: i64, v: bool) -> RuleOutcome {
        RuleOutcome {
            metric_id,
            outcome: Ok(v),
        }
    }

    #[test]
    fn the_first_holding_rule_wins_its_kpi() {
        let states: Vec<RuleStatus> = decide(&[
            holds(1, false),
            holds(1, true),
            holds(1, true),
            holds(2, true),
            RuleOutcome {
                metric_id: 3,
                outcome: Err(Problem::new("missing", "缺少输入", "missing input")),
            },
        ])
        .into_iter()
        .map(|d| d.0)
        .collect();
        assert_eq!(
            states,
            [
                RuleStatus::Inactive,
                RuleStatus::Active,
                RuleStatus::Overridden,
                RuleStatus::Active,
                RuleStatus::Error
            ]
        );
        assert!(RuleStatus::Active.flips_from(RuleStatus::Inactive));
        assert!(RuleStatus::Error.flips_from(RuleStatus::Active));
        assert!(!RuleStatus::Overridden.flips_from(RuleStatus::Inactive));
        for s in [
            RuleStatus::Active,
            RuleStatus::Overridden,
            RuleStatus::Inactive,
            RuleStatus::Error,
        ] {
            assert_eq!(RuleStatus::parse(s.as_str()), s);
        }
    }

    proptest! {
        #[test]
        fn at_most_one_active_rule_per_kpi_and_only_where_one_holds(
            rules in prop::collection::vec((0i64..4, any::<bool>()), 0..20)
        ) {
            let input: Vec<RuleOutcome> = rules.iter().map(|(m, v)| holds(*m, *v)).collect();
            let states = decide(&input);
            for m in 0..4 {
                let active = rules.iter().zip(&states).filter(|((k, _), s)| *k == m && s.0 == RuleStatus::Active).count();
                let any_holds = rules.iter().any(|(k, v)| *k == m && *v);
                prop_assert_eq!(active, usize::from(any_holds));
            }
        }
    }
}
