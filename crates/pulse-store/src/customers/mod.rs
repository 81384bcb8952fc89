//! CRM customers (X3): one list fed by Excel imports, pushes through the API
//! and pulls from a CRM's JSON endpoint, all through [`check`] and [`upsert`]
//! so every path applies the same rules. The A-class list drives the region
//! inputs of weight rules ([`refresh_region_metrics`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use pulse_domain::Problem;
use serde::{Deserialize, Serialize};

use crate::people::UpsertCounts;
use crate::{Db, StoreError, Tx};

mod sources;
pub use sources::*;

/// A customer as it arrives (from a sheet row, an API item or a CRM record).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// The CRM's own key.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub external_id: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// `A`, `B` or `C` (`A类` is read as `A`).
    #[schema(pattern = "^[ABC]类?$")]
    pub tier: String,
    /// Region code or name, e.g. `HD` or `华东大区`.
    #[schema(min_length = 1, max_length = 64)]
    pub region: String,
    /// The owner's 工号.
    #[serde(default)]
    pub owner: Option<String>,
    /// Contract signing date, `2026-10-15`.
    #[serde(default)]
    pub signed_on: Option<NaiveDate>,
}

/// A checked input with its references resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    external_id: String,
    name: String,
    tier: &'static str,
    region_unit_id: i64,
    owner_id: Option<i64>,
    signed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, utoipa::ToSchema)]
pub struct Customer {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub tier: String,
    pub region_code: String,
    pub region_name: String,
    pub owner_no: Option<String>,
    pub owner_name: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub source: String,
}

pub fn parse_tier(s: &str) -> Result<&'static str, Problem> {
    match s
        .trim()
        .trim_end_matches('类')
        .trim_end_matches("级")
        .to_ascii_uppercase()
        .as_str()
    {
        "A" => Ok("A"),
        "B" => Ok("B"),
        "C" => Ok("C"),
        _ => Err(Problem::new(
            "invalid_tier",
            format!("客户等级“{s}”无效（A、B 或 C）"),
            format!("customer tier '{s}' is not A, B or C"),
        )),
    }
}

/// Lookups the checks need, read once per batch.
pub struct Refs {
    regions: HashMap<String, i64>,
    people: HashMap<String, i64>,
}

pub async fn refs(tx: &mut Tx) -> Result<Refs, StoreError> {
    let units: Vec<(i64, String, String)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id, code, name FROM org_units WHERE kind = 'region'").fetch_all(conn).await?
    });
    let mut regions = HashMap::new();
    for (id, code, name) in units {
        regions.insert(code, id);
        regions.insert(name, id);
    }
    Ok(Refs {
        regions,
        people: crate::people::ids_by_employee_no(tx).await?,
    })
}

/// Checks one input; each problem names the field it is about.
pub fn check(refs: &Refs, c: &CustomerInput) -> Result<Checked, Vec<(&'static str, Problem)>> {
    let mut problems = Vec::new();
    let external_id = c.external_id.trim();
    if external_id.is_empty() || external_id.chars().count() > 64 {
        problems.push((
            "external_id",
            Problem::new(
                "invalid_customer_id",
                "客户编码不能为空且最多 64 个字符",
                "the customer id is required (64 characters at most)",
            ),
        ));
    }
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push((
            "name",
            Problem::new(
                "invalid_customer_name",
                "客户名称不能为空且最多 100 个字符",
                "the customer name is required (100 characters at most)",
            ),
        ));
    }
    let tier = parse_tier(&c.tier)
        .map_err(|p| problems.push(("tier", p)))
        .ok();
    let region = refs.regions.get(c.region.trim()).copied();
    if region.is_none() {
        problems.push((
            "region",
            Problem::new(
                "unknown_region",
                format!("大区“{}”不存在（填大区编码或名称）", c.region),
                format!("no region '{}' (use its code or name)", c.region),
            ),
        ));
    }
    let owner = match c.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(no) => match refs.people.get(no) {
            Some(id) => Some(*id),
            None => {
                problems.push((
                    "owner",
                    Problem::new(
                        "unknown_owner",
                        format!("负责人工号“{no}”不存在"),
                        format!("no person with employee number '{no}'"),
                    ),
                ));
                None
            }
        },
    };
    match (tier, region) {
        (Some(tier), Some(region_unit_id)) if problems.is_empty() => Ok(Checked {
            external_id: external_id.to_string(),
            name: name.to_string(),
            tier,
            region_unit_id,
            owner_id: owner,
            signed_on: c.signed_on,
        }),
        _ => Err(problems),
    }
}

/// name, tier, region, owner, signing date as stored.
type StoredCustomer = (String, String, i64, Option<i64>, Option<NaiveDate>);

/// Inserts or updates customers by external id. `source` says where they came
/// from (`import`, `api`, or the CRM source's name).
pub async fn upsert(
    tx: &mut Tx,
    items: &[Checked],
    source: &str,
) -> Result<UpsertCounts, StoreError> {
    let mut counts = UpsertCounts::default();
    let now = tx.now_ms();
    for c in items {
        let existing: Option<StoredCustomer> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT name, tier, region_unit_id, owner_id, signed_on FROM customers WHERE external_id = $1")
                .bind(&c.external_id).fetch_optional(conn).await?
        });
        let key = pulse_domain::search::search_key(&c.name);
        match existing {
            Some(e)
                if (e.0.as_str(), e.1.as_str(), e.2, e.3, e.4)
                    == (
                        c.name.as_str(),
                        c.tier,
                        c.region_unit_id,
                        c.owner_id,
                        c.signed_on,
                    ) =>
            {
                counts.unchanged += 1;
            }
            Some(_) => {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "UPDATE customers SET name = $1, tier = $2, region_unit_id = $3, owner_id = $4, signed_on = $5, search_key = $6, source = $7, updated_at = $8 WHERE external_id = $9",
                    )
                    .bind(&c.name).bind(c.tier).bind(c.region_unit_id).bind(c.owner_id).bind(c.signed_on).bind(&key).bind(source).bind(now).bind(&c.external_id)
                    .execute(conn).await?;
                });
                counts.updated += 1;
            }
            None => {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "INSERT INTO customers (external_id, name, tier, region_unit_id, owner_id, signed_on, search_key, source, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&c.external_id).bind(&c.name).bind(c.tier).bind(c.region_unit_id).bind(c.owner_id).bind(c.signed_on).bind(&key).bind(source).bind(now)
                    .execute(conn).await?;
                });
                counts.created += 1;
            }
        }
    }
    Ok(counts)
}

/// Customers by region (code), tier and a name/pinyin search, A first.
pub async fn list(
    db: &Db,
    region: Option<&str>,
    tier: Option<&str>,
    q: Option<&str>,
    limit: i64,
) -> Result<(Vec<Customer>, i64), StoreError> {
    let pattern = q
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
    const WHERE: &str = "WHERE ($1 IS NULL OR u.code = $1) AND ($2 IS NULL OR c.tier = $2) \
         AND ($3 IS NULL OR lower(c.name) LIKE $3 OR c.search_key LIKE $3 OR lower(c.external_id) LIKE $3)";
    let sql = format!(
        "SELECT c.id, c.external_id, c.name, c.tier, u.code AS region_code, u.name AS region_name, p.employee_no AS owner_no, \
         p.name AS owner_name, c.signed_on, c.source FROM customers c JOIN org_units u ON u.id = c.region_unit_id \
         LEFT JOIN people p ON p.id = c.owner_id {WHERE} ORDER BY c.tier, u.sort_order, c.name, c.id LIMIT $4"
    );
    let count = format!(
        "SELECT COUNT(*) FROM customers c JOIN org_units u ON u.id = c.region_unit_id {WHERE}"
    );
    Ok(on_db!(db, pool => {
        let items = sqlx::query_as::<_, Customer>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(region).bind(tier).bind(&pattern).bind(limit).fetch_all(pool).await?;
        let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count.clone()))
            .bind(region).bind(tier).bind(&pattern).fetch_one(pool).await?;
        (items, total)
    }))
}

/// Recomputes every region's A-class inputs for a period from the list:
/// `a_class_customers` (signed before the period or undated),
/// `a_class_new_signings` (signed inside it) and their ratio
/// `a_class_new_sign_rate` (0 when the region had none at the start).
pub async fn refresh_region_metrics(tx: &mut Tx, period_id: i64) -> Result<usize, StoreError> {
    let (starts, ends): (NaiveDate, NaiveDate) = on_tx!(tx, conn => {
        sqlx::query_as("SELECT starts_on, ends_on FROM periods WHERE id = $1").bind(period_id).fetch_one(conn).await?
    });
    let rows: Vec<(i64, i64, i64)> = on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT region_unit_id, \
               SUM(CASE WHEN signed_on IS NULL OR signed_on < $1 THEN 1 ELSE 0 END), \
               SUM(CASE WHEN signed_on >= $1 AND signed_on <= $2 THEN 1 ELSE 0 END) \
             FROM customers WHERE tier = 'A' GROUP BY region_unit_id",
        )
        .bind(starts).bind(ends).fetch_all(conn).await?
    });
    for (region, before, new) in &rows {
        let rate = if *before > 0 {
            *new as f64 / *before as f64
        } else {
            0.0
        };
        crate::weight_rules::set_region_metrics(
            tx,
            *region,
            period_id,
            &[
                ("a_class_customers".into(), *before as f64),
                ("a_class_new_signings".into(), *new as f64),
                (
                    "a_class_new_sign_rate".into(),
                    (rate * 10_000.0).round() / 10_000.0,
                ),
            ],
        )
        .await?;
    }
    Ok(rows.len())
}

pub const CUSTOMER_COLUMNS: pulse_sheets::Columns = pulse_sheets::Columns(&[
    pulse_sheets::ColumnSpec {
        key: "external_id",
        names: &["客户编码", "客户编号", "客户ID", "external_id"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "name",
        names: &["客户名称", "客户", "name"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "tier",
        names: &["客户等级", "等级", "客户分级", "tier"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "region",
        names: &["大区", "所属大区", "region"],
        required: true,
    },
    pulse_sheets::ColumnSpec {
        key: "owner",
        names: &["负责人工号", "负责人", "owner"],
        required: false,
    },
    pulse_sheets::ColumnSpec {
        key: "signed_on",
        names: &["签约日期", "signed_on"],
        required: false,
    },
]);

/// Applies checked customers: upsert, refresh the running period's region
/// inputs, commit, then re-evaluate the weight rules on the new inputs.
pub async fn apply(
    db: &Db,
    items: &[Checked],
    source: &str,
    dry_run: bool,
) -> Result<UpsertCounts, StoreError> {
    let mut tx = db.begin().await?;
    let counts = upsert(&mut tx, items, source).await?;
    let period = crate::goals::period_at(db, db.today())
        .await?
        .filter(|p| p.state == "open");
    if let Some(p) = &period {
        refresh_region_metrics(&mut tx, p.id).await?;
    }
    if dry_run {
        tx.rollback().await?;
        return Ok(counts);
    }
    tx.commit().await?;
    if let Some(p) = period {
        crate::weight_rules::evaluate(db, p.id, None, &crate::Actor::system("客户数据更新"))
            .await?;
    }
    Ok(counts)
}

/// The sheet importer (X1/X3), on the shared import framework.
pub async fn import(
    db: &Db,
    table: &pulse_sheets::Table,
    map: &pulse_sheets::HeaderMap,
    dry_run: bool,
    report: &mut crate::imports::ImportReport,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let r = refs(&mut tx).await?;
    tx.rollback().await?;
    let mut checked = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let signed_on = match map.cell(row, "signed_on").as_date() {
            Ok(d) => d,
            Err(msg) => {
                report.errors.push(crate::imports::ReportError {
                    row: row.number,
                    column: map.header("signed_on"),
                    message: msg,
                    message_en: "not a date (e.g. 2026-10-15)".into(),
                });
                continue;
            }
        };
        let input = CustomerInput {
            external_id: map.text(row, "external_id"),
            name: map.text(row, "name"),
            tier: map.text(row, "tier"),
            region: map.text(row, "region"),
            owner: Some(map.text(row, "owner")),
            signed_on,
        };
        if let Some(first) = seen.insert(input.external_id.clone(), row.number) {
            report.errors.push(crate::imports::ReportError {
                row: row.number,
                column: map.header("external_id"),
                message: format!("与第 {first} 行的客户编码重复"),
                message_en: format!("the same customer id as row {first}"),
            });
            continue;
        }
        match check(&r, &input) {
            Ok(c) => checked.push(c),
            Err(problems) => {
                for (field, p) in problems {
                    report.errors.push(crate::imports::ReportError {
                        row: row.number,
                        column: map.header(field),
                        message: p.zh,
                        message_en: p.en,
                    });
                }
            }
        }
    }
    report.errors.sort_by_key(|e| e.row);
    if !report.errors.is_empty() {
        return Ok(());
    }
    report.counts = apply(db, &checked, "import", dry_run).await?;
    report.committed = !dry_run;
    Ok(())
}

/// Every customer with its region code, tier and owner's 工号 (demo data
/// and bulk loads spread events over the list).
pub async fn ownership(
    tx: &mut Tx,
) -> Result<Vec<(i64, String, String, Option<String>)>, StoreError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as(
            "SELECT c.id, u.code, c.tier, p.employee_no FROM customers c JOIN org_units u ON u.id = c.region_unit_id \
             LEFT JOIN people p ON p.id = c.owner_id ORDER BY c.id",
        )
        .fetch_all(conn).await?
    }))
}

/// A rep's own customers, A-class first, for the visit form's picker.
pub async fn owned_by(db: &Db, employee_no: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_db!(db, pool => {
        sqlx::query_as(
            "SELECT c.name, c.tier FROM customers c JOIN people p ON p.id = c.owner_id WHERE p.employee_no = $1 \
             ORDER BY c.tier, c.name LIMIT 300",
        )
        .bind(employee_no).fetch_all(pool).await?
    }))
}
