//! `/scan/{project}/repos/{repo}`: schedule (POST), cancel (DELETE) and read (GET) branch scans
//! (SPEC 6; the seed's "Running Scans and Getting Results").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{PageRequest, Repository, Scan, ScanState};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::params::{flag, iso};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::rest::paging;
use crate::state::AppState;
use keywarden_core::access::security_repository;
use keywarden_core::scans::reviewed_counts::match_text;
use keywarden_core::scans::{self, EnqueueOptions, rules_source};
use keywarden_core::settings;

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

/// The page size of `invalidLines` when `limit` is not given, and the largest one: large
/// enough that every result of an ordinary repository fits one page, as clients written
/// before paging expect.
pub const LINES_LIMIT: u64 = 10_000;
/// Findings read from the store at a time while a result is built.
const READ_BATCH: i64 = 5_000;

/// Which findings a result lists, and which page of them.
#[derive(Debug, Clone)]
pub(crate) struct Filters {
    pub rule: Option<String>,
    pub include_allowlisted: bool,
    pub include_reviewed: bool,
    pub page: PageRequest,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            rule: None,
            include_allowlisted: false,
            include_reviewed: false,
            page: PageRequest::new(0, LINES_LIMIT),
        }
    }
}

impl ScanQuery {
    fn filters(&self) -> ApiResult<Filters> {
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
        Ok(Filters {
            rule: self.rule.clone().filter(|r| !r.trim().is_empty()),
            include_allowlisted: allow || white,
            include_reviewed: flag("includeReviewed", self.include_reviewed.as_deref(), false)?,
            page: paging::request(
                self.start.as_deref(),
                self.limit.as_deref(),
                LINES_LIMIT,
                LINES_LIMIT,
            )?,
        })
    }

    fn history(&self) -> ApiResult<bool> {
        flag("history", self.history.as_deref(), false)
    }
}

/// A branch of a repository and its tip, from the repository itself.
pub(crate) struct BranchTip {
    pub name: String,
    pub tip: String,
}

/// Resolves `branch` (default branch when omitted), recording the repository's branches; 404
/// when it does not exist.
pub(crate) async fn resolve_branch(
    state: &AppState,
    key: &str,
    repository: &Repository,
    branch: Option<&str>,
) -> ApiResult<BranchTip> {
    let wanted = branch
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or(&repository.default_branch);
    let full = scans::full_branch(wanted);
    let branches = scans::sync_branches(state, repository).await?;
    branches
        .into_iter()
        .find(|(name, _)| *name == full)
        .map(|(name, tip)| BranchTip { name, tip })
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Branch {} does not exist in repository {key}/{}.",
                full.trim_start_matches("refs/heads/"),
                repository.slug
            ))
        })
}

/// Whether a scan's result is for `tip` under the current configuration generation and rules.
fn is_current(scan: &Scan, tip: &str, generation: i64, rules_identity: &str) -> bool {
    scan.commit_id.as_deref() == Some(tip)
        && scan.generation == generation
        && scan.rules_identity.as_deref() == Some(rules_identity)
}

/// Progress of a scan in percent.
fn percent(scan: &Scan) -> i64 {
    if scan.state == ScanState::Done {
        return 100;
    }
    if scan.files_total <= 0 {
        return 0;
    }
    (scan.files_done * 100 / scan.files_total).clamp(0, 99)
}

/// The result object of GET and POST.
pub(crate) async fn result_object(
    state: &AppState,
    repository: &Repository,
    branch: &BranchTip,
    history: bool,
    filters: &Filters,
) -> ApiResult<Value> {
    let store = state.store();
    let active = store
        .latest_scan(
            repository.id,
            &branch.name,
            history,
            &[ScanState::Queued, ScanState::Running],
        )
        .await?;
    let done = store
        .latest_scan(repository.id, &branch.name, history, &[ScanState::Done])
        .await?;
    let generation = settings::generation(store).await?;
    let rules = rules_source::effective(state, repository).await?;
    // Any rule of the repository may be asked for, a disabled one too (it has no findings).
    if let Some(rule) = &filters.rule
        && !rules.names().iter().any(|n| n == rule)
        && !keywarden_core::rules::rule_types(state, repository)
            .await?
            .contains(rule)
    {
        return Err(ApiError::NotFound(format!("Rule {rule} does not exist.")));
    }
    let reviewed = rules_source::reviewed(state, repository.id).await?;
    // The findings are read in batches and only the requested page is kept, so a result of
    // any size costs the memory of one page.
    let mut lines = Vec::new();
    let mut total: u64 = 0;
    let page = &filters.page;
    if let Some(done) = &done {
        let mut from = 0;
        loop {
            let batch = store.scan_findings_batch(done.id, from, READ_BATCH).await?;
            let read = batch.len() as i64;
            for f in batch {
                let match_text =
                    match_text(&f.text, f.line_offset_start, f.line_offset_end, f.truncated);
                let is_reviewed = reviewed.contains(&f.rule_name, &match_text);
                if filters.rule.as_ref().is_some_and(|r| *r != f.rule_name)
                    || (f.allowlisted && !filters.include_allowlisted)
                    || (is_reviewed && !filters.include_reviewed)
                {
                    continue;
                }
                total += 1;
                if total <= page.start || total > page.start.saturating_add(page.limit) {
                    continue;
                }
                lines.push(json!({
                    "path": f.path,
                    "line": f.line,
                    "ruleName": f.rule_name,
                    "text": f.text,
                    "lineOffsetStart": f.line_offset_start,
                    "lineOffsetEnd": f.line_offset_end,
                    "truncated": f.truncated,
                    "allowlisted": f.allowlisted,
                    "reviewed": is_reviewed,
                    "blocking": f.blocking,
                    "commitId": f.commit_id,
                    "confidence": keywarden_engine::shown_confidence(f.confidence),
                }));
            }
            if read < READ_BATCH {
                break;
            }
            from += read;
        }
    }
    let identity = rules.result_identity(&reviewed);
    let actual = done
        .as_ref()
        .is_some_and(|d| is_current(d, &branch.tip, generation, &identity));
    let key = active
        .as_ref()
        .or(done.as_ref())
        .map(|s| s.scan_key.clone());
    let progress = match (&active, &done) {
        (Some(a), _) => percent(a),
        (None, Some(_)) => 100,
        (None, None) => 0,
    };
    let mut body = json!({
        "scanKey": key,
        "scanned": done.is_some(),
        "actual": actual,
        "progress": progress,
        "running": active.as_ref().is_some_and(|a| a.state == ScanState::Running),
        "scheduled": active.is_some(),
        "total": total,
        "branch": branch.name,
        "commitId": done.as_ref().and_then(|d| d.commit_id.clone()),
        "scanDate": done.as_ref().and_then(|d| d.finished_at).map(iso),
        "skippedFiles": done.as_ref().map_or(0, |d| d.skipped_files),
        "configError": done.as_ref().and_then(|d| d.config_error.clone()),
        "configWarnings": done.as_ref().map_or_else(Vec::new, |d| d.config_warnings()),
        "ruleErrors": done.as_ref().map_or_else(Vec::new, |d| d.rule_errors()),
        "history": history,
    });
    if let Some(done) = &done {
        let end = page.start.saturating_add(lines.len() as u64);
        body["start"] = json!(page.start);
        body["limit"] = json!(page.limit);
        body["size"] = json!(lines.len());
        body["isLastPage"] = json!(end >= total);
        if end < total {
            body["nextPageStart"] = json!(end);
        }
        body["findingsDropped"] = json!(done.findings_dropped);
        body["invalidLines"] = Value::Array(lines);
    }
    // The latest scan failed (and none is pending): say why.
    if active.is_none()
        && let Some(last) = store
            .latest_scan(repository.id, &branch.name, history, &[])
            .await?
        && last.state == ScanState::Failed
    {
        body["error"] = json!(last.error);
    }
    Ok(body)
}

/// `GET`: the latest result of a branch.
#[utoipa::path(
get, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ScanQuery),
    responses(
        (status = 200, description = "The branch's latest result (repository write or app access)", body = sec::ScanResult),
        (status = 400, description = "Bad flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository, branch or rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<Json<Value>> {
    let filters = q.filters()?;
    let history = q.history()?;
    let (_, repository) = security_repository(&state, &user, &key, &slug).await?;
    let branch = resolve_branch(&state, &key, &repository, q.branch.as_deref()).await?;
    Ok(Json(
        result_object(&state, &repository, &branch, history, &filters).await?,
    ))
}

/// `POST`: schedules a scan unless the latest result is up to date (then `scheduled: false`)
/// or one is already queued or running for the tip.
#[utoipa::path(
post, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ScanQuery),
    responses(
        (status = 200, description = "The result object; a scan is queued unless the latest result is up to date or one is pending", body = sec::ScanResult),
        (status = 400, description = "Bad flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository, branch or rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<Json<Value>> {
    let filters = q.filters()?;
    let history = q.history()?;
    let (_, repository) = security_repository(&state, &user, &key, &slug).await?;
    let branch = resolve_branch(&state, &key, &repository, q.branch.as_deref()).await?;
    let store = state.store();
    let generation = settings::generation(store).await?;
    let reviewed = rules_source::reviewed(&state, repository.id).await?;
    let identity = rules_source::effective(&state, &repository)
        .await?
        .result_identity(&reviewed);
    let current = |s: &Scan| is_current(s, &branch.tip, generation, &identity);
    let active = store
        .latest_scan(
            repository.id,
            &branch.name,
            history,
            &[ScanState::Queued, ScanState::Running],
        )
        .await?;
    let done = store
        .latest_scan(repository.id, &branch.name, history, &[ScanState::Done])
        .await?;
    let up_to_date = done.as_ref().is_some_and(current);
    // A queued scan will read the tip when it starts; a running one may be for an older tip.
    let covered = active
        .as_ref()
        .is_some_and(|a| a.state == ScanState::Queued || current(a));
    if !up_to_date && !covered {
        let scan = scans::enqueue_with(
            &state,
            &repository,
            &branch.name,
            keywarden_store::ScanReason::Manual,
            EnqueueOptions { history },
        )
        .await?;
        tracing::info!(user = %user.0.name, scan = %scan.scan_key, branch = %branch.name, history, "scan queued");
    }
    Ok(Json(
        result_object(&state, &repository, &branch, history, &filters).await?,
    ))
}

/// `DELETE ?scanKey=`: cancels a queued or running scan (204); 404 for an unknown key, 409
/// for a finished scan.
#[utoipa::path(
delete, path = "/scan/{project}/repos/{repo}", tag = "Scans",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ScanQuery),
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
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ScanQuery>,
) -> ApiResult<StatusCode> {
    let scan_key = q
        .scan_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::invalid("scanKey: the key of the scan to cancel is required"))?;
    let (_, repository) = security_repository(&state, &user, &key, &slug).await?;
    if state.store().cancel_scan(repository.id, scan_key).await? {
        tracing::info!(user = %user.0.name, scan = %scan_key, "scan cancelled");
        return Ok(StatusCode::NO_CONTENT);
    }
    match state.store().scan_by_key(scan_key).await? {
        Some(scan) if scan.repository_id == repository.id => Err(ApiError::Conflict {
            message: format!("Scan {scan_key} has already finished ({}).", scan.state),
            exception: "com.atlassian.bitbucket.IllegalEntityStateException",
        }),
        _ => Err(ApiError::NotFound(format!(
            "Scan {scan_key} does not exist in repository {key}/{slug}."
        ))),
    }
}
