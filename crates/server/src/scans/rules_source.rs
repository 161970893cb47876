//! Where scans get their rules and reviewed findings: the one swap point between the scan
//! machinery and the rules module.
//!
//! For now the rules are the built-in catalogue, compiled once per file-size limit, with no
//! per-repository configuration, and nothing is reviewed. When the rules module lands
//! (`crate::rules::effective_rules` and `crate::rules::reviewed`), only the bodies of
//! [`effective`] and [`reviewed`] change.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use keywarden_engine::{PathAllowlist, Rule, RuleSet, ScanLimits, builtin_rules};
use keywarden_store::Repository;
use sha2::{Digest, Sha256};

use crate::settings::SecuritySettings;
use crate::state::AppState;

/// The rules a scan of one repository runs with.
#[derive(Clone)]
pub struct ScanRules {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Paths whose findings are allowlisted.
    pub allowlist: Arc<PathAllowlist>,
    /// A problem with the repository's configuration, shown with the result.
    pub config_error: Option<String>,
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
    /// Compiles `rules` with `limits` (rules that do not compile are left out and named in
    /// `config_error`).
    pub fn compile(rules: Vec<Rule>, limits: ScanLimits, allowlist: PathAllowlist) -> Self {
        let identity = identity(&rules, &limits);
        let (set, errors) = RuleSet::compile_lenient(rules, limits);
        let config_error = (!errors.is_empty()).then(|| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        });
        ScanRules {
            rules: Arc::new(set),
            allowlist: Arc::new(allowlist),
            config_error,
            identity,
        }
    }

    /// [`ScanRules::identity`] as stored with each scan.
    pub fn identity_text(&self) -> String {
        format!("{:016x}", self.identity)
    }

    /// The names of the rules, in matching order.
    pub fn names(&self) -> Vec<String> {
        self.rules.rules().map(|r| r.name.clone()).collect()
    }
}

/// A stable digest of what decides a blob's findings: every rule's definition and the limits.
fn identity(rules: &[Rule], limits: &ScanLimits) -> u64 {
    let mut h = Sha256::new();
    for r in rules {
        h.update(format!("{r:?}\u{0}").as_bytes());
    }
    h.update(format!("{limits:?}").as_bytes());
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The built-in catalogue compiled for one file-size limit, reused while the limit stays.
static BUILTIN: Mutex<Option<(u64, ScanRules)>> = Mutex::new(None);

/// The rules in force for a scan of `repository` (swap point: global toggles, custom rules
/// and `soteri-security.yml` come from the rules module).
pub async fn effective(state: &AppState, _repository: &Repository) -> crate::ApiResult<ScanRules> {
    let settings = SecuritySettings::load(state.store()).await?;
    let max = settings.max_file_size;
    let mut cached = BUILTIN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((size, rules)) = cached.as_ref()
        && *size == max
    {
        return Ok(rules.clone());
    }
    let limits = ScanLimits {
        max_file_size: max,
        ..ScanLimits::default()
    };
    let rules = ScanRules::compile(
        builtin_rules().iter().map(Rule::from_def).collect(),
        limits,
        PathAllowlist::default(),
    );
    *cached = Some((max, rules.clone()));
    Ok(rules)
}

/// Findings marked reviewed: by rule name and match text, or by match text for any rule.
#[derive(Debug, Clone, Default)]
pub struct ReviewedSet {
    pairs: HashSet<(String, String)>,
    any_rule: HashSet<String>,
}

impl ReviewedSet {
    /// A set from `(rule name or None, match text)` entries.
    pub fn new(entries: impl IntoIterator<Item = (Option<String>, String)>) -> Self {
        let mut set = ReviewedSet::default();
        for (rule, text) in entries {
            match rule {
                Some(rule) => {
                    set.pairs.insert((rule, text));
                }
                None => {
                    set.any_rule.insert(text);
                }
            }
        }
        set
    }

    /// Whether a finding of `rule` matching `match_text` is reviewed.
    pub fn contains(&self, rule: &str, match_text: &str) -> bool {
        self.any_rule.contains(match_text)
            || self
                .pairs
                .contains(&(rule.to_string(), match_text.to_string()))
    }
}

/// The findings reviewed for a repository (swap point: repository and global reviewed
/// findings come from the rules module).
pub async fn reviewed(_state: &AppState, _repository_id: i64) -> crate::ApiResult<ReviewedSet> {
    Ok(ReviewedSet::default())
}
