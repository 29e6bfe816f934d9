//! `rimguard demo`: the WhatsApp bot's back end behind the full stack,
//! driven end to end.
//!
//! [`Demo::start`] loads `examples/rimguard.toml` (embedded in the binary),
//! points its audit file at a folder of the caller's choosing (through the
//! `RIMGUARD__AUDIT__FILE` override, as an operator would), builds the stack
//! with demo-only secrets, and serves the axum app of [`app`] on
//! `127.0.0.1:0`. [`drive`] then sends the requests that each protection
//! exists for and checks the answers; the end-to-end tests drive the same
//! code.

pub mod app;
mod drive;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rimguard::secrets::Resolver;
use rimguard::{BuildContext, Config, Stack};
use rimguard_core::ConfigError;
use tokio::net::TcpListener;

pub use drive::{Outcome, drive};

/// The demo's configuration, `examples/rimguard.toml`.
pub const CONFIG: &str = include_str!("../../../../examples/rimguard.toml");

/// Demo-only secret values, handed to the stack instead of the process
/// environment's. **They are public: never use them anywhere else.**
pub const DEMO_SECRETS: [(&str, &str); 4] = [
    ("RIMGUARD_DEMO_BOT_KEY", "rg_demo_bot_0123456789abcdef"),
    ("RIMGUARD_DEMO_ADMIN_KEY", "rg_demo_admin_fedcba9876543210"),
    (
        "RIMGUARD_DEMO_WA_APP_SECRET",
        "demo-only-whatsapp-app-secret",
    ),
    ("RIMGUARD_DEMO_WA_VERIFY_TOKEN", "demo-only-verify-token"),
];

/// The demo-only value of `name`.
pub fn demo_secret(name: &str) -> Option<&'static str> {
    DEMO_SECRETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// A running demo app.
#[derive(Debug)]
pub struct Demo {
    /// Where the app listens.
    pub addr: SocketAddr,
    /// The audit file.
    pub audit_file: PathBuf,
    /// The stack in front of the app (for its audit pipeline).
    pub stack: Stack,
}

impl Demo {
    /// Loads the configuration, builds the stack and serves the app on
    /// `127.0.0.1:0`, with the audit file in `audit_dir`.
    ///
    /// # Errors
    ///
    /// The configuration is refused, or the port cannot be bound.
    pub async fn start(audit_dir: &Path) -> Result<Self, String> {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(audit_dir, listen, true).await
    }

    /// As [`start`](Self::start), on `listen` (which must be a loopback
    /// address), and without the stack in front of the app when `stack`
    /// is false (the load test's baseline).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start), or a non-loopback address.
    pub async fn start_on(
        audit_dir: &Path,
        listen: SocketAddr,
        stack: bool,
    ) -> Result<Self, String> {
        if !listen.ip().is_loopback() {
            return Err("the demo listens on loopback addresses only".into());
        }
        let audit_file = audit_dir.join("rimguard.jsonl");
        let built = build_stack(&audit_file).map_err(|e| e.to_string())?;

        let store = Arc::new(store::Store::demo());
        let app = if stack {
            app::routes(store).layer(built.clone())
        } else {
            app::routes(store)
        };
        let listener = TcpListener::bind(listen).await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;

        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, service).await {
                tracing::error!(target: "rimguard::demo", %error, "the demo server stopped");
            }
        });
        Ok(Self {
            addr,
            audit_file,
            stack: built,
        })
    }
}

/// The demo's stack: `examples/rimguard.toml`, the audit file overridden
/// from the environment, secrets from [`DEMO_SECRETS`] (then the process
/// environment).
///
/// # Errors
///
/// Any [`ConfigError`] of the file or its layers.
pub fn build_stack(audit_file: &Path) -> Result<Stack, ConfigError> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.push((
        "RIMGUARD__AUDIT__FILE".into(),
        audit_file.display().to_string(),
    ));
    let config = Config::loader()
        .text("examples/rimguard.toml", CONFIG)
        .env_vars(vars)
        .load()?;

    let resolver = Resolver::new().without_keyring().with_env(|name| {
        demo_secret(name)
            .map(str::to_owned)
            .or_else(|| std::env::var(name).ok())
    });
    Stack::from_config_with(&config, &BuildContext::new().resolver(resolver))
}

/// How `rimguard demo` runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Keep serving after the tour.
    pub serve: bool,
    /// The address to listen on (loopback only); `127.0.0.1:0` by default.
    pub listen: Option<SocketAddr>,
    /// Drive the app through every protection first.
    pub tour: bool,
    /// Put the stack in front of the app (off only as a load-test baseline).
    pub stack: bool,
}

/// `rimguard demo`: starts the app, drives it, prints each answer with its
/// `curl` line, verifies the audit chain; with `serve`, keeps running.
///
/// # Errors
///
/// The demo could not start or a request could not be sent.
pub async fn run(options: Options) -> Result<std::process::ExitCode, String> {
    let dir = std::env::temp_dir().join(format!("rimguard-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let listen = options
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let demo = Demo::start_on(&dir, listen, options.stack).await?;
    if !options.tour {
        let with = if options.stack { "with" } else { "WITHOUT" };
        println!(
            "serving the demo app {with} the stack on http://{} until Ctrl-C",
            demo.addr
        );
        let _ = tokio::signal::ctrl_c().await;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let serve = options.serve;
    print_intro(&demo);

    let outcomes = drive(demo.addr).await?;
    let mut all_expected = true;
    for (i, outcome) in outcomes.iter().enumerate() {
        print_outcome(i + 1, outcome);
        all_expected &= outcome.as_expected();
    }

    let report = verify_audit(&demo)?;
    println!("\naudit: {report}");
    println!(
        "       check it yourself: cargo run -p rimguard-cli -- audit verify {}",
        demo.audit_file.display()
    );

    if serve {
        print_serving(&demo);
        let _ = tokio::signal::ctrl_c().await;
    }
    let verdict = if all_expected {
        "every protection answered as expected"
    } else {
        "SOME ANSWERS WERE NOT AS EXPECTED"
    };
    println!("\n{verdict}");
    Ok(if all_expected {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

/// Flushes the audit file and verifies its hash chain.
///
/// # Errors
///
/// The file cannot be flushed or read, or the chain is broken.
pub fn verify_audit(demo: &Demo) -> Result<String, String> {
    if let Some(audit) = demo.stack.audit() {
        audit
            .flush()
            .map_err(|e| format!("audit flush failed: {e}"))?;
    }
    let report = rimguard::audit::verify(&demo.audit_file).map_err(|e| e.to_string())?;
    if !report.is_intact() {
        return Err(format!("the audit chain is broken: {:?}", report.problem));
    }
    Ok(format!(
        "{} records in {}, hash chain intact",
        report.records,
        demo.audit_file.display()
    ))
}

fn print_intro(demo: &Demo) {
    println!(
        "rimguard demo: the RimTyres WhatsApp bot back end on http://{}",
        demo.addr
    );
    println!("behind the stack of examples/rimguard.toml:");
    println!("  every request: {}", demo.stack.layer_names().join(" -> "));
    for route in demo.stack.routes() {
        println!(
            "  route {:<16} {}",
            route.name(),
            route.layer_names().join(" -> ")
        );
    }
}

fn print_outcome(n: usize, outcome: &Outcome) {
    let mark = if outcome.as_expected() {
        "ok"
    } else {
        "UNEXPECTED"
    };
    println!("\n{n:>2}. {} -> {} [{mark}]", outcome.label, outcome.status);
    for name in ["retry-after", "ratelimit-policy", "ratelimit", "location"] {
        if let Some(value) = outcome.headers.get(name).and_then(|v| v.to_str().ok()) {
            println!("    {name}: {value}");
        }
    }
    let body: String = outcome.body.chars().take(160).collect();
    if !body.is_empty() {
        println!("    {body}");
    }
    println!("    $ {}", outcome.curl);
}

fn print_serving(demo: &Demo) {
    println!(
        "\nserving on http://{} until Ctrl-C; for the curl lines above:",
        demo.addr
    );
    for (name, value) in DEMO_SECRETS {
        println!("  export {name}={value}   # demo-only value");
    }
    println!("  BODY='<the notification JSON above>'");
    println!(
        "  SIGNATURE=\"sha256=$(printf '%s' \"$BODY\" | openssl dgst -sha256 -hmac \"$RIMGUARD_DEMO_WA_APP_SECRET\" -r | cut -d' ' -f1)\""
    );
}
