//! Repositories and their branches.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{AccessLevel, NewRepository, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, BaseUrl};
use super::paging::{PageParams, page_of, paged};
use super::projects::owner_of;
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::{project_with, repository_with};
use keywarden_core::credentials::random_hex;
use keywarden_core::disk;
use keywarden_core::paged::Paged;

/// `?name=` plus paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Case-insensitive substring of the repository name.
    name: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// `GET /projects/{key}/repos`: the project's repositories the user can read, by name.
#[utoipa::path(
get, path = "/projects/{key}/repos", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ListQuery, PageParams),
    responses(
        (status = 200, description = "The project's repositories the caller can read, by name", body = Paged<doc::Repository>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let project = project_with(&state, &user, &key, AccessLevel::Read).await?;
    let owner = owner_of(&state, &project).await?;
    let page = state
        .store()
        .list_repositories(
            project.id,
            user.viewer(),
            q.name.as_deref(),
            q.page.request()?,
        )
        .await?;
    Ok(Json(paged(page.map(|r| {
        render::repository(&r, &project, owner.as_ref(), &base)
    }))))
}

/// Body of `POST /projects/{key}/repos`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    /// The name (required): a letter or digit, then letters, digits, spaces, `-`, `_` and
    /// `.`; the slug derives from it.
    #[schema(
        pattern = r"^\s*[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$",
        example = "new-repo"
    )]
    name: Option<String>,
    /// The default branch (default `main`).
    default_branch: Option<String>,
    /// Only `git`.
    scm_id: Option<String>,
}

/// `POST /projects/{key}/repos` (project admin): creates the bare repository, then the row.
/// A crash in between leaves an unused directory, never a row without a repository.
#[utoipa::path(
post, path = "/projects/{key}/repos", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ")),
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created (project administrators)", body = doc::Repository),
        (status = 400, description = "Missing or bad field (the message names it)", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = project_with(&state, &user, &key, AccessLevel::Admin).await?;
    let name = validate::repository_name(body.name.as_deref())?;
    if body.scm_id.as_deref().is_some_and(|s| s != "git") {
        return Err(ApiError::invalid("scmId: only 'git' is supported"));
    }
    let default_branch = match body.default_branch.as_deref() {
        Some(b) => validate::branch_name("defaultBranch", b)?,
        None => "main".to_string(),
    };
    let slug = validate::slugify(&name);
    let duplicate = || ApiError::Conflict {
        message: format!(
            "This repository name is already taken: {}/{slug}.",
            project.key
        ),
        exception: "com.atlassian.bitbucket.repository.DuplicateRepositoryNameException",
    };
    if state
        .store()
        .repository_by_slug(project.id, &slug)
        .await?
        .is_some()
    {
        return Err(duplicate());
    }
    let disk_name = random_hex(12);
    let path = state.config().repository_path(&disk_name);
    disk::create_bare(&state.config().git_program, &path, &default_branch).await?;
    let new = NewRepository {
        project_id: project.id,
        slug: slug.clone(),
        name,
        default_branch,
        disk_name,
    };
    let repository = match state.store().create_repository(new).await {
        Ok(r) => r,
        Err(e) => {
            let _ = disk::remove(&path).await;
            return Err(match e {
                StoreError::Conflict(_) => duplicate(),
                other => other.into(),
            });
        }
    };
    let owner = owner_of(&state, &project).await?;
    tracing::info!(project = %project.key, repository = %repository.slug, "repository created");
    Ok((
        StatusCode::CREATED,
        Json(render::repository(
            &repository,
            &project,
            owner.as_ref(),
            &base,
        )),
    ))
}

/// `GET /projects/{key}/repos/{slug}`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo")),
    responses(
        (status = 200, description = "The repository", body = doc::Repository),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path((key, slug)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (project, repository) =
        repository_with(&state, &user, &key, &slug, AccessLevel::Read).await?;
    let owner = owner_of(&state, &project).await?;
    Ok(Json(render::repository(
        &repository,
        &project,
        owner.as_ref(),
        &base,
    )))
}

/// `DELETE /projects/{key}/repos/{slug}` (repository admin): 202. The row goes first, then
/// the directory.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)"), ("slug" = String, Path, description = "The repository slug")),
    responses(
        (status = 202, description = "Deleted (repository administrators)", body = doc::DeletionScheduled),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (project, repository) =
        repository_with(&state, &user, &key, &slug, AccessLevel::Admin).await?;
    state.store().delete_repository(repository.id).await?;
    disk::remove(&state.config().repository_path(&repository.disk_name)).await?;
    tracing::info!(project = %project.key, repository = %repository.slug, "repository deleted");
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({"context": null, "message": "Repository scheduled for deletion.", "exceptionName": null}),
        ),
    ))
}

/// `?filterText=` plus paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct BranchQuery {
    /// Case-insensitive substring of the branch name.
    filter_text: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// `GET /projects/{key}/repos/{slug}/branches`: the default branch first, then by name.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/branches", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), BranchQuery, PageParams),
    responses(
        (status = 200, description = "The branches: the default first, then by name", body = Paged<doc::Branch>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn branches(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<BranchQuery>,
) -> ApiResult<Json<Value>> {
    let request = q.page.request()?;
    let (_, repository) = repository_with(&state, &user, &key, &slug, AccessLevel::Read).await?;
    let path = state.config().repository_path(&repository.disk_name);
    let mut list = disk::branches(&state.config().git_program, &path).await?;
    let filter = q.filter_text.unwrap_or_default().to_lowercase();
    list.retain(|(name, _)| name.to_lowercase().contains(&filter));
    list.sort_by_key(|(name, _)| (*name != repository.default_branch, name.clone()));
    let values = list
        .iter()
        .map(|(name, commit)| render::branch(name, commit, *name == repository.default_branch))
        .collect();
    Ok(Json(paged(page_of(values, request))))
}

/// `GET /projects/{key}/repos/{slug}/branches/default`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/branches/default", tag = "Repositories",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo")),
    responses(
        (status = 200, description = "The default branch", body = doc::Branch),
        (status = 404, description = "No such project or repository, or no commit yet", body = doc::ErrorEnvelope),
    )
)]
pub async fn default_branch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (_, repository) = repository_with(&state, &user, &key, &slug, AccessLevel::Read).await?;
    let path = state.config().repository_path(&repository.disk_name);
    let list = disk::branches(&state.config().git_program, &path).await?;
    let commit = list
        .into_iter()
        .find(|(n, _)| *n == repository.default_branch)
        .map(|(_, c)| c)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Repository {key}/{slug} has no default branch yet."
            ))
        })?;
    Ok(Json(render::branch(
        &repository.default_branch,
        &commit,
        true,
    )))
}
