//! The Bitbucket REST subset (SPEC 2), under `/rest/api/1.0` and `/rest/api/latest`, and the
//! personal access token API under `/rest/access-tokens/{1.0,latest}`.
//!
//! Handlers are thin: extract, check access ([`crate::access`]), call the store, render
//! ([`render`]). Every error is an [`crate::ApiError`].

pub mod extract;
pub mod paging;
pub mod render;
pub mod validate;

pub(crate) mod hooks;
mod permissions;
mod projects;
mod repos;
pub(crate) mod security;
mod tokens;
mod users;

use axum::Router;
use axum::routing::{get, put};

use crate::error::ApiError;
use crate::state::AppState;

/// The Bitbucket API routes (mounted at both API version prefixes).
fn api() -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list))
        .route("/users/{name}", get(users::get))
        .route(
            "/admin/users",
            get(users::admin_list)
                .post(users::admin_create)
                .delete(users::admin_delete),
        )
        .route("/admin/users/credentials", put(users::admin_set_password))
        .route(
            "/admin/permissions/users",
            put(users::admin_grant).delete(users::admin_revoke),
        )
        .route("/projects", get(projects::list).post(projects::create))
        .route(
            "/projects/{key}",
            get(projects::get)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route(
            "/projects/{key}/permissions/users",
            get(permissions::project_list)
                .put(permissions::project_grant)
                .delete(permissions::project_revoke),
        )
        .route(
            "/projects/{key}/repos",
            get(repos::list).post(repos::create),
        )
        .route(
            "/projects/{key}/repos/{slug}",
            get(repos::get).delete(repos::delete),
        )
        .route(
            "/projects/{key}/repos/{slug}/branches",
            get(repos::branches),
        )
        .route(
            "/projects/{key}/repos/{slug}/branches/default",
            get(repos::default_branch),
        )
        .route("/projects/{key}/settings/hooks", get(hooks::project_list))
        .route(
            "/projects/{key}/settings/hooks/{hook}",
            get(hooks::project_get).delete(hooks::project_revert),
        )
        .route(
            "/projects/{key}/settings/hooks/{hook}/enabled",
            put(hooks::project_enable).delete(hooks::project_disable),
        )
        .route(
            "/projects/{key}/settings/hooks/{hook}/settings",
            get(hooks::project_settings),
        )
        .route(
            "/projects/{key}/repos/{slug}/settings/hooks",
            get(hooks::repo_list),
        )
        .route(
            "/projects/{key}/repos/{slug}/settings/hooks/{hook}",
            get(hooks::repo_get).delete(hooks::repo_revert),
        )
        .route(
            "/projects/{key}/repos/{slug}/settings/hooks/{hook}/enabled",
            put(hooks::repo_enable).delete(hooks::repo_disable),
        )
        .route(
            "/projects/{key}/repos/{slug}/settings/hooks/{hook}/settings",
            get(hooks::repo_settings),
        )
        .route(
            "/projects/{key}/repos/{slug}/permissions/users",
            get(permissions::repository_list)
                .put(permissions::repository_grant)
                .delete(permissions::repository_revoke),
        )
}

/// The access token routes.
fn access_tokens() -> Router<AppState> {
    Router::new()
        .route("/users/{name}", get(tokens::list).put(tokens::create))
        .route("/users/{name}/{id}", axum::routing::delete(tokens::delete))
}

/// All REST routes, at both version prefixes, with an enveloped 404 for unknown paths.
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/rest/api/1.0", api())
        .nest("/rest/api/latest", api())
        .nest("/rest/access-tokens/1.0", access_tokens())
        .nest("/rest/access-tokens/latest", access_tokens())
        .nest("/rest/security/1.0", security::api())
        .nest("/rest/security/latest", security::api())
}

/// The fallback for unknown `/rest/...` paths (after authentication, like every REST path).
pub async fn not_found(_user: crate::auth::CurrentUser) -> ApiError {
    ApiError::NotFound("No REST resource at this path.".into())
}
