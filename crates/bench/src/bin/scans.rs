//! Measures branch rescans and status pages against a real server (in this process, over real
//! HTTP, on SQLite or PostgreSQL).
//!
//! ```text
//! scans [--files 10000] [--repos 10000] [--requests 200] [--postgres URL]
//! ```
//!
//! Needs the `keywarden` binary next to this one (pushes run its hook).
//!
//! * Rescans: a repository of `--files` files is pushed and scanned; then the configuration
//!   generation is bumped (what toggling a rule off and on again does) and the unchanged branch
//!   is scanned again; then one file changes and the branch is scanned again. Reports each
//!   scan's duration as the worker measured it (`finished_at - started_at`: tree listing,
//!   cache lookups, scanning what changed, writing the results).
//!   Then the server is restarted (its memory is empty) and the unchanged branch is scanned
//!   again from the blob cache in the database, five times; the cache's size is reported.
//! * Status pages: `--repos` repositories in one project (two branches each; two thirds
//!   scanned, some vulnerable, some outdated) plus 50 small projects; reports p50/p99 of
//!   `--requests` GETs of each status page, and the answer time of `PUT total_rescan`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use keywarden_bench::harness::{PASSWORD, Server, git};
use keywarden_store::{NewRepository, NewScan, ScanOutcome, Store};

struct Args {
    files: usize,
    repos: usize,
    requests: usize,
    postgres: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        files: 10_000,
        repos: 10_000,
        requests: 200,
        postgres: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().context("a value is missing");
        match flag.as_str() {
            "--files" => a.files = value()?.parse()?,
            "--repos" => a.repos = value()?.parse()?,
            "--requests" => a.requests = value()?.parse()?,
            "--postgres" => a.postgres = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// Scans the default branch of PROJ/app and returns the worker's duration.
async fn scan(s: &Server) -> anyhow::Result<Duration> {
    let path = "/rest/security/1.0/scan/BENCH/repos/app";
    let posted = s.json(reqwest::Method::POST, path).await?;
    let key = posted["scanKey"]
        .as_str()
        .context("no scan key")?
        .to_string();
    loop {
        let body = s.json(reqwest::Method::GET, path).await?;
        if body["scanned"] == true && body["scheduled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let scan = s
        .state
        .store()
        .scan_by_key(&key)
        .await?
        .context("scan row")?;
    let ms = scan.finished_at.unwrap_or(0) - scan.started_at.unwrap_or(0);
    Ok(Duration::from_millis(ms.max(0) as u64))
}

async fn rescans(s: Server, files: usize) -> anyhow::Result<Server> {
    let r = s
        .req(reqwest::Method::POST, "/rest/api/latest/projects")
        .json(&serde_json::json!({"key": "BENCH", "name": "Bench"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "project: {}", r.status());
    let r = s
        .req(
            reqwest::Method::POST,
            "/rest/api/latest/projects/BENCH/repos",
        )
        .json(&serde_json::json!({"name": "app"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "repository: {}", r.status());
    let work = tempfile::tempdir()?;
    let dir = work.path();
    git(dir, &["init", "-q"])?;
    for i in 0..files {
        let sub = dir.join(format!("src/m{:03}", i / 100));
        std::fs::create_dir_all(&sub)?;
        let mut text = String::new();
        for l in 0..40 {
            text.push_str(&format!(
                "fn item_{i}_{l}(config: &Config) -> Result<u32> {{ Ok({l}) }}\n"
            ));
        }
        std::fs::write(sub.join(format!("f{i}.rs")), text)?;
    }
    git(dir, &["add", "-A"])?;
    git(dir, &["commit", "-q", "-m", "files"])?;
    let host = s.base.trim_start_matches("http://");
    let url = format!("http://admin:{PASSWORD}@{host}/scm/BENCH/app.git");
    git(dir, &["push", "-q", &url, "main"])?;

    let cold = scan(&s).await?;
    let mut unchanged = Vec::new();
    for _ in 0..5 {
        keywarden_core::settings::bump_generation(s.state.store()).await?;
        unchanged.push(scan(&s).await?);
    }
    let mut one_file = Vec::new();
    for round in 0..5 {
        std::fs::write(dir.join("src/m000/f0.rs"), format!("// change {round}\n"))?;
        git(dir, &["commit", "-q", "-am", "change"])?;
        git(dir, &["push", "-q", &url, "main"])?;
        one_file.push(scan(&s).await?);
    }
    let mut restarted = Vec::new();
    let mut s = s;
    for _ in 0..5 {
        s = s.restart().await?;
        keywarden_core::settings::bump_generation(s.state.store()).await?;
        restarted.push(scan(&s).await?);
    }
    let c = s.state.scans().cache().counts();
    let stats = s.state.store().blob_cache_stats().await?;
    // The database's part of a rescan after a restart: one lookup of every blob of the branch.
    let ids: Vec<Vec<u8>> = git(dir, &["ls-tree", "-r", "--format=%(objectname)", "HEAD"])?
        .lines()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16))
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let repository = s
        .state
        .store()
        .all_repositories(None)
        .await?
        .into_iter()
        .next()
        .context("the repository")?;
    let rules = keywarden_core::scans::rules_source::effective(&s.state, &repository).await?;
    let rule_set = s
        .state
        .store()
        .blob_rule_set(&rules.identity_text())
        .await?;
    let t = Instant::now();
    let found = s.state.store().cached_blobs(rule_set, &ids).await?;
    let lookup = t.elapsed();
    println!("rescans of a {files}-file branch (worker time per scan):");
    println!(
        "  first scan (cold cache):          {:>6} ms",
        cold.as_millis()
    );
    println!(
        "  unchanged, configuration changed: {:>6} ms (median of 5; all: {:?})",
        median(&unchanged),
        ms(&unchanged)
    );
    println!(
        "  one file changed:                 {:>6} ms (median of 5; all: {:?})",
        median(&one_file),
        ms(&one_file)
    );
    println!(
        "  unchanged, after a restart:       {:>6} ms (median of 5; all: {:?}; last process: {} blobs loaded from the database, {} scanned)",
        median(&restarted),
        ms(&restarted),
        c.loaded,
        c.misses
    );
    println!(
        "  of which the database lookup of the branch's {} blobs: {} ms ({} found)",
        ids.len(),
        lookup.as_millis(),
        found.len()
    );
    println!(
        "  blob cache in the database: {} entries, {} bytes ({:.0} bytes per blob)",
        stats.entries,
        stats.bytes,
        stats.bytes as f64 / stats.entries.max(1) as f64
    );
    Ok(s)
}

fn ms(v: &[Duration]) -> Vec<u128> {
    v.iter().map(Duration::as_millis).collect()
}

fn median(v: &[Duration]) -> u128 {
    let mut m = ms(v);
    m.sort();
    m[m.len() / 2]
}

async fn fill_statuses(store: &dyn Store, repos: usize) -> anyhow::Result<()> {
    let big = store
        .create_project(keywarden_store::NewProject {
            key: "BIG".into(),
            name: "Big".into(),
            description: None,
        })
        .await?;
    for p in 0..50 {
        let small = store
            .create_project(keywarden_store::NewProject {
                key: format!("S{p:02}"),
                name: format!("Small {p}"),
                description: None,
            })
            .await?;
        for r in 0..3 {
            store
                .create_repository(NewRepository {
                    project_id: small.id,
                    slug: format!("r{r}"),
                    name: format!("r{r}"),
                    default_branch: "main".into(),
                    disk_name: format!("s{p}-{r}"),
                })
                .await?;
        }
    }
    let started = Instant::now();
    for i in 0..repos {
        let repo = store
            .create_repository(NewRepository {
                project_id: big.id,
                slug: format!("repo-{i:05}"),
                name: format!("Repo {i:05}"),
                default_branch: "main".into(),
                disk_name: format!("big-{i}"),
            })
            .await?;
        let tip = format!("{i:040x}");
        store
            .sync_branches(
                repo.id,
                "main",
                &[
                    ("refs/heads/main".into(), tip.clone()),
                    ("refs/heads/dev".into(), tip.clone()),
                ],
            )
            .await?;
        if i % 3 != 0 {
            store
                .enqueue_scan(NewScan {
                    scan_key: format!("k{i}"),
                    repository_id: repo.id,
                    branch: "refs/heads/main".into(),
                    history: false,
                    reason: keywarden_store::ScanReason::Manual,
                    batch_id: None,
                })
                .await?;
            let c = store.claim_scan("bench", 0, 1, 3).await?.context("claim")?;
            let commit = if i % 5 == 0 { "old".to_string() } else { tip };
            store
                .start_scan(c.id, "bench", &commit, 0, "bench", None)
                .await?;
            let vulns = i64::from(i % 7 == 0);
            store
                .finish_scan(
                    c.id,
                    "bench",
                    ScanOutcome {
                        vulnerabilities: vulns,
                        ..ScanOutcome::default()
                    },
                )
                .await?;
        }
    }
    println!(
        "filled {repos} repositories in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn status_pages(s: &Server, repos: usize, requests: usize) -> anyhow::Result<()> {
    // The fill writes scan results itself: no worker must take its scans.
    keywarden_core::scans::stop(&s.state).await;
    fill_statuses(s.state.store(), repos).await?;
    let pages = [
        "/rest/security/latest/status/projects",
        "/rest/security/latest/status/projects?name=big",
        "/rest/security/latest/status/projects/BIG",
        "/rest/security/latest/status/projects/BIG/repos",
        "/rest/security/latest/status/projects/BIG/repos?start=9000&limit=25&name=repo",
        "/rest/security/latest/status/projects/BIG/repos/repo-04242",
        "/rest/security/latest/status/projects/BIG/repos/repo-04242/branches",
    ];
    println!("status pages with {repos} repositories in one project ({requests} requests each):");
    for page in pages {
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            s.json(reqwest::Method::GET, page).await?;
            times.push(t.elapsed());
        }
        times.sort();
        let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
        println!(
            "  {page:<78} p50 {:>6.1} ms  p99 {:>6.1} ms",
            p(0.5),
            p(0.99)
        );
    }
    // Mass rescans answer at once: the branch scans are queued in one statement.
    let mut answers = Vec::new();
    let mut scheduled = serde_json::Value::Null;
    for _ in 0..5 {
        let t = Instant::now();
        let body = s
            .json(
                reqwest::Method::PUT,
                "/rest/security/latest/status/total_rescan",
            )
            .await?;
        answers.push(t.elapsed());
        scheduled = body["scheduled"].clone();
    }
    println!(
        "  PUT total_rescan ({scheduled} branch scans queued): {} ms (median of 5; all: {:?})",
        median(&answers),
        ms(&answers)
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let backend = if a.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("backend: {backend}");
    let dir = tempfile::tempdir()?;
    let s = Server::start(&dir.path().join("data"), a.postgres.as_deref()).await?;
    let s = rescans(s, a.files).await?;
    status_pages(&s, a.repos, a.requests).await?;
    Ok(())
}
