//! Every error under `/rest/` in the Bitbucket envelope: the handlers' [`ApiError`]s already
//! are; this middleware wraps what axum and the layers answer by themselves (an extractor's
//! rejection such as a path segment that is not UTF-8, a 405, a body limit) in the same shape,
//! keeping their status, headers and message.
//!
//! [`ApiError`]: crate::ApiError

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::envelope;

/// The most of an error body read to reuse as its message.
const MAX_MESSAGE: usize = 16 * 1024;

/// Wraps an error response that is not JSON in the envelope.
pub async fn wrap(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        format!("{method} is not supported at this path; it supports {allowed}.")
    } else if text.is_empty() {
        format!("{}.", status.canonical_reason().unwrap_or("Error"))
    } else {
        text
    };
    let mut wrapped = (status, Json(envelope(&message, exception(status)))).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            wrapped.headers_mut().insert(name, value.clone());
        }
    }
    wrapped.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    wrapped
}

/// The Bitbucket exception class of a status the handlers did not choose.
fn exception(status: StatusCode) -> Option<&'static str> {
    Some(match status {
        StatusCode::BAD_REQUEST => "com.atlassian.bitbucket.validation.ArgumentValidationException",
        StatusCode::NOT_FOUND => "com.atlassian.bitbucket.NoSuchEntityException",
        StatusCode::PAYLOAD_TOO_LARGE => "com.atlassian.bitbucket.RequestTooLargeException",
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "com.atlassian.bitbucket.rest.UnsupportedRequestException"
        }
        s if s.is_server_error() => "com.atlassian.bitbucket.ServiceException",
        _ => return None,
    })
}
