//! Grants of users on projects and repositories.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// Grants of users on projects and repositories. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait PermissionStore {
    /// Sets a user's grant on a project (replacing any previous one).
    async fn grant_project(&self, project_id: i64, user_id: i64, level: AccessLevel) -> Result<()>;

    /// Removes a user's grant on a project (no error if there was none).
    async fn revoke_project(&self, project_id: i64, user_id: i64) -> Result<()>;

    /// The grants on a project, for users whose name contains `filter`, by user name.
    async fn project_grants(
        &self,
        project_id: i64,
        filter: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UserGrant>>;

    /// Sets a user's grant on a repository (replacing any previous one).
    async fn grant_repository(
        &self,
        repository_id: i64,
        user_id: i64,
        level: AccessLevel,
    ) -> Result<()>;

    /// Removes a user's grant on a repository (no error if there was none).
    async fn revoke_repository(&self, repository_id: i64, user_id: i64) -> Result<()>;

    /// The grants on a repository, for users whose name contains `filter`, by user name.
    async fn repository_grants(
        &self,
        repository_id: i64,
        filter: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UserGrant>>;

    /// A user's explicit grants on a project and optionally one of its repositories, in one query.
    async fn grants(
        &self,
        user_id: i64,
        project_id: i64,
        repository_id: Option<i64>,
    ) -> Result<Grants>;
}
