//! Measures a scan taken over after `kill -9`: two real `keywarden serve` processes on one
//! PostgreSQL database and one data directory; one is killed in the middle of a branch scan,
//! the other takes the scan over once its lease runs out and finishes it from the blob cache
//! the killed node wrote as it went.
//!
//! ```text
//! takeover --postgres URL [--files 10000] [--lease 5]
//! ```
//!
//! `URL` must name an empty database (or schema, with `?options=-csearch_path%3D...`). Needs
//! the `keywarden` binary next to this one. Reports the time from the kill until the scan is
//! done, and the blobs scanned twice: those the survivor scanned beyond the ones the killed
//! node had not stored.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use keywarden_bench::harness::{PASSWORD, git};
use keywarden_store::DatabaseLocation;
use serde_json::Value;

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

fn start(data: &Path, db: &str, node: &str, lease: u64) -> anyhow::Result<Node> {
    let exe = std::env::current_exe()?.with_file_name("keywarden");
    anyhow::ensure!(exe.exists(), "build the keywarden binary first");
    let mut child = Command::new(exe)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(["--database-url", db, "--node-id", node])
        .args(["--scan-lease-seconds", &lease.to_string()])
        .args(["--scan-poll-ms", "50", "--scan-workers", "1"])
        .env("KEYWARDEN_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = BufReader::new(child.stdout.take().context("stdout")?);
    let mut first = String::new();
    out.read_line(&mut first)?;
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .with_context(|| format!("no URL in {first:?}"))?
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Ok(Node { child, base })
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> anyhow::Result<Value> {
    let mut r = reqwest::Client::new()
        .request(method, &url)
        .basic_auth("admin", Some(PASSWORD))
        .header("X-Atlassian-Token", "no-check");
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await?;
    if !r.status().is_success() {
        bail!("{url}: {}", r.status());
    }
    if r.status() == reqwest::StatusCode::NO_CONTENT {
        return Ok(Value::Null);
    }
    Ok(r.json().await?)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mut files = 10_000usize;
    let mut lease = 5u64;
    let mut db = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().context("a value is missing");
        match flag.as_str() {
            "--files" => files = value()?.parse()?,
            "--lease" => lease = value()?.parse()?,
            "--postgres" => db = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    let db = db.context("--postgres URL is required")?;
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    let a = start(&data, &db, "node-a", lease)?;
    let b = start(&data, &db, "node-b", lease)?;
    call(
        reqwest::Method::POST,
        format!("{}/rest/api/latest/projects", a.base),
        Some(serde_json::json!({"key": "BENCH", "name": "Bench"})),
    )
    .await?;
    call(
        reqwest::Method::POST,
        format!("{}/rest/api/latest/projects/BENCH/repos", a.base),
        Some(serde_json::json!({"name": "app"})),
    )
    .await?;
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work)?;
    git(&work, &["init", "-q"])?;
    for i in 0..files {
        let sub = work.join(format!("src/m{:03}", i / 100));
        std::fs::create_dir_all(&sub)?;
        let mut text = String::new();
        for l in 0..40 {
            text.push_str(&format!(
                "fn item_{i}_{l}(config: &Config) -> Result<u32> {{ let token = config.get(\"t{l}\")?; Ok({l}) }}\n"
            ));
        }
        std::fs::write(sub.join(format!("f{i}.rs")), text)?;
    }
    git(&work, &["add", "-A"])?;
    git(&work, &["commit", "-q", "-m", "files"])?;
    let host = a.base.trim_start_matches("http://");
    git(
        &work,
        &[
            "push",
            "-q",
            &format!("http://admin:{PASSWORD}@{host}/scm/BENCH/app.git"),
            "main",
        ],
    )?;
    let store = keywarden_store::open(&DatabaseLocation::Postgres(db.clone())).await?;
    // The push's hook stored its files' outcomes under today's rules: the scan runs with
    // another rule set (one rule off), which has none of them.
    call(
        reqwest::Method::DELETE,
        format!("{}/rest/security/latest/hardcoded/AWS_CLIENT_ID", a.base),
        None,
    )
    .await?;
    call(
        reqwest::Method::POST,
        format!("{}/rest/security/1.0/scan/BENCH/repos/app", a.base),
        None,
    )
    .await?;
    let in_db_before = store.blob_cache_stats().await?.entries as u64;
    // Wait until a node is part way through the scan (counts of this scan only: the push's
    // hook counted too).
    let status = |n: &Node| call(reqwest::Method::GET, format!("{}/status", n.base), None);
    let count = |s: &Value, what: &str| s["scanCache"][what].as_u64().unwrap_or(0);
    let (a0, b0) = (status(&a).await?, status(&b).await?);
    let a_base = a.base.clone();
    let (mut victim, survivor, victim_scanned) = loop {
        let (sa, sb) = (status(&a).await?, status(&b).await?);
        let limit = files as u64 / 3;
        if count(&sa, "stored") - count(&a0, "stored") >= limit {
            break (a, b, count(&sa, "misses") - count(&a0, "misses"));
        }
        if count(&sb, "stored") - count(&b0, "stored") >= limit {
            break (b, a, count(&sb, "misses") - count(&b0, "misses"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    victim.child.kill()?; // SIGKILL
    let killed = Instant::now();
    victim.child.wait()?;
    let in_db = store.blob_cache_stats().await?.entries as u64 - in_db_before;
    let scan_url = format!("{}/rest/security/1.0/scan/BENCH/repos/app", survivor.base);
    loop {
        let body = call(reqwest::Method::GET, scan_url.clone(), None).await?;
        if body["scanned"] == true && body["scheduled"] == false {
            break;
        }
        anyhow::ensure!(
            killed.elapsed() < Duration::from_secs(600),
            "the scan never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = killed.elapsed();
    let s = status(&survivor).await?;
    let before = if survivor.base == a_base { &a0 } else { &b0 };
    let scanned = count(&s, "misses") - count(before, "misses");
    let loaded = count(&s, "loaded") - count(before, "loaded");
    let needed = files as u64 - in_db;
    // What the killed node scanned but had not written yet is scanned again.
    let lost = victim_scanned.saturating_sub(in_db);
    println!(
        "{files}-file branch, lease {lease} s: the killed node had scanned at least {victim_scanned} blobs and \
         stored {in_db}; the other node finished {:.2} s after the kill (lease included), loading {loaded} \
         outcomes and scanning {scanned} blobs: at least {} scanned twice",
        done.as_secs_f64(),
        lost + scanned.saturating_sub(needed)
    );
    Ok(())
}
