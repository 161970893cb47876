//! Helpers shared by the scan, status and export tests: both database backends, fast queue
//! timings, pushing files, and waiting for scans.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keywarden_server::{AcceptAll, Config};
use keywarden_store::DatabaseLocation;
use reqwest::Method;
use serde_json::Value;

pub use crate::postgres::{drop_schema, on_backend, pg_schema, pg_url};
use crate::{ADMIN_PASSWORD, TestServer, git_ok, json, remote};

/// Short leases and polls, so that tests see the queue move quickly.
pub fn fast(config: &mut Config) {
    config.scan_lease = Duration::from_secs(2);
    config.scan_poll = Duration::from_millis(100);
}

/// A server on `db` with fast queue timings and `tweak`.
pub async fn server(db: Option<DatabaseLocation>, tweak: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_config(Arc::new(AcceptAll), None, db, |c| {
        fast(c);
        tweak(c);
    })
    .await
}

/// A working repository for `PROJECT/slug` of `s`, with `files` committed on `main` and
/// pushed. Returns the working directory (inside `parent`) and the commit.
pub fn push_files(
    s: &TestServer,
    parent: &Path,
    project: &str,
    slug: &str,
    files: &[(&str, &str)],
) -> (PathBuf, String) {
    let dir = parent.join(format!("{project}-{slug}"));
    std::fs::create_dir_all(&dir).unwrap();
    git_ok(&dir, &["init", "-q"]);
    let commit = commit_files(&dir, files, "files");
    push(s, &dir, project, slug, "main");
    (dir, commit)
}

/// Writes and commits files; returns the commit id.
pub fn commit_files(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", message]);
    git_ok(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Pushes `refspec` of `dir` to `PROJECT/slug`.
pub fn push(s: &TestServer, dir: &Path, project: &str, slug: &str, refspec: &str) {
    let url = remote(s, "admin", ADMIN_PASSWORD, project, slug);
    git_ok(dir, &["push", "-q", &url, refspec]);
}

/// GET as the admin; status and JSON.
pub async fn get(s: &TestServer, path: &str) -> (u16, Value) {
    json(s.admin(Method::GET, path).send().await.unwrap()).await
}

/// Polls `GET path` until the result is scanned and nothing is queued or running.
pub async fn wait_scanned(s: &TestServer, path: &str) -> Value {
    for _ in 0..300 {
        let (status, body) = get(s, path).await;
        assert_eq!(status, 200, "{body}");
        if body["scanned"] == true && body["scheduled"] == false {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path}: no result within 30 s");
}

/// A working repository pushed to `PROJ/app` with `main`, and `n` more local branches
/// `b0..` each on a commit of its own. Returns the directory and each branch's commit.
pub fn prepare_branches(s: &TestServer, parent: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let (dir, _) = push_files(s, parent, "PROJ", "app", &[("readme.txt", "hello\n")]);
    let commits = (0..n)
        .map(|i| {
            git_ok(&dir, &["checkout", "-q", "-b", &format!("b{i}"), "main"]);
            commit_files(&dir, &[(&format!("f{i}.txt"), &format!("{i}\n"))], "branch")
        })
        .collect();
    git_ok(&dir, &["checkout", "-q", "main"]);
    (dir, commits)
}

/// Pushes branch `b{i}` of `dir` for every `i`, all at once, each to one of `servers` in
/// turn. Every push must succeed.
pub fn push_concurrently(servers: &[&TestServer], dir: &Path, n: usize) {
    let urls: Vec<String> = servers
        .iter()
        .map(|s| remote(s, "admin", ADMIN_PASSWORD, "PROJ", "app"))
        .collect();
    std::thread::scope(|scope| {
        let pushes: Vec<_> = (0..n)
            .map(|i| {
                let url = urls[i % urls.len()].clone();
                scope.spawn(move || {
                    let refspec = format!("b{i}:refs/heads/b{i}");
                    crate::push(dir, &["push", "-q", &url, &refspec])
                })
            })
            .collect();
        for (i, p) in pushes.into_iter().enumerate() {
            let (ok, out) = p.join().unwrap();
            assert!(ok, "push of b{i} failed: {out}");
        }
    });
}
