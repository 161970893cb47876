//! The server's configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use keywarden_store::DatabaseLocation;

/// What `keywarden serve` (or a test) decides before the server starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory: database (SQLite), repositories, hooks.
    pub data_dir: PathBuf,
    /// Where the database is (SQLite in the data directory by default).
    pub database: DatabaseLocation,
    /// The program the pre-receive hook runs as `<program> hook pre-receive` (the `keywarden`
    /// binary; `std::env::current_exe()` when run from it).
    pub hook_program: PathBuf,
    /// The `git` program used for smart HTTP and repository management.
    pub git_program: PathBuf,
    /// The public base URL (`http://host:port`), for links, clone URLs and the XSRF rule; when
    /// `None`, taken from each request's `Host` header.
    pub base_url: Option<String>,
    /// The bootstrap admin's password (from `KEYWARDEN_ADMIN_PASSWORD`); generated and printed
    /// once when `None`.
    pub admin_password: Option<String>,
    /// The log-level override handle (SPEC 9 `loglevel`); the binary passes the one of the
    /// installed subscriber ([`crate::logging::init`]), tests get a detached one.
    pub log_level: crate::logging::LogLevelControl,
    /// This process's name in the scan queue (it holds the leases of the scans it runs); unique
    /// per process when several share one database.
    pub node_id: String,
    /// How long a running scan's lease lasts without renewal: a scan whose process died is
    /// taken over by another process after this long.
    pub scan_lease: Duration,
    /// How many times a scan is started before it is marked failed: each start whose process
    /// died (or was stopped without handing the scan back) counts.
    pub scan_attempts: u32,
    /// How often idle scan workers look for scans queued by other processes.
    pub scan_poll: Duration,
    /// Scan workers in this process; `None` uses the `parallelScans` setting.
    pub scan_workers: Option<u32>,
    /// SMTP server (`host:port`, plain SMTP) for mass-scan mails; mail is off when `None`.
    pub smtp_server: Option<String>,
    /// The sender address of mails.
    pub mail_from: String,
    /// The most time a branch scan spends matching one file; a file not finished by then
    /// keeps the findings so far and counts as skipped, so one file cannot hold up the queue.
    pub scan_file_budget: Duration,
    /// The most findings a branch scan stores; those beyond are counted and reported
    /// (`findingsDropped`), so a rule that matches every line cannot fill the database.
    pub scan_max_findings: usize,
    /// The most bytes the blob cache keeps in the database; the least recently used entries
    /// beyond are removed in the background.
    pub scan_cache_max_bytes: u64,
    /// Test aid: a pause after each scanned file, so that tests can watch and interrupt
    /// running scans.
    pub scan_file_delay: Option<Duration>,
    /// The limits of failed password logins per account and per source address.
    pub login_throttle: crate::throttle::ThrottleConfig,
}

impl Config {
    /// Defaults for a data directory: SQLite inside it, this executable as the hook program.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        Self {
            database: DatabaseLocation::from_url_or_data_dir(None, &data_dir),
            data_dir,
            hook_program: std::env::current_exe().unwrap_or_else(|_| "keywarden".into()),
            git_program: "git".into(),
            base_url: None,
            admin_password: None,
            log_level: crate::logging::LogLevelControl::new(),
            node_id: default_node_id(),
            scan_lease: Duration::from_secs(30),
            scan_attempts: 3,
            scan_poll: Duration::from_secs(1),
            scan_workers: None,
            smtp_server: None,
            mail_from: "keywarden@localhost".into(),
            scan_file_budget: Duration::from_secs(30),
            scan_max_findings: 100_000,
            scan_cache_max_bytes: 1024 * 1024 * 1024,
            scan_file_delay: None,
            login_throttle: crate::throttle::ThrottleConfig::default(),
        }
    }

    /// The directory of the bare repositories.
    pub fn repositories_dir(&self) -> PathBuf {
        self.data_dir.join("repositories")
    }

    /// The directory given to git as `core.hooksPath` for pushes.
    pub fn hooks_dir(&self) -> PathBuf {
        self.data_dir.join("hooks")
    }

    /// The on-disk path of a repository by its directory name.
    pub fn repository_path(&self, disk_name: &str) -> PathBuf {
        repository_path(&self.repositories_dir(), disk_name)
    }
}

/// `host-pid-random`: unique per process.
fn default_node_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        crate::credentials::random_hex(3)
    )
}

fn repository_path(root: &Path, disk_name: &str) -> PathBuf {
    root.join(format!("{disk_name}.git"))
}
