//! The blob cache: each blob's scan outcome per effective rule set. A blob id names its
//! content, so an entry never goes stale; a new rule set (or engine) simply has other keys.
//!
//! Two layers: memory, shared by every scan of this process, and the store, shared by every
//! node on the database and kept across restarts. A scan loads what the store knows of its
//! blobs before it starts ([`BlobCache::prefetch`]) and writes each new outcome back in
//! batches as it goes, so a scan that another node takes over, or that resumes after a
//! restart, skips the blobs already done. A blob that one scan is scanning is waited for by
//! every other scan of this process that needs it (single-flight).

mod codec;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use keywarden_git::ObjectId;
use keywarden_scanner::{BlobCache, BlobOutcome};
use keywarden_store::Store;

pub use codec::{decode, encode};

/// Shards, so that scanning threads rarely wait for each other.
const SHARDS: usize = 64;

/// Entries kept per shard; a full shard is emptied (cheap, and rare: about 4 million blobs).
const PER_SHARD: usize = 65_536;

/// New outcomes written to the store together.
const BATCH: usize = 64;

/// The longest a new outcome waits in memory before it is written.
const BATCH_AGE: Duration = Duration::from_millis(100);

/// The longest a scan waits for another scan of this process to finish a blob before it
/// scans the blob itself.
const WAIT: Duration = Duration::from_secs(120);

/// An entry read this long after it was written (or last marked read) is marked read again,
/// for the size cap's least-recently-used order.
const TOUCH_AFTER_MS: i64 = 24 * 3600 * 1000;

type Key = (u64, ObjectId);

/// An outcome to write: the raw blob id and the encoded outcome.
type Entry = (Vec<u8>, String);

/// Counts since the start of the process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from memory (including entries loaded from the store).
    pub hits: u64,
    /// Lookups that found nothing: blobs scanned.
    pub misses: u64,
    /// Entries loaded from the store.
    pub loaded: u64,
    /// Entries written to the store.
    pub stored: u64,
    /// Lookups that waited for another scan of the same blob.
    pub waited: u64,
}

/// Outcomes by (rule set identity, blob id), with the blobs being scanned now.
pub struct OutcomeCache {
    shards: Vec<Mutex<HashMap<Key, BlobOutcome>>>,
    in_flight: Mutex<HashSet<Key>>,
    settled: Condvar,
    hits: AtomicU64,
    misses: AtomicU64,
    loaded: AtomicU64,
    stored: AtomicU64,
    waited: AtomicU64,
}

impl Default for OutcomeCache {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            in_flight: Mutex::new(HashSet::new()),
            settled: Condvar::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            loaded: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            waited: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for OutcomeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutcomeCache")
            .field("stats", &self.counts())
            .finish()
    }
}

/// Where a rule set's outcomes are kept in the store.
pub struct Lasting {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The rule set's id in the store ([`keywarden_store::BlobStore::blob_rule_set`]).
    pub rule_set: i64,
    /// The runtime to run the store's calls on, from scanning threads.
    pub runtime: tokio::runtime::Handle,
}

impl Lasting {
    /// The store's side of the cache for the rule set with this fingerprint (created if new),
    /// on the current runtime; `None` when the store cannot be reached: the scan then runs on
    /// memory alone.
    pub async fn open(core: &crate::Core, fingerprint: u64) -> Option<Lasting> {
        let text = super::rules_source::fingerprint_text(fingerprint);
        match core.store().blob_rule_set(&text).await {
            Ok(rule_set) => Some(Lasting {
                store: core.store_arc(),
                rule_set,
                runtime: tokio::runtime::Handle::current(),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "the blob cache in the store is unavailable; scanning on memory alone");
                None
            }
        }
    }
}

impl OutcomeCache {
    /// The view of the cache for one rule set, to hand to a scanner; with `lasting`, outcomes
    /// are also read from and written to the store.
    pub fn for_rules(&self, identity: u64, lasting: Option<Lasting>) -> RulesCache<'_> {
        RulesCache {
            cache: self,
            identity,
            lasting,
            prefetched: AtomicBool::new(false),
            pending: Mutex::new((Vec::new(), Instant::now())),
        }
    }

    /// `(hits, misses)` since the start.
    pub fn stats(&self) -> (u64, u64) {
        let c = self.counts();
        (c.hits, c.misses)
    }

    /// Every count since the start.
    pub fn counts(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            loaded: self.loaded.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            waited: self.waited.load(Ordering::Relaxed),
        }
    }

    fn shard(&self, blob: &ObjectId) -> std::sync::MutexGuard<'_, HashMap<Key, BlobOutcome>> {
        let b = blob.as_bytes();
        self.shards[usize::from(b[0]) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, key: Key, outcome: BlobOutcome) {
        let mut shard = self.shard(&key.1);
        if shard.len() >= PER_SHARD {
            shard.clear();
        }
        shard.insert(key, outcome);
    }

    /// Ends `key`'s flight and wakes the scans waiting for it.
    fn land(&self, key: &Key) {
        let mut flying = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if flying.remove(key) {
            self.settled.notify_all();
        }
    }
}

/// How long a rule set that no branch result was made with is kept after its last use (a
/// push or a scan in progress uses it).
pub const UNUSED_FOR: Duration = Duration::from_secs(24 * 3600);

/// Removes from the store the rule sets (and their entries) that no branch's latest result
/// was made with and that nothing used for `unused_for`, then the least recently used entries
/// over `max_bytes`. Returns how many rule sets and entries went. Run in the background by
/// every node, with [`UNUSED_FOR`].
pub async fn evict(
    store: &dyn Store,
    max_bytes: u64,
    unused_for: Duration,
) -> keywarden_store::Result<(u64, u64)> {
    let keep: Vec<String> = store
        .result_rule_identities()
        .await?
        .into_iter()
        .map(|identity| identity.split('-').next().unwrap_or_default().to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let unused_ms = i64::try_from(unused_for.as_millis()).unwrap_or(i64::MAX);
    let rule_sets = store
        .evict_blob_rule_sets(
            &keep,
            keywarden_store::now_millis().saturating_sub(unused_ms),
        )
        .await?;
    let entries = store
        .trim_blob_cache(i64::try_from(max_bytes).unwrap_or(i64::MAX))
        .await?;
    Ok((rule_sets, entries))
}

/// [`OutcomeCache`] for one rule set, with its outcomes not yet written to the store.
pub struct RulesCache<'a> {
    cache: &'a OutcomeCache,
    identity: u64,
    lasting: Option<Lasting>,
    /// [`BlobCache::prefetch`] loaded what the store knows of the blobs to come.
    prefetched: AtomicBool,
    /// Encoded outcomes to write, and when the last batch was written.
    pending: Mutex<(Vec<Entry>, Instant)>,
}

impl RulesCache<'_> {
    /// Writes the pending outcomes (all of them, or only a full or old batch).
    fn write(&self, all: bool) {
        let Some(lasting) = &self.lasting else {
            return;
        };
        let batch = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            let due = pending.0.len() >= BATCH || pending.1.elapsed() >= BATCH_AGE;
            if pending.0.is_empty() || !(all || due) {
                return;
            }
            pending.1 = Instant::now();
            std::mem::take(&mut pending.0)
        };
        let n = batch.len() as u64;
        match lasting
            .runtime
            .block_on(lasting.store.cache_blobs(lasting.rule_set, &batch))
        {
            Ok(()) => {
                self.cache.stored.fetch_add(n, Ordering::Relaxed);
            }
            // The cache only saves work: a failed write costs a rescan later.
            Err(e) => tracing::warn!(error = %e, entries = n, "writing the blob cache"),
        }
    }
}

impl RulesCache<'_> {
    /// Loads the store's outcomes of `blobs` (raw ids) into memory.
    fn load(&self, lasting: &Lasting, blobs: &[Vec<u8>]) {
        let found = match lasting
            .runtime
            .block_on(lasting.store.cached_blobs(lasting.rule_set, blobs))
        {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "reading the blob cache; scanning without it");
                return;
            }
        };
        let stale = keywarden_store::now_millis() - TOUCH_AFTER_MS;
        let mut touch = Vec::new();
        for entry in found {
            let (Ok(id), Some(outcome)) = (
                ObjectId::try_from(entry.blob.as_slice()),
                decode(&entry.outcome),
            ) else {
                continue;
            };
            if entry.used_at < stale {
                touch.push(entry.blob);
            }
            self.cache.insert((self.identity, id), outcome);
            self.cache.loaded.fetch_add(1, Ordering::Relaxed);
        }
        if !touch.is_empty()
            && let Err(e) = lasting
                .runtime
                .block_on(lasting.store.touch_cached_blobs(lasting.rule_set, &touch))
        {
            tracing::warn!(error = %e, "marking blob cache entries read");
        }
    }
}

impl BlobCache for RulesCache<'_> {
    fn prefetch(&self, blobs: &[ObjectId]) {
        self.prefetched.store(true, Ordering::Relaxed);
        let Some(lasting) = &self.lasting else {
            return;
        };
        let unknown: Vec<Vec<u8>> = {
            let mut seen = HashSet::new();
            blobs
                .iter()
                .filter(|b| seen.insert(**b))
                .filter(|b| !self.cache.shard(b).contains_key(&(self.identity, **b)))
                .map(|b| b.as_bytes().to_vec())
                .collect()
        };
        if !unknown.is_empty() {
            self.load(lasting, &unknown);
        }
    }

    fn get(&self, blob: &ObjectId) -> Option<BlobOutcome> {
        let key = (self.identity, *blob);
        let found = |c: &OutcomeCache| c.shard(blob).get(&key).cloned();
        if let Some(hit) = found(self.cache) {
            self.cache.hits.fetch_add(1, Ordering::Relaxed);
            return Some(hit);
        }
        // Without a prefetch (a push's files come one by one), the store is asked per blob.
        if !self.prefetched.load(Ordering::Relaxed)
            && let Some(lasting) = &self.lasting
        {
            self.load(lasting, &[blob.as_bytes().to_vec()]);
        }
        let deadline = Instant::now() + WAIT;
        let mut flying = self
            .cache
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut waited = false;
        loop {
            if let Some(hit) = found(self.cache) {
                self.cache.hits.fetch_add(1, Ordering::Relaxed);
                if waited {
                    self.cache.waited.fetch_add(1, Ordering::Relaxed);
                }
                return Some(hit);
            }
            let now = Instant::now();
            if !flying.contains(&key) || now >= deadline {
                flying.insert(key);
                self.cache.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            waited = true;
            flying = self
                .cache
                .settled
                .wait_timeout(flying, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn put(&self, blob: ObjectId, outcome: &BlobOutcome) {
        let key = (self.identity, blob);
        self.cache.insert(key, outcome.clone());
        self.cache.land(&key);
        if self.lasting.is_some()
            && let Some(text) = encode(outcome)
        {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .0
                .push((blob.as_bytes().to_vec(), text));
            self.write(false);
        }
    }

    fn forget(&self, blob: &ObjectId) {
        self.cache.land(&(self.identity, *blob));
    }

    fn flush(&self) {
        self.write(true);
    }
}

impl Drop for RulesCache<'_> {
    fn drop(&mut self) {
        self.write(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    fn clean(bytes: u64) -> BlobOutcome {
        BlobOutcome::Scanned {
            findings: vec![],
            bytes,
            budget_exceeded: vec![],
            timed_out: false,
        }
    }

    #[test]
    fn a_blob_being_scanned_is_waited_for_not_scanned_twice() {
        let cache = OutcomeCache::default();
        let rules = cache.for_rules(7, None);
        assert_eq!(rules.get(&blob(1)), None);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| rules.get(&blob(1)));
            // The second lookup waits while the first scan is in flight.
            while cache.in_flight.lock().unwrap().is_empty() {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(50));
            assert!(!waiter.is_finished());
            rules.put(blob(1), &clean(3));
            assert_eq!(waiter.join().unwrap(), Some(clean(3)));
        });
        let c = cache.counts();
        assert_eq!((c.hits, c.misses, c.waited), (1, 1, 1));
        // Another rule set has its own entries.
        assert_eq!(cache.for_rules(8, None).get(&blob(1)), None);
    }

    #[test]
    fn a_blob_given_up_is_scanned_by_the_next_who_needs_it() {
        let cache = OutcomeCache::default();
        let rules = cache.for_rules(7, None);
        assert_eq!(rules.get(&blob(2)), None);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| rules.get(&blob(2)));
            std::thread::sleep(Duration::from_millis(50));
            rules.forget(&blob(2));
            // The waiter takes the blob over: a miss, and the blob is in flight again.
            assert_eq!(waiter.join().unwrap(), None);
        });
        assert!(cache.in_flight.lock().unwrap().contains(&(7, blob(2))));
        rules.put(blob(2), &clean(1));
        assert!(cache.in_flight.lock().unwrap().is_empty());
        assert_eq!(rules.get(&blob(2)), Some(clean(1)));
    }
}
