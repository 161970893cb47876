//! Users: the list any signed-in user sees, and the admin API.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{NewUser, User};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, BaseUrl};
use super::paging::{PageParams, paged};
use super::{render, validate};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::require_admin;
use keywarden_core::credentials;
use keywarden_core::paged::Paged;

/// `?filter=` plus paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Case-insensitive substring of the name or display name.
    filter: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageParams,
}

/// `GET /users`.
#[utoipa::path(
get, path = "/users", tag = "Users",
    params(ListQuery, PageParams),
    responses(
        (status = 200, description = "The users, by name", body = Paged<doc::User>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
    BaseUrl(base): BaseUrl,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let page = state
        .store()
        .list_users(q.filter.as_deref(), q.page.request()?)
        .await?;
    Ok(Json(paged(page.map(|u| render::user(&u, &base)))))
}

/// `GET /users/{name}`.
#[utoipa::path(
get, path = "/users/{name}", tag = "Users",
    params(("name" = String, Path, description = "The username (any case)")),
    responses(
        (status = 200, description = "The user", body = doc::User),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    _user: CurrentUser,
    BaseUrl(base): BaseUrl,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render::user(&load_user(&state, &name).await?, &base)))
}

/// `GET /admin/users`.
#[utoipa::path(
get, path = "/admin/users", tag = "Admin",
    params(ListQuery, PageParams),
    responses(
        (status = 200, description = "The users, by name (administrators only)", body = Paged<doc::User>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_list(
    State(state): State<AppState>,
    user: CurrentUser,
    base: BaseUrl,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    require_admin(&user)?;
    list(State(state), user, base, query).await
}

/// Query of `POST /admin/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CreateQuery {
    /// The username: letters, digits, `.`, `_`, `-` and `@`.
    #[param(
        required = true,
        pattern = r"^\s*[A-Za-z0-9._@-]{1,255}\s*$",
        example = "bob"
    )]
    name: Option<String>,
    /// The password.
    #[param(required = true, pattern = r"\S", max_length = 1024)]
    password: Option<String>,
    /// The display name (default: the username).
    display_name: Option<String>,
    /// The e-mail address.
    email_address: Option<String>,
}

/// `POST /admin/users?name=&password=&displayName=&emailAddress=`: 204.
#[utoipa::path(
post, path = "/admin/users", tag = "Admin",
    params(CreateQuery),
    responses(
        (status = 204, description = "Created"),
        (status = 400, description = "Missing or bad parameter (the message names it)", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<CreateQuery>,
) -> ApiResult<StatusCode> {
    require_admin(&user)?;
    let name = validate::user_name(q.name.as_deref())?;
    let password = validate::required("password", q.password.as_deref(), 1024)?;
    let display_name = match q.display_name.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => validate::display_name("displayName", Some(d), 255)?,
        _ => name.clone(),
    };
    let email = q
        .email_address
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if state.store().user_by_name(&name).await?.is_some() {
        return Err(duplicate_user(&name));
    }
    let password_hash = credentials::hash_password(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store()
        .create_user(NewUser {
            name: name.clone(),
            display_name,
            email,
            password_hash,
            admin: false,
        })
        .await
        .map_err(|e| match e {
            keywarden_store::StoreError::Conflict(_) => duplicate_user(&name),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

fn duplicate_user(name: &str) -> ApiError {
    ApiError::Conflict {
        message: format!("A user with the name {name} already exists."),
        exception: "com.atlassian.bitbucket.user.DuplicateUserException",
    }
}

/// `?name=`.
#[derive(Debug, Deserialize)]
pub struct NameQuery {
    name: Option<String>,
    permission: Option<String>,
}

/// `DELETE /admin/users?name=`: the deleted user. Their personal repositories go too.
#[utoipa::path(
delete, path = "/admin/users", tag = "Admin",
    params(("name" = String, Query, description = "The user to delete")),
    responses(
        (status = 200, description = "The deleted user (their personal repositories are gone too)", body = doc::User),
        (status = 400, description = "Missing name, or deleting oneself", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_delete(
    State(state): State<AppState>,
    user: CurrentUser,
    BaseUrl(base): BaseUrl,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<Json<Value>> {
    require_admin(&user)?;
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let target = load_user(&state, &name).await?;
    if target.id == user.0.id {
        return Err(ApiError::invalid("name: you cannot delete yourself"));
    }
    let removed = state.store().delete_user(target.id).await?;
    for repo in removed {
        keywarden_core::disk::remove(&state.config().repository_path(&repo.disk_name)).await?;
    }
    Ok(Json(render::user(&target, &base)))
}

/// Body of `PUT /admin/users/credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// The user (required).
    name: Option<String>,
    /// The new password (required).
    password: Option<String>,
    /// Must equal `password` when given.
    password_confirm: Option<String>,
}

/// `PUT /admin/users/credentials`: sets a user's password; 204.
#[utoipa::path(
put, path = "/admin/users/credentials", tag = "Admin",
    request_body = Credentials,
    responses(
        (status = 204, description = "The password is set"),
        (status = 400, description = "Missing or bad field (the message names it)", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_set_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<StatusCode> {
    require_admin(&user)?;
    let name = validate::required("name", body.name.as_deref(), 255)?;
    let password = validate::required("password", body.password.as_deref(), 1024)?;
    if body
        .password_confirm
        .as_deref()
        .is_some_and(|c| c != password)
    {
        return Err(ApiError::invalid(
            "passwordConfirm: does not match password",
        ));
    }
    let target = load_user(&state, &name).await?;
    let hash = credentials::hash_password(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store().set_password(target.id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /admin/permissions/users?name=&permission=ADMIN`: 204.
#[utoipa::path(
put, path = "/admin/permissions/users", tag = "Admin",
    params(
        ("name" = String, Query, description = "The user", example = "alice"),
        ("permission" = doc::GlobalPermission, Query, description = "ADMIN or SYS_ADMIN make an administrator; the others revoke it"),
    ),
    responses(
        (status = 204, description = "Granted"),
        (status = 400, description = "Missing or bad parameter, or demoting oneself", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<StatusCode> {
    require_admin(&user)?;
    let admin = match q.permission.as_deref().unwrap_or("") {
        "ADMIN" | "SYS_ADMIN" => true,
        "LICENSED_USER" | "PROJECT_CREATE" => false,
        other => {
            return Err(ApiError::invalid(format!(
                "permission: '{other}' is not one of ADMIN, SYS_ADMIN, PROJECT_CREATE, LICENSED_USER"
            )));
        }
    };
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let target = load_user(&state, &name).await?;
    if target.id == user.0.id && !admin {
        return Err(ApiError::invalid(
            "name: you cannot revoke your own admin permission",
        ));
    }
    state.store().set_admin(target.id, admin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/permissions/users?name=`: revokes global admin; 204.
#[utoipa::path(
delete, path = "/admin/permissions/users", tag = "Admin",
    params(("name" = String, Query, description = "The user", example = "alice")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Missing name, or revoking oneself", body = doc::ErrorEnvelope),
        (status = 404, description = "No such user", body = doc::ErrorEnvelope),
    )
)]
pub async fn admin_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<StatusCode> {
    require_admin(&user)?;
    let name = validate::required("name", q.name.as_deref(), 255)?;
    let target = load_user(&state, &name).await?;
    if target.id == user.0.id {
        return Err(ApiError::invalid(
            "name: you cannot revoke your own admin permission",
        ));
    }
    state.store().set_admin(target.id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Loads a user by name (404 `NoSuchUserException`).
pub async fn load_user(state: &AppState, name: &str) -> ApiResult<User> {
    state
        .store()
        .user_by_name(name)
        .await?
        .ok_or_else(|| ApiError::NoSuchUser(name.into()))
}
