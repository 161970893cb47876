//! `/status/...`: security status of projects, repositories and branches (SPEC 7; the seed's
//! "Fetching Security Status"). Counting, rollups and paging run in SQL.

use axum::Json;
use axum::extract::{Path, State};
use keywarden_store::{
    BranchStatusRow, Page, ProjectKind, ProjectStatusRow, RepositoryStatusRow, ScanState, Viewer,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::params::iso;
use crate::access::{admin_or_app_access, project_for_status, project_with, security_repository};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::rest::paging::{PageParams, paged};
use crate::settings;
use crate::state::AppState;

/// `start`, `limit`, `name`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
    /// Case-insensitive substring of the name.
    name: Option<String>,
}

impl ListQuery {
    fn name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
    }
}

/// `GET /status/projects`' query: the list's, and `type` (`NORMAL` or `PERSONAL`; Keywarden's
/// addition for the dashboard's project type filter, applied in the database).
#[derive(Debug, Default, Deserialize)]
pub struct ProjectsQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(rename = "type")]
    project_type: Option<String>,
}

impl ProjectsQuery {
    fn kind(&self) -> ApiResult<Option<ProjectKind>> {
        match self.project_type.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) if t.eq_ignore_ascii_case("NORMAL") => Ok(Some(ProjectKind::Normal)),
            Some(t) if t.eq_ignore_ascii_case("PERSONAL") => Ok(Some(ProjectKind::Personal)),
            Some(t) => Err(ApiError::invalid(format!(
                "type: must be NORMAL or PERSONAL, not '{t}'"
            ))),
        }
    }
}

/// A branch's status.
pub fn branch_status(row: &BranchStatusRow, generation: i64) -> &'static str {
    match row.scan_state {
        Some(ScanState::Queued) => return "QUEUED",
        Some(ScanState::Running) => return "RUNNING",
        Some(ScanState::Failed) => return "FAILED",
        _ => {}
    }
    match row.result_vulnerabilities {
        None => "NOT_SCANNED",
        Some(v) if v > 0 => "VULNERABLE",
        Some(_)
            if row.result_commit.as_deref() != Some(row.tip.as_str())
                || row.result_generation != Some(generation) =>
        {
            "OUTDATED"
        }
        Some(_) => "SECURE",
    }
}

fn branch_json(row: &BranchStatusRow, generation: i64) -> Value {
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
    let key = if active {
        row.last_scan_key.clone()
    } else {
        row.result_scan_key.clone().or(row.last_scan_key.clone())
    };
    json!({
        "branch": row.name,
        "displayId": row.name.strip_prefix("refs/heads/").unwrap_or(&row.name),
        "default": row.is_default,
        "latestCommit": row.tip,
        "scannedCommit": row.result_commit,
        "status": branch_status(row, generation),
        "scanKey": key,
        "progress": progress,
        "vulnerabilities": row.result_vulnerabilities.unwrap_or(0),
        "lastScanDate": row.result_date.map(iso),
    })
}

/// A repository's status from its branch counts.
pub fn repository_status(r: &RepositoryStatusRow) -> &'static str {
    if r.vulnerable > 0 {
        "VULNERABLE"
    } else if r.total == 0 || r.not_scanned == r.total {
        "NOT_SCANNED"
    } else if r.not_scanned > 0 {
        "PARTIALLY_SCANNED"
    } else if r.outdated > 0 {
        "OUTDATED"
    } else {
        "SECURE"
    }
}

fn repository_json(r: &RepositoryStatusRow) -> Value {
    json!({
        "projectKey": r.project_key,
        "repositorySlug": r.repository.slug,
        "repositoryName": r.repository.name,
        "status": repository_status(r),
        "branches": {
            "total": r.total, "secure": r.secure, "vulnerable": r.vulnerable,
            "notScanned": r.not_scanned, "outdated": r.outdated,
        },
        "vulnerabilities": r.vulnerabilities,
    })
}

/// A project's status from its repository counts.
pub fn project_status(p: &ProjectStatusRow) -> &'static str {
    if p.vulnerable > 0 {
        "VULNERABLE"
    } else if p.total == 0 || p.not_scanned == p.total {
        "NOT_SCANNED"
    } else if p.not_scanned > 0 || p.partially_scanned > 0 {
        "PARTIALLY_SCANNED"
    } else if p.outdated > 0 {
        "OUTDATED"
    } else {
        "SECURE"
    }
}

fn project_json(p: &ProjectStatusRow) -> Value {
    json!({
        "projectKey": p.project.key,
        "projectName": p.project.name,
        "projectType": if p.project.is_personal() { "PERSONAL" } else { "NORMAL" },
        "status": project_status(p),
        "repositories": {
            "total": p.total, "secure": p.secure, "vulnerable": p.vulnerable,
            "notScanned": p.not_scanned, "partiallyScanned": p.partially_scanned,
            "outdated": p.outdated,
        },
        "vulnerabilities": p.vulnerabilities,
    })
}

fn render<T>(page: Page<T>, f: impl Fn(&T) -> Value) -> Value {
    paged(page.map(|row| f(&row)))
}

/// The viewer whose readable repositories count: administrators see all.
fn viewer(user: &CurrentUser) -> Viewer {
    user.viewer()
}

/// `GET /status/projects`: projects the user can see, paged, `name` filtering the name and
/// `type` the kind of project.
#[utoipa::path(
get, path = "/status/projects", tag = "Status",
    params(
        ListQuery,
        PageParams,
        ("type" = Option<String>, Query, description = "Only projects of this kind: `NORMAL` or `PERSONAL` (Keywarden's addition)"),
    ),
    responses(
        (status = 200, description = "The projects the caller can see", body = doc::Paged<sec::ProjectStatus>),
        (status = 400, description = "Bad paging parameter or project type", body = doc::ErrorEnvelope),
    )
)]
pub async fn projects(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ProjectsQuery>,
) -> ApiResult<Json<Value>> {
    let request = q.list.page.request()?;
    let kind = q.kind()?;
    let generation = settings::generation(state.store()).await?;
    let page = state
        .store()
        .project_statuses(
            None,
            viewer(&user),
            kind,
            q.list.name(),
            generation,
            request,
        )
        .await?;
    Ok(Json(render(page, project_json)))
}

/// `GET /status/projects/{key}`.
#[utoipa::path(
get, path = "/status/projects/{project}", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ")),
    responses(
        (status = 200, description = "The project's status (project admin or app access)", body = sec::ProjectStatus),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<Json<Value>> {
    let project = project_for_status(&state, &user, &key).await?;
    let generation = settings::generation(state.store()).await?;
    let mut viewer = viewer(&user);
    // A project's owner (personal project) reads all of it.
    viewer.admin |= project.owner_id == Some(user.0.id);
    let page = state
        .store()
        .project_statuses(
            Some(project.id),
            viewer,
            None,
            None,
            generation,
            keywarden_store::PageRequest::new(0, 1),
        )
        .await?;
    let row = page
        .values
        .first()
        .ok_or_else(|| ApiError::NoSuchProject(key.clone()))?;
    Ok(Json(project_json(row)))
}

/// `GET /status/projects/{key}/repos`: the project's repositories the user can read, paged.
#[utoipa::path(
get, path = "/status/projects/{project}/repos", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ListQuery, PageParams),
    responses(
        (status = 200, description = "The project's repositories the caller can read", body = doc::Paged<sec::RepositoryStatus>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn repositories(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let request = q.page.request()?;
    let project = if admin_or_app_access(&state, &user).await? {
        crate::access::load_project(&state, &key).await?
    } else {
        project_with(&state, &user, &key, keywarden_store::AccessLevel::Read).await?
    };
    let generation = settings::generation(state.store()).await?;
    let page = state
        .store()
        .repository_statuses(
            project.id,
            None,
            viewer(&user),
            q.name(),
            generation,
            request,
        )
        .await?;
    Ok(Json(render(page, repository_json)))
}

/// `GET /status/projects/{key}/repos/{slug}`.
#[utoipa::path(
get, path = "/status/projects/{project}/repos/{repo}", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo")),
    responses(
        (status = 200, description = "The repository's status (repository write or app access)", body = sec::RepositoryStatus),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (project, repository) = security_repository(&state, &user, &key, &slug).await?;
    let generation = settings::generation(state.store()).await?;
    let all = Viewer {
        user_id: user.0.id,
        admin: true,
    };
    let page = state
        .store()
        .repository_statuses(
            project.id,
            Some(repository.id),
            all,
            None,
            generation,
            keywarden_store::PageRequest::new(0, 1),
        )
        .await?;
    let row = page
        .values
        .first()
        .ok_or_else(|| ApiError::NoSuchRepository {
            project: key.clone(),
            slug: slug.clone(),
        })?;
    Ok(Json(repository_json(row)))
}

/// `GET /status/projects/{key}/repos/{slug}/branches`: paged, `name` filtering the branch.
#[utoipa::path(
get, path = "/status/projects/{project}/repos/{repo}/branches", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ListQuery, PageParams),
    responses(
        (status = 200, description = "The repository's branches", body = doc::Paged<sec::BranchStatusEntry>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn branches(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let request = q.page.request()?;
    let (_, repository) = security_repository(&state, &user, &key, &slug).await?;
    let generation = settings::generation(state.store()).await?;
    let page = state
        .store()
        .branch_statuses(repository.id, q.name(), request)
        .await?;
    Ok(Json(render(page, |row| branch_json(row, generation))))
}
