//! Scanning a push (SPEC 5): every commit it makes newly reachable, each on its own, by the lines
//! that commit adds; and the messages the pusher sees.

use std::sync::atomic::{AtomicBool, Ordering};

use keywarden_engine::{LineFinding, PathAllowlist, RuleSet};
use keywarden_git::{AddedFile, PushReader, PushedCommit, RefUpdate};

use crate::report::{Finding, Outcome, Report, SkipKind, Skipped};
use crate::run::{BlobCache, ScanError, outcome, settled};
use crate::thresholds::Thresholds;

/// The marker that exempts a commit from the scan when its message contains it.
pub const SKIP_MARKER: &str = "**skip-soteri-security-check**";

/// The push option (`git push -o secret-scan-bypass=<reason>`) that lets a push through.
pub const BYPASS_OPTION: &str = "secret-scan-bypass";

/// The largest file a push creates that the hook scans whole (and keeps in the blob cache);
/// a larger one is scanned by its lines, as a changed file is, and left to branch scans to keep.
const WHOLE_SCAN_MAX: u64 = 1024 * 1024;

/// At most this many findings are listed to the pusher.
const MAX_LISTED: usize = 20;

/// A finding in a pushed commit.
#[derive(Debug, Clone, PartialEq)]
pub struct PushFinding {
    /// The commit that adds the line.
    pub commit: String,
    /// The file.
    pub path: String,
    /// The rule's name.
    pub rule_name: String,
    /// Whether the finding blocks: its rule blocks and, once [`PushScan::apply_thresholds`]
    /// ran, its confidence is at or above the block threshold (below it, the pusher is warned).
    pub blocking: bool,
    /// Allowlisted by a pragma on the line or by the path allowlist.
    pub allowlisted: bool,
    /// Marked reviewed (repository or global reviewed list); set by the caller, which knows
    /// the lists. Reviewed findings never block and are not listed.
    pub reviewed: bool,
    /// The engine's finding (line number in the commit's version of the file).
    pub line: LineFinding,
    /// The finding's line as the pusher sees it: every secret on it redacted
    /// ([`RuleSet::redact_finding`]).
    pub shown: String,
}

/// What a push adds, scanned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushScan {
    /// Findings, commit by commit (oldest first), then by path and line.
    pub findings: Vec<PushFinding>,
    /// Commits scanned.
    pub commits: Vec<String>,
    /// Commits not scanned because their message carries [`SKIP_MARKER`].
    pub skipped_commits: Vec<String>,
    /// Files whose added content was not scanned (binary or over the size limit), as
    /// `(commit, path, why)`.
    pub skipped_files: Vec<(String, String, SkipKind)>,
    /// Rules (by index in the rule set) that exceeded their matching budget on some file and
    /// were skipped for the rest of it; without repeats.
    pub budget_exceeded: Vec<usize>,
    /// Files scanned (a file changed by two commits counts twice).
    pub scanned_files: u64,
    /// Bytes of added lines scanned.
    pub scanned_bytes: u64,
}

impl PushScan {
    /// Keeps the findings at or above the report threshold; those below the block threshold
    /// only warn.
    pub fn apply_thresholds(&mut self, t: Thresholds) {
        self.findings.retain(|f| t.reports(f.line.confidence));
        for f in &mut self.findings {
            f.blocking &= t.blocks(f.line.confidence);
        }
    }

    /// Findings that block: from a blocking rule, not allowlisted, not reviewed.
    pub fn blocking(&self) -> impl Iterator<Item = &PushFinding> {
        self.findings
            .iter()
            .filter(|f| f.blocking && !f.allowlisted && !f.reviewed)
    }

    /// The scan as a [`Report`], findings in scan order: each with its commit (none for the
    /// index), skipped files with their reason, rules over budget by name.
    pub fn into_report(self, rules: &RuleSet) -> Report {
        let commit = |c: String| (!c.is_empty()).then_some(c);
        Report {
            findings: self
                .findings
                .into_iter()
                .map(|f| Finding {
                    path: f.path,
                    commit: commit(f.commit),
                    blob: None,
                    rule_name: f.rule_name,
                    blocking: f.blocking,
                    allowlisted: f.allowlisted,
                    line: f.line,
                })
                .collect(),
            scanned_files: self.scanned_files,
            scanned_bytes: self.scanned_bytes,
            skipped: self
                .skipped_files
                .into_iter()
                .map(|(_, path, kind)| Skipped { path, kind })
                .collect(),
            rule_errors: self
                .budget_exceeded
                .iter()
                .map(|&r| rules.rule(r).name.clone())
                .collect(),
        }
    }

    /// Commits with at least one blocking finding, in push order, without repeats.
    pub fn blocking_commits(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in self.blocking() {
            if !out.contains(&f.commit.as_str()) {
                out.push(&f.commit);
            }
        }
        out
    }
}

/// Scans the commits `updates` make newly reachable. Setting `cancel` stops the scan within a
/// line, git's processes included, with [`ScanError::Cancelled`] (the hook's time budget); the
/// reader must have been made with the same flag ([`PushReader::cancel_flag`]).
///
/// A file is skipped as binary by the engine's rule, on the first bytes of its content in the
/// commit ([`RuleSet::is_binary`]), as branch scans do; and as too large when the lines the commit
/// adds to it exceed the size limit.
///
/// With a `cache` (of `rules`), a file whose content is already known is not scanned again:
/// its findings are those of the cached outcome on the lines the commit adds. A file the commit
/// creates is scanned whole, and its outcome kept, so that a branch scan (or another
/// repository's push) of the same blob finds it done.
pub fn scan_push(
    reader: &PushReader,
    updates: &[RefUpdate],
    rules: &RuleSet,
    allowlist: &PathAllowlist,
    cancel: &AtomicBool,
    cache: Option<&dyn BlobCache>,
) -> Result<PushScan, ScanError> {
    let commits = reader.new_commits(updates).map_err(cancel_error)?;
    scan_commits(reader, commits, rules, allowlist, cancel, cache)
}

/// Scans `commits` (parents first) as [`scan_push`] scans a push's: each on its own, by the
/// lines it adds, commits carrying [`SKIP_MARKER`] left out. One git process reads the diffs
/// of all of them ([`PushReader::commits_added_lines`]). `cache` as for [`scan_push`].
pub fn scan_commits(
    reader: &PushReader,
    commits: Vec<PushedCommit>,
    rules: &RuleSet,
    allowlist: &PathAllowlist,
    cancel: &AtomicBool,
    cache: Option<&dyn BlobCache>,
) -> Result<PushScan, ScanError> {
    let mut out = PushScan::default();
    let (skipped, commits): (Vec<PushedCommit>, Vec<PushedCommit>) = commits
        .into_iter()
        .partition(|c| c.message.contains(SKIP_MARKER));
    out.skipped_commits = skipped.into_iter().map(|c| c.id).collect();
    let mut scan = FileScan::new(reader, rules, allowlist, cancel);
    scan.cache = cache;
    let mut current: Option<usize> = None;
    reader
        .commits_added_lines(&commits, |i, file| {
            if current != Some(i) {
                scan.start_commit(&mut out);
                current = Some(i);
            }
            scan.file(&mut out, &commits[i].id, file);
        })
        .map_err(cancel_error)?;
    scan.finish(&mut out)?;
    out.commits = commits.into_iter().map(|c| c.id).collect();
    Ok(out)
}

/// Scans the lines the index adds to `HEAD` (what `git commit` would record), as a pushed
/// commit's lines are scanned; findings carry an empty commit id.
pub fn scan_staged(
    reader: &PushReader,
    rules: &RuleSet,
    allowlist: &PathAllowlist,
    cancel: &AtomicBool,
) -> Result<PushScan, ScanError> {
    let mut out = PushScan::default();
    let mut scan = FileScan::new(reader, rules, allowlist, cancel);
    reader
        .staged_lines(|file| scan.file(&mut out, "", file))
        .map_err(cancel_error)?;
    scan.finish(&mut out)?;
    Ok(out)
}

/// Scanning the files of commits (or of the index, with an empty commit id) into a
/// [`PushScan`]. Each file is scanned as git's diff streams it, so memory holds one file at a
/// time; each commit's findings are put in path order once the next one starts.
struct FileScan<'a> {
    reader: &'a PushReader,
    rules: &'a RuleSet,
    allowlist: &'a PathAllowlist,
    cancel: &'a AtomicBool,
    first_finding: usize,
    first_skipped: usize,
    failed: Option<keywarden_git::GitError>,
    cache: Option<&'a dyn BlobCache>,
}

impl<'a> FileScan<'a> {
    fn new(
        reader: &'a PushReader,
        rules: &'a RuleSet,
        allowlist: &'a PathAllowlist,
        cancel: &'a AtomicBool,
    ) -> Self {
        FileScan {
            first_finding: 0,
            first_skipped: 0,
            reader,
            rules,
            allowlist,
            cancel,
            failed: None,
            cache: None,
        }
    }

    /// The files that follow are the next commit's: the previous commit's findings and
    /// skipped files are sorted by path.
    fn start_commit(&mut self, out: &mut PushScan) {
        self.sort_commit(out);
        self.first_finding = out.findings.len();
        self.first_skipped = out.skipped_files.len();
    }

    fn sort_commit(&self, out: &mut PushScan) {
        out.findings[self.first_finding..].sort_by(|a, b| a.path.cmp(&b.path));
        out.skipped_files[self.first_skipped..].sort_by(|a, b| a.1.cmp(&b.1));
    }

    fn file(&mut self, out: &mut PushScan, commit: &str, file: AddedFile) {
        let rules = self.rules;
        let cancelled = || self.cancel.load(Ordering::Relaxed);
        if cancelled() || self.failed.is_some() {
            return;
        }
        if let Some(known) = self.known(&file) {
            match known {
                Outcome::Scanned {
                    findings,
                    budget_exceeded,
                    ..
                } => {
                    // As `RuleSet::scan_added` reports them: each secret on an added line,
                    // and each over several lines that covers one.
                    let added: std::collections::HashSet<u32> =
                        file.lines.iter().map(|(n, _)| *n).collect();
                    let findings = findings
                        .into_iter()
                        .filter(|f| {
                            let last = f.line + f.match_text().matches('\n').count() as u32;
                            (f.line..=last).any(|n| added.contains(&n))
                        })
                        .collect();
                    self.record(out, commit, &file, findings, &budget_exceeded);
                }
                Outcome::Skipped(kind) => {
                    out.skipped_files
                        .push((commit.to_string(), file.path, kind))
                }
            }
            return;
        }
        let max = rules.limits().max_file_size;
        let skip = if rules.is_binary(&file.head) {
            Some(SkipKind::Binary)
        } else {
            (file.added_bytes > max).then_some(SkipKind::TooLarge)
        };
        if let Some(kind) = skip {
            out.skipped_files
                .push((commit.to_string(), file.path, kind));
            return;
        }
        let lines = file
            .lines
            .iter()
            .take_while(|_| !cancelled())
            .map(|(n, l)| (*n, l.as_slice()));
        // A private key is read whole from the file when the commit adds only part of it (its
        // header, or a line of its body).
        let content = match file.lines.iter().any(|(_, l)| rules.may_span_lines(l)) {
            true => match self.reader.file_content(commit, &file.path, max) {
                Ok(c) => c,
                Err(e) => {
                    self.failed = Some(e);
                    return;
                }
            },
            false => None,
        };
        let scan = match content {
            Some(data) => {
                let added: Vec<u32> = file.lines.iter().map(|(n, _)| *n).collect();
                rules.scan_added(&data, &added, &cancelled)
            }
            None => rules.scan_lines(lines),
        };
        self.record(out, commit, &file, scan.findings, &scan.budget_exceeded);
    }

    /// The outcome of the file's content when it is known without scanning its lines: cached,
    /// or, for a file the commit creates, scanned whole now (and cached). `None`: scan the
    /// added lines.
    fn known(&self, file: &AddedFile) -> Option<Outcome> {
        let (cache, id) = (self.cache?, file.blob?);
        if let Some(hit) = cache.get(&id) {
            return match hit {
                // A large file's added lines are still scanned.
                Outcome::Skipped(SkipKind::TooLarge) => None,
                hit => Some(hit),
            };
        }
        let content = match file.added_bytes <= WHOLE_SCAN_MAX {
            true => file.content(self.cancel),
            false => None,
        };
        let Some(data) = &content else {
            cache.forget(&id);
            return None;
        };
        // Every line is added: scanned as the whole blob, stopping with the push's budget (a
        // stopped scan is partial and not kept).
        let cancelled = || self.cancel.load(Ordering::Relaxed);
        let lines = data.split(|&b| b == b'\n').count() as u32;
        let all: Vec<u32> = (1..=lines).collect();
        let scanned = outcome(self.rules.scan_added(data, &all, &cancelled), data.len());
        if cancelled() {
            cache.forget(&id);
            return None;
        }
        match settled(&scanned) {
            true => cache.put(id, &scanned),
            false => cache.forget(&id),
        }
        match scanned {
            Outcome::Skipped(SkipKind::TooLarge) => None,
            scanned => Some(scanned),
        }
    }

    /// Records the findings of one file (engine findings, on the lines the commit adds).
    fn record(
        &mut self,
        out: &mut PushScan,
        commit: &str,
        file: &AddedFile,
        findings: Vec<LineFinding>,
        budget_exceeded: &[usize],
    ) {
        let rules = self.rules;
        let cancelled = || self.cancel.load(Ordering::Relaxed);
        out.scanned_files += 1;
        out.scanned_bytes += file.added_bytes;
        for r in budget_exceeded {
            if !out.budget_exceeded.contains(r) {
                out.budget_exceeded.push(*r);
            }
        }
        let path_allowlisted = self.allowlist.matches(&file.path);
        // Redacting is a scan of its own: it stops with the budget too.
        for mut f in findings.into_iter().take_while(|_| !cancelled()) {
            rules.rescore(&mut f, &file.path);
            let rule = rules.rule(f.rule);
            out.findings.push(PushFinding {
                commit: commit.to_string(),
                path: file.path.clone(),
                rule_name: rule.name.clone(),
                blocking: rule.blocking,
                allowlisted: f.allowlisted || path_allowlisted,
                reviewed: false,
                shown: rules.redact_finding(&f),
                line: f,
            });
        }
    }

    fn finish(self, out: &mut PushScan) -> Result<(), ScanError> {
        if let Some(e) = self.failed {
            return Err(cancel_error(e));
        }
        if self.cancel.load(Ordering::Relaxed) {
            return Err(ScanError::Cancelled);
        }
        self.sort_commit(out);
        Ok(())
    }
}

/// The reader's cancellation is the scan's.
fn cancel_error(e: keywarden_git::GitError) -> ScanError {
    match e {
        keywarden_git::GitError::Cancelled => ScanError::Cancelled,
        e => ScanError::Git(e),
    }
}

/// The decision on a push and the lines the pusher sees; also what the server answers the
/// pre-receive hook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// Whether the push goes through (the hook exits 0) or is refused (exit 1).
    pub accept: bool,
    /// Lines for the pusher (git shows them as `remote:` lines). Secrets are redacted.
    pub messages: Vec<String>,
}

impl Verdict {
    /// Accept, silently.
    pub fn accept() -> Self {
        Self {
            accept: true,
            messages: Vec::new(),
        }
    }

    /// Refuse, with a reason for the pusher.
    pub fn reject(message: impl Into<String>) -> Self {
        Self {
            accept: false,
            messages: vec![message.into()],
        }
    }
}

/// How the hook is set for the repository, and what the push asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSettings {
    /// Warn only: findings never block.
    pub warn_only: bool,
    /// Bypasses (commit marker, push option) are allowed.
    pub allow_bypass: bool,
    /// The reason given with `-o secret-scan-bypass=<reason>`, if any.
    pub bypass_reason: Option<String>,
}

impl PushSettings {
    /// Reads the bypass reason from the push options.
    pub fn with_push_options(mut self, options: &[String]) -> Self {
        self.bypass_reason = options.iter().find_map(|o| {
            o.strip_prefix(BYPASS_OPTION)
                .and_then(|r| r.strip_prefix('='))
                .map(|r| r.trim().to_string())
        });
        self
    }
}

/// Decides on a push and writes the pusher's messages (SPEC 5): a header, then per finding
/// `<short sha> <path>:<line> [<RULE>] <redacted line>`, at most 20 then `... and N more`, then
/// how to resolve.
pub fn decide(scan: &PushScan, policy: &PushSettings) -> Verdict {
    let mut messages = Vec::new();
    if !scan.skipped_commits.is_empty() {
        if policy.allow_bypass {
            messages.push(format!(
                "Keywarden: WARNING: {} commit(s) skipped by {SKIP_MARKER}: {}",
                scan.skipped_commits.len(),
                short_list(&scan.skipped_commits)
            ));
        } else {
            messages.push(format!(
                "Keywarden: push rejected: bypassing the scan with {SKIP_MARKER} is not allowed on this server (commits {}). Remove the marker and push again.",
                short_list(&scan.skipped_commits)
            ));
            return Verdict {
                accept: false,
                messages,
            };
        }
    }
    for (commit, path, _) in &scan.skipped_files {
        messages.push(format!(
            "Keywarden: note: {} {path} was not scanned (binary or too large)",
            short(commit)
        ));
    }
    let blocking: Vec<&PushFinding> = scan.blocking().collect();
    let warnings: Vec<&PushFinding> = scan
        .findings
        .iter()
        .filter(|f| !f.allowlisted && !f.reviewed && !f.blocking)
        .collect();
    let would_block = !blocking.is_empty() && !policy.warn_only;
    let bypassed = would_block && policy.bypass_reason.is_some();
    if bypassed && !policy.allow_bypass {
        messages.push(
            "Keywarden: push rejected: the secret-scan-bypass push option is not allowed on this server."
                .to_string(),
        );
        list(&mut messages, &blocking);
        return Verdict {
            accept: false,
            messages,
        };
    }
    if let (true, false, Some(reason)) = (policy.allow_bypass, bypassed, &policy.bypass_reason) {
        messages.push(format!(
            "Keywarden: WARNING: push made with {BYPASS_OPTION} ({reason}); it is recorded in the audit log."
        ));
    }
    let shown: Vec<&PushFinding> = blocking.iter().chain(warnings.iter()).copied().collect();
    if shown.is_empty() {
        return Verdict {
            accept: true,
            messages,
        };
    }
    if would_block && !bypassed {
        messages.push(format!(
            "Keywarden: push rejected: {} possible secret(s) found in the pushed commits.",
            blocking.len()
        ));
    } else if bypassed {
        messages.push(format!(
            "Keywarden: WARNING: {} possible secret(s) let through by secret-scan-bypass ({}).",
            blocking.len(),
            policy.bypass_reason.as_deref().unwrap_or("")
        ));
    } else {
        messages.push(format!(
            "Keywarden: WARNING: {} possible secret(s) found in the pushed commits.",
            shown.len()
        ));
    }
    list(&mut messages, &shown);
    if would_block && !bypassed {
        messages.push("To resolve: remove the secret from every commit that adds it (rewrite history, e.g. `git commit --amend` or `git rebase -i`) and revoke it;".to_string());
        messages.push("for a false positive, add `pragma: allowlist-secret` in a comment on the line in the same commit, or ask for the finding to be marked reviewed;".to_string());
        if policy.allow_bypass {
            messages.push(format!(
                "to push anyway, push with `-o {BYPASS_OPTION}=<reason>` (audited)."
            ));
        }
    }
    Verdict {
        accept: !would_block || bypassed,
        messages,
    }
}

fn list(messages: &mut Vec<String>, findings: &[&PushFinding]) {
    for f in findings.iter().take(MAX_LISTED) {
        messages.push(format!(
            "  {} {}:{} [{}] {}",
            short(&f.commit),
            f.path,
            f.line.line,
            f.rule_name,
            f.shown.trim()
        ));
    }
    if findings.len() > MAX_LISTED {
        messages.push(format!("  ... and {} more", findings.len() - MAX_LISTED));
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

fn short_list(ids: &[String]) -> String {
    ids.iter().map(|i| short(i)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(i: usize, blocking: bool, allowlisted: bool) -> PushFinding {
        PushFinding {
            commit: format!("{i:040}"),
            path: "a.env".into(),
            rule_name: "AWS_CLIENT_ID".into(),
            blocking,
            allowlisted,
            reviewed: false,
            shown: "KEY=AKIA****************".into(),
            line: LineFinding {
                rule: 0,
                line: i as u32 + 1,
                text: "KEY=AKIAZ7QXKP4MWL2HRT6J".into(),
                start: 4,
                end: 24,
                truncated: false,
                allowlisted,
                confidence: 1.0,
            },
        }
    }

    #[test]
    fn below_the_block_threshold_a_finding_warns_and_below_the_report_one_it_is_dropped() {
        let mut scan = PushScan::default();
        for (i, confidence) in [(0, 0.9), (1, 0.6), (2, 0.2)] {
            let mut f = finding(i, true, false);
            f.line.confidence = confidence;
            scan.findings.push(f);
        }
        let t = Thresholds {
            block: 0.95,
            report: 0.5,
        };
        scan.apply_thresholds(t);
        assert_eq!(scan.findings.len(), 2);
        assert!(scan.blocking().next().is_none());
        let verdict = decide(&scan, &policy());
        assert!(verdict.accept, "{:?}", verdict.messages);
        assert!(
            verdict.messages[0].contains("WARNING: 2 possible secret(s)"),
            "{:?}",
            verdict.messages
        );
        let mut strict = scan.clone();
        strict.apply_thresholds(Thresholds {
            block: 0.5,
            report: 0.5,
        });
        assert!(
            strict.blocking().next().is_none(),
            "blocking is never restored"
        );
    }

    fn policy() -> PushSettings {
        PushSettings {
            allow_bypass: true,
            ..PushSettings::default()
        }
    }

    #[test]
    fn blocking_findings_reject_with_redacted_listing_capped_at_20() {
        let scan = PushScan {
            findings: (0..25).map(|i| finding(i, true, false)).collect(),
            ..PushScan::default()
        };
        let d = decide(&scan, &policy());
        assert!(!d.accept);
        let text = d.messages.join("\n");
        assert!(!text.contains("AKIAZ7QXKP4MWL2HRT6J"), "{text}");
        assert!(text.contains("KEY=AKIA****************"), "{text}");
        assert_eq!(
            d.messages
                .iter()
                .filter(|m| m.contains("[AWS_CLIENT_ID]"))
                .count(),
            20
        );
        assert!(text.contains("... and 5 more"));
        assert!(text.contains("pragma: allowlist-secret"));
    }

    #[test]
    fn warn_mode_allowlisted_and_warn_only_rules_pass() {
        let scan = PushScan {
            findings: vec![finding(0, true, false)],
            ..PushScan::default()
        };
        let warn = PushSettings {
            warn_only: true,
            ..policy()
        };
        let d = decide(&scan, &warn);
        assert!(d.accept);
        assert!(d.messages[0].contains("WARNING"));
        let scan = PushScan {
            findings: vec![finding(0, true, true), finding(1, false, false)],
            ..PushScan::default()
        };
        let d = decide(&scan, &policy());
        assert!(d.accept);
        assert_eq!(d.messages.len(), 2, "{:?}", d.messages);
    }

    #[test]
    fn bypass_option_lets_through_unless_forbidden() {
        let scan = PushScan {
            findings: vec![finding(0, true, false)],
            ..PushScan::default()
        };
        let p = policy().with_push_options(&["secret-scan-bypass=false positive".into()]);
        assert_eq!(p.bypass_reason.as_deref(), Some("false positive"));
        let d = decide(&scan, &p);
        assert!(d.accept);
        assert!(d.messages[0].contains("false positive"));
        let forbidden = PushSettings {
            allow_bypass: false,
            ..p
        };
        assert!(!decide(&scan, &forbidden).accept);
        let marker = PushScan {
            skipped_commits: vec!["ab".repeat(20)],
            ..PushScan::default()
        };
        assert!(decide(&marker, &policy()).accept);
        assert!(!decide(&marker, &PushSettings::default()).accept);
    }

    #[test]
    fn reviewed_findings_neither_block_nor_show() {
        let mut reviewed = finding(0, true, false);
        reviewed.reviewed = true;
        let scan = PushScan {
            findings: vec![reviewed, finding(1, true, false)],
            ..PushScan::default()
        };
        assert_eq!(scan.blocking().count(), 1);
        let d = decide(&scan, &policy());
        assert!(!d.accept);
        let listed: Vec<_> = d
            .messages
            .iter()
            .filter(|m| m.contains("[AWS_CLIENT_ID]"))
            .collect();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert!(listed[0].contains(":2 "), "{listed:?}");
        let mut only_reviewed = scan.clone();
        only_reviewed.findings.truncate(1);
        let d = decide(&only_reviewed, &policy());
        assert!(d.accept);
        assert!(d.messages.is_empty(), "{:?}", d.messages);
    }

    #[test]
    fn bypass_option_on_a_clean_push_still_warns() {
        let p = policy().with_push_options(&["secret-scan-bypass=hotfix".into()]);
        let d = decide(&PushScan::default(), &p);
        assert!(d.accept);
        assert_eq!(d.messages.len(), 1);
        assert!(d.messages[0].contains("hotfix"), "{:?}", d.messages);
        assert!(d.messages[0].contains("audit"), "{:?}", d.messages);
    }

    #[test]
    fn blocking_commits_are_listed_once_in_order() {
        let mut a = finding(0, true, false);
        a.commit = "a".repeat(40);
        let mut b = finding(1, true, false);
        b.commit = "b".repeat(40);
        let mut a2 = finding(2, true, false);
        a2.commit = "a".repeat(40);
        let scan = PushScan {
            findings: vec![a, b, a2],
            ..PushScan::default()
        };
        assert_eq!(
            scan.blocking_commits(),
            vec!["a".repeat(40), "b".repeat(40)]
        );
    }
}
