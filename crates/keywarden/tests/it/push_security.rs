//! The security hook's core with the real `git`, the real server and the real
//! `keywarden hook pre-receive`: pushes that add secrets are rejected (nothing moves), allowlisted
//! ones pass, each commit is judged on its own, merges and tags are scanned, and both bypasses
//! let a push through with a warning. And pushes that try to hide a secret behind another one:
//! a reviewed private key does not let another key through (whole, or with only its body
//! changed), a reviewed or warn-only match first on a line does not hide a blocking one after
//! it, and a `remote:` line shows no secret of its line in clear.

use std::path::Path;
use std::sync::Arc;

use keywarden_engine::{Rule, RuleSet, builtin_rules};
use keywarden_server::SecretScanPolicy;
use reqwest::Method;
use serde_json::json;
use testkit::{ADMIN_PASSWORD, TestServer, commit, git_ok, json, push, remote, work_repo};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const SECRET: &str = "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";
const TOKEN: &str = "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";
/// A GitHub token shape whose checksum fails: a finding of low confidence, masked too.
const BAD_TOKEN: &str = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM";

/// A server whose hook is the real security policy and `keywarden hook`, with `PROJ/app`.
pub(crate) async fn server() -> TestServer {
    let s = TestServer::start_with(
        Arc::new(SecretScanPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
    )
    .await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s
}

fn server_has(s: &TestServer, object: &str) -> bool {
    let repo = s.dir.path().join("data");
    // The bare repository lives somewhere under the data directory.
    let found = walk(&repo).into_iter().find(|p| p.ends_with("app.git"));
    let Some(repo) = found else { return false };
    std::process::Command::new("git")
        .args(["--git-dir"])
        .arg(&repo)
        .args(["cat-file", "-e", object])
        .status()
        .unwrap()
        .success()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.push(p.clone());
                if !p.ends_with("app.git") {
                    out.extend(walk(&p));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_rejected_and_nothing_moves() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        let (ok, _) = push(&work, &["push", &url, "main"]);
        assert!(ok);

        // An AWS key pair: rejected, redacted, and the server keeps neither ref nor object.
        let bad = commit(
            &work,
            "aws.ini",
            &format!("aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
            "add credentials",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("push rejected: 2 possible secret(s)"), "{out}");
        assert!(
            out.contains(&format!("{} aws.ini:1 [AWS_CLIENT_ID]", &bad[..8])),
            "{out}"
        );
        assert!(out.contains("aws.ini:2 [AWS_SECRET_ACCESS_KEY]"), "{out}");
        assert!(out.contains("pragma: allowlist-secret"), "{out}");
        assert!(
            !out.contains(KEY_ID) && !out.contains(SECRET),
            "secret shown: {out}"
        );
        assert!(
            !server_has(&s, &bad),
            "the rejected commit must not be in the repository"
        );
        let remote_main = git_ok(&work, &["ls-remote", &url, "refs/heads/main"]);
        assert!(remote_main.starts_with(&base), "{remote_main}");

        // The same line allowlisted in the same commit passes.
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        commit(
            &work,
            "aws.ini",
            &format!("aws_access_key_id = {KEY_ID}  # pragma: allowlist-secret\n"),
            "allowlisted",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");

        // The vendor's per-commit example: the secret in one commit, the pragma added in the
        // next, pushed together: the first commit still fails.
        commit(&work, "k.txt", &format!("key = {KEY_ID}\n"), "secret");
        commit(
            &work,
            "k.txt",
            &format!("key = {KEY_ID} # pragma: allowlist-secret\n"),
            "pragma later",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("k.txt:1 [AWS_CLIENT_ID]"), "{out}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merges_tags_new_branches_and_bypasses() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "f.txt", "a\nb\nc\n");
    tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();

        // A new branch that only points at existing commits scans nothing and passes.
        let (ok, out) = push(&work, &["push", &url, "main:refs/heads/copy"]);
        assert!(ok, "{out}");

        // A secret introduced by a merge resolution is caught.
        git_ok(&work, &["checkout", "-q", "-b", "side"]);
        commit(&work, "f.txt", "a\nb\nside\nc\n", "side");
        git_ok(&work, &["checkout", "-q", "main"]);
        commit(&work, "f.txt", "main\na\nb\nc\n", "main");
        git_ok(&work, &["merge", "-q", "--no-commit", "side"]);
        let merge = commit(
            &work,
            "f.txt",
            &format!("main\na\nb\nside\naws_secret_access_key = {SECRET}\nc\n"),
            "merge",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(
            out.contains(&format!("{} f.txt:5 [AWS_SECRET_ACCESS_KEY]", &merge[..8])),
            "{out}"
        );

        // Bypass by push option: through, with a warning naming the reason.
        let (ok, out) = push(
            &work,
            &[
                "push",
                "-o",
                "secret-scan-bypass=test fixture",
                &url,
                "main",
            ],
        );
        assert!(ok, "{out}");
        assert!(
            out.contains("let through by secret-scan-bypass (test fixture)"),
            "{out}"
        );

        // A tag that points at a new commit with a secret is scanned too.
        git_ok(&work, &["checkout", "-q", "--detach", &base]);
        commit(&work, "t.txt", &format!("{KEY_ID}\n"), "tagged");
        git_ok(&work, &["tag", "v1"]);
        let (ok, out) = push(&work, &["push", &url, "refs/tags/v1"]);
        assert!(!ok, "{out}");
        assert!(out.contains("t.txt:1 [AWS_CLIENT_ID]"), "{out}");

        // Bypass by commit message: that commit is not scanned; the pusher is warned.
        git_ok(&work, &["checkout", "-q", "--detach", &base]);
        commit(
            &work,
            "u.txt",
            &format!("{KEY_ID}\n"),
            "fixture **skip-soteri-security-check**",
        );
        let (ok, out) = push(&work, &["push", &url, "HEAD:refs/heads/skipped"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("skipped by **skip-soteri-security-check**"),
            "{out}"
        );
    });
}

/// One binary rule for the hook and for scans: a NUL byte in the first 8 KiB of the file's
/// content. A NUL further down does not make a file binary (the hook used to skip any file with
/// a NUL anywhere in its added lines), and a file that was binary before the commit is judged
/// by what the commit makes of it (git's own diff calls it binary from its old side).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_byte_past_the_first_8_kib_hides_nothing() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();

        // Text for 9,000 bytes, then a NUL, then a key.
        let mut late_nul = "# notes\n".repeat(1125).into_bytes();
        late_nul.extend_from_slice(b"\0\n");
        late_nul.extend_from_slice(format!("aws_access_key_id = {KEY_ID}\n").as_bytes());
        std::fs::write(work.join("data.txt"), &late_nul).unwrap();
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "late nul"]);
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "a NUL past 8 KiB hid a key from the hook: {out}");
        assert!(out.contains("data.txt:1127 [AWS_CLIENT_ID]"), "{out}");

        // A NUL within the first 8 KiB: binary for the hook as for scans; said, not silent.
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        let mut early_nul = b"\0 header\n".to_vec();
        early_nul.extend_from_slice(format!("aws_access_key_id = {KEY_ID}\n").as_bytes());
        std::fs::write(work.join("blob.bin"), &early_nul).unwrap();
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "binary"]);
        // The next commit turns it into text with a key: judged as the text it now is.
        commit(
            &work,
            "blob.bin",
            &format!("aws_secret_access_key = {SECRET}\n"),
            "now text",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("blob.bin was not scanned (binary"), "{out}");
        assert!(out.contains("blob.bin:1 [AWS_SECRET_ACCESS_KEY]"), "{out}");
    });
}

/// A fake RSA key in PEM armour whose four body lines repeat `body`.
fn pem(body: &str) -> String {
    let line = body.repeat(64 / body.len());
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{line}\n{line}\n{line}\n{line}\n-----END RSA PRIVATE KEY-----\n"
    )
}

/// The match text the built-in rule `rule` reports in `content` (what a reviewer marks).
fn match_text(content: &str, rule: &str) -> String {
    let set = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    let scan = set.scan(content.as_bytes());
    let f = scan
        .findings
        .iter()
        .find(|f| set.rule(f.rule).name == rule)
        .unwrap_or_else(|| panic!("no {rule} finding"));
    f.match_text().to_string()
}

async fn review(s: &TestServer, text: &str, rule: &str) {
    let r = s
        .admin(
            Method::POST,
            "/rest/security/latest/review-lines/projects/PROJ/repos/app/create",
        )
        .json(&json!({"matchText": text, "ruleName": rule}))
        .send()
        .await
        .unwrap();
    let (st, v) = json(r).await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewing_one_private_key_leaves_every_other_key_blocked() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let key_a = pem("MIIEowIBAAKCAQEAq1");
    let key_b = pem("MIIEpAIBAAKCAQEAz9");
    let reviewed = match_text(&key_a, "RSA_PRIVATE_KEY");
    assert!(reviewed.contains("MIIEowIBAAKCAQEAq1"), "{reviewed}");
    review(&s, &reviewed, "RSA_PRIVATE_KEY").await;
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        // The reviewed key passes.
        commit(&work, "a.pem", &key_a, "add the reviewed key");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "the reviewed key is let through: {out}");
        // Another key of the same kind does not.
        let other = commit(&work, "b.pem", &key_b, "add another key");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "another key is blocked: {out}");
        assert!(out.contains("b.pem:1 [RSA_PRIVATE_KEY]"), "{out}");
        assert!(!out.contains("z9MIIE"), "{out}");
        // Nor does replacing only the body of the reviewed key: the commit adds no header line.
        git_ok(&work, &["reset", "-q", "--hard", &format!("{other}~1")]);
        let changed = key_a.replace("MIIEowIBAAKCAQEAq1", "MIIEpAIBAAKCAQEAz9");
        commit(&work, "a.pem", &changed, "rotate the key body");
        let diff = git_ok(&work, &["show", "--format=", "-U0", "HEAD"]);
        assert!(!diff.contains("+-----BEGIN"), "{diff}");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "a new body under a reviewed header is blocked: {out}");
        assert!(out.contains("a.pem:1 [RSA_PRIVATE_KEY]"), "{out}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewed_or_warn_only_secret_first_on_a_line_hides_nothing() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let line = format!("KEY={KEY_ID} TOKEN={TOKEN}\n");
    review(&s, &match_text(&line, "AWS_CLIENT_ID"), "AWS_CLIENT_ID").await;
    for (name, regexp, blocking) in [
        ("WARN_FIRST", "wtok_[a-z0-9]{12}", false),
        ("BLOCK_SECOND", "btok_[a-z0-9]{12}", true),
    ] {
        let r = s
            .admin(Method::POST, "/rest/security/latest/rules")
            .json(&json!({"name": name, "regexp": regexp, "enabled": true, "blocking": blocking}))
            .send()
            .await
            .unwrap();
        let (st, v) = json(r).await;
        assert_eq!(st, 201, "{v}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        // The reviewed AWS key alone passes...
        let base = commit(
            &work,
            "only.env",
            &format!("KEY={KEY_ID}\n"),
            "reviewed key",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        // ...but not with a token after it on the same line.
        commit(&work, "both.env", &line, "reviewed key and a token");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "the token after a reviewed key is blocked: {out}");
        assert!(out.contains("both.env:1 [GITHUB_TOKEN]"), "{out}");
        assert!(
            !out.contains("Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL"),
            "{out}"
        );
        // A warn-only match first on a line does not hide a blocking one after it.
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        commit(
            &work,
            "custom.txt",
            "a = wtok_abcdefghijkl b = btok_mnopqrstuvwx\n",
            "warn-only then blocking",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(
            !ok,
            "the blocking match after a warn-only one blocks: {out}"
        );
        assert!(out.contains("custom.txt:1 [BLOCK_SECOND]"), "{out}");
        assert!(out.contains("custom.txt:1 [WARN_FIRST]"), "{out}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_line_shows_no_secret_of_its_line_in_clear() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        commit(
            &work,
            "creds.txt",
            &format!("id {KEY_ID} aws_secret_access_key = {SECRET} gh {BAD_TOKEN}\n"),
            "credentials on one line",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("creds.txt:1 ["), "{out}");
        for secret in [KEY_ID, SECRET, BAD_TOKEN] {
            assert!(
                !out.contains(&secret[4..]),
                "{secret} shown in clear: {out}"
            );
        }
    });
}
