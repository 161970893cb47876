//! Security status of projects, repositories and branches (SPEC 7): the shapes the REST API
//! answers and the UI renders, and the services that read them. Counting, rollups and paging
//! run in SQL. (Fields are in the order of their JSON names, as the answers have always
//! listed them.)

use std::fmt;

use keywarden_store::{
    AccessLevel, BranchStatusRow, PageRequest, ProjectKind, ProjectStatusRow, RepositoryStatusRow,
    ScanState, Viewer,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{
    CurrentUser, admin_or_app_access, load_project, project_for_status, project_with,
    security_repository,
};
use crate::error::{CoreError, CoreResult};
use crate::paged::{Paged, iso};
use crate::{Core, settings};

/// Status of a project or repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RollupStatus {
    /// No finding anywhere, all up to date.
    Secure,
    /// Some finding.
    Vulnerable,
    /// Nothing scanned.
    NotScanned,
    /// Some not scanned.
    PartiallyScanned,
    /// All scanned, some outdated.
    Outdated,
}

/// Status of a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BranchStatus {
    /// Scanned, no finding, up to date.
    Secure,
    /// Scanned with findings.
    Vulnerable,
    /// Never scanned.
    NotScanned,
    /// The tip, rules or settings changed since the scan.
    Outdated,
    /// A scan is queued.
    Queued,
    /// A scan is running.
    Running,
    /// The latest scan failed.
    Failed,
}

impl RollupStatus {
    /// The JSON name (`PARTIALLY_SCANNED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "SECURE",
            Self::Vulnerable => "VULNERABLE",
            Self::NotScanned => "NOT_SCANNED",
            Self::PartiallyScanned => "PARTIALLY_SCANNED",
            Self::Outdated => "OUTDATED",
        }
    }
}

impl BranchStatus {
    /// The JSON name (`NOT_SCANNED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "SECURE",
            Self::Vulnerable => "VULNERABLE",
            Self::NotScanned => "NOT_SCANNED",
            Self::Outdated => "OUTDATED",
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Failed => "FAILED",
        }
    }

    /// A scan is queued or running.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

impl fmt::Display for RollupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for BranchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `NORMAL`, or `PERSONAL` for a user's `~NAME` project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProjectType {
    /// A normal project.
    Normal,
    /// A personal project.
    Personal,
}

impl ProjectType {
    /// A user's `~NAME` project.
    pub fn is_personal(self) -> bool {
        self == Self::Personal
    }

    /// The type of `project`.
    pub fn of(project: &keywarden_store::Project) -> Self {
        if project.is_personal() {
            Self::Personal
        } else {
            Self::Normal
        }
    }
}

/// Repository counts of a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCounts {
    /// Not scanned.
    pub not_scanned: i64,
    /// Outdated.
    pub outdated: i64,
    /// Partially scanned.
    pub partially_scanned: i64,
    /// Secure.
    pub secure: i64,
    /// All.
    pub total: i64,
    /// Vulnerable.
    pub vulnerable: i64,
}

/// Branch counts of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchCounts {
    /// Not scanned.
    pub not_scanned: i64,
    /// Outdated.
    pub outdated: i64,
    /// Secure.
    pub secure: i64,
    /// All.
    pub total: i64,
    /// Vulnerable.
    pub vulnerable: i64,
}

/// A project's security status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectStatus {
    /// The key.
    pub project_key: String,
    /// The name.
    pub project_name: String,
    /// `NORMAL` or `PERSONAL`.
    pub project_type: ProjectType,
    /// Counts of its readable repositories.
    pub repositories: RepositoryCounts,
    /// The rollup.
    pub status: RollupStatus,
    /// Findings in all.
    pub vulnerabilities: i64,
}

/// A repository's security status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryStatus {
    /// Counts of its branches.
    pub branches: BranchCounts,
    /// The project key.
    pub project_key: String,
    /// The name.
    pub repository_name: String,
    /// The slug.
    pub repository_slug: String,
    /// The rollup.
    pub status: RollupStatus,
    /// Findings in all.
    pub vulnerabilities: i64,
}

/// A branch's security status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchStatusEntry {
    /// `refs/heads/NAME`.
    pub branch: String,
    /// The default branch.
    pub default: bool,
    /// `NAME`.
    pub display_id: String,
    /// When the latest result was made (ISO 8601), if any.
    #[schema(required = true)]
    pub last_scan_date: Option<String>,
    /// The tip.
    pub latest_commit: String,
    /// Percent done.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i64,
    /// The latest scan's key, if any.
    #[schema(required = true)]
    pub scan_key: Option<String>,
    /// The commit of the latest result, if any.
    #[schema(required = true)]
    pub scanned_commit: Option<String>,
    /// The status.
    pub status: BranchStatus,
    /// Findings of the latest result.
    pub vulnerabilities: i64,
}

/// A branch's status under configuration `generation`.
pub fn branch_status(row: &BranchStatusRow, generation: i64) -> BranchStatus {
    match row.scan_state {
        Some(ScanState::Queued) => return BranchStatus::Queued,
        Some(ScanState::Running) => return BranchStatus::Running,
        Some(ScanState::Failed) => return BranchStatus::Failed,
        _ => {}
    }
    match row.result_vulnerabilities {
        None => BranchStatus::NotScanned,
        Some(v) if v > 0 => BranchStatus::Vulnerable,
        Some(_)
            if row.result_commit.as_deref() != Some(row.tip.as_str())
                || row.result_generation != Some(generation) =>
        {
            BranchStatus::Outdated
        }
        Some(_) => BranchStatus::Secure,
    }
}

impl BranchStatusEntry {
    fn from_row(row: BranchStatusRow, generation: i64) -> Self {
        let active = row.scan_state.is_some_and(ScanState::is_active);
        let progress = if active {
            match (row.last_files_done, row.last_files_total) {
                (Some(d), Some(t)) if t > 0 => (d * 100 / t).clamp(0, 99),
                _ => 0,
            }
        } else if row.result_vulnerabilities.is_some() {
            100
        } else {
            0
        };
        let status = branch_status(&row, generation);
        let scan_key = if active {
            row.last_scan_key
        } else {
            row.result_scan_key.or(row.last_scan_key)
        };
        BranchStatusEntry {
            display_id: row
                .name
                .strip_prefix("refs/heads/")
                .unwrap_or(&row.name)
                .to_string(),
            default: row.is_default,
            latest_commit: row.tip,
            scanned_commit: row.result_commit,
            status,
            scan_key,
            progress,
            vulnerabilities: row.result_vulnerabilities.unwrap_or(0),
            last_scan_date: row.result_date.map(iso),
            branch: row.name,
        }
    }
}

/// The rollup of counts by status: vulnerable if any is; not scanned if none is scanned;
/// partially scanned if some are not (or are partially) scanned; outdated if some are;
/// else secure.
fn rollup(
    vulnerable: i64,
    total: i64,
    not_scanned: i64,
    partially_scanned: i64,
    outdated: i64,
) -> RollupStatus {
    if vulnerable > 0 {
        RollupStatus::Vulnerable
    } else if total == 0 || not_scanned == total {
        RollupStatus::NotScanned
    } else if not_scanned > 0 || partially_scanned > 0 {
        RollupStatus::PartiallyScanned
    } else if outdated > 0 {
        RollupStatus::Outdated
    } else {
        RollupStatus::Secure
    }
}

/// A repository's status from its branch counts.
pub fn repository_status(r: &RepositoryStatusRow) -> RollupStatus {
    rollup(r.vulnerable, r.total, r.not_scanned, 0, r.outdated)
}

impl From<RepositoryStatusRow> for RepositoryStatus {
    fn from(r: RepositoryStatusRow) -> Self {
        RepositoryStatus {
            status: repository_status(&r),
            branches: BranchCounts {
                total: r.total,
                secure: r.secure,
                vulnerable: r.vulnerable,
                not_scanned: r.not_scanned,
                outdated: r.outdated,
            },
            vulnerabilities: r.vulnerabilities,
            project_key: r.project_key,
            repository_slug: r.repository.slug,
            repository_name: r.repository.name,
        }
    }
}

/// A project's status from its repository counts.
pub fn project_status(p: &ProjectStatusRow) -> RollupStatus {
    rollup(
        p.vulnerable,
        p.total,
        p.not_scanned,
        p.partially_scanned,
        p.outdated,
    )
}

impl From<ProjectStatusRow> for ProjectStatus {
    fn from(p: ProjectStatusRow) -> Self {
        ProjectStatus {
            status: project_status(&p),
            project_type: ProjectType::of(&p.project),
            repositories: RepositoryCounts {
                total: p.total,
                secure: p.secure,
                vulnerable: p.vulnerable,
                not_scanned: p.not_scanned,
                partially_scanned: p.partially_scanned,
                outdated: p.outdated,
            },
            vulnerabilities: p.vulnerabilities,
            project_key: p.project.key,
            project_name: p.project.name,
        }
    }
}

/// The projects `user` can see, `name` filtering the name and `kind` the kind of project.
pub async fn projects(
    core: &Core,
    user: &CurrentUser,
    kind: Option<ProjectKind>,
    name: Option<&str>,
    page: PageRequest,
) -> CoreResult<Paged<ProjectStatus>> {
    let generation = settings::generation(core.store()).await?;
    let rows = core
        .store()
        .project_statuses(None, user.viewer(), kind, name, generation, page)
        .await?;
    Ok(Paged::of(rows, ProjectStatus::from))
}

/// One project's status (project admin or app access).
pub async fn project(core: &Core, user: &CurrentUser, key: &str) -> CoreResult<ProjectStatus> {
    let project = project_for_status(core, user, key).await?;
    let generation = settings::generation(core.store()).await?;
    let mut viewer = user.viewer();
    // A project's owner (personal project) reads all of it.
    viewer.admin |= project.owner_id == Some(user.0.id);
    let page = core
        .store()
        .project_statuses(
            Some(project.id),
            viewer,
            None,
            None,
            generation,
            PageRequest::new(0, 1),
        )
        .await?;
    page.values
        .into_iter()
        .next()
        .map(ProjectStatus::from)
        .ok_or_else(|| CoreError::NoSuchProject(key.to_string()))
}

/// The repositories of project `key` the user can read, `name` filtering the name.
pub async fn repositories(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    name: Option<&str>,
    page: PageRequest,
) -> CoreResult<Paged<RepositoryStatus>> {
    let project = if admin_or_app_access(core, user).await? {
        load_project(core, key).await?
    } else {
        project_with(core, user, key, AccessLevel::Read).await?
    };
    let generation = settings::generation(core.store()).await?;
    let rows = core
        .store()
        .repository_statuses(project.id, None, user.viewer(), name, generation, page)
        .await?;
    Ok(Paged::of(rows, RepositoryStatus::from))
}

/// One repository's status (repository write or app access).
pub async fn repository(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
) -> CoreResult<RepositoryStatus> {
    let (project, repository) = security_repository(core, user, key, slug).await?;
    let generation = settings::generation(core.store()).await?;
    let all = Viewer {
        user_id: user.0.id,
        admin: true,
    };
    let page = core
        .store()
        .repository_statuses(
            project.id,
            Some(repository.id),
            all,
            None,
            generation,
            PageRequest::new(0, 1),
        )
        .await?;
    page.values
        .into_iter()
        .next()
        .map(RepositoryStatus::from)
        .ok_or_else(|| CoreError::NoSuchRepository {
            project: key.to_string(),
            slug: slug.to_string(),
        })
}

/// The branches of a repository (repository write or app access), `name` filtering the branch.
pub async fn branches(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    name: Option<&str>,
    page: PageRequest,
) -> CoreResult<Paged<BranchStatusEntry>> {
    let (_, repository) = security_repository(core, user, key, slug).await?;
    let generation = settings::generation(core.store()).await?;
    let rows = core
        .store()
        .branch_statuses(repository.id, name, page)
        .await?;
    Ok(Paged::of(rows, |row| {
        BranchStatusEntry::from_row(row, generation)
    }))
}
