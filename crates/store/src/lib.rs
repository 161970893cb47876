//! Persistence for Keywarden: one [`Store`] interface with two backends, SQLite (the embedded
//! default, in the data directory) and PostgreSQL.
//!
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`), applied
//! when the store is opened. Queries are checked at run time (no `query!` macros), and the SQL
//! text is shared: both engines accept `$N` placeholders, `LIKE ... ESCAPE`, `RETURNING` and
//! `ON CONFLICT`, so the two implementations are generated from one body
//! and differ only in their pool type and migrations.
//!
//! The interface is split by area: each folder (`users`, `projects`, `permissions`,
//! `settings`, `rules`, `audit`, `blobs`, `scans`, `status`, `sessions`) holds one trait in its `mod.rs`
//! and, in its `sql.rs`, that trait's SQL and the macro implementing it for a backend.
//! [`Store`] is all of them together; `sql.rs` at the root implements it.
//!
//! Writes that belong together (a user and their personal project; a project's deletion and the
//! check that it is empty) run in one transaction.
//!
//! Lists are paged in SQL: every `list_*` method takes a [`PageRequest`] and reads one row more
//! than asked, to tell whether the page is the last. Name filters are case-insensitive
//! substring matches on a lower-cased column.

#![deny(missing_docs)]

mod audit;
mod blobs;
mod error;
mod jobs;
mod model;
mod open;
mod page;
mod permissions;
mod postgres;
mod projects;
mod rules;
mod scans;
mod sessions;
mod settings;
mod sql;
mod sqlite;
mod status;
mod users;

use async_trait::async_trait;

pub use audit::AuditStore;
pub use blobs::{BlobCacheStats, BlobStore, CachedBlob};
pub use error::{Result, StoreError};
pub use jobs::{Job, JobKind, JobStore};
pub use model::{
    AccessLevel, AccessToken, AuditEvent, Grants, HookScope, HookSetting, NewAuditEvent,
    NewProject, NewRepository, NewToken, NewUser, Project, ProjectKind, Repository, User,
    UserGrant, Viewer,
};
pub use open::{DatabaseLocation, open};
pub use page::{Page, PageRequest};
pub use permissions::PermissionStore;
pub use postgres::PostgresStore;
pub use projects::ProjectStore;
pub use rules::RuleStore;
pub use rules::{CustomRule, NewCustomRule, NewReviewed, ReviewedEntry, RuleBudgetCounts};
pub use scans::ScanStore;
pub use scans::{
    BranchStatusRow, ExportFilter, ExportRow, FinishedBatch, MassTarget, NewScan, ProjectStatusRow,
    RepositoryStatusRow, Scan, ScanFinding, ScanOutcome, ScanReason, ScanState,
};
pub use sessions::SessionStore;
pub use sessions::UiSession;
pub use settings::SettingStore;
pub use sqlite::SqliteStore;
pub use status::StatusStore;
pub use users::UserStore;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Everything the server persists, one trait per area. Implemented once per backend.
#[async_trait]
pub trait Store:
    UserStore
    + ProjectStore
    + PermissionStore
    + SettingStore
    + RuleStore
    + AuditStore
    + BlobStore
    + JobStore
    + ScanStore
    + StatusStore
    + SessionStore
    + Send
    + Sync
    + 'static
{
    /// The engine behind this store.
    fn backend(&self) -> Backend;

    /// Closes the connection pool (waits for connections in use).
    async fn close(&self);
}

/// Milliseconds since the Unix epoch, the store's time format.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
