//! Keywarden's own API (the vendor's "Soteri Security" REST API), under
//! `/rest/security/1.0` and `/rest/security/latest` (aliases).

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

mod audit_log;
mod common;
mod csv_upload;
mod export;
mod global_reviewed;
pub(crate) mod loglevel;
mod params;
pub(crate) mod rescan;
pub(crate) mod reviewed;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod settings_api;
pub(crate) mod status;

/// The security API routes (mounted at both version prefixes).
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        // ---- rules, reviewed findings, settings, log level, audit ----
        .route("/rules", get(rules::list).post(rules::create))
        .route("/rules/{id}", put(rules::update).delete(rules::delete))
        .route(
            "/hardcoded/{name}",
            post(rules::enable).delete(rules::disable),
        )
        .route("/scan/{project}/rule_types/{repo}", get(rules::rule_types))
        .route(
            "/review-lines/projects/{project}/repos/{repo}",
            get(reviewed::list),
        )
        .route(
            "/review-lines/projects/{project}/repos/{repo}/create",
            post(reviewed::create),
        )
        .route(
            "/review-lines/projects/{project}/repos/{repo}/delete",
            post(reviewed::delete_one).delete(reviewed::delete_all),
        )
        .route(
            "/global-reviewed",
            get(global_reviewed::export).delete(global_reviewed::delete_all),
        )
        .route("/global-reviewed/create", post(global_reviewed::create))
        .route(
            "/global-reviewed/delete",
            post(global_reviewed::delete_rows),
        )
        .route("/settings", get(settings_api::get).put(settings_api::put))
        .route("/loglevel", get(loglevel::get).put(loglevel::put))
        .route("/audit", get(audit_log::list))
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
