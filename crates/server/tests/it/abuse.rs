//! What an attacker tries against a real server: guessing passwords on REST, Git and the
//! login form (throttled per account and per source address, audited), telling existing
//! accounts from missing ones by the time a failure takes, and request heads larger than
//! the server accepts (the error envelope, not hyper's empty answer).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use keywarden_core::throttle::ThrottleConfig;
use reqwest::{Method, Response};
use serde_json::Value;
use testkit::{TestServer, git_fails, json, remote, work_repo};

/// A client whose connections come from `127.0.0.<last>` (the whole loopback network is local).
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, last]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_as(s: &TestServer, client: &reqwest::Client, user: &str, password: &str) -> Response {
    client
        .get(format!("{}/rest/api/latest/projects", s.base))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
}

/// Asserts the 429 envelope with its `Retry-After`; returns the seconds announced.
async fn assert_throttled(r: Response, most_seconds: u64) -> u64 {
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("a 429 has Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=most_seconds).contains(&retry), "Retry-After {retry}");
    let (status, body) = json(r).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        format!("Too many failed login attempts; try again in {retry} seconds."),
        "{body}"
    );
    retry
}

/// The `LOGIN_THROTTLED` events: (user name, details).
async fn lockouts(s: &TestServer) -> Vec<(Option<String>, Value)> {
    let audit = s
        .state
        .store()
        .list_audit(keywarden_store::PageRequest::new(0, 100))
        .await
        .unwrap();
    audit
        .values
        .into_iter()
        .filter(|e| e.action == "LOGIN_THROTTLED")
        .map(|e| (e.user_name, serde_json::from_str(&e.details).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_one_accounts_password_locks_that_account_only() {
    let s = TestServer::start().await;
    s.add_user("alice", "alice-correct-pw").await;
    s.add_user("bob", "bob-correct-pw").await;
    let limit = ThrottleConfig::default().per_account;
    let attacker = client_from(2);
    for i in 0..limit.burst.get() {
        let r = get_as(&s, &attacker, "alice", &format!("guess-{i}")).await;
        assert_eq!(r.status(), 401, "failure {i} is a plain 401");
    }
    let r = get_as(&s, &attacker, "alice", "guess-last").await;
    assert_throttled(r, limit.refill.as_secs()).await;

    // The account is locked for every source, even with its correct password.
    let elsewhere = client_from(3);
    let r = get_as(&s, &elsewhere, "alice", "alice-correct-pw").await;
    assert_throttled(r, limit.refill.as_secs()).await;
    // Other accounts are not, from either source.
    for client in [&elsewhere, &attacker] {
        let r = get_as(&s, client, "bob", "bob-correct-pw").await;
        assert_eq!(r.status(), 200);
    }

    let events = lockouts(&s).await;
    assert_eq!(events.len(), 1, "one lockout, one event: {events:?}");
    let (user, details) = &events[0];
    assert_eq!(user.as_deref(), Some("alice"));
    assert_eq!(details["sourceAddress"], "127.0.0.2");
    assert_eq!(details["lockedOut"], "ACCOUNT");
    assert!(!details.to_string().contains("guess"), "{details}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_from_one_source_locks_that_source_only() {
    let s = TestServer::start().await;
    s.add_user("bob", "bob-correct-pw").await;
    let limit = ThrottleConfig::default().per_source;
    let attacker = client_from(4);
    // Spraying names (that do not exist) stays below each account's limit. A failure comes
    // back every refill period, so a slow spray gets a few more than the burst.
    let start = Instant::now();
    let mut failures = 0;
    let throttled = loop {
        let r = get_as(&s, &attacker, &format!("user{failures}"), "password1").await;
        if r.status() == 429 {
            break r;
        }
        assert_eq!(r.status(), 401, "failure {failures} is a plain 401");
        failures += 1;
        assert!(failures < 200, "never throttled");
    };
    let refilled = start.elapsed().as_secs_f64() / limit.refill.as_secs_f64();
    assert!(
        failures >= limit.burst.get()
            && f64::from(failures) <= f64::from(limit.burst.get()) + refilled + 1.0,
        "{failures} failures accepted in {:?}",
        start.elapsed()
    );
    assert_throttled(throttled, limit.refill.as_secs()).await;
    // The source is refused for every account; another source is not.
    let r = get_as(&s, &attacker, "bob", "bob-correct-pw").await;
    assert_throttled(r, limit.refill.as_secs()).await;
    let r = get_as(&s, &client_from(5), "bob", "bob-correct-pw").await;
    assert_eq!(r.status(), 200);

    let events = lockouts(&s).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, Some(format!("user{failures}")));
    assert_eq!(events[0].1["lockedOut"], "SOURCE");
    assert_eq!(events[0].1["sourceAddress"], "127.0.0.4");

    // The lockout ends when one failure is back (a short refill, not to wait 2 s here).
    let wait =
        Duration::from_secs(assert_throttled(get_as(&s, &attacker, "bob", "x").await, 2).await);
    tokio::time::sleep(wait).await;
    let r = get_as(&s, &attacker, "bob", "bob-correct-pw").await;
    assert_eq!(
        r.status(),
        200,
        "the source may log in again after Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_with_git_is_throttled() {
    let s = TestServer::start().await;
    s.add_user("carol", "carol-correct-pw").await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", "README.md", "hello\n");
    let burst = ThrottleConfig::default().per_account.burst.get();
    tokio::task::block_in_place(|| {
        for i in 0..burst {
            let url = remote(&s, "carol", &format!("guess{i}"), "PROJ", "app");
            let err = git_fails(&work, &["push", &url, "main"]);
            assert!(err.contains("Authentication failed"), "push {i}: {err}");
        }
        let err = git_fails(
            &work,
            &["push", &remote(&s, "carol", "guess", "PROJ", "app"), "main"],
        );
        assert!(err.contains("429"), "{err}");
        // Locked: the right password is refused too.
        let url = remote(&s, "carol", "carol-correct-pw", "PROJ", "app");
        let err = git_fails(&work, &["push", &url, "main"]);
        assert!(err.contains("429"), "{err}");
    });
    let events = lockouts(&s).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0.as_deref(), Some("carol"));
    assert_eq!(events[0].1["sourceAddress"], "127.0.0.1");
}

/// The login form's CSRF token and the cookie that carries it.
async fn login_form(s: &TestServer, client: &reqwest::Client) -> (String, String) {
    let r = client
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .next()
        .expect("the login page sets its cookie");
    let page = r.text().await.unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries a token")
        .to_string();
    (cookie, token)
}

async fn post_login(
    s: &TestServer,
    client: &reqwest::Client,
    (cookie, token): &(String, String),
    user: &str,
    password: &str,
) -> Response {
    client
        .post(format!("{}/login", s.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&username={user}&password={password}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_on_the_login_form_shows_the_lockout() {
    let s = TestServer::start().await;
    s.add_user("dora", "dora-correct-pw").await;
    let limit = ThrottleConfig::default().per_account;
    let browser = client_from(6);
    let form = login_form(&s, &browser).await;
    for i in 0..limit.burst.get() {
        let r = post_login(&s, &browser, &form, "dora", &format!("guess{i}")).await;
        assert_eq!(r.status(), 303, "failure {i} goes back to the form");
        assert_eq!(r.headers()["location"], "/login?error=1");
    }
    for password in ["guess", "dora-correct-pw"] {
        let r = post_login(&s, &browser, &form, "dora", password).await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Too many failed login attempts; try again in"),
            "{page}"
        );
        // The page is the form again, to try later.
        assert!(page.contains("name=\"csrf\""), "{page}");
    }
    assert_eq!(lockouts(&s).await.len(), 1);
    // Another account logs in from another browser.
    s.add_user("erin", "erin-correct-pw").await;
    let other = client_from(7);
    let form = login_form(&s, &other).await;
    let r = post_login(&s, &other, &form, "erin", "erin-correct-pw").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_login_costs_the_same_whether_the_account_exists_or_not() {
    let s = TestServer::start().await;
    s.add_user("frank", "frank-correct-pw").await;
    let client = client_from(8);
    // Warm up both paths (connections, the dummy hash).
    get_as(&s, &client, "warm-up-nobody", "x").await;
    get_as(&s, &client, "admin", "x").await;
    let (mut existing, mut missing) = (Vec::new(), Vec::new());
    // Below the per-account limit for both names.
    for i in 0..9 {
        for (user, samples) in [("frank", &mut existing), ("nobody-here", &mut missing)] {
            let start = Instant::now();
            let r = get_as(&s, &client, user, &format!("wrong{i}")).await;
            samples.push(start.elapsed());
            assert_eq!(r.status(), 401);
        }
    }
    let (existing, missing) = (median(existing), median(missing));
    eprintln!("median failed login: existing user {existing:?}, missing user {missing:?}");
    assert!(
        missing.as_secs_f64() >= 0.5 * existing.as_secs_f64(),
        "a missing user fails in {missing:?}, an existing one in {existing:?}"
    );
    assert!(
        missing.as_secs_f64() <= 2.0 * existing.as_secs_f64(),
        "a missing user fails in {missing:?}, an existing one in {existing:?}"
    );
}

async fn get_with(s: &TestServer, path: &str, headers: &[(String, String)]) -> Response {
    let mut r = s.admin(Method::GET, path);
    for (name, value) in headers {
        r = r.header(name, value);
    }
    r.send().await.unwrap()
}

async fn assert_envelope(r: Response, status: u16, message: &str) {
    assert_eq!(
        r.headers()["content-type"],
        "application/json",
        "status {}",
        r.status()
    );
    let (got, body) = json(r).await;
    assert_eq!(got, status, "{body}");
    let text = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(text.contains(message), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_heads_get_the_error_envelope() {
    let s = TestServer::start().await;
    let projects = "/rest/api/latest/projects";
    // A 20 KB and a 60 KB URL (hyper itself takes up to 64 KB).
    for size in [20_000, 60_000] {
        let path = format!("{projects}?name={}", "a".repeat(size));
        let r = get_with(&s, &path, &[]).await;
        assert_envelope(r, 414, "at most 16384 bytes are accepted").await;
    }
    // A 100 KB header, and one of 500 KB (above hyper's default buffer).
    for size in [100_000, 500_000] {
        let headers = [("x-big".to_string(), "v".repeat(size))];
        let r = get_with(&s, projects, &headers).await;
        assert_envelope(r, 431, "at most 65536 bytes are accepted").await;
    }
    // 150 header fields (hyper's default is 100).
    let many: Vec<(String, String)> = (0..150).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let r = get_with(&s, projects, &many).await;
    assert_envelope(r, 431, "at most 100 are accepted").await;
    // Within the limits, the request is served; outside /rest/ the refusal is plain text.
    let r = get_with(&s, projects, &[("x-ok".to_string(), "v".repeat(30_000))]).await;
    assert_eq!(r.status(), 200);
    let r = s
        .anon(Method::GET, &format!("/login?x={}", "a".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 414);
    assert!(r.text().await.unwrap().contains("at most 16384 bytes"));
}
