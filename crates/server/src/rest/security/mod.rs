//! Keywarden's own API (the vendor's "Soteri Security" REST API), under
//! `/rest/security/1.0` and `/rest/security/latest` (aliases).

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

mod audit_log;
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

/// The security API routes (mounted at both version prefixes), each registered with its
/// OpenAPI operation.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // ---- rules, reviewed findings, settings, log level, audit ----
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::update, rules::delete))
        .routes(routes!(rules::enable, rules::disable))
        .routes(routes!(rules::rule_types))
        .routes(routes!(reviewed::list))
        .routes(routes!(reviewed::create))
        .routes(routes!(reviewed::delete_one, reviewed::delete_all))
        .routes(routes!(
            global_reviewed::export,
            global_reviewed::delete_all
        ))
        .routes(routes!(global_reviewed::create))
        .routes(routes!(global_reviewed::delete_rows))
        .routes(routes!(settings_api::get, settings_api::put))
        .routes(routes!(loglevel::get, loglevel::put))
        .routes(routes!(audit_log::list))
        // ---- scans, status, export ----
        .merge(scan_routes())
}

/// Scans, status dashboards, CSV export and mass scans (SPEC 6, 7, 8).
fn scan_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scan::get, scan::post, scan::delete))
        .routes(routes!(status::projects))
        .routes(routes!(rescan::total))
        .routes(routes!(status::project, rescan::project))
        .routes(routes!(status::repositories))
        .routes(routes!(status::repository, rescan::repository))
        .routes(routes!(status::branches))
        .routes(routes!(export::branch))
        .routes(routes!(export::project))
        .routes(routes!(export::project_repository))
}
