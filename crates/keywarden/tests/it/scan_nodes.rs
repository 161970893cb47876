//! Two real `keywarden serve` processes sharing one PostgreSQL database and one data directory
//! split the scan queue; `kill -9` of one in the middle of its scans, and the other takes them
//! over once their leases expire and finishes them. A node killed and started again under its
//! name takes its own scans back at once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keywarden_store::DatabaseLocation;
use serde_json::Value;
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_keywarden");
const PASSWORD: &str = "admin-password";

/// A `keywarden serve` process; killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, db: &str, node: &str) -> Node {
    start_with(data, Some(db), node, 2, 40)
}

/// A node on `db` (`None`: the data directory's SQLite file) with leases of `lease` seconds,
/// scanning each file in no less than `delay_ms`.
fn start_with(data: &Path, db: Option<&str>, node: &str, lease: u64, delay_ms: u64) -> Node {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data);
    if let Some(db) = db {
        cmd.args(["--database-url", db]);
    }
    let mut child = cmd
        .args(["--node-id", node])
        .args([
            "--scan-lease-seconds",
            &lease.to_string(),
            "--scan-poll-ms",
            "100",
            "--scan-workers",
            "2",
        ])
        .env("KEYWARDEN_SCAN_FILE_DELAY_MS", delay_ms.to_string())
        .env("KEYWARDEN_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Node { child, base }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn call(method: reqwest::Method, url: String) -> (u16, Value) {
    let r = client()
        .request(method, url)
        .basic_auth("admin", Some(PASSWORD))
        .header("X-Atlassian-Token", "no-check")
        .send()
        .await
        .unwrap();
    testkit::json(r).await
}

/// `(scan_key, lease_owner, attempts, state)` of every scan, from the shared database.
async fn scans(url: &str, schema: &str) -> Vec<(String, Option<String>, i64, String)> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT scan_key, lease_owner, attempts, state FROM {schema}.scans ORDER BY id"
    )))
    .fetch_all(&mut c)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_split_the_queue_and_survive_a_kill() {
    if std::env::var("KEYWARDEN_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("KEYWARDEN_SKIP_POSTGRES=1: skipped");
        return;
    }
    let (db, schema) = testkit::scans::pg_schema().await;
    let DatabaseLocation::Postgres(db_url) = db else {
        unreachable!()
    };
    let outcome = tokio::spawn(run(db_url, schema.clone())).await;
    testkit::scans::drop_schema(&schema).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn run(db_url: String, schema: String) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let a = tokio::task::block_in_place(|| start(&data, &db_url, "node-a"));
    let b = tokio::task::block_in_place(|| start(&data, &db_url, "node-b"));

    // Four repositories of 40 files each, created and pushed through node a.
    create_repositories(&a.base, tmp.path(), 4).await;

    // Queue four scans on node a (about 1.6 s each at 40 ms per file).
    let mut keys = Vec::new();
    for i in 0..4 {
        let (status, body) = call(
            reqwest::Method::POST,
            format!("{}/rest/security/1.0/scan/PROJ/repos/r{i}", a.base),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        keys.push(body["scanKey"].as_str().unwrap().to_string());
    }
    // Both nodes take scans from the shared queue.
    let deadline = Instant::now() + Duration::from_secs(10);
    let owners = loop {
        let rows = scans(&db_url, &schema).await;
        let running: Vec<_> = rows.iter().filter(|r| r.3 == "RUNNING").collect();
        let owners: std::collections::BTreeSet<String> =
            running.iter().filter_map(|r| r.1.clone()).collect();
        if owners.len() == 2 && running.len() == 4 {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "both nodes should be scanning: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let on_a: Vec<String> = owners
        .iter()
        .filter(|r| r.1.as_deref() == Some("node-a"))
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(on_a.len(), 2, "{owners:?}");

    // Mid-scan: kill -9 node a (no chance to clean up).
    let (_, mid) = call(
        reqwest::Method::GET,
        format!("{}/rest/security/1.0/scan/PROJ/repos/r0", b.base),
    )
    .await;
    assert_eq!(mid["scanned"], false);
    drop(a);

    // Node b finishes its own scans and, after the leases expire, node a's.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = scans(&db_url, &schema).await;
        if rows.iter().all(|r| r.3 == "DONE") {
            for r in &rows {
                assert_eq!(r.1.as_deref(), Some("node-b"), "{rows:?}");
                let taken_over = on_a.contains(&r.0);
                assert_eq!(r.2, if taken_over { 2 } else { 1 }, "{rows:?}");
            }
            break;
        }
        assert!(Instant::now() < deadline, "scans not finished: {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, key) in keys.iter().enumerate() {
        let (_, body) = call(
            reqwest::Method::GET,
            format!("{}/rest/security/1.0/scan/PROJ/repos/r{i}", b.base),
        )
        .await;
        assert_eq!(
            (&body["scanned"], &body["actual"], &body["scanKey"]),
            (
                &Value::Bool(true),
                &Value::Bool(true),
                &Value::String(key.clone())
            )
        );
        assert_eq!(body["progress"], 100);
    }
    drop(b);
}

/// Creates project `PROJ` and repositories `r0..r{n}` of 40 files each through `base`.
async fn create_repositories(base: &str, work: &Path, n: usize) {
    let (status, _) = testkit::json(
        client()
            .post(format!("{base}/rest/api/latest/projects"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&serde_json::json!({"key": "PROJ", "name": "P"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let files: Vec<(String, String)> = (0..40)
        .map(|i| (format!("f{i:02}.txt"), format!("line {i}\n")))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    for i in 0..n {
        let r = client()
            .post(format!("{base}/rest/api/latest/projects/PROJ/repos"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&serde_json::json!({"name": format!("r{i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let host = base.trim_start_matches("http://");
        let url = format!("http://admin:{PASSWORD}@{host}/scm/PROJ/r{i}.git");
        let dir = work.join(format!("w{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        tokio::task::block_in_place(|| {
            testkit::git_ok(&dir, &["init", "-q"]);
            testkit::scans::commit_files(&dir, &refs, "files");
            testkit::git_ok(&dir, &["push", "-q", &url, "main"]);
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_after_kill_takes_its_scan_back_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Leases of two minutes: waiting one out would fail the deadline below.
    let a = tokio::task::block_in_place(|| start_with(&data, None, "node-a", 120, 150));
    create_repositories(&a.base, tmp.path(), 1).await;
    let db = format!("sqlite://{}", data.join("keywarden.db").display());
    let mut c = sqlx::SqliteConnection::connect(&db).await.unwrap();
    // The push's hook stored its files' outcomes under the rule set of the day: the scan runs
    // with another, which has none of them.
    let (hook_rule_set,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM blob_rule_sets")
        .fetch_one(&mut c)
        .await
        .unwrap();
    let (status, body) = call(
        reqwest::Method::DELETE,
        format!("{}/rest/security/latest/hardcoded/AWS_CLIENT_ID", a.base),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let scan_url = format!("{}/rest/security/1.0/scan/PROJ/repos/r0", a.base);
    let (status, body) = call(reqwest::Method::POST, scan_url).await;
    assert_eq!(status, 200, "{body}");
    // Outcomes stored under the scan's rule set.
    let cached = async |c: &mut sqlx::SqliteConnection| -> i64 {
        sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM blob_outcomes WHERE rule_set_id > $1")
            .bind(hook_rule_set)
            .fetch_one(c)
            .await
            .unwrap()
            .0
    };
    // Until part of the files are scanned and their outcomes stored.
    let deadline = Instant::now() + Duration::from_secs(10);
    while cached(&mut c).await < 8 {
        assert!(Instant::now() < deadline, "no blob outcome was stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // kill -9 mid-scan, then the same node again.
    drop(a);
    let done_before = cached(&mut c).await;
    assert!(done_before < 40, "the scan finished before the kill");
    let started = Instant::now();
    let a = tokio::task::block_in_place(|| start_with(&data, None, "node-a", 120, 150));
    let body = loop {
        let (_, body) = call(
            reqwest::Method::GET,
            format!("{}/rest/security/1.0/scan/PROJ/repos/r0", a.base),
        )
        .await;
        if body["scanned"] == true {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the restarted node did not take its scan back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["progress"], 100);
    let (attempts, owner): (i64, Option<String>) =
        sqlx::query_as("SELECT attempts, lease_owner FROM scans")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((attempts, owner.as_deref()), (2, Some("node-a")));
    // The restarted node scanned only what the killed one had not stored.
    let (_, status) = call(reqwest::Method::GET, format!("{}/status", a.base)).await;
    assert_eq!(status["scanCache"]["loaded"], done_before, "{status}");
    assert_eq!(status["scanCache"]["misses"], 40 - done_before, "{status}");
    assert_eq!(cached(&mut c).await, 40);
    drop(a);
}
