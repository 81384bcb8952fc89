//! The demo's organisational pulse (H1–H4): two alignment rounds and two
//! trust surveys — six months ago and last month — and a year of own-radar
//! views and development clicks, so the dashboard reads roughly the seed's
//! before → after (31 → 79 %, 42 → 86 %, 0.3 → 2.8 a week). Every figure is
//! computed by the dashboard's own code from these planted rows: the rounds
//! are drawn, answered and verified through the store at planted instants;
//! the surveys' answers are loaded per person into the same two tables an
//! answer writes. A third round is open this month: `employee` is drawn
//! (the seed is the first that draws them) and HR's queue has claims to
//! verify. 华东's smallest team has 3 respondents in each survey and shows
//! as suppressed to `director`, its smallest sibling with it.

use chrono::{Datelike, Duration, NaiveDate};
use pulse_domain::health::sample;
use pulse_store::health::{alignment, frontline, months, region_of, surveys};
use pulse_store::org::Tree;
use pulse_store::{Actor, Clock, Db, bulk, day_start_ms};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::org::{AGENT, DemoOrg, ENGINEER};

const HOUR: i64 = 3_600_000;

/// (sales, engineer, agent) task texts; the first two of each support a TOP goal.
const TASKS: [[&str; 4]; 3] = [
    [
        "拜访KA医院客户推进续约",
        "跟进重点客户招标项目",
        "整理报价与回款对账",
        "参加内部周会",
    ],
    [
        "设备上门维修与巡检",
        "客户操作培训与验收",
        "备件申领与库存盘点",
        "填写差旅报销",
    ],
    [
        "受理客户投诉并回访",
        "工单跟进与升级处理",
        "整理知识库答复模板",
        "排班与交接",
    ],
];

fn family_index(job_family: &str) -> usize {
    match job_family {
        ENGINEER => 1,
        AGENT => 2,
        _ => 0,
    }
}

/// 10:00 China time on `day`.
fn at(day: NaiveDate) -> i64 {
    day_start_ms(day) + 10 * HOUR
}

fn first_of_month(d: NaiveDate, back: u32) -> NaiveDate {
    let mut m = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    for _ in 0..back {
        m = NaiveDate::from_ymd_opt(
            (m - Duration::days(1)).year(),
            (m - Duration::days(1)).month(),
            1,
        )
        .unwrap_or(m);
    }
    m
}

pub async fn seed(db: &Db, plan: &DemoOrg, seed: u64, weeks: i64) -> anyhow::Result<()> {
    let today = db.today();
    let tree = Tree::new(pulse_store::org::list(db).await?);
    let hrbp = person(db, plan, "hrbp").await?;
    let hr = Actor {
        account_id: None,
        person_id: Some(hrbp.0),
        label: format!("{}（{}）", hrbp.1, hrbp.2),
    };
    let top: Vec<i64> = alignment::top_goals(db)
        .await?
        .into_iter()
        .map(|g| g.0)
        .collect();
    let people = frontline(db).await?;
    let families = families(db).await?;
    let small = smallest_team(&tree, &people);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4ea1);
    for (back, name, aligned, clear) in [
        (6u32, "目标对齐抽样", 15usize, 0.42),
        (1, "目标对齐抽样", 38, 0.86),
    ] {
        let month = first_of_month(today, back);
        let label = month.format("%Y年%-m月").to_string();
        if !top.is_empty() {
            let t0 = at(month + Duration::days(7));
            let id = alignment::start(
                &db.clone().with_clock(Clock::fixed(t0)),
                &hr,
                &tree,
                &alignment::NewRound {
                    name: format!("{label} {name}"),
                    size: sample::DEFAULT_SIZE,
                    seed: Some(seed ^ u64::from(back) << 8),
                    stratified: true,
                },
            )
            .await?;
            answer_round(db, &hr, id, t0, &top, &families, aligned, 48, &mut rng).await?;
            alignment::close(
                &db.clone().with_clock(Clock::fixed(t0 + 12 * 24 * HOUR)),
                &hr,
                id,
            )
            .await?;
        }
        let s0 = at(month + Duration::days(9));
        let survey = surveys::launch(
            &db.clone().with_clock(Clock::fixed(s0)),
            &hr,
            &tree,
            &surveys::NewSurvey {
                title: format!("{label} 反馈信任度调查"),
                unit_id: tree.children(None).next().map_or(0, |u| u.id),
                min_group: 5,
            },
        )
        .await?;
        let answers = plant_answers(&people, small, clear, &mut rng);
        surveys::load_answers(db, survey, &answers).await?;
        surveys::close(
            &db.clone().with_clock(Clock::fixed(s0 + 14 * 24 * HOUR)),
            &hr,
            survey,
        )
        .await?;
    }
    open_round(db, plan, &hr, &tree, &top, &families, &people).await?;
    activity(db, &people, today, weeks, &mut rng).await?;
    Ok(())
}

async fn person(db: &Db, plan: &DemoOrg, login: &str) -> anyhow::Result<(i64, String, String)> {
    let p = plan
        .by_login(login)
        .ok_or_else(|| anyhow::anyhow!("demo login {login} missing"))?;
    let row = pulse_store::people::by_employee_no(db, &p.employee_no)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo person {login} missing"))?;
    Ok((row.id, row.name, row.employee_no))
}

async fn families(db: &Db) -> anyhow::Result<std::collections::HashMap<i64, usize>> {
    Ok(pulse_store::health::job_families(db)
        .await?
        .into_iter()
        .map(|(id, f)| (id, family_index(&f)))
        .collect())
}

/// 华东's team with the fewest frontline people (at least 6, so that only 3
/// answering is a choice, not the team's size): `director` sees it hidden.
fn smallest_team(tree: &Tree, people: &[(i64, i64)]) -> Option<i64> {
    let region = tree.units.iter().find(|u| u.code == "HD").map(|u| u.id);
    tree.units
        .iter()
        .filter(|u| u.kind == "team" && u.parent_id == region)
        .map(|u| (people.iter().filter(|p| p.1 == u.id).count(), u.id))
        .filter(|(n, _)| *n >= 6)
        .min()
        .map(|(_, id)| id)
}

/// The sampled people answer over three days; an HRBP verifies each claim
/// two days later. The first `aligned` answerers have 2–3 tasks that truly
/// support a TOP goal; the others name goals an HRBP turns down, or none.
#[allow(clippy::too_many_arguments)]
async fn answer_round(
    db: &Db,
    hr: &Actor,
    round: i64,
    t0: i64,
    top: &[i64],
    families: &std::collections::HashMap<i64, usize>,
    aligned: usize,
    answering: usize,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    // Answering and aligned people are spread over the regions by a shuffle.
    let mut members: Vec<i64> = alignment::members(db, round).await?;
    for i in (1..members.len()).rev() {
        let j = rng.random_range(0..=i);
        members.swap(i, j);
    }
    for (i, pid) in members.iter().take(answering).enumerate() {
        let fam = families.get(pid).copied().unwrap_or(0);
        let good = i < aligned;
        let extra = rng.random_range(0..3usize);
        let tasks: Vec<(String, Option<i64>)> = (0..3)
            .map(|k| {
                let goal = if k < 2 || (good && extra == 0) || (!good && extra > 0) {
                    Some(top[(i + k) % top.len()])
                } else {
                    None
                };
                (
                    TASKS[fam][if k < 2 { k } else { 2 + extra % 2 }].to_string(),
                    goal,
                )
            })
            .collect();
        let actor = Actor {
            account_id: None,
            person_id: Some(*pid),
            label: format!("#{pid}"),
        };
        let when = t0 + (1 + (i as i64 % 3)) * 24 * HOUR + (i as i64 % 7) * HOUR;
        alignment::submit(
            &db.clone().with_clock(Clock::fixed(when)),
            &actor,
            round,
            *pid,
            &tasks,
        )
        .await?;
    }
    let queue = alignment::queue(db, Some(round), 500).await?;
    let verifier = db.clone().with_clock(Clock::fixed(t0 + 5 * 24 * HOUR));
    for claim in queue {
        let i = members
            .iter()
            .position(|m| *m == claim.person_id)
            .unwrap_or(0);
        // An aligned person's first two claims hold; everyone else has at most one.
        let agree = if i < aligned {
            claim.position <= 2 || rng.random_range(0..2) == 0
        } else {
            claim.position == 1 && i % 3 == 0
        };
        let v = if agree {
            pulse_domain::health::Verdict::Agree
        } else {
            pulse_domain::health::Verdict::Disagree
        };
        alignment::verify(&verifier, hr, claim.id, v).await?;
    }
    Ok(())
}

/// Three in four answer; in the small team only three do. `clear` of them
/// choose 非常清楚 or 比较清楚.
fn plant_answers(
    people: &[(i64, i64)],
    small: Option<i64>,
    clear: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<(i64, i64)> {
    let mut small_left = 3;
    let mut who: Vec<i64> = Vec::new();
    for (pid, unit) in people {
        if Some(*unit) == small {
            if small_left > 0 {
                small_left -= 1;
                who.push(*pid);
            }
        } else if rng.random_range(0..4) != 0 {
            who.push(*pid);
        }
    }
    let k = (clear * who.len() as f64).round() as usize;
    let mut order: Vec<usize> = (0..who.len()).collect();
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let mut answers = vec![(0, 0); who.len()];
    for (rank, idx) in order.into_iter().enumerate() {
        let option = if rank < k {
            1 + rng.random_range(0..2)
        } else {
            3 + rng.random_range(0..3)
        };
        answers[idx] = (who[idx], option);
    }
    answers
}

/// This month's open round, drawn with the first seed that includes
/// `employee`; two thirds of the others have answered and wait for an HRBP.
async fn open_round(
    db: &Db,
    plan: &DemoOrg,
    hr: &Actor,
    tree: &Tree,
    top: &[i64],
    families: &std::collections::HashMap<i64, usize>,
    people: &[(i64, i64)],
) -> anyhow::Result<()> {
    let Some(first_task) = top.first().copied() else {
        return Ok(());
    };
    let me = person(db, plan, "employee").await?.0;
    let strata: Vec<(i64, i64)> = people
        .iter()
        .map(|(id, u)| (*id, region_of(tree, *u)))
        .collect();
    let seed = (1..10_000u64)
        .find(|s| {
            sample::draw(&strata, sample::DEFAULT_SIZE, *s, true).is_ok_and(|d| d.contains(&me))
        })
        .unwrap_or(1);
    let now = db.now_ms();
    let t0 = now - 2 * 24 * HOUR;
    let id = alignment::start(
        &db.clone().with_clock(Clock::fixed(t0)),
        hr,
        tree,
        &alignment::NewRound {
            name: format!("{} 目标对齐抽样", db.today().format("%Y年%-m月")),
            size: sample::DEFAULT_SIZE,
            seed: Some(seed),
            stratified: true,
        },
    )
    .await?;
    let members = alignment::members(db, id).await?;
    for (i, pid) in members.iter().filter(|p| **p != me).enumerate().take(30) {
        let fam = families.get(pid).copied().unwrap_or(0);
        let tasks: Vec<(String, Option<i64>)> = (0..3)
            .map(|k| {
                (
                    TASKS[fam][k].to_string(),
                    (k < 2).then(|| top.get((i + k) % top.len()).copied().unwrap_or(first_task)),
                )
            })
            .collect();
        let actor = Actor {
            account_id: None,
            person_id: Some(*pid),
            label: format!("#{pid}"),
        };
        let when = t0 + HOUR + i as i64 * 60_000;
        alignment::submit(
            &db.clone().with_clock(Clock::fixed(when)),
            &actor,
            id,
            *pid,
            &tasks,
        )
        .await?;
    }
    Ok(())
}

/// Own-radar views and development clicks per person, rising from 0.3 to
/// 2.8 a week over the twelve complete months (clicks from the eighth,
/// when development paths opened), for the months the history covers.
async fn activity(
    db: &Db,
    people: &[(i64, i64)],
    today: NaiveDate,
    weeks: i64,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let window = months::window(today, 12);
    let history_start = day_start_ms(today - Duration::days(7 * weeks.max(1)));
    let mut views: Vec<Vec<bulk::Cell>> = Vec::new();
    let mut clicks: Vec<Vec<bulk::Cell>> = Vec::new();
    for (m, (_, from, to)) in window.iter().enumerate() {
        if *to <= history_start {
            continue;
        }
        let rate = 0.3 + 2.5 * m as f64 / 11.0;
        let click_rate = if m >= 8 { 0.1 * (m - 7) as f64 } else { 0.0 };
        let weeks_in = (to - from) as f64 / (7.0 * 24.0 * HOUR as f64);
        for (pid, _) in people {
            let n =
                |r: f64, rng: &mut ChaCha8Rng| (r * weeks_in + rng.random_range(0.0..1.0)) as i64;
            let nv = n(rate - click_rate, rng);
            let nc = n(click_rate, rng);
            for _ in 0..nv {
                let t = rng.random_range(*from..*to);
                views.push(vec![(*pid).into(), (*pid).into(), t.into()]);
            }
            for _ in 0..nc {
                let t = rng.random_range(*from..*to);
                clicks.push(vec![
                    (*pid).into(),
                    (*pid).into(),
                    "click".to_string().into(),
                    "learning".to_string().into(),
                    t.into(),
                ]);
            }
        }
    }
    let mut tx = db.begin().await?;
    for chunk in views.chunks(20_000) {
        bulk::insert(
            &mut tx,
            "radar_views",
            &["person_id", "viewer_id", "viewed_at"],
            chunk,
        )
        .await?;
    }
    for chunk in clicks.chunks(20_000) {
        bulk::insert(
            &mut tx,
            "development_activity",
            &["person_id", "viewer_id", "action", "target", "at"],
            chunk,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
