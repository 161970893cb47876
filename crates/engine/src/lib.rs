//! Keywarden's detection engine: rules, matching and allowlisting. Pure: no I/O.
//!
//! # Semantics (SPEC section 3)
//!
//! * Text is matched **line by line**. Every enabled rule is applied to each line and every
//!   distinct match is reported. Where matches overlap, the first rule in [`RuleSet`] order wins
//!   (built-in rules in catalogue order, then global custom rules, then repository custom
//!   rules), except that a non-blocking rule's match never hides a blocking one.
//! * The match text is the whole regex match (group 0). Offsets count Unicode scalar values and
//!   the end is exclusive, so `text.chars().skip(start).take(end - start)` is the match.
//! * Lines over 1,000 characters are truncated: the finding's `text` is the match alone,
//!   `truncated` is set and the offsets are `0` and the match length.
//! * A line containing `pragma: allowlist-secret`, `pragma: allowlist secret` or
//!   `gitleaks:allow` yields an *allowlisted* finding: reported, but never blocking.
//! * Binary content (a NUL byte in the first 8 KiB) and content over the size limit are skipped
//!   and reported as skipped, never silently dropped. Invalid UTF-8 is decoded lossily.
//!
//! # Speed
//!
//! Each rule carries literal keywords. One Aho-Corasick pass (ASCII case-insensitive) over a blob
//! finds the lines where any keyword occurs, and only those lines, and only the rules whose
//! keywords occur there, reach a regex. Most bytes of ordinary source never meet a regex.
//! Custom rules get keywords derived from their regex's literal prefixes when possible.

#![deny(missing_docs)]

mod body;
mod candidates;
mod catalogue;
mod confidence;
mod config;
mod custom_regex;
mod deadline;
mod finding;
mod keywords;
mod placeholder;
mod pragma;
mod redact;
mod rule;
mod ruleset;
mod score;
mod validate;

pub use body::Body;
pub use candidates::{Candidate, Syntax, candidates, is_credential_name, name_tokens};
pub use catalogue::{RuleDef, builtin_rules, find_builtin};
pub use confidence::{
    CHECKSUM_FAILED_CONFIDENCE, DEFAULT_BLOCK_THRESHOLD, DEFAULT_REPORT_THRESHOLD,
    GENERIC_RULE_CONFIDENCE, KEY_WITHOUT_MATERIAL_CONFIDENCE, shown_confidence,
};
pub use config::{
    ConfigError, CustomRuleDef, EffectiveRules, PathAllowlist, RepoConfig, Weakening,
    effective_rules, stronger_rules,
};
pub use custom_regex::check_custom_regex;
pub use finding::{BlobScan, LineFinding, SkipReason};
pub use pragma::is_allowlisted_line;
pub use redact::{redact_secret, redact_spans};
pub use rule::{Checks, Rule, RuleError, RuleOrigin};
pub use ruleset::{LineMemo, RuleSet, ScanLimits};
pub use score::{Features, N_FEATURES, Scorer, features};
pub use validate::{Validator, shannon_entropy};

include!(concat!(env!("OUT_DIR"), "/engine_digest.rs"));
