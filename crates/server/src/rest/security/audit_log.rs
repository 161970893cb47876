//! `GET /rest/security/latest/audit` (SPEC 9): the audit log, newest first, paged. Admin or app
//! access.

use axum::Json;
use axum::extract::State;
use keywarden_store::AuditEvent;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::rest::paging::{PageParams, paged};
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::paged::Paged;
use keywarden_core::paged::iso;

/// The JSON of one event.
pub fn event_json(e: &AuditEvent) -> Value {
    json!({
        "id": e.id,
        "timestamp": e.created_at,
        "date": iso(e.created_at),
        "user": e.user_name,
        "action": e.action,
        "projectKey": e.project_key,
        "repositorySlug": e.repository_slug,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details.clone())),
    })
}

/// `GET /audit?start=&limit=`.
#[utoipa::path(
get, path = "/audit", tag = "Settings",
    params(PageParams),
    responses(
        (status = 200, description = "The audit log, newest first (admin or app access)", body = Paged<sec::AuditEvent>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let page = state.store().list_audit(page.request()?).await?;
    let page = keywarden_store::Page {
        values: page.values.iter().map(event_json).collect(),
        start: page.start,
        limit: page.limit,
        is_last_page: page.is_last_page,
    };
    Ok(Json(paged(page)))
}
