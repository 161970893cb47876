//! Measures mass rescans of an instance where most repositories are forks of a few: the blob
//! cache in the database makes each distinct blob cost one scan, across repositories and
//! restarts. A real server in this process, over real HTTP, on SQLite or PostgreSQL.
//!
//! ```text
//! forks [--repos 1000] [--bases 5] [--files 300] [--postgres URL]
//! ```
//!
//! `--bases` repositories get `--files` files each (a third shared by all of them, as a vendored
//! library would be) by a real push; `--repos` forks each take one base's branch by a local
//! `git fetch` into their bare repository, and their tips are recorded as a push would record
//! them. Then `PUT total_rescan` runs until every branch is scanned; the server is restarted
//! (its memory is empty) and the total rescan runs again. Reports, for each: the answer time,
//! the wall time until the last scan finished, and the blobs scanned and looked up.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use keywarden_bench::harness::{PASSWORD, Server, git};
use keywarden_store::ScanState;

struct Args {
    repos: usize,
    bases: usize,
    files: usize,
    postgres: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        repos: 1000,
        bases: 5,
        files: 300,
        postgres: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().context("a value is missing");
        match flag.as_str() {
            "--repos" => a.repos = value()?.parse()?,
            "--bases" => a.bases = value()?.parse()?,
            "--files" => a.files = value()?.parse()?,
            "--postgres" => a.postgres = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// Source files: `shared` of them the same in every base, the rest the base's own.
fn write_base(dir: &Path, base: usize, files: usize) -> anyhow::Result<()> {
    let shared = files / 3;
    for i in 0..files {
        let (folder, seed) = if i < shared {
            ("vendor", format!("lib{i}"))
        } else {
            ("src", format!("b{base}_{i}"))
        };
        let sub = dir.join(folder);
        std::fs::create_dir_all(&sub)?;
        let mut text = String::new();
        for l in 0..60 {
            text.push_str(&format!(
                "fn item_{seed}_{l}(config: &Config) -> Result<u32> {{ let password = config.get(\"p{l}\")?; Ok({l}) }}\n"
            ));
        }
        std::fs::write(sub.join(format!("{seed}.rs")), text)?;
    }
    Ok(())
}

/// Waits until no scan of the batch's repositories is queued or running.
async fn wait_idle(s: &Server, repos: &[keywarden_store::Repository]) -> anyhow::Result<()> {
    let busy = [ScanState::Queued, ScanState::Running];
    'poll: loop {
        for r in repos.iter().rev() {
            if s.state
                .store()
                .latest_scan(r.id, "refs/heads/main", false, &busy)
                .await?
                .is_some()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue 'poll;
            }
        }
        return Ok(());
    }
}

async fn total_rescan(
    s: &Server,
    label: &str,
    repos: &[keywarden_store::Repository],
) -> anyhow::Result<()> {
    let before = s.state.scans().cache().counts();
    let started = Instant::now();
    let body = s
        .call(
            reqwest::Method::PUT,
            "/rest/security/latest/status/total_rescan",
            None,
        )
        .await?;
    let answered = started.elapsed();
    wait_idle(s, repos).await?;
    let wall = started.elapsed();
    let after = s.state.scans().cache().counts();
    println!(
        "  {label:<28} answer {:>6.1} ms, all {} branches scanned in {:>6.2} s; blobs scanned {}, \
         found in memory {}, loaded from the database {}",
        answered.as_secs_f64() * 1000.0,
        body["scheduled"],
        wall.as_secs_f64(),
        after.misses - before.misses,
        after.hits - before.hits,
        after.loaded - before.loaded,
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let s = Server::start(&data, a.postgres.as_deref()).await?;
    s.call(
        reqwest::Method::POST,
        "/rest/api/latest/projects",
        Some(serde_json::json!({"key": "FORKS", "name": "Forks"})),
    )
    .await?;
    let host = s.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    for b in 0..a.bases {
        let name = format!("base{b}");
        create_repo(&s, &name).await?;
        let work = dir.path().join(format!("work{b}"));
        std::fs::create_dir_all(&work)?;
        git(&work, &["init", "-q"])?;
        write_base(&work, b, a.files)?;
        git(&work, &["add", "-A"])?;
        git(&work, &["commit", "-q", "-m", "files"])?;
        let url = format!("http://admin:{PASSWORD}@{host}/scm/FORKS/{name}.git");
        git(&work, &["push", "-q", &url, "main"])?;
    }
    let store = s.state.store();
    let project = store
        .project_by_key("FORKS")
        .await?
        .context("the project")?;
    for i in 0..a.repos {
        let name = format!("fork{i:04}");
        create_repo(&s, &name).await?;
    }
    let all = store.all_repositories(Some(project.id)).await?;
    let path_of = |slug: &str| -> anyhow::Result<std::path::PathBuf> {
        let r = all.iter().find(|r| r.slug == slug).context("repository")?;
        Ok(s.state.config().repository_path(&r.disk_name))
    };
    for i in 0..a.repos {
        let fork = path_of(&format!("fork{i:04}"))?;
        let base = path_of(&format!("base{}", i % a.bases))?;
        let from = base.to_string_lossy().to_string();
        git(&fork, &["fetch", "-q", &from, "main:main"])?;
    }
    for r in &all {
        keywarden_core::scans::sync_branches(&s.state, r).await?;
    }
    println!(
        "{} repositories ({} bases of {} files, {} forks) made in {:.1} s; backend {}",
        all.len(),
        a.bases,
        a.files,
        a.repos,
        started.elapsed().as_secs_f64(),
        if a.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    // The bases' scans queued by their pushes first.
    wait_idle(&s, &all).await?;
    total_rescan(&s, "first total rescan:", &all).await?;
    total_rescan(&s, "again, same process:", &all).await?;
    s.stop().await;
    let s = Server::start(&data, a.postgres.as_deref()).await?;
    total_rescan(&s, "again, after a restart:", &all).await?;
    let stats = s.state.store().blob_cache_stats().await?;
    println!(
        "  blob cache in the database: {} entries in {} rule set(s), {} bytes ({:.0} per blob)",
        stats.entries,
        stats.rule_sets,
        stats.bytes,
        stats.bytes as f64 / stats.entries.max(1) as f64
    );
    s.stop().await;
    Ok(())
}

async fn create_repo(s: &Server, name: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "name": name });
    s.call(
        reqwest::Method::POST,
        "/rest/api/latest/projects/FORKS/repos",
        Some(body),
    )
    .await?;
    Ok(())
}
