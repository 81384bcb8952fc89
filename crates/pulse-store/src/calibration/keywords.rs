//! The HRBP's competency keyword dictionary (C2 middle screen, C6 reports):
//! a sentence speaks of a competency when it holds one of its keywords.

use serde::Serialize;
use utoipa::ToSchema;

use super::conflict;
use crate::{Actor, Db, StoreError, Tx, audit};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Keyword {
    pub id: i64,
    pub competency: String,
    pub keyword: String,
}

pub async fn keywords(db: &Db) -> Result<Vec<Keyword>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Keyword>("SELECT id, competency, keyword FROM competency_keywords ORDER BY id")
            .fetch_all(pool).await?
    }))
}

/// Inserts without an audit entry: for the demo's dictionary.
pub async fn add_keyword(tx: &mut Tx, competency: &str, keyword: &str) -> Result<i64, StoreError> {
    let c = pulse_domain::org::required_text(competency, 30, "能力项", "competency")?;
    let k = pulse_domain::org::required_text(keyword, 20, "关键词", "keyword")?;
    let taken: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM competency_keywords WHERE competency = $1 AND keyword = $2")
            .bind(&c).bind(&k).fetch_optional(conn).await?
    });
    if taken.is_some() {
        return Err(conflict(
            "duplicate_keyword",
            format!("“{c}”已有关键词“{k}”"),
            format!("\"{c}\" already has the keyword \"{k}\""),
        ));
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO competency_keywords (competency, keyword, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(&c).bind(&k).bind(now).fetch_one(conn).await?
    });
    Ok(id)
}

/// HR adds a keyword (audited).
pub async fn save(
    db: &Db,
    actor: &Actor,
    competency: &str,
    keyword: &str,
) -> Result<Keyword, StoreError> {
    let mut tx = db.begin().await?;
    let id = add_keyword(&mut tx, competency, keyword).await?;
    let k = Keyword {
        id,
        competency: competency.trim().to_string(),
        keyword: keyword.trim().to_string(),
    };
    audit::record(
        &mut tx,
        actor,
        "keyword.add",
        "competency_keyword",
        &id.to_string(),
        None::<&()>,
        Some(&k),
    )
    .await?;
    tx.commit().await?;
    Ok(k)
}

/// HR removes a keyword (audited); false when there is none with that id.
pub async fn remove(db: &Db, actor: &Actor, id: i64) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let before: Option<Keyword> = on_tx!(tx, conn => {
        sqlx::query_as::<_, Keyword>("SELECT id, competency, keyword FROM competency_keywords WHERE id = $1")
            .bind(id).fetch_optional(conn).await?
    });
    let Some(before) = before else {
        return Ok(false);
    };
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM competency_keywords WHERE id = $1").bind(id).execute(conn).await?.rows_affected()
    });
    audit::record(
        &mut tx,
        actor,
        "keyword.delete",
        "competency_keyword",
        &id.to_string(),
        Some(&before),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
