//! Each semantic rule of SPEC section 3, on small hand-made rule sets.

use keywarden_engine::{Rule, RuleError, RuleOrigin, RuleSet, ScanLimits, SkipReason};

fn custom(name: &str, re: &str) -> Rule {
    Rule::custom(name, re, true, RuleOrigin::GlobalCustom(1))
}

fn set(rules: &[(&str, &str)]) -> RuleSet {
    RuleSet::compile(rules.iter().map(|(n, r)| custom(n, r)).collect()).unwrap()
}

#[test]
fn matching_is_per_line_with_line_numbers() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let scan = s.scan(b"first\nx = tok_abcdef\n\nsecond tok_ghijkl here\r\nlast");
    let lines: Vec<_> = scan
        .findings
        .iter()
        .map(|f| (f.line, f.match_text()))
        .collect();
    assert_eq!(lines, vec![(2, "tok_abcdef"), (4, "tok_ghijkl")]);
    // CR of a CRLF line is not part of the text.
    assert_eq!(scan.findings[1].text, "second tok_ghijkl here");
    // A match never spans lines.
    assert!(set(&[("X", r"a\sb")]).scan(b"a\nb").findings.is_empty());
}

#[test]
fn first_rule_in_order_wins_an_overlap_and_every_secret_is_reported() {
    let s = set(&[("FIRST", r"key_[0-9]{4}"), ("SECOND", r"x = key_[0-9]{4}")]);
    let scan = s.scan(b"x = key_1234 and key_5678");
    let found: Vec<_> = scan
        .findings
        .iter()
        .map(|f| (s.rule(f.rule).name.as_str(), f.match_text(), f.line))
        .collect();
    assert_eq!(
        found,
        vec![("FIRST", "key_1234", 1), ("FIRST", "key_5678", 1)]
    );
    // Different rules on one line, reported in line order.
    let s = set(&[("A", r"aaa_[0-9]{4}"), ("B", r"bbb_[0-9]{4}")]);
    let scan = s.scan(b"bbb_1111 aaa_2222");
    let found: Vec<_> = scan.findings.iter().map(|f| f.match_text()).collect();
    assert_eq!(found, vec!["bbb_1111", "aaa_2222"]);
    // In the other order the longer match wins the overlap, alone.
    let s = set(&[("SECOND", r"x = key_[0-9]{4}"), ("FIRST", r"key_[0-9]{4}")]);
    let scan = s.scan(b"x = key_1234");
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(s.rule(scan.findings[0].rule).name, "SECOND");
}

#[test]
fn a_warn_only_match_never_hides_a_blocking_one() {
    let warn = Rule::custom("WARN", r"key_[0-9]{4}", false, RuleOrigin::GlobalCustom(1));
    let block = Rule::custom("BLOCK", r"x = key_[0-9]{4}", true, RuleOrigin::RepoCustom);
    let s = RuleSet::compile(vec![warn, block]).unwrap();
    let scan = s.scan(b"x = key_1234 y = key_5678");
    let found: Vec<_> = scan
        .findings
        .iter()
        .map(|f| (s.rule(f.rule).name.as_str(), f.match_text()))
        .collect();
    assert_eq!(found, vec![("BLOCK", "x = key_1234"), ("WARN", "key_5678")]);
}

#[test]
fn the_match_is_group_zero_not_a_capture_group() {
    let s = set(&[("FB", r#"FACEBOOK\)\.setClientId\("([0-9]{15})"#)]);
    let f = &s
        .scan(br#"new Builder(FACEBOOK).setClientId("950513172001321");"#)
        .findings[0];
    assert_eq!(f.match_text(), r#"FACEBOOK).setClientId("950513172001321"#);
}

#[test]
fn offsets_count_unicode_scalar_values_end_exclusive() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let line = "πß → 日本語 😀 tok_abcdef ✓";
    let f = &s.scan(line.as_bytes()).findings[0];
    assert_eq!(f.text, line);
    let chars: Vec<char> = line.chars().collect();
    let m: String = chars[f.start as usize..f.end as usize].iter().collect();
    assert_eq!(m, "tok_abcdef");
    assert_eq!(f.start, 11); // π ß space → space 日 本 語 space 😀 space
    assert_eq!(f.end, 21);
}

#[test]
fn long_lines_are_truncated_to_the_match() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let mut line = "é".repeat(995);
    line.push_str(" tok_abcdef");
    assert!(line.chars().count() > 1000);
    let f = &s.scan(line.as_bytes()).findings[0];
    assert!(f.truncated);
    assert_eq!((f.text.as_str(), f.start, f.end), ("tok_abcdef", 0, 10));
    // Exactly 1,000 characters (2,000 bytes) is not truncated.
    let mut line = "é".repeat(989);
    line.push_str(" tok_abcdef");
    assert_eq!(line.chars().count(), 1000);
    let f = &s.scan(line.as_bytes()).findings[0];
    assert!(!f.truncated);
    assert_eq!(f.text, line);
}

#[test]
fn both_pragma_spellings_allowlist_the_line_in_any_comment_syntax() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    for (line, allow) in [
        ("x = 'tok_abcdef'  # pragma: allowlist-secret", true),
        ("x = 'tok_abcdef'  // pragma: allowlist secret", true),
        ("x = 'tok_abcdef'  /* pragma: allowlist-secret */", true),
        ("<x>tok_abcdef</x> <!-- pragma: allowlist-secret -->", true),
        (
            "x = 'tok_abcdef'  -- # pragma: allowlist-secret reviewed by ops",
            true,
        ),
        ("x = 'tok_abcdef'", false),
    ] {
        let scan = s.scan(line.as_bytes());
        assert_eq!(scan.findings.len(), 1, "{line}");
        assert_eq!(scan.findings[0].allowlisted, allow, "{line}");
    }
    // The pragma on another line does not allowlist.
    let scan = s.scan(b"# pragma: allowlist-secret\nx = 'tok_abcdef'");
    assert!(!scan.findings[0].allowlisted);
}

#[test]
fn binary_and_oversized_blobs_are_skipped_and_say_so() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let mut bin = b"tok_abcdef\n".to_vec();
    bin.push(0);
    let scan = s.scan(&bin);
    assert_eq!(scan.skipped, Some(SkipReason::Binary));
    assert!(scan.findings.is_empty());
    // A NUL after the first 8 KiB does not make it binary.
    let mut late = vec![b'a'; 9000];
    late.extend_from_slice(b"\ntok_abcdef\n\0");
    assert_eq!(s.scan(&late).skipped, None);
    assert_eq!(s.scan(&late).findings.len(), 1);

    let limits = ScanLimits {
        max_file_size: 100,
        ..ScanLimits::default()
    };
    let s = RuleSet::compile_with(vec![custom("TOK", r"tok_[a-z]{6}")], limits).unwrap();
    let big = "tok_abcdef\n".repeat(20);
    assert_eq!(s.scan(big.as_bytes()).skipped, Some(SkipReason::TooLarge));
    assert_eq!(s.scan(b"tok_abcdef").skipped, None);
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let scan = s.scan(b"\xff\xfe x = tok_abcdef \xc3");
    let f = &scan.findings[0];
    assert_eq!(f.text, "\u{fffd}\u{fffd} x = tok_abcdef \u{fffd}");
    assert_eq!(f.match_text(), "tok_abcdef");
    assert_eq!(f.start, 7);
}

#[test]
fn rules_matching_the_empty_string_are_refused() {
    for re in [r"a*", r"(?:x|)", r"\b", r"^", r"(?=a)"] {
        let err = RuleSet::compile(vec![custom("EMPTY", re)]).unwrap_err();
        assert!(matches!(err, RuleError::MatchesEmpty { .. }), "{re}: {err}");
    }
    let err = RuleSet::compile(vec![custom("BAD", r"tok_[a-z")]).unwrap_err();
    assert!(matches!(err, RuleError::Syntax { .. }));
    assert!(err.to_string().contains("BAD"));
}

#[test]
fn look_around_runs_under_a_budget() {
    // Look-ahead needs the backtracking engine.
    let s = set(&[("LA", r"tok_(?=[a-z]{6}\b)[a-z]+")]);
    assert_eq!(
        s.scan(b"x tok_abcdef y").findings[0].match_text(),
        "tok_abcdef"
    );
    assert!(s.scan(b"x tok_abcdefg y").findings.is_empty());
    // Catastrophic backtracking blows the budget: the rule is reported and skipped, the scan
    // goes on with the other rules.
    let limits = ScanLimits {
        backtrack_limit: 1_000,
        ..ScanLimits::default()
    };
    let s = RuleSet::compile_with(
        vec![
            custom("EVIL", r"((?:a|a)+)+\1b"),
            custom("TOK", r"tok_[a-z]{6}"),
        ],
        limits,
    )
    .unwrap();
    let text = format!("{}cb\nx tok_abcdef\n", "a".repeat(40));
    let scan = s.scan(text.as_bytes());
    assert_eq!(scan.budget_exceeded, vec![0]);
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(s.rule(scan.findings[0].rule).name, "TOK");
}

#[test]
fn a_rule_over_its_budget_is_skipped_on_that_line_only() {
    let limits = ScanLimits {
        backtrack_limit: 1_000,
        ..ScanLimits::default()
    };
    let s = RuleSet::compile_with(vec![custom("EVIL", r"(?=x)x((?:a|a)+)+\1b")], limits).unwrap();
    let evil = format!("x{}cb", "a".repeat(40));
    // Lines after (and before) the overrun are still matched by the same rule.
    let text = format!("xaab\n{evil}\n{evil}\nxaab\n");
    let scan = s.scan(text.as_bytes());
    assert_eq!(scan.budget_exceeded, vec![0], "reported once per blob");
    let lines: Vec<u32> = scan.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![1, 4]);
    let lines = [(1, &b"xaab"[..]), (2, evil.as_bytes()), (3, &b"xaab"[..])];
    let scan = s.scan_lines(lines);
    assert_eq!(scan.budget_exceeded, vec![0]);
    assert_eq!(
        scan.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![1, 3]
    );
}

#[test]
fn the_memo_never_remembers_a_line_where_a_rule_overran() {
    let limits = ScanLimits {
        backtrack_limit: 1_000,
        ..ScanLimits::default()
    };
    let s = RuleSet::compile_with(vec![custom("EVIL", r"(?=x)x((?:a|a)+)+\1b")], limits).unwrap();
    let evil = format!("x{}cb", "a".repeat(40));
    let mut memo = keywarden_engine::LineMemo::new(1024);
    let first = s.scan_memo(evil.as_bytes(), &mut memo);
    assert_eq!(first.budget_exceeded, vec![0]);
    // Scanned again: not skipped as clean, so the overrun is reported again.
    let again = s.scan_memo(evil.as_bytes(), &mut memo);
    assert_eq!(again.budget_exceeded, vec![0]);
    // Clean lines of the blob are remembered as before; a later blob still finds matches.
    let next = s.scan_memo(format!("{evil}\nxaab").as_bytes(), &mut memo);
    assert_eq!(next.findings.len(), 1);
    assert_eq!(next.budget_exceeded, vec![0]);
}

#[test]
fn custom_rules_without_literals_run_on_every_line() {
    let s = set(&[("DIGITS", r"[0-9]{12}")]);
    let scan = s.scan(b"a\nb 123456789012\nc");
    assert_eq!(scan.findings[0].line, 2);
}

#[test]
fn keywords_are_case_insensitive_but_regexes_decide() {
    let s = set(&[("TOK", r"TOK_[A-Z]{6}")]);
    assert!(s.scan(b"tok_abcdef").findings.is_empty());
    assert_eq!(s.scan(b"TOK_ABCDEF").findings.len(), 1);
}

#[test]
fn scan_lines_uses_the_given_line_numbers() {
    let s = set(&[("TOK", r"tok_[a-z]{6}")]);
    let scan = s.scan_lines([(10, &b"nothing"[..]), (42, &b"y = tok_abcdef"[..])]);
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].line, 42);
}

#[test]
fn case_sensitive_keywords_need_their_exact_spelling() {
    let mut exact = custom("B64", r"[MNO][A-Za-z0-9]{10}");
    exact.keywords = vec!["MTA".into(), "ODk".into()];
    exact.keywords_case_sensitive = true;
    let mut loose = custom("LOOSE", r"(?i)mta_[0-9]{4}");
    loose.keywords = vec!["mta".into()];
    let s = RuleSet::compile(vec![exact, loose]).unwrap();
    assert_eq!(s.scan(b"id = MTAxNzQ5ODk2").findings.len(), 1);
    assert_eq!(s.scan(b"id = ODkxNzQ5ODk2").findings.len(), 1);
    // The same letters in another case never reach the case-sensitive rule...
    assert!(
        s.scan(b"x = mtaxnzq5odk2 Mta0123456789")
            .findings
            .is_empty()
    );
    // ...while a rule sharing the folded keyword still sees its lines.
    for line in [&b"x = MTA_1234"[..], b"x = mta_1234"] {
        let scan = s.scan(line);
        assert_eq!(scan.findings.len(), 1);
        assert_eq!(s.rule(scan.findings[0].rule).name, "LOOSE");
    }
}

#[test]
fn excluded_neighbours_reject_a_match_inside_a_longer_run() {
    let mut r = custom("TOK", r"\bEAA[A-Za-z0-9]{10}");
    r.checks.not_after = Some("+/".into());
    r.checks.not_before = Some("+/".into());
    let s = RuleSet::compile(vec![r]).unwrap();
    assert_eq!(s.scan(b"token=EAAabcdefghij;").findings.len(), 1);
    assert!(s.scan(b"xY/EAAabcdefghij").findings.is_empty());
    assert!(s.scan(b"token=EAAabcdefghij+rest").findings.is_empty());
    // A later match in the same line still counts.
    let scan = s.scan(b"a/EAAabcdefghij b EAAklmnopqrst");
    assert_eq!(scan.findings[0].match_text(), "EAAklmnopqrst");
}

fn builtins() -> RuleSet {
    RuleSet::compile(
        keywarden_engine::builtin_rules()
            .iter()
            .map(Rule::from_def)
            .collect(),
    )
    .unwrap()
}

/// A fake PEM key whose body is `body` repeated on four lines.
fn pem(body: &str) -> String {
    let line = body.repeat(64 / body.len());
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{line}\n{line}\n{line}\n-----END RSA PRIVATE KEY-----\n"
    )
}

#[test]
fn a_private_key_match_covers_its_body_so_two_keys_differ() {
    let s = builtins();
    let a = pem("MIIEowIBAAKCAQEA");
    let b = pem("MIIEpQIBAAKCAQEB");
    let fa = &s.scan(a.as_bytes()).findings;
    let fb = &s.scan(b.as_bytes()).findings;
    assert_eq!(fa.len(), 1, "{fa:?}");
    assert_eq!(s.rule(fa[0].rule).name, "RSA_PRIVATE_KEY");
    assert_eq!(fa[0].match_text(), a.trim_end());
    assert_ne!(fa[0].match_text(), fb[0].match_text());
    assert_eq!(fa[0].line, 1);
    // The same from the lines alone, and from a file where only a body line was added.
    let lines: Vec<(u32, &[u8])> = a.lines().zip(1..).map(|(l, n)| (n, l.as_bytes())).collect();
    assert_eq!(s.scan_lines(lines).findings[0].match_text(), a.trim_end());
    assert!(s.may_span_lines(b"MIIEowIBAAKCAQEAMIIEowIBAAKCAQEA"));
    let only_body = s.scan_added(b.as_bytes(), &[3], &|| false);
    assert_eq!(only_body.findings.len(), 1);
    assert_eq!(only_body.findings[0].match_text(), b.trim_end());
    // A line after the key is not covered by it.
    assert!(
        s.scan_added(format!("{b}x = 1\n").as_bytes(), &[6], &|| false)
            .findings
            .is_empty()
    );
    // Redacted, the finding shows its first line only.
    assert_eq!(s.redact_finding(&fa[0]), format!("----{}", "*".repeat(27)));
}

#[test]
fn every_candidate_secret_of_a_line_is_redacted() {
    let s = builtins();
    // A GitHub token whose checksum fails is a finding of low confidence, masked all the same
    // on the line of the other finding.
    let line = "KEY=AKIAZ7QXKP4MWL2HRT6J TOKEN=ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IX";
    let scan = s.scan(line.as_bytes());
    assert_eq!(scan.findings.len(), 2, "{:?}", scan.findings);
    assert_eq!(scan.findings[0].confidence, 1.0);
    assert_eq!(
        scan.findings[1].confidence,
        keywarden_engine::CHECKSUM_FAILED_CONFIDENCE
    );
    let shown = s.redact_finding(&scan.findings[0]);
    assert!(!shown.contains("Z7QXKP4MWL2HRT6J"), "{shown}");
    assert!(
        !shown.contains("Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IX"),
        "{shown}"
    );
    assert!(shown.starts_with("KEY=AKIA****"), "{shown}");
}
