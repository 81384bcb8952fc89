//! The org-health API's shapes, and the sentences that say how each figure
//! was computed (the same on the page, the API and the workbook).

use pulse_domain::Lang;
use pulse_domain::china_time::day_of_ms;
use pulse_store::health::dashboard::{Dashboard, Metric, Operation, Reading};
use pulse_store::org::Tree;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthUnit)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
}

/// One computed reading with the raw figures behind it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HealthReading)]
pub struct ReadingDto {
    /// The round's or survey's name, or the month (`2026-11`).
    pub label: String,
    /// First day counted (China time).
    pub from: String,
    /// Last day counted.
    pub to: String,
    pub value: Option<f64>,
    /// What was counted: aligned people, clear answers, actions, cards.
    pub count: i64,
    /// Out of: verified people, answers, people.
    pub of: i64,
    /// The 95 % Wilson interval, percent, for sampled shares.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Hidden by the anonymity rule (fewer respondents than the minimum, or a small sibling).
    pub suppressed: bool,
    /// How it was computed, in words.
    pub computed: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthMetric)]
pub struct MetricDto {
    /// `alignment`, `trust` or `engagement`.
    pub key: String,
    pub label: String,
    /// `percent` or `per_week`.
    pub unit: String,
    pub baseline: Option<f64>,
    pub now: Option<f64>,
    pub target: Option<f64>,
    /// How many people (or answers) `now` is computed from.
    pub n: i64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub baseline_reading: Option<ReadingDto>,
    pub now_reading: Option<ReadingDto>,
    /// Oldest first.
    pub trend: Vec<ReadingDto>,
}

/// The operational figures; a figure without data is null.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthOperations)]
pub struct OperationsDto {
    /// Feedback cards received per frontline person per week, last complete month.
    pub feedback_per_person_week: Option<f64>,
    /// Median active writing time of submitted reviews, latest cycle, minutes.
    pub review_minutes_median: Option<f64>,
    /// Mean hours from a target-adjustment request to its decision, last 90 days.
    pub adjustment_response_hours: Option<f64>,
    /// Median live → finalized time of calibration sessions, minutes.
    pub calibration_minutes_median: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthOperation)]
pub struct OperationDto {
    pub key: String,
    pub label: String,
    pub value: Option<f64>,
    /// The first period's value, where there is one.
    pub baseline: Option<f64>,
    pub count: i64,
    pub of: i64,
    pub from: Option<String>,
    pub to: Option<String>,
    pub computed: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthHeatCell)]
pub struct HeatCellDto {
    pub metric: String,
    pub value: Option<f64>,
    pub n: i64,
    pub suppressed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthHeatRow)]
pub struct HeatRowDto {
    pub code: String,
    pub name: String,
    pub cells: Vec<HeatCellDto>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HealthDashboard)]
pub struct DashboardDto {
    /// The unit shown; null = the whole company.
    pub unit: Option<UnitRef>,
    /// Active frontline staff in it.
    pub people: i64,
    /// Today (China time); months counted end before this month.
    pub as_of: String,
    pub metrics: Vec<MetricDto>,
    pub operations: OperationsDto,
    pub operations_detail: Vec<OperationDto>,
    /// Units × metric (alignment, trust, engagement), latest readings, anonymity rules applied.
    pub heatmap: Vec<HeatRowDto>,
}

fn day(ms: i64) -> String {
    day_of_ms(ms).format("%Y-%m-%d").to_string()
}

/// The last day a half-open range `[from, to)` covers.
fn last_day(from: i64, to: i64) -> String {
    day(if to > from { to - 1 } else { to })
}

pub fn metric_label(key: &str, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match key {
        "alignment" if zh => "目标对齐度",
        "alignment" => "Goal alignment",
        "trust" if zh => "反馈信任度",
        "trust" => "Feedback trust",
        "engagement" if zh => "发展获得感",
        "engagement" => "Development engagement",
        "feedback_per_person_week" if zh => "人均每周反馈卡",
        "feedback_per_person_week" => "Feedback cards per person per week",
        "review_minutes_median" if zh => "评语撰写时间（中位数）",
        "review_minutes_median" => "Review writing time (median)",
        "adjustment_response_hours" if zh => "目标微调响应时间（平均）",
        "adjustment_response_hours" => "Target adjustment response (mean)",
        "calibration_minutes_median" if zh => "校准会时长（中位数）",
        "calibration_minutes_median" => "Calibration session length (median)",
        _ => "",
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}%"))
}

/// How one reading was computed, in the reader's language.
pub fn computed(key: &str, r: &Reading, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let (from, to) = (day(r.from_ms), last_day(r.from_ms, r.to_ms));
    if r.suppressed {
        return if zh {
            format!("{}：回答人数不足最小展示人数，按匿名规则不显示", r.label)
        } else {
            format!(
                "{}: too few respondents to show under the anonymity rule",
                r.label
            )
        };
    }
    let ci = r
        .interval
        .map(|(l, h)| {
            if zh {
                format!("（95% 置信区间 {l:.0}%–{h:.0}%）")
            } else {
                format!(" (95 % interval {l:.0}–{h:.0} %)")
            }
        })
        .unwrap_or_default();
    match (key, zh) {
        ("alignment", true) => format!(
            "{}（{from} 至 {to}）：已核实的 {} 人中，{} 人至少 2 项工作经 HRBP 核实支撑公司 TOP 目标 = {}{ci}",
            r.label,
            r.of,
            r.count,
            pct(r.value)
        ),
        ("alignment", false) => format!(
            "{} ({from} to {to}): of {} verified people, {} have at least 2 tasks an HRBP confirmed support a company TOP goal = {}{ci}",
            r.label,
            r.of,
            r.count,
            pct(r.value)
        ),
        ("trust", true) => format!(
            "{}（{from} 至 {to}）：{} 份匿名回答中 {} 份选“非常清楚”或“比较清楚” = {}{ci}",
            r.label,
            r.of,
            r.count,
            pct(r.value)
        ),
        ("trust", false) => format!(
            "{} ({from} to {to}): {} of {} anonymous answers were very or fairly clear = {}{ci}",
            r.label,
            r.count,
            r.of,
            pct(r.value)
        ),
        ("engagement", true) => format!(
            "{from} 至 {to}：{} 名在岗一线员工查看本人能力雷达与点击发展建议共 {} 次，÷ 人数 ÷ 周数 = {} 次/人/周",
            r.of,
            r.count,
            r.value.map_or("—".into(), |v| format!("{v:.2}"))
        ),
        ("engagement", false) => format!(
            "{from} to {to}: {} active frontline staff viewed their own radar or clicked a development suggestion {} times, ÷ people ÷ weeks = {} a week each",
            r.of,
            r.count,
            r.value.map_or("—".into(), |v| format!("{v:.2}"))
        ),
        ("feedback_per_person_week", true) => format!(
            "{from} 至 {to}：{} 名在岗一线员工共收到 {} 张反馈卡，÷ 人数 ÷ 周数 = {}",
            r.of,
            r.count,
            r.value.map_or("—".into(), |v| format!("{v:.2}"))
        ),
        (_, _) => format!(
            "{from} to {to}: {} active frontline staff received {} feedback cards, ÷ people ÷ weeks = {}",
            r.of,
            r.count,
            r.value.map_or("—".into(), |v| format!("{v:.2}"))
        ),
    }
}

fn reading(key: &str, r: &Reading, lang: Lang) -> ReadingDto {
    ReadingDto {
        label: r.label.clone(),
        from: day(r.from_ms),
        to: last_day(r.from_ms, r.to_ms),
        value: r.value,
        count: r.count,
        of: r.of,
        ci_low: r.interval.map(|i| i.0),
        ci_high: r.interval.map(|i| i.1),
        suppressed: r.suppressed,
        computed: computed(key, r, lang),
    }
}

fn metric(m: &Metric, lang: Lang) -> MetricDto {
    let now = m.now.as_ref();
    MetricDto {
        key: m.key.into(),
        label: metric_label(m.key, lang).into(),
        unit: if m.key == "engagement" {
            "per_week"
        } else {
            "percent"
        }
        .into(),
        baseline: m.baseline.as_ref().and_then(|r| r.value),
        now: now.and_then(|r| r.value),
        target: m.target,
        n: now.map_or(0, |r| r.of),
        ci_low: now.and_then(|r| r.interval).map(|i| i.0),
        ci_high: now.and_then(|r| r.interval).map(|i| i.1),
        baseline_reading: m.baseline.as_ref().map(|r| reading(m.key, r, lang)),
        now_reading: now.map(|r| reading(m.key, r, lang)),
        trend: m.trend.iter().map(|r| reading(m.key, r, lang)).collect(),
    }
}

/// How an operational figure was computed.
pub fn operation_text(o: &Operation, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    if o.value.is_none() {
        return if zh { "暂无数据" } else { "no data yet" }.into();
    }
    let v = o.value.unwrap_or_default();
    let (from, to) = (day(o.from_ms), last_day(o.from_ms, o.to_ms));
    match (o.key, zh) {
        ("review_minutes_median", true) => format!(
            "{}：{} 份已提交评语的有效撰写时间（停顿超过 5 分钟不计）中位数 = {v:.1} 分钟",
            o.label, o.count
        ),
        ("review_minutes_median", false) => format!(
            "{}: the median active writing time (pauses over 5 minutes not counted) of {} submitted reviews = {v:.1} min",
            o.label, o.count
        ),
        ("adjustment_response_hours", true) => format!(
            "{from} 至 {to}：{} 个已审批的目标微调申请，从提交到审批共 {} 分钟，平均 = {v:.1} 小时",
            o.of, o.count
        ),
        ("adjustment_response_hours", false) => format!(
            "{from} to {to}: {} decided target-adjustment requests waited {} minutes in all, mean = {v:.1} h",
            o.of, o.count
        ),
        ("calibration_minutes_median", true) => format!(
            "{} 场已定稿的校准会（{}），从开始评议到定稿的时长中位数 = {v:.1} 分钟",
            o.count, o.label
        ),
        ("calibration_minutes_median", false) => format!(
            "{} finalized calibration sessions ({}), median time from going live to final = {v:.1} min",
            o.count, o.label
        ),
        _ => computed(
            "feedback_per_person_week",
            &Reading {
                label: o.label.clone(),
                from_ms: o.from_ms,
                to_ms: o.to_ms,
                value: o.value,
                count: o.count,
                of: o.of,
                interval: None,
                suppressed: false,
            },
            lang,
        ),
    }
}

pub fn dashboard_dto(
    d: &Dashboard,
    tree: &Tree,
    today: chrono::NaiveDate,
    lang: Lang,
) -> DashboardDto {
    let op = |k: &str| {
        d.operations
            .iter()
            .find(|o| o.key == k)
            .and_then(|o| o.value)
    };
    const KEYS: [&str; 3] = ["alignment", "trust", "engagement"];
    DashboardDto {
        unit: d.unit.and_then(|u| tree.get(u)).map(|u| UnitRef {
            code: u.code.clone(),
            name: u.name.clone(),
        }),
        people: d.people,
        as_of: today.format("%Y-%m-%d").to_string(),
        metrics: d.metrics.iter().map(|m| metric(m, lang)).collect(),
        operations: OperationsDto {
            feedback_per_person_week: op("feedback_per_person_week"),
            review_minutes_median: op("review_minutes_median"),
            adjustment_response_hours: op("adjustment_response_hours"),
            calibration_minutes_median: op("calibration_minutes_median"),
        },
        operations_detail: d
            .operations
            .iter()
            .map(|o| OperationDto {
                key: o.key.into(),
                label: metric_label(o.key, lang).into(),
                value: o.value,
                baseline: o.baseline,
                count: o.count,
                of: o.of,
                from: o.value.map(|_| day(o.from_ms)),
                to: o.value.map(|_| last_day(o.from_ms, o.to_ms)),
                computed: operation_text(o, lang),
            })
            .collect(),
        heatmap: d
            .heatmap
            .iter()
            .map(|r| HeatRowDto {
                code: r.code.clone(),
                name: r.name.clone(),
                cells: r
                    .cells
                    .iter()
                    .zip(KEYS)
                    .map(|(c, k)| HeatCellDto {
                        metric: k.into(),
                        value: c.as_ref().and_then(|c| c.value),
                        n: c.as_ref().filter(|c| !c.suppressed).map_or(0, |c| c.of),
                        suppressed: c.as_ref().is_some_and(|c| c.suppressed),
                    })
                    .collect(),
            })
            .collect(),
    }
}
