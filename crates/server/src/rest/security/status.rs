//! `/status/...`: security status of projects, repositories and branches (SPEC 7; the seed's
//! "Fetching Security Status"). The service is [`keywarden_core::status`].

use axum::Json;
use axum::extract::{Path, State};
use keywarden_core::paged::Paged;
use keywarden_core::status::{self, BranchStatusEntry, ProjectStatus, RepositoryStatus};
use keywarden_store::ProjectKind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{ProjectPath, RepositoryPath};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::paging::PageParams;
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

/// The `type` parameter: `NORMAL` or `PERSONAL` (any case); absent or blank for both.
pub(crate) fn project_kind(value: Option<&str>) -> ApiResult<Option<ProjectKind>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("NORMAL") => Ok(Some(ProjectKind::Normal)),
        Some(t) if t.eq_ignore_ascii_case("PERSONAL") => Ok(Some(ProjectKind::Personal)),
        Some(t) => Err(ApiError::invalid(format!(
            "type: must be NORMAL or PERSONAL, not '{t}'"
        ))),
    }
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
        (status = 200, description = "The projects the caller can see", body = Paged<ProjectStatus>),
        (status = 400, description = "Bad paging parameter or project type", body = doc::ErrorEnvelope),
    )
)]
pub async fn projects(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ProjectsQuery>,
) -> ApiResult<Json<Paged<ProjectStatus>>> {
    let page = q.list.page.request()?;
    let kind = project_kind(q.project_type.as_deref())?;
    let list = status::projects(&state, &user, kind, q.list.name(), page).await?;
    Ok(Json(list))
}

/// `GET /status/projects/{key}`.
#[utoipa::path(
get, path = "/status/projects/{project}", tag = "Status",
    params(ProjectPath),
    responses(
        (status = 200, description = "The project's status (project admin or app access)", body = ProjectStatus),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectPath>,
) -> ApiResult<Json<ProjectStatus>> {
    Ok(Json(status::project(&state, &user, &p.project).await?))
}

/// `GET /status/projects/{key}/repos`: the project's repositories the user can read, paged.
#[utoipa::path(
get, path = "/status/projects/{project}/repos", tag = "Status",
    params(ProjectPath, ListQuery, PageParams),
    responses(
        (status = 200, description = "The project's repositories the caller can read", body = Paged<RepositoryStatus>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn repositories(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectPath>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<RepositoryStatus>>> {
    let page = q.page.request()?;
    let list = status::repositories(&state, &user, &p.project, q.name(), page).await?;
    Ok(Json(list))
}

/// `GET /status/projects/{key}/repos/{slug}`.
#[utoipa::path(
get, path = "/status/projects/{project}/repos/{repo}", tag = "Status",
    params(RepositoryPath),
    responses(
        (status = 200, description = "The repository's status (repository write or app access)", body = RepositoryStatus),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
) -> ApiResult<Json<RepositoryStatus>> {
    Ok(Json(
        status::repository(&state, &user, &p.project, &p.repo).await?,
    ))
}

/// `GET /status/projects/{key}/repos/{slug}/branches`: paged, `name` filtering the branch.
#[utoipa::path(
get, path = "/status/projects/{project}/repos/{repo}/branches", tag = "Status",
    params(RepositoryPath, ListQuery, PageParams),
    responses(
        (status = 200, description = "The repository's branches", body = Paged<BranchStatusEntry>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn branches(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<BranchStatusEntry>>> {
    let page = q.page.request()?;
    let list = status::branches(&state, &user, &p.project, &p.repo, q.name(), page).await?;
    Ok(Json(list))
}
