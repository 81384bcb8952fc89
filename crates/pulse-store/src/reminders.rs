//! Storage side of reminders (N4): the overdue to-dos and the two actions on
//! them, each in one transaction with its messages.

use crate::inbox::{self, NewTodo};
use crate::{Db, StoreError, Tx, notify};

/// An open, overdue to-do with what the reminder rule needs.
#[derive(Debug, Clone, sqlx::FromRow, PartialEq)]
pub struct Overdue {
    pub id: i64,
    pub person_id: i64,
    pub kind: String,
    pub subject: String,
    pub subject_en: String,
    pub link: String,
    pub source_key: String,
    pub due_at: i64,
    pub reminded_at: Option<i64>,
    pub reminders: i64,
    pub escalated_at: Option<i64>,
    pub owner_no: String,
    pub owner_name: String,
    pub manager_id: Option<i64>,
}

/// Open to-dos past their due time, oldest first. Escalation to-dos carry no
/// due time, so they are never reminded themselves.
pub async fn overdue(db: &Db, now: i64, limit: i64) -> Result<Vec<Overdue>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Overdue>(
            "SELECT t.id, t.person_id, t.kind, t.subject, t.subject_en, t.link, t.source_key, t.due_at, t.reminded_at, t.reminders, \
             t.escalated_at, p.employee_no AS owner_no, p.name AS owner_name, p.manager_id \
             FROM todos t JOIN people p ON p.id = t.person_id \
             WHERE t.state = 'open' AND t.due_at IS NOT NULL AND t.due_at < $1 AND p.status = 'active' \
             ORDER BY t.due_at, t.id LIMIT $2",
        )
        .bind(now).bind(limit)
        .fetch_all(pool).await?
    }))
}

/// Records a nudge and queues its message. The guard on the stored count
/// makes a second run with the same view of the to-do change nothing.
pub async fn nudge(
    tx: &mut Tx,
    t: &Overdue,
    now: i64,
    subject: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE todos SET reminded_at = $1, reminders = reminders + 1 WHERE id = $2 AND state = 'open' AND reminders = $3")
            .bind(now).bind(t.id).bind(t.reminders).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        return Ok(false);
    }
    let key = format!("remind:{}:{}", t.id, t.reminders + 1);
    notify::to_person(tx, t.person_id, &key, subject, body).await?;
    Ok(true)
}

/// Escalates to `to` (the owner's manager): a to-do about the same thing, so
/// it closes with the original, and a message. With nobody above the owner
/// the escalation is only recorded.
pub async fn escalate(
    tx: &mut Tx,
    t: &Overdue,
    now: i64,
    todo_subject: &pulse_domain::i18n::Both,
    subject: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE todos SET escalated_at = $1 WHERE id = $2 AND state = 'open' AND escalated_at IS NULL")
            .bind(now).bind(t.id).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        return Ok(false);
    }
    let Some(to) = t.manager_id else {
        return Ok(true);
    };
    inbox::create(
        tx,
        &NewTodo {
            person_id: to,
            kind: "escalation".into(),
            subject: todo_subject.clone(),
            link: format!("/people/{}", t.owner_no),
            source_key: t.source_key.clone(),
            due_at: None,
        },
    )
    .await?;
    notify::to_person(tx, to, &format!("escalate:{}", t.id), subject, body).await?;
    Ok(true)
}
