//! What the team workbook reads (X2): the period's check-ins, events, cards
//! with ratings and replies, and points of a set of people, each subject in
//! one query per 500 people so HR's whole-company workbook costs a few dozen
//! queries, not one per person.

use std::collections::HashMap;

use crate::{Db, StoreError};

/// People per `IN (…)` list: well under both engines' bind limits.
const CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` ids.
fn slots(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `sql` (with `{ids}` where the id list goes, after `fixed` leading
/// parameters) once per chunk of `ids`, binding `args` then the chunk.
macro_rules! per_chunk {
    ($db:expr, $ty:ty, $sql:expr, $ids:expr, [$($arg:expr),*]) => {{
        let mut out: Vec<$ty> = Vec::new();
        #[allow(unused_mut)]
        let mut fixed = 0usize;
        $( let _ = &$arg; fixed += 1; )*
        for chunk in $ids.chunks(CHUNK) {
            let sql = $sql.replace("{ids}", &slots(fixed + 1, chunk.len()));
            let rows: Vec<$ty> = on_db!($db, pool => {
                let mut q = sqlx::query_as::<_, $ty>(sqlx::AssertSqlSafe(sql.clone()));
                $( q = q.bind($arg); )*
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            out.extend(rows);
        }
        out
    }};
}

/// One check-in: the goal, when, who, and what was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub goal_id: i64,
    pub goal_title: String,
    pub person_id: i64,
    pub at_ms: i64,
    pub by: String,
    pub actual: String,
    pub note: String,
}

/// The check-ins of the goals `person_ids` own in a period, oldest first per person.
pub async fn check_ins(
    db: &Db,
    person_ids: &[i64],
    period_id: i64,
) -> Result<Vec<CheckIn>, StoreError> {
    const SQL: &str = "SELECT g.id, g.title, g.person_id, a.at, a.actor_label, a.after_json \
         FROM goals g JOIN audit_log a ON a.entity = 'goal' AND a.entity_id = CAST(g.id AS TEXT) \
         WHERE g.period_id = $1 AND a.action = 'goal.check_in' AND g.person_id IN ({ids}) \
         ORDER BY g.person_id, a.at, a.id";
    let rows = per_chunk!(
        db,
        (i64, String, i64, i64, String, Option<String>),
        SQL,
        person_ids,
        [period_id]
    );
    Ok(rows
        .into_iter()
        .map(|(goal_id, goal_title, person_id, at_ms, by, after)| {
            let after: serde_json::Value = after
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default();
            let text = |k: &str| after[k].as_str().unwrap_or_default().to_string();
            CheckIn {
                goal_id,
                goal_title,
                person_id,
                at_ms,
                by,
                actual: text("actual"),
                note: text("note"),
            }
        })
        .collect())
}

/// How many events of one kind a person had in a range, and the last one's time.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventCount {
    pub person_id: i64,
    pub kind: String,
    pub count: i64,
    pub last_ms: i64,
}

/// Events per person and kind in `[from_ms, to_ms)`.
pub async fn event_counts(
    db: &Db,
    person_ids: &[i64],
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<EventCount>, StoreError> {
    const SQL: &str = "SELECT person_id, kind, COUNT(*) AS count, MAX(occurred_at) AS last_ms \
         FROM events WHERE occurred_at >= $1 AND occurred_at < $2 AND person_id IN ({ids}) \
         GROUP BY person_id, kind ORDER BY person_id, kind";
    Ok(per_chunk!(
        db,
        EventCount,
        SQL,
        person_ids,
        [from_ms, to_ms]
    ))
}

/// A feedback card with what the author rated and the replies it got.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    pub id: i64,
    pub author_id: i64,
    pub created_ms: i64,
    pub event_kind: String,
    pub customer: Option<String>,
    pub observation: String,
    pub points: i64,
    pub ack: Option<String>,
    /// (tag, rating 1–5) in the library's order.
    pub ratings: Vec<(String, i64)>,
    /// (from, text, when).
    pub replies: Vec<(String, String, i64)>,
}

/// The cards `author_ids` wrote in `[from_ms, to_ms)`, per author oldest first.
pub async fn cards(
    db: &Db,
    author_ids: &[i64],
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<CardRow>, StoreError> {
    const CARDS: &str = "SELECT c.id, c.author_id, c.created_at, e.kind, cu.name, c.observation, c.points_awarded, c.ack \
         FROM feedback_cards c JOIN events e ON e.id = c.event_id LEFT JOIN customers cu ON cu.id = e.customer_id \
         WHERE c.created_at >= $1 AND c.created_at < $2 AND c.author_id IN ({ids}) \
         ORDER BY c.author_id, c.created_at, c.id";
    const RATINGS: &str = "SELECT r.card_id, t.name, r.rating \
         FROM feedback_ratings r JOIN feedback_cards c ON c.id = r.card_id JOIN feedback_tags t ON t.id = r.tag_id \
         WHERE c.created_at >= $1 AND c.created_at < $2 AND c.author_id IN ({ids}) \
         ORDER BY r.card_id, t.sort_order, t.id";
    const REPLIES: &str = "SELECT m.card_id, p.name, m.body, m.created_at \
         FROM feedback_messages m JOIN feedback_cards c ON c.id = m.card_id JOIN people p ON p.id = m.from_id \
         WHERE c.created_at >= $1 AND c.created_at < $2 AND c.author_id IN ({ids}) \
         ORDER BY m.card_id, m.created_at, m.id";
    type Card = (
        i64,
        i64,
        i64,
        String,
        Option<String>,
        String,
        i64,
        Option<String>,
    );
    let cards = per_chunk!(db, Card, CARDS, author_ids, [from_ms, to_ms]);
    let ratings = per_chunk!(
        db,
        (i64, String, i64),
        RATINGS,
        author_ids,
        [from_ms, to_ms]
    );
    let replies = per_chunk!(
        db,
        (i64, String, String, i64),
        REPLIES,
        author_ids,
        [from_ms, to_ms]
    );
    let mut ratings_of: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (card, tag, rating) in ratings {
        ratings_of.entry(card).or_default().push((tag, rating));
    }
    let mut replies_of: HashMap<i64, Vec<(String, String, i64)>> = HashMap::new();
    for (card, from, body, at) in replies {
        replies_of.entry(card).or_default().push((from, body, at));
    }
    Ok(cards
        .into_iter()
        .map(
            |(id, author_id, created_ms, event_kind, customer, observation, points, ack)| CardRow {
                id,
                author_id,
                created_ms,
                event_kind,
                customer,
                observation,
                points,
                ack,
                ratings: ratings_of.remove(&id).unwrap_or_default(),
                replies: replies_of.remove(&id).unwrap_or_default(),
            },
        )
        .collect())
}

/// A person's points: the balance now and what moved in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PointsRow {
    pub balance: i64,
    pub earned: i64,
    pub spent: i64,
}

/// Points per person: balance now, earned and spent in `[from_ms, to_ms)`.
pub async fn points(
    db: &Db,
    person_ids: &[i64],
    from_ms: i64,
    to_ms: i64,
) -> Result<HashMap<i64, PointsRow>, StoreError> {
    const BALANCES: &str =
        "SELECT person_id, balance FROM point_balances WHERE person_id IN ({ids})";
    // SUM of BIGINT is NUMERIC on PostgreSQL: cast back so both engines agree.
    const MOVES: &str = "SELECT person_id, \
         CAST(SUM(CASE WHEN delta > 0 THEN delta ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END) AS BIGINT) \
         FROM points_ledger WHERE created_at >= $1 AND created_at < $2 AND person_id IN ({ids}) \
         GROUP BY person_id";
    let mut out: HashMap<i64, PointsRow> = HashMap::new();
    for (p, balance) in per_chunk!(db, (i64, i64), BALANCES, person_ids, []) {
        out.entry(p).or_default().balance = balance;
    }
    for (p, earned, spent) in per_chunk!(db, (i64, i64, i64), MOVES, person_ids, [from_ms, to_ms]) {
        let row = out.entry(p).or_default();
        row.earned = earned;
        row.spent = spent;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_number_after_the_fixed_parameters() {
        assert_eq!(slots(3, 3), "$3, $4, $5");
        assert_eq!(slots(1, 1), "$1");
    }
}
