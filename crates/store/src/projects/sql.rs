//! The SQL of [`super::ProjectStore`], shared by both backends.

/// Implements [`crate::ProjectStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_projects {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::ProjectStore for $store {
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
                .map_err(|e| $crate::sql::conflict(e, format!("project {}", project.key)))?)
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
                $crate::sql::found(done.rows_affected())?;
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
                .map_err(|e| $crate::sql::conflict(e, format!("repository {}", repository.slug)))?)
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
                $crate::sql::found(done.rows_affected())?;
                tx.commit().await?;
                Ok(())
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
        }
    };
}

pub(crate) use impl_projects;
