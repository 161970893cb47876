//! Personal access tokens (`/rest/access-tokens/latest/users/{name}`): Bitbucket's token model.
//! A token's permissions cap what it may do below its owner's rights, on REST and Git alike
//! ([`keywarden_core::scope`]); it may expire; its last use is recorded. The secret is returned once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{AccessToken, NewToken, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiQuery, BaseUrl};
use super::paging::{PageParams, page_of, paged};
use super::users::load_user;
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::credentials;
use keywarden_core::paged::Paged;
use keywarden_core::scope::Scope;

/// The longest expiry a token may be given, in days.
const MAX_EXPIRY_DAYS: i64 = 3650;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Body of the create call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    /// The token's name (required).
    name: Option<String>,
    /// What the token may do, below its owner's rights: `ADMIN_WRITE`, `PROJECT_READ`,
    /// `PROJECT_WRITE`, `PROJECT_ADMIN`, `REPO_READ`, `REPO_WRITE`, `REPO_ADMIN`. Without this
    /// field the token may do everything its owner may (`ADMIN_WRITE`).
    permissions: Option<Vec<String>>,
    /// Days until the token stops working, 1 to 3650; without it the token does not expire.
    #[schema(value_type = Option<i64>)]
    expiry_days: Option<Value>,
}

/// A personal access token as the API shows it (without its secret, except once at creation).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// The token's public id.
    id: String,
    /// Creation time, milliseconds since the Unix epoch.
    created_date: i64,
    /// The name the user gave it.
    name: String,
    /// What the token may do, normalised (the highest project and repository permission).
    permissions: Vec<String>,
    /// Days until expiry as requested at creation; absent for a token that does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_days: Option<i64>,
    /// When the token stops working, milliseconds since the Unix epoch; absent for never.
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_date: Option<i64>,
    /// When the token last authenticated a request (to the minute), milliseconds since the
    /// Unix epoch; absent if never used.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated: Option<i64>,
    /// The owner.
    #[schema(value_type = doc::User)]
    user: Value,
    /// The secret, only in the answer to the create call: `Authorization: Bearer <token>`, or
    /// the password of Basic auth.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl TokenView {
    fn new(t: &AccessToken, owner: &User, base: &str) -> Self {
        TokenView {
            id: t.key_id.clone(),
            created_date: t.created_at,
            name: t.name.clone(),
            permissions: Scope::from_stored(&t.permissions).names(),
            expiry_days: t
                .expires_at
                .map(|at| (at - t.created_at + DAY_MS / 2) / DAY_MS),
            expiry_date: t.expires_at,
            last_authenticated: t.last_used_at,
            user: render::user(owner, base),
            token: None,
        }
    }
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

/// The permissions of the create call: every value must be one of [`PERMISSIONS`], and a
/// caller authenticated by a token may not create a token that can do more than its own.
fn requested_scope(user: &CurrentUser, permissions: Option<&[String]>) -> ApiResult<Scope> {
    let scope = match permissions {
        None => Scope::FULL,
        Some(names) => {
            Scope::parse(names).map_err(|m| ApiError::invalid(format!("permissions: {m}")))?
        }
    };
    if !user.1.covers(&scope) {
        return Err(ApiError::Forbidden(format!(
            "A token may create tokens only within its own permissions ({}).",
            user.1.names().join(", ")
        )));
    }
    Ok(scope)
}

fn expiry(days: Option<&Value>, now: i64) -> ApiResult<Option<i64>> {
    match days {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => Ok(Some(now + d * DAY_MS)),
            _ => Err(ApiError::invalid(format!(
                "expiryDays: must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}, not {v}"
            ))),
        },
    }
}

/// `PUT .../users/{name}` with `{"name": "...", "permissions": [...], "expiryDays": N}`: the
/// token, shown this once.
#[utoipa::path(
put, path = "/users/{name}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)")),
    request_body = CreateBody,
    responses(
        (status = 200, description = "The new token, with its secret shown this once", body = TokenView),
        (status = 400, description = "Missing or bad field: no name, a value that is not a permission, an expiry outside 1 to 3650 days", body = doc::ErrorEnvelope),
        (status = 401, description = "Not signed in, or not allowed (another user's tokens, or a token asking for more than the caller's token has)", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Json<TokenView>> {
    let owner = owner(&state, &user, &name).await?;
    let token_name = validate::required("name", body.name.as_deref(), 255)?;
    let scope = requested_scope(&user, body.permissions.as_deref())?;
    let expires_at = expiry(body.expiry_days.as_ref(), keywarden_store::now_millis())?;
    let (key_id, token) = credentials::new_token();
    let hash = credentials::hash_password(token.clone())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let stored = state
        .store()
        .create_token(NewToken {
            user_id: owner.id,
            name: &token_name,
            key_id: &key_id,
            token_hash: &hash,
            permissions: &scope.stored(),
            expires_at,
        })
        .await?;
    let mut view = TokenView::new(&stored, &owner, &base);
    view.token = Some(token);
    Ok(Json(view))
}

/// `GET .../users/{name}`: the user's tokens (without secrets), paged.
#[utoipa::path(
get, path = "/users/{name}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)"), PageParams),
    responses(
        (status = 200, description = "The user's tokens, without secrets", body = Paged<TokenView>),
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
        .map(|t| serde_json::to_value(TokenView::new(t, &owner, &base)))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(paged(page_of(values, q.request()?))))
}

/// One of the owner's tokens by its public id (404 naming it).
async fn find(state: &AppState, owner: &User, id: &str) -> ApiResult<AccessToken> {
    state
        .store()
        .list_tokens(owner.id)
        .await?
        .into_iter()
        .find(|t| t.key_id == id)
        .ok_or_else(|| ApiError::NotFound(format!("Access token {id} does not exist.")))
}

/// `GET .../users/{name}/{id}`: one token, without its secret.
#[utoipa::path(
get, path = "/users/{name}/{id}", tag = "Access tokens",
    params(("name" = String, Path, description = "The token owner (yourself, or anyone for an administrator)"), ("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token, without its secret", body = TokenView),
        (status = 404, description = "No such user or token", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Json<TokenView>> {
    let owner = owner(&state, &user, &name).await?;
    let token = find(&state, &owner, &id).await?;
    Ok(Json(TokenView::new(&token, &owner, &base)))
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
    let token = find(&state, &owner, &id).await?;
    state.store().delete_token(owner.id, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_core::scope::PERMISSIONS;

    #[test]
    fn expiry_bounds() {
        assert_eq!(expiry(None, 0).unwrap(), None);
        assert_eq!(expiry(Some(&Value::from(1)), 5).unwrap(), Some(5 + DAY_MS));
        assert!(expiry(Some(&Value::from(MAX_EXPIRY_DAYS)), 0).is_ok());
        for bad in [
            Value::from(-5),
            Value::from(0),
            Value::from(MAX_EXPIRY_DAYS + 1),
            Value::from(1.5),
            Value::from("soon"),
        ] {
            let err = expiry(Some(&bad), 0).unwrap_err().to_string();
            assert!(err.contains("expiryDays"), "{err}");
        }
    }

    #[test]
    fn every_permission_is_listed_once() {
        for p in PERMISSIONS {
            assert!(Scope::parse(&[p]).is_ok(), "{p}");
        }
    }
}
