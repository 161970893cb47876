//! The built-in catalogue: every example of every rule, unique names, usable keywords, limits.

use std::collections::HashSet;

use keywarden_engine::{
    CHECKSUM_FAILED_CONFIDENCE, DEFAULT_BLOCK_THRESHOLD, DEFAULT_REPORT_THRESHOLD, LineFinding,
    Rule, RuleSet, builtin_rules, find_builtin,
};

/// The first finding a scan would report (at or above the default report threshold).
fn reported(set: &RuleSet, line: &str) -> Option<LineFinding> {
    set.scan(line.as_bytes())
        .findings
        .into_iter()
        .find(|f| f.confidence >= DEFAULT_REPORT_THRESHOLD)
}

fn only(rule: &keywarden_engine::RuleDef) -> RuleSet {
    RuleSet::compile(vec![Rule::from_def(rule)]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_positive_example_is_found_by_its_rule() {
    let mut failures = Vec::new();
    for def in builtin_rules() {
        let set = only(def);
        assert!(
            def.positive.len() >= 2,
            "{}: fewer than 2 positive examples",
            def.name
        );
        for ex in &def.positive {
            let scan = set.scan(ex.as_bytes());
            if scan.findings.is_empty() {
                failures.push(format!("{}: missed positive {ex:?}", def.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_negative_example_is_found_by_its_rule() {
    let mut failures = Vec::new();
    for def in builtin_rules() {
        let set = only(def);
        assert!(
            def.negative.len() >= 2,
            "{}: fewer than 2 negative examples",
            def.name
        );
        for ex in &def.negative {
            // A value of a provider's shape whose checksum fails is reported at low confidence
            // (see the checksum test below); a negative is nothing else the rule reports.
            let scan = set.scan(ex.as_bytes());
            if let Some(f) = scan.findings.iter().find(|f| {
                f.confidence >= DEFAULT_REPORT_THRESHOLD
                    && f.confidence != CHECKSUM_FAILED_CONFIDENCE
            }) {
                failures.push(format!(
                    "{}: flagged negative {ex:?} (match {:?})",
                    def.name,
                    f.match_text()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn positives_are_found_with_the_whole_catalogue_too() {
    // With every rule active, each positive example is still reported (perhaps by an earlier
    // rule, never lost).
    let set = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    for def in builtin_rules() {
        for ex in &def.positive {
            assert!(
                !set.scan(ex.as_bytes()).findings.is_empty(),
                "{}: {ex:?} lost in the full catalogue",
                def.name
            );
        }
    }
}

#[test]
fn rule_names_are_unique_upper_snake_and_aliases_do_not_clash() {
    let mut names = HashSet::new();
    for def in builtin_rules() {
        assert!(
            def.name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && def.name.starts_with(|c: char| c.is_ascii_uppercase()),
            "{} is not UPPER_SNAKE",
            def.name
        );
        assert!(
            names.insert(def.name.clone()),
            "duplicate rule name {}",
            def.name
        );
        for a in &def.aliases {
            assert!(
                names.insert(a.clone()),
                "alias {a} clashes with another name"
            );
        }
        assert!(
            !def.category.is_empty() && !def.description.is_empty(),
            "{}",
            def.name
        );
    }
}

#[test]
fn every_rule_has_prefilter_keywords_or_says_why_not() {
    for def in builtin_rules() {
        if def.keywords.is_empty() {
            assert!(
                def.no_keywords_reason
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty()),
                "{} has no keywords and no reason",
                def.name
            );
        }
        for k in &def.keywords {
            assert!(
                k.len() >= 3,
                "{}: keyword {k:?} is too short to prefilter",
                def.name
            );
        }
        // Every positive example contains one of the keywords, or the prefilter would hide it.
        for ex in &def.positive {
            let lower = ex.to_ascii_lowercase();
            let contains = |k: &String| {
                if def.keywords_case_sensitive {
                    ex.contains(k.as_str())
                } else {
                    lower.contains(&k.to_ascii_lowercase())
                }
            };
            assert!(
                def.keywords.is_empty() || def.keywords.iter().any(contains),
                "{}: positive {ex:?} contains none of its keywords",
                def.name
            );
        }
    }
}

#[test]
fn every_rule_compiles_within_the_engine_limits() {
    for def in builtin_rules() {
        only(def);
        if def.candidates {
            continue;
        }
        let re = regex::Regex::new(&def.regex).unwrap();
        assert!(
            re.captures_len() > def.secret_group,
            "{}: secret_group {} does not exist",
            def.name,
            def.secret_group
        );
    }
}

#[test]
fn vendor_rule_names_are_present() {
    for name in [
        "AWS_CLIENT_ID",
        "AWS_MWS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "RSA_PRIVATE_KEY",
        "SSH_PRIVATE_KEY",
    ] {
        assert!(find_builtin(name).is_some(), "{name} missing");
    }
    assert_eq!(find_builtin("RSA").unwrap().name, "RSA_PRIVATE_KEY");
    let last = builtin_rules().last().unwrap();
    assert_eq!(
        last.category, "Generic",
        "generic rules come last in the catalogue"
    );
}

#[test]
fn the_whole_catalogue_ignores_references_and_placeholders() {
    // SPEC 3: the generic rule ignores environment references and placeholders. No rule of the
    // catalogue may report these lines.
    let set = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    let lines = [
        "DB_PASSWORD=${DB_PASS}",
        "password = os.environ['DB_PASSWORD']",
        "password = os.environ.get(\"DB_PASSWORD\")",
        "String password = System.getenv(\"DB_PASSWORD\");",
        "const password = process.env.DB_PASSWORD;",
        "password: <password>",
        "password = \"changeme\"",
        "api_key = \"xxxxxxxxxxxxxxxxxxxxxxxx\"",
        "client_secret: example-client-secret-value",
        "password: \"{{ db_password }}\"",
        "token = \"%(token)s\"",
        "secret_key = '<your-secret-key>'",
        "password = getPassword()",
        "password: windows_sys::core::PCWSTR,",
        "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
        "DATABASE_URL=postgres://user:${DB_PASSWORD}@db:5432/app",
        // Test fixtures' obvious dummies: an alphabet run no random token holds.
        "spotify_secret = abcdefghijklmnopqrstuvwxyz123456",
        "secret_access_key = 'abcdefg12346+FJQCK'",
        "SIMFIN_TOKEN=ABCDEFGHIJKLMNOPQRSTUVWXYZ123456",
    ];
    let mut failures = Vec::new();
    for line in lines {
        if let Some(f) = reported(&set, line) {
            failures.push(format!(
                "{line:?} flagged by {} at {}",
                set.rule(f.rule).name,
                f.confidence
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn values_under_a_name_a_provider_rule_owns_are_left_to_that_rule() {
    // A generic rule does not report what a provider rule rejected under the provider's own
    // name (not 40 base64 characters for AWS; no `live_` stream key for Twitch), while the
    // provider rule still reports the real format and other names stay the generic rule's.
    let set = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    let first = |line: &str| reported(&set, line).map(|f| set.rule(f.rule).name.clone());
    for line in [
        "export AWS_SECRET_ACCESS_KEY=3f9c2e71b8d4a6059e1c7b3d2a8f4e6c0b9d1a7e5f",
        "aws_secret_key: Hq8ZtW3nLkV5xRb2YcJ7mPd9Fs4Ge6Ua1oWi",
        "\"awsSecretKey\": \"Hq8ZtW3nLkV5xRb2YcJ7mPd9Fs4Ge6Ua1oWiKx0Tz8Ny5Bq\"",
        "TWITCH_STREAM_KEY = \"640218375_Hq8ZtW3nLkV5xRb2YcJ7mPd9Fs\"",
    ] {
        assert_eq!(first(line), None, "{line}");
    }
    assert_eq!(
        first("export AWS_SECRET_ACCESS_KEY=Hq8ZtW3nLkV5xRb2YcJ7mPd9Fs4Ge6Ua1oWiKx0T").as_deref(),
        Some("AWS_SECRET_ACCESS_KEY")
    );
    assert_eq!(
        first("TWITCH_STREAM_KEY=live_640218375_Hq8ZtW3nLkV5xRb2YcJ7mPd9Fs4Ge6").as_deref(),
        Some("TWITCH_STREAM_KEY")
    );
    assert_eq!(
        first("export BILLING_SECRET_KEY=3f9c2e71b8d4a6059e1c7b3d2a8f4e6c0b9d1a7e5f").as_deref(),
        Some("GENERIC_SECRET")
    );
}

#[test]
fn checksummed_tokens_with_a_wrong_checksum_are_reported_at_low_confidence() {
    // Changing the last character of a valid GitHub or npm token breaks its CRC32, of an age
    // identity its bech32 checksum, of a NATS seed its CRC-16: its own rule still reports it, at
    // the low confidence of a failed checksum (below the default block threshold), and the
    // valid token at confidence 1.
    let set = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    let checked = [
        ("GITHUB_TOKEN", r"gh[pousr]_[A-Za-z0-9]{36}", ['a', 'b']),
        ("NPM_ACCESS_TOKEN", r"npm_[A-Za-z0-9]{36}", ['a', 'b']),
        (
            "AGE_SECRET_KEY",
            r"AGE-SECRET-KEY-1[0-9A-Z]{58}",
            ['Q', 'P'],
        ),
        ("NATS_NKEY_SEED", r"S[UAONCX]A[A-Z2-7]{55}", ['A', 'Q']),
    ];
    for (name, token, alternatives) in checked {
        let token_re = regex::Regex::new(token).unwrap();
        let def = find_builtin(name).unwrap();
        let mut tried = 0;
        for ex in &def.positive {
            let Some(m) = token_re.find(ex) else { continue };
            let tok = m.as_str();
            let last = tok.chars().last().unwrap();
            let flipped = alternatives.into_iter().find(|&c| c != last).unwrap();
            let bad = format!("{}{}", &tok[..tok.len() - 1], flipped);
            let line = ex.replace(tok, &bad);
            let findings = set.scan(line.as_bytes()).findings;
            let f = findings
                .iter()
                .find(|f| f.match_text().contains(&bad))
                .unwrap_or_else(|| panic!("{name}: {line:?} not reported: {findings:?}"));
            assert_eq!(set.rule(f.rule).name, name, "{line:?}");
            assert_eq!(f.confidence, CHECKSUM_FAILED_CONFIDENCE, "{line:?}");
            assert!(f.confidence < DEFAULT_BLOCK_THRESHOLD);
            let good = set.scan(ex.as_bytes()).findings;
            assert!(
                good.iter()
                    .any(|f| f.match_text().contains(tok) && f.confidence == 1.0),
                "{name}: {ex:?}: {good:?}"
            );
            tried += 1;
        }
        assert!(
            tried >= 2,
            "{name}: fewer than 2 positive examples hold a token"
        );
    }
}

#[test]
fn categories_come_from_the_documented_set() {
    let known = [
        "AI",
        "Chat",
        "Cloud",
        "Connection strings",
        "Generic",
        "IT Services",
        "Identity",
        "Mail",
        "Observability",
        "Password hashes",
        "Payments",
        "Private keys",
        "Registries",
        "Source hosting",
    ];
    for def in builtin_rules() {
        assert!(
            known.contains(&def.category.as_str()),
            "{}: unknown category {:?}",
            def.name,
            def.category
        );
    }
    // At least 120 provider-specific rules besides the generic ones.
    let provider = builtin_rules()
        .iter()
        .filter(|d| d.category != "Generic")
        .count();
    assert!(provider >= 120, "only {provider} provider-specific rules");
}

/// A rule whose matches are a handful of fixed strings (a PEM header) would make every secret
/// of its kind share one match text, so reviewing one would hide all: such a rule must widen
/// its match over the secret's body.
#[test]
fn every_rule_whose_match_is_constant_covers_a_body() {
    use regex_syntax::hir::literal::Extractor;
    let mut constants = Vec::new();
    for def in builtin_rules().iter().filter(|d| !d.candidates) {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&def.regex)
            .unwrap();
        let mut extractor = Extractor::new();
        extractor.limit_class(64).limit_total(256);
        let seq = extractor.extract(&hir);
        let constant = seq.is_exact() && seq.len().is_some_and(|n| n <= 64);
        if constant {
            constants.push(def.name.as_str());
            assert!(
                def.body.is_some(),
                "{}: its match is one of {:?} fixed strings; give it a body",
                def.name,
                seq.len()
            );
        }
    }
    // The PEM headers are recognised as constant.
    assert!(constants.contains(&"RSA_PRIVATE_KEY"), "{constants:?}");
    assert!(constants.contains(&"PKCS8_PRIVATE_KEY"), "{constants:?}");
}
