//! What a scan produces.

use keywarden_engine::{LineFinding, RuleSet, SkipReason};

use crate::thresholds::Thresholds;

/// One finding with where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Repository- or directory-relative path with `/` separators.
    pub path: String,
    /// The commit: the scanned commit for a tree scan, the introducing commit for history.
    pub commit: Option<String>,
    /// The blob id, for Git inputs.
    pub blob: Option<String>,
    /// The rule's name.
    pub rule_name: String,
    /// Whether the finding blocks pushes: its rule blocks and, once
    /// [`Report::apply_thresholds`] ran, its confidence is at or above the block threshold.
    pub blocking: bool,
    /// Allowlisted by a pragma on the line or by the path allowlist.
    pub allowlisted: bool,
    /// The engine's finding (line, text, offsets, truncation).
    pub line: LineFinding,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipKind {
    /// Binary content.
    Binary,
    /// Over the size limit.
    TooLarge,
    /// Could not be read; the message says why.
    Unreadable(String),
    /// Not finished within the per-file time budget; the findings of the lines scanned by
    /// then are reported.
    TimedOut,
}

impl From<SkipReason> for SkipKind {
    fn from(r: SkipReason) -> Self {
        match r {
            SkipReason::Binary => SkipKind::Binary,
            SkipReason::TooLarge => SkipKind::TooLarge,
        }
    }
}

impl std::fmt::Display for SkipKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipKind::Binary => f.write_str("binary"),
            SkipKind::TooLarge => f.write_str("too large"),
            SkipKind::Unreadable(m) => write!(f, "unreadable: {m}"),
            SkipKind::TimedOut => f.write_str("timed out"),
        }
    }
}

/// A file that was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its path.
    pub path: String,
    /// Why.
    pub kind: SkipKind,
}

/// The result of one scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Findings sorted by path, then line.
    pub findings: Vec<Finding>,
    /// Files (blobs) scanned.
    pub scanned_files: u64,
    /// Bytes scanned.
    pub scanned_bytes: u64,
    /// Files not scanned, with the reason.
    pub skipped: Vec<Skipped>,
    /// Names of rules that exceeded their matching budget and were skipped somewhere.
    pub rule_errors: Vec<String>,
}

impl Report {
    /// Number of files skipped.
    pub fn skipped_files(&self) -> u64 {
        self.skipped.len() as u64
    }

    /// Keeps the findings at or above the report threshold; those below the block threshold no
    /// longer block.
    pub fn apply_thresholds(&mut self, t: Thresholds) {
        self.findings.retain(|f| t.reports(f.line.confidence));
        for f in &mut self.findings {
            f.blocking &= t.blocks(f.line.confidence);
        }
    }

    /// Whether any finding blocks: from a blocking rule and not allowlisted.
    pub fn has_blocking(&self) -> bool {
        self.findings.iter().any(|f| f.blocking && !f.allowlisted)
    }

    pub(crate) fn absorb(&mut self, other: FileResult, rules: &RuleSet) {
        match other.outcome {
            Outcome::Scanned {
                findings,
                bytes,
                budget_exceeded,
                timed_out,
            } => {
                if timed_out {
                    self.skipped.push(Skipped {
                        path: other.path.clone(),
                        kind: SkipKind::TimedOut,
                    });
                } else {
                    self.scanned_files += 1;
                    self.scanned_bytes += bytes;
                }
                for mut f in findings {
                    rules.rescore(&mut f, &other.path);
                    let rule = rules.rule(f.rule);
                    self.findings.push(Finding {
                        path: other.path.clone(),
                        commit: other.commit.clone(),
                        blob: other.blob.clone(),
                        rule_name: rule.name.clone(),
                        blocking: rule.blocking,
                        allowlisted: f.allowlisted || other.path_allowlisted,
                        line: f,
                    });
                }
                for r in budget_exceeded {
                    let name = &rules.rule(r).name;
                    if !self.rule_errors.contains(name) {
                        self.rule_errors.push(name.clone());
                    }
                }
            }
            Outcome::Skipped(kind) => self.skipped.push(Skipped {
                path: other.path,
                kind,
            }),
        }
    }

    pub(crate) fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line.line, &a.commit).cmp(&(&b.path, b.line.line, &b.commit))
        });
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// What happened to one file.
pub(crate) struct FileResult {
    pub(crate) path: String,
    pub(crate) commit: Option<String>,
    pub(crate) blob: Option<String>,
    pub(crate) path_allowlisted: bool,
    pub(crate) outcome: Outcome,
}

/// What scanning one blob produced, without where it was found: what a [`crate::BlobCache`]
/// keeps per blob id.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Scanned.
    Scanned {
        /// The findings.
        findings: Vec<LineFinding>,
        /// Bytes scanned.
        bytes: u64,
        /// Rules (by index) that ran out of budget.
        budget_exceeded: Vec<usize>,
        /// The file's time budget ran out before its end: `findings` are partial and the file
        /// is reported as skipped.
        timed_out: bool,
    },
    /// Not scanned.
    Skipped(SkipKind),
}
