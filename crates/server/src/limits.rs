//! Limits on the request head: the URI and the header fields. hyper is told to buffer more
//! than these ([`HYPER_MAX_BUF`], [`HYPER_MAX_HEADERS`]), so that an oversized request reaches
//! [`check`], which answers 414 or 431 with a message (the error envelope under `/rest/`),
//! rather than hyper's own answer with an empty body.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::envelope;

/// The longest request URI (path and query) accepted, in bytes.
pub const MAX_URI: usize = 16 * 1024;
/// The most bytes of header fields accepted (names, values and their separators).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most header fields accepted.
pub const MAX_HEADERS: usize = 100;

/// The most bytes of a request head hyper buffers: well above [`MAX_URI`] plus
/// [`MAX_HEADER_BYTES`].
pub const HYPER_MAX_BUF: usize = 1024 * 1024;
/// The most header fields hyper parses: well above [`MAX_HEADERS`].
pub const HYPER_MAX_HEADERS: usize = 1000;

/// Refuses a request whose URI or header fields are over the limits.
pub async fn check(request: Request, next: Next) -> Response {
    match refusal(&request) {
        None => next.run(request).await,
        Some((status, message)) => {
            let path = request.uri().path();
            if path == "/rest" || path.starts_with("/rest/") {
                let exception = "com.atlassian.bitbucket.RequestTooLargeException";
                (status, Json(envelope(&message, Some(exception)))).into_response()
            } else {
                (status, format!("{message}\n")).into_response()
            }
        }
    }
}

/// The status and message refusing `request`, if it is over a limit.
fn refusal(request: &Request) -> Option<(StatusCode, String)> {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI {
        return Some((
            StatusCode::URI_TOO_LONG,
            format!("The request URI is {uri} bytes long; at most {MAX_URI} bytes are accepted."),
        ));
    }
    let headers = request.headers();
    if headers.len() > MAX_HEADERS {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "The request has {} header fields; at most {MAX_HEADERS} are accepted.",
                headers.len()
            ),
        ));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (bytes > MAX_HEADER_BYTES).then(|| {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "The request's header fields are {bytes} bytes long; at most {MAX_HEADER_BYTES} bytes are accepted."
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, String)]) -> Request {
        let mut r = Request::builder().uri(uri);
        for (name, value) in headers {
            r = r.header(*name, value);
        }
        r.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn requests_within_the_limits_pass() {
        let long = format!(
            "/rest/api/latest/projects?name={}",
            "a".repeat(MAX_URI - 40)
        );
        assert_eq!(
            refusal(&request(&long, &[("x-a", "b".repeat(60_000))])),
            None
        );
    }

    #[test]
    fn a_long_uri_is_414() {
        let uri = format!("/rest/x?q={}", "a".repeat(MAX_URI));
        let (status, message) = refusal(&request(&uri, &[])).unwrap();
        assert_eq!(status, StatusCode::URI_TOO_LONG);
        assert!(
            message.contains(&format!("{} bytes long", uri.len())),
            "{message}"
        );
    }

    #[test]
    fn large_or_many_header_fields_are_431() {
        let big = request("/", &[("x-big", "v".repeat(MAX_HEADER_BYTES))]);
        assert_eq!(
            refusal(&big).unwrap().0,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
        let names: Vec<(String, String)> = (0..=MAX_HEADERS)
            .map(|i| (format!("x-{i}"), "v".into()))
            .collect();
        let mut r = Request::builder().uri("/");
        for (n, v) in &names {
            r = r.header(n.as_str(), v.as_str());
        }
        let many = r.body(axum::body::Body::empty()).unwrap();
        let (status, message) = refusal(&many).unwrap();
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(message.contains("101 header fields"), "{message}");
    }
}
