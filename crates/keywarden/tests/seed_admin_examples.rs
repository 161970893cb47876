//! The seed's "Rules", "Marking Findings as Reviewed", "Global reviewed" and "Debug Logging"
//! examples, curl and Python, run verbatim against the real `keywarden serve` process. Only the
//! placeholders are filled in (`https://{bitbucket.server}` becomes the server's URL and
//! `-u admin` carries the password, since curl would prompt for it).

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

/// Runs a seed Python snippet with `domain`, `creds`, `project` and `repo_key` defined.
fn python(base: &str, snippet: &str, check: &str) -> String {
    let program = format!(
        "import requests, json\ndomain = {base:?}\ncreds = ('admin', {PASSWORD:?})\nproject = 'PROJ'\nrepo_key = 'app'\n{snippet}\n{check}\n"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(&program)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn seed_examples_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base, logs) = serve(&tmp.path().join("data"));
    let dir = tmp.path();
    let a = |seed: &str, fill: &[(&str, &str)]| curl(&base, seed, fill, dir);

    // A project and repository to review in (the Bitbucket subset).
    let (st, _) = a(
        r#"curl -u admin -X POST -H "Content-Type: application/json" "https://{bitbucket.server}/rest/api/latest/projects" --data '{"key":"PROJ","name":"Project"}'"#,
        &[],
    );
    assert_eq!(st, 201);
    let (st, _) = a(
        r#"curl -u admin -X POST -H "Content-Type: application/json" "https://{bitbucket.server}/rest/api/latest/projects/PROJ/repos" --data '{"name":"app"}'"#,
        &[],
    );
    assert_eq!(st, 201);

    // Rules (Python).
    let out = python(
        &base,
        r#"response = requests.get(f"{domain}/rest/security/1.0/rules", auth=creds)
custom_rules = [x for x in response.json() if not x['hardcoded']]"#,
        "response.raise_for_status(); print(len(response.json()), len(custom_rules))",
    );
    let counts: Vec<usize> = out.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(counts[0] >= 300 && counts[1] == 0, "{out}");
    python(
        &base,
        r#"response = requests.delete(f"{domain}/rest/security/1.0/hardcoded/RSA", auth=creds)"#,
        "assert response.status_code == 204, response.text",
    );
    python(
        &base,
        r#"response = requests.post(f"{domain}/rest/security/1.0/hardcoded/RSA", auth=creds)"#,
        "assert response.status_code == 204, response.text",
    );
    let out = python(
        &base,
        r#"response = requests.get(f"{domain}/rest/security/1.0/scan/{project}/rule_types/{repo_key}", auth=creds)"#,
        "response.raise_for_status(); print(json.dumps(response.json()))",
    );
    assert!(out.contains("\"RSA_PRIVATE_KEY\""), "{out}");

    // Custom rules (curl).
    let (st, body) = a(
        r#"curl -u admin -X POST "https://{bitbucket.server}/rest/security/latest/rules" -H "Content-Type: application/json"  --data '{"name":"rule name","regexp":"rule-regex","enabled":true}'"#,
        &[],
    );
    assert_eq!(st, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (st, body) = a(
        r#"curl -u admin -X PUT "https://{bitbucket.server}/rest/security/latest/rules/{rule-ID}""#,
        &[("{rule-ID}", &id)],
    );
    assert_eq!(st, 200, "{body}");
    let (st, body) = a(
        r#"curl -u admin -X DELETE "https://{bitbucket.server}/rest/security/latest/rules/{rule-ID}""#,
        &[("{rule-ID}", &id)],
    );
    assert_eq!(st, 204, "{body}");

    // Reviewed findings, repository scope.
    let repo = [("{projectKey}", "PROJ"), ("{repoSlug}", "app")];
    let (st, body) = a(
        r#"curl -u admin -X POST -H "Content-Type: application/json" "https://{bitbucket.server}/rest/security/latest/review-lines/projects/{projectKey}/repos/{repoSlug}/create" --data '{"matchText": "$MATCH", "ruleName": "$RULENAME"}'"#,
        &repo,
    );
    assert_eq!(st, 200, "{body}");
    let (st, body) = a(
        r#"curl -u admin -X POST -H "Content-Type: application/json" "https://{bitbucket.server}/rest/security/latest/review-lines/projects/{projectKey}/repos/{repoSlug}/delete" --data '{"matchText": "$MATCH"}'"#,
        &repo,
    );
    assert_eq!(st, 204, "{body}");
    let (st, body) = a(
        r#"curl -u admin -X DELETE "https://{bitbucket.server}/rest/security/latest/review-lines/projects/{projectKey}/repos/{repoSlug}/delete?confirm=true""#,
        &repo,
    );
    assert_eq!(st, 200, "{body}");

    // Global reviewed.
    std::fs::write(
        dir.join("reviewed.csv"),
        "matchText,ruleName\r\n\"a,b\",R\r\nplain,\r\n",
    )
    .unwrap();
    let file = [("{filename}", "reviewed.csv")];
    let (st, body) = a(
        r#"curl -u admin -F file=@'{filename}' "https://{bitbucket.server}/rest/security/latest/global-reviewed/create""#,
        &file,
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"added\":2"), "{body}");
    let (st, body) = a(
        r#"curl -u admin -F file=@'{filename}' "https://{bitbucket.server}/rest/security/latest/global-reviewed/delete""#,
        &file,
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"removed\":2"), "{body}");
    let (st, body) = a(
        r#"curl -u admin -X DELETE "https://{bitbucket.server}/rest/security/latest/global-reviewed?confirm=true""#,
        &[],
    );
    assert_eq!(st, 200, "{body}");

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
