//! The named accounts' stories, written through the same store calls the
//! app uses and placed relative to the database clock's "now", so each one
//! exists whatever the day the demo is built: the rep's visit waiting for
//! its card, yesterday's card with the manager's reply, a fresh snapshot in
//! the manager's inbox, and a voucher for HR to fulfil.

use pulse_store::{Db, StoreError};

use crate::feedback::{PHRASES, REWARDS};
use crate::org::{DemoOrg, SALES};

/// The named accounts' part of the story, written through the same store
/// functions the app uses: the demo employee has a visit from this morning
/// waiting for its card, yesterday's card with the manager's reply waiting
/// for "我清楚下一步", and a fresh opportunity snapshot in the manager's
/// inbox; HR has the newest vouchers to fulfil.
pub async fn story(db: &Db, org: &DemoOrg) -> Result<(), StoreError> {
    let person =
        |login: &str| -> Option<String> { org.by_login(login).map(|p| p.employee_no.clone()) };
    let (Some(emp_no), Some(mgr_no), Some(hr_no)) =
        (person("employee"), person("manager"), person("hrbp"))
    else {
        return Ok(());
    };
    let lookup = |no: String| async move { pulse_store::people::by_employee_no(db, &no).await };
    let (Some(emp), Some(mgr), Some(hr)) = (
        lookup(emp_no).await?,
        lookup(mgr_no).await?,
        lookup(hr_no).await?,
    ) else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    // The rep's customers, A-class first.
    let mut mine = pulse_store::customers::ownership(&mut tx)
        .await?
        .into_iter()
        .filter(|c| c.3.as_deref() == Some(emp.employee_no.as_str()))
        .collect::<Vec<_>>();
    mine.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    let mine: Vec<i64> = mine.into_iter().map(|c| c.0).collect();
    let (Some(first), Some(second)) = (mine.first().copied(), mine.get(1).copied()) else {
        return Ok(());
    };
    let now = db.now_ms();
    let event = |kind: &str, customer: i64, at: i64, payload: serde_json::Value| {
        pulse_store::events::NewEvent {
            kind: kind.into(),
            person_id: emp.id,
            customer_id: Some(customer),
            occurred_at: at,
            payload: payload.as_object().cloned().unwrap_or_default(),
            source: "demo".into(),
            created_by: None,
        }
    };
    pulse_store::events::record(
        &mut tx,
        &event(
            "visit",
            first,
            now - 40 * 60_000,
            serde_json::json!({"purpose": "方案汇报"}),
        ),
    )
    .await?;
    let yesterday = pulse_store::events::record(
        &mut tx,
        &event(
            "visit",
            second,
            now - 26 * 3_600_000,
            serde_json::json!({"purpose": "商务谈判"}),
        ),
    )
    .await?;
    let snap = event(
        "snapshot",
        second,
        now - 2 * 3_600_000,
        serde_json::json!({"stage": "商务谈判", "next_step": "周五前给出分期付款方案"}),
    );
    let snap_id = pulse_store::events::record(&mut tx, &snap).await?;
    pulse_store::inbox::create(
        &mut tx,
        &pulse_store::inbox::NewTodo {
            person_id: mgr.id,
            kind: "snapshot_review".into(),
            subject: pulse_domain::i18n::Both::new(
                format!("{}提交了商机进展快照：商务谈判", emp.name),
                format!("{} submitted an opportunity snapshot: 商务谈判", emp.name),
            ),
            link: format!("/feedback/team#event-{snap_id}"),
            source_key: format!("event:{snap_id}"),
            due_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    let ratings =
        [("沟通质量", 4), ("需求洞察深度", 3), ("客户关系韧性", 4)].map(|(tag, rating)| {
            pulse_domain::feedback::TagRating {
                tag: tag.into(),
                rating,
            }
        });
    let card = pulse_store::feedback::submit(
        db,
        emp.id,
        yesterday,
        &ratings,
        "价格异议，竞品报价更低",
        None,
    )
    .await?;
    let mut tx = db.begin().await?;
    pulse_store::feedback::send_message(
        &mut tx,
        mgr.id,
        emp.id,
        Some(card.id),
        "先别降价：把三年总拥有成本算给设备科看，周三我陪你一起去。",
    )
    .await?;
    tx.commit().await?;
    voucher_story(db, org, &emp, now).await?;
    check_in_story(db, &mgr, now).await?;
    let mut tx = db.begin().await?;
    for (r, _, name) in pulse_store::points::pending_redemptions(db)
        .await?
        .into_iter()
        .rev()
        .take(12)
    {
        pulse_store::points::fulfilment_todo(&mut tx, hr.id, &r, &name).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A teammate of the demo employee, the one with the most points, has just
/// redeemed the sales training camp, so HR has a voucher to fulfil whatever
/// the history held. Short of the cost, they first write the cards of this
/// morning's visits that earn the missing points, through the app's own calls.
async fn voucher_story(
    db: &Db,
    org: &DemoOrg,
    emp: &pulse_store::people::Person,
    now: i64,
) -> Result<(), StoreError> {
    let Some(unit) = org.by_login("employee").map(|p| p.unit_code.clone()) else {
        return Ok(());
    };
    let mut best: Option<(i64, pulse_store::people::Person)> = None;
    for p in org
        .people
        .iter()
        .filter(|p| p.unit_code == unit && p.job_family == SALES && p.login.is_none())
    {
        let Some(person) = pulse_store::people::by_employee_no(db, &p.employee_no).await? else {
            continue;
        };
        let balance = pulse_store::points::balance(db, person.id).await?;
        if best.as_ref().is_none_or(|(b, _)| balance > *b) {
            best = Some((balance, person));
        }
    }
    let Some((mut balance, mate)) = best else {
        return Ok(());
    };
    let Some(camp) = pulse_store::points::rewards(db, true)
        .await?
        .into_iter()
        .find(|r| r.name == REWARDS[0].0)
    else {
        return Ok(());
    };
    let customers: Vec<i64> = {
        let mut tx = db.begin().await?;
        let owned = pulse_store::customers::ownership(&mut tx).await?;
        tx.rollback().await?;
        owned
            .into_iter()
            .filter(|c| c.3.as_deref() == Some(mate.employee_no.as_str()))
            .map(|c| c.0)
            .collect()
    };
    let ratings = [("沟通质量", 5), ("方案匹配度", 4), ("需求洞察深度", 4)].map(|(tag, rating)| {
        pulse_domain::feedback::TagRating {
            tag: tag.into(),
            rating,
        }
    });
    let mut n = 0_i64;
    while balance < camp.cost && !customers.is_empty() {
        n += 1;
        let mut tx = db.begin().await?;
        let visit = pulse_store::events::record(
            &mut tx,
            &pulse_store::events::NewEvent {
                kind: "visit".into(),
                person_id: mate.id,
                customer_id: customers.get(n as usize % customers.len()).copied(),
                occurred_at: now - (90 + 20 * n) * 60_000,
                payload: serde_json::json!({"purpose": "产品演示"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                source: "demo".into(),
                created_by: None,
            },
        )
        .await?;
        tx.commit().await?;
        let card = pulse_store::feedback::submit(
            db,
            mate.id,
            visit,
            &ratings,
            PHRASES[n as usize % PHRASES.len()],
            None,
        )
        .await?;
        balance = card.balance;
    }
    if balance >= camp.cost && mate.id != emp.id {
        pulse_store::points::redeem(db, mate.id, camp.id, None).await?;
    }
    Ok(())
}

/// The demo team's weekly check-ins (G7): each KPI of the manager's team
/// reached its current actual over four check-ins, three weeks ago to
/// yesterday, so the goal history and the team workbook's 打卡记录 have a
/// month of entries. Only the history is written: the goals already hold
/// their latest actual.
async fn check_in_story(
    db: &Db,
    mgr: &pulse_store::people::Person,
    now: i64,
) -> Result<(), StoreError> {
    let Some(period) = pulse_store::goals::period_at(db, db.today()).await? else {
        return Ok(());
    };
    let mut team = pulse_store::people::reports(db, mgr.id).await?;
    team.push(mgr.clone());
    let ids: Vec<i64> = team.iter().map(|p| p.id).collect();
    let goals = pulse_store::goals::goals_of_people(db, &ids, period.id).await?;
    const DAY: i64 = 86_400_000;
    // Weeks back (at about 18:00 the day before) and the share of today's actual.
    let steps = [(22, 0.35), (15, 0.6), (8, 0.8), (1, 1.0)];
    let mut tx = db.begin().await?;
    for p in &team {
        let actor = pulse_store::Actor {
            account_id: None,
            person_id: Some(p.id),
            label: format!("{}（{}）", p.name, p.employee_no),
        };
        for g in goals.get(&p.id).into_iter().flatten() {
            let Some(actual) = g.actual.as_deref().and_then(|a| a.parse::<f64>().ok()) else {
                continue;
            };
            let mut before: Option<String> = None;
            for (days, share) in steps {
                let value = format!("{:.1}", actual * share);
                let note = match days {
                    1 => "本周数据已与 CRM 核对",
                    8 => "新增两家医院进入商务阶段",
                    _ => "",
                };
                pulse_store::audit::record_at(
                    &mut tx,
                    now - days * DAY - 6 * 3_600_000,
                    &actor,
                    "goal.check_in",
                    "goal",
                    &g.id.to_string(),
                    Some(&serde_json::json!({"actual": before})),
                    Some(&serde_json::json!({"actual": value, "note": note})),
                )
                .await?;
                before = Some(value);
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
