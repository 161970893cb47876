//! Reviewed findings in repository scope (seed "Marking Findings as Reviewed"):
//! `/review-lines/projects/{p}/repos/{r}/create|delete`. Repository write or app access.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{NewReviewed, ReviewedEntry};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::common::{Confirm, fingerprint};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::{ApiJson, ApiQuery};
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::audit::{Audit, action};
use keywarden_core::paged::iso;
use keywarden_core::scans::reviewed_counts::recount;

/// Longest accepted match text (a truncated line's finding can be long, but not unbounded).
pub const MAX_MATCH_TEXT: usize = 65_536;

/// The JSON of a reviewed entry (also the columns of the global CSV export).
pub fn entry_json(e: &ReviewedEntry) -> Value {
    json!({
        "matchText": e.match_text,
        "ruleName": e.rule_name,
        "reviewedBy": e.reviewed_by,
        "reviewedDate": iso(e.reviewed_at),
        "reviewedTimestamp": e.reviewed_at,
    })
}

/// The body of `create` and `delete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewBody {
    /// The exact match text (not the whole line); required, at most 65,536 bytes.
    #[schema(min_length = 1, example = "hunter2-is-not-a-good-one")]
    match_text: Option<String>,
    /// The rule that found it.
    rule_name: Option<String>,
}

/// Checks a match text: 400 naming `matchText`.
pub fn check_match_text(text: Option<&str>) -> ApiResult<&str> {
    match text {
        None | Some("") => Err(ApiError::invalid(
            "matchText: the text of the finding (not the whole line) is required",
        )),
        Some(t) if t.len() > MAX_MATCH_TEXT => Err(ApiError::invalid(format!(
            "matchText: at most {MAX_MATCH_TEXT} bytes"
        ))),
        Some(t) => Ok(t),
    }
}

/// `GET /review-lines/projects/{p}/repos/{r}`: the repository's reviewed entries.
#[utoipa::path(
get, path = "/review-lines/projects/{project}/repos/{repo}", tag = "Reviewed",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo")),
    responses(
        (status = 200, description = "The repository's reviewed entries (repository write or app access)", body = Vec<sec::ReviewedEntry>),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (_, repo) = access::security_repository(&state, &user, &key, &slug).await?;
    let entries = state.store().list_repository_reviewed(repo.id).await?;
    Ok(Json(Value::Array(entries.iter().map(entry_json).collect())))
}

/// `POST .../create` `{"matchText","ruleName"}`: marks the text reviewed in the repository
/// (idempotent); 200 with the entry and whether it was `created` now.
#[utoipa::path(
post, path = "/review-lines/projects/{project}/repos/{repo}/create", tag = "Reviewed",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo")),
    request_body = ReviewBody,
    responses(
        (status = 200, description = "The entry (idempotent)", body = sec::ReviewedCreated),
        (status = 400, description = "Missing or too long matchText", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Json<Value>> {
    let (project, repo) = access::security_repository(&state, &user, &key, &slug).await?;
    let text = check_match_text(body.match_text.as_deref())?.to_string();
    let rule_name = body
        .rule_name
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let created = state
        .store()
        .add_repository_reviewed(
            repo.id,
            NewReviewed {
                match_text: text.clone(),
                rule_name: rule_name.clone(),
                reviewed_by: Some(user.0.name.clone()),
            },
        )
        .await?;
    if created {
        recount(&state, Some(repo.id)).await?;
        Audit {
            user: Some(&user.0.name),
            action: action::REVIEW_MARKED,
            project: Some(&project.key),
            repository: Some(&repo.slug),
            details: json!({"scope": "repository", "ruleName": rule_name, "matchFingerprint": fingerprint(&text)}),
        }
        .record(&state)
        .await;
    }
    let entries = state.store().list_repository_reviewed(repo.id).await?;
    let entry = entries
        .iter()
        .find(|e| e.match_text == text)
        .ok_or_else(|| ApiError::Internal("reviewed entry vanished".into()))?;
    let mut out = entry_json(entry);
    out["created"] = json!(created);
    Ok(Json(out))
}

/// `POST .../delete` `{"matchText"}`: unmarks the text (204; 404 if it was not marked).
#[utoipa::path(
post, path = "/review-lines/projects/{project}/repos/{repo}/delete", tag = "Reviewed",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo")),
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
    Path((key, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<StatusCode> {
    let (project, repo) = access::security_repository(&state, &user, &key, &slug).await?;
    let text = check_match_text(body.match_text.as_deref())?;
    if !state
        .store()
        .delete_repository_reviewed(repo.id, text)
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "No reviewed finding with this matchText in {}/{}.",
            project.key, repo.slug
        )));
    }
    recount(&state, Some(repo.id)).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: Some(&project.key),
        repository: Some(&repo.slug),
        details: json!({"scope": "repository", "matchFingerprint": fingerprint(text)}),
    }
    .record(&state)
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE .../delete?confirm=true`: unmarks everything in the repository; 200 `{"removed":N}`.
#[utoipa::path(
delete, path = "/review-lines/projects/{project}/repos/{repo}/delete", tag = "Reviewed",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ("confirm" = bool, Query, description = "Must be `true`")),
    responses(
        (status = 200, description = "Everything in the repository unmarked", body = sec::Removed),
        (status = 400, description = "confirm is not true", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_all(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(confirm): ApiQuery<Confirm>,
) -> ApiResult<Json<Value>> {
    let (project, repo) = access::security_repository(&state, &user, &key, &slug).await?;
    confirm.require(&format!(
        "every reviewed finding of {}/{}",
        project.key, repo.slug
    ))?;
    let removed = state.store().clear_repository_reviewed(repo.id).await?;
    if removed > 0 {
        recount(&state, Some(repo.id)).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: Some(&project.key),
        repository: Some(&repo.slug),
        details: json!({"scope": "repository", "all": true, "removed": removed}),
    }
    .record(&state)
    .await;
    Ok(Json(json!({ "removed": removed })))
}
