//! `rimguard`: the whole security stack in front of any HTTP service.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rimguard::Config;
use rimguard_cli::commands;
use rimguard_cli::gateway::Gateway;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Keyring entries: set, get, delete; check a file's secrets.
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Audit files.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Phone numbers.
    Phone {
        #[command(subcommand)]
        command: PhoneCommand,
    },
    /// Run the WhatsApp bot demo behind the full stack and show each
    /// protection at work.
    Demo {
        /// Keep serving after the tour, for your own `curl`s.
        #[arg(long)]
        serve: bool,
        /// Listen on this address instead of 127.0.0.1:0 (loopback only).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Skip the tour and only serve (for load tests).
        #[arg(long, requires = "serve")]
        no_tour: bool,
        /// Serve the app without the stack, as a baseline (for load tests).
        #[arg(long, requires = "no_tour")]
        no_stack: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SecretCommand {
    /// Store a value (read from standard input) as SERVICE/USER in the OS
    /// credential store.
    Set {
        /// The entry, such as `rimguard/bot_key`.
        entry: String,
    },
    /// Say whether SERVICE/USER is there; print it only with `--show`.
    Get {
        /// The entry, such as `rimguard/bot_key`.
        entry: String,
        /// Print the value itself.
        #[arg(long)]
        show: bool,
    },
    /// Delete SERVICE/USER.
    Delete {
        /// The entry, such as `rimguard/bot_key`.
        entry: String,
    },
    /// Load every secret a configuration file names, from its sources.
    Check {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the hash chain of audit files (oldest first).
    Verify {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum PhoneCommand {
    /// Parse numbers strictly and print their E.164, type and formats.
    Normalize {
        /// The region of numbers written without `+`, such as `GB`.
        #[arg(long)]
        region: Option<String>,
        /// The inputs are WhatsApp ids: print the candidate numbers.
        #[arg(long)]
        whatsapp: bool,
        /// The numbers.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        // `serve` starts logging once the stack is built, through its redactor.
        Command::Serve { .. } => {}
        Command::Demo { .. } => init_tracing("error", None),
        _ => init_tracing("info", None),
    }
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
        Command::Demo {
            serve,
            listen,
            no_tour,
            no_stack,
        } => {
            let options = rimguard_cli::demo::Options {
                serve,
                listen,
                tour: !no_tour,
                stack: !no_stack,
            };
            rimguard_cli::demo::run(options).await
        }
        Command::Secret { command } => match command {
            SecretCommand::Set { entry } => commands::secret_set(&entry),
            SecretCommand::Get { entry, show } => commands::secret_get(&entry, show),
            SecretCommand::Delete { entry } => commands::secret_delete(&entry),
            SecretCommand::Check { config } => commands::secret_check(&config),
        },
        Command::Audit {
            command: AuditCommand::Verify { files },
        } => commands::audit_verify(&files),
        Command::Phone {
            command:
                PhoneCommand::Normalize {
                    region,
                    whatsapp,
                    numbers,
                },
        } => commands::phone_normalize(&numbers, region.as_deref(), whatsapp),
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
    init_tracing("info", gateway.stack().redactor().cloned());
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

/// Logs to standard error; through the redactor's scrubbing writer when
/// there is one, so no secret or personal data reaches the log.
fn init_tracing(default: &str, redactor: Option<rimguard::redact::Redactor>) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("RIMGUARD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match redactor {
        Some(redactor) => {
            let writer = rimguard::redact::ScrubbingMakeWriter::new(std::io::stderr, redactor);
            builder.with_ansi(false).with_writer(writer).init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
}
