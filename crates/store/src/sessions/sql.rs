//! The SQL of [`super::SessionStore`], shared by both backends.

/// Implements [`crate::SessionStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_sessions {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::SessionStore for $store {
            async fn create_session(
                &self,
                token_hash: &str,
                user_id: i64,
                csrf: &str,
            ) -> $crate::Result<()> {
                let now = $crate::now_millis();
                sqlx::query(
                    "INSERT INTO ui_sessions (token_hash, user_id, csrf, created_at, last_used_at) \
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(csrf)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
                used_since: i64,
            ) -> $crate::Result<Option<$crate::UiSession>> {
                Ok(sqlx::query_as(
                    "SELECT user_id, csrf, created_at, last_used_at FROM ui_sessions \
                     WHERE token_hash = $1 AND last_used_at >= $2",
                )
                .bind(token_hash)
                .bind(used_since)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn touch_session(&self, token_hash: &str) -> $crate::Result<()> {
                sqlx::query("UPDATE ui_sessions SET last_used_at = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind($crate::now_millis())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM ui_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, used_before: i64) -> $crate::Result<u64> {
                let done = sqlx::query("DELETE FROM ui_sessions WHERE last_used_at < $1")
                    .bind(used_before)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_sessions;
