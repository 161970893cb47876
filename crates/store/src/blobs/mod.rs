//! The blob cache: each blob's scan outcome per rule-set fingerprint, shared by every node on
//! one database.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// One cached outcome: a blob id (its 20 raw bytes) and the outcome as the scanner encoded it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CachedBlob {
    /// The blob id, raw bytes.
    pub blob: Vec<u8>,
    /// The encoded outcome.
    pub outcome: String,
    /// When the entry was written or last read (milliseconds), as recorded.
    pub used_at: i64,
}

/// The size of the blob cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlobCacheStats {
    /// Rule sets with entries or recent use.
    pub rule_sets: i64,
    /// Cached outcomes.
    pub entries: i64,
    /// Bytes of the stored outcomes and blob ids (without the database's own overhead).
    pub bytes: i64,
}

/// The blob cache. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait BlobStore {
    /// The id of the rule set with this fingerprint, created if new; records its use now.
    async fn blob_rule_set(&self, fingerprint: &str) -> Result<i64>;

    /// The cached outcomes of those of `blobs` (raw ids) that have one under `rule_set`.
    async fn cached_blobs(&self, rule_set: i64, blobs: &[Vec<u8>]) -> Result<Vec<CachedBlob>>;

    /// Stores outcomes under `rule_set` (an entry already there is kept).
    async fn cache_blobs(&self, rule_set: i64, entries: &[(Vec<u8>, String)]) -> Result<()>;

    /// Records that these entries were read now.
    async fn touch_cached_blobs(&self, rule_set: i64, blobs: &[Vec<u8>]) -> Result<()>;

    /// The cache's size.
    async fn blob_cache_stats(&self) -> Result<BlobCacheStats>;

    /// Deletes the rule sets (and their entries) whose fingerprint is not in `keep` and that
    /// were last used before `unused_before`; returns how many rule sets went.
    async fn evict_blob_rule_sets(&self, keep: &[String], unused_before: i64) -> Result<u64>;

    /// Deletes the least recently used entries until at most `max_bytes` are stored; returns
    /// how many entries went.
    async fn trim_blob_cache(&self, max_bytes: i64) -> Result<u64>;
}
