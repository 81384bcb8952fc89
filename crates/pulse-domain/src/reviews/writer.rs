//! The review writer (W1): two behaviour instances become situation →
//! behaviour → impact paragraphs citing the records' own dates, customers
//! and figures, then a development suggestion from the weakest radar
//! dimension. Deterministic: the same evidence and seed give the same draft;
//! the seed (the review's id) picks among sentence patterns so a team's ten
//! drafts do not read like one template.

use super::evidence::{EvidenceKind, Fact, day_label};
use crate::Lang;
use crate::events::EventKind;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub evidence_id: i64,
    pub situation: String,
    pub behaviour: String,
    pub impact: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub text: String,
    pub sections: Vec<Section>,
    pub suggestion: String,
    /// The radar dimension the suggestion comes from.
    pub suggestion_dimension: Option<String>,
    pub course: Option<String>,
}

/// The person's weakest radar dimension, on the radar's 0–100 scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Weakest {
    pub dimension: String,
    pub metric_code: String,
    pub value: f64,
    pub peer_median: Option<f64>,
}

pub struct DraftInput<'a> {
    /// How the review names the person (their name).
    pub name: &'a str,
    /// "2026年第三季度".
    pub period: &'a str,
    pub facts: [&'a Fact; 2],
    pub weakest: Option<Weakest>,
    pub seed: u64,
}

/// FNV-1a: a stable hash that does not change between Rust releases.
fn pick(seed: u64, salt: i64, part: u8, n: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed
        .to_le_bytes()
        .iter()
        .chain(salt.to_le_bytes().iter())
        .chain([part].iter())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % n as u64) as usize
}

fn tier_phrase(f: &Fact) -> &'static str {
    match f.tier.as_deref() {
        Some("A") => "这一A类重点客户",
        Some("B") => "这家B类客户",
        _ => "",
    }
}

fn with_unit(v: &str, unit: &str) -> String {
    if unit.is_empty() {
        v.to_string()
    } else if unit == "%" {
        format!("{v}%")
    } else {
        format!("{v} {unit}")
    }
}

/// The three parts for one record, filled from its figures.
fn parts(f: &Fact, input: &DraftInput, seed: u64) -> (String, String, String) {
    let name = input.name;
    let period = input.period;
    let day = day_label(f.occurred_at, Lang::Zh);
    let c = f.customer.clone().unwrap_or_else(|| "客户".into());
    let tier = tier_phrase(f);
    let v = |part: u8, n: usize| pick(seed, f.id(), part, n);
    match f.kind {
        Some(EvidenceKind::Event(EventKind::Evaluation)) => {
            let s = f.score.unwrap_or(0);
            let situation = [
                format!("{day}，{c}{tier}对{name}的服务做出了正式评价。"),
                format!("{period}，{name}负责的{c}{tier}在{day}完成了客户满意度评价。"),
                format!("在与{c}{tier}的合作中，客户于{day}给出了评价。"),
            ][v(0, 3)]
            .clone();
            let behaviour = if f.customer_events > 1 {
                [
                    format!(
                        "本期{name}与该客户共有 {} 次业务往来，持续跟进需求、及时回应问题。",
                        f.customer_events
                    ),
                    format!(
                        "{name}在本期与该客户往来 {} 次，每次都把问题跟到落地。",
                        f.customer_events
                    ),
                ][v(1, 2)]
                .clone()
            } else {
                format!("{name}在服务过程中响应及时、沟通清楚。")
            };
            let impact = match s {
                5 => [
                    "客户给出 5 分满分评价，这是对其专业度最直接的认可。".to_string(),
                    format!("最终客户打出 5 分（满分），巩固了与{c}的合作关系。"),
                ][v(2, 2)]
                .clone(),
                4 => "客户评价 4 分，整体满意，仍有进一步提升的空间。".to_string(),
                s => format!("客户评价仅 {s} 分，说明服务环节仍有需要改进之处。"),
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::Event(EventKind::WorkOrder)) => {
            let situation = [
                format!("{day}，{c}{tier}报修设备故障，{name}接单处理。"),
                format!("{day}，{name}接到{c}{tier}的服务工单。"),
            ][v(0, 2)]
            .clone();
            let m = f
                .minutes
                .map(|m| format!("{m} 分钟"))
                .unwrap_or_else(|| "第一时间".into());
            let parts = match f.parts {
                Some((p, u)) if u < p => format!("，实际只用了 {u} 件备件（计划 {p} 件）"),
                Some((p, u)) if u == p => format!("，按计划使用 {u} 件备件"),
                Some((p, u)) => format!("，使用备件 {u} 件（计划 {p} 件）"),
                None => String::new(),
            };
            let behaviour = [
                format!("{name}在 {m}内赶到现场{parts}。"),
                format!("从报修到到场只用了 {m}{parts}。"),
            ][v(1, 2)]
            .clone();
            let impact = match f.parts {
                Some((p, u)) if u < p => format!(
                    "既缩短了设备停机时间，又节约备件 {} 件，降低了服务成本。",
                    p - u
                ),
                _ => [
                    "快速到场缩短了设备停机时间，客户的诊疗工作得以尽快恢复。".to_string(),
                    format!("及时的现场处理让{c}的设备尽快恢复运行。"),
                ][v(2, 2)]
                .clone(),
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::Event(EventKind::Delivery)) => {
            let h = f.hours_early.unwrap_or(0);
            let situation = format!("{day}，{c}{tier}的项目迎来交付节点。");
            let behaviour = if h > 0 {
                [
                    format!("{name}提前统筹资源，比承诺时间早 {h} 小时完成交付。"),
                    format!("在{name}的推动下，项目比承诺时间提前 {h} 小时交付。"),
                ][v(1, 2)]
                .clone()
            } else if h == 0 {
                format!("{name}按承诺时间完成了交付。")
            } else {
                format!("交付比承诺时间晚了 {} 小时。", -h)
            };
            let impact = if h >= 0 {
                "可靠的交付增强了客户对团队的信任，也为后续合作打下基础。".to_string()
            } else {
                "延迟影响了客户体验，交付计划的把控需要加强。".to_string()
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::Event(EventKind::Snapshot)) => {
            let stage = f.detail.clone().unwrap_or_default();
            let situation = format!("{day}，{c}{tier}的商机推进到“{stage}”阶段。");
            let behaviour = match f.next_step.as_deref() {
                Some(n) if !n.is_empty() => {
                    format!("{name}及时明确了下一步“{n}”，把推进节奏握在手里。")
                }
                _ => format!("{name}持续跟进，推动商机向前。"),
            };
            let impact = [
                "这为本期业绩目标提供了有力支撑。".to_string(),
                format!("{c}的进展是本期销售漏斗中的关键一环。"),
            ][v(2, 2)]
            .clone();
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::Event(EventKind::Visit)) => {
            let purpose = f.detail.clone().unwrap_or_default();
            let n = f.customer_events.max(1);
            let situation = [
                format!("{period}，{name}持续跟进{c}{tier}。"),
                format!("{c}{tier}是{name}本期重点经营的客户。"),
            ][v(0, 2)]
            .clone();
            let behaviour = format!("本期共与该客户往来 {n} 次，{day}的拜访以“{purpose}”为目的。");
            let impact = [
                "稳定的拜访节奏加深了客户关系，为后续合作打下基础。".to_string(),
                "持续的走访让客户需求得到及时回应。".to_string(),
            ][v(2, 2)]
            .clone();
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::Event(EventKind::ServiceTicket)) => {
            let topic = f.detail.clone().unwrap_or_default();
            let m = f.minutes.unwrap_or(0);
            let situation = format!("{day}，客户来电咨询“{topic}”。");
            let behaviour = if f.resolved == Some(true) {
                format!("{name}用 {m} 分钟一次性解决了问题。")
            } else {
                format!("{name}用 {m} 分钟完成了受理，问题未能当场解决。")
            };
            let impact = if f.resolved == Some(true) {
                "高效、一次到位的处理提升了客户体验。".to_string()
            } else {
                "后续跟进需要更加及时。".to_string()
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::FeedbackCard) => {
            let who = if f.author_is_subject {
                format!("{name}本人")
            } else {
                f.author.clone().unwrap_or_else(|| "同事".into())
            };
            let situation = [
                format!("{day}，{who}针对{name}的一次工作写下了反馈卡。"),
                format!("{day}的一张反馈卡里，{who}记录了{name}的表现。"),
            ][v(0, 2)]
            .clone();
            let (tag, r) = f.top_tag().cloned().unwrap_or_default();
            let behaviour = match f.observation.as_deref() {
                Some(o) if !o.is_empty() => format!("反馈写道：“{o}”，“{tag}”一项给出 {r} 分。"),
                _ => format!("反馈在“{tag}”一项给出 {r} 分。"),
            };
            let impact = if f.tag_repeats >= 2 {
                [
                    format!(
                        "本期共有 {} 张反馈卡在“{tag}”上给出 4 分以上，这已是{name}稳定的长处。",
                        f.tag_repeats
                    ),
                    format!(
                        "“{tag}”在本期 {} 张反馈卡中获得高分，说明这不是偶然。",
                        f.tag_repeats
                    ),
                ][v(2, 2)]
                .clone()
            } else if r >= 4 {
                format!("这体现了{name}在“{tag}”方面的扎实表现。")
            } else {
                format!("“{tag}”仍是{name}需要关注的方面。")
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::GoalCheckIn) => {
            let metric = f.metric.clone().unwrap_or_default();
            let unit = f.unit.clone().unwrap_or_default();
            let b = with_unit(f.before.as_deref().unwrap_or("—"), &unit);
            let a = with_unit(f.after.as_deref().unwrap_or("—"), &unit);
            let t = f.target.as_deref().map(|t| with_unit(t, &unit));
            let situation = match &t {
                Some(t) => format!("{period}，{name}承担“{metric}”指标，目标 {t}。"),
                None => format!("{period}，{name}承担“{metric}”指标。"),
            };
            let behaviour = [
                format!("通过持续推进，{day}该指标从 {b} 提升到 {a}。"),
                format!("到{day}，“{metric}”已从 {b} 变为 {a}。"),
            ][v(1, 2)]
            .clone();
            let reached = match (
                f.after.as_deref().and_then(|a| a.parse::<f64>().ok()),
                f.target.as_deref().and_then(|t| t.parse::<f64>().ok()),
            ) {
                (Some(a), Some(t)) => Some(a >= t),
                _ => None,
            };
            let impact = match reached {
                Some(true) => "指标已达到目标值，直接支撑了团队的季度目标。".to_string(),
                Some(false) => "指标正稳步逼近目标，节奏需要保持。".to_string(),
                None => "这一变化直接反映在团队的目标看板上。".to_string(),
            };
            (situation, behaviour, impact)
        }
        Some(EvidenceKind::GoalResult) => {
            let metric = f.metric.clone().unwrap_or_default();
            let unit = f.unit.clone().unwrap_or_default();
            let a = with_unit(f.after.as_deref().unwrap_or("—"), &unit);
            let t = with_unit(f.target.as_deref().unwrap_or("—"), &unit);
            let pct = f.progress_bp.unwrap_or(0) / 100;
            let situation = [
                format!("{period}，“{metric}”是{name}的考核指标之一，目标 {t}。"),
                format!("在“{metric}”上，{name}本期的目标是 {t}。"),
                format!("“{metric}”（目标 {t}）是{name}本期重点推进的指标。"),
            ][v(0, 3)]
            .clone();
            let behaviour =
                [format!("实际达到 {a}。"), format!("这一指标做到了 {a}。")][v(1, 2)].clone();
            let impact = if pct >= 100 {
                [
                    format!(
                        "完成率 {pct}%，{}完成了目标。",
                        if pct > 105 { "超额" } else { "" }
                    ),
                    format!(
                        "达成 {pct}%，{}。",
                        if pct > 105 {
                            "超出预期"
                        } else {
                            "如期兑现了承诺"
                        }
                    ),
                ][v(2, 2)]
                .clone()
            } else {
                [
                    format!("完成率 {pct}%，与目标仍有差距。"),
                    format!("达成 {pct}%，距离目标还差一步，下季度需要重点突破。"),
                ][v(2, 2)]
                .clone()
            };
            (situation, behaviour, impact)
        }
        None => (String::new(), String::new(), String::new()),
    }
}

/// A course for a radar metric or a feedback tag, where the catalogue has one.
pub fn course_for(metric_code: &str, dimension: &str) -> Option<&'static str> {
    const BY_METRIC: [(&str, &str); 9] = [
        ("visits_per_week", "《高效拜访规划与客户分级经营》"),
        ("key_account_penetration", "《重点客户（KA）经营实战》"),
        ("evaluation_score", "《客户沟通与满意度提升》"),
        ("on_time_delivery", "《项目交付计划与风险管理》"),
        ("response_minutes", "《现场服务响应与快速排障》"),
        ("parts_usage", "《备件管理与精准诊断》"),
        ("tickets_per_week", "《客服效率工具与话术精进》"),
        ("ticket_resolved_rate", "《一次解决率提升：问题诊断方法》"),
        ("ticket_minutes", "《客服效率工具与话术精进》"),
    ];
    const BY_WORD: [(&str, &str); 11] = [
        ("谈判", "《复杂谈判策略与价格异议处理》"),
        ("呈现", "《解决方案呈现与演示技巧》"),
        ("洞察", "《客户需求洞察与痛点挖掘》"),
        ("关系", "《客户关系经营与口碑建设》"),
        ("创新", "《技术方案创新与根因分析》"),
        ("响应", "《现场服务响应与快速排障》"),
        ("政策", "《医保与集采政策解读》"),
        ("沟通", "《结构化沟通与倾听》"),
        ("专业", "《医疗器械产品与临床知识进阶》"),
        ("协作", "《跨部门协作与影响力》"),
        ("情绪", "《客户情绪安抚与冲突化解》"),
    ];
    BY_METRIC
        .iter()
        .find(|(m, _)| *m == metric_code)
        .or_else(|| {
            BY_WORD
                .iter()
                .find(|(w, _)| dimension.contains(w) || metric_code.contains(w))
        })
        .map(|(_, c)| *c)
}

fn suggestion(input: &DraftInput) -> (String, Option<String>, Option<String>) {
    let name = input.name;
    let Some(w) = &input.weakest else {
        return (
            format!(
                "发展建议：建议{name}与主管在下季度初共同确定一项可衡量的能力提升目标，并在每月一对一沟通中回顾进展。"
            ),
            None,
            None,
        );
    };
    let median = w
        .peer_median
        .map(|m| format!("，同岗位同职级中位数 {m:.0} 分"))
        .unwrap_or_default();
    let course = course_for(&w.metric_code, &w.dimension);
    let lead = [
        format!(
            "发展建议：从能力雷达看，“{}”是{name}目前相对薄弱的维度（{:.0} 分{median}）。",
            w.dimension, w.value
        ),
        format!(
            "发展建议：能力雷达显示，{name}在“{}”上得分 {:.0}{median}，是下一步最值得投入的方向。",
            w.dimension, w.value
        ),
    ][pick(input.seed, 0, 9, 2)]
    .clone();
    let next = match course {
        Some(c) => format!("建议下季度参加{c}，并由主管安排一次带教实践。"),
        None => "建议下季度由主管安排一次带教实践，并在月度一对一中回顾。".to_string(),
    };
    (
        format!("{lead}{next}"),
        Some(w.dimension.clone()),
        course.map(str::to_string),
    )
}

pub fn draft(input: &DraftInput) -> Draft {
    let openers = [["其一，", "其二，"], ["首先，", "此外，"], ["", "另外，"]];
    let opener = openers[pick(input.seed, 0, 7, openers.len())];
    let mut sections = Vec::with_capacity(2);
    let mut paragraphs = Vec::with_capacity(3);
    for (i, f) in input.facts.iter().enumerate() {
        let (situation, behaviour, impact) = parts(f, input, input.seed);
        paragraphs.push(format!("{}{situation}{behaviour}{impact}", opener[i]));
        sections.push(Section {
            evidence_id: f.id(),
            situation,
            behaviour,
            impact,
        });
    }
    let (suggestion, dimension, course) = suggestion(input);
    paragraphs.push(suggestion.clone());
    Draft {
        text: paragraphs.join("\n\n"),
        sections,
        suggestion,
        suggestion_dimension: dimension,
        course,
    }
}

#[cfg(test)]
mod tests {
    use super::super::evidence::{EvidenceRef, Source};
    use super::*;

    fn facts() -> (Fact, Fact) {
        let eval = Fact {
            r: Some(EvidenceRef::new(Source::Event, 41)),
            kind: Some(EvidenceKind::Event(EventKind::Evaluation)),
            occurred_at: 1_789_180_000_000,
            customer: Some("复旦大学附属华山医院".into()),
            tier: Some("A".into()),
            score: Some(5),
            customer_events: 6,
            ..Fact::default()
        };
        let goal = Fact {
            r: Some(EvidenceRef::new(Source::CheckIn, 7)),
            kind: Some(EvidenceKind::GoalCheckIn),
            occurred_at: 1_790_000_000_000,
            metric: Some("重点客户渗透率".into()),
            unit: Some("%".into()),
            before: Some("40".into()),
            after: Some("65".into()),
            target: Some("60".into()),
            ..Fact::default()
        };
        (eval, goal)
    }

    fn input<'a>(a: &'a Fact, b: &'a Fact, seed: u64) -> DraftInput<'a> {
        DraftInput {
            name: "李娜",
            period: "2026年第三季度",
            facts: [a, b],
            weakest: Some(Weakest {
                dimension: "拜访频次".into(),
                metric_code: "visits_per_week".into(),
                value: 38.0,
                peer_median: Some(52.0),
            }),
            seed,
        }
    }

    #[test]
    fn the_draft_cites_the_records_and_says_where_each_part_came_from() {
        let (a, b) = facts();
        let d = draft(&input(&a, &b, 3));
        assert_eq!(d.sections.len(), 2);
        assert_eq!(d.sections[0].evidence_id, a.id());
        assert_eq!(d.sections[1].evidence_id, b.id());
        assert!(d.text.contains("复旦大学附属华山医院"), "{}", d.text);
        assert!(d.text.contains("5 分"));
        assert!(
            d.text.contains("从 40% 提升到 65%") || d.text.contains("从 40% 变为 65%"),
            "{}",
            d.text
        );
        assert!(d.text.contains("6 次"));
        assert!(
            d.suggestion.contains("拜访频次")
                && d.suggestion.contains("《高效拜访规划与客户分级经营》")
        );
        assert_eq!(d.course.as_deref(), Some("《高效拜访规划与客户分级经营》"));
        for s in &d.sections {
            assert!(
                d.text.contains(&s.situation)
                    && d.text.contains(&s.behaviour)
                    && d.text.contains(&s.impact)
            );
        }
    }

    #[test]
    fn the_same_evidence_gives_the_same_draft_and_seeds_vary_the_wording() {
        let (a, b) = facts();
        assert_eq!(draft(&input(&a, &b, 11)), draft(&input(&a, &b, 11)));
        let texts: std::collections::BTreeSet<String> =
            (0..10).map(|s| draft(&input(&a, &b, s)).text).collect();
        assert!(texts.len() >= 5, "ten drafts read alike: {}", texts.len());
    }

    #[test]
    fn without_a_radar_the_suggestion_is_still_concrete() {
        let (a, b) = facts();
        let mut i = input(&a, &b, 1);
        i.weakest = None;
        let d = draft(&i);
        assert!(d.suggestion.starts_with("发展建议") && d.course.is_none());
    }
}
