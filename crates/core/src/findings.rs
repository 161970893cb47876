//! A branch's scan result and its findings (SPEC 6): the shapes the REST API answers and the
//! UI renders, and the services that read, schedule and cancel branch scans. (Fields are in
//! the order of their JSON names, as the answers have always listed them.)

use keywarden_store::{PageRequest, Repository, Scan, ScanReason, ScanState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{CurrentUser, security_repository};
use crate::error::{CoreError, CoreResult};
use crate::paged::iso;
use crate::scans::reviewed_counts::match_text;
use crate::scans::{self, EnqueueOptions, rules_source};
use crate::{Core, settings};

/// The page size of `invalidLines` when none is asked for, and the largest one: large enough
/// that every result of an ordinary repository fits one page, as clients written before
/// paging expect.
pub const LINES_LIMIT: u64 = 10_000;
/// Findings read from the store at a time while a result is built.
const READ_BATCH: i64 = 5_000;

/// A finding of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Allowlisted by pragma or `allowlist_paths`.
    pub allowlisted: bool,
    /// The finding blocks pushes: its rule blocks and its confidence is at or above the
    /// `blockThreshold` setting.
    pub blocking: bool,
    /// The commit that introduced it (history scans), else `null`.
    #[schema(required = true)]
    pub commit_id: Option<String>,
    /// How likely the match is a credential, from 0 to 1 (three decimals): 1 for a provider's
    /// exact format with a valid checksum and for custom rules; the trained model's score for
    /// generic matches; 0.5 for a provider's shape whose checksum fails.
    #[schema(minimum = 0.0, maximum = 1.0, example = 0.93)]
    pub confidence: f64,
    /// 1-based line number.
    pub line: i64,
    /// End (exclusive) of the match in `text`.
    pub line_offset_end: i64,
    /// Start of the match in `text`, in Unicode scalar values.
    pub line_offset_start: i64,
    /// Repository-relative file path.
    pub path: String,
    /// The match text is marked reviewed.
    pub reviewed: bool,
    /// The rule that matched.
    pub rule_name: String,
    /// The line (or, when `truncated`, the match alone).
    pub text: String,
    /// The line was over 1,000 characters.
    pub truncated: bool,
}

impl Finding {
    /// The match alone.
    pub fn match_text(&self) -> String {
        match_text(
            &self.text,
            self.line_offset_start,
            self.line_offset_end,
            self.truncated,
        )
    }
}

/// The result object of a branch scan (GET and POST).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    /// The finished scan is for the tip under the current rules and settings.
    pub actual: bool,
    /// `refs/heads/NAME`.
    pub branch: String,
    /// The scanned commit, if scanned.
    #[schema(required = true)]
    pub commit_id: Option<String>,
    /// Why the repository's `soteri-security.yml` was not used, if it was invalid.
    #[schema(required = true)]
    pub config_error: Option<String>,
    /// Non-fatal problems of the repository's `soteri-security.yml` (unknown keys, unknown rule
    /// names, `allowlist_paths` entries used as globs); the file was used.
    pub config_warnings: Vec<String>,
    /// Present when the latest scan failed: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Once scanned: findings beyond the server's per-scan cap (`--scan-max-findings`), counted
    /// but not stored or listed; 0 when the result is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub findings_dropped: Option<i64>,
    /// Whether this is the history scan's result.
    pub history: bool,
    /// The visible findings; present once scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub invalid_lines: Option<Vec<Finding>>,
    /// Once scanned: whether this page holds the last of the `invalidLines`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_last_page: Option<bool>,
    /// Once scanned: the page size asked for (default and most 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub limit: Option<u64>,
    /// The `start` of the next page, when this one is not the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub next_page_start: Option<u64>,
    /// Percent done.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i64,
    /// Rules that ran out of their matching budget on some line and were skipped on that line
    /// only (SPEC 3).
    pub rule_errors: Vec<String>,
    /// A scan is running.
    pub running: bool,
    /// When the scan finished (ISO 8601), if scanned.
    #[schema(required = true)]
    pub scan_date: Option<String>,
    /// The latest (or pending) scan's key; `null` before any scan.
    #[schema(required = true)]
    pub scan_key: Option<String>,
    /// A finished scan exists.
    pub scanned: bool,
    /// A scan is queued or running.
    pub scheduled: bool,
    /// Once scanned: the number of `invalidLines` in this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub size: Option<u64>,
    /// Files skipped (binary or too large).
    pub skipped_files: i64,
    /// Once scanned: the 0-based offset of this page of `invalidLines`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub start: Option<u64>,
    /// The number of `invalidLines` over all pages (those matching the filters).
    #[schema(minimum = 0)]
    pub total: u64,
}

impl ScanResult {
    /// The visible findings (none before the first scan).
    pub fn findings(&self) -> &[Finding] {
        self.invalid_lines.as_deref().unwrap_or_default()
    }
}

/// Which findings a result lists, and which page of them.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Only findings of this rule.
    pub rule: Option<String>,
    /// Also allowlisted findings.
    pub include_allowlisted: bool,
    /// Also reviewed findings.
    pub include_reviewed: bool,
    /// The page of `invalidLines`.
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

/// A branch of a repository and which result of it: the tip scan or the history scan.
#[derive(Debug, Clone, Default)]
pub struct BranchScan {
    /// The branch (`NAME` or `refs/heads/NAME`; `None` or blank for the default branch).
    pub branch: Option<String>,
    /// The history scan (every blob reachable from the branch) instead of the tip scan.
    pub history: bool,
}

/// A branch of a repository and its tip, from the repository itself.
#[derive(Debug, Clone)]
pub struct BranchTip {
    /// `refs/heads/NAME`.
    pub name: String,
    /// The tip commit.
    pub tip: String,
}

/// Resolves `branch` (default branch when omitted), recording the repository's branches;
/// not found when it does not exist (`key` names the project in the message).
pub async fn resolve_branch(
    core: &Core,
    key: &str,
    repository: &Repository,
    branch: Option<&str>,
) -> CoreResult<BranchTip> {
    let wanted = branch
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or(&repository.default_branch);
    let full = scans::full_branch(wanted);
    let branches = scans::sync_branches(core, repository).await?;
    branches
        .into_iter()
        .find(|(name, _)| *name == full)
        .map(|(name, tip)| BranchTip { name, tip })
        .ok_or_else(|| {
            CoreError::NotFound(format!(
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

/// The latest queued or running scan and the latest finished one of a branch.
async fn latest(
    core: &Core,
    repository: &Repository,
    branch: &BranchTip,
    history: bool,
) -> CoreResult<(Option<Scan>, Option<Scan>)> {
    let store = core.store();
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
    Ok((active, done))
}

/// The repository (repository write or app access) and the branch asked for.
async fn branch_of(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    which: &BranchScan,
) -> CoreResult<(Repository, BranchTip)> {
    let (_, repository) = security_repository(core, user, key, slug).await?;
    let branch = resolve_branch(core, key, &repository, which.branch.as_deref()).await?;
    Ok((repository, branch))
}

/// The result of a branch as it stands (repository write or app access).
pub async fn result(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    which: &BranchScan,
    filters: &Filters,
) -> CoreResult<ScanResult> {
    let (repository, branch) = branch_of(core, user, key, slug, which).await?;
    build(core, &repository, &branch, which.history, filters).await
}

/// Schedules a scan of a branch unless its latest result is up to date (then `scheduled` is
/// false) or one is already queued or running for the tip; then its result as
/// [`result`] reads it.
pub async fn schedule(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    which: &BranchScan,
    filters: &Filters,
) -> CoreResult<ScanResult> {
    let history = which.history;
    let (repository, branch) = branch_of(core, user, key, slug, which).await?;
    let generation = settings::generation(core.store()).await?;
    let reviewed = rules_source::reviewed(core, repository.id).await?;
    let identity = rules_source::effective(core, &repository)
        .await?
        .result_identity(&reviewed);
    let current = |s: &Scan| is_current(s, &branch.tip, generation, &identity);
    let (active, done) = latest(core, &repository, &branch, history).await?;
    let up_to_date = done.as_ref().is_some_and(current);
    // A queued scan will read the tip when it starts; a running one may be for an older tip.
    let covered = active
        .as_ref()
        .is_some_and(|a| a.state == ScanState::Queued || current(a));
    if !up_to_date && !covered {
        let scan = scans::enqueue_with(
            core,
            &repository,
            &branch.name,
            ScanReason::Manual,
            EnqueueOptions { history },
        )
        .await?;
        tracing::info!(user = %user.0.name, scan = %scan.scan_key, branch = %branch.name, history, "scan queued");
    }
    build(core, &repository, &branch, history, filters).await
}

/// Cancels a queued or running scan of the repository; not found for an unknown key, a
/// conflict for a finished scan.
pub async fn cancel(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    scan_key: &str,
) -> CoreResult<()> {
    let (_, repository) = security_repository(core, user, key, slug).await?;
    if core.store().cancel_scan(repository.id, scan_key).await? {
        tracing::info!(user = %user.0.name, scan = %scan_key, "scan cancelled");
        return Ok(());
    }
    match core.store().scan_by_key(scan_key).await? {
        Some(scan) if scan.repository_id == repository.id => Err(CoreError::Conflict(format!(
            "Scan {scan_key} has already finished ({}).",
            scan.state
        ))),
        _ => Err(CoreError::NotFound(format!(
            "Scan {scan_key} does not exist in repository {key}/{slug}."
        ))),
    }
}

/// The result object of a branch.
async fn build(
    core: &Core,
    repository: &Repository,
    branch: &BranchTip,
    history: bool,
    filters: &Filters,
) -> CoreResult<ScanResult> {
    let store = core.store();
    let (active, done) = latest(core, repository, branch, history).await?;
    let generation = settings::generation(store).await?;
    let rules = rules_source::effective(core, repository).await?;
    // Any rule of the repository may be asked for, a disabled one too (it has no findings).
    if let Some(rule) = &filters.rule
        && !rules.names().iter().any(|n| n == rule)
        && !crate::rules::rule_types(core, repository)
            .await?
            .contains(rule)
    {
        return Err(CoreError::NotFound(format!("Rule {rule} does not exist.")));
    }
    let reviewed = rules_source::reviewed(core, repository.id).await?;
    let identity = rules.result_identity(&reviewed);
    let mut result = ScanResult {
        actual: done
            .as_ref()
            .is_some_and(|d| is_current(d, &branch.tip, generation, &identity)),
        branch: branch.name.clone(),
        history,
        progress: match (&active, &done) {
            (Some(a), _) => percent(a),
            (None, Some(_)) => 100,
            (None, None) => 0,
        },
        running: active
            .as_ref()
            .is_some_and(|a| a.state == ScanState::Running),
        scan_key: active
            .as_ref()
            .or(done.as_ref())
            .map(|s| s.scan_key.clone()),
        scanned: done.is_some(),
        scheduled: active.is_some(),
        ..ScanResult::default()
    };
    if let Some(done) = &done {
        // The findings are read in batches and only the requested page is kept, so a result
        // of any size costs the memory of one page.
        let page = &filters.page;
        let mut lines = Vec::new();
        let mut total: u64 = 0;
        let mut from = 0;
        loop {
            let batch = store.scan_findings_batch(done.id, from, READ_BATCH).await?;
            let read = batch.len() as i64;
            for f in batch {
                let text = match_text(&f.text, f.line_offset_start, f.line_offset_end, f.truncated);
                let is_reviewed = reviewed.contains(&f.rule_name, &text);
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
                lines.push(Finding {
                    allowlisted: f.allowlisted,
                    blocking: f.blocking,
                    commit_id: f.commit_id,
                    confidence: keywarden_engine::shown_confidence(f.confidence),
                    line: f.line,
                    line_offset_end: f.line_offset_end,
                    line_offset_start: f.line_offset_start,
                    path: f.path,
                    reviewed: is_reviewed,
                    rule_name: f.rule_name,
                    text: f.text,
                    truncated: f.truncated,
                });
            }
            if read < READ_BATCH {
                break;
            }
            from += read;
        }
        let end = page.start.saturating_add(lines.len() as u64);
        result.total = total;
        result.commit_id = done.commit_id.clone();
        result.scan_date = done.finished_at.map(iso);
        result.skipped_files = done.skipped_files;
        result.config_error = done.config_error.clone();
        result.config_warnings = done
            .config_warnings()
            .into_iter()
            .map(String::from)
            .collect();
        result.rule_errors = done.rule_errors().into_iter().map(String::from).collect();
        result.start = Some(page.start);
        result.limit = Some(page.limit);
        result.size = Some(lines.len() as u64);
        result.is_last_page = Some(end >= total);
        result.next_page_start = (end < total).then_some(end);
        result.findings_dropped = Some(done.findings_dropped);
        result.invalid_lines = Some(lines);
    }
    // The latest scan failed (and none is pending): say why.
    if active.is_none()
        && let Some(last) = store
            .latest_scan(repository.id, &branch.name, history, &[])
            .await?
        && last.state == ScanState::Failed
    {
        result.error = last.error;
    }
    Ok(result)
}
