//! `GET /rest/security/latest/audit` (SPEC 9): the audit log, newest first, paged. Admin or app
//! access. The service is [`keywarden_core::audit`].

use axum::Json;
use axum::extract::State;
use keywarden_core::audit::{self, AuditEntry};
use keywarden_core::paged::{PageParams, Paged};

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// `GET /audit?start=&limit=`.
#[utoipa::path(
get, path = "/audit", tag = "Settings",
    params(PageParams),
    responses(
        (status = 200, description = "The audit log, newest first (admin or app access)", body = Paged<AuditEntry>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    Ok(Json(audit::list(&state, &user, &page).await?))
}
