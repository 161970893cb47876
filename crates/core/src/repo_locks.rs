//! One lock per repository of this process, made on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Locks of type `L` by repository id.
#[derive(Debug)]
pub struct RepoLocks<L>(Mutex<HashMap<i64, Arc<L>>>);

impl<L> Default for RepoLocks<L> {
    fn default() -> Self {
        RepoLocks(Mutex::new(HashMap::new()))
    }
}

impl<L: Default> RepoLocks<L> {
    /// The lock of one repository.
    pub fn get(&self, repository_id: i64) -> Arc<L> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(repository_id)
            .or_default()
            .clone()
    }
}
