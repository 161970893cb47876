//! SPEC 10 on every endpoint of the rules, reviewed findings, settings, log level and audit
//! API: each endpoint x role (admin, app access, project admin, repo write, repo read, stranger,
//! anonymous), asserting the status code.

mod common;

use common::{TestServer, json};
use reqwest::Method;
use serde_json::json;

/// Who may call an endpoint.
#[derive(Clone, Copy, PartialEq)]
enum Need {
    /// Admin or app access.
    SecurityAdmin,
    /// Repository write (project admin implies it) or app access.
    RepoWrite,
}

struct Endpoint {
    method: Method,
    path: &'static str,
    body: Option<Body>,
    need: Need,
    /// The status an allowed caller gets.
    ok: u16,
}

#[derive(Clone, Copy)]
enum Body {
    Json(&'static str),
    Csv,
}

fn endpoints(rule_id: i64) -> Vec<Endpoint> {
    use Need::*;
    let put_rule: &'static str =
        Box::leak(format!("/rest/security/latest/rules/{rule_id}").into_boxed_str());
    let e =
        |method: Method, path: &'static str, body: Option<Body>, need: Need, ok: u16| Endpoint {
            method,
            path,
            body,
            need,
            ok,
        };
    vec![
        e(
            Method::GET,
            "/rest/security/1.0/rules",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::POST,
            "/rest/security/latest/rules",
            Some(Body::Json("rule")),
            SecurityAdmin,
            201,
        ),
        e(Method::PUT, put_rule, None, SecurityAdmin, 200),
        e(
            Method::DELETE,
            "/rest/security/latest/rules/999999",
            None,
            SecurityAdmin,
            404,
        ),
        e(
            Method::DELETE,
            "/rest/security/1.0/hardcoded/RSA",
            None,
            SecurityAdmin,
            204,
        ),
        e(
            Method::POST,
            "/rest/security/1.0/hardcoded/RSA",
            None,
            SecurityAdmin,
            204,
        ),
        e(
            Method::GET,
            "/rest/security/latest/global-reviewed",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::POST,
            "/rest/security/latest/global-reviewed/create",
            Some(Body::Csv),
            SecurityAdmin,
            200,
        ),
        e(
            Method::POST,
            "/rest/security/latest/global-reviewed/delete",
            Some(Body::Csv),
            SecurityAdmin,
            200,
        ),
        e(
            Method::DELETE,
            "/rest/security/latest/global-reviewed?confirm=true",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::GET,
            "/rest/security/latest/settings",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::PUT,
            "/rest/security/latest/settings",
            Some(Body::Json(r#"{"allowBypass":true}"#)),
            SecurityAdmin,
            200,
        ),
        e(
            Method::GET,
            "/rest/security/latest/loglevel",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::PUT,
            "/rest/security/latest/loglevel?logLevelOverride=WARN",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::GET,
            "/rest/security/latest/audit",
            None,
            SecurityAdmin,
            200,
        ),
        e(
            Method::GET,
            "/rest/security/1.0/scan/PROJ/rule_types/app",
            None,
            RepoWrite,
            200,
        ),
        e(
            Method::GET,
            "/rest/security/latest/review-lines/projects/PROJ/repos/app",
            None,
            RepoWrite,
            200,
        ),
        e(
            Method::POST,
            "/rest/security/latest/review-lines/projects/PROJ/repos/app/create",
            Some(Body::Json(r#"{"matchText":"m","ruleName":"R"}"#)),
            RepoWrite,
            200,
        ),
        e(
            Method::POST,
            "/rest/security/latest/review-lines/projects/PROJ/repos/app/delete",
            Some(Body::Json(r#"{"matchText":"never marked"}"#)),
            RepoWrite,
            404,
        ),
        e(
            Method::DELETE,
            "/rest/security/latest/review-lines/projects/PROJ/repos/app/delete?confirm=true",
            None,
            RepoWrite,
            200,
        ),
    ]
}

const ROLES: [&str; 7] = [
    "admin",
    "app",
    "padmin",
    "writer",
    "reader",
    "stranger",
    "anonymous",
];

fn allowed(role: &str, need: Need) -> bool {
    match need {
        Need::SecurityAdmin => matches!(role, "admin" | "app"),
        Need::RepoWrite => matches!(role, "admin" | "app" | "padmin" | "writer"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_by_role() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    for u in ["app", "padmin", "writer", "reader", "stranger"] {
        s.add_user(u, &format!("{u}-pw")).await;
    }
    for (path, name, perm) in [
        (
            "/rest/api/latest/projects/PROJ/permissions/users",
            "padmin",
            "PROJECT_ADMIN",
        ),
        (
            "/rest/api/latest/projects/PROJ/repos/app/permissions/users",
            "writer",
            "REPO_WRITE",
        ),
        (
            "/rest/api/latest/projects/PROJ/repos/app/permissions/users",
            "reader",
            "REPO_READ",
        ),
    ] {
        let r = s
            .admin(
                Method::PUT,
                &format!("{path}?name={name}&permission={perm}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let r = s
        .admin(Method::PUT, "/rest/security/latest/settings")
        .json(&json!({"appAccess": ["app"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, rule) = json(
        s.admin(Method::POST, "/rest/security/latest/rules")
            .json(&json!({"name": "matrix", "regexp": "matrix_[0-9]{4}"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201);
    let rule_id = rule["id"].as_i64().unwrap();

    let mut failures = Vec::new();
    let mut n = 0;
    for ep in endpoints(rule_id) {
        for role in ROLES {
            n += 1;
            let mut req = if role == "anonymous" {
                s.anon(ep.method.clone(), ep.path)
                    .header("X-Atlassian-Token", "no-check")
            } else if role == "admin" {
                s.admin(ep.method.clone(), ep.path)
            } else {
                s.as_user(role, &format!("{role}-pw"), ep.method.clone(), ep.path)
            };
            match ep.body {
                Some(Body::Json("rule")) => {
                    req = req.json(&json!({"name": format!("rule of {role}"), "regexp": "r_[0-9]{5}", "enabled": true}));
                }
                Some(Body::Json(text)) => {
                    req = req.header("Content-Type", "application/json").body(text);
                }
                Some(Body::Csv) => {
                    let boundary = "xYzZy";
                    let body = format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\r\nmatchText,ruleName\r\nabc,R\r\n\r\n--{boundary}--\r\n"
                    );
                    req = req
                        .header(
                            "Content-Type",
                            format!("multipart/form-data; boundary={boundary}"),
                        )
                        .body(body);
                }
                None => {}
            }
            let r = req.send().await.unwrap();
            let got = r.status().as_u16();
            let want = if allowed(role, ep.need) { ep.ok } else { 401 };
            if got != want {
                let text = r.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {role}: {got}, want {want}: {text}",
                    ep.method, ep.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n, 20 * 7);
}
