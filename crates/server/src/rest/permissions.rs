//! User permissions on projects and repositories.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::AccessLevel;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ApiQuery, BaseUrl};
use super::paging::{PageParams, paged};
use super::users::load_user;
use super::{render, validate};
use crate::access::{project_with, repository_with};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::state::AppState;

/// `?filter=` plus paging.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    filter: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// `?name=&permission=`.
#[derive(Debug, Deserialize)]
pub struct GrantQuery {
    name: Option<String>,
    permission: Option<String>,
}

/// `GET /projects/{key}/permissions/users` (project admin).
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
