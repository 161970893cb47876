//! The real `keywarden serve` process: it starts on an empty data directory, bootstraps the
//! admin, prints where to push, answers `/status`, and stops cleanly on SIGTERM. And
//! `keywarden admin user add|passwd|token` working on the same data directory.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::push as git;

const BIN: &str = env!("CARGO_BIN_EXE_keywarden");

/// Starts `keywarden serve` on a free port; returns the child and its base URL.
fn serve(
    data: &Path,
    admin_password: Option<&str>,
) -> (Child, String, std::thread::JoinHandle<String>) {
    spawn_serve(serve_command(data, admin_password))
}

/// `keywarden serve` on a free port over `data`, logging at debug level.
fn serve_command(data: &Path, admin_password: Option<&str>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "debug")
        .env_remove("KEYWARDEN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match admin_password {
        Some(p) => cmd.env("KEYWARDEN_ADMIN_PASSWORD", p),
        None => cmd.env_remove("KEYWARDEN_ADMIN_PASSWORD"),
    };
    cmd
}

/// Spawns a `keywarden serve` command and reads where it listens from its first two lines.
fn spawn_serve(mut cmd: Command) -> (Child, String, std::thread::JoinHandle<String>) {
    cmd.env_remove("KEYWARDEN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    assert!(
        second.starts_with("Push with: git push http://127.0.0.1:"),
        "{first}{second}"
    );
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, base, logs)
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn admin(data: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["admin", "user"])
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("KEYWARDEN_PASSWORD")
        .env_remove("KEYWARDEN_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_bootstraps_prints_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (child, base, logs) = serve(&data, Some("first-pw"));
    let client = reqwest::Client::new();
    let r = client.get(format!("{base}/status")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/rest/api/latest/users/admin"))
        .basic_auth("admin", Some("first-pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(stop(child).success());
    let logs = logs.join().unwrap();
    assert!(
        !logs.contains("first-pw"),
        "the password must not be logged: {logs}"
    );
    assert!(data.join("keywarden.db").exists());
    assert!(data.join("hooks/pre-receive").exists());

    // A second start on the same data keeps the admin (no new bootstrap).
    let (child, base, _) = serve(&data, Some("other-pw"));
    let r = client
        .get(format!("{base}/rest/api/latest/users/admin"))
        .basic_auth("admin", Some("first-pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(stop(child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_admin_password_is_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // On stdout, right after where the server listens, where a person sees it; not in the log.
    let mut child = serve_command(&data, None).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let lines: Vec<String> = (0..4)
        .map(|_| {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            line
        })
        .collect();
    assert!(lines[2].starts_with("Health check: "), "{lines:?}");
    let password = lines[3]
        .strip_prefix("Sign in as admin with the password ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no generated password in {lines:?}"))
        .to_string();
    assert_eq!(password.len(), 24);
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    assert!(stop(child).success());
    let logs = logs.join().unwrap();
    assert!(!logs.contains(&password), "not in the log: {logs}");
    assert!(logs.contains("generated password"), "{logs}");
    let (child, base, logs) = serve(&data, None);
    let r = reqwest::Client::new()
        .get(format!("{base}/rest/api/latest/projects"))
        .basic_auth("admin", Some(&password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(stop(child).success());
    assert!(!logs.join().unwrap().contains("generated password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_cli_adds_users_changes_passwords_and_makes_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A folder without a database is refused (the wrong --data-dir, most likely), and nothing
    // is created there.
    let out = admin(&data, &["add", "carol", "--password", "carolpw"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no Keywarden database") && err.contains("--create"),
        "{err}"
    );
    assert!(!data.exists(), "nothing created");
    let out = admin(
        &data,
        &[
            "add",
            "carol",
            "--password",
            "carolpw",
            "--email",
            "c@example.com",
            "--create",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&data, &["add", "dan", "--admin"], Some("danpw\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&data, &["add", "carol", "--password", "x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // The REST API's name rules hold on the command line too.
    for bad in ["..", "a b"] {
        let out = admin(&data, &["add", bad, "--password", "x"], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("name:"),
            "{bad}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = admin(&data, &["passwd", "carol"], Some("newpw\n"));
    assert!(out.status.success());
    let out = admin(&data, &["token", "carol", "--token-name", "ci"], None);
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("kwt_"), "{token}");
    let out = admin(&data, &["passwd", "nobody", "--password", "x"], None);
    assert_eq!(out.status.code(), Some(2));

    let (child, base, _) = serve(&data, Some("admin-pw"));
    let client = reqwest::Client::new();
    let get = |user: &str, pw: &str| {
        client
            .get(format!("{base}/rest/api/latest/projects"))
            .basic_auth(user.to_string(), Some(pw.to_string()))
            .send()
    };
    assert_eq!(get("carol", "carolpw").await.unwrap().status(), 401);
    assert_eq!(get("carol", "newpw").await.unwrap().status(), 200);
    assert_eq!(get("dan", "danpw").await.unwrap().status(), 200);
    let r = client
        .get(format!("{base}/rest/api/latest/users/carol"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // dan is an admin: he may list the admin user API. The CLI-made users exist, so no
    // bootstrap admin was created.
    let r = client
        .get(format!("{base}/rest/api/latest/admin/users"))
        .basic_auth("dan", Some("danpw"))
        .send()
        .await
        .unwrap();
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["size"], 2, "{page}");
    assert!(stop(child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_log_never_holds_a_pushed_secret() {
    const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
    const SECRET: &str = "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";
    const HOOK: &str = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook";
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (child, base, logs) = serve(&data, Some("pw"));
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/rest/api/latest/projects"))
        .basic_auth("admin", Some("pw"))
        .json(&serde_json::json!({"key": "P", "name": "P"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/rest/api/latest/projects/P/repos"))
        .basic_auth("admin", Some("pw"))
        .json(&serde_json::json!({"name": "r"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let url = format!(
        "http://admin:pw@{}/scm/p/r.git",
        base.trim_start_matches("http://")
    );
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let content = format!("aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n");
    let outputs = tokio::task::block_in_place(|| {
        assert!(git(&work, &["init", "-q"]).0);
        std::fs::write(work.join("creds.ini"), &content).unwrap();
        assert!(git(&work, &["add", "."]).0);
        assert!(git(&work, &["commit", "-q", "-m", "creds"]).0);
        // Rejected, then let through by a bypass.
        let rejected = git(&work, &["push", &url, "main"]);
        assert!(!rejected.0, "{}", rejected.1);
        let bypassed = git(
            &work,
            &["push", "-o", "secret-scan-bypass=test", &url, "main"],
        );
        assert!(bypassed.0, "{}", bypassed.1);
        vec![rejected.1, bypassed.1]
    });
    // And in warn mode.
    let r = client
        .put(format!(
            "{base}/rest/api/latest/projects/P/repos/r/settings/hooks/{HOOK}/enabled"
        ))
        .basic_auth("admin", Some("pw"))
        .json(&serde_json::json!({"warnOnVulnerabilities": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let warned = tokio::task::block_in_place(|| {
        std::fs::write(work.join("more.ini"), &content).unwrap();
        assert!(git(&work, &["add", "."]).0);
        assert!(git(&work, &["commit", "-q", "-m", "more"]).0);
        let warned = git(&work, &["push", &url, "main"]);
        assert!(warned.0, "{}", warned.1);
        warned.1
    });
    assert!(stop(child).success());
    let logs = logs.join().unwrap();
    assert!(
        logs.contains("push scanned"),
        "the pushes were logged: {logs}"
    );
    // The pusher saw redacted findings; neither they nor the log hold more than 4 characters.
    for text in outputs.iter().chain([&warned]).chain([&logs]) {
        for secret in [KEY_ID, SECRET] {
            assert!(!text.contains(&secret[..8]), "secret leaked: {text}");
        }
    }
}

/// Creates project `P` and repository `r` as the admin; returns the push URL with credentials.
async fn project_and_repo(base: &str, password: &str) -> String {
    let client = reqwest::Client::new();
    for (path, body) in [
        ("projects", serde_json::json!({"key": "P", "name": "P"})),
        ("projects/P/repos", serde_json::json!({"name": "r"})),
    ] {
        let r = client
            .post(format!("{base}/rest/api/latest/{path}"))
            .basic_auth("admin", Some(password))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{path}");
    }
    format!(
        "http://admin:{password}@{}/scm/p/r.git",
        base.trim_start_matches("http://")
    )
}

/// The audit log's first page as the admin sees it, as text.
async fn audit_log(base: &str, password: &str) -> String {
    reqwest::Client::new()
        .get(format!("{base}/rest/security/latest/audit?limit=50"))
        .basic_auth("admin", Some(password))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The README's first command, as a newcomer runs it: `keywarden serve` with no options, from an
/// empty folder, so the data directory is the relative default `./keywarden-data`. git runs the
/// hook from inside the bare repository, where that relative path names nothing: the push of
/// an AWS key and a GitHub token must still be rejected and audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_start_blocks_a_secret_push() {
    const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
    const GH_TOKEN: &str = "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";
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("newcomer");
    std::fs::create_dir_all(&folder).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .current_dir(&folder)
        // The README's port may be taken on a test machine; the address is the only difference.
        .env("KEYWARDEN_BIND", "127.0.0.1:0")
        .env("KEYWARDEN_ADMIN_PASSWORD", "readme-pw")
        .env_remove("KEYWARDEN_DATA_DIR");
    let (child, base, logs) = spawn_serve(cmd);
    assert!(folder.join("keywarden-data/keywarden.db").exists());
    let url = project_and_repo(&base, "readme-pw").await;
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        assert!(git(&work, &["init", "-q"]).0);
        std::fs::write(
            work.join("deploy.env"),
            format!("AWS_ACCESS_KEY_ID={KEY_ID}\nGITHUB_TOKEN={GH_TOKEN}\n"),
        )
        .unwrap();
        assert!(git(&work, &["add", "."]).0);
        assert!(git(&work, &["commit", "-q", "-m", "deploy"]).0);
        git(&work, &["push", &url, "main"])
    });
    assert!(!ok, "the push of two secrets was accepted: {out}");
    assert!(out.contains("push rejected: 2 possible secret(s)"), "{out}");
    let audit = audit_log(&base, "readme-pw").await;
    assert!(audit.contains("PUSH_BLOCKED"), "no audit event: {audit}");
    assert!(stop(child).success());
    let _ = logs.join();
}

/// The hook is a checked invariant: a hook script that is removed or made non-executable while
/// the server runs (git would skip it and accept) is put back before the next push; and where it
/// cannot be put back, pushes are refused with a clear message instead of being served unscanned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_refused_unless_the_hook_will_run() {
    const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (child, base, logs) = serve(&data, Some("pw"));
    let url = project_and_repo(&base, "pw").await;
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let hooks = data.join("hooks");
    let hook = hooks.join("pre-receive");
    tokio::task::block_in_place(|| {
        assert!(git(&work, &["init", "-q"]).0);
        std::fs::write(work.join("a.env"), format!("AWS_ACCESS_KEY_ID={KEY_ID}\n")).unwrap();
        assert!(git(&work, &["add", "."]).0);
        assert!(git(&work, &["commit", "-q", "-m", "key"]).0);

        // Not executable: git would skip it with a hint. Put back, and the push is scanned.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let (ok, out) = git(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("push rejected: 1 possible secret(s)"), "{out}");

        // Removed, and the hooks directory replaced by a file: it cannot be put back.
        std::fs::remove_dir_all(&hooks).unwrap();
        std::fs::write(&hooks, "not a directory").unwrap();
        let (ok, out) = git(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("security hook cannot run"), "{out}");
        std::fs::remove_file(&hooks).unwrap();
    });
    let audit = audit_log(&base, "pw").await;
    assert!(
        audit.contains("HOOK_UNAVAILABLE"),
        "no audit event: {audit}"
    );
    assert!(stop(child).success());
    let logs = logs.join().unwrap();
    assert!(logs.contains("reinstalled"), "{logs}");
}

/// A server whose hook git cannot run does not start.
#[test]
fn serve_refuses_to_start_when_the_hook_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // The hooks directory cannot be created: its name is taken by a file.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("hooks"), "").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("KEYWARDEN_ADMIN_PASSWORD", "pw")
        .env_remove("KEYWARDEN_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pre-receive hook cannot run"), "{stderr}");
}

/// CPU time (user + system) process `pid` has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name: utime and stime are fields 14 and 15 of the whole line.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// A push refused for running out of time leaves nothing running in the server process: the
/// scan stops within a line when the budget is spent (it used to finish the file it was on,
/// keeping a core busy after the pusher had been told "rejected").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_push_scan_stops_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base, logs) = serve(&tmp.path().join("data"), Some("pw"));
    let url = project_and_repo(&base, "pw").await;
    let r = reqwest::Client::new()
        .put(format!("{base}/rest/security/latest/settings"))
        .basic_auth("admin", Some("pw"))
        .json(&serde_json::json!({"hookTimeoutSeconds": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // One file just under the size limit, every line a candidate for the generic rules.
    let text = testkit::password_lines(150_000);
    assert!(text.len() < 10 << 20);
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    tokio::task::block_in_place(|| {
        assert!(git(&work, &["init", "-q"]).0);
        std::fs::write(work.join("big.cfg"), &text).unwrap();
        assert!(git(&work, &["add", "."]).0);
        assert!(git(&work, &["commit", "-q", "-m", "big"]).0);
        let (ok, out) = git(&work, &["push", &url, "main"]);
        assert!(!ok, "{out}");
        assert!(out.contains("did not finish within 1 s"), "{out}");
    });
    let before = cpu_seconds(child.id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let burnt = cpu_seconds(child.id()) - before;
    assert!(
        burnt < 0.5,
        "the refused push's scan kept running: {burnt:.2} s of CPU in the 2 s after the refusal"
    );
    assert!(stop(child).success());
    let _ = logs.join();
}
