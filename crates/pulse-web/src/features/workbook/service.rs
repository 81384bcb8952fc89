//! The team workbook (X2): everything a manager used to merge by hand from
//! several Excel files, for the caller's scope and one period, one sheet per
//! subject. Reading is a few queries per 500 people; writing goes row by row
//! to temporary files and the zip streams out as it is written.

use std::collections::HashMap;
use std::io::Write;

use chrono::NaiveDateTime;
use pulse_domain::Lang;
use pulse_domain::events::EventKind;
use pulse_domain::goals::{GoalKind, is_weighted};
use pulse_sheets::{Cell, Column, ColumnKind as K, WorkbookStream, XlsxError, col};
use pulse_store::accounts::Caller;
use pulse_store::goals::{self, Goal, Period};
use pulse_store::people::{self, PeopleQuery, Person};
use pulse_store::workbook::{self as wb, CardRow, CheckIn, EventCount, PointsRow};

use crate::AppState;
use crate::error::AppResult;

/// Everything the workbook shows, read before a byte is written.
pub struct TeamData {
    pub period: Period,
    pub caller_name: String,
    pub generated_ms: i64,
    pub people: Vec<Person>,
    pub goals: HashMap<i64, Vec<Goal>>,
    pub check_ins: Vec<CheckIn>,
    pub events: Vec<EventCount>,
    pub cards: Vec<CardRow>,
    pub points: HashMap<i64, PointsRow>,
    pub reviews: Vec<pulse_store::reviews::Review>,
}

/// Reads the caller's scope for `period`: every person they may see (those
/// who left too, their period still counts) and each subject of the period.
pub async fn gather(state: &AppState, caller: &Caller, period: Period) -> AppResult<TeamData> {
    let query = PeopleQuery {
        status: None,
        ..Default::default()
    };
    let people = people::list_all(&state.db, &caller.viewer(), &query).await?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let from = pulse_domain::china_time::day_start_ms(period.starts_on);
    let to =
        pulse_domain::china_time::day_start_ms(period.ends_on.succ_opt().unwrap_or(period.ends_on));
    let db = &state.db;
    Ok(TeamData {
        goals: goals::goals_of_people(db, &ids, period.id).await?,
        check_ins: wb::check_ins(db, &ids, period.id).await?,
        events: wb::event_counts(db, &ids, from, to).await?,
        cards: wb::cards(db, &ids, from, to).await?,
        points: wb::points(db, &ids, from, to).await?,
        // One's own review only once it is released to one.
        reviews: pulse_store::reviews::of_people(db, &ids, period.id)
            .await?
            .into_iter()
            .filter(|r| r.person_id != caller.person_id || r.state().visible_to_employee())
            .collect(),
        generated_ms: db.now_ms(),
        caller_name: caller.name.clone(),
        period,
        people,
    })
}

pub fn file_name(period: &Period) -> String {
    format!("团队工作簿-{}.xlsx", period.code)
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt_text(s: Option<&str>) -> Cell {
    s.map(text).unwrap_or(Cell::Empty)
}

fn int(n: i64) -> Cell {
    Cell::Number(n as f64)
}

/// Basis points as the fraction Excel's percent format expects.
fn bp(n: i64) -> Cell {
    Cell::Number(n as f64 / 10_000.0)
}

/// A stored decimal (target, actual) as a number; text Excel cannot read
/// as one stays text rather than vanishing.
fn decimal(s: Option<&str>) -> Cell {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Cell::Empty,
        Some(v) => v
            .parse::<f64>()
            .map(Cell::Number)
            .unwrap_or_else(|_| text(v)),
    }
}

fn when(ms: i64) -> Cell {
    pulse_domain::china_time::at(ms)
        .map(|t| Cell::DateTime(t.naive_local()))
        .unwrap_or(Cell::Empty)
}

fn date_time(ms: i64) -> Option<NaiveDateTime> {
    pulse_domain::china_time::at(ms).map(|t| t.naive_local())
}

fn status_label(s: &str) -> &'static str {
    match s {
        "left" => "离职",
        _ => "在职",
    }
}

fn kind_label(code: &str) -> String {
    EventKind::from_code(code)
        .map(|k| k.label(Lang::Zh).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn goal_kind_label(code: &str) -> &'static str {
    match GoalKind::parse(code) {
        Some(GoalKind::Kpi) => "KPI",
        Some(GoalKind::Objective) => "目标（O）",
        Some(GoalKind::KeyResult) => "关键结果（KR）",
        Some(GoalKind::Company) => "公司目标",
        None => "其他",
    }
}

const COVER: &[Column] = &[col("项目", K::Text, 14.0), col("内容", K::Text, 48.0)];

const PEOPLE: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("部门", K::Text, 20.0),
    col("岗位族", K::Text, 12.0),
    col("职级", K::Text, 8.0),
    col("直属上级", K::Text, 10.0),
    col("入职日期", K::Date, 12.0),
    col("在职状态", K::Text, 9.0),
    col("加权得分", K::Percent, 10.0),
    col("本期业务事件", K::Integer, 12.0),
    col("本期反馈卡", K::Integer, 11.0),
    col("积分余额", K::Integer, 10.0),
];

const GOALS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("部门", K::Text, 20.0),
    col("类型", K::Text, 12.0),
    col("指标编码", K::Text, 10.0),
    col("指标名称", K::Text, 22.0),
    col("单位", K::Text, 8.0),
    col("目标值", K::Decimal, 10.0),
    col("实际值", K::Decimal, 10.0),
    col("进度", K::Percent, 9.0),
    col("基础权重", K::Percent, 10.0),
    col("当前权重（含规则）", K::Percent, 16.0),
    col("得分贡献", K::Percent, 10.0),
    col("周期", K::Text, 10.0),
];

const CHECK_INS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("指标名称", K::Text, 22.0),
    col("打卡时间", K::DateTime, 17.0),
    col("实际值", K::Decimal, 10.0),
    col("备注", K::Text, 30.0),
    col("操作人", K::Text, 18.0),
];

const EVENTS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("部门", K::Text, 20.0),
    col("事件类型", K::Text, 14.0),
    col("次数", K::Integer, 8.0),
    col("最近一次", K::DateTime, 17.0),
];

const CARDS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("填写时间", K::DateTime, 17.0),
    col("事件类型", K::Text, 12.0),
    col("客户", K::Text, 22.0),
    col("标签1", K::Text, 10.0),
    col("评分1", K::Integer, 7.0),
    col("标签2", K::Text, 10.0),
    col("评分2", K::Integer, 7.0),
    col("标签3", K::Text, 10.0),
    col("评分3", K::Integer, 7.0),
    col("平均分", K::Decimal, 8.0),
    col("观察", K::Text, 30.0),
    col("获得积分", K::Integer, 9.0),
    col("主管回复", K::Text, 30.0),
    col("回复人", K::Text, 10.0),
    col("回复时间", K::DateTime, 17.0),
    col("确认", K::Text, 12.0),
];

const POINTS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("部门", K::Text, 20.0),
    col("积分余额", K::Integer, 10.0),
    col("本期获得", K::Integer, 10.0),
    col("本期兑换", K::Integer, 10.0),
];

const REVIEWS: &[Column] = &[
    col("工号", K::Text, 10.0),
    col("姓名", K::Text, 10.0),
    col("部门", K::Text, 20.0),
    col("评价周期", K::Text, 22.0),
    col("评价人", K::Text, 10.0),
    col("状态", K::Text, 9.0),
    col("综合评分", K::Decimal, 9.0),
    col("校准后评分", K::Decimal, 10.0),
    col("目标加权得分", K::Percent, 12.0),
    col("修改处数", K::Integer, 9.0),
    col("撰写分钟", K::Decimal, 9.0),
    col("提交时间", K::DateTime, 17.0),
    col("发布时间", K::DateTime, 17.0),
    col("员工确认时间", K::DateTime, 17.0),
    col("员工留言", K::Text, 20.0),
    col("评语", K::Text, 60.0),
];

/// Writes the workbook of `data` to `out`.
pub fn write(data: &TeamData, out: impl Write + Send) -> Result<(), XlsxError> {
    build(data)?.save_to(out)
}

/// Writes every sheet of `data` (to temporary files); saving it is left to
/// the caller, so a failure here can still be answered with an error page
/// before the first byte of the download leaves.
pub fn build(data: &TeamData) -> Result<WorkbookStream, XlsxError> {
    let by_id: HashMap<i64, &Person> = data.people.iter().map(|p| (p.id, p)).collect();
    let mut events_of: HashMap<i64, i64> = HashMap::new();
    for e in &data.events {
        *events_of.entry(e.person_id).or_default() += e.count;
    }
    let mut cards_of: HashMap<i64, i64> = HashMap::new();
    for c in &data.cards {
        *cards_of.entry(c.author_id).or_default() += 1;
    }
    let mut book = WorkbookStream::new();

    let mut s = book.sheet("说明", COVER)?;
    let generated = date_time(data.generated_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    for (k, v) in [
        (
            "周期",
            format!(
                "{}（{} 至 {}）",
                data.period.name, data.period.starts_on, data.period.ends_on
            ),
        ),
        (
            "范围",
            format!("{} 可查看的 {} 人", data.caller_name, data.people.len()),
        ),
        ("生成时间", format!("{generated}（北京时间）")),
        (
            "工作表",
            "人员、目标与权重、打卡记录、业务事件、反馈卡、积分；每张表首行已冻结并可筛选".into(),
        ),
    ] {
        s.row(&[text(k), Cell::Text(v)])?;
    }
    s.finish()?;

    let mut s = book.sheet("人员", PEOPLE)?;
    for p in &data.people {
        let goals = data.goals.get(&p.id).map(Vec::as_slice).unwrap_or_default();
        s.row(&[
            text(&p.employee_no),
            text(&p.name),
            text(&p.org_unit_name),
            text(&p.job_family),
            text(&p.level),
            opt_text(p.manager_name.as_deref()),
            p.hire_date.map(Cell::Date).unwrap_or(Cell::Empty),
            text(status_label(&p.status)),
            bp(goals::weighted_score_bp(goals)),
            int(events_of.get(&p.id).copied().unwrap_or(0)),
            int(cards_of.get(&p.id).copied().unwrap_or(0)),
            int(data.points.get(&p.id).map(|r| r.balance).unwrap_or(0)),
        ])?;
    }
    s.finish()?;

    let mut s = book.sheet("目标与权重", GOALS)?;
    for p in &data.people {
        for g in data.goals.get(&p.id).map(Vec::as_slice).unwrap_or_default() {
            let weighted = is_weighted(&g.kind);
            let weight = |v: i64| if weighted { bp(v) } else { Cell::Empty };
            s.row(&[
                text(&p.employee_no),
                text(&p.name),
                text(&p.org_unit_name),
                text(goal_kind_label(&g.kind)),
                opt_text(g.metric_code.as_deref()),
                text(&g.title),
                opt_text(g.unit.as_deref().filter(|u| !u.is_empty())),
                decimal(g.target.as_deref()),
                decimal(g.actual.as_deref()),
                bp(g.progress_bp),
                weight(g.base_weight_bp),
                weight(g.weight_bp),
                weight(g.weight_bp * g.progress_bp / 10_000),
                text(&data.period.code),
            ])?;
        }
    }
    s.finish()?;

    let mut s = book.sheet("打卡记录", CHECK_INS)?;
    for c in &data.check_ins {
        let Some(p) = by_id.get(&c.person_id) else {
            continue;
        };
        s.row(&[
            text(&p.employee_no),
            text(&p.name),
            text(&c.goal_title),
            when(c.at_ms),
            decimal(Some(&c.actual)),
            text(&c.note),
            text(&c.by),
        ])?;
    }
    s.finish()?;

    let mut s = book.sheet("业务事件", EVENTS)?;
    for e in &data.events {
        let Some(p) = by_id.get(&e.person_id) else {
            continue;
        };
        s.row(&[
            text(&p.employee_no),
            text(&p.name),
            text(&p.org_unit_name),
            Cell::Text(kind_label(&e.kind)),
            int(e.count),
            when(e.last_ms),
        ])?;
    }
    s.finish()?;

    let mut s = book.sheet("反馈卡", CARDS)?;
    for c in &data.cards {
        let Some(p) = by_id.get(&c.author_id) else {
            continue;
        };
        let mut row = vec![
            text(&p.employee_no),
            text(&p.name),
            when(c.created_ms),
            Cell::Text(kind_label(&c.event_kind)),
            opt_text(c.customer.as_deref()),
        ];
        for i in 0..3 {
            match c.ratings.get(i) {
                Some((tag, r)) => row.extend([text(tag), int(*r)]),
                None => row.extend([Cell::Empty, Cell::Empty]),
            }
        }
        let avg = if c.ratings.is_empty() {
            Cell::Empty
        } else {
            let sum: i64 = c.ratings.iter().map(|(_, r)| r).sum();
            Cell::Number((sum as f64 / c.ratings.len() as f64 * 100.0).round() / 100.0)
        };
        row.extend([avg, text(&c.observation), int(c.points)]);
        // Several replies share one cell, oldest first, so a card stays one row.
        let replies: Vec<&str> = c.replies.iter().map(|(_, body, _)| body.as_str()).collect();
        let mut from: Vec<&str> = c.replies.iter().map(|(who, _, _)| who.as_str()).collect();
        from.dedup();
        row.extend([
            if replies.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(replies.join("\n"))
            },
            if from.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(from.join("、"))
            },
            c.replies
                .last()
                .map(|(_, _, at)| when(*at))
                .unwrap_or(Cell::Empty),
            opt_text(c.ack.as_deref().map(ack_label)),
        ]);
        s.row(&row)?;
    }
    s.finish()?;

    let mut s = book.sheet("绩效评价", REVIEWS)?;
    for r in &data.reviews {
        let rating =
            |x: Option<f64>| decimal(x.map(pulse_domain::reviews::format_rating).as_deref());
        s.row(&[
            text(&r.employee_no),
            text(&r.name),
            text(&r.org_unit_name),
            text(&r.cycle_name),
            text(&r.reviewer_name),
            text(r.state().label(pulse_domain::Lang::Zh)),
            rating(r.rating),
            rating(r.calibrated_rating),
            r.goal_score_bp.map_or(Cell::Empty, bp),
            r.edit_count.map_or(Cell::Empty, int),
            decimal(
                r.writing_seconds
                    .map(|s| format!("{:.1}", s as f64 / 60.0))
                    .as_deref(),
            ),
            r.submitted_at.map_or(Cell::Empty, when),
            r.released_at.map_or(Cell::Empty, when),
            r.acknowledged_at.map_or(Cell::Empty, when),
            text(&r.ack_comment),
            text(&r.body),
        ])?;
    }
    s.finish()?;

    let mut s = book.sheet("积分", POINTS)?;
    for p in &data.people {
        let r = data.points.get(&p.id).copied().unwrap_or_default();
        s.row(&[
            text(&p.employee_no),
            text(&p.name),
            text(&p.org_unit_name),
            int(r.balance),
            int(r.earned),
            int(r.spent),
        ])?;
    }
    s.finish()?;

    Ok(book)
}

/// The author's acknowledgement of a reply, in words.
fn ack_label(code: &str) -> &'static str {
    match code {
        "clear" => "我清楚下一步",
        "unclear" => "还不清楚",
        _ => "已回应",
    }
}
