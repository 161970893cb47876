//! git's quarantine folders: receive-pack writes a push's objects into
//! `objects/tmp_objdir-incoming-*` and moves them into the repository once the hook accepted
//! them. A git killed mid-push leaves its folder behind. They are removed at start,
//! periodically and after every push (a failed one included), from repositories no push of this process is
//! writing to. When processes share a PostgreSQL database they may share the repositories
//! too, so there only folders older than [`SHARED_MIN_AGE`] are removed (another process may be
//! mid-push).

use std::path::Path;
use std::time::{Duration, SystemTime};

use keywarden_store::{Backend, Repository};
use tokio::sync::{OwnedRwLockReadGuard, RwLock};

use crate::Core;
use crate::repo_locks::RepoLocks;

/// The name git gives its quarantine folders, followed by random characters.
const PREFIX: &str = "tmp_objdir-incoming-";

/// The age below which a quarantine folder may belong to another process's push.
pub const SHARED_MIN_AGE: Duration = Duration::from_secs(3600);

/// Per repository, the pushes of this process in progress (readers) and the cleaner (writer).
pub type PushLocks = RepoLocks<RwLock<()>>;

impl PushLocks {
    /// Held for the duration of a push, so that the cleaner leaves its folder alone.
    pub async fn pushing(&self, repository_id: i64) -> OwnedRwLockReadGuard<()> {
        self.get(repository_id).read_owned().await
    }
}

/// The minimum age of a folder to remove: none when this process alone uses the
/// repositories (SQLite), else [`SHARED_MIN_AGE`].
fn min_age(state: &Core) -> Duration {
    match state.store().backend() {
        Backend::Sqlite => Duration::ZERO,
        Backend::Postgres => SHARED_MIN_AGE,
    }
}

/// Removes the repository's leftover quarantine folders, unless a push of this process is
/// in progress to it. Returns how many were removed.
pub async fn clean(state: &Core, repository: &Repository) -> usize {
    let Ok(_alone) = state
        .scans()
        .push_locks
        .get(repository.id)
        .try_write_owned()
    else {
        return 0;
    };
    let objects = state
        .config()
        .repository_path(&repository.disk_name)
        .join("objects");
    let age = min_age(state);
    let removed = tokio::task::spawn_blocking(move || remove_leftovers(&objects, age))
        .await
        .unwrap_or(0);
    if removed > 0 {
        tracing::info!(repository = %repository.slug, folders = removed, "removed the quarantine folders of interrupted pushes");
    }
    removed
}

/// Removes every quarantine folder in `objects` last modified at least `min_age` ago.
fn remove_leftovers(objects: &Path, min_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(objects) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= min_age);
        if !meta.is_dir() || !old {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(folder = %entry.path().display(), error = %e, "could not remove a quarantine folder")
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_quarantine_folders_go() {
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path();
        std::fs::create_dir_all(objects.join("tmp_objdir-incoming-abc/pack")).unwrap();
        std::fs::create_dir_all(objects.join("pack")).unwrap();
        std::fs::write(objects.join("tmp_objdir-incoming-file"), b"x").unwrap();
        assert_eq!(remove_leftovers(objects, Duration::from_secs(3600)), 0);
        assert!(objects.join("tmp_objdir-incoming-abc").exists());
        assert_eq!(remove_leftovers(objects, Duration::ZERO), 1);
        assert!(!objects.join("tmp_objdir-incoming-abc").exists());
        assert!(objects.join("pack").exists());
        assert!(objects.join("tmp_objdir-incoming-file").exists());
    }
}
