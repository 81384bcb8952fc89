//! Replies, a manager's own feedback and the employee's acknowledgement (F4).

use crate::{Db, StoreError, Tx};
use pulse_domain::feedback::{self as rules};

use super::*;

pub(super) async fn messages_of_card(db: &Db, card_id: i64) -> Result<Vec<Message>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Message>(
            "SELECT m.id, m.card_id, m.from_id, p.name AS from_name, m.to_id, m.body, m.created_at \
             FROM feedback_messages m JOIN people p ON p.id = m.from_id WHERE m.card_id = $1 ORDER BY m.id",
        )
        .bind(card_id).fetch_all(pool).await?
    }))
}

/// A manager's own feedback to a person, not tied to a card, newest first.
pub async fn messages_to(db: &Db, person_id: i64, limit: i64) -> Result<Vec<Message>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Message>(
            "SELECT m.id, m.card_id, m.from_id, p.name AS from_name, m.to_id, m.body, m.created_at \
             FROM feedback_messages m JOIN people p ON p.id = m.from_id WHERE m.to_id = $1 AND m.card_id IS NULL \
             ORDER BY m.id DESC LIMIT $2",
        )
        .bind(person_id).bind(limit).fetch_all(pool).await?
    }))
}

pub(super) fn check_body(body: &str) -> Result<String, StoreError> {
    let body = body.trim();
    let n = rules::grapheme_len(body);
    if n == 0 || n > 500 {
        return Err(refuse(
            "message_length",
            "反馈内容需要 1–500 个字",
            "feedback is 1–500 characters",
        ));
    }
    Ok(body.to_string())
}

/// A reply to a card (F4) or, with `card_id` None, the manager's own
/// feedback to `to_id`. The employee gets a to-do to acknowledge it.
pub async fn send_message(
    tx: &mut Tx,
    from_id: i64,
    to_id: i64,
    card_id: Option<i64>,
    body: &str,
) -> Result<i64, StoreError> {
    let body = check_body(body)?;
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO feedback_messages (card_id, from_id, to_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(card_id).bind(from_id).bind(to_id).bind(&body).bind(now).fetch_one(conn).await?
    });
    if let Some(card) = card_id {
        // A new reply asks again: the earlier answer no longer covers it.
        on_tx!(tx, conn => {
            sqlx::query("UPDATE feedback_cards SET ack = NULL, ack_at = NULL WHERE id = $1").bind(card).execute(conn).await?;
        });
    }
    let from: (String,) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name FROM people WHERE id = $1").bind(from_id).fetch_one(conn).await?
    });
    let (link, source) = match card_id {
        Some(c) => (format!("/feedback/cards/{c}"), format!("card:{c}")),
        None => ("/feedback".to_string(), format!("feedback_message:{id}")),
    };
    crate::inbox::create(
        tx,
        &crate::inbox::NewTodo {
            person_id: to_id,
            kind: "feedback_reply".into(),
            subject: pulse_domain::i18n::Both::new(
                format!("{}回复了你的反馈，请确认下一步", from.0),
                format!("{} replied to your feedback: confirm the next step", from.0),
            ),
            link,
            source_key: source,
            due_at: None,
        },
    )
    .await?;
    Ok(id)
}

/// The author's answer to the replies on their card: "我清楚下一步" or "还不清楚".
pub async fn acknowledge(
    tx: &mut Tx,
    author_id: i64,
    card_id: i64,
    ack: &str,
) -> Result<(), StoreError> {
    let ack = rules::check_ack(ack)?;
    let now = tx.now_ms();
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE feedback_cards SET ack = $1, ack_at = $2 WHERE id = $3 AND author_id = $4")
            .bind(ack).bind(now).bind(card_id).bind(author_id).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        return Err(StoreError::NotFound(format!("card {card_id}")));
    }
    crate::inbox::close_by_source(
        tx,
        &format!("card:{card_id}"),
        crate::inbox::TodoState::Done,
    )
    .await?;
    Ok(())
}
