//! Feedback points, the reward catalog and redemptions (F2).
//!
//! Every change of a balance is ONE conditional write of its `point_balances`
//! row: `balance + delta >= 0` is checked by the UPDATE that applies it, so
//! two redemptions racing for the last points cannot both pass (the row lock
//! on PostgreSQL, the write lock on SQLite), and the CHECK constraints are the
//! last line. The write comes first in its transaction so SQLite takes the
//! write lock before reading anything (no stale-snapshot upgrade).

use pulse_domain::Problem;
use serde::Serialize;

use crate::{Db, StoreError, Tx, inbox};

/// Adds `delta` (negative to spend) to a balance and appends the ledger row.
/// Returns the new balance; refuses to go below zero.
pub async fn change(
    tx: &mut Tx,
    person_id: i64,
    delta: i64,
    reason: &str,
    source_key: Option<&str>,
) -> Result<i64, StoreError> {
    let balance: Option<(i64,)> = if delta >= 0 {
        on_tx!(tx, conn => {
            sqlx::query_as(
                "INSERT INTO point_balances (person_id, balance) VALUES ($1, $2) \
                 ON CONFLICT (person_id) DO UPDATE SET balance = point_balances.balance + excluded.balance \
                 RETURNING balance",
            )
            .bind(person_id).bind(delta).fetch_optional(conn).await?
        })
    } else {
        on_tx!(tx, conn => {
            sqlx::query_as(
                "UPDATE point_balances SET balance = balance + $2 WHERE person_id = $1 AND balance + $2 >= 0 RETURNING balance",
            )
            .bind(person_id).bind(delta).fetch_optional(conn).await?
        })
    };
    let Some((balance,)) = balance else {
        return Err(StoreError::Conflict(Problem::new(
            "insufficient_points",
            format!("积分不足：需要 {} 分", -delta),
            format!("not enough points: {} needed", -delta),
        )));
    };
    let now = tx.now_ms();
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO points_ledger (person_id, delta, balance_after, reason, source_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(person_id).bind(delta).bind(balance).bind(reason).bind(source_key).bind(now)
        .execute(conn).await?;
    });
    Ok(balance)
}

/// Adds non-negative amounts to several balances in one statement
/// (`rows`: person id, amount; one row per person) and returns each
/// person's new balance. The caller appends the ledger rows.
pub(crate) async fn add_to_balances(
    tx: &mut Tx,
    rows: &[Vec<crate::bulk::Cell>],
) -> Result<Vec<(i64, i64)>, StoreError> {
    if rows
        .iter()
        .any(|r| matches!(r.get(1), Some(crate::bulk::Cell::Int(d)) if *d < 0))
    {
        return Err(StoreError::Config("add_to_balances only adds".into()));
    }
    crate::bulk::insert_returning(
        tx,
        "point_balances",
        &["person_id", "balance"],
        rows,
        "ON CONFLICT (person_id) DO UPDATE SET balance = point_balances.balance + excluded.balance",
        ["person_id", "balance"],
    )
    .await
}

pub async fn balance(db: &Db, person_id: i64) -> Result<i64, StoreError> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT balance FROM point_balances WHERE person_id = $1").bind(person_id).fetch_optional(pool).await?
    });
    Ok(row.map_or(0, |r| r.0))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct LedgerRow {
    pub id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub source_key: Option<String>,
    pub created_at: i64,
}

pub async fn ledger(db: &Db, person_id: i64, limit: i64) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, LedgerRow>(
            "SELECT id, delta, balance_after, reason, source_key, created_at FROM points_ledger \
             WHERE person_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(person_id).bind(limit).fetch_all(pool).await?
    }))
}

/// Points earned in a unit's subtree since `since`, highest first (F3).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct LeaderRow {
    pub employee_no: String,
    pub name: String,
    pub unit_name: String,
    pub points: i64,
    pub cards: i64,
}

pub async fn leaderboard(
    db: &Db,
    unit_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<LeaderRow>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, LeaderRow>(
            "WITH RECURSIVE sub(id) AS (SELECT $1 UNION ALL SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id) \
             SELECT p.employee_no, p.name, u.name AS unit_name, \
                    CAST(SUM(f.points_awarded) AS BIGINT) AS points, COUNT(*) AS cards \
             FROM feedback_cards f JOIN people p ON p.id = f.author_id JOIN org_units u ON u.id = p.org_unit_id \
             WHERE p.org_unit_id IN (SELECT id FROM sub) AND f.created_at >= $2 \
             GROUP BY p.employee_no, p.name, u.name \
             ORDER BY points DESC, cards DESC, p.employee_no LIMIT $3",
        )
        .bind(unit_id).bind(since).bind(limit).fetch_all(pool).await?
    }))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Reward {
    pub id: i64,
    pub name: String,
    /// `training` or `leave` (or any kind HR adds).
    pub kind: String,
    pub description: String,
    pub cost: i64,
    /// `None` = unlimited.
    pub stock: Option<i64>,
    pub active: i64,
}

pub async fn rewards(db: &Db, active_only: bool) -> Result<Vec<Reward>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Reward>(
            "SELECT id, name, kind, description, cost, stock, active FROM rewards WHERE active = 1 OR $1 = 0 ORDER BY sort_order, id",
        )
        .bind(i64::from(active_only)).fetch_all(pool).await?
    }))
}

#[derive(Debug, Clone)]
pub struct RewardInput {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub cost: i64,
    pub stock: Option<i64>,
    pub active: bool,
}

/// Adds or changes a catalog entry by name (HR).
pub async fn save_reward(tx: &mut Tx, r: &RewardInput) -> Result<i64, StoreError> {
    pulse_domain::org::required_text(&r.name, 100, "奖励名称", "reward name")?;
    pulse_domain::org::required_text(&r.kind, 32, "奖励类型", "reward kind")?;
    if !(1..=10_000).contains(&r.cost) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_cost",
            "兑换所需积分必须是 1–10000",
            "the cost must be 1–10000 points",
        )));
    }
    if r.stock.is_some_and(|s| s < 0) {
        return Err(StoreError::Invalid(Problem::new(
            "invalid_stock",
            "库存不能为负数",
            "stock cannot be negative",
        )));
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(
            "INSERT INTO rewards (name, kind, description, cost, stock, active, sort_order, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, description = excluded.description, \
               cost = excluded.cost, stock = excluded.stock, active = excluded.active, updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(r.name.trim()).bind(r.kind.trim()).bind(r.description.trim()).bind(r.cost).bind(r.stock)
        .bind(i64::from(r.active)).bind(now)
        .fetch_one(conn).await?
    });
    Ok(id)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq)]
pub struct Redemption {
    pub id: i64,
    pub reward_id: i64,
    pub reward_name: String,
    pub person_id: i64,
    pub cost: i64,
    pub voucher_code: String,
    pub state: String,
    pub created_at: i64,
    pub fulfilled_at: Option<i64>,
}

const REDEMPTION_SELECT: &str = "SELECT d.id, d.reward_id, r.name AS reward_name, d.person_id, d.cost, d.voucher_code, \
     d.state, d.created_at, d.fulfilled_at FROM redemptions d JOIN rewards r ON r.id = d.reward_id";

pub async fn redemptions(db: &Db, person_id: i64) -> Result<Vec<Redemption>, StoreError> {
    let sql = format!("{REDEMPTION_SELECT} WHERE d.person_id = $1 ORDER BY d.id DESC");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Redemption>(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).fetch_all(pool).await?
    }))
}

pub async fn redemption(db: &Db, id: i64) -> Result<Option<Redemption>, StoreError> {
    let sql = format!("{REDEMPTION_SELECT} WHERE d.id = $1");
    Ok(on_db!(db, pool => {
        sqlx::query_as::<_, Redemption>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    }))
}

/// Who fulfils a person's redemption: the HRBP anchored nearest above the
/// person's unit, else any HRBP, else an admin.
async fn fulfiller(tx: &mut Tx, person_id: i64) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT o.id, o.parent_id, 0 FROM org_units o JOIN people p ON p.org_unit_id = o.id WHERE p.id = $1 \
               UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64 ) \
             SELECT a.person_id FROM role_grants g JOIN accounts a ON a.id = g.account_id \
             LEFT JOIN up ON up.id = g.anchor_unit \
             WHERE g.role IN ('hrbp', 'admin') AND a.disabled_at IS NULL AND a.person_id <> $1 \
             ORDER BY CASE WHEN g.role = 'hrbp' THEN 0 ELSE 1 END, CASE WHEN up.depth IS NULL THEN 1000 ELSE up.depth END, a.person_id \
             LIMIT 1",
        )
        .bind(person_id).fetch_optional(conn).await?
    });
    Ok(row.map(|r| r.0))
}

/// Redeems a reward: spends the points, takes one from the stock, issues a
/// voucher and gives HR a fulfilment to-do — all or nothing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RedeemOutcome {
    #[serde(flatten)]
    pub redemption: Redemption,
    pub balance: i64,
}

pub async fn redeem(
    db: &Db,
    person_id: i64,
    reward_id: i64,
    idem: Option<crate::events::IdemKey<'_>>,
) -> Result<RedeemOutcome, StoreError> {
    let reward = rewards(db, true)
        .await?
        .into_iter()
        .find(|r| r.id == reward_id)
        .ok_or_else(|| StoreError::NotFound(format!("reward {reward_id}")))?;
    let mut tx = db.begin().await?;
    let code = pulse_domain::auth::voucher_code();
    let balance = change(
        &mut tx,
        person_id,
        -reward.cost,
        "redeem",
        Some(&format!("voucher:{code}")),
    )
    .await?;
    let taken = on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE rewards SET stock = stock - 1 WHERE id = $1 AND active = 1 AND (stock IS NULL OR stock > 0)")
            .bind(reward_id).execute(conn).await?.rows_affected()
    });
    if taken == 0 {
        return Err(StoreError::Conflict(Problem::new(
            "out_of_stock",
            format!("“{}”已兑完", reward.name),
            format!("\"{}\" is out of stock", reward.name),
        )));
    }
    let now = db.now_ms();
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO redemptions (reward_id, person_id, cost, voucher_code, state, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(reward_id).bind(person_id).bind(reward.cost).bind(&code).bind(now)
        .fetch_one(conn).await?
    });
    let redemption = Redemption {
        id,
        reward_id,
        reward_name: reward.name,
        person_id,
        cost: reward.cost,
        voucher_code: code,
        state: "pending".into(),
        created_at: now,
        fulfilled_at: None,
    };
    if let Some(hr) = fulfiller(&mut tx, person_id).await? {
        let who: (String,) = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT name FROM people WHERE id = $1").bind(person_id).fetch_one(conn).await?
        });
        fulfilment_todo(&mut tx, hr, &redemption, &who.0).await?;
    }
    let outcome = RedeemOutcome {
        redemption,
        balance,
    };
    if let Some(k) = idem {
        let body = serde_json::to_string(&outcome).unwrap_or_default();
        crate::events::remember_answer(&mut tx, &k, 201, &body).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Open redemptions for HR to fulfil, oldest first.
pub async fn pending_redemptions(db: &Db) -> Result<Vec<(Redemption, String, String)>, StoreError> {
    const SQL: &str = "SELECT d.id, d.reward_id, r.name AS reward_name, d.person_id, d.cost, d.voucher_code, d.state, d.created_at, \
         d.fulfilled_at, p.employee_no, p.name FROM redemptions d JOIN rewards r ON r.id = d.reward_id \
         JOIN people p ON p.id = d.person_id WHERE d.state = 'pending' ORDER BY d.id";
    type Row = (
        i64,
        i64,
        String,
        i64,
        i64,
        String,
        String,
        i64,
        Option<i64>,
        String,
        String,
    );
    let rows: Vec<Row> = on_db!(db, pool => {
        sqlx::query_as(SQL).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                Redemption {
                    id: r.0,
                    reward_id: r.1,
                    reward_name: r.2,
                    person_id: r.3,
                    cost: r.4,
                    voucher_code: r.5,
                    state: r.6,
                    created_at: r.7,
                    fulfilled_at: r.8,
                },
                r.9,
                r.10,
            )
        })
        .collect())
}

/// HR marks a voucher as fulfilled; the to-do closes with it.
pub async fn fulfil(tx: &mut Tx, actor: &crate::Actor, id: i64) -> Result<(), StoreError> {
    let now = tx.now_ms();
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE redemptions SET state = 'fulfilled', fulfilled_at = $1 WHERE id = $2 AND state = 'pending'")
            .bind(now).bind(id).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        return Err(StoreError::NotFound(format!("pending redemption {id}")));
    }
    inbox::close_by_source(tx, &format!("redemption:{id}"), inbox::TodoState::Done).await?;
    crate::audit::record::<(), _>(
        tx,
        actor,
        "redemption.fulfil",
        "redemption",
        &id.to_string(),
        None,
        Some(&serde_json::json!({"state": "fulfilled"})),
    )
    .await
}

/// Takes `n` from a reward's stock (loads of past redemptions).
pub async fn take_stock(tx: &mut Tx, reward_id: i64, n: i64) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE rewards SET stock = stock - $1 WHERE id = $2 AND stock IS NOT NULL AND stock >= $1")
            .bind(n).bind(reward_id).execute(conn).await?;
    });
    Ok(())
}

/// Gives HR a fulfilment to-do for a voucher issued outside [`redeem`]
/// (loads of past redemptions).
pub async fn fulfilment_todo(
    tx: &mut Tx,
    hr_person_id: i64,
    r: &Redemption,
    who: &str,
) -> Result<(), StoreError> {
    inbox::create(
        tx,
        &inbox::NewTodo {
            person_id: hr_person_id,
            kind: "reward_fulfilment".into(),
            subject: pulse_domain::i18n::Both::new(
                format!("为{who}兑现“{}”（券号 {}）", r.reward_name, r.voucher_code),
                format!(
                    "Fulfil \"{}\" for {who} (voucher {})",
                    r.reward_name, r.voucher_code
                ),
            ),
            link: "/rewards/fulfil".into(),
            source_key: format!("redemption:{}", r.id),
            due_at: Some(r.created_at + 3 * 86_400_000),
        },
    )
    .await?;
    Ok(())
}
