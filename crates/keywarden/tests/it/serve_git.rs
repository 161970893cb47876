//! Git over HTTP against a real server with the real `git` client and the real
//! `keywarden hook pre-receive`: push, clone, fetch, permissions, personal repositories,
//! protocol v2, gzip bodies, and the pre-receive hook seeing the pushed objects in quarantine.

use std::sync::{Arc, Mutex};

use keywarden_core::Core;
use keywarden_server::{PushContext, PushPolicy, Verdict};
use reqwest::Method;
use testkit::{ADMIN_PASSWORD, TestServer, git, git_fails, git_ok, json, remote, work_repo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_clone_fetch_and_branches() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let url = remote(&s, "admin", ADMIN_PASSWORD, "proj", "app");

    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let out = tokio::task::block_in_place(|| git(&work, &["push", &url, "main"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Clone (protocol v2, the default) and check the content.
    tokio::task::block_in_place(|| git_ok(tmp.path(), &["clone", "-q", &url, "clone"]));
    let clone = tmp.path().join("clone");
    assert_eq!(
        std::fs::read_to_string(clone.join("README.md")).unwrap(),
        "hello\n"
    );

    // A second commit and a branch, then fetch into the clone.
    std::fs::write(work.join("b.txt"), "two\n").unwrap();
    tokio::task::block_in_place(|| {
        git_ok(&work, &["add", "."]);
        git_ok(&work, &["commit", "-q", "-m", "second"]);
        git_ok(&work, &["push", "-q", &url, "main", "main:feature/x"]);
        git_ok(&clone, &["fetch", "-q", "origin"]);
    });
    let head = tokio::task::block_in_place(|| git_ok(&work, &["rev-parse", "HEAD"]));
    let fetched =
        tokio::task::block_in_place(|| git_ok(&clone, &["rev-parse", "origin/feature/x"]));
    assert_eq!(head.trim(), fetched.trim());

    // Protocol v0 still works.
    tokio::task::block_in_place(|| {
        git_ok(
            tmp.path(),
            &["-c", "protocol.version=0", "clone", "-q", &url, "clone0"],
        )
    });
    // Deleting a branch by push.
    tokio::task::block_in_place(|| git_ok(&work, &["push", "-q", &url, ":feature/x"]));

    // The branches API sees what was pushed.
    tokio::task::block_in_place(|| {
        git_ok(&work, &["push", "-q", &url, "main:dev", "main:feature/y"])
    });
    let (st, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/branches?limit=2",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(page["values"][0]["displayId"], "main");
    assert_eq!(page["values"][0]["isDefault"], true);
    assert_eq!(page["values"][0]["latestCommit"], head.trim());
    assert_eq!(page["values"][1]["displayId"], "dev");
    assert_eq!(page["nextPageStart"], 2);
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/branches?filterText=FEAT",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 1);
    assert_eq!(page["values"][0]["id"], "refs/heads/feature/y");
    let (_, b) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/branches/default",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(b["displayId"], "main");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_user_cannot_push_and_stranger_cannot_clone() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_user("reader", "readerpw").await;
    s.add_user("writer", "writerpw").await;
    s.add_user("stranger", "strangerpw").await;
    s.admin(Method::PUT, "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=reader&permission=REPO_READ").send().await.unwrap();
    s.admin(
        Method::PUT,
        "/rest/api/latest/projects/PROJ/permissions/users?name=writer&permission=PROJECT_WRITE",
    )
    .send()
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "a.txt", "a\n");

    tokio::task::block_in_place(|| {
        // A project writer may push.
        git_ok(
            &work,
            &[
                "push",
                "-q",
                &remote(&s, "writer", "writerpw", "PROJ", "app"),
                "main",
            ],
        );
        // The reader clones, but cannot push.
        let reader = remote(&s, "reader", "readerpw", "PROJ", "app");
        git_ok(tmp.path(), &["clone", "-q", &reader, "r"]);
        let err = git_fails(&work, &["push", &reader, "main:other"]);
        assert!(err.contains("403"), "{err}");
        // The stranger cannot even clone.
        let err = git_fails(
            tmp.path(),
            &[
                "clone",
                &remote(&s, "stranger", "strangerpw", "PROJ", "app"),
                "s",
            ],
        );
        assert!(err.contains("403"), "{err}");
        // A wrong password is an authentication failure (401).
        let err = git_fails(
            tmp.path(),
            &["clone", &remote(&s, "reader", "wrong", "PROJ", "app"), "w"],
        );
        assert!(err.contains("Authentication failed"), "{err}");
        // Anonymous: 401, and git does not prompt (GIT_TERMINAL_PROMPT=0).
        let anon = format!("{}/scm/PROJ/app.git", s.base);
        git_fails(tmp.path(), &["clone", &anon, "a"]);
        // A missing repository is a 404.
        let err = git_fails(
            tmp.path(),
            &[
                "clone",
                &remote(&s, "reader", "readerpw", "PROJ", "nope"),
                "n",
            ],
        );
        assert!(err.contains("404") || err.contains("not found"), "{err}");
    });
    let refs =
        tokio::task::block_in_place(|| git_ok(tmp.path().join("r").as_path(), &["branch", "-r"]));
    assert!(!refs.contains("other"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_repository_over_http() {
    let s = TestServer::start().await;
    s.add_user("alice", "alicepw").await;
    s.add_repo_as(("alice", "alicepw"), "~alice", "x").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "notes.txt", "mine\n");
    let url = remote(&s, "alice", "alicepw", "~alice", "x");
    tokio::task::block_in_place(|| {
        git_ok(&work, &["push", "-q", &url, "main"]);
        git_ok(tmp.path(), &["clone", "-q", &url, "c"]);
        // The key matches case-insensitively.
        git_ok(
            tmp.path(),
            &[
                "clone",
                "-q",
                &remote(&s, "alice", "alicepw", "~ALICE", "x"),
                "c2",
            ],
        );
    });
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("c/notes.txt")).unwrap(),
        "mine\n"
    );
}

/// Records what the hook saw, and proves the pushed objects are readable in quarantine (and
/// only there) while the hook runs.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
}

#[derive(Debug, Clone)]
struct Seen {
    refs: Vec<(String, String)>,
    options: Vec<String>,
    pusher: String,
    quarantine_set: bool,
    type_in_quarantine: String,
    visible_without_quarantine: bool,
    content: String,
}

#[async_trait::async_trait]
impl PushPolicy for Recorder {
    async fn pre_receive(&self, _state: &Core, push: &PushContext) -> Verdict {
        let first = push
            .updates
            .iter()
            .find(|u| !u.is_delete())
            .map(|u| u.new.clone())
            .unwrap_or_default();
        let out = push
            .git()
            .args(["cat-file", "-t", &first])
            .output()
            .await
            .unwrap();
        let type_in_quarantine = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let content = push
            .git()
            .args(["show", &format!("{first}:secret.txt")])
            .output()
            .await
            .unwrap();
        let mut plain = keywarden_core::disk::git(&push.git_program);
        plain
            .arg("--git-dir")
            .arg(&push.repository_path)
            .args(["cat-file", "-e", &first]);
        let visible_without_quarantine = plain.status().await.unwrap().success();
        let seen = Seen {
            refs: push
                .updates
                .iter()
                .map(|u| (u.name.clone(), u.new.clone()))
                .collect(),
            options: push.push_options.clone(),
            pusher: push.pusher.name.clone(),
            quarantine_set: push.quarantine.quarantine_path.is_some()
                && push.quarantine.object_directory.is_some()
                && push.quarantine.alternate_object_directories.is_some(),
            type_in_quarantine,
            visible_without_quarantine,
            content: String::from_utf8_lossy(&content.stdout).into_owned(),
        };
        self.seen.lock().unwrap().push(seen);
        if push.updates.iter().any(|u| u.name == "refs/heads/blocked") {
            return Verdict {
                accept: false,
                messages: vec!["Keywarden: blocked by test policy".into()],
            };
        }
        Verdict {
            accept: true,
            messages: vec!["Keywarden: checked".into()],
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_sees_pushed_objects_in_quarantine_and_its_verdict_counts() {
    let recorder = Arc::new(Recorder::default());
    let s = TestServer::start_with(recorder.clone(), Some(env!("CARGO_BIN_EXE_keywarden"))).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "secret.txt", "AKIA-in-quarantine\n");
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let head = tokio::task::block_in_place(|| git_ok(&work, &["rev-parse", "HEAD"]))
        .trim()
        .to_string();

    // Accepted push, with push options; the hook's messages reach the pusher.
    let out = tokio::task::block_in_place(|| {
        git(
            &work,
            &[
                "push",
                "-o",
                "keywarden-bypass=false positive",
                "-o",
                "x",
                &url,
                "main",
            ],
        )
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("remote: Keywarden: checked"), "{stderr}");
    let seen = recorder.seen.lock().unwrap()[0].clone();
    assert_eq!(
        seen.refs,
        vec![("refs/heads/main".to_string(), head.clone())]
    );
    assert_eq!(
        seen.options,
        vec![
            "keywarden-bypass=false positive".to_string(),
            "x".to_string()
        ]
    );
    assert_eq!(seen.pusher, "admin");
    assert!(seen.quarantine_set, "{seen:?}");
    assert_eq!(seen.type_in_quarantine, "commit");
    assert!(
        !seen.visible_without_quarantine,
        "objects must still be in quarantine: {seen:?}"
    );
    assert_eq!(seen.content, "AKIA-in-quarantine\n");

    // Refused push: the message is shown, the ref is not created, the objects are dropped.
    std::fs::write(work.join("secret.txt"), "another\n").unwrap();
    let refused_commit = tokio::task::block_in_place(|| {
        git_ok(&work, &["commit", "-q", "-am", "blocked"]);
        git_ok(&work, &["rev-parse", "HEAD"])
    });
    let out = tokio::task::block_in_place(|| git(&work, &["push", &url, "HEAD:blocked"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("remote: Keywarden: blocked by test policy"),
        "{stderr}"
    );
    assert!(stderr.contains("pre-receive hook declined"), "{stderr}");
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/PROJ/repos/app/branches",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 1);
    let repo = s
        .state
        .store()
        .project_by_key("PROJ")
        .await
        .unwrap()
        .unwrap();
    let repo = s
        .state
        .store()
        .repository_by_slug(repo.id, "app")
        .await
        .unwrap()
        .unwrap();
    let path = s.state.config().repository_path(&repo.disk_name);
    let exists = std::process::Command::new("git")
        .args([
            "--git-dir",
            path.to_str().unwrap(),
            "cat-file",
            "-e",
            refused_commit.trim(),
        ])
        .status()
        .unwrap();
    assert!(!exists.success(), "a refused push leaves no objects behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_without_server_refuses() {
    // Outside a Keywarden push (no KEYWARDEN_HOOK_URL) the hook refuses.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(["hook", "pre-receive"])
        .env_remove("KEYWARDEN_HOOK_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("push refused"));
    // With a stale token the server refuses.
    let s = TestServer::start().await;
    let url = format!("{}/internal/hooks/pre-receive", s.base);
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_keywarden"))
            .args(["hook", "pre-receive"])
            .env("KEYWARDEN_HOOK_URL", &url)
            .env("KEYWARDEN_HOOK_TOKEN", "stale")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    });
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown or expired push"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_request_bodies_and_protocol_v2() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "a.txt", "a\n");
    tokio::task::block_in_place(|| {
        git_ok(
            &work,
            &[
                "push",
                "-q",
                &remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app"),
                "main",
            ],
        )
    });

    // v2 capability advertisement: no "# service=" header.
    let r = s
        .admin(
            Method::GET,
            "/scm/PROJ/app.git/info/refs?service=git-upload-pack",
        )
        .header("Git-Protocol", "version=2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/x-git-upload-pack-advertisement"
    );
    let body = r.text().await.unwrap();
    assert!(body.starts_with("000eversion 2\n"), "{body}");
    let r = s
        .admin(
            Method::GET,
            "/scm/PROJ/app.git/info/refs?service=git-upload-pack",
        )
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .starts_with("001e# service=git-upload-pack\n0000")
    );

    // A gzip-compressed v2 ls-refs request.
    let request = b"0014command=ls-refs\n0000";
    let mut gz = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    gz.stdin.take().unwrap().write_all(request).unwrap();
    let compressed = gz.wait_with_output().unwrap().stdout;
    let r = s
        .admin(Method::POST, "/scm/PROJ/app.git/git-upload-pack")
        .header("Content-Type", "application/x-git-upload-pack-request")
        .header("Content-Encoding", "gzip")
        .header("Git-Protocol", "version=2")
        .body(compressed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("refs/heads/main"), "{body}");

    // The wrong content type is refused.
    let r = s
        .admin(Method::POST, "/scm/PROJ/app.git/git-upload-pack")
        .body("0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // The dumb protocol is not served.
    let r = s
        .admin(Method::GET, "/scm/PROJ/app.git/info/refs")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
