//! Branch scans in the background (SPEC 6): a queue in the database, workers in every server
//! process, leases, the blob cache, and the branch states the dashboards read (SPEC 7).
//!
//! # Queue design
//!
//! A scan is a row of `scans`: `QUEUED`, then `RUNNING` under a lease held by one process
//! (`lease_owner`, `lease_until`), then `DONE`, `FAILED` or `CANCELLED`. Each process runs
//! `parallelScans` workers ([`start`]). A worker claims the oldest queued scan, or a running one
//! whose lease expired (its process died), in one statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so processes sharing a database never take the same row). While it scans, it
//! renews the lease and records progress about twice a second; a renewal that finds the scan
//! no longer held (cancelled, or taken over) stops the scan. Results are written in one
//! transaction that again checks the lease, so a scan taken over is never recorded twice.
//!
//! Other modules call [`enqueue`] (a scan now), [`enqueue_after_push`] (the hook, when it
//! lets a push through unscanned: a scan of the pushed branch once its refs moved) and
//! [`after_push`] (branch tips after every push). The recorded tips are compared with the refs
//! on disk at start and every [`MAINTENANCE_PERIOD`] as well ([`tips`]), so that a process
//! killed between git's ref update and the record leaves nothing wrong for long.

mod cache;
pub mod cron;
mod jobs;
pub mod mail;
mod mass;
pub mod reviewed_counts;
pub mod rules_source;
mod schedule;
pub mod tips;
mod worker;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use keywarden_store::{NewScan, Repository, Scan, ScanReason, ScanState};
use tokio::sync::Notify;

pub use cache::{CacheStats, Lasting, OutcomeCache, RulesCache, UNUSED_FOR, evict};
pub use mass::{MassScan, Scope, mass_scan};
pub use worker::{MAX_WORKERS, Workers};

use crate::Core;
use crate::error::{CoreError, CoreResult};

/// The in-process side of the queue: wake-ups for idle workers, the stop flag, the blob cache.
#[derive(Debug, Default)]
pub struct ScanRuntime {
    wake: Notify,
    stopping: AtomicBool,
    /// Workers allowed to run scans now (`parallelScans`).
    allowed: std::sync::atomic::AtomicU32,
    cache: OutcomeCache,
    workers: Mutex<Option<(Workers, [tokio::task::JoinHandle<()>; 3])>>,
    /// Scans to queue once a push to a repository has landed, by repository id.
    after_push: Mutex<std::collections::HashMap<i64, Vec<PendingScan>>>,
    pub(crate) tip_locks: tips::TipLocks,
    pub(crate) push_locks: crate::quarantine::PushLocks,
}

impl ScanRuntime {
    /// The blob cache.
    pub fn cache(&self) -> &OutcomeCache {
        &self.cache
    }

    /// The per-repository locks pushes of this process hold while git runs.
    pub fn push_locks(&self) -> &crate::quarantine::PushLocks {
        &self.push_locks
    }

    /// Wakes idle workers (a scan was queued).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// `refs/heads/{branch}` unless it is a full ref name already.
pub fn full_branch(branch: &str) -> String {
    if branch.starts_with("refs/") {
        branch.to_string()
    } else {
        format!("refs/heads/{branch}")
    }
}

/// Options of [`enqueue_with`].
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// Scan every unique blob of the history instead of the tip's files.
    pub history: bool,
}

/// Queues a tree scan of `branch` (`main` or `refs/heads/main`) of `repository`, unless one
/// is already queued for it (then that one is returned).
pub async fn enqueue(
    state: &Core,
    repository: &Repository,
    branch: &str,
    reason: ScanReason,
) -> CoreResult<Scan> {
    enqueue_with(state, repository, branch, reason, EnqueueOptions::default()).await
}

/// [`enqueue`] with options.
pub async fn enqueue_with(
    state: &Core,
    repository: &Repository,
    branch: &str,
    reason: ScanReason,
    options: EnqueueOptions,
) -> CoreResult<Scan> {
    let branch = full_branch(branch);
    let store = state.store();
    if let Some(queued) = store
        .latest_scan(
            repository.id,
            &branch,
            options.history,
            &[ScanState::Queued],
        )
        .await?
    {
        return Ok(queued);
    }
    let scan = store
        .enqueue_scan(NewScan {
            scan_key: crate::credentials::random_hex(12),
            repository_id: repository.id,
            branch,
            history: options.history,
            reason,
            batch_id: None,
        })
        .await?;
    state.scans().wake();
    Ok(scan)
}

/// Records the repository's branches and their tips (after a push, before a scan): the
/// dashboards read them from the database. Returns the branches on disk.
pub async fn sync_branches(
    state: &Core,
    repository: &Repository,
) -> CoreResult<Vec<(String, String)>> {
    Ok(tips::reconcile(state, repository).await?.branches)
}

/// A scan asked for during a push, queued once the branch is at the pushed tip.
#[derive(Debug)]
struct PendingScan {
    branch: String,
    tip: String,
    reason: ScanReason,
    since: std::time::Instant,
}

/// How long a scan asked for during a push waits for the push to land; a push that failed
/// never does.
const PENDING_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// Queues a tree scan of `branch` once it is at `tip` on disk, for the pre-receive hook: a
/// scan queued from the hook itself could start before the branch moves and scan the old tip.
/// Pushes to one repository complete in any order, so each waits for its own tip; one that
/// never lands (the push failed) is forgotten after an hour.
pub fn enqueue_after_push(
    state: &Core,
    repository_id: i64,
    branch: &str,
    tip: &str,
    reason: ScanReason,
) {
    state
        .scans()
        .after_push
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(repository_id)
        .or_default()
        .push(PendingScan {
            branch: full_branch(branch),
            tip: tip.to_string(),
            reason,
            since: std::time::Instant::now(),
        });
}

/// Called when a push completed: records the new tips, which turns the pushed branches'
/// results outdated, and queues the scans asked for with [`enqueue_after_push`] whose branch
/// is now at its pushed tip. Failures are logged (the push has happened); the scans are queued
/// even when the tips could not be recorded (the next reconciliation records them).
pub async fn after_push(state: &Core, repository: &Repository) {
    let branches = match tips::reconcile(state, repository).await {
        Ok(r) => r.branches,
        Err(e) => {
            tracing::warn!(repository = repository.id, error = %e, "could not record branch tips after a push");
            match tips::disk_branches(state, repository).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(repository = repository.id, error = %e, "could not read the branches after a push");
                    Vec::new()
                }
            }
        }
    };
    let landed: Vec<PendingScan> = {
        let mut pending = state
            .scans()
            .after_push
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(waiting) = pending.get_mut(&repository.id) else {
            return;
        };
        let (landed, rest): (Vec<_>, Vec<_>) = std::mem::take(waiting)
            .into_iter()
            .filter(|p| p.since.elapsed() < PENDING_FOR)
            .partition(|p| branches.iter().any(|(n, t)| *n == p.branch && *t == p.tip));
        if rest.is_empty() {
            pending.remove(&repository.id);
        } else {
            *waiting = rest;
        }
        landed
    };
    for p in landed {
        if let Err(e) = enqueue_retrying(state, repository, &p.branch, p.reason).await {
            tracing::warn!(repository = repository.id, branch = %p.branch, error = %e, "could not queue a scan after a push");
        }
    }
}

/// [`enqueue`], tried again on a deadlock, serialization failure or busy SQLite database.
async fn enqueue_retrying(
    state: &Core,
    repository: &Repository,
    branch: &str,
    reason: ScanReason,
) -> CoreResult<Scan> {
    let mut attempt = 0;
    loop {
        match enqueue(state, repository, branch, reason).await {
            Err(CoreError::Store(e)) if e.is_transient() && attempt + 1 < tips::ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(tips::backoff(attempt)).await;
            }
            result => return result,
        }
    }
}

/// How often every repository's tips are reconciled and its quarantine folders cleaned.
pub const MAINTENANCE_PERIOD: std::time::Duration = std::time::Duration::from_secs(300);

/// Every repository: leftover quarantine folders removed, recorded tips made equal to the
/// refs on disk, and a scan queued for each branch found created or moved (as the push that
/// moved it would have had it scanned).
pub async fn maintain_all(state: &Core) {
    let repositories = match state.store().all_repositories(None).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "listing repositories to reconcile");
            return;
        }
    };
    for repository in repositories {
        if state.scans().stopping() {
            return;
        }
        crate::quarantine::clean(state, &repository).await;
        let reconciled = match tips::reconcile(state, &repository).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(repository = repository.id, error = %e, "could not reconcile branch tips");
                continue;
            }
        };
        for branch in &reconciled.moved {
            tracing::info!(repository = %repository.slug, %branch, "branch tip recorded from disk");
            if let Err(e) =
                enqueue_retrying(state, &repository, branch, ScanReason::Reconcile).await
            {
                tracing::warn!(repository = repository.id, %branch, error = %e, "could not queue a scan of a reconciled branch");
            }
        }
    }
}

async fn maintenance(state: Core) {
    loop {
        maintain_all(&state).await;
        let max = state.config().scan_cache_max_bytes;
        match cache::evict(state.store(), max, cache::UNUSED_FOR).await {
            Ok((0, 0)) => {}
            Ok((rule_sets, entries)) => {
                tracing::info!(rule_sets, entries, "blob cache entries removed")
            }
            Err(e) => tracing::warn!(error = %e, "evicting blob cache entries"),
        }
        let next = tokio::time::Instant::now() + MAINTENANCE_PERIOD;
        while tokio::time::Instant::now() < next {
            if state.scans().stopping() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// Starts this process's scan workers (and the scan schedule). Stopped by [`stop`].
pub async fn start(state: &Core) {
    let workers = (
        Workers::start(state).await,
        [
            schedule::start(state),
            tokio::spawn(maintenance(state.clone())),
            tokio::spawn(jobs::run(state.clone())),
        ],
    );
    *state
        .scans()
        .workers
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(workers);
}

/// Stops the workers and returns the scans they were running to the queue, for another
/// process (or this one, restarted). A process that dies instead leaves them to expire.
pub async fn stop(state: &Core) {
    state.scans().stopping.store(true, Ordering::Relaxed);
    state.scans().wake();
    let workers = state
        .scans()
        .workers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some((w, tasks)) = workers {
        w.join().await;
        for task in tasks {
            let _ = task.await;
        }
    }
    // Hand the scans and jobs this process was running back to the queue at once.
    if let Err(e) = state.store().release_jobs(&state.config().node_id).await {
        tracing::warn!(error = %e, "returning running jobs to the queue");
    }
    match state.store().release_scans(&state.config().node_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(scans = n, "running scans returned to the queue"),
        Err(e) => tracing::warn!(error = %e, "returning running scans to the queue"),
    }
}
