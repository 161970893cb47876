//! Keywarden's own API (the vendor's "Soteri Security" REST API), under
//! `/rest/security/1.0` and `/rest/security/latest` (aliases).

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

mod params;
mod scan;

/// The security API routes (mounted at both version prefixes).
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        // ---- rules, reviewed findings, settings, log level, audit ----
        // ---- scans, status, export ----
        .route(
            "/scan/{project}/repos/{repo}",
            get(scan::get).post(scan::post).delete(scan::delete),
        )
}
