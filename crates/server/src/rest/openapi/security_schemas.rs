//! Schemas of the security API's JSON (the shapes the handlers under
//! [`crate::rest`]`::security` build), for the OpenAPI document.

use utoipa::ToSchema;

/// A built-in rule.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BuiltinRule {
    /// The rule's name (built-in rules are identified by name).
    pub id: String,
    /// UPPER_SNAKE name.
    pub name: String,
    /// Always `true`.
    pub hardcoded: bool,
    /// Enabled globally.
    pub enabled: bool,
    /// E.g. `Cloud`, `Payments`, `Private keys`, `Generic`.
    pub category: String,
    /// What it finds.
    pub description: String,
    /// Other names accepted by `/hardcoded/{name}` (e.g. `RSA`).
    pub aliases: Vec<String>,
}

/// A custom rule.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CustomRule {
    /// Database id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The regular expression (Java flavour).
    pub regexp: String,
    /// Always `false`.
    pub hardcoded: bool,
    /// Enabled globally.
    pub enabled: bool,
    /// Findings block pushes (else warn only).
    pub blocking: bool,
    /// Why the rule is skipped until cleared (it ran out of its matching budget in 3 or more
    /// repositories within 24 hours); else `null`.
    #[schema(required = true)]
    pub validation_error: Option<String>,
    /// Distinct repositories in which the rule ran out of its matching budget on some line
    /// within the last 24 hours (the rule was skipped on that line only); at 3 it is disabled
    /// with a `validationError`. Reset when the error is cleared or the rule is edited.
    pub budget_exceeded_repositories: i64,
    /// Scans and pushes in which the rule ran out of its matching budget, since it was last
    /// cleared or edited.
    pub budget_exceeded_times: i64,
    /// When it last ran out of its budget, ISO 8601 UTC; `null` if never.
    #[schema(required = true)]
    pub budget_exceeded_last: Option<String>,
}

/// A rule of `GET /rules`: built-in or custom.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Rule {
    /// A built-in rule.
    Builtin(BuiltinRule),
    /// A custom rule.
    Custom(CustomRule),
}

/// A match text marked reviewed.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ReviewedEntry {
    /// The exact match text.
    pub match_text: String,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
}

/// A reviewed entry after `create`, and whether this call created it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ReviewedCreated {
    /// The exact match text.
    pub match_text: String,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
    /// `false` when the text was already marked.
    pub created: bool,
}

/// How many entries a "delete all" removed.
#[derive(ToSchema)]
pub struct Removed {
    /// The count.
    #[schema(minimum = 0)]
    pub removed: u64,
}

/// A CSV row that could not be used.
#[derive(ToSchema)]
pub struct InvalidRow {
    /// 1-based line number in the file.
    #[schema(minimum = 1)]
    pub line: u64,
    /// Why.
    pub message: String,
}

/// The answer of a global reviewed upload.
#[derive(ToSchema)]
pub struct UploadResult {
    /// Rows added.
    #[schema(minimum = 0)]
    pub added: u64,
    /// Rows removed.
    #[schema(minimum = 0)]
    pub removed: u64,
    /// Valid rows that changed nothing.
    #[schema(minimum = 0)]
    pub skipped: u64,
    /// Rows that could not be used.
    pub invalid: Vec<InvalidRow>,
}

/// The multipart form of a global reviewed upload.
#[derive(ToSchema)]
pub struct UploadForm {
    /// The CSV: a header row with `matchText` (required) and `ruleName` (optional) columns.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A log level.
#[derive(ToSchema)]
pub enum LogLevel {
    /// Trace.
    #[schema(rename = "TRACE")]
    Trace,
    /// Debug.
    #[schema(rename = "DEBUG")]
    Debug,
    /// Info.
    #[schema(rename = "INFO")]
    Info,
    /// Warn (the default).
    #[schema(rename = "WARN")]
    Warn,
    /// Error.
    #[schema(rename = "ERROR")]
    Error,
}

/// The log-level override.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LogLevelOverride {
    /// The level.
    pub log_level_override: LogLevel,
}

/// An audit event.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Database id.
    pub id: i64,
    /// When, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// When, ISO 8601 UTC.
    pub date: String,
    /// Who, if a user.
    #[schema(required = true)]
    pub user: Option<String>,
    /// What happened, e.g. `SETTINGS_CHANGED`.
    pub action: String,
    /// The project concerned, if any.
    #[schema(required = true)]
    pub project_key: Option<String>,
    /// The repository concerned, if any.
    #[schema(required = true)]
    pub repository_slug: Option<String>,
    /// Details (usually an object).
    #[schema(value_type = Value)]
    pub details: (),
}

/// A finding of a scan.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Finding {
    /// Repository-relative file path.
    pub path: String,
    /// 1-based line number.
    pub line: i64,
    /// The rule that matched.
    pub rule_name: String,
    /// The line (or, when `truncated`, the match alone).
    pub text: String,
    /// Start of the match in `text`, in Unicode scalar values.
    pub line_offset_start: i64,
    /// End (exclusive) of the match in `text`.
    pub line_offset_end: i64,
    /// The line was over 1,000 characters.
    pub truncated: bool,
    /// Allowlisted by pragma or `allowlist_paths`.
    pub allowlisted: bool,
    /// The match text is marked reviewed.
    pub reviewed: bool,
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
}

/// The result object of a branch scan (GET and POST).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ScanResult {
    /// The latest (or pending) scan's key; `null` before any scan.
    #[schema(required = true)]
    pub scan_key: Option<String>,
    /// A finished scan exists.
    pub scanned: bool,
    /// The finished scan is for the tip under the current rules and settings.
    pub actual: bool,
    /// Percent done.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i64,
    /// A scan is running.
    pub running: bool,
    /// A scan is queued or running.
    pub scheduled: bool,
    /// The number of `invalidLines` over all pages (those matching the filters).
    #[schema(minimum = 0)]
    pub total: u64,
    /// Once scanned: the 0-based offset of this page of `invalidLines`.
    #[schema(minimum = 0)]
    pub start: Option<u64>,
    /// Once scanned: the page size asked for (default and most 10000).
    #[schema(minimum = 1)]
    pub limit: Option<u64>,
    /// Once scanned: the number of `invalidLines` in this page.
    #[schema(minimum = 0)]
    pub size: Option<u64>,
    /// Once scanned: whether this page holds the last of the `invalidLines`.
    pub is_last_page: Option<bool>,
    /// The `start` of the next page, when this one is not the last.
    #[schema(minimum = 0)]
    pub next_page_start: Option<u64>,
    /// Once scanned: findings beyond the server's per-scan cap (`--scan-max-findings`), counted
    /// but not stored or listed; 0 when the result is complete.
    #[schema(minimum = 0)]
    pub findings_dropped: Option<i64>,
    /// `refs/heads/NAME`.
    pub branch: String,
    /// The scanned commit, if scanned.
    #[schema(required = true)]
    pub commit_id: Option<String>,
    /// When the scan finished (ISO 8601), if scanned.
    #[schema(required = true)]
    pub scan_date: Option<String>,
    /// Files skipped (binary or too large).
    pub skipped_files: i64,
    /// Why the repository's `soteri-security.yml` was not used, if it was invalid.
    #[schema(required = true)]
    pub config_error: Option<String>,
    /// Non-fatal problems of the repository's `soteri-security.yml` (unknown keys, unknown rule
    /// names, `allowlist_paths` entries used as globs); the file was used.
    pub config_warnings: Vec<String>,
    /// Rules that ran out of their matching budget on some line and were skipped on that line
    /// only (SPEC 3).
    pub rule_errors: Vec<String>,
    /// Whether this is the history scan's result.
    pub history: bool,
    /// The visible findings; present once scanned.
    #[schema(nullable = false)]
    pub invalid_lines: Option<Vec<Finding>>,
    /// Present when the latest scan failed: why.
    pub error: Option<String>,
}

/// Status of a project or repository.
#[derive(ToSchema)]
pub enum RollupStatus {
    /// No finding anywhere, all up to date.
    #[schema(rename = "SECURE")]
    Secure,
    /// Some finding.
    #[schema(rename = "VULNERABLE")]
    Vulnerable,
    /// Nothing scanned.
    #[schema(rename = "NOT_SCANNED")]
    NotScanned,
    /// Some not scanned.
    #[schema(rename = "PARTIALLY_SCANNED")]
    PartiallyScanned,
    /// All scanned, some outdated.
    #[schema(rename = "OUTDATED")]
    Outdated,
}

/// Status of a branch.
#[derive(ToSchema)]
pub enum BranchStatus {
    /// Scanned, no finding, up to date.
    #[schema(rename = "SECURE")]
    Secure,
    /// Scanned with findings.
    #[schema(rename = "VULNERABLE")]
    Vulnerable,
    /// Never scanned.
    #[schema(rename = "NOT_SCANNED")]
    NotScanned,
    /// The tip, rules or settings changed since the scan.
    #[schema(rename = "OUTDATED")]
    Outdated,
    /// A scan is queued.
    #[schema(rename = "QUEUED")]
    Queued,
    /// A scan is running.
    #[schema(rename = "RUNNING")]
    Running,
    /// The latest scan failed.
    #[schema(rename = "FAILED")]
    Failed,
}

/// Repository counts of a project.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RepositoryCounts {
    /// All.
    pub total: i64,
    /// Secure.
    pub secure: i64,
    /// Vulnerable.
    pub vulnerable: i64,
    /// Not scanned.
    pub not_scanned: i64,
    /// Partially scanned.
    pub partially_scanned: i64,
    /// Outdated.
    pub outdated: i64,
}

/// Branch counts of a repository.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BranchCounts {
    /// All.
    pub total: i64,
    /// Secure.
    pub secure: i64,
    /// Vulnerable.
    pub vulnerable: i64,
    /// Not scanned.
    pub not_scanned: i64,
    /// Outdated.
    pub outdated: i64,
}

/// A project's security status.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ProjectStatus {
    /// The key.
    pub project_key: String,
    /// The name.
    pub project_name: String,
    /// `NORMAL` or `PERSONAL`.
    pub project_type: super::schemas::ProjectType,
    /// The rollup.
    pub status: RollupStatus,
    /// Counts of its readable repositories.
    pub repositories: RepositoryCounts,
    /// Findings in all.
    pub vulnerabilities: i64,
}

/// A repository's security status.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RepositoryStatus {
    /// The project key.
    pub project_key: String,
    /// The slug.
    pub repository_slug: String,
    /// The name.
    pub repository_name: String,
    /// The rollup.
    pub status: RollupStatus,
    /// Counts of its branches.
    pub branches: BranchCounts,
    /// Findings in all.
    pub vulnerabilities: i64,
}

/// A branch's security status.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BranchStatusEntry {
    /// `refs/heads/NAME`.
    pub branch: String,
    /// `NAME`.
    pub display_id: String,
    /// The default branch.
    pub default: bool,
    /// The tip.
    pub latest_commit: String,
    /// The commit of the latest result, if any.
    #[schema(required = true)]
    pub scanned_commit: Option<String>,
    /// The status.
    pub status: BranchStatus,
    /// The latest scan's key, if any.
    #[schema(required = true)]
    pub scan_key: Option<String>,
    /// Percent done.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i64,
    /// Findings of the latest result.
    pub vulnerabilities: i64,
    /// When the latest result was made (ISO 8601), if any.
    #[schema(required = true)]
    pub last_scan_date: Option<String>,
}

/// The answer of a mass scan.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MassScan {
    /// Branch scans queued.
    #[schema(minimum = 0)]
    pub scheduled: u64,
    /// Who gets a mail when the scans have finished.
    pub emails: Vec<String>,
    /// Whether an SMTP server is configured.
    pub mail_enabled: bool,
    /// What happens about mail.
    pub message: String,
}
