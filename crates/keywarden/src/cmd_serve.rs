//! `keywarden serve`: the Git host, the REST API and the hook endpoint.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use keywarden_core::throttle::{FailureLimit, ThrottleConfig};
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
    /// This process's name in the scan queue; unique per process when several share one
    /// database (default: host, process id and a random suffix).
    #[arg(long, env = "KEYWARDEN_NODE_ID")]
    pub node_id: Option<String>,
    /// Seconds a running scan's lease lasts: a scan whose process died is taken over by another
    /// process after this long.
    #[arg(long, env = "KEYWARDEN_SCAN_LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub scan_lease_seconds: u64,
    /// How many times a scan is started before it is marked failed (each start whose process
    /// died counts).
    #[arg(long, env = "KEYWARDEN_SCAN_ATTEMPTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub scan_attempts: u32,
    /// How often (milliseconds) idle scan workers look for scans queued by other processes.
    #[arg(long, env = "KEYWARDEN_SCAN_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    pub scan_poll_ms: u64,
    /// Scan workers in this process (default: the `parallelScans` setting).
    #[arg(long, env = "KEYWARDEN_SCAN_WORKERS")]
    pub scan_workers: Option<u32>,
    /// SMTP server (`host:port`, plain SMTP) for mass-scan mails; without it, mail is off.
    #[arg(long, env = "KEYWARDEN_SMTP_SERVER")]
    pub smtp_server: Option<String>,
    /// The sender address of mails.
    #[arg(
        long,
        env = "KEYWARDEN_MAIL_FROM",
        default_value = "keywarden@localhost"
    )]
    pub mail_from: String,
    /// Seconds a branch scan may spend on one file; a file not finished by then keeps the
    /// findings so far and is counted as skipped.
    #[arg(
        long,
        env = "KEYWARDEN_SCAN_FILE_BUDGET_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub scan_file_budget_seconds: u64,
    /// The most findings a branch scan stores; those beyond are counted and reported as
    /// `findingsDropped` in the scan result.
    #[arg(
        long,
        env = "KEYWARDEN_SCAN_MAX_FINDINGS",
        default_value_t = 100_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub scan_max_findings: u64,
    /// The most megabytes the blob cache (each blob's findings per rule set, shared by every
    /// node on the database) keeps; the least recently used entries beyond are removed in the
    /// background, as are the entries of rule sets no longer in use.
    #[arg(
        long,
        env = "KEYWARDEN_SCAN_CACHE_MAX_MB",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub scan_cache_max_mb: u64,
    /// Failed password logins allowed in a row for one account name before it is locked out.
    #[arg(long, env = "KEYWARDEN_LOGIN_ACCOUNT_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_account_failures: u32,
    /// Seconds in which one more failed login comes back to a locked-out account.
    #[arg(long, env = "KEYWARDEN_LOGIN_ACCOUNT_REFILL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_account_refill_seconds: u64,
    /// Failed password logins allowed in a row from one source address before it is locked out.
    #[arg(long, env = "KEYWARDEN_LOGIN_SOURCE_FAILURES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_source_failures: u32,
    /// Seconds in which one more failed login comes back to a locked-out source address.
    #[arg(long, env = "KEYWARDEN_LOGIN_SOURCE_REFILL_SECONDS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_source_refill_seconds: u64,
    /// Test aid: milliseconds to pause after each scanned file.
    #[arg(long, env = "KEYWARDEN_SCAN_FILE_DELAY_MS", hide = true)]
    pub scan_file_delay_ms: Option<u64>,
}

/// Sets up logging: `RUST_LOG` or `info`, to stderr, as text or JSON lines, with the
/// log-level override of the REST API (`/rest/security/latest/loglevel`).
fn init_logging(json: bool) -> keywarden_core::logging::LogLevelControl {
    keywarden_core::logging::init(json)
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

/// A failed-login limit from its two options (both at least 1, as clap checks).
fn failure_limit(failures: u32, refill_seconds: u64) -> FailureLimit {
    FailureLimit::new(
        std::num::NonZeroU32::new(failures).unwrap_or(std::num::NonZeroU32::MIN),
        std::time::Duration::from_secs(refill_seconds),
    )
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    let log_level = init_logging(args.log_format == "json");
    // git runs the hook from inside each repository: every path must be absolute.
    args.data_dir = std::path::absolute(&args.data_dir)
        .with_context(|| format!("resolving {}", args.data_dir.display()))?;
    let mut config = Config::new(&args.data_dir);
    config.log_level = log_level;
    config.database =
        DatabaseLocation::from_url_or_data_dir(args.database_url.as_deref(), &args.data_dir);
    config.base_url = args.base_url.clone();
    config.admin_password = std::env::var("KEYWARDEN_ADMIN_PASSWORD").ok();
    config.hook_program = std::env::current_exe().context("locating the keywarden binary")?;
    if let Some(node) = &args.node_id {
        config.node_id = node.clone();
    }
    config.scan_lease = std::time::Duration::from_secs(args.scan_lease_seconds);
    config.scan_attempts = args.scan_attempts;
    config.scan_cache_max_bytes = args.scan_cache_max_mb.saturating_mul(1024 * 1024);
    config.scan_poll = std::time::Duration::from_millis(args.scan_poll_ms);
    config.scan_workers = args.scan_workers;
    config.smtp_server = args.smtp_server.clone();
    config.mail_from = args.mail_from.clone();
    config.scan_file_budget = std::time::Duration::from_secs(args.scan_file_budget_seconds);
    config.scan_max_findings = usize::try_from(args.scan_max_findings).unwrap_or(usize::MAX);
    config.scan_file_delay = args
        .scan_file_delay_ms
        .map(std::time::Duration::from_millis);
    config.login_throttle = ThrottleConfig {
        per_account: failure_limit(
            args.login_account_failures,
            args.login_account_refill_seconds,
        ),
        per_source: failure_limit(args.login_source_failures, args.login_source_refill_seconds),
    };
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
        move |listening| {
            let addr = listening.addr;
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
            if let Some(password) = &listening.admin_password {
                let _ = writeln!(
                    out,
                    "Sign in as admin with the password {password} (generated on this first start and shown only now; change it with `keywarden admin user passwd admin`)"
                );
            }
            let _ = out.flush();
        },
        shutdown,
    ))?;
    Ok(ExitCode::SUCCESS)
}
