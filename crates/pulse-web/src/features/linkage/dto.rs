//! What the linkage API answers, shared by its pages: an outcome with its
//! causal chain (L3), actions, rules, the development path (T1).

use pulse_domain::Lang;
use pulse_domain::linkage::{
    Action, Step, chain_sentence, signed_coefficient, step_sentence, with_unit,
};
use pulse_store::linkage::outcomes::Outcome;
use pulse_store::linkage::rules::Rule;
use serde::Serialize;
use utoipa::ToSchema;

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    /// `join_pool`, `recommend_course`, `adjust_bonus` or `grant_eligibility`.
    pub kind: String,
    /// The outcome in words, e.g. "加入高潜人才池".
    pub label: String,
    /// The pool, course or eligibility named ('' for a bonus adjustment).
    pub name: String,
    /// For `adjust_bonus`: "+0.15".
    pub adjustment: Option<String>,
}

pub fn action_dto(a: &Action, lang: Lang) -> ActionDto {
    let (name, adjustment) = match a {
        Action::JoinPool { pool } => (pool.clone(), None),
        Action::RecommendCourse { course } => (course.clone(), None),
        Action::GrantEligibility { eligibility } => (eligibility.clone(), None),
        Action::AdjustBonus { hundredths } => {
            (String::new(), Some(signed_coefficient(*hundredths)))
        }
    };
    ActionDto {
        kind: a.kind().into(),
        label: a.describe(lang == Lang::Zh),
        name,
        adjustment,
    }
}

/// One link of the causal chain: a value of a period against a threshold.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainStep {
    /// The period's code, e.g. `2026Q2`.
    pub period: String,
    /// The metric's name, e.g. "技术方案创新分".
    pub metric: String,
    /// The metric's key, e.g. `feedback_tag:技术方案创新`.
    pub metric_key: String,
    pub unit: String,
    pub value: Option<f64>,
    /// `>`, `>=`, `<`, `<=`, `==`, `!=`, `top` or `bottom` (a share of the peer group, in %).
    pub op: Option<String>,
    pub threshold: Option<f64>,
    pub rank: Option<u32>,
    pub peers: Option<u32>,
    /// The share of the peer group at or above the person, in %.
    pub share: Option<f64>,
    pub holds: Option<bool>,
    /// The value as written in the chain: "4.6", "96.5%".
    pub value_text: String,
    /// The step in words: "2026Q2 技术方案创新分 4.6 > 4.5".
    pub text: String,
}

pub fn chain(steps: &[Step], lang: Lang) -> Vec<ChainStep> {
    steps
        .iter()
        .map(|s| ChainStep {
            period: s.period.clone(),
            metric: if lang == Lang::Zh {
                s.metric_zh.clone()
            } else {
                s.metric_en.clone()
            },
            metric_key: s.metric.clone(),
            unit: s.unit.clone(),
            value: s.value.map(round2),
            op: s.op.clone(),
            threshold: s.threshold,
            rank: s.rank,
            peers: s.peers,
            share: s.share,
            holds: s.holds,
            value_text: s.value.map(|v| with_unit(v, &s.unit)).unwrap_or_default(),
            text: step_sentence(s, lang, true),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeDto {
    pub id: i64,
    pub employee_no: String,
    pub name: String,
    /// The rule's name when it was decided.
    pub rule: String,
    pub rule_id: i64,
    /// The period's code, e.g. `2026Q3`.
    pub period: String,
    pub period_name: String,
    pub action: ActionDto,
    /// `active` or `reversed`.
    pub state: String,
    pub state_label: String,
    /// Which values in which periods against which threshold led here.
    pub chain: Vec<ChainStep>,
    /// The whole chain in one sentence, e.g. "2026Q2 技术方案创新分 4.6 > 4.5；… → 加入高潜人才池".
    pub sentence: String,
    pub reversed_reason: Option<String>,
    pub reversed_by: Option<String>,
    /// Milliseconds since the epoch.
    pub reversed_at: Option<i64>,
    pub created_at: i64,
}

pub fn state_label(state: &str, lang: Lang) -> String {
    match (state, lang) {
        ("reversed", Lang::Zh) => "已撤销",
        ("reversed", Lang::En) => "reversed",
        (_, Lang::Zh) => "生效中",
        (_, Lang::En) => "in effect",
    }
    .into()
}

pub fn outcome_dto(o: &Outcome, lang: Lang) -> OutcomeDto {
    OutcomeDto {
        id: o.id,
        employee_no: o.employee_no.clone(),
        name: o.person_name.clone(),
        rule: o.rule.clone(),
        rule_id: o.rule_id,
        period: o.period.clone(),
        period_name: pulse_domain::goals::period_label(&o.period, &o.period_name, lang),
        action: action_dto(&o.action, lang),
        state: o.state.clone(),
        state_label: state_label(&o.state, lang),
        chain: chain(&o.steps, lang),
        sentence: chain_sentence(&o.steps, &o.rule_actions, lang),
        reversed_reason: o.reversed_reason.clone(),
        reversed_by: o.reversed_by.clone(),
        reversed_at: o.reversed_at,
        created_at: o.created_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeList {
    pub items: Vec<OutcomeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkageRuleDto {
    pub id: i64,
    pub name: String,
    /// The CEL condition, e.g. `consecutive("技术方案创新", 2, ">", 4.5)`.
    pub condition: String,
    /// '' = every job family.
    pub job_family: String,
    pub enabled: bool,
    pub actions: Vec<ActionDto>,
    pub created_by: String,
    pub updated_at: i64,
}

pub fn rule_dto(r: &Rule, lang: Lang) -> LinkageRuleDto {
    LinkageRuleDto {
        id: r.id,
        name: r.name.clone(),
        condition: r.condition.clone(),
        job_family: r.job_family.clone(),
        enabled: r.enabled,
        actions: r.actions.iter().map(|a| action_dto(a, lang)).collect(),
        created_by: r.created_by.clone(),
        updated_at: r.updated_at,
    }
}
