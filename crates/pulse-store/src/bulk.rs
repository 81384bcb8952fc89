//! Loading many rows at once (the demo's year of events, large imports):
//! multi-row prepared INSERTs on SQLite, `COPY … FROM STDIN` on PostgreSQL.
//! Row-by-row inserts made a year of demo events take minutes.

use crate::{StoreError, Tx};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(i64),
    /// A DOUBLE PRECISION column (period metric values).
    Float(f64),
    Text(String),
    Null,
}

impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Float(v)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_string())
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        v.map_or(Cell::Null, Cell::Int)
    }
}

/// Table and column names come from code, never from input.
fn check_ident(s: &str) -> Result<(), StoreError> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StoreError::Config(format!(
            "bad identifier for a bulk load: {s}"
        )));
    }
    Ok(())
}

/// One CSV field for COPY: numbers bare, text quoted with doubled quotes,
/// NULL as an empty unquoted field.
fn csv_field(out: &mut String, c: &Cell) {
    match c {
        Cell::Int(v) => out.push_str(&v.to_string()),
        Cell::Float(v) => out.push_str(&v.to_string()),
        Cell::Null => {}
        Cell::Text(s) => {
            out.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    out.push('"');
                }
                out.push(ch);
            }
            out.push('"');
        }
    }
}

/// Inserts `rows` (each with one cell per column) in the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<u64, StoreError> {
    check_ident(table)?;
    for c in columns {
        check_ident(c)?;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(StoreError::Config(format!(
            "bulk load into {table}: a row has {} cells for {} columns",
            bad.len(),
            columns.len()
        )));
    }
    let cols = columns.join(", ");
    match tx.conn_mut() {
        crate::TxConn::Sqlite(t, _) => {
            // SQLite allows 32,766 bound values per statement. Plain `?`
            // slots: with numbered `?NNN` ones sqlx looks each name up in a
            // list SQLite scans linearly, quadratic in the statement's size.
            let per = (32_000 / columns.len()).max(1);
            let mut n = 0;
            for chunk in rows.chunks(per) {
                let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
                let row = format!("({})", vec!["?"; columns.len()].join(","));
                sql.push_str(&vec![row.as_str(); chunk.len()].join(","));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in chunk {
                    for c in row {
                        q = match c {
                            Cell::Int(v) => q.bind(*v),
                            Cell::Float(v) => q.bind(*v),
                            Cell::Text(s) => q.bind(s.as_str()),
                            Cell::Null => q.bind(None::<i64>),
                        };
                    }
                }
                n += q.execute(&mut **t).await?.rows_affected();
            }
            Ok(n)
        }
        // A few rows: one INSERT is one round trip, COPY is three.
        crate::TxConn::Postgres(t) if rows.len() * columns.len() <= 1_000 => {
            let sql = pg_values(table, &cols, rows, "");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in rows.iter().flatten() {
                q = match c {
                    Cell::Int(v) => q.bind(*v),
                    Cell::Float(v) => q.bind(*v),
                    Cell::Text(s) => q.bind(s.as_str()),
                    Cell::Null => q,
                };
            }
            Ok(q.execute(&mut **t).await?.rows_affected())
        }
        crate::TxConn::Postgres(t) => {
            let conn: &mut sqlx::PgConnection = t;
            let mut copy = conn
                .copy_in_raw(&format!(
                    "COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)"
                ))
                .await?;
            let mut buf = String::with_capacity(1 << 20);
            for row in rows {
                for (j, c) in row.iter().enumerate() {
                    if j > 0 {
                        buf.push(',');
                    }
                    csv_field(&mut buf, c);
                }
                buf.push('\n');
                if buf.len() > (1 << 20) {
                    copy.send(buf.as_bytes()).await?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                copy.send(buf.as_bytes()).await?;
            }
            Ok(copy.finish().await?)
        }
    }
}

/// One multi-row INSERT with numbered slots for PostgreSQL. NULL is written
/// literally: a typed NULL parameter would not fit a text column.
fn pg_values(table: &str, cols: &str, rows: &[Vec<Cell>], tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
    let mut k = 0;
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i > 0 { ",(" } else { "(" });
        for (j, c) in row.iter().enumerate() {
            if j > 0 {
                sql.push(',');
            }
            if *c == Cell::Null {
                sql.push_str("NULL");
            } else {
                k += 1;
                sql.push_str(&format!("${k}"));
            }
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Inserts a few rows (at most 1,000 cells) in one statement and returns
/// two integer columns of each inserted row, e.g. `["id", "event_id"]`:
/// the order of RETURNING rows is not promised, so callers match on a key.
/// `on_conflict` (SQL from code, may be empty) goes before RETURNING.
pub async fn insert_returning(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    on_conflict: &str,
    returning: [&str; 2],
) -> Result<Vec<(i64, i64)>, StoreError> {
    check_ident(table)?;
    for c in columns.iter().chain(returning.iter()) {
        check_ident(c)?;
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if rows.len() * columns.len() > 1_000 || rows.iter().any(|r| r.len() != columns.len()) {
        return Err(StoreError::Config(format!(
            "insert_returning into {table}: at most 1,000 cells, one per column"
        )));
    }
    let cols = columns.join(", ");
    let tail = format!(
        " {on_conflict} RETURNING {}, {}",
        returning[0], returning[1]
    );
    Ok(match tx.conn_mut() {
        crate::TxConn::Sqlite(t, _) => {
            let row = format!("({})", vec!["?"; columns.len()].join(","));
            let sql = format!(
                "INSERT INTO {table} ({cols}) VALUES {}{tail}",
                vec![row.as_str(); rows.len()].join(",")
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for c in rows.iter().flatten() {
                q = match c {
                    Cell::Int(v) => q.bind(*v),
                    Cell::Float(v) => q.bind(*v),
                    Cell::Text(s) => q.bind(s.as_str()),
                    Cell::Null => q.bind(None::<i64>),
                };
            }
            q.fetch_all(&mut **t).await?
        }
        crate::TxConn::Postgres(t) => {
            let sql = pg_values(table, &cols, rows, &tail);
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for c in rows.iter().flatten() {
                q = match c {
                    Cell::Int(v) => q.bind(*v),
                    Cell::Float(v) => q.bind(*v),
                    Cell::Text(s) => q.bind(s.as_str()),
                    Cell::Null => q,
                };
            }
            q.fetch_all(&mut **t).await?
        }
    })
}

/// After rows were loaded with explicit ids: PostgreSQL's identity sequence
/// continues after the largest id (SQLite's AUTOINCREMENT does this itself).
pub async fn continue_ids(tx: &mut Tx, table: &str) -> Result<(), StoreError> {
    check_ident(table)?;
    if let crate::TxConn::Postgres(t) = tx.conn_mut() {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The largest id of a table (0 when empty), for loads that assign ids.
pub async fn max_id(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    check_ident(table)?;
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    let (n,): (i64,) = on_tx!(tx, conn => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_one(conn).await?
    });
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_quote_text_and_leave_null_empty() {
        let mut s = String::new();
        for (i, c) in [
            Cell::Int(-3),
            Cell::Null,
            Cell::Text("价格\"异议\",\n下周".into()),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                s.push(',');
            }
            csv_field(&mut s, c);
        }
        assert_eq!(s, "-3,,\"价格\"\"异议\"\",\n下周\"");
    }

    #[test]
    fn identifiers_from_input_are_refused() {
        assert!(check_ident("events").is_ok());
        assert!(check_ident("events; DROP TABLE people").is_err());
    }
}
