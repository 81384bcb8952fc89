//! A year of business events and feedback cards (P1–P5, F1–F4): visits and
//! opportunity snapshots of the sales reps, work orders of the service
//! engineers, tickets of the customer-service agents, customer evaluations
//! and deliveries; cards at a rate that grows through the year to about 2.4
//! per person per week; points, redemptions and replies.
//!
//! The planted story (read by the weekly digest, D1): in 华东 the mentions
//! of 价格异议 rise sharply from the Monday of the last complete week on
//! ([`price_story_from`]), and nowhere else.
//!
//! Rows are generated person by person and loaded in large batches
//! ([`pulse_store::bulk`]) so a year of 2.4 million events fits the build.

use chrono::{Datelike, NaiveDate};
use pulse_store::bulk::{self, Cell};
use pulse_store::{Db, StoreError, Tx};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

use crate::org::{AGENT, DemoOrg, ENGINEER, SALES};

/// Tags of the library, the ones sales reps pick and the ones engineers pick.
pub const SALES_TAGS: &[(&str, &str)] = &[
    ("沟通质量", "表达清楚、倾听充分"),
    ("需求洞察深度", "听出客户没说出口的需求"),
    ("方案匹配度", "方案贴合科室和预算"),
    ("医疗政策解读", "集采、医保政策讲得准"),
    ("客户关系韧性", "被拒后仍能推进"),
    ("跟进及时性", "承诺的下一步按时做到"),
];
pub const SERVICE_TAGS: &[(&str, &str)] = &[
    ("服务态度", "礼貌、守时、说明到位"),
    ("故障诊断", "快速定位根因"),
    ("备件使用", "备件带得准、用得省"),
    ("技术方案创新", "现场想出更好的解决办法"),
];

pub(crate) const REWARDS: &[(&str, &str, &str, i64, Option<i64>)] = &[
    (
        "销售谈判训练营（线上）",
        "training",
        "8 课时，含案例演练",
        10,
        None,
    ),
    (
        "医疗器械法规精读课",
        "training",
        "新版法规与合规要点",
        10,
        None,
    ),
    ("半天调休券", "leave", "与主管约定日期使用", 10, Some(400)),
    ("一天调休券", "leave", "与主管约定日期使用", 20, Some(150)),
    ("部门下午茶基金", "team", "为团队点一次下午茶", 30, Some(60)),
];

/// Key observations, each 20 characters at most.
pub(crate) const PHRASES: &[&str] = &[
    "客户关注交付周期",
    "科主任认可方案思路",
    "需补充临床数据",
    "采购流程比预期长",
    "竞品在做试用",
    "院方预算下季度批",
    "设备科提出培训需求",
    "客户要求上门演示",
    "新主任上任需重新建联",
    "招投标文件需提前准备",
    "客户对售后响应满意",
    "试剂耗材用量在增长",
    "信息科关心数据接口",
    "客户希望分期付款",
    "关键人出差，下周再约",
    "集采政策影响采购节奏",
    "客户提到同行口碑好",
    "需协调工程师联合拜访",
    "样机反馈稳定",
    "客户询问升级方案",
    "备件到货慢被投诉",
    "现场一次修复成功",
    "故障根因是电源模块",
    "客户要求延长保修",
    "操作人员需再培训",
];
/// The planted topic.
pub(crate) const PRICE_PHRASES: &[&str] = &[
    "客户提出价格异议",
    "价格异议，竞品报价更低",
    "价格异议集中在耗材",
    "科室认可但有价格异议",
];

const STAGES: &[&str] = &[
    "初步接触",
    "需求确认",
    "方案报价",
    "商务谈判",
    "赢单",
    "输单",
];
const NEXT_STEPS: &[&str] = &[
    "周五送报价单",
    "约科主任做方案汇报",
    "安排样机试用",
    "提交招标参数",
    "跟进采购审批",
    "邀请参观样板医院",
];
const PURPOSES: &[&str] = &[
    "产品介绍",
    "需求调研",
    "方案汇报",
    "关系维护",
    "售后回访",
    "商务谈判",
];
const TICKET_TOPICS: &[&str] = &[
    "报修登记",
    "耗材咨询",
    "账单查询",
    "预约培训",
    "投诉处理",
    "使用指导",
];

pub struct Volume {
    /// How many weeks of history, ending this week (52 for the demo).
    pub weeks: i64,
}

struct Person {
    id: i64,
    employee_no: String,
    job: &'static str,
    region: String,
    /// -1.0 (struggling) … 1.0 (strong): shifts ratings and activity.
    strength: f64,
}

fn cst_ms(day: NaiveDate, minute_of_day: i64) -> i64 {
    pulse_store::day_start_ms(day) + minute_of_day * 60_000
}

struct Batch {
    events: Vec<Vec<Cell>>,
    cards: Vec<Vec<Cell>>,
    ratings: Vec<Vec<Cell>>,
    ledger: Vec<Vec<Cell>>,
    redemptions: Vec<Vec<Cell>>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            events: Vec::new(),
            cards: Vec::new(),
            ratings: Vec::new(),
            ledger: Vec::new(),
            redemptions: Vec::new(),
        }
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        bulk::insert(
            tx,
            "events",
            &[
                "id",
                "kind",
                "person_id",
                "customer_id",
                "occurred_at",
                "payload_json",
                "source",
                "created_at",
            ],
            &self.events,
        )
        .await?;
        bulk::insert(
            tx,
            "feedback_cards",
            &[
                "id",
                "event_id",
                "author_id",
                "observation",
                "points_awarded",
                "ack",
                "created_at",
            ],
            &self.cards,
        )
        .await?;
        bulk::insert(
            tx,
            "feedback_ratings",
            &["card_id", "tag_id", "rating"],
            &self.ratings,
        )
        .await?;
        bulk::insert(
            tx,
            "points_ledger",
            &[
                "id",
                "person_id",
                "delta",
                "balance_after",
                "reason",
                "source_key",
                "created_at",
            ],
            &self.ledger,
        )
        .await?;
        bulk::insert(
            tx,
            "redemptions",
            &[
                "id",
                "reward_id",
                "person_id",
                "cost",
                "voucher_code",
                "state",
                "created_at",
                "fulfilled_at",
            ],
            &self.redemptions,
        )
        .await?;
        self.events.clear();
        self.cards.clear();
        self.ratings.clear();
        self.ledger.clear();
        self.redemptions.clear();
        Ok(())
    }
}

/// Where the 华东 价格异议 story starts: midnight (China time) of the Monday
/// of the last complete week before `today`.
pub fn price_story_from(today: NaiveDate) -> i64 {
    pulse_store::day_start_ms(pulse_jobs::digests::last_complete_week(today))
}

/// What the demo built, for the CLI's summary and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Built {
    pub events: i64,
    pub cards: i64,
    pub redemptions: i64,
}

pub async fn seed(
    db: &Db,
    org: &DemoOrg,
    seed: u64,
    today: NaiveDate,
    volume: &Volume,
) -> Result<Built, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xFEED_BAC4);
    let mut tx = db.begin().await?;
    let mut tag_ids: HashMap<&str, i64> = HashMap::new();
    let families = SALES_TAGS
        .iter()
        .map(|t| (t, crate::org::SALES))
        .chain(SERVICE_TAGS.iter().map(|t| (t, crate::org::ENGINEER)));
    for ((name, desc), family) in families {
        // 沟通质量 and 服务态度 are for everyone; the rest are a family's own.
        let family = if matches!(*name, "沟通质量" | "服务态度") {
            ""
        } else {
            family
        };
        tag_ids.insert(
            name,
            pulse_store::feedback::save_tag(&mut tx, name, desc, true, Some(family)).await?,
        );
    }
    let mut reward_ids = Vec::new();
    for (name, kind, desc, cost, stock) in REWARDS {
        let id = pulse_store::points::save_reward(
            &mut tx,
            &pulse_store::points::RewardInput {
                name: (*name).into(),
                kind: (*kind).into(),
                description: (*desc).into(),
                cost: *cost,
                stock: *stock,
                active: true,
            },
        )
        .await?;
        reward_ids.push((id, *cost));
    }
    let ids = pulse_store::people::ids_by_employee_no(&mut tx).await?;
    let customers = pulse_store::customers::ownership(&mut tx).await?;
    let mut by_owner: HashMap<String, Vec<i64>> = HashMap::new();
    let mut by_region: HashMap<String, Vec<i64>> = HashMap::new();
    for (id, region, _tier, owner) in &customers {
        if let Some(o) = owner {
            by_owner.entry(o.clone()).or_default().push(*id);
        }
        by_region.entry(region.clone()).or_default().push(*id);
    }

    let people: Vec<Person> = org
        .people
        .iter()
        .filter(|p| [SALES, ENGINEER, AGENT].contains(&p.job_family))
        .filter_map(|p| {
            Some(Person {
                id: *ids.get(&p.employee_no)?,
                employee_no: p.employee_no.clone(),
                job: p.job_family,
                region: p.unit_code.split('-').next().unwrap_or("").to_string(),
                strength: 0.0,
            })
        })
        .map(|mut p| {
            p.strength = rng.random_range(-1.0..1.0);
            p
        })
        .collect();

    let now = db.now_ms();
    // Monday of this week, and of the first week of the history.
    let this_monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let first_monday = this_monday - chrono::Days::new(7 * (volume.weeks.max(1) as u64 - 1));
    let weeks = volume.weeks.max(1);

    let mut next_event = bulk::max_id(&mut tx, "events").await? + 1;
    let mut next_card = bulk::max_id(&mut tx, "feedback_cards").await? + 1;
    let mut next_ledger = bulk::max_id(&mut tx, "points_ledger").await? + 1;
    let mut next_redemption = bulk::max_id(&mut tx, "redemptions").await? + 1;
    let mut balances: Vec<(i64, i64)> = Vec::new();
    let mut built = Built::default();
    let mut batch = Batch::new();
    let mut taken: HashMap<i64, i64> = HashMap::new();
    let empty: Vec<i64> = Vec::new();
    let mut cursors: HashMap<(&str, i64), usize> = HashMap::new();

    for p in &people {
        let own = by_owner.get(&p.employee_no).unwrap_or(&empty);
        let region_list = by_region.get(&p.region).unwrap_or(&empty);
        let pick_customer = |rng: &mut ChaCha8Rng| -> Option<i64> {
            if !own.is_empty() && rng.random_bool(0.8) {
                Some(own[rng.random_range(0..own.len())])
            } else if !region_list.is_empty() {
                Some(region_list[rng.random_range(0..region_list.len())])
            } else {
                None
            }
        };
        let activity = 1.0 + 0.25 * p.strength;
        let mut balance = 0_i64;
        for w in 0..weeks {
            let monday = first_monday + chrono::Days::new(7 * w as u64);
            // Cards grow from about 5 % of visits a year ago to about 20 %
            // now: by the calendar, so a short demo's weeks are steady and a
            // digest does not read growth as news.
            let progress = (1.0 - (weeks - 1 - w) as f64 / 52.0).max(0.0);
            let card_rate = (0.05 + 0.15 * progress) * (1.0 + 0.3 * p.strength);
            let plan: &[(&str, f64)] = match p.job {
                SALES => &[
                    ("visit", 12.0),
                    ("snapshot", 5.0),
                    ("evaluation", 0.5),
                    ("delivery", 0.2),
                ],
                ENGINEER => &[("work_order", 10.0), ("evaluation", 1.0)],
                _ => &[("service_ticket", 75.0)],
            };
            for (kind, per_week) in plan {
                let mean = per_week * activity;
                // Jitter ±20 %, and a fractional rest happens with its probability
                // (0.2 deliveries a week = one every five weeks on average).
                let x = (mean + rng.random_range(-0.2..0.2) * mean).max(0.0);
                let n = x.floor() as i64 + i64::from(rng.random_bool(x.fract()));
                for _ in 0..n {
                    let day = monday + chrono::Days::new(rng.random_range(0..6u64));
                    let at = cst_ms(day, rng.random_range(8 * 60..19 * 60));
                    if at > now - 30 * 60_000 {
                        continue;
                    }
                    let customer = match *kind {
                        "visit" | "snapshot" | "evaluation" | "delivery" => pick_customer(&mut rng),
                        _ => None,
                    };
                    let payload = match *kind {
                        "visit" => {
                            serde_json::json!({"purpose": PURPOSES[rng.random_range(0..PURPOSES.len())]})
                        }
                        "snapshot" => serde_json::json!({
                            "stage": STAGES[rng.random_range(0..STAGES.len())],
                            "next_step": NEXT_STEPS[rng.random_range(0..NEXT_STEPS.len())]}),
                        "work_order" => {
                            let response = (rng.random_range(40..300) as f64
                                * (1.0 - 0.35 * p.strength))
                                as i64;
                            let fix = rng.random_range(30..240);
                            let planned = rng.random_range(1..6);
                            let used = (planned - rng.random_range(0..=planned.min(2))).max(0);
                            let reported = at - response * 60_000;
                            serde_json::json!({"reported_at": reported, "arrived_at": at,
                                "resolved_at": at + fix * 60_000, "parts_planned": planned, "parts_used": used})
                        }
                        "evaluation" => {
                            serde_json::json!({"score": (3.8 + p.strength + rng.random_range(-1.0..1.0)).round().clamp(1.0, 5.0) as i64})
                        }
                        "delivery" => {
                            let late = rng.random_range(-3..4) - (2.0 * p.strength) as i64;
                            serde_json::json!({"due_at": at - late * 86_400_000, "delivered_at": at})
                        }
                        _ => {
                            let mut t = serde_json::json!({"topic": TICKET_TOPICS[rng.random_range(0..TICKET_TOPICS.len())],
                            "minutes": rng.random_range(3..25), "resolved": rng.random_bool(0.9)});
                            // 客户情绪安抚 (L2) from the event id, so the shared
                            // random stream (and every other figure) stays as it was.
                            let (emotional, soothed) = soothing(next_event, p.strength);
                            t["emotional"] = emotional.into();
                            if emotional {
                                t["soothed"] = soothed.into();
                            }
                            t
                        }
                    };
                    let event_id = next_event;
                    next_event += 1;
                    batch.events.push(vec![
                        event_id.into(),
                        (*kind).into(),
                        p.id.into(),
                        customer.into(),
                        at.into(),
                        payload.to_string().into(),
                        "demo".into(),
                        at.into(),
                    ]);
                    built.events += 1;
                    if !pulse_domain::events::takes_feedback(kind)
                        || !rng.random_bool(card_rate.clamp(0.0, 1.0))
                    {
                        continue;
                    }
                    let card_at = at + rng.random_range(5..60) * 60_000;
                    if card_at > now {
                        continue;
                    }
                    // 华东 hears 价格异议 all year (price_story::plant sets
                    // the last weeks exactly); elsewhere it is rare.
                    let price_share = if p.region == "HD" { 0.25 } else { 0.005 };
                    let observation = if rng.random_bool(price_share) {
                        PRICE_PHRASES[rng.random_range(0..PRICE_PHRASES.len())]
                    } else {
                        // Each region's week walks the phrase list from a
                        // random start, so a region hears each topic about
                        // equally often week after week, as a real one
                        // does: no noise for its digest to read as news
                        // (a team's few cards are below the flag's count).
                        let c = cursors
                            .entry((p.region.as_str(), w))
                            .or_insert_with(|| rng.random_range(0..PHRASES.len()));
                        *c += 1;
                        PHRASES[*c % PHRASES.len()]
                    };
                    let card_id = next_card;
                    next_card += 1;
                    batch.cards.push(vec![
                        card_id.into(),
                        event_id.into(),
                        p.id.into(),
                        observation.into(),
                        1_i64.into(),
                        Cell::Null,
                        card_at.into(),
                    ]);
                    built.cards += 1;
                    let library = if p.job == SALES {
                        SALES_TAGS
                    } else {
                        SERVICE_TAGS
                    };
                    let mut picked: Vec<usize> = Vec::new();
                    while picked.len() < 3 {
                        let i = rng.random_range(0..library.len());
                        if !picked.contains(&i) {
                            picked.push(i);
                        }
                    }
                    for i in picked {
                        let rating = (3.3 + 1.1 * p.strength + rng.random_range(-1.0..1.0))
                            .round()
                            .clamp(1.0, 5.0) as i64;
                        batch.ratings.push(vec![
                            card_id.into(),
                            tag_ids[library[i].0].into(),
                            rating.into(),
                        ]);
                    }
                    balance += 1;
                    batch.ledger.push(vec![
                        next_ledger.into(),
                        p.id.into(),
                        1_i64.into(),
                        balance.into(),
                        "feedback_card".into(),
                        format!("card:{card_id}").into(),
                        card_at.into(),
                    ]);
                    next_ledger += 1;
                    // Some people redeem as soon as they can; most save up.
                    let (reward, cost) = reward_ids[rng.random_range(0..reward_ids.len())];
                    let stock =
                        REWARDS[reward_ids.iter().position(|r| r.0 == reward).unwrap_or(0)].4;
                    let left = stock.map(|s| s - taken.get(&reward).copied().unwrap_or(0));
                    if balance >= cost && left.is_none_or(|l| l > 0) && rng.random_bool(0.04) {
                        balance -= cost;
                        *taken.entry(reward).or_default() += 1;
                        let code = pulse_domain::auth::voucher_code();
                        let at = card_at + 60_000;
                        let fresh = now - at < 5 * 86_400_000;
                        batch.ledger.push(vec![
                            next_ledger.into(),
                            p.id.into(),
                            (-cost).into(),
                            balance.into(),
                            "redeem".into(),
                            format!("voucher:{code}").into(),
                            at.into(),
                        ]);
                        next_ledger += 1;
                        batch.redemptions.push(vec![
                            next_redemption.into(),
                            reward.into(),
                            p.id.into(),
                            cost.into(),
                            code.into(),
                            if fresh { "pending" } else { "fulfilled" }.into(),
                            at.into(),
                            if fresh {
                                Cell::Null
                            } else {
                                Cell::Int(at + 86_400_000)
                            },
                        ]);
                        next_redemption += 1;
                        built.redemptions += 1;
                    }
                }
            }
        }
        if balance > 0 {
            balances.push((p.id, balance));
        }
        if batch.events.len() > 60_000 {
            batch.flush(&mut tx).await?;
        }
    }
    batch.flush(&mut tx).await?;
    let rows: Vec<Vec<Cell>> = balances
        .iter()
        .map(|(id, b)| vec![Cell::Int(*id), Cell::Int(*b)])
        .collect();
    bulk::insert(&mut tx, "point_balances", &["person_id", "balance"], &rows).await?;
    for (reward, n) in &taken {
        pulse_store::points::take_stock(&mut tx, *reward, *n).await?;
    }
    for t in ["events", "feedback_cards", "points_ledger", "redemptions"] {
        bulk::continue_ids(&mut tx, t).await?;
    }
    // 重点客户渗透率 is computed from the visits just loaded, as the app does
    // after each visit (G3).
    for p in people.iter().filter(|p| p.job == SALES) {
        pulse_store::events::refresh_penetration(&mut tx, p.id, now).await?;
    }
    tx.commit().await?;
    Ok(built)
}

/// Whether a ticket's customer was upset (about a quarter are) and whether
/// the agent calmed them (likelier the stronger the agent): a hash of the
/// event id, independent of the demo's random stream.
fn soothing(event_id: i64, strength: f64) -> (bool, bool) {
    let h = (event_id as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17);
    let emotional = h % 100 < 25;
    let soothed = ((h >> 20) % 1000) as f64 / 1000.0 < 0.62 + 0.25 * strength;
    (emotional, soothed)
}
