//! The weekly digest's data (D1, D2): the text dictionary, the cards of a
//! time range with their ratings, the reporting lines, stored digests and
//! the digest settings. The analysis itself is `pulse_text`'s and the
//! web layer's.

use serde::Serialize;

use crate::{Db, StoreError, Tx};

/// HRBP additions to the shipped dictionary: (domain terms, stop words).
pub async fn dictionary(db: &Db) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let rows: Vec<(String, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT term, kind FROM text_terms ORDER BY kind, term").fetch_all(pool).await?
    });
    let (mut domain, mut stop) = (Vec::new(), Vec::new());
    for (term, kind) in rows {
        if kind == "domain" {
            domain.push(term);
        } else {
            stop.push(term);
        }
    }
    Ok((domain, stop))
}

/// Changes whenever the dictionary does, so each instance rebuilds its
/// analyzer only then.
pub async fn dictionary_version(db: &Db) -> Result<String, StoreError> {
    Ok(setting(db, DICTIONARY_CHANGED).await?.unwrap_or_default())
}

const DICTIONARY_CHANGED: &str = "text_dictionary_changed";

async fn dictionary_changed(tx: &mut Tx) -> Result<(), StoreError> {
    // Time plus a random part: two changes in one millisecond still differ.
    let v = format!("{}-{}", tx.now_ms(), rand::random::<u32>());
    set_setting(tx, DICTIONARY_CHANGED, &v).await
}

fn check_term(term: &str, kind: &str) -> Result<String, StoreError> {
    let term = pulse_text::normalize(term);
    if !["domain", "stop"].contains(&kind) {
        return Err(StoreError::Invalid(pulse_domain::Problem::new(
            "invalid_term_kind",
            "词条类型只能是 domain（领域词）或 stop（停用词）",
            "a term is a domain term or a stop word",
        )));
    }
    if term.is_empty()
        || term.chars().count() > 12
        || term.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(StoreError::Invalid(pulse_domain::Problem::new(
            "invalid_term",
            "词条为 1–12 个字，不含空格",
            "a term is 1–12 characters without spaces",
        )));
    }
    Ok(term)
}

pub async fn save_term(tx: &mut Tx, term: &str, kind: &str) -> Result<String, StoreError> {
    let term = check_term(term, kind)?;
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO text_terms (term, kind, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (term, kind) DO UPDATE SET updated_at = excluded.updated_at",
        )
        .bind(&term).bind(kind).bind(now).execute(conn).await?;
    });
    dictionary_changed(tx).await?;
    Ok(term)
}

/// Removes an HRBP term. Returns false when there was none.
pub async fn remove_term(tx: &mut Tx, term: &str, kind: &str) -> Result<bool, StoreError> {
    let term = check_term(term, kind)?;
    let n = on_tx!(tx, conn => {
        sqlx::query("DELETE FROM text_terms WHERE term = $1 AND kind = $2")
            .bind(&term).bind(kind).execute(conn).await?.rows_affected()
    });
    if n > 0 {
        dictionary_changed(tx).await?;
    }
    Ok(n > 0)
}

/// A card as the digest reads it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DigestCard {
    pub id: i64,
    pub author_id: i64,
    pub created_at: i64,
    pub observation: String,
    /// (tag, rating)
    pub ratings: Vec<(String, i64)>,
}

/// Every card written in `[from, to)` with its ratings, oldest first.
pub async fn cards_between(db: &Db, from: i64, to: i64) -> Result<Vec<DigestCard>, StoreError> {
    let rows: Vec<(i64, i64, i64, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, author_id, created_at, observation FROM feedback_cards \
             WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id",
        )
        .bind(from).bind(to).fetch_all(pool).await?
    });
    let ratings: Vec<(i64, String, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT r.card_id, t.name, r.rating FROM feedback_cards f JOIN feedback_ratings r ON r.card_id = f.id \
             JOIN feedback_tags t ON t.id = r.tag_id WHERE f.created_at >= $1 AND f.created_at < $2 ORDER BY r.card_id, t.sort_order, t.id",
        )
        .bind(from).bind(to).fetch_all(pool).await?
    });
    let mut by_card: std::collections::HashMap<i64, Vec<(String, i64)>> = Default::default();
    for (card, tag, rating) in ratings {
        by_card.entry(card).or_default().push((tag, rating));
    }
    Ok(rows
        .into_iter()
        .map(|(id, author_id, created_at, observation)| DigestCard {
            ratings: by_card.remove(&id).unwrap_or_default(),
            id,
            author_id,
            created_at,
            observation,
        })
        .collect())
}

/// Cards in `[from, to)` by some authors (one manager's digest).
pub async fn cards_of(
    db: &Db,
    authors: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<DigestCard>, StoreError> {
    let mut out = Vec::new();
    // Bounded IN lists: a director's line can be hundreds of people.
    for chunk in authors.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT f.id, f.author_id, f.created_at, f.observation, t.name, r.rating FROM feedback_cards f \
             JOIN feedback_ratings r ON r.card_id = f.id JOIN feedback_tags t ON t.id = r.tag_id \
             WHERE f.author_id IN ({list}) AND f.created_at >= $1 AND f.created_at < $2 \
             ORDER BY f.created_at, f.id, t.sort_order, t.id"
        );
        let rows: Vec<(i64, i64, i64, String, String, i64)> = on_db!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
        });
        for (id, author_id, created_at, observation, tag, rating) in rows {
            match out.last_mut() {
                Some(DigestCard {
                    id: last, ratings, ..
                }) if *last == id => ratings.push((tag, rating)),
                _ => out.push(DigestCard {
                    id,
                    author_id,
                    created_at,
                    observation,
                    ratings: vec![(tag, rating)],
                }),
            }
        }
    }
    out.sort_by_key(|c| (c.created_at, c.id));
    Ok(out)
}

/// (id, author name, written at, observation) of some cards, newest
/// first, in one query (the cards behind a digest term).
pub async fn cards_by_ids(
    db: &Db,
    ids: &[i64],
) -> Result<Vec<(i64, String, i64, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT f.id, p.name, f.created_at, f.observation FROM feedback_cards f JOIN people p ON p.id = f.author_id \
         WHERE f.id IN ({list}) ORDER BY f.created_at DESC, f.id DESC"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
    }))
}

/// (person id, manager id) of every active person: the reporting lines.
pub async fn reporting_lines(db: &Db) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as("SELECT id, manager_id FROM people WHERE status = 'active' ORDER BY id").fetch_all(pool).await?
    }))
}

/// Stores (or replaces) a manager's digest of a week; returns its id.
pub async fn save(
    tx: &mut Tx,
    manager_id: i64,
    week_start: &str,
    cards: i64,
    flagged: i64,
    body_json: &str,
) -> Result<i64, StoreError> {
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO digests (manager_id, week_start, cards, flagged, body_json, generated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (manager_id, week_start) DO UPDATE SET cards = excluded.cards, flagged = excluded.flagged, \
               body_json = excluded.body_json, generated_at = excluded.generated_at RETURNING id",
        )
        .bind(manager_id).bind(week_start).bind(cards).bind(flagged).bind(body_json).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow, PartialEq)]
pub struct StoredDigest {
    pub id: i64,
    pub manager_id: i64,
    pub week_start: String,
    pub body_json: String,
    pub generated_at: i64,
}

pub async fn latest(db: &Db, manager_id: i64) -> Result<Option<StoredDigest>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, StoredDigest>(
            "SELECT id, manager_id, week_start, body_json, generated_at FROM digests WHERE manager_id = $1 \
             ORDER BY week_start DESC LIMIT 1",
        )
        .bind(manager_id).fetch_optional(pool).await?
    }))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<StoredDigest>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, StoredDigest>(
            "SELECT id, manager_id, week_start, body_json, generated_at FROM digests WHERE id = $1",
        )
        .bind(id).fetch_optional(pool).await?
    }))
}

/// (id, week start, cards, flagged) of a manager's digests, newest first.
pub async fn list(
    db: &Db,
    manager_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64, i64)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, week_start, cards, flagged FROM digests WHERE manager_id = $1 ORDER BY week_start DESC LIMIT $2",
        )
        .bind(manager_id).bind(limit).fetch_all(pool).await?
    }))
}

/// The latest week's digests that carry flags: (digest id, week start,
/// manager employee no, manager name, flags), most flags first (HR's view).
pub async fn flagged_latest(
    db: &Db,
    limit: i64,
) -> Result<Vec<(i64, String, String, String, i64)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT d.id, d.week_start, p.employee_no, p.name, d.flagged FROM digests d JOIN people p ON p.id = d.manager_id \
             WHERE d.flagged > 0 AND d.week_start = (SELECT MAX(week_start) FROM digests) \
             ORDER BY d.flagged DESC, p.employee_no LIMIT $1",
        )
        .bind(limit).fetch_all(pool).await?
    }))
}

/// A named app setting (None when never set).
pub async fn setting(db: &Db, name: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT value FROM app_settings WHERE name = $1").bind(name).fetch_optional(pool).await?
    });
    Ok(row.map(|r| r.0))
}

pub async fn set_setting(tx: &mut Tx, name: &str, value: &str) -> Result<(), StoreError> {
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO app_settings (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name).bind(value).bind(now).execute(conn).await?;
    });
    Ok(())
}
