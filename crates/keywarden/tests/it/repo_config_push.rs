//! `soteri-security.yml` and custom rules against the real `git`, the real server and the real
//! `keywarden hook pre-receive`: a push that weakens the file is judged under the stronger of the
//! old and new file (the weakening applies from the next push on, the pusher is told and the
//! audit event names it); mistakes in the file reach the pusher and the scan result; and a
//! custom rule that runs out of its matching budget on one long line is skipped on that line
//! only, and disabled only after overruns in three repositories within 24 hours.

use std::path::Path;
use std::sync::Arc;

use keywarden_server::SecretScanPolicy;
use keywarden_server::settings::SecuritySettings;
use keywarden_store::PageRequest;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{ADMIN_PASSWORD, TestServer, commit, git_ok, json, push, remote, work_repo};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const CONFIG: &str = "soteri-security.yml";

async fn server() -> TestServer {
    let s = TestServer::start_config(
        Arc::new(SecretScanPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
        None,
        testkit::scans::fast,
    )
    .await;
    s.add_project("PROJ", "Project").await;
    s
}

async fn per_repository_rules(s: &TestServer) {
    let mut settings = SecuritySettings::load(s.state.store()).await.unwrap();
    settings.per_repository_rules = true;
    settings.save(s.state.store()).await.unwrap();
}

/// Audit events, newest first, with their details.
async fn audit(s: &TestServer, action: &str) -> Vec<Value> {
    let page = s
        .state
        .store()
        .list_audit(PageRequest::new(0, 1000))
        .await
        .unwrap();
    page.values
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| serde_json::from_str(&e.details).unwrap())
        .collect()
}

/// Writes files into the work tree, commits them all: the new commit's id.
fn commit_all(work: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, content) in files {
        std::fs::write(work.join(path), content).unwrap();
    }
    git_ok(work, &["add", "-A"]);
    git_ok(work, &["commit", "-q", "-m", message]);
    git_ok(work, &["rev-parse", "HEAD"]).trim().to_string()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weakening_change_applies_from_the_next_push() {
    let s = server().await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "fresh").await;
    per_repository_rules(&s).await;
    // AWS_SECRET_ACCESS_KEY off globally: only a file's `rules` turns it on.
    let r = s
        .admin(
            Method::DELETE,
            "/rest/security/latest/hardcoded/AWS_SECRET_ACCESS_KEY",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let secret_line = format!("aws_access_key_id = {KEY_ID}\n");
    tokio::task::block_in_place(|| {
        // The file turns a rule on (a strengthening: at once) and allowlists `docs/`.
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        let strong = "rules: [AWS_SECRET_ACCESS_KEY]\nallowlist_paths: ['^docs/']\n";
        commit_all(&work, &[(CONFIG, strong)], "config");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        // Adding `^docs/` to no file is a weakening too: told, and nothing to block here.
        assert!(ok, "{out}");
        assert!(out.contains("allowlist_paths added: `^docs/`"), "{out}");
        let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();

        // Each weakening together with a secret: still blocked, and the pusher is told.
        for (weak, needles) in [
            (
                "rules: [AWS_SECRET_ACCESS_KEY]\nallowlist_paths: ['.*']\n",
                vec!["allowlist_paths added: `.*`"],
            ),
            (
                "rules: [AWS_SECRET_ACCESS_KEY]\nallowlist_paths: ['']\n",
                vec!["allowlist_paths added: ``"],
            ),
            (
                "rules: [AWS_SECRET_ACCESS_KEY]\ninherit_builtin_rules: false\nallowlist_paths: ['^docs/']\n",
                vec!["turned off: inherit_builtin_rules", "AWS_CLIENT_ID"],
            ),
            (
                "allowlist_paths: ['^docs/']\n",
                vec!["rules no longer applied: AWS_SECRET_ACCESS_KEY"],
            ),
        ] {
            git_ok(&work, &["reset", "-q", "--hard", &base]);
            let file =
                if weak.contains("inherit") || weak.contains("['.*']") || weak.contains("['']") {
                    ("aws.ini", secret_line.clone())
                } else {
                    (
                        "aws.ini",
                        "aws_secret_access_key = 9dPq3ZkR7vXw2LmN8bT4yHs6QjC1fGe5Ua0oWiKx\n"
                            .to_string(),
                    )
                };
            commit_all(
                &work,
                &[(CONFIG, weak), (file.0, &file.1)],
                "weaken and add",
            );
            let (ok, out) = push(&work, &["push", &url, "main"]);
            assert!(!ok, "{weak}: {out}");
            assert!(out.contains("aws.ini:1 ["), "{weak}: {out}");
            assert!(
                out.contains("this push weakens soteri-security.yml")
                    && out.contains("applies from the next push"),
                "{weak}: {out}"
            );
            for n in needles {
                assert!(out.contains(n), "{weak}: {n}: {out}");
            }
        }
    });
    // The blocked push's audit event says what the change would have weakened.
    let blocked = audit(&s, "PUSH_BLOCKED").await;
    assert_eq!(blocked.len(), 4, "{blocked:?}");
    let newest = &blocked[0]["configWeakened"];
    assert_eq!(
        strings(&newest["rulesNoLongerApplied"]),
        ["AWS_SECRET_ACCESS_KEY"]
    );
    let with_inherit_off = &blocked[1]["configWeakened"];
    assert_eq!(
        strings(&with_inherit_off["inheritTurnedOff"]),
        ["inherit_builtin_rules"]
    );
    assert!(strings(&with_inherit_off["rulesNoLongerApplied"]).contains(&"AWS_CLIENT_ID"));
    assert_eq!(
        strings(&blocked[3]["configWeakened"]["allowlistPathsAdded"]),
        [".*"]
    );

    tokio::task::block_in_place(|| {
        // The weakening alone is accepted, with the note; the next push is judged by it.
        let base = git_ok(&work, &["rev-parse", "HEAD~1"]).trim().to_string();
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        let weak = "rules: [AWS_SECRET_ACCESS_KEY]\nallowlist_paths: ['.*']\n";
        commit_all(&work, &[(CONFIG, weak)], "weaken");
        let (ok, out) = push(&work, &["push", "-f", &url, "HEAD:main"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("this push weakens soteri-security.yml"),
            "{out}"
        );
        commit_all(&work, &[("aws.ini", &secret_line)], "now allowlisted");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "judged by the new file: {out}");
        assert!(!out.contains("weakens"), "{out}");
        // Strengthening applies at once: dropping the allowlist blocks this very push.
        commit_all(
            &work,
            &[
                (CONFIG, "rules: [AWS_SECRET_ACCESS_KEY]\n"),
                ("k2.ini", &secret_line),
            ],
            "strengthen and add",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("k2.ini:1 [AWS_CLIENT_ID]"), "{out}");
        assert!(!out.contains("weakens"), "{out}");
    });
    let changed = audit(&s, "REPOSITORY_CONFIG_CHANGED").await;
    let weakened = &changed[0]["weakened"];
    assert_eq!(
        strings(&weakened["allowlistPathsAdded"]),
        [".*"],
        "{changed:?}"
    );
    assert_eq!(changed[0]["weakeningAppliesFrom"], "next push");

    // Creating the default branch is compared with no file: an allowlist in the first push
    // does not cover the secret in that push.
    let fresh = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "fresh");
    let tmp2 = tempfile::tempdir().unwrap();
    let work2 = work_repo(tmp2.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        commit_all(
            &work2,
            &[
                (CONFIG, "allowlist_paths: ['.*']\n"),
                ("aws.ini", &secret_line),
            ],
            "first",
        );
        let (ok, out) = push(&work2, &["push", &fresh, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("aws.ini:1 [AWS_CLIENT_ID]"), "{out}");
        assert!(out.contains("allowlist_paths added: `.*`"), "{out}");
    });
}

/// Polls the branch scan of `slug`'s main after asking for one.
async fn scan_main(s: &TestServer, slug: &str) -> Value {
    let path = format!("/rest/security/1.0/scan/PROJ/repos/{slug}?branch=main");
    let (st, body) = json(s.admin(Method::POST, &path).send().await.unwrap()).await;
    assert!(st == 200 || st == 201 || st == 202, "{st} {body}");
    testkit::scans::wait_scanned(s, &path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_in_the_file_reach_the_pusher_and_the_scan_result() {
    let s = server().await;
    s.add_repo("PROJ", "app").await;
    per_repository_rules(&s).await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| assert!(push(&work, &["push", &url, "main"]).0));
    // Errors: the file is not used, the global rules apply, configError says why.
    for (bad, needle) in [
        ("custom_rules:\n  BAD: '(unclosed'\n", "custom_rules `BAD`"),
        ("custom_rules:\n  EMPTY: 'x*'\n", "empty string"),
        ("custom_rules:\n  LOOK: '(?=a)'\n", "empty string"),
        (
            "allowlist_paths: ['[z-a']\n",
            "allowlist_paths entry `[z-a`",
        ),
        ("inherit_builtin_rules: \"no\"\n", "true"),
        ("inherit_custom_rules: 'off'\n", "true"),
        ("inherit_builtin_rules: off\n", "true"),
        ("inherit_builtin_rules: yes\n", "true"),
    ] {
        tokio::task::block_in_place(|| {
            commit_all(&work, &[(CONFIG, bad)], "config");
            let (ok, out) = push(&work, &["push", &url, "main"]);
            assert!(ok, "{bad}: {out}");
            assert!(
                out.contains("soteri-security.yml is invalid") && out.contains(needle),
                "{bad}: {out}"
            );
        });
        let body = scan_main(&s, "app").await;
        let error = body["configError"]
            .as_str()
            .unwrap_or_else(|| panic!("{bad}: {body}"));
        assert!(error.contains(needle), "{bad}: {error}");
        assert_eq!(body["configWarnings"], json!([]), "{bad}: {body}");
    }
    // A flag that is not a boolean is refused, not read as one: with `"no"` refused, the
    // global rules apply and the built-ins still block.
    tokio::task::block_in_place(|| {
        commit_all(
            &work,
            &[(CONFIG, "inherit_builtin_rules: \"no\"\n")],
            "config",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        commit_all(&work, &[("k.txt", &format!("key = {KEY_ID}\n"))], "key");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("k.txt:1 [AWS_CLIENT_ID]"), "{out}");
        git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    });
    // Warnings: the file is used; each reaches the pusher and the scan result.
    let warned = "rules: [NOT_A_RULE]\nskip_paths: [x]\nallowlist_paths: ['*.md']\n";
    tokio::task::block_in_place(|| {
        commit_all(&work, &[(CONFIG, warned)], "config with warnings");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        for needle in [
            "soteri-security.yml: unknown key `skip_paths` ignored",
            "`rules` names `NOT_A_RULE`",
            "`*.md` is not a valid regex; used as a glob",
        ] {
            assert!(out.contains(needle), "{needle}: {out}");
        }
        assert!(!out.contains("is invalid"), "{out}");
    });
    let body = scan_main(&s, "app").await;
    assert!(body["configError"].is_null(), "{body}");
    let warnings = strings(&body["configWarnings"]).join("\n");
    for needle in ["skip_paths", "NOT_A_RULE", "*.md"] {
        assert!(warnings.contains(needle), "{needle}: {warnings}");
    }
    // The branch page shows them too.
    let html = ui_page(&s, "/projects/PROJ/repos/app/security?branch=main").await;
    assert!(
        html.contains("soteri-security.yml: unknown key `skip_paths` ignored"),
        "{html}"
    );
}

/// A UI page's HTML, logged in as the admin through the login form.
async fn ui_page(s: &TestServer, path: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/login", s.base))
        .header("Cookie", "keywarden_login=abc")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf=abc&username=admin&password={ADMIN_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("keywarden_session="))
        .unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let r = http
        .get(format!("{}{path}", s.base))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

const SLOW_RULE: &str = r"kw_(?=[0-9]{8}\b)[0-9]+|kw_((?:a|a)+)+\1b";

/// Pushes a file with one 300 KB line that runs SLOW out of its budget to `slug`'s main.
fn push_long_line(s: &TestServer, parent: &Path, slug: &str) -> String {
    let url = remote(s, "admin", ADMIN_PASSWORD, "PROJ", slug);
    let work = work_repo(parent, slug, "README.md", "hello\n");
    let line = format!("kw_{}c\n", "a".repeat(300_000));
    commit(&work, "long.txt", &line, "long line");
    let (ok, out) = push(&work, &["push", &url, "main"]);
    assert!(ok, "{slug}: {out}");
    out
}

/// Pushes a secret SLOW matches to `slug`: (accepted, output).
fn push_slow_secret(s: &TestServer, parent: &Path, slug: &str, n: usize) -> (bool, String) {
    let url = remote(s, "admin", ADMIN_PASSWORD, "PROJ", slug);
    let work = work_repo(parent, &format!("{slug}-{n}"), "README.md", "hello\n");
    // A different value each time, so no push is a no-op of an earlier one.
    commit(
        &work,
        "t.txt",
        &format!("t = kw_{}\n", 12_345_670 + n),
        "secret",
    );
    push(&work, &["push", "-f", &url, "main"])
}

async fn slow_rule(s: &TestServer) -> Value {
    let (_, rules) = json(
        s.admin(Method::GET, "/rest/security/latest/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "SLOW")
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_line_in_one_repository_does_not_disable_a_rule_everywhere() {
    let s = server().await;
    for slug in ["r1", "r2", "r3", "other"] {
        s.add_repo("PROJ", slug).await;
    }
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "SLOW", "regexp": SLOW_RULE, "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let tmp = tempfile::tempdir().unwrap();
    let out = tokio::task::block_in_place(|| push_long_line(&s, tmp.path(), "r1"));
    assert!(
        out.contains("rule(s) SLOW exceeded their matching budget on some line and were skipped on that line only"),
        "{out}"
    );
    let rule = slow_rule(&s).await;
    assert!(rule["validationError"].is_null(), "{rule}");
    assert_eq!(
        (
            &rule["budgetExceededRepositories"],
            &rule["budgetExceededTimes"]
        ),
        (&json!(1), &json!(1)),
        "{rule}"
    );
    // The branch scan reports the overrun too (same repository: still one).
    let body = scan_main(&s, "r1").await;
    assert_eq!(body["ruleErrors"], json!(["SLOW"]), "{body}");
    let rule = slow_rule(&s).await;
    assert_eq!(
        (
            &rule["budgetExceededRepositories"],
            &rule["budgetExceededTimes"]
        ),
        (&json!(1), &json!(2)),
        "{rule}"
    );
    // Elsewhere the rule still blocks.
    let (ok, out) = tokio::task::block_in_place(|| push_slow_secret(&s, tmp.path(), "other", 1));
    assert!(!ok, "{out}");
    assert!(out.contains("t.txt:1 [SLOW]"), "{out}");
    // A second repository: not yet; a third within 24 hours: disabled, visible on the API.
    tokio::task::block_in_place(|| push_long_line(&s, tmp.path(), "r2"));
    let rule = slow_rule(&s).await;
    assert!(rule["validationError"].is_null(), "{rule}");
    assert_eq!(rule["budgetExceededRepositories"], 2, "{rule}");
    let (ok, out) = tokio::task::block_in_place(|| push_slow_secret(&s, tmp.path(), "other", 2));
    assert!(!ok, "{out}");
    tokio::task::block_in_place(|| push_long_line(&s, tmp.path(), "r3"));
    let rule = slow_rule(&s).await;
    assert!(
        rule["validationError"]
            .as_str()
            .unwrap_or("")
            .contains("3 or more repositories"),
        "{rule}"
    );
    assert_eq!(
        (
            &rule["budgetExceededRepositories"],
            &rule["budgetExceededTimes"]
        ),
        (&json!(3), &json!(4)),
        "{rule}"
    );
    assert!(rule["budgetExceededLast"].is_string(), "{rule}");
    let changes = audit(&s, "RULE_CHANGED").await;
    assert!(
        changes
            .iter()
            .any(|c| c["change"] == "budgetExceeded" && c["budgetExceededRepositories"] == 3),
        "{changes:?}"
    );
    // Disabled: the rule is skipped until an admin clears it.
    let (ok, out) = tokio::task::block_in_place(|| push_slow_secret(&s, tmp.path(), "other", 3));
    assert!(ok, "{out}");
    let id = rule["id"].as_i64().unwrap();
    let r = s
        .admin(Method::PUT, &format!("/rest/security/latest/rules/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = tokio::task::block_in_place(|| push_slow_secret(&s, tmp.path(), "other", 4));
    assert!(!ok, "cleared: {out}");
}
