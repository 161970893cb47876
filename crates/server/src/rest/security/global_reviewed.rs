//! Global reviewed findings (seed "Global reviewed false positives", SPEC 8): CSV upload to
//! `create` and `delete`, delete all with `confirm=true`, and the CSV export. Admin or app
//! access.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keywarden_store::NewReviewed;
use serde_json::{Value, json};

use super::common::Confirm;
use super::csv_upload::{self, Parsed};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::audit::{Audit, action};
use keywarden_core::scans::reviewed_counts::global_reviewed_changed;

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
fn upload(headers: &HeaderMap, body: &[u8]) -> ApiResult<Parsed> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let file = csv_upload::file_from_body(content_type, body)?;
    csv_upload::parse(&file)
}

fn answer(added: u64, removed: u64, skipped: u64, parsed: &Parsed) -> Value {
    json!({
        "added": added,
        "removed": removed,
        "skipped": skipped,
        "invalid": parsed.invalid.iter().map(|i| json!({"line": i.line, "message": i.message})).collect::<Vec<_>>(),
    })
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
) -> ApiResult<Parsed> {
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
        (status = 200, description = "Rows added (idempotent) (admin or app access)", body = sec::UploadResult),
        (status = 400, description = "Not a CSV upload, or no valid header", body = doc::ErrorEnvelope),
        (status = 413, description = "Larger than 64 MiB", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    let parsed = admin_upload(&state, &user, &headers, body).await?;
    let entries: Vec<NewReviewed> = parsed
        .unique_rows()
        .map(|r| NewReviewed {
            match_text: r.match_text.clone(),
            rule_name: r.rule_name.clone(),
            reviewed_by: Some(user.0.name.clone()),
        })
        .collect();
    let added = state.store().add_global_reviewed(entries).await?;
    let skipped = parsed.rows.len() as u64 - added;
    if added > 0 {
        global_reviewed_changed(&state).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_MARKED,
        project: None,
        repository: None,
        details: json!({"scope": "global", "added": added, "skipped": skipped, "invalid": parsed.invalid.len()}),
    }
    .record(&state)
    .await;
    Ok(Json(answer(added, 0, skipped, &parsed)))
}

/// `POST /global-reviewed/delete` (multipart `file`): removes the rows' match texts.
#[utoipa::path(
post, path = "/global-reviewed/delete", tag = "Reviewed",
    request_body(content(
        (sec::UploadForm = "multipart/form-data"),
        (String = "text/csv"),
    ), description = "The CSV, as the multipart field `file` (or the whole body as `text/csv`)"),
    responses(
        (status = 200, description = "Rows' match texts removed (admin or app access)", body = sec::UploadResult),
        (status = 400, description = "Not a CSV upload, or no valid header", body = doc::ErrorEnvelope),
        (status = 413, description = "Larger than 64 MiB", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_rows(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    let parsed = admin_upload(&state, &user, &headers, body).await?;
    let texts: Vec<String> = parsed.unique_rows().map(|r| r.match_text.clone()).collect();
    let removed = state.store().delete_global_reviewed(texts).await?;
    let skipped = parsed.rows.len() as u64 - removed;
    if removed > 0 {
        global_reviewed_changed(&state).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: None,
        repository: None,
        details: json!({"scope": "global", "removed": removed, "skipped": skipped, "invalid": parsed.invalid.len()}),
    }
    .record(&state)
    .await;
    Ok(Json(answer(0, removed, skipped, &parsed)))
}

/// `DELETE /global-reviewed?confirm=true`: removes every global entry; 200 `{"removed":N}`.
#[utoipa::path(
delete, path = "/global-reviewed", tag = "Reviewed",
    params(("confirm" = bool, Query, description = "Must be `true`")),
    responses(
        (status = 200, description = "Every global entry removed", body = sec::Removed),
        (status = 400, description = "confirm is not true", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete_all(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(confirm): ApiQuery<Confirm>,
) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    confirm.require("every globally reviewed finding")?;
    let removed = state.store().clear_global_reviewed().await?;
    if removed > 0 {
        global_reviewed_changed(&state).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: None,
        repository: None,
        details: json!({"scope": "global", "all": true, "removed": removed}),
    }
    .record(&state)
    .await;
    Ok(Json(json!({ "removed": removed })))
}
