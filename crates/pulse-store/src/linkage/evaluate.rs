//! Evaluating the rules for a closed period (L1, L4): every enabled rule
//! against everyone's period values, each match kept as one outcome per
//! action with the chain it was decided on. Evaluating again finds the
//! outcomes already there and changes nothing, notifies nobody.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pulse_domain::Problem;
use pulse_domain::linkage::{Action, Evaluator, History, LinkCondition, Step, apply_adjustments};
use serde::Serialize;

use super::rules::{self, Rule};
use super::snapshot;
use crate::bulk::{self, Cell};
use crate::goals::Period;
use crate::inbox::{self, NewTodo};
use crate::{Actor, Db, StoreError, notify};

/// How many periods a rule may look back over, the evaluated one included.
pub const HISTORY_PERIODS: usize = 4;

fn kind_of(code: &str) -> &'static str {
    let b = code.as_bytes();
    if b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'Q'
        && (b'1'..=b'4').contains(&b[5])
    {
        "quarter"
    } else if b.len() == 4 && b.iter().all(u8::is_ascii_digit) {
        "year"
    } else {
        "other"
    }
}

/// The closed periods of the same kind (quarters, years) up to `period`, oldest first.
pub async fn history_periods(db: &Db, period: &Period) -> Result<Vec<Period>, StoreError> {
    let kind = kind_of(&period.code);
    if kind == "other" {
        return Ok(vec![period.clone()]);
    }
    let mut all: Vec<Period> = crate::goals::periods(db)
        .await?
        .into_iter()
        .filter(|p| kind_of(&p.code) == kind && p.ends_on < period.starts_on && p.state != "open")
        .collect();
    all.sort_by_key(|p| p.starts_on);
    let keep = all.len().saturating_sub(HISTORY_PERIODS - 1);
    let mut out: Vec<Period> = all.split_off(keep);
    out.push(period.clone());
    Ok(out)
}

/// Closed periods whose rules are due: never evaluated, closed again since,
/// or with a calibration finalized after their last evaluation. Only when
/// there is a rule to evaluate.
pub async fn due_periods(db: &Db) -> Result<Vec<Period>, StoreError> {
    if !rules::rules(db).await?.iter().any(|r| r.enabled) {
        return Ok(Vec::new());
    }
    let due: Vec<(i64,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT p.id FROM periods p LEFT JOIN period_snapshots s ON s.period_id = p.id \
             WHERE p.state <> 'open' AND (s.evaluated_at IS NULL OR p.closed_at > s.evaluated_at \
               OR EXISTS (SELECT 1 FROM calibration_sessions cs JOIN review_cycles c ON c.id = cs.cycle_id \
                          WHERE c.period_id = p.id AND cs.state = 'finalized' AND cs.finalized_at > s.evaluated_at)) \
             ORDER BY p.starts_on",
        )
        .fetch_all(pool).await?
    });
    let all = crate::goals::periods(db).await?;
    Ok(due
        .into_iter()
        .filter_map(|(id,)| all.iter().find(|p| p.id == id).cloned())
        .collect())
}

/// The period a request names, closed, with its values and those of the
/// periods before it taken.
pub async fn closed_period(db: &Db, code: &str) -> Result<Vec<Period>, StoreError> {
    let code = code.trim();
    let Some(period) = crate::goals::period_by_code(db, code).await? else {
        return Err(StoreError::Invalid(Problem::new(
            "unknown_period",
            format!("没有代码为“{code}”的周期"),
            format!("there is no period with the code '{code}'"),
        )));
    };
    if period.state == "open" {
        return Err(StoreError::Conflict(Problem::new(
            "period_open",
            format!(
                "周期“{}”尚未关闭：关闭后结果才确定，才能评估联动规则",
                period.name
            ),
            format!(
                "period '{}' is still open: rules are evaluated on a closed period's final results",
                period.code
            ),
        )));
    }
    let periods = history_periods(db, &period).await?;
    for p in &periods {
        snapshot::ensure(db, p).await?;
        snapshot::refresh_ratings(db, p).await?;
    }
    Ok(periods)
}

/// One person a rule matches, with what it read.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub person_id: i64,
    pub steps: Vec<Step>,
}

/// Everyone `cond` matches among `people` (job family filter applied).
fn matches(
    evaluator: &Evaluator,
    cond: &LinkCondition,
    family: &str,
    people: &HashMap<i64, Arc<History>>,
) -> Result<Vec<Match>, Problem> {
    let mut ids: Vec<&i64> = people.keys().collect();
    ids.sort_unstable();
    let mut out = Vec::new();
    for id in ids {
        let h = &people[id];
        if !family.is_empty() && h.job_family != family {
            continue;
        }
        let (hit, trace) = evaluator.eval(cond, h.clone())?;
        if hit {
            out.push(Match {
                person_id: *id,
                steps: trace.steps,
            });
        }
    }
    Ok(out)
}

async fn load(db: &Db, periods: &[Period]) -> Result<HashMap<i64, Arc<History>>, StoreError> {
    Ok(snapshot::histories(db, periods, None)
        .await?
        .into_iter()
        .map(|(k, v)| (k, Arc::new(v)))
        .collect())
}

/// What a preview finds: how many match, and the first few with their chain.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub period: String,
    pub evaluated: usize,
    pub matched: usize,
    pub sample: Vec<Match>,
}

/// Who a rule would match in a closed period, before it is saved. Nothing is written
/// beyond the period's values (taken once, as evaluation would).
pub async fn preview(
    db: &Db,
    input: &rules::RuleInput,
    period: &str,
    sample: usize,
) -> Result<Preview, StoreError> {
    let catalog = super::catalog(db).await?;
    let known = rules::items(db, None).await?;
    let cond = rules::check_with(db, &catalog, &known, input).await?;
    let periods = closed_period(db, period).await?;
    let people = load(db, &periods).await?;
    let evaluator = Evaluator::new(&catalog);
    let family = input.job_family.trim();
    let evaluated = people
        .values()
        .filter(|h| family.is_empty() || h.job_family == family)
        .count();
    let found = matches(&evaluator, &cond, family, &people)?;
    Ok(Preview {
        period: periods.last().map(|p| p.code.clone()).unwrap_or_default(),
        evaluated,
        matched: found.len(),
        sample: found.into_iter().take(sample).collect(),
    })
}

/// A rule left out of an evaluation, or one outcome refused, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub rule: String,
    pub person_id: Option<i64>,
    pub problem: Problem,
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub period: String,
    pub rules: usize,
    pub people: usize,
    pub matched: usize,
    pub created: usize,
    pub unchanged: usize,
    pub notified: usize,
    pub skipped: Vec<Skipped>,
}

/// What a chain row keeps: what the helpers read, and every action of the
/// rule as it was, so the sentence can be told again exactly.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Decided {
    pub steps: Vec<Step>,
    pub actions: Vec<Action>,
}

struct New {
    rule: i64,
    rule_name: String,
    person: i64,
    idx: usize,
    action: Action,
    decided: Decided,
}

/// Evaluates every enabled rule for a closed period (L1, L4).
pub async fn evaluate(
    db: &Db,
    actor: &Actor,
    period: &str,
    public_url: &str,
) -> Result<Evaluation, StoreError> {
    let periods = closed_period(db, period).await?;
    let Some(current) = periods.last().cloned() else {
        return Err(StoreError::NotFound(format!("period {period}")));
    };
    let people = load(db, &periods).await?;
    let catalog = super::catalog(db).await?;
    let known = rules::items(db, None).await?;
    let evaluator = Evaluator::new(&catalog);
    let all: Vec<Rule> = rules::rules(db)
        .await?
        .into_iter()
        .filter(|r| r.enabled)
        .collect();
    let mut skipped = Vec::new();
    let mut found: Vec<(Rule, Vec<Match>)> = Vec::new();
    for r in all {
        // A rule that no longer checks (a pool removed, a metric renamed)
        // is reported, never half-applied.
        let input = rules::RuleInput {
            name: r.name.clone(),
            condition: r.condition.clone(),
            actions: r.actions.clone(),
            job_family: r.job_family.clone(),
            enabled: true,
        };
        let cond = match rules::check_with(db, &catalog, &known, &input).await {
            Ok(c) => c,
            Err(StoreError::Invalid(p)) => {
                skipped.push(Skipped {
                    rule: r.name.clone(),
                    person_id: None,
                    problem: p,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        match matches(&evaluator, &cond, &r.job_family, &people) {
            Ok(m) => found.push((r, m)),
            Err(p) => skipped.push(Skipped {
                rule: r.name.clone(),
                person_id: None,
                problem: p,
            }),
        }
    }
    let rules_n = found.len() + skipped.len();
    let matched: usize = found.iter().map(|(_, m)| m.len()).sum();

    let mut tx = db.begin().await?;
    let now = tx.now_ms();
    // The period's row first: a second evaluation at the same moment (another
    // instance) waits here and then finds this one's outcomes.
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE period_snapshots SET evaluated_at = $1 WHERE period_id = $2")
            .bind(now).bind(current.id).execute(conn).await?;
    });
    let existing: Vec<(i64, i64, i64, String, String, String)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT rule_id, person_id, action_idx, kind, action_json, state FROM linkage_outcomes WHERE period_id = $1")
            .bind(current.id).fetch_all(conn).await?
    });
    let have: HashSet<(i64, i64, i64)> = existing.iter().map(|e| (e.0, e.1, e.2)).collect();
    let mut bonus: HashMap<i64, Vec<i64>> = HashMap::new();
    for (_, person, _, kind, json, state) in &existing {
        if kind == "adjust_bonus"
            && state == "active"
            && let Ok(Action::AdjustBonus { hundredths }) = serde_json::from_str(json)
        {
            bonus.entry(*person).or_default().push(hundredths);
        }
    }
    let mut fresh: Vec<New> = Vec::new();
    let mut unchanged = 0;
    for (r, ms) in &found {
        for m in ms {
            for (idx, a) in r.actions.iter().enumerate() {
                if have.contains(&(r.id, m.person_id, idx as i64)) {
                    unchanged += 1;
                    continue;
                }
                if let Action::AdjustBonus { hundredths } = a {
                    let mine = bonus.entry(m.person_id).or_default();
                    mine.push(*hundredths);
                    if let Err(p) = apply_adjustments(mine) {
                        mine.pop();
                        skipped.push(Skipped {
                            rule: r.name.clone(),
                            person_id: Some(m.person_id),
                            problem: p,
                        });
                        continue;
                    }
                }
                fresh.push(New {
                    rule: r.id,
                    rule_name: r.name.clone(),
                    person: m.person_id,
                    idx,
                    action: a.clone(),
                    decided: Decided {
                        steps: m.steps.clone(),
                        actions: r.actions.clone(),
                    },
                });
            }
        }
    }
    let rows: Vec<Vec<Cell>> = fresh
        .iter()
        .map(|n| {
            vec![
                n.rule.into(),
                n.rule_name.as_str().into(),
                n.person.into(),
                current.id.into(),
                (n.idx as i64).into(),
                n.action.kind().into(),
                serde_json::to_string(&n.action).unwrap_or_default().into(),
                serde_json::to_string(&n.decided).unwrap_or_default().into(),
                "active".into(),
                now.into(),
            ]
        })
        .collect();
    bulk::insert(
        &mut tx,
        "linkage_outcomes",
        &[
            "rule_id",
            "rule_name",
            "person_id",
            "period_id",
            "action_idx",
            "kind",
            "action_json",
            "chain_json",
            "state",
            "created_at",
        ],
        &rows,
    )
    .await?;
    let notified = tell(&mut tx, &current, &fresh, public_url).await?;
    crate::audit::record::<(), _>(
        &mut tx,
        actor,
        "linkage.evaluate",
        "period",
        &current.id.to_string(),
        None,
        Some(&serde_json::json!({"period": current.code, "created": fresh.len(), "unchanged": unchanged, "matched": matched})),
    )
    .await?;
    tx.commit().await?;
    Ok(Evaluation {
        period: current.code.clone(),
        rules: rules_n,
        people: people.len(),
        matched,
        created: fresh.len(),
        unchanged,
        notified,
        skipped,
    })
}

/// One to-do and one message per person with new outcomes, telling the
/// chain of each rule (L3). Returns how many people were told.
async fn tell(
    tx: &mut crate::Tx,
    period: &Period,
    fresh: &[New],
    public_url: &str,
) -> Result<usize, StoreError> {
    let mut by_person: Vec<(i64, Vec<&New>)> = Vec::new();
    for n in fresh {
        match by_person.iter_mut().find(|(p, _)| *p == n.person) {
            Some((_, v)) => v.push(n),
            None => by_person.push((n.person, vec![n])),
        }
    }
    let base = public_url.trim_end_matches('/');
    for (person, news) in &by_person {
        let mut zh = Vec::new();
        let mut seen: HashSet<i64> = HashSet::new();
        for n in news {
            if seen.insert(n.rule) {
                zh.push(pulse_domain::linkage::chain_sentence(
                    &n.decided.steps,
                    &n.decided.actions,
                    pulse_domain::Lang::Zh,
                ));
            }
        }
        let first = news
            .iter()
            .map(|n| n.action.describe(true))
            .collect::<Vec<_>>()
            .join("、");
        let first_en = news
            .iter()
            .map(|n| n.action.describe(false))
            .collect::<Vec<_>>()
            .join(", ");
        let subject_zh: String = format!("{}：你{}", period.label(pulse_domain::Lang::Zh), first)
            .chars()
            .take(190)
            .collect();
        let subject_en: String =
            format!("{}: you {}", period.label(pulse_domain::Lang::En), first_en)
                .chars()
                .take(190)
                .collect();
        inbox::create(
            tx,
            &NewTodo {
                person_id: *person,
                kind: "linkage_outcome".into(),
                subject: pulse_domain::i18n::Both::new(subject_zh.clone(), subject_en),
                link: "/me/outcomes".into(),
                source_key: format!("linkage:{}:{person}", period.id),
                due_at: None,
            },
        )
        .await?;
        notify::to_person(
            tx,
            *person,
            &format!("linkage:{}:{person}:{}", period.id, news[0].rule),
            &subject_zh,
            &format!(
                "**{subject_zh}**\n{}\n[查看依据]({base}/me/outcomes)",
                zh.join("\n")
            ),
        )
        .await?;
    }
    Ok(by_person.len())
}
