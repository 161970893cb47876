//! The SQL of [`super::RuleStore`], shared by both backends.

/// Columns of [`crate::CustomRule`].
const CUSTOM_RULE_COLS: &str =
    "id, name, regexp, enabled, blocking, validation_error, created_by, created_at, updated_at";

/// Every custom rule.
pub(crate) static LIST_CUSTOM_RULES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {CUSTOM_RULE_COLS} FROM custom_rules ORDER BY id"));

/// One custom rule.
pub(crate) static CUSTOM_RULE_BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {CUSTOM_RULE_COLS} FROM custom_rules WHERE id = $1")
});

/// A new custom rule.
pub(crate) static INSERT_CUSTOM_RULE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "INSERT INTO custom_rules \
         (name, regexp, enabled, blocking, validation_error, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $6) RETURNING {CUSTOM_RULE_COLS}"
        )
    });

/// A custom rule's new definition (its validation error cleared).
pub(crate) static UPDATE_CUSTOM_RULE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "UPDATE custom_rules SET name = $1, regexp = $2, enabled = $3, blocking = $4, \
         validation_error = NULL, updated_at = $5 WHERE id = $6 RETURNING {CUSTOM_RULE_COLS}"
        )
    });

/// Implements [`crate::RuleStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_rules {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::RuleStore for $store {
            async fn builtin_rule_states(&self) -> $crate::Result<Vec<(String, bool)>> {
                Ok(sqlx::query_as("SELECT name, enabled FROM builtin_rule_states ORDER BY name")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn set_builtin_rule_enabled(&self, name: &str, enabled: bool) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO builtin_rule_states (name, enabled, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(enabled)
                .bind($crate::now_millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_custom_rules(&self) -> $crate::Result<Vec<$crate::CustomRule>> {
                Ok(sqlx::query_as($crate::rules::sql::LIST_CUSTOM_RULES.as_str())
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn custom_rule(&self, id: i64) -> $crate::Result<Option<$crate::CustomRule>> {
                Ok(sqlx::query_as($crate::rules::sql::CUSTOM_RULE_BY_ID.as_str())
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_custom_rule(
                &self,
                rule: $crate::NewCustomRule,
            ) -> $crate::Result<$crate::CustomRule> {
                let now = $crate::now_millis();
                sqlx::query_as($crate::rules::sql::INSERT_CUSTOM_RULE.as_str())
                .bind(&rule.name)
                .bind(&rule.regexp)
                .bind(rule.enabled)
                .bind(rule.blocking)
                .bind(&rule.created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| $crate::sql::conflict(e, format!("A custom rule named {}", rule.name)))
            }

            async fn update_custom_rule(
                &self,
                id: i64,
                rule: $crate::NewCustomRule,
            ) -> $crate::Result<$crate::CustomRule> {
                sqlx::query_as($crate::rules::sql::UPDATE_CUSTOM_RULE.as_str())
                .bind(&rule.name)
                .bind(&rule.regexp)
                .bind(rule.enabled)
                .bind(rule.blocking)
                .bind($crate::now_millis())
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| $crate::sql::conflict(e, format!("A custom rule named {}", rule.name)))?
                .ok_or($crate::StoreError::NotFound)
            }

            async fn delete_custom_rule(&self, id: i64) -> $crate::Result<()> {
                let done = sqlx::query("DELETE FROM custom_rules WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                $crate::sql::found(done.rows_affected())
            }

            async fn set_custom_rule_error(&self, id: i64, error: Option<&str>) -> $crate::Result<()> {
                let done = sqlx::query(
                    "UPDATE custom_rules SET validation_error = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(error)
                .bind($crate::now_millis())
                .bind(id)
                .execute(&self.pool)
                .await?;
                $crate::sql::found(done.rows_affected())
            }

            async fn add_rule_budget_event(
                &self,
                rule_id: i64,
                repository_id: i64,
                at: i64,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO rule_budget_events (rule_id, repository_id, occurred_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(rule_id)
                .bind(repository_id)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn rule_budget_counts(
                &self,
                since: i64,
            ) -> $crate::Result<Vec<$crate::RuleBudgetCounts>> {
                Ok(sqlx::query_as(
                    "SELECT rule_id, \
                     COUNT(DISTINCT CASE WHEN occurred_at >= $1 THEN repository_id END) AS repositories, \
                     COUNT(*) AS times, MAX(occurred_at) AS last \
                     FROM rule_budget_events GROUP BY rule_id ORDER BY rule_id",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn clear_rule_budget_events(&self, rule_id: i64) -> $crate::Result<u64> {
                let done = sqlx::query("DELETE FROM rule_budget_events WHERE rule_id = $1")
                    .bind(rule_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn add_repository_reviewed(
                &self,
                repository_id: i64,
                entry: $crate::NewReviewed,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO repository_reviewed (repository_id, match_text, rule_name, reviewed_by, reviewed_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repository_id, match_text) DO NOTHING",
                )
                .bind(repository_id)
                .bind(&entry.match_text)
                .bind(&entry.rule_name)
                .bind(&entry.reviewed_by)
                .bind($crate::now_millis())
                .execute(&self.pool)
                .await
                .map_err(|e| match $crate::StoreError::from(e) {
                    $crate::StoreError::Database(sqlx::Error::Database(db))
                        if db.is_foreign_key_violation() => $crate::StoreError::NotFound,
                    other => other,
                })?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_repository_reviewed(
                &self,
                repository_id: i64,
                match_text: &str,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "DELETE FROM repository_reviewed WHERE repository_id = $1 AND match_text = $2",
                )
                .bind(repository_id)
                .bind(match_text)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn clear_repository_reviewed(&self, repository_id: i64) -> $crate::Result<u64> {
                let done = sqlx::query("DELETE FROM repository_reviewed WHERE repository_id = $1")
                    .bind(repository_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn list_repository_reviewed(
                &self,
                repository_id: i64,
            ) -> $crate::Result<Vec<$crate::ReviewedEntry>> {
                Ok(sqlx::query_as(
                    "SELECT match_text, rule_name, reviewed_by, reviewed_at FROM repository_reviewed \
                     WHERE repository_id = $1 ORDER BY match_text",
                )
                .bind(repository_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn add_global_reviewed(
                &self,
                entries: Vec<$crate::NewReviewed>,
            ) -> $crate::Result<u64> {
                let now = $crate::now_millis();
                let mut added = 0;
                let mut tx = self.begin_write().await?;
                for entry in &entries {
                    let done = sqlx::query(
                        "INSERT INTO global_reviewed (match_text, rule_name, reviewed_by, reviewed_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (match_text) DO NOTHING",
                    )
                    .bind(&entry.match_text)
                    .bind(&entry.rule_name)
                    .bind(&entry.reviewed_by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    added += done.rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn delete_global_reviewed(&self, match_texts: Vec<String>) -> $crate::Result<u64> {
                let mut removed = 0;
                let mut tx = self.begin_write().await?;
                for text in &match_texts {
                    let done = sqlx::query("DELETE FROM global_reviewed WHERE match_text = $1")
                        .bind(text)
                        .execute(&mut *tx)
                        .await?;
                    removed += done.rows_affected();
                }
                tx.commit().await?;
                Ok(removed)
            }

            async fn clear_global_reviewed(&self) -> $crate::Result<u64> {
                let done = sqlx::query("DELETE FROM global_reviewed")
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn list_global_reviewed(&self) -> $crate::Result<Vec<$crate::ReviewedEntry>> {
                Ok(sqlx::query_as(
                    "SELECT match_text, rule_name, reviewed_by, reviewed_at FROM global_reviewed \
                     ORDER BY match_text",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            // ---- security hook settings ----
        }
    };
}

pub(crate) use impl_rules;
