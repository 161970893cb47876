//! Seed conformance: every curl command and Python snippet of the vendor page, verbatim, in the
//! page's order, against the real server (real HTTP, SQLite in a fresh data directory, the real
//! `git` and the real `keywarden hook pre-receive`).
//!
//! `examples.txt` holds the page's code blocks as they are printed there; this test runs them
//! from that file and checks that each one ran ([`Seed::finish`]). Only the placeholders are
//! filled in:
//! - curl: `https://{bitbucket.server}` becomes the server's `http://127.0.0.1:PORT`, and
//!   `{projectKey}`, `{repoSlug}`, `{start}`, `{limit}`, `{name}`, `{rule-ID}`, `$MATCH`,
//!   `$RULENAME`, `{filename}`, `{logLevel}` and `$URL` their values. The command line is split
//!   into words as a shell would (the page leaves `&` unquoted in two URLs) and run with `curl`
//!   detached from any terminal, so `-u admin` prompts for the password and reads it from stdin,
//!   as a user would type it.
//! - Python: the snippet runs unchanged under `run_example.py` with its free variables
//!   (`domain`, `project`, `repo_key`, `branchName`, `scanKey`, `creds`, ...) defined; its literal
//!   `auth=('username', 'password')` is a real user named `username`.
//!
//! Every answer is checked against SPEC: status code, content type and the fields the page names.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use keywarden_server::SecretScanPolicy;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{ADMIN_PASSWORD, TestServer, git_ok, remote, work_repo};

const HOOK: &str = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook";
/// A fake AWS access key id (the AWS_CLIENT_ID rule's format; not a real credential).
const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
/// A second fake key id, on a line allowlisted with the pragma.
const ALLOWLISTED_KEY_ID: &str = "AKIAQ3RTV6XYZB7NMK2P";
const EXAMPLES: &str = include_str!("examples.txt");
const RUN_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/seed/run_example.py");

/// One code block of the page.
struct Example {
    kind: String,
    code: String,
}

/// Parses `examples.txt`: `#### N KIND` lines, each followed by its block.
fn parse_examples(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("#### ") {
            let mut words = head.split_whitespace();
            let n: usize = words.next().unwrap().parse().unwrap();
            assert_eq!(n, out.len() + 1, "examples.txt is numbered in order");
            out.push(Example {
                kind: words.next().unwrap().to_string(),
                code: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            if !last.code.is_empty() {
                last.code.push('\n');
            }
            last.code.push_str(line);
        }
    }
    out
}

/// The code blocks of the vendor page itself: each block follows a line holding only its
/// language label (`BASH`, `PY`, `CODE`) and ends at the first blank line.
fn page_examples(page: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = page.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let label = lines[i].trim();
        if matches!(label, "BASH" | "PY" | "CODE") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim().is_empty())
                .unwrap_or(lines.len());
            out.push((label.to_string(), lines[i + 1..end].join("\n")));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// `examples.txt` is the page's code blocks, all of them, unchanged and in order. The page
/// sits outside the repository (`../shared/seed/` beside the checkout, or
/// `KEYWARDEN_SEED_PAGE`); where it is absent, the committed copy is what the other test runs.
#[test]
fn examples_are_the_vendor_pages_code_blocks() {
    let examples = parse_examples(EXAMPLES);
    assert_eq!(examples.len(), 30, "the page has 30 code blocks");
    let page = std::env::var_os("KEYWARDEN_SEED_PAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/seed/rest-api-for-scripting-and-automation.txt")
        });
    let Ok(page) = std::fs::read_to_string(&page) else {
        eprintln!(
            "NOTE: the vendor page is not beside this checkout ({}); examples.txt was not compared with it",
            page.display()
        );
        return;
    };
    let from_page = page_examples(&page);
    assert_eq!(from_page.len(), examples.len());
    for (i, ((kind, code), ex)) in from_page.iter().zip(&examples).enumerate() {
        assert_eq!((kind, code), (&ex.kind, &ex.code), "example {}", i + 1);
    }
}

/// What one curl command answered.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP exchange a Python snippet made.
struct Call {
    method: String,
    url: String,
    status: u16,
    content_type: String,
    body: String,
}

impl Call {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// What one Python snippet did: its HTTP exchanges and the variables it set.
struct PyRun {
    calls: Vec<Call>,
    vars: Value,
}

impl PyRun {
    /// The snippet's only request.
    fn call(&self) -> &Call {
        assert_eq!(self.calls.len(), 1, "one request per snippet");
        &self.calls[0]
    }
}

/// Runs the page's examples against one server, in order.
struct Seed {
    base: String,
    examples: Vec<Example>,
    ran: Vec<usize>,
    work: PathBuf,
}

impl Seed {
    /// Example `n`'s (kind, code); examples run in the page's order.
    fn example(&mut self, n: usize) -> (String, String) {
        if let Some(&last) = self.ran.last() {
            assert!(n >= last, "example {n} runs after {last}: the page's order");
        }
        self.ran.push(n);
        let ex = &self.examples[n - 1];
        (ex.kind.clone(), ex.code.clone())
    }

    /// Runs curl example `n` with its placeholders replaced by `fill`.
    fn curl(&mut self, n: usize, fill: &[(&str, &str)]) -> Answer {
        let base = self.base.clone();
        let (kind, code) = self.example(n);
        assert_ne!(kind, "PY", "example {n} is Python");
        let mut line = code.replace("https://{bitbucket.server}", &base);
        for (placeholder, value) in fill {
            assert!(
                line.contains(placeholder),
                "example {n} has no {placeholder}"
            );
            line = line.replace(placeholder, value);
        }
        let words = shell_words::split(&line).unwrap();
        assert_eq!(words[0], "curl", "example {n}");
        let body_file = self.work.join(format!("curl-{n}.out"));
        let mut cmd = Command::new("curl");
        cmd.args(&words[1..])
            .args(["-sS", "-o"])
            .arg(&body_file)
            .args(["-w", "%{http_code}\n%{content_type}"])
            .current_dir(&self.work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // No controlling terminal: curl asks for `-u admin`'s password on stdin.
        // SAFETY: setsid is async-signal-safe and touches no memory of this process.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let out = tokio::task::block_in_place(|| {
            let mut child = cmd.spawn().expect("curl runs");
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{ADMIN_PASSWORD}").unwrap();
            drop(stdin);
            child.wait_with_output().unwrap()
        });
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "example {n}: {line}: {stderr}");
        assert!(
            stderr.contains("Enter host password for user 'admin'"),
            "example {n}: curl asked for the password: {stderr}"
        );
        let written = String::from_utf8_lossy(&out.stdout).into_owned();
        let (status, content_type) = written.split_once('\n').unwrap();
        Answer {
            status: status.parse().unwrap(),
            content_type: content_type.to_string(),
            body: std::fs::read_to_string(&body_file).unwrap_or_default(),
        }
    }

    /// Runs Python example `n` with `vars` defined; returns its requests and the variables
    /// named in `export`.
    fn python(&mut self, n: usize, vars: Value, export: &[&str]) -> PyRun {
        let (kind, code) = self.example(n);
        assert_eq!(kind, "PY", "example {n}");
        let file = self.work.join(format!("example_{n}.py"));
        std::fs::write(&file, code).unwrap();
        let out = tokio::task::block_in_place(|| {
            Command::new("python3")
                .arg(RUN_PYTHON)
                .arg(&file)
                .arg(vars.to_string())
                .arg(json!(export).to_string())
                .current_dir(&self.work)
                .output()
                .expect("python3 runs")
        });
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "example {n}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_str(stdout.trim()).unwrap();
        let calls = report["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Call {
                method: c["method"].as_str().unwrap().to_string(),
                url: c["url"].as_str().unwrap().to_string(),
                status: c["status"].as_u64().unwrap() as u16,
                content_type: c["contentType"].as_str().unwrap_or("").to_string(),
                body: c["body"].as_str().unwrap().to_string(),
            })
            .collect();
        PyRun {
            calls,
            vars: report["vars"].clone(),
        }
    }

    /// Every example of the page ran.
    fn finish(&self) {
        let mut ran = self.ran.clone();
        ran.dedup();
        assert_eq!(ran, (1..=self.examples.len()).collect::<Vec<_>>());
    }
}

fn assert_json(content_type: &str) {
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
}

/// A Bitbucket page: `size`, `limit`, `start`, `isLastPage`, `values`, and `nextPageStart`
/// exactly when it is not the last page.
fn assert_page(page: &Value, start: u64, limit: u64, size: usize, last: bool) {
    assert_eq!(page["start"], start, "{page}");
    assert_eq!(page["limit"], limit, "{page}");
    assert_eq!(page["size"], size, "{page}");
    assert_eq!(page["values"].as_array().unwrap().len(), size, "{page}");
    assert_eq!(page["isLastPage"], last, "{page}");
    if last {
        assert!(page.get("nextPageStart").is_none(), "{page}");
    } else {
        assert_eq!(page["nextPageStart"], start + size as u64, "{page}");
    }
}

fn check_hook(hook: &Value, enabled: bool, configured: bool, scope: &str, id: &Value) {
    assert_eq!(hook["details"]["key"], HOOK, "{hook}");
    assert_eq!(hook["details"]["name"], "Soteri - Scan Commits");
    assert_eq!(hook["details"]["type"], "PRE_RECEIVE");
    assert_eq!(
        hook["details"]["supportedScopes"],
        json!(["PROJECT", "REPOSITORY"])
    );
    assert_eq!(hook["enabled"], enabled, "{hook}");
    assert_eq!(hook["configured"], configured, "{hook}");
    assert_eq!(hook["scope"]["type"], scope, "{hook}");
    assert_eq!(&hook["scope"]["resourceId"], id, "{hook}");
}

/// Pushes a commit adding `file` with `content` on top of `base` to `main`: (accepted, output).
fn push_file(work: &Path, url: &str, base: &str, file: &str, content: &str) -> (bool, String) {
    tokio::task::block_in_place(|| {
        git_ok(work, &["reset", "-q", "--hard", base]);
        testkit::commit(work, file, content, &format!("add {file}"));
        testkit::push(work, &["push", url, "HEAD:main"])
    })
}

async fn admin_json(s: &TestServer, method: Method, path: &str) -> (u16, Value) {
    testkit::json(s.admin(method, path).send().await.unwrap()).await
}

/// Waits for the scan of `branch` of `repo` (`PROJ/repos/app`) to finish.
async fn wait_scanned(s: &TestServer, repo: &str, branch: &str) -> Value {
    testkit::scans::wait_scanned(
        s,
        &format!("/rest/security/latest/scan/{repo}?branch={branch}"),
    )
    .await
}

/// The dashboard status of PROJ/app's main branch.
async fn main_status(s: &TestServer) -> String {
    let (_, page) = admin_json(
        s,
        Method::GET,
        "/rest/security/latest/status/projects/PROJ/repos/app/branches?name=main",
    )
    .await;
    page["values"][0]["status"].as_str().unwrap().to_string()
}

/// The placeholders of PROJ/app, and `extra`.
fn repo_and<'a>(extra: &[(&'static str, &'a str)]) -> Vec<(&'static str, &'a str)> {
    let mut f = vec![("{projectKey}", "PROJ"), ("{repoSlug}", "app")];
    f.extend_from_slice(extra);
    f
}

fn rule<'a>(rules: &'a Value, name: &str) -> &'a Value {
    rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_of_the_vendor_page_in_order() {
    let s = TestServer::start_config(
        Arc::new(SecretScanPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
        None,
        |c| {
            c.scan_lease = Duration::from_secs(2);
            c.scan_poll = Duration::from_millis(50);
            // Slow enough that the "slow" branch's scan can be cancelled while it runs.
            c.scan_file_delay = Some(Duration::from_millis(20));
        },
    )
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let mut seed = Seed {
        base: s.base.clone(),
        examples: parse_examples(EXAMPLES),
        ran: Vec::new(),
        work: tmp.path().join("work"),
    };
    std::fs::create_dir_all(&seed.work).unwrap();
    let base = s.base.clone();

    // ---- What the examples need: projects, repositories, users, pushes. ----
    s.add_project("PROJ", "Project").await;
    s.add_project("PAY", "Payments Project").await;
    s.add_project("OPS", "Operations").await;
    let app = s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "App Mobile").await;
    s.add_repo("PROJ", "docs").await;
    // The Python snippets' literal `auth=('username', 'password')`: a user with write access.
    s.add_user("username", "password").await;
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=username&permission=REPO_WRITE",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // A personal repository (`~username` as the project key).
    s.add_repo_as(("username", "password"), "~username", "notes")
        .await;
    let url = remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app");
    let work = work_repo(tmp.path(), "app", "README.md", "# app\n");
    let root = git_ok(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let slow_files: Vec<(String, String)> = (0..80)
        .map(|i| (format!("slow/f{i}.txt"), format!("line {i}\n")))
        .collect();
    tokio::task::block_in_place(|| {
        assert!(testkit::push(&work, &["push", &url, "main"]).0);
        git_ok(&work, &["checkout", "-q", "-b", "slow"]);
        for (path, content) in &slow_files {
            let p = work.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        git_ok(&work, &["add", "-A"]);
        git_ok(&work, &["commit", "-q", "-m", "many files"]);
        assert!(testkit::push(&work, &["push", &url, "slow"]).0);
        git_ok(&work, &["checkout", "-q", "main"]);
        let personal = work_repo(
            tmp.path(),
            "notes",
            "notes.env",
            &format!("aws_access_key_id = {KEY_ID}\n"),
        );
        let personal_url = remote(&s, "username", "password", "~username", "notes");
        // The personal repository is scanned on push too: the documented bypass lets it in.
        let (ok, out) = testkit::push(
            &personal,
            &[
                "push",
                "-o",
                "secret-scan-bypass=seed fixture",
                &personal_url,
                "main",
            ],
        );
        assert!(ok, "{out}");
    });
    // RSA off for now, so that the page's "enable RSA" has something to do.
    let (st, _) = admin_json(&s, Method::DELETE, "/rest/security/latest/hardcoded/RSA").await;
    assert_eq!(st, 204);
    // A custom rule that blew its matching budget, for the page's "clear the validation error".
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "Internal token", "regexp": "itk_[0-9a-f]{32}", "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let errored: Value = r.json().await.unwrap();
    let errored_id = errored["id"].as_i64().unwrap();
    assert!(
        keywarden_server::rules::disable_rule_for_budget(&s.state, errored_id)
            .await
            .unwrap()
    );

    // ---- Disabling XSRF checks ----
    // 1: curl with the header, on a URL of the API.
    let status_url = format!("{base}/rest/security/latest/status/projects/PROJ");
    let a = seed.curl(1, &[("$URL", &status_url)]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_json(&a.content_type);
    assert_eq!(a.json()["projectKey"], "PROJ");
    // 2: Python, the same header.
    let run = seed.python(
        2,
        json!({"url": format!("{base}/rest/security/latest/settings"),
               "username": "admin", "password": ADMIN_PASSWORD}),
        &["disable_xsrf_checks_header"],
    );
    let call = run.call();
    assert_eq!(
        (call.method.as_str(), call.status),
        ("GET", 200),
        "{}",
        call.body
    );
    assert_json(&call.content_type);
    assert_eq!(call.json()["hookMode"], "INHERITED");
    assert_eq!(
        run.vars["disable_xsrf_checks_header"],
        json!({"X-Atlassian-Token": "no-check"})
    );

    // ---- Security hook ----
    let repo_fill = [("{projectKey}", "PROJ"), ("{repoSlug}", "app")];
    let secret_file = format!("aws_access_key_id = {KEY_ID}\n");
    // 3: enable on the repository, blocking: a push with a secret is rejected.
    let a = seed.curl(3, &repo_fill);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_json(&a.content_type);
    check_hook(&a.json(), true, true, "REPOSITORY", &app["id"]);
    let (ok, out) = push_file(&work, &url, &root, "keys.env", &secret_file);
    assert!(!ok, "blocked: {out}");
    assert!(
        out.contains("[AWS_CLIENT_ID]") && !out.contains(KEY_ID),
        "{out}"
    );
    // 4: disable on the repository: the same push goes through, unscanned.
    let a = seed.curl(4, &repo_fill);
    assert_eq!(a.status, 200, "{}", a.body);
    check_hook(&a.json(), false, true, "REPOSITORY", &app["id"]);
    let content =
        format!("{secret_file}backup_key = {ALLOWLISTED_KEY_ID}  # pragma: allowlist-secret\n");
    let (ok, out) = push_file(&work, &url, &root, "keys.env", &content);
    assert!(ok, "{out}");
    // 5: revert to inherited: 204, and the repository follows its project again.
    let a = seed.curl(5, &repo_fill);
    assert_eq!((a.status, a.body.as_str()), (204, ""));
    let (st, hook) = admin_json(
        &s,
        Method::GET,
        &format!("/rest/api/latest/projects/PROJ/repos/app/settings/hooks/{HOOK}"),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(hook["configured"], false, "{hook}");
    assert_eq!(hook["scope"]["type"], "PROJECT", "{hook}");
    // 6: enable on the project.
    let a = seed.curl(6, &[("{projectKey}", "PROJ")]);
    assert_eq!(a.status, 200, "{}", a.body);
    let project_id = admin_json(&s, Method::GET, "/rest/api/latest/projects/PROJ")
        .await
        .1["id"]
        .clone();
    check_hook(&a.json(), true, true, "PROJECT", &project_id);

    // ---- Fetching security status (nothing scanned yet) ----
    // 7: one project.
    let a = seed.curl(7, &[("{projectKey}", "PROJ")]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_json(&a.content_type);
    let p = a.json();
    assert_eq!(p["projectKey"], "PROJ");
    assert_eq!(p["projectName"], "Project");
    assert_eq!(p["projectType"], "NORMAL");
    assert_eq!(p["status"], "NOT_SCANNED");
    assert_eq!(p["repositories"]["total"], 3);
    assert_eq!(p["repositories"]["notScanned"], 3);
    assert_eq!(p["vulnerabilities"], 0);
    // 8: projects, paged, `name` on the display name ("project" matches two, not OPS).
    let fill = [("{start}", "0"), ("{limit}", "1"), ("{name}", "project")];
    let a = seed.curl(8, &fill);
    assert_eq!(a.status, 200, "{}", a.body);
    let page = a.json();
    assert_page(&page, 0, 1, 1, false);
    let fill = [("{start}", "1"), ("{limit}", "1"), ("{name}", "project")];
    let page2 = seed.curl(8, &fill).json();
    assert_page(&page2, 1, 1, 1, true);
    let mut keys = vec![
        page["values"][0]["projectKey"]
            .as_str()
            .unwrap()
            .to_string(),
        page2["values"][0]["projectKey"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    keys.sort();
    assert_eq!(keys, ["PAY", "PROJ"]);
    // 9: one repository, in a project and in a personal project.
    let a = seed.curl(9, &repo_fill);
    assert_eq!(a.status, 200, "{}", a.body);
    let r = a.json();
    assert_eq!(
        (&r["projectKey"], &r["repositorySlug"], &r["repositoryName"]),
        (&json!("PROJ"), &json!("app"), &json!("app"))
    );
    assert_eq!(r["status"], "NOT_SCANNED");
    assert_eq!(r["branches"]["total"], 2);
    let a = seed.curl(9, &[("{projectKey}", "~username"), ("{repoSlug}", "notes")]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["repositorySlug"], "notes");
    // 10: repositories, paged, `name` on the name ("app" matches app and App Mobile).
    let fill = [
        ("{projectKey}", "PROJ"),
        ("{start}", "0"),
        ("{limit}", "1"),
        ("{name}", "app"),
    ];
    let page = seed.curl(10, &fill).json();
    assert_page(&page, 0, 1, 1, false);
    let fill = [
        ("{projectKey}", "PROJ"),
        ("{start}", "1"),
        ("{limit}", "5"),
        ("{name}", "app"),
    ];
    let page2 = seed.curl(10, &fill).json();
    assert_page(&page2, 1, 5, 1, true);
    let mut slugs = vec![
        page["values"][0]["repositorySlug"]
            .as_str()
            .unwrap()
            .to_string(),
        page2["values"][0]["repositorySlug"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    slugs.sort();
    assert_eq!(slugs, ["app", "app-mobile"]);
    // 11: branches, `name` filter.
    let a = seed.curl(
        11,
        &[
            ("{projectKey}", "PROJ"),
            ("{repoSlug}", "app"),
            ("{name}", "main"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let page = a.json();
    assert_page(&page, 0, 25, 1, true);
    let b = &page["values"][0];
    assert_eq!(b["branch"], "refs/heads/main");
    assert_eq!(b["displayId"], "main");
    assert_eq!(b["default"], true);
    assert_eq!(b["status"], "NOT_SCANNED");

    // ---- Running scans and getting results ----
    let vars = |project: &str, repo: &str, extra: Value| {
        let mut v = json!({"domain": base, "project": project, "project_key": project,
                           "repo_key": repo, "creds": ["admin", ADMIN_PASSWORD]});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    // 12: trigger a scan of main, then of the personal repository, then of the slow branch.
    let run = seed.python(12, vars("PROJ", "app", json!({"branchName": "main"})), &[]);
    let call = run.call();
    assert_eq!(
        (call.method.as_str(), call.status),
        ("POST", 200),
        "{}",
        call.body
    );
    assert_json(&call.content_type);
    let started = call.json();
    assert_eq!(started["scheduled"], true, "{started}");
    assert!(started["scanKey"].as_str().is_some_and(|k| !k.is_empty()));
    let run = seed.python(
        12,
        vars("~username", "notes", json!({"branchName": "main"})),
        &[],
    );
    assert_eq!(run.call().status, 200, "{}", run.call().body);
    assert_eq!(run.call().json()["scheduled"], true);
    let run = seed.python(12, vars("PROJ", "app", json!({"branchName": "slow"})), &[]);
    let slow = run.call().json();
    assert_eq!(slow["scheduled"], true, "{slow}");
    let slow_key = slow["scanKey"].as_str().unwrap().to_string();
    // 13: cancel the slow branch's scan while it is queued or running.
    let run = seed.python(
        13,
        vars(
            "PROJ",
            "app",
            json!({"branchName": "slow", "scanKey": slow_key}),
        ),
        &[],
    );
    let call = run.call();
    assert_eq!(
        (call.method.as_str(), call.status),
        ("DELETE", 204),
        "{}",
        call.body
    );
    assert!(call.url.ends_with(&format!("?scanKey={slow_key}")));
    let (_, after) = admin_json(
        &s,
        Method::GET,
        "/rest/security/latest/scan/PROJ/repos/app?branch=slow",
    )
    .await;
    assert_eq!(after["running"], false, "{after}");
    assert_eq!(after["scanned"], false, "{after}");
    // An unknown key is a 404 with the envelope.
    let run = seed.python(
        13,
        vars("PROJ", "app", json!({"scanKey": "no-such-scan"})),
        &[],
    );
    assert_eq!(run.call().status, 404);
    assert!(run.call().json()["errors"][0]["message"].is_string());
    // 14: results of the default branch (no `branch`): poll with the page's own snippet.
    wait_scanned(&s, "PROJ/repos/app", "main").await;
    let run = seed.python(
        14,
        vars("PROJ", "app", json!({})),
        &["scanned", "up_to_date"],
    );
    assert_eq!(run.vars, json!({"scanned": true, "up_to_date": true}));
    let result = run.call().json();
    for field in [
        "scanKey",
        "progress",
        "running",
        "scheduled",
        "invalidLines",
    ] {
        assert!(result.get(field).is_some(), "{field}: {result}");
    }
    assert_eq!(result["progress"], 100);
    assert_eq!(result["running"], false);
    assert_eq!(result["total"], 1, "{result}");
    let line = &result["invalidLines"][0];
    assert_eq!(line["path"], "keys.env");
    assert_eq!(line["ruleName"], "AWS_CLIENT_ID");
    assert_eq!(line["truncated"], false);
    let text = line["text"].as_str().unwrap();
    assert_eq!(text, format!("aws_access_key_id = {KEY_ID}"));
    // $MATCH, derived as the page says: text[lineOffsetStart..lineOffsetEnd].
    let (from, to) = (
        line["lineOffsetStart"].as_u64().unwrap() as usize,
        line["lineOffsetEnd"].as_u64().unwrap() as usize,
    );
    let matched = text[from..to].to_string();
    assert_eq!(matched, KEY_ID);
    // The personal repository's results, with `~username` as the project key.
    wait_scanned(&s, "~username/repos/notes", "main").await;
    let run = seed.python(14, vars("~username", "notes", json!({})), &["scanned"]);
    assert_eq!(run.vars["scanned"], true);
    assert_eq!(run.call().json()["invalidLines"][0]["path"], "notes.env");
    // The parameters the page lists for results: `rule`, `includeAllowlisted`, `branch`.
    let results = |query: &'static str| {
        let s = &s;
        async move {
            admin_json(
                s,
                Method::GET,
                &format!("/rest/security/1.0/scan/PROJ/repos/app?{query}"),
            )
            .await
            .1
        }
    };
    let all = results("branch=main&includeAllowlisted=true").await;
    let lines = all["invalidLines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(
        lines.iter().any(|l| l["allowlisted"] == true
            && l["text"].as_str().unwrap().contains(ALLOWLISTED_KEY_ID))
    );
    let none = results("rule=RSA_PRIVATE_KEY").await;
    assert_eq!(none["invalidLines"], json!([]), "{none}");
    let aws = results("rule=AWS_CLIENT_ID").await;
    assert_eq!(aws["invalidLines"].as_array().unwrap().len(), 1, "{aws}");
    // 15: export as CSV, written to results.csv by the snippet.
    let run = seed.python(15, vars("PROJ", "app", json!({})), &[]);
    let call = run.call();
    assert_eq!(call.status, 200);
    assert!(
        call.content_type.starts_with("text/csv"),
        "{}",
        call.content_type
    );
    let csv = std::fs::read_to_string(seed.work.join("results.csv")).unwrap();
    let header = "Project,Repository,Branch,File,Line,Rule,Match,Line Text,Commit,Scan Date,Allowlisted,Reviewed";
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[1].starts_with(&format!("PROJ,app,main,keys.env,1,AWS_CLIENT_ID,{KEY_ID},")),
        "{csv}"
    );
    // Export with every parameter the page lists.
    let export = |query: String| {
        let s = &s;
        async move {
            let r = s
                .admin(
                    Method::GET,
                    &format!("/rest/security/1.0/export-report/PROJ/repos/app?{query}"),
                )
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let iso = |secs: u64| {
        let out = Command::new("date")
            .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (from, to) = (iso(now - 3600), iso(now + 3600));
    let (st, csv) = export(format!(
        "branch=main&ruleType=AWS_CLIENT_ID&includeAllowlisted=true&includeReviewed=true&startDate={from}&endDate={to}"
    ))
    .await;
    assert_eq!(st, 200, "{csv}");
    assert_eq!(
        csv.lines().count(),
        3,
        "both lines, the allowlisted one too: {csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.contains(ALLOWLISTED_KEY_ID) && l.ends_with(",true,false"))
    );
    let (_, csv) = export("ruleType=RSA_PRIVATE_KEY".into()).await;
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (_, csv) = export(format!("endDate={from}")).await;
    assert_eq!(csv.lines().count(), 1, "scanned after endDate: {csv}");
    let (_, csv) = export(format!("startDate={to}")).await;
    assert_eq!(csv.lines().count(), 1, "scanned before startDate: {csv}");
    let (st, body) = export("startDate=yesterday".into()).await;
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("startDate"), "{body}");

    // ---- Rules ----
    // 16: the global rules; built-in rules carry no regexp, custom ones do.
    let run = seed.python(16, vars("PROJ", "app", json!({})), &["custom_rules"]);
    let rules = run.call().json();
    assert!(rules.as_array().unwrap().len() >= 120, "catalogue size");
    for r in rules.as_array().unwrap() {
        for field in ["id", "name", "hardcoded", "enabled"] {
            assert!(r.get(field).is_some(), "{field}: {r}");
        }
    }
    let custom = run.vars["custom_rules"].as_array().unwrap();
    assert_eq!(custom.len(), 1, "{custom:?}");
    assert_eq!(custom[0]["name"], "Internal token");
    assert_eq!(custom[0]["regexp"], "itk_[0-9a-f]{32}");
    assert_eq!(custom[0]["blocking"], true);
    assert!(custom[0]["validationError"].is_string());
    assert_eq!(rule(&rules, "RSA_PRIVATE_KEY")["hardcoded"], true);
    assert_eq!(rule(&rules, "RSA_PRIVATE_KEY")["enabled"], false);
    // 17: every rule name for the repository, disabled ones included.
    let run = seed.python(17, vars("PROJ", "app", json!({})), &[]);
    let names = run.call().json();
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for name in [
        "AWS_CLIENT_ID",
        "AWS_MWS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "RSA_PRIVATE_KEY",
        "SSH_PRIVATE_KEY",
        "Internal token",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // 18 and 19: enable, then disable, the built-in rule the page calls `RSA`.
    let run = seed.python(18, vars("PROJ", "app", json!({})), &[]);
    assert_eq!(run.call().status, 204, "{}", run.call().body);
    let (_, rules) = admin_json(&s, Method::GET, "/rest/security/1.0/rules").await;
    assert_eq!(rule(&rules, "RSA_PRIVATE_KEY")["enabled"], true);
    let run = seed.python(19, vars("PROJ", "app", json!({})), &[]);
    assert_eq!(run.call().status, 204, "{}", run.call().body);
    let (_, rules) = admin_json(&s, Method::GET, "/rest/security/1.0/rules").await;
    assert_eq!(rule(&rules, "RSA_PRIVATE_KEY")["enabled"], false);
    // 20: create a custom rule.
    let a = seed.curl(20, &[]);
    assert_eq!(a.status, 201, "{}", a.body);
    assert_json(&a.content_type);
    let created = a.json();
    assert_eq!(created["name"], "rule name");
    assert_eq!(created["regexp"], "rule-regex");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["hardcoded"], false);
    let id = created["id"].as_i64().unwrap().to_string();
    // 21: delete it.
    let a = seed.curl(21, &[("{rule-ID}", &id)]);
    assert_eq!(a.status, 204, "{}", a.body);
    let (_, rules) = admin_json(&s, Method::GET, "/rest/security/1.0/rules").await;
    assert!(
        !rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "rule name")
    );
    let a = seed.curl(21, &[("{rule-ID}", &id)]);
    assert_eq!(a.status, 404, "deleting twice: {}", a.body);
    // 22: clear the validation error of the rule that blew its budget.
    let a = seed.curl(22, &[("{rule-ID}", &errored_id.to_string())]);
    assert_eq!(a.status, 200, "{}", a.body);
    let cleared = a.json();
    assert_eq!(cleared["id"], errored_id);
    assert!(cleared["validationError"].is_null(), "{cleared}");

    // ---- Marking findings as reviewed ----
    // The rules changed since main was scanned (OUTDATED): rescan it first.
    let (st, _) = admin_json(
        &s,
        Method::POST,
        "/rest/security/latest/scan/PROJ/repos/app?branch=main",
    )
    .await;
    assert_eq!(st, 200);
    wait_scanned(&s, "PROJ/repos/app", "main").await;
    // 23: mark the finding reviewed: it disappears from the results and the branch is SECURE.
    let a = seed.curl(
        23,
        &repo_and(&[("$MATCH", &matched), ("$RULENAME", "AWS_CLIENT_ID")]),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let entry = a.json();
    assert_eq!(entry["matchText"], KEY_ID);
    assert_eq!(entry["ruleName"], "AWS_CLIENT_ID");
    let now_results = results("branch=main").await;
    assert_eq!(now_results["total"], 0, "{now_results}");
    let reviewed = results("branch=main&includeReviewed=true").await;
    assert_eq!(reviewed["invalidLines"][0]["reviewed"], true, "{reviewed}");
    assert_eq!(main_status(&s).await, "SECURE");
    // 24: unmark it.
    let a = seed.curl(24, &repo_and(&[("$MATCH", &matched)]));
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(results("branch=main").await["total"], 1);
    assert_eq!(main_status(&s).await, "VULNERABLE");
    // 25: unmark everything (two entries marked first through the API).
    for text in [KEY_ID, "another-reviewed-text"] {
        let r = s
            .admin(
                Method::POST,
                "/rest/security/latest/review-lines/projects/PROJ/repos/app/create",
            )
            .json(&json!({"matchText": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let a = seed.curl(25, &repo_and(&[]));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), json!({"removed": 2}));
    assert_eq!(results("branch=main").await["total"], 1);

    // ---- Global reviewed ----
    std::fs::write(
        seed.work.join("reviewed.csv"),
        format!("matchText,ruleName\r\n{KEY_ID},AWS_CLIENT_ID\r\n\"with, comma\",\r\n"),
    )
    .unwrap();
    // 26: upload: two entries; the finding is hidden in every repository.
    let a = seed.curl(26, &[("{filename}", "reviewed.csv")]);
    assert_eq!(a.status, 200, "{}", a.body);
    let up = a.json();
    assert_eq!(
        (up["added"].clone(), up["skipped"].clone()),
        (json!(2), json!(0)),
        "{up}"
    );
    assert_eq!(results("branch=main").await["total"], 0);
    assert_eq!(main_status(&s).await, "SECURE");
    let (_, personal) = admin_json(
        &s,
        Method::GET,
        "/rest/security/latest/scan/~username/repos/notes",
    )
    .await;
    assert_eq!(personal["total"], 0, "{personal}");
    // 27: delete the same rows.
    let a = seed.curl(27, &[("{filename}", "reviewed.csv")]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["removed"], 2);
    assert_eq!(results("branch=main").await["total"], 1);
    // 28: delete all (two entries added first).
    let entries = [KEY_ID, "with, comma"]
        .map(|t| keywarden_store::NewReviewed {
            match_text: t.into(),
            rule_name: None,
            reviewed_by: Some("admin".into()),
        })
        .to_vec();
    assert_eq!(
        s.state.store().add_global_reviewed(entries).await.unwrap(),
        2
    );
    let a = seed.curl(28, &[]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), json!({"removed": 2}));
    let a = seed.curl(28, &[]);
    assert_eq!(a.json(), json!({"removed": 0}));

    // ---- Debug logging ----
    // 29: the default.
    let a = seed.curl(29, &[]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_json(&a.content_type);
    assert_eq!(a.json(), json!({"logLevelOverride": "WARN"}));
    // 30: each documented level, then a wrong one.
    for level in ["TRACE", "DEBUG", "INFO", "ERROR", "WARN"] {
        let a = seed.curl(30, &[("{logLevel}", level)]);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.json(), json!({"logLevelOverride": level}));
    }
    let a = seed.curl(30, &[("{logLevel}", "LOUD")]);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("logLevelOverride")
    );

    seed.finish();
}
