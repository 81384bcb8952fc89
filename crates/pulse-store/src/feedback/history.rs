//! History written after the fact (the demo's planted quarters): ratings
//! put on a person's existing cards, never used for what happens now.

use crate::{StoreError, Tx};

/// How many cards `person` has from `[from, to)`.
pub async fn card_count(tx: &mut Tx, person: i64, from: i64, to: i64) -> Result<usize, StoreError> {
    let (n,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT COUNT(*) FROM feedback_cards WHERE author_id = $1 AND created_at >= $2 AND created_at < $3")
            .bind(person).bind(from).bind(to).fetch_one(conn).await?
    });
    Ok(n as usize)
}

/// Rates `person`'s first cards created in `[from, to)` on `tag` with
/// `ratings` (one per card, in order), after taking away their other
/// ratings of that tag in the window. Returns the cards rated.
pub async fn set_tag_ratings(
    tx: &mut Tx,
    person: i64,
    tag: &str,
    from: i64,
    to: i64,
    ratings: &[i64],
) -> Result<usize, StoreError> {
    let tag_id: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM feedback_tags WHERE name = $1").bind(tag).fetch_optional(conn).await?
    });
    let Some((tag_id,)) = tag_id else {
        return Err(StoreError::NotFound(format!("tag {tag}")));
    };
    let cards: Vec<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM feedback_cards WHERE author_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id")
            .bind(person).bind(from).bind(to).fetch_all(conn).await?
    });
    on_tx!(tx, conn => {
        sqlx::query(
            "DELETE FROM feedback_ratings WHERE tag_id = $1 AND card_id IN \
             (SELECT id FROM feedback_cards WHERE author_id = $2 AND created_at >= $3 AND created_at < $4)",
        )
        .bind(tag_id).bind(person).bind(from).bind(to).execute(conn).await?;
    });
    let mut n = 0;
    for ((card,), rating) in cards.iter().zip(ratings) {
        on_tx!(tx, conn => {
            sqlx::query("INSERT INTO feedback_ratings (card_id, tag_id, rating) VALUES ($1, $2, $3)")
                .bind(*card).bind(tag_id).bind(*rating).execute(conn).await?;
        });
        n += 1;
    }
    Ok(n)
}

/// Rewrites the payloads of `person`'s events of `kind` in `[from, to)`, in
/// time order: `f` gets each one's position and payload. Returns how many.
pub async fn rewrite_payloads(
    tx: &mut Tx,
    person: i64,
    kind: &str,
    from: i64,
    to: i64,
    mut f: impl FnMut(usize, &mut serde_json::Map<String, serde_json::Value>),
) -> Result<usize, StoreError> {
    let rows: Vec<(i64, String)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id, payload_json FROM events WHERE person_id = $1 AND kind = $2 AND occurred_at >= $3 AND occurred_at < $4 ORDER BY occurred_at, id")
            .bind(person).bind(kind).bind(from).bind(to).fetch_all(conn).await?
    });
    for (i, (id, json)) in rows.iter().enumerate() {
        let mut p: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).unwrap_or_default();
        f(i, &mut p);
        let out = serde_json::Value::Object(p).to_string();
        on_tx!(tx, conn => {
            sqlx::query("UPDATE events SET payload_json = $1 WHERE id = $2").bind(&out).bind(*id).execute(conn).await?;
        });
    }
    Ok(rows.len())
}
