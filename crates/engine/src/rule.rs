//! A rule ready to compile: built-in, global custom, or repository custom.

use crate::body::Body;
use crate::catalogue::RuleDef;
use crate::keywords::derive_keywords;
use crate::validate::Validator;

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// The built-in catalogue ("hardcoded").
    Builtin,
    /// A global custom rule, with its id.
    GlobalCustom(i64),
    /// A custom rule of a repository's `soteri-security.yml`.
    RepoCustom,
}

/// Extra checks a match must pass before it counts, applied to the secret group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// Capture group holding the secret: the first participating group numbered at least this
    /// (0 = whole match).
    pub secret_group: usize,
    /// Minimum Shannon entropy, bits per character.
    pub min_entropy: Option<f64>,
    /// Checksum to verify.
    pub validator: Option<Validator>,
    /// Reject placeholders and environment references.
    pub filter_placeholders: bool,
    /// Characters that must not come right before the match.
    pub not_after: Option<String>,
    /// Characters that must not come right after the match.
    pub not_before: Option<String>,
    /// The match is a constant header and the secret's body follows it.
    pub body: Option<Body>,
    /// The confidence of a match is the trained scorer's, not 1: generic rules, passwords in
    /// URLs and connection strings, password hashes (no provider format, no checksum).
    pub scored: bool,
    /// The rule's matches are the syntax candidates ([`crate::candidates`]); its regex is unused.
    pub candidates: bool,
}

/// A rule as the engine takes it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule name, reported with each finding.
    pub name: String,
    /// The regex source.
    pub regex: String,
    /// Prefilter keywords. Empty: the rule runs on every line.
    pub keywords: Vec<String>,
    /// Keywords must occur with exactly this case (else ASCII case is ignored).
    pub keywords_case_sensitive: bool,
    /// Whether a finding of this rule blocks a push.
    pub blocking: bool,
    /// Where the rule comes from.
    pub origin: RuleOrigin,
    /// Extra checks.
    pub checks: Checks,
}

impl Rule {
    /// A built-in rule from its catalogue definition. Built-ins always block (at or above the
    /// block threshold of their findings' confidence).
    pub fn from_def(def: &RuleDef) -> Rule {
        let keywords = match def.candidates {
            true => crate::candidates::LINE_WORDS
                .iter()
                .map(|w| w.to_string())
                .collect(),
            false => def.keywords.clone(),
        };
        Rule {
            name: def.name.clone(),
            regex: def.regex.clone(),
            keywords,
            keywords_case_sensitive: def.keywords_case_sensitive,
            blocking: true,
            origin: RuleOrigin::Builtin,
            checks: Checks {
                secret_group: def.secret_group,
                min_entropy: def.min_entropy,
                validator: def.validator,
                filter_placeholders: def.filter_placeholders,
                not_after: def.not_after.clone(),
                not_before: def.not_before.clone(),
                body: def.body,
                scored: def.candidates
                    || matches!(
                        def.category.as_str(),
                        "Generic" | "Connection strings" | "Password hashes"
                    ),
                candidates: def.candidates,
            },
        }
    }

    /// A custom rule (the vendor's Java-flavoured regex). Keywords are derived from the regex's
    /// literal prefixes when it has usable ones; otherwise the rule runs on every line.
    pub fn custom(name: &str, regex: &str, blocking: bool, origin: RuleOrigin) -> Rule {
        Rule {
            name: name.to_string(),
            regex: regex.to_string(),
            keywords: derive_keywords(regex),
            keywords_case_sensitive: false,
            blocking,
            origin,
            checks: Checks::default(),
        }
    }
}

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The regex does not compile in either engine.
    #[error("rule {name}: the regular expression does not compile: {message}")]
    Syntax {
        /// Rule name.
        name: String,
        /// The parser's message.
        message: String,
    },
    /// The regex matches the empty string, which would flag every line.
    #[error(
        "rule {name}: the regular expression matches the empty string; make it require at least one character"
    )]
    MatchesEmpty {
        /// Rule name.
        name: String,
    },
    /// The regex compiles but is too large for the engine's limits.
    #[error("rule {name}: the regular expression is too large: {message}")]
    TooLarge {
        /// Rule name.
        name: String,
        /// The compiler's message.
        message: String,
    },
}
