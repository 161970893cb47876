//! The Bitbucket REST subset (SPEC 2), under `/rest/api/1.0` and `/rest/api/latest`, and the
//! personal access token API under `/rest/access-tokens/{1.0,latest}`.
//!
//! Handlers are thin: extract, check access ([`keywarden_core::access`]), call the store, render
//! ([`render`]). Every error is an [`crate::ApiError`].

pub mod error_envelope;
pub mod extract;
pub mod openapi;
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
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

/// The Bitbucket API routes (mounted at both API version prefixes). Every route is registered
/// with [`routes!`], so it cannot be served without being in the OpenAPI document.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users::list))
        .routes(routes!(users::get))
        .routes(routes!(
            users::admin_list,
            users::admin_create,
            users::admin_delete
        ))
        .routes(routes!(users::admin_set_password))
        .routes(routes!(users::admin_grant, users::admin_revoke))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(
            permissions::project_list,
            permissions::project_grant,
            permissions::project_revoke
        ))
        .routes(routes!(repos::list, repos::create))
        .routes(routes!(repos::get, repos::delete))
        .routes(routes!(repos::branches))
        .routes(routes!(repos::default_branch))
        .routes(routes!(hooks::project_list))
        .routes(routes!(hooks::project_get, hooks::project_revert))
        .routes(routes!(hooks::project_enable, hooks::project_disable))
        .routes(routes!(hooks::project_settings))
        .routes(routes!(hooks::repo_list))
        .routes(routes!(hooks::repo_get, hooks::repo_revert))
        .routes(routes!(hooks::repo_enable, hooks::repo_disable))
        .routes(routes!(hooks::repo_settings))
        .routes(routes!(
            permissions::repository_list,
            permissions::repository_grant,
            permissions::repository_revoke
        ))
}

/// The access token routes.
fn access_tokens() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::get, tokens::delete))
}

/// The REST routes at their `latest` prefixes, with the OpenAPI document they make.
fn latest() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/rest/api/latest", api())
        .nest("/rest/access-tokens/latest", access_tokens())
        .nest("/rest/security/latest", security::api())
}

/// The OpenAPI 3.1 document of the REST API (served at [`openapi::PATH`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::complete(latest().into_openapi())
}

/// All REST routes, at both version prefixes, and the OpenAPI document at [`openapi::PATH`].
pub fn router() -> Router<AppState> {
    let (latest, doc) = latest().split_for_parts();
    latest
        .nest("/rest/api/1.0", api().into())
        .nest("/rest/access-tokens/1.0", access_tokens().into())
        .nest("/rest/security/1.0", security::api().into())
        .route(openapi::PATH, openapi::serve(openapi::complete(doc)))
}

/// The fallback for unknown `/rest/...` paths: a 404 for everyone, signed in or not (a path
/// names no resource whoever asks).
pub async fn not_found() -> ApiError {
    ApiError::NotFound("No REST resource at this path.".into())
}
