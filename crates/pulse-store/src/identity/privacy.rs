//! PIPL data rights (S3): the person's archive (Art. 45), HR's notes beside a
//! record (Art. 46), the log of who viewed another person's review data, and
//! the anonymisation of departed staff after the retention period (Art. 47).
//!
//! The archive's sections are read as one JSON object per row, built by the
//! database (`json_object` on SQLite, `json_build_object` on PostgreSQL take
//! the same arguments), so a section is one SQL string on both engines.
//! Reviews show their text once released to the person and calibration its
//! result once decided; before that the archive says that they exist and
//! where they stand — a committee's deliberation is not the person's data
//! until it ends. The audit trail is a legal record and append-only: the
//! anonymisation leaves it as it is (documented in ARCHITECTURE.md).

use pulse_domain::Problem;
use pulse_domain::identity::redact::{Identifiers, placeholder};
use pulse_domain::search::search_key;
use serde::Serialize;
use serde_json::Value;

use crate::db::Engine;
use crate::{Actor, Db, StoreError, Tx, audit};

/// One section of the archive: a title and its rows.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub key: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub rows: Vec<Value>,
}

/// (key, 中文, English, SQL with `JSON_OBJ(` and `$1` = person id, `$2` = 工号, `$3` = login).
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "profile",
        "个人信息",
        "Profile",
        "SELECT CAST(JSON_OBJ('employee_no', p.employee_no, 'name', p.name, 'job_family', p.job_family, 'level', p.level, \
        'unit', u.name, 'manager', m.name, 'hire_date', CAST(p.hire_date AS TEXT), 'status', p.status, 'email', p.email, \
        'wecom_userid', p.wecom_userid, 'left_at', p.left_at, 'created_at', p.created_at, 'updated_at', p.updated_at) AS TEXT) \
      FROM people p JOIN org_units u ON u.id = p.org_unit_id LEFT JOIN people m ON m.id = p.manager_id WHERE p.id = $1",
    ),
    (
        "account",
        "账号与角色",
        "Account and roles",
        "SELECT CAST(JSON_OBJ('login', a.login, 'role', g.role, 'scope', g.scope, 'created_at', a.created_at, 'disabled_at', a.disabled_at) AS TEXT) \
      FROM accounts a LEFT JOIN role_grants g ON g.account_id = a.id WHERE a.person_id = $1 ORDER BY g.role",
    ),
    (
        "goals",
        "目标",
        "Goals",
        "SELECT CAST(JSON_OBJ('id', g.id, 'period', pe.name, 'title', g.title, 'target', g.target, 'actual', g.actual, \
        'progress_bp', g.progress_bp, 'weight_bp', g.weight_bp, 'state', g.state, 'updated_at', g.updated_at) AS TEXT) \
      FROM goals g JOIN periods pe ON pe.id = g.period_id WHERE g.person_id = $1 ORDER BY g.id",
    ),
    (
        "events",
        "业务事件",
        "Business events",
        "SELECT CAST(JSON_OBJ('id', e.id, 'kind', e.kind, 'occurred_at', e.occurred_at, 'source', e.source, 'payload', e.payload_json) AS TEXT) \
      FROM events e WHERE e.person_id = $1 ORDER BY e.occurred_at, e.id",
    ),
    (
        "cards_received",
        "收到的反馈卡片",
        "Feedback cards received",
        "SELECT CAST(JSON_OBJ('id', c.id, 'author', a.name, 'observation', c.observation, 'points', c.points_awarded, \
        'ack', c.ack, 'created_at', c.created_at) AS TEXT) \
      FROM feedback_cards c JOIN events e ON e.id = c.event_id JOIN people a ON a.id = c.author_id WHERE e.person_id = $1 ORDER BY c.id",
    ),
    (
        "cards_written",
        "写出的反馈卡片",
        "Feedback cards written",
        "SELECT CAST(JSON_OBJ('id', c.id, 'about', t.name, 'observation', c.observation, 'created_at', c.created_at) AS TEXT) \
      FROM feedback_cards c JOIN events e ON e.id = c.event_id JOIN people t ON t.id = e.person_id WHERE c.author_id = $1 ORDER BY c.id",
    ),
    (
        "messages",
        "反馈回复与留言",
        "Replies and messages",
        "SELECT CAST(JSON_OBJ('id', m.id, 'from', f.name, 'to', t.name, 'body', m.body, 'created_at', m.created_at) AS TEXT) \
      FROM feedback_messages m JOIN people f ON f.id = m.from_id JOIN people t ON t.id = m.to_id \
      WHERE m.from_id = $1 OR m.to_id = $1 ORDER BY m.id",
    ),
    (
        "points",
        "积分流水",
        "Points ledger",
        "SELECT CAST(JSON_OBJ('id', l.id, 'delta', l.delta, 'reason', l.reason, 'created_at', l.created_at) AS TEXT) \
      FROM points_ledger l WHERE l.person_id = $1 ORDER BY l.id",
    ),
    (
        "reviews",
        "绩效评估",
        "Reviews",
        "SELECT CAST(JSON_OBJ('id', r.id, 'cycle', c.name, 'reviewer', w.name, 'state', r.state, \
        'rating', CASE WHEN r.released_at IS NOT NULL THEN COALESCE(r.calibrated_rating, r.rating) END, \
        'body', CASE WHEN r.released_at IS NOT NULL THEN r.body ELSE '' END, 'self_assessment', r.self_text, \
        'released_at', r.released_at, 'acknowledged_at', r.acknowledged_at, 'ack_comment', r.ack_comment) AS TEXT) \
      FROM reviews r JOIN review_cycles c ON c.id = r.cycle_id JOIN people w ON w.id = r.reviewer_id WHERE r.person_id = $1 ORDER BY r.id",
    ),
    (
        "calibration",
        "校准结果",
        "Calibration results",
        "SELECT CAST(JSON_OBJ('session', s.name, 'state', s.state, 'final_rating', k.final_rating, 'potential', k.potential, \
        'rationale', CASE WHEN k.decided_at IS NOT NULL THEN k.rationale ELSE '' END, 'decided_at', k.decided_at) AS TEXT) \
      FROM calibration_cases k JOIN calibration_sessions s ON s.id = k.session_id JOIN reviews r ON r.id = k.review_id \
      WHERE r.person_id = $1 ORDER BY k.id",
    ),
    (
        "outcomes",
        "绩效联动结果",
        "Linkage outcomes",
        "SELECT CAST(JSON_OBJ('id', o.id, 'rule', o.rule_name, 'kind', o.kind, 'action', o.action_json, 'chain', o.chain_json, \
        'state', o.state, 'reversed_reason', o.reversed_reason, 'created_at', o.created_at) AS TEXT) \
      FROM linkage_outcomes o WHERE o.person_id = $1 ORDER BY o.id",
    ),
    (
        "audit",
        "关于本人的审计记录",
        "Audit entries about you",
        "SELECT CAST(JSON_OBJ('at', l.at, 'actor', l.actor_label, 'action', l.action, 'entity', l.entity, 'before', l.before_json, 'after', l.after_json) AS TEXT) \
      FROM audit_log l WHERE (l.entity = 'person' AND l.entity_id = $2) OR (l.entity = 'account' AND l.entity_id = $3) ORDER BY l.id",
    ),
    (
        "views",
        "谁查看了本人的评估数据",
        "Who viewed your review data",
        "SELECT CAST(JSON_OBJ('at', v.at, 'viewer', w.name, 'kind', v.kind) AS TEXT) \
      FROM data_views v JOIN people w ON w.id = v.viewer_id WHERE v.subject_id = $1 ORDER BY v.id",
    ),
    (
        "annotations",
        "HR 备注",
        "HR notes",
        "SELECT CAST(JSON_OBJ('topic', n.topic, 'body', n.body, 'author', a.name, 'created_at', n.created_at) AS TEXT) \
      FROM data_annotations n JOIN people a ON a.id = n.author_id WHERE n.person_id = $1 ORDER BY n.id",
    ),
];

/// The keys the sections' rows carry (for headings in the readable copy).
pub fn column_keys() -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (_, _, _, sql) in SECTIONS {
        let mut rest: &str = sql;
        while let Some(i) = rest.find('\'') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('\'') else { break };
            let word = &after[..j];
            rest = &after[j + 1..];
            let is_key = rest.starts_with(", ")
                && !word.is_empty()
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if is_key && !keys.iter().any(|k| k == word) {
                keys.push(word.to_string());
            }
        }
    }
    keys
}

fn engine_sql(db: &Db, sql: &str) -> String {
    match db.engine() {
        Engine::Sqlite => sql.replace("JSON_OBJ(", "json_object("),
        Engine::Postgres => sql.replace("JSON_OBJ(", "json_build_object("),
    }
}

/// Instants (`*_at` keys holding epoch ms) as China-time text, so the file
/// reads without a converter.
fn readable(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        for (k, val) in map.iter_mut() {
            if (k.ends_with("_at") || k == "at")
                && let Some(ms) = val.as_i64()
            {
                *val = Value::String(pulse_domain::china_time::format_ms(ms, "%Y-%m-%d %H:%M:%S"));
            }
        }
    }
    v
}

/// Everything Pulse holds about one person, section by section.
pub async fn archive(db: &Db, person_id: i64) -> Result<Vec<Section>, StoreError> {
    let ids: Option<(String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT p.employee_no, a.login FROM people p LEFT JOIN accounts a ON a.person_id = p.id WHERE p.id = $1")
            .bind(person_id).fetch_optional(pool).await?
    });
    let (employee_no, login) =
        ids.ok_or_else(|| StoreError::NotFound(format!("person {person_id}")))?;
    let login = login.unwrap_or_default();
    let mut out = Vec::with_capacity(SECTIONS.len());
    for (key, zh, en, sql) in SECTIONS {
        let sql = engine_sql(db, sql);
        let rows: Vec<(String,)> = on_db!(db, pool => {
            // PostgreSQL refuses parameters a statement does not use.
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(person_id);
            if sql.contains("$2") {
                q.bind(&employee_no).bind(&login).fetch_all(pool).await?
            } else {
                q.fetch_all(pool).await?
            }
        });
        out.push(Section {
            key,
            title_zh: zh,
            title_en: en,
            rows: rows
                .into_iter()
                .filter_map(|(j,)| serde_json::from_str(&j).ok())
                .map(readable)
                .collect(),
        });
    }
    Ok(out)
}

/// How many records each section holds, counted by the database (the data
/// pages show counts; reading every row to count them would be wasted).
pub async fn counts(
    db: &Db,
    person_id: i64,
) -> Result<Vec<(&'static str, &'static str, i64)>, StoreError> {
    let ids: Option<(String, Option<String>)> = on_db!(db, pool => {
        sqlx::query_as("SELECT p.employee_no, a.login FROM people p LEFT JOIN accounts a ON a.person_id = p.id WHERE p.id = $1")
            .bind(person_id).fetch_optional(pool).await?
    });
    let (employee_no, login) =
        ids.ok_or_else(|| StoreError::NotFound(format!("person {person_id}")))?;
    let login = login.unwrap_or_default();
    let mut out = Vec::with_capacity(SECTIONS.len());
    for (_, zh, en, sql) in SECTIONS {
        let sql = format!("SELECT COUNT(*) FROM ({}) t", engine_sql(db, sql));
        let (n,): (i64,) = on_db!(db, pool => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(person_id);
            if sql.contains("$2") {
                q.bind(&employee_no).bind(&login).fetch_one(pool).await?
            } else {
                q.fetch_one(pool).await?
            }
        });
        out.push((*zh, *en, n));
    }
    Ok(out)
}

/// Kinds of another person's data whose every view is logged: a review, a
/// list of ratings, a calibration case or growth letter, the whole archive
/// (HR answering a request on the person's behalf).
pub const VIEW_KINDS: [&str; 4] = ["review", "rating", "calibration", "archive"];

/// Logs that `viewer` saw `subject`'s review data; a look at one's own is not logged.
pub async fn record_view(
    db: &Db,
    viewer: i64,
    subject: i64,
    kind: &str,
    reference: &str,
) -> Result<(), StoreError> {
    if viewer == subject {
        return Ok(());
    }
    let now = db.now_ms();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO data_views (at, viewer_id, subject_id, kind, ref) VALUES ($1, $2, $3, $4, $5)")
            .bind(now).bind(viewer).bind(subject).bind(kind).bind(reference).execute(pool).await?;
    });
    Ok(())
}

/// Logs one view per subject of a list (ratings of a calibration's cases),
/// in one statement; the viewer's own row is left out.
pub async fn record_views(
    db: &Db,
    viewer: i64,
    subjects: &[i64],
    kind: &str,
    reference: &str,
) -> Result<(), StoreError> {
    let mut others: Vec<i64> = subjects.iter().copied().filter(|s| *s != viewer).collect();
    others.sort_unstable();
    others.dedup();
    if others.is_empty() {
        return Ok(());
    }
    let now = db.now_ms();
    // Ids are integers from our own rows, so they go into the text; the
    // other values stay bound.
    let values = others
        .iter()
        .map(|s| format!("($1, $2, {s}, $3, $4)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("INSERT INTO data_views (at, viewer_id, subject_id, kind, ref) VALUES {values}");
    on_db!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now).bind(viewer).bind(kind).bind(reference).execute(pool).await?;
    });
    Ok(())
}

/// How many leavers are past the retention period and not anonymised yet.
pub async fn due_count(db: &Db, retention_days: i64) -> Result<i64, StoreError> {
    let cutoff = db.now_ms() - retention_days * 24 * 3600 * 1000;
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM people WHERE status = 'left' AND anonymised_at IS NULL AND left_at IS NOT NULL AND left_at < $1",
        )
        .bind(cutoff).fetch_one(pool).await?
    });
    Ok(n)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ViewRow {
    pub at: i64,
    pub viewer_no: String,
    pub viewer_name: String,
    pub subject_no: String,
    pub subject_name: String,
    pub kind: String,
    pub reference: String,
}

/// The newest views, of one person's data or of everyone's.
pub async fn views(db: &Db, subject: Option<i64>, limit: i64) -> Result<Vec<ViewRow>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, ViewRow>(
            "SELECT v.at, w.employee_no AS viewer_no, w.name AS viewer_name, s.employee_no AS subject_no, s.name AS subject_name, \
             v.kind, v.ref AS reference FROM data_views v JOIN people w ON w.id = v.viewer_id JOIN people s ON s.id = v.subject_id \
             WHERE ($1 IS NULL OR v.subject_id = $1) ORDER BY v.id DESC LIMIT $2",
        )
        .bind(subject).bind(limit).fetch_all(pool).await?
    }))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Annotation {
    pub id: i64,
    pub topic: String,
    pub body: String,
    pub author_name: String,
    pub created_at: i64,
}

pub const TOPICS: [&str; 4] = ["profile", "goals", "reviews", "other"];

/// HR's note beside a person's record, audited.
pub async fn annotate(
    tx: &mut Tx,
    actor: &Actor,
    person_id: i64,
    topic: &str,
    body: &str,
) -> Result<i64, StoreError> {
    if !TOPICS.contains(&topic) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_topic",
            "请选择备注涉及的内容",
            "choose what the note is about",
        )));
    }
    let body = pulse_domain::org::required_lines(body, 500, "备注", "note")?;
    let author = actor
        .person_id
        .ok_or_else(|| StoreError::Config("a note needs a person".into()))?;
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as("INSERT INTO data_annotations (person_id, topic, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(person_id).bind(topic).bind(&body).bind(author).bind(now).fetch_one(conn).await?
    });
    audit::record::<(), _>(
        tx,
        actor,
        "annotate",
        "person_data",
        &person_id.to_string(),
        None,
        Some(&serde_json::json!({"topic": topic})),
    )
    .await?;
    Ok(id)
}

pub async fn annotations(db: &Db, person_id: i64) -> Result<Vec<Annotation>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Annotation>(
            "SELECT n.id, n.topic, n.body, a.name AS author_name, n.created_at FROM data_annotations n \
             JOIN people a ON a.id = n.author_id WHERE n.person_id = $1 ORDER BY n.id DESC",
        )
        .bind(person_id).fetch_all(pool).await?
    }))
}

/// What an anonymisation run did.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Anonymised {
    pub people: usize,
    pub texts: usize,
}

/// Free texts others may have written a person's name into: (table, column).
const TEXTS: &[(&str, &str)] = &[
    ("feedback_cards", "observation"),
    ("feedback_messages", "body"),
    ("reviews", "body"),
    ("reviews", "self_text"),
    ("reviews", "draft_text"),
    ("reviews", "ack_comment"),
    ("calibration_cases", "rationale"),
    ("alignment_tasks", "task"),
    ("data_annotations", "body"),
    ("events", "payload_json"),
];

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    employee_no: String,
    name: String,
    email: Option<String>,
    wecom_userid: Option<String>,
}

/// Anonymises everyone who left more than `retention_days` ago and is not
/// anonymised yet: name → "已离职员工 #id", 工号 → `ANON-id`, contacts
/// cleared, the account closed, free texts naming them redacted. Counts,
/// scores, ratings and every aggregate keep their rows, so figures stay
/// correct. Idempotent: a second run finds nobody. One transaction per
/// person; the run itself is audited.
pub async fn anonymise_due(
    db: &Db,
    actor: &Actor,
    retention_days: i64,
) -> Result<Anonymised, StoreError> {
    let cutoff = db.now_ms() - retention_days * 24 * 3600 * 1000;
    let due: Vec<Due> = on_db!(db, pool => {
        sqlx::query_as::<_, Due>(
            "SELECT id, employee_no, name, email, wecom_userid FROM people \
             WHERE status = 'left' AND anonymised_at IS NULL AND left_at IS NOT NULL AND left_at < $1 ORDER BY id",
        )
        .bind(cutoff).fetch_all(pool).await?
    });
    let mut done = Anonymised::default();
    for d in due {
        let mut tx = db.begin().await?;
        done.texts += anonymise_one(&mut tx, &d).await?;
        tx.commit().await?;
        done.people += 1;
    }
    // A person's run is always audited; the daily job only when it did something.
    if done.people == 0 && actor.person_id.is_none() {
        return Ok(done);
    }
    let mut tx = db.begin().await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        "anonymise_run",
        "privacy",
        &retention_days.to_string(),
        None,
        Some(&done),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

async fn anonymise_one(tx: &mut Tx, d: &Due) -> Result<usize, StoreError> {
    let ids = Identifiers {
        name: d.name.clone(),
        employee_no: d.employee_no.clone(),
        email: d.email.clone(),
        wecom_userid: d.wecom_userid.clone(),
    };
    let stand_in = placeholder(d.id);
    let mut texts = 0;
    for (table, column) in TEXTS {
        let find =
            format!("SELECT id, {column} FROM {table} WHERE {column} LIKE $1 OR {column} LIKE $2");
        let rows: Vec<(i64, String)> = on_tx!(tx, conn => {
            sqlx::query_as(sqlx::AssertSqlSafe(find.clone()))
                .bind(format!("%{}%", d.name)).bind(format!("%{}%", d.employee_no)).fetch_all(conn).await?
        });
        let update = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
        for (id, text) in rows {
            if let Some(clean) = ids.redact(&text, &stand_in) {
                on_tx!(tx, conn => {
                    sqlx::query(sqlx::AssertSqlSafe(update.clone())).bind(&clean).bind(id).execute(conn).await?;
                });
                texts += 1;
            }
        }
    }
    let now = tx.now_ms();
    let anon_no = format!("ANON-{}", d.id);
    on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE people SET name = $1, employee_no = $2, email = NULL, wecom_userid = NULL, scim_external_id = NULL, \
             search_key = $3, anonymised_at = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(&stand_in).bind(&anon_no).bind(search_key(&stand_in)).bind(now).bind(d.id)
        .execute(&mut *conn).await?;
    });
    let hash = pulse_domain::auth::NO_PASSWORD.to_string();
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts WHERE person_id = $1)").bind(d.id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM sso_links WHERE account_id IN (SELECT id FROM accounts WHERE person_id = $1)").bind(d.id).execute(&mut *conn).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE account_id IN (SELECT id FROM accounts WHERE person_id = $2)")
            .bind(now).bind(d.id).execute(&mut *conn).await?;
        sqlx::query("UPDATE accounts SET login = $1, password_hash = $2, disabled_at = COALESCE(disabled_at, $3) WHERE person_id = $4")
            .bind(format!("anon-{}", d.id)).bind(&hash).bind(now).bind(d.id).execute(&mut *conn).await?;
    });
    let system = Actor::system("PIPL");
    audit::record::<(), _>(
        tx,
        &system,
        "anonymise",
        "person",
        &anon_no,
        None,
        Some(&serde_json::json!({"texts": texts})),
    )
    .await?;
    Ok(texts)
}
