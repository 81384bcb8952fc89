//! A realistic inbox for the demo accounts (N1), built from things that exist
//! in Pulse today: onboarding talks, roster checks, reporting lines, profiles.

use pulse_store::inbox::{self, NewTodo, TodoState};
use pulse_store::{StoreError, Tx};

use crate::DemoOrg;

const DAY: i64 = 86_400_000;

struct Item<'a> {
    /// The owner's 工号.
    owner: String,
    kind: &'a str,
    subject: String,
    subject_en: String,
    link: String,
    due_days: Option<i64>,
    done: bool,
}

/// To-dos are relative to the day the demo is built, so "overdue" means something whenever it runs.
pub async fn seed(tx: &mut Tx, org: &DemoOrg) -> Result<usize, StoreError> {
    let by_login = |l: &str| org.by_login(l).expect("demo login exists");
    let manager = by_login("manager");
    let director = by_login("director");
    let team: Vec<_> = org
        .people
        .iter()
        .filter(|p| p.manager.as_deref() == Some(manager.employee_no.as_str()))
        .collect();
    let newest = team
        .iter()
        .max_by_key(|p| p.hire_date)
        .expect("team has members");
    let junior = team.iter().find(|p| p.level == "P2").unwrap_or(&team[0]);
    let rm = org
        .people
        .iter()
        .find(|p| p.manager.as_deref() == Some(director.employee_no.as_str()))
        .expect("region manager");
    let items = vec![
        Item {
            owner: by_login("manager").employee_no.clone(),
            kind: "onboarding_1on1",
            subject: format!("与新同事 {} 完成入职一对一沟通", newest.name),
            subject_en: format!("Onboarding one-to-one with {}", newest.name),
            link: format!("/people/{}", newest.employee_no),
            due_days: Some(1),
            done: false,
        },
        Item {
            owner: by_login("manager").employee_no.clone(),
            kind: "roster_check",
            subject: "核对团队花名册：上海销售一组".into(),
            subject_en: "Check the team roster: 上海销售一组".into(),
            link: format!("/org?unit={}", manager.unit_code),
            due_days: Some(3),
            done: false,
        },
        Item {
            owner: by_login("manager").employee_no.clone(),
            kind: "level_review",
            subject: format!("确认 {} 的职级信息（{}）", junior.name, junior.level),
            subject_en: format!("Confirm {}'s level ({})", junior.name, junior.level),
            link: format!("/people/{}", junior.employee_no),
            due_days: Some(-2),
            done: false,
        },
        Item {
            owner: by_login("manager").employee_no.clone(),
            kind: "profile_update",
            subject: "更新团队成员的企业微信账号".into(),
            subject_en: "Update the team's WeChat Work accounts".into(),
            link: format!("/org?unit={}", manager.unit_code),
            due_days: Some(-10),
            done: true,
        },
        Item {
            owner: by_login("manager").employee_no.clone(),
            kind: "team_inventory",
            subject: "提交上海销售一组季度人员盘点".into(),
            subject_en: "Submit the quarterly headcount review of 上海销售一组".into(),
            link: format!("/org?unit={}", manager.unit_code),
            due_days: Some(-4),
            done: false,
        },
        Item {
            owner: rm.employee_no.clone(),
            kind: "transfer_approval",
            subject: "审批：上海销售一组的人员调岗申请".into(),
            subject_en: "Approve: a transfer request of 上海销售一组".into(),
            link: format!("/org?unit={}", manager.unit_code),
            due_days: Some(-5),
            done: false,
        },
        Item {
            owner: by_login("director").employee_no.clone(),
            kind: "org_review",
            subject: "审阅华东大区组织架构：新增团队的人员配置".into(),
            subject_en: "Review the 华东大区 structure: staffing of the new team".into(),
            link: "/org?unit=HD".into(),
            due_days: Some(2),
            done: false,
        },
        Item {
            owner: by_login("director").employee_no.clone(),
            kind: "reporting_line",
            subject: format!("确认 {} 的汇报关系", rm.name),
            subject_en: format!("Confirm {}'s reporting line", rm.name),
            link: format!("/people/{}", rm.employee_no),
            due_days: Some(-1),
            done: false,
        },
        Item {
            owner: by_login("director").employee_no.clone(),
            kind: "roster_check",
            subject: "核对华东大区花名册".into(),
            subject_en: "Check the 华东大区 roster".into(),
            link: "/org?unit=HD".into(),
            due_days: Some(5),
            done: false,
        },
        Item {
            owner: by_login("employee").employee_no.clone(),
            kind: "profile_update",
            subject: "设置消息提醒：选择企业微信或邮件，以及免打扰时段".into(),
            subject_en: "Set up notifications: WeChat Work or email, and quiet hours".into(),
            link: "/me#notifications".into(),
            due_days: Some(7),
            done: false,
        },
        Item {
            owner: by_login("engineer").employee_no.clone(),
            kind: "profile_update",
            subject: "设置消息提醒：选择企业微信或邮件，以及免打扰时段".into(),
            subject_en: "Set up notifications: WeChat Work or email, and quiet hours".into(),
            link: "/me#notifications".into(),
            due_days: Some(7),
            done: false,
        },
        Item {
            owner: by_login("hrbp").employee_no.clone(),
            kind: "roster_import",
            subject: "导入 12 月新入职人员花名册".into(),
            subject_en: "Import the roster of December's new hires".into(),
            link: "/import".into(),
            due_days: Some(4),
            done: false,
        },
    ];
    let ids = pulse_store::people::ids_by_employee_no(tx).await?;
    let now = tx.now_ms();
    for (i, it) in items.iter().enumerate() {
        let no = &it.owner;
        let person_id = *ids
            .get(no)
            .ok_or_else(|| StoreError::NotFound(no.clone()))?;
        let source_key = format!("demo:{}:{i}", it.kind);
        inbox::create(
            tx,
            &NewTodo {
                person_id,
                kind: it.kind.into(),
                subject: pulse_domain::i18n::Both::new(it.subject.clone(), it.subject_en.clone()),
                link: it.link.clone(),
                source_key: source_key.clone(),
                due_at: it.due_days.map(|d| now + d * DAY),
            },
        )
        .await?;
        if it.done {
            inbox::close_by_source(tx, &source_key, TodoState::Done).await?;
        }
    }
    Ok(items.len())
}

/// The demo manager keeps evenings quiet and wants email too; everyone else
/// keeps the default (WeChat Work, which reaches them all).
pub async fn seed_preferences(tx: &mut Tx, org: &DemoOrg) -> Result<(), StoreError> {
    let ids = pulse_store::people::ids_by_employee_no(tx).await?;
    let manager = org.by_login("manager").expect("demo login exists");
    let id = *ids
        .get(&manager.employee_no)
        .ok_or_else(|| StoreError::NotFound(manager.employee_no.clone()))?;
    let quiet = pulse_domain::preferences::QuietHours::parse("22:00", "07:30")?;
    pulse_store::notify::save_preferences(
        tx,
        id,
        &["wecom_app".into(), "email".into()],
        Some(quiet),
    )
    .await
}
