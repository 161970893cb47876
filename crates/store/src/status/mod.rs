//! Status rollups of branches, repositories and projects, and the findings export.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// Status rollups of branches, repositories and projects, and the findings export. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait StatusStore {
    /// A page of a repository's branches with their scan state; `name` filters the display id.
    async fn branch_statuses(
        &self,
        repository_id: i64,
        name: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<BranchStatusRow>>;

    /// Branch counts of a project's repositories the viewer can read (one repository when
    /// `only` is set); `generation` is the current configuration generation.
    async fn repository_statuses(
        &self,
        project_id: i64,
        only: Option<i64>,
        viewer: Viewer,
        name: Option<&str>,
        generation: i64,
        page: PageRequest,
    ) -> Result<Page<RepositoryStatusRow>>;

    /// Repository counts by status of the projects the viewer can see (one project when `only`
    /// is set), counting repositories the viewer can read.
    async fn project_statuses(
        &self,
        only: Option<i64>,
        viewer: Viewer,
        kind: Option<ProjectKind>,
        name: Option<&str>,
        generation: i64,
        page: PageRequest,
    ) -> Result<Page<ProjectStatusRow>>;

    /// Up to `limit` export rows after the key `after` (`(scan id, seq)`), in key order.
    async fn export_rows(
        &self,
        filter: &ExportFilter,
        after: (i64, i64),
        limit: i64,
    ) -> Result<Vec<ExportRow>>;
}
