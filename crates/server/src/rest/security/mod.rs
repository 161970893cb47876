//! Keywarden's own API (the vendor's "Soteri Security" REST API), under
//! `/rest/security/1.0` and `/rest/security/latest` (aliases).

use axum::Router;

use crate::state::AppState;

/// The security API routes (mounted at both version prefixes).
pub(crate) fn api() -> Router<AppState> {
    Router::new()
    // ---- rules, reviewed findings, settings, log level, audit ----

    // ---- scans, status, export ----
}
