//! `soteri-security.yml`, per-repository rules (SPEC section 4), and the effective rule set.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::catalogue::builtin_rules;
use crate::rule::{Rule, RuleOrigin};

/// Why a `soteri-security.yml` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("soteri-security.yml is invalid: {message}")]
pub struct ConfigError {
    /// What is wrong, with the YAML parser's location when it has one.
    pub message: String,
}

/// The raw document: every key optional, null meaning the default.
#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    inherit_builtin_rules: Option<bool>,
    inherit_custom_rules: Option<bool>,
    rules: Option<Vec<String>>,
    custom_rules: Option<IndexMap<String, String>>,
    allowlist_paths: Option<Vec<String>>,
}

const KNOWN_KEYS: &[&str] = &[
    "inherit_builtin_rules",
    "inherit_custom_rules",
    "rules",
    "custom_rules",
    "allowlist_paths",
];

/// A parsed, valid `soteri-security.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoConfig {
    /// Start from the globally enabled built-in rules (default true).
    pub inherit_builtin_rules: bool,
    /// Start from the globally enabled custom rules (default true).
    pub inherit_custom_rules: bool,
    /// Built-in rule names that always apply to this repository.
    pub rules: Vec<String>,
    /// Repository custom rules, name -> regex, in document order.
    pub custom_rules: Vec<(String, String)>,
    /// Path allowlist entries (regexes; invalid ones are tried as globs).
    pub allowlist_paths: Vec<String>,
    /// Non-fatal problems: unknown keys, unknown rule names.
    pub warnings: Vec<String>,
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            inherit_builtin_rules: true,
            inherit_custom_rules: true,
            rules: Vec::new(),
            custom_rules: Vec::new(),
            allowlist_paths: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl RepoConfig {
    /// Parses the file's text. An empty document is the default configuration.
    pub fn parse(text: &str) -> Result<RepoConfig, ConfigError> {
        if text.trim().is_empty() {
            return Ok(RepoConfig::default());
        }
        let keys: Option<BTreeMap<String, serde::de::IgnoredAny>> = serde_saphyr::from_str(text)
            .map_err(|e| ConfigError {
                message: format!("the document must be a mapping of keys: {}", one_line(&e)),
            })?;
        let Some(keys) = keys else {
            return Ok(RepoConfig::default());
        };
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| ConfigError {
            message: one_line(&e),
        })?;
        let mut warnings: Vec<String> = keys
            .keys()
            .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
            .map(|k| format!("unknown key `{k}` ignored"))
            .collect();
        let rules = raw.rules.unwrap_or_default();
        for r in &rules {
            if crate::find_builtin(r).is_none() {
                warnings.push(format!("`rules` names `{r}`, which is not a built-in rule"));
            }
        }
        Ok(RepoConfig {
            inherit_builtin_rules: raw.inherit_builtin_rules.unwrap_or(true),
            inherit_custom_rules: raw.inherit_custom_rules.unwrap_or(true),
            rules,
            custom_rules: raw.custom_rules.unwrap_or_default().into_iter().collect(),
            allowlist_paths: raw.allowlist_paths.unwrap_or_default(),
            warnings,
        })
    }
}

/// The parser's message on one line (it may add a multi-line source snippet).
fn one_line(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// A global custom rule as stored by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRuleDef {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its regex (Java flavour).
    pub regexp: String,
    /// Enabled globally.
    pub enabled: bool,
    /// Blocks pushes (else warn-only).
    pub blocking: bool,
}

/// The rules in force for one repository, in matching order, and the path allowlist.
#[derive(Debug)]
pub struct EffectiveRules {
    /// Built-ins in catalogue order, then global customs, then repository customs.
    pub rules: Vec<Rule>,
    /// Paths whose findings are allowlisted.
    pub allowlist: PathAllowlist,
    /// Non-fatal problems to show with the scan result.
    pub warnings: Vec<String>,
}

/// Computes the effective rules (SPEC 4):
/// `builtins = (inherit_builtin_rules ? globally enabled : {}) ∪ rules`;
/// `customs = (inherit_custom_rules ? globally enabled customs : {})`, overridden and extended
/// by `custom_rules`. Without a repository configuration, the global set applies.
pub fn effective_rules(
    builtin_enabled: impl Fn(&str) -> bool,
    customs: &[CustomRuleDef],
    repo: Option<&RepoConfig>,
) -> EffectiveRules {
    let default = RepoConfig::default();
    let cfg = repo.unwrap_or(&default);
    let mut rules = Vec::new();
    for def in builtin_rules() {
        let forced = cfg
            .rules
            .iter()
            .any(|n| *n == def.name || def.aliases.contains(n));
        if (cfg.inherit_builtin_rules && builtin_enabled(&def.name)) || forced {
            rules.push(Rule::from_def(def));
        }
    }
    if cfg.inherit_custom_rules {
        for c in customs.iter().filter(|c| c.enabled) {
            if cfg.custom_rules.iter().any(|(n, _)| *n == c.name) {
                continue; // overridden by the repository
            }
            rules.push(Rule::custom(
                &c.name,
                &c.regexp,
                c.blocking,
                RuleOrigin::GlobalCustom(c.id),
            ));
        }
    }
    for (name, regex) in &cfg.custom_rules {
        rules.push(Rule::custom(name, regex, true, RuleOrigin::RepoCustom));
    }
    let (allowlist, mut warnings) = PathAllowlist::new(&cfg.allowlist_paths);
    warnings.splice(0..0, cfg.warnings.iter().cloned());
    EffectiveRules {
        rules,
        allowlist,
        warnings,
    }
}

/// `allowlist_paths`: regexes matched anywhere in the repository-relative path; an entry that is
/// not a valid regex is tried as a glob.
#[derive(Debug, Clone, Default)]
pub struct PathAllowlist {
    regexes: Vec<regex::Regex>,
    globs: Option<globset::GlobSet>,
}

impl PathAllowlist {
    /// Builds the allowlist; returns warnings for entries used as globs or unusable.
    pub fn new(entries: &[String]) -> (PathAllowlist, Vec<String>) {
        let mut regexes = Vec::new();
        let mut globs = globset::GlobSetBuilder::new();
        let mut any_glob = false;
        let mut warnings = Vec::new();
        for e in entries {
            match regex::Regex::new(e) {
                Ok(re) => regexes.push(re),
                Err(_) => match globset::Glob::new(e) {
                    Ok(g) => {
                        warnings.push(format!(
                            "allowlist_paths entry `{e}` is not a valid regex; used as a glob"
                        ));
                        globs.add(g);
                        any_glob = true;
                    }
                    Err(err) => warnings.push(format!(
                        "allowlist_paths entry `{e}` is neither a regex nor a glob ({err}); ignored"
                    )),
                },
            }
        }
        let globs = any_glob.then(|| globs.build().ok()).flatten();
        (PathAllowlist { regexes, globs }, warnings)
    }

    /// Whether findings in `path` are allowlisted.
    pub fn matches(&self, path: &str) -> bool {
        self.regexes.iter().any(|r| r.is_match(path))
            || self.globs.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.globs.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_with_nulls_and_unknowns() {
        let cfg = RepoConfig::parse(
            "# comment\ninherit_builtin_rules: false\ninherit_custom_rules: ~\nrules:\n  - RSA_PRIVATE_KEY\ncustom_rules:\n  MY_TOKEN: 'mytok_[0-9a-f]{16}'\n  OTHER: 'oth_[0-9]{8}'\nallowlist_paths:\n  - '^test/'\n  - '*.md'\nsomething_else: 1\n",
        )
        .unwrap();
        assert!(!cfg.inherit_builtin_rules);
        assert!(cfg.inherit_custom_rules);
        assert_eq!(cfg.rules, vec!["RSA_PRIVATE_KEY"]);
        assert_eq!(cfg.custom_rules[0].0, "MY_TOKEN");
        assert_eq!(cfg.custom_rules[1].0, "OTHER");
        assert_eq!(cfg.warnings, vec!["unknown key `something_else` ignored"]);
        let eff = effective_rules(|_| true, &[], Some(&cfg));
        let names: Vec<_> = eff.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["RSA_PRIVATE_KEY", "MY_TOKEN", "OTHER"]);
        assert!(eff.allowlist.matches("test/fixtures/a.txt"));
        assert!(eff.allowlist.matches("README.md"));
        assert!(!eff.allowlist.matches("src/main.rs"));
        assert_eq!(eff.warnings.len(), 2, "{:?}", eff.warnings);
    }

    #[test]
    fn invalid_documents_are_errors() {
        assert!(RepoConfig::parse("rules: [unclosed").is_err());
        assert!(RepoConfig::parse("inherit_builtin_rules: maybe-not").is_err());
        assert!(RepoConfig::parse("rules: 5").is_err());
        assert!(RepoConfig::parse("- a\n- b\n").is_err());
        assert_eq!(RepoConfig::parse("").unwrap(), RepoConfig::default());
        assert_eq!(RepoConfig::parse("~").unwrap(), RepoConfig::default());
    }

    #[test]
    fn repo_custom_rule_overrides_global_one() {
        let customs = vec![
            CustomRuleDef {
                id: 1,
                name: "CORP".into(),
                regexp: "corp_[0-9]{6}".into(),
                enabled: true,
                blocking: false,
            },
            CustomRuleDef {
                id: 2,
                name: "OFF".into(),
                regexp: "off_[0-9]{6}".into(),
                enabled: false,
                blocking: true,
            },
        ];
        let cfg = RepoConfig::parse("custom_rules:\n  CORP: 'corp_[a-z]{6}'\n").unwrap();
        let eff = effective_rules(|_| false, &customs, Some(&cfg));
        assert_eq!(eff.rules.len(), 1);
        assert_eq!(eff.rules[0].regex, "corp_[a-z]{6}");
        assert_eq!(eff.rules[0].origin, RuleOrigin::RepoCustom);
        let global = effective_rules(|_| false, &customs, None);
        assert_eq!(global.rules.len(), 1);
        assert!(!global.rules[0].blocking);
    }
}
