//! The demo's performance → development → incentive story (L2, T1).
//!
//! Four closed quarters before the current one, each with its values taken
//! and the article's two rules evaluated, as the scheduler would have done:
//! - `engineer` (华东 服务工程师): 技术方案创新分 4.6 and then 4.7 in the two
//!   quarters before this one → 高潜人才池 and 医疗AI认证课程. `engineer2`, of
//!   the same team, has 4.6 and then 4.4: one quarter is not two running.
//! - `agent` (华东 客服专员): 20 upset customers calmed of 20 last quarter, top
//!   of the peer group → bonus coefficient +0.15 and 培训师轮岗优先. `agent2`, of
//!   the same level, is placed just outside the top 5 %.
//! - `employee` (the sales rep): 医疗政策解读 rated low and 客户关系韧性 high
//!   every quarter, so the development path names the first as the weak
//!   dimension and KA客户健康顾问 as the next role.
//!
//! Ratings and tickets are planted on the people's own cards and tickets, so
//! every figure comes from the same computation as everyone else's.

use chrono::NaiveDate;
use pulse_domain::competency::Metric;
use pulse_domain::linkage::Action;
use pulse_store::feedback::history;
use pulse_store::linkage::{evaluate, paths, rules};
use pulse_store::{Actor, Db};

use crate::org::{AGENT, DemoOrg, ENGINEER, SALES};

pub const POOLS: &[(&str, &str)] = &[
    (
        "高潜人才池",
        "连续两个季度关键能力领先的员工，优先获得轮岗与培养机会",
    ),
    ("关键岗位继任池", "区域主管、技术专家岗位的后备人选"),
];

/// (name, dimension it trains, hours, description)
pub const COURSES: &[(&str, &str, i64, &str)] = &[
    (
        "医疗AI认证课程",
        "技术方案创新",
        24,
        "医疗设备 AI 辅助诊断的原理、安装与排障，含认证考试",
    ),
    (
        "医保政策与集采实务",
        "医疗政策解读",
        12,
        "DRG/DIP、带量采购对医院采购决策的影响，配案例演练",
    ),
    (
        "政策解读工作坊：从文件到客户话术",
        "医疗政策解读",
        6,
        "把最新医保文件讲成客户听得懂的三句话",
    ),
    (
        "大客户关系经营",
        "客户关系韧性",
        8,
        "KA 客户的关系地图、拜访节奏与危机修复",
    ),
    ("客户情绪安抚进阶", "", 6, "投诉高峰期的情绪识别与安抚话术"),
];

pub const ELIGIBILITIES: &[(&str, &str)] = &[
    ("培训师轮岗优先", "下一轮内部培训师轮岗优先入选"),
    ("年度优秀评选提名", "年度优秀员工评选的提名资格"),
];

pub const INNOVATION_RULE: &str = "服务工程师技术方案创新连续两季度领先";
pub const SOOTHING_RULE: &str = "客服情绪安抚成功率前5%";

/// (role, job family, description, [(dimension, required)])
type Role = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, i64)],
);

const ROLES: &[Role] = &[
    (
        "KA客户健康顾问",
        SALES,
        "负责重点医院客户的长期关系与设备使用健康度",
        &[
            ("客户关系韧性", 90),
            ("重点客户渗透", 70),
            ("沟通质量", 65),
            ("需求洞察深度", 55),
            ("医疗政策解读", 35),
        ],
    ),
    (
        "区域销售经理",
        SALES,
        "带领一个城市的销售团队，对区域业绩负责",
        &[
            ("医疗政策解读", 80),
            ("需求洞察深度", 75),
            ("沟通质量", 75),
            ("重点客户渗透", 70),
        ],
    ),
    (
        "培训师",
        SALES,
        "内部培训师：把一线经验和政策知识讲成课程",
        &[
            ("沟通质量", 85),
            ("需求洞察深度", 70),
            ("医疗政策解读", 70),
            ("客户关系韧性", 50),
        ],
    ),
    (
        "客服培训师",
        AGENT,
        "带教新入职客服专员，负责话术与质检标准",
        &[("一次解决率", 85), ("处理时长", 60), ("工单量", 50)],
    ),
    (
        "区域技术专家",
        ENGINEER,
        "区域内疑难故障与新设备导入的技术负责人",
        &[("技术方案创新", 85), ("客户满意度", 70), ("服务时效", 60)],
    ),
];

type Quarter = (String, String, NaiveDate, NaiveDate);

/// The four quarters before the current one, oldest first.
fn quarters(today: NaiveDate) -> Vec<Quarter> {
    let (mut q, _) = crate::goals::periods_for(today);
    let mut out = Vec::new();
    for _ in 0..4 {
        q = crate::goals::previous_quarter(q.2);
        out.push(q.clone());
    }
    out.reverse();
    out
}

fn window(q: &Quarter) -> (i64, i64) {
    let next = q.3.succ_opt().unwrap_or(q.3);
    (
        pulse_store::day_start_ms(q.2),
        pulse_store::day_start_ms(next),
    )
}

async fn person(db: &Db, org: &DemoOrg, login: &str) -> anyhow::Result<Option<i64>> {
    let Some(p) = org.by_login(login) else {
        return Ok(None);
    };
    Ok(pulse_store::people::by_employee_no(db, &p.employee_no)
        .await?
        .map(|p| p.id))
}

/// Gives `person`'s cards of a quarter ratings on `tag` with the mean
/// `tenths` ÷ 10 (e.g. 46 → 4.6): up to ten of their cards rated with fours
/// and fives (ones and twos below 4), their other ratings of the tag that
/// quarter taken away. With ten cards the mean is exact.
async fn plant_tag_mean(
    db: &Db,
    person: i64,
    tag: &str,
    q: &Quarter,
    tenths: i64,
) -> anyhow::Result<()> {
    let (from, to) = window(q);
    let (low, high, base) = if tenths >= 40 { (4, 5, 40) } else { (1, 2, 10) };
    let mut tx = db.begin().await?;
    let cards = history::card_count(&mut tx, person, from, to)
        .await?
        .min(10);
    // A short demo (a few weeks of history) has no such quarter to plant.
    if cards == 0 {
        tx.rollback().await?;
        return Ok(());
    }
    let highs = ((tenths - base).clamp(0, 10) as usize * cards + 5) / 10;
    let ratings: Vec<i64> = (0..cards)
        .map(|i| if i < highs { high } else { low })
        .collect();
    history::set_tag_ratings(&mut tx, person, tag, from, to, &ratings).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the first `upset` tickets of the quarter as from an upset
/// customer, `calmed` of them calmed, and the rest as calm customers.
async fn plant_soothing(
    db: &Db,
    person: i64,
    q: &Quarter,
    upset: usize,
    calmed: usize,
) -> anyhow::Result<()> {
    let (from, to) = window(q);
    let mut tx = db.begin().await?;
    let n = history::rewrite_payloads(&mut tx, person, "service_ticket", from, to, |i, p| {
        p.insert("emotional".into(), (i < upset).into());
        if i < upset {
            p.insert("soothed".into(), (i < calmed).into());
        } else {
            p.remove("soothed");
        }
    })
    .await?;
    if n < upset {
        tx.rollback().await?;
        return Ok(());
    }
    tx.commit().await?;
    Ok(())
}

/// `agent` calms all 20 upset customers in the last quarter; `agent2`'s
/// rate in each quarter is set just under the last value still in the top
/// 5 % of their peer group, so they miss it every time.
async fn plant_agents(db: &Db, org: &DemoOrg, qs: &[Quarter]) -> anyhow::Result<()> {
    let (Some(a), Some(b)) = (
        person(db, org, "agent").await?,
        person(db, org, "agent2").await?,
    ) else {
        return Ok(());
    };
    if let Some(last) = qs.last() {
        plant_soothing(db, a, last, 20, 20).await?;
    }
    for q in qs {
        just_short(db, org, b, q).await?;
    }
    Ok(())
}

async fn just_short(db: &Db, org: &DemoOrg, b: i64, q: &Quarter) -> anyhow::Result<()> {
    let Some(level) = org.by_login("agent").map(|p| p.level) else {
        return Ok(());
    };
    let (from, to) = window(q);
    let rate = Metric::SoothingRate;
    let figures = pulse_store::competency::peer_figures(
        db,
        AGENT,
        level,
        std::slice::from_ref(&rate),
        from,
        to,
    )
    .await?;
    let mut others: Vec<f64> = figures
        .iter()
        .filter(|(id, _)| **id != b)
        .filter_map(|(_, m)| m.get(&rate.code()).copied())
        .collect();
    others.sort_by(|x, y| y.total_cmp(x));
    // Rank r matches when r ÷ peers ≤ 5 %: the best `k` places do.
    let k = (others.len() + 1) * 5 / 100;
    let Some(last_in) = others.get(k.saturating_sub(1)).copied() else {
        return Ok(());
    };
    let calmed = (0..=20usize)
        .rev()
        .find(|m| (*m as f64) * 5.0 < last_in)
        .unwrap_or(0);
    plant_soothing(db, b, q, 20, calmed).await
}

pub async fn seed(db: &Db, org: &DemoOrg) -> anyhow::Result<()> {
    let hr = Actor::system("demo");
    let qs = quarters(db.today());
    let mut periods = Vec::new();
    let mut tx = db.begin().await?;
    for (kind, list) in [
        (
            rules::ItemKind::Pool,
            POOLS
                .iter()
                .map(|(n, d)| (*n, *d, "", None))
                .collect::<Vec<_>>(),
        ),
        (
            rules::ItemKind::Course,
            COURSES
                .iter()
                .map(|(n, dim, h, d)| (*n, *d, *dim, Some(*h)))
                .collect(),
        ),
        (
            rules::ItemKind::Eligibility,
            ELIGIBILITIES
                .iter()
                .map(|(n, d)| (*n, *d, "", None))
                .collect(),
        ),
    ] {
        for (name, description, dimension, hours) in list {
            rules::save_item(
                &mut tx,
                &hr,
                &rules::ItemInput {
                    kind,
                    name: name.into(),
                    description: description.into(),
                    dimension: dimension.into(),
                    hours,
                },
            )
            .await?;
        }
    }
    for q in &qs {
        let id = pulse_store::goals::upsert_period(&mut tx, &q.0, &q.1, q.2, q.3).await?;
        periods.push(id);
    }
    tx.commit().await?;
    for (name, family, description, reqs) in ROLES {
        paths::save_profile(
            db,
            &hr,
            &paths::ProfileInput {
                name: (*name).into(),
                job_family: (*family).into(),
                description: (*description).into(),
                requirements: reqs.iter().map(|(d, r)| ((*d).to_string(), *r)).collect(),
            },
        )
        .await?;
    }
    let rule = |name: &str, condition: &str, family: &str, actions: Vec<Action>| rules::RuleInput {
        name: name.into(),
        condition: condition.into(),
        actions,
        job_family: family.into(),
        enabled: true,
    };
    rules::save(
        db,
        &hr,
        None,
        &rule(
            INNOVATION_RULE,
            "consecutive(\"技术方案创新\", 2, \">\", 4.5)",
            ENGINEER,
            vec![
                Action::JoinPool {
                    pool: "高潜人才池".into(),
                },
                Action::RecommendCourse {
                    course: "医疗AI认证课程".into(),
                },
            ],
        ),
    )
    .await?;
    rules::save(
        db,
        &hr,
        None,
        &rule(
            SOOTHING_RULE,
            "top_pct(\"客户情绪安抚成功率\", 5)",
            AGENT,
            vec![
                Action::AdjustBonus { hundredths: 15 },
                Action::GrantEligibility {
                    eligibility: "培训师轮岗优先".into(),
                },
            ],
        ),
    )
    .await?;

    // The two quarters before this one ("2026Q2" and "2026Q3").
    let (before, last) = (&qs[2], &qs[3]);
    if let Some(e) = person(db, org, "engineer").await? {
        plant_tag_mean(db, e, "技术方案创新", before, 46).await?;
        plant_tag_mean(db, e, "技术方案创新", last, 47).await?;
    }
    if let Some(e) = person(db, org, "engineer2").await? {
        plant_tag_mean(db, e, "技术方案创新", before, 46).await?;
        plant_tag_mean(db, e, "技术方案创新", last, 44).await?;
    }
    if let Some(r) = person(db, org, "employee").await? {
        for q in &qs {
            plant_tag_mean(db, r, "医疗政策解读", q, 14).await?;
            plant_tag_mean(db, r, "客户关系韧性", q, 50).await?;
        }
    }
    plant_agents(db, org, &qs).await?;

    // Close the quarters, take their values and evaluate, oldest first.
    let open: Vec<i64> = pulse_store::goals::periods(db)
        .await?
        .into_iter()
        .filter(|p| p.state == "open")
        .map(|p| p.id)
        .collect();
    let mut tx = db.begin().await?;
    for id in &periods {
        if open.contains(id) {
            pulse_store::goals::close_period(&mut tx, &hr, *id).await?;
        }
    }
    tx.commit().await?;
    for q in &qs {
        evaluate::evaluate(db, &hr, &q.0, "").await?;
    }
    Ok(())
}
