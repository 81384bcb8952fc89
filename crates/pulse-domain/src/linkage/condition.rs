//! A linkage rule's condition: CEL (as the weight rules) with helpers over
//! the person's periods. Each helper call records what it read, so a match
//! carries its reasons (L3) and a miss can say why in a preview.

use std::sync::{Arc, Mutex};

use cel::extractors::Arguments;
use cel::{ExecutionError, Value};
use serde::{Deserialize, Serialize};

use super::{Catalog, History, MetricInfo, Standing};
use crate::Problem;

/// The helpers, with a line of help each (zh, en).
pub const HELPERS: &[(&str, &str, &str)] = &[
    (
        "consecutive(指标, N, \">\", 阈值)",
        "最近 N 个周期（含本期）都满足比较，如 consecutive(\"技术方案创新\", 2, \">\", 4.5)",
        "the last N periods (this one included) all compare true, e.g. consecutive(\"技术方案创新\", 2, \">\", 4.5)",
    ),
    (
        "top_pct(指标, X)",
        "本期在同岗同级中排前 X%，如 top_pct(\"客户情绪安抚成功率\", 5)",
        "this period in the top X % of the peer group (job family and level)",
    ),
    (
        "bottom_pct(指标, X)",
        "本期在同岗同级中排后 X%",
        "this period in the bottom X % of the peer group",
    ),
    (
        "rank(指标)",
        "本期在同岗同级中的名次（1 为最好）",
        "this period's rank in the peer group (1 is best)",
    ),
    (
        "delta(指标)",
        "本期值减上期值",
        "this period's value minus the previous period's",
    ),
    ("current(指标)", "本期值", "this period's value"),
];

const NAMES: &[&str] = &[
    "consecutive",
    "top_pct",
    "bottom_pct",
    "rank",
    "delta",
    "current",
];

/// CEL's own functions that make sense in a condition.
const CEL_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "double",
    "string",
    "max",
    "min",
];

/// Text variables a condition may use beside the helpers.
const TEXT_VARIABLES: &[&str] = &["job_family", "level", "region"];

/// What a helper read: one line of the causal chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub helper: String,
    /// The canonical metric key.
    pub metric: String,
    pub metric_zh: String,
    pub metric_en: String,
    pub unit: String,
    pub period: String,
    pub value: Option<f64>,
    /// `>`, `>=`, `<`, `<=`, `==`, `!=`, or `top`/`bottom` for a share of the peer group.
    pub op: Option<String>,
    pub threshold: Option<f64>,
    pub rank: Option<u32>,
    pub peers: Option<u32>,
    /// The share of the peer group at or above the person (top), in %.
    pub share: Option<f64>,
    pub holds: Option<bool>,
    /// For `consecutive`: how many periods were asked for.
    pub run: Option<u32>,
}

/// Everything the helpers read during one evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub steps: Vec<Step>,
    /// Metrics without a value where one was needed: the rule cannot match.
    pub missing: Vec<String>,
}

#[derive(Default)]
struct Scope {
    history: Option<Arc<History>>,
    trace: Trace,
}

/// A compiled, checked condition.
pub struct LinkCondition {
    program: cel::Program,
    pub source: String,
}

impl std::fmt::Debug for LinkCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

fn problem(code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(code, zh, en)
}

/// The marker a helper's error carries so it can be told apart.
const UNKNOWN_METRIC: &str = "unknown metric: ";

impl LinkCondition {
    /// Parses and checks: syntax, helper and variable names, every named
    /// metric against the catalogue, and a trial run that must give a boolean.
    pub fn compile(source: &str, catalog: &Catalog) -> Result<LinkCondition, Problem> {
        let source = crate::rules::checked_source(source)?;
        // Metric names first: an unquoted Chinese name is a syntax error to
        // CEL, but the person meant a metric.
        let names = metric_names(source)?;
        let program =
            cel::Program::compile(source).map_err(|e| crate::rules::syntax_problem(source, &e))?;
        let refs = program.references();
        if let Some(v) = refs
            .variables()
            .into_iter()
            .find(|v| !TEXT_VARIABLES.contains(v))
        {
            return Err(problem(
                "rule_unknown_variable",
                format!(
                    "未知变量“{v}”：指标请用函数读取，如 current(\"{v}\")；可用的文字变量：{}",
                    TEXT_VARIABLES.join("、")
                ),
                format!(
                    "unknown variable '{v}': read metrics through a helper, e.g. current(\"{v}\"); text variables: {}",
                    TEXT_VARIABLES.join(", ")
                ),
            ));
        }
        if let Some(f) = refs
            .functions()
            .into_iter()
            .find(|f| !NAMES.contains(f) && !CEL_FUNCTIONS.contains(f) && !is_operator(f))
        {
            return Err(problem(
                "rule_unknown_helper",
                format!("未知函数“{f}”。可用函数：{}", NAMES.join("、")),
                format!("unknown helper '{f}'. Known: {}", NAMES.join(", ")),
            ));
        }
        for name in names {
            if catalog.find(&name).is_none() {
                return Err(unknown_metric(&name));
            }
        }
        let cond = LinkCondition {
            program,
            source: source.to_string(),
        };
        // A trial run over a person with every metric in two periods.
        let mut sample = History {
            periods: vec!["P1".into(), "P2".into()],
            job_family: "销售代表".into(),
            level: "P5".into(),
            region: "华东大区".into(),
            ..Default::default()
        };
        let s = Standing {
            value: 1.0,
            rank: 1,
            peers: 2,
            percentile: 75.0,
        };
        for m in &catalog.metrics {
            sample.values.insert(m.key.clone(), vec![Some(s), Some(s)]);
        }
        Evaluator::new(catalog).eval(&cond, Arc::new(sample))?;
        Ok(cond)
    }
}

/// The metric each helper call names: its first argument, a text literal.
fn metric_names(source: &str) -> Result<Vec<String>, Problem> {
    let mut out = Vec::new();
    for name in NAMES {
        let mut rest = source;
        while let Some(i) = rest.find(name) {
            let before = rest[..i].chars().next_back();
            let after = rest[i + name.len()..].trim_start();
            rest = &rest[i + name.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let Some(args) = after.strip_prefix('(') else {
                continue;
            };
            let args = args.trim_start();
            let quote = args.chars().next().filter(|c| *c == '"' || *c == '\'');
            let Some(q) = quote else {
                return Err(problem(
                    "rule_metric_not_text",
                    format!(
                        "{name}(…) 的第一个参数是指标名称，请写成带引号的文字，如 {name}(\"客户情绪安抚成功率\", …)"
                    ),
                    format!(
                        "the first argument of {name}(…) is a metric name in quotes, e.g. {name}(\"客户情绪安抚成功率\", …)"
                    ),
                ));
            };
            let body = &args[1..];
            if let Some(end) = body.find(q) {
                out.push(body[..end].to_string());
            }
        }
    }
    Ok(out)
}

fn unknown_metric(name: &str) -> Problem {
    problem(
        "rule_unknown_metric",
        format!("未知指标“{name}”：请用指标目录中的名称"),
        format!("unknown metric '{name}': use a name from the metric catalogue"),
    )
}

fn is_operator(f: &str) -> bool {
    f.starts_with('_') || f.starts_with('@') || f == "!_" || f == "-_"
}

/// Evaluates conditions for many people with one CEL context.
pub struct Evaluator {
    ctx: cel::Context<'static, 'static>,
    scope: Arc<Mutex<Scope>>,
}

fn arg_text(args: &[Value], i: usize, helper: &str) -> Result<String, ExecutionError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        _ => Err(ExecutionError::function_error(
            helper,
            format!("argument {} must be text", i + 1),
        )),
    }
}

fn arg_number(args: &[Value], i: usize, helper: &str) -> Result<f64, ExecutionError> {
    match args.get(i) {
        Some(Value::Int(x)) => Ok(*x as f64),
        Some(Value::UInt(x)) => Ok(*x as f64),
        Some(Value::Float(x)) => Ok(*x),
        _ => Err(ExecutionError::function_error(
            helper,
            format!("argument {} must be a number", i + 1),
        )),
    }
}

fn compare(value: f64, op: &str, threshold: f64) -> Option<bool> {
    Some(match op {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        "==" => (value - threshold).abs() < 1e-9,
        "!=" => (value - threshold).abs() >= 1e-9,
        _ => return None,
    })
}

fn step(helper: &str, m: &MetricInfo, period: &str) -> Step {
    Step {
        helper: helper.into(),
        metric: m.key.clone(),
        metric_zh: m.zh.clone(),
        metric_en: m.en.clone(),
        unit: m.unit.clone(),
        period: period.into(),
        value: None,
        op: None,
        threshold: None,
        rank: None,
        peers: None,
        share: None,
        holds: None,
        run: None,
    }
}

/// Top share of a standing: the part of the group at or above the person.
fn top_share(s: &Standing) -> f64 {
    if s.peers == 0 {
        return 100.0;
    }
    f64::from(s.rank) * 100.0 / f64::from(s.peers)
}

impl Evaluator {
    pub fn new(catalog: &Catalog) -> Evaluator {
        let scope: Arc<Mutex<Scope>> = Arc::default();
        let catalog = Arc::new(catalog.clone());
        let mut ctx = cel::Context::default();
        for name in NAMES {
            let scope = scope.clone();
            let catalog = catalog.clone();
            let name: &'static str = name;
            let f = move |Arguments(args): Arguments| -> Result<Value, ExecutionError> {
                let mut sc = scope.lock().unwrap_or_else(|e| e.into_inner());
                let history = sc.history.clone().unwrap_or_default();
                let key = arg_text(&args, 0, name)?;
                let m = catalog
                    .find(&key)
                    .ok_or_else(|| {
                        ExecutionError::function_error(name, format!("{UNKNOWN_METRIC}{key}"))
                    })?
                    .clone();
                let missing = |sc: &mut Scope| {
                    if !sc.trace.missing.contains(&m.key) {
                        sc.trace.missing.push(m.key.clone());
                    }
                };
                match name {
                    "consecutive" => {
                        let n = arg_number(&args, 1, name)?;
                        let op = arg_text(&args, 2, name)?;
                        let t = arg_number(&args, 3, name)?;
                        if n < 1.0 || n.fract() != 0.0 || n > 12.0 {
                            return Err(ExecutionError::function_error(
                                name,
                                "N must be a whole number 1–12",
                            ));
                        }
                        compare(0.0, &op, t).ok_or_else(|| {
                            ExecutionError::function_error(name, format!("unknown comparison {op}"))
                        })?;
                        let mut all = true;
                        for back in (0..n as usize).rev() {
                            match history.at(&m.key, back) {
                                Some((period, s)) => {
                                    let holds = compare(s.value, &op, t).unwrap_or(false);
                                    all &= holds;
                                    let mut st = step(name, &m, period);
                                    st.value = Some(s.value);
                                    st.op = Some(op.clone());
                                    st.threshold = Some(t);
                                    st.holds = Some(holds);
                                    st.run = Some(n as u32);
                                    sc.trace.steps.push(st);
                                }
                                None => {
                                    all = false;
                                    missing(&mut sc);
                                }
                            }
                        }
                        Ok(Value::Bool(all))
                    }
                    "top_pct" | "bottom_pct" => {
                        let x = arg_number(&args, 1, name)?;
                        if !(x > 0.0 && x <= 100.0) {
                            return Err(ExecutionError::function_error(
                                name,
                                "X must be a share above 0 and at most 100",
                            ));
                        }
                        let Some((period, s)) = history.at(&m.key, 0) else {
                            missing(&mut sc);
                            return Ok(Value::Bool(false));
                        };
                        let top = top_share(&s);
                        let holds = if name == "top_pct" {
                            top <= x + 1e-9
                        } else {
                            // Bottom X %: rank among the last ceil(X % of peers).
                            let from_bottom =
                                f64::from(s.peers - s.rank + 1) * 100.0 / f64::from(s.peers.max(1));
                            from_bottom <= x + 1e-9
                        };
                        let mut st = step(name, &m, period);
                        st.value = Some(s.value);
                        st.op = Some(if name == "top_pct" { "top" } else { "bottom" }.into());
                        st.threshold = Some(x);
                        st.rank = Some(s.rank);
                        st.peers = Some(s.peers);
                        st.share = Some((top * 10.0).round() / 10.0);
                        st.holds = Some(holds);
                        sc.trace.steps.push(st);
                        Ok(Value::Bool(holds))
                    }
                    "rank" => {
                        let Some((period, s)) = history.at(&m.key, 0) else {
                            missing(&mut sc);
                            return Ok(Value::Int(i64::MAX));
                        };
                        let mut st = step(name, &m, period);
                        st.value = Some(s.value);
                        st.rank = Some(s.rank);
                        st.peers = Some(s.peers);
                        sc.trace.steps.push(st);
                        Ok(Value::Int(i64::from(s.rank)))
                    }
                    "delta" => {
                        let (now, before) = (history.at(&m.key, 0), history.at(&m.key, 1));
                        let (Some((period, a)), Some((_, b))) = (now, before) else {
                            missing(&mut sc);
                            return Ok(Value::Float(0.0));
                        };
                        let mut st = step(name, &m, period);
                        st.value = Some(a.value - b.value);
                        sc.trace.steps.push(st);
                        Ok(Value::Float(a.value - b.value))
                    }
                    _ => {
                        let Some((period, s)) = history.at(&m.key, 0) else {
                            missing(&mut sc);
                            return Ok(Value::Float(0.0));
                        };
                        let mut st = step(name, &m, period);
                        st.value = Some(s.value);
                        sc.trace.steps.push(st);
                        Ok(Value::Float(s.value))
                    }
                }
            };
            // The names are not CEL's own, so this cannot conflict.
            let added = ctx.add_function(name, f);
            debug_assert!(added.is_ok(), "{name} conflicts with a CEL function");
        }
        Evaluator { ctx, scope }
    }

    /// Whether the person matches, and what the helpers read. A metric the
    /// person has no value for makes the rule not match (never an error).
    pub fn eval(
        &self,
        cond: &LinkCondition,
        history: Arc<History>,
    ) -> Result<(bool, Trace), Problem> {
        {
            let mut sc = self.scope.lock().unwrap_or_else(|e| e.into_inner());
            sc.trace = Trace::default();
            sc.history = Some(history.clone());
        }
        let mut inner = self.ctx.new_inner_scope();
        inner.add_variable_from_value("job_family", history.job_family.clone());
        inner.add_variable_from_value("level", history.level.clone());
        inner.add_variable_from_value("region", history.region.clone());
        let out = cond.program.execute(&inner);
        let trace = {
            let mut sc = self.scope.lock().unwrap_or_else(|e| e.into_inner());
            sc.history = None;
            std::mem::take(&mut sc.trace)
        };
        match out {
            Ok(Value::Bool(b)) => Ok((b && trace.missing.is_empty(), trace)),
            Ok(other) => Err(problem(
                "rule_not_boolean",
                format!("条件的结果必须是真/假，实际得到 {other:?}"),
                format!("the condition must give true or false, it gave {other:?}"),
            )),
            Err(e) => Err(execution(&e)),
        }
    }
}

fn execution(e: &ExecutionError) -> Problem {
    let text = e.to_string();
    if let Some(i) = text.find(UNKNOWN_METRIC) {
        let name = text[i + UNKNOWN_METRIC.len()..].trim_end_matches(['"', '}', ' ']);
        return unknown_metric(name);
    }
    let lower = text.to_lowercase();
    if lower.contains("overload")
        || lower.contains("unsupported binary")
        || lower.contains("compare")
    {
        return problem(
            "rule_type_mismatch",
            format!("类型不匹配（例如把文字和数字比较）：{text}"),
            format!("type mismatch (text compared with a number, for example): {text}"),
        );
    }
    problem(
        "rule_eval_failed",
        format!("条件无法计算：{text}"),
        format!("the condition cannot be evaluated: {text}"),
    )
}
