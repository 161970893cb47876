//! The web UI (SPEC 11): form login with a session cookie, the global dashboard, project and
//! repository pages, Branch Security Analysis and the settings page.
//!
//! Pages are plain HTML rendered here (every dynamic value escaped) with one stylesheet and one
//! small script, both embedded. Every page checks the same permissions as the REST API before it
//! renders; the data and every action go through the REST API itself (same-origin `fetch` with
//! the session cookie and `X-Atlassian-Token: no-check`), so the UI can do nothing the API would
//! refuse.

pub mod session;

use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::access;
use crate::auth::{CurrentUser, password_login};
use crate::credentials::random_hex;
use crate::error::ApiError;
use crate::state::AppState;
use session::{COOKIE_NAME, LOGIN_COOKIE, cookie, same_token, set_cookie};

const CSS: &str = include_str!("ui.css");
const JS: &str = include_str!("ui.js");

/// The UI routes, mounted at `/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/projects/{key}", get(project))
        .route("/projects/{key}/repos/{slug}", get(repository))
        .route("/projects/{key}/repos/{slug}/security", get(security))
        .route("/settings", get(settings))
        .route("/static/ui.css", get(css))
        .route("/static/ui.js", get(js))
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment for links.
fn seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn asset(body: &'static str, ty: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// A signed-in browser: the user and the session's CSRF token. Without a session, pages
/// redirect to the login form.
pub struct UiUser {
    user: CurrentUser,
    csrf: String,
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let login = || Redirect::to("/login").into_response();
        let id = cookie(&parts.headers, COOKIE_NAME).ok_or_else(login)?;
        let session = state.sessions().get(id).ok_or_else(login)?;
        let user = state
            .store()
            .user_by_id(session.user_id)
            .await
            .map_err(|e| ApiError::from(e).into_response())?
            .ok_or_else(login)?;
        Ok(UiUser {
            user: CurrentUser(user),
            csrf: session.csrf,
        })
    }
}

/// What the page header needs to know.
struct Chrome<'a> {
    title: &'a str,
    page: &'a str,
    user: Option<&'a UiUser>,
    security_admin: bool,
    data: &'a [(&'a str, &'a str)],
}

/// Headers of every page: only this site's script and styles, no framing, no referrer
/// leaving the site.
const PAGE_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

fn page(c: Chrome<'_>, body: &str) -> Response {
    let mut nav = String::new();
    if let Some(u) = c.user {
        nav.push_str("<nav aria-label=\"Main\"><a href=\"/\">Dashboard</a>");
        if c.security_admin {
            nav.push_str("<a href=\"/settings\">Settings</a>");
        }
        nav.push_str(&format!(
            "<form method=\"post\" action=\"/logout\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <span class=\"who\">{}</span> <button type=\"submit\">Log out</button></form></nav>",
            esc(&u.csrf),
            esc(&u.user.0.display_name)
        ));
    }
    let data: String = c
        .data
        .iter()
        .map(|(k, v)| format!(" data-{k}=\"{}\"", esc(v)))
        .collect();
    let html = Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Keywarden</title><link rel=\"stylesheet\" href=\"/static/ui.css\">\
         </head><body data-page=\"{page}\"{data}>\
         <header><a class=\"brand\" href=\"/\">Keywarden</a>{nav}</header>\
         <main id=\"main\"><h1>{title}</h1>{body}</main>\
         <script src=\"/static/ui.js\"></script></body></html>",
        title = esc(c.title),
        page = esc(c.page),
    ));
    (PAGE_HEADERS, html).into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>", esc(message));
    let chrome = Chrome {
        title: "Error",
        page: "error",
        user: None,
        security_admin: false,
        data: &[],
    };
    (status, page(chrome, &body)).into_response()
}

fn api_error(e: ApiError) -> Response {
    let status = match e.status() {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        s => s,
    };
    let message = match &e {
        ApiError::Forbidden(_) | ApiError::Unauthenticated => {
            "You do not have permission to see this page.".to_string()
        }
        other => other.to_string(),
    };
    error_page(status, &message)
}

#[derive(Deserialize)]
struct LoginQuery {
    error: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if let Ok(Some(_)) = crate::auth::session_user(&state, &headers).await {
        return Redirect::to("/").into_response();
    }
    let token = random_hex(32);
    let error = if q.error.is_some() {
        "<p class=\"error\" role=\"alert\">Wrong user name or password.</p>"
    } else {
        ""
    };
    let body = format!(
        "{error}<form method=\"post\" action=\"/login\" class=\"card login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <label for=\"username\">User name</label>\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <button type=\"submit\" id=\"login\">Log in</button></form>"
    );
    let chrome = Chrome {
        title: "Log in",
        page: "login",
        user: None,
        security_admin: false,
        data: &[],
    };
    let secure = is_secure(&state);
    let mut resp = page(chrome, &body).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_COOKIE, &token, 3600, secure)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn is_secure(state: &AppState) -> bool {
    state
        .config()
        .base_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

#[derive(Deserialize)]
struct LoginBody {
    csrf: String,
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(body): Form<LoginBody>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !same_token(expected, &body.csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Reload the login page and try again.",
        );
    }
    let Some(user) = password_login(&state, body.username.trim(), &body.password).await else {
        tracing::info!(user = %body.username.trim(), "web UI login failed");
        return Redirect::to("/login?error=1").into_response();
    };
    let id = state.sessions().create(user.id);
    tracing::info!(user = %user.name, "web UI login");
    let secure = is_secure(&state);
    let mut resp = Redirect::to("/").into_response();
    for c in [
        set_cookie(COOKIE_NAME, &id, session::IDLE.as_secs(), secure),
        set_cookie(LOGIN_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

#[derive(Deserialize)]
struct CsrfBody {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(body): Form<CsrfBody>,
) -> Response {
    let Some(id) = cookie(&headers, COOKIE_NAME) else {
        return Redirect::to("/login").into_response();
    };
    match state.sessions().get(id) {
        Some(s) if same_token(&s.csrf, &body.csrf) => state.sessions().remove(id),
        Some(_) => {
            return error_page(
                StatusCode::FORBIDDEN,
                "The form did not come from this site.",
            );
        }
        None => {}
    }
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(COOKIE_NAME, "", 0, is_secure(&state))) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn security_admin(state: &AppState, user: &UiUser) -> bool {
    access::admin_or_app_access(state, &user.user)
        .await
        .unwrap_or(false)
}

async fn dashboard(State(state): State<AppState>, user: UiUser) -> Response {
    let body = "<div class=\"toolbar\">\
        <label for=\"type\">Project type</label>\
        <select id=\"type\"><option value=\"ALL\">All</option>\
        <option value=\"NORMAL\">Regular</option><option value=\"PERSONAL\">Personal</option>\
        </select></div>\
        <div id=\"list\" aria-live=\"polite\">Loading…</div>\
        <div class=\"pager\"><button id=\"prev\" type=\"button\">Previous</button>\
        <button id=\"next\" type=\"button\">Next</button></div>";
    let admin = security_admin(&state, &user).await;
    page(
        Chrome {
            title: "Security dashboard",
            page: "dashboard",
            user: Some(&user),
            security_admin: admin,
            data: &[],
        },
        body,
    )
}

async fn project(State(state): State<AppState>, user: UiUser, Path(key): Path<String>) -> Response {
    // The same check as the project status REST endpoints the page reads.
    let project = match access::project_for_status(&state, &user.user, &key).await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let body = "<p><button id=\"scan-all\" type=\"button\">Scan all repositories</button> \
        <span id=\"msg\" role=\"status\"></span></p>\
        <div id=\"list\" aria-live=\"polite\">Loading…</div>";
    let admin = security_admin(&state, &user).await;
    let title = format!("Project {}", project.name);
    page(
        Chrome {
            title: &title,
            page: "project",
            user: Some(&user),
            security_admin: admin,
            data: &[("project", &project.key)],
        },
        body,
    )
}

async fn repository(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
) -> Response {
    let (project, repo) = match access::security_repository(&state, &user.user, &key, &slug).await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let body = format!(
        "<p><a href=\"/projects/{pk}\">← {pn}</a> · \
         <a href=\"/projects/{pk}/repos/{rs}/security\">Branch Security Analysis</a></p>\
         <section class=\"card\"><h2>Security hook</h2>\
         <p id=\"hook-state\" role=\"status\">Loading…</p>\
         <button type=\"button\" data-hook=\"enable\">Enable (block)</button> \
         <button type=\"button\" data-hook=\"warn\">Enable (warn only)</button> \
         <button type=\"button\" data-hook=\"disable\">Disable</button></section>\
         <h2>Branches</h2><div id=\"list\" aria-live=\"polite\">Loading…</div>",
        pk = seg(&project.key),
        pn = esc(&project.name),
        rs = seg(&repo.slug),
    );
    let admin = security_admin(&state, &user).await;
    let title = format!("Repository {}", repo.name);
    page(
        Chrome {
            title: &title,
            page: "repository",
            user: Some(&user),
            security_admin: admin,
            data: &[("project", &project.key), ("repo", &repo.slug)],
        },
        &body,
    )
}

#[derive(Deserialize)]
struct BranchQuery {
    branch: Option<String>,
}

async fn security(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Query(q): Query<BranchQuery>,
) -> Response {
    let (project, repo) = match access::security_repository(&state, &user.user, &key, &slug).await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let body = format!(
        "<p><a href=\"/projects/{pk}/repos/{rs}\">← {rn}</a></p>\
         <div class=\"toolbar\">\
         <label for=\"branch\">Branch</label><select id=\"branch\"></select>\
         <button type=\"button\" id=\"scan\">Scan</button>\
         <a id=\"export\" class=\"button\" href=\"#\">Export CSV</a></div>\
         <div id=\"progress\" role=\"status\" aria-live=\"polite\"></div>\
         <p id=\"outdated\" class=\"warning\" role=\"alert\" hidden>These results are outdated: \
         the branch or the rules changed since the scan. Rescan to update them.</p>\
         <div class=\"toolbar\">\
         <label for=\"rule\">Rule</label><select id=\"rule\"><option value=\"\">All rules</option></select>\
         <label><input type=\"checkbox\" id=\"include-reviewed\"> Show reviewed</label>\
         <label><input type=\"checkbox\" id=\"include-allowlisted\"> Show allowlisted</label></div>\
         <div id=\"findings\" aria-live=\"polite\"></div>",
        pk = seg(&project.key),
        rs = seg(&repo.slug),
        rn = esc(&repo.name),
    );
    let admin = security_admin(&state, &user).await;
    let branch = q.branch.unwrap_or_default();
    page(
        Chrome {
            title: "Branch Security Analysis",
            page: "security",
            user: Some(&user),
            security_admin: admin,
            data: &[
                ("project", &project.key),
                ("repo", &repo.slug),
                ("branch", &branch),
            ],
        },
        &body,
    )
}

async fn settings(State(state): State<AppState>, user: UiUser) -> Response {
    if !security_admin(&state, &user).await {
        return error_page(
            StatusCode::FORBIDDEN,
            "Only administrators and users with app access can change the security settings.",
        );
    }
    let body = "<p id=\"msg\" role=\"status\" aria-live=\"polite\"></p>\
        <section class=\"card\"><h2>General</h2><form id=\"general\">\
        <label for=\"hookMode\">Hook mode</label><select id=\"hookMode\">\
        <option>EXPLICIT</option><option>INHERITED</option><option>ALWAYS</option></select>\
        <label><input type=\"checkbox\" id=\"perRepositoryRules\"> Per-repository rules \
        (soteri-security.yml)</label>\
        <label for=\"parallelScans\">Parallel scans</label>\
        <input id=\"parallelScans\" type=\"number\" min=\"1\">\
        <label for=\"scanSchedule\">Scan schedule (cron, UTC; empty = never)</label>\
        <input id=\"scanSchedule\" placeholder=\"0 2 * * *\">\
        <p id=\"cron-preview\" class=\"hint\"></p>\
        <label for=\"appAccess\">App access (user names, comma separated)</label>\
        <input id=\"appAccess\">\
        <button type=\"submit\">Save settings</button></form></section>\
        <section class=\"card\"><h2>Log level</h2>\
        <label for=\"loglevel\">Override</label><select id=\"loglevel\">\
        <option>ERROR</option><option>WARN</option><option>INFO</option><option>DEBUG</option>\
        <option>TRACE</option></select> <button type=\"button\" id=\"save-loglevel\">Apply</button>\
        </section>\
        <section class=\"card\"><h2>Built-in rules</h2><div id=\"builtin\">Loading…</div></section>\
        <section class=\"card\"><h2>Custom rules</h2><div id=\"custom\"></div>\
        <form id=\"new-rule\"><label for=\"rule-name\">Name</label><input id=\"rule-name\" required>\
        <label for=\"rule-regexp\">Regular expression</label><input id=\"rule-regexp\" required>\
        <p id=\"regexp-check\" class=\"hint\" aria-live=\"polite\"></p>\
        <label><input type=\"checkbox\" id=\"rule-warn\"> Warn only (do not block pushes)</label>\
        <button type=\"submit\">Create rule</button></form></section>\
        <section class=\"card\"><h2>Globally reviewed findings</h2>\
        <p><a class=\"button\" href=\"/rest/security/latest/global-reviewed\">Export CSV</a></p>\
        <form id=\"global-upload\"><label for=\"global-file\">Upload CSV \
        (matchText, ruleName)</label><input type=\"file\" id=\"global-file\" accept=\".csv,text/csv\" required>\
        <button type=\"submit\">Upload</button></form></section>";
    page(
        Chrome {
            title: "Security settings",
            page: "settings",
            user: Some(&user),
            security_admin: true,
            data: &[],
        },
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(seg("~jdoe/a b"), "~jdoe%2Fa%20b");
    }
}
