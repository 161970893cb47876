//! `/scan/{project}/repos/{repo}`: schedule (POST), cancel (DELETE) and read (GET) branch scans
//! (SPEC 6; the seed's "Running Scans and Getting Results"). The service is
//! [`keywarden_core::findings`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_core::findings::{self, BranchScan, Filters, LINES_LIMIT, ScanResult};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{RepositoryPath, flag};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::paging;
use crate::state::AppState;

/// Query parameters of the three methods.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ScanQuery {
    /// The branch (`NAME` or `refs/heads/NAME`; default: the default branch).
    branch: Option<String>,
    /// Only findings of this rule.
    rule: Option<String>,
    /// Also list allowlisted findings.
    #[param(value_type = Option<bool>)]
    include_allowlisted: Option<String>,
    /// Alias of `includeAllowlisted`.
    #[param(value_type = Option<bool>)]
    include_whitelisted: Option<String>,
    /// Also list reviewed findings.
    #[param(value_type = Option<bool>)]
    include_reviewed: Option<String>,
    /// The history scan (every blob reachable from the branch) instead of the tip scan.
    #[param(value_type = Option<bool>)]
    history: Option<String>,
    /// The scan to cancel (DELETE only, where it is required).
    scan_key: Option<String>,
    /// 0-based offset into `invalidLines` (GET and POST).
    #[param(value_type = Option<u64>, minimum = 0)]
    start: Option<String>,
    /// How many `invalidLines` to return (default and most 10000; larger is clamped).
    #[param(value_type = Option<u64>, minimum = 0)]
    limit: Option<String>,
}

impl ScanQuery {
    /// The branch and result asked for, and the findings' filters and page.
    fn read(&self) -> ApiResult<(BranchScan, Filters)> {
        let allow = flag(
            "includeAllowlisted",
            self.include_allowlisted.as_deref(),
            false,
        )?;
        let white = flag(
            "includeWhitelisted",
            self.include_whitelisted.as_deref(),
            false,
        )?;
        let filters = Filters {
            rule: self.rule.clone().filter(|r| !r.trim().is_empty()),
            include_allowlisted: allow || white,
            include_reviewed: flag("includeReviewed", self.include_reviewed.as_deref(), false)?,
            page: paging::request(
                self.start.as_deref(),
                self.limit.as_deref(),
                LINES_LIMIT,
                LINES_LIMIT,
            )?,
        };
        let which = BranchScan {
            branch: self.branch.clone(),
            history: flag("history", self.history.as_deref(), false)?,
        };
        Ok((which, filters))
    }
}

/// `GET`: the latest result of a branch.
#[utoipa::path(
get, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(RepositoryPath, ScanQuery),
    responses(
        (status = 200, description = "The branch's latest result (repository write or app access)", body = ScanResult),
        (status = 400, description = "Bad flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository, branch or rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<Json<ScanResult>> {
    let (which, filters) = q.read()?;
    let result = findings::result(&state, &user, &p.project, &p.repo, &which, &filters).await?;
    Ok(Json(result))
}

/// `POST`: schedules a scan unless the latest result is up to date (then `scheduled: false`)
/// or one is already queued or running for the tip.
#[utoipa::path(
post, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(RepositoryPath, ScanQuery),
    responses(
        (status = 200, description = "The result object; a scan is queued unless the latest result is up to date or one is pending", body = ScanResult),
        (status = 400, description = "Bad flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository, branch or rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<Json<ScanResult>> {
    let (which, filters) = q.read()?;
    let result = findings::schedule(&state, &user, &p.project, &p.repo, &which, &filters).await?;
    Ok(Json(result))
}

/// `DELETE ?scanKey=`: cancels a queued or running scan (204); 404 for an unknown key, 409
/// for a finished scan.
#[utoipa::path(
delete, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(RepositoryPath, ScanQuery),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 400, description = "Missing scanKey", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository or scan", body = doc::ErrorEnvelope),
        (status = 409, description = "The scan has finished", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<StatusCode> {
    let scan_key = q
        .scan_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::invalid("scanKey: the key of the scan to cancel is required"))?;
    findings::cancel(&state, &user, &p.project, &p.repo, scan_key).await?;
    Ok(StatusCode::NO_CONTENT)
}
