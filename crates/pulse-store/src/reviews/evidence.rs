//! The evidence of a review (W1): the person's events, the cards on them,
//! goal check-ins and goal standings in the review's period, as ranked
//! facts. Computed from the records each time (no copy to go stale), so an
//! evidence id always names the record as it is.

use std::collections::HashMap;

use pulse_domain::events::{EventKind, parse_time, response_minutes};
use pulse_domain::reviews::evidence::{EvidenceKind, EvidenceRef, Fact, Source, rank};
use serde_json::{Map, Value};

use super::Review;
use crate::{Db, StoreError, goals};

type EventRow = (i64, String, i64, String, Option<String>, Option<String>);
/// An audit row of a check-in: id, at, goal id, before, after.
type CheckInRow = (i64, i64, String, Option<String>, Option<String>);
/// An event with its person first.
type PersonEventRow = (
    i64,
    i64,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
);

/// The person's events of the window, oldest first: the baseline the
/// evidence benchmark compares against.
pub async fn period_events(
    db: &Db,
    person_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT e.id, e.kind, e.occurred_at, e.payload_json, c.name, c.tier FROM events e \
             LEFT JOIN customers c ON c.id = e.customer_id \
             WHERE e.person_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ORDER BY e.occurred_at, e.id",
        )
        .bind(person_id).bind(from).bind(to).fetch_all(pool).await?
    }))
}

fn text(p: &Map<String, Value>, k: &str) -> Option<String> {
    p.get(k)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn event_fact(row: &EventRow) -> Option<Fact> {
    let (id, kind, at, payload, customer, tier) = row;
    let kind = EventKind::from_code(kind)?;
    let p: Map<String, Value> = serde_json::from_str(payload).unwrap_or_default();
    let mut f = Fact {
        r: Some(EvidenceRef::new(Source::Event, *id)),
        kind: Some(EvidenceKind::Event(kind)),
        occurred_at: *at,
        customer: customer.clone(),
        tier: tier.clone(),
        ..Fact::default()
    };
    match kind {
        EventKind::Evaluation => f.score = p.get("score").and_then(Value::as_i64),
        EventKind::WorkOrder => {
            f.minutes = response_minutes(&p);
            f.parts = pulse_domain::events::parts(&p);
        }
        EventKind::Delivery => {
            let due = p.get("due_at").and_then(parse_time);
            let done = p.get("delivered_at").and_then(parse_time);
            if let (Some(d), Some(x)) = (due, done) {
                f.hours_early = Some((d - x) / 3_600_000);
            }
        }
        EventKind::Snapshot => {
            f.detail = text(&p, "stage");
            f.next_step = text(&p, "next_step");
        }
        EventKind::Visit => f.detail = text(&p, "purpose"),
        EventKind::ServiceTicket => {
            f.detail = text(&p, "topic");
            f.minutes = p.get("minutes").and_then(Value::as_i64);
            f.resolved = p.get("resolved").and_then(Value::as_bool);
        }
    }
    Some(f)
}

/// Every fact of the review's period, most notable first.
pub async fn facts(db: &Db, r: &Review) -> Result<Vec<Fact>, StoreError> {
    let (from, to) = r.window();
    let events = period_events(db, r.person_id, from, to).await?;
    let mut out: Vec<Fact> = Vec::with_capacity(events.len() + 16);
    // How often the person dealt with each customer this period: a visit
    // that is the sixth to one hospital says more than a one-off.
    let mut per_customer: HashMap<&str, i64> = HashMap::new();
    for e in &events {
        if let Some(c) = e.4.as_deref() {
            *per_customer.entry(c).or_default() += 1;
        }
    }
    for e in &events {
        if let Some(mut f) = event_fact(e) {
            f.customer_events = e.4.as_deref().map_or(0, |c| per_customer[c]);
            out.push(f);
        }
    }
    out.extend(cards(db, r, from, to).await?);
    out.extend(goal_facts(db, r, from, to).await?);
    rank(&mut out);
    Ok(out)
}

async fn cards(db: &Db, r: &Review, from: i64, to: i64) -> Result<Vec<Fact>, StoreError> {
    let rows: Vec<(i64, i64, String, i64, String)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT f.id, f.created_at, f.observation, f.author_id, a.name FROM feedback_cards f \
             JOIN events e ON e.id = f.event_id JOIN people a ON a.id = f.author_id \
             WHERE e.person_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ORDER BY f.id",
        )
        .bind(r.person_id).bind(from).bind(to).fetch_all(pool).await?
    });
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ratings: Vec<(i64, String, i64)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT fr.card_id, t.name, fr.rating FROM feedback_ratings fr JOIN feedback_tags t ON t.id = fr.tag_id \
             JOIN feedback_cards f ON f.id = fr.card_id JOIN events e ON e.id = f.event_id \
             WHERE e.person_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ORDER BY fr.card_id, t.sort_order, t.id",
        )
        .bind(r.person_id).bind(from).bind(to).fetch_all(pool).await?
    });
    let mut by_card: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (card, tag, rating) in ratings {
        by_card.entry(card).or_default().push((tag, rating));
    }
    let mut facts: Vec<Fact> = rows
        .into_iter()
        .map(|(id, at, observation, author_id, author)| Fact {
            r: Some(EvidenceRef::new(Source::Card, id)),
            kind: Some(EvidenceKind::FeedbackCard),
            occurred_at: at,
            ratings: by_card.remove(&id).unwrap_or_default(),
            author_is_manager: author_id == r.reviewer_id,
            author_is_subject: author_id == r.person_id,
            author: Some(author),
            observation: Some(observation).filter(|o| !o.trim().is_empty()),
            ..Fact::default()
        })
        .collect();
    // Repeated praise: how many cards rated each tag 4 or 5.
    let mut praised: HashMap<String, i64> = HashMap::new();
    for f in &facts {
        for (t, v) in &f.ratings {
            if *v >= 4 {
                *praised.entry(t.clone()).or_default() += 1;
            }
        }
    }
    for f in &mut facts {
        f.tag_repeats = f
            .top_tag()
            .filter(|t| t.1 >= 4)
            .map_or(0, |t| praised[&t.0]);
    }
    Ok(facts)
}

async fn goal_facts(db: &Db, r: &Review, from: i64, to: i64) -> Result<Vec<Fact>, StoreError> {
    let goals = goals::person_goals(db, r.person_id, r.period_id).await?;
    let metric_names = metric_names(db).await?;
    let mut out = Vec::new();
    let end = to.min(db.now_ms());
    let by_id: HashMap<String, &goals::Goal> =
        goals.iter().map(|g| (g.id.to_string(), g)).collect();
    out.extend(goal_results(&goals, &metric_names, end - 1));
    if by_id.is_empty() {
        return Ok(out);
    }
    let list = by_id
        .keys()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT id, at, entity_id, before_json, after_json FROM audit_log \
         WHERE entity = 'goal' AND action = 'goal.check_in' AND entity_id IN ({list}) AND at >= $1 AND at < $2 ORDER BY id"
    );
    let rows: Vec<CheckInRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
    });
    let actual = |j: &Option<String>| -> Option<String> {
        let v: Value = serde_json::from_str(j.as_deref()?).ok()?;
        v.get("actual").and_then(Value::as_str).map(str::to_string)
    };
    for (id, at, goal_id, before, after) in rows {
        let Some(g) = by_id.get(&goal_id) else {
            continue;
        };
        let (Some(b), Some(a)) = (actual(&before), actual(&after)) else {
            continue;
        };
        if a == b {
            continue;
        }
        out.push(Fact {
            r: Some(EvidenceRef::new(Source::CheckIn, id)),
            kind: Some(EvidenceKind::GoalCheckIn),
            occurred_at: at,
            metric: Some(
                g.metric_id
                    .and_then(|m| metric_names.get(&m).cloned())
                    .unwrap_or_else(|| g.title.clone()),
            ),
            unit: g.unit.clone(),
            before: Some(b),
            after: Some(a),
            target: g.target.clone(),
            ..Fact::default()
        });
    }
    Ok(out)
}

/// The standing of each goal with a target and an actual, as of `at`.
pub fn goal_results(
    goals: &[goals::Goal],
    metric_names: &HashMap<i64, String>,
    at: i64,
) -> Vec<Fact> {
    goals
        .iter()
        .filter(|g| g.target.is_some() && g.actual.is_some())
        .map(|g| Fact {
            r: Some(EvidenceRef::new(Source::Goal, g.id)),
            kind: Some(EvidenceKind::GoalResult),
            occurred_at: at,
            metric: Some(
                g.metric_id
                    .and_then(|m| metric_names.get(&m).cloned())
                    .unwrap_or_else(|| g.title.clone()),
            ),
            unit: g.unit.clone(),
            after: g.actual.clone(),
            target: g.target.clone(),
            progress_bp: Some(g.progress_bp),
            ..Fact::default()
        })
        .collect()
}

/// Metric id → name, for goal facts.
pub async fn metric_names(db: &Db) -> Result<HashMap<i64, String>, StoreError> {
    Ok(crate::goals::metrics(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

/// Where a fact's record is shown in Pulse, for the link beside it.
pub fn link(f: &Fact, r: &Review) -> String {
    match f.r.map(|x| x.source) {
        Some(Source::Event) => format!("/events/{}", f.r.map_or(0, |x| x.record_id)),
        Some(Source::Card) => format!("/feedback/cards/{}", f.r.map_or(0, |x| x.record_id)),
        Some(Source::CheckIn) | Some(Source::Goal) => format!("/people/{}/goals", r.employee_no),
        None => String::new(),
    }
}

/// Event facts of everyone in a window at once, by person, for the kinds
/// given (the demo's history and bulk reports; a review's own list comes
/// from [`facts`]).
pub async fn event_facts_by_person(
    db: &Db,
    from: i64,
    to: i64,
    kinds: &[EventKind],
) -> Result<HashMap<i64, Vec<Fact>>, StoreError> {
    let list = kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT e.person_id, e.id, e.kind, e.occurred_at, e.payload_json, c.name, c.tier FROM events e \
         LEFT JOIN customers c ON c.id = e.customer_id \
         WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.kind IN ({list}) ORDER BY e.person_id, e.occurred_at, e.id"
    );
    let rows: Vec<PersonEventRow> = on_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(to).fetch_all(pool).await?
    });
    let mut out: HashMap<i64, Vec<Fact>> = HashMap::new();
    for (person, id, kind, at, payload, customer, tier) in rows {
        if let Some(f) = event_fact(&(id, kind, at, payload, customer, tier)) {
            out.entry(person).or_default().push(f);
        }
    }
    for facts in out.values_mut() {
        let mut per: HashMap<String, i64> = HashMap::new();
        for f in facts.iter() {
            if let Some(c) = &f.customer {
                *per.entry(c.clone()).or_default() += 1;
            }
        }
        for f in facts.iter_mut() {
            f.customer_events = f.customer.as_ref().map_or(0, |c| per[c]);
        }
    }
    Ok(out)
}
