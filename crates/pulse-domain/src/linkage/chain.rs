//! The causal chain in words (L3): "2026Q2 技术方案创新分 4.6 > 4.5；2026Q3
//! 4.7 > 4.5；连续两个季度 → 加入高潜人才池，推荐 医疗AI认证课程".

use super::Action;
use super::condition::Step;
use crate::Lang;
use crate::goals::period_label;

fn number(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let s = format!("{r:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value as the chain writes it: "4.6", "96.5%".
pub fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{}%", number(v)),
        _ => number(v),
    }
}

fn period(code: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => code.to_string(),
        Lang::En => period_label(code, code, lang),
    }
}

fn op_text(op: &str) -> &str {
    match op {
        ">=" => "≥",
        "<=" => "≤",
        "!=" => "≠",
        "==" => "=",
        other => other,
    }
}

fn count_zh(n: u32) -> String {
    match n {
        2 => "两".into(),
        3 => "三".into(),
        4 => "四".into(),
        _ => n.to_string(),
    }
}

fn ordinal_en(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// One step as a phrase; `named` says whether to repeat the metric's name.
pub fn step_sentence(s: &Step, lang: Lang, named: bool) -> String {
    let zh = lang == Lang::Zh;
    let metric = if zh { &s.metric_zh } else { &s.metric_en };
    let head = if named {
        format!("{} {metric}", period(&s.period, lang))
    } else {
        period(&s.period, lang)
    };
    let v = s.value.map(|v| with_unit(v, &s.unit)).unwrap_or_default();
    match (s.op.as_deref(), s.threshold) {
        (Some(op @ ("top" | "bottom")), Some(x)) => {
            let (rank, peers) = (s.rank.unwrap_or(0), s.peers.unwrap_or(0));
            let share = s.share.map(number).unwrap_or_default();
            let x = number(x);
            match (zh, op) {
                (true, "top") => format!(
                    "{head} {v}，同岗同级 {peers} 人中第 {rank} 名（前 {share}%），{}前 {x}%",
                    if s.holds == Some(true) {
                        "在"
                    } else {
                        "不在"
                    }
                ),
                (true, _) => format!(
                    "{head} {v}，同岗同级 {peers} 人中第 {rank} 名，{}后 {x}%",
                    if s.holds == Some(true) {
                        "在"
                    } else {
                        "不在"
                    }
                ),
                (false, "top") => format!(
                    "{head} {v}: {} of {peers} peers (top {share}%), {} the top {x}%",
                    ordinal_en(rank),
                    if s.holds == Some(true) {
                        "within"
                    } else {
                        "outside"
                    }
                ),
                (false, _) => format!(
                    "{head} {v}: {} of {peers} peers, {} the bottom {x}%",
                    ordinal_en(rank),
                    if s.holds == Some(true) {
                        "within"
                    } else {
                        "outside"
                    }
                ),
            }
        }
        (Some(op), Some(t)) => format!("{head} {v} {} {}", op_text(op), with_unit(t, &s.unit)),
        _ => match s.helper.as_str() {
            "rank" => {
                let (rank, peers) = (s.rank.unwrap_or(0), s.peers.unwrap_or(0));
                if zh {
                    format!("{head} 同岗同级 {peers} 人中第 {rank} 名")
                } else {
                    format!("{head} {} of {peers} peers", ordinal_en(rank))
                }
            }
            "delta" => {
                let d = s.value.unwrap_or(0.0);
                let sign = if d >= 0.0 { "+" } else { "" };
                if zh {
                    format!("{head} 较上期 {sign}{}", with_unit(d, &s.unit))
                } else {
                    format!(
                        "{head} {sign}{} on the previous period",
                        with_unit(d, &s.unit)
                    )
                }
            }
            _ => format!("{head} {v}"),
        },
    }
}

/// The whole chain: what each helper read, then the outcome.
pub fn chain_sentence(steps: &[Step], actions: &[Action], lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut parts: Vec<String> = Vec::new();
    let mut last_metric: Option<&str> = None;
    let mut i = 0;
    while i < steps.len() {
        let s = &steps[i];
        let named = last_metric != Some(s.metric.as_str());
        parts.push(step_sentence(s, lang, named));
        last_metric = Some(s.metric.as_str());
        // After the last period of a consecutive run: "连续两个季度".
        if let Some(n) = s.run {
            let run_end = steps.get(i + 1).is_none_or(|next| {
                next.run != s.run || next.metric != s.metric || next.helper != s.helper
            });
            if run_end && n > 1 {
                let quarters = s.period.contains('Q');
                parts.push(match (zh, quarters) {
                    (true, true) => format!("连续{}个季度", count_zh(n)),
                    (true, false) => format!("连续 {n} 个周期"),
                    (false, true) => format!("{n} quarters running"),
                    (false, false) => format!("{n} periods running"),
                });
            }
        }
        i += 1;
    }
    let outcome: Vec<String> = actions.iter().map(|a| a.describe(zh)).collect();
    let sep = if zh { "；" } else { "; " };
    let join = if zh { "，" } else { ", " };
    format!("{} → {}", parts.join(sep), outcome.join(join))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(period: &str, value: f64) -> Step {
        Step {
            helper: "consecutive".into(),
            metric: "feedback_tag:技术方案创新".into(),
            metric_zh: "技术方案创新分".into(),
            metric_en: "technical innovation score".into(),
            unit: "分".into(),
            period: period.into(),
            value: Some(value),
            op: Some(">".into()),
            threshold: Some(4.5),
            rank: None,
            peers: None,
            share: None,
            holds: Some(true),
            run: Some(2),
        }
    }

    #[test]
    fn the_articles_chain_reads_as_the_article_writes_it() {
        let actions = [
            Action::JoinPool {
                pool: "高潜人才池".into(),
            },
            Action::RecommendCourse {
                course: "医疗AI认证课程".into(),
            },
        ];
        let steps = [st("2026Q2", 4.6), st("2026Q3", 4.7)];
        assert_eq!(
            chain_sentence(&steps, &actions, Lang::Zh),
            "2026Q2 技术方案创新分 4.6 > 4.5；2026Q3 4.7 > 4.5；连续两个季度 → 加入高潜人才池，推荐 医疗AI认证课程"
        );
        assert_eq!(
            chain_sentence(&steps, &actions, Lang::En),
            "Q2 2026 technical innovation score 4.6 > 4.5; Q3 2026 4.7 > 4.5; 2 quarters running → joins 高潜人才池, is offered 医疗AI认证课程"
        );
    }

    #[test]
    fn a_top_share_names_rank_group_and_cut() {
        let s = Step {
            helper: "top_pct".into(),
            metric: "soothing_rate".into(),
            metric_zh: "客户情绪安抚成功率".into(),
            metric_en: "customer soothing success rate".into(),
            unit: "%".into(),
            period: "2026Q3".into(),
            value: Some(96.5),
            op: Some("top".into()),
            threshold: Some(5.0),
            rank: Some(2),
            peers: Some(40),
            share: Some(5.0),
            holds: Some(true),
            run: None,
        };
        let actions = [Action::AdjustBonus { hundredths: 15 }];
        assert_eq!(
            chain_sentence(std::slice::from_ref(&s), &actions, Lang::Zh),
            "2026Q3 客户情绪安抚成功率 96.5%，同岗同级 40 人中第 2 名（前 5%），在前 5% → 本期奖金系数 +0.15"
        );
        assert!(
            chain_sentence(&[s], &actions, Lang::En)
                .contains("2nd of 40 peers (top 5%), within the top 5%")
        );
    }
}
