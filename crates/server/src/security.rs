//! The security hook's decision on a push: scan what it adds with the built-in rules and block
//! or warn (SPEC 5).
//!
//! The scanning itself is `keywarden_scanner::scan_push` (commits newly reachable, each by the
//! lines it adds, read from the receive quarantine); this adapter runs it off the async runtime
//! and turns its decision into the hook's [`Verdict`]. A push that cannot be scanned is
//! rejected with a message saying so (fail closed), never let through silently.
//!
//! Not here yet (the security hook issue): per-repository and per-project hook settings and the
//! global `hookMode`, warn mode, custom rules and `soteri-security.yml`, reviewed findings,
//! `allowBypass`, the time budget, and audit events. Until then the hook is on for every
//! repository, in blocking mode, with bypasses allowed.

use std::ffi::OsString;
use std::sync::Arc;

use async_trait::async_trait;
use keywarden_engine::{PathAllowlist, Rule, RuleSet, builtin_rules};
use keywarden_git::PushReader;
use keywarden_scanner::{PushPolicy as Policy, decide, scan_push};

use crate::hook::{PushContext, PushPolicy, Verdict};
use crate::state::AppState;

/// Scans pushes with the built-in rules.
pub struct SecurityPolicy {
    rules: Arc<RuleSet>,
}

impl std::fmt::Debug for SecurityPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityPolicy")
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl SecurityPolicy {
    /// Every built-in rule, compiled once (regexes are built on first use).
    pub fn builtin() -> Self {
        let rules = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect())
            .expect("the built-in catalogue compiles (tested)");
        SecurityPolicy {
            rules: Arc::new(rules),
        }
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

#[async_trait]
impl PushPolicy for SecurityPolicy {
    async fn pre_receive(&self, _state: &AppState, push: &PushContext) -> Verdict {
        let reader =
            PushReader::new(&push.repository_path, quarantine_env(push)).program(&push.git_program);
        let updates: Vec<keywarden_git::RefUpdate> = push
            .updates
            .iter()
            .map(|u| keywarden_git::RefUpdate {
                old: u.old.clone(),
                new: u.new.clone(),
                name: u.name.clone(),
            })
            .collect();
        let rules = self.rules.clone();
        let scanned = tokio::task::spawn_blocking(move || {
            scan_push(&reader, &updates, &rules, &PathAllowlist::default())
        })
        .await;
        let repo = format!("{}/{}", push.project.key, push.repository.slug);
        let scan = match scanned {
            Ok(Ok(scan)) => scan,
            Ok(Err(e)) => {
                tracing::warn!(repository = %repo, pusher = %push.pusher.name, error = %e, "push could not be scanned; rejected");
                return Verdict::reject(format!(
                    "Keywarden: push rejected: it could not be scanned for secrets ({e}). Try again, or ask an administrator."
                ));
            }
            Err(e) => {
                tracing::error!(repository = %repo, error = %e, "push scan task failed; rejected");
                return Verdict::reject(
                    "Keywarden: push rejected: it could not be scanned for secrets (internal error).",
                );
            }
        };
        let policy = Policy {
            warn_only: false,
            allow_bypass: true,
            bypass_reason: None,
        }
        .with_push_options(&push.push_options);
        let decision = decide(&scan, &policy);
        // Counts and rule names only: never a secret in the log.
        let rules: Vec<&str> = scan.findings.iter().map(|f| f.rule_name.as_str()).collect();
        tracing::info!(
            repository = %repo,
            pusher = %push.pusher.name,
            commits = scan.commits.len(),
            findings = scan.findings.len(),
            blocking = scan.blocking().count(),
            skipped_commits = scan.skipped_commits.len(),
            bypass = policy.bypass_reason.is_some(),
            accepted = decision.accept,
            rules = ?rules,
            "push scanned"
        );
        Verdict {
            accept: decision.accept,
            messages: decision.messages,
        }
    }
}
