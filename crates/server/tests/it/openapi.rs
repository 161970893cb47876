//! The OpenAPI document at `/rest/openapi.json`: its shape, that it describes every REST route
//! (and only served ones), and a property-based fuzz of the live server against it with
//! schemathesis (installed by `.ci/run`; skipped loudly when missing), as the admin and
//! anonymously.

use std::num::NonZeroU32;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keywarden_core::throttle::{FailureLimit, ThrottleConfig};
use keywarden_server::AcceptAll;
use reqwest::Method;
use serde_json::Value;
use testkit::{ADMIN_PASSWORD, TestServer, git_ok, json, remote};

/// The operations' HTTP methods as the document spells them.
const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// The fallback's message for a path no route serves.
const NO_ROUTE: &str = "No REST resource at this path.";

async fn document(s: &TestServer) -> Value {
    let r = s
        .anon(Method::GET, "/rest/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    r.json().await.unwrap()
}

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn is_envelope(response: &Value) -> bool {
    response["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/ErrorEnvelope"
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_documents_every_answer() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").expect(r);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolved {r}"
        );
    }
    let ops = operations(&doc);
    assert!(ops.len() > 70, "only {} operations", ops.len());
    let mut ids = std::collections::HashSet::new();
    for (method, path, op) in &ops {
        let at = format!("{} {path}", method.to_uppercase());
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            !id.is_empty() && ids.insert(id.to_string()),
            "{at}: operationId {id:?}"
        );
        assert!(
            [
                "/rest/api/latest/",
                "/rest/access-tokens/latest/",
                "/rest/security/latest/"
            ]
            .iter()
            .any(|p| path.starts_with(p)),
            "{at}: not under a latest prefix"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{at}: no tag"
        );
        assert!(op["summary"].is_string(), "{at}: no summary (doc comment)");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{at}: no success answer"
        );
        assert!(is_envelope(&responses["401"]), "{at}: no 401 envelope");
        assert!(is_envelope(&responses["500"]), "{at}: no 500 envelope");
        for (status, response) in responses {
            let xsrf = status == "403" && method != "get";
            if status.starts_with('4') && !xsrf || status.starts_with('5') {
                assert!(
                    is_envelope(response),
                    "{at}: {status} is not the error envelope"
                );
            }
            if xsrf {
                assert!(response["content"]["text/plain"].is_object(), "{at}: 403");
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                assert!(path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())));
            }
        }
    }
}

/// Every documented operation is served, at `latest` and at the `1.0` alias. (The converse,
/// every served route is documented, holds by construction: the REST routers register handlers
/// only with `utoipa_axum::routes!`, which takes the path from the handler's annotation;
/// [`rest_routers_register_routes_only_with_their_documentation`] keeps it that way.)
#[tokio::test]
async fn every_documented_operation_is_served_at_both_prefixes() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    for (method, path, _) in operations(&doc) {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "NOPE" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for url in [concrete.clone(), concrete.replacen("/latest/", "/1.0/", 1)] {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = json(s.admin(m, &url).send().await.unwrap()).await;
            assert_ne!(status, 405, "{method} {url}: not routed");
            assert_ne!(
                body["errors"][0]["message"], NO_ROUTE,
                "{method} {url}: not routed"
            );
        }
    }
}

/// The REST routers add routes only through `routes!` (documented), except the document itself.
#[test]
fn rest_routers_register_routes_only_with_their_documentation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rest");
    let mut files = vec![root.clone()];
    let mut offenders = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.contains(".route(") && !line.contains("openapi::PATH") {
                    offenders.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "undocumented routes: {offenders:#?}");
}

/// The schemathesis CLI, if installed.
fn schemathesis() -> Option<String> {
    let out = std::process::Command::new("st")
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Data for the fuzzer to find: a user, a project, a repository with a pushed commit that
/// holds a secret, a finished scan, a custom rule and a reviewed entry.
async fn seed(s: &TestServer) {
    s.add_user("alice", "alice-password").await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "repo").await;
    let work = s.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git_ok(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(
        work.join("config.py"),
        "aws_key = 'AKIAIOSFODNN7EXAMPLF'\npassword = \"hunter2-is-not-a-good-one\"\n",
    )
    .unwrap();
    git_ok(&work, &["add", "."]);
    git_ok(&work, &["commit", "-q", "-m", "first"]);
    let url = remote(s, "admin", ADMIN_PASSWORD, "PROJ", "repo");
    git_ok(&work, &["push", "-q", &url, "main"]);
    let scan = "/rest/security/latest/scan/PROJ/repos/repo";
    let (status, _) = json(s.admin(Method::POST, scan).send().await.unwrap()).await;
    assert_eq!(status, 200);
    for _ in 0..200 {
        let (_, body) = json(s.admin(Method::GET, scan).send().await.unwrap()).await;
        if body["scanned"] == true && body["scheduled"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&serde_json::json!({"name": "Internal token", "regexp": "itok_[a-z0-9]{16}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .admin(
            Method::POST,
            "/rest/security/latest/review-lines/projects/PROJ/repos/repo/create",
        )
        .json(&serde_json::json!({"matchText": "hunter2-is-not-a-good-one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Runs schemathesis against the live document; panics with its report on any failure.
async fn fuzz(s: &TestServer, auth: Option<&str>, examples: u32) {
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new("st");
    cmd.current_dir(s.dir.path())
        .env("NO_COLOR", "1")
        .args(["run", &format!("{}/rest/openapi.json", s.base)])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            &examples.to_string(),
            "--seed",
            "20260901",
            "--generation-database",
            ":memory:",
            // One worker: with the seed, the same requests in the same order on every run.
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--header",
            "X-Atlassian-Token: no-check",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(a) = auth {
        cmd.args(["--auth", a]);
    }
    let out = cmd.output().await.expect("running st");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let who = if auth.is_some() { "admin" } else { "anonymous" };
    eprintln!(
        "schemathesis ({who}) took {:?}:\n{report}",
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "schemathesis ({who}) failed:\n{report}"
    );
}

/// schemathesis finds no 500 and no answer that breaks the document, signed in as the admin
/// and anonymously.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let Some(version) = schemathesis() else {
        testkit::missing_tool(
            "schemathesis",
            "`pip install 'schemathesis>=4.32,<5'`; .ci/run installs it",
        );
        return;
    };
    eprintln!("fuzzing with {version}");
    // The server's error log (the cause of a 500) goes into the test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    // The fuzzer sends wrong credentials on purpose (its coverage phase): with the default
    // login throttle the admin account would be locked out and every later case a 429.
    let s = TestServer::start_config(Arc::new(AcceptAll), None, None, |c| {
        let unlimited = FailureLimit::new(NonZeroU32::MAX, Duration::from_millis(1));
        c.login_throttle = ThrottleConfig {
            per_account: unlimited,
            per_source: unlimited,
        };
    })
    .await;
    seed(&s).await;
    // A deeper local run: KEYWARDEN_FUZZ_EXAMPLES=200 cargo test ... -- --nocapture
    let examples = std::env::var("KEYWARDEN_FUZZ_EXAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    fuzz(&s, Some(&format!("admin:{ADMIN_PASSWORD}")), examples).await;
    fuzz(&s, None, 3).await;
}
