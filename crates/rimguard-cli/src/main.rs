//! `rimguard`: the whole security stack in front of any HTTP service.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rimguard::Config;
use rimguard_cli::gateway::Gateway;

/// rimguard: security middleware in front of any HTTP service.
#[derive(Debug, Parser)]
#[command(name = "rimguard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway: the stack of FILE in front of its upstream.
    Serve {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Check a configuration file: parse it and build every layer.
    Check {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rimguard: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("rimguard: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Serve { config } => serve(config).await,
        Command::Check { config } => check(&config),
    }
}

fn load(path: &PathBuf) -> Result<Config, String> {
    Config::loader()
        .file(path)
        .load()
        .map_err(|e| e.to_string())
}

fn check(path: &PathBuf) -> Result<ExitCode, String> {
    let config = load(path)?;
    let stack = rimguard::Stack::from_config(&config).map_err(|e| e.to_string())?;
    if config.gateway.is_some() {
        Gateway::from_config(&config).map_err(|e| e.to_string())?;
    }
    println!("{}: ok", path.display());
    println!("  stack-wide layers: {}", stack.layer_names().join(", "));
    for route in stack.routes() {
        println!(
            "  route {}: {}",
            route.name(),
            route.layer_names().join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(path: PathBuf) -> Result<ExitCode, String> {
    let config = load(&path)?;
    let gateway = Gateway::from_config(&config).map_err(|e| e.to_string())?;
    let listener = gateway
        .bind()
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(target: "rimguard::gateway", %local, "listening");

    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    gateway
        .serve(listener, shutdown)
        .await
        .map_err(|e| format!("serving failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RIMGUARD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
