//! The SQL of [`super::BlobStore`], shared by both backends.

/// Blob ids per statement: well under both engines' limits on bound parameters (SQLite 32,766,
/// PostgreSQL 65,535), and few round trips for a large scan's lookups.
pub(crate) const CHUNK: usize = 2000;

/// `$first, $first+1, ...`: `n` placeholders.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($3, $4), ($5, $6), ...`: `n` pairs of placeholders from `$first`, each with `$1` and `$2`.
pub(crate) fn entry_rows(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("($1, ${}, ${}, $2)", first + 2 * i, first + 2 * i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bytes an entry takes: its outcome and its blob id.
pub(crate) const ENTRY_BYTES: &str = "LENGTH(outcome) + 20";

/// Implements [`crate::BlobStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_blobs {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::BlobStore for $store {
            async fn blob_rule_set(&self, fingerprint: &str) -> $crate::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO blob_rule_sets (fingerprint, used_at) VALUES ($1, $2) \
                     ON CONFLICT (fingerprint) DO UPDATE SET used_at = excluded.used_at \
                     RETURNING id",
                )
                .bind(fingerprint)
                .bind($crate::now_millis())
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn cached_blobs(
                &self,
                rule_set: i64,
                blobs: &[Vec<u8>],
            ) -> $crate::Result<Vec<$crate::CachedBlob>> {
                use $crate::blobs::sql::{CHUNK, placeholders};
                let mut out = Vec::new();
                for chunk in blobs.chunks(CHUNK) {
                    let sql = format!(
                        "SELECT blob, outcome, used_at FROM blob_outcomes \
                         WHERE rule_set_id = $1 AND blob IN ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query_as::<_, $crate::CachedBlob>(sqlx::AssertSqlSafe(sql)).bind(rule_set);
                    for b in chunk {
                        q = q.bind(b.as_slice());
                    }
                    out.extend(q.fetch_all(&self.pool).await?);
                }
                Ok(out)
            }

            async fn cache_blobs(
                &self,
                rule_set: i64,
                entries: &[(Vec<u8>, String)],
            ) -> $crate::Result<()> {
                use $crate::blobs::sql::{CHUNK, entry_rows};
                let now = $crate::now_millis();
                for chunk in entries.chunks(CHUNK) {
                    let sql = format!(
                        "INSERT INTO blob_outcomes (rule_set_id, blob, outcome, used_at) VALUES {} \
                         ON CONFLICT (rule_set_id, blob) DO NOTHING",
                        entry_rows(3, chunk.len())
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(rule_set).bind(now);
                    for (blob, outcome) in chunk {
                        q = q.bind(blob.as_slice()).bind(outcome.as_str());
                    }
                    q.execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn touch_cached_blobs(
                &self,
                rule_set: i64,
                blobs: &[Vec<u8>],
            ) -> $crate::Result<()> {
                use $crate::blobs::sql::{CHUNK, placeholders};
                let now = $crate::now_millis();
                for chunk in blobs.chunks(CHUNK) {
                    let sql = format!(
                        "UPDATE blob_outcomes SET used_at = $2 \
                         WHERE rule_set_id = $1 AND blob IN ({})",
                        placeholders(3, chunk.len())
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(rule_set).bind(now);
                    for b in chunk {
                        q = q.bind(b.as_slice());
                    }
                    q.execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn blob_cache_stats(&self) -> $crate::Result<$crate::BlobCacheStats> {
                let (entries, bytes): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(COUNT(*) AS BIGINT), \
                            CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM blob_outcomes",
                    $crate::blobs::sql::ENTRY_BYTES
                )))
                .fetch_one(&self.pool)
                .await?;
                let (rule_sets,): (i64,) =
                    sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM blob_rule_sets")
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::BlobCacheStats {
                    rule_sets,
                    entries,
                    bytes,
                })
            }

            async fn evict_blob_rule_sets(
                &self,
                keep: &[String],
                unused_before: i64,
            ) -> $crate::Result<u64> {
                let sql = if keep.is_empty() {
                    "DELETE FROM blob_rule_sets WHERE used_at < $1".to_string()
                } else {
                    format!(
                        "DELETE FROM blob_rule_sets WHERE used_at < $1 AND fingerprint NOT IN ({})",
                        $crate::blobs::sql::placeholders(2, keep.len())
                    )
                };
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unused_before);
                for k in keep {
                    q = q.bind(k.as_str());
                }
                Ok(q.execute(&self.pool).await?.rows_affected())
            }

            async fn trim_blob_cache(&self, max_bytes: i64) -> $crate::Result<u64> {
                let mut removed = 0;
                loop {
                    let stats = $crate::BlobStore::blob_cache_stats(self).await?;
                    if stats.bytes <= max_bytes || stats.entries == 0 {
                        return Ok(removed);
                    }
                    // Entries are of similar size: remove about the share that is over, at
                    // least a batch, oldest first.
                    let over = (stats.bytes - max_bytes) as f64 / stats.bytes as f64;
                    let batch = ((stats.entries as f64 * over).ceil() as i64).max(100);
                    let done = sqlx::query(
                        "DELETE FROM blob_outcomes WHERE (rule_set_id, blob) IN \
                         (SELECT rule_set_id, blob FROM blob_outcomes ORDER BY used_at, blob LIMIT $1)",
                    )
                    .bind(batch)
                    .execute(&self.pool)
                    .await?;
                    removed += done.rows_affected();
                }
            }
        }
    };
}

pub(crate) use impl_blobs;
