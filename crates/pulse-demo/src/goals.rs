//! The demo's goals (G1–G6): the group's TOP3, an objective per region and
//! TOP goal, key results per team, KPIs per person with the seed's weights,
//! region metrics that make the seed's rule fire in some regions and not
//! others, and adjustment requests with realistic response times.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use pulse_store::goals::{self, Cause, MetricInput, NewGoal, NewKpi};
use pulse_store::weight_rules::{self, RuleInput};
use pulse_store::{Actor, Db, StoreError, Tx, adjustments};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DemoOrg;
use crate::customers::seed_customers;
use crate::org::{AGENT, ENGINEER, SALES, TEAM_LEAD};

/// (code, name, unit, direction, source, description)
const METRICS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "FOC",
        "新客户首单转化率",
        "%",
        "higher",
        "crm",
        "新客户中下首单的比例",
    ),
    (
        "KAP",
        "重点客户渗透率",
        "%",
        "higher",
        "events",
        "本期有有效拜访的A类客户占比",
    ),
    (
        "SALES",
        "销售额达成率",
        "%",
        "higher",
        "import",
        "销售额 ÷ 目标销售额",
    ),
    ("CASH", "回款率", "%", "higher", "import", "已回款 ÷ 应回款"),
    (
        "SVC",
        "服务时效达成率",
        "%",
        "higher",
        "events",
        "按时到场并解决的工单占比",
    ),
    (
        "PARTS",
        "备件使用率",
        "%",
        "higher",
        "events",
        "计划备件中实际使用的比例",
    ),
    (
        "CSAT",
        "客户满意度",
        "分",
        "higher",
        "import",
        "客户评价平均分（百分制）",
    ),
    (
        "INNOV",
        "技术方案创新",
        "项",
        "higher",
        "manual",
        "被采纳的改进方案数",
    ),
    (
        "FCR",
        "一次解决率",
        "%",
        "higher",
        "events",
        "首次联系即解决的工单占比",
    ),
    (
        "RESP",
        "平均响应时长",
        "秒",
        "lower",
        "events",
        "客户等待接通的平均秒数",
    ),
];

/// KPI sets per job family: (metric, base weight bp, target, team KR index).
fn kpis(job_family: &str) -> &'static [(&'static str, i64, &'static str, usize)] {
    match job_family {
        SALES => &[
            ("FOC", 2500, "35", 0),
            ("KAP", 3000, "60", 1),
            ("SALES", 3000, "100", 1),
            ("CASH", 1500, "95", 1),
        ],
        ENGINEER => &[
            ("SVC", 3500, "92", 0),
            ("PARTS", 2500, "85", 0),
            ("CSAT", 2500, "95", 1),
            ("INNOV", 1500, "2", 1),
        ],
        AGENT => &[
            ("FCR", 4000, "80", 0),
            ("CSAT", 3500, "95", 1),
            ("RESP", 2500, "20", 0),
        ],
        _ => &[],
    }
}

/// Team key results per team kind: (title suffix, region objective index).
fn team_krs(prefix: char) -> [(&'static str, usize); 2] {
    match prefix {
        'S' => [("新客户首单转化提升", 1), ("A类医院渗透与销售达成", 0)],
        'F' => [("服务时效与备件管理", 2), ("客户满意与技术改进", 2)],
        _ => [("一次解决与响应提速", 2), ("客户满意度", 2)],
    }
}

const TOP3: [&str; 3] = [
    "TOP1 重点医院市场份额提升至35%",
    "TOP2 新客户收入占比达到20%",
    "TOP3 服务满意度达到95分",
];
const REGION_OBJECTIVES: [&str; 3] = ["重点医院覆盖提升", "新客户开拓", "服务口碑领先"];

/// The current quarter and year in China time.
/// A period to create: code, name, first and last day.
type PeriodPlan = (String, String, NaiveDate, NaiveDate);

pub fn periods_for(today: NaiveDate) -> (PeriodPlan, PeriodPlan) {
    let y = today.year();
    let q = (today.month0() / 3) + 1;
    let start = NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1).expect("quarter start");
    let end = if q == 4 {
        NaiveDate::from_ymd_opt(y, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(y, q * 3 + 1, 1).and_then(|d| d.pred_opt())
    }
    .expect("quarter end");
    let cn = ["一", "二", "三", "四"][(q - 1) as usize];
    (
        (format!("{y}Q{q}"), format!("{y}年第{cn}季度"), start, end),
        (
            y.to_string(),
            format!("{y}年度"),
            NaiveDate::from_ymd_opt(y, 1, 1).expect("jan 1"),
            NaiveDate::from_ymd_opt(y, 12, 31).expect("dec 31"),
        ),
    )
}

/// The quarter before the one starting on `start`.
pub fn previous_quarter(start: NaiveDate) -> PeriodPlan {
    let last = start.pred_opt().expect("a day before");
    let (q, _) = periods_for(last);
    q
}

pub struct Built {
    pub quarter: i64,
    /// The quarter before, closed, with its final actuals: the period of the
    /// completed review cycle.
    pub previous: i64,
}

/// Writes the goal tree, weights and rules in the caller's transaction.
pub async fn seed(
    tx: &mut Tx,
    org: &DemoOrg,
    seed: u64,
    today: NaiveDate,
) -> Result<Built, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x60a1);
    let (q, y) = periods_for(today);
    let quarter = goals::upsert_period(tx, &q.0, &q.1, q.2, q.3).await?;
    let year = goals::upsert_period(tx, &y.0, &y.1, y.2, y.3).await?;
    let p = previous_quarter(q.2);
    let previous = goals::upsert_period(tx, &p.0, &p.1, p.2, p.3).await?;
    let mut metric = HashMap::new();
    for (code, name, unit, direction, source, description) in METRICS {
        let id = goals::upsert_metric(
            tx,
            &MetricInput {
                code: code.to_string(),
                name: name.to_string(),
                unit: unit.to_string(),
                direction: direction.to_string(),
                source: source.to_string(),
                formula: String::new(),
                description: description.to_string(),
            },
        )
        .await?;
        metric.insert(*code, (id, *name));
    }
    for family in [SALES, ENGINEER, AGENT] {
        let lines: Vec<(String, i64, Option<String>)> = kpis(family)
            .iter()
            .map(|(code, w, target, _)| (code.to_string(), *w, Some(target.to_string())))
            .collect();
        goals::save_template(tx, family, &lines).await?;
    }
    let units = pulse_store::org::ids_by_code(tx).await?;
    let people = pulse_store::people::ids_by_employee_no(tx).await?;
    let root = org
        .units
        .iter()
        .find(|u| u.parent.is_none())
        .map(|u| units[&u.code]);
    let mut top = Vec::new();
    for (i, title) in TOP3.iter().enumerate() {
        top.push(
            goals::create_goal(
                tx,
                &NewGoal {
                    period_id: year,
                    kind: "company".into(),
                    title: title.to_string(),
                    org_unit_id: root,
                    person_id: None,
                    parent_id: None,
                    metric_id: None,
                    target: None,
                    base_weight_bp: 0,
                    sort_order: i as i64,
                },
            )
            .await?,
        );
    }
    let mut region_objectives: HashMap<&str, Vec<i64>> = HashMap::new();
    for r in org
        .units
        .iter()
        .filter(|u| u.kind == pulse_domain::org::UnitKind::Region)
    {
        let mut ids = Vec::new();
        for (i, title) in REGION_OBJECTIVES.iter().enumerate() {
            ids.push(
                goals::create_goal(
                    tx,
                    &NewGoal {
                        period_id: quarter,
                        kind: "objective".into(),
                        title: format!("{}：{title}", r.name),
                        org_unit_id: Some(units[&r.code]),
                        person_id: None,
                        parent_id: Some(top[i]),
                        metric_id: None,
                        target: None,
                        base_weight_bp: 0,
                        sort_order: i as i64,
                    },
                )
                .await?,
            );
        }
        region_objectives.insert(r.code.as_str(), ids);
    }
    let mut team_kr: HashMap<&str, [i64; 2]> = HashMap::new();
    for t in org
        .units
        .iter()
        .filter(|u| u.kind == pulse_domain::org::UnitKind::Team)
    {
        let Some(parent) = t.parent.as_deref() else {
            continue;
        };
        let Some(objs) = region_objectives.get(parent) else {
            continue;
        };
        let prefix = t
            .code
            .rsplit('-')
            .next()
            .and_then(|s| s.chars().next())
            .unwrap_or('S');
        let mut ids = [0; 2];
        for (i, (title, obj)) in team_krs(prefix).iter().enumerate() {
            ids[i] = goals::create_goal(
                tx,
                &NewGoal {
                    period_id: quarter,
                    kind: "key_result".into(),
                    title: format!("{}：{title}", t.name),
                    org_unit_id: Some(units[&t.code]),
                    person_id: None,
                    parent_id: Some(objs[*obj]),
                    metric_id: None,
                    target: None,
                    base_weight_bp: 0,
                    sort_order: i as i64,
                },
            )
            .await?;
        }
        team_kr.insert(t.code.as_str(), ids);
    }
    let template = Actor::system("岗位模板");
    // Its own stream, so the current quarter's figures stay as they were.
    let mut prev_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x03a1_1e57);
    for p in &org.people {
        // Team leads carry their team's KPIs.
        let family = if p.job_family == TEAM_LEAD {
            match p
                .unit_code
                .rsplit('-')
                .next()
                .and_then(|s| s.chars().next())
            {
                Some('F') => ENGINEER,
                Some('C') => AGENT,
                _ => SALES,
            }
        } else {
            p.job_family
        };
        let set = kpis(family);
        let Some(krs) = team_kr.get(p.unit_code.as_str()) else {
            continue;
        };
        if set.is_empty() {
            continue;
        }
        let pid = people[&p.employee_no];
        // Progress so far: actuals around the target, lower for a few.
        let strength: f64 = rng.random_range(0.55..1.15);
        let items: Vec<NewKpi> = set
            .iter()
            .map(|(code, weight, target, kr)| {
                let t: f64 = target.parse().unwrap_or(1.0);
                let lower = METRICS.iter().any(|m| m.0 == *code && m.3 == "lower");
                let factor = strength * rng.random_range(0.85..1.1);
                let actual = if lower { t / factor } else { t * factor };
                let (mid, name) = metric[code];
                NewKpi {
                    title: name.to_string(),
                    metric_id: Some(mid),
                    parent_id: Some(krs[*kr]),
                    target: Some(target.to_string()),
                    actual: Some(format!("{actual:.1}")),
                    lower_is_better: lower,
                    weight_bp: *weight,
                }
            })
            .collect();
        // The quarter before: the same KPIs, closed at their final actuals.
        let before: f64 = (strength + prev_rng.random_range(-0.15..0.15)).clamp(0.5, 1.25);
        let finals: Vec<NewKpi> = set
            .iter()
            .map(|(code, weight, target, _)| {
                let t: f64 = target.parse().unwrap_or(1.0);
                let lower = METRICS.iter().any(|m| m.0 == *code && m.3 == "lower");
                let factor = before * prev_rng.random_range(0.9..1.1);
                let actual = if lower { t / factor } else { t * factor };
                let (mid, name) = metric[code];
                NewKpi {
                    title: name.to_string(),
                    metric_id: Some(mid),
                    parent_id: None,
                    target: Some(target.to_string()),
                    actual: Some(format!("{actual:.1}")),
                    lower_is_better: lower,
                    weight_bp: *weight,
                }
            })
            .collect();
        goals::create_kpi_set(
            tx,
            &template,
            previous,
            pid,
            &finals,
            &Cause {
                kind: "template",
                rule_id: None,
                note: &format!("{family}岗位模板"),
            },
        )
        .await?;
        goals::create_kpi_set(
            tx,
            &template,
            quarter,
            pid,
            &items,
            &Cause {
                kind: "template",
                rule_id: None,
                note: &format!("{family}岗位模板"),
            },
        )
        .await?;
    }
    // The CRM list: A-class customers from before the quarter and the ones
    // signed in it, so each region's A-class new-signing rate comes out of
    // the data (G5, X3); B and C customers for the rest of the book.
    seed_customers(tx, org, &mut rng, q.2, today).await?;
    pulse_store::customers::refresh_region_metrics(tx, quarter).await?;
    // Other region inputs and the rules (G5).
    for r in org
        .units
        .iter()
        .filter(|u| u.kind == pulse_domain::org::UnitKind::Region)
    {
        weight_rules::set_region_metrics(
            tx,
            units[&r.code],
            quarter,
            &[
                (
                    "key_account_penetration".into(),
                    f64::from(rng.random_range(45..80u32)) / 100.0,
                ),
                (
                    "sales_attainment".into(),
                    f64::from(rng.random_range(70..115u32)) / 100.0,
                ),
                (
                    "first_order_conversion".into(),
                    f64::from(rng.random_range(20..40u32)) / 100.0,
                ),
            ],
        )
        .await?;
    }
    let hrbp = Actor::system("HRBP 周敏");
    for rule in [
        RuleInput {
            name: "A类签约增长：加码新客户首单转化".into(),
            condition: "a_class_new_sign_rate > 0.15".into(),
            metric_code: "FOC".into(),
            weight_bp: 3500,
            scope_unit_code: None,
            priority: 10,
            enabled: true,
            description: "大区A类客户新增签约超过15%时，“新客户首单转化率”权重由25%提升至35%，其余指标按比例调整".into(),
        },
        RuleInput {
            name: "新客户冲刺（旧版）".into(),
            condition: "a_class_new_signings >= 7.0".into(),
            metric_code: "FOC".into(),
            weight_bp: 3000,
            scope_unit_code: None,
            priority: 1,
            enabled: true,
            description: "上季度的冲刺规则，优先级低于A类签约规则".into(),
        },
        RuleInput {
            name: "回款攻坚".into(),
            condition: "sales_attainment < 0.75".into(),
            metric_code: "CASH".into(),
            weight_bp: 2500,
            scope_unit_code: None,
            priority: 5,
            enabled: true,
            description: "销售达成率低于75%的大区加重回款考核".into(),
        },
    ] {
        weight_rules::save_rule(tx, &hrbp, None, &rule).await?;
    }
    let closer = Actor::system("演示数据 demo");
    goals::close_period(tx, &closer, previous).await?;
    Ok(Built { quarter, previous })
}

/// After the commit: evaluate the rules and file adjustment requests, some
/// decided with realistic response times (around 2.3 h), one pending for
/// the demo director from the demo employee.
pub async fn after_commit(db: &Db, org: &DemoOrg, built: &Built, seed: u64) -> anyhow::Result<()> {
    let engine = Actor::system("规则引擎");
    weight_rules::evaluate(db, built.quarter, None, &engine).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xad1);
    let reasons = [
        "瑞金医院招标政策调整，首单周期拉长",
        "重点客户设备预算冻结至下季度",
        "区域新增两家三甲医院，目标可上调",
        "经销商合同变更，回款节点后移",
        "医保控费政策落地，采购节奏放缓",
        "新产品线提前上市，带来增量",
    ];
    let sales: Vec<_> = org
        .people
        .iter()
        .filter(|p| p.job_family == SALES && p.login.is_none())
        .collect();
    let now = db.now_ms();
    let mut n = 0;
    for p in sales.iter().step_by(sales.len().max(1) / 36 + 1) {
        let Some(person) = pulse_store::people::by_employee_no(db, &p.employee_no).await? else {
            continue;
        };
        let gs = goals::person_goals(db, person.id, built.quarter).await?;
        let Some(g) = gs.get(rng.random_range(0..gs.len().max(1))) else {
            continue;
        };
        let Some(target) = g.target.as_deref().and_then(|t| t.parse::<f64>().ok()) else {
            continue;
        };
        let up = rng.random_bool(0.5);
        let new = if up { target * 1.05 } else { target * 0.95 };
        let actor = Actor::system(&p.name);
        let reason = reasons[rng.random_range(0..reasons.len())];
        let Ok(a) = adjustments::request(
            db,
            &actor,
            person.id,
            g.id,
            &format!("{new:.2}"),
            reason,
            "",
        )
        .await
        else {
            continue;
        };
        let approve = rng.random_bool(0.8);
        let comment = if approve {
            ""
        } else {
            "请先与客户确认采购计划后再申请"
        };
        let decided = adjustments::decide(
            db,
            &Actor::system(&a.approver_name),
            a.approver_id,
            a.id,
            approve,
            comment,
            "",
        )
        .await?;
        // Response times spread around the seed's 2.3 h: 0.4 h … 5 h.
        let hours: f64 = rng.random_range(0.4..4.2);
        let created = now - rng.random_range(2..40i64) * 86_400_000;
        adjustments::backdate(
            db,
            decided.id,
            created,
            created + (hours * 3_600_000.0) as i64,
        )
        .await?;
        n += 1;
    }
    debug_assert!(n > 0, "the demo files some adjustment requests");
    // The demo employee asks the demo director: a pending request in the director's inbox.
    if let Some(e) = org.by_login("employee")
        && let Some(person) = pulse_store::people::by_employee_no(db, &e.employee_no).await?
    {
        let gs = goals::person_goals(db, person.id, built.quarter).await?;
        if let Some(foc) = gs.iter().find(|g| g.metric_code.as_deref() == Some("FOC")) {
            adjustments::request(
                db,
                &Actor::system(&e.name),
                person.id,
                foc.id,
                "38.5",
                "瑞金医院招标政策调整，首单周期拉长",
                "",
            )
            .await?;
        }
    }
    Ok(())
}
