//! The Hardphone binary: the I/O edge around the sans-IO crates.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod lint;

/// Hardphone: an open-source SIP desk phone.
#[derive(Debug, Parser)]
#[command(name = "hardphone", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check captured SIP messages: one JSON line per file saying what the phone would do
    /// with it (process it, answer it with an error status, or drop it).
    Lint {
        /// Files, each holding one message exactly as it came off the wire (a UDP datagram).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Check a configuration file (docs/CONFIG.md): exit 0 when it is good, 2 with the file, the
    /// key and what is wrong when it is not.
    CheckConfig {
        /// The TOML file.
        file: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint { files } => lint::run(&files, &mut std::io::stdout().lock()),
        Command::CheckConfig { file } => check_config(&file),
    }
}

/// Reads and checks a configuration file, naming the file in every error.
fn check_config(file: &std::path::Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{}: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    match phone::Config::from_toml(&text) {
        Ok(config) => {
            println!("{}: ok, {} account(s)", file.display(), config.accounts.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}: {error}", file.display());
            ExitCode::from(2)
        }
    }
}
