//! The blob cache: each blob's scan outcome per effective rule set, in memory, shared by all
//! branches and repositories this process scans. A blob id names its content, so an entry
//! never goes stale; a new rule set simply has other keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use keywarden_git::ObjectId;
use keywarden_scanner::{BlobCache, BlobOutcome};

/// Shards, so that scanning threads rarely wait for each other.
const SHARDS: usize = 64;

/// Entries kept per shard; a full shard is emptied (cheap, and rare: about 4 million blobs).
const PER_SHARD: usize = 65_536;

/// Outcomes by (rule set identity, blob id).
pub struct OutcomeCache {
    shards: Vec<Mutex<HashMap<(u64, ObjectId), BlobOutcome>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for OutcomeCache {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for OutcomeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutcomeCache")
            .field("hits", &self.hits.load(Ordering::Relaxed))
            .field("misses", &self.misses.load(Ordering::Relaxed))
            .finish()
    }
}

impl OutcomeCache {
    /// The view of the cache for one rule set, to hand to a scanner.
    pub fn for_rules(&self, identity: u64) -> RulesCache<'_> {
        RulesCache {
            cache: self,
            identity,
        }
    }

    /// `(hits, misses)` since the start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn shard(&self, blob: &ObjectId) -> &Mutex<HashMap<(u64, ObjectId), BlobOutcome>> {
        let b = blob.as_bytes();
        &self.shards[usize::from(b[0]) % SHARDS]
    }
}

/// [`OutcomeCache`] for one rule set.
pub struct RulesCache<'a> {
    cache: &'a OutcomeCache,
    identity: u64,
}

impl BlobCache for RulesCache<'_> {
    fn get(&self, blob: &ObjectId) -> Option<BlobOutcome> {
        let shard = self
            .cache
            .shard(blob)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let hit = shard.get(&(self.identity, *blob)).cloned();
        let counter = if hit.is_some() {
            &self.cache.hits
        } else {
            &self.cache.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    fn put(&self, blob: ObjectId, outcome: &BlobOutcome) {
        let mut shard = self
            .cache
            .shard(&blob)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if shard.len() >= PER_SHARD {
            shard.clear();
        }
        shard.insert((self.identity, blob), outcome.clone());
    }
}
