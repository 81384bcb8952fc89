//! Business events as performance evidence (P1–P5): one model for every
//! kind, with the per-kind fields checked here so the phone forms, the API
//! for CRMs and ticketing systems, and imports refuse the same things.

use serde_json::{Map, Value};

use crate::Problem;

/// The kinds of business event. The code (`as_str`) is what the API and
/// the database use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Visit,
    Snapshot,
    WorkOrder,
    ServiceTicket,
    Evaluation,
    Delivery,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::Visit,
        EventKind::Snapshot,
        EventKind::WorkOrder,
        EventKind::ServiceTicket,
        EventKind::Evaluation,
        EventKind::Delivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Visit => "visit",
            EventKind::Snapshot => "snapshot",
            EventKind::WorkOrder => "work_order",
            EventKind::ServiceTicket => "service_ticket",
            EventKind::Evaluation => "evaluation",
            EventKind::Delivery => "delivery",
        }
    }

    /// The stored code back to its kind; `None` for a code Pulse never wrote.
    pub fn from_code(code: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == code)
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        let (zh, en) = match self {
            EventKind::Visit => ("客户拜访", "Customer visit"),
            EventKind::Snapshot => ("商机进展快照", "Opportunity snapshot"),
            EventKind::WorkOrder => ("服务工单", "Service work order"),
            EventKind::ServiceTicket => ("客服工单", "Service ticket"),
            EventKind::Evaluation => ("客户评价", "Customer evaluation"),
            EventKind::Delivery => ("项目交付", "Project delivery"),
        };
        lang.pick(zh, en)
    }

    /// A feedback card can be written for it (F1: the card follows a visit;
    /// a service engineer's on-site work order counts as one).
    pub fn takes_feedback(self) -> bool {
        matches!(self, EventKind::Visit | EventKind::WorkOrder)
    }

    /// It is about a known CRM customer and so must name one. A visit may
    /// not: reps visit prospects before the CRM knows them (新客户开拓).
    pub fn needs_customer(self) -> bool {
        matches!(self, EventKind::Snapshot | EventKind::Evaluation)
    }
}

/// Opportunity stages of the snapshot form, in funnel order.
pub const STAGES: &[&str] = &[
    "初步接触",
    "需求确认",
    "方案报价",
    "商务谈判",
    "赢单",
    "输单",
];

/// See [`EventKind::needs_customer`]; false for an unknown code.
pub fn needs_customer(kind: &str) -> bool {
    EventKind::from_code(kind).is_some_and(EventKind::needs_customer)
}

/// The code for a kind as systems and people spell it (`customer_visit`,
/// `work-order`, `客户拜访` …); unknown spellings are returned as given.
pub fn normalize_kind(kind: &str) -> String {
    let k = kind.trim().to_lowercase().replace('-', "_");
    let code = match k.as_str() {
        "customer_visit" | "客户拜访" | "拜访" => "visit",
        "opportunity_snapshot" | "opportunity" | "商机进展快照" | "商机快照" => {
            "snapshot"
        }
        "service_work_order" | "workorder" | "服务工单" | "工单" => "work_order",
        "ticket" | "客服工单" => "service_ticket",
        "customer_evaluation" | "客户评价" => "evaluation",
        "project_delivery" | "项目交付" => "delivery",
        _ => return k,
    };
    code.to_string()
}

/// See [`EventKind::takes_feedback`]; false for an unknown code.
pub fn takes_feedback(kind: &str) -> bool {
    EventKind::from_code(kind).is_some_and(EventKind::takes_feedback)
}

pub fn kind_label(kind: &str, lang: crate::Lang) -> &str {
    EventKind::from_code(kind).map_or(kind, |k| k.label(lang))
}

fn invalid(code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(code, zh, en)
}

fn text(p: &Map<String, Value>, field: &str) -> Option<String> {
    p.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// A time field as ms since the epoch: a number, or an RFC 3339 string
/// (a time without offset is read as China time, as people type it).
pub fn parse_time(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_time_str(s),
        _ => None,
    }
}

pub fn parse_time_str(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let cst = crate::china_time::CST;
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return t
                .and_local_timezone(cst)
                .single()
                .map(|t| t.timestamp_millis());
        }
    }
    None
}

fn time_field(p: &Map<String, Value>, field: &str, zh: &str) -> Result<Option<i64>, Problem> {
    match p.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => parse_time(v).map(Some).ok_or_else(|| {
            invalid(
                "invalid_time",
                format!("“{zh}”({field}) 不是有效时间，请用 2026-11-28T10:30:00+08:00 这样的格式"),
                format!("{field} is not a valid time; use e.g. 2026-11-28T10:30:00+08:00"),
            )
        }),
    }
}

fn count_field(p: &Map<String, Value>, field: &str, zh: &str) -> Result<Option<i64>, Problem> {
    match p.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if (0..=100_000).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(
                "invalid_count",
                format!("“{zh}”({field}) 必须是 0 到 100000 的整数"),
                format!("{field} must be a whole number from 0 to 100000"),
            )),
        },
    }
}

/// Checks a payload for its kind. Unknown extra fields are kept: a CRM's
/// own fields travel with the event as evidence.
pub fn check(kind: &str, payload: &Map<String, Value>) -> Result<(), Problem> {
    let Some(kind) = EventKind::from_code(kind) else {
        let list: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(invalid(
            "invalid_event_type",
            format!("未知的事件类型“{kind}”，可用：{}", list.join("、")),
            format!(
                "unknown event type \"{kind}\"; use one of {}",
                list.join(", ")
            ),
        ));
    };
    if let Some(note) = text(payload, "note")
        && crate::feedback::grapheme_len(&note) > 500
    {
        return Err(invalid(
            "note_too_long",
            "备注最多 500 个字".into(),
            "the note is at most 500 characters".into(),
        ));
    }
    match kind {
        EventKind::Snapshot => {
            let stage = text(payload, "stage").unwrap_or_default();
            if !STAGES.contains(&stage.as_str()) {
                return Err(invalid(
                    "invalid_stage",
                    format!("商机阶段必须是：{}", STAGES.join("、")),
                    format!("stage must be one of {}", STAGES.join(", ")),
                ));
            }
            let next = text(payload, "next_step").unwrap_or_default();
            let n = crate::feedback::grapheme_len(&next);
            if n == 0 || n > 100 {
                return Err(invalid(
                    "next_step_required",
                    "请写下一步（1–100 个字）".into(),
                    "write the next step (1–100 characters)".into(),
                ));
            }
        }
        EventKind::WorkOrder => {
            let reported = time_field(payload, "reported_at", "报修时间")?;
            let arrived = time_field(payload, "arrived_at", "到场时间")?;
            let resolved = time_field(payload, "resolved_at", "解决时间")?;
            let Some(reported) = reported else {
                return Err(invalid(
                    "reported_at_required",
                    "服务工单需要报修时间 (reported_at)".into(),
                    "a work order needs reported_at".into(),
                ));
            };
            if let Some(a) = arrived
                && a < reported
            {
                return Err(invalid(
                    "arrived_before_reported",
                    "到场时间早于报修时间".into(),
                    "arrived_at is before reported_at".into(),
                ));
            }
            if let Some(r) = resolved {
                if r < reported {
                    return Err(invalid(
                        "resolved_before_reported",
                        "解决时间早于报修时间".into(),
                        "resolved_at is before reported_at".into(),
                    ));
                }
                if arrived.is_some_and(|a| r < a) {
                    return Err(invalid(
                        "resolved_before_arrived",
                        "解决时间早于到场时间".into(),
                        "resolved_at is before arrived_at".into(),
                    ));
                }
            }
            count_field(payload, "parts_planned", "计划备件数")?;
            count_field(payload, "parts_used", "实际使用备件数")?;
        }
        EventKind::Evaluation => match payload.get("score").and_then(Value::as_i64) {
            Some(1..=5) => {}
            _ => {
                return Err(invalid(
                    "invalid_score",
                    "客户评价的评分 (score) 必须是 1–5 的整数".into(),
                    "an evaluation's score must be a whole number from 1 to 5".into(),
                ));
            }
        },
        EventKind::Delivery => {
            let due = time_field(payload, "due_at", "承诺交付时间")?;
            let done = time_field(payload, "delivered_at", "实际交付时间")?;
            if due.is_none() || done.is_none() {
                return Err(invalid(
                    "delivery_times_required",
                    "项目交付需要承诺交付时间 (due_at) 和实际交付时间 (delivered_at)".into(),
                    "a delivery needs due_at and delivered_at".into(),
                ));
            }
        }
        EventKind::ServiceTicket => {
            for (field, zh) in [
                ("emotional", "客户是否情绪激动"),
                ("soothed", "是否安抚成功"),
            ] {
                if payload
                    .get(field)
                    .is_some_and(|v| !v.is_boolean() && !v.is_null())
                {
                    return Err(invalid(
                        "invalid_ticket_flag",
                        format!("客服工单的“{zh}” ({field}) 应为 true 或 false"),
                        format!("a service ticket's {field} must be true or false"),
                    ));
                }
            }
            let flag = |f: &str| payload.get(f).and_then(Value::as_bool) == Some(true);
            if flag("soothed") && !flag("emotional") {
                return Err(invalid(
                    "soothed_without_emotion",
                    "只有客户情绪激动 (emotional: true) 的工单才有“安抚成功” (soothed)".into(),
                    "a ticket can be soothed only when the customer was upset (emotional: true)"
                        .into(),
                ));
            }
        }
        EventKind::Visit => {}
    }
    Ok(())
}

/// Response time (时效) of a work order in minutes: reported → arrived.
pub fn response_minutes(payload: &Map<String, Value>) -> Option<i64> {
    let reported = payload.get("reported_at").and_then(parse_time)?;
    let arrived = payload.get("arrived_at").and_then(parse_time)?;
    Some((arrived - reported) / 60_000)
}

/// Spare parts (planned, used) of a work order.
pub fn parts(payload: &Map<String, Value>) -> Option<(i64, i64)> {
    let planned = payload.get("parts_planned").and_then(Value::as_i64)?;
    let used = payload.get("parts_used").and_then(Value::as_i64)?;
    Some((planned, used))
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_the_table_agrees() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_code(k.as_str()), Some(k));
            assert_eq!(normalize_kind(k.as_str()), k.as_str());
            assert_eq!(normalize_kind(k.label(crate::Lang::Zh)), k.as_str());
        }
        assert_eq!(EventKind::from_code("meeting"), None);
        assert!(!takes_feedback("meeting") && !needs_customer("meeting"));
        assert_eq!(kind_label("meeting", crate::Lang::Zh), "meeting");
        let cards: Vec<_> = EventKind::ALL
            .into_iter()
            .filter(|k| k.takes_feedback())
            .collect();
        assert_eq!(cards, [EventKind::Visit, EventKind::WorkOrder]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn kinds_and_their_fields_are_checked() {
        let code = |k: &str, v: Value| check(k, &obj(v)).err().map(|p| p.code);
        assert_eq!(code("visit", json!({})), None);
        // 客户情绪安抚 (L2): flags are booleans; calming needs an upset customer.
        assert_eq!(
            code(
                "service_ticket",
                json!({"emotional": true, "soothed": false})
            ),
            None
        );
        assert_eq!(code("service_ticket", json!({"emotional": false})), None);
        assert_eq!(
            code("service_ticket", json!({"emotional": "是"})),
            Some("invalid_ticket_flag")
        );
        assert_eq!(
            code("service_ticket", json!({"soothed": true})),
            Some("soothed_without_emotion")
        );
        assert_eq!(normalize_kind("Customer-Visit"), "visit");
        assert_eq!(normalize_kind("服务工单"), "work_order");
        assert!(!needs_customer("visit") && needs_customer("snapshot"));
        assert_eq!(code("meeting", json!({})), Some("invalid_event_type"));
        assert_eq!(
            code(
                "snapshot",
                json!({"stage": "需求确认", "next_step": "周五送样"})
            ),
            None
        );
        assert_eq!(
            code("snapshot", json!({"stage": "随便", "next_step": "x"})),
            Some("invalid_stage")
        );
        assert_eq!(
            code("snapshot", json!({"stage": "赢单", "next_step": " "})),
            Some("next_step_required")
        );
        assert_eq!(
            code("evaluation", json!({"score": 6})),
            Some("invalid_score")
        );
        assert_eq!(code("evaluation", json!({"score": 5})), None);
        assert_eq!(
            code("delivery", json!({"due_at": "2026-11-01T00:00:00+08:00"})),
            Some("delivery_times_required")
        );
    }

    #[test]
    fn a_work_order_cannot_be_resolved_before_it_was_reported() {
        let code = |v: Value| check("work_order", &obj(v)).err().map(|p| p.code);
        let ok = json!({"reported_at": "2026-11-28T09:00:00+08:00", "arrived_at": "2026-11-28T10:30:00+08:00",
                        "resolved_at": "2026-11-28T12:00:00+08:00", "parts_planned": 3, "parts_used": 2});
        assert_eq!(code(ok.clone()), None);
        assert_eq!(response_minutes(&obj(ok.clone())), Some(90));
        assert_eq!(parts(&obj(ok)), Some((3, 2)));
        assert_eq!(
            code(
                json!({"reported_at": "2026-11-28T09:00:00+08:00", "resolved_at": "2026-11-28T08:59:00+08:00"})
            ),
            Some("resolved_before_reported")
        );
        assert_eq!(code(json!({"arrived_at": 1})), Some("reported_at_required"));
        assert_eq!(code(json!({"reported_at": "昨天"})), Some("invalid_time"));
        assert_eq!(
            code(json!({"reported_at": 0, "parts_used": -1})),
            Some("invalid_count")
        );
    }

    #[test]
    fn times_without_offset_are_china_time() {
        assert_eq!(
            parse_time_str("2026-11-28 08:00"),
            parse_time_str("2026-11-28T00:00:00Z")
        );
        assert_eq!(
            parse_time(&json!(1_700_000_000_000i64)),
            Some(1_700_000_000_000)
        );
    }
}
