//! User permissions on projects and repositories.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::AccessLevel;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::extract::{ApiQuery, BaseUrl};
use super::paging::{PageParams, paged};
use super::users::load_user;
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::{project_with, repository_with};
use keywarden_core::paged::Paged;

/// `?filter=` plus paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Case-insensitive substring of the user's name.
    filter: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// `?name=&permission=`.
#[derive(Debug, Deserialize)]
pub struct GrantQuery {
    name: Option<String>,
    permission: Option<String>,
}

/// `GET /projects/{key}/permissions/users` (project admin).
#[utoipa::path(
get, path = "/projects/{key}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ListQuery, PageParams),
    responses(
        (status = 200, description = "The users granted a permission (project administrators)", body = Paged<doc::ProjectGrant>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_list(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    let page = state
        .store()
        .project_grants(project.id, q.filter.as_deref(), q.page.request()?)
        .await?;
    Ok(Json(paged(page.map(|g| {
        json!({ "user": render::user(&g.user, &base), "permission": render::project_permission(g.level) })
    }))))
}

/// `PUT /projects/{key}/permissions/users?name=&permission=PROJECT_*` (project admin): 204.
#[utoipa::path(
put, path = "/projects/{key}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("name" = String, Query, description = "The user", example = "alice"), ("permission" = doc::ProjectPermission, Query, description = "The level (higher implies lower)")),
    responses(
        (status = 204, description = "Granted (project administrators)"),
        (status = 400, description = "Missing or bad parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or user", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    let level = validate::project_permission(q.permission.as_deref())?;
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    let target = load_user(&state, &name).await?;
    state
        .store()
        .grant_project(project.id, target.id, level)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /projects/{key}/permissions/users?name=` (project admin): 204.
#[utoipa::path(
delete, path = "/projects/{key}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("name" = String, Query, description = "The user", example = "alice")),
    responses(
        (status = 204, description = "Revoked (project administrators)"),
        (status = 400, description = "Missing name", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or user", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    let target = load_user(&state, &name).await?;
    state.store().revoke_project(project.id, target.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{key}/repos/{slug}/permissions/users` (repository admin).
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ListQuery, PageParams),
    responses(
        (status = 200, description = "The users granted a permission (repository administrators)", body = Paged<doc::RepositoryGrant>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository_list(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (_, repository) = repository_with(&state, &user, &key, &slug, AccessLevel::Admin).await?;
    let page = state
        .store()
        .repository_grants(repository.id, q.filter.as_deref(), q.page.request()?)
        .await?;
    Ok(Json(paged(page.map(|g| {
        json!({ "user": render::user(&g.user, &base), "permission": render::repository_permission(g.level) })
    }))))
}

/// `PUT /projects/{key}/repos/{slug}/permissions/users?name=&permission=REPO_*`: 204.
#[utoipa::path(
put, path = "/projects/{key}/repos/{slug}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("name" = String, Query, description = "The user", example = "alice"), ("permission" = doc::RepositoryPermission, Query, description = "The level (higher implies lower)")),
    responses(
        (status = 204, description = "Granted (repository administrators)"),
        (status = 400, description = "Missing or bad parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such repository or user", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    let level = validate::repository_permission(q.permission.as_deref())?;
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let (_, repository) = repository_with(&state, &user, &key, &slug, AccessLevel::Admin).await?;
    let target = load_user(&state, &name).await?;
    state
        .store()
        .grant_repository(repository.id, target.id, level)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /projects/{key}/repos/{slug}/permissions/users?name=`: 204.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}/permissions/users", tag = "Permissions",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("name" = String, Query, description = "The user", example = "alice")),
    responses(
        (status = 204, description = "Revoked (repository administrators)"),
        (status = 400, description = "Missing name", body = doc::ErrorEnvelope),
        (status = 404, description = "No such repository or user", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let (_, repository) = repository_with(&state, &user, &key, &slug, AccessLevel::Admin).await?;
    let target = load_user(&state, &name).await?;
    state
        .store()
        .revoke_repository(repository.id, target.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
