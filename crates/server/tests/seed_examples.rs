//! The seed's examples for scans, status and export, run verbatim against a real server: its
//! Python (`requests`, with the literal `auth=('username', 'password')`) and its curl lines.

mod common;
mod scan_support;

use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use scan_support::{push, push_files, server};

/// The seed's Python snippets, verbatim, between lines that set their variables and print
/// what they got.
const PYTHON: &str = r#"
import json, sys, time
import requests
domain, project, repo_key, branchName = sys.argv[1], "PROJ", "app", "main"
project_key = project
creds = ('username', 'password')

requests.post(f"{domain}/rest/security/1.0/scan/{project}/repos/{repo_key}?branch={branchName}",
                         auth=('username', 'password'))

for _ in range(300):
    response = requests.get(f"{domain}/rest/security/1.0/scan/{project}/repos/{repo_key}",
                            auth=('username', 'password'))
    response.raise_for_status()
    scanned = response.json()['scanned']
    up_to_date = response.json()['actual']
    if scanned and not response.json()['scheduled']:
        break
    time.sleep(0.1)
print(json.dumps({"scanned": scanned, "up_to_date": up_to_date, "total": response.json()["total"]}))

response = requests.get(f"{domain}/rest/security/1.0/export-report/{project_key}/repos/{repo_key}",
                        auth=creds)
response.raise_for_status()
with open('results.csv', 'w') as f:
    f.write(response.text)

# A scan of the slow branch, cancelled while it is queued or running.
branchName = "slow"
r = requests.post(f"{domain}/rest/security/1.0/scan/{project}/repos/{repo_key}?branch={branchName}",
                         auth=('username', 'password'))
scanKey = r.json()["scanKey"]
d = requests.delete(f"{domain}/rest/security/1.0/scan/{project}/repos/{repo_key}?scanKey={scanKey}",
                         auth=('username', 'password'))
print(json.dumps({"scheduled": r.json()["scheduled"], "cancel": d.status_code}))
"#;

fn python_has_requests() -> bool {
    Command::new("python3")
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_python_and_curl_examples() {
    assert!(
        python_has_requests(),
        "python3 with requests is needed (pip install requests)"
    );
    let s = server(None, |c| {
        c.scan_file_delay = Some(Duration::from_millis(20))
    })
    .await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_user("username", "password").await;
    let r = s
        .admin(Method::PUT, "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=username&permission=REPO_WRITE")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = (0..60)
        .map(|i| (format!("f{i}.txt"), format!("{i}\n")))
        .collect();
    let mut refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    refs.push(("keys.env", "aws_access_key_id = AKIAZ7QXKP4MWL2HRT6J\n"));
    tokio::task::block_in_place(|| {
        let (dir, _) = push_files(&s, tmp.path(), "PROJ", "app", &refs);
        push(&s, &dir, "PROJ", "app", "main:slow");
    });

    let work = tempfile::tempdir().unwrap();
    let out = tokio::task::block_in_place(|| {
        Command::new("python3")
            .current_dir(work.path())
            .args(["-c", PYTHON, &s.base])
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({"scanned": true, "up_to_date": true, "total": 1})
    );
    assert_eq!(
        lines[1],
        serde_json::json!({"scheduled": true, "cancel": 204})
    );
    let csv = std::fs::read_to_string(work.path().join("results.csv")).unwrap();
    assert!(csv.starts_with("Project,Repository,Branch,File,Line,Rule,Match,Line Text,Commit,Scan Date,Allowlisted,Reviewed"));
    assert!(
        csv.contains("PROJ,app,main,keys.env,1,AWS_CLIENT_ID,AKIAZ7QXKP4MWL2HRT6J,"),
        "{csv}"
    );

    // The curl lines of "Fetching Security Status" (with the password given, not prompted).
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl missing: curl examples skipped");
        return;
    }
    let b = &s.base;
    for (url, key) in [
        (
            format!("{b}/rest/security/latest/status/projects/PROJ"),
            "projectKey",
        ),
        (
            format!("{b}/rest/security/latest/status/projects?start=0&limit=8&name=Proj"),
            "values",
        ),
        (
            format!("{b}/rest/security/latest/status/projects/PROJ/repos/app"),
            "repositorySlug",
        ),
        (
            format!("{b}/rest/security/latest/status/projects/PROJ/repos?start=0&limit=8&name=app"),
            "values",
        ),
        (
            format!("{b}/rest/security/latest/status/projects/PROJ/repos/app/branches?name=main"),
            "values",
        ),
    ] {
        let out = tokio::task::block_in_place(|| {
            Command::new("curl")
                .args([
                    "-s",
                    "-u",
                    &format!("admin:{}", common::ADMIN_PASSWORD),
                    &url,
                ])
                .output()
                .unwrap()
        });
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(body.get(key).is_some(), "{url}: {body}");
        if key == "values" {
            assert_eq!(body["size"], 1, "{url}: {body}");
        }
    }
}
