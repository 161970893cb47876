//! Findings' confidence with the real `git`, the real server and the real
//! `keywarden hook pre-receive`: a push whose finding is below `blockThreshold` (and at or above
//! `reportThreshold`) is accepted with a warning; one at or above it is rejected; a branch scan
//! reports each finding's `confidence`; the thresholds are REST settings checked on the way in.

use keywarden_engine::{Rule, RuleSet, builtin_rules};
use reqwest::Method;
use serde_json::json;
use testkit::{ADMIN_PASSWORD, TestServer, commit, git_ok, json, push, remote, work_repo};

use crate::push_security::server;

/// Two generic credentials the syntax candidates find: a random-looking database password in
/// a service's configuration, and a short word-like one in a test fixture.
const HIGH: (&str, &str) = ("config/database.py", "DB_PASSWORD = \"Xk29vLq7RtZ3mW8p\"\n");
const LOW: (&str, &str) = ("tests/fixtures/app.yml", "password: bbaruf\n");
/// A GitHub token shape whose checksum fails.
const BAD_TOKEN: &str = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM";

/// The confidence the built-in catalogue gives the one finding of `content` in `path`.
fn confidence_of((path, content): (&str, &str)) -> (String, f32) {
    let rules = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect()).unwrap();
    let mut findings = rules.scan(content.as_bytes()).findings;
    assert_eq!(findings.len(), 1, "{content:?}: {findings:?}");
    rules.rescore(&mut findings[0], path);
    (
        rules.rule(findings[0].rule).name.clone(),
        findings[0].confidence,
    )
}

async fn put_settings(s: &TestServer, body: serde_json::Value) -> (u16, serde_json::Value) {
    json(
        s.admin(Method::PUT, "/rest/security/latest/settings")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_the_block_threshold_a_push_is_accepted_with_a_warning() {
    let (high_rule, high) = confidence_of(HIGH);
    let (low_rule, low) = confidence_of(LOW);
    assert!(
        low < high,
        "{LOW:?} at {low} is not below {HIGH:?} at {high}"
    );
    let s = server().await;
    // Block between the two findings' confidence, report both.
    let block = (low + high) / 2.0;
    let report = low / 2.0;
    let (status, body) = put_settings(
        &s,
        json!({"blockThreshold": block, "reportThreshold": report}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!((body["blockThreshold"].as_f64().unwrap() - f64::from(block)).abs() < 1e-6);

    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    for (path, _) in [LOW, HIGH] {
        std::fs::create_dir_all(work.join(path).parent().unwrap()).unwrap();
    }
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        // The low-confidence finding: accepted, and the pusher is told.
        commit(&work, LOW.0, LOW.1, "fixture");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        assert!(out.contains("WARNING: 1 possible secret(s) found"), "{out}");
        assert!(out.contains(&format!("{}:1 [{low_rule}]", LOW.0)), "{out}");
        assert!(!out.contains("bbaruf"), "secret shown: {out}");
        // The high-confidence one: rejected, nothing moves.
        let accepted = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
        commit(&work, HIGH.0, HIGH.1, "config");
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("push rejected: 1 possible secret(s)"), "{out}");
        assert!(
            out.contains(&format!("{}:1 [{high_rule}]", HIGH.0)),
            "{out}"
        );
        let remote_main = git_ok(&work, &["ls-remote", &url, "refs/heads/main"]);
        assert!(remote_main.starts_with(&accepted), "{remote_main}");
    });

    // Above both findings, the report threshold drops them: the high one is let through silently.
    let (status, body) =
        put_settings(&s, json!({"blockThreshold": 1.0, "reportThreshold": 1.0})).await;
    assert_eq!(status, 200, "{body}");
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        assert!(!out.contains("possible secret"), "{out}");
    });

    // A branch scan reports at or above the report threshold, with each finding's confidence.
    let (status, body) = put_settings(
        &s,
        json!({"blockThreshold": block, "reportThreshold": report}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = "/rest/security/1.0/scan/PROJ/repos/app";
    let r = s
        .admin(Method::POST, &format!("{path}?branch=main"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let body = testkit::scans::wait_scanned(&s, path).await;
    let lines = body["invalidLines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{body}");
    let by_path = |p: &str| lines.iter().find(|l| l["path"] == p).unwrap();
    let shown = |c: f32| keywarden_engine::shown_confidence(f64::from(c));
    assert_eq!(by_path(LOW.0)["confidence"], json!(shown(low)));
    assert_eq!(by_path(LOW.0)["blocking"], json!(false));
    assert_eq!(by_path(HIGH.0)["confidence"], json!(shown(high)));
    assert_eq!(by_path(HIGH.0)["blocking"], json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_default_thresholds_a_failed_checksum_warns() {
    let s = server().await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    tokio::task::block_in_place(|| {
        commit(
            &work,
            "ci.env",
            &format!("GITHUB_TOKEN={BAD_TOKEN}\n"),
            "token",
        );
        let (ok, out) = push(&work, &["push", &url, "main"]);
        assert!(ok, "{out}");
        assert!(out.contains("WARNING: 1 possible secret(s) found"), "{out}");
        assert!(out.contains("ci.env:1 [GITHUB_TOKEN]"), "{out}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_are_confidences_and_report_is_at_most_block() {
    let s = TestServer::start().await;
    for (body, field) in [
        (json!({"blockThreshold": 1.5}), "blockThreshold"),
        (json!({"reportThreshold": -0.1}), "reportThreshold"),
        (
            json!({"blockThreshold": 0.4, "reportThreshold": 0.6}),
            "reportThreshold",
        ),
        (json!({"blockThreshold": "high"}), "blockThreshold"),
    ] {
        let (status, answer) = put_settings(&s, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(field), "{body}: {answer}");
    }
    let (status, body) = json(
        s.admin(Method::GET, "/rest/security/latest/settings")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let default = |c: f32| f64::from(c);
    assert!(
        (body["blockThreshold"].as_f64().unwrap()
            - default(keywarden_engine::DEFAULT_BLOCK_THRESHOLD))
        .abs()
            < 1e-6,
        "{body}"
    );
    assert!(
        (body["reportThreshold"].as_f64().unwrap()
            - default(keywarden_engine::DEFAULT_REPORT_THRESHOLD))
        .abs()
            < 1e-6,
        "{body}"
    );
}
