//! Pushes that try to hide a secret behind another one, with the real `git`, the real server and
//! the real hook: a reviewed private key does not let another key through (whole, or with only
//! its body changed), a reviewed or warn-only match first on a line does not hide a blocking one
//! after it, and a `remote:` line shows no secret of its line in clear.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::{ADMIN_PASSWORD, TestServer, commit, git_ok, json, push, remote, work_repo};
use keywarden_engine::{Rule, RuleSet, builtin_rules};
use keywarden_server::SecurityPolicy;
use reqwest::Method;
use serde_json::json;

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const SECRET: &str = "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";
const TOKEN: &str = "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";
/// A GitHub token shape whose checksum fails: no finding, but a candidate to mask.
const BAD_TOKEN: &str = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM";

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
