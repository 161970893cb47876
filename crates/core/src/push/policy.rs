//! The push policy of the security hook (SPEC 5): whether the hook runs on the repository
//! (global `hookMode`, project and repository settings: [`crate::hook_settings`]), then a scan of
//! what the push adds, within the time budget, and the verdict: block, warn, or pass.
//!
//! The scanning itself is `keywarden_scanner::scan_push` (commits newly reachable, each by the
//! lines it adds, read from the receive quarantine); this adapter runs it off the async runtime
//! under `hookTimeoutSeconds`, turns its decision into the hook's [`Verdict`], and writes the
//! audit events (bypasses, blocked pushes, fail-open). A push that cannot be scanned is
//! rejected with a message saying so (fail closed), or with `hookFailOpen` let through with a
//! warning and an audit event; never silently.
//!
//! A push that changes `soteri-security.yml` on the default branch is scanned with the stronger
//! of the old and the new file ([`rules::effective_rules_for_change`]): what it takes away
//! applies from the next push on, and the pusher's notes and the audit events say what. Problems
//! of the file (its error, its warnings) and rules that ran out of their matching budget on some
//! line are notes to the pusher too.

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use keywarden_engine::{PathAllowlist, RuleSet};
use keywarden_git::PushReader;
use keywarden_scanner::{PushScan, PushSettings, ScanError, decide, scan_push};
use serde_json::json;

use super::{PushContext, PushPolicy};
use crate::Core;
use crate::audit::{Audit, action};
use crate::hook_settings;
use crate::rules::{self, EffectiveRules};
use crate::scans::{Lasting, rules_source};
use crate::settings::SecuritySettings;
use keywarden_scanner::Verdict;

/// Scans pushes with the rules in force for the repository (global toggles, custom rules,
/// `soteri-security.yml`), honouring the hook settings, reviewed findings and the time budget.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretScanPolicy;

impl SecretScanPolicy {
    /// The policy; its rules come from the stored configuration ([`crate::rules`]) per push.
    pub fn new() -> Self {
        SecretScanPolicy
    }
}

fn quarantine_env(push: &PushContext) -> Vec<(OsString, OsString)> {
    let q = &push.quarantine;
    [
        ("GIT_OBJECT_DIRECTORY", &q.object_directory),
        (
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            &q.alternate_object_directories,
        ),
        ("GIT_QUARANTINE_PATH", &q.quarantine_path),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (OsString::from(k), OsString::from(v))))
    .collect()
}

/// What a push is scanned with.
struct PushRules {
    rules: Arc<RuleSet>,
    allowlist: PathAllowlist,
}

impl From<&EffectiveRules> for PushRules {
    fn from(e: &EffectiveRules) -> Self {
        PushRules {
            rules: e.rules.clone(),
            allowlist: e.allowlist.clone(),
        }
    }
}

/// How the scan of a push ended.
enum Outcome {
    Scanned(PushScan),
    Failed(String),
    TimedOut(Duration),
}

impl SecretScanPolicy {
    /// Scans the push off the runtime, under the time budget, with the blob cache of its
    /// rule set: a pushed file already scanned (by any repository's push or branch scan) is
    /// looked up, not scanned again.
    async fn scan(state: &Core, push: &PushContext, rules: PushRules, budget: Duration) -> Outcome {
        let cancel = Arc::new(AtomicBool::new(false));
        let limits = *rules.rules.limits();
        let reader = PushReader::new(&push.repository_path, quarantine_env(push))
            .program(&push.git_program)
            .cancel_flag(cancel.clone())
            .file_limits(
                limits.binary_sniff_len,
                limits.max_file_size.saturating_add(1),
            );
        let updates = push.updates.clone();
        let flag = cancel.clone();
        let fingerprint = rules_source::fingerprint(&rules.rules, &rules.allowlist);
        let lasting = Lasting::open(state, fingerprint).await;
        let state = state.clone();
        let task = tokio::task::spawn_blocking(move || {
            let cache = state.scans().cache().for_rules(fingerprint, lasting);
            scan_push(
                &reader,
                &updates,
                &rules.rules,
                &rules.allowlist,
                &flag,
                Some(&cache),
            )
        });
        match tokio::time::timeout(budget, task).await {
            Err(_) => {
                // Stops the scan and its git processes within a line; its result is dropped.
                cancel.store(true, Ordering::Relaxed);
                Outcome::TimedOut(budget)
            }
            Ok(Ok(Ok(scan))) => Outcome::Scanned(scan),
            Ok(Ok(Err(ScanError::Cancelled))) => Outcome::TimedOut(budget),
            Ok(Ok(Err(e))) => Outcome::Failed(e.to_string()),
            Ok(Err(e)) => Outcome::Failed(format!("internal error: {e}")),
        }
    }
}

/// The per-repository configuration file (SPEC 4).
const CONFIG_FILE: &str = rules::REPO_CONFIG_FILE;

/// Runs `git <args>` in the repository, seeing the quarantined objects; `None` when git fails
/// (e.g. the path does not exist at that commit).
async fn git_output(push: &PushContext, args: &[&str]) -> Option<Vec<u8>> {
    let out = push.git().args(args).output().await.ok()?;
    out.status.success().then_some(out.stdout)
}

/// The default branch's update in this push, if any (deletions excluded).
fn default_branch_update(push: &PushContext) -> Option<&keywarden_git::RefUpdate> {
    let name = format!("refs/heads/{}", push.repository.default_branch);
    push.updates
        .iter()
        .find(|u| u.name == name && !u.is_delete())
}

/// The `soteri-security.yml` files that decide this push's rules: `(old, new)`, the file at
/// the current default branch tip and, when the push updates the default branch, the file at the
/// pushed tip (else the same as `old`). `None` when there is no such file (or no default branch
/// yet: a push that creates the default branch is compared with the global configuration).
async fn repository_configs(push: &PushContext) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let current = format!(
        "refs/heads/{}:{CONFIG_FILE}",
        push.repository.default_branch
    );
    let old = git_output(push, &["cat-file", "blob", &current]).await;
    match default_branch_update(push) {
        Some(u) => {
            let old = if u.is_create() { None } else { old };
            let pushed = format!("{}:{CONFIG_FILE}", u.new);
            (old, git_output(push, &["cat-file", "blob", &pushed]).await)
        }
        None => (old.clone(), old),
    }
}

/// The audit details of a weakening: what the change takes away, in three lists.
fn weakening_json(w: &keywarden_engine::Weakening) -> serde_json::Value {
    json!({
        "rulesNoLongerApplied": w.rules_no_longer_applied,
        "allowlistPathsAdded": w.allowlist_paths_added,
        "inheritTurnedOff": w.inherit_turned_off,
    })
}

/// The pusher's note about a weakening change of the configuration file.
fn weakening_note(w: &keywarden_engine::Weakening) -> String {
    let mut parts = Vec::new();
    if !w.rules_no_longer_applied.is_empty() {
        parts.push(format!(
            "rules no longer applied: {}",
            w.rules_no_longer_applied.join(", ")
        ));
    }
    if !w.allowlist_paths_added.is_empty() {
        parts.push(format!(
            "allowlist_paths added: {}",
            w.allowlist_paths_added
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !w.inherit_turned_off.is_empty() {
        parts.push(format!("turned off: {}", w.inherit_turned_off.join(", ")));
    }
    format!(
        "Keywarden: note: this push weakens {CONFIG_FILE} ({}); the change applies from the next push on, and this push is scanned with the stronger of the old and new configuration.",
        parts.join("; ")
    )
}

/// Whether the push changes `soteri-security.yml` on the default branch: the audit details,
/// or `None`. One git process; run alongside the scan.
async fn config_change(push: &PushContext) -> Option<serde_json::Value> {
    let update = default_branch_update(push)?;
    let changed = if update.is_create() {
        git_output(
            push,
            &["ls-tree", "--name-only", &update.new, "--", CONFIG_FILE],
        )
        .await?
    } else {
        git_output(
            push,
            &[
                "diff-tree",
                "--name-only",
                "-r",
                &update.old,
                &update.new,
                "--",
                CONFIG_FILE,
            ],
        )
        .await?
    };
    (!changed.is_empty()).then(|| {
        json!({
            "file": CONFIG_FILE,
            "branch": update.name,
            "from": update.old,
            "to": update.new,
        })
    })
}

fn audit<'a>(push: &'a PushContext, action: &'a str, details: serde_json::Value) -> Audit<'a> {
    Audit {
        user: Some(&push.pusher.name),
        action,
        project: Some(&push.project.key),
        repository: Some(&push.repository.slug),
        details,
    }
}

fn refs(push: &PushContext) -> Vec<&str> {
    push.updates.iter().map(|u| u.name.as_str()).collect()
}

#[async_trait]
impl PushPolicy for SecretScanPolicy {
    /// The hook process runs only where the hook is on (settings unreadable: it runs, and
    /// `pre_receive` rejects).
    async fn wants_pre_receive(
        &self,
        state: &Core,
        project: &keywarden_store::Project,
        repository: &keywarden_store::Repository,
    ) -> bool {
        let Ok(settings) = SecuritySettings::load(state.store()).await else {
            return true;
        };
        hook_settings::for_repository(state, &settings, project, repository)
            .await
            .map_or(true, |h| h.enabled)
    }

    async fn pre_receive(&self, state: &Core, push: &PushContext) -> Verdict {
        let repo = format!("{}/{}", push.project.key, push.repository.slug);
        let settings = match SecuritySettings::load(state.store()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(repository = %repo, error = %e, "settings unreadable; push rejected");
                return Verdict::reject(
                    "Keywarden: push rejected: the security settings could not be read. Try again, or ask an administrator.",
                );
            }
        };
        let hook = match hook_settings::for_repository(
            state,
            &settings,
            &push.project,
            &push.repository,
        )
        .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(repository = %repo, error = %e, "hook settings unreadable; push rejected");
                return Verdict::reject(
                    "Keywarden: push rejected: the security hook settings could not be read. Try again, or ask an administrator.",
                );
            }
        };
        if !hook.enabled {
            tracing::debug!(repository = %repo, decided_by = ?hook.decided_by, "security hook off");
            return Verdict::accept();
        }
        let started = Instant::now();
        let rules = async {
            let (old, new) = if settings.per_repository_rules {
                repository_configs(push).await
            } else {
                (None, None)
            };
            let effective = rules::effective_rules_for_change(
                state,
                &push.repository,
                old.as_deref(),
                new.as_deref(),
            )
            .await?;
            let reviewed = rules::reviewed(state, push.repository.id).await?;
            Ok::<_, crate::CoreError>((effective, reviewed))
        };
        let (effective, reviewed) = match rules.await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(repository = %repo, error = %e, "rules unreadable; push rejected");
                return Verdict::reject(
                    "Keywarden: push rejected: the secret scanning rules could not be loaded. Try again, or ask an administrator.",
                );
            }
        };
        let budget = Duration::from_secs(settings.hook_timeout_seconds.max(1));
        let (outcome, config_changed) = tokio::join!(
            Self::scan(state, push, PushRules::from(effective.as_ref()), budget),
            config_change(push)
        );
        let mut scan = match outcome {
            Outcome::Scanned(scan) => scan,
            Outcome::Failed(e) => {
                tracing::warn!(repository = %repo, pusher = %push.pusher.name, error = %e, "push could not be scanned; rejected");
                audit(
                    push,
                    action::PUSH_BLOCKED,
                    json!({"reason": "SCAN_FAILED", "error": e, "refs": refs(push)}),
                )
                .record(state)
                .await;
                return Verdict::reject(format!(
                    "Keywarden: push rejected: it could not be scanned for secrets ({e}). Try again, or ask an administrator."
                ));
            }
            Outcome::TimedOut(budget) => {
                return self.timed_out(state, push, &settings, budget).await;
            }
        };
        let push_settings = PushSettings {
            warn_only: hook.warn,
            allow_bypass: settings.allow_bypass,
            bypass_reason: None,
        }
        .with_push_options(&push.push_options);
        scan.apply_thresholds(settings.thresholds());
        for f in &mut scan.findings {
            f.reviewed = reviewed.contains(&f.rule_name, f.line.match_text());
        }
        let mut notes = Vec::new();
        if let Some(error) = &effective.config_error {
            notes.push(format!(
                "Keywarden: note: {} is invalid and was ignored (the global rules apply): {error}",
                rules::REPO_CONFIG_FILE
            ));
        }
        for warning in &effective.warnings {
            notes.push(format!(
                "Keywarden: note: {}: {warning}",
                rules::REPO_CONFIG_FILE
            ));
        }
        if !effective.weakening.is_empty() {
            notes.push(weakening_note(&effective.weakening));
        }
        if !scan.budget_exceeded.is_empty() {
            let names = match rules::record_budget_exceeded(
                state,
                &effective.rules,
                &scan.budget_exceeded,
                push.repository.id,
            )
            .await
            {
                Ok(names) => names,
                Err(e) => {
                    tracing::warn!(repository = %repo, error = %e, "recording matching budget overruns");
                    scan.budget_exceeded
                        .iter()
                        .filter(|&&i| i < effective.rules.len())
                        .map(|&i| effective.rules.rule(i).name.clone())
                        .collect()
                }
            };
            notes.push(format!(
                "Keywarden: note: rule(s) {} exceeded their matching budget on some line and were skipped on that line only.",
                names.join(", ")
            ));
        }
        let mut verdict = decide(&scan, &push_settings);
        if !notes.is_empty() {
            notes.append(&mut verdict.messages);
            verdict.messages = notes;
        }
        let weakened =
            (!effective.weakening.is_empty()).then(|| weakening_json(&effective.weakening));
        self.audit_decision(
            state,
            push,
            &scan,
            &push_settings,
            verdict.accept,
            weakened.as_ref(),
        )
        .await;
        if let (true, Some(mut details)) = (verdict.accept, config_changed) {
            if let Some(w) = weakened {
                details["weakened"] = w;
                details["weakeningAppliesFrom"] = json!("next push");
            }
            audit(push, action::REPOSITORY_CONFIG_CHANGED, details)
                .record(state)
                .await;
        }
        // Counts and rule names only: never a secret in the log.
        let rules: Vec<&str> = scan.findings.iter().map(|f| f.rule_name.as_str()).collect();
        tracing::info!(
            repository = %repo,
            pusher = %push.pusher.name,
            commits = scan.commits.len(),
            findings = scan.findings.len(),
            blocking = scan.blocking().count(),
            skipped_commits = scan.skipped_commits.len(),
            warn_only = hook.warn,
            bypass = push_settings.bypass_reason.is_some(),
            accepted = verdict.accept,
            elapsed_ms = started.elapsed().as_millis() as u64,
            rules = ?rules,
            "push scanned"
        );
        verdict
    }
}

impl SecretScanPolicy {
    /// Past the time budget: reject (fail closed) or, with `hookFailOpen`, accept with a
    /// warning. Audited either way.
    async fn timed_out(
        &self,
        state: &Core,
        push: &PushContext,
        settings: &SecuritySettings,
        budget: Duration,
    ) -> Verdict {
        let seconds = budget.as_secs();
        tracing::warn!(
            repository = %format!("{}/{}", push.project.key, push.repository.slug),
            pusher = %push.pusher.name,
            budget_s = seconds,
            fail_open = settings.hook_fail_open,
            "push scan ran out of time"
        );
        let details =
            json!({"reason": "TIMEOUT", "hookTimeoutSeconds": seconds, "refs": refs(push)});
        if settings.hook_fail_open {
            audit(push, action::PUSH_FAILED_OPEN, details)
                .record(state)
                .await;
            // The pushed branches are scanned once the push has landed.
            for u in push.updates.iter().filter(|u| !u.is_delete()) {
                if let Some(branch) = u.name.strip_prefix("refs/heads/") {
                    crate::scans::enqueue_after_push(
                        state,
                        push.repository.id,
                        branch,
                        &u.new,
                        keywarden_store::ScanReason::Hook,
                    );
                }
            }
            Verdict {
                accept: true,
                messages: vec![
                    format!("Keywarden: WARNING: the secret scan did not finish within {seconds} s; the push was let through unscanned (hookFailOpen)."),
                    "Keywarden: this is recorded in the audit log, and the pushed branches will be scanned in the background.".to_string(),
                ],
            }
        } else {
            audit(push, action::PUSH_BLOCKED, details)
                .record(state)
                .await;
            Verdict::reject(format!(
                "Keywarden: push rejected: the secret scan did not finish within {seconds} s (hookTimeoutSeconds). Push fewer commits at a time, or ask an administrator to raise the limit."
            ))
        }
    }

    /// Audit events for bypasses and blocked pushes.
    async fn audit_decision(
        &self,
        state: &Core,
        push: &PushContext,
        scan: &PushScan,
        push_settings: &PushSettings,
        accepted: bool,
        config_weakened: Option<&serde_json::Value>,
    ) {
        let rule_names = |commits: &[&str]| {
            let mut names: Vec<&str> = scan
                .blocking()
                .filter(|f| commits.contains(&f.commit.as_str()))
                .map(|f| f.rule_name.as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        };
        if push_settings.allow_bypass && !scan.skipped_commits.is_empty() {
            audit(
                push,
                action::PUSH_BYPASSED,
                json!({
                    "bypass": "COMMIT_MESSAGE",
                    "reason": keywarden_scanner::SKIP_MARKER,
                    "commits": scan.skipped_commits,
                    "refs": refs(push),
                }),
            )
            .record(state)
            .await;
        }
        let blocking_commits = scan.blocking_commits();
        if accepted {
            if let (true, Some(reason)) = (push_settings.allow_bypass, &push_settings.bypass_reason)
            {
                audit(
                    push,
                    action::PUSH_BYPASSED,
                    json!({
                        "bypass": "PUSH_OPTION",
                        "reason": reason,
                        "commits": scan.commits,
                        "commitsWithFindings": blocking_commits,
                        "findings": scan.blocking().count(),
                        "rules": rule_names(&blocking_commits),
                        "warnOnly": push_settings.warn_only,
                        "refs": refs(push),
                    }),
                )
                .record(state)
                .await;
            }
        } else {
            let mut details = json!({
                "reason": "SECRETS",
                "commits": blocking_commits,
                "findings": scan.blocking().count(),
                "rules": rule_names(&blocking_commits),
                "bypassRefused": push_settings.bypass_reason.is_some() || (!push_settings.allow_bypass && !scan.skipped_commits.is_empty()),
                "refs": refs(push),
            });
            if let Some(w) = config_weakened {
                details["configWeakened"] = w.clone();
            }
            audit(push, action::PUSH_BLOCKED, details)
                .record(state)
                .await;
        }
    }
}
