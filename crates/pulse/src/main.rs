//! `pulse`: the one binary (O1). Subcommands live in `commands`, configuration
//! in `config`; this file only parses arguments and dispatches.

mod commands;
mod config;
mod progress;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = config::Cli::parse();
    let cfg = match config::Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pulse: configuration error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    config::init_logging(&cfg);
    match commands::run(cli.command, cfg).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulse: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
