//! Projects.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{AccessLevel, NewProject, Project, StoreError, User};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, BaseUrl};
use super::paging::{PageParams, paged};
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::{project_with, require_admin};
use keywarden_core::paged::Paged;

/// `?name=` plus paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Case-insensitive substring of the project name.
    name: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// `GET /projects`: the projects the user can see, by key.
#[utoipa::path(
get, path = "/projects", tag = "Projects",
    params(ListQuery, PageParams),
    responses(
        (status = 200, description = "The projects the caller can see, by key", body = Paged<doc::Project>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let page = state
        .store()
        .list_projects(user.viewer(), q.name.as_deref(), q.page.request()?)
        .await?;
    Ok(Json(paged(page.map(|p| render::project(&p, None, &base)))))
}

/// Body of `POST /projects` and `PUT /projects/{key}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProjectBody {
    /// The key: upper-case letters, digits and `_`, starting with a letter (required to create;
    /// cannot be changed).
    #[schema(pattern = r"^\s*[A-Za-z][A-Za-z0-9_]{0,127}\s*$", example = "NEW")]
    key: Option<String>,
    /// The name (required to create).
    #[schema(pattern = r"\S", max_length = 128, example = "New project")]
    name: Option<String>,
    /// The description.
    description: Option<String>,
}

/// `POST /projects` (admin): 201 with the project.
#[utoipa::path(
post, path = "/projects", tag = "Projects",
    request_body = ProjectBody,
    responses(
        (status = 201, description = "Created (administrators only)", body = doc::Project),
        (status = 400, description = "Missing or bad field (the message names it)", body = doc::ErrorEnvelope),
        (status = 409, description = "The key is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<ProjectBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_admin(&user)?;
    let key = validate::project_key(body.key.as_deref())?;
    let name = validate::display_name("name", body.name.as_deref(), 128)?;
    let description = body
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let project = state
        .store()
        .create_project(NewProject {
            key: key.clone(),
            name,
            description,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict {
                message: format!("Project key {key} is already in use."),
                exception: "com.atlassian.bitbucket.project.DuplicateProjectKeyException",
            },
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(render::project(&project, None, &base)),
    ))
}

/// `GET /projects/{key}`.
#[utoipa::path(
get, path = "/projects/{key}", tag = "Projects",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ")),
    responses(
        (status = 200, description = "The project", body = doc::Project),
        (status = 404, description = "No such project (or not visible)", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
) -> ApiResult<Json<Value>> {
    let project = project_with(&state, &user, &key, AccessLevel::Read).await?;
    let owner = owner_of(&state, &project).await?;
    Ok(Json(render::project(&project, owner.as_ref(), &base)))
}

/// `PUT /projects/{key}` (project admin): renames or re-describes.
#[utoipa::path(
put, path = "/projects/{key}", tag = "Projects",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ")),
    request_body = ProjectBody,
    responses(
        (status = 200, description = "The changed project", body = doc::Project),
        (status = 400, description = "Bad field, a key change, or a personal project", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<ProjectBody>,
) -> ApiResult<Json<Value>> {
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    if project.is_personal() {
        return Err(ApiError::invalid(
            "key: personal projects cannot be changed",
        ));
    }
    if let Some(new_key) = body.key.as_deref()
        && !new_key.eq_ignore_ascii_case(&project.key)
    {
        return Err(ApiError::invalid("key: project keys cannot be changed"));
    }
    let name = match body.name.as_deref() {
        Some(n) => validate::display_name("name", Some(n), 128)?,
        None => project.name.clone(),
    };
    let description = match body.description {
        Some(d) => Some(d.trim().to_string()).filter(|d| !d.is_empty()),
        None => project.description.clone(),
    };
    let updated = state
        .store()
        .update_project(project.id, &name, description.as_deref())
        .await?;
    Ok(Json(render::project(&updated, None, &base)))
}

/// `DELETE /projects/{key}` (project admin): 204; 409 while it has repositories.
#[utoipa::path(
delete, path = "/projects/{key}", tag = "Projects",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A personal project", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
        (status = 409, description = "The project still has repositories", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    if project.is_personal() {
        return Err(ApiError::invalid(
            "key: personal projects are deleted with their user",
        ));
    }
    state
        .store()
        .delete_project(project.id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict {
                message: format!(
                    "The project \"{}\" cannot be deleted because it has repositories.",
                    project.key
                ),
                exception: "com.atlassian.bitbucket.IntegrityException",
            },
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner of a personal project.
pub async fn owner_of(state: &AppState, project: &Project) -> ApiResult<Option<User>> {
    match project.owner_id {
        Some(id) => Ok(state.store().user_by_id(id).await?),
        None => Ok(None),
    }
}
