//! Branch tips, the scan queue, scan results and mass-scan batches.

use async_trait::async_trait;

use crate::*;

mod model;
pub(crate) mod sql;
mod state;

pub use model::*;
pub use state::{ScanReason, ScanState};

/// Branch tips, the scan queue, scan results and mass-scan batches. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait ScanStore {
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
        states: &[ScanState],
    ) -> Result<Option<Scan>>;

    /// Takes the oldest queued scan, or a running one whose lease expired before `now`, for
    /// `node` until `now + lease_ms`. Concurrent callers (also in other processes) never take
    /// the same scan.
    ///
    /// A scan that was started `max_attempts` times already (each time its process died or
    /// failed to finish it) is marked `FAILED` instead, with the reason, and not retried.
    async fn claim_scan(
        &self,
        node: &str,
        now: i64,
        lease_ms: i64,
        max_attempts: i64,
    ) -> Result<Option<Scan>>;

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

    /// Creates a mass-scan batch.
    async fn create_batch(
        &self,
        scope: &str,
        emails: &str,
        requested_by: Option<&str>,
    ) -> Result<i64>;

    /// Records how many scans a batch holds.
    async fn set_batch_total(&self, batch_id: i64, total: i64) -> Result<()>;

    /// The recorded branches of the `target` repositories.
    async fn count_mass_branches(&self, target: &MassTarget) -> Result<i64>;

    /// Queues a tree scan of every recorded branch of the `target` repositories into
    /// `batch_id`, in one statement, and sets the batch's total; returns how many were queued.
    /// Each becomes its branch's latest scan. A batch that holds scans already gets none (the
    /// call is repeated when the job that made it is taken over).
    async fn enqueue_mass_scans(
        &self,
        batch_id: i64,
        target: &MassTarget,
        reason: ScanReason,
    ) -> Result<i64>;

    /// The rule identities (`rules_identity`) of every branch's latest result, without repeats.
    async fn result_rule_identities(&self) -> Result<Vec<String>>;

    /// The batch, once all its scans finished and if nobody claimed its mail yet; claims it.
    async fn claim_finished_batch(&self, batch_id: i64) -> Result<Option<FinishedBatch>>;

    /// Puts the scans `node` holds back in the queue (the node stops); returns how many.
    /// A scan handed back this way does not count as an attempt.
    async fn release_scans(&self, node: &str) -> Result<u64>;

    /// Expires the leases of the scans `node` holds, so that they are taken over at once (a
    /// node restarted after a crash, under the same name); returns how many. Unlike
    /// [`Self::release_scans`], the interrupted run counts as an attempt.
    async fn expire_leases(&self, node: &str) -> Result<u64>;
}
