//! Persistence for Keywarden: one [`Store`] interface with two backends, SQLite (the embedded
//! default, in the data directory) and PostgreSQL.
//!
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`), applied
//! when the store is opened. Queries are checked at run time (no `query!` macros), and the SQL
//! text is shared: both engines accept `$N` placeholders, `LIKE ... ESCAPE`, `RETURNING` and
//! `ON CONFLICT`, so the two implementations are generated from one body
//! (see `backend.rs`) and differ only in their pool type and migrations.
//!
//! Writes that belong together (a user and their personal project; a project's deletion and the
//! check that it is empty) run in one transaction.
//!
//! Lists are paged in SQL: every `list_*` method takes a [`PageRequest`] and reads one row more
//! than asked, to tell whether the page is the last. Name filters are case-insensitive
//! substring matches on a lower-cased column.

#![deny(missing_docs)]

mod backend;
mod error;
mod model;
mod open;
mod page;
mod postgres;
mod rules_model;
mod scan_model;
mod session_model;
mod sqlite;

use async_trait::async_trait;

pub use error::{Result, StoreError};
pub use model::{
    AccessLevel, AccessToken, AuditEvent, Grants, HookScope, HookSetting, NewAuditEvent,
    NewProject, NewRepository, NewToken, NewUser, Project, ProjectKind, Repository, User,
    UserGrant, Viewer,
};
pub use open::{DatabaseLocation, open};
pub use page::{Page, PageRequest};
pub use postgres::PostgresStore;
pub use rules_model::{CustomRule, NewCustomRule, NewReviewed, ReviewedEntry, RuleBudgetCounts};
pub use scan_model::{
    BranchStatusRow, ExportFilter, ExportRow, FinishedBatch, NewScan, ProjectStatusRow,
    RepositoryStatusRow, Scan, ScanFinding, ScanOutcome, scan_state,
};
pub use session_model::UiSession;
pub use sqlite::SqliteStore;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Everything the server persists. Implemented once per backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The engine behind this store.
    fn backend(&self) -> Backend;

    /// Closes the connection pool (waits for connections in use).
    async fn close(&self);

    // ---- users ----

    /// Number of users (0 on a fresh database: time to bootstrap the admin).
    async fn count_users(&self) -> Result<i64>;
    /// Creates a user and their personal project `~NAME`, in one transaction.
    /// [`StoreError::Conflict`] if the name (case-insensitively) is taken.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// The user with this name, matched case-insensitively.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;
    /// The user with this id.
    async fn user_by_id(&self, id: i64) -> Result<Option<User>>;
    /// Users whose name or display name contains `filter` (case-insensitive), by name.
    async fn list_users(&self, filter: Option<&str>, page: PageRequest) -> Result<Page<User>>;
    /// Replaces a user's password hash.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;
    /// Grants or revokes global administration.
    async fn set_admin(&self, user_id: i64, admin: bool) -> Result<()>;
    /// Deletes a user with their tokens, grants and personal project; returns the repositories
    /// of that personal project, whose directories the caller removes from disk.
    async fn delete_user(&self, user_id: i64) -> Result<Vec<Repository>>;

    // ---- personal access tokens ----

    /// Stores a new token's hash under its public `key_id`.
    async fn create_token(&self, token: NewToken<'_>) -> Result<AccessToken>;
    /// The token with this `key_id` and its stored hash.
    async fn token_by_key(&self, key_id: &str) -> Result<Option<(AccessToken, String)>>;
    /// A user's tokens, newest first.
    async fn list_tokens(&self, user_id: i64) -> Result<Vec<AccessToken>>;
    /// Records that a token authenticated a request at `at` (milliseconds since the epoch).
    async fn touch_token(&self, token_id: i64, at: i64) -> Result<()>;
    /// Deletes one of a user's tokens.
    async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<()>;

    // ---- projects ----

    /// Creates a normal project. [`StoreError::Conflict`] if the key is taken.
    async fn create_project(&self, project: NewProject) -> Result<Project>;
    /// The project with this key, matched case-insensitively (`~alice` finds `~ALICE`).
    async fn project_by_key(&self, key: &str) -> Result<Option<Project>>;
    /// The project with this id.
    async fn project_by_id(&self, id: i64) -> Result<Option<Project>>;
    /// Normal (not personal) projects the viewer can see, whose name contains `name`, by key.
    async fn list_projects(
        &self,
        viewer: Viewer,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Project>>;
    /// Changes a project's name and description.
    async fn update_project(
        &self,
        id: i64,
        name: &str,
        description: Option<&str>,
    ) -> Result<Project>;
    /// Deletes an empty project; [`StoreError::Conflict`] if it still has repositories.
    async fn delete_project(&self, id: i64) -> Result<()>;

    // ---- repositories ----

    /// Creates a repository row (its directory exists already).
    /// [`StoreError::Conflict`] if the slug is taken in the project.
    async fn create_repository(&self, repository: NewRepository) -> Result<Repository>;
    /// The repository with this slug in a project.
    async fn repository_by_slug(&self, project_id: i64, slug: &str) -> Result<Option<Repository>>;
    /// The repository with this id.
    async fn repository_by_id(&self, id: i64) -> Result<Option<Repository>>;
    /// Repositories of a project the viewer can read, whose name contains `name`, by name.
    async fn list_repositories(
        &self,
        project_id: i64,
        viewer: Viewer,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Repository>>;
    /// Deletes a repository row with its grants.
    async fn delete_repository(&self, id: i64) -> Result<()>;

    // ---- permissions ----

    /// Sets a user's grant on a project (replacing any previous one).
    async fn grant_project(&self, project_id: i64, user_id: i64, level: AccessLevel) -> Result<()>;
    /// Removes a user's grant on a project (no error if there was none).
    async fn revoke_project(&self, project_id: i64, user_id: i64) -> Result<()>;
    /// The grants on a project, for users whose name contains `filter`, by user name.
    async fn project_grants(
        &self,
        project_id: i64,
        filter: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UserGrant>>;
    /// Sets a user's grant on a repository (replacing any previous one).
    async fn grant_repository(
        &self,
        repository_id: i64,
        user_id: i64,
        level: AccessLevel,
    ) -> Result<()>;
    /// Removes a user's grant on a repository (no error if there was none).
    async fn revoke_repository(&self, repository_id: i64, user_id: i64) -> Result<()>;
    /// The grants on a repository, for users whose name contains `filter`, by user name.
    async fn repository_grants(
        &self,
        repository_id: i64,
        filter: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UserGrant>>;
    /// A user's explicit grants on a project and optionally one of its repositories, in one query.
    async fn grants(
        &self,
        user_id: i64,
        project_id: i64,
        repository_id: Option<i64>,
    ) -> Result<Grants>;

    // ---- settings ----

    /// A server-wide setting (a JSON text by convention).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Writes a server-wide setting.
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;
    /// Adds `by` to an integer setting (0 when missing) in one statement and returns the new
    /// value; safe against concurrent writers (e.g. the configuration generation).
    async fn increment_setting(&self, key: &str, by: i64) -> Result<i64>;

    // ---- rules and reviewed findings ----

    /// Built-in rules toggled globally: `(name, enabled)`; a rule without a row is enabled.
    async fn builtin_rule_states(&self) -> Result<Vec<(String, bool)>>;
    /// Enables or disables a built-in rule globally (by its canonical name).
    async fn set_builtin_rule_enabled(&self, name: &str, enabled: bool) -> Result<()>;
    /// Every global custom rule, by id.
    async fn list_custom_rules(&self) -> Result<Vec<CustomRule>>;
    /// One custom rule.
    async fn custom_rule(&self, id: i64) -> Result<Option<CustomRule>>;
    /// Creates a custom rule. [`StoreError::Conflict`] if the name is taken.
    async fn create_custom_rule(&self, rule: NewCustomRule) -> Result<CustomRule>;
    /// Replaces a custom rule's name, regex and flags and clears its validation error.
    /// [`StoreError::NotFound`] for an unknown id, [`StoreError::Conflict`] for a taken name.
    async fn update_custom_rule(&self, id: i64, rule: NewCustomRule) -> Result<CustomRule>;
    /// Deletes a custom rule; [`StoreError::NotFound`] for an unknown id.
    async fn delete_custom_rule(&self, id: i64) -> Result<()>;
    /// Sets (`Some`) or clears (`None`) a custom rule's validation error.
    /// [`StoreError::NotFound`] for an unknown id.
    async fn set_custom_rule_error(&self, id: i64, error: Option<&str>) -> Result<()>;
    /// Records that a global custom rule ran out of its matching budget in a scan or a push of
    /// a repository, at `at` (milliseconds since the Unix epoch).
    async fn add_rule_budget_event(&self, rule_id: i64, repository_id: i64, at: i64) -> Result<()>;
    /// The budget overrun counters of every custom rule that has any, by rule id;
    /// [`RuleBudgetCounts::repositories`] counts the repositories with an overrun at or after
    /// `since`.
    async fn rule_budget_counts(&self, since: i64) -> Result<Vec<RuleBudgetCounts>>;
    /// Forgets a custom rule's budget overruns (its error was cleared or it was edited);
    /// returns how many were deleted.
    async fn clear_rule_budget_events(&self, rule_id: i64) -> Result<u64>;
    /// Marks a match text reviewed in a repository; `false` if it already was (unchanged).
    async fn add_repository_reviewed(&self, repository_id: i64, entry: NewReviewed)
    -> Result<bool>;
    /// Unmarks a match text in a repository; `false` if it was not marked.
    async fn delete_repository_reviewed(
        &self,
        repository_id: i64,
        match_text: &str,
    ) -> Result<bool>;
    /// Unmarks every match text of a repository; returns how many.
    async fn clear_repository_reviewed(&self, repository_id: i64) -> Result<u64>;
    /// A repository's reviewed entries, by match text.
    async fn list_repository_reviewed(&self, repository_id: i64) -> Result<Vec<ReviewedEntry>>;
    /// Marks match texts reviewed globally, in one transaction; entries already present are left
    /// unchanged. Returns how many were added.
    async fn add_global_reviewed(&self, entries: Vec<NewReviewed>) -> Result<u64>;
    /// Unmarks match texts globally, in one transaction; returns how many were removed.
    async fn delete_global_reviewed(&self, match_texts: Vec<String>) -> Result<u64>;
    /// Unmarks every global entry; returns how many.
    async fn clear_global_reviewed(&self) -> Result<u64>;
    /// Every global entry, by match text.
    async fn list_global_reviewed(&self) -> Result<Vec<ReviewedEntry>>;

    // ---- security hook settings ----

    /// The explicit hook setting at a scope, or `None` when it inherits.
    async fn hook_setting(&self, scope: HookScope) -> Result<Option<HookSetting>>;
    /// Sets the explicit hook setting at a scope (replacing any previous one).
    async fn put_hook_setting(&self, scope: HookScope, setting: HookSetting) -> Result<()>;
    /// Removes the explicit setting at a scope (back to inherited); no error if there was none.
    async fn delete_hook_setting(&self, scope: HookScope) -> Result<()>;

    // ---- audit log ----

    /// Records an audit event.
    async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent>;
    /// A page of the audit log, newest first.
    async fn list_audit(&self, page: PageRequest) -> Result<Page<AuditEvent>>;

    // ---- scans and status ----

    /// Replaces a repository's branch rows with `branches` (`(full name, tip)`), keeping the
    /// scan state of branches that remain.
    async fn sync_branches(
        &self,
        repository_id: i64,
        default_branch: &str,
        branches: &[(String, String)],
    ) -> Result<()>;
    /// `(full name, tip, is default)` of every branch row of a repository.
    async fn branch_tips(&self, repository_id: i64) -> Result<Vec<(String, String, bool)>>;
    /// Sets one branch's tip (`None`: deletes its row) only while its recorded tip is
    /// `expected` (`None`: no row), so writers that raced on one branch never overwrite a newer
    /// tip with an older one. False when the recorded tip was another.
    async fn set_branch_tip(
        &self,
        repository_id: i64,
        default_branch: &str,
        name: &str,
        expected: Option<&str>,
        tip: Option<&str>,
    ) -> Result<bool>;
    /// Queues a scan; a tree scan also becomes its branch's latest scan.
    async fn enqueue_scan(&self, scan: NewScan) -> Result<Scan>;
    /// The scan with this key.
    async fn scan_by_key(&self, scan_key: &str) -> Result<Option<Scan>>;
    /// The newest scan of a branch in one of `states` (any state when empty).
    async fn latest_scan(
        &self,
        repository_id: i64,
        branch: &str,
        history: bool,
        states: &[&str],
    ) -> Result<Option<Scan>>;
    /// Takes the oldest queued scan, or a running one whose lease expired before `now`, for
    /// `node` until `now + lease_ms`. Concurrent callers (also in other processes) never take
    /// the same scan.
    async fn claim_scan(&self, node: &str, now: i64, lease_ms: i64) -> Result<Option<Scan>>;
    /// Records what a claimed scan scans. False when `node` no longer holds it.
    async fn start_scan(
        &self,
        id: i64,
        node: &str,
        commit_id: &str,
        generation: i64,
        rules_identity: &str,
        config_error: Option<&str>,
    ) -> Result<bool>;
    /// Extends the lease and records progress. False when `node` no longer holds the scan
    /// (cancelled, or taken over): the worker stops.
    async fn renew_scan(
        &self,
        id: i64,
        node: &str,
        lease_until: i64,
        files_done: i64,
        files_total: i64,
    ) -> Result<bool>;
    /// Stores the results and marks the scan done, in one transaction. False (and nothing
    /// written) when `node` no longer holds it.
    async fn finish_scan(&self, id: i64, node: &str, outcome: ScanOutcome) -> Result<bool>;
    /// Marks a held scan failed.
    async fn fail_scan(&self, id: i64, node: &str, error: &str) -> Result<bool>;
    /// Cancels a queued or running scan of the repository. False when there is no such active
    /// scan.
    async fn cancel_scan(&self, repository_id: i64, scan_key: &str) -> Result<bool>;
    /// The findings of a scan, in report order.
    async fn scan_findings(&self, scan_id: i64) -> Result<Vec<ScanFinding>>;
    /// At most `limit` findings of a scan in report order, from the `from`-th (0-based): the
    /// way to read a large result without holding it all.
    async fn scan_findings_batch(
        &self,
        scan_id: i64,
        from: i64,
        limit: i64,
    ) -> Result<Vec<ScanFinding>>;
    /// `(repository id, scan id, vulnerabilities)` of every branch's latest tree-scan result, in
    /// one repository or (`None`) everywhere.
    async fn branch_results(&self, repository_id: Option<i64>) -> Result<Vec<(i64, i64, i64)>>;
    /// Replaces a finished scan's vulnerability count, and the branch rows it is the result of
    /// (after reviewed findings change).
    async fn set_scan_vulnerabilities(&self, scan_id: i64, vulnerabilities: i64) -> Result<()>;
    /// A page of a repository's branches with their scan state; `name` filters the display id.
    async fn branch_statuses(
        &self,
        repository_id: i64,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<BranchStatusRow>>;
    /// Branch counts of a project's repositories the viewer can read (one repository when
    /// `only` is set); `generation` is the current configuration generation.
    async fn repository_statuses(
        &self,
        project_id: i64,
        only: Option<i64>,
        viewer: Viewer,
        name: Option<&str>,
        generation: i64,
        page: PageRequest,
    ) -> Result<Page<RepositoryStatusRow>>;
    /// Repository counts by status of the projects the viewer can see (one project when `only`
    /// is set), counting repositories the viewer can read.
    async fn project_statuses(
        &self,
        only: Option<i64>,
        viewer: Viewer,
        kind: Option<ProjectKind>,
        name: Option<&str>,
        generation: i64,
        page: PageRequest,
    ) -> Result<Page<ProjectStatusRow>>;
    /// Up to `limit` export rows after the key `after` (`(scan id, seq)`), in key order.
    async fn export_rows(
        &self,
        filter: &ExportFilter,
        after: (i64, i64),
        limit: i64,
    ) -> Result<Vec<ExportRow>>;
    /// Every repository, or a project's.
    async fn all_repositories(&self, project_id: Option<i64>) -> Result<Vec<Repository>>;
    /// Creates a mass-scan batch.
    async fn create_batch(
        &self,
        scope: &str,
        emails: &str,
        requested_by: Option<&str>,
    ) -> Result<i64>;
    /// Records how many scans a batch holds.
    async fn set_batch_total(&self, batch_id: i64, total: i64) -> Result<()>;
    /// The batch, once all its scans finished and if nobody claimed its mail yet; claims it.
    async fn claim_finished_batch(&self, batch_id: i64) -> Result<Option<FinishedBatch>>;
    /// Raises the integer setting `key` to `slot` if it is lower (or missing); true when this
    /// call raised it, so that of several processes exactly one claims each slot.
    async fn claim_setting_slot(&self, key: &str, slot: i64) -> Result<bool>;
    /// Puts the scans `node` holds back in the queue (the node stops); returns how many.
    async fn release_scans(&self, node: &str) -> Result<u64>;

    // ---- web UI sessions ----

    /// Stores a new session under the hash of its token.
    async fn create_session(&self, token_hash: &str, user_id: i64, csrf: &str) -> Result<()>;
    /// The session with this token hash, unless it was last used before `used_since`.
    async fn session(&self, token_hash: &str, used_since: i64) -> Result<Option<UiSession>>;
    /// Records that the session was used now.
    async fn touch_session(&self, token_hash: &str) -> Result<()>;
    /// Ends a session (no error when it does not exist).
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Deletes the sessions last used before `used_before`; returns how many.
    async fn delete_expired_sessions(&self, used_before: i64) -> Result<u64>;
}

/// Milliseconds since the Unix epoch, the store's time format.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
