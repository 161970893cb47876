//! What the pages show, read from the REST API's own answers: the UI calls the REST handlers
//! (same permission checks, same logic) and reads their JSON into these types.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Reads a REST answer into a view type.
pub fn read<T: DeserializeOwned>(value: Value) -> ApiResult<T> {
    serde_json::from_value(value).map_err(|e| ApiError::Internal(format!("UI view: {e}")))
}

/// One page of a paged REST list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// The rows.
    pub values: Vec<T>,
    /// Offset of this page.
    pub start: u64,
    /// Page size asked for.
    pub limit: u64,
    /// Whether more rows follow.
    pub is_last_page: bool,
    /// Where the next page starts.
    pub next_page_start: Option<u64>,
}

/// Counts of repositories (or branches) by status.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counts {
    /// All of them.
    pub total: i64,
    /// `SECURE`.
    pub secure: i64,
    /// `VULNERABLE`.
    pub vulnerable: i64,
    /// `OUTDATED`.
    pub outdated: i64,
    /// `PARTIALLY_SCANNED` (repositories only).
    pub partially_scanned: i64,
    /// `NOT_SCANNED`.
    pub not_scanned: i64,
}

/// One segment of a status bar.
pub struct Segment {
    /// The status it counts.
    pub status: &'static str,
    /// How many.
    pub count: i64,
    /// Width in percent.
    pub percent: String,
}

impl Counts {
    /// The non-empty segments of the status bar, in a fixed order.
    pub fn segments(&self) -> Vec<Segment> {
        [
            ("SECURE", self.secure),
            ("VULNERABLE", self.vulnerable),
            ("OUTDATED", self.outdated),
            ("PARTIALLY_SCANNED", self.partially_scanned),
            ("NOT_SCANNED", self.not_scanned),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0 && self.total > 0)
        .map(|(status, count)| Segment {
            status,
            count,
            percent: format!("{:.2}", 100.0 * count as f64 / self.total as f64),
        })
        .collect()
    }

    /// The bar in words ("2 secure, 1 vulnerable").
    pub fn words(&self) -> String {
        let parts: Vec<String> = self
            .segments()
            .iter()
            .map(|s| format!("{} {}", s.count, label(s.status).to_lowercase()))
            .collect();
        if parts.is_empty() {
            "no repositories".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A status in words: `PARTIALLY_SCANNED` is "Partially scanned".
pub fn label(status: &str) -> String {
    let lower = status.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A project on the dashboard.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRow {
    /// Key.
    pub project_key: String,
    /// Name.
    pub project_name: String,
    /// `NORMAL` or `PERSONAL`.
    pub project_type: String,
    /// Rolled-up status.
    pub status: String,
    /// Its repositories by status.
    pub repositories: Counts,
    /// Findings in all of them.
    pub vulnerabilities: i64,
}

/// A repository on the project page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryRow {
    /// Slug.
    pub repository_slug: String,
    /// Name.
    pub repository_name: String,
    /// Rolled-up status.
    pub status: String,
    /// Its branches by status.
    pub branches: Counts,
    /// Findings in all branches.
    pub vulnerabilities: i64,
}

/// A branch on the repository page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchRow {
    /// Short name.
    pub display_id: String,
    /// Whether it is the default branch.
    pub default: bool,
    /// Status.
    pub status: String,
    /// Findings in the latest result.
    pub vulnerabilities: i64,
    /// When the latest result was made (ISO 8601).
    pub last_scan_date: Option<String>,
}

/// A branch's scan result (`GET /scan/...`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    /// Whether a completed result exists.
    pub scanned: bool,
    /// Whether it is for the current tip, rules and settings.
    pub actual: bool,
    /// Progress of the queued or running scan.
    pub progress: i64,
    /// A scan is running.
    pub running: bool,
    /// A scan is queued or running.
    pub scheduled: bool,
    /// The scanned commit.
    pub commit_id: Option<String>,
    /// When the result was made.
    pub scan_date: Option<String>,
    /// Files skipped (too large, binary).
    #[serde(default)]
    pub skipped_files: i64,
    /// A broken `soteri-security.yml`.
    pub config_error: Option<String>,
    /// Non-fatal problems of `soteri-security.yml`.
    #[serde(default)]
    pub config_warnings: Vec<String>,
    /// Rules skipped on some line because they ran out of their matching budget.
    #[serde(default)]
    pub rule_errors: Vec<String>,
    /// Why the latest scan failed.
    pub error: Option<String>,
    /// The findings, when scanned.
    #[serde(default)]
    pub invalid_lines: Vec<Finding>,
}

impl ScanResult {
    /// The result of a repository without branches.
    pub fn none() -> ScanResult {
        ScanResult {
            scanned: false,
            actual: false,
            progress: 0,
            running: false,
            scheduled: false,
            commit_id: None,
            scan_date: None,
            skipped_files: 0,
            config_error: None,
            config_warnings: Vec::new(),
            rule_errors: Vec::new(),
            error: None,
            invalid_lines: Vec::new(),
        }
    }
}

/// One finding of a scan result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// File path.
    pub path: String,
    /// 1-based line.
    pub line: i64,
    /// The rule that matched.
    pub rule_name: String,
    /// The line (or the match alone, when the line was too long).
    pub text: String,
    /// Where the match starts in `text`, in characters.
    pub line_offset_start: i64,
    /// Where it ends.
    pub line_offset_end: i64,
    /// `text` is the match alone.
    pub truncated: bool,
    /// Allowlisted by the rules.
    pub allowlisted: bool,
    /// Marked reviewed.
    pub reviewed: bool,
    /// Its rule blocks pushes.
    pub blocking: bool,
    /// How likely it is a credential, 0 to 1.
    pub confidence: f64,
}

/// A finding cut in three for display: before, match, after.
pub struct Shown {
    /// The line before the match.
    pub before: String,
    /// The match, redacted unless revealed.
    pub matched: String,
    /// The line after the match.
    pub after: String,
    /// Whether the match is shown in clear.
    pub revealed: bool,
}

impl Finding {
    /// The match alone.
    pub fn match_text(&self) -> String {
        keywarden_core::scans::reviewed_counts::match_text(
            &self.text,
            self.line_offset_start,
            self.line_offset_end,
            self.truncated,
        )
    }

    /// The line cut around the match (its first line, for a secret over several lines); unless
    /// `reveal`, the match and every candidate secret of `rules` on the line are redacted.
    pub fn shown(&self, reveal: bool, rules: &keywarden_engine::RuleSet) -> Shown {
        let m = self.match_text();
        let first = |s: &str| s.split('\n').next().unwrap_or("").to_string();
        if self.truncated {
            return Shown {
                before: String::new(),
                matched: if reveal {
                    first(&m)
                } else {
                    redact(&first(&m))
                },
                after: " …".to_string(),
                revealed: reveal,
            };
        }
        let line = first(&self.text);
        let chars: Vec<char> = line.chars().collect();
        let start = usize::try_from(self.line_offset_start)
            .unwrap_or(0)
            .min(chars.len());
        let end = usize::try_from(self.line_offset_end)
            .unwrap_or(0)
            .clamp(start, chars.len());
        let shown: Vec<char> = if reveal {
            chars
        } else {
            let mut spans = rules.secret_spans(&line);
            spans.push((start as u32, end as u32));
            keywarden_engine::redact_spans(&line, &spans)
                .chars()
                .collect()
        };
        Shown {
            before: shown[..start].iter().collect(),
            matched: shown[start..end].iter().collect(),
            after: shown[end..].iter().collect::<String>()
                + if self.text.contains('\n') { " …" } else { "" },
            revealed: reveal,
        }
    }
}

/// Keeps the first four characters of a secret and stars the rest.
pub fn redact(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 4 { c } else { '*' })
        .collect()
}

/// A rule of `GET /rules`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRow {
    /// Id (the name for built-ins).
    pub id: Value,
    /// Name.
    pub name: String,
    /// Built in.
    pub hardcoded: bool,
    /// Enabled.
    pub enabled: bool,
    /// Category (built-ins).
    pub category: Option<String>,
    /// Description (built-ins).
    pub description: Option<String>,
    /// Regex (custom rules).
    pub regexp: Option<String>,
    /// Findings block pushes (custom rules).
    #[serde(default)]
    pub blocking: bool,
    /// Why the rule is skipped (custom rules).
    pub validation_error: Option<String>,
}

/// The security settings (`GET /settings`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// `EXPLICIT`, `INHERITED` or `ALWAYS`.
    pub hook_mode: String,
    /// `soteri-security.yml` applies.
    pub per_repository_rules: bool,
    /// Scan workers.
    pub parallel_scans: u32,
    /// Cron expression.
    pub scan_schedule: Option<String>,
    /// App access users.
    pub app_access: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_redaction() {
        assert_eq!(label("PARTIALLY_SCANNED"), "Partially scanned");
        assert_eq!(redact("AKIAXYZ"), "AKIA***");
        assert_eq!(redact("ab"), "ab");
    }

    #[test]
    fn findings_are_cut_around_the_match() {
        let f = Finding {
            path: "a".into(),
            line: 1,
            rule_name: "R".into(),
            text: "key = sécret1 # x".into(),
            line_offset_start: 6,
            line_offset_end: 13,
            truncated: false,
            allowlisted: false,
            reviewed: false,
            blocking: true,
            confidence: 1.0,
        };
        let none = keywarden_engine::RuleSet::compile(Vec::new()).unwrap();
        let s = f.shown(false, &none);
        assert_eq!(
            (s.before.as_str(), s.matched.as_str(), s.after.as_str()),
            ("key = ", "sécr***", " # x")
        );
        assert_eq!(f.shown(true, &none).matched, "sécret1");
    }

    #[test]
    fn status_bar_words() {
        let c = Counts {
            total: 3,
            secure: 2,
            vulnerable: 1,
            ..Counts::default()
        };
        assert_eq!(c.words(), "2 secure, 1 vulnerable");
        assert_eq!(c.segments()[0].percent, "66.67");
        assert_eq!(Counts::default().words(), "no repositories");
    }
}
