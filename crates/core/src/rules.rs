//! The rules in force for a repository, and its reviewed findings: what the security hook and
//! the scans call (SPEC 3, 4).
//!
//! * [`effective_rules`]: the global configuration (built-in toggles, enabled global custom
//!   rules without a validation error, `maxFileSize`) combined with the repository's
//!   `soteri-security.yml` when the `perRepositoryRules` setting is on; compiled once and cached
//!   by (configuration generation, file hash), so a push does not recompile 300 rules.
//! * [`effective_rules_for_change`]: for a push that changes the file on the default branch,
//!   the stronger of the old and the new file, and what the change takes away.
//! * [`read_repo_config`]: the `soteri-security.yml` at the root of the default branch tip.
//! * [`reviewed`]: the repository's and the global reviewed match texts, as a [`ReviewedSet`].
//! * [`record_budget_exceeded`] / [`record_rule_budget_overrun`]: a global custom rule that ran
//!   out of its backtracking budget on a line is skipped on that line; the overrun is stored, and
//!   only overruns in [`BUDGET_DISABLE_REPOSITORIES`] repositories within 24 hours give it a
//!   validation error ([`disable_rule_for_budget`]), which leaves it out until cleared.
//! * [`rule_types`]: every rule name available to a repository, disabled ones included.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use keywarden_engine::{
    CustomRuleDef, PathAllowlist, RepoConfig, RuleOrigin, RuleSet, ScanLimits, Weakening,
    builtin_rules,
};
use keywarden_store::Repository;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::Core;
use crate::audit::{Audit, action};
use crate::error::{CoreError, CoreResult};
use crate::settings::{self, SecuritySettings};

/// The name of the per-repository configuration file, at the repository root.
pub const REPO_CONFIG_FILE: &str = "soteri-security.yml";

/// The settings key of the counter bumped by every change to the global reviewed entries.
pub const REVIEWED_GENERATION_KEY: &str = "reviewed_generation";

/// The rules in force for one repository under one configuration generation.
#[derive(Debug)]
pub struct EffectiveRules {
    /// The compiled rules, in matching order (built-ins in catalogue order, then global custom
    /// rules, then repository custom rules). [`keywarden_engine::Rule::origin`] tells a global
    /// custom rule's id (for [`record_budget_exceeded`]).
    pub rules: Arc<RuleSet>,
    /// `allowlist_paths` of the repository's file (empty without one): findings in matching
    /// paths are allowlisted.
    pub allowlist: PathAllowlist,
    /// Why the repository's `soteri-security.yml` was not used (invalid YAML or a wrong type);
    /// the global configuration applies then. Shown as the scan result's `configError`.
    pub config_error: Option<String>,
    /// Non-fatal problems to show with the scan result: unknown keys, unknown rule names,
    /// `allowlist_paths` entries used as globs, and rules left out because their regex does not
    /// compile or matches the empty string.
    pub warnings: Vec<String>,
    /// The configuration generation these rules were computed under; a scan stores it and is
    /// outdated once [`crate::settings::generation`] moves past it.
    pub generation: i64,
    /// Whether a `soteri-security.yml` was given and applied (valid, `perRepositoryRules` on).
    pub repo_config_applied: bool,
    /// For a push that changes `soteri-security.yml` ([`effective_rules_for_change`]): what the
    /// change takes away, which applies from the next push on. Empty otherwise.
    pub weakening: Weakening,
}

/// Cache of compiled rule sets and of the global reviewed entries (one per server state).
#[derive(Default)]
pub struct RulesCache {
    rules: Mutex<RuleEntries>,
    global_reviewed: Mutex<Option<(i64, Arc<HashSet<String>>)>>,
}

#[derive(Default)]
struct RuleEntries {
    generation: i64,
    by_config: HashMap<Option<[u8; 32]>, Arc<EffectiveRules>>,
}

/// At most this many distinct `soteri-security.yml` variants are kept per generation.
const MAX_CACHED_CONFIGS: usize = 256;

impl std::fmt::Debug for RulesCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulesCache").finish_non_exhaustive()
    }
}

/// The rules in force for `repo`, given the content of its `soteri-security.yml` (from
/// [`read_repo_config`], or `None` when the file is absent). The file is ignored unless the
/// `perRepositoryRules` setting is on. Cached by (configuration generation, file hash): cheap to
/// call for every push and scan.
pub async fn effective_rules(
    state: &Core,
    repo: &Repository,
    config_yml: Option<&[u8]>,
) -> CoreResult<Arc<EffectiveRules>> {
    effective_rules_for_change(state, repo, config_yml, config_yml).await
}

/// The rules for a push that changes `repo`'s `soteri-security.yml` on its default branch from
/// `old_yml` (the current default branch tip's; `None` when absent or when the push creates the
/// default branch) to `new_yml` (the pushed tip's): the stronger of the two
/// ([`keywarden_engine::stronger_rules`]), so what the change adds applies to this push and what
/// it takes away ([`EffectiveRules::weakening`]) only from the next one. Equal files are
/// [`effective_rules`]. Cached like it.
pub async fn effective_rules_for_change(
    state: &Core,
    repo: &Repository,
    old_yml: Option<&[u8]>,
    new_yml: Option<&[u8]>,
) -> CoreResult<Arc<EffectiveRules>> {
    let _ = repo; // the result depends only on the files and the global configuration
    let store = state.store();
    let generation = settings::generation(store).await?;
    let settings = SecuritySettings::load(store).await?;
    let on = settings.per_repository_rules;
    let (old_yml, new_yml) = (old_yml.filter(|_| on), new_yml.filter(|_| on));
    let key = if old_yml == new_yml {
        new_yml.map(|y| -> [u8; 32] { Sha256::digest(y).into() })
    } else {
        let mut h = Sha256::new();
        for y in [old_yml, new_yml] {
            match y {
                Some(y) => {
                    h.update([1]);
                    h.update((y.len() as u64).to_le_bytes());
                    h.update(y);
                }
                None => h.update([0]),
            }
        }
        Some(h.finalize().into())
    };
    if let Some(hit) = cached(state, generation, &key) {
        return Ok(hit);
    }
    let states: HashMap<String, bool> = store.builtin_rule_states().await?.into_iter().collect();
    let customs: Vec<CustomRuleDef> = store
        .list_custom_rules()
        .await?
        .into_iter()
        .filter(|r| r.validation_error.is_none())
        .map(|r| CustomRuleDef {
            id: r.id,
            name: r.name,
            regexp: r.regexp,
            enabled: r.enabled,
            blocking: r.blocking,
        })
        .collect();
    let limits = ScanLimits {
        max_file_size: settings.max_file_size,
        ..ScanLimits::default()
    };
    let change = (old_yml != new_yml).then(|| yml_owned(old_yml));
    let new_yml = yml_owned(new_yml);
    let computed = tokio::task::spawn_blocking(move || {
        compute(&states, &customs, change, new_yml, limits, generation)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("compiling rules: {e}")))?;
    let computed = Arc::new(computed);
    let mut entries = state
        .rules_cache()
        .rules
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if entries.generation != generation || entries.by_config.len() >= MAX_CACHED_CONFIGS {
        entries.generation = generation;
        entries.by_config.clear();
    }
    entries.by_config.insert(key, computed.clone());
    Ok(computed)
}

fn yml_owned(yml: Option<&[u8]>) -> Option<Vec<u8>> {
    yml.map(<[u8]>::to_vec)
}

fn cached(state: &Core, generation: i64, key: &Option<[u8; 32]>) -> Option<Arc<EffectiveRules>> {
    let entries = state
        .rules_cache()
        .rules
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    (entries.generation == generation)
        .then(|| entries.by_config.get(key).cloned())
        .flatten()
}

/// A file's parsed configuration and its error, if any.
fn parsed(yml: Option<&[u8]>) -> (Option<RepoConfig>, Option<String>) {
    match yml.map(parse_repo_config) {
        None => (None, None),
        Some(Ok(cfg)) => (Some(cfg), None),
        Some(Err(e)) => (None, Some(e)),
    }
}

/// Builds the effective rules (pure, no I/O; the server runs it on a blocking thread, and
/// `keywarden scan` calls it so that a repository's file means the same on both): from the
/// built-in toggles `states` (a name missing is enabled), the global custom rules `customs`
/// and the file `yml` (`None`: absent), or with `change = Some(old)`, the stronger of `old`
/// and `yml` ([`keywarden_engine::stronger_rules`]). An invalid `yml` is left out and named in
/// [`EffectiveRules::config_error`]; an invalid `old` is treated as absent.
pub fn compute(
    states: &HashMap<String, bool>,
    customs: &[CustomRuleDef],
    change: Option<Option<Vec<u8>>>,
    yml: Option<Vec<u8>>,
    limits: ScanLimits,
    generation: i64,
) -> EffectiveRules {
    let (config, config_error) = parsed(yml.as_deref());
    let enabled = |name: &str| states.get(name).copied().unwrap_or(true);
    let mut eff = keywarden_engine::effective_rules(enabled, customs, config.as_ref());
    let mut weakening = Weakening::default();
    if let Some(old) = change {
        let (old_config, _) = parsed(old.as_deref());
        let old_eff = keywarden_engine::effective_rules(enabled, customs, old_config.as_ref());
        (eff, weakening) =
            keywarden_engine::stronger_rules(old_eff, old_config.as_ref(), eff, config.as_ref());
    }
    let (set, errors) = RuleSet::compile_lenient(eff.rules, limits);
    let mut warnings = eff.warnings;
    warnings.extend(errors.iter().map(|e| format!("{e}; the rule is skipped")));
    EffectiveRules {
        rules: Arc::new(set),
        allowlist: eff.allowlist,
        config_error,
        warnings,
        generation,
        repo_config_applied: config.is_some(),
        weakening,
    }
}

/// Parses a `soteri-security.yml`; the error is a message for the scan result and the UI.
pub fn parse_repo_config(yml: &[u8]) -> Result<RepoConfig, String> {
    let text = std::str::from_utf8(yml)
        .map_err(|_| format!("{REPO_CONFIG_FILE} is invalid: the file is not UTF-8"))?;
    RepoConfig::parse(text).map_err(|e| e.to_string())
}

/// The content of `soteri-security.yml` at the root of the repository's default branch tip;
/// `None` when the branch or the file does not exist.
pub async fn read_repo_config(state: &Core, repo: &Repository) -> CoreResult<Option<Vec<u8>>> {
    let path = state.config().repository_path(&repo.disk_name);
    let branch = repo.default_branch.clone();
    tokio::task::spawn_blocking(move || -> Result<Option<Vec<u8>>, String> {
        let git = keywarden_git::Repo::open(&path).map_err(|e| e.to_string())?;
        let Ok(tip) = git.resolve_commit(&format!("refs/heads/{branch}")) else {
            return Ok(None);
        };
        git.root_file(tip, REPO_CONFIG_FILE)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| CoreError::Internal(format!("reading {REPO_CONFIG_FILE}: {e}")))?
    .map_err(|e| CoreError::Internal(format!("reading {REPO_CONFIG_FILE}: {e}")))
}

/// [`read_repo_config`] then [`effective_rules`]: the rules in force for the repository now.
pub async fn effective_rules_for(
    state: &Core,
    repo: &Repository,
) -> CoreResult<Arc<EffectiveRules>> {
    let settings = SecuritySettings::load(state.store()).await?;
    let yml = if settings.per_repository_rules {
        read_repo_config(state, repo).await?
    } else {
        None
    };
    effective_rules(state, repo, yml.as_deref()).await
}

/// Every rule name available to the repository, disabled ones included (SPEC 4,
/// `GET .../scan/{p}/rule_types/{r}`): the built-in catalogue, every global custom rule, and the
/// custom rules of its `soteri-security.yml` when `perRepositoryRules` is on and the file is
/// valid. Each name once, in that order.
pub async fn rule_types(state: &Core, repo: &Repository) -> CoreResult<Vec<String>> {
    let mut names: Vec<String> = builtin_rules().iter().map(|r| r.name.clone()).collect();
    names.extend(
        state
            .store()
            .list_custom_rules()
            .await?
            .into_iter()
            .map(|r| r.name),
    );
    let settings = SecuritySettings::load(state.store()).await?;
    if settings.per_repository_rules
        && let Some(yml) = read_repo_config(state, repo).await?
        && let Ok(cfg) = parse_repo_config(&yml)
    {
        names.extend(cfg.custom_rules.into_iter().map(|(n, _)| n));
    }
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

/// The match texts reviewed for one repository and globally.
#[derive(Debug, Clone, Default)]
pub struct ReviewedSet {
    repository: HashSet<String>,
    global: Arc<HashSet<String>>,
}

impl ReviewedSet {
    /// Whether a finding with this match text (group 0, see
    /// [`keywarden_engine::LineFinding::match_text`]) is reviewed. The match text alone is the
    /// key (SPEC 3): the rule name stored with an entry is informational and does not narrow it.
    pub fn contains(&self, rule_name: &str, match_text: &str) -> bool {
        let _ = rule_name;
        self.repository.contains(match_text) || self.global.contains(match_text)
    }

    /// Number of entries (repository and global; a text in both counts twice).
    pub fn len(&self) -> usize {
        self.repository.len() + self.global.len()
    }

    /// True when nothing is reviewed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A digest of the reviewed texts. A scan's vulnerability count depends on them, so a scan
    /// records it with its rule identity: marking or unmarking a finding makes the stored
    /// count outdated and the next scan request runs again (blobs still come from the cache).
    pub fn digest(&self) -> String {
        let mut all: Vec<&str> = self
            .repository
            .iter()
            .chain(self.global.iter())
            .map(String::as_str)
            .collect();
        all.sort_unstable();
        all.dedup();
        let mut h = Sha256::new();
        for t in all {
            h.update(t.as_bytes());
            h.update([0]);
        }
        let d = h.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The reviewed match texts that apply to a repository. The global entries are cached until
/// they change.
pub async fn reviewed(state: &Core, repository_id: i64) -> CoreResult<ReviewedSet> {
    let store = state.store();
    let repository = store
        .list_repository_reviewed(repository_id)
        .await?
        .into_iter()
        .map(|e| e.match_text)
        .collect();
    let generation = store
        .setting(REVIEWED_GENERATION_KEY)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let cached = {
        let g = state
            .rules_cache()
            .global_reviewed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        g.as_ref()
            .filter(|(at, _)| *at == generation)
            .map(|(_, set)| set.clone())
    };
    let global = match cached {
        Some(set) => set,
        None => {
            let set: Arc<HashSet<String>> = Arc::new(
                store
                    .list_global_reviewed()
                    .await?
                    .into_iter()
                    .map(|e| e.match_text)
                    .collect(),
            );
            *state
                .rules_cache()
                .global_reviewed
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some((generation, set.clone()));
            set
        }
    };
    Ok(ReviewedSet { repository, global })
}

/// Marks the global reviewed entries as changed (call after every change to them).
pub async fn bump_reviewed_generation(state: &Core) -> CoreResult<()> {
    state
        .store()
        .increment_setting(REVIEWED_GENERATION_KEY, 1)
        .await?;
    Ok(())
}

/// A global custom rule is disabled for its budget only after it ran out of it in this many
/// distinct repositories within [`BUDGET_WINDOW_MS`]: one long line in one repository skips the
/// rule on that line only, and cannot switch it off for everybody.
pub const BUDGET_DISABLE_REPOSITORIES: i64 = 3;

/// The window of [`BUDGET_DISABLE_REPOSITORIES`]: 24 hours.
pub const BUDGET_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The validation error given to a rule disabled for its budget.
pub fn budget_error_message(limits: &ScanLimits) -> String {
    format!(
        "The rule exceeded its matching budget ({} backtracking steps on one line) in \
         {BUDGET_DISABLE_REPOSITORIES} or more repositories within 24 hours and is skipped until \
         this error is cleared; simplify its look-around or back-references.",
        limits.backtrack_limit
    )
}

/// Disables a global custom rule for its budget: it gets a `validationError`, is left out of
/// [`effective_rules`] until the error is cleared (`PUT .../rules/{id}`), and the event is
/// audited. [`record_rule_budget_overrun`] calls it once the overruns form the pattern of
/// [`BUDGET_DISABLE_REPOSITORIES`]. Unknown ids and rules that already have an error are left
/// alone. Returns whether the rule was disabled now.
pub async fn disable_rule_for_budget(state: &Core, rule_id: i64) -> CoreResult<bool> {
    let store = state.store();
    let Some(rule) = store.custom_rule(rule_id).await? else {
        return Ok(false);
    };
    if rule.validation_error.is_some() {
        return Ok(false);
    }
    let counts = budget_counts(state).await?.remove(&rule_id);
    let message = budget_error_message(&ScanLimits::default());
    store.set_custom_rule_error(rule_id, Some(&message)).await?;
    settings::bump_generation(store).await?;
    tracing::warn!(rule.id = rule_id, rule.name = %rule.name, "custom rule exceeded its matching budget in several repositories; skipped until cleared");
    Audit {
        user: None,
        action: action::RULE_CHANGED,
        project: None,
        repository: None,
        details: json!({
            "ruleId": rule_id,
            "name": rule.name,
            "change": "budgetExceeded",
            "validationError": message,
            "budgetExceededRepositories": counts.as_ref().map_or(0, |c| c.repositories),
            "budgetExceededTimes": counts.as_ref().map_or(0, |c| c.times),
        }),
    }
    .record(state)
    .await;
    Ok(true)
}

/// A global custom rule ran out of its matching budget on some line of a scan or a push of
/// `repository_id`: the rule was skipped on that line only. The overrun is stored; when the
/// rule has now overrun in [`BUDGET_DISABLE_REPOSITORIES`] distinct repositories within
/// [`BUDGET_WINDOW_MS`], it is disabled ([`disable_rule_for_budget`]). Returns whether it was
/// disabled now. Unknown ids and rules that already have an error are left alone.
pub async fn record_rule_budget_overrun(
    state: &Core,
    rule_id: i64,
    repository_id: i64,
) -> CoreResult<bool> {
    let store = state.store();
    match store.custom_rule(rule_id).await? {
        Some(rule) if rule.validation_error.is_none() => {}
        _ => return Ok(false),
    }
    let now = keywarden_store::now_millis();
    store
        .add_rule_budget_event(rule_id, repository_id, now)
        .await?;
    let repositories = store
        .rule_budget_counts(now - BUDGET_WINDOW_MS)
        .await?
        .into_iter()
        .find(|c| c.rule_id == rule_id)
        .map_or(0, |c| c.repositories);
    tracing::info!(
        rule.id = rule_id,
        repository.id = repository_id,
        repositories,
        "custom rule exceeded its matching budget on a line; skipped on that line"
    );
    if repositories >= BUDGET_DISABLE_REPOSITORIES {
        return disable_rule_for_budget(state, rule_id).await;
    }
    Ok(false)
}

/// The budget overrun counters of every custom rule that has any, by rule id; the repositories
/// counted are those of the last [`BUDGET_WINDOW_MS`].
pub async fn budget_counts(
    state: &Core,
) -> CoreResult<HashMap<i64, keywarden_store::RuleBudgetCounts>> {
    let since = keywarden_store::now_millis() - BUDGET_WINDOW_MS;
    Ok(state
        .store()
        .rule_budget_counts(since)
        .await?
        .into_iter()
        .map(|c| (c.rule_id, c))
        .collect())
}

/// For a scan or a push of `repository_id`: given the rule set it ran with and the indices of
/// the rules that ran out of their budget on some line
/// ([`keywarden_engine::BlobScan::budget_exceeded`]), records the global custom ones with
/// [`record_rule_budget_overrun`] and returns the names of all of them (repository custom rules
/// included), for the scan result and the pusher to say which rules were skipped on some line.
pub async fn record_budget_exceeded(
    state: &Core,
    rules: &RuleSet,
    indices: &[usize],
    repository_id: i64,
) -> CoreResult<Vec<String>> {
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    for &i in indices {
        if i >= rules.len() || !seen.insert(i) {
            continue;
        }
        let rule = rules.rule(i);
        if let RuleOrigin::GlobalCustom(id) = rule.origin {
            record_rule_budget_overrun(state, id, repository_id).await?;
        }
        names.push(rule.name.clone());
    }
    Ok(names)
}
