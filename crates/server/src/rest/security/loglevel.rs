//! `GET/PUT /rest/security/latest/loglevel` (seed "Debug Logging"): the log-level override of
//! the running server ([`keywarden_core::logging`]). Admin or app access. The override is stored like
//! every other setting and put back at start ([`restore`]). The service is
//! [`keywarden_core::admin_settings`].

use axum::Json;
use axum::extract::State;
use keywarden_core::admin_settings::{self, LOG_LEVEL_KEY, LogLevelOverride};
use keywarden_core::logging::LogLevel;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

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
        (status = 200, description = "The log-level override (admin or app access)", body = LogLevelOverride),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<LogLevelOverride>> {
    Ok(Json(admin_settings::log_level(&state, &user).await?))
}

/// `PUT /loglevel?logLevelOverride=DEBUG`: changes the override at once; 200 with the new
/// value; 400 for anything but `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`.
#[utoipa::path(
put, path = "/loglevel", tag = "Settings",
    params(("logLevelOverride" = LogLevel, Query, description = "The new level")),
    responses(
        (status = 200, description = "Changed at once", body = LogLevelOverride),
        (status = 400, description = "Not one of the levels", body = doc::ErrorEnvelope),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<LevelQuery>,
) -> ApiResult<Json<LogLevelOverride>> {
    let given = q.log_level_override.unwrap_or_default();
    Ok(Json(
        admin_settings::set_log_level(&state, &user, &given).await?,
    ))
}
