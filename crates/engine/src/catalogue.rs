//! The built-in rule catalogue: TOML files under `rules/`, embedded at build time.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::validate::Validator;

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// One built-in rule as written in a catalogue file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique UPPER_SNAKE name, e.g. `AWS_CLIENT_ID`.
    pub name: String,
    /// Display category, e.g. "Cloud", "Private keys", "Generic".
    pub category: String,
    /// What the rule finds and why it matters.
    pub description: String,
    /// The regex (Rust `regex` syntax). The match (group 0) is the reported secret text. Empty
    /// for the rule of syntax candidates.
    #[serde(default)]
    pub regex: String,
    /// The rule's matches are the engine's syntax candidates ([`crate::candidates`]), scored
    /// by the trained model; `regex` and `keywords` are then unused (the candidates' own words
    /// are the prefilter's).
    #[serde(default)]
    pub candidates: bool,
    /// Literal keywords for the prefilter (matched ASCII case-insensitively). A line reaches the
    /// regex only if one of them occurs in it.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Keywords must occur with exactly their case (e.g. base64 prefixes such as `MTA`, which
    /// folded to `mta` would occur in every other line of text).
    #[serde(default)]
    pub keywords_case_sensitive: bool,
    /// Why the rule has no keywords, when it has none (it then runs on every line).
    #[serde(default)]
    pub no_keywords_reason: Option<String>,
    /// Other names accepted for this rule by the enable/disable API (e.g. `RSA`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The capture group holding the secret proper, for the checks below: the first group
    /// numbered at least this that took part in the match (0 = the whole match). Alternatives
    /// with one group each can so share one setting.
    #[serde(default)]
    pub secret_group: usize,
    /// Minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// A checksum the secret must satisfy.
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Characters that must not come right before the match (the `regex` crate has no
    /// look-behind): e.g. `"+/"` so a token is not taken from inside a longer base64 run.
    #[serde(default)]
    pub not_after: Option<String>,
    /// Characters that must not come right after the match.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Reject placeholder and environment-reference values (generic rules).
    #[serde(default)]
    pub filter_placeholders: bool,
    /// The secret's body follows the match (a key after its constant header): the reported
    /// match is widened to cover it.
    #[serde(default)]
    pub body: Option<crate::body::Body>,
    /// Lines the rule must find (each a whole line of text).
    pub positive: Vec<String>,
    /// Lines the rule must not find.
    pub negative: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleDef>,
}

/// Parses one catalogue file.
pub(crate) fn parse_rule_file(name: &str, text: &str) -> Result<Vec<RuleDef>, String> {
    toml::from_str::<RuleFile>(text)
        .map(|f| f.rules)
        .map_err(|e| format!("rule file {name}: {e}"))
}

/// The built-in catalogue, in catalogue order (file name order, then order within the file).
///
/// # Panics
///
/// Panics if an embedded rule file is malformed; the test suite parses every file, so a build
/// that passed its tests never does.
pub fn builtin_rules() -> &'static [RuleDef] {
    static RULES: OnceLock<Vec<RuleDef>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut all = Vec::new();
        for (name, text) in RULE_FILES {
            match parse_rule_file(name, text) {
                Ok(rules) => all.extend(rules),
                Err(e) => panic!("{e}"),
            }
        }
        all
    })
}

/// Finds a built-in rule by name or alias (exact, case-sensitive).
pub fn find_builtin(name: &str) -> Option<&'static RuleDef> {
    builtin_rules()
        .iter()
        .find(|r| r.name == name || r.aliases.iter().any(|a| a == name))
}

#[cfg(test)]
pub(crate) fn rule_files() -> &'static [(&'static str, &'static str)] {
    RULE_FILES
}
