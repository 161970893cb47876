//! Keywarden's own API (the vendor's "Soteri Security" REST API), under
//! `/rest/security/1.0` and `/rest/security/latest` (aliases).

use axum::Router;
use axum::routing::{get, put};

use crate::state::AppState;

mod export;
mod params;
mod rescan;
mod scan;
mod status;

/// The security API routes (mounted at both version prefixes).
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        // ---- rules, reviewed findings, settings, log level, audit ----
        // ---- scans, status, export ----
        .merge(scan_routes())
}

/// Scans, status dashboards, CSV export and mass scans (SPEC 6, 7, 8).
fn scan_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/scan/{project}/repos/{repo}",
            get(scan::get).post(scan::post).delete(scan::delete),
        )
        .route("/status/projects", get(status::projects))
        .route("/status/total_rescan", put(rescan::total))
        .route(
            "/status/projects/{project}",
            get(status::project).put(rescan::project),
        )
        .route(
            "/status/projects/{project}/repos",
            get(status::repositories),
        )
        .route(
            "/status/projects/{project}/repos/{repo}",
            get(status::repository).put(rescan::repository),
        )
        .route(
            "/status/projects/{project}/repos/{repo}/branches",
            get(status::branches),
        )
        .route("/export-report/{project}/repos/{repo}", get(export::branch))
        .route("/export-report/projects/{project}", get(export::project))
        .route(
            "/export-report/projects/{project}/repos/{repo}",
            get(export::project_repository),
        )
}
