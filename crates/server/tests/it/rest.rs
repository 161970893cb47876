//! The REST API against a real server over real HTTP: auth, errors, CRUD, permissions,
//! paging and filters, XSRF, personal projects and access tokens.

use reqwest::Method;
use serde_json::json;
use testkit::{ADMIN_PASSWORD, TestServer, assert_error, json};

const AUTHZ: &str = "com.atlassian.bitbucket.AuthorisationException";

#[tokio::test]
async fn status_is_public_and_everything_else_needs_credentials() {
    let s = TestServer::start().await;
    let r = s.anon(Method::GET, "/status").send().await.unwrap();
    assert_eq!(r.status(), 200);

    for path in [
        "/rest/api/latest/projects",
        "/rest/api/1.0/users",
        "/scm/p/r.git/info/refs?service=git-upload-pack",
    ] {
        let r = s.anon(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Keywarden\"",
            "{path}"
        );
    }
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects")
        .send()
        .await
        .unwrap();
    assert_error(r, 401, AUTHZ, "Authentication required").await;

    let r = s
        .as_user("admin", "wrong", Method::GET, "/rest/api/latest/projects")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"Keywarden\"");
    assert_error(
        r,
        401,
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
        "Authentication failed",
    )
    .await;
    let r = s
        .as_user("nobody", "x", Method::GET, "/rest/api/latest/projects")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects")
        .bearer_auth("kwt_abc_def")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = s
        .admin(Method::GET, "/rest/api/latest/projects")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn projects_and_repositories_crud_on_both_api_versions() {
    let s = TestServer::start().await;
    let p = s.add_project("proj", "My Project").await;
    assert_eq!(p["key"], "PROJ");
    assert_eq!(p["type"], "NORMAL");
    assert_eq!(p["description"], "test");

    for version in ["1.0", "latest"] {
        let (st, body) = json(
            s.admin(Method::GET, &format!("/rest/api/{version}/projects/PROJ"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(body["name"], "My Project");
    }
    let r = s
        .admin(Method::POST, "/rest/api/latest/projects")
        .json(&json!({"key":"PROJ","name":"x"}))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        409,
        "com.atlassian.bitbucket.project.DuplicateProjectKeyException",
        "PROJ",
    )
    .await;

    let r = s
        .admin(Method::PUT, "/rest/api/latest/projects/PROJ")
        .json(&json!({"name":"Renamed"}))
        .send()
        .await
        .unwrap();
    let (st, body) = json(r).await;
    assert_eq!((st, body["name"].as_str()), (200, Some("Renamed")));

    let repo = s.add_repo("PROJ", "My Repo").await;
    assert_eq!(repo["slug"], "my-repo");
    assert_eq!(repo["defaultBranch"], "main");
    assert_eq!(repo["project"]["key"], "PROJ");
    let clone = repo["links"]["clone"][0]["href"].as_str().unwrap();
    assert_eq!(clone, format!("{}/scm/proj/my-repo.git", s.base));
    let r = s
        .admin(Method::POST, "/rest/api/latest/projects/PROJ/repos")
        .json(&json!({"name":"my repo"}))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        409,
        "com.atlassian.bitbucket.repository.DuplicateRepositoryNameException",
        "already taken",
    )
    .await;

    let (st, body) = json(
        s.admin(Method::GET, "/rest/api/1.0/projects/proj/repos/my-repo")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(body["name"], "My Repo");

    // Errors name what is missing.
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects/PROJ/repos/nope")
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
        "Repository PROJ/nope does not exist.",
    )
    .await;
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects/NOPE")
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.project.NoSuchProjectException",
        "Project NOPE does not exist.",
    )
    .await;
    let r = s
        .admin(Method::GET, "/rest/api/latest/users/ghost")
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.user.NoSuchUserException",
        "User ghost does not exist.",
    )
    .await;
    let r = s
        .admin(Method::GET, "/rest/api/latest/no/such/thing")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A project with repositories cannot be deleted.
    let r = s
        .admin(Method::DELETE, "/rest/api/latest/projects/PROJ")
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        409,
        "com.atlassian.bitbucket.IntegrityException",
        "has repositories",
    )
    .await;

    // Deleting the repository removes its directory.
    let repos_dir = s.state.config().repositories_dir();
    assert_eq!(std::fs::read_dir(&repos_dir).unwrap().count(), 1);
    let r = s
        .admin(
            Method::DELETE,
            "/rest/api/latest/projects/PROJ/repos/my-repo",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(std::fs::read_dir(&repos_dir).unwrap().count(), 0);
    let r = s
        .admin(Method::DELETE, "/rest/api/latest/projects/PROJ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects/PROJ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let s = TestServer::start().await;
    let bad = "com.atlassian.bitbucket.validation.ArgumentValidationException";
    let post = |body: serde_json::Value| {
        s.admin(Method::POST, "/rest/api/latest/projects")
            .json(&body)
            .send()
    };
    assert_error(
        post(json!({"key":"1AB","name":"x"})).await.unwrap(),
        400,
        bad,
        "key:",
    )
    .await;
    assert_error(
        post(json!({"key":"AB-C","name":"x"})).await.unwrap(),
        400,
        bad,
        "key:",
    )
    .await;
    assert_error(post(json!({"name":"x"})).await.unwrap(), 400, bad, "key:").await;
    assert_error(post(json!({"key":"AB"})).await.unwrap(), 400, bad, "name:").await;
    assert_error(
        post(json!({"key":"AB","name":"x".repeat(200)}))
            .await
            .unwrap(),
        400,
        bad,
        "name:",
    )
    .await;
    let r = s
        .admin(Method::POST, "/rest/api/latest/projects")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "body").await;
    let r = s
        .admin(Method::POST, "/rest/api/latest/projects")
        .json(&json!(["array"]))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "body").await;

    s.add_project("AB", "Ab").await;
    let repo = |body: serde_json::Value| {
        s.admin(Method::POST, "/rest/api/latest/projects/AB/repos")
            .json(&body)
            .send()
    };
    assert_error(
        repo(json!({"name":"-bad"})).await.unwrap(),
        400,
        bad,
        "name:",
    )
    .await;
    assert_error(
        repo(json!({"name":"ok","defaultBranch":"a..b"}))
            .await
            .unwrap(),
        400,
        bad,
        "defaultBranch:",
    )
    .await;
    assert_error(
        repo(json!({"name":"ok","scmId":"hg"})).await.unwrap(),
        400,
        bad,
        "scmId:",
    )
    .await;

    let big = format!("{{\"key\":\"BIG\",\"name\":\"{}\"}}", "x".repeat(3 << 20));
    let r = s
        .admin(Method::POST, "/rest/api/latest/projects")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        413,
        "com.atlassian.bitbucket.RequestTooLargeException",
        "too large",
    )
    .await;

    let r = s
        .admin(Method::GET, "/rest/api/latest/projects?limit=abc")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "limit:").await;
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects?start=-5")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "start:").await;
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/AB/permissions/users?name=admin&permission=GOD",
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "permission:").await;
    let r = s
        .admin(
            Method::POST,
            "/rest/api/latest/admin/users?name=a%20b&password=x",
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "name:").await;
    let r = s
        .admin(Method::POST, "/rest/api/latest/admin/users?name=ab")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "password:").await;
    // Names that would name folders, or forge lines where they are shown.
    for name in [".", ".."] {
        let r = s
            .admin(
                Method::POST,
                &format!("/rest/api/latest/admin/users?name={name}&password=pw"),
            )
            .send()
            .await
            .unwrap();
        assert_error(r, 400, bad, "name:").await;
    }
    let r = s
        .admin(
            Method::POST,
            "/rest/api/latest/admin/users?name=eve&password=pw&displayName=Eve%0AINFO%20forged",
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "displayName:").await;
    for name in ["Line\nforged", "Esc\u{1b}[31mape", "Tab\there"] {
        assert_error(
            post(json!({"key":"CTL","name":name})).await.unwrap(),
            400,
            bad,
            "name:",
        )
        .await;
    }
    let r = s
        .admin(Method::PUT, "/rest/api/latest/projects/AB")
        .json(&json!({"name":"Ab\r\nforged"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, bad, "name:").await;
}

#[tokio::test]
async fn paging_and_filters_across_pages() {
    let s = TestServer::start().await;
    for i in 0..23 {
        let name = if i % 3 == 0 {
            format!("Alpha Team {i}")
        } else {
            format!("Beta {i}")
        };
        s.add_project(&format!("P{i:02}"), &name).await;
    }
    // Walk all pages of 7.
    let mut keys = Vec::new();
    let mut start = 0;
    loop {
        let (st, page) = json(
            s.admin(
                Method::GET,
                &format!("/rest/api/latest/projects?start={start}&limit=7"),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(page["start"], start);
        assert_eq!(page["limit"], 7);
        let values = page["values"].as_array().unwrap();
        assert_eq!(page["size"], values.len());
        keys.extend(
            values
                .iter()
                .map(|p| p["key"].as_str().unwrap().to_string()),
        );
        if page["isLastPage"] == true {
            assert!(page.get("nextPageStart").is_none(), "{page}");
            break;
        }
        assert_eq!(page["nextPageStart"], start + 7);
        start = page["nextPageStart"].as_u64().unwrap();
    }
    let expected: Vec<String> = (0..23).map(|i| format!("P{i:02}")).collect();
    assert_eq!(keys, expected);

    // Default and clamped limits.
    let (_, page) = json(
        s.admin(Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            page["limit"].as_u64(),
            page["size"].as_u64(),
            page["isLastPage"].as_bool()
        ),
        (Some(25), Some(23), Some(true))
    );
    let (_, page) = json(
        s.admin(Method::GET, "/rest/api/latest/projects?limit=5000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["limit"], 1000);

    // The name filter is case-insensitive, on the name, and pages too.
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects?name=alpha%20TEAM&limit=5",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 5);
    assert_eq!(page["nextPageStart"], 5);
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects?name=alpha%20TEAM&start=5&limit=5",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 3);
    assert_eq!(page["isLastPage"], true);
    let (_, page) = json(
        s.admin(Method::GET, "/rest/api/latest/projects?name=P0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 0);

    // Repositories: name filter and paging.
    for name in ["web app", "web api", "mobile", "Webhooks", "docs"] {
        s.add_repo("P00", name).await;
    }
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/P00/repos?name=WEB&limit=2",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let slugs: Vec<_> = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["web-api", "web-app"]);
    assert_eq!(page["nextPageStart"], 2);
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/P00/repos?name=WEB&start=2&limit=2",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["values"][0]["slug"], "webhooks");
    assert_eq!(page["isLastPage"], true);

    // Users: the filter matches names and display names.
    for u in ["carol", "carla", "dave"] {
        s.add_user(u, "pw").await;
    }
    let (_, page) = json(
        s.admin(Method::GET, "/rest/api/latest/users?filter=CAR&limit=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["values"][0]["name"], "carla");
    assert_eq!(page["nextPageStart"], 1);
    let (_, page) = json(
        s.admin(Method::GET, "/rest/api/latest/admin/users?filter=example")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 3);
}

#[tokio::test]
async fn permissions_decide_what_users_see_and_do() {
    let s = TestServer::start().await;
    s.add_project("TEAM", "Team").await;
    s.add_repo("TEAM", "code").await;
    s.add_repo("TEAM", "secret").await;
    s.add_user("bob", "bobpw").await;
    let bob = |m: Method, p: &str| s.as_user("bob", "bobpw", m, p);

    // Nothing granted: nothing visible, 401 AuthorisationException on direct access.
    let (_, page) = json(
        bob(Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 0);
    assert_error(
        bob(Method::GET, "/rest/api/latest/projects/TEAM")
            .send()
            .await
            .unwrap(),
        401,
        AUTHZ,
        "not permitted",
    )
    .await;
    assert_error(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/code")
            .send()
            .await
            .unwrap(),
        401,
        AUTHZ,
        "",
    )
    .await;
    // Only admins create projects and grant global permissions.
    let r = bob(Method::POST, "/rest/api/latest/projects")
        .json(&json!({"key":"BOB","name":"b"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, AUTHZ, "").await;
    assert_error(
        bob(Method::GET, "/rest/api/latest/admin/users")
            .send()
            .await
            .unwrap(),
        401,
        AUTHZ,
        "",
    )
    .await;

    // A repository grant shows that repository (and the project), not the others.
    let r = s.admin(Method::PUT, "/rest/api/latest/projects/TEAM/repos/code/permissions/users?name=bob&permission=REPO_READ").send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, page) = json(
        bob(Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 1);
    let (_, page) = json(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 1);
    assert_eq!(page["values"][0]["slug"], "code");
    assert_eq!(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/code")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_error(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/secret")
            .send()
            .await
            .unwrap(),
        401,
        AUTHZ,
        "",
    )
    .await;
    // Read is not admin.
    assert_error(
        bob(Method::DELETE, "/rest/api/latest/projects/TEAM/repos/code")
            .send()
            .await
            .unwrap(),
        401,
        AUTHZ,
        "",
    )
    .await;

    // A project grant applies to all its repositories; PROJECT_ADMIN may create repositories.
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/TEAM/permissions/users?name=bob&permission=PROJECT_READ",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/secret")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = bob(Method::POST, "/rest/api/latest/projects/TEAM/repos")
        .json(&json!({"name":"new"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, AUTHZ, "").await;
    s.admin(
        Method::PUT,
        "/rest/api/latest/projects/TEAM/permissions/users?name=bob&permission=PROJECT_ADMIN",
    )
    .send()
    .await
    .unwrap();
    s.add_repo_as(("bob", "bobpw"), "TEAM", "new").await;

    // The grant lists.
    let (_, page) = json(
        s.admin(
            Method::GET,
            "/rest/api/latest/projects/TEAM/permissions/users",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["values"][0]["user"]["name"], "bob");
    assert_eq!(page["values"][0]["permission"], "PROJECT_ADMIN");
    let (_, page) = json(
        bob(
            Method::GET,
            "/rest/api/latest/projects/TEAM/repos/code/permissions/users",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["values"][0]["permission"], "REPO_READ");
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/TEAM/permissions/users?name=ghost&permission=PROJECT_READ",
        )
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.user.NoSuchUserException",
        "ghost",
    )
    .await;

    // Revoking takes it away again.
    s.admin(
        Method::DELETE,
        "/rest/api/latest/projects/TEAM/permissions/users?name=bob",
    )
    .send()
    .await
    .unwrap();
    s.admin(
        Method::DELETE,
        "/rest/api/latest/projects/TEAM/repos/code/permissions/users?name=bob",
    )
    .send()
    .await
    .unwrap();
    let (_, page) = json(
        bob(Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 0);

    // Global admin granted and revoked.
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/admin/permissions/users?name=bob&permission=ADMIN",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/secret")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.admin(
        Method::DELETE,
        "/rest/api/latest/admin/permissions/users?name=bob",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        bob(Method::GET, "/rest/api/latest/projects/TEAM/repos/secret")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Demoting oneself is refused either way (DELETE, or PUT with a non-admin permission).
    assert_error(
        s.admin(
            Method::PUT,
            "/rest/api/latest/admin/permissions/users?name=admin&permission=LICENSED_USER",
        )
        .send()
        .await
        .unwrap(),
        400,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
        "name: you cannot revoke your own admin permission",
    )
    .await;
}

#[tokio::test]
async fn xsrf_rule() {
    let s = TestServer::start().await;
    // A browser (its User-Agent) without the token or our Origin: the rule applies.
    const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0";
    let no_header = |m: Method, p: &str| {
        s.anon(m, p)
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .header("User-Agent", BROWSER)
    };
    // No content type, no token: refused before anything else.
    let r = no_header(
        Method::PUT,
        "/rest/api/latest/admin/permissions/users?name=admin&permission=ADMIN",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), "XSRF check failed");
    for ct in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let r = no_header(Method::POST, "/rest/api/latest/projects")
            .header("content-type", ct)
            .body(r#"{"key":"X","name":"x"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{ct}");
    }
    // Also for DELETE, and even anonymously (the rule comes first).
    let r = s
        .anon(Method::DELETE, "/rest/api/latest/projects/X")
        .header("User-Agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Reads are never checked.
    assert_eq!(
        no_header(Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Accepted with X-Atlassian-Token: no-check (or nocheck), a JSON body, or our own Origin.
    let r = no_header(
        Method::PUT,
        "/rest/api/latest/admin/permissions/users?name=admin&permission=ADMIN",
    )
    .header("X-Atlassian-Token", "no-check")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let r = no_header(
        Method::PUT,
        "/rest/api/latest/admin/permissions/users?name=admin&permission=ADMIN",
    )
    .header("X-Atlassian-Token", "nocheck")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let r = no_header(Method::POST, "/rest/api/latest/projects")
        .json(&json!({"key":"J","name":"j"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = no_header(Method::POST, "/rest/api/latest/projects")
        .header("content-type", "text/plain")
        .header("Origin", s.base.clone())
        .body(r#"{"key":"O","name":"o"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = no_header(Method::POST, "/rest/api/latest/projects")
        .header("content-type", "text/plain")
        .header("Origin", "http://evil.example")
        .body(r#"{"key":"E","name":"e"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A cookie or a foreign Referer marks a browser too, whatever the User-Agent says.
    for (name, value) in [
        ("Cookie", "session=1"),
        ("Referer", "http://evil.example/x"),
    ] {
        let r = s
            .anon(Method::DELETE, "/rest/api/latest/projects/X")
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}");
    }

    // Scripts (curl, Python requests: no browser signs) pass without the header, as the
    // vendor page's examples are written: a bodiless PUT, a DELETE, a form POST.
    for ua in [None, Some("curl/8.5.0"), Some("python-requests/2.32.3")] {
        let mut r = s
            .anon(
                Method::PUT,
                "/rest/api/latest/admin/permissions/users?name=admin&permission=ADMIN",
            )
            .basic_auth("admin", Some(ADMIN_PASSWORD));
        if let Some(ua) = ua {
            r = r.header("User-Agent", ua);
        }
        assert_eq!(r.send().await.unwrap().status(), 204, "{ua:?}");
    }
    let r = s
        .anon(Method::DELETE, "/rest/api/latest/projects/J")
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("User-Agent", "curl/8.5.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn personal_projects_and_access_tokens() {
    let s = TestServer::start().await;
    s.add_user("alice", "alicepw").await;
    s.add_user("eve", "evepw").await;
    // The owner of ~alice administers it.
    let repo = s.add_repo_as(("alice", "alicepw"), "~alice", "x").await;
    assert_eq!(repo["project"]["key"], "~ALICE");
    assert_eq!(repo["project"]["type"], "PERSONAL");
    assert_eq!(repo["project"]["owner"]["name"], "alice");
    assert!(
        repo["links"]["clone"][0]["href"]
            .as_str()
            .unwrap()
            .ends_with("/scm/~alice/x.git")
    );
    let (st, _) = json(
        s.as_user(
            "alice",
            "alicepw",
            Method::GET,
            "/rest/api/latest/projects/~ALICE/repos/x",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let r = s
        .as_user(
            "eve",
            "evepw",
            Method::GET,
            "/rest/api/latest/projects/~alice/repos/x",
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 401, AUTHZ, "").await;
    let r = s
        .as_user(
            "eve",
            "evepw",
            Method::POST,
            "/rest/api/latest/projects/~alice/repos",
        )
        .json(&json!({"name":"y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Tokens: created once, usable as Bearer and as the Basic password.
    let r = s
        .as_user(
            "alice",
            "alicepw",
            Method::PUT,
            "/rest/access-tokens/latest/users/alice",
        )
        .json(&json!({"name":"ci"}))
        .send()
        .await
        .unwrap();
    let (st, body) = json(r).await;
    assert_eq!(st, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["name"], "ci");
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects/~alice/repos/x")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects/~alice/repos/x")
        .basic_auth("alice", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects/~alice/repos/x")
        .basic_auth("eve", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let forged = format!("{}x", &token[..token.len() - 1]);
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects")
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Listed without the secret; others may not create tokens for alice.
    let (_, page) = json(
        s.as_user(
            "alice",
            "alicepw",
            Method::GET,
            "/rest/access-tokens/1.0/users/alice",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page["size"], 1);
    assert!(page["values"][0].get("token").is_none());
    let r = s
        .as_user(
            "eve",
            "evepw",
            Method::PUT,
            "/rest/access-tokens/latest/users/alice",
        )
        .json(&json!({"name":"x"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, AUTHZ, "").await;
    // Deleting the token revokes it at once (also through the verification cache).
    let id = page["values"][0]["id"].as_str().unwrap().to_string();
    let r = s
        .as_user(
            "alice",
            "alicepw",
            Method::DELETE,
            &format!("/rest/access-tokens/latest/users/alice/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .anon(Method::GET, "/rest/api/latest/projects")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Changing a password invalidates the old one at once.
    let r = s
        .admin(Method::PUT, "/rest/api/latest/admin/users/credentials")
        .json(&json!({"name":"alice","password":"new","passwordConfirm":"new"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        s.as_user("alice", "alicepw", Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        s.as_user("alice", "new", Method::GET, "/rest/api/latest/projects")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Deleting a user removes their personal project and its repositories.
    let r = s
        .admin(Method::DELETE, "/rest/api/latest/admin/users?name=alice")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects/~alice")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        std::fs::read_dir(s.state.config().repositories_dir())
            .unwrap()
            .count(),
        0
    );
    let r = s
        .admin(
            Method::POST,
            "/rest/api/latest/admin/users?name=eve&password=x",
        )
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        409,
        "com.atlassian.bitbucket.user.DuplicateUserException",
        "eve",
    )
    .await;
}

/// What axum and the layers answer by themselves is the envelope too, and an unknown path is
/// a 404 whoever asks.
#[tokio::test]
async fn errors_outside_the_handlers_are_envelopes() {
    let s = TestServer::start().await;
    let not_found = "com.atlassian.bitbucket.NoSuchEntityException";
    let r = s
        .anon(Method::GET, "/rest/api/latest/no-such-resource")
        .send()
        .await
        .unwrap();
    assert_error(r, 404, not_found, "No REST resource").await;
    let r = s
        .admin(Method::DELETE, "/rest/api/latest/projects")
        .send()
        .await
        .unwrap();
    let allow = r.headers().get("allow").cloned();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_error(
        r,
        405,
        "com.atlassian.bitbucket.rest.UnsupportedRequestException",
        "DELETE is not supported",
    )
    .await;
    assert!(allow.is_some_and(|a| a.to_str().unwrap().contains("GET")));
    // A path segment that is not UTF-8.
    let r = s
        .admin(Method::GET, "/rest/api/latest/projects/%FF%FE")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json");
    let (_, body) = json(r).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
        "{body}"
    );
}
