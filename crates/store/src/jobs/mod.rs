//! Background jobs: work a request queues and any node does, under a lease (branch scans
//! have their own queue, [`crate::ScanStore`]).

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Recount the vulnerabilities of a repository's branch results against the reviewed
    /// findings now in force.
    Recount,
    /// Queue the branch scans of a mass scan's batch ([`crate::ScanStore::enqueue_mass_scans`]).
    MassScan,
}

impl JobKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Recount => "recount",
            JobKind::MassScan => "mass_scan",
        }
    }

    /// The kind stored as `text`, if known.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "recount" => Some(JobKind::Recount),
            "mass_scan" => Some(JobKind::MassScan),
            _ => None,
        }
    }
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// What to do; `None` for a kind this build does not know (the job is dropped).
    pub kind: Option<JobKind>,
    /// The repository it is about.
    pub repository_id: Option<i64>,
    /// The mass-scan batch it is about.
    pub batch_id: Option<i64>,
    /// What else the kind needs, as text (a mass scan: `reason target`, the target as
    /// [`crate::MassTarget::to_text`] writes it).
    pub payload: Option<String>,
}

/// The job queue. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait JobStore {
    /// Queues a recount job for every repository with a branch result (or for one), unless
    /// one is queued and not yet taken; returns how many were queued.
    async fn queue_recounts(&self, repository_id: Option<i64>) -> Result<i64>;

    /// Queues the job that queues the branch scans of mass scan `batch_id`.
    async fn queue_mass_scan(
        &self,
        batch_id: i64,
        target: &MassTarget,
        reason: ScanReason,
    ) -> Result<()>;

    /// Takes the oldest job (of `kind`, or of any kind) that no node holds, or whose lease ran
    /// out before `now`, for `node` until `now + lease_ms`. Concurrent callers never take the
    /// same job.
    async fn claim_job(
        &self,
        node: &str,
        now: i64,
        lease_ms: i64,
        kind: Option<JobKind>,
    ) -> Result<Option<Job>>;

    /// Removes a job `node` finished; false when it no longer held it.
    async fn finish_job(&self, id: i64, node: &str) -> Result<bool>;

    /// Returns the jobs `node` holds to the queue (it stopped, or starts again after dying).
    async fn release_jobs(&self, node: &str) -> Result<u64>;

    /// Jobs queued or running.
    async fn pending_jobs(&self) -> Result<i64>;
}
