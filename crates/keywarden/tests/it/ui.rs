//! The web UI end to end in a real headless browser (Debian's `chromium` driven through
//! `chromedriver`'s W3C WebDriver protocol): log in and scan with the keyboard only, the hook
//! buttons, push a secret, see the match highlighted and redacted, reveal it, filter by rule,
//! mark it reviewed (cancelled, then confirmed), show reviewed and allowlisted, unmark it, see
//! the branch and the project turn SECURE, scan all, export the CSV, the project type filter,
//! the settings (a built-in rule, general settings with the cron preview, log level, custom
//! rules, global reviewed upload), log out. Screenshots of every page (desktop, and a phone's
//! width for the dashboard and Branch Security Analysis) go to `target/ui-screenshots/`.
//! Without a browser: the pages' HTML without JavaScript, permissions, CSRF, and sessions
//! across a restart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use keywarden_server::SecretScanPolicy;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{ADMIN_PASSWORD, TestServer, git_ok, remote, work_repo};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const FORM: &str = "application/x-www-form-urlencoded";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

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

    /// Dismisses the `confirm()` dialog the last click opened (answers "Cancel").
    async fn dismiss_dialog(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = self
                .cmd(Method::POST, "/alert/dismiss", Some(json!({})))
                .await;
            if v.get("error").is_none() {
                return;
            }
            assert!(Instant::now() < deadline, "no dialog: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses keys on the keyboard (WebDriver actions): text, or WebDriver key codes such
    /// as `\u{E004}` (Tab) and `\u{E007}` (Enter).
    async fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.ok(
            Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    /// The `id` of the focused element.
    async fn focused_id(&self) -> String {
        self.script("return document.activeElement ? document.activeElement.id : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Presses Tab until the element with this `id` has the focus.
    async fn tab_to(&self, id: &str) {
        for _ in 0..40 {
            if self.focused_id().await == id {
                return;
            }
            self.keys(TAB).await;
        }
        panic!("Tab never reached #{id}");
    }

    /// Resizes the window.
    async fn window(&self, width: u32, height: u32) {
        self.ok(
            Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Clicks the first element matching an XPath expression.
    async fn click_xpath(&self, xpath: &str) {
        let v = self
            .ok(
                Method::POST,
                "/element",
                Some(json!({"using": "xpath", "value": xpath})),
            )
            .await;
        let id = v[ELEMENT].as_str().unwrap_or_else(|| panic!("no {xpath}"));
        self.ok(
            Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Whether an element matches `css` now.
    async fn exists(&self, css: &str) -> bool {
        self.script(&format!(
            "return document.querySelector({}) !== null",
            json!(css)
        ))
        .await
            == json!(true)
    }

    async fn screenshot(&self, name: &str) {
        let png = self.ok(Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).unwrap();
    }
}

/// The REST API's view of a branch scan, as the admin.
async fn scan_result(s: &TestServer) -> Value {
    s.admin(
        Method::GET,
        "/rest/security/latest/scan/PROJ/repos/app?branch=main&includeReviewed=true",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_end_to_end() {
    let (Some(driver), Some(chromium)) = (
        find_program(&["chromedriver"]),
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        testkit::missing_tool(
            "chromium or chromedriver",
            "`apt-get install chromium chromium-driver`; .ci/run installs them",
        );
        return;
    };
    let s = TestServer::start_with(
        Arc::new(SecretScanPolicy::new()),
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
    // Keyboard only: the user name field has the focus; Tab to the password, Enter.
    assert_eq!(b.focused_id().await, "username");
    b.keys(&format!("admin{TAB}{ADMIN_PASSWORD}{ENTER}")).await;
    b.wait_text("#list", "Payments").await;
    // The session cookie is HttpOnly: scripts cannot read it.
    let cookies = b.script("return document.cookie").await;
    assert!(!cookies.as_str().unwrap_or("").contains("keywarden_session"));

    // Repository page: the hook's three buttons; off at the end so the secret can be pushed.
    b.goto(&format!("{base}/projects/PROJ/repos/app")).await;
    b.wait_text("#hook-state", "abled").await;
    b.click("button[value=warn]").await;
    b.wait_text("#hook-state", "warns about secrets").await;
    b.click("button[value=enable]").await;
    b.wait_text("#hook-state", "blocks pushes").await;
    b.click("button[value=disable]").await;
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

    // Branch Security Analysis, keyboard only: Tab to the scan button, Enter; the progress
    // updates without a reload and the page shows the result when the scan is done.
    b.goto(&format!(
        "{base}/projects/PROJ/repos/app/security?branch=main"
    ))
    .await;
    b.wait_text("#progress", "not scanned yet").await;
    b.tab_to("scan").await;
    b.keys(ENTER).await;
    // The finding grouped under its file, the match highlighted and redacted, the rest of the
    // line shown.
    b.wait_text("#summary", "1 finding in 1 file").await;
    assert_eq!(b.text(".file h3").await, "aws.env");
    let redacted = format!("{}{}", &KEY_ID[..4], "*".repeat(KEY_ID.len() - 4));
    assert_eq!(b.text(".finding mark").await, redacted);
    assert_eq!(
        b.text(".finding code").await,
        format!("aws_key = {redacted} # prod")
    );
    assert!(
        !b.source().await.contains(KEY_ID),
        "the secret is not in the page until revealed"
    );
    b.screenshot("03-branch-security-analysis").await;
    b.window(390, 844).await;
    b.screenshot("03-branch-security-analysis-phone").await;
    b.window(1100, 900).await;
    // Reveal and hide.
    b.click(".finding a.reveal").await;
    b.wait_text(".finding mark", KEY_ID).await;
    b.click(".finding a.reveal").await;
    b.wait_text(".finding mark", &redacted).await;

    // Filter by rule: the finding's rule keeps it, another rule hides it.
    let rule = b.text(".finding .tag").await;
    let other = b
        .script(&format!(
            "return [...document.querySelectorAll('#rule option')].map(o => o.value)\
             .find(v => v && v !== {})",
            json!(rule)
        ))
        .await
        .as_str()
        .unwrap()
        .to_string();
    b.click(&format!("#rule option[value='{other}']")).await;
    b.wait_text("#summary", "No findings for rule").await;
    b.click(&format!("#rule option[value='{rule}']")).await;
    b.wait_text("#summary", "1 finding").await;
    b.click("#rule option[value='']").await;
    b.wait_text("#summary", "1 finding").await;

    // Mark reviewed: cancelling the confirmation changes nothing; accepting marks it, the
    // branch is rescanned and secure.
    b.click_xpath("//button[text()='Mark reviewed']").await;
    b.dismiss_dialog().await;
    assert_eq!(scan_result(&s).await["invalidLines"][0]["reviewed"], false);
    b.click_xpath("//button[text()='Mark reviewed']").await;
    b.accept_dialog().await;
    b.wait_text("#summary", "No findings: this branch is secure")
        .await;
    // Reviewed and allowlisted findings show on request.
    b.click("#include-reviewed").await;
    b.wait_text("#findings", "reviewed").await;
    b.click("#include-allowlisted").await;
    b.wait_text("#findings", "reviewed").await;
    assert!(b.exists("#include-allowlisted:checked").await);
    b.screenshot("04-reviewed").await;
    // Unmark (confirmed): the finding counts again; then mark it once more.
    b.click_xpath("//button[text()='Unmark reviewed']").await;
    b.accept_dialog().await;
    b.wait_text("#findings", "Mark reviewed").await;
    assert_eq!(scan_result(&s).await["invalidLines"][0]["reviewed"], false);
    b.click_xpath("//button[text()='Mark reviewed']").await;
    b.accept_dialog().await;
    b.wait_text("#findings", "Unmark reviewed").await;
    b.wait_text("#progress", "Scanned commit").await;

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

    // Repository and project pages, dashboard: SECURE.
    b.goto(&format!("{base}/projects/PROJ/repos/app")).await;
    b.wait_text("#list", "Secure").await;
    b.goto(&format!("{base}/projects/PROJ")).await;
    b.wait_text("#list", "Secure").await;
    // Scan all (confirmed).
    b.click("#scan-all").await;
    b.accept_dialog().await;
    b.wait_text("main .notice", "queued").await;
    b.screenshot("05-project").await;
    b.goto(&format!("{base}/")).await;
    b.wait_text("#list", "1 secure").await;
    assert!(b.text(".list-item .badge").await.contains("Secure"));
    b.screenshot("06-dashboard").await;
    b.window(390, 844).await;
    b.screenshot("06-dashboard-phone").await;
    b.window(1100, 900).await;
    // The project type filter.
    b.click("#type option[value=PERSONAL]").await;
    b.wait_text("#list", "No projects.").await;
    b.click("#type option[value=NORMAL]").await;
    b.wait_text("#list", "Payments").await;

    // Settings: toggle a built-in rule off; the REST API sees it.
    b.goto(&format!("{base}/settings")).await;
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
    // General settings with the cron preview.
    b.script("const i = document.querySelector('#scanSchedule'); i.value = '30 2 * * 1'; i.dispatchEvent(new Event('input'));")
        .await;
    b.wait_text("#cron-preview", "Next runs: Mon ").await;
    b.wait_text("#cron-preview", " 02:30 UTC").await;
    b.script("document.querySelector('#parallelScans').value = '3'")
        .await;
    b.click("#general button[type=submit]").await;
    b.wait_text("#msg", "Settings saved").await;
    let settings: Value = s
        .admin(Method::GET, "/rest/security/latest/settings")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["parallelScans"], 3, "{settings}");
    assert_eq!(settings["scanSchedule"], "30 2 * * 1", "{settings}");
    // Drawn by the server after the reload, too.
    b.wait_text("#cron-preview", "Next runs: Mon ").await;
    // Log level.
    b.click("#loglevel option[value=DEBUG]").await;
    b.click("#save-loglevel").await;
    b.wait_text("#msg", "Log level set to DEBUG").await;
    assert!(b.exists("#loglevel option[value=DEBUG]:checked").await);
    // A custom rule: live regex validation, creation, deletion.
    b.type_into("#rule-regexp", "token_(").await;
    b.wait_text("#regexp-check", "Invalid").await;
    b.type_into("#rule-regexp", "[a-z]{8})").await;
    b.wait_text("#regexp-check", "Looks valid").await;
    b.click("#new-rule button[type=submit]").await; // no name: the browser refuses
    b.type_into("#rule-name", "INTERNAL_TOKEN").await;
    b.click("#new-rule button[type=submit]").await;
    b.wait_text("#custom", "INTERNAL_TOKEN").await;
    // Global reviewed upload.
    let csv_file = tmp.path().join("reviewed.csv");
    std::fs::write(&csv_file, "matchText,ruleName\nnot-a-secret-0123,\n").unwrap();
    b.type_into("#global-file", csv_file.to_str().unwrap())
        .await;
    b.click("#global-upload button[type=submit]").await;
    b.wait_text("#msg", "1 added").await;
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

/// Logs in through the form; returns the `Cookie` header value of the new session.
async fn login(http: &reqwest::Client, s: &TestServer, user: &str, password: &str) -> String {
    let r = http
        .post(format!("{}/login", s.base))
        .header("Cookie", "keywarden_login=abc")
        .header("Content-Type", FORM)
        .body(format!("csrf=abc&username={user}&password={password}"))
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
    set.split(';').next().unwrap().to_string()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A page's HTML with a session cookie (status, body).
async fn page(http: &reqwest::Client, s: &TestServer, cookie: &str, path: &str) -> (u16, String) {
    let r = http
        .get(format!("{}{path}", s.base))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The CSRF token a page carries for its forms.
fn csrf_of(html: &str) -> String {
    let at = html.find("data-csrf=\"").unwrap() + "data-csrf=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Forms and cookie-authenticated REST calls from another site are refused.
#[tokio::test]
async fn csrf_and_cookie_rules() {
    let s = TestServer::start().await;
    let http = no_redirects();
    // The login form without the matching login cookie: refused.
    let r = http
        .post(format!("{}/login", s.base))
        .header("Content-Type", FORM)
        .body(format!("csrf=x&username=admin&password={ADMIN_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let cookie = login(&http, &s, "admin", ADMIN_PASSWORD).await;
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
    // UI forms need the session's CSRF token.
    s.add_project("PROJ", "Payments").await;
    s.add_repo("PROJ", "app").await;
    for path in ["/logout", "/projects/PROJ/scan-all"] {
        let r = http
            .post(format!("{}{path}", s.base))
            .header("Cookie", &cookie)
            .header("Content-Type", FORM)
            .body("csrf=wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let (status, _) = page(&http, &s, &cookie, "/").await;
    assert_eq!(status, 200);
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

/// A server with project `PROJ` ("Payments") and repository `app`, whose `main` holds one
/// commit adding `file` with `content`, pushed over HTTP; and the folder of the working copy.
async fn payments_app_with(file: &str, content: &str) -> (TestServer, tempfile::TempDir) {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Payments").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "work", file, content);
    tokio::task::block_in_place(|| {
        git_ok(
            &work,
            &[
                "push",
                &remote(&s, "admin", ADMIN_PASSWORD, "PROJ", "app"),
                "HEAD:refs/heads/main",
            ],
        )
    });
    (s, tmp)
}

/// Pages render their lists on the server: without JavaScript, the HTML holds the projects,
/// branches and findings (the secret redacted). A user without write permission can neither
/// see the findings, reveal them nor mark them reviewed; a non-admin gets 403 on the settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_without_javascript_and_permissions() {
    let (s, _tmp) = payments_app_with("aws.env", &format!("aws_key = {KEY_ID} # prod\n")).await;
    let http = no_redirects();
    let admin = login(&http, &s, "admin", ADMIN_PASSWORD).await;
    // Scan through the UI form, wait for the result.
    let (_, html) = page(
        &http,
        &s,
        &admin,
        "/projects/PROJ/repos/app/security?branch=main",
    )
    .await;
    let r = http
        .post(format!("{}/projects/PROJ/repos/app/scan", s.base))
        .header("Cookie", &admin)
        .header("Content-Type", FORM)
        .body(format!(
            "csrf={}&branch=main&back=branch%3Dmain",
            csrf_of(&html)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let deadline = Instant::now() + Duration::from_secs(20);
    while scan_result(&s).await["scanned"] != true {
        assert!(Instant::now() < deadline, "the scan did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, html) = page(&http, &s, &admin, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains(">Payments</a>"), "{html}");
    assert!(html.contains("1 vulnerable"), "{html}");
    assert!(html.contains("class=\"bar\""), "{html}");
    let (_, html) = page(&http, &s, &admin, "/?type=PERSONAL").await;
    assert!(!html.contains("Payments</a>"), "{html}");
    let (_, html) = page(&http, &s, &admin, "/projects/PROJ").await;
    assert!(
        html.contains(">app</a>") && html.contains("Vulnerable"),
        "{html}"
    );
    let (_, html) = page(&http, &s, &admin, "/projects/PROJ/repos/app").await;
    assert!(html.contains("security?branch=main\">main</a>"), "{html}");
    let (_, html) = page(
        &http,
        &s,
        &admin,
        "/projects/PROJ/repos/app/security?branch=main",
    )
    .await;
    assert!(html.contains("<h3>aws.env</h3>"), "{html}");
    assert!(html.contains("class=\"finding\""), "{html}");
    assert!(
        html.contains("<mark title=\"Redacted secret\">AKIA****"),
        "{html}"
    );
    assert!(!html.contains(KEY_ID), "the secret is not in the page");
    let (_, html) = page(
        &http,
        &s,
        &admin,
        "/projects/PROJ/repos/app/security?branch=main&reveal=0",
    )
    .await;
    assert!(html.contains(&format!("<mark>{KEY_ID}</mark>")), "{html}");

    // A reader (repository read only): no findings, no reveal, no review, no settings.
    s.add_user("reader", "reader-password").await;
    let r = s
        .admin(
            Method::PUT,
            "/rest/api/latest/projects/PROJ/repos/app/permissions/users?name=reader&permission=REPO_READ",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let reader = login(&http, &s, "reader", "reader-password").await;
    let (_, dash) = page(&http, &s, &reader, "/").await;
    for path in [
        "/projects/PROJ/repos/app",
        "/projects/PROJ/repos/app/security?branch=main",
        "/projects/PROJ/repos/app/security?branch=main&reveal=0",
        "/settings",
    ] {
        let (status, html) = page(&http, &s, &reader, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(!html.contains(KEY_ID), "{path}");
    }
    let r = http
        .post(format!("{}/projects/PROJ/repos/app/review", s.base))
        .header("Cookie", &reader)
        .header("Content-Type", FORM)
        .body(format!(
            "csrf={}&branch=main&path=aws.env&line=1&rule=AWS&action=mark",
            csrf_of(&dash)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(scan_result(&s).await["invalidLines"][0]["reviewed"], false);
    let r = http
        .get(format!(
            "{}/rest/security/latest/scan/PROJ/repos/app?branch=main",
            s.base
        ))
        .header("Cookie", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Sessions live in the store: a browser stays signed in across a server restart, and a
/// logged-out session stays dead.
#[tokio::test]
async fn sessions_survive_a_restart() {
    let s = TestServer::start().await;
    let http = no_redirects();
    let kept = login(&http, &s, "admin", ADMIN_PASSWORD).await;
    let ended = login(&http, &s, "admin", ADMIN_PASSWORD).await;
    let (_, html) = page(&http, &s, &ended, "/").await;
    let r = http
        .post(format!("{}/logout", s.base))
        .header("Cookie", &ended)
        .header("Content-Type", FORM)
        .body(format!("csrf={}", csrf_of(&html)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let s = s.restart(Arc::new(keywarden_server::AcceptAll)).await;
    let (status, html) = page(&http, &s, &kept, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Security dashboard"), "{html}");
    let (status, _) = page(&http, &s, &ended, "/").await;
    assert_eq!(status, 303);
}

/// The security page's redacted view masks every secret of a finding's line, not only the
/// reported match: here a second AWS credential and a token whose checksum fails (a finding of
/// low confidence). Each finding shows its confidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redacted_view_masks_every_secret_of_the_line() {
    const SECRET: &str = "9dPq3ZkR7vXw2LmN8bT4yHs6QjC1fGe5Ua0oWiKx";
    const BAD_TOKEN: &str = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM";
    let (s, _tmp) = payments_app_with(
        "aws.env",
        &format!("id {KEY_ID} aws_secret_access_key = {SECRET} gh {BAD_TOKEN}\n"),
    )
    .await;
    let http = no_redirects();
    let admin = login(&http, &s, "admin", ADMIN_PASSWORD).await;
    let security = "/projects/PROJ/repos/app/security?branch=main";
    let (_, html) = page(&http, &s, &admin, security).await;
    let r = http
        .post(format!("{}/projects/PROJ/repos/app/scan", s.base))
        .header("Cookie", &admin)
        .header("Content-Type", FORM)
        .body(format!(
            "csrf={}&branch=main&back=branch%3Dmain",
            csrf_of(&html)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let deadline = Instant::now() + Duration::from_secs(20);
    while scan_result(&s).await["scanned"] != true {
        assert!(Instant::now() < deadline, "the scan did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, html) = page(&http, &s, &admin, security).await;
    assert!(html.contains("class=\"finding\""), "{html}");
    assert!(
        html.contains("<mark title=\"Redacted secret\">AKIA****"),
        "{html}"
    );
    for secret in [KEY_ID, SECRET, BAD_TOKEN] {
        assert!(!html.contains(&secret[4..]), "{secret} in clear: {html}");
    }
    assert!(html.contains("confidence 1.00"), "{html}");
    assert!(html.contains("confidence 0.50"), "{html}");
}
