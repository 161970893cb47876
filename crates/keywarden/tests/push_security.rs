//! The security hook's core with the real `git`, the real server and the real
//! `keywarden hook pre-receive`: pushes that add secrets are rejected (nothing moves), allowlisted
//! ones pass, each commit is judged on its own, merges and tags are scanned, and both bypasses
//! let a push through with a warning.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;

use common::{ADMIN_PASSWORD, TestServer, commit, git_ok, push, remote, work_repo};
use keywarden_server::SecurityPolicy;

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const SECRET: &str = "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";

async fn server() -> TestServer {
    let s = TestServer::start_with(
        Arc::new(SecurityPolicy::new()),
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
