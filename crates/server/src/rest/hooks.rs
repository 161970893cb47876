//! The security hook's settings at repository and project scope, at Bitbucket's hook URLs
//! (the vendor page's "Security Hook" section, SPEC 5):
//!
//! * `PUT .../settings/hooks/{hookKey}/enabled` with `{"warnOnVulnerabilities":bool}`: enable
//!   (blocking, or warn only);
//! * `DELETE .../settings/hooks/{hookKey}/enabled`: disable;
//! * `DELETE .../settings/hooks/{hookKey}`: back to inherited (204);
//! * `GET .../settings/hooks/{hookKey}`, `GET .../settings/hooks/{hookKey}/settings` and the
//!   list `GET .../settings/hooks`.
//!
//! `...` is `/projects/{key}/repos/{slug}` (repository administrators) or `/projects/{key}`
//! (project administrators). Answers carry Bitbucket's hook object; every change is audited.
//! The service is [`keywarden_core::hook_admin`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_core::hook_admin::{
    self, Hook, HookSettings, HookSettingsRequest, HookTarget, warn_from_body,
};
use keywarden_core::paged::{PageParams, Paged};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// The `{key}` of a project's hook path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProjectPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    key: String,
}

impl ProjectPath {
    fn target(&self) -> HookTarget<'_> {
        HookTarget::Project { key: &self.key }
    }
}

/// The `{key}` and `{slug}` of a repository's hook path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RepositoryPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    key: String,
    /// The repository slug
    #[param(example = "repo")]
    slug: String,
}

impl RepositoryPath {
    fn target(&self) -> HookTarget<'_> {
        HookTarget::Repository {
            key: &self.key,
            slug: &self.slug,
        }
    }
}

/// The `{key}` and `{hook}` of a project's hook path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProjectHookPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    key: String,
    /// The hook key
    #[param(example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")]
    hook: String,
}

impl ProjectHookPath {
    fn target(&self) -> HookTarget<'_> {
        HookTarget::Project { key: &self.key }
    }
}

/// The `{key}`, `{slug}` and `{hook}` of a repository's hook path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RepositoryHookPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    key: String,
    /// The repository slug
    #[param(example = "repo")]
    slug: String,
    /// The hook key
    #[param(example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")]
    hook: String,
}

impl RepositoryHookPath {
    fn target(&self) -> HookTarget<'_> {
        HookTarget::Repository {
            key: &self.key,
            slug: &self.slug,
        }
    }
}

// ---- repository scope ----

/// `PUT /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
put, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(RepositoryHookPath),
    request_body(content = Option<HookSettingsRequest>, description = "Optional; without it an earlier `warnOnVulnerabilities` is kept"),
    responses(
        (status = 200, description = "Enabled (repository administrators)", body = Hook),
        (status = 400, description = "A body that is not such an object", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryHookPath>,
    body: Bytes,
) -> ApiResult<Json<Hook>> {
    let warn = warn_from_body(&body);
    Ok(Json(
        hook_admin::enable(&state, &user, p.target(), &p.hook, warn).await?,
    ))
}

/// `DELETE /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(RepositoryHookPath),
    responses(
        (status = 200, description = "Disabled (repository administrators)", body = Hook),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryHookPath>,
) -> ApiResult<Json<Hook>> {
    Ok(Json(
        hook_admin::disable(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `DELETE /projects/{key}/repos/{slug}/settings/hooks/{hookKey}`: back to inherited.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}", tag = "Hooks",
    params(RepositoryHookPath),
    responses(
        (status = 204, description = "Back to inherited (repository administrators)"),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_revert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryHookPath>,
) -> ApiResult<StatusCode> {
    hook_admin::revert(&state, &user, p.target(), &p.hook).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks/{hookKey}`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}", tag = "Hooks",
    params(RepositoryHookPath),
    responses(
        (status = 200, description = "The hook's state here (repository administrators)", body = Hook),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryHookPath>,
) -> ApiResult<Json<Hook>> {
    Ok(Json(
        hook_admin::get(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/settings`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/settings", tag = "Hooks",
    params(RepositoryHookPath),
    responses(
        (status = 200, description = "The hook's settings here (repository administrators)", body = HookSettings),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryHookPath>,
) -> ApiResult<Json<HookSettings>> {
    Ok(Json(
        hook_admin::settings(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks`: a page holding the one hook.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks", tag = "Hooks",
    params(RepositoryPath, PageParams),
    responses(
        (status = 200, description = "A page holding the security hook (repository administrators)", body = Paged<Hook>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<Hook>>> {
    Ok(Json(hook_admin::list(&state, &user, p.target(), &q).await?))
}

// ---- project scope ----

/// `PUT /projects/{key}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
put, path = "/projects/{key}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(ProjectHookPath),
    request_body(content = Option<HookSettingsRequest>, description = "Optional; without it an earlier `warnOnVulnerabilities` is kept"),
    responses(
        (status = 200, description = "Enabled (project administrators)", body = Hook),
        (status = 400, description = "A body that is not such an object", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectHookPath>,
    body: Bytes,
) -> ApiResult<Json<Hook>> {
    let warn = warn_from_body(&body);
    Ok(Json(
        hook_admin::enable(&state, &user, p.target(), &p.hook, warn).await?,
    ))
}

/// `DELETE /projects/{key}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
delete, path = "/projects/{key}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(ProjectHookPath),
    responses(
        (status = 200, description = "Disabled (project administrators)", body = Hook),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectHookPath>,
) -> ApiResult<Json<Hook>> {
    Ok(Json(
        hook_admin::disable(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `DELETE /projects/{key}/settings/hooks/{hookKey}`: back to the global default.
#[utoipa::path(
delete, path = "/projects/{key}/settings/hooks/{hook}", tag = "Hooks",
    params(ProjectHookPath),
    responses(
        (status = 204, description = "Back to inherited (project administrators)"),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_revert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectHookPath>,
) -> ApiResult<StatusCode> {
    hook_admin::revert(&state, &user, p.target(), &p.hook).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /projects/{key}/settings/hooks/{hookKey}`.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks/{hook}", tag = "Hooks",
    params(ProjectHookPath),
    responses(
        (status = 200, description = "The hook's state here (project administrators)", body = Hook),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectHookPath>,
) -> ApiResult<Json<Hook>> {
    Ok(Json(
        hook_admin::get(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `GET /projects/{key}/settings/hooks/{hookKey}/settings`.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks/{hook}/settings", tag = "Hooks",
    params(ProjectHookPath),
    responses(
        (status = 200, description = "The hook's settings here (project administrators)", body = HookSettings),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectHookPath>,
) -> ApiResult<Json<HookSettings>> {
    Ok(Json(
        hook_admin::settings(&state, &user, p.target(), &p.hook).await?,
    ))
}

/// `GET /projects/{key}/settings/hooks`: a page holding the one hook.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks", tag = "Hooks",
    params(ProjectPath, PageParams),
    responses(
        (status = 200, description = "A page holding the security hook (project administrators)", body = Paged<Hook>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<ProjectPath>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<Hook>>> {
    Ok(Json(hook_admin::list(&state, &user, p.target(), &q).await?))
}
