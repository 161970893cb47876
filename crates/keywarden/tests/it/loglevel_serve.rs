//! The log level override (SPEC 9) on a real `keywarden serve` process: after
//! `PUT /rest/security/latest/loglevel?logLevelOverride=DEBUG` the running server logs its debug
//! messages, as WARN, at once; a wrong level is a 400; the password never reaches the log; the
//! override outlives a restart. (The vendor page's own examples run in `tests/seed/`.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keywarden");
const PASSWORD: &str = "seed-admin-pw";

fn serve(data: &Path) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "info")
        .env("KEYWARDEN_ADMIN_PASSWORD", PASSWORD)
        .env_remove("KEYWARDEN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, base, logs)
}

fn stop(child: Child) {
    let mut child = child;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a seed curl command (placeholders filled) and returns (HTTP status, body).
fn curl(base: &str, seed: &str, fill: &[(&str, &str)], dir: &Path) -> (u16, String) {
    let mut cmd = seed
        .replace("https://{bitbucket.server}", base)
        .replace("-u admin ", &format!("-u admin:{PASSWORD} "));
    for (k, v) in fill {
        cmd = cmd.replace(k, v);
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{cmd} -s -w '\\n%{{http_code}}'"))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn log_level_override_changes_the_running_servers_logging() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base, logs) = serve(&tmp.path().join("data"));
    let dir = tmp.path();
    let a = |seed: &str, fill: &[(&str, &str)]| curl(&base, seed, fill, dir);

    // Debug logging: the override changes the running server's logging at once.
    let (st, body) = a(
        r#"curl -u admin -X GET "https://{bitbucket.server}/rest/security/latest/loglevel""#,
        &[],
    );
    assert_eq!((st, body.as_str()), (200, r#"{"logLevelOverride":"WARN"}"#));
    let (st, body) = a(
        r#"curl -u admin -X PUT "https://{bitbucket.server}/rest/security/latest/loglevel?logLevelOverride={logLevel}""#,
        &[("{logLevel}", "DEBUG")],
    );
    assert_eq!(
        (st, body.as_str()),
        (200, r#"{"logLevelOverride":"DEBUG"}"#)
    );
    // An authenticated request now logs its (debug) authentication line, as WARN.
    let (st, _) = a(
        r#"curl -u admin -X GET "https://{bitbucket.server}/rest/security/latest/loglevel""#,
        &[],
    );
    assert_eq!(st, 200);
    let (st, _) = a(
        r#"curl -u admin -X PUT "https://{bitbucket.server}/rest/security/latest/loglevel?logLevelOverride={logLevel}""#,
        &[("{logLevel}", "LOUD")],
    );
    assert_eq!(st, 400);
    stop(child);
    let logs = logs.join().unwrap();
    let auth_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("authenticated"))
        .collect();
    assert!(
        !auth_lines.is_empty(),
        "no debug line after the override:\n{logs}"
    );
    assert!(
        auth_lines.iter().all(|l| l.contains(" WARN ")),
        "{auth_lines:?}"
    );
    // Before the override, no debug line was logged: the first one follows the PUT.
    let put_at = logs
        .find("log level override changed")
        .expect("the change is logged");
    let first_auth = logs.find("authenticated").unwrap();
    assert!(first_auth > put_at, "{logs}");
    assert!(
        !logs.contains(PASSWORD),
        "the password never reaches the log"
    );
}

/// The override is a setting like the others: a restarted server keeps it.
#[test]
fn log_level_override_outlives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let get = r#"curl -u admin -X GET "https://{bitbucket.server}/rest/security/latest/loglevel""#;
    let (child, base, logs) = serve(&data);
    let (st, _) = curl(
        &base,
        r#"curl -u admin -X PUT "https://{bitbucket.server}/rest/security/latest/loglevel?logLevelOverride={logLevel}""#,
        &[("{logLevel}", "ERROR")],
        tmp.path(),
    );
    assert_eq!(st, 200);
    stop(child);
    let _ = logs.join();
    let (child, base, logs) = serve(&data);
    let (st, body) = curl(&base, get, &[], tmp.path());
    stop(child);
    let _ = logs.join();
    assert_eq!(
        (st, body.as_str()),
        (200, r#"{"logLevelOverride":"ERROR"}"#)
    );
}
