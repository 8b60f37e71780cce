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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint { files } => lint::run(&files, &mut std::io::stdout().lock()),
    }
}
