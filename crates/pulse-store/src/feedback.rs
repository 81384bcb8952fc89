//! Feedback cards (F1), their points (F2) and the two-way loop (F4).

use pulse_domain::Problem;
use pulse_domain::feedback::{self as rules, TagRating};
use serde::Serialize;

use crate::{Db, StoreError, Tx, events, points};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub active: i64,
}

pub async fn tags(db: &Db, active_only: bool) -> Result<Vec<Tag>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Tag>(
            "SELECT id, name, description, active FROM feedback_tags WHERE active = 1 OR $1 = 0 ORDER BY sort_order, id",
        )
        .bind(i64::from(active_only)).fetch_all(pool).await?
    }))
}

/// Adds a tag or changes one by name. A tag is retired (active = false),
/// never deleted: old cards keep their ratings.
pub async fn save_tag(
    tx: &mut Tx,
    name: &str,
    description: &str,
    active: bool,
) -> Result<i64, StoreError> {
    let name = name.trim();
    pulse_domain::org::required_text(name, 16, "标签名称", "tag name")?;
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
            "INSERT INTO feedback_tags (name, description, active, sort_order, updated_at) \
             VALUES ($1, $2, $3, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM feedback_tags), $4) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description, active = excluded.active, \
               updated_at = excluded.updated_at RETURNING id",
        )
        .bind(name).bind(description.trim()).bind(i64::from(active)).bind(now)
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

type CachedRules = (std::time::Instant, std::sync::Arc<CardRules>);

static CARD_RULES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, CachedRules>>,
> = std::sync::LazyLock::new(Default::default);

/// Every card checks against the library and the window; they change a few
/// times a year, so each instance keeps them for two seconds (another
/// instance sees an HR change that much later; this one at once).
const RULES_FOR: std::time::Duration = std::time::Duration::from_secs(2);

async fn card_rules(db: &Db) -> Result<std::sync::Arc<CardRules>, StoreError> {
    let key = db.key();
    if let Ok(map) = CARD_RULES.lock()
        && let Some((at, r)) = map.get(&key)
        && at.elapsed() < RULES_FOR
    {
        return Ok(r.clone());
    }
    // The library and the window in one round trip.
    let rows: Vec<(i64, String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, name, (SELECT value FROM app_settings WHERE name = 'feedback_window_hours') \
             FROM feedback_tags WHERE active = 1 ORDER BY sort_order, id",
        )
        .fetch_all(pool).await?
    });
    let window_hours = rows
        .first()
        .and_then(|r| r.2.as_deref())
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_WINDOW_HOURS);
    let r = std::sync::Arc::new(CardRules {
        library: rows.into_iter().map(|r| (r.0, r.1)).collect(),
        window_hours,
    });
    if let Ok(mut map) = CARD_RULES.lock() {
        map.insert(key, (std::time::Instant::now(), r.clone()));
    }
    Ok(r)
}

/// Called by every change to the library or the window.
fn forget_card_rules() {
    if let Ok(mut map) = CARD_RULES.lock() {
        map.clear();
    }
}

/// A checked card waiting to be written.
struct CardWrite {
    event_id: i64,
    author_id: i64,
    observation: String,
    earned: i64,
    /// (tag id, rating)
    ratings: Vec<(i64, i64)>,
    /// Idempotency scope, key and request hash.
    idem: Option<(String, String, String)>,
    now: i64,
}

type CardGroup = std::sync::Arc<crate::group_commit::Group<CardWrite, CardOutcome>>;

static CARD_GROUPS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, CardGroup>>,
> = std::sync::LazyLock::new(Default::default);

/// Concurrent cards of one database are written in shared transactions
/// (the card benchmark: 64 reps at once). An in-memory SQLite database has
/// no name to share a group by, so its cards are written one by one.
fn card_group(db: &Db) -> Option<CardGroup> {
    let key = db.key();
    if key == "sqlite:" || key.ends_with(":memory:") {
        return None;
    }
    let mut map = CARD_GROUPS.lock().ok()?;
    Some(
        map.entry(key)
            .or_insert_with(|| {
                let writers = match db.engine() {
                    crate::Engine::Sqlite => 1,
                    crate::Engine::Postgres => 4,
                };
                std::sync::Arc::new(crate::group_commit::Group::new(100, writers))
            })
            .clone(),
    )
}

/// Writes a batch of cards in one transaction; when that fails (a racing
/// second card for a visit, an idempotency key used meanwhile), each card
/// is written alone so every request gets its own answer.
async fn write_cards(db: Db, jobs: Vec<CardWrite>) -> Vec<Result<CardOutcome, StoreError>> {
    if jobs.len() > 1
        && let Ok(done) = write_batch(&db, &jobs).await
    {
        return done.into_iter().map(Ok).collect();
    }
    let mut out = Vec::with_capacity(jobs.len());
    for job in &jobs {
        out.push(
            write_batch(&db, std::slice::from_ref(job))
                .await
                .map(|mut v| v.remove(0)),
        );
    }
    out
}

async fn write_batch(db: &Db, jobs: &[CardWrite]) -> Result<Vec<CardOutcome>, StoreError> {
    use crate::bulk::{self, Cell};
    let mut tx = db.begin().await?;
    let rows: Vec<Vec<Cell>> = jobs
        .iter()
        .map(|j| {
            vec![
                Cell::Int(j.event_id),
                Cell::Int(j.author_id),
                Cell::Text(j.observation.clone()),
                Cell::Int(j.earned),
                Cell::Int(j.now),
            ]
        })
        .collect();
    let inserted = bulk::insert_returning(
        &mut tx,
        "feedback_cards",
        &[
            "event_id",
            "author_id",
            "observation",
            "points_awarded",
            "created_at",
        ],
        &rows,
        "",
        ["event_id", "id"],
    )
    .await
    .map_err(|e| match e {
        // The unique event_id turns a racing second card into a refusal.
        StoreError::Conflict(_) => card_exists(),
        e => e,
    })?;
    let ids: std::collections::HashMap<i64, i64> = inserted.into_iter().collect();
    let card_id = |j: &CardWrite| {
        ids.get(&j.event_id).copied().ok_or_else(|| {
            StoreError::Config(format!("card for event {} not returned", j.event_id))
        })
    };
    let mut ratings = Vec::new();
    for j in jobs {
        let id = card_id(j)?;
        for (tag, rating) in &j.ratings {
            ratings.push(vec![Cell::Int(id), Cell::Int(*tag), Cell::Int(*rating)]);
        }
    }
    bulk::insert(
        &mut tx,
        "feedback_ratings",
        &["card_id", "tag_id", "rating"],
        &ratings,
    )
    .await?;
    // One balance write per author (an author may have several cards here;
    // PostgreSQL refuses to upsert one row twice in a statement).
    let mut earned: std::collections::BTreeMap<i64, i64> = Default::default();
    for j in jobs {
        *earned.entry(j.author_id).or_default() += j.earned;
    }
    let rows: Vec<Vec<Cell>> = earned
        .iter()
        .map(|(p, d)| vec![Cell::Int(*p), Cell::Int(*d)])
        .collect();
    let balances = points::add_to_balances(&mut tx, &rows).await?;
    // Ledger rows in card order: each shows the balance after its own point.
    let mut after: std::collections::HashMap<i64, i64> = balances.iter().copied().collect();
    let mut ledger = Vec::new();
    let mut outcomes = vec![None; jobs.len()];
    for (i, j) in jobs.iter().enumerate().rev() {
        let id = card_id(j)?;
        let balance = after.get(&j.author_id).copied().unwrap_or(0);
        if j.earned > 0 {
            ledger.push(vec![
                Cell::Int(j.author_id),
                Cell::Int(j.earned),
                Cell::Int(balance),
                Cell::Text("feedback_card".into()),
                Cell::Text(format!("card:{id}")),
                Cell::Int(j.now),
            ]);
            after.insert(j.author_id, balance - j.earned);
        }
        outcomes[i] = Some(CardOutcome {
            id,
            points_awarded: j.earned,
            balance,
        });
    }
    ledger.reverse();
    bulk::insert(
        &mut tx,
        "points_ledger",
        &[
            "person_id",
            "delta",
            "balance_after",
            "reason",
            "source_key",
            "created_at",
        ],
        &ledger,
    )
    .await?;
    let outcomes: Vec<CardOutcome> = outcomes.into_iter().flatten().collect();
    let mut answers = Vec::new();
    for (j, o) in jobs.iter().zip(&outcomes) {
        if let Some((scope, key, hash)) = &j.idem {
            answers.push(vec![
                Cell::Text(scope.clone()),
                Cell::Text(key.clone()),
                Cell::Text(hash.clone()),
                Cell::Int(201),
                Cell::Text(serde_json::to_string(o).unwrap_or_default()),
                Cell::Int(j.now),
            ]);
        }
    }
    events::remember_answers(&mut tx, &answers).await?;
    tx.commit().await?;
    Ok(outcomes)
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

async fn messages_of_card(db: &Db, card_id: i64) -> Result<Vec<Message>, StoreError> {
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

fn check_body(body: &str) -> Result<String, StoreError> {
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
            subject: format!("{}回复了你的反馈，请确认下一步", from.0),
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
