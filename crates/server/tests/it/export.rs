//! CSV export end to end (SPEC 8) on both backends: the CSV parsed back and compared with the
//! scan results, filters, date range (a bad date is a 400), headers, the formula-injection
//! guard, all-branch and project-wide exports.

use keywarden_store::DatabaseLocation;
use reqwest::Method;
use serde_json::Value;
use testkit::scans::{get, on_backend, push, push_files, server, wait_scanned};
use testkit::{TestServer, assert_error};

const KEY: &str = "AKIAZ7QXKP4MWL2HRT6J";
const HEADER: [&str; 12] = [
    "Project",
    "Repository",
    "Branch",
    "File",
    "Line",
    "Rule",
    "Match",
    "Line Text",
    "Commit",
    "Scan Date",
    "Allowlisted",
    "Reviewed",
];

async fn scan(s: &TestServer, repo: &str, branch: &str) -> Value {
    let path = format!(
        "/rest/security/1.0/scan/PROJ/repos/{repo}?branch={branch}&includeAllowlisted=true"
    );
    let r = s.admin(Method::POST, &path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    wait_scanned(s, &path).await
}

/// Status, headers and the parsed CSV (header row first).
async fn export(s: &TestServer, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<Vec<String>>) {
    let r = s.admin(Method::GET, path).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (status, headers, rows)
}

/// The CSV rows a scan result should export.
fn expected(repo: &str, branch: &str, result: &Value, allowlisted: bool) -> Vec<Vec<String>> {
    result["invalidLines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| allowlisted || l["allowlisted"] == false)
        .map(|l| {
            let text = l["text"].as_str().unwrap();
            let (a, b) = (
                l["lineOffsetStart"].as_u64().unwrap() as usize,
                l["lineOffsetEnd"].as_u64().unwrap() as usize,
            );
            let m: String = text.chars().skip(a).take(b - a).collect();
            let guard = |s: &str| {
                if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{s}")
                } else {
                    s.to_string()
                }
            };
            vec![
                "PROJ".into(),
                repo.into(),
                branch.into(),
                l["path"].as_str().unwrap().into(),
                l["line"].to_string(),
                l["ruleName"].as_str().unwrap().into(),
                guard(&m),
                guard(text),
                l["commitId"].as_str().unwrap().into(),
                result["scanDate"].as_str().unwrap().into(),
                l["allowlisted"].to_string(),
                "false".into(),
            ]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_sqlite() {
    on_backend(false, exports).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_postgres() {
    on_backend(true, exports).await;
}

async fn exports(db: Option<DatabaseLocation>) {
    let s = server(db, |_| {}).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "lib").await;
    let tmp = tempfile::tempdir().unwrap();
    // A tab before the formula sign hides it from a guard that looks only for the sign.
    let formula = format!("\t=HYPERLINK(\"x\") aws_access_key_id = {KEY}");
    let quoted = format!("key = \"{KEY}\", \"other\"");
    let allowed = format!("id = {KEY} # pragma: allowlist secret");
    let app_files = [
        ("a.csv", format!("{formula}\n")),
        ("b/q.txt", format!("x\n{quoted}\n")),
        ("c.txt", format!("{allowed}\n")),
    ];
    let refs: Vec<(&str, &str)> = app_files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    tokio::task::block_in_place(|| {
        let (dir, _) = push_files(&s, tmp.path(), "PROJ", "app", &refs);
        push(&s, &dir, "PROJ", "app", "main:dev");
        push_files(
            &s,
            tmp.path(),
            "PROJ",
            "lib",
            &[("k.env", &format!("AWS={KEY}\n"))],
        );
    });
    let main = scan(&s, "app", "main").await;
    let dev = scan(&s, "app", "dev").await;
    let lib = scan(&s, "lib", "main").await;
    assert_eq!(main["invalidLines"].as_array().unwrap().len(), 3, "{main}");

    // The seed's single-branch export (default branch), parsed back and compared.
    let (status, headers, rows) =
        export(&s, "/rest/security/1.0/export-report/PROJ/repos/app").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"PROJ-app-main-security-report.csv\""
    );
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows[1..], expected("app", "main", &main, false)[..]);
    assert_eq!(rows[1][7], format!("'{formula}"), "formula guard");
    assert_eq!(rows[2][7], quoted, "quotes and commas survive");
    assert_eq!(rows.len(), 3);

    // Filters.
    let (_, _, all) = export(&s, "/rest/security/1.0/export-report/PROJ/repos/app?includeAllowlisted=true&includeReviewed=true").await;
    assert_eq!(all[1..], expected("app", "main", &main, true)[..]);
    let (_, _, none) = export(
        &s,
        "/rest/security/1.0/export-report/PROJ/repos/app?ruleType=SLACK_TOKEN",
    )
    .await;
    assert_eq!(none.len(), 1);
    let (_, _, aws) = export(
        &s,
        "/rest/security/1.0/export-report/PROJ/repos/app?ruleType=AWS_CLIENT_ID",
    )
    .await;
    assert_eq!(aws.len(), 3);
    let (_, _, dev_rows) = export(
        &s,
        "/rest/security/1.0/export-report/PROJ/repos/app?branch=dev",
    )
    .await;
    assert_eq!(dev_rows[1..], expected("app", "dev", &dev, false)[..]);

    // Date range: start inclusive, end exclusive, on the scan date.
    let date = main["scanDate"].as_str().unwrap();
    let (_, _, from) = export(&s, "/rest/security/1.0/export-report/PROJ/repos/app?startDate=2020-01-01T00:00:00Z&endDate=2999-01-01T00:00:00Z").await;
    assert_eq!(from.len(), 3);
    let (_, _, later) = export(
        &s,
        "/rest/security/1.0/export-report/PROJ/repos/app?startDate=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(later.len(), 1);
    let (_, _, before) = export(
        &s,
        "/rest/security/1.0/export-report/PROJ/repos/app?endDate=2020-09-07T00:01:12Z",
    )
    .await;
    assert_eq!(before.len(), 1);
    assert!(date.ends_with('Z'));
    // The scan date itself: included as a start, excluded as an end.
    let (_, _, at_start) = export(
        &s,
        &format!("/rest/security/1.0/export-report/PROJ/repos/app?startDate={date}"),
    )
    .await;
    assert_eq!(at_start.len(), 3);
    let (_, _, at_end) = export(
        &s,
        &format!("/rest/security/1.0/export-report/PROJ/repos/app?endDate={date}"),
    )
    .await;
    assert_eq!(at_end.len(), 1);
    for bad in ["startDate=yesterday", "endDate=2024-13-45T00:00:00Z"] {
        let r = s
            .admin(
                Method::GET,
                &format!("/rest/security/1.0/export-report/PROJ/repos/app?{bad}"),
            )
            .send()
            .await
            .unwrap();
        let field = bad.split('=').next().unwrap();
        assert_error(
            r,
            400,
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
            field,
        )
        .await;
    }
    let r = s
        .admin(
            Method::GET,
            "/rest/security/1.0/export-report/PROJ/repos/app?branch=nope",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // All branches of a repository, and the whole project.
    let (_, _, both) = export(
        &s,
        "/rest/security/latest/export-report/projects/PROJ/repos/app?allBranches=true",
    )
    .await;
    let mut want = expected("app", "main", &main, false);
    want.extend(expected("app", "dev", &dev, false));
    let mut got = both[1..].to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let (status, headers, project) =
        export(&s, "/rest/security/latest/export-report/projects/PROJ").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"PROJ-security-report.csv\""
    );
    want.extend(expected("lib", "main", &lib, false));
    let mut got = project[1..].to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // Someone without access gets the envelope, not a CSV.
    s.add_user("eve", "evepw").await;
    let r = s
        .as_user(
            "eve",
            "evepw",
            Method::GET,
            "/rest/security/latest/export-report/projects/PROJ",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (code, _) = get(&s, "/rest/security/latest/export-report/projects/NOPE").await;
    assert_eq!(code, 404);
}
