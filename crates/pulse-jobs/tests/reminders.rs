//! Reminders (N4) and the scheduler on the engine under test: nudges spaced
//! and bounded, one escalation to the owner's manager that closes with the
//! original, quiet hours holding messages but not to-dos, and a job that runs
//! once however many instances tick.

use pulse_domain::org::UnitKind;
use pulse_domain::preferences::QuietHours;
use pulse_domain::reminders::ReminderPolicy;
use pulse_jobs::reminders::{Links, Summary, run_once};
use pulse_jobs::scheduler::{Job, tick};
use pulse_store::inbox::{self, NewTodo, TodoState};
use pulse_store::org::NewUnit;
use pulse_store::people::PersonInput;
use pulse_store::{Actor, Db, jobs, outbox};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn person(no: &str, name: &str, manager: Option<&str>, unit: i64) -> PersonInput {
    PersonInput {
        employee_no: pulse_domain::org::EmployeeNo::parse(no).unwrap(),
        name: name.into(),
        job_family: "销售管理".into(),
        level: "M2".into(),
        org_unit_id: unit,
        manager_employee_no: manager.map(|m| pulse_domain::org::EmployeeNo::parse(m).unwrap()),
        hire_date: None,
        status: pulse_domain::org::PersonStatus::Active,
        email: Some(format!("{}@example.cn", no.to_lowercase())),
        wecom_userid: Some(format!("wx-{no}")),
    }
}

/// 区域总监 D ← 经理 M ← 员工 E, and an enabled WeChat Work app channel.
async fn seed(db: &Db) -> (i64, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let actor = Actor::system("test");
    pulse_store::org::upsert_units(
        &mut tx,
        &actor,
        &[NewUnit {
            code: "R1".into(),
            name: "华东大区".into(),
            kind: UnitKind::Region,
            parent_code: None,
            sort_order: 0,
        }],
    )
    .await
    .unwrap();
    let unit = pulse_store::org::ids_by_code(&mut tx).await.unwrap()["R1"];
    let people = [
        person("D1", "赵总监", None, unit),
        person("M1", "钱经理", Some("D1"), unit),
        person("E1", "孙销售", Some("M1"), unit),
    ];
    pulse_store::people::upsert(&mut tx, &actor, &people, true)
        .await
        .unwrap();
    outbox::save_channel(
        &mut tx,
        "企业微信应用",
        "wecom_app",
        &serde_json::json!({"base_url": "http://127.0.0.1:9", "corpid": "ww1", "corpsecret": "s", "agentid": 1}),
        true,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let id = |no: &'static str| async move {
        pulse_store::people::by_employee_no(db, no)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    (id("D1").await, id("M1").await, id("E1").await)
}

async fn todo(db: &Db, person_id: i64, source: &str, due_at: i64) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = inbox::create(
        &mut tx,
        &NewTodo {
            person_id,
            kind: "goal_adjustment_approval".into(),
            subject: pulse_domain::i18n::Both::new(
                "审批：孙销售的目标微调申请",
                "Approve: 孙销售's target change request",
            ),
            link: "/inbox".into(),
            source_key: source.into(),
            due_at: Some(due_at),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn pending(db: &Db) -> Vec<outbox::Message> {
    outbox::list(db, "pending", 100).await.unwrap()
}

#[tokio::test]
async fn nudges_are_spaced_then_one_escalation_closes_with_the_original() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let (d1, m1, _) = seed(&db).await;
    let t0 = db.now_ms();
    let id = todo(&db, m1, "adjustment:7", t0).await;
    let policy = ReminderPolicy::default();
    let links = Links {
        public_url: "https://pulse.example.cn/".into(),
    };

    let run = |at: i64| {
        let (db, links) = (db.clone(), links.clone());
        async move { run_once(&db, &policy, &links, at).await.unwrap() }
    };
    assert_eq!(run(t0 - HOUR).await, Summary::default(), "not due yet");
    assert_eq!(run(t0 + HOUR).await.nudged, 1);
    assert_eq!(run(t0 + 2 * HOUR).await, Summary::default(), "spaced");
    let msgs = pending(&db).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].recipient, "wx-M1");
    assert_eq!(msgs[0].idempotency_key, format!("remind:{id}:1:wecom_app"));
    assert!(msgs[0].subject.starts_with("催办："));
    assert!(
        msgs[0].body.contains("](https://pulse.example.cn/inbox)"),
        "{}",
        msgs[0].body
    );

    assert_eq!(run(t0 + 25 * HOUR).await.nudged, 1);
    let late = run(t0 + 3 * DAY + HOUR).await;
    assert_eq!(
        late,
        Summary {
            nudged: 1,
            escalated: 1
        }
    );
    assert_eq!(run(t0 + 3 * DAY + 2 * HOUR).await, Summary::default());

    let (esc, _) = inbox::list(&db, d1, Some(TodoState::Open), 10, 0)
        .await
        .unwrap();
    assert_eq!(esc.len(), 1, "the manager's manager has a to-do");
    assert_eq!(esc[0].kind, "escalation");
    assert_eq!(esc[0].link, "/people/M1");
    assert!(
        esc[0].subject.contains("钱经理的待办已逾期3天"),
        "{}",
        esc[0].subject
    );
    let to_director: Vec<_> = pending(&db)
        .await
        .into_iter()
        .filter(|m| m.recipient == "wx-D1")
        .collect();
    assert_eq!(to_director.len(), 1);
    assert!(to_director[0].body.contains("已催办 3 次"));

    // The manager handles it: the escalation closes by itself.
    inbox::close_own(&db, m1, id, TodoState::Done)
        .await
        .unwrap();
    let (open, _) = inbox::list(&db, d1, Some(TodoState::Open), 10, 0)
        .await
        .unwrap();
    assert!(open.is_empty());
    assert_eq!(run(t0 + 9 * DAY).await, Summary::default());
}

#[tokio::test]
async fn nudges_stop_at_the_limit_and_top_of_the_line_is_not_escalated_elsewhere() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let (d1, _, _) = seed(&db).await;
    let t0 = db.now_ms();
    todo(&db, d1, "review:2026", t0).await;
    let policy = ReminderPolicy {
        every_hours: 1,
        escalate_after_days: 1,
        max_nudges: 2,
    };
    let mut total = Summary::default();
    for h in 1..48 {
        let s = run_once(&db, &policy, &Links::default(), t0 + h * HOUR)
            .await
            .unwrap();
        total.nudged += s.nudged;
        total.escalated += s.escalated;
    }
    assert_eq!(total.nudged, 2);
    assert_eq!(total.escalated, 1, "recorded once");
    let todos_total: i64 = {
        let mut n = 0;
        for p in [d1] {
            n += inbox::list(&db, p, None, 100, 0).await.unwrap().1;
        }
        n
    };
    assert_eq!(
        todos_total, 1,
        "nobody above the director: no escalation to-do"
    );
}

#[tokio::test]
async fn quiet_hours_hold_messages_but_not_todos() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let (_, m1, e1) = seed(&db).await;
    // Quiet hours around the current time of day, whatever it is.
    let now = db.now_ms();
    let minute = ((now + 8 * HOUR) % DAY) / 60_000;
    let quiet = QuietHours::new((minute + 1440 - 60) % 1440, (minute + 60) % 1440).unwrap();
    let mut tx = db.begin().await.unwrap();
    pulse_store::notify::save_preferences(&mut tx, e1, &["email".into()], Some(quiet))
        .await
        .unwrap();
    pulse_store::notify::save_preferences(&mut tx, m1, &["wecom_app".into(), "email".into()], None)
        .await
        .unwrap();
    outbox::save_channel(
        &mut tx,
        "邮件",
        "email",
        &serde_json::json!({"host": "127.0.0.1", "port": 9, "from": "pulse@example.cn", "tls": "none"}),
        true,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    todo(&db, e1, "selfreview:2026", now - DAY).await;
    let s = run_once(&db, &ReminderPolicy::default(), &Links::default(), now)
        .await
        .unwrap();
    assert_eq!(s.nudged, 1);
    let held = pending(&db).await;
    assert_eq!(held.len(), 1, "only the chosen channel: email");
    assert_eq!(held[0].channel, "email");
    assert_eq!(held[0].recipient, "e1@example.cn");
    assert_eq!(
        Some(held[0].next_attempt_at),
        quiet.release_at(held[0].created_at)
    );
    assert!(held[0].next_attempt_at > now + 30 * 60_000);
    let claimed = outbox::claim(&db, now + 60_000, 60_000, 10).await.unwrap();
    assert!(claimed.is_empty(), "held until quiet hours end");

    // Both channels for the manager, no quiet hours: two messages at once.
    let mut tx = db.begin().await.unwrap();
    let n = pulse_store::notify::to_person(&mut tx, m1, "k", "主题", "正文")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 2);
    // An empty choice means inbox only.
    let mut tx = db.begin().await.unwrap();
    pulse_store::notify::save_preferences(&mut tx, m1, &[], None)
        .await
        .unwrap();
    let n = pulse_store::notify::to_person(&mut tx, m1, "k2", "主题", "正文")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 0);
}

fn counting_job(
    name: &'static str,
    counter: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Job {
    Job::new(name, HOUR, move |_db, _now| {
        let c = counter.clone();
        async move {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok("ok".to_string())
        }
    })
}

#[tokio::test]
async fn a_job_runs_once_however_many_instances_tick() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let jobs_ = vec![counting_job("nightly", runs.clone())];
    let t0 = db.now_ms();
    let mut handles = Vec::new();
    for i in 0..8 {
        let (db, jobs_) = (db.clone(), jobs_.clone());
        handles.push(tokio::spawn(async move {
            tick(&db, &jobs_, &format!("instance-{i}"), t0)
                .await
                .unwrap()
                .len()
        }));
    }
    let mut ran = 0;
    for h in handles {
        ran += h.await.unwrap();
    }
    assert_eq!(ran, 1, "eight instances, one run");
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        tick(&db, &jobs_, "late", t0 + HOUR - 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(tick(&db, &jobs_, "next", t0 + HOUR).await.unwrap().len(), 1);
    let state = jobs::list(&db).await.unwrap();
    assert_eq!(state[0].runs, 2);
    assert_eq!(state[0].last_result.as_deref(), Some("ok"));
    assert_eq!(state[0].next_due_at, t0 + 2 * HOUR);
}

#[tokio::test]
async fn a_run_that_dies_is_taken_over_after_its_lease() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let t0 = db.now_ms();
    let lease = 10 * 60_000;
    assert!(
        jobs::try_start(&db, "digest", "a", t0, lease)
            .await
            .unwrap()
    );
    // "a" dies without finishing.
    assert!(
        !jobs::try_start(&db, "digest", "b", t0 + 1_000, lease)
            .await
            .unwrap()
    );
    assert!(
        jobs::try_start(&db, "digest", "b", t0 + lease + 1, lease)
            .await
            .unwrap()
    );
    assert!(
        !jobs::finish(&db, "digest", "a", t0 + DAY, "late")
            .await
            .unwrap(),
        "the dead run's late finish records nothing"
    );
    assert!(
        jobs::finish(&db, "digest", "b", t0 + DAY, "ok")
            .await
            .unwrap()
    );
    assert!(jobs::run_soon(&db, "digest").await.unwrap());
    assert!(
        jobs::try_start(&db, "digest", "c", t0 + lease + 2, lease)
            .await
            .unwrap()
    );
}
