//! Property tests: arbitrary bytes never panic; offsets always slice to the match.

use keywarden_engine::{LineMemo, Rule, RuleSet, builtin_rules};
use proptest::prelude::*;
use std::sync::OnceLock;

fn catalogue() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut rules: Vec<Rule> = builtin_rules().iter().map(Rule::from_def).collect();
        rules.push(Rule::custom(
            "PLANT",
            r"plant_[a-z0-9]{8}",
            true,
            keywarden_engine::RuleOrigin::RepoCustom,
        ));
        RuleSet::compile(rules).unwrap()
    })
}

fn check_offsets(set: &RuleSet, data: &[u8]) {
    let scan = set.scan(data);
    for f in &scan.findings {
        let chars: Vec<char> = f.text.chars().collect();
        assert!(f.start <= f.end && (f.end as usize) <= chars.len());
        let m: String = chars[f.start as usize..f.end as usize].iter().collect();
        assert_eq!(m, f.match_text());
        assert!(!m.is_empty());
        if f.truncated {
            assert_eq!(f.start, 0);
            assert_eq!(f.end as usize, chars.len());
        }
    }
    let mut lines: Vec<u32> = scan.findings.iter().map(|f| f.line).collect();
    let n = lines.len();
    lines.dedup();
    assert_eq!(lines.len(), n, "at most one finding per line");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check_offsets(catalogue(), &data);
    }

    #[test]
    fn planted_secret_is_found_at_any_offset(
        prefix in "[^\n\x00]{0,1200}",
        suffix in "[^\n\x00]{0,40}",
        secret in "[a-z0-9]{8}",
        before in proptest::collection::vec("[ -~]{0,80}", 0..5),
    ) {
        let mut text = before.join("\n");
        if !before.is_empty() { text.push('\n'); }
        let line_no = before.len() as u32 + 1;
        text.push_str(&format!("{prefix} plant_{secret} {suffix}"));
        let scan = catalogue().scan(text.as_bytes());
        check_offsets(catalogue(), text.as_bytes());
        // Some finding on the planted line (an earlier rule may win, but the line is reported).
        prop_assert!(scan.findings.iter().any(|f| f.line == line_no), "{:?}", scan.findings);
    }

    #[test]
    fn memo_scans_find_what_plain_scans_find(
        base in proptest::collection::vec("[ -~]{0,60}", 1..40),
        edits in proptest::collection::vec((0usize..40, "[ -~]{0,60}"), 1..8),
        secret in "[a-z0-9]{8}",
    ) {
        // Versions of one file: each edits a few lines of the previous one; some plant a secret.
        let mut memo = LineMemo::new(1000);
        let mut lines = base.clone();
        for (i, (at, text)) in edits.iter().enumerate() {
            let at = at % lines.len();
            lines[at] = if i % 2 == 0 { format!("{text} plant_{secret}") } else { text.clone() };
            let blob = lines.join("\n");
            let plain = catalogue().scan(blob.as_bytes());
            let memo_scan = catalogue().scan_memo(blob.as_bytes(), &mut memo);
            prop_assert_eq!(plain, memo_scan);
        }
    }
}
