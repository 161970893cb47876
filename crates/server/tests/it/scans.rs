//! Branch scans end to end (SPEC 6): the real server over HTTP, real `git` pushes, both
//! database backends. Scan a branch with planted secrets and check every field of every
//! finding; filters; an up-to-date POST does not scan again; pushes and configuration changes
//! make results not `actual`; progress moves while a scan runs; cancel; history scans.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use testkit::scans::{commit_files, get, on_backend, push, push_files, server, wait_scanned};
use testkit::{TestServer, assert_error, json};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const GH_TOKEN: &str = "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";
const SCAN: &str = "/rest/security/1.0/scan/PROJ/repos/app";
const NOT_FOUND: &str = "com.atlassian.bitbucket.NoSuchEntityException";

fn planted() -> Vec<(&'static str, String)> {
    vec![
        ("README.md", "# App\nNothing to see.\n".into()),
        (
            "config/app.properties",
            format!("# settings\naws_access_key_id = {KEY_ID}\nregion = eu-west-1\n"),
        ),
        (
            "src/main.py",
            format!("import os\nTOKEN = \"{GH_TOKEN}\"  # pragma: allowlist secret\n"),
        ),
        (
            "data/long.txt",
            format!("{} key={KEY_ID}\n", "x".repeat(1100)),
        ),
        ("bin/blob.bin", "\u{0}\u{1}binary".into()),
    ]
}

fn as_refs<'a>(files: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    files.iter().map(|(p, c)| (*p, c.as_str())).collect()
}

async fn setup(s: &TestServer) {
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
}

async fn post(s: &TestServer, path: &str) -> (u16, Value) {
    json(s.admin(Method::POST, path).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_sqlite() {
    on_backend(false, lifecycle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_postgres() {
    on_backend(true, lifecycle).await;
}

async fn lifecycle(db: Option<keywarden_store::DatabaseLocation>) {
    let s = server(db, |_| {}).await;
    setup(&s).await;
    let tmp = tempfile::tempdir().unwrap();
    let files = planted();
    let (work, commit) =
        tokio::task::block_in_place(|| push_files(&s, tmp.path(), "PROJ", "app", &as_refs(&files)));

    // Never scanned.
    let (status, body) = get(&s, SCAN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["scanned"],
            &body["actual"],
            &body["progress"],
            &body["running"],
            &body["scheduled"]
        ),
        (
            &json!(false),
            &json!(false),
            &json!(0),
            &json!(false),
            &json!(false)
        )
    );
    assert!(body.get("invalidLines").is_none());

    // POST schedules a scan of the default branch.
    let (status, body) = post(&s, SCAN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scheduled"], true, "{body}");
    let key = body["scanKey"].as_str().unwrap().to_string();
    let result = wait_scanned(&s, SCAN).await;
    assert_eq!(result["scanKey"], key.as_str());
    assert_eq!(
        (
            &result["actual"],
            &result["progress"],
            &result["running"],
            &result["scheduled"]
        ),
        (&json!(true), &json!(100), &json!(false), &json!(false))
    );
    assert_eq!(result["branch"], "refs/heads/main");
    assert_eq!(result["commitId"], commit.as_str());
    assert_eq!(result["skippedFiles"], 1);
    assert_eq!(result["configError"], Value::Null);
    assert!(result["scanDate"].as_str().unwrap().ends_with('Z'));
    let aws_line = format!("aws_access_key_id = {KEY_ID}");
    let expected = json!([
        {"path": "config/app.properties", "line": 2, "ruleName": "AWS_CLIENT_ID",
         "text": aws_line, "lineOffsetStart": 20, "lineOffsetEnd": 40, "truncated": false,
         "allowlisted": false, "reviewed": false, "blocking": true, "commitId": commit,
         "confidence": 1.0},
        {"path": "data/long.txt", "line": 1, "ruleName": "AWS_CLIENT_ID",
         "text": KEY_ID, "lineOffsetStart": 0, "lineOffsetEnd": 20, "truncated": true,
         "allowlisted": false, "reviewed": false, "blocking": true, "commitId": commit,
         "confidence": 1.0},
    ]);
    assert_eq!(result["invalidLines"], expected, "{result}");
    assert_eq!(result["total"], 2);

    // Allowlisted lines on request (and by the old name); a rule filter.
    let (_, all) = get(&s, &format!("{SCAN}?includeAllowlisted=true")).await;
    assert_eq!(all["total"], 3);
    let allowlisted = &all["invalidLines"][2];
    let py_line = format!("TOKEN = \"{GH_TOKEN}\"  # pragma: allowlist secret");
    assert_eq!(
        allowlisted,
        &json!({"path": "src/main.py", "line": 2, "ruleName": allowlisted["ruleName"],
                "text": py_line, "lineOffsetStart": 9, "lineOffsetEnd": 49, "truncated": false,
                "allowlisted": true, "reviewed": false, "blocking": true, "commitId": commit, "confidence": 1.0})
    );
    assert!(
        allowlisted["ruleName"]
            .as_str()
            .unwrap()
            .starts_with("GITHUB")
    );
    let (_, white) = get(&s, &format!("{SCAN}?includeWhitelisted=true&branch=main")).await;
    assert_eq!(white["invalidLines"], all["invalidLines"]);
    let rule = allowlisted["ruleName"].as_str().unwrap();
    let (_, one) = get(&s, &format!("{SCAN}?rule={rule}&includeAllowlisted=true")).await;
    assert_eq!(one["total"], 1);
    let (_, none) = get(&s, &format!("{SCAN}?rule={rule}")).await;
    assert_eq!(
        (&none["total"], &none["invalidLines"]),
        (&json!(0), &json!([]))
    );

    // Bad input: clear 400s and 404s in the envelope.
    let r = s
        .admin(Method::GET, &format!("{SCAN}?includeAllowlisted=maybe"))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        400,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
        "includeAllowlisted",
    )
    .await;
    let r = s
        .admin(Method::GET, &format!("{SCAN}?rule=NO_SUCH_RULE"))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, NOT_FOUND, "Rule NO_SUCH_RULE does not exist").await;
    let r = s
        .admin(Method::POST, &format!("{SCAN}?branch=nope"))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        NOT_FOUND,
        "Branch nope does not exist in repository PROJ/app",
    )
    .await;
    let r = s
        .admin(Method::GET, "/rest/security/1.0/scan/PROJ/repos/nope")
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
        "Repository PROJ/nope does not exist.",
    )
    .await;

    // Up to date: POST does not scan again.
    let (_, again) = post(&s, &format!("{SCAN}?branch=main")).await;
    assert_eq!(
        (&again["scheduled"], &again["scanKey"]),
        (&json!(false), &json!(key))
    );

    // A push makes the result not actual; a POST scans the new tip.
    let tip = tokio::task::block_in_place(|| {
        let c = commit_files(&work, &[("config/app.properties", "# cleaned\n")], "clean");
        push(&s, &work, "PROJ", "app", "main");
        c
    });
    let (_, moved) = get(&s, SCAN).await;
    assert_eq!(
        (&moved["actual"], &moved["scanned"]),
        (&json!(false), &json!(true))
    );
    let (_, queued) = post(&s, SCAN).await;
    assert_eq!(queued["scheduled"], true);
    assert_ne!(queued["scanKey"], json!(key));
    let rescanned = wait_scanned(&s, SCAN).await;
    assert_eq!(
        (&rescanned["actual"], &rescanned["commitId"]),
        (&json!(true), &json!(tip))
    );
    assert_eq!(rescanned["total"], 1);

    // A configuration change (rules or settings) makes it not actual either: here a built-in
    // rule toggled off and on again through the rules API.
    for method in [Method::DELETE, Method::POST] {
        let r = s
            .admin(method, "/rest/security/latest/hardcoded/RSA_PRIVATE_KEY")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let (_, changed) = get(&s, SCAN).await;
    assert_eq!(changed["actual"], false);
    let (hits, _) = s.state.scans().cache().stats();
    let (_, queued) = post(&s, SCAN).await;
    assert_eq!(queued["scheduled"], true);
    let same = wait_scanned(&s, SCAN).await;
    assert_eq!(same["actual"], true);
    assert_eq!(same["invalidLines"], rescanned["invalidLines"]);
    // The rules are the same: every blob came from the cache (5 files).
    assert_eq!(s.state.scans().cache().stats().0 - hits, 5);

    // History: every unique blob, with the commit that introduced each finding.
    let (_, h) = post(&s, &format!("{SCAN}?history=true")).await;
    // Queued, or (its blobs all cached) already done when the answer was made.
    assert!(h["scheduled"] == true || h["actual"] == true, "{h}");
    let history = wait_scanned(&s, &format!("{SCAN}?history=true")).await;
    let lines = history["invalidLines"].as_array().unwrap();
    let aws = lines
        .iter()
        .find(|l| l["path"] == "config/app.properties")
        .expect("the removed key is in the history");
    assert_eq!(
        (&aws["commitId"], &aws["line"]),
        (&json!(commit), &json!(2))
    );
    assert_eq!(history["history"], true);
}

/// A file that takes longer than the per-file budget to match does not hold up the scan: it
/// keeps the findings of the lines scanned by then, counts as skipped, and the other files are
/// scanned in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_file_is_cut_short_and_counted_as_skipped() {
    let s = server(None, |c| c.scan_file_budget = Duration::from_millis(1)).await;
    setup(&s).await;
    // Some 40,000 lines, each a candidate for the generic rules: far more than a millisecond.
    let mut slow = format!("aws_access_key_id = {KEY_ID}\n");
    slow.push_str(&testkit::password_lines(40_000));
    slow.push_str(&format!("github_token = {GH_TOKEN}\n"));
    let small = format!("# settings\naws_access_key_id = {KEY_ID}\n");
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        ("big.cfg", slow.as_str()),
        ("small.properties", small.as_str()),
    ];
    tokio::task::block_in_place(|| push_files(&s, tmp.path(), "PROJ", "app", &files));

    post(&s, SCAN).await;
    let result = wait_scanned(&s, SCAN).await;
    assert_eq!(result["skippedFiles"], 1, "total {}", result["total"]);
    let found: Vec<(&str, i64)> = result["invalidLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["line"].as_i64().unwrap()))
        .collect();
    assert!(found.contains(&("small.properties", 2)), "{found:?}");
    assert!(found.contains(&("big.cfg", 1)), "{found:?}");
    assert!(
        !found.iter().any(|&(p, l)| p == "big.cfg" && l > 40_000),
        "the slow file was scanned to its end: {found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_cancel() {
    on_backend(false, |db| async move {
        let s = server(db, |c| c.scan_file_delay = Some(Duration::from_millis(60))).await;
        setup(&s).await;
        let tmp = tempfile::tempdir().unwrap();
        let files: Vec<(String, String)> = (0..40)
            .map(|i| (format!("f{i:02}.txt"), format!("line {i}\n")))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        tokio::task::block_in_place(|| push_files(&s, tmp.path(), "PROJ", "app", &refs));

        let (_, body) = post(&s, SCAN).await;
        let key = body["scanKey"].as_str().unwrap().to_string();
        // Progress moves from 0 towards 100 while the scan runs.
        let mut seen = Vec::new();
        for _ in 0..100 {
            let (_, b) = get(&s, SCAN).await;
            if b["running"] == true {
                seen.push(b["progress"].as_i64().unwrap());
                if seen.last() > Some(&20) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]),
            "{seen:?}"
        );
        assert!(
            *seen.last().unwrap() > 0 && *seen.last().unwrap() < 100,
            "{seen:?}"
        );

        // Cancel it: 204, then nothing is running and there is no result.
        let r = s
            .admin(Method::DELETE, &format!("{SCAN}?scanKey={key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (_, b) = get(&s, SCAN).await;
        assert_eq!(
            (&b["running"], &b["scheduled"], &b["scanned"]),
            (&json!(false), &json!(false), &json!(false))
        );
        tokio::time::sleep(Duration::from_millis(800)).await;
        let (_, b) = get(&s, SCAN).await;
        assert_eq!(b["scanned"], false, "a cancelled scan records no result");

        let r = s
            .admin(Method::DELETE, &format!("{SCAN}?scanKey={key}"))
            .send()
            .await
            .unwrap();
        assert_error(
            r,
            409,
            "com.atlassian.bitbucket.IllegalEntityStateException",
            "already finished",
        )
        .await;
        let r = s
            .admin(Method::DELETE, &format!("{SCAN}?scanKey=nope"))
            .send()
            .await
            .unwrap();
        assert_error(r, 404, NOT_FOUND, "Scan nope does not exist").await;
        let r = s.admin(Method::DELETE, SCAN).send().await.unwrap();
        assert_error(
            r,
            400,
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
            "scanKey",
        )
        .await;

        // A queued scan can be cancelled too (one worker, busy with another scan).
        let (_, first) = post(&s, SCAN).await;
        let (_, hist) = post(&s, &format!("{SCAN}?history=true")).await;
        let queued_key = hist["scanKey"].as_str().unwrap();
        assert_ne!(first["scanKey"], hist["scanKey"]);
        let r = s
            .admin(Method::DELETE, &format!("{SCAN}?scanKey={queued_key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = s
            .admin(
                Method::DELETE,
                &format!("{SCAN}?scanKey={}", first["scanKey"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions() {
    let s = server(None, |_| {}).await;
    setup(&s).await;
    s.add_user("reader", "readerpw").await;
    s.add_user("writer", "writerpw").await;
    for (user, level) in [("reader", "REPO_READ"), ("writer", "REPO_WRITE")] {
        let r = s
            .admin(Method::PUT, &format!("/rest/api/latest/projects/PROJ/repos/app/permissions/users?name={user}&permission={level}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let tmp = tempfile::tempdir().unwrap();
    tokio::task::block_in_place(|| push_files(&s, tmp.path(), "PROJ", "app", &[("a.txt", "a\n")]));
    let r = s
        .as_user("reader", "readerpw", Method::POST, SCAN)
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        401,
        "com.atlassian.bitbucket.AuthorisationException",
        "not permitted",
    )
    .await;
    let r = s
        .as_user("writer", "writerpw", Method::POST, SCAN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s.anon(Method::GET, SCAN).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // A personal repository (`~user`) is scanned by its owner.
    s.add_repo_as(("writer", "writerpw"), "~writer", "mine")
        .await;
    tokio::task::block_in_place(|| {
        push_files(&s, tmp.path(), "~writer", "mine", &[("m.txt", "m\n")])
    });
    let mine = "/rest/security/1.0/scan/~writer/repos/mine";
    let r = s
        .as_user("writer", "writerpw", Method::POST, mine)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done = wait_scanned(&s, mine).await;
    assert_eq!((&done["actual"], &done["total"]), (&json!(true), &json!(0)));

    // A scan that cannot run fails with the reason recorded.
    let (_, repo) = keywarden_core::access::load_repository(&s.state, "PROJ", "app")
        .await
        .unwrap();
    let scan = keywarden_core::scans::enqueue(
        &s.state,
        &repo,
        "ghost",
        keywarden_store::ScanReason::Manual,
    )
    .await
    .unwrap();
    for _ in 0..100 {
        let now = s
            .state
            .store()
            .scan_by_key(&scan.scan_key)
            .await
            .unwrap()
            .unwrap();
        if now.state == keywarden_store::ScanState::Failed {
            assert!(now.error.unwrap().contains("branch ghost cannot be read"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the scan of a missing branch did not fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_result_is_paged_and_capped_sqlite() {
    on_backend(false, a_large_result_is_paged_and_capped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_result_is_paged_and_capped_postgres() {
    on_backend(true, a_large_result_is_paged_and_capped).await;
}

/// A rule that matches every line of a 12,345-line file: the scan stores 12,000 findings (the
/// cap) and reports the 345 beyond it; `invalidLines` comes in pages of at most 10,000, with
/// `isLastPage` and `nextPageStart`, and `start`/`limit` pick any page.
async fn a_large_result_is_paged_and_capped(db: Option<keywarden_store::DatabaseLocation>) {
    let s = server(db, |c| c.scan_max_findings = 12_000).await;
    setup(&s).await;
    let (st, v) = json(
        s.admin(Method::POST, "/rest/security/latest/rules")
            .json(&json!({"name": "MARKER", "regexp": "marker_[0-9]{5}", "enabled": true}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let lines: String = (0..12_345).map(|i| format!("marker_{i:05}\n")).collect();
    let tmp = tempfile::tempdir().unwrap();
    tokio::task::block_in_place(|| {
        push_files(&s, tmp.path(), "PROJ", "app", &[("markers.txt", &lines)])
    });
    post(&s, SCAN).await;
    let first = wait_scanned(&s, &format!("{SCAN}?rule=MARKER")).await;
    assert_eq!(first["findingsDropped"], 345);
    assert_eq!(first["total"], 12_000);
    assert_eq!(first["invalidLines"].as_array().unwrap().len(), 10_000);
    assert_eq!(first["size"], 10_000);
    assert_eq!(first["start"], 0);
    assert_eq!(first["limit"], 10_000);
    assert_eq!(first["isLastPage"], false);
    assert_eq!(first["nextPageStart"], 10_000);

    let (st, rest) = get(&s, &format!("{SCAN}?rule=MARKER&start=10000")).await;
    assert_eq!(st, 200);
    assert_eq!(rest["invalidLines"].as_array().unwrap().len(), 2_000);
    assert_eq!(rest["isLastPage"], true);
    assert!(rest.get("nextPageStart").is_none());
    assert_eq!(rest["invalidLines"][0]["line"], 10_001);

    let (_, page) = get(&s, &format!("{SCAN}?rule=MARKER&start=50&limit=100")).await;
    let got: Vec<i64> = page["invalidLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_i64().unwrap())
        .collect();
    assert_eq!(got, (51..151).collect::<Vec<_>>());
    assert_eq!(page["nextPageStart"], 150);
    // A limit above the largest page is clamped; a bad one is a 400 naming it.
    let (_, big) = get(&s, &format!("{SCAN}?rule=MARKER&limit=50000")).await;
    assert_eq!(big["limit"], 10_000);
    let r = s
        .admin(Method::GET, &format!("{SCAN}?limit=many"))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        400,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
        "limit",
    )
    .await;
}
