use std::time::Instant;

use anyhow::Context;
use pulse_store::{Actor, Db};
use pulse_web::{AppState, WebConfig};

use crate::config::{Command, Config, ExportWhat, ImportWhat};
use crate::progress::{Bars, spinner};

async fn open(cfg: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(cfg.database_url.as_deref(), &cfg.data_dir)
        .await
        .with_context(|| "cannot open the database".to_string())?;
    db.migrate().await.context("cannot apply migrations")?;
    Ok(db)
}

pub async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { .. } => {
            let db = open(&cfg).await?;
            serve(db, &cfg, false).await
        }
        Command::Demo {
            seed,
            no_serve,
            weeks,
            ..
        } => demo(&cfg, seed, no_serve, weeks).await,
        Command::Migrate => {
            open(&cfg).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Import {
            kind,
            file,
            dry_run,
        } => import(&cfg, kind, &file, dry_run).await,
        Command::Export {
            kind: ExportWhat::People,
            file,
        } => export_people(&cfg, &file).await,
        Command::Backup { file } => {
            let db = open(&cfg).await?;
            let s = spinner("backing up");
            pulse_store::dialect::backup(&db, &file).await?;
            s.finish_and_clear();
            println!("backup written to {}", file.display());
            Ok(())
        }
    }
}

async fn serve(db: Db, cfg: &Config, demo: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    // Photos live beside the database; an unwritable folder stops the start.
    let files_dir = cfg.data_dir.join("files");
    let state = AppState::new(
        db.clone(),
        WebConfig {
            secure_cookies: cfg.secure_cookies,
            demo,
            public_url: cfg.public_url.clone(),
            files_dir: Some(files_dir),
        },
    )?;
    tracing::info!(listen = %cfg.listen, engine = ?db.engine(), "Pulse is serving");
    println!("Pulse 绩效脉搏: http://{}", cfg.listen);
    // The outbox worker runs beside the server and stops with it.
    let (stop_worker, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(pulse_jobs::delivery::run(
        db.clone(),
        pulse_jobs::delivery::Policy::default(),
        stopped,
    ));
    // Each instance keeps the radar's peer-group figures warm (R2): computed at
    // start and every 9 minutes, so no viewer waits for a group's first radar.
    let warm_db = db.clone();
    let mut warm_stop = stop_worker.subscribe();
    let warmer = tokio::spawn(async move {
        loop {
            if let Err(e) =
                pulse_store::competency::warm_peer_figures(&warm_db, warm_db.today()).await
            {
                tracing::warn!(error = %e, "warming the radar figures failed");
            }
            // And the dashboard's month counts (H4): a new month is read once here.
            let window = pulse_store::health::months::window(warm_db.today(), 12);
            if let Err(e) = pulse_store::health::months::counts(&warm_db, &window).await {
                tracing::warn!(error = %e, "warming the org-health counts failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(9 * 60)) => {}
                _ = warm_stop.changed() => break,
            }
        }
    });
    // Every instance runs the scheduler; the job_runs lease lets one of them run each job.
    let jobs = vec![
        pulse_jobs::reminders::job(
            cfg.reminders.policy,
            pulse_jobs::reminders::Links {
                public_url: cfg.public_url.clone(),
            },
            cfg.reminders.check_every_minutes * 60_000,
        ),
        pulse_jobs::weight_rules::job(cfg.rules_every_minutes * 60_000),
        pulse_jobs::linkage::job(cfg.public_url.clone(), cfg.rules_every_minutes * 60_000),
        pulse_jobs::crm::job(cfg.crm_pull_every_minutes * 60_000),
        pulse_jobs::identity::anonymise::job(pulse_jobs::identity::anonymise::EVERY_DAY_MS),
        // Checks every 15 minutes whether this week's digest time has come (D2).
        pulse_jobs::digests::job(
            state.text.clone(),
            pulse_jobs::reminders::Links {
                public_url: cfg.public_url.clone(),
            },
            15 * 60_000,
        ),
    ];
    let scheduler = tokio::spawn(pulse_jobs::scheduler::run(
        db.clone(),
        jobs,
        std::time::Duration::from_secs(30),
        stop_worker.subscribe(),
    ));
    pulse_web::serve(state, listener, shutdown_signal()).await?;
    let _ = stop_worker.send(true);
    let _ = worker.await;
    let _ = scheduler.await;
    let _ = warmer.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn demo(cfg: &Config, seed: u64, no_serve: bool, weeks: i64) -> anyhow::Result<()> {
    let db = open(cfg).await?;
    if pulse_demo::exists(&db).await? {
        println!("The data dir already holds an organisation: serving it as it is.");
    } else {
        let started = Instant::now();
        let plan =
            pulse_demo::build_with(&db, seed, &pulse_demo::Volume { weeks }, &Bars::new()).await?;
        println!(
            "Demo organisation built in {:.1} s: {} org units, {} people, {weeks} weeks of events (seed {seed}).",
            started.elapsed().as_secs_f64(),
            plan.units.len(),
            plan.people.len()
        );
    }
    println!("Demo accounts (password: {}):", pulse_demo::DEMO_PASSWORD);
    for (login, what) in pulse_demo::DEMO_ACCOUNTS {
        println!("  {login:<10} {what}");
    }
    println!("  Everyone else signs in with their 工号 and the same password.");
    if no_serve {
        return Ok(());
    }
    serve(db, cfg, true).await
}

async fn import(
    cfg: &Config,
    kind: ImportWhat,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open(cfg).await?;
    let kind = match kind {
        ImportWhat::People => pulse_store::imports::ImportKind::People,
        ImportWhat::OrgUnits => pulse_store::imports::ImportKind::OrgUnits,
    };
    let s = spinner(if dry_run { "checking" } else { "importing" });
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let report = pulse_store::imports::run(
        &db,
        &Actor::system("命令行 CLI"),
        kind,
        &name,
        &bytes,
        dry_run,
    )
    .await?;
    s.finish_and_clear();
    if let Some(e) = &report.file_error {
        anyhow::bail!("{e} ({})", report.file_error_en.clone().unwrap_or_default());
    }
    for e in &report.errors {
        eprintln!(
            "第 {} 行 row {} · {} · {} ({})",
            e.row, e.row, e.column, e.message, e.message_en
        );
    }
    if !report.errors.is_empty() {
        anyhow::bail!(
            "{} problem(s) found; nothing was imported. Error workbook: batch {} (GET /api/v1/imports/batches/{}/errors.xlsx)",
            report.errors.len(),
            report.batch_id,
            report.batch_id
        );
    }
    println!(
        "{} rows: {} new, {} changed, {} unchanged{}",
        report.rows,
        report.counts.created,
        report.counts.updated,
        report.counts.unchanged,
        if report.committed {
            " — imported"
        } else {
            " — dry run, nothing changed"
        }
    );
    Ok(())
}

async fn export_people(cfg: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let db = open(cfg).await?;
    let viewer = pulse_store::people::Viewer {
        account_id: 0,
        person_id: 0,
        visibility: pulse_domain::roles::Visibility::Org,
    };
    let query = pulse_store::people::PeopleQuery {
        status: None,
        ..Default::default()
    };
    let found = pulse_store::people::list_all(&db, &viewer, &query).await?;
    let bytes = pulse_web::features::people::export::people_workbook(&found)?;
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
    println!("{} people exported to {}", found.len(), file.display());
    Ok(())
}
