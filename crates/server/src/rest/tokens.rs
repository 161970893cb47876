//! Personal access tokens: `PUT /rest/access-tokens/latest/users/{name}` returns the token once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{AccessToken, User};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiQuery, BaseUrl};
use super::paging::{PageParams, page_of, paged};
use super::users::load_user;
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::credentials;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// Body of the create call.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBody {
    /// The token's name (required).
    name: Option<String>,
    /// Informational permissions (e.g. `REPO_ADMIN`), echoed back.
    permissions: Option<Vec<String>>,
}

/// The token's owner, if the caller may manage their tokens (themselves or an admin).
async fn owner(state: &AppState, user: &CurrentUser, name: &str) -> ApiResult<User> {
    if user.0.name.eq_ignore_ascii_case(name) {
        return Ok(user.0.clone());
    }
    if !user.is_admin() {
        return Err(ApiError::forbidden());
    }
    load_user(state, name).await
}

fn render_token(t: &AccessToken, owner: &User, base: &str) -> Value {
    json!({
        "id": t.key_id,
        "createdDate": t.created_at,
        "name": t.name,
        "permissions": ["REPO_ADMIN", "PROJECT_ADMIN"],
        "user": render::user(owner, base),
    })
}

/// `PUT .../users/{name}` with `{"name": "..."}`: the token, shown this once.
#[utoipa::path(
put, path = "/users/{name}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)")),
    request_body = CreateBody,
    responses(
        (status = 200, description = "The new token, with its secret shown this once", body = doc::NewAccessToken),
        (status = 400, description = "Missing or bad field", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Json<Value>> {
    let owner = owner(&state, &user, &name).await?;
    let token_name = validate::required("name", body.name.as_deref(), 255)?;
    let (key_id, token) = credentials::new_token();
    let hash = credentials::hash_password(token.clone())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let stored = state
        .store()
        .create_token(owner.id, &token_name, &key_id, &hash)
        .await?;
    let mut v = render_token(&stored, &owner, &base);
    if let Some(p) = body.permissions {
        v["permissions"] = json!(p);
    }
    v["token"] = json!(token);
    Ok(Json(v))
}

/// `GET .../users/{name}`: the user's tokens (without secrets), paged.
#[utoipa::path(
get, path = "/users/{name}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)"), PageParams),
    responses(
        (status = 200, description = "The user's tokens, without secrets", body = doc::Paged<doc::AccessToken>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let owner = owner(&state, &user, &name).await?;
    let tokens = state.store().list_tokens(owner.id).await?;
    let values = tokens
        .iter()
        .map(|t| render_token(t, &owner, &base))
        .collect();
    Ok(Json(paged(page_of(values, q.request()?))))
}

/// `DELETE .../users/{name}/{id}`: 204.
#[utoipa::path(
delete, path = "/users/{name}/{id}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)"), ("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such user or token", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let owner = owner(&state, &user, &name).await?;
    let tokens = state.store().list_tokens(owner.id).await?;
    let token = tokens
        .into_iter()
        .find(|t| t.key_id == id)
        .ok_or_else(|| ApiError::NotFound(format!("Access token {id} does not exist.")))?;
    state.store().delete_token(owner.id, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
