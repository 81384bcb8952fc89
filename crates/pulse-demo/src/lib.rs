//! The pilot organisation from the seed article, built deterministically (O2):
//! a medical-device distribution group with 17 regions and 2,100 frontline
//! sales reps, service engineers and customer-service agents, their team
//! leads, region managers and directors, HRBPs, a calibration committee and
//! an admin. The same seed always yields the same people and 工号.
//!
//! Later features add their history (events, feedback, reviews) in their own
//! modules, anchored on the demo accounts listed in [`DEMO_ACCOUNTS`].

pub mod calibration;
pub mod competency;
mod customers;
mod feedback;
mod goals;
mod health;
mod identity;
mod inbox;
pub mod linkage;
mod names;
mod org;
mod price_story;
mod reviews;
mod stories;

use pulse_domain::org::{EmployeeNo, PersonStatus};
use pulse_domain::roles::{Grant, ScopeKind};
use pulse_store::org::NewUnit;
use pulse_store::people::PersonInput;
use pulse_store::{Actor, Db, accounts};

pub use org::{DemoOrg, DemoPerson, plan};

pub const DEFAULT_SEED: u64 = 20_261_128;
pub const DEMO_PASSWORD: &str = "demo";

/// The named demo accounts (login, what they are), printed at start.
pub const DEMO_ACCOUNTS: &[(&str, &str)] = &[
    ("admin", "系统管理员 administrator"),
    ("hrbp", "HRBP（全公司范围）"),
    ("director", "华东大区总监 region director of 华东"),
    ("manager", "华东大区 上海销售一组主管 team lead"),
    ("employee", "上海销售一组 销售代表 sales rep"),
    ("engineer", "华东大区 服务工程师 service engineer"),
    (
        "engineer2",
        "华东大区 服务工程师（差一点达标）engineer just short of the rule",
    ),
    ("agent", "华东大区 客服专员 customer-service agent"),
    (
        "agent2",
        "华东大区 客服专员（差一点达标）agent just short of the rule",
    ),
    ("committee", "校准委员会委员 calibration committee"),
];

/// Progress of a long step, for the CLI's progress bars.
pub trait Progress {
    fn start(&self, step: &str, total: u64);
    fn advance(&self, n: u64);
    fn finish(&self);
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// True when the database already holds an organisation.
pub async fn exists(db: &Db) -> anyhow::Result<bool> {
    Ok(!pulse_store::org::list(db).await?.is_empty())
}

pub use feedback::{Built as EventsBuilt, Volume, price_story_from};

/// Weeks of event history `pulse demo` builds: a year.
pub const FULL_YEAR: Volume = Volume { weeks: 52 };

/// Writes the demo organisation with a year of events into an empty database.
pub async fn build(db: &Db, seed: u64, progress: &dyn Progress) -> anyhow::Result<DemoOrg> {
    build_with(db, seed, &FULL_YEAR, progress).await
}

/// Like [`build`] with a chosen length of event history (tests use a few
/// weeks: the stories need the last ones, and a debug build of a year is slow).
pub async fn build_with(
    db: &Db,
    seed: u64,
    volume: &Volume,
    progress: &dyn Progress,
) -> anyhow::Result<DemoOrg> {
    let plan = plan(seed);
    let actor = Actor::system("演示数据 demo");
    let mut tx = db.begin().await?;

    progress.start("组织架构 org units", plan.units.len() as u64);
    let units: Vec<NewUnit> = plan.units.iter().map(|u| u.new_unit()).collect();
    pulse_store::org::upsert_units(&mut tx, &actor, &units).await?;
    progress.advance(units.len() as u64);
    progress.finish();

    let unit_ids = pulse_store::org::ids_by_code(&mut tx).await?;

    progress.start("人员 people", plan.people.len() as u64);
    let inputs: Vec<PersonInput> = plan
        .people
        .iter()
        .map(|p| -> Result<PersonInput, pulse_domain::Problem> {
            Ok(PersonInput {
                employee_no: EmployeeNo::parse(&p.employee_no)?,
                name: p.name.clone(),
                job_family: p.job_family.to_string(),
                level: p.level.to_string(),
                org_unit_id: unit_ids[&p.unit_code],
                manager_employee_no: p.manager.as_deref().map(EmployeeNo::parse).transpose()?,
                hire_date: Some(p.hire_date),
                status: PersonStatus::Active,
                email: Some(format!(
                    "{}@pulse-demo.example.cn",
                    p.employee_no.to_lowercase()
                )),
                wecom_userid: Some(format!("wx{}", p.employee_no)),
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|p| anyhow::anyhow!("demo plan has a bad 工号: {}", p.en))?;
    pulse_store::people::upsert(&mut tx, &actor, &inputs, true).await?;
    progress.advance(inputs.len() as u64);
    progress.finish();

    // One argon2id hash for the shared demo password: hashing 2,300 times
    // would dominate the build. Real accounts each get their own salt.
    let hash = pulse_domain::auth::hash_password(DEMO_PASSWORD)?;
    progress.start("账号 accounts", plan.people.len() as u64);
    for p in &plan.people {
        let grants: Vec<Grant> = p
            .roles
            .iter()
            .map(|(role, anchor)| Grant {
                role: *role,
                scope: if anchor.is_some() {
                    ScopeKind::Subtree
                } else {
                    role.default_scope()
                },
                anchor_unit: anchor.as_ref().map(|c| unit_ids[c]),
            })
            .collect();
        let login = p.login.clone().unwrap_or_else(|| p.employee_no.clone());
        accounts::create_account_hashed(&mut tx, &actor, &p.employee_no, &login, &hash, &grants)
            .await?;
        progress.advance(1);
    }
    progress.finish();
    inbox::seed(&mut tx, &plan).await?;
    // One WeChat Work group robot per region, disabled and pointing at no real
    // robot: an admin fills in the key and switches it on.
    for u in plan
        .units
        .iter()
        .filter(|u| u.kind == pulse_domain::org::UnitKind::Region)
    {
        let config = serde_json::json!({"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=00000000-0000-0000-0000-000000000000"});
        pulse_store::outbox::save_channel(
            &mut tx,
            &format!("{}群", u.name),
            "wecom_robot",
            &config,
            false,
        )
        .await?;
    }
    // Personal channels, also switched off: the WeChat Work app and company email.
    pulse_store::outbox::save_channel(
        &mut tx,
        "企业微信应用",
        "wecom_app",
        &serde_json::json!({"base_url": "https://qyapi.weixin.qq.com", "corpid": "ww00000000000000", "corpsecret": "demo-secret-not-real", "agentid": 1000002}),
        false,
    )
    .await?;
    pulse_store::outbox::save_channel(
        &mut tx,
        "公司邮箱",
        "email",
        &serde_json::json!({"host": "smtp.pulse-demo.example.cn", "port": 587, "tls": "starttls", "from": "绩效脉搏 <pulse@pulse-demo.example.cn>", "username": "pulse", "password": "demo-secret-not-real"}),
        false,
    )
    .await?;
    inbox::seed_preferences(&mut tx, &plan).await?;
    progress.start("目标与权重 goals", 1);
    let today = db.today();
    let built = goals::seed(&mut tx, &plan, seed, today).await?;
    progress.advance(1);
    progress.finish();
    tx.commit().await?;
    goals::after_commit(db, &plan, &built, seed).await?;
    progress.start("业务事件与反馈 events and feedback", 1);
    feedback::seed(db, &plan, seed, today, volume).await?;
    // The Monday of the history's first week (as feedback::seed counts).
    let first_day = today
        - chrono::Days::new(u64::from(
            chrono::Datelike::weekday(&today).num_days_from_monday(),
        ))
        - chrono::Days::new(7 * (volume.weeks.max(1) as u64 - 1));
    price_story::plant(db, &plan, today, first_day).await?;
    stories::story(db, &plan).await?;
    db.after_bulk_load().await?;
    competency::seed_models(db).await?;
    reviews::seed(db, &plan, &built, seed).await?;
    calibration::seed(db, &plan, seed).await?;
    linkage::seed(db, &plan).await?;
    health::seed(db, &plan, seed, volume.weeks).await?;
    identity::seed(db, &plan).await?;
    competency::first_digests(db, today, first_day).await?;
    progress.advance(1);
    progress.finish();
    // The reminder job's first pass, so the overdue to-dos show their nudges
    // and the director sees the escalation as soon as the demo opens.
    pulse_jobs::reminders::run_once(db, &Default::default(), &Default::default(), db.now_ms())
        .await?;
    Ok(plan)
}
