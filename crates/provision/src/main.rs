//! `hardphone-provision`: the provisioning server's command line (docs/PROVISION-SERVER.md).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Serves Hardphone phones their configuration files over HTTPS.
#[derive(Parser)]
#[command(name = "hardphone-provision", version)]
struct Cli {
    /// The server's configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration, the inventory or MAC map, the TLS files and the database
    /// connection, then exit: 0 when everything is good, 2 when not.
    #[arg(long)]
    check: bool,
    /// Log debugging detail.
    #[arg(long, short)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Prints the configuration hash of up to three layer files (a missing option is an
    /// absent layer), as the phone sends it in X-Hardphone-Config-Hash.
    Hash {
        /// common.toml as served.
        #[arg(long)]
        common: Option<PathBuf>,
        /// model/<model>.toml as served.
        #[arg(long)]
        model: Option<PathBuf>,
        /// <mac>.toml as served.
        #[arg(long)]
        mac: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.verbose { tracing::Level::DEBUG } else { tracing::Level::INFO };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_max_level(level).with_ansi(ansi).with_writer(std::io::stderr).init();
    if let Some(Command::Hash { common, model, mac }) = &cli.command {
        return print_hash([common, model, mac]);
    }
    let Some(path) = cli.config else {
        eprintln!("hardphone-provision: --config FILE is needed");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(problem) => {
            eprintln!("hardphone-provision: cannot start the runtime: {problem}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(path, cli.check))
}

async fn run(path: PathBuf, check_only: bool) -> ExitCode {
    let config = match provision::ServerConfig::load(&path) {
        Ok(config) => config,
        Err(source) => return fail(&provision::ProvisionError::Config { path, source }),
    };
    if check_only {
        return match check(&config).await {
            Ok(()) => {
                println!("{}: good", path.display());
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        };
    }
    let running = match provision::start(&config).await {
        Ok(running) => running,
        Err(error) => return fail(&error),
    };
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(problem) => {
            eprintln!("hardphone-provision: cannot watch SIGTERM: {problem}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        () = running.wait() => ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted: stopping");
            ExitCode::SUCCESS
        }
        _ = terminate.recv() => {
            tracing::info!("terminated: stopping");
            ExitCode::SUCCESS
        }
    }
}

/// Loads everything the server would, and asks the database once.
async fn check(config: &provision::ServerConfig) -> Result<(), provision::ProvisionError> {
    let server = &config.server;
    if let (Some(cert), Some(key)) = (&server.tls_cert, &server.tls_key) {
        provision::tls::server_config(cert, key, server.client_ca.as_deref())?;
    }
    provision::service::Provisioner::new(config, std::time::Instant::now())?;
    if let provision::config::SourceConfig::Vicidial(vicidial) = &config.source {
        let db = provision::vicidial::VicidialDb::new(vicidial.url.expose(), std::time::Duration::ZERO)?;
        db.phones_of("", std::time::Instant::now()).await?;
        if !db.session_read_only().await? {
            tracing::warn!("the database session is not read-only");
        }
    }
    Ok(())
}

fn fail(error: &provision::ProvisionError) -> ExitCode {
    eprintln!("hardphone-provision: {error}");
    ExitCode::from(2)
}

fn print_hash(files: [&Option<PathBuf>; 3]) -> ExitCode {
    let mut layers = Vec::new();
    for file in files {
        match file.as_ref().map(std::fs::read).transpose() {
            Ok(bytes) => layers.push(bytes.unwrap_or_default()),
            Err(problem) => {
                eprintln!("hardphone-provision: {problem}");
                return ExitCode::from(2);
            }
        }
    }
    println!("{}", provision::config_hash(&layers[0], &layers[1], &layers[2]));
    ExitCode::SUCCESS
}
