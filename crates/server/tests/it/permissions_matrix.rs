//! SPEC 10 on every endpoint of the rules, reviewed findings, settings, log level and audit
//! API: each endpoint x role (admin, app access, project admin, repo write, repo read, stranger,
//! anonymous), asserting the status code.

use reqwest::Method;
use serde_json::json;
use testkit::{TestServer, json};

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

/// What an endpoint family needs of a personal access token whose owner may do everything.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cap {
    Read,
    RepoWrite,
    RepoAdmin,
    ProjectAdmin,
    Admin,
}

/// Every token permission, and the caps it reaches.
const SCOPES: [(&str, &[Cap]); 7] = {
    use Cap::*;
    [
        ("REPO_READ", &[Read]),
        ("REPO_WRITE", &[Read, RepoWrite]),
        ("REPO_ADMIN", &[Read, RepoWrite, RepoAdmin]),
        ("PROJECT_READ", &[Read]),
        ("PROJECT_WRITE", &[Read, RepoWrite]),
        ("PROJECT_ADMIN", &[Read, RepoWrite, RepoAdmin, ProjectAdmin]),
        (
            "ADMIN_WRITE",
            &[Read, RepoWrite, RepoAdmin, ProjectAdmin, Admin],
        ),
    ]
};

async fn new_token(s: &TestServer, user: (&str, &str), body: serde_json::Value) -> String {
    let (st, v) = json(
        s.as_user(
            user.0,
            user.1,
            Method::PUT,
            &format!("/rest/access-tokens/latest/users/{}", user.0),
        )
        .json(&body)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    v["token"].as_str().unwrap().to_string()
}

/// Each endpoint family (REST reads, Git fetch and push, repository security features,
/// repository and project administration, global administration) x each token permission,
/// with a token of the global administrator: the token's permission alone decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_family_by_token_scope() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_user("bob", "bob-pw").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = testkit::work_repo(tmp.path(), "w", "README", "hello\n");
    let (ok, out) = testkit::push(
        &work,
        &[
            "push",
            &testkit::remote(&s, "admin", testkit::ADMIN_PASSWORD, "PROJ", "app"),
            "main",
        ],
    );
    assert!(ok, "{out}");

    let mut failures = Vec::new();
    let mut n = 0;
    for (i, (permission, caps)) in SCOPES.iter().enumerate() {
        let token = new_token(
            &s,
            ("admin", testkit::ADMIN_PASSWORD),
            json!({"name": permission, "permissions": [permission]}),
        )
        .await;
        let rest: Vec<(Cap, Method, String, Option<serde_json::Value>, u16)> = vec![
            (Cap::Read, Method::GET, "/rest/api/latest/projects/PROJ/repos/app".into(), None, 200),
            (Cap::Read, Method::GET, "/rest/api/latest/projects/PROJ/repos/app/branches".into(), None, 200),
            (Cap::RepoWrite, Method::GET, "/rest/security/1.0/scan/PROJ/repos/app".into(), None, 200),
            (
                Cap::RepoWrite,
                Method::POST,
                "/rest/security/latest/review-lines/projects/PROJ/repos/app/create".into(),
                Some(json!({"matchText": format!("m{i}"), "ruleName": "R"})),
                200,
            ),
            (
                Cap::RepoAdmin,
                Method::PUT,
                "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=bob&permission=REPO_READ".into(),
                None,
                204,
            ),
            (
                Cap::ProjectAdmin,
                Method::POST,
                "/rest/api/latest/projects/PROJ/repos".into(),
                Some(json!({"name": format!("made-by-{}", permission.to_lowercase())})),
                201,
            ),
            (Cap::ProjectAdmin, Method::GET, "/rest/security/latest/status/projects/PROJ".into(), None, 200),
            (Cap::Admin, Method::GET, "/rest/security/latest/settings".into(), None, 200),
            (Cap::Admin, Method::GET, "/rest/api/latest/admin/users".into(), None, 200),
            (
                Cap::Admin,
                Method::POST,
                "/rest/api/latest/projects".into(),
                Some(json!({"key": format!("P{i}"), "name": format!("Made {i}")})),
                201,
            ),
        ];
        for (cap, method, path, body, ok) in rest {
            n += 1;
            let mut req = s
                .anon(method.clone(), &path)
                .bearer_auth(&token)
                .header("X-Atlassian-Token", "no-check");
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().await.unwrap();
            let allowed = caps.contains(&cap);
            let got = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            let want = if allowed { ok } else { 401 };
            if got != want || (!allowed && !text.contains("access token's permissions")) {
                failures.push(format!(
                    "{method} {path} with {permission}: {got}, want {want}: {text}"
                ));
            }
        }
        // Git with the token as the password: fetch needs read, push needs write.
        let url = testkit::remote(&s, "admin", &token, "PROJ", "app");
        n += 2;
        let fetched = testkit::git(&work, &["fetch", "-q", &url, "main"])
            .status
            .success();
        if !fetched {
            failures.push(format!("git fetch with {permission}: refused"));
        }
        let branch = format!("by-{}", permission.to_lowercase());
        let (pushed, out) = testkit::push(&work, &["push", &url, &format!("main:{branch}")]);
        let may_push = caps.contains(&Cap::RepoWrite);
        if pushed != may_push {
            failures.push(format!(
                "git push with {permission}: pushed {pushed}, want {may_push}: {out}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n, 7 * 12);
}

/// A request authenticated by `token`, with an optional JSON body: status and body.
async fn with_token(
    s: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = s.anon(method, path).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    json(req.send().await.unwrap()).await
}

/// A token never does more than its owner may, refuses values that are not permissions,
/// expires, records its last use, and cannot mint a stronger token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_model_holds() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_user("bob", "bob-pw").await;
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=bob&permission=REPO_READ",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let bob = ("bob", "bob-pw");
    let tokens = "/rest/access-tokens/latest/users/bob";

    // Invalid values are a 400 that names the field.
    for (body, says) in [
        (
            json!({"name": "t", "permissions": ["SYS_ADMIN"]}),
            "'SYS_ADMIN' is not a token permission",
        ),
        (
            json!({"name": "t", "permissions": []}),
            "at least one permission",
        ),
        (json!({"name": "t", "expiryDays": -5}), "expiryDays"),
        (json!({"name": "t", "expiryDays": 0}), "expiryDays"),
        (json!({"name": "t", "expiryDays": 100000}), "expiryDays"),
        (json!({"name": "t", "expiryDays": "soon"}), "expiryDays"),
    ] {
        let (st, v) = json(
            s.as_user(bob.0, bob.1, Method::PUT, tokens)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 400, "{body}: {v}");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }

    // ADMIN_WRITE on a token of a user with read access reads, and does nothing more.
    let strong = new_token(
        &s,
        bob,
        json!({"name": "all", "permissions": ["ADMIN_WRITE"]}),
    )
    .await;
    let (st, _) = with_token(
        &s,
        &strong,
        Method::GET,
        "/rest/api/latest/projects/PROJ/repos/app",
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = with_token(
        &s,
        &strong,
        Method::GET,
        "/rest/security/latest/settings",
        None,
    )
    .await;
    assert_eq!(st, 401);
    let tmp = tempfile::tempdir().unwrap();
    let work = testkit::work_repo(tmp.path(), "w", "README", "hello\n");
    let (pushed, out) = testkit::push(
        &work,
        &[
            "push",
            &testkit::remote(&s, "bob", &strong, "PROJ", "app"),
            "main",
        ],
    );
    assert!(!pushed, "a token pushed where its owner may not: {out}");

    // A read token cannot create a token stronger than itself, but may create its equal.
    let read = new_token(&s, bob, json!({"name": "ro", "permissions": ["REPO_READ"]})).await;
    let (st, v) = with_token(
        &s,
        &read,
        Method::PUT,
        tokens,
        Some(json!({"name": "escalate", "permissions": ["REPO_WRITE"]})),
    )
    .await;
    assert_eq!(st, 401, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("within its own permissions")
    );
    let (st, v) = with_token(
        &s,
        &read,
        Method::PUT,
        tokens,
        Some(json!({"name": "same", "permissions": ["REPO_READ"], "expiryDays": 30})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["permissions"], json!(["REPO_READ"]));
    assert_eq!(v["expiryDays"], 30);
    let day = 24 * 60 * 60 * 1000;
    let lifetime = v["expiryDate"].as_i64().unwrap() - v["createdDate"].as_i64().unwrap();
    assert!((lifetime - 30 * day).abs() < 5_000, "{v}");

    // One token by id, with its last use; a missing id is a 404.
    let (st, page) = json(
        s.as_user(bob.0, bob.1, Method::GET, tokens)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let ro = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ro")
        .unwrap()
        .clone();
    let (st, one) = json(
        s.as_user(
            bob.0,
            bob.1,
            Method::GET,
            &format!("{tokens}/{}", ro["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["name"], "ro");
    assert!(one.get("token").is_none());
    assert!(
        one["lastAuthenticated"].as_i64().unwrap() >= one["createdDate"].as_i64().unwrap(),
        "{one}"
    );
    let (st, _) = json(
        s.as_user(bob.0, bob.1, Method::GET, &format!("{tokens}/nosuchid"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 404);

    // Expiry is enforced: the stored expiry moved into the past ends the token at once.
    let (st, _) = with_token(&s, &read, Method::GET, "/rest/api/latest/projects", None).await;
    assert_eq!(st, 200);
    let keywarden_store::DatabaseLocation::Sqlite(db) = &s.state.config().database else {
        panic!("the test server runs on SQLite")
    };
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        db.display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE access_tokens SET expires_at = 1 WHERE name = 'ro'")
        .execute(&mut conn)
        .await
        .unwrap();
    let (st, v) = with_token(&s, &read, Method::GET, "/rest/api/latest/projects", None).await;
    assert_eq!(st, 401, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{v}"
    );
}
