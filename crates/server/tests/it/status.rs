//! Status dashboards end to end (SPEC 7) on both backends: the branch, repository and project
//! rollups for every combination of branch states, paging and name filters, a push turning a
//! SECURE branch OUTDATED, a configuration change doing the same, and QUEUED/RUNNING branches.

use std::time::Duration;

use keywarden_store::DatabaseLocation;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::scans::{commit_files, get, on_backend, push, push_files, server, wait_scanned};
use testkit::{TestServer, json};

const SECRET_FILE: (&str, &str) = ("keys.env", "aws_access_key_id = AKIAZ7QXKP4MWL2HRT6J\n");
const STATUS: &str = "/rest/security/latest/status/projects";

async fn scan(s: &TestServer, project: &str, repo: &str, branch: &str) -> Value {
    let path = format!("/rest/security/1.0/scan/{project}/repos/{repo}?branch={branch}");
    let r = s.admin(Method::POST, &path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    wait_scanned(s, &path).await
}

fn counts(v: &Value, keys: &[&str]) -> Vec<i64> {
    keys.iter().map(|k| v[*k].as_i64().unwrap()).collect()
}

const REPO_KEYS: [&str; 5] = ["total", "secure", "vulnerable", "notScanned", "outdated"];
const PROJECT_KEYS: [&str; 6] = [
    "total",
    "secure",
    "vulnerable",
    "notScanned",
    "partiallyScanned",
    "outdated",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_sqlite() {
    on_backend(false, rollups).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_postgres() {
    on_backend(true, rollups).await;
}

async fn rollups(db: Option<DatabaseLocation>) {
    let s = server(db, |_| {}).await;
    let tmp = tempfile::tempdir().unwrap();
    s.add_project("PROJ", "Mixed Bag").await;
    for repo in ["clean", "leaky", "fresh", "half", "moved", "empty"] {
        s.add_repo("PROJ", repo).await;
    }
    let clean = [("README.md", "hello\n")];
    let moved_dir = tokio::task::block_in_place(|| {
        push_files(&s, tmp.path(), "PROJ", "clean", &clean);
        push_files(&s, tmp.path(), "PROJ", "leaky", &[SECRET_FILE]);
        push_files(&s, tmp.path(), "PROJ", "fresh", &clean);
        let (half, _) = push_files(&s, tmp.path(), "PROJ", "half", &clean);
        push(&s, &half, "PROJ", "half", "main:dev");
        push_files(&s, tmp.path(), "PROJ", "moved", &clean).0
    });
    for repo in ["clean", "leaky", "half", "moved"] {
        scan(&s, "PROJ", repo, "main").await;
    }

    // Branches of a repository, with every field.
    let (status, page) = get(&s, &format!("{STATUS}/PROJ/repos/half/branches")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (&page["size"], &page["isLastPage"]),
        (&json!(2), &json!(true))
    );
    let main = &page["values"][0];
    let tip = main["latestCommit"].as_str().unwrap();
    assert_eq!(
        main,
        &json!({"branch": "refs/heads/main", "displayId": "main", "default": true,
                "latestCommit": tip, "scannedCommit": tip, "status": "SECURE",
                "scanKey": main["scanKey"], "progress": 100, "vulnerabilities": 0,
                "lastScanDate": main["lastScanDate"]})
    );
    assert!(main["scanKey"].is_string() && main["lastScanDate"].is_string());
    assert_eq!(
        page["values"][1],
        json!({"branch": "refs/heads/dev", "displayId": "dev", "default": false,
               "latestCommit": tip, "scannedCommit": null, "status": "NOT_SCANNED",
               "scanKey": null, "progress": 0, "vulnerabilities": 0, "lastScanDate": null})
    );
    let (_, filtered) = get(
        &s,
        &format!("{STATUS}/PROJ/repos/half/branches?name=DE&limit=1"),
    )
    .await;
    assert_eq!(
        (&filtered["size"], &filtered["values"][0]["displayId"]),
        (&json!(1), &json!("dev"))
    );

    // A push turns a SECURE branch OUTDATED (the status changes with the push itself).
    let (_, before) = get(&s, &format!("{STATUS}/PROJ/repos/moved/branches")).await;
    assert_eq!(before["values"][0]["status"], "SECURE");
    tokio::task::block_in_place(|| {
        commit_files(&moved_dir, &[("more.txt", "more\n")], "more");
        push(&s, &moved_dir, "PROJ", "moved", "main");
    });
    let (_, after) = get(&s, &format!("{STATUS}/PROJ/repos/moved/branches")).await;
    assert_eq!(after["values"][0]["status"], "OUTDATED");
    assert_ne!(
        after["values"][0]["latestCommit"],
        after["values"][0]["scannedCommit"]
    );

    // Repositories: every state.
    let expect = [
        ("clean", "SECURE", [1, 1, 0, 0, 0], 0),
        ("empty", "NOT_SCANNED", [0, 0, 0, 0, 0], 0),
        ("fresh", "NOT_SCANNED", [1, 0, 0, 1, 0], 0),
        ("half", "PARTIALLY_SCANNED", [2, 1, 0, 1, 0], 0),
        ("leaky", "VULNERABLE", [1, 0, 1, 0, 0], 1),
        ("moved", "OUTDATED", [1, 0, 0, 0, 1], 0),
    ];
    let (_, repos) = get(&s, &format!("{STATUS}/PROJ/repos")).await;
    assert_eq!(repos["size"], 6, "{repos}");
    for (i, (slug, status, c, vulns)) in expect.iter().enumerate() {
        let r = &repos["values"][i];
        assert_eq!(
            r,
            &json!({"projectKey": "PROJ", "repositorySlug": slug, "repositoryName": slug,
                    "status": status, "branches": {"total": c[0], "secure": c[1],
                    "vulnerable": c[2], "notScanned": c[3], "outdated": c[4]},
                    "vulnerabilities": vulns}),
        );
        let (_, one) = get(&s, &format!("{STATUS}/PROJ/repos/{slug}")).await;
        assert_eq!(&one, r);
    }
    let (_, page) = get(&s, &format!("{STATUS}/PROJ/repos?start=1&limit=2&name=E")).await;
    let slugs: Vec<&str> = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["repositorySlug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["empty", "fresh"]); // names containing "e": clean empty fresh leaky moved
    assert_eq!(page["nextPageStart"], 3);

    // Projects: every rollup.
    let (_, proj) = get(&s, &format!("{STATUS}/PROJ")).await;
    assert_eq!(
        proj,
        json!({"projectKey": "PROJ", "projectName": "Mixed Bag", "projectType": "NORMAL",
               "status": "VULNERABLE", "repositories": {"total": 6, "secure": 1, "vulnerable": 1,
               "notScanned": 2, "partiallyScanned": 1, "outdated": 1}, "vulnerabilities": 1})
    );
    s.add_project("GOOD", "All Good").await;
    s.add_project("NEW", "Brand New").await;
    s.add_project("PART", "Partly").await;
    for (p, r) in [("GOOD", "a"), ("NEW", "a"), ("PART", "a"), ("PART", "b")] {
        s.add_repo(p, r).await;
        let dir = tmp.path().join(format!("w-{p}-{r}"));
        tokio::task::block_in_place(|| push_files(&s, &dir, p, r, &clean));
    }
    scan(&s, "GOOD", "a", "main").await;
    scan(&s, "PART", "a", "main").await;
    let status_of = |v: &Value| {
        (
            v["projectKey"].as_str().unwrap().to_string(),
            v["status"].as_str().unwrap().to_string(),
        )
    };
    let (_, all) = get(&s, STATUS).await;
    let got: Vec<(String, String)> = all["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(status_of)
        .collect();
    let want = [
        ("GOOD", "SECURE"),
        ("NEW", "NOT_SCANNED"),
        ("PART", "PARTIALLY_SCANNED"),
        ("PROJ", "VULNERABLE"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(
        counts(&all["values"][2]["repositories"], &PROJECT_KEYS),
        [2, 1, 0, 1, 0, 0]
    );
    let (_, paged) = get(&s, &format!("{STATUS}?start=0&limit=2")).await;
    assert_eq!(
        (
            &paged["size"],
            &paged["nextPageStart"],
            &paged["isLastPage"]
        ),
        (&json!(2), &json!(2), &json!(false))
    );
    let (_, named) = get(&s, &format!("{STATUS}?name=good")).await; // the name, not the key
    assert_eq!(named["values"][0]["projectKey"], "GOOD");
    let (_, by_key) = get(&s, &format!("{STATUS}?name=PROJ")).await;
    assert_eq!(by_key["size"], 0);
    // The project type filter runs in the database, with paging.
    let (_, normal) = get(&s, &format!("{STATUS}?type=NORMAL&start=2&limit=2")).await;
    assert_eq!(
        (&normal["values"][0]["projectKey"], &normal["isLastPage"]),
        (&json!("PART"), &json!(true))
    );
    let (_, personal) = get(&s, &format!("{STATUS}?type=personal")).await;
    assert_eq!(personal["size"], 0);
    let (code, body) = get(&s, &format!("{STATUS}?type=team")).await;
    assert_eq!(
        (code, body["errors"][0]["message"].as_str()),
        (400, Some("type: must be NORMAL or PERSONAL, not 'team'"))
    );

    // A configuration change makes clean results outdated: GOOD turns OUTDATED.
    keywarden_core::settings::bump_generation(s.state.store())
        .await
        .unwrap();
    let (_, good) = get(&s, &format!("{STATUS}/GOOD")).await;
    assert_eq!(good["status"], "OUTDATED");
    assert_eq!(
        counts(&good["repositories"], &PROJECT_KEYS),
        [1, 0, 0, 0, 0, 1]
    );
    let (_, clean_repo) = get(&s, &format!("{STATUS}/PROJ/repos/clean")).await;
    assert_eq!(counts(&clean_repo["branches"], &REPO_KEYS), [1, 0, 0, 0, 1]);

    // Unknown names: 404 envelopes.
    let (code, body) = get(&s, &format!("{STATUS}/NOPE")).await;
    assert_eq!(
        (code, body["errors"][0]["message"].as_str()),
        (404, Some("Project NOPE does not exist."))
    );
    let (code, _) = get(&s, &format!("{STATUS}/PROJ/repos/nope/branches")).await;
    assert_eq!(code, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_and_running_branches() {
    let s = server(None, |c| {
        c.scan_file_delay = Some(Duration::from_millis(100))
    })
    .await;
    // One scan at a time: `parallelScans` applies without a restart.
    let store = s.state.store();
    let mut settings = keywarden_core::settings::SecuritySettings::load(store)
        .await
        .unwrap();
    settings.parallel_scans = 1;
    settings.save(store).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2300)).await;
    s.add_project("PROJ", "P").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = (0..30)
        .map(|i| (format!("f{i}.txt"), "x\n".to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    tokio::task::block_in_place(|| {
        let (dir, _) = push_files(&s, tmp.path(), "PROJ", "app", &refs);
        push(&s, &dir, "PROJ", "app", "main:dev");
    });
    let scan = "/rest/security/1.0/scan/PROJ/repos/app";
    let (_, a) = json(s.admin(Method::POST, scan).send().await.unwrap()).await;
    let (_, b) = json(
        s.admin(Method::POST, &format!("{scan}?branch=dev"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut states = (String::new(), String::new());
    for _ in 0..50 {
        let (_, page) = get(&s, &format!("{STATUS}/PROJ/repos/app/branches")).await;
        states = (
            page["values"][0]["status"].as_str().unwrap().to_string(),
            page["values"][1]["status"].as_str().unwrap().to_string(),
        );
        if states.0 == "RUNNING" {
            assert_eq!(page["values"][0]["scanKey"], a["scanKey"]);
            assert_eq!(page["values"][1]["scanKey"], b["scanKey"]);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(states, ("RUNNING".to_string(), "QUEUED".to_string()));
    for key in [&a["scanKey"], &b["scanKey"]] {
        let r = s
            .admin(
                Method::DELETE,
                &format!("{scan}?scanKey={}", key.as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let (_, page) = get(&s, &format!("{STATUS}/PROJ/repos/app/branches")).await;
    assert_eq!(page["values"][0]["status"], "NOT_SCANNED");
}
