//! `keywarden scan` finds the scanned repository's `soteri-security.yml` and applies it as the
//! server does: at the work tree's root for files on disk, in the scanned revision's tree for
//! `--branch`, the stronger of the old and new file for `--staged` and `--range` (what the
//! server does for a push that changes it); `--no-config` ignores it; a malformed file stops
//! the scan with exit 2 instead of scanning without it.

use testkit::{push, remote};

use super::repo_config_push::{per_repository_rules, server};

use super::scan_cli::{
    KEY_ID, OTHER_KEY_ID, commit_all, findings, git, json_of, keywarden, keywarden_in, new_repo,
    write,
};

const CONFIG: &str = "soteri-security.yml";
const CORP_RULE: &str = "custom_rules:\n  CORP_REF: 'CORP-[0-9]{4}-[A-Z]{4}'\n";

/// `(path, line, rule, allowlisted)` of a JSON report.
fn marked(v: &serde_json::Value) -> Vec<(String, u64, String, bool)> {
    findings(v)
        .into_iter()
        .zip(v["findings"].as_array().unwrap())
        .map(|((p, l, r), f)| (p, l, r, f["allowlisted"].as_bool().unwrap()))
        .collect()
}

#[test]
fn the_work_trees_file_applies_to_directory_scans_unless_no_config() {
    let (_tmp, dir) = new_repo();
    write(
        &dir,
        CONFIG,
        format!("{CORP_RULE}allowlist_paths:\n  - '^test/'\n"),
    );
    write(&dir, "src/a.txt", "corp = CORP-1234-ABCD\n");
    write(&dir, "test/keys.txt", format!("{KEY_ID}\n"));
    let root = dir.to_str().unwrap();
    let out = keywarden(&["scan", root, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        marked(&json_of(&out)),
        vec![
            ("src/a.txt".into(), 1, "CORP_REF".into(), false),
            ("test/keys.txt".into(), 1, "AWS_CLIENT_ID".into(), true),
        ]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("applying") && err.contains(CONFIG), "{err}");
    // From a directory inside the work tree, the root's file still applies.
    let out = keywarden_in(&dir.join("src"), &["scan", ".", "--format", "json"], b"");
    assert_eq!(
        findings(&json_of(&out)),
        vec![("a.txt".into(), 1, "CORP_REF".into())]
    );
    // Standard input is scanned under the current directory's repository.
    let out = keywarden_in(&dir, &["scan", "-"], b"CORP-9876-WXYZ\n");
    assert_eq!(out.status.code(), Some(1));
    let out = keywarden(&["scan", root, "--format", "json", "--no-config"]);
    assert_eq!(
        marked(&json_of(&out)),
        vec![("test/keys.txt".into(), 1, "AWS_CLIENT_ID".into(), false)],
        "--no-config: built-in rules only, nothing allowlisted"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("applying"));
    // An explicit file replaces the discovered one.
    let other = dir.parent().unwrap().join("other.yml");
    std::fs::write(&other, "inherit_builtin_rules: false\n").unwrap();
    let out = keywarden(&["scan", root, "--config", other.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = keywarden(&[
        "scan",
        root,
        "--config",
        other.to_str().unwrap(),
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(2), "the two options conflict");
}

#[test]
fn a_malformed_file_fails_closed_in_every_mode() {
    let (_tmp, dir) = new_repo();
    write(&dir, "a.txt", "nothing\n");
    let base = commit_all(&dir, "base");
    write(&dir, CONFIG, "custom_rules: [unclosed\n");
    write(&dir, "b.txt", format!("{KEY_ID}\n"));
    git(&dir, &["add", "-A"]);
    let check = |args: &[&str]| {
        let out = keywarden_in(&dir, args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing is scanned");
        let err = err.trim_end();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("keywarden: error: "), "{err}");
        assert!(err.contains("soteri-security.yml is invalid"), "{err}");
        assert!(err.contains("--no-config"), "{err}");
    };
    check(&["scan", "."]);
    check(&["scan", "--staged"]);
    let tip = commit_all(&dir, "broken config");
    check(&["scan", ".", "--branch", "main"]);
    check(&["scan", ".", "--history"]);
    check(&["scan", "--range", &format!("{base}..{tip}")]);
    // Explicitly without it, the scan runs.
    let out = keywarden_in(&dir, &["scan", ".", "--no-config"], b"");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_branch_scan_applies_the_file_of_that_revision() {
    let (_tmp, dir) = new_repo();
    write(&dir, CONFIG, CORP_RULE);
    write(&dir, "a.txt", "corp = CORP-1234-ABCD\n");
    commit_all(&dir, "with the rule");
    // The work tree's file no longer has the rule; the branch's does.
    write(&dir, CONFIG, "rules: []\n");
    let out = keywarden_in(
        &dir,
        &["scan", ".", "--branch", "main", "--format", "json"],
        b"",
    );
    assert_eq!(
        findings(&json_of(&out)),
        vec![("a.txt".into(), 1, "CORP_REF".into())]
    );
    let out = keywarden_in(&dir, &["scan", ".", "--format", "json"], b"");
    assert!(findings(&json_of(&out)).is_empty());
}

#[test]
fn staged_and_range_scans_apply_the_stronger_of_old_and_new_file() {
    let (_tmp, dir) = new_repo();
    write(&dir, CONFIG, CORP_RULE);
    write(&dir, "a.txt", "nothing\n");
    let base = commit_all(&dir, "base");
    // The change drops CORP_REF, adds ZED_REF and allowlists `vendor/`: what it adds applies
    // now, what it takes away does not.
    write(
        &dir,
        CONFIG,
        "custom_rules:\n  ZED_REF: 'ZED-[0-9]{6}'\nallowlist_paths:\n  - '^vendor/'\n",
    );
    write(
        &dir,
        "a.txt",
        "nothing\ncorp = CORP-1234-ABCD\nzed = ZED-123456\n",
    );
    write(&dir, "vendor/k.txt", format!("{KEY_ID}\n"));
    git(&dir, &["add", "-A"]);
    let expected = vec![
        ("a.txt".to_string(), 2, "CORP_REF".to_string(), false),
        ("a.txt".to_string(), 3, "ZED_REF".to_string(), false),
        (
            "vendor/k.txt".to_string(),
            1,
            "AWS_CLIENT_ID".to_string(),
            false,
        ),
    ];
    let out = keywarden_in(&dir, &["scan", "--staged", "--format", "json"], b"");
    assert_eq!(marked(&json_of(&out)), expected);
    let tip = commit_all(&dir, "change the rules");
    let range = format!("{base}..{tip}");
    let out = keywarden_in(&dir, &["scan", "--range", &range, "--format", "json"], b"");
    assert_eq!(marked(&json_of(&out)), expected);
    // Once the change is the base, it applies in full.
    write(
        &dir,
        "b.txt",
        format!("corp = CORP-5678-EFGH\nk = {OTHER_KEY_ID}\n"),
    );
    write(&dir, "vendor/b.txt", format!("{OTHER_KEY_ID}\n"));
    let next = commit_all(&dir, "next");
    let out = keywarden_in(
        &dir,
        &[
            "scan",
            "--range",
            &format!("{tip}..{next}"),
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(
        marked(&json_of(&out)),
        vec![
            ("b.txt".into(), 2, "AWS_CLIENT_ID".into(), false),
            ("vendor/b.txt".into(), 1, "AWS_CLIENT_ID".into(), true),
        ]
    );
}

/// The server's verdict on a push and the command line's on the same commits agree, file
/// included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_and_the_command_line_block_the_same_commits() {
    let s = server().await;
    s.add_repo("PROJ", "app").await;
    per_repository_rules(&s).await;

    let (_tmp, dir) = new_repo();
    write(
        &dir,
        CONFIG,
        format!("{CORP_RULE}allowlist_paths:\n  - '^fixtures/'\n"),
    );
    write(&dir, "README", "app\n");
    let base = commit_all(&dir, "base");
    let url = remote(&s, "admin", testkit::ADMIN_PASSWORD, "PROJ", "app");
    git(&dir, &["remote", "add", "origin", &url]);
    let (ok, out) = push(&dir, &["push", "origin", "main"]);
    assert!(ok, "{out}");

    let cli = |range: &str| {
        keywarden_in(&dir, &["scan", "--range", range], b"")
            .status
            .code()
    };
    // Allowlisted by the file on both sides.
    write(&dir, "fixtures/k.txt", format!("{KEY_ID}\n"));
    let fixtures = commit_all(&dir, "fixtures");
    assert_eq!(cli(&format!("{base}..{fixtures}")), Some(0));
    let (ok, out) = push(&dir, &["push", "origin", "main"]);
    assert!(ok, "{out}");

    // The file's custom rule blocks on both sides.
    write(&dir, "src.txt", "corp = CORP-1234-ABCD\n");
    let blocked = commit_all(&dir, "custom rule");
    assert_eq!(cli(&format!("{fixtures}..{blocked}")), Some(1));
    let (ok, out) = push(&dir, &["push", "origin", "main"]);
    assert!(!ok, "the server blocks it too: {out}");
    assert!(out.contains("CORP_REF"), "{out}");

    // A change that drops the rule does not let its own commit through, on either side.
    git(&dir, &["reset", "-q", "--hard", &fixtures]);
    write(&dir, CONFIG, "allowlist_paths:\n  - '^fixtures/'\n");
    write(&dir, "src.txt", "corp = CORP-1234-ABCD\n");
    let weakened = commit_all(&dir, "drop the rule");
    assert_eq!(cli(&format!("{fixtures}..{weakened}")), Some(1));
    let (ok, out) = push(&dir, &["push", "origin", "main"]);
    assert!(!ok, "{out}");
    assert!(out.contains("CORP_REF") && out.contains("weakens"), "{out}");
}
