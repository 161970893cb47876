//! The SQL of [`super::UserStore`], shared by both backends.

/// Columns of [`crate::User`].
pub(crate) const USER_COLS: &str =
    "u.id, u.name, u.display_name, u.email, u.password_hash, u.admin, u.created_at";

/// A stored token with its hash.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    #[sqlx(flatten)]
    pub token: crate::AccessToken,
    pub token_hash: String,
}

/// `SELECT` of one user by lower-cased name.
pub(crate) static USER_BY_NAME: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {USER_COLS} FROM users u WHERE u.name_lower = $1"));

/// `SELECT` of one user by id.
pub(crate) static USER_BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"));

/// A page of users filtered on name or display name.
pub(crate) static LIST_USERS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {USER_COLS} FROM users u \
         WHERE u.name_lower LIKE $1 ESCAPE '\\' OR LOWER(u.display_name) LIKE $1 ESCAPE '\\' \
         ORDER BY u.name_lower LIMIT $2 OFFSET $3"
    )
});

/// Implements [`crate::UserStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_users {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::UserStore for $store {
            async fn count_users(&self) -> $crate::Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn create_user(&self, user: $crate::NewUser) -> $crate::Result<$crate::User> {
                let now = $crate::now_millis();
                let mut tx = self.begin_write().await?;
                let created: $crate::User = sqlx::query_as(
                    "INSERT INTO users (name, name_lower, display_name, email, password_hash, admin, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     RETURNING id, name, display_name, email, password_hash, admin, created_at",
                )
                .bind(&user.name)
                .bind(user.name.to_lowercase())
                .bind(&user.display_name)
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(user.admin)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| $crate::sql::conflict(e, format!("user {}", user.name)))?;
                let key = format!("~{}", user.name.to_uppercase());
                sqlx::query(
                    "INSERT INTO projects (key, key_upper, name, name_lower, description, owner_id, created_at) \
                     VALUES ($1, $2, $3, $4, NULL, $5, $6)",
                )
                .bind(&key)
                .bind(&key)
                .bind(&user.display_name)
                .bind(user.display_name.to_lowercase())
                .bind(created.id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::sql::conflict(e, format!("project {key}")))?;
                tx.commit().await?;
                Ok(created)
            }

            async fn user_by_name(&self, name: &str) -> $crate::Result<Option<$crate::User>> {
                Ok(sqlx::query_as($crate::users::sql::USER_BY_NAME.as_str())
                    .bind(name.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn user_by_id(&self, id: i64) -> $crate::Result<Option<$crate::User>> {
                Ok(sqlx::query_as($crate::users::sql::USER_BY_ID.as_str()).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn list_users(
                &self,
                filter: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::User>> {
                let rows = sqlx::query_as($crate::users::sql::LIST_USERS.as_str())
                    .bind($crate::page::contains_pattern(filter))
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn set_password(&self, user_id: i64, password_hash: &str) -> $crate::Result<()> {
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                $crate::sql::found(done.rows_affected())
            }

            async fn set_admin(&self, user_id: i64, admin: bool) -> $crate::Result<()> {
                let done = sqlx::query("UPDATE users SET admin = $1 WHERE id = $2")
                    .bind(admin)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                $crate::sql::found(done.rows_affected())
            }

            async fn delete_user(&self, user_id: i64) -> $crate::Result<Vec<$crate::Repository>> {
                let mut tx = self.begin_write().await?;
                let repos: Vec<$crate::Repository> = sqlx::query_as(
                    "SELECT r.id, r.project_id, r.slug, r.name, r.default_branch, r.disk_name, r.created_at \
                     FROM repositories r JOIN projects p ON p.id = r.project_id WHERE p.owner_id = $1",
                )
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
                // Explicit deletes rather than relying on cascades alone: the order is the same on
                // both engines and nothing depends on PRAGMA foreign_keys.
                for sql in [
                    "DELETE FROM repository_permissions WHERE user_id = $1",
                    "DELETE FROM project_permissions WHERE user_id = $1",
                    "DELETE FROM access_tokens WHERE user_id = $1",
                    "DELETE FROM repository_permissions WHERE repository_id IN \
                       (SELECT r.id FROM repositories r JOIN projects p ON p.id = r.project_id WHERE p.owner_id = $1)",
                    "DELETE FROM project_permissions WHERE project_id IN (SELECT id FROM projects WHERE owner_id = $1)",
                    "DELETE FROM repositories WHERE project_id IN (SELECT id FROM projects WHERE owner_id = $1)",
                    "DELETE FROM projects WHERE owner_id = $1",
                ] {
                    sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
                }
                let done = sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                $crate::sql::found(done.rows_affected())?;
                tx.commit().await?;
                Ok(repos)
            }

            async fn create_token(
                &self,
                token: $crate::NewToken<'_>,
            ) -> $crate::Result<$crate::AccessToken> {
                Ok(sqlx::query_as(
                    "INSERT INTO access_tokens \
                     (user_id, name, key_id, token_hash, created_at, permissions, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, user_id, name, key_id, created_at, permissions, expires_at, last_used_at",
                )
                .bind(token.user_id)
                .bind(token.name)
                .bind(token.key_id)
                .bind(token.token_hash)
                .bind($crate::now_millis())
                .bind(token.permissions)
                .bind(token.expires_at)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| $crate::sql::conflict(e, format!("token {}", token.key_id)))?)
            }

            async fn token_by_key(
                &self,
                key_id: &str,
            ) -> $crate::Result<Option<($crate::AccessToken, String)>> {
                let row: Option<$crate::users::sql::TokenRow> = sqlx::query_as(
                    "SELECT id, user_id, name, key_id, created_at, permissions, expires_at, last_used_at, token_hash FROM access_tokens WHERE key_id = $1",
                )
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| (r.token, r.token_hash)))
            }

            async fn list_tokens(&self, user_id: i64) -> $crate::Result<Vec<$crate::AccessToken>> {
                Ok(sqlx::query_as(
                    "SELECT id, user_id, name, key_id, created_at, permissions, expires_at, last_used_at FROM access_tokens WHERE user_id = $1 ORDER BY id DESC",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn touch_token(&self, token_id: i64, at: i64) -> $crate::Result<()> {
                sqlx::query("UPDATE access_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token_id)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_token(&self, user_id: i64, token_id: i64) -> $crate::Result<()> {
                let done = sqlx::query("DELETE FROM access_tokens WHERE user_id = $1 AND id = $2")
                    .bind(user_id)
                    .bind(token_id)
                    .execute(&self.pool)
                    .await?;
                $crate::sql::found(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_users;
