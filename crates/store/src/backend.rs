//! The SQL shared by both backends, and the macro that implements [`crate::Store`] for a pool
//! type with it. Both SQLite and PostgreSQL accept every statement here as written.

/// Columns of [`crate::User`].
pub(crate) const USER_COLS: &str =
    "u.id, u.name, u.display_name, u.email, u.password_hash, u.admin, u.created_at";

/// A grant joined with its user.
#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    #[sqlx(flatten)]
    pub user: crate::User,
    pub level: i64,
}

impl GrantRow {
    pub(crate) fn into_grant(self) -> crate::Result<crate::UserGrant> {
        Ok(crate::UserGrant {
            user: self.user,
            level: crate::AccessLevel::from_i64(self.level)?,
        })
    }
}

/// The explicit grants of one user, read in one query.
#[derive(sqlx::FromRow)]
pub(crate) struct GrantsRow {
    pub project_level: Option<i64>,
    pub repository_level: Option<i64>,
    pub any_repository: bool,
}

/// A stored token with its hash.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    #[sqlx(flatten)]
    pub token: crate::AccessToken,
    pub token_hash: String,
}

/// Implements [`crate::Store`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn close(&self) {
                self.pool.close().await;
            }

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
                .map_err(|e| conflict(e, format!("user {}", user.name)))?;
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
                .map_err(|e| conflict(e, format!("project {key}")))?;
                tx.commit().await?;
                Ok(created)
            }

            async fn user_by_name(&self, name: &str) -> $crate::Result<Option<$crate::User>> {
                Ok(sqlx::query_as(USER_BY_NAME.as_str())
                    .bind(name.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn user_by_id(&self, id: i64) -> $crate::Result<Option<$crate::User>> {
                Ok(sqlx::query_as(USER_BY_ID.as_str()).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn list_users(
                &self,
                filter: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::User>> {
                let rows = sqlx::query_as(LIST_USERS.as_str())
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
                found(done.rows_affected())
            }

            async fn set_admin(&self, user_id: i64, admin: bool) -> $crate::Result<()> {
                let done = sqlx::query("UPDATE users SET admin = $1 WHERE id = $2")
                    .bind(admin)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                found(done.rows_affected())
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
                found(done.rows_affected())?;
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
                .map_err(|e| conflict(e, format!("token {}", token.key_id)))?)
            }

            async fn token_by_key(
                &self,
                key_id: &str,
            ) -> $crate::Result<Option<($crate::AccessToken, String)>> {
                let row: Option<$crate::backend::TokenRow> = sqlx::query_as(
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
                found(done.rows_affected())
            }

            async fn create_project(
                &self,
                project: $crate::NewProject,
            ) -> $crate::Result<$crate::Project> {
                Ok(sqlx::query_as(
                    "INSERT INTO projects (key, key_upper, name, name_lower, description, owner_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6) \
                     RETURNING id, key, name, description, owner_id, created_at",
                )
                .bind(&project.key)
                .bind(project.key.to_uppercase())
                .bind(&project.name)
                .bind(project.name.to_lowercase())
                .bind(&project.description)
                .bind($crate::now_millis())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| conflict(e, format!("project {}", project.key)))?)
            }

            async fn project_by_key(&self, key: &str) -> $crate::Result<Option<$crate::Project>> {
                Ok(sqlx::query_as(
                    "SELECT id, key, name, description, owner_id, created_at FROM projects WHERE key_upper = $1",
                )
                .bind(key.to_uppercase())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn project_by_id(&self, id: i64) -> $crate::Result<Option<$crate::Project>> {
                Ok(sqlx::query_as(
                    "SELECT id, key, name, description, owner_id, created_at FROM projects WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_projects(
                &self,
                viewer: $crate::Viewer,
                name: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::Project>> {
                let rows = sqlx::query_as(
                    "SELECT p.id, p.key, p.name, p.description, p.owner_id, p.created_at FROM projects p \
                     WHERE p.owner_id IS NULL AND p.name_lower LIKE $1 ESCAPE '\\' \
                       AND ($2 \
                            OR EXISTS (SELECT 1 FROM project_permissions pp \
                                       WHERE pp.project_id = p.id AND pp.user_id = $3) \
                            OR EXISTS (SELECT 1 FROM repository_permissions rp \
                                       JOIN repositories r ON r.id = rp.repository_id \
                                       WHERE r.project_id = p.id AND rp.user_id = $3)) \
                     ORDER BY p.key_upper LIMIT $4 OFFSET $5",
                )
                .bind($crate::page::contains_pattern(name))
                .bind(viewer.admin)
                .bind(viewer.user_id)
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn update_project(
                &self,
                id: i64,
                name: &str,
                description: Option<&str>,
            ) -> $crate::Result<$crate::Project> {
                Ok(sqlx::query_as(
                    "UPDATE projects SET name = $1, name_lower = $2, description = $3 WHERE id = $4 \
                     RETURNING id, key, name, description, owner_id, created_at",
                )
                .bind(name)
                .bind(name.to_lowercase())
                .bind(description)
                .bind(id)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn delete_project(&self, id: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM repositories WHERE project_id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if n > 0 {
                    return Err($crate::StoreError::Conflict(format!(
                        "project has {n} repositories"
                    )));
                }
                sqlx::query("DELETE FROM project_permissions WHERE project_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM projects WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                found(done.rows_affected())?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_repository(
                &self,
                repository: $crate::NewRepository,
            ) -> $crate::Result<$crate::Repository> {
                Ok(sqlx::query_as(
                    "INSERT INTO repositories (project_id, slug, name, name_lower, default_branch, disk_name, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     RETURNING id, project_id, slug, name, default_branch, disk_name, created_at",
                )
                .bind(repository.project_id)
                .bind(&repository.slug)
                .bind(&repository.name)
                .bind(repository.name.to_lowercase())
                .bind(&repository.default_branch)
                .bind(&repository.disk_name)
                .bind($crate::now_millis())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| conflict(e, format!("repository {}", repository.slug)))?)
            }

            async fn repository_by_slug(
                &self,
                project_id: i64,
                slug: &str,
            ) -> $crate::Result<Option<$crate::Repository>> {
                Ok(sqlx::query_as(
                    "SELECT id, project_id, slug, name, default_branch, disk_name, created_at \
                     FROM repositories WHERE project_id = $1 AND slug = $2",
                )
                .bind(project_id)
                .bind(slug.to_lowercase())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn repository_by_id(
                &self,
                id: i64,
            ) -> $crate::Result<Option<$crate::Repository>> {
                Ok(sqlx::query_as(
                    "SELECT id, project_id, slug, name, default_branch, disk_name, created_at \
                     FROM repositories WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_repositories(
                &self,
                project_id: i64,
                viewer: $crate::Viewer,
                name: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::Repository>> {
                let rows = sqlx::query_as(
                    "SELECT r.id, r.project_id, r.slug, r.name, r.default_branch, r.disk_name, r.created_at \
                     FROM repositories r JOIN projects p ON p.id = r.project_id \
                     WHERE r.project_id = $1 AND r.name_lower LIKE $2 ESCAPE '\\' \
                       AND ($3 OR p.owner_id = $4 \
                            OR EXISTS (SELECT 1 FROM project_permissions pp \
                                       WHERE pp.project_id = p.id AND pp.user_id = $4) \
                            OR EXISTS (SELECT 1 FROM repository_permissions rp \
                                       WHERE rp.repository_id = r.id AND rp.user_id = $4)) \
                     ORDER BY r.name_lower, r.id LIMIT $5 OFFSET $6",
                )
                .bind(project_id)
                .bind($crate::page::contains_pattern(name))
                .bind(viewer.admin)
                .bind(viewer.user_id)
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn delete_repository(&self, id: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM repository_permissions WHERE repository_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM repositories WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                found(done.rows_affected())?;
                tx.commit().await?;
                Ok(())
            }

            async fn grant_project(
                &self,
                project_id: i64,
                user_id: i64,
                level: $crate::AccessLevel,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO project_permissions (project_id, user_id, level) VALUES ($1, $2, $3) \
                     ON CONFLICT (project_id, user_id) DO UPDATE SET level = excluded.level",
                )
                .bind(project_id)
                .bind(user_id)
                .bind(level.as_i64())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn revoke_project(&self, project_id: i64, user_id: i64) -> $crate::Result<()> {
                sqlx::query("DELETE FROM project_permissions WHERE project_id = $1 AND user_id = $2")
                    .bind(project_id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn project_grants(
                &self,
                project_id: i64,
                filter: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::UserGrant>> {
                let rows: Vec<$crate::backend::GrantRow> = sqlx::query_as(PROJECT_GRANTS.as_str())
                    .bind(project_id)
                    .bind($crate::page::contains_pattern(filter))
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .fetch_all(&self.pool)
                    .await?;
                let grants = rows.into_iter().map(|r| r.into_grant()).collect::<$crate::Result<_>>()?;
                Ok($crate::Page::from_rows(grants, page))
            }

            async fn grant_repository(
                &self,
                repository_id: i64,
                user_id: i64,
                level: $crate::AccessLevel,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO repository_permissions (repository_id, user_id, level) VALUES ($1, $2, $3) \
                     ON CONFLICT (repository_id, user_id) DO UPDATE SET level = excluded.level",
                )
                .bind(repository_id)
                .bind(user_id)
                .bind(level.as_i64())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn revoke_repository(
                &self,
                repository_id: i64,
                user_id: i64,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "DELETE FROM repository_permissions WHERE repository_id = $1 AND user_id = $2",
                )
                .bind(repository_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn repository_grants(
                &self,
                repository_id: i64,
                filter: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::UserGrant>> {
                let rows: Vec<$crate::backend::GrantRow> = sqlx::query_as(REPOSITORY_GRANTS.as_str())
                    .bind(repository_id)
                    .bind($crate::page::contains_pattern(filter))
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .fetch_all(&self.pool)
                    .await?;
                let grants = rows.into_iter().map(|r| r.into_grant()).collect::<$crate::Result<_>>()?;
                Ok($crate::Page::from_rows(grants, page))
            }

            async fn grants(
                &self,
                user_id: i64,
                project_id: i64,
                repository_id: Option<i64>,
            ) -> $crate::Result<$crate::Grants> {
                let row: $crate::backend::GrantsRow = sqlx::query_as(
                    "SELECT \
                       (SELECT level FROM project_permissions WHERE project_id = $1 AND user_id = $2) AS project_level, \
                       (SELECT level FROM repository_permissions WHERE repository_id = $3 AND user_id = $2) AS repository_level, \
                       EXISTS (SELECT 1 FROM repository_permissions rp JOIN repositories r ON r.id = rp.repository_id \
                               WHERE r.project_id = $1 AND rp.user_id = $2) AS any_repository",
                )
                .bind(project_id)
                .bind(user_id)
                .bind(repository_id)
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::Grants {
                    project: row.project_level.map($crate::AccessLevel::from_i64).transpose()?,
                    repository: row
                        .repository_level
                        .map($crate::AccessLevel::from_i64)
                        .transpose()?,
                    any_repository: row.any_repository,
                })
            }

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
                Ok(sqlx::query_as($crate::backend::LIST_CUSTOM_RULES.as_str())
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn custom_rule(&self, id: i64) -> $crate::Result<Option<$crate::CustomRule>> {
                Ok(sqlx::query_as($crate::backend::CUSTOM_RULE_BY_ID.as_str())
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_custom_rule(
                &self,
                rule: $crate::NewCustomRule,
            ) -> $crate::Result<$crate::CustomRule> {
                let now = $crate::now_millis();
                sqlx::query_as($crate::backend::INSERT_CUSTOM_RULE.as_str())
                .bind(&rule.name)
                .bind(&rule.regexp)
                .bind(rule.enabled)
                .bind(rule.blocking)
                .bind(&rule.created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| conflict(e, format!("A custom rule named {}", rule.name)))
            }

            async fn update_custom_rule(
                &self,
                id: i64,
                rule: $crate::NewCustomRule,
            ) -> $crate::Result<$crate::CustomRule> {
                sqlx::query_as($crate::backend::UPDATE_CUSTOM_RULE.as_str())
                .bind(&rule.name)
                .bind(&rule.regexp)
                .bind(rule.enabled)
                .bind(rule.blocking)
                .bind($crate::now_millis())
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| conflict(e, format!("A custom rule named {}", rule.name)))?
                .ok_or($crate::StoreError::NotFound)
            }

            async fn delete_custom_rule(&self, id: i64) -> $crate::Result<()> {
                let done = sqlx::query("DELETE FROM custom_rules WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                found(done.rows_affected())
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
                found(done.rows_affected())
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

            async fn append_audit(
                &self,
                event: $crate::NewAuditEvent,
            ) -> $crate::Result<$crate::AuditEvent> {
                Ok(sqlx::query_as(
                    "INSERT INTO audit_events \
                     (created_at, user_name, action, project_key, repository_slug, details) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING id, created_at, user_name, action, project_key, repository_slug, details",
                )
                .bind($crate::now_millis())
                .bind(&event.user_name)
                .bind(&event.action)
                .bind(&event.project_key)
                .bind(&event.repository_slug)
                .bind(&event.details)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn list_audit(
                &self,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::AuditEvent>> {
                let rows = sqlx::query_as(
                    "SELECT id, created_at, user_name, action, project_key, repository_slug, details \
                     FROM audit_events ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                )
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            // ---- scans and status ----

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
                     VALUES ($1, $2, $3, $4, 'QUEUED', $5, $6, $7) RETURNING {SCAN_COLS}"
                )))
                .bind(&scan.scan_key)
                .bind(scan.repository_id)
                .bind(&scan.branch)
                .bind(scan.history)
                .bind(&scan.reason)
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
                    "SELECT {SCAN_COLS} FROM scans WHERE scan_key = $1"
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
                states: &[&str],
            ) -> $crate::Result<Option<$crate::Scan>> {
                let all = states.is_empty();
                let pick = |i: usize| states.get(i).copied().unwrap_or("");
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SCAN_COLS} FROM scans WHERE repository_id = $1 AND branch = $2 AND history = $3 \
                     AND ($4 OR state IN ($5, $6, $7)) ORDER BY id DESC LIMIT 1"
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
            ) -> $crate::Result<Option<$crate::Scan>> {
                // PostgreSQL: several processes share the queue; SKIP LOCKED lets each take a
                // different row. SQLite: one writer at a time makes the statement atomic.
                let lock = match $backend {
                    $crate::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
                    $crate::Backend::Sqlite => "",
                };
                let mut tx = self.begin_write().await?;
                let claimed: Option<$crate::Scan> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE scans SET state = 'RUNNING', lease_owner = $1, lease_until = $2, \
                     started_at = $3, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM scans \
                                 WHERE state = 'QUEUED' OR (state = 'RUNNING' AND lease_until < $3) \
                                 ORDER BY id LIMIT 1 {lock}) \
                     RETURNING {SCAN_COLS}"
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
                     WHERE id = $6 AND lease_owner = $7 AND state = 'RUNNING' RETURNING {SCAN_COLS}"
                )))
                .bind(now)
                .bind(outcome.files_total)
                .bind(outcome.findings.len() as i64 + outcome.findings_dropped)
                .bind(outcome.vulnerabilities)
                .bind(outcome.skipped_files)
                .bind(id)
                .bind(node)
                .bind($crate::scan_model::join_lines(&outcome.config_warnings))
                .bind($crate::scan_model::join_lines(&outcome.rule_errors))
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
                         line_offset_start, line_offset_end, truncated, allowlisted, blocking, commit_id) ",
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
                            .push_bind(f.commit_id.clone());
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
                     allowlisted, blocking, commit_id FROM scan_findings WHERE scan_id = $1 ORDER BY seq",
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
                     allowlisted, blocking, commit_id FROM scan_findings \
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

            async fn branch_statuses(
                &self,
                repository_id: i64,
                name: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::BranchStatusRow>> {
                let rows = sqlx::query_as(
                    "SELECT b.name, b.tip, b.is_default, b.scan_state, \
                     ls.scan_key AS last_scan_key, ls.files_done AS last_files_done, \
                     ls.files_total AS last_files_total, rs.scan_key AS result_scan_key, \
                     b.result_commit, b.result_generation, b.result_vulnerabilities, b.result_date \
                     FROM scan_branches b \
                     LEFT JOIN scans ls ON ls.id = b.last_scan_id \
                     LEFT JOIN scans rs ON rs.id = b.result_scan_id \
                     WHERE b.repository_id = $1 AND b.display_lower LIKE $2 ESCAPE '\\' \
                     ORDER BY b.is_default DESC, b.display_lower, b.name LIMIT $3 OFFSET $4",
                )
                .bind(repository_id)
                .bind($crate::page::contains_pattern(name))
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn repository_statuses(
                &self,
                project_id: i64,
                only: Option<i64>,
                viewer: $crate::Viewer,
                name: Option<&str>,
                generation: i64,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::RepositoryStatusRow>> {
                let rows = sqlx::query_as(REPOSITORY_STATUSES)
                    .bind(project_id)
                    .bind(only.unwrap_or(0))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind($crate::page::contains_pattern(name))
                    .bind(generation)
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn project_statuses(
                &self,
                only: Option<i64>,
                viewer: $crate::Viewer,
                kind: Option<$crate::ProjectKind>,
                name: Option<&str>,
                generation: i64,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::ProjectStatusRow>> {
                let rows = sqlx::query_as(PROJECT_STATUSES)
                    .bind(only.unwrap_or(0))
                    .bind($crate::page::contains_pattern(name))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind(generation)
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .bind($crate::ProjectKind::code(kind))
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn export_rows(
                &self,
                filter: &$crate::ExportFilter,
                after: (i64, i64),
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ExportRow>> {
                let viewer = filter.viewer.unwrap_or($crate::Viewer { user_id: 0, admin: true });
                Ok(sqlx::query_as(EXPORT_ROWS)
                    .bind(filter.project_id)
                    .bind(filter.repository_id.unwrap_or(0))
                    .bind(filter.branch.clone().unwrap_or_default())
                    .bind(filter.rule.clone().unwrap_or_default())
                    .bind(filter.include_allowlisted)
                    .bind(filter.start.unwrap_or(i64::MIN))
                    .bind(filter.end.unwrap_or(i64::MAX))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind(after.0)
                    .bind(after.1)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn all_repositories(
                &self,
                project_id: Option<i64>,
            ) -> $crate::Result<Vec<$crate::Repository>> {
                Ok(sqlx::query_as(
                    "SELECT id, project_id, slug, name, default_branch, disk_name, created_at \
                     FROM repositories WHERE ($1 = 0 OR project_id = $1) ORDER BY id",
                )
                .bind(project_id.unwrap_or(0))
                .fetch_all(&self.pool)
                .await?)
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

            async fn release_scans(&self, node: &str) -> $crate::Result<u64> {
                let mut tx = self.begin_write().await?;
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "UPDATE scans SET state = 'QUEUED', lease_owner = NULL, lease_until = NULL, \
                     files_done = 0 WHERE lease_owner = $1 AND state = 'RUNNING' RETURNING id",
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

pub(crate) use impl_store;

/// Maps "no row changed" to [`crate::StoreError::NotFound`].
pub(crate) fn found(rows_affected: u64) -> crate::Result<()> {
    if rows_affected == 0 {
        Err(crate::StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Maps a unique violation to a [`crate::StoreError::Conflict`] naming `what`.
pub(crate) fn conflict(err: sqlx::Error, what: String) -> crate::StoreError {
    match crate::StoreError::from(err) {
        crate::StoreError::Conflict(_) => crate::StoreError::Conflict(what),
        other => other,
    }
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

/// A page of the grants on a project.
pub(crate) static PROJECT_GRANTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {USER_COLS}, g.level FROM project_permissions g JOIN users u ON u.id = g.user_id \
         WHERE g.project_id = $1 AND u.name_lower LIKE $2 ESCAPE '\\' \
         ORDER BY u.name_lower LIMIT $3 OFFSET $4"
    )
});

/// A page of the grants on a repository.
pub(crate) static REPOSITORY_GRANTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {USER_COLS}, g.level FROM repository_permissions g JOIN users u ON u.id = g.user_id \
         WHERE g.repository_id = $1 AND u.name_lower LIKE $2 ESCAPE '\\' \
         ORDER BY u.name_lower LIMIT $3 OFFSET $4"
    )
});

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

/// Columns of [`crate::Scan`].
pub(crate) const SCAN_COLS: &str = "id, scan_key, repository_id, branch, history, state, reason, \
     batch_id, commit_id, generation, rules_identity, config_error, error, queued_at, started_at, finished_at, \
     lease_owner, files_total, files_done, findings_total, vulnerabilities, skipped_files, \
     config_warnings, rule_errors, findings_dropped";

/// Whether the viewer (`$3` admin, `$4` user id) can read repository `r` of project `p`.
macro_rules! readable {
    ($p:literal) => {
        concat!(
            "($3 OR ", $p, ".owner_id = $4 \
             OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = r.project_id AND pp.user_id = $4) \
             OR EXISTS (SELECT 1 FROM repository_permissions rp WHERE rp.repository_id = r.id AND rp.user_id = $4))"
        )
    };
}

/// Branch counts per repository. `$6` is the current configuration generation. A branch is
/// not scanned (no result), vulnerable (its latest result has findings), outdated (a clean
/// result for another commit or generation) or secure.
pub(crate) const REPOSITORY_STATUSES: &str = concat!(
    "WITH page AS ( \
       SELECT r.id, r.project_id, r.slug, r.name, r.default_branch, r.disk_name, r.created_at, \
              r.name_lower, p.key AS project_key \
       FROM repositories r JOIN projects p ON p.id = r.project_id \
       WHERE r.project_id = $1 AND ($2 = 0 OR r.id = $2) AND r.name_lower LIKE $5 ESCAPE '\\' AND ",
    readable!("p"),
    " ORDER BY r.name_lower, r.id LIMIT $7 OFFSET $8) \
     SELECT page.id, page.project_id, page.slug, page.name, page.default_branch, page.disk_name, \
            page.created_at, page.project_key, \
            COUNT(b.name) AS total, \
            CAST(COALESCE(SUM(CASE WHEN b.name IS NOT NULL AND b.result_scan_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_scanned, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS vulnerable, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities = 0 AND (b.result_commit <> b.tip OR b.result_generation <> $6) THEN 1 ELSE 0 END), 0) AS BIGINT) AS outdated, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities = 0 AND b.result_commit = b.tip AND b.result_generation = $6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS secure, \
            CAST(COALESCE(SUM(b.result_vulnerabilities), 0) AS BIGINT) AS vulnerabilities \
     FROM page LEFT JOIN scan_branches b ON b.repository_id = page.id \
     GROUP BY page.id, page.project_id, page.slug, page.name, page.default_branch, page.disk_name, \
              page.created_at, page.project_key, page.name_lower \
     ORDER BY page.name_lower, page.id"
);

/// Repository counts by status per project (the repository rollup of SPEC 7, in SQL). `$5` is
/// the current configuration generation. Personal projects are listed when they hold a
/// repository (or when asked for by id).
pub(crate) const PROJECT_STATUSES: &str = concat!(
    "WITH pg AS ( \
       SELECT p.id, p.key, p.name, p.description, p.owner_id, p.created_at, p.key_upper \
       FROM projects p \
       WHERE ($1 = 0 OR p.id = $1) AND p.name_lower LIKE $2 ESCAPE '\\' \
         AND ($1 <> 0 OR p.owner_id IS NULL OR EXISTS (SELECT 1 FROM repositories r0 WHERE r0.project_id = p.id)) \
         AND ($8 = 0 OR ($8 = 1 AND p.owner_id IS NULL) OR ($8 = 2 AND p.owner_id IS NOT NULL)) \
         AND ($3 OR p.owner_id = $4 \
              OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = p.id AND pp.user_id = $4) \
              OR EXISTS (SELECT 1 FROM repository_permissions rp JOIN repositories r1 ON r1.id = rp.repository_id \
                         WHERE r1.project_id = p.id AND rp.user_id = $4)) \
       ORDER BY p.key_upper LIMIT $6 OFFSET $7), \
     rs AS ( \
       SELECT r.project_id, COUNT(b.name) AS total, \
              SUM(CASE WHEN b.name IS NOT NULL AND b.result_scan_id IS NULL THEN 1 ELSE 0 END) AS nots, \
              SUM(CASE WHEN b.result_vulnerabilities > 0 THEN 1 ELSE 0 END) AS vuln, \
              SUM(CASE WHEN b.result_vulnerabilities = 0 AND (b.result_commit <> b.tip OR b.result_generation <> $5) THEN 1 ELSE 0 END) AS outd, \
              COALESCE(SUM(b.result_vulnerabilities), 0) AS vulns \
       FROM repositories r JOIN pg ON pg.id = r.project_id \
       LEFT JOIN scan_branches b ON b.repository_id = r.id \
       WHERE ",
    readable!("pg"),
    " GROUP BY r.project_id, r.id), \
     rst AS ( \
       SELECT project_id, vulns, \
              CASE WHEN vuln > 0 THEN 'V' WHEN total = 0 OR nots = total THEN 'N' \
                   WHEN nots > 0 THEN 'P' WHEN outd > 0 THEN 'O' ELSE 'S' END AS st \
       FROM rs) \
     SELECT pg.id, pg.key, pg.name, pg.description, pg.owner_id, pg.created_at, \
            COUNT(rst.st) AS total, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'S' THEN 1 ELSE 0 END), 0) AS BIGINT) AS secure, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'V' THEN 1 ELSE 0 END), 0) AS BIGINT) AS vulnerable, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'N' THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_scanned, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'P' THEN 1 ELSE 0 END), 0) AS BIGINT) AS partially_scanned, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'O' THEN 1 ELSE 0 END), 0) AS BIGINT) AS outdated, \
            CAST(COALESCE(SUM(rst.vulns), 0) AS BIGINT) AS vulnerabilities \
     FROM pg LEFT JOIN rst ON rst.project_id = pg.id \
     GROUP BY pg.id, pg.key, pg.name, pg.description, pg.owner_id, pg.created_at, pg.key_upper \
     ORDER BY pg.key_upper"
);

/// Findings of the latest completed tree scan of each branch in scope, after a keyset key.
pub(crate) const EXPORT_ROWS: &str = "SELECT s.id AS scan_id, f.seq, p.key AS project_key, r.slug AS repository_slug, \
            r.id AS repository_id, s.branch, f.path, f.line, f.rule_name, f.text, \
            f.line_offset_start, f.line_offset_end, f.truncated, f.allowlisted, f.blocking, \
            f.commit_id, s.commit_id AS scan_commit, s.finished_at AS scan_date \
     FROM scan_branches b JOIN scans s ON s.id = b.result_scan_id \
     JOIN repositories r ON r.id = b.repository_id JOIN projects p ON p.id = r.project_id \
     JOIN scan_findings f ON f.scan_id = s.id \
     WHERE r.project_id = $1 AND ($2 = 0 OR r.id = $2) AND ($3 = '' OR b.name = $3) \
       AND ($4 = '' OR f.rule_name = $4) AND ($5 OR f.allowlisted = FALSE) \
       AND s.finished_at >= $6 AND s.finished_at < $7 \
       AND ($8 OR p.owner_id = $9 \
            OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = r.project_id AND pp.user_id = $9) \
            OR EXISTS (SELECT 1 FROM repository_permissions rp WHERE rp.repository_id = r.id AND rp.user_id = $9)) \
       AND (s.id > $10 OR (s.id = $10 AND f.seq > $11)) \
     ORDER BY s.id, f.seq LIMIT $12";
