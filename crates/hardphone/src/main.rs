//! The Hardphone binary: the I/O edge around the sans-IO crates.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod lint;

/// Hardphone: an open-source SIP desk phone. Without a command it runs the phone until SIGINT or
/// SIGTERM, then unregisters cleanly.
#[derive(Debug, Parser)]
#[command(name = "hardphone", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The configuration file (docs/CONFIG.md); without one the phone starts with no account.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Run without a screen, driven by the network only (the terminal deskphone is not built yet,
    /// so this is what the phone does either way for now).
    #[arg(long)]
    headless: bool,
    /// Where the phone keeps its state (its instance identifier); default
    /// `$HARDPHONE_STATE_DIR` or `~/.local/state/hardphone`.
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<std::path::PathBuf>,
    /// The control socket (`hardphone ctl`); default `ctl.sock` in the state directory.
    #[arg(long, value_name = "PATH", global = true)]
    socket: Option<std::path::PathBuf>,
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
    /// Drive a running phone: `status`, `dial URI`, `answer`, `hangup`, `hold`, `resume`,
    /// `dtmf DIGITS`, `transfer URI` (a call number may follow); `mute`, `unmute`,
    /// `conference N M`, `tone NAME|stop`, `ring NAME|stop`, `path handset|speaker|headset|off`,
    /// `volume WHICH LEVEL`. Prints one JSON line.
    Ctl {
        /// The request and its arguments.
        #[arg(required = true, num_args = 1.., trailing_var_arg = true)]
        words: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Lint { files }) => lint::run(&files, &mut std::io::stdout().lock()),
        Some(Command::CheckConfig { file }) => check_config(&file),
        Some(Command::Ctl { words }) => {
            let state_dir = cli.state_dir.unwrap_or_else(hardphone::run::default_state_dir);
            let socket = cli.socket.unwrap_or_else(|| hardphone::ctl::default_socket(&state_dir));
            hardphone::ctl::client(&socket, &words)
        }
        None => run_phone(cli.config.as_deref(), cli.state_dir, cli.socket),
    }
}

/// Runs the phone on a single-threaded tokio runtime, logging to stderr (`RUST_LOG` filters).
fn run_phone(
    config: Option<&std::path::Path>,
    state_dir: Option<std::path::PathBuf>,
    socket: Option<std::path::PathBuf>,
) -> ExitCode {
    // `RUST_LOG` as `level` or `target=level,...` (no regular expressions: a smaller phone).
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        let fmt = tracing_subscriber::fmt::layer().with_ansi(colour).with_writer(std::io::stderr);
        tracing_subscriber::registry().with(fmt).with(filter).init();
    }
    let config = match hardphone::run::load_config(config) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let state_dir = state_dir.unwrap_or_else(hardphone::run::default_state_dir);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(hardphone::run::run(config, &state_dir, socket)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
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
