//! `soteri-security.yml`, per-repository rules (SPEC section 4), and the effective rule set.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

use crate::catalogue::builtin_rules;
use crate::rule::{Rule, RuleOrigin};

/// Why a `soteri-security.yml` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("soteri-security.yml is invalid: {message}")]
pub struct ConfigError {
    /// What is wrong, with the YAML parser's location when it has one.
    pub message: String,
}

/// A boolean flag of the file: only the YAML booleans `true` and `false`, unquoted. A quoted
/// `"no"` or a YAML 1.1 `off` is refused rather than guessed.
#[derive(Debug, Clone, Copy)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`true` or `false` (unquoted)")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// The raw document: every key optional, null meaning the default.
#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    inherit_builtin_rules: Option<Flag>,
    inherit_custom_rules: Option<Flag>,
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
    /// Parses the file's text. An empty document is the default configuration. Errors (the file
    /// is not used): invalid YAML, a wrong type, an inherit flag that is not `true` or `false`,
    /// a `custom_rules` regex that does not compile or matches the empty string, an
    /// `allowlist_paths` entry that is neither a regex nor a glob. Warnings (the file is used):
    /// unknown keys, unknown built-in rule names, `allowlist_paths` entries used as globs.
    pub fn parse(text: &str) -> Result<RepoConfig, ConfigError> {
        if text.trim().is_empty() {
            return Ok(RepoConfig::default());
        }
        let keys: Option<BTreeMap<String, serde::de::IgnoredAny>> =
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| ConfigError {
                message: format!("the document must be a mapping of keys: {}", one_line(&e)),
            })?;
        let Some(keys) = keys else {
            return Ok(RepoConfig::default());
        };
        let raw: RawConfig =
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| ConfigError {
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
        let custom_rules: Vec<(String, String)> =
            raw.custom_rules.unwrap_or_default().into_iter().collect();
        for (name, regex) in &custom_rules {
            crate::check_custom_regex(name, regex).map_err(|e| ConfigError {
                message: format!("custom_rules `{name}`: {e}"),
            })?;
        }
        let allowlist_paths = raw.allowlist_paths.unwrap_or_default();
        for e in &allowlist_paths {
            if regex::Regex::new(e).is_err()
                && let Err(err) = globset::Glob::new(e)
            {
                return Err(ConfigError {
                    message: format!(
                        "allowlist_paths entry `{e}` is neither a regex nor a glob ({err})"
                    ),
                });
            }
        }
        Ok(RepoConfig {
            inherit_builtin_rules: raw.inherit_builtin_rules.is_none_or(|f| f.0),
            inherit_custom_rules: raw.inherit_custom_rules.is_none_or(|f| f.0),
            rules,
            custom_rules,
            allowlist_paths,
            warnings,
        })
    }
}

/// YAML 1.2 booleans only: `yes`, `no`, `on`, `off` are strings, not flags.
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options
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

/// What a change of `soteri-security.yml` takes away from scanning (SPEC 5): such a change
/// applies from the next push on, and the pusher and the audit log are told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Weakening {
    /// Rules the old configuration applied and the new one does not (by name).
    pub rules_no_longer_applied: Vec<String>,
    /// `allowlist_paths` entries the new configuration adds.
    pub allowlist_paths_added: Vec<String>,
    /// Inherit flags on in the old configuration and off in the new one.
    pub inherit_turned_off: Vec<String>,
}

impl Weakening {
    /// True when the change takes nothing away.
    pub fn is_empty(&self) -> bool {
        self.rules_no_longer_applied.is_empty()
            && self.allowlist_paths_added.is_empty()
            && self.inherit_turned_off.is_empty()
    }
}

/// The rules for a push that changes the repository configuration from `old` to `new` (each
/// the effective rules of that configuration, with the parsed file when it was valid; `None`
/// is the global configuration): the stronger of the two, so what the change adds applies at
/// once and what it takes away only from the next push on. Rules: every rule of either (in
/// matching order: built-ins in catalogue order, global custom rules by id, then repository
/// custom rules, the new file's first); allowlist: a path is allowlisted only if both allowlist
/// it. The inherit flags need no merging: a flag on in either side already brought its rules.
/// Warnings are the new file's. Returns the rules and what the change takes away.
pub fn stronger_rules(
    old: EffectiveRules,
    old_config: Option<&RepoConfig>,
    new: EffectiveRules,
    new_config: Option<&RepoConfig>,
) -> (EffectiveRules, Weakening) {
    let same = |a: &Rule, b: &Rule| a.name == b.name && a.regex == b.regex && a.origin == b.origin;
    let mut weakening = Weakening::default();
    let mut rules = new.rules;
    for r in old.rules {
        if !rules.iter().any(|n| same(n, &r)) {
            if !weakening.rules_no_longer_applied.contains(&r.name) {
                weakening.rules_no_longer_applied.push(r.name.clone());
            }
            rules.push(r);
        }
    }
    let catalogue = builtin_rules();
    let order = |r: &Rule| match r.origin {
        RuleOrigin::Builtin => (
            0,
            catalogue
                .iter()
                .position(|d| d.name == r.name)
                .unwrap_or(usize::MAX) as i64,
        ),
        RuleOrigin::GlobalCustom(id) => (1, id),
        RuleOrigin::RepoCustom => (2, 0),
    };
    rules.sort_by_key(order);
    let default = RepoConfig::default();
    let (o, n) = (
        old_config.unwrap_or(&default),
        new_config.unwrap_or(&default),
    );
    weakening.allowlist_paths_added = n
        .allowlist_paths
        .iter()
        .filter(|e| !o.allowlist_paths.contains(e))
        .cloned()
        .collect();
    for (key, was, is) in [
        (
            "inherit_builtin_rules",
            o.inherit_builtin_rules,
            n.inherit_builtin_rules,
        ),
        (
            "inherit_custom_rules",
            o.inherit_custom_rules,
            n.inherit_custom_rules,
        ),
    ] {
        if was && !is {
            weakening.inherit_turned_off.push(key.to_string());
        }
    }
    let merged = EffectiveRules {
        rules,
        allowlist: PathAllowlist::both(new.allowlist, old.allowlist),
        warnings: new.warnings,
    };
    (merged, weakening)
}

/// `allowlist_paths`: regexes matched anywhere in the repository-relative path; an entry that is
/// not a valid regex is tried as a glob.
#[derive(Debug, Clone, Default)]
pub struct PathAllowlist {
    regexes: Vec<regex::Regex>,
    globs: Option<globset::GlobSet>,
    /// Allowlists that must also match (see [`PathAllowlist::both`]).
    also: Vec<PathAllowlist>,
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
        (
            PathAllowlist {
                regexes,
                globs,
                also: Vec::new(),
            },
            warnings,
        )
    }

    /// The allowlist of paths that both `a` and `b` allowlist.
    pub fn both(a: PathAllowlist, b: PathAllowlist) -> PathAllowlist {
        let mut a = a;
        a.also.push(b);
        a
    }

    /// Whether findings in `path` are allowlisted.
    pub fn matches(&self, path: &str) -> bool {
        (self.regexes.iter().any(|r| r.is_match(path))
            || self.globs.as_ref().is_some_and(|g| g.is_match(path)))
            && self.also.iter().all(|a| a.matches(path))
    }

    /// True when no path can match.
    pub fn is_empty(&self) -> bool {
        (self.regexes.is_empty() && self.globs.is_none()) || self.also.iter().any(|a| a.is_empty())
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
    fn flags_are_yaml_booleans_only() {
        for ok in ["true", "false", "True", "FALSE"] {
            let cfg = RepoConfig::parse(&format!("inherit_builtin_rules: {ok}\n")).unwrap();
            assert_eq!(cfg.inherit_builtin_rules, ok.eq_ignore_ascii_case("true"));
        }
        for bad in [
            "\"no\"",
            "'off'",
            "no",
            "off",
            "yes",
            "on",
            "\"false\"",
            "0",
            "n",
        ] {
            for key in ["inherit_builtin_rules", "inherit_custom_rules"] {
                let err = RepoConfig::parse(&format!("{key}: {bad}\n")).unwrap_err();
                assert!(err.message.contains("true"), "{key}: {bad}: {err}");
            }
        }
        // Strings elsewhere stay strings.
        let cfg = RepoConfig::parse("allowlist_paths: [no, 'off']\n").unwrap();
        assert_eq!(cfg.allowlist_paths, ["no", "off"]);
    }

    #[test]
    fn unusable_regexes_and_allowlist_entries_are_errors() {
        for (doc, needle) in [
            ("custom_rules:\n  BAD: '(unclosed'\n", "BAD"),
            ("custom_rules:\n  EMPTY: 'x*'\n", "empty string"),
            ("custom_rules:\n  LOOK: '(?=a)'\n", "empty string"),
            ("custom_rules:\n  NONE: ''\n", "NONE"),
            ("allowlist_paths:\n  - '[z-a'\n", "allowlist_paths"),
        ] {
            let err = RepoConfig::parse(doc).unwrap_err();
            assert!(err.message.contains(needle), "{doc}: {err}");
        }
        // A glob that is not a regex is used, with a warning.
        let cfg = RepoConfig::parse("allowlist_paths: ['*.md']\n").unwrap();
        let eff = effective_rules(|_| true, &[], Some(&cfg));
        assert!(eff.allowlist.matches("a/README.md"));
        assert_eq!(eff.warnings.len(), 1, "{:?}", eff.warnings);
    }

    #[test]
    fn stronger_of_two_configurations() {
        let customs = vec![CustomRuleDef {
            id: 7,
            name: "CORP".into(),
            regexp: "corp_[0-9]{6}".into(),
            enabled: true,
            blocking: true,
        }];
        let enabled = |n: &str| n != "RSA_PRIVATE_KEY";
        let old = RepoConfig::parse(
            "rules: [RSA_PRIVATE_KEY]\ncustom_rules:\n  MINE: 'mine_[0-9]{6}'\nallowlist_paths: ['^docs/']\n",
        )
        .unwrap();
        let new = RepoConfig::parse(
            "inherit_builtin_rules: false\ninherit_custom_rules: false\nallowlist_paths: ['.*']\ncustom_rules:\n  NEW: 'new_[0-9]{6}'\n",
        )
        .unwrap();
        let (merged, weakening) = stronger_rules(
            effective_rules(enabled, &customs, Some(&old)),
            Some(&old),
            effective_rules(enabled, &customs, Some(&new)),
            Some(&new),
        );
        let names: Vec<&str> = merged.rules.iter().map(|r| r.name.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(names.contains(&"AWS_CLIENT_ID"));
        assert!(pos("AWS_CLIENT_ID") < pos("RSA_PRIVATE_KEY"));
        assert!(pos("RSA_PRIVATE_KEY") < pos("CORP"));
        assert!(pos("CORP") < pos("NEW") && pos("NEW") < pos("MINE"));
        assert!(merged.allowlist.matches("docs/a.txt"));
        assert!(!merged.allowlist.matches("src/a.txt"));
        assert_eq!(weakening.allowlist_paths_added, [".*"]);
        assert_eq!(
            weakening.inherit_turned_off,
            ["inherit_builtin_rules", "inherit_custom_rules"]
        );
        for gone in ["AWS_CLIENT_ID", "RSA_PRIVATE_KEY", "CORP", "MINE"] {
            assert!(
                weakening.rules_no_longer_applied.iter().any(|n| n == gone),
                "{gone}: {weakening:?}"
            );
        }
        assert!(!weakening.rules_no_longer_applied.iter().any(|n| n == "NEW"));
        // Strengthening takes nothing away; against no file, the global set is the old side.
        let stronger =
            RepoConfig::parse("rules: [RSA_PRIVATE_KEY]\ncustom_rules:\n  MINE: 'mine_[0-9]{6}'\n")
                .unwrap();
        let (merged, weakening) = stronger_rules(
            effective_rules(enabled, &customs, None),
            None,
            effective_rules(enabled, &customs, Some(&stronger)),
            Some(&stronger),
        );
        assert!(weakening.is_empty(), "{weakening:?}");
        assert!(merged.rules.iter().any(|r| r.name == "MINE"));
        // An allowlist added to no file is a weakening, and applies to no path yet.
        let (merged, weakening) = stronger_rules(
            effective_rules(enabled, &customs, None),
            None,
            effective_rules(enabled, &customs, Some(&old)),
            Some(&old),
        );
        assert_eq!(weakening.allowlist_paths_added, ["^docs/"]);
        assert!(weakening.rules_no_longer_applied.is_empty());
        assert!(merged.allowlist.is_empty());
        assert!(!merged.allowlist.matches("docs/a.txt"));
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
