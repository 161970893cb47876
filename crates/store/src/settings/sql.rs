//! The SQL of [`super::SettingStore`], shared by both backends.

/// Implements [`crate::SettingStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_settings {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::SettingStore for $store {
            async fn setting(&self, key: &str) -> $crate::Result<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(v,)| v))
            }

            async fn put_setting(&self, key: &str, value: &str) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn increment_setting(&self, key: &str, by: i64) -> $crate::Result<i64> {
                let (value,): (String,) = sqlx::query_as(
                    "INSERT INTO settings (key, value) VALUES ($1, CAST($2 AS TEXT)) \
                     ON CONFLICT (key) DO UPDATE \
                     SET value = CAST(CAST(settings.value AS BIGINT) + $2 AS TEXT) \
                     RETURNING value",
                )
                .bind(key)
                .bind(by)
                .fetch_one(&self.pool)
                .await?;
                value
                    .parse()
                    .map_err(|_| $crate::StoreError::Corrupt(format!("setting {key} is not an integer")))
            }

            // ---- rules and reviewed findings ----

            async fn hook_setting(
                &self,
                scope: $crate::HookScope,
            ) -> $crate::Result<Option<$crate::HookSetting>> {
                let (sql, id) = match scope {
                    $crate::HookScope::Project(id) => (
                        "SELECT enabled, warn FROM project_hook_settings WHERE project_id = $1",
                        id,
                    ),
                    $crate::HookScope::Repository(id) => (
                        "SELECT enabled, warn FROM repository_hook_settings WHERE repository_id = $1",
                        id,
                    ),
                };
                Ok(sqlx::query_as(sql).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn put_hook_setting(
                &self,
                scope: $crate::HookScope,
                setting: $crate::HookSetting,
            ) -> $crate::Result<()> {
                let (sql, id) = match scope {
                    $crate::HookScope::Project(id) => (
                        "INSERT INTO project_hook_settings (project_id, enabled, warn, updated_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (project_id) DO UPDATE \
                         SET enabled = excluded.enabled, warn = excluded.warn, updated_at = excluded.updated_at",
                        id,
                    ),
                    $crate::HookScope::Repository(id) => (
                        "INSERT INTO repository_hook_settings (repository_id, enabled, warn, updated_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (repository_id) DO UPDATE \
                         SET enabled = excluded.enabled, warn = excluded.warn, updated_at = excluded.updated_at",
                        id,
                    ),
                };
                sqlx::query(sql)
                    .bind(id)
                    .bind(setting.enabled)
                    .bind(setting.warn)
                    .bind($crate::now_millis())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| match $crate::StoreError::from(e) {
                        // The project or repository is gone (foreign key).
                        $crate::StoreError::Database(sqlx::Error::Database(db))
                            if db.is_foreign_key_violation() => $crate::StoreError::NotFound,
                        other => other,
                    })?;
                Ok(())
            }

            async fn delete_hook_setting(&self, scope: $crate::HookScope) -> $crate::Result<()> {
                let (sql, id) = match scope {
                    $crate::HookScope::Project(id) => {
                        ("DELETE FROM project_hook_settings WHERE project_id = $1", id)
                    }
                    $crate::HookScope::Repository(id) => {
                        ("DELETE FROM repository_hook_settings WHERE repository_id = $1", id)
                    }
                };
                sqlx::query(sql).bind(id).execute(&self.pool).await?;
                Ok(())
            }

            // ---- audit log ----

            async fn claim_setting_slot(&self, key: &str, slot: i64) -> $crate::Result<bool> {
                let row: Option<(String,)> = sqlx::query_as(
                    "INSERT INTO settings (key, value) VALUES ($1, CAST($2 AS TEXT)) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value \
                     WHERE CAST(settings.value AS BIGINT) < $2 RETURNING value",
                )
                .bind(key)
                .bind(slot)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }
        }
    };
}

pub(crate) use impl_settings;
