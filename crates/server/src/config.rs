//! The server's configuration.

use std::path::{Path, PathBuf};

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

fn repository_path(root: &Path, disk_name: &str) -> PathBuf {
    root.join(format!("{disk_name}.git"))
}
