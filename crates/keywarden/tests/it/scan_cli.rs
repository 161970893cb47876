//! `keywarden scan` and `keywarden rules` end to end: the real binary on directories and on
//! repositories built with the real `git`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub(crate) const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
pub(crate) const SECRET: &str = "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";
pub(crate) const OTHER_KEY_ID: &str = "AKIAQW3ERT5YU7IOP2AS";

pub(crate) fn keywarden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(args)
        .output()
        .expect("run keywarden")
}

pub(crate) fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        // Every commit in the same second: history order must come from the graph, not times.
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(crate) fn write(dir: &Path, path: &str, content: impl AsRef<[u8]>) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

pub(crate) fn commit_all(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

pub(crate) fn new_repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("work");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    (tmp, dir)
}

pub(crate) fn findings(v: &Value) -> Vec<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["ruleName"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn directory_scan_reports_every_field_and_counts_skips() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "config/aws.ini",
        format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    );
    write(
        d,
        "ok.py",
        format!("key = '{OTHER_KEY_ID}'  # pragma: allowlist-secret\n"),
    );
    write(d, "clean.txt", "nothing to see\n");
    let mut bin = format!("{KEY_ID}\n").into_bytes();
    bin.push(0);
    write(d, "image.bin", bin);
    write(d, "big.txt", format!("{}\n{KEY_ID}\n", "x".repeat(5000)));
    // A work tree's .git is not scanned.
    write(d, ".git/config", format!("token = {KEY_ID}\n"));

    let out = keywarden(&[
        "scan",
        d.to_str().unwrap(),
        "--format",
        "json",
        "--max-file-size",
        "4000",
    ]);
    assert_eq!(out.status.code(), Some(1), "blocking findings exit 1");
    let v = json_of(&out);
    assert_eq!(
        findings(&v),
        vec![
            ("config/aws.ini".into(), 2, "AWS_CLIENT_ID".into()),
            ("config/aws.ini".into(), 3, "AWS_SECRET_ACCESS_KEY".into()),
            ("ok.py".into(), 1, "AWS_CLIENT_ID".into()),
        ]
    );
    let f = &v["findings"][0];
    assert_eq!(f["text"], format!("aws_access_key_id = {KEY_ID}"));
    assert_eq!(f["lineOffsetStart"], 20);
    assert_eq!(f["lineOffsetEnd"], 40);
    assert_eq!(f["truncated"], false);
    assert_eq!(f["allowlisted"], false);
    assert_eq!(f["reviewed"], false);
    assert_eq!(f["blocking"], true);
    assert!(f.get("commitId").is_none());
    assert_eq!(v["findings"][2]["allowlisted"], true);
    assert_eq!(v["scannedFiles"], 3);
    assert_eq!(v["skippedFiles"], 2);
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().into(),
                s["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("big.txt".into(), "too large".into()),
            ("image.bin".into(), "binary".into())
        ]
    );
    assert!(v["scannedBytes"].as_u64().unwrap() > 100);
}

#[test]
fn clean_tree_exits_zero_and_allowlisted_findings_do_not_block() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.txt", "hello\n");
    write(
        tmp.path(),
        "b.txt",
        format!("id = {KEY_ID} // pragma: allowlist secret\n"),
    );
    let out = keywarden(&["scan", tmp.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn text_output_redacts_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.env",
        format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    let out = keywarden(&["scan", tmp.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("a.env:1 [AWS_SECRET_ACCESS_KEY]"), "{text}");
    assert!(text.contains("1 finding (1 blocking)"), "{text}");
    let out = keywarden(&["scan", tmp.path().to_str().unwrap(), "--show-secrets"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn branch_scan_reads_the_tree_of_that_commit_bare_or_not() {
    let (tmp, dir) = new_repo();
    write(&dir, "README.md", "hello\n");
    write(&dir, "src/app.py", format!("KEY = '{KEY_ID}'\n"));
    // A large file: over the size limit given below, skipped and counted, never read.
    write(
        &dir,
        "data/dump.sql",
        format!(
            "{}\n-- {KEY_ID}\n",
            "insert into t values (1);\n".repeat(2000)
        ),
    );
    let main = commit_all(&dir, "main");
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    write(&dir, "src/app.py", "KEY = None\n");
    write(
        &dir,
        "deploy/prod.env",
        format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    commit_all(&dir, "feature");
    // The work tree holds something else entirely: branch scans must not read it.
    write(&dir, "untracked.txt", format!("{OTHER_KEY_ID}\n"));

    let v = json_of(&keywarden(&[
        "scan",
        dir.to_str().unwrap(),
        "--branch",
        "main",
        "--format",
        "json",
        "--max-file-size",
        "10000",
    ]));
    assert_eq!(
        findings(&v),
        vec![("src/app.py".into(), 1, "AWS_CLIENT_ID".into())]
    );
    assert_eq!(v["findings"][0]["commitId"], main);
    assert_eq!(v["scannedFiles"], 2);
    assert_eq!(v["skippedFiles"], 1);
    assert_eq!(v["skipped"][0]["path"], "data/dump.sql");
    assert_eq!(v["skipped"][0]["reason"], "too large");
    // With the default limit the large file is scanned, and its secret found.
    let v = json_of(&keywarden(&[
        "scan",
        dir.to_str().unwrap(),
        "--branch",
        "main",
        "--format",
        "json",
    ]));
    assert_eq!(findings(&v).len(), 2);
    assert_eq!(v["skippedFiles"], 0);

    let bare = tmp.path().join("bare.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let v = json_of(&keywarden(&[
        "scan",
        bare.to_str().unwrap(),
        "--branch",
        "refs/heads/feature",
        "--format",
        "json",
    ]));
    assert_eq!(
        findings(&v),
        vec![
            ("data/dump.sql".into(), 2002, "AWS_CLIENT_ID".into()),
            ("deploy/prod.env".into(), 1, "AWS_SECRET_ACCESS_KEY".into())
        ]
    );
}

#[test]
fn history_scan_reports_introducing_commit_once_per_blob_and_merges() {
    let (_tmp, dir) = new_repo();
    write(&dir, "a.txt", format!("id = {KEY_ID}\n"));
    let c1 = commit_all(&dir, "add key");
    write(&dir, "copy/a.txt", format!("id = {KEY_ID}\n")); // same blob, another path
    write(&dir, "a.txt", "id = removed\n");
    commit_all(&dir, "remove key");
    // A merge whose resolution introduces a secret found in neither parent.
    git(&dir, &["checkout", "-q", "-b", "side"]);
    write(&dir, "m.txt", "left\n");
    commit_all(&dir, "side");
    git(&dir, &["checkout", "-q", "main"]);
    write(&dir, "m.txt", "right\n");
    commit_all(&dir, "main change");
    let merge = Command::new("git")
        .args(["merge", "-q", "side", "-m", "merge"])
        .current_dir(&dir)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(!merge.status.success(), "expected a conflict");
    write(
        &dir,
        "m.txt",
        format!("resolved\naws_secret_access_key = {SECRET}\n"),
    );
    let m = commit_all(&dir, "merge side");
    // A binary file in history is skipped and counted.
    let mut bin = b"\x89PNG\r\n".to_vec();
    bin.push(0);
    write(&dir, "logo.png", bin);
    commit_all(&dir, "logo");

    let v = json_of(&keywarden(&[
        "scan",
        dir.to_str().unwrap(),
        "--history",
        "--format",
        "json",
    ]));
    let got: Vec<(String, u64, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["ruleName"].as_str().unwrap().into(),
                f["commitId"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a.txt".into(), 1, "AWS_CLIENT_ID".into(), c1.clone()),
            ("m.txt".into(), 2, "AWS_SECRET_ACCESS_KEY".into(), m.clone()),
        ],
        "the blob shared by two paths is scanned and reported once"
    );
    assert_eq!(v["skippedFiles"], 1);

    // History from one branch only: the side branch never saw the merge.
    let v = json_of(&keywarden(&[
        "scan",
        dir.to_str().unwrap(),
        "--history",
        "--branch",
        "side",
        "--format",
        "json",
    ]));
    assert_eq!(
        findings(&v),
        vec![("a.txt".into(), 1, "AWS_CLIENT_ID".into())]
    );
}

#[test]
fn csv_output_parses_back_and_guards_formulas() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "x.csv", format!("=cmd,\"id, {KEY_ID}\"\n"));
    let out = keywarden(&["scan", tmp.path().to_str().unwrap(), "--format", "csv"]);
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "File",
            "Line",
            "Rule",
            "Match",
            "Line Text",
            "Commit",
            "Allowlisted",
            "Blocking",
            "Fingerprint"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "x.csv");
    assert_eq!(&rows[0][2], "AWS_CLIENT_ID");
    assert_eq!(&rows[0][3], KEY_ID);
    assert_eq!(rows[0][4].to_string(), format!("'=cmd,\"id, {KEY_ID}\""));
    assert_eq!(rows[0][8].len(), 64, "the fingerprint");
}

#[test]
fn config_file_adds_custom_rules_and_allowlists_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("tree");
    write(&d, "src/a.txt", "corp = CORP-1234-ABCD\n");
    write(&d, "test/fixtures/keys.txt", format!("{KEY_ID}\n"));
    let cfg = tmp.path().join("soteri-security.yml");
    std::fs::write(
        &cfg,
        "custom_rules:\n  CORP_TOKEN: 'CORP-[0-9]{4}-[A-Z]{4}'\nallowlist_paths:\n  - '^test/'\n",
    )
    .unwrap();
    let v = json_of(&keywarden(&[
        "scan",
        d.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(
        findings(&v),
        vec![
            ("src/a.txt".into(), 1, "CORP_TOKEN".into()),
            ("test/fixtures/keys.txt".into(), 1, "AWS_CLIENT_ID".into()),
        ]
    );
    assert_eq!(v["findings"][1]["allowlisted"], true);
    // Only built-in rules can be restricted: no inherited built-ins, one forced.
    std::fs::write(
        &cfg,
        "inherit_builtin_rules: false\nrules: [RSA_PRIVATE_KEY]\n",
    )
    .unwrap();
    let out = keywarden(&[
        "scan",
        d.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn errors_exit_two_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["scan".into(), tmp.path().join("nope").display().to_string()],
        vec![
            "scan".into(),
            tmp.path().display().to_string(),
            "--branch".into(),
            "main".into(),
        ],
        {
            let cfg = tmp.path().join("bad.yml");
            std::fs::write(&cfg, "rules: [unclosed\n").unwrap();
            vec![
                "scan".into(),
                tmp.path().display().to_string(),
                "--config".into(),
                cfg.display().to_string(),
            ]
        },
        {
            let cfg = tmp.path().join("empty.yml");
            std::fs::write(&cfg, "custom_rules:\n  EMPTY: 'x*'\n").unwrap();
            vec![
                "scan".into(),
                tmp.path().display().to_string(),
                "--config".into(),
                cfg.display().to_string(),
            ]
        },
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = keywarden(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("keywarden: error: "), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let (_t, repo) = new_repo();
    write(&repo, "a", "a");
    commit_all(&repo, "a");
    let out = keywarden(&["scan", repo.to_str().unwrap(), "--branch", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-branch"));
}

#[test]
fn rules_command_lists_the_catalogue() {
    let out = keywarden(&["rules", "--format", "json"]);
    assert!(out.status.success());
    let v = json_of(&out);
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for n in [
        "AWS_CLIENT_ID",
        "AWS_MWS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "RSA_PRIVATE_KEY",
        "SSH_PRIVATE_KEY",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    let rsa = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RSA_PRIVATE_KEY")
        .unwrap();
    assert_eq!(rsa["aliases"][0], "RSA");
    assert!(rsa["category"].is_string() && rsa["description"].is_string());
}

/// Runs `keywarden` in `dir` with `input` on its standard input.
pub(crate) fn keywarden_in(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run keywarden");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn commits_of(v: &Value) -> Vec<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["commitId"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn staged_scan_reads_the_index_not_the_work_tree() {
    let (_tmp, dir) = new_repo();
    let scan = || keywarden_in(&dir, &["scan", "--staged", "--format", "json"], b"");
    // No HEAD yet: the index is compared with the empty tree.
    write(&dir, "a.env", format!("ID={KEY_ID}\n"));
    let out = scan();
    assert_eq!(out.status.code(), Some(0), "nothing staged yet");
    assert!(findings(&json_of(&out)).is_empty());
    git(&dir, &["add", "a.env"]);
    let out = scan();
    assert_eq!(out.status.code(), Some(1), "a staged secret blocks");
    assert_eq!(
        findings(&json_of(&out)),
        vec![("a.env".into(), 1, "AWS_CLIENT_ID".into())]
    );
    assert!(json_of(&out)["findings"][0].get("commitId").is_none());

    // With a HEAD: only lines the index adds to it count.
    write(&dir, "a.env", "ID=placeholder\n");
    commit_all(&dir, "first");
    write(&dir, "b.txt", "line one\n");
    git(&dir, &["add", "b.txt"]);
    write(&dir, "b.txt", format!("line one\nkey = {OTHER_KEY_ID}\n"));
    write(&dir, "a.env", format!("ID=placeholder\nID2={KEY_ID}\n"));
    let out = scan();
    assert_eq!(
        out.status.code(),
        Some(0),
        "unstaged secrets are not in the commit: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    git(&dir, &["add", "a.env"]);
    let out = scan();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        findings(&json_of(&out)),
        vec![("a.env".into(), 2, "AWS_CLIENT_ID".into())],
        "the line number is the staged file's"
    );
    // From a subdirectory, and with the repository given as PATH.
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let out = keywarden_in(&dir.join("sub"), &["scan", "--staged"], b"");
    assert_eq!(out.status.code(), Some(1));
    let out = keywarden(&["scan", "--staged", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(KEY_ID), "text output redacts: {text}");
}

#[test]
fn range_scan_finds_each_commits_added_lines_merges_included() {
    let (_tmp, dir) = new_repo();
    write(&dir, "app.py", "print('hi')\n");
    let base = commit_all(&dir, "base");
    write(&dir, "app.py", format!("print('hi')\nKEY = '{KEY_ID}'\n"));
    let added = commit_all(&dir, "add a key");
    write(&dir, "app.py", "print('hi')\n");
    let removed = commit_all(&dir, "remove it again");
    // A merge whose result has a line neither parent has.
    git(&dir, &["checkout", "-q", "-b", "side", &base]);
    write(&dir, "side.txt", "side work\n");
    commit_all(&dir, "side work");
    git(&dir, &["checkout", "-q", "main"]);
    git(&dir, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    write(&dir, "merged.cfg", format!("secret_key = {OTHER_KEY_ID}\n"));
    let merge = commit_all(&dir, "merge side");

    let json = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let out = keywarden_in(&dir, &all, b"");
        (out.status.code(), commits_of(&json_of(&out)))
    };
    let range = format!("{base}..main");
    let expected = vec![
        (added.clone(), 2, "app.py".to_string()),
        (merge.clone(), 1, "merged.cfg".to_string()),
    ];
    assert_eq!(json(&["--range", &range]), (Some(1), expected.clone()));
    assert_eq!(json(&["--since", &base]), (Some(1), expected));
    // After the commit that added the key, only the merge's line remains.
    let later = format!("{removed}..{merge}^1");
    assert_eq!(json(&["--range", &later]), (Some(0), vec![]));
    let to_merge = format!("{removed}..{merge}");
    assert_eq!(
        json(&["--range", &to_merge]).1,
        vec![(merge.clone(), 1, "merged.cfg".to_string())]
    );
    // A revision that names nothing is an error (exit 2), not a clean scan.
    let out = keywarden_in(&dir, &["scan", "--range", "nope..main"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn standard_input_is_scanned_as_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let diff = format!("+++ b/a.env\n+ID={KEY_ID}\n");
    let out = keywarden_in(
        tmp.path(),
        &["scan", "-", "--format", "json"],
        diff.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        findings(&json_of(&out)),
        vec![("-".into(), 2, "AWS_CLIENT_ID".into())]
    );
    // A pipe named by path (`git diff --cached | keywarden scan /dev/stdin`).
    let out = keywarden_in(tmp.path(), &["scan", "/dev/stdin"], diff.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = keywarden_in(tmp.path(), &["scan", "-"], b"nothing here\n");
    assert_eq!(out.status.code(), Some(0));
}

/// `git` in `dir` with the test identity, `keywarden`'s directory first on the `PATH`; the
/// output whatever the exit status.
fn git_raw(dir: &Path, args: &[&str]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_keywarden")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("PATH", path)
        .output()
        .expect("run git")
}

#[test]
fn installed_pre_commit_hook_blocks_a_secret_and_lets_clean_commits_through() {
    let (_tmp, dir) = new_repo();
    let hook = dir.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let install = |args: &[&str]| {
        let mut all = vec!["install-hook"];
        all.extend_from_slice(args);
        keywarden_in(&dir, &all, b"")
    };
    let out = install(&[]);
    assert_eq!(out.status.code(), Some(2), "a foreign hook is kept");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    assert_eq!(install(&["--force"]).status.code(), Some(0));
    assert_eq!(
        install(&[]).status.code(),
        Some(0),
        "its own hook is replaced"
    );

    // The first commit of the repository (no HEAD yet), then one on top of it.
    write(&dir, "README.md", "hello\n");
    git(&dir, &["add", "README.md"]);
    let out = git_raw(&dir, &["commit", "-q", "-m", "clean"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write(&dir, "deploy.env", format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    git(&dir, &["add", "deploy.env"]);
    let out = git_raw(&dir, &["commit", "-q", "-m", "add a key"]);
    assert!(!out.status.success(), "the hook stops the commit");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("deploy.env:1"), "{said}");
    assert!(!said.contains(KEY_ID), "the hook redacts: {said}");
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "1");
    write(&dir, "deploy.env", "AWS_ACCESS_KEY_ID=from-the-vault\n");
    git(&dir, &["add", "deploy.env"]);
    let out = git_raw(&dir, &["commit", "-q", "-m", "read the key from the vault"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "2");
}

#[test]
fn baseline_hides_known_findings_survives_moves_and_reports_stale_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("src");
    write(&d, "a.env", format!("ID={KEY_ID}\n"));
    write(&d, "b.env", format!("ID={OTHER_KEY_ID}\n"));
    let base = tmp.path().join("keywarden-baseline.json");
    let (src, file) = (d.to_str().unwrap(), base.to_str().unwrap());
    let out = keywarden(&["scan", src, "--write-baseline", file]);
    assert_eq!(out.status.code(), Some(0), "writing a baseline accepts it");
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(!text.contains(KEY_ID) && !text.contains("a.env"), "{text}");
    assert!(!text.contains("\"line\""), "no line numbers: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let fps: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), 2);
    assert!(fps.windows(2).all(|w| w[0] < w[1]), "sorted: {fps:?}");

    // Moved to another file and line: still known, and the file is rewritten identically.
    std::fs::remove_file(d.join("a.env")).unwrap();
    write(&d, "deep/moved.env", format!("# moved\n\nID={KEY_ID}\n"));
    let json = keywarden(&["scan", src, "--format", "json"]);
    let fp = json_of(&json)["findings"][0]["fingerprint"].clone();
    assert!(fps.contains(&fp.as_str().unwrap()), "{fp}");
    let out = keywarden(&["scan", src, "--baseline", file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "known findings do not block");
    assert!(findings(&json_of(&out)).is_empty());
    let again = tmp.path().join("again.json");
    keywarden(&["scan", src, "--write-baseline", again.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);

    // A new secret is reported; an entry whose secret is gone is stale.
    std::fs::remove_file(d.join("b.env")).unwrap();
    write(&d, "c.env", format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"));
    let out = keywarden(&["scan", src, "--baseline", file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        findings(&json_of(&out)),
        vec![("c.env".into(), 1, "AWS_SECRET_ACCESS_KEY".into())]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("stale baseline entry").count(), 1, "{err}");
    assert!(!err.contains(OTHER_KEY_ID), "{err}");

    std::fs::write(&base, "not json").unwrap();
    let out = keywarden(&["scan", src, "--baseline", file]);
    assert_eq!(out.status.code(), Some(2), "a broken baseline is an error");
}

#[test]
fn gitleaks_allow_pragma_allowlists_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.py",
        format!("KEY = '{KEY_ID}'  # gitleaks:allow\n"),
    );
    let out = keywarden(&["scan", tmp.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_of(&out)["findings"][0]["allowlisted"], true);
}

#[test]
fn findings_carry_their_confidence_and_the_thresholds_filter_them() {
    let tmp = tempfile::tempdir().unwrap();
    // A bare key id: no syntax candidate is on its line.
    write(tmp.path(), "aws.ini", "owner AKIAZ7QXKP4MWL2HRT6J\n");
    write(
        tmp.path(),
        "ci.env",
        "GITHUB_TOKEN=ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM\n",
    );
    let dir = tmp.path().to_str().unwrap();
    let out = keywarden(&["scan", dir, "--format", "json", "--no-progress"]);
    let report = json_of(&out);
    let findings = report["findings"].as_array().unwrap();
    let by_path = |p: &str| findings.iter().find(|f| f["path"] == p).cloned();
    let exact = by_path("aws.ini").expect("the AWS key id");
    assert_eq!(exact["confidence"], 1.0);
    assert_eq!(exact["blocking"], true);
    // A GitHub token whose checksum fails: reported at low confidence, warning only.
    let weak = by_path("ci.env").expect("the token with a wrong checksum");
    assert_eq!(weak["confidence"], 0.5);
    assert_eq!(weak["blocking"], false);
    assert_eq!(out.status.code(), Some(1), "the AWS key id blocks");

    let sarif = json_of(&keywarden(&[
        "scan",
        dir,
        "--format",
        "sarif",
        "--no-progress",
    ]));
    let ranks: Vec<f64> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rank"].as_f64().unwrap())
        .collect();
    assert_eq!(ranks.len(), 2, "{sarif}");
    assert!(ranks.contains(&100.0) && ranks.contains(&50.0), "{ranks:?}");

    // Above 0.5 the weak one is not reported; with blocking at 0.4 it would block.
    let out = keywarden(&[
        "scan",
        dir,
        "--format",
        "json",
        "--no-progress",
        "--report-threshold",
        "0.6",
    ]);
    assert_eq!(json_of(&out)["findings"].as_array().unwrap().len(), 1);
    let out = keywarden(&[
        "scan",
        dir,
        "--format",
        "json",
        "--no-progress",
        "--block-threshold",
        "0.4",
        "--report-threshold",
        "0.4",
        "--disable",
        "AWS_CLIENT_ID",
    ]);
    let report = json_of(&out);
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["path"] == "ci.env"), "{report}");
    assert_eq!(findings[0]["blocking"], true);
    assert_eq!(out.status.code(), Some(1));
    let out = keywarden(&["scan", dir, "--report-threshold", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a confidence"));
}
