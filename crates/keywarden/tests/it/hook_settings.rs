//! The security hook's settings (SPEC 5) with the real `git`, the real server, the real
//! `keywarden hook pre-receive` and the vendor page's curl commands run verbatim: enable,
//! warn, disable, revert, project scope; `hookMode` EXPLICIT / INHERITED / ALWAYS with personal
//! repositories; who may change the hook; the time budget (fail closed and `hookFailOpen`);
//! `allowBypass`; audit events; and 20 concurrent pushes.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use keywarden_core::settings::{HookMode, SecuritySettings};
use keywarden_server::SecretScanPolicy;
use keywarden_store::PageRequest;
use reqwest::Method;
use serde_json::Value;
use testkit::{ADMIN_PASSWORD, TestServer, commit, git_ok, json, push, remote, work_repo};

const HOOK: &str = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook";
const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";

async fn server() -> TestServer {
    TestServer::start_with(
        Arc::new(SecretScanPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
    )
    .await
}

async fn set(s: &TestServer, change: impl FnOnce(&mut SecuritySettings)) {
    let mut settings = SecuritySettings::load(s.state.store()).await.unwrap();
    change(&mut settings);
    settings.save(s.state.store()).await.unwrap();
}

/// Runs a curl command line from the vendor page (placeholders filled in) through `sh`;
/// returns (HTTP status, body).
fn curl(command: &str) -> (u16, Value) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} -s -w '\\n%{{http_code}}'"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = status.trim().parse().unwrap_or(0);
    let body = serde_json::from_str(body).unwrap_or(Value::String(body.to_string()));
    (status, body)
}

/// A commit adding a secret on top of `base`, pushed to `main`: (accepted, output).
fn try_secret(work: &Path, url: &str, base: &str, n: usize) -> (bool, String) {
    git_ok(work, &["reset", "-q", "--hard", base]);
    commit(
        work,
        &format!("s{n}.txt"),
        &format!("key = {KEY_ID}\n"),
        "secret",
    );
    push(work, &["push", "-f", url, "HEAD:main"])
}

async fn audit_actions(s: &TestServer) -> Vec<(String, Value)> {
    let page = s
        .state
        .store()
        .list_audit(PageRequest::new(0, 1000))
        .await
        .unwrap();
    page.values
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.details).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_curl_commands_and_inheritance() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    let repo = s.add_repo("PROJ", "app").await;
    let repo_id = repo["id"].as_i64().unwrap();
    let host = s.base.trim_start_matches("http://").to_string();
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let server = format!("http://{host}");
    let repo_hook =
        format!("{server}/rest/api/latest/projects/PROJ/repos/app/settings/hooks/{HOOK}");
    let project_hook = format!("{server}/rest/api/latest/projects/PROJ/settings/hooks/{HOOK}");
    let auth = format!("-u admin:{ADMIN_PASSWORD}");

    tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        // Default (INHERITED, nothing set): on and blocking.
        assert!(!try_secret(&work, &url, &base, 0).0);

        // Enable, blocking (the seed's first command).
        let (st, hook) = curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":false}}' {repo_hook}/enabled"#
        ));
        assert_eq!(st, 200, "{hook}");
        assert_eq!(hook["details"]["key"], HOOK);
        assert_eq!(hook["details"]["name"], "Soteri - Scan Commits");
        assert_eq!(hook["details"]["type"], "PRE_RECEIVE");
        assert_eq!(
            hook["details"]["supportedScopes"],
            serde_json::json!(["PROJECT", "REPOSITORY"])
        );
        assert_eq!(hook["enabled"], true);
        assert_eq!(hook["configured"], true);
        assert_eq!(hook["scope"]["type"], "REPOSITORY");
        assert_eq!(hook["scope"]["resourceId"], repo_id);
        let (ok, out) = try_secret(&work, &url, &base, 1);
        assert!(!ok, "{out}");

        // Warn mode: through, with the findings as warnings, redacted.
        let (st, _) = curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":true}}' {repo_hook}/enabled"#
        ));
        assert_eq!(st, 200);
        let (st, settings) = curl(&format!("curl {auth} {repo_hook}/settings"));
        assert_eq!(
            (st, settings["warnOnVulnerabilities"].clone()),
            (200, Value::Bool(true))
        );
        let (ok, out) = try_secret(&work, &url, &base, 2);
        assert!(ok, "{out}");
        assert!(out.contains("WARNING: 1 possible secret(s)"), "{out}");
        assert!(out.contains("s2.txt:1 [AWS_CLIENT_ID]"), "{out}");
        assert!(!out.contains(KEY_ID), "{out}");

        // Disable (the seed's DELETE .../enabled, no XSRF header): nothing scanned.
        let (st, hook) = curl(&format!("curl {auth} -X DELETE {repo_hook}/enabled"));
        assert_eq!(st, 200, "{hook}");
        assert_eq!(hook["enabled"], false);
        let (ok, out) = try_secret(&work, &url, &base, 3);
        assert!(ok, "{out}");
        assert!(!out.contains("Keywarden"), "{out}");

        // Revert to inherited: 204; the repository follows the project (then the default).
        let (st, _) = curl(&format!("curl {auth} -X DELETE {repo_hook}"));
        assert_eq!(st, 204);
        let (st, hook) = curl(&format!("curl {auth} {repo_hook}"));
        assert_eq!(st, 200);
        assert_eq!(hook["configured"], false);
        assert_eq!(hook["enabled"], true);
        assert_eq!(hook["scope"]["type"], "PROJECT");
        assert!(!try_secret(&work, &url, &base, 4).0);

        // Project scope (the seed's project command), then disabled on the project: the
        // inheriting repository is off.
        let (st, hook) = curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":false}}' {project_hook}/enabled"#
        ));
        assert_eq!(st, 200, "{hook}");
        assert_eq!(hook["scope"]["type"], "PROJECT");
        let (st, _) = curl(&format!("curl {auth} -X DELETE {project_hook}/enabled"));
        assert_eq!(st, 200);
        let (_, hook) = curl(&format!("curl {auth} {repo_hook}"));
        assert_eq!(hook["enabled"], false, "{hook}");
        assert!(try_secret(&work, &url, &base, 5).0);
        // The repository's own setting beats the project's.
        curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":false}}' {repo_hook}/enabled"#
        ));
        assert!(!try_secret(&work, &url, &base, 6).0);
        curl(&format!("curl {auth} -X DELETE {repo_hook}/enabled"));
        assert!(try_secret(&work, &url, &base, 7).0);
    });

    // ALWAYS: on although disabled on the repository and on the project.
    set(&s, |c| c.hook_mode = HookMode::Always).await;
    tokio::task::block_in_place(|| {
        let (ok, out) = try_secret(&work, &url, &base, 8);
        assert!(!ok, "{out}");
        let (_, hook) = curl(&format!("curl {auth} {repo_hook}"));
        assert_eq!(hook["enabled"], true);
    });

    // EXPLICIT: off unless enabled on the repository or its project.
    set(&s, |c| c.hook_mode = HookMode::Explicit).await;
    tokio::task::block_in_place(|| {
        assert_eq!(curl(&format!("curl {auth} -X DELETE {repo_hook}")).0, 204);
        assert_eq!(
            curl(&format!("curl {auth} -X DELETE {project_hook}")).0,
            204
        );
        assert!(try_secret(&work, &url, &base, 9).0);
        curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":false}}' {project_hook}/enabled"#
        ));
        assert!(!try_secret(&work, &url, &base, 10).0);
    });

    // Personal repositories do not inherit from their project: disabling the hook on ~admin
    // leaves the INHERITED default (on) in force, and enabling it there does not turn it on
    // under EXPLICIT.
    set(&s, |c| c.hook_mode = HookMode::Inherited).await;
    s.add_repo("~admin", "mine").await;
    let mine = remote(&s, "admin", ADMIN_PASSWORD, "~admin", "mine");
    let personal_hook = format!("{server}/rest/api/latest/projects/~admin/settings/hooks/{HOOK}");
    tokio::task::block_in_place(|| {
        assert!(
            push(
                &work,
                &["push", "-f", &mine, &format!("{base}:refs/heads/main")]
            )
            .0
        );
        assert_eq!(
            curl(&format!("curl {auth} -X DELETE {personal_hook}/enabled")).0,
            200
        );
        let (ok, out) = try_secret(&work, &mine, &base, 11);
        assert!(
            !ok,
            "personal repository must not inherit 'disabled': {out}"
        );
    });
    set(&s, |c| c.hook_mode = HookMode::Explicit).await;
    tokio::task::block_in_place(|| {
        curl(&format!(
            r#"curl {auth} -X PUT -H "Content-Type: application/json" --data '{{"warnOnVulnerabilities":false}}' {personal_hook}/enabled"#
        ));
        let (ok, out) = try_secret(&work, &mine, &base, 12);
        assert!(ok, "personal repository must not inherit 'enabled': {out}");
    });

    // Every change was audited, with who and what.
    let events = audit_actions(&s).await;
    let hook_events: Vec<&Value> = events
        .iter()
        .filter(|(a, _)| a == "HOOK_SETTINGS_CHANGED")
        .map(|(_, d)| d)
        .collect();
    assert!(hook_events.len() >= 12, "{hook_events:?}");
    assert!(
        hook_events
            .iter()
            .any(|d| d["change"] == "INHERITED" && d["scope"] == "REPOSITORY")
    );
    assert!(
        hook_events
            .iter()
            .any(|d| d["change"] == "DISABLED" && d["scope"] == "PROJECT")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_change_the_hook_and_bad_requests() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    for (name, pw) in [
        ("padmin", "p1"),
        ("radmin", "r1"),
        ("writer", "w1"),
        ("reader", "x1"),
    ] {
        s.add_user(name, pw).await;
    }
    let grant = |path: String| {
        let s = &s;
        async move {
            let r = s.admin(Method::PUT, &path).send().await.unwrap();
            assert_eq!(r.status(), 204, "{path}");
        }
    };
    grant(
        "/rest/api/latest/projects/PROJ/permissions/users?name=padmin&permission=PROJECT_ADMIN"
            .into(),
    )
    .await;
    grant("/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=radmin&permission=REPO_ADMIN".into()).await;
    grant("/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=writer&permission=REPO_WRITE".into()).await;
    grant("/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=reader&permission=REPO_READ".into()).await;

    let repo_hook =
        format!("/rest/api/latest/projects/PROJ/repos/app/settings/hooks/{HOOK}/enabled");
    let project_hook = format!("/rest/api/1.0/projects/PROJ/settings/hooks/{HOOK}/enabled");
    let body = serde_json::json!({"warnOnVulnerabilities": false});
    // (user, password, repository scope, project scope)
    for (user, pw, on_repo, on_project) in [
        ("admin", ADMIN_PASSWORD, 200, 200),
        ("padmin", "p1", 200, 200),
        ("radmin", "r1", 200, 401),
        ("writer", "w1", 401, 401),
        ("reader", "x1", 401, 401),
    ] {
        for (path, want) in [(&repo_hook, on_repo), (&project_hook, on_project)] {
            let r = s
                .as_user(user, pw, Method::PUT, path)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), want, "{user} PUT {path}");
            let r = s
                .as_user(user, pw, Method::DELETE, path)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), want, "{user} DELETE {path}");
        }
    }
    let r = s
        .anon(Method::GET, &repo_hook.replace("/enabled", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // An unknown hook key, repository or project: 404 envelopes.
    let r = s
        .admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/settings/hooks/com.example:other",
        )
        .send()
        .await
        .unwrap();
    let (st, body) = json(r).await;
    assert_eq!(st, 404, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(HOOK)
    );
    let r = s
        .admin(
            Method::GET,
            &format!("/rest/api/latest/projects/PROJ/repos/nope/settings/hooks/{HOOK}"),
        )
        .send()
        .await
        .unwrap();
    testkit::assert_error(
        r,
        404,
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
        "PROJ/nope",
    )
    .await;

    // Bad bodies: 400 naming the field; nothing changes.
    let r = s
        .admin(Method::PUT, &repo_hook)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .admin(Method::PUT, &repo_hook)
        .json(&serde_json::json!({"warnOnVulnerabilities": "yes"}))
        .send()
        .await
        .unwrap();
    let (st, body) = json(r).await;
    assert_eq!(st, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("warnOnVulnerabilities")
    );
    // Without a body, enable keeps the earlier warn choice.
    let r = s
        .admin(Method::PUT, &repo_hook)
        .json(&serde_json::json!({"warnOnVulnerabilities": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s.admin(Method::PUT, &repo_hook).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .admin(Method::GET, &repo_hook.replace("/enabled", "/settings"))
        .send()
        .await
        .unwrap();
    let (_, settings) = json(r).await;
    assert_eq!(settings["warnOnVulnerabilities"], true);
    // The list holds the one hook, paged.
    let r = s
        .admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/settings/hooks",
        )
        .send()
        .await
        .unwrap();
    let (st, list) = json(r).await;
    assert_eq!(st, 200);
    assert_eq!(list["size"], 1);
    assert_eq!(list["values"][0]["details"]["key"], HOOK);
    assert_eq!(list["isLastPage"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bypasses_are_audited_and_can_be_forbidden() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let (marked, with_option) = tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        let (ok, out) = try_secret(&work, &url, &base, 0);
        assert!(!ok, "{out}");
        // By push option.
        let secret_commit = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        let (ok, out) = push(
            &work,
            &[
                "push",
                "-o",
                "secret-scan-bypass=rotated already",
                &url,
                "HEAD:main",
            ],
        );
        assert!(ok, "{out}");
        assert!(out.contains("rotated already"), "{out}");
        // By commit message.
        let marked = commit(
            &work,
            "m.txt",
            &format!("{KEY_ID}\n"),
            "fixture **skip-soteri-security-check**",
        );
        let (ok, out) = push(&work, &["push", &url, "HEAD:main"]);
        assert!(ok, "{out}");
        (marked, secret_commit)
    });
    let events = audit_actions(&s).await;
    let find = |action: &str, bypass: Option<&str>| {
        events
            .iter()
            .find(|(a, d)| a == action && bypass.is_none_or(|b| d["bypass"] == b))
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no {action} {bypass:?} in {events:?}"))
    };
    let blocked = find("PUSH_BLOCKED", None);
    assert_eq!(blocked["reason"], "SECRETS");
    assert_eq!(blocked["rules"], serde_json::json!(["AWS_CLIENT_ID"]));
    let by_option = find("PUSH_BYPASSED", Some("PUSH_OPTION"));
    assert_eq!(by_option["reason"], "rotated already");
    assert_eq!(
        by_option["commitsWithFindings"],
        serde_json::json!([with_option])
    );
    let by_message = find("PUSH_BYPASSED", Some("COMMIT_MESSAGE"));
    assert_eq!(by_message["commits"], serde_json::json!([marked]));
    let page = s
        .state
        .store()
        .list_audit(PageRequest::new(0, 100))
        .await
        .unwrap();
    assert!(
        page.values
            .iter()
            .filter(|e| e.action.starts_with("PUSH_"))
            .all(|e| e.user_name.as_deref() == Some("admin")
                && e.repository_slug.as_deref() == Some("app"))
    );
    assert!(
        page.values.iter().all(|e| !e.details.contains(KEY_ID)),
        "no secret in the audit log"
    );

    // allowBypass=false forbids both.
    set(&s, |c| c.allow_bypass = false).await;
    tokio::task::block_in_place(|| {
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        commit(&work, "n.txt", &format!("{KEY_ID}\n"), "again");
        let (ok, out) = push(
            &work,
            &[
                "push",
                "-f",
                "-o",
                "secret-scan-bypass=please",
                &url,
                "HEAD:main",
            ],
        );
        assert!(!ok, "{out}");
        assert!(out.contains("not allowed"), "{out}");
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        commit(
            &work,
            "o.txt",
            &format!("{KEY_ID}\n"),
            "x **skip-soteri-security-check**",
        );
        let (ok, out) = push(&work, &["push", "-f", &url, "HEAD:main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("not allowed"), "{out}");
    });
}

/// A repository of `n` one-file commits, each rewriting a file of 200 lines, written with
/// fast-import (quick to create, and seconds to scan: 200 added lines a commit).
fn many_commits(dir: &Path, n: usize) {
    use std::io::Write;
    let mut stream = String::new();
    for i in 0..n {
        let content: String = (0..200)
            .map(|j| format!("setting_{i}_{j} = value number {j} of commit {i}\n"))
            .collect();
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{}\ncommitter T <t@example.com> {} +0000\ndata 2\nc\n",
            i + 1,
            1_700_000_000 + i
        ));
        if i > 0 {
            stream.push_str(&format!("from :{i}\n"));
        }
        stream.push_str(&format!(
            "M 100644 inline f{}.txt\ndata {}\n{content}\n",
            i % 50,
            content.len()
        ));
    }
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    git_ok(dir, &["reset", "-q", "--hard", "main"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_budget_fails_closed_or_open() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    set(&s, |c| c.hook_timeout_seconds = 1).await;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("work")).unwrap();
    let work = tmp.path().join("work");
    git_ok(&work, &["init", "-q"]);
    tokio::task::block_in_place(|| many_commits(&work, 1500));
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("did not finish within 1 s"), "{out}");
        assert!(
            git_ok(&work, &["ls-remote", &url]).trim().is_empty(),
            "no ref moved"
        );
    });
    set(&s, |c| c.hook_fail_open = true).await;
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("let through unscanned (hookFailOpen)"),
            "{out}"
        );
    });
    // The pushed branch is scanned in the background.
    let tip = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let mut result = Value::Null;
    for _ in 0..200 {
        let r = s
            .admin(Method::GET, "/rest/security/latest/scan/PROJ/repos/app")
            .send()
            .await
            .unwrap();
        result = r.json().await.unwrap();
        if result["scanned"] == true && result["commitId"] == tip.as_str() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(result["scanned"], true, "{result}");
    assert_eq!(result["commitId"], tip.as_str(), "{result}");
    let events = audit_actions(&s).await;
    assert!(
        events
            .iter()
            .any(|(a, d)| a == "PUSH_BLOCKED" && d["reason"] == "TIMEOUT"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(a, d)| a == "PUSH_FAILED_OPEN" && d["hookTimeoutSeconds"] == 1),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_pushes_get_the_right_verdicts() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    for i in 0..20 {
        s.add_repo("PROJ", &format!("r{i}")).await;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    for i in 0..20 {
        let dir = tmp.path().join(format!("w{i}"));
        let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", &format!("r{i}"));
        jobs.push(std::thread::spawn(move || {
            std::fs::create_dir_all(&dir).unwrap();
            git_ok(&dir, &["init", "-q"]);
            // Even repositories get a secret, odd ones a harmless change.
            let content = if i % 2 == 0 {
                format!("aws_access_key_id = {KEY_ID}\n")
            } else {
                format!("value = {i}\n")
            };
            commit(&dir, "f.txt", &content, "one");
            let (ok, out) = push(&dir, &["push", &url, "main"]);
            (i, ok, out)
        }));
    }
    let results: Vec<_> =
        tokio::task::block_in_place(|| jobs.into_iter().map(|j| j.join().unwrap()).collect());
    for (i, ok, out) in results {
        assert_eq!(ok, i % 2 == 1, "repository r{i}: {out}");
        if i % 2 == 0 {
            assert!(out.contains("f.txt:1 [AWS_CLIENT_ID]"), "r{i}: {out}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_changes_on_the_default_branch_are_audited() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let (added, changed) = tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        let added = commit(&work, "soteri-security.yml", "rules: []\n", "config");
        assert!(push(&work, &["push", &url, "main"]).0);
        // Another commit on main that leaves the file alone: no event.
        commit(&work, "other.txt", "x\n", "other");
        assert!(push(&work, &["push", &url, "main"]).0);
        // A change on another branch: no event.
        commit(
            &work,
            "soteri-security.yml",
            "rules: [RSA_PRIVATE_KEY]\n",
            "config 2",
        );
        assert!(push(&work, &["push", &url, "HEAD:refs/heads/feature"]).0);
        // The same change reaching main: one event.
        let changed = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        assert!(push(&work, &["push", &url, "main"]).0);
        (added, changed)
    });
    let events: Vec<Value> = audit_actions(&s)
        .await
        .into_iter()
        .filter(|(a, _)| a == "REPOSITORY_CONFIG_CHANGED")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    // Newest first.
    assert_eq!(events[0]["to"], changed);
    assert_eq!(events[1]["to"], added);
    assert_eq!(events[1]["branch"], "refs/heads/main");
    assert_eq!(events[1]["file"], "soteri-security.yml");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_rules_config_file_and_reviewed_findings_in_the_hook() {
    let s = server().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let api = |m: Method, p: &str| s.admin(m, &format!("/rest/security/latest{p}"));
    // A blocking and a warn-only custom rule; a built-in switched off globally.
    for (name, regexp, blocking) in [
        ("INTERNAL_TOKEN", "kwi_[a-z0-9]{20}", true),
        ("LEGACY_ID", "legacy-[0-9]{8}", false),
    ] {
        let r = api(Method::POST, "/rules")
            .json(&serde_json::json!({"name": name, "regexp": regexp, "enabled": true, "blocking": blocking}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{name}");
    }
    let r = api(Method::DELETE, "/hardcoded/AWS_CLIENT_ID")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let base = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let attempt = |file: &str, content: &str| {
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        commit(&work, file, content, "try");
        push(&work, &["push", "-f", &url, "HEAD:main"])
    };
    tokio::task::block_in_place(|| {
        assert!(push(&work, &["push", &url, "main"]).0);
        let (ok, out) = attempt("a.txt", "t = kwi_abcdefghij0123456789\n");
        assert!(!ok, "{out}");
        assert!(out.contains("a.txt:1 [INTERNAL_TOKEN]"), "{out}");
        let (ok, out) = attempt("b.txt", "id = legacy-12345678\n");
        assert!(ok, "warn-only rule: {out}");
        assert!(
            out.contains("[LEGACY_ID]") && out.contains("WARNING"),
            "{out}"
        );
        // A bare key id (no name a syntax candidate would take it for a credential under).
        let (ok, out) = attempt("c.txt", &format!("owner {KEY_ID}\n"));
        assert!(ok, "AWS_CLIENT_ID is off: {out}");
    });

    // A reviewed match never blocks.
    let r = api(Method::POST, "/review-lines/projects/PROJ/repos/app/create")
        .json(&serde_json::json!({"matchText": "kwi_abcdefghij0123456789", "ruleName": "INTERNAL_TOKEN"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    tokio::task::block_in_place(|| {
        let (ok, out) = attempt("d.txt", "t = kwi_abcdefghij0123456789\n");
        assert!(ok, "reviewed: {out}");
        let (ok, out) = attempt("e.txt", "t = kwi_zzzzzzzzzz0123456789\n");
        assert!(!ok, "another value still blocks: {out}");
    });

    // soteri-security.yml (perRepositoryRules on): read from the push itself when it updates
    // the default branch: here it turns AWS_CLIENT_ID back on (at once) and allowlists
    // `fixtures/` (a weakening: from the next push on).
    set(&s, |c| c.per_repository_rules = true).await;
    tokio::task::block_in_place(|| {
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        std::fs::write(
            work.join("soteri-security.yml"),
            "rules: [AWS_CLIENT_ID]\nallowlist_paths: ['^fixtures/']\n",
        )
        .unwrap();
        std::fs::create_dir_all(work.join("fixtures")).unwrap();
        std::fs::write(work.join("fixtures/keys.txt"), format!("{KEY_ID}\n")).unwrap();
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "config and fixtures"]);
        let (ok, out) = push(&work, &["push", "-f", &url, "HEAD:main"]);
        assert!(!ok, "the new allowlist applies from the next push: {out}");
        assert!(out.contains("fixtures/keys.txt:1 [AWS_CLIENT_ID]"), "{out}");
        assert!(out.contains("allowlist_paths added: `^fixtures/`"), "{out}");
        git_ok(&work, &["reset", "-q", "--hard", &base]);
        std::fs::write(
            work.join("soteri-security.yml"),
            "rules: [AWS_CLIENT_ID]\nallowlist_paths: ['^fixtures/']\n",
        )
        .unwrap();
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "config"]);
        let (ok, out) = push(&work, &["push", "-f", &url, "HEAD:main"]);
        assert!(ok, "{out}");
        std::fs::create_dir_all(work.join("fixtures")).unwrap();
        std::fs::write(work.join("fixtures/keys.txt"), format!("{KEY_ID}\n")).unwrap();
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "fixtures"]);
        let (ok, out) = push(&work, &["push", &url, "HEAD:main"]);
        assert!(ok, "the allowlisted path passes: {out}");
        let with_config = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        // On another branch the default branch's file applies: AWS_CLIENT_ID is on.
        commit(&work, "k.txt", &format!("owner {KEY_ID}\n"), "key");
        let (ok, out) = push(&work, &["push", &url, "HEAD:refs/heads/feature"]);
        assert!(!ok, "{out}");
        assert!(out.contains("k.txt:1 [AWS_CLIENT_ID]"), "{out}");
        // An invalid file: the global configuration applies and the pusher is told; as it
        // drops AWS_CLIENT_ID, that applies from the next push on.
        git_ok(&work, &["reset", "-q", "--hard", &with_config]);
        std::fs::write(work.join("soteri-security.yml"), "rules: {not: [a list\n").unwrap();
        git_ok(&work, &["commit", "-qam", "broken config"]);
        let broken = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        commit(&work, "m.txt", &format!("owner {KEY_ID}\n"), "key");
        let (ok, out) = push(&work, &["push", &url, "HEAD:main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("soteri-security.yml is invalid"), "{out}");
        assert!(
            out.contains("rules no longer applied: AWS_CLIENT_ID"),
            "{out}"
        );
        let (ok, out) = push(&work, &["push", &url, &format!("{broken}:refs/heads/main")]);
        assert!(ok, "{out}");
        let (ok, out) = push(&work, &["push", &url, "HEAD:main"]);
        assert!(ok, "AWS_CLIENT_ID is off globally again: {out}");
        assert!(out.contains("soteri-security.yml is invalid"), "{out}");
    });
}
