//! Feedback cards (F1), their points (F2) and the two-way loop (F4).

use pulse_domain::Problem;
use pulse_domain::feedback::{self as rules, TagRating};
use serde::Serialize;

use crate::{Db, StoreError, Tx, events};

mod card_writes;
pub mod history;
mod messages;
pub use card_writes::set_observation;
use card_writes::*;
pub use messages::*;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub active: i64,
    /// The job family the tag is for; empty for every family.
    pub job_family: String,
}

pub async fn tags(db: &Db, active_only: bool) -> Result<Vec<Tag>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Tag>(
            "SELECT id, name, description, active, job_family FROM feedback_tags WHERE active = 1 OR $1 = 0 ORDER BY sort_order, id",
        )
        .bind(i64::from(active_only)).fetch_all(pool).await?
    }))
}

/// Adds a tag or changes one by name. A tag is retired (active = false),
/// never deleted: old cards keep their ratings. `job_family` None keeps the
/// stored family (a new tag: every family); `Some("")` makes it general.
pub async fn save_tag(
    tx: &mut Tx,
    name: &str,
    description: &str,
    active: bool,
    job_family: Option<&str>,
) -> Result<i64, StoreError> {
    let name = name.trim();
    pulse_domain::org::required_text(name, 16, "标签名称", "tag name")?;
    let job_family = job_family.map(str::trim);
    if let Some(f) = job_family.filter(|f| !f.is_empty()) {
        pulse_domain::org::required_text(f, 32, "岗位族", "job family")?;
    }
    if rules::grapheme_len(description) > 100 {
        return Err(StoreError::Invalid(Problem::new(
            "description_too_long",
            "说明最多 100 个字",
            "the description is at most 100 characters",
        )));
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO feedback_tags (name, description, active, sort_order, updated_at, job_family) \
             VALUES ($1, $2, $3, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM feedback_tags), $4, COALESCE($5, '')) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description, active = excluded.active, \
               updated_at = excluded.updated_at, job_family = COALESCE($5, feedback_tags.job_family) RETURNING id",
        )
        .bind(name).bind(description.trim()).bind(i64::from(active)).bind(now).bind(job_family)
        .fetch_one(conn).await?
    });
    forget_card_rules();
    Ok(id)
}

/// The points window in hours (F2), HR-configurable; 72 h by default.
pub const DEFAULT_WINDOW_HOURS: i64 = 72;

pub async fn window_hours(db: &Db) -> Result<i64, StoreError> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT value FROM app_settings WHERE name = 'feedback_window_hours'").fetch_optional(pool).await?
    });
    Ok(row
        .and_then(|r| r.0.parse().ok())
        .unwrap_or(DEFAULT_WINDOW_HOURS))
}

pub async fn set_window_hours(tx: &mut Tx, hours: i64) -> Result<(), StoreError> {
    if !(1..=24 * 30).contains(&hours) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_window",
            "积分时限必须是 1–720 小时",
            "the points window is 1–720 hours",
        )));
    }
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO app_settings (name, value, updated_at) VALUES ('feedback_window_hours', $1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(hours.to_string()).bind(now).execute(conn).await?;
    });
    forget_card_rules();
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CardOutcome {
    pub id: i64,
    pub points_awarded: i64,
    pub balance: i64,
}

fn refuse(code: &'static str, zh: &str, en: &str) -> StoreError {
    StoreError::Invalid(Problem::new(code, zh, en))
}

/// Stores a card for the author's own event and awards its point when it is
/// inside the window. Nothing is stored when anything is wrong.
pub async fn submit(
    db: &Db,
    author_id: i64,
    event_id: i64,
    ratings: &[TagRating],
    observation: &str,
    idem: Option<events::IdemKey<'_>>,
) -> Result<CardOutcome, StoreError> {
    let event = events::by_id(db, event_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("event {event_id}")))?;
    if event.person_id != author_id {
        return Err(refuse(
            "not_your_event",
            "只能为自己的拜访写反馈卡",
            "a card can only be written for your own visit",
        ));
    }
    if !pulse_domain::events::takes_feedback(&event.kind) {
        return Err(refuse(
            "event_takes_no_card",
            "反馈卡只能写给客户拜访或服务工单",
            "cards are written for customer visits and work orders",
        ));
    }
    if event.card_id.is_some() {
        return Err(card_exists());
    }
    let rules_now = card_rules(db).await?;
    let (library, window) = (&rules_now.library, rules_now.window_hours);
    let names: Vec<&str> = library.iter().map(|t| t.1.as_str()).collect();
    let observation = rules::check_card(ratings, observation, &names)?;
    let now = db.now_ms();
    let earned = if rules::in_window(event.occurred_at, now, window) {
        rules::POINTS_PER_CARD
    } else {
        0
    };
    let mut tag_ids = Vec::with_capacity(ratings.len());
    let library = library.as_slice();
    for t in ratings {
        let tag_id = library
            .iter()
            .find(|l| l.1 == t.tag.trim())
            .map(|l| l.0)
            .ok_or_else(|| refuse("tag_unknown", "标签不在标签库中", "unknown tag"))?;
        tag_ids.push((tag_id, t.rating));
    }
    let write = CardWrite {
        event_id,
        author_id,
        observation,
        earned,
        ratings: tag_ids,
        idem: idem.map(|k| (k.scope.to_string(), k.key.to_string(), k.hash.to_string())),
        now,
    };
    match card_group(db) {
        Some(group) => {
            let db = db.clone();
            group.submit(write, move |jobs| write_cards(db, jobs)).await
        }
        None => write_cards(db.clone(), vec![write])
            .await
            .pop()
            .unwrap_or_else(|| Err(StoreError::Config("card write gave no answer".into()))),
    }
}

fn card_exists() -> StoreError {
    refuse(
        "card_exists",
        "这次拜访已经写过反馈卡（每次拜访一张）",
        "this visit already has its card (one per visit)",
    )
}

/// The active tag library (id, name) and the points window.
struct CardRules {
    library: Vec<(i64, String)>,
    window_hours: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Card {
    pub id: i64,
    pub event_id: i64,
    pub event_kind: String,
    pub customer_name: Option<String>,
    pub author_id: i64,
    pub employee_no: String,
    pub author_name: String,
    pub observation: String,
    pub points_awarded: i64,
    pub ack: Option<String>,
    pub created_at: i64,
    pub ratings: Vec<(String, i64)>,
    pub replies: Vec<Message>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Message {
    pub id: i64,
    pub card_id: Option<i64>,
    pub from_id: i64,
    pub from_name: String,
    pub to_id: i64,
    pub body: String,
    pub created_at: i64,
}

type CardRow = (
    i64,
    i64,
    String,
    Option<String>,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    i64,
);

async fn load_cards(db: &Db, filter: &str, bind: i64, limit: i64) -> Result<Vec<Card>, StoreError> {
    let sql = format!(
        "SELECT f.id, f.event_id, e.kind, c.name, f.author_id, p.employee_no, p.name, f.observation, f.points_awarded, \
         f.ack, f.created_at FROM feedback_cards f JOIN events e ON e.id = f.event_id JOIN people p ON p.id = f.author_id \
         LEFT JOIN customers c ON c.id = e.customer_id WHERE {filter} ORDER BY f.created_at DESC, f.id DESC LIMIT $2"
    );
    let rows: Vec<CardRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(bind).bind(limit).fetch_all(pool).await?
    });
    let mut cards = Vec::with_capacity(rows.len());
    for r in rows {
        let ratings: Vec<(String, i64)> = on_db!(db, pool => {
            sqlx::query_as("SELECT t.name, r.rating FROM feedback_ratings r JOIN feedback_tags t ON t.id = r.tag_id WHERE r.card_id = $1 ORDER BY t.sort_order, t.id")
                .bind(r.0).fetch_all(pool).await?
        });
        let replies = messages_of_card(db, r.0).await?;
        cards.push(Card {
            id: r.0,
            event_id: r.1,
            event_kind: r.2,
            customer_name: r.3,
            author_id: r.4,
            employee_no: r.5,
            author_name: r.6,
            observation: r.7,
            points_awarded: r.8,
            ack: r.9,
            created_at: r.10,
            ratings,
            replies,
        });
    }
    Ok(cards)
}

pub async fn card(db: &Db, id: i64) -> Result<Option<Card>, StoreError> {
    Ok(load_cards(db, "f.id = $1", id, 1).await?.pop())
}

pub async fn cards_of(db: &Db, author_id: i64, limit: i64) -> Result<Vec<Card>, StoreError> {
    load_cards(db, "f.author_id = $1", author_id, limit).await
}

/// Cards of a manager's direct reports, newest first.
pub async fn team_cards(db: &Db, manager_id: i64, limit: i64) -> Result<Vec<Card>, StoreError> {
    load_cards(db, "p.manager_id = $1", manager_id, limit).await
}
