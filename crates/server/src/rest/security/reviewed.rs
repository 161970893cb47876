//! Reviewed findings in repository scope (seed "Marking Findings as Reviewed"):
//! `/review-lines/projects/{p}/repos/{r}/create|delete`. Repository write or app access. The
//! service is [`keywarden_core::reviewed`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_core::reviewed::{
    self, Confirm, Removed, ReviewBody, ReviewedCreated, ReviewedEntry,
};

use super::params::RepositoryPath;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::{ApiJson, ApiQuery};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// `GET /review-lines/projects/{p}/repos/{r}`: the repository's reviewed entries.
#[utoipa::path(
get, path = "/review-lines/projects/{project}/repos/{repo}", tag = "Reviewed",
    params(RepositoryPath),
    responses(
        (status = 200, description = "The repository's reviewed entries (repository write or app access)", body = Vec<ReviewedEntry>),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
) -> ApiResult<Json<Vec<ReviewedEntry>>> {
    Ok(Json(
        reviewed::list(&state, &user, &p.project, &p.repo).await?,
    ))
}

/// `POST .../create` `{"matchText","ruleName"}`: marks the text reviewed in the repository
/// (idempotent); 200 with the entry and whether it was `created` now.
#[utoipa::path(
post, path = "/review-lines/projects/{project}/repos/{repo}/create", tag = "Reviewed",
    params(RepositoryPath),
    request_body = ReviewBody,
    responses(
        (status = 200, description = "The entry (idempotent)", body = ReviewedCreated),
        (status = 400, description = "Missing or too long matchText", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Json<ReviewedCreated>> {
    let entry = reviewed::mark(&state, &user, &p.project, &p.repo, body).await?;
    Ok(Json(entry))
}

/// `POST .../delete` `{"matchText"}`: unmarks the text (204; 404 if it was not marked).
#[utoipa::path(
post, path = "/review-lines/projects/{project}/repos/{repo}/delete", tag = "Reviewed",
    params(RepositoryPath),
    request_body = ReviewBody,
    responses(
        (status = 204, description = "Unmarked"),
        (status = 400, description = "Missing or too long matchText", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository, or the text was not marked", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<StatusCode> {
    reviewed::unmark(&state, &user, &p.project, &p.repo, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE .../delete?confirm=true`: unmarks everything in the repository; 200 `{"removed":N}`.
#[utoipa::path(
delete, path = "/review-lines/projects/{project}/repos/{repo}/delete", tag = "Reviewed",
    params(RepositoryPath, ("confirm" = bool, Query, description = "Must be `true`")),
    responses(
        (status = 200, description = "Everything in the repository unmarked", body = Removed),
        (status = 400, description = "confirm is not true", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_all(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(confirm): ApiQuery<Confirm>,
) -> ApiResult<Json<Removed>> {
    let removed = reviewed::unmark_all(&state, &user, &p.project, &p.repo, &confirm).await?;
    Ok(Json(removed))
}
