//! Where scans get their rules and reviewed findings: the rules module's effective rules for
//! the repository (global toggles, custom rules, `soteri-security.yml` from the default branch
//! tip) with an identity for the blob cache, and its reviewed match texts.

use std::sync::Arc;

use keywarden_engine::{PathAllowlist, RuleSet};
use keywarden_store::Repository;
use sha2::{Digest, Sha256};

use crate::Core;
pub use crate::rules::ReviewedSet;

/// The rules a scan of one repository runs with.
#[derive(Clone)]
pub struct ScanRules {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Paths whose findings are allowlisted.
    pub allowlist: Arc<PathAllowlist>,
    /// A problem with the repository's configuration, shown with the result.
    pub config_error: Option<String>,
    /// Non-fatal problems of the repository's configuration, shown with the result.
    pub config_warnings: Vec<String>,
    /// Identifies the rule set and limits: the blob cache's key. Equal identities find equal
    /// findings in equal blobs.
    pub identity: u64,
}

impl std::fmt::Debug for ScanRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanRules")
            .field("rules", &self.rules.len())
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl ScanRules {
    /// [`ScanRules::identity`] as text.
    pub fn identity_text(&self) -> String {
        fingerprint_text(self.identity)
    }

    /// What a scan's result depends on, stored with each scan: the rule identity and the
    /// reviewed texts (they decide the vulnerability count).
    pub fn result_identity(&self, reviewed: &ReviewedSet) -> String {
        format!("{}-{}", self.identity_text(), reviewed.digest())
    }

    /// The names of the rules, in matching order.
    pub fn names(&self) -> Vec<String> {
        self.rules.rules().map(|r| r.name.clone()).collect()
    }
}

/// A stable digest of what decides a blob's findings: the engine's build, every rule's
/// definition, the limits and the path allowlist. Toggling a rule off and on again gives the
/// same fingerprint (cache hits).
pub fn fingerprint(rules: &RuleSet, allowlist: &PathAllowlist) -> u64 {
    let mut h = Sha256::new();
    h.update(keywarden_engine::ENGINE_DIGEST.as_bytes());
    for r in rules.rules() {
        h.update(format!("{r:?}\u{0}").as_bytes());
    }
    h.update(format!("{:?}", rules.limits()).as_bytes());
    h.update(format!("{allowlist:?}").as_bytes());
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// [`fingerprint`] as the store keeps it.
pub fn fingerprint_text(fingerprint: u64) -> String {
    format!("{fingerprint:016x}")
}

/// The rules in force for a scan of `repository`.
pub async fn effective(state: &Core, repository: &Repository) -> crate::CoreResult<ScanRules> {
    let e = crate::rules::effective_rules_for(state, repository).await?;
    let allowlist = e.allowlist.clone();
    let identity = fingerprint(&e.rules, &allowlist);
    Ok(ScanRules {
        rules: e.rules.clone(),
        allowlist: Arc::new(allowlist),
        config_error: e.config_error.clone(),
        config_warnings: e.warnings.clone(),
        identity,
    })
}

/// The findings reviewed for a repository (its own and the global reviewed match texts).
pub async fn reviewed(state: &Core, repository_id: i64) -> crate::CoreResult<ReviewedSet> {
    crate::rules::reviewed(state, repository_id).await
}
