//! The rows of branch scans, their findings, branch states and status rollups.

use super::{ScanReason, ScanState};

/// A scan: queued, running or finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Scan {
    /// Row id (also the queue order).
    pub id: i64,
    /// The opaque key clients use.
    pub scan_key: String,
    /// The repository scanned.
    pub repository_id: i64,
    /// The full branch name (`refs/heads/...`).
    pub branch: String,
    /// Every unique blob of the history instead of the tip's files.
    pub history: bool,
    /// Where it is in its life.
    pub state: ScanState,
    /// Why it was queued.
    pub reason: ScanReason,
    /// The mass-scan batch it belongs to.
    pub batch_id: Option<i64>,
    /// The commit scanned (set when the scan starts).
    pub commit_id: Option<String>,
    /// The configuration generation the scan ran under.
    pub generation: i64,
    /// The identity of the rule set it ran with.
    pub rules_identity: Option<String>,
    /// A problem with the repository's configuration, shown with the result.
    pub config_error: Option<String>,
    /// Why the scan failed.
    pub error: Option<String>,
    /// When it was queued (ms since the epoch).
    pub queued_at: i64,
    /// When a worker started it.
    pub started_at: Option<i64>,
    /// When it finished.
    pub finished_at: Option<i64>,
    /// The node holding the lease while running.
    pub lease_owner: Option<String>,
    /// Files to scan.
    pub files_total: i64,
    /// Files scanned so far.
    pub files_done: i64,
    /// Findings recorded.
    pub findings_total: i64,
    /// Findings that are neither allowlisted nor reviewed (the branch's vulnerabilities).
    pub vulnerabilities: i64,
    /// Files not scanned (binary, too large, unreadable).
    pub skipped_files: i64,
    /// Non-fatal problems of the repository's configuration, one per line (see
    /// [`Scan::config_warnings`]).
    #[sqlx(rename = "config_warnings")]
    pub config_warnings_text: String,
    /// Rules that ran out of their matching budget on some line, one name per line (see
    /// [`Scan::rule_errors`]).
    #[sqlx(rename = "rule_errors")]
    pub rule_errors_text: String,
    /// Findings found beyond the per-scan cap and not stored (counted in `findings_total`).
    pub findings_dropped: i64,
    /// How many times a node started it (a scan handed back by a stopping node does not count).
    pub attempts: i64,
}

impl Scan {
    /// Non-fatal problems of the repository's configuration when the scan ran.
    pub fn config_warnings(&self) -> Vec<&str> {
        lines(&self.config_warnings_text)
    }

    /// The rules skipped on some line because they ran out of their matching budget.
    pub fn rule_errors(&self) -> Vec<&str> {
        lines(&self.rule_errors_text)
    }

    /// Queued or running.
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }
}

/// A scan to queue.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// The opaque key.
    pub scan_key: String,
    /// The repository.
    pub repository_id: i64,
    /// The full branch name.
    pub branch: String,
    /// A history scan.
    pub history: bool,
    /// Why.
    pub reason: ScanReason,
    /// The mass-scan batch.
    pub batch_id: Option<i64>,
}

/// The repositories a mass scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MassTarget {
    /// Every repository.
    All,
    /// The repositories of one project (by id).
    Project(i64),
    /// These repositories (by id).
    Repositories(Vec<i64>),
}

impl MassTarget {
    /// The stored text: `all`, `project:ID` or `repositories:ID,ID,...`.
    pub fn to_text(&self) -> String {
        match self {
            MassTarget::All => "all".into(),
            MassTarget::Project(id) => format!("project:{id}"),
            MassTarget::Repositories(ids) => format!(
                "repositories:{}",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// The target stored as `text` ([`MassTarget::to_text`]).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "all" {
            return Some(MassTarget::All);
        }
        if let Some(id) = text.strip_prefix("project:") {
            return id.parse().ok().map(MassTarget::Project);
        }
        let ids = text.strip_prefix("repositories:")?;
        if ids.is_empty() {
            return Some(MassTarget::Repositories(Vec::new()));
        }
        ids.split(',')
            .map(|i| i.parse().ok())
            .collect::<Option<Vec<i64>>>()
            .map(MassTarget::Repositories)
    }
}

/// One finding of a scan, as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScanFinding {
    /// Repository-relative path.
    pub path: String,
    /// 1-based line.
    pub line: i64,
    /// The rule's name.
    pub rule_name: String,
    /// The line, or the match alone when truncated.
    pub text: String,
    /// Start of the match in `text` (Unicode scalar values).
    pub line_offset_start: i64,
    /// End of the match in `text` (exclusive).
    pub line_offset_end: i64,
    /// The line was too long; `text` is the match.
    pub truncated: bool,
    /// Allowlisted by a pragma or the path allowlist.
    pub allowlisted: bool,
    /// The finding blocks pushes (its rule blocks, at a confidence at or above the block
    /// threshold).
    pub blocking: bool,
    /// The commit (for history scans, the one that introduced the finding).
    pub commit_id: Option<String>,
    /// How likely the match is a credential, in [0, 1].
    pub confidence: f64,
}

/// How a finished scan ended, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ScanOutcome {
    /// The findings, in report order.
    pub findings: Vec<ScanFinding>,
    /// Files not scanned.
    pub skipped_files: i64,
    /// Findings neither allowlisted nor reviewed.
    pub vulnerabilities: i64,
    /// Files scanned in all.
    pub files_total: i64,
    /// Non-fatal problems of the repository's configuration.
    pub config_warnings: Vec<String>,
    /// Rules that ran out of their matching budget on some line.
    pub rule_errors: Vec<String>,
    /// Findings found beyond the per-scan cap, not in `findings`.
    pub findings_dropped: i64,
}

/// The entries of a one-per-line text column.
fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

/// Entries as a one-per-line text column (a line break inside an entry becomes a space).
pub(crate) fn join_lines(entries: &[String]) -> String {
    entries
        .iter()
        .map(|e| e.replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A branch with the state of its scans (a page of `.../branches`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BranchStatusRow {
    /// The full branch name.
    pub name: String,
    /// The commit the branch points at.
    pub tip: String,
    /// The repository's default branch.
    pub is_default: bool,
    /// The state of the latest tree scan (`None`: never scanned).
    pub scan_state: Option<ScanState>,
    /// The latest tree scan's key.
    pub last_scan_key: Option<String>,
    /// Its files done.
    pub last_files_done: Option<i64>,
    /// Its files total.
    pub last_files_total: Option<i64>,
    /// The latest completed scan's key.
    pub result_scan_key: Option<String>,
    /// The commit it scanned.
    pub result_commit: Option<String>,
    /// The generation it ran under.
    pub result_generation: Option<i64>,
    /// Its vulnerabilities.
    pub result_vulnerabilities: Option<i64>,
    /// When it finished.
    pub result_date: Option<i64>,
}

/// Branch counts of one repository.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RepositoryStatusRow {
    /// The repository.
    #[sqlx(flatten)]
    pub repository: crate::Repository,
    /// Its project's key.
    pub project_key: String,
    /// Branches.
    pub total: i64,
    /// Branches never scanned.
    pub not_scanned: i64,
    /// Branches whose latest result has vulnerabilities.
    pub vulnerable: i64,
    /// Clean branches whose result is outdated (tip moved or configuration changed).
    pub outdated: i64,
    /// Clean, up-to-date branches.
    pub secure: i64,
    /// Vulnerabilities over all branches.
    pub vulnerabilities: i64,
}

/// Repository counts of one project, by repository status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectStatusRow {
    /// The project.
    #[sqlx(flatten)]
    pub project: crate::Project,
    /// Repositories the viewer can read.
    pub total: i64,
    /// `SECURE` repositories.
    pub secure: i64,
    /// `VULNERABLE` repositories.
    pub vulnerable: i64,
    /// `NOT_SCANNED` repositories.
    pub not_scanned: i64,
    /// `PARTIALLY_SCANNED` repositories.
    pub partially_scanned: i64,
    /// `OUTDATED` repositories.
    pub outdated: i64,
    /// Vulnerabilities over all repositories.
    pub vulnerabilities: i64,
}

/// Which findings an export reads: the latest completed tree scan of each branch in scope.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// The project.
    pub project_id: i64,
    /// One repository, or all of the project's (that the viewer can read).
    pub repository_id: Option<i64>,
    /// One branch (full name), or all.
    pub branch: Option<String>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Include allowlisted findings.
    pub include_allowlisted: bool,
    /// Scans finished at or after (ms).
    pub start: Option<i64>,
    /// Scans finished before (ms).
    pub end: Option<i64>,
    /// Whose readable repositories.
    pub viewer: Option<crate::Viewer>,
}

/// One export row: a finding with where and when it was found.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExportRow {
    /// Key for keyset paging: the scan.
    pub scan_id: i64,
    /// Key for keyset paging: the finding within the scan.
    pub seq: i64,
    /// Project key.
    pub project_key: String,
    /// Repository slug.
    pub repository_slug: String,
    /// Repository id (for reviewed lookups).
    pub repository_id: i64,
    /// Full branch name.
    pub branch: String,
    /// The finding.
    #[sqlx(flatten)]
    pub finding: ScanFinding,
    /// The scanned commit.
    pub scan_commit: Option<String>,
    /// When the scan finished.
    pub scan_date: i64,
}

/// A mass-scan batch whose scans have all finished, ready for its mail.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FinishedBatch {
    /// Batch id.
    pub id: i64,
    /// What was scanned (`all`, `project PROJ`, `repository PROJ/repo`).
    pub scope: String,
    /// Addresses, one per line.
    pub emails: String,
    /// Scans in the batch.
    pub total: i64,
}
