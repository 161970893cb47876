//! The hook and the blob cache, with the real `git`, server and hook program: a file a push
//! creates is scanned once and kept; the same blobs pushed again (a fork, another repository,
//! after a restart) are looked up, not scanned, and a cached secret still blocks.

use std::sync::Arc;

use keywarden_server::SecretScanPolicy;
use testkit::{ADMIN_PASSWORD, TestServer, git_ok, push, remote};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const SECRET: &str = "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";

fn write(dir: &std::path::Path, files: &[(&str, String)], message: &str) -> String {
    for (path, content) in files {
        std::fs::write(dir.join(path), content).unwrap();
    }
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", message]);
    git_ok(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_blobs_are_scanned_once_across_repositories_and_restarts() {
    let s = TestServer::start_with(
        Arc::new(SecretScanPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
    )
    .await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "fork").await;
    let app = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let fork = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "fork");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git_ok(&work, &["init", "-q", "-b", "main"]);
    let files: Vec<(&str, String)> = (0..5)
        .map(|i| {
            (
                ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"][i],
                format!("line {i}\n"),
            )
        })
        .collect();
    write(&work, &files, "five files");

    let counts = |s: &TestServer| s.state.scans().cache().counts();
    let before = counts(&s);
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &app, "main"]);
        assert!(ok, "{out}");
    });
    let after_app = counts(&s);
    assert_eq!(after_app.misses - before.misses, 5, "{after_app:?}");
    assert_eq!(after_app.stored - before.stored, 5, "{after_app:?}");

    // The same commit to another repository: five lookups, nothing scanned.
    tokio::task::block_in_place(|| {
        let (ok, out) = push(&work, &["push", &fork, "main"]);
        assert!(ok, "{out}");
    });
    let after_fork = counts(&s);
    assert_eq!(after_fork.misses, after_app.misses, "{after_fork:?}");
    assert_eq!(after_fork.hits - after_app.hits, 5, "{after_fork:?}");

    // A secret in a new file: scanned once, blocked in both repositories, the second time
    // from the cache, with the same message.
    write(
        &work,
        &[(
            "aws.ini",
            format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
        )],
        "credentials",
    );
    let (first, second) = tokio::task::block_in_place(|| {
        let first = push(&work, &["push", &app, "main"]);
        let second = push(&work, &["push", &fork, "main"]);
        (first, second)
    });
    assert!(!first.0 && !second.0, "{first:?} {second:?}");
    let blocked = counts(&s);
    assert_eq!(blocked.misses - after_fork.misses, 1, "{blocked:?}");
    let rejection = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains("aws.ini:"))
            .map(|l| l.to_string())
            .collect()
    };
    assert_eq!(rejection(&first.1).len(), 2, "{}", first.1);
    assert_eq!(rejection(&first.1), rejection(&second.1));
    assert!(
        !second.1.contains(KEY_ID) && !second.1.contains(SECRET),
        "{}",
        second.1
    );

    // After a restart the memory is empty: the database answers, and the secret still blocks.
    let s = s.restart(Arc::new(SecretScanPolicy::new())).await;
    let other = s.add_repo("PROJ", "other").await;
    assert_eq!(other["slug"], "other");
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "other");
    let out = tokio::task::block_in_place(|| push(&work, &["push", &url, "main"]));
    assert!(!out.0, "{}", out.1);
    assert_eq!(rejection(&out.1), rejection(&first.1));
    let restarted = counts(&s);
    assert_eq!(restarted.misses, 0, "{restarted:?}");
    assert_eq!(restarted.loaded, 6, "{restarted:?}");

    // A changed file is scanned by its added lines (its new content is not cached).
    git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    write(
        &work,
        &[("a.txt", format!("line 0\naws_access_key_id = {KEY_ID}\n"))],
        "change",
    );
    let out = tokio::task::block_in_place(|| push(&work, &["push", &url, "main"]));
    assert!(!out.0, "{}", out.1);
    assert!(out.1.contains("a.txt:2 [AWS_CLIENT_ID]"), "{}", out.1);
}
