//! Schema parity (issue 12 §6): the migrated schema of the engine under test,
//! normalised (tables, columns with portable types and nullability, primary
//! keys, unique and plain indexes, triggers by timing and event), equals the checked-in snapshot
//! `tests/schema.snapshot`. Both engines compare against the same file, so a
//! migration added to one folder only fails on a SQLite-only run too.
//!
//! After a deliberate schema change: `PULSE_UPDATE_SCHEMA=1 cargo test -p
//! pulse-store --test schema` rewrites the snapshot; review the diff.

use std::collections::BTreeMap;
use std::fmt::Write;

use pulse_store::Pool;
use pulse_store::testing::fresh_db;

#[derive(Default)]
struct Table {
    columns: Vec<String>,
    indexes: Vec<String>,
    triggers: Vec<String>,
}

/// One vocabulary for both engines' type names.
fn portable(ty: &str) -> String {
    let t = ty.to_ascii_lowercase();
    let t = t.trim();
    match t {
        "integer" | "int" | "bigint" | "smallint" | "int8" | "int4" | "bigserial" => "int".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        "real" | "double precision" | "float8" | "double" => "real".into(),
        "blob" | "bytea" => "blob".into(),
        "boolean" | "bool" => "bool".into(),
        other => other.to_string(),
    }
}

fn column(name: &str, ty: &str, not_null: bool, pk: bool) -> String {
    format!(
        "{name} {}{}{}",
        portable(ty),
        if not_null || pk { " not null" } else { "" },
        if pk { " primary key" } else { "" }
    )
}

fn index(unique: bool, partial: bool, columns: &[String]) -> String {
    format!(
        "{}index ({}){}",
        if unique { "unique " } else { "" },
        columns.join(", "),
        if partial { " where …" } else { "" }
    )
}

async fn sqlite_schema(p: &sqlx::SqlitePool) -> BTreeMap<String, Table> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(p)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for (t,) in tables {
        let mut table = Table::default();
        let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        for (name, ty, not_null, pk) in cols {
            table
                .columns
                .push(column(&name, &ty, not_null != 0, pk != 0));
        }
        let idx: Vec<(String, i64, String, i64)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(&t)
                .fetch_all(p)
                .await
                .unwrap();
        for (name, unique, origin, partial) in idx {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<(Option<String>,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(p)
                    .await
                    .unwrap();
            let cols: Vec<String> = cols
                .into_iter()
                .map(|(c,)| c.unwrap_or_else(|| "<expression>".into()))
                .collect();
            table.indexes.push(index(unique != 0, partial != 0, &cols));
        }
        let trig: Vec<(String,)> = sqlx::query_as(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        table.triggers = trig.iter().map(|r| sqlite_trigger(&r.0)).collect();
        out.insert(t, table);
    }
    out
}

/// "before update" from `CREATE TRIGGER x BEFORE UPDATE ON t …`.
fn sqlite_trigger(sql: &str) -> String {
    let words: Vec<String> = sql
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    words
        .windows(2)
        .find(|w| ["before", "after"].contains(&w[0].as_str()))
        .map_or_else(|| "<trigger>".into(), |w| format!("{} {}", w[0], w[1]))
}

async fn postgres_schema(p: &sqlx::PgPool) -> BTreeMap<String, Table> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(p)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for (t,) in tables {
        let mut table = Table::default();
        let pk: Vec<(String,)> = sqlx::query_as(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a \
             ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = $1::regclass AND i.indisprimary",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        let cols: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        for (name, ty, nullable) in cols {
            let is_pk = pk.iter().any(|k| k.0 == name);
            table
                .columns
                .push(column(&name, &ty, nullable == "NO", is_pk));
        }
        let idx: Vec<(bool, bool, bool, String)> = sqlx::query_as(
            "SELECT ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, \
               (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',' ORDER BY k) \
                FROM generate_series(1, ix.indnkeyatts) k) \
             FROM pg_index ix WHERE ix.indrelid = $1::regclass",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        for (unique, primary, partial, cols) in idx {
            if primary {
                continue;
            }
            let cols: Vec<String> = cols
                .split(',')
                .map(|c| {
                    let c = c.trim().trim_matches('"');
                    if c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                        c.to_string()
                    } else {
                        "<expression>".to_string()
                    }
                })
                .collect();
            table.indexes.push(index(unique, partial, &cols));
        }
        // One row per event, as SQLite writes one trigger per event.
        let trig: Vec<(String,)> = sqlx::query_as(
            "SELECT LOWER(action_timing || ' ' || event_manipulation)::text \
             FROM information_schema.triggers WHERE event_object_table = $1",
        )
        .bind(&t)
        .fetch_all(p)
        .await
        .unwrap();
        table.triggers = trig.into_iter().map(|r| r.0).collect();
        out.insert(t, table);
    }
    out
}

fn render(schema: BTreeMap<String, Table>) -> String {
    let mut s = String::new();
    for (name, mut t) in schema {
        t.indexes.sort();
        t.triggers.sort();
        let _ = writeln!(s, "table {name}");
        for c in &t.columns {
            let _ = writeln!(s, "  {c}");
        }
        for i in &t.indexes {
            let _ = writeln!(s, "  {i}");
        }
        for tr in &t.triggers {
            let _ = writeln!(s, "  trigger {tr}");
        }
    }
    s
}

#[tokio::test]
async fn both_engines_migrate_to_the_checked_in_schema() {
    let (db, _dir) = fresh_db().await;
    let schema = match db.pool() {
        Pool::Sqlite(p) => sqlite_schema(p).await,
        Pool::Postgres(p) => postgres_schema(p).await,
    };
    let actual = render(schema);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema.snapshot");
    if std::env::var("PULSE_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let diff: Vec<String> = actual
            .lines()
            .zip(expected.lines().chain(std::iter::repeat("")))
            .filter(|(a, e)| a != e)
            .take(10)
            .map(|(a, e)| format!("{:?}: got `{a}`, snapshot `{e}`", db.engine()))
            .collect();
        panic!(
            "the migrated schema differs from tests/schema.snapshot ({} vs {} lines):\n{}",
            actual.lines().count(),
            expected.lines().count(),
            diff.join("\n")
        );
    }
}

/// The two migration folders hold the same numbered files, so a migration
/// written for one engine only fails here on any engine.
#[test]
fn both_migration_folders_have_the_same_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |engine: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(engine))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
