//! The reminder job (催填, N4): nudges the owners of overdue to-dos and
//! escalates long-overdue ones to the owner's manager, through the outbox.

use pulse_domain::reminders::{ReminderPolicy, TodoClock, days_overdue, decide};
use pulse_store::reminders::{self, Overdue};
use pulse_store::{Db, StoreError};

/// Where links in messages point: the public base URL of Pulse ("" keeps them relative).
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub public_url: String,
}

impl Links {
    pub fn to(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
}

fn local_time(ms: i64) -> String {
    pulse_domain::china_time::format_ms(ms, "%m月%d日 %H:%M")
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub nudged: usize,
    pub escalated: usize,
}

/// One pass over the overdue to-dos at `now`.
pub async fn run_once(
    db: &Db,
    policy: &ReminderPolicy,
    links: &Links,
    now: i64,
) -> Result<Summary, StoreError> {
    let mut summary = Summary::default();
    // Bounded passes: a backlog is worked off over several runs, not in one huge one.
    for t in reminders::overdue(db, now, 5_000).await? {
        let d = decide(
            policy,
            &TodoClock {
                due_at: t.due_at,
                reminded_at: t.reminded_at,
                nudges: t.reminders,
                escalated_at: t.escalated_at,
            },
            now,
        );
        if !d.nudge && !d.escalate {
            continue;
        }
        let mut tx = db.begin().await?;
        let nudged = d.nudge && nudge(&mut tx, &t, links, now).await?;
        summary.nudged += usize::from(nudged);
        let nudges_so_far = t.reminders + i64::from(nudged);
        if d.escalate && escalate(&mut tx, &t, links, now, nudges_so_far).await? {
            summary.escalated += 1;
        }
        tx.commit().await?;
    }
    Ok(summary)
}

async fn nudge(
    tx: &mut pulse_store::Tx,
    t: &Overdue,
    links: &Links,
    now: i64,
) -> Result<bool, StoreError> {
    let subject = format!("催办：{}", short(&t.subject, 60));
    let body = format!(
        "**催办提醒**\n你的待办“{}”已于 {} 到期，请尽快处理。\n[去处理]({})",
        t.subject,
        local_time(t.due_at),
        links.to(&t.link)
    );
    reminders::nudge(tx, t, now, &subject, &body).await
}

async fn escalate(
    tx: &mut pulse_store::Tx,
    t: &Overdue,
    links: &Links,
    now: i64,
    nudges_so_far: i64,
) -> Result<bool, StoreError> {
    let days = days_overdue(t.due_at, now);
    let en = if t.subject_en.is_empty() {
        &t.subject
    } else {
        &t.subject_en
    };
    let todo_subject = pulse_domain::i18n::Both::new(
        format!(
            "{}的待办已逾期{}天：{}",
            t.owner_name,
            days,
            short(&t.subject, 120)
        ),
        format!(
            "{}'s to-do is {} day{} overdue: {}",
            t.owner_name,
            days,
            if days == 1 { "" } else { "s" },
            short(en, 120)
        ),
    );
    let subject = format!("逾期升级：{}的待办已逾期{}天", t.owner_name, days);
    let body = format!(
        "**逾期升级**\n{}（{}）的待办“{}”已于 {} 到期，逾期 {} 天，已催办 {} 次。\n<font color=\"warning\">请跟进。</font>\n[查看 {}]({})",
        t.owner_name,
        t.owner_no,
        t.subject,
        local_time(t.due_at),
        days,
        nudges_so_far,
        t.owner_name,
        links.to(&format!("/people/{}", t.owner_no))
    );
    reminders::escalate(tx, t, now, &todo_subject, &subject, &body).await
}

/// The reminder job for the scheduler.
pub fn job(policy: ReminderPolicy, links: Links, interval_ms: i64) -> crate::scheduler::Job {
    crate::scheduler::Job::new("reminders", interval_ms, move |db, now| {
        let links = links.clone();
        async move {
            let s = run_once(&db, &policy, &links, now).await?;
            Ok(format!("催办 {} 条，升级 {} 条", s.nudged, s.escalated))
        }
    })
}
