//! Projects and repositories.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// Projects and repositories. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait ProjectStore {
    /// Creates a normal project. [`StoreError::Conflict`] if the key is taken.
    async fn create_project(&self, project: NewProject) -> Result<Project>;

    /// The project with this key, matched case-insensitively (`~alice` finds `~ALICE`).
    async fn project_by_key(&self, key: &str) -> Result<Option<Project>>;

    /// The project with this id.
    async fn project_by_id(&self, id: i64) -> Result<Option<Project>>;

    /// Normal (not personal) projects the viewer can see, whose name contains `name`, by key.
    async fn list_projects(
        &self,
        viewer: Viewer,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Project>>;

    /// Changes a project's name and description.
    async fn update_project(
        &self,
        id: i64,
        name: &str,
        description: Option<&str>,
    ) -> Result<Project>;

    /// Deletes an empty project; [`StoreError::Conflict`] if it still has repositories.
    async fn delete_project(&self, id: i64) -> Result<()>;

    /// Creates a repository row (its directory exists already).
    /// [`StoreError::Conflict`] if the slug is taken in the project.
    async fn create_repository(&self, repository: NewRepository) -> Result<Repository>;

    /// The repository with this slug in a project.
    async fn repository_by_slug(&self, project_id: i64, slug: &str) -> Result<Option<Repository>>;

    /// The repository with this id.
    async fn repository_by_id(&self, id: i64) -> Result<Option<Repository>>;

    /// Repositories of a project the viewer can read, whose name contains `name`, by name.
    async fn list_repositories(
        &self,
        project_id: i64,
        viewer: Viewer,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Repository>>;

    /// Deletes a repository row with its grants.
    async fn delete_repository(&self, id: i64) -> Result<()>;

    /// Every repository, or a project's.
    async fn all_repositories(&self, project_id: Option<i64>) -> Result<Vec<Repository>>;
}
