//! Deriving prefilter keywords from a regex, for custom rules.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Literals shorter than this make poor keywords (they occur everywhere).
const MIN_KEYWORD_LEN: usize = 3;

/// Keywords such that every match of `regex` contains one of them (ASCII case-insensitively),
/// or an empty list when no such small set exists (the rule then runs on every line).
pub(crate) fn derive_keywords(regex: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::ParserBuilder::new().build().parse(regex) else {
        return Vec::new();
    };
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_total(64);
        let seq = ex.extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        if lits.is_empty() || lits.iter().any(|l| l.as_bytes().len() < MIN_KEYWORD_LEN) {
            continue;
        }
        let mut kws: Vec<String> = lits
            .iter()
            .map(|l| String::from_utf8_lossy(l.as_bytes()).to_ascii_lowercase())
            .collect();
        kws.sort();
        kws.dedup();
        return kws;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefix_becomes_keyword() {
        assert_eq!(derive_keywords(r"foo_[a-z]{10}"), vec!["foo_"]);
        assert_eq!(derive_keywords(r"(?:abc|xyz)\d+"), vec!["abc", "xyz"]);
    }

    #[test]
    fn suffix_used_when_no_prefix() {
        assert_eq!(
            derive_keywords(r"[a-z]+@example\.com"),
            vec!["@example.com"]
        );
    }

    #[test]
    fn no_keywords_for_open_patterns() {
        assert!(derive_keywords(r"[a-z]{12}").is_empty());
        assert!(derive_keywords(r"a.*b").is_empty());
    }
}
