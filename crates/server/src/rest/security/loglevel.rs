//! `GET/PUT /rest/security/latest/loglevel` (seed "Debug Logging"): the log-level override of
//! the running server ([`keywarden_core::logging`]). Admin or app access. The override is stored like
//! every other setting and put back at start ([`restore`]).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::audit::{Audit, action};
use keywarden_core::logging::LogLevel;

/// The store's setting key of the override.
const LOG_LEVEL_KEY: &str = "log_level_override";

/// At start: applies the stored override, if any. A value the server does not know (written
/// by another version) is logged and left alone.
pub(crate) async fn restore(state: &AppState) -> keywarden_store::Result<()> {
    let Some(stored) = state.store().setting(LOG_LEVEL_KEY).await? else {
        return Ok(());
    };
    match LogLevel::parse(&stored) {
        Some(level) => state.config().log_level.set(level),
        None => tracing::warn!(stored = %stored, "ignoring an unknown stored log level override"),
    }
    Ok(())
}

/// `?logLevelOverride=`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelQuery {
    log_level_override: Option<String>,
}

/// `GET /loglevel`: `{"logLevelOverride":"WARN"}`.
#[utoipa::path(
get, path = "/loglevel", tag = "Settings",
    responses(
        (status = 200, description = "The log-level override (admin or app access)", body = sec::LogLevelOverride),
    )
)]
pub async fn get(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let level = state.config().log_level.get();
    Ok(Json(json!({ "logLevelOverride": level.as_str() })))
}

/// `PUT /loglevel?logLevelOverride=DEBUG`: changes the override at once; 200 with the new
/// value; 400 for anything but `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`.
#[utoipa::path(
put, path = "/loglevel", tag = "Settings",
    params(("logLevelOverride" = sec::LogLevel, Query, description = "The new level")),
    responses(
        (status = 200, description = "Changed at once", body = sec::LogLevelOverride),
        (status = 400, description = "Not one of the levels", body = doc::ErrorEnvelope),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<LevelQuery>,
) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let given = q.log_level_override.unwrap_or_default();
    let level = LogLevel::parse(given.trim()).ok_or_else(|| {
        ApiError::invalid(format!(
            "logLevelOverride: must be one of TRACE, DEBUG, INFO, WARN, ERROR, not '{given}'"
        ))
    })?;
    let control = &state.config().log_level;
    let old = control.get();
    state
        .store()
        .put_setting(LOG_LEVEL_KEY, level.as_str())
        .await?;
    control.set(level);
    tracing::warn!(from = old.as_str(), to = level.as_str(), user = %user.0.name, "log level override changed");
    Audit {
        user: Some(&user.0.name),
        action: action::SETTINGS_CHANGED,
        project: None,
        repository: None,
        details: json!({"logLevelOverride": {"from": old.as_str(), "to": level.as_str()}}),
    }
    .record(&state)
    .await;
    Ok(Json(json!({ "logLevelOverride": level.as_str() })))
}
