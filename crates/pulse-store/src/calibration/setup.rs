//! HR sets up a session: the cycle, the population (a region, a job family
//! or both), the committee, the facilitator and the time.

use pulse_domain::calibration::Guidance;

use super::{Session, conflict, invalid, session_in};
use crate::{Actor, Db, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct SessionInput {
    pub name: String,
    pub cycle_id: i64,
    /// An org unit's code: everyone under it.
    pub region_code: Option<String>,
    pub job_family: Option<String>,
    pub facilitator_id: i64,
    pub member_ids: Vec<i64>,
    pub scheduled_at: i64,
    pub sigma_threshold: f64,
    pub guidance: String,
}

pub const MAX_MEMBERS: usize = 15;

/// The submitted reviews of the population not held by another session.
async fn population(
    tx: &mut Tx,
    cycle_id: i64,
    region: Option<i64>,
    family: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "WITH RECURSIVE down(id, depth) AS ( \
               SELECT id, 0 FROM org_units WHERE id = $2 \
               UNION ALL SELECT o.id, down.depth + 1 FROM org_units o JOIN down ON o.parent_id = down.id WHERE down.depth < 64 ) \
             SELECT r.id FROM reviews r JOIN people p ON p.id = r.person_id \
             WHERE r.cycle_id = $1 AND r.state = 'submitted' \
               AND ($2 IS NULL OR p.org_unit_id IN (SELECT id FROM down)) \
               AND ($3 = '' OR p.job_family = $3) \
               AND NOT EXISTS (SELECT 1 FROM calibration_cases k JOIN calibration_sessions s ON s.id = k.session_id \
                               WHERE k.review_id = r.id AND s.state <> 'finalized') \
             ORDER BY r.id",
        )
        .bind(cycle_id).bind(region).bind(family).fetch_all(conn).await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A shuffle nobody can undo by sorting: case numbers follow a hash of the
/// session and the review, not the order of names or employee numbers.
fn shuffle_key(session_id: i64, review_id: i64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in session_id
        .to_le_bytes()
        .iter()
        .chain(review_id.to_le_bytes().iter())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

async fn check_person(
    tx: &mut Tx,
    id: i64,
    what_zh: &str,
    what_en: &str,
) -> Result<String, StoreError> {
    let row: Option<(String, String, i64)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT p.name, p.status, (SELECT COUNT(*) FROM accounts a WHERE a.person_id = p.id AND a.disabled_at IS NULL) \
             FROM people p WHERE p.id = $1",
        )
        .bind(id).fetch_optional(conn).await?
    });
    match row {
        Some((name, status, accounts)) if status == "active" && accounts > 0 => Ok(name),
        Some((name, _, _)) => Err(invalid(
            "member_cannot_sign_in",
            format!("{what_zh}“{name}”不在职或没有可登录的账号"),
            format!("the {what_en} {name} is not active or has no account to sign in with"),
        )),
        None => Err(invalid(
            "unknown_person",
            format!("找不到{what_zh}（编号 {id}）"),
            format!("no such person for the {what_en} (id {id})"),
        )),
    }
}

pub async fn create(db: &Db, actor: &Actor, input: &SessionInput) -> Result<Session, StoreError> {
    let name = input.name.trim();
    pulse_domain::org::required_text(name, 100, "会议名称", "session name")?;
    let guidance = Guidance::parse(&input.guidance)?;
    if !(0.1..=4.0).contains(&input.sigma_threshold) {
        return Err(invalid(
            "invalid_threshold",
            "分歧阈值 σ 须在 0.1 到 4 之间",
            "the divergence threshold σ is between 0.1 and 4",
        ));
    }
    let family = input.job_family.as_deref().map(str::trim).unwrap_or("");
    let region_code = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if family.is_empty() && region_code.is_none() {
        return Err(invalid(
            "population_required",
            "请选择校准范围：区域、岗位族，或两者",
            "choose the population: a region, a job family, or both",
        ));
    }
    let mut members = input.member_ids.clone();
    members.sort_unstable();
    members.dedup();
    if members.len() < 2 || members.len() > MAX_MEMBERS {
        return Err(invalid(
            "invalid_committee",
            format!("校准委员会须有 2 到 {MAX_MEMBERS} 名委员"),
            format!("a committee has 2 to {MAX_MEMBERS} members"),
        ));
    }
    let mut tx = db.begin().await?;
    let cycle: Option<(String,)> = on_tx!(&mut tx, conn => {
        sqlx::query_as("SELECT state FROM review_cycles WHERE id = $1").bind(input.cycle_id).fetch_optional(conn).await?
    });
    match cycle {
        None => {
            return Err(invalid(
                "unknown_cycle",
                "找不到这个评价周期",
                "no such review cycle",
            ));
        }
        Some((state,)) if state != "open" => {
            return Err(conflict(
                "cycle_frozen",
                "这个评价周期已完成（已冻结），不能再校准",
                "this review cycle is completed (frozen): it cannot be calibrated",
            ));
        }
        Some(_) => {}
    }
    let region = match region_code {
        None => None,
        Some(code) => {
            let row: Option<(i64,)> = on_tx!(&mut tx, conn => {
                sqlx::query_as("SELECT id FROM org_units WHERE code = $1").bind(code).fetch_optional(conn).await?
            });
            match row {
                Some((id,)) => Some(id),
                None => {
                    return Err(invalid(
                        "unknown_unit",
                        format!("找不到部门：{code}"),
                        format!("no such unit: {code}"),
                    ));
                }
            }
        }
    };
    check_person(&mut tx, input.facilitator_id, "主持人", "facilitator").await?;
    for m in &members {
        check_person(&mut tx, *m, "委员", "committee member").await?;
    }
    let reviews = population(&mut tx, input.cycle_id, region, family).await?;
    if reviews.is_empty() {
        return Err(invalid(
            "empty_population",
            "这个范围里没有已提交、待校准的评价（已在其他校准会中的不计）",
            "no submitted review waits for calibration in this population (reviews held by another session do not count)",
        ));
    }
    let now = tx.now_ms();
    let (id,): (i64,) = on_tx!(&mut tx, conn => {
        sqlx::query_as(
            "INSERT INTO calibration_sessions (name, cycle_id, region_unit_id, job_family, facilitator_id, scheduled_at, state, \
             sigma_threshold, guidance, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'prepared', $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(name).bind(input.cycle_id).bind(region).bind(family).bind(input.facilitator_id).bind(input.scheduled_at)
        .bind(input.sigma_threshold).bind(guidance.text()).bind(&actor.label).bind(now)
        .fetch_one(conn).await?
    });
    for m in &members {
        on_tx!(&mut tx, conn => {
            sqlx::query("INSERT INTO calibration_members (session_id, person_id) VALUES ($1, $2)")
                .bind(id).bind(*m).execute(conn).await?;
        });
    }
    let mut order = reviews;
    order.sort_by_key(|r| shuffle_key(id, *r));
    for chunk in order.chunks(400).enumerate() {
        let (n, chunk) = chunk;
        let values = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| format!("({id}, {r}, {})", n * 400 + i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("INSERT INTO calibration_cases (session_id, review_id, seq) VALUES {values}");
        on_tx!(&mut tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(conn).await?;
        });
    }
    let session = session_in(&mut tx, id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        "calibration.create",
        "calibration_session",
        &id.to_string(),
        None::<&()>,
        Some(&serde_json::json!({
            "name": session.name, "cycle": session.cycle_name, "region": session.region_name,
            "job_family": session.job_family, "members": members.len(), "cases": session.cases,
            "guidance": session.guidance, "sigma_threshold": session.sigma_threshold,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}
