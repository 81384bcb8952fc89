//! The one call a feature makes to tell people something (N2, N3): inside its
//! own transaction, so the message exists exactly when the change does.

use crate::outbox::{self, NewMessage};
use crate::{StoreError, Tx};

/// Where a unit's team-level messages go: its own group robot, else the
/// nearest ancestor's. `None` when no unit up the tree has one.
pub async fn unit_channel(
    tx: &mut Tx,
    org_unit_id: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT id, parent_id, 0 FROM org_units WHERE id = $1 \
               UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64 ) \
             SELECT c.name, c.kind FROM up JOIN unit_channels uc ON uc.org_unit_id = up.id \
             JOIN notify_channels c ON c.name = uc.channel_name ORDER BY up.depth LIMIT 1",
        )
        .bind(org_unit_id)
        .fetch_optional(conn)
        .await?
    }))
}

/// Queues a team-level message for a unit's group robot. Returns false when
/// the unit has no robot up its tree (nothing to send, not an error).
/// `key` must identify the event, so a retried request queues nothing new.
pub async fn to_unit(
    tx: &mut Tx,
    org_unit_id: i64,
    key: &str,
    subject: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let Some((name, kind)) = unit_channel(tx, org_unit_id).await? else {
        return Ok(false);
    };
    outbox::enqueue(
        tx,
        &NewMessage {
            idempotency_key: key.to_string(),
            channel: kind,
            target: name,
            subject: subject.to_string(),
            body: body.to_string(),
            recipient: String::new(),
            not_before: None,
        },
    )
    .await?;
    Ok(true)
}

/// Points a unit's team-level messages at a configured channel (or clears it).
pub async fn set_unit_channel(
    tx: &mut Tx,
    org_unit_id: i64,
    channel_name: Option<&str>,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM unit_channels WHERE org_unit_id = $1").bind(org_unit_id).execute(&mut *conn).await?;
        if let Some(name) = channel_name {
            sqlx::query("INSERT INTO unit_channels (org_unit_id, channel_name) VALUES ($1, $2)").bind(org_unit_id).bind(name).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Every unit → channel mapping, by unit code, for the admin page.
pub async fn unit_channels(db: &crate::Db) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT u.code, u.name, uc.channel_name FROM unit_channels uc JOIN org_units u ON u.id = uc.org_unit_id ORDER BY u.sort_order, u.id",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// Queues a personal message through the WeChat Work app channel (the first
/// enabled one), addressed to the person's WeChat Work user id. A person
/// without one is still queued: the send fails with a clear reason in the
/// dead-letter view instead of the message vanishing. Returns false when no
/// app channel is configured.
pub async fn to_person(
    tx: &mut Tx,
    person_id: i64,
    key: &str,
    subject: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let channel: Option<(String,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT name FROM notify_channels WHERE kind = 'wecom_app' AND enabled = 1 ORDER BY name LIMIT 1")
            .fetch_optional(conn).await?
    });
    let Some((name,)) = channel else {
        return Ok(false);
    };
    let userid: Option<(Option<String>,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT wecom_userid FROM people WHERE id = $1").bind(person_id).fetch_optional(conn).await?
    });
    let Some((userid,)) = userid else {
        return Err(StoreError::NotFound(format!("person {person_id}")));
    };
    outbox::enqueue(
        tx,
        &NewMessage {
            idempotency_key: key.to_string(),
            channel: "wecom_app".into(),
            target: name,
            subject: subject.to_string(),
            body: body.to_string(),
            recipient: userid.unwrap_or_default(),
            not_before: None,
        },
    )
    .await?;
    Ok(true)
}
