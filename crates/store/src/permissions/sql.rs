//! The SQL of [`super::PermissionStore`], shared by both backends.

use crate::users::sql::USER_COLS;

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

/// Implements [`crate::PermissionStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_permissions {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::PermissionStore for $store {
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
                let rows: Vec<$crate::permissions::sql::GrantRow> = sqlx::query_as($crate::permissions::sql::PROJECT_GRANTS.as_str())
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
                let rows: Vec<$crate::permissions::sql::GrantRow> = sqlx::query_as($crate::permissions::sql::REPOSITORY_GRANTS.as_str())
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
                let row: $crate::permissions::sql::GrantsRow = sqlx::query_as(
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
        }
    };
}

pub(crate) use impl_permissions;
