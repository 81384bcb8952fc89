//! The inbox of to-dos (N1). Features create to-dos inside their own
//! transaction and close them by the thing they are about (`source_key`),
//! so an approved request closes its approval to-do by itself.

use pulse_domain::Problem;
use serde::Serialize;

use crate::{Db, StoreError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TodoState {
    Open,
    Done,
    Dismissed,
}

impl TodoState {
    pub fn as_str(self) -> &'static str {
        match self {
            TodoState::Open => "open",
            TodoState::Done => "done",
            TodoState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Result<TodoState, Problem> {
        match s {
            "open" => Ok(TodoState::Open),
            "done" => Ok(TodoState::Done),
            "dismissed" => Ok(TodoState::Dismissed),
            other => Err(Problem::new(
                "invalid_state",
                format!("未知的待办状态“{other}”（open、done、dismissed）"),
                format!("unknown to-do state '{other}' (open, done, dismissed)"),
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Todo {
    pub id: i64,
    pub person_id: i64,
    pub kind: String,
    pub subject: String,
    /// The English subject; empty when only a Chinese one was written.
    pub subject_en: String,
    pub link: String,
    pub source_key: String,
    pub due_at: Option<i64>,
    pub state: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl Todo {
    /// The subject in the reader's language.
    pub fn subject_in(&self, lang: pulse_domain::Lang) -> &str {
        match lang {
            pulse_domain::Lang::En if !self.subject_en.is_empty() => &self.subject_en,
            _ => &self.subject,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewTodo {
    pub person_id: i64,
    /// What kind of work, e.g. `goal_adjustment_approval`; stable, used for icons and reminders.
    pub kind: String,
    pub subject: pulse_domain::i18n::Both,
    /// A path inside Pulse where the work is done.
    pub link: String,
    /// The thing the to-do is about, e.g. `adjustment:42`.
    pub source_key: String,
    pub due_at: Option<i64>,
}

impl NewTodo {
    fn validate(&self) -> Result<(), Problem> {
        pulse_domain::org::required_text(&self.subject.zh, 200, "待办标题", "to-do subject")?;
        if self.subject.en.chars().count() > 200 {
            return Err(Problem::new(
                "text_too_long",
                "待办英文标题不能超过 200 个字符",
                "the to-do's English subject must be at most 200 characters",
            ));
        }
        pulse_domain::org::required_text(&self.kind, 64, "待办类型", "to-do kind")?;
        if !self.link.starts_with('/') || self.link.starts_with("//") {
            return Err(Problem::new(
                "invalid_link",
                "待办链接必须是站内路径",
                "a to-do link must be a path inside Pulse",
            ));
        }
        Ok(())
    }
}

/// Creates a to-do in the caller's transaction; an open one for the same
/// person, kind and thing is reused, so retried requests create nothing new.
pub async fn create(tx: &mut Tx, todo: &NewTodo) -> Result<i64, StoreError> {
    todo.validate()?;
    let existing: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM todos WHERE person_id = $1 AND kind = $2 AND source_key = $3 AND state = 'open'")
            .bind(todo.person_id).bind(&todo.kind).bind(&todo.source_key)
            .fetch_optional(conn).await?
    });
    if let Some((id,)) = existing {
        return Ok(id);
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO todos (person_id, kind, subject, subject_en, link, source_key, due_at, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) RETURNING id",
        )
        .bind(todo.person_id).bind(&todo.kind).bind(&todo.subject.zh).bind(&todo.subject.en).bind(&todo.link)
        .bind(&todo.source_key).bind(todo.due_at).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

/// Closes every open to-do about a thing (all people), e.g. when it is approved.
pub async fn close_by_source(
    tx: &mut Tx,
    source_key: &str,
    state: TodoState,
) -> Result<u64, StoreError> {
    let now = tx.now_ms();
    Ok(on_tx!(tx, conn => {
        sqlx::query("UPDATE todos SET state = $1, closed_at = $2 WHERE source_key = $3 AND state = 'open'")
            .bind(state.as_str()).bind(now).bind(source_key)
            .execute(conn).await?.rows_affected()
    }))
}

/// A person's to-dos in one state (or all), soonest due first, and the total.
pub async fn list(
    db: &Db,
    person_id: i64,
    state: Option<TodoState>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Todo>, i64), StoreError> {
    let state = state.map(|s| s.as_str());
    Ok(on_db!(db, pool => {
        let items = sqlx::query_as::<_, Todo>(
            "SELECT id, person_id, kind, subject, subject_en, link, source_key, due_at, state, created_at, closed_at FROM todos \
             WHERE person_id = $1 AND ($2 IS NULL OR state = $2) \
             ORDER BY CASE WHEN state = 'open' THEN 0 ELSE 1 END, COALESCE(due_at, 9223372036854775807), id DESC LIMIT $3 OFFSET $4",
        )
        .bind(person_id).bind(state).bind(limit).bind(offset)
        .fetch_all(pool).await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM todos WHERE person_id = $1 AND ($2 IS NULL OR state = $2)")
            .bind(person_id).bind(state).fetch_one(pool).await?;
        (items, total)
    }))
}

/// Open to-dos of a person: the badge on every page.
pub async fn open_count(db: &Db, person_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM todos WHERE person_id = $1 AND state = 'open'")
            .bind(person_id).fetch_one(pool).await?
    });
    Ok(n)
}

/// Closes one person's open to-do for a thing (their answer came in).
pub async fn close_for_person(
    tx: &mut Tx,
    person_id: i64,
    source_key: &str,
    state: TodoState,
) -> Result<u64, StoreError> {
    let now = tx.now_ms();
    Ok(on_tx!(tx, conn => {
        sqlx::query("UPDATE todos SET state = $1, closed_at = $2 WHERE person_id = $3 AND source_key = $4 AND state = 'open'")
            .bind(state.as_str()).bind(now).bind(person_id).bind(source_key)
            .execute(conn).await?.rows_affected()
    }))
}

/// The person marks their own open to-do done or dismissed. Someone else's
/// to-do is reported as not found.
pub async fn close_own(
    db: &Db,
    person_id: i64,
    id: i64,
    state: TodoState,
) -> Result<Todo, StoreError> {
    if state == TodoState::Open {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_state",
            "只能标记为完成或忽略",
            "a to-do can only be marked done or dismissed",
        )));
    }
    let mut tx = db.begin().await?;
    let found: Option<Todo> = on_tx!(&mut tx, conn => {
        sqlx::query_as::<_, Todo>(
            "SELECT id, person_id, kind, subject, subject_en, link, source_key, due_at, state, created_at, closed_at FROM todos WHERE id = $1 AND person_id = $2",
        )
        .bind(id).bind(person_id).fetch_optional(conn).await?
    });
    let Some(todo) = found else {
        return Err(StoreError::NotFound(format!("to-do {id}")));
    };
    if todo.state != "open" {
        return Err(StoreError::Conflict(Problem::new(
            "already_closed",
            "该待办已处理",
            "this to-do is already closed",
        )));
    }
    let now = db.now_ms();
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE todos SET state = $1, closed_at = $2 WHERE id = $3").bind(state.as_str()).bind(now).bind(id).execute(&mut *conn).await?;
        // The owner handled it: escalations about the same thing are done too.
        if todo.kind != "escalation" {
            sqlx::query("UPDATE todos SET state = $1, closed_at = $2 WHERE source_key = $3 AND kind = 'escalation' AND state = 'open'")
                .bind(state.as_str()).bind(now).bind(&todo.source_key).execute(&mut *conn).await?;
        }
    });
    tx.commit().await?;
    Ok(Todo {
        state: state.as_str().into(),
        closed_at: Some(now),
        ..todo
    })
}
