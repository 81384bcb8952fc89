//! Configuration (O4): safe defaults, then `pulse.toml`, then `PULSE_*`
//! environment variables (and `DATABASE_URL`), then command-line flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Parser)]
#[command(name = "pulse", version, about = "绩效脉搏 Pulse — continuous performance management", long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Missing file = defaults.
    #[arg(long, global = true, default_value = "pulse.toml")]
    pub config: PathBuf,
    /// Directory for the embedded database and uploaded files [default: ./pulse-data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://… for PostgreSQL; default is SQLite in the data dir.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
    },
    /// Build the pilot group's demo data into the data dir (if empty) and serve it.
    Demo {
        /// Seed of the deterministic generator.
        #[arg(long, default_value_t = pulse_demo::DEFAULT_SEED)]
        seed: u64,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
        /// Build the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Weeks of business events and feedback to generate (1–104).
        #[arg(long, default_value_t = 52, value_parser = clap::value_parser!(i64).range(1..=104))]
        weeks: i64,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import org units or people from .xlsx/.xls/.ods/.csv (all rows or none).
    Import {
        #[arg(value_enum)]
        kind: ImportWhat,
        /// The file to import.
        file: PathBuf,
        /// Check the file and report; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export data to .xlsx.
    Export {
        #[arg(value_enum)]
        kind: ExportWhat,
        /// Where to write the workbook.
        file: PathBuf,
    },
    /// Online backup of the SQLite database to FILE (PostgreSQL: use pg_dump).
    Backup {
        /// Target file; must not exist.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportWhat {
    People,
    OrgUnits,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    People,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub log_format: LogFormat,
    /// Mark cookies Secure; turn on when Pulse is served over HTTPS.
    pub secure_cookies: bool,
    /// The address people open Pulse at, e.g. `https://pulse.example.cn`;
    /// links in messages start with it (empty keeps them relative).
    pub public_url: String,
    /// Reminders (催填, N4): how often the job looks for overdue to-dos,
    /// the spacing and number of nudges, and when to escalate.
    pub reminders: Reminders,
    /// How often live weight rules are re-evaluated on a schedule (G5).
    pub rules_every_minutes: i64,
    /// How often enabled CRM sources are pulled (X3).
    pub crm_pull_every_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Reminders {
    pub check_every_minutes: i64,
    #[serde(flatten)]
    pub policy: pulse_domain::reminders::ReminderPolicy,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            check_every_minutes: 60,
            policy: Default::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./pulse-data"),
            database_url: None,
            log_format: LogFormat::Text,
            secure_cookies: false,
            public_url: String::new(),
            reminders: Reminders::default(),
            rules_every_minutes: 60,
            crm_pull_every_minutes: 360,
        }
    }
}

impl Config {
    pub fn load(cli: &Cli) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if cli.config.exists() {
            fig = fig.merge(Toml::file(&cli.config));
        }
        let mut cfg: Config = fig.merge(Env::prefixed("PULSE_").split("__")).extract()?;
        if let Some(d) = &cli.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(u) = cli.database_url.as_ref().filter(|u| !u.is_empty()) {
            cfg.database_url = Some(u.clone());
        }
        if let Some(f) = cli.log_format {
            cfg.log_format = f;
        }
        if cfg.rules_every_minutes < 1 || cfg.crm_pull_every_minutes < 1 {
            anyhow::bail!("rules_every_minutes and crm_pull_every_minutes must be at least 1");
        }
        if cfg.reminders.check_every_minutes < 1 {
            anyhow::bail!("reminders.check_every_minutes must be at least 1");
        }
        cfg.reminders
            .policy
            .validate()
            .map_err(|e| anyhow::anyhow!("reminders: {e}"))?;
        match &cli.command {
            Command::Serve { listen: Some(l) }
            | Command::Demo {
                listen: Some(l), ..
            } => cfg.listen = l.clone(),
            _ => {}
        }
        Ok(cfg)
    }
}

pub fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PULSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cfg.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
