//! The one call a feature makes to tell people something (N2, N3): inside its
//! own transaction, so the message exists exactly when the change does.

use pulse_domain::preferences::{self, QuietHours};

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

/// A person's saved notification choices (N2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preferences {
    /// Chosen personal channel kinds; `None` when never saved (the default applies).
    pub channels: Option<Vec<String>>,
    pub quiet: Option<QuietHours>,
}

pub async fn preferences(db: &crate::Db, person_id: i64) -> Result<Preferences, StoreError> {
    let mut tx = db.begin().await?;
    let p = preferences_in(&mut tx, person_id).await?;
    tx.commit().await?;
    Ok(p)
}

async fn preferences_in(tx: &mut Tx, person_id: i64) -> Result<Preferences, StoreError> {
    let row: Option<(String, Option<i64>, Option<i64>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT channels, quiet_start, quiet_end FROM notify_preferences WHERE person_id = $1")
            .bind(person_id).fetch_optional(conn).await?
    });
    Ok(match row {
        None => Preferences {
            channels: None,
            quiet: None,
        },
        Some((channels, start, end)) => Preferences {
            channels: Some(
                channels
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            quiet: match (start, end) {
                (Some(s), Some(e)) => QuietHours::new(s, e).ok(),
                _ => None,
            },
        },
    })
}

/// Saves a person's choices after checking them; replaces what was there.
pub async fn save_preferences(
    tx: &mut Tx,
    person_id: i64,
    channels: &[String],
    quiet: Option<QuietHours>,
) -> Result<(), StoreError> {
    preferences::validate_channels(channels)?;
    let joined = channels.join(",");
    let (start, end) = quiet.map_or((None, None), |q| (Some(q.start_minute), Some(q.end_minute)));
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO notify_preferences (person_id, channels, quiet_start, quiet_end, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (person_id) DO UPDATE SET channels = excluded.channels, quiet_start = excluded.quiet_start, \
             quiet_end = excluded.quiet_end, updated_at = excluded.updated_at",
        )
        .bind(person_id).bind(&joined).bind(start).bind(end).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Queues a personal message on each channel the person chose (by default
/// the one that reaches them: WeChat Work app, else email), through the
/// first enabled channel of that kind. Inside quiet hours the message waits
/// until they end. A person without a WeChat Work id or an address is still
/// queued: the send fails with a clear reason in the dead-letter view instead
/// of the message vanishing. Returns how many messages were queued (0 when
/// no chosen kind is configured, or the person chose inbox only).
pub async fn to_person(
    tx: &mut Tx,
    person_id: i64,
    key: &str,
    subject: &str,
    body: &str,
) -> Result<usize, StoreError> {
    let person: Option<(Option<String>, Option<String>)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT wecom_userid, email FROM people WHERE id = $1").bind(person_id).fetch_optional(conn).await?
    });
    let Some((wecom, email)) = person else {
        return Err(StoreError::NotFound(format!("person {person_id}")));
    };
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let prefs = preferences_in(tx, person_id).await?;
    let kinds =
        preferences::effective_channels(prefs.channels.as_deref(), has(&wecom), has(&email));
    let not_before = prefs.quiet.and_then(|q| q.release_at(tx.now_ms()));
    let mut queued = 0;
    for kind in kinds {
        let channel: Option<(String,)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT name FROM notify_channels WHERE kind = $1 AND enabled = 1 ORDER BY name LIMIT 1")
                .bind(kind).fetch_optional(conn).await?
        });
        let Some((name,)) = channel else {
            continue;
        };
        let recipient = if kind == "email" { &email } else { &wecom };
        let fresh = outbox::enqueue(
            tx,
            &NewMessage {
                idempotency_key: format!("{key}:{kind}"),
                channel: kind.to_string(),
                target: name,
                subject: subject.to_string(),
                body: body.to_string(),
                recipient: recipient.clone().unwrap_or_default(),
                not_before,
            },
        )
        .await?;
        queued += usize::from(fresh);
    }
    Ok(queued)
}
