//! Global reviewed findings (seed "Global reviewed false positives", SPEC 8): CSV upload to
//! `create` and `delete`, delete all with `confirm=true`, and the CSV export. Admin or app
//! access.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keywarden_core::reviewed::{self, Confirm, Removed, Upload, UploadResult};

use super::csv_upload;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access;

/// Largest accepted upload.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// `GET /global-reviewed`: the entries as CSV (`matchText,ruleName,reviewedBy,reviewedDate`).
#[utoipa::path(
get, path = "/global-reviewed", tag = "Reviewed",
    responses(
        (status = 200, description = "The global entries as CSV: `matchText,ruleName,reviewedBy,reviewedDate` (admin or app access)", content_type = "text/csv", body = String),
    )
)]
pub async fn export(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    access::require_security_admin(&state, &user).await?;
    let entries = state.store().list_global_reviewed().await?;
    let body = csv_upload::export(&entries);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=UTF-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"global-reviewed.csv\""),
    );
    Ok(response)
}

/// The parsed CSV of an upload (the caller checked the permission).
fn upload(headers: &HeaderMap, body: &[u8]) -> ApiResult<Upload> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let file = csv_upload::file_from_body(content_type, body)?;
    csv_upload::parse(&file)
}

/// The body, read with the upload limit (413 past it).
async fn read_body(body: axum::body::Body) -> ApiResult<axum::body::Bytes> {
    axum::body::to_bytes(body, MAX_UPLOAD).await.map_err(|_| {
        ApiError::TooLarge(format!(
            "file: the upload is larger than {} MiB",
            MAX_UPLOAD / 1024 / 1024
        ))
    })
}

/// An upload to the global list: admin or app access, then the CSV read and parsed.
async fn admin_upload(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Upload> {
    access::require_security_admin(state, user).await?;
    let body = read_body(body).await?;
    upload(headers, &body)
}

/// `POST /global-reviewed/create` (multipart `file`): adds the rows (idempotent).
#[utoipa::path(
post, path = "/global-reviewed/create", tag = "Reviewed",
    request_body(content(
        (sec::UploadForm = "multipart/form-data"),
        (String = "text/csv"),
    ), description = "The CSV, as the multipart field `file` (or the whole body as `text/csv`)"),
    responses(
        (status = 200, description = "Rows added (idempotent) (admin or app access)", body = UploadResult),
        (status = 400, description = "Not a CSV upload, or no valid header", body = doc::ErrorEnvelope),
        (status = 413, description = "Larger than 64 MiB", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<UploadResult>> {
    let upload = admin_upload(&state, &user, &headers, body).await?;
    Ok(Json(reviewed::add_global(&state, &user, upload).await?))
}

/// `POST /global-reviewed/delete` (multipart `file`): removes the rows' match texts.
#[utoipa::path(
post, path = "/global-reviewed/delete", tag = "Reviewed",
    request_body(content(
        (sec::UploadForm = "multipart/form-data"),
        (String = "text/csv"),
    ), description = "The CSV, as the multipart field `file` (or the whole body as `text/csv`)"),
    responses(
        (status = 200, description = "Rows' match texts removed (admin or app access)", body = UploadResult),
        (status = 400, description = "Not a CSV upload, or no valid header", body = doc::ErrorEnvelope),
        (status = 413, description = "Larger than 64 MiB", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_rows(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<UploadResult>> {
    let upload = admin_upload(&state, &user, &headers, body).await?;
    Ok(Json(reviewed::remove_global(&state, &user, upload).await?))
}

/// `DELETE /global-reviewed?confirm=true`: removes every global entry; 200 `{"removed":N}`.
#[utoipa::path(
delete, path = "/global-reviewed", tag = "Reviewed",
    params(("confirm" = bool, Query, description = "Must be `true`")),
    responses(
        (status = 200, description = "Every global entry removed", body = Removed),
        (status = 400, description = "confirm is not true", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_all(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(confirm): ApiQuery<Confirm>,
) -> ApiResult<Json<Removed>> {
    Ok(Json(reviewed::clear_global(&state, &user, &confirm).await?))
}
