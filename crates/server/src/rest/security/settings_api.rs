//! `GET/PUT /rest/security/latest/settings` (SPEC 9): the security settings, including the
//! users granted global app access. Admin or app access. The service is
//! [`keywarden_core::admin_settings`].

use axum::Json;
use axum::extract::State;
use keywarden_core::admin_settings;
use keywarden_core::settings::SecuritySettings;
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiJson;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// `GET /settings`.
#[utoipa::path(
get, path = "/settings", tag = "Settings",
    responses(
        (status = 200, description = "The security settings (admin or app access)", body = SecuritySettings),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<SecuritySettings>> {
    Ok(Json(admin_settings::read(&state, &user).await?))
}

/// `PUT /settings` with a JSON object of the fields to change (others keep their values);
/// 200 with the new settings. Unknown fields, wrong types and out-of-range values are 400s
/// naming the field; nothing is written then.
// The body stays a JSON object rather than a struct of optional fields so that each error
// names its field as before.
#[utoipa::path(
put, path = "/settings", tag = "Settings",
    request_body(content = SecuritySettings, description = "The fields to change; the others keep their values"),
    responses(
        (status = 200, description = "The new settings", body = SecuritySettings),
        (status = 400, description = "Unknown field, wrong type or out-of-range value (the message names it)", body = doc::ErrorEnvelope),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(changes): ApiJson<Value>,
) -> ApiResult<Json<SecuritySettings>> {
    Ok(Json(admin_settings::update(&state, &user, changes).await?))
}
