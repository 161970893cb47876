//! The web UI end to end in a real headless browser (Debian's `chromium` driven through
//! `chromedriver`'s W3C WebDriver protocol): log in, disable the hook from the repository page,
//! push a secret, scan it from Branch Security Analysis, see the match highlighted and
//! redacted, reveal it, mark it reviewed, see the branch and the project turn SECURE, export
//! the CSV, toggle a built-in rule in the settings, log out. Screenshots of every page go to
//! `target/ui-screenshots/`.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{ADMIN_PASSWORD, TestServer, git_ok, remote, work_repo};
use keywarden_server::SecurityPolicy;
use reqwest::Method;
use serde_json::{Value, json};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const FORM: &str = "application/x-www-form-urlencoded";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A chromedriver process and one browser session.
struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    shots: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    async fn start(chromedriver: &Path, chromium: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1100,900"],
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            driver,
            http,
            session: format!("{base}/session/{session}"),
            shots,
        }
    }

    async fn cmd(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        r["value"].clone()
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let v = self.cmd(method, path, body).await;
        assert!(v.get("error").is_none(), "WebDriver {path}: {v}");
        v
    }

    async fn goto(&self, url: &str) {
        self.ok(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self
                .cmd(
                    Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(Instant::now() < deadline, "no element {css}: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.ok(
            Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.ok(
            Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.ok(Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the text of `css` contains `want`.
    async fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .cmd(
                    Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                let t = self
                    .cmd(Method::GET, &format!("/element/{id}/text"), None)
                    .await;
                if let Some(t) = t.as_str()
                    && t.contains(want)
                {
                    return t.to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{css} never contained {want:?}; page: {}",
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn source(&self) -> String {
        self.ok(Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn script(&self, script: &str) -> Value {
        self.ok(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Accepts the `confirm()` dialog the last click opened.
    async fn accept_dialog(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = self
                .cmd(Method::POST, "/alert/accept", Some(json!({})))
                .await;
            if v.get("error").is_none() {
                return;
            }
            assert!(Instant::now() < deadline, "no dialog: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let png = self.ok(Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_end_to_end() {
    let (Some(driver), Some(chromium)) = (
        find_program(&["chromedriver"]),
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        eprintln!("SKIPPED: chromium and chromedriver are not installed (.ci/run installs them)");
        return;
    };
    let s = TestServer::start_with(
        Arc::new(SecurityPolicy::new()),
        Some(env!("CARGO_BIN_EXE_keywarden")),
    )
    .await;
    s.add_project("PROJ", "Payments").await;
    s.add_repo("PROJ", "app").await;
    let b = Browser::start(&driver, &chromium).await;
    let base = &s.base;

    // Pages need a session.
    b.goto(&format!("{base}/settings")).await;
    b.find("#username").await;
    b.screenshot("01-login").await;
    // A wrong password stays on the login page.
    b.type_into("#username", "admin").await;
    b.type_into("#password", "wrong").await;
    b.click("#login").await;
    b.wait_text("main", "Wrong user name or password").await;
    b.type_into("#username", "admin").await;
    b.type_into("#password", ADMIN_PASSWORD).await;
    b.click("#login").await;
    b.wait_text("#list", "Payments").await;
    // The session cookie is HttpOnly: scripts cannot read it.
    let cookies = b.script("return document.cookie").await;
    assert!(!cookies.as_str().unwrap_or("").contains("keywarden_session"));

    // Repository page: turn the hook off so the secret can be pushed, then scan from the UI.
    b.goto(&format!("{base}/projects/PROJ/repos/app")).await;
    b.wait_text("#hook-state", "abled").await;
    b.click("[data-hook=disable]").await;
    b.wait_text("#hook-state", "Disabled").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(
        tmp.path(),
        "work",
        "aws.env",
        &format!("region = eu-west-1\naws_key = {KEY_ID} # prod\n"),
    );
    git_ok(
        &work,
        &[
            "push",
            &remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app"),
            "HEAD:refs/heads/main",
        ],
    );
    b.goto(&format!("{base}/projects/PROJ/repos/app")).await;
    b.wait_text("#list", "Not scanned").await;
    b.screenshot("02-repository").await;

    // Branch Security Analysis: scan, the finding grouped under its file, the match
    // highlighted and redacted, the rest of the line shown.
    b.goto(&format!(
        "{base}/projects/PROJ/repos/app/security?branch=main"
    ))
    .await;
    b.wait_text("#progress", "not scanned yet").await;
    b.click("#scan").await;
    b.wait_text("#summary", "1 finding in 1 file").await;
    let file = b.text(".file h3").await;
    assert_eq!(file, "aws.env");
    let redacted = format!("{}{}", &KEY_ID[..4], "*".repeat(KEY_ID.len() - 4));
    assert_eq!(b.text(".finding mark").await, redacted);
    let line = b.text(".finding code").await;
    assert_eq!(line, format!("aws_key = {redacted} # prod"));
    assert!(
        !b.source().await.contains(KEY_ID),
        "the secret is not in the page until revealed"
    );
    b.screenshot("03-branch-security-analysis").await;
    // Phone width.
    b.ok(
        Method::POST,
        "/window/rect",
        Some(json!({"width": 390, "height": 844})),
    )
    .await;
    b.screenshot("03-branch-security-analysis-phone").await;
    b.ok(
        Method::POST,
        "/window/rect",
        Some(json!({"width": 1100, "height": 900})),
    )
    .await;
    b.click(".finding .meta button").await; // Reveal
    assert_eq!(b.text(".finding mark").await, KEY_ID);

    // Mark reviewed (with the confirmation), rescan: the branch is secure.
    let review = "//button[text()='Mark reviewed']";
    let id = b
        .ok(
            Method::POST,
            "/element",
            Some(json!({"using": "xpath", "value": review})),
        )
        .await[ELEMENT]
        .as_str()
        .unwrap()
        .to_string();
    b.ok(
        Method::POST,
        &format!("/element/{id}/click"),
        Some(json!({})),
    )
    .await;
    b.accept_dialog().await;
    b.wait_text("#findings", "No findings").await;
    b.wait_text("#findings", "secure").await;
    // Reviewed findings show on request.
    b.click("#include-reviewed").await;
    b.wait_text("#findings", "reviewed").await;
    b.screenshot("04-reviewed").await;

    // The CSV export link serves the report (fetched with the browser's session).
    let csv = b
        .script(
            "const a = document.querySelector('#export'); \
             const x = new XMLHttpRequest(); x.open('GET', a.href, false); x.send(); \
             return [x.status, x.getResponseHeader('Content-Type'), x.responseText];",
        )
        .await;
    assert_eq!(csv[0], 200, "{csv}");
    assert!(csv[1].as_str().unwrap().starts_with("text/csv"), "{csv}");
    assert!(
        csv[2]
            .as_str()
            .unwrap()
            .starts_with("Project,Repository,Branch,File,Line,Rule"),
        "{csv}"
    );

    // Repository page and dashboard: SECURE.
    b.goto(&format!("{base}/projects/PROJ/repos/app")).await;
    b.wait_text("#list", "Secure").await;
    b.goto(&format!("{base}/projects/PROJ")).await;
    b.wait_text("#list", "Secure").await;
    b.screenshot("05-project").await;
    b.goto(&format!("{base}/")).await;
    b.wait_text("#list", "1 secure").await;
    assert!(b.text(".list-item .badge").await.contains("Secure"));
    b.screenshot("06-dashboard").await;
    // The project type filter.
    b.click("#type option[value=PERSONAL]").await;
    b.wait_text("#list", "No projects.").await;
    b.click("#type option[value=NORMAL]").await;
    b.wait_text("#list", "Payments").await;

    // Settings: toggle a built-in rule off; the REST API sees it.
    b.goto(&format!("{base}/settings")).await;
    b.find("#builtin input[type=checkbox]").await;
    let rule = b
        .script("return document.querySelector('#builtin input[type=checkbox]').dataset.rule")
        .await
        .as_str()
        .unwrap()
        .to_string();
    b.click("#builtin input[type=checkbox]").await;
    b.wait_text("#msg", "disabled").await;
    let rules: Value = s
        .admin(Method::GET, "/rest/security/latest/rules")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == rule.as_str())
        .unwrap();
    assert_eq!(entry["enabled"], false, "{entry}");
    // The cron preview.
    b.script("const i = document.querySelector('#scanSchedule'); i.value = '30 2 * * 1'; i.dispatchEvent(new Event('input'));")
        .await;
    b.wait_text("#cron-preview", "at 02:30 UTC, on Monday")
        .await;
    // A custom rule: live regex validation, a server-side error shown, creation, deletion.
    b.type_into("#rule-regexp", "token_(").await;
    b.wait_text("#regexp-check", "Invalid").await;
    b.type_into("#rule-regexp", "[a-z]{8})").await;
    b.wait_text("#regexp-check", "Looks valid").await;
    b.click("#new-rule button[type=submit]").await; // no name: the browser refuses
    b.type_into("#rule-name", "INTERNAL_TOKEN").await;
    b.click("#new-rule button[type=submit]").await;
    b.wait_text("#custom", "INTERNAL_TOKEN").await;
    b.screenshot("07-settings").await;
    b.click("#custom td button").await;
    b.accept_dialog().await;
    b.wait_text("#custom", "No custom rules").await;

    // Log out: the session is gone.
    b.click("header button[type=submit]").await;
    b.find("#username").await;
    b.goto(&format!("{base}/")).await;
    b.find("#username").await;
}

/// Forms and cookie-authenticated REST calls from another site are refused.
#[tokio::test]
async fn csrf_and_cookie_rules() {
    let s = TestServer::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The login form without the matching login cookie: refused.
    let r = http
        .post(format!("{}/login", s.base))
        .header("Content-Type", FORM)
        .body(format!("csrf=x&username=admin&password={ADMIN_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // With it: a session cookie with the right attributes.
    let r = http
        .post(format!("{}/login", s.base))
        .header("Cookie", "keywarden_login=abc")
        .header("Content-Type", FORM)
        .body(format!("csrf=abc&username=admin&password={ADMIN_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("keywarden_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    // The cookie authenticates REST reads.
    let r = http
        .get(format!("{}/rest/security/latest/settings", s.base))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A form-like state change with the cookie and without the XSRF header: refused.
    let r = http
        .post(format!("{}/rest/security/latest/hardcoded/AWS", s.base))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Logout needs the session's CSRF token.
    let r = http
        .post(format!("{}/logout", s.base))
        .header("Cookie", &cookie)
        .header("Content-Type", FORM)
        .body("csrf=wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .get(format!("{}/", s.base))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A user without repository write access: the pages refuse as the REST API does.
    s.add_project("PROJ", "Payments").await;
    s.add_repo("PROJ", "app").await;
    s.add_user("reader", "reader-password").await;
    let r = http
        .post(format!("{}/login", s.base))
        .header("Cookie", "keywarden_login=abc")
        .header("Content-Type", FORM)
        .body("csrf=abc&username=reader&password=reader-password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let reader = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("keywarden_session="))
        .unwrap();
    let reader = reader.split(';').next().unwrap().to_string();
    for path in [
        "/projects/PROJ",
        "/projects/PROJ/repos/app",
        "/projects/PROJ/repos/app/security",
        "/settings",
    ] {
        let r = http
            .get(format!("{}{path}", s.base))
            .header("Cookie", &reader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = http
        .get(format!("{}/rest/security/latest/settings", s.base))
        .header("Cookie", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Without a session, pages redirect to the login form and REST answers 401.
    let r = http.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let r = http
        .get(format!("{}/rest/security/latest/settings", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
