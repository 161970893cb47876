//! `keywarden serve`: the Git host, the REST API and the hook endpoint.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use keywarden_server::Config;
use keywarden_store::DatabaseLocation;

/// Arguments of `keywarden serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data directory: database (SQLite), repositories, hooks.
    #[arg(long, env = "KEYWARDEN_DATA_DIR", default_value = "./keywarden-data")]
    pub data_dir: PathBuf,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "KEYWARDEN_BIND", default_value = "127.0.0.1:7990")]
    pub bind: String,
    /// Database URL: `postgres://...` for PostgreSQL; default SQLite in the data directory.
    #[arg(long, env = "KEYWARDEN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Public base URL for links and clone URLs (default: from each request's Host header).
    #[arg(long, env = "KEYWARDEN_BASE_URL")]
    pub base_url: Option<String>,
    /// Log format on stderr: `text` or `json` (one JSON object per line). Level from `RUST_LOG`.
    #[arg(long, env = "KEYWARDEN_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

/// Sets up logging: `RUST_LOG` or `info`, to stderr, as text or JSON lines, with the
/// log-level override of the REST API (`/rest/security/latest/loglevel`).
fn init_logging(json: bool) -> keywarden_server::logging::LogLevelControl {
    keywarden_server::logging::init(json)
}

/// A future that completes on Ctrl-C or SIGTERM. The handlers are installed now, not when the
/// future is first polled, so a signal that arrives while the server starts is not lost.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let log_level = init_logging(args.log_format == "json");
    let mut config = Config::new(&args.data_dir);
    config.log_level = log_level;
    config.database =
        DatabaseLocation::from_url_or_data_dir(args.database_url.as_deref(), &args.data_dir);
    config.base_url = args.base_url.clone();
    config.admin_password = std::env::var("KEYWARDEN_ADMIN_PASSWORD").ok();
    config.hook_program = std::env::current_exe().context("locating the keywarden binary")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let data_dir = args.data_dir.clone();
    let base_url = args.base_url.clone();
    let shutdown = {
        let _guard = runtime.enter();
        shutdown_signal()?
    };
    runtime.block_on(keywarden_server::run(
        config,
        &args.bind,
        move |addr| {
            let base = base_url.unwrap_or_else(|| format!("http://{addr}"));
            // Not println!: a closed stdout must not take the server down.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "Keywarden is listening on {base} (data in {})",
                data_dir.display()
            );
            let _ = writeln!(out, "Push with: git push {base}/scm/<PROJECT>/<repo>.git");
            let _ = writeln!(out, "Health check: {base}/status");
            let _ = out.flush();
        },
        shutdown,
    ))?;
    Ok(ExitCode::SUCCESS)
}
