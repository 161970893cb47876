//! The branch tips the dashboards read (`scan_branches`), kept equal to the refs on disk.
//!
//! Every writer (a push, a scan request, the periodic reconciliation) reads the recorded tips
//! first, then the refs on disk, and writes each difference conditionally on the tip it read
//! ([`keywarden_store::Store::set_branch_tip`]). A write that finds another tip recorded lost a
//! race with another writer (in this process or another one sharing the database), so the
//! whole comparison is made again. Since the disk is read after the database, a branch another
//! writer just recorded is never deleted as missing, and a branch moved twice ends at the tip
//! read last. Writers in one process take turns per repository; deadlocks, serialization
//! failures and a busy SQLite database are retried with backoff.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use keywarden_store::{Repository, StoreError};

use crate::Core;
use crate::error::{CoreError, CoreResult};

/// Attempts of one reconciliation before it gives up.
pub(crate) const ATTEMPTS: u32 = 8;

/// One lock per repository, so the writers of one process do not race each other.
pub type TipLocks = crate::repo_locks::RepoLocks<tokio::sync::Mutex<()>>;

/// What a reconciliation found and recorded.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// The branches on disk, `(full name, tip)`, sorted.
    pub branches: Vec<(String, String)>,
    /// Branches whose recorded tip this reconciliation created or moved.
    pub moved: BTreeSet<String>,
}

/// The branches of the repository on disk, `(full name, tip)`.
pub async fn disk_branches(
    state: &Core,
    repository: &Repository,
) -> CoreResult<Vec<(String, String)>> {
    let path = state.config().repository_path(&repository.disk_name);
    tokio::task::spawn_blocking(move || {
        let repo = keywarden_git::Repo::open(&path)?;
        let branches = repo.branches()?;
        Ok::<_, keywarden_git::GitError>(
            branches
                .into_iter()
                .map(|(name, tip)| (name, tip.to_string()))
                .collect::<Vec<_>>(),
        )
    })
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?
    .map_err(|e| CoreError::Internal(e.to_string()))
}

/// Makes the recorded branch tips of `repository` equal to its refs on disk.
pub async fn reconcile(state: &Core, repository: &Repository) -> CoreResult<Reconciled> {
    let lock = state.scans().tip_locks.get(repository.id);
    let _turn = lock.lock().await;
    let mut moved = BTreeSet::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(backoff(attempt)).await;
        }
        match reconcile_once(state, repository, &mut moved).await {
            Ok(Some(branches)) => return Ok(Reconciled { branches, moved }),
            Ok(None) => {
                tracing::debug!(
                    repository = repository.id,
                    attempt,
                    "branch tips changed while recording them; again"
                );
            }
            Err(Retry::Transient(e)) => {
                tracing::debug!(repository = repository.id, attempt, error = %e, "recording branch tips; again");
            }
            Err(Retry::Fatal(e)) => return Err(e),
        }
    }
    Err(CoreError::Internal(format!(
        "the branch tips of repository {} could not be recorded in {ATTEMPTS} attempts",
        repository.id
    )))
}

enum Retry {
    Transient(StoreError),
    Fatal(CoreError),
}

impl From<StoreError> for Retry {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            Self::Transient(e)
        } else {
            Self::Fatal(e.into())
        }
    }
}

/// One comparison; `None` when a conditional write found another tip recorded.
async fn reconcile_once(
    state: &Core,
    repository: &Repository,
    moved: &mut BTreeSet<String>,
) -> Result<Option<Vec<(String, String)>>, Retry> {
    let store = state.store();
    let recorded: HashMap<String, (String, bool)> = store
        .branch_tips(repository.id)
        .await?
        .into_iter()
        .map(|(name, tip, default)| (name, (tip, default)))
        .collect();
    let disk = disk_branches(state, repository)
        .await
        .map_err(Retry::Fatal)?;
    let default_full = super::full_branch(&repository.default_branch);
    for (name, tip) in &disk {
        let expected = match recorded.get(name) {
            Some((t, d)) if t == tip && *d == (*name == default_full) => continue,
            Some((t, _)) => Some(t.as_str()),
            None => None,
        };
        if !store
            .set_branch_tip(
                repository.id,
                &repository.default_branch,
                name,
                expected,
                Some(tip),
            )
            .await?
        {
            return Ok(None);
        }
        if expected != Some(tip.as_str()) {
            moved.insert(name.clone());
        }
    }
    for (name, (tip, _)) in &recorded {
        if disk.iter().any(|(n, _)| n == name) {
            continue;
        }
        if !store
            .set_branch_tip(
                repository.id,
                &repository.default_branch,
                name,
                Some(tip),
                None,
            )
            .await?
        {
            return Ok(None);
        }
        moved.remove(name);
    }
    Ok(Some(disk))
}

/// 20 ms doubled per attempt, with up to as much again at random so that writers that
/// collided do not collide again.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 20u64 << attempt.min(8);
    let mut b = [0u8; 2];
    let jitter = match getrandom::fill(&mut b) {
        Ok(()) => u64::from(u16::from_le_bytes(b)) % base,
        Err(_) => 0,
    };
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..ATTEMPTS {
            let d = backoff(attempt).as_millis() as u64;
            let base = 20u64 << attempt;
            assert!((base..2 * base).contains(&d), "{attempt}: {d}");
        }
    }
}
