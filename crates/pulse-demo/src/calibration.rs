//! The demo's calibration session (C1–C5): 2026's year-end session for
//! 华东 sales, in pre-scoring. The committee is the demo `director`, the
//! `committee` login (VP sales) and two more (the HR head and 华南's
//! director); the demo `hrbp` facilitates. Every case has its pre-scores
//! close to the manager's rating, except two planted ones: 案例 03 already
//! diverges (1.5, 4.5, 4.5, 3), and 案例 07 has two scores (4 and 5) — the
//! `committee` login's third score of 2 flags it (σ 1.25 > 1.2) on every
//! screen. The HRBP's competency keyword dictionary feeds the middle screen.

use pulse_domain::calibration::SessionState;
use pulse_store::calibration::{self, SessionInput};
use pulse_store::{Actor, Db};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::org::{DIRECTOR, DemoOrg};

/// The HRBP's competency keyword dictionary (C2 middle screen).
pub const KEYWORDS: &[(&str, &[&str])] = &[
    (
        "复杂谈判策略",
        &["价格异议", "谈判", "报价", "议价", "分期付款"],
    ),
    ("方案呈现", &["方案", "演示", "汇报", "试用"]),
    ("客户洞察", &["需求", "关注", "关心", "痛点"]),
    ("客户关系", &["建联", "口碑", "认可", "回访", "满意"]),
    ("技术方案创新", &["根因", "修复", "升级", "优化"]),
    ("响应时效", &["响应", "到货", "保修", "投诉"]),
];

/// The planted divergent case's number and its pre-scores.
pub const DIVERGENT_SEQ: i64 = 7;
pub const DIVERGENT_PRE: [f64; 2] = [4.0, 5.0];
pub const DIVERGENT_LIVE: f64 = 2.0;

async fn person(db: &Db, no: &str) -> anyhow::Result<i64> {
    pulse_store::people::by_employee_no(db, no)
        .await?
        .map(|p| p.id)
        .ok_or_else(|| anyhow::anyhow!("demo person {no} missing"))
}

pub async fn seed(db: &Db, org: &DemoOrg, seed: u64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    for (competency, words) in KEYWORDS {
        for w in *words {
            calibration::keywords::add_keyword(&mut tx, competency, w).await?;
        }
    }
    tx.commit().await?;

    let Some(cycle) = pulse_store::reviews::cycles(db)
        .await?
        .into_iter()
        .find(|c| !c.frozen())
    else {
        return Ok(());
    };
    let by = |login: &str| org.by_login(login).map(|p| p.employee_no.clone());
    let (Some(director), Some(vp), Some(hrbp)) = (by("director"), by("committee"), by("hrbp"))
    else {
        return Ok(());
    };
    let hr_head = org
        .people
        .iter()
        .find(|p| p.unit_code == "HQ-HR" && p.level == "M4")
        .map(|p| p.employee_no.clone());
    let south = org
        .people
        .iter()
        .find(|p| p.unit_code == "HN" && p.job_family == DIRECTOR)
        .map(|p| p.employee_no.clone());
    let (Some(hr_head), Some(south)) = (hr_head, south) else {
        return Ok(());
    };
    let members = [
        person(db, &director).await?,
        person(db, &vp).await?,
        person(db, &hr_head).await?,
        person(db, &south).await?,
    ];
    let hr = Actor::system("HRBP 周敏");
    let today = db.today();
    let year = chrono::Datelike::year(&today);
    let tomorrow = pulse_domain::china_time::day_start_ms(today + chrono::Days::new(1));
    let session = calibration::create(
        db,
        &hr,
        &SessionInput {
            name: format!("{year} 年终绩效校准会 · 华东销售"),
            cycle_id: cycle.id,
            region_code: Some("HD".into()),
            job_family: Some(crate::org::SALES.into()),
            facilitator_id: person(db, &hrbp).await?,
            member_ids: members.to_vec(),
            scheduled_at: tomorrow + 14 * 3_600_000,
            sigma_threshold: 1.2,
            guidance: "20-70-10".into(),
        },
    )
    .await?;
    calibration::move_to(db, &hr, session.id, SessionState::PreScoring).await?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0ca1_1b7a);
    let cases = calibration::cases(db, session.id).await?;
    for c in &cases {
        let scores: Vec<(i64, f64)> = match c.seq {
            DIVERGENT_SEQ => vec![
                (members[0], DIVERGENT_PRE[0]),
                (members[2], DIVERGENT_PRE[1]),
            ],
            3 => members.iter().copied().zip([1.5, 4.5, 4.5, 3.0]).collect(),
            _ => {
                let base = c.manager_rating().unwrap_or(3.0);
                members
                    .iter()
                    .map(|m| {
                        let step = [-0.5, 0.0, 0.0, 0.5][rng.random_range(0..4usize)];
                        (*m, (base + step).clamp(1.0, 5.0))
                    })
                    .collect()
            }
        };
        for (m, s) in scores {
            calibration::score(db, session.id, c.id, m, s).await?;
        }
    }
    if let Some(c) = cases.iter().find(|c| c.seq == DIVERGENT_SEQ) {
        calibration::put_on(db, &hr, session.id, c.id).await?;
    }
    Ok(())
}
