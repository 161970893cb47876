//! The SQL of [`super::ScanStore`], shared by both backends.

/// Columns of [`crate::Scan`].
pub(crate) const SCAN_COLS: &str = "id, scan_key, repository_id, branch, history, state, reason, \
     batch_id, commit_id, generation, rules_identity, config_error, error, queued_at, started_at, finished_at, \
     lease_owner, files_total, files_done, findings_total, vulnerabilities, skipped_files, \
     config_warnings, rule_errors, findings_dropped, attempts";

/// The `WHERE` clause (on `scan_branches b`) of a mass scan's branches; ids are integers, so
/// they are written into the statement.
pub(crate) fn mass_filter(target: &crate::MassTarget) -> String {
    match target {
        crate::MassTarget::All => "WHERE TRUE".to_string(),
        crate::MassTarget::Project(id) => format!(
            "WHERE b.repository_id IN (SELECT id FROM repositories WHERE project_id = {id})"
        ),
        crate::MassTarget::Repositories(ids) if ids.is_empty() => "WHERE FALSE".to_string(),
        crate::MassTarget::Repositories(ids) => format!(
            "WHERE b.repository_id IN ({})",
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Implements [`crate::ScanStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_scans {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::ScanStore for $store {
            async fn sync_branches(
                &self,
                repository_id: i64,
                default_branch: &str,
                branches: &[(String, String)],
            ) -> $crate::Result<()> {
                let default_full = if default_branch.starts_with("refs/") {
                    default_branch.to_string()
                } else {
                    format!("refs/heads/{default_branch}")
                };
                // Read first, outside any transaction, and write only what changed: most calls
                // change nothing, and an SQLite transaction that reads before it writes fails
                // when another connection wrote in between.
                let existing: Vec<(String, String, bool)> = sqlx::query_as(
                    "SELECT name, tip, is_default FROM scan_branches WHERE repository_id = $1",
                )
                .bind(repository_id)
                .fetch_all(&self.pool)
                .await?;
                let gone: Vec<&String> = existing
                    .iter()
                    .filter(|(name, _, _)| !branches.iter().any(|(n, _)| n == name))
                    .map(|(name, _, _)| name)
                    .collect();
                let changed: Vec<&(String, String)> = branches
                    .iter()
                    .filter(|(name, tip)| {
                        !existing.iter().any(|(n, t, d)| {
                            n == name && t == tip && *d == (*name == default_full)
                        })
                    })
                    .collect();
                if gone.is_empty() && changed.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                for name in gone {
                    sqlx::query("DELETE FROM scan_branches WHERE repository_id = $1 AND name = $2")
                        .bind(repository_id)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                }
                for (name, tip) in changed {
                    let display = name.strip_prefix("refs/heads/").unwrap_or(name);
                    sqlx::query(
                        "INSERT INTO scan_branches (repository_id, name, display_lower, tip, is_default) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repository_id, name) DO UPDATE \
                         SET tip = excluded.tip, is_default = excluded.is_default",
                    )
                    .bind(repository_id)
                    .bind(name)
                    .bind(display.to_lowercase())
                    .bind(tip)
                    .bind(*name == default_full)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn branch_tips(
                &self,
                repository_id: i64,
            ) -> $crate::Result<Vec<(String, String, bool)>> {
                Ok(sqlx::query_as(
                    "SELECT name, tip, is_default FROM scan_branches WHERE repository_id = $1",
                )
                .bind(repository_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn set_branch_tip(
                &self,
                repository_id: i64,
                default_branch: &str,
                name: &str,
                expected: Option<&str>,
                tip: Option<&str>,
            ) -> $crate::Result<bool> {
                let is_default = name == default_branch
                    || name.strip_prefix("refs/heads/") == Some(default_branch);
                // One statement each, so no transaction holds locks across statements.
                let done = match (expected, tip) {
                    (None, None) => return Ok(true),
                    (None, Some(tip)) => {
                        let display = name.strip_prefix("refs/heads/").unwrap_or(name);
                        sqlx::query(
                            "INSERT INTO scan_branches (repository_id, name, display_lower, tip, is_default) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repository_id, name) DO NOTHING",
                        )
                        .bind(repository_id)
                        .bind(name)
                        .bind(display.to_lowercase())
                        .bind(tip)
                        .bind(is_default)
                        .execute(&self.pool)
                        .await?
                    }
                    (Some(expected), Some(tip)) => {
                        sqlx::query(
                            "UPDATE scan_branches SET tip = $1, is_default = $2 \
                             WHERE repository_id = $3 AND name = $4 AND tip = $5",
                        )
                        .bind(tip)
                        .bind(is_default)
                        .bind(repository_id)
                        .bind(name)
                        .bind(expected)
                        .execute(&self.pool)
                        .await?
                    }
                    (Some(expected), None) => {
                        sqlx::query(
                            "DELETE FROM scan_branches WHERE repository_id = $1 AND name = $2 AND tip = $3",
                        )
                        .bind(repository_id)
                        .bind(name)
                        .bind(expected)
                        .execute(&self.pool)
                        .await?
                    }
                };
                Ok(done.rows_affected() == 1)
            }

            async fn enqueue_scan(&self, scan: $crate::NewScan) -> $crate::Result<$crate::Scan> {
                let mut tx = self.begin_write().await?;
                let created: $crate::Scan = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO scans (scan_key, repository_id, branch, history, state, reason, batch_id, queued_at) \
                     VALUES ($1, $2, $3, $4, 'QUEUED', $5, $6, $7) RETURNING {SCAN_COLS}",
                     SCAN_COLS = $crate::scans::sql::SCAN_COLS,
                )))
                .bind(&scan.scan_key)
                .bind(scan.repository_id)
                .bind(&scan.branch)
                .bind(scan.history)
                .bind(scan.reason.as_str())
                .bind(scan.batch_id)
                .bind($crate::now_millis())
                .fetch_one(&mut *tx)
                .await?;
                if !scan.history {
                    sqlx::query(
                        "UPDATE scan_branches SET scan_state = 'QUEUED', last_scan_id = $1 \
                         WHERE repository_id = $2 AND name = $3",
                    )
                    .bind(created.id)
                    .bind(scan.repository_id)
                    .bind(&scan.branch)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(created)
            }

            async fn scan_by_key(&self, scan_key: &str) -> $crate::Result<Option<$crate::Scan>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SCAN_COLS} FROM scans WHERE scan_key = $1",
                    SCAN_COLS = $crate::scans::sql::SCAN_COLS,
                )))
                .bind(scan_key)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn latest_scan(
                &self,
                repository_id: i64,
                branch: &str,
                history: bool,
                states: &[$crate::ScanState],
            ) -> $crate::Result<Option<$crate::Scan>> {
                let all = states.is_empty();
                let pick = |i: usize| states.get(i).map_or("", |s| s.as_str());
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SCAN_COLS} FROM scans WHERE repository_id = $1 AND branch = $2 AND history = $3 \
                     AND ($4 OR state IN ($5, $6, $7)) ORDER BY id DESC LIMIT 1",
                     SCAN_COLS = $crate::scans::sql::SCAN_COLS,
                )))
                .bind(repository_id)
                .bind(branch)
                .bind(history)
                .bind(all)
                .bind(pick(0))
                .bind(pick(1))
                .bind(pick(2))
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn claim_scan(
                &self,
                node: &str,
                now: i64,
                lease_ms: i64,
                max_attempts: i64,
            ) -> $crate::Result<Option<$crate::Scan>> {
                // PostgreSQL: several processes share the queue; SKIP LOCKED lets each take a
                // different row. SQLite: one writer at a time makes the statement atomic.
                let lock = match $backend {
                    $crate::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
                    $crate::Backend::Sqlite => "",
                };
                let mut tx = self.begin_write().await?;
                // Scans no node finished in `max_attempts` starts are not started again.
                let exhausted: Vec<(i64,)> = sqlx::query_as(
                    "UPDATE scans SET state = 'FAILED', finished_at = $1, lease_until = NULL, \
                     error = 'the scan was started ' || CAST(attempts AS TEXT) || \
                             ' times and never finished (last on node ' || COALESCE(lease_owner, '?') || ')' \
                     WHERE attempts >= $2 \
                       AND (state = 'QUEUED' OR (state = 'RUNNING' AND lease_until < $1)) \
                     RETURNING id",
                )
                .bind(now)
                .bind(max_attempts)
                .fetch_all(&mut *tx)
                .await?;
                for (id,) in &exhausted {
                    sqlx::query("UPDATE scan_branches SET scan_state = 'FAILED' WHERE last_scan_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let claimed: Option<$crate::Scan> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE scans SET state = 'RUNNING', lease_owner = $1, lease_until = $2, \
                     started_at = $3, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM scans \
                                 WHERE state = 'QUEUED' OR (state = 'RUNNING' AND lease_until < $3) \
                                 ORDER BY id LIMIT 1 {lock}) \
                     RETURNING {SCAN_COLS}",
                     SCAN_COLS = $crate::scans::sql::SCAN_COLS,
                )))
                .bind(node)
                .bind(now + lease_ms)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(scan) = &claimed {
                    sqlx::query("UPDATE scan_branches SET scan_state = 'RUNNING' WHERE last_scan_id = $1")
                        .bind(scan.id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(claimed)
            }

            async fn start_scan(
                &self,
                id: i64,
                node: &str,
                commit_id: &str,
                generation: i64,
                rules_identity: &str,
                config_error: Option<&str>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE scans SET commit_id = $1, generation = $2, config_error = $3, \
                     rules_identity = $6 \
                     WHERE id = $4 AND lease_owner = $5 AND state = 'RUNNING'",
                )
                .bind(commit_id)
                .bind(generation)
                .bind(config_error)
                .bind(id)
                .bind(node)
                .bind(rules_identity)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn renew_scan(
                &self,
                id: i64,
                node: &str,
                lease_until: i64,
                files_done: i64,
                files_total: i64,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE scans SET lease_until = $1, files_done = $2, files_total = $3 \
                     WHERE id = $4 AND lease_owner = $5 AND state = 'RUNNING'",
                )
                .bind(lease_until)
                .bind(files_done)
                .bind(files_total)
                .bind(id)
                .bind(node)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish_scan(
                &self,
                id: i64,
                node: &str,
                outcome: $crate::ScanOutcome,
            ) -> $crate::Result<bool> {
                let now = $crate::now_millis();
                let mut tx = self.begin_write().await?;
                let scan: Option<$crate::Scan> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE scans SET state = 'DONE', finished_at = $1, files_total = $2, files_done = $2, \
                     findings_total = $3, vulnerabilities = $4, skipped_files = $5, lease_until = NULL, \
                     config_warnings = $8, rule_errors = $9, findings_dropped = $10 \
                     WHERE id = $6 AND lease_owner = $7 AND state = 'RUNNING' RETURNING {SCAN_COLS}",
                     SCAN_COLS = $crate::scans::sql::SCAN_COLS,
                )))
                .bind(now)
                .bind(outcome.files_total)
                .bind(outcome.findings.len() as i64 + outcome.findings_dropped)
                .bind(outcome.vulnerabilities)
                .bind(outcome.skipped_files)
                .bind(id)
                .bind(node)
                .bind($crate::scans::join_lines(&outcome.config_warnings))
                .bind($crate::scans::join_lines(&outcome.rule_errors))
                .bind(outcome.findings_dropped)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(scan) = scan else {
                    tx.rollback().await?;
                    return Ok(false);
                };
                for (chunk_no, chunk) in outcome.findings.chunks(500).enumerate() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO scan_findings (scan_id, seq, path, line, rule_name, text, \
                         line_offset_start, line_offset_end, truncated, allowlisted, blocking, commit_id, confidence) ",
                    );
                    qb.push_values(chunk.iter().enumerate(), |mut b, (i, f)| {
                        b.push_bind(id)
                            .push_bind((chunk_no * 500 + i) as i64)
                            .push_bind(f.path.clone())
                            .push_bind(f.line)
                            .push_bind(f.rule_name.clone())
                            .push_bind(f.text.clone())
                            .push_bind(f.line_offset_start)
                            .push_bind(f.line_offset_end)
                            .push_bind(f.truncated)
                            .push_bind(f.allowlisted)
                            .push_bind(f.blocking)
                            .push_bind(f.commit_id.clone())
                            .push_bind(f.confidence);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                // Only the latest result of a branch is ever read: drop older findings.
                sqlx::query(
                    "DELETE FROM scan_findings WHERE scan_id IN \
                     (SELECT id FROM scans WHERE repository_id = $1 AND branch = $2 AND history = $3 \
                      AND state = 'DONE' AND id < $4)",
                )
                .bind(scan.repository_id)
                .bind(&scan.branch)
                .bind(scan.history)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if !scan.history {
                    sqlx::query(
                        "UPDATE scan_branches SET \
                         scan_state = CASE WHEN last_scan_id = $1 THEN 'DONE' ELSE scan_state END, \
                         result_scan_id = $1, result_commit = $2, result_generation = $3, \
                         result_vulnerabilities = $4, result_date = $5 \
                         WHERE repository_id = $6 AND name = $7 \
                           AND (result_scan_id IS NULL OR result_scan_id < $1)",
                    )
                    .bind(id)
                    .bind(&scan.commit_id)
                    .bind(scan.generation)
                    .bind(outcome.vulnerabilities)
                    .bind(now)
                    .bind(scan.repository_id)
                    .bind(&scan.branch)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn fail_scan(&self, id: i64, node: &str, error: &str) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE scans SET state = 'FAILED', error = $1, finished_at = $2, lease_until = NULL \
                     WHERE id = $3 AND lease_owner = $4 AND state = 'RUNNING'",
                )
                .bind(error)
                .bind($crate::now_millis())
                .bind(id)
                .bind(node)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    sqlx::query("UPDATE scan_branches SET scan_state = 'FAILED' WHERE last_scan_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn cancel_scan(&self, repository_id: i64, scan_key: &str) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE scans SET state = 'CANCELLED', finished_at = $1, lease_until = NULL \
                     WHERE repository_id = $2 AND scan_key = $3 AND state IN ('QUEUED', 'RUNNING') \
                     RETURNING id",
                )
                .bind($crate::now_millis())
                .bind(repository_id)
                .bind(scan_key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((id,)) = row {
                    sqlx::query("UPDATE scan_branches SET scan_state = 'CANCELLED' WHERE last_scan_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(row.is_some())
            }

            async fn scan_findings(&self, scan_id: i64) -> $crate::Result<Vec<$crate::ScanFinding>> {
                Ok(sqlx::query_as(
                    "SELECT path, line, rule_name, text, line_offset_start, line_offset_end, truncated, \
                     allowlisted, blocking, commit_id, confidence FROM scan_findings WHERE scan_id = $1 ORDER BY seq",
                )
                .bind(scan_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn scan_findings_batch(
                &self,
                scan_id: i64,
                from: i64,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ScanFinding>> {
                Ok(sqlx::query_as(
                    "SELECT path, line, rule_name, text, line_offset_start, line_offset_end, truncated, \
                     allowlisted, blocking, commit_id, confidence FROM scan_findings \
                     WHERE scan_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                )
                .bind(scan_id)
                .bind(from)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn branch_results(
                &self,
                repository_id: Option<i64>,
            ) -> $crate::Result<Vec<(i64, i64, i64)>> {
                let rows: Vec<(i64, i64, i64)> = match repository_id {
                    Some(id) => sqlx::query_as(
                        "SELECT repository_id, result_scan_id, COALESCE(result_vulnerabilities, 0) FROM scan_branches \
                         WHERE repository_id = $1 AND result_scan_id IS NOT NULL ORDER BY name",
                    )
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?,
                    None => sqlx::query_as(
                        "SELECT repository_id, result_scan_id, COALESCE(result_vulnerabilities, 0) FROM scan_branches \
                         WHERE result_scan_id IS NOT NULL ORDER BY repository_id, name",
                    )
                    .fetch_all(&self.pool)
                    .await?,
                };
                Ok(rows)
            }

            async fn set_scan_vulnerabilities(
                &self,
                scan_id: i64,
                vulnerabilities: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE scans SET vulnerabilities = $1 WHERE id = $2")
                    .bind(vulnerabilities)
                    .bind(scan_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE scan_branches SET result_vulnerabilities = $1 WHERE result_scan_id = $2",
                )
                .bind(vulnerabilities)
                .bind(scan_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_batch(
                &self,
                scope: &str,
                emails: &str,
                requested_by: Option<&str>,
            ) -> $crate::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO scan_batches (scope, emails, requested_by, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(scope)
                .bind(emails)
                .bind(requested_by)
                .bind($crate::now_millis())
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn count_mass_branches(&self, target: &$crate::MassTarget) -> $crate::Result<i64> {
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM scan_branches b {}",
                    $crate::scans::sql::mass_filter(target)
                )))
                .fetch_one(&self.pool)
                .await?;
                Ok(n)
            }

            async fn enqueue_mass_scans(
                &self,
                batch_id: i64,
                target: &$crate::MassTarget,
                reason: $crate::ScanReason,
            ) -> $crate::Result<i64> {
                // A random key per row, as `random_hex(12)` makes them.
                let key = match $backend {
                    $crate::Backend::Postgres => {
                        "substr(replace(CAST(gen_random_uuid() AS TEXT), '-', ''), 1, 24)"
                    }
                    $crate::Backend::Sqlite => "lower(hex(randomblob(12)))",
                };
                let filter = $crate::scans::sql::mass_filter(target);
                let mut tx = self.begin_write().await?;
                let queued = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO scans (scan_key, repository_id, branch, history, state, reason, batch_id, queued_at) \
                     SELECT {key}, b.repository_id, b.name, FALSE, 'QUEUED', $1, $2, $3 \
                     FROM scan_branches b {filter} \
                       AND NOT EXISTS (SELECT 1 FROM scans WHERE batch_id = $2) \
                     ORDER BY b.repository_id, b.name"
                )))
                .bind(reason.as_str())
                .bind(batch_id)
                .bind($crate::now_millis())
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
                sqlx::query(
                    "UPDATE scan_branches SET scan_state = 'QUEUED', last_scan_id = s.id \
                     FROM scans s WHERE s.batch_id = $1 \
                       AND s.repository_id = scan_branches.repository_id AND s.branch = scan_branches.name",
                )
                .bind(batch_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE scan_batches SET total = $1 WHERE id = $2")
                    .bind(queued)
                    .bind(batch_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(queued)
            }

            async fn result_rule_identities(&self) -> $crate::Result<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT DISTINCT s.rules_identity FROM scan_branches b \
                     JOIN scans s ON s.id = b.result_scan_id WHERE s.rules_identity IS NOT NULL",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(r,)| r).collect())
            }

            async fn set_batch_total(&self, batch_id: i64, total: i64) -> $crate::Result<()> {
                sqlx::query("UPDATE scan_batches SET total = $1 WHERE id = $2")
                    .bind(total)
                    .bind(batch_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn claim_finished_batch(
                &self,
                batch_id: i64,
            ) -> $crate::Result<Option<$crate::FinishedBatch>> {
                Ok(sqlx::query_as(
                    "UPDATE scan_batches SET notified_at = $1 \
                     WHERE id = $2 AND notified_at IS NULL AND total > 0 \
                       AND NOT EXISTS (SELECT 1 FROM scans \
                                       WHERE batch_id = $2 AND state IN ('QUEUED', 'RUNNING')) \
                     RETURNING id, scope, emails, total",
                )
                .bind($crate::now_millis())
                .bind(batch_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn release_scans(&self, node: &str) -> $crate::Result<u64> {
                let mut tx = self.begin_write().await?;
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "UPDATE scans SET state = 'QUEUED', lease_owner = NULL, lease_until = NULL, \
                     files_done = 0, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
                     WHERE lease_owner = $1 AND state = 'RUNNING' RETURNING id",
                )
                .bind(node)
                .fetch_all(&mut *tx)
                .await?;
                for (id,) in &rows {
                    sqlx::query("UPDATE scan_branches SET scan_state = 'QUEUED' WHERE last_scan_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(rows.len() as u64)
            }

            async fn expire_leases(&self, node: &str) -> $crate::Result<u64> {
                let done = sqlx::query(
                    "UPDATE scans SET lease_until = 0 WHERE lease_owner = $1 AND state = 'RUNNING'",
                )
                .bind(node)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_scans;
