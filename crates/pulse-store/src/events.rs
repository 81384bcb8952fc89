//! Business events (P1–P5) and the idempotency keys of the intake API.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: String,
    pub person_id: i64,
    pub customer_id: Option<i64>,
    pub occurred_at: i64,
    pub payload: Map<String, Value>,
    /// `app` for the phone forms, `api:<token name>` for systems, `demo`, `import`.
    pub source: String,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub person_id: i64,
    pub employee_no: String,
    pub person_name: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub customer_tier: Option<String>,
    pub occurred_at: i64,
    pub payload_json: String,
    pub source: String,
    pub created_at: i64,
    /// The card written for it, if any.
    pub card_id: Option<i64>,
}

impl Event {
    pub fn payload(&self) -> Map<String, Value> {
        serde_json::from_str(&self.payload_json).unwrap_or_default()
    }
}

const EVENT_SELECT: &str = "SELECT e.id, e.kind, e.person_id, p.employee_no, p.name AS person_name, e.customer_id, \
     c.name AS customer_name, c.tier AS customer_tier, e.occurred_at, e.payload_json, e.source, e.created_at, \
     f.id AS card_id \
     FROM events e JOIN people p ON p.id = e.person_id LEFT JOIN customers c ON c.id = e.customer_id \
     LEFT JOIN feedback_cards f ON f.event_id = e.id";

/// Records an event after checking its kind's fields.
pub async fn record(tx: &mut Tx, e: &NewEvent) -> Result<i64, StoreError> {
    pulse_domain::events::check(&e.kind, &e.payload)?;
    if pulse_domain::events::needs_customer(&e.kind) && e.customer_id.is_none() {
        return Err(StoreError::Invalid(pulse_domain::Problem::new(
            "customer_required",
            "请选择客户",
            "pick a customer",
        )));
    }
    let payload = Value::Object(e.payload.clone()).to_string();
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO events (kind, person_id, customer_id, occurred_at, payload_json, source, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&e.kind).bind(e.person_id).bind(e.customer_id).bind(e.occurred_at).bind(&payload)
        .bind(&e.source).bind(e.created_by).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Event>, StoreError> {
    let sql = format!("{EVENT_SELECT} WHERE e.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

/// A person's latest events, newest first.
pub async fn for_person(db: &Db, person_id: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
    let sql = format!(
        "{EVENT_SELECT} WHERE e.person_id = $1 ORDER BY e.occurred_at DESC, e.id DESC LIMIT $2"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).bind(limit).fetch_all(pool).await?
    }))
}

/// The latest events of a manager's direct reports, newest first.
pub async fn for_team(db: &Db, manager_id: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
    let sql = format!(
        "{EVENT_SELECT} WHERE p.manager_id = $1 ORDER BY e.occurred_at DESC, e.id DESC LIMIT $2"
    );
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql.clone())).bind(manager_id).bind(limit).fetch_all(pool).await?
    }))
}

/// A stored answer to an idempotent request.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn idempotent_answer(
    db: &Db,
    scope: &str,
    key: &str,
) -> Result<Option<StoredAnswer>, StoreError> {
    let row: Option<(String, i64, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT request_hash, status, response_json FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope).bind(key).fetch_optional(pool).await?
    });
    Ok(row.map(|(request_hash, status, body)| StoredAnswer {
        request_hash,
        status: u16::try_from(status).unwrap_or(200),
        body,
    }))
}

/// Keeps the answer in the same transaction as the work it answers for, so
/// a key is never stored without its effect or the effect without its key.
/// A concurrent request with the same key fails here with a conflict and
/// its work rolls back; the caller then returns the stored answer.
pub async fn remember_answer(
    tx: &mut Tx,
    idem: &IdemKey<'_>,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    use crate::bulk::Cell;
    remember_answers(
        tx,
        &[vec![
            Cell::from(idem.scope),
            Cell::from(idem.key),
            Cell::from(idem.hash),
            Cell::Int(i64::from(status)),
            Cell::from(body),
            Cell::Int(tx.now_ms()),
        ]],
    )
    .await
}

/// [`remember_answer`] for several requests at once; `rows` hold scope,
/// key, request hash, status, answer and time.
pub(crate) async fn remember_answers(
    tx: &mut Tx,
    rows: &[Vec<crate::bulk::Cell>],
) -> Result<(), StoreError> {
    let r = crate::bulk::insert(
        tx,
        "idempotency_keys",
        &[
            "scope",
            "key",
            "request_hash",
            "status",
            "response_json",
            "created_at",
        ],
        rows,
    )
    .await;
    match r {
        Err(StoreError::Conflict(_)) => Err(StoreError::Conflict(pulse_domain::Problem::new(
            IDEMPOTENCY_RACE,
            "同一个 Idempotency-Key 的请求已处理",
            "a request with this Idempotency-Key was handled meanwhile",
        ))),
        other => other.map(|_| ()),
    }
}

/// The conflict code [`remember_answer`] gives when another request with the
/// same key committed first: the caller answers with that request's answer.
pub const IDEMPOTENCY_RACE: &str = "idempotency_race";

/// A request's idempotency key as the store keeps it.
#[derive(Debug, Clone, Copy)]
pub struct IdemKey<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub hash: &'a str,
}

/// Work-order figures of one engineer over a time range (P3): average
/// response minutes (时效) and spare-part usage rate (备件使用率) in basis points.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceFigures {
    pub work_orders: i64,
    pub avg_response_minutes: Option<i64>,
    pub parts_planned: i64,
    pub parts_used: i64,
    pub parts_usage_bp: Option<i64>,
}

pub async fn service_figures(
    db: &Db,
    person_id: i64,
    from: i64,
    to: i64,
) -> Result<ServiceFigures, StoreError> {
    let rows: Vec<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT payload_json FROM events WHERE person_id = $1 AND kind = 'work_order' AND occurred_at >= $2 AND occurred_at < $3")
            .bind(person_id).bind(from).bind(to).fetch_all(pool).await?
    });
    let mut responses = Vec::new();
    let (mut planned, mut used) = (0, 0);
    for (json,) in &rows {
        let p: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
        if let Some(m) = pulse_domain::events::response_minutes(&p) {
            responses.push(m);
        }
        if let Some((pl, us)) = pulse_domain::events::parts(&p) {
            planned += pl;
            used += us;
        }
    }
    let n = i64::try_from(responses.len()).unwrap_or(i64::MAX);
    Ok(ServiceFigures {
        work_orders: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        avg_response_minutes: (n > 0).then(|| responses.iter().sum::<i64>() / n),
        parts_planned: planned,
        parts_used: used,
        parts_usage_bp: (planned > 0).then(|| used * 10_000 / planned),
    })
}

/// Finds a customer by our id, the CRM's external id or the exact name.
pub async fn customer_ref(db: &Db, key: &str) -> Result<Option<i64>, StoreError> {
    let key = key.trim();
    let by_id = key.parse::<i64>().ok();
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id FROM customers WHERE id = $1 OR external_id = $2 OR name = $2 \
             ORDER BY CASE WHEN id = $1 THEN 0 WHEN external_id = $2 THEN 1 ELSE 2 END LIMIT 1",
        )
        .bind(by_id).bind(key).fetch_optional(pool).await?
    });
    Ok(row.map(|r| r.0))
}

/// Whether a customer's id exists.
pub async fn customer_exists(db: &Db, id: i64) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT id FROM customers WHERE id = $1").bind(id).fetch_optional(pool).await?
    });
    Ok(row.is_some())
}

/// The code of the KPI computed from visits and snapshots (G3, P1).
pub const PENETRATION_METRIC: &str = "KAP";

/// Recomputes 重点客户渗透率 for a person in the open period containing
/// `at`: the share of the A-class customers they own that had a visit or an
/// opportunity snapshot of theirs in the period, in per cent with one
/// decimal. Called in the event's transaction, so the board moves with it.
/// Returns the new actual when the person has such a KPI.
pub async fn refresh_penetration(
    tx: &mut Tx,
    person_id: i64,
    at: i64,
) -> Result<Option<String>, StoreError> {
    let day = crate::day_of_ms(at);
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        chrono::NaiveDate,
        chrono::NaiveDate,
    );
    let goals: Vec<Row> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT g.id, g.target, m.direction, p.starts_on, p.ends_on FROM goals g JOIN metrics m ON m.id = g.metric_id \
             JOIN periods p ON p.id = g.period_id \
             WHERE g.person_id = $1 AND m.code = $2 AND g.state = 'active' AND p.state = 'open' \
               AND p.starts_on <= $3 AND p.ends_on >= $3",
        )
        .bind(person_id).bind(PENETRATION_METRIC).bind(day).fetch_all(conn).await?
    });
    let mut last = None;
    for (goal_id, target, direction, starts, ends) in goals {
        let from = crate::day_start_ms(starts);
        let to = crate::day_start_ms(ends + chrono::Days::new(1));
        let (total, covered): (i64, i64) = on_tx!(tx, conn => {
            sqlx::query_as(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.person_id = $1 \
                   AND e.customer_id = c.id AND e.kind IN ('visit', 'snapshot') AND e.occurred_at >= $2 AND e.occurred_at < $3)) \
                 FROM customers c WHERE c.owner_id = $1 AND c.tier = 'A'",
            )
            .bind(person_id).bind(from).bind(to).fetch_one(conn).await?
        });
        if total == 0 {
            continue;
        }
        let tenths = covered * 1000 / total;
        let actual =
            pulse_domain::decimal::Dec::parse(&format!("{}.{}", tenths / 10, tenths % 10))?;
        let progress = target
            .as_deref()
            .and_then(|t| pulse_domain::decimal::Dec::parse(t).ok())
            .map(|t| {
                pulse_domain::goals::progress_bp(&actual, &t, direction.as_deref() == Some("lower"))
            })
            .unwrap_or(0);
        let now = tx.now_ms();
        on_tx!(tx, conn => {
            sqlx::query("UPDATE goals SET actual = $1, progress_bp = $2, updated_at = $3 WHERE id = $4")
                .bind(actual.to_string()).bind(progress).bind(now).bind(goal_id).execute(conn).await?;
        });
        last = Some(actual.to_string());
    }
    Ok(last)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Photo {
    pub id: i64,
    pub event_id: i64,
    pub object_key: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    /// The EXIF capture time, when the camera recorded one.
    pub taken_at: Option<i64>,
    pub created_at: i64,
}

/// Photos per work order.
pub const MAX_PHOTOS: i64 = 9;

/// Stores a checked photo: the bytes first (a key no row points to is
/// harmless), then the row. Returns the photo's id.
pub async fn add_photo(
    db: &Db,
    files: &crate::files::Files,
    event_id: i64,
    bytes: Vec<u8>,
) -> Result<Photo, StoreError> {
    let content_type = pulse_domain::photos::sniff(&bytes)?;
    let (count,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM event_photos WHERE event_id = $1").bind(event_id).fetch_one(pool).await?
    });
    if count >= MAX_PHOTOS {
        return Err(StoreError::Invalid(pulse_domain::Problem::new(
            "too_many_photos",
            format!("每张工单最多 {MAX_PHOTOS} 张照片"),
            format!("at most {MAX_PHOTOS} photos per work order"),
        )));
    }
    let taken_at = pulse_domain::photos::taken_at(&bytes);
    let sha = pulse_domain::auth::digest_bytes(&bytes);
    let ext = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    let key = format!("photos/{event_id}/{sha}.{ext}");
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    files.put(&key, bytes).await?;
    let now = db.now_ms();
    let mut tx = db.begin().await?;
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO event_photos (event_id, object_key, content_type, bytes, sha256, taken_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(event_id).bind(&key).bind(content_type).bind(size).bind(&sha).bind(taken_at).bind(now)
        .fetch_one(conn).await?
    });
    tx.commit().await?;
    Ok(Photo {
        id,
        event_id,
        object_key: key,
        content_type: content_type.into(),
        bytes: size,
        sha256: sha,
        taken_at,
        created_at: now,
    })
}

pub async fn photos(db: &Db, event_id: i64) -> Result<Vec<Photo>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Photo>(
            "SELECT id, event_id, object_key, content_type, bytes, sha256, taken_at, created_at FROM event_photos \
             WHERE event_id = $1 ORDER BY id",
        )
        .bind(event_id).fetch_all(pool).await?
    }))
}

pub async fn photo(db: &Db, id: i64) -> Result<Option<Photo>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Photo>(
            "SELECT id, event_id, object_key, content_type, bytes, sha256, taken_at, created_at FROM event_photos WHERE id = $1",
        )
        .bind(id).fetch_optional(pool).await?
    }))
}
