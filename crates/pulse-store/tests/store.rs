//! Store-level tests on the engine under test (SQLite, or PostgreSQL when
//! PULSE_TEST_DATABASE_URL is set): schema parity and the manager-chain
//! invariant under random edits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use pulse_domain::org::UnitKind;
use pulse_store::org::NewUnit;
use pulse_store::people::{PersonInput, Viewer};
use pulse_store::{Actor, Db, StoreError};

use pulse_store::testing::fresh_db;

#[test]
fn migration_folders_have_the_same_files() {
    let list = |engine: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!(
            "{}/migrations/{engine}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("migrations dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect()
    };
    assert_eq!(list("sqlite"), list("postgres"));
}

/// Table → columns as the engine reports them after migrating.
async fn schema(db: &Db) -> BTreeMap<String, BTreeSet<String>> {
    let rows: Vec<(String, String)> = match db.pool() {
        pulse_store::Pool::Sqlite(p) => sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        )
        .fetch_all(p)
        .await
        .expect("sqlite schema"),
        pulse_store::Pool::Postgres(p) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(p)
        .await
        .expect("pg schema"),
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, c) in rows {
        out.entry(t).or_default().insert(c);
    }
    out
}

#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let sqlite = Db::connect(None, dir.path()).await.expect("sqlite");
    sqlite.migrate().await.expect("migrate");
    let expected = schema(&sqlite).await;
    assert!(expected.contains_key("people") && expected.contains_key("audit_log"));
    let (db, _dir) = fresh_db().await;
    assert_eq!(
        schema(&db).await,
        expected,
        "SQLite and {:?} schemas differ",
        db.engine()
    );
}

const N_PEOPLE: usize = 8;

async fn seed(db: &Db) {
    let mut tx = db.begin().await.expect("tx");
    let actor = Actor::system("test");
    pulse_store::org::upsert_units(
        &mut tx,
        &actor,
        &[NewUnit {
            code: "U".into(),
            name: "单位".into(),
            kind: UnitKind::Group,
            parent_code: None,
            sort_order: 0,
        }],
    )
    .await
    .expect("unit");
    let unit = pulse_store::org::ids_by_code(&mut tx).await.expect("ids")["U"];
    let people: Vec<PersonInput> = (0..N_PEOPLE).map(|i| person(i, None, unit)).collect();
    pulse_store::people::upsert(&mut tx, &actor, &people, true)
        .await
        .expect("people");
    tx.commit().await.expect("commit");
}

fn person(i: usize, manager: Option<usize>, unit: i64) -> PersonInput {
    PersonInput {
        employee_no: pulse_domain::org::EmployeeNo::parse(&format!("P{i}")).unwrap(),
        name: format!("员工{i}"),
        job_family: "销售代表".into(),
        level: "P3".into(),
        org_unit_id: unit,
        manager_employee_no: manager
            .map(|m| pulse_domain::org::EmployeeNo::parse(&format!("P{m}")).unwrap()),
        hire_date: None,
        status: pulse_domain::org::PersonStatus::Active,
        email: None,
        wecom_userid: None,
    }
}

async fn managers(db: &Db) -> HashMap<String, String> {
    let viewer = Viewer {
        account_id: 0,
        person_id: 0,
        visibility: pulse_domain::roles::Visibility::Org,
    };
    let q = pulse_store::people::PeopleQuery {
        status: None,
        ..Default::default()
    };
    pulse_store::people::list_all(db, &viewer, &q)
        .await
        .expect("list")
        .into_iter()
        .filter_map(|p| p.manager_employee_no.map(|m| (p.employee_no, m)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Whatever sequence of manager changes HR sends, the stored manager
    /// chain never has a cycle, and a refused change leaves the data as it was.
    #[test]
    fn manager_chain_never_cycles(edits in proptest::collection::vec((0..N_PEOPLE, proptest::option::of(0..N_PEOPLE)), 1..20)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (db, _dir) = fresh_db().await;
            seed(&db).await;
            let unit = pulse_store::org::by_code(&db, "U").await.expect("q").expect("unit").id;
            for (who, manager) in edits {
                let before = managers(&db).await;
                let mut tx = db.begin().await.expect("tx");
                let result = pulse_store::people::upsert(&mut tx, &Actor::system("prop"), &[person(who, manager, unit)], true).await;
                match result {
                    Ok(_) => tx.commit().await.expect("commit"),
                    Err(StoreError::Invalid(p)) => {
                        assert_eq!(p.code, "manager_cycle");
                        tx.rollback().await.expect("rollback");
                        assert_eq!(managers(&db).await, before, "a refused edit changes nothing");
                    }
                    Err(e) => panic!("unexpected error {e}"),
                }
                let now = managers(&db).await;
                assert_eq!(pulse_domain::org::find_cycle(&now), None, "stored chain has a cycle: {now:?}");
            }
            db.close().await;
        });
    }
}
