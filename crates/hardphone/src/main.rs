//! The Hardphone binary: the I/O edge around the sans-IO crates.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod lint;

/// Hardphone: an open-source SIP desk phone. Without a command it runs the phone until SIGINT or
/// SIGTERM (or `q` on the terminal deskphone), then unregisters cleanly. When its output is a
/// terminal it is the terminal deskphone (screen, soft keys, line keys with lamps, keypad; the
/// log goes to `hardphone.log` in the state directory); otherwise, or with `--headless`, it runs
/// with the control interface only, logging to stderr.
#[derive(Debug, Parser)]
#[command(name = "hardphone", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The configuration file (docs/CONFIG.md); without one the phone starts with no account.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Run without a screen, driven by the network and the control interface only (`hardphone
    /// ctl`), logging to stderr; without it a phone whose output is a terminal shows the terminal
    /// deskphone.
    #[arg(long)]
    headless: bool,
    /// Where the phone keeps its state (its instance identifier); default
    /// `$HARDPHONE_STATE_DIR` or `~/.local/state/hardphone`.
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<std::path::PathBuf>,
    /// The control socket (`hardphone ctl`); default `ctl.sock` in the state directory.
    #[arg(long, value_name = "PATH", global = true)]
    socket: Option<std::path::PathBuf>,
    /// The provisioning server's base URL (docs/PROVISIONING.md); overrides
    /// `[provisioning] url` and the DHCP hint.
    #[arg(long, value_name = "URL", value_parser = parse_provisioning_url)]
    provisioning_url: Option<phone::provisioning::BaseUrl>,
}

fn parse_provisioning_url(text: &str) -> Result<phone::provisioning::BaseUrl, String> {
    phone::provisioning::BaseUrl::parse(text).map_err(|e| e.to_string())
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
        None => {
            let terminal = !cli.headless && std::io::IsTerminal::is_terminal(&std::io::stdout());
            run_phone(cli.config.as_deref(), cli.state_dir, cli.socket, terminal, cli.provisioning_url)
        }
    }
}

/// Logs at `RUST_LOG` (`level` or `target=level,...`; no regular expressions: a smaller phone)
/// to `file`, or to stderr.
fn init_logging(file: Option<std::fs::File>) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(filter);
    match file {
        Some(file) => {
            let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(std::sync::Arc::new(file));
            registry.with(fmt).init();
        }
        None => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
            registry.with(tracing_subscriber::fmt::layer().with_ansi(colour).with_writer(std::io::stderr)).init();
        }
    }
}

/// The log file of the terminal deskphone, `<state_dir>/hardphone.log` (appended to).
fn open_log(state_dir: &std::path::Path) -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    std::fs::create_dir_all(state_dir)?;
    let path = state_dir.join("hardphone.log");
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((file, path))
}

/// Runs the phone on a single-threaded tokio runtime: as the terminal deskphone (`terminal`,
/// logging to `<state_dir>/hardphone.log`), or headless (logging to stderr).
fn run_phone(
    config: Option<&std::path::Path>,
    state_dir: Option<std::path::PathBuf>,
    socket: Option<std::path::PathBuf>,
    terminal: bool,
    provisioning_url: Option<phone::provisioning::BaseUrl>,
) -> ExitCode {
    let state_dir = state_dir.unwrap_or_else(hardphone::run::default_state_dir);
    let log = if terminal {
        match open_log(&state_dir) {
            Ok(log) => Some(log),
            Err(error) => {
                eprintln!("cannot open the log file in {}: {error}", state_dir.display());
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let log_path = log.as_ref().map(|(_, path)| path.display().to_string());
    init_logging(log.map(|(file, _)| file));
    let store = match hardphone::config_store::ConfigStore::load(config, &state_dir) {
        Ok(store) => store,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (front, tui) = match log_path.as_deref().map(hardphone::tui::start) {
        Some(Ok((front, tui))) => (Some(front), Some(tui)),
        Some(Err(error)) => {
            eprintln!("cannot start the terminal deskphone: {error}");
            return ExitCode::FAILURE;
        }
        None => (None, None),
    };
    let result = runtime.block_on(hardphone::run::run(store, &state_dir, socket, front, provisioning_url));
    if let Some(tui) = tui {
        tui.join();
    }
    match result {
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
