//! The SQL of [`super::JobStore`], shared by both backends.

/// Implements [`crate::JobStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_jobs {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::JobStore for $store {
            async fn queue_recounts(&self, repository_id: Option<i64>) -> $crate::Result<i64> {
                let mut tx = self.begin_write().await?;
                let queued = sqlx::query(
                    "INSERT INTO jobs (kind, repository_id, queued_at) \
                     SELECT 'recount', r.repository_id, $1 \
                     FROM (SELECT DISTINCT repository_id FROM scan_branches \
                           WHERE result_scan_id IS NOT NULL) r \
                     WHERE ($2 IS NULL OR r.repository_id = $2) \
                       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'recount' \
                                       AND j.repository_id = r.repository_id AND j.lease_owner IS NULL) \
                     ORDER BY r.repository_id",
                )
                .bind($crate::now_millis())
                .bind(repository_id)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
                tx.commit().await?;
                Ok(queued)
            }

            async fn queue_mass_scan(
                &self,
                batch_id: i64,
                target: &$crate::MassTarget,
                reason: $crate::ScanReason,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO jobs (kind, batch_id, payload, queued_at) VALUES ('mass_scan', $1, $2, $3)",
                )
                .bind(batch_id)
                .bind(format!("{} {}", reason.as_str(), target.to_text()))
                .bind($crate::now_millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn claim_job(
                &self,
                node: &str,
                now: i64,
                lease_ms: i64,
                kind: Option<$crate::JobKind>,
            ) -> $crate::Result<Option<$crate::Job>> {
                // As for scans: SKIP LOCKED on PostgreSQL, one writer at a time on SQLite.
                let lock = match $backend {
                    $crate::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
                    $crate::Backend::Sqlite => "",
                };
                let mut tx = self.begin_write().await?;
                let claimed: Option<(i64, String, Option<i64>, Option<i64>, Option<String>)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE jobs SET lease_owner = $1, lease_until = $2 \
                         WHERE id = (SELECT id FROM jobs \
                                     WHERE (lease_until IS NULL OR lease_until < $3) \
                                       AND ($4 IS NULL OR kind = $4) \
                                     ORDER BY id LIMIT 1 {lock}) \
                         RETURNING id, kind, repository_id, batch_id, payload"
                    )))
                    .bind(node)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(kind.map(|k| k.as_str()))
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(claimed.map(|(id, kind, repository_id, batch_id, payload)| $crate::Job {
                    id,
                    kind: $crate::JobKind::parse(&kind),
                    repository_id,
                    batch_id,
                    payload,
                }))
            }

            async fn finish_job(&self, id: i64, node: &str) -> $crate::Result<bool> {
                let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND lease_owner = $2")
                    .bind(id)
                    .bind(node)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_jobs(&self, node: &str) -> $crate::Result<u64> {
                let released = sqlx::query(
                    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
                )
                .bind(node)
                .execute(&self.pool)
                .await?;
                Ok(released.rows_affected())
            }

            async fn pending_jobs(&self) -> $crate::Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }
        }
    };
}

pub(crate) use impl_jobs;
