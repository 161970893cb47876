//! The recorded branch tips against concurrency and crashes, on both backends: many
//! concurrent pushes of distinct branches to one repository (one server, and two servers
//! sharing one PostgreSQL database and one data directory), refs moved on disk while the
//! server was down (as a process killed between git's ref update and the record leaves them),
//! and the quarantine folders interrupted pushes leave behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use keywarden_server::Config;
use keywarden_store::DatabaseLocation;
use serde_json::Value;
use testkit::scans::{
    commit_files, get, on_backend, prepare_branches, push_concurrently, push_files, server,
    wait_scanned,
};
use testkit::{TestServer, git_ok};

/// Points `config` at the data directory `dir` (and its SQLite database, unless on PostgreSQL).
fn on_dir(config: &mut Config, dir: &Path) {
    config.data_dir = dir.to_path_buf();
    if matches!(config.database, DatabaseLocation::Sqlite(_)) {
        config.database = DatabaseLocation::Sqlite(dir.join("keywarden.db"));
    }
}

/// The folder of the bare repository `PROJ/slug`.
async fn disk_path(s: &TestServer, slug: &str) -> PathBuf {
    let repos = s.state.store().all_repositories(None).await.unwrap();
    let r = repos.iter().find(|r| r.slug == slug).unwrap();
    s.state.config().repository_path(&r.disk_name)
}

const STATUS: &str = "/rest/security/latest/status/projects/PROJ/repos/app/branches?limit=1000";
const PUSHES: usize = 50;

/// `(branch, latest commit)` of every recorded branch, through the status API.
async fn recorded(s: &TestServer) -> Vec<(String, String)> {
    let (code, page) = get(s, STATUS).await;
    assert_eq!(code, 200, "{page}");
    page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["branch"].as_str().unwrap().to_string(),
                b["latestCommit"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// One recorded branch's status entry.
async fn branch(s: &TestServer, name: &str) -> Option<Value> {
    let (_, page) = get(s, STATUS).await;
    page["values"]
        .as_array()?
        .iter()
        .find(|b| b["branch"] == name)
        .cloned()
}

/// Asserts that `main` and every `b{i}` are recorded at their commits.
async fn assert_all_recorded(s: &TestServer, commits: &[String]) {
    let got = recorded(s).await;
    let missing: Vec<String> = commits
        .iter()
        .enumerate()
        .filter(|(i, c)| !got.contains(&(format!("refs/heads/b{i}"), (*c).clone())))
        .map(|(i, _)| format!("b{i}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} pushed branches not recorded: {missing:?}",
        missing.len(),
        commits.len()
    );
    assert_eq!(got.len(), commits.len() + 1, "{got:?}");
}

async fn concurrent_pushes(db: Option<DatabaseLocation>) {
    let s = server(db, |_| {}).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let commits = tokio::task::block_in_place(|| {
        let (dir, commits) = prepare_branches(&s, tmp.path(), PUSHES);
        push_concurrently(&[&s], &dir, PUSHES);
        commits
    });
    assert_all_recorded(&s, &commits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_sqlite() {
    on_backend(false, concurrent_pushes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_postgres() {
    on_backend(true, concurrent_pushes).await;
}

/// Two servers on one PostgreSQL database and one data directory, pushed to at once; each
/// push also asks for a scan after it (as the hook does when it lets a push through
/// unscanned), which must be queued whatever happened to the tips.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_one_database() {
    on_backend(true, |db| async move {
        let data = tempfile::tempdir().unwrap();
        let shared = data.path().join("data");
        let first = server(db.clone(), |c| on_dir(c, &shared)).await;
        first.add_project("PROJ", "Project").await;
        first.add_repo("PROJ", "app").await;
        let hook = first.state.config().hook_program.clone();
        let second = server(db, |c| {
            on_dir(c, &shared);
            c.hook_program = hook;
            c.node_id = "second".into();
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let commits = tokio::task::block_in_place(|| {
            let (dir, commits) = prepare_branches(&first, tmp.path(), PUSHES);
            push_concurrently(&[&first, &second], &dir, PUSHES);
            commits
        });
        assert_all_recorded(&first, &commits).await;
        assert_all_recorded(&second, &commits).await;
    })
    .await;
}

/// Refs moved and created on disk behind the server's back (the server was stopped between
/// git's ref update and the record): at the next start the branches show at their new tips,
/// and each is scanned there.
async fn reconciled_at_start(db: Option<DatabaseLocation>) {
    let data = tempfile::tempdir().unwrap();
    let shared = data.path().join("data");
    let s = server(db.clone(), |c| on_dir(c, &shared)).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "fresh").await;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = tokio::task::block_in_place(|| {
        push_files(&s, tmp.path(), "PROJ", "app", &[("readme.txt", "hello\n")])
    });
    let path = "/rest/security/1.0/scan/PROJ/repos/app?branch=main";
    let r = s.admin(reqwest::Method::POST, path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    wait_scanned(&s, path).await;
    let before = branch(&s, "refs/heads/main").await.unwrap();
    assert_eq!(before["status"], "SECURE", "{before}");
    let (app_disk, fresh_disk) = (disk_path(&s, "app").await, disk_path(&s, "fresh").await);
    s.state.store().close().await;
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // What git did before the process died: refs updated, nothing recorded.
    let (moved, created) = tokio::task::block_in_place(|| {
        let moved = commit_files(&dir, &[("more.txt", "more\n")], "more");
        git_ok(&dir, &["branch", "side"]);
        let bare = |p: &Path| format!("file://{}", p.display());
        git_ok(&dir, &["push", "-q", &bare(&app_disk), "main", "side"]);
        git_ok(&dir, &["push", "-q", &bare(&fresh_disk), "main"]);
        (moved.clone(), moved)
    });

    let s = server(db, |c| on_dir(c, &shared)).await;
    let mut last = None;
    for _ in 0..150 {
        let main = branch(&s, "refs/heads/main").await.unwrap();
        let side = branch(&s, "refs/heads/side").await;
        let done = main["scannedCommit"] == moved.as_str()
            && side
                .as_ref()
                .is_some_and(|b| b["scannedCommit"] == created.as_str());
        if done {
            assert_eq!(main["latestCommit"], moved.as_str());
            assert_ne!(main["scanKey"], before["scanKey"], "a new scan of main");
            last = None;
            break;
        }
        last = Some((main, side));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        last.is_none(),
        "not reconciled and scanned within 15 s: {last:?}"
    );
    let (code, page) = get(
        &s,
        "/rest/security/latest/status/projects/PROJ/repos/fresh/branches",
    )
    .await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["values"][0]["branch"], "refs/heads/main", "{page}");
    assert_eq!(page["values"][0]["latestCommit"], moved.as_str(), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconciled_at_start_sqlite() {
    on_backend(false, reconciled_at_start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconciled_at_start_postgres() {
    on_backend(true, reconciled_at_start).await;
}

/// The quarantine folders under `objects`.
fn quarantines(repo: &Path) -> Vec<String> {
    std::fs::read_dir(repo.join("objects"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tmp_objdir-incoming-"))
        .collect()
}

/// Starts `git receive-pack` on the bare repository at `repo` with half of a pack of a new
/// commit of `dir`, and kills it (-9) once it has made its quarantine folder, as a process
/// killed mid-push would.
fn interrupted_receive_pack(dir: &Path, repo: &Path) {
    use std::io::Write;
    let mut noise = vec![0u8; 300_000];
    getrandom::fill(&mut noise).unwrap();
    std::fs::write(dir.join("big.bin"), &noise).unwrap();
    git_ok(dir, &["add", "big.bin"]);
    git_ok(dir, &["commit", "-q", "-m", "big"]);
    let commit = git_ok(dir, &["rev-parse", "HEAD"]).trim().to_string();
    let mut pack = std::process::Command::new("git")
        .current_dir(dir)
        .args(["pack-objects", "--stdout", "--revs"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(pack.stdin.take().unwrap(), "{commit}\n^HEAD~1").unwrap();
    let pack = pack.wait_with_output().unwrap().stdout;
    let line = format!(
        "{} {commit} refs/heads/big\0report-status\n",
        "0".repeat(40)
    );
    let mut request = format!("{:04x}{line}0000", line.len() + 4).into_bytes();
    request.extend_from_slice(&pack[..pack.len() / 2]);
    let mut git = std::process::Command::new("git")
        .args(["receive-pack", "--stateless-rpc"])
        .arg(repo)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = git.stdin.take().unwrap();
    stdin.write_all(&request).unwrap();
    stdin.flush().unwrap();
    for _ in 0..100 {
        if !quarantines(repo).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    git.kill().unwrap();
    git.wait().unwrap();
    drop(stdin);
    assert!(
        !quarantines(repo).is_empty(),
        "git left its quarantine folder"
    );
}

/// Polls until the repository has no quarantine folder; returns what is left after 10 s.
async fn quarantines_gone(repo: &Path) -> Vec<String> {
    let mut left = quarantines(repo);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = quarantines(repo);
    }
    left
}

/// Quarantine folders left behind go at start, and after a push that fails (an unreadable
/// pack, which receive-pack reports as a success of its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quarantine_folders_removed() {
    let data = tempfile::tempdir().unwrap();
    let shared = data.path().join("data");
    let s = server(None, |c| on_dir(c, &shared)).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = tokio::task::block_in_place(|| {
        push_files(&s, tmp.path(), "PROJ", "app", &[("readme.txt", "hello\n")])
    });
    let repo = disk_path(&s, "app").await;
    s.state.store().close().await;
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One planted, one a killed git left.
    let planted = repo.join("objects/tmp_objdir-incoming-AAAAAA/pack");
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::write(planted.join("tmp_pack_x"), vec![0u8; 4096]).unwrap();
    tokio::task::block_in_place(|| interrupted_receive_pack(&dir, &repo));
    assert_eq!(quarantines(&repo).len(), 2, "{:?}", quarantines(&repo));
    let s = server(None, |c| on_dir(c, &shared)).await;
    let left = quarantines_gone(&repo).await;
    assert!(left.is_empty(), "left at start: {left:?}");

    // Left by a killed git while the server runs, then a push over HTTP whose pack is cut off.
    tokio::task::block_in_place(|| interrupted_receive_pack(&dir, &repo));
    let commit = "1".repeat(40);
    let line = format!(
        "{} {commit} refs/heads/cut\0report-status\n",
        "0".repeat(40)
    );
    let mut body = format!("{:04x}{line}0000", line.len() + 4).into_bytes();
    body.extend_from_slice(b"PACK\0\0\0\x02\0\0\0\x05truncated");
    let r = s
        .admin(reqwest::Method::POST, "/scm/PROJ/app.git/git-receive-pack")
        .header("content-type", "application/x-git-receive-pack-request")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report = r.text().await.unwrap();
    assert!(
        report.contains("unpack") && !report.contains("unpack ok"),
        "{report}"
    );
    let left = quarantines_gone(&repo).await;
    assert!(left.is_empty(), "left after a failed push: {left:?}");
}
