//! The `pulse` binary end to end: demo build, import (dry run, errors,
//! commit), export, backup, migrate and help, on a temporary data dir.

use std::path::Path;
use std::process::{Command, Output};

fn pulse(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulse"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("PULSE_LOG", "warn")
        .output()
        .expect("run pulse")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().expect("tmp");
    for sub in ["serve", "demo", "migrate", "import", "export", "backup"] {
        let o = pulse(dir.path(), &[sub, "--help"]);
        assert!(o.status.success(), "{sub}: {}", text(&o));
        assert!(text(&o).contains("Usage"), "{sub}");
    }
}

#[test]
fn demo_import_export_backup() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let o = pulse(&data, &["demo", "--no-serve", "--weeks", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("2342 people") && out.contains("director"),
        "{out}"
    );
    let again = pulse(&data, &["demo", "--no-serve"]);
    assert!(
        text(&again).contains("already holds an organisation"),
        "reusing a data dir serves the existing data"
    );

    // Export, then a dry run of the export changes nothing.
    let xlsx = dir.path().join("people.xlsx");
    let o = pulse(&data, &["export", "people", xlsx.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let o = pulse(
        &data,
        &[
            "import",
            "people",
            xlsx.to_str().expect("utf8"),
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2342 unchanged"), "{}", text(&o));

    // A CSV with one bad row: clear row error, exit code non-zero, nothing imported.
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "工号,姓名,部门,上级工号,岗位族,职级\nQ1,新人,HD-S01,10016,销售代表,P2\nQ2,,HD-S01,,销售代表,P2\n").expect("csv");
    let o = pulse(&data, &["import", "people", csv.to_str().expect("utf8")]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("第 3 行") && text(&o).contains("姓名"),
        "{}",
        text(&o)
    );

    std::fs::write(
        &csv,
        "工号,姓名,部门,上级工号,岗位族,职级\nQ1,新人,HD-S01,10016,销售代表,P2\n",
    )
    .expect("csv");
    let o = pulse(&data, &["import", "people", csv.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 new"), "{}", text(&o));

    let o = pulse(&data, &["import", "people", "/nonexistent.xlsx"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("cannot read"), "{}", text(&o));

    let backup = dir.path().join("backup.sqlite");
    let o = pulse(&data, &["backup", backup.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::metadata(&backup).expect("backup file").len() > 100_000);
    let o = pulse(&data, &["backup", backup.to_str().expect("utf8")]);
    assert!(!o.status.success(), "an existing file is never overwritten");

    let o = pulse(&data, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn config_file_and_bad_database_url() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://nope")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unsupported DATABASE_URL"),
        "{}",
        text(&o)
    );

    let cfg = dir.path().join("pulse.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n",
            dir.path().join("from-toml").display()
        ),
    )
    .expect("toml");
    let o = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["--config", cfg.to_str().expect("utf8"), "migrate"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        dir.path().join("from-toml/pulse.sqlite").exists(),
        "data_dir from pulse.toml is used"
    );
}

#[test]
fn reminder_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("pulse.toml");
    std::fs::write(&cfg, "[reminders]\nescalate_after_days = 0\n").expect("toml");
    let o = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["--config", cfg.to_str().expect("utf8"), "migrate"])
        .args(["--data-dir", dir.path().to_str().expect("utf8")])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("升级天数"), "{}", text(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["--data-dir", dir.path().to_str().expect("utf8"), "migrate"])
        .env("PULSE_REMINDERS__EVERY_HOURS", "0")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    assert!(!o.status.success(), "environment reaches nested settings");
    assert!(text(&o).contains("提醒间隔"), "{}", text(&o));
}
