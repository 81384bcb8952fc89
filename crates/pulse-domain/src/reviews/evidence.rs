//! The evidence of a person's period (W1): every record that can back a
//! sentence of the review, one fact each, ranked so the notable ones come
//! first, with a one-line summary.
//!
//! An evidence id is the record's id and its source in one integer
//! (`record_id × 10 + source`), so a list can be recomputed from the data at
//! any time and an id posted back still names exactly one record.

use crate::events::EventKind;
use crate::{Lang, china_time};
use serde::Serialize;

/// Where an evidence item lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A business event (visit, work order, evaluation, …).
    Event,
    /// A 15-minute feedback card on one of the person's events.
    Card,
    /// A goal check-in: the actual moved from one value to another.
    CheckIn,
    /// A goal's standing at the end of the period.
    Goal,
}

impl Source {
    fn tag(self) -> i64 {
        match self {
            Source::Event => 1,
            Source::Card => 2,
            Source::CheckIn => 3,
            Source::Goal => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EvidenceRef {
    pub source: Source,
    pub record_id: i64,
}

impl EvidenceRef {
    pub fn new(source: Source, record_id: i64) -> EvidenceRef {
        EvidenceRef { source, record_id }
    }

    pub fn id(self) -> i64 {
        self.record_id * 10 + self.source.tag()
    }

    pub fn from_id(id: i64) -> Option<EvidenceRef> {
        if id <= 0 {
            return None;
        }
        let source = match id % 10 {
            1 => Source::Event,
            2 => Source::Card,
            3 => Source::CheckIn,
            4 => Source::Goal,
            _ => return None,
        };
        Some(EvidenceRef::new(source, id / 10))
    }
}

/// What a piece of evidence is, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    Event(EventKind),
    FeedbackCard,
    GoalCheckIn,
    GoalResult,
}

impl EvidenceKind {
    pub fn code(self) -> &'static str {
        match self {
            EvidenceKind::Event(k) => k.as_str(),
            EvidenceKind::FeedbackCard => "feedback_card",
            EvidenceKind::GoalCheckIn => "goal_check_in",
            EvidenceKind::GoalResult => "goal_result",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            EvidenceKind::Event(k) => k.label(lang),
            EvidenceKind::FeedbackCard => lang.pick("反馈卡", "Feedback card"),
            EvidenceKind::GoalCheckIn => lang.pick("目标进展", "Goal progress"),
            EvidenceKind::GoalResult => lang.pick("目标达成", "Goal result"),
        }
    }
}

/// One record, with every figure the summary and the writer may cite.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Fact {
    #[serde(skip)]
    pub r: Option<EvidenceRef>,
    #[serde(skip)]
    pub kind: Option<EvidenceKind>,
    pub occurred_at: i64,
    pub customer: Option<String>,
    /// The customer's tier: "A", "B", "C".
    pub tier: Option<String>,
    /// A customer evaluation's score (1–5).
    pub score: Option<i64>,
    /// Work order: minutes from report to arrival; ticket: handling minutes.
    pub minutes: Option<i64>,
    pub resolved: Option<bool>,
    /// Visit purpose, opportunity stage or ticket topic.
    pub detail: Option<String>,
    pub next_step: Option<String>,
    /// Spare parts planned and used.
    pub parts: Option<(i64, i64)>,
    /// Delivery: hours delivered ahead of the promise (negative: late).
    pub hours_early: Option<i64>,
    /// A card's tags and ratings.
    pub ratings: Vec<(String, i64)>,
    pub author: Option<String>,
    pub author_is_manager: bool,
    /// The card is the person's own.
    pub author_is_subject: bool,
    pub observation: Option<String>,
    /// Goal evidence: the metric, its unit, the actual before and after, the target.
    pub metric: Option<String>,
    pub unit: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub target: Option<String>,
    /// Goal evidence: progress in basis points (10000 = 100 %).
    pub progress_bp: Option<i64>,
    /// How many of the person's events of the period were with the same customer.
    pub customer_events: i64,
    /// How many cards of the period rated the same top tag 4 or 5.
    pub tag_repeats: i64,
}

impl Fact {
    pub fn id(&self) -> i64 {
        self.r.map_or(0, EvidenceRef::id)
    }

    /// The tag rated highest on a card (the first such in the card's order).
    pub fn top_tag(&self) -> Option<&(String, i64)> {
        self.ratings
            .iter()
            .fold(None, |best: Option<&(String, i64)>, r| match best {
                Some(b) if b.1 >= r.1 => Some(b),
                _ => Some(r),
            })
    }

    pub fn average_rating(&self) -> Option<f64> {
        if self.ratings.is_empty() {
            return None;
        }
        Some(self.ratings.iter().map(|r| r.1 as f64).sum::<f64>() / self.ratings.len() as f64)
    }

    fn a_class(&self) -> bool {
        self.tier.as_deref() == Some("A")
    }

    /// The metric's change as numbers, when both ends parse.
    pub fn moved(&self) -> Option<(f64, f64)> {
        let b = self.before.as_deref()?.parse::<f64>().ok()?;
        let a = self.after.as_deref()?.parse::<f64>().ok()?;
        Some((b, a))
    }
}

/// 0–100: how much a record says about the person's period. High ratings,
/// large metric moves, A-class customers and repeated praise come first;
/// routine records stay at the bottom.
pub fn notability(f: &Fact) -> i64 {
    let tier = if f.a_class() { 15 } else { 0 };
    let repeat = (f.customer_events.min(6) - 1).max(0) * 2;
    let score = match f.kind {
        Some(EvidenceKind::Event(k)) => match k {
            EventKind::Evaluation => match f.score {
                Some(5) => 60,
                Some(4) => 35,
                Some(s) if s <= 2 => 40,
                _ => 10,
            },
            EventKind::WorkOrder => {
                let fast = match f.minutes {
                    Some(m) if m <= 60 => 30,
                    Some(m) if m <= 120 => 15,
                    _ => 0,
                };
                let lean = match f.parts {
                    Some((p, u)) if u < p => 15,
                    _ => 0,
                };
                20 + fast + lean
            }
            EventKind::Delivery => match f.hours_early {
                Some(h) if h >= 24 => 45,
                Some(h) if h >= 0 => 30,
                Some(_) => 25,
                None => 10,
            },
            EventKind::Snapshot => match f.detail.as_deref() {
                Some(s) if s.contains("签约") || s.contains("赢单") || s.contains("成交") => {
                    50
                }
                Some(s) if s.contains("报价") || s.contains("谈判") => 25,
                _ => 12,
            },
            EventKind::Visit => 12 + repeat,
            EventKind::ServiceTicket => match (f.resolved, f.minutes) {
                (Some(true), Some(m)) if m <= 5 => 14,
                (Some(true), _) => 8,
                _ => 4,
            },
        },
        Some(EvidenceKind::FeedbackCard) => {
            let avg = f.average_rating().unwrap_or(0.0);
            let base = if avg >= 4.5 {
                45
            } else if avg >= 4.0 || avg <= 2.5 {
                30
            } else {
                12
            };
            base + (f.tag_repeats.min(5) * 4) + if f.author_is_manager { 5 } else { 0 }
        }
        Some(EvidenceKind::GoalCheckIn) => match (f.moved(), f.target.as_deref()) {
            (Some((b, a)), Some(t)) => match t.parse::<f64>() {
                Ok(t) if t != 0.0 => (((a - b).abs() / t.abs()) * 100.0).min(60.0) as i64 + 15,
                _ => 20,
            },
            _ => 15,
        },
        Some(EvidenceKind::GoalResult) => match f.progress_bp {
            Some(p) if p >= 11_000 => 65,
            Some(p) if p >= 10_000 => 50,
            Some(p) if p < 7_000 => 30,
            _ => 18,
        },
        None => 0,
    };
    (score + tier).min(100)
}

/// Most notable first; among equals the latest first, then by id, so the
/// order never depends on how the store returned the rows.
pub fn rank(facts: &mut [Fact]) {
    facts.sort_by_cached_key(|f| {
        (
            std::cmp::Reverse(notability(f)),
            std::cmp::Reverse(f.occurred_at),
            f.id(),
        )
    });
}

/// "9月12日" / "Sep 12".
pub fn day_label(ms: i64, lang: Lang) -> String {
    match lang {
        Lang::Zh => china_time::format_ms(ms, "%-m月%-d日"),
        Lang::En => china_time::format_ms(ms, "%b %-d"),
    }
}

fn with_unit(v: &str, unit: Option<&str>) -> String {
    match unit {
        Some(u) if !u.is_empty() => {
            if u == "%" {
                format!("{v}{u}")
            } else {
                format!("{v} {u}")
            }
        }
        _ => v.to_string(),
    }
}

/// One line a manager reads in the evidence picker.
pub fn summary(f: &Fact, lang: Lang) -> String {
    let day = day_label(f.occurred_at, lang);
    let customer = f.customer.clone().unwrap_or_default();
    let tier = match (&f.tier, lang) {
        (Some(t), Lang::Zh) => format!("（{t}类）"),
        (Some(t), Lang::En) => format!(" ({t}-class)"),
        _ => String::new(),
    };
    let zh = lang == Lang::Zh;
    match f.kind {
        Some(EvidenceKind::Event(k)) => match k {
            EventKind::Evaluation => {
                let s = f.score.unwrap_or(0);
                if zh {
                    format!("{day} {customer}{tier}客户评价 {s} 分")
                } else {
                    format!("{day} {customer}{tier} rated the service {s}/5")
                }
            }
            EventKind::WorkOrder => {
                let m = f
                    .minutes
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "—".into());
                let parts = match f.parts {
                    Some((p, u)) if zh => format!("，备件 计划 {p} 用 {u}"),
                    Some((p, u)) => format!(", parts planned {p} used {u}"),
                    None => String::new(),
                };
                if zh {
                    format!("{day} {customer}{tier}服务工单，{m} 分钟到场{parts}")
                } else {
                    format!("{day} work order at {customer}{tier}, on site in {m} min{parts}")
                }
            }
            EventKind::Delivery => {
                let h = f.hours_early.unwrap_or(0);
                let when = match (zh, h) {
                    (true, h) if h > 0 => format!("提前 {h} 小时交付"),
                    (true, 0) => "按期交付".into(),
                    (true, h) => format!("延迟 {} 小时交付", -h),
                    (false, h) if h > 0 => format!("delivered {h} h early"),
                    (false, 0) => "delivered on time".into(),
                    (false, h) => format!("delivered {} h late", -h),
                };
                if zh {
                    format!("{day} {customer}{tier}项目{when}")
                } else {
                    format!("{day} project for {customer}{tier} {when}")
                }
            }
            EventKind::Snapshot => {
                let stage = f.detail.clone().unwrap_or_default();
                if zh {
                    format!("{day} {customer}{tier}商机进入“{stage}”")
                } else {
                    format!("{day} opportunity at {customer}{tier} reached \"{stage}\"")
                }
            }
            EventKind::Visit => {
                let purpose = f.detail.clone().unwrap_or_default();
                if zh {
                    format!(
                        "{day} 拜访{customer}{tier}（{purpose}），本期第 {} 次",
                        f.customer_events.max(1)
                    )
                } else {
                    format!(
                        "{day} visit to {customer}{tier} ({purpose}), {} this period",
                        f.customer_events.max(1)
                    )
                }
            }
            EventKind::ServiceTicket => {
                let topic = f.detail.clone().unwrap_or_default();
                let m = f.minutes.unwrap_or(0);
                let done = match (zh, f.resolved == Some(true)) {
                    (true, true) => "一次解决",
                    (true, false) => "未解决",
                    (false, true) => "resolved",
                    (false, false) => "not resolved",
                };
                if zh {
                    format!("{day} 客服工单“{topic}”，{m} 分钟{done}")
                } else {
                    format!("{day} ticket \"{topic}\", {m} min, {done}")
                }
            }
        },
        Some(EvidenceKind::FeedbackCard) => {
            let tags = f
                .ratings
                .iter()
                .map(|(t, r)| format!("{t} {r}"))
                .collect::<Vec<_>>()
                .join(if zh { "、" } else { ", " });
            let who = match (f.author_is_subject, lang) {
                (true, Lang::Zh) => "本人".to_string(),
                (true, Lang::En) => "themselves".to_string(),
                _ => f.author.clone().unwrap_or_default(),
            };
            let obs = f
                .observation
                .as_deref()
                .map(|o| {
                    if zh {
                        format!("：“{o}”")
                    } else {
                        format!(": \"{o}\"")
                    }
                })
                .unwrap_or_default();
            if zh {
                format!("{day} {who}的反馈卡（{tags}）{obs}")
            } else {
                format!("{day} card from {who} ({tags}){obs}")
            }
        }
        Some(EvidenceKind::GoalCheckIn) => {
            let m = f.metric.clone().unwrap_or_default();
            let b = with_unit(f.before.as_deref().unwrap_or("—"), f.unit.as_deref());
            let a = with_unit(f.after.as_deref().unwrap_or("—"), f.unit.as_deref());
            if zh {
                format!("{day} “{m}”从 {b} 更新到 {a}")
            } else {
                format!("{day} \"{m}\" moved from {b} to {a}")
            }
        }
        Some(EvidenceKind::GoalResult) => {
            let m = f.metric.clone().unwrap_or_default();
            let a = with_unit(f.after.as_deref().unwrap_or("—"), f.unit.as_deref());
            let t = with_unit(f.target.as_deref().unwrap_or("—"), f.unit.as_deref());
            let pct = f.progress_bp.unwrap_or(0) / 100;
            if zh {
                format!("“{m}”实际 {a}，目标 {t}，达成 {pct}%")
            } else {
                format!("\"{m}\" at {a} against {t}: {pct}% achieved")
            }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind, id: i64) -> Fact {
        Fact {
            r: Some(EvidenceRef::new(Source::Event, id)),
            kind: Some(EvidenceKind::Event(kind)),
            occurred_at: 1_790_000_000_000 + id,
            customer: Some("华山医院".into()),
            ..Fact::default()
        }
    }

    #[test]
    fn ids_carry_their_source() {
        for s in [Source::Event, Source::Card, Source::CheckIn, Source::Goal] {
            let r = EvidenceRef::new(s, 12345);
            assert_eq!(EvidenceRef::from_id(r.id()), Some(r));
        }
        assert_eq!(EvidenceRef::from_id(0), None);
        assert_eq!(EvidenceRef::from_id(-11), None);
        assert_eq!(EvidenceRef::from_id(125), None);
    }

    #[test]
    fn notable_records_come_first() {
        let mut top = ev(EventKind::Evaluation, 1);
        top.score = Some(5);
        top.tier = Some("A".into());
        let mut routine = ev(EventKind::ServiceTicket, 2);
        routine.resolved = Some(true);
        routine.minutes = Some(9);
        let mut visit = ev(EventKind::Visit, 3);
        visit.customer_events = 4;
        let mut praise = Fact {
            r: Some(EvidenceRef::new(Source::Card, 4)),
            kind: Some(EvidenceKind::FeedbackCard),
            ratings: vec![("专业".into(), 5), ("响应".into(), 5), ("沟通".into(), 4)],
            tag_repeats: 3,
            ..Fact::default()
        };
        praise.author = Some("王经理".into());
        let mut facts = vec![routine.clone(), visit.clone(), praise.clone(), top.clone()];
        rank(&mut facts);
        let order: Vec<i64> = facts.iter().map(Fact::id).collect();
        assert_eq!(order, vec![top.id(), praise.id(), visit.id(), routine.id()]);
    }

    #[test]
    fn summaries_cite_the_figures() {
        let mut w = ev(EventKind::WorkOrder, 7);
        w.minutes = Some(42);
        w.parts = Some((2, 1));
        w.tier = Some("A".into());
        let s = summary(&w, Lang::Zh);
        assert!(
            s.contains("华山医院（A类）") && s.contains("42 分钟到场") && s.contains("计划 2 用 1"),
            "{s}"
        );
        let g = Fact {
            r: Some(EvidenceRef::new(Source::CheckIn, 9)),
            kind: Some(EvidenceKind::GoalCheckIn),
            metric: Some("重点客户渗透率".into()),
            unit: Some("%".into()),
            before: Some("40".into()),
            after: Some("65".into()),
            target: Some("60".into()),
            ..Fact::default()
        };
        assert!(summary(&g, Lang::Zh).contains("从 40% 更新到 65%"));
        assert!(summary(&g, Lang::En).contains("from 40% to 65%"));
    }
}
