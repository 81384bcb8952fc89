//! Review cycles in the demo (W1–W3): the previous quarter's cycle complete
//! for every frontline person, written with the review writer from their
//! own records, with edit counts and writing times spread around the
//! pilot's 9 minutes, released and mostly acknowledged; and the current
//! quarter's cycle open, part of it submitted, the demo team lead's team
//! still to write.

use chrono::Days;
use pulse_domain::china_time::day_start_ms;
use pulse_domain::events::EventKind;
use pulse_domain::reviews::edits::edit_count;
use pulse_domain::reviews::evidence::{Fact, rank};
use pulse_domain::reviews::writer::{DraftInput, draft};
use pulse_domain::reviews::{Population, RatingScale};
use pulse_store::reviews::history::{self, Written};
use pulse_store::reviews::{self, CycleInput, Whose, evidence};
use pulse_store::{Actor, Db};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::goals::Built;
use crate::org::DemoOrg;

/// Small changes a manager makes to a draft, applied in turn.
const TOUCHES: [(&str, &str); 9] = [
    ("完成率", "目标完成率"),
    ("共同确定", "一起确定"),
    ("实际达到", "实际已达到"),
    ("持续", "一直"),
    ("建议下季度", "希望下季度"),
    ("。", "，值得肯定。"),
    ("，并由主管安排一次带教实践", ""),
    ("打下基础", "打下了扎实基础"),
    ("这体现了", "充分体现了"),
];

fn touch(draft: &str, n: usize) -> String {
    let mut text = draft.to_string();
    let mut applied = 0;
    for (from, to) in TOUCHES {
        if applied == n {
            break;
        }
        if let Some(at) = text.find(from) {
            text.replace_range(at..at + from.len(), to);
            applied += 1;
        }
    }
    text
}

/// Minutes around 9 (the pilot's median), a long tail for the careful.
fn writing_seconds(rng: &mut ChaCha8Rng) -> i64 {
    let z: f64 = (0..6).map(|_| rng.random_range(-1.0..1.0f64)).sum::<f64>() / 2.0;
    (540.0 * (z * 0.35).exp()).round() as i64
}

fn rating_for(score_bp: Option<i64>, rng: &mut ChaCha8Rng) -> f64 {
    let s = score_bp.unwrap_or(9000);
    let r: f64 = rng.random_range(0.0..1.0);
    match s {
        s if s >= 10_800 => {
            if r < 0.55 {
                5.0
            } else {
                4.0
            }
        }
        s if s >= 9_800 => {
            if r < 0.6 {
                4.0
            } else {
                3.0
            }
        }
        s if s >= 8_500 => {
            if r < 0.8 {
                3.0
            } else {
                4.0
            }
        }
        _ => {
            if r < 0.6 {
                2.0
            } else {
                3.0
            }
        }
    }
}

pub async fn seed(db: &Db, org: &DemoOrg, built: &Built, seed: u64) -> anyhow::Result<()> {
    let hr = Actor::system("HRBP 周敏");
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_71e3);
    let periods = pulse_store::goals::periods(db).await?;
    let (Some(prev), Some(cur)) = (
        periods.iter().find(|p| p.id == built.previous),
        periods.iter().find(|p| p.id == built.quarter),
    ) else {
        return Ok(());
    };
    let now = db.now_ms();
    let day = 86_400_000;

    // The previous quarter: launched five days after it ended, due ten days later.
    let q3 = reviews::launch(
        db,
        &hr,
        &CycleInput {
            name: format!("{}绩效评价", prev.name),
            period_id: prev.id,
            population: Population::Company,
            scale: RatingScale::default(),
            self_assessment: false,
            due_on: prev.ends_on + Days::new(15),
        },
    )
    .await?;
    let launched = day_start_ms(prev.ends_on + Days::new(5)) + 9 * 3_600_000;
    let from = day_start_ms(prev.starts_on);
    let to = day_start_ms(prev.ends_on + Days::new(1));
    let notable = [
        EventKind::Evaluation,
        EventKind::Delivery,
        EventKind::WorkOrder,
        EventKind::Snapshot,
    ];
    let mut by_person = evidence::event_facts_by_person(db, from, to, &notable).await?;
    let metric_names = evidence::metric_names(db).await?;
    let drafts = reviews::list(db, Whose::All, Some(q3.id)).await?;
    let ids: Vec<i64> = drafts.iter().map(|r| r.person_id).collect();
    let goals = pulse_store::goals::goals_of_people(db, &ids, prev.id).await?;
    let demo_employee = org.by_login("employee").map(|p| p.employee_no.clone());
    let mut written = Vec::with_capacity(drafts.len());
    for r in &drafts {
        let mut facts: Vec<Fact> = by_person.remove(&r.person_id).unwrap_or_default();
        let person_goals = goals.get(&r.person_id).cloned().unwrap_or_default();
        facts.extend(evidence::goal_results(&person_goals, &metric_names, to - 1));
        rank(&mut facts);
        if facts.len() < 2 {
            continue;
        }
        let d = draft(&DraftInput {
            name: &r.name,
            period: &prev.name,
            facts: [&facts[0], &facts[1]],
            weakest: None,
            seed: r.id as u64,
        });
        let touches = match rng.random_range(0..100) {
            0..15 => 0,
            15..45 => 1,
            45..75 => 2,
            75..95 => 3,
            _ => 5,
        };
        let body = touch(&d.text, touches);
        let score = (!person_goals.is_empty())
            .then(|| pulse_store::goals::weighted_score_bp(&person_goals));
        let submitted_at =
            launched + rng.random_range(1..9) * day + rng.random_range(0..8) * 3_600_000;
        let released_at = launched + 14 * day;
        let is_demo_employee = demo_employee.as_deref() == Some(r.employee_no.as_str());
        let acknowledged = !is_demo_employee && rng.random_range(0..100) < 85;
        written.push(Written {
            person_id: r.person_id,
            edit_count: i64::from(edit_count(&d.text, &body)),
            body,
            draft_text: d.text.clone(),
            draft_evidence: vec![facts[0].id(), facts[1].id()],
            rating: rating_for(score, &mut rng),
            writing_seconds: writing_seconds(&mut rng),
            submitted_at,
            released_at: Some(released_at),
            acknowledged_at: acknowledged.then(|| released_at + rng.random_range(1..5) * day),
            ack_comment: String::new(),
        });
    }
    // Anyone without two records of their own (no goals, no events) is
    // written by hand, shortly.
    let done: std::collections::HashSet<i64> = written.iter().map(|w| w.person_id).collect();
    for r in drafts.iter().filter(|r| !done.contains(&r.person_id)) {
        let body = format!(
            "{}：本季度完成了岗位的日常工作，配合团队推进重点项目，下季度建议明确一项可衡量的提升目标。",
            r.name
        );
        written.push(Written {
            person_id: r.person_id,
            draft_text: String::new(),
            draft_evidence: Vec::new(),
            edit_count: i64::from(edit_count("", &body)),
            body,
            rating: 3.0,
            writing_seconds: writing_seconds(&mut rng) + 600,
            submitted_at: launched + 9 * day,
            released_at: Some(launched + 14 * day),
            acknowledged_at: Some(launched + 16 * day),
            ack_comment: String::new(),
        });
    }
    history::load(db, &hr, q3.id, &written, true).await?;
    history::backdate_cycle(db, q3.id, launched, Some(launched + 20 * day)).await?;

    // The current quarter: launched a few days ago, due in ten days; about
    // four in ten submitted across the company, the demo team still to write.
    let q4 = reviews::launch(
        db,
        &hr,
        &CycleInput {
            name: format!("{}绩效评价", cur.name),
            period_id: cur.id,
            population: Population::Company,
            scale: RatingScale::default(),
            self_assessment: true,
            due_on: db.today() + Days::new(10),
        },
    )
    .await?;
    let demo_manager = org.by_login("manager").map(|p| p.employee_no.clone());
    let manager_id = match demo_manager {
        Some(no) => pulse_store::people::by_employee_no(db, &no)
            .await?
            .map(|p| p.id),
        None => None,
    };
    let open = reviews::list(db, Whose::All, Some(q4.id)).await?;
    let cur_goals = pulse_store::goals::goals_of_people(
        db,
        &open.iter().map(|r| r.person_id).collect::<Vec<_>>(),
        cur.id,
    )
    .await?;
    let mut partial = Vec::new();
    // 华东's sales reviews are all in (bar the demo team's): the year-end
    // calibration session takes them. A stream of their own keeps everyone
    // else's draws as they were.
    let east = east_sales_units(db).await?;
    let mut east_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00ca_11b0);
    for r in open.iter().filter(|r| Some(r.reviewer_id) != manager_id) {
        let forced = east.contains(&r.org_unit_id) && r.job_family == crate::org::SALES;
        let drawn = rng.random_range(0..100) < 40;
        if !drawn && !forced {
            continue;
        }
        let rng = if drawn { &mut rng } else { &mut east_rng };
        let person_goals = cur_goals.get(&r.person_id).cloned().unwrap_or_default();
        let mut facts = evidence::goal_results(&person_goals, &metric_names, now - 1);
        rank(&mut facts);
        if facts.len() < 2 {
            continue;
        }
        let d = draft(&DraftInput {
            name: &r.name,
            period: &cur.name,
            facts: [&facts[0], &facts[1]],
            weakest: None,
            seed: r.id as u64,
        });
        let body = touch(&d.text, rng.random_range(0..4));
        let score = (!person_goals.is_empty())
            .then(|| pulse_store::goals::weighted_score_bp(&person_goals));
        partial.push(Written {
            person_id: r.person_id,
            edit_count: i64::from(edit_count(&d.text, &body)),
            body,
            draft_text: d.text.clone(),
            draft_evidence: vec![facts[0].id(), facts[1].id()],
            rating: rating_for(score, rng),
            writing_seconds: writing_seconds(rng),
            submitted_at: now - rng.random_range(1..72) * 3_600_000,
            released_at: None,
            acknowledged_at: None,
            ack_comment: String::new(),
        });
    }
    history::load(db, &hr, q4.id, &partial, false).await?;
    history::backdate_cycle(db, q4.id, now - 4 * day, None).await?;
    Ok(())
}

/// The units under 华东 (the demo's calibration region).
pub(crate) async fn east_sales_units(db: &Db) -> anyhow::Result<std::collections::HashSet<i64>> {
    let tree = pulse_store::org::Tree::new(pulse_store::org::list(db).await?);
    Ok(tree
        .units
        .iter()
        .filter(|u| tree.path(u.id).iter().any(|p| p.code == "HD"))
        .map(|u| u.id)
        .collect())
}
