//! The web UI (SPEC 11): form login with a session cookie, the global dashboard, project and
//! repository pages, Branch Security Analysis and the settings page.
//!
//! Pages are rendered on the server from askama templates (every value escaped), with one
//! stylesheet and one small script, both embedded; the lists show without JavaScript. The data
//! comes from the same core services as the REST API's, in the same shapes (the status,
//! scan-result and finding structs of `keywarden_core`), and every action either posts a form
//! here (with the session's CSRF token) that calls the same service, or is a same-origin
//! `fetch` to the REST API: the UI can do nothing the API would refuse.

mod actions;
mod cron_preview;
mod pages;
mod views;

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::{CurrentUser, password_login, source_address};
use crate::error::{ApiError, ApiResult};
use crate::rest::paging::PageParams;
use crate::session::{self, COOKIE_NAME, LOGIN_COOKIE, cookie, same_token, set_cookie};
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::admin_settings;
use keywarden_core::credentials::random_hex;
use keywarden_core::findings::{self, BranchScan, Filters, ScanResult};
use keywarden_core::hook_admin::{self, HookTarget};
use keywarden_core::hook_settings::HOOK_KEY;
use keywarden_core::rule_admin::{self, BuiltinRule, Rule};
use keywarden_core::status;
use keywarden_store::PageRequest;
use pages::{
    Chrome, DashboardPage, FileGroup, FindingView, LoginPage, MessagePage, Pager, ProjectPage,
    RepositoryPage, SecurityPage, SettingsPage,
};

const CSS: &str = include_str!("ui.css");
const JS: &str = include_str!("ui.js");

/// The UI routes, mounted at `/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/projects/{key}", get(project))
        .route("/projects/{key}/scan-all", post(actions::scan_all))
        .route("/projects/{key}/repos/{slug}", get(repository))
        .route("/projects/{key}/repos/{slug}/hook", post(actions::hook))
        .route("/projects/{key}/repos/{slug}/scan", post(actions::scan))
        .route("/projects/{key}/repos/{slug}/review", post(actions::review))
        .route("/projects/{key}/repos/{slug}/security", get(security))
        .route("/settings", get(settings))
        .route("/settings/cron-preview", get(cron_preview::live))
        .route("/static/ui.css", get(css))
        .route("/static/ui.js", get(js))
}

/// Percent-encodes a path segment or query value for links.
pub(crate) fn seg(s: &str) -> String {
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
        let fail = |e: keywarden_store::StoreError| api_error(ApiError::from(e));
        let session = session::get(state.store(), id)
            .await
            .map_err(fail)?
            .ok_or_else(login)?;
        let user = state
            .store()
            .user_by_id(session.user_id)
            .await
            .map_err(fail)?
            .ok_or_else(login)?;
        Ok(UiUser {
            user: CurrentUser(user, keywarden_core::scope::Scope::FULL),
            csrf: session.csrf,
        })
    }
}

impl UiUser {
    /// The refusal for a form whose CSRF token is not the session's (`None` when it is).
    fn csrf_refusal(&self, sent: &str) -> Option<Response> {
        (!same_token(&self.csrf, sent)).then(|| {
            error_page(
                StatusCode::FORBIDDEN,
                "The form did not come from this site. Reload the page and try again.",
            )
        })
    }

    async fn chrome(&self, state: &AppState, title: String, page: &'static str) -> Chrome {
        Chrome {
            title,
            page,
            user_name: Some(self.user.0.display_name.clone()),
            csrf: self.csrf.clone(),
            security_admin: security_admin(state, self).await,
            notice: None,
            error: None,
        }
    }
}

/// Headers of every page: only this site's script and styles, no framing, no referrer
/// leaving the site.
const PAGE_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; \
         form-action 'self'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

/// Renders a page with the security headers.
fn html(page: impl Template) -> Response {
    match page.render() {
        Ok(body) => (PAGE_HEADERS, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed").into_response()
        }
    }
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let chrome = Chrome {
        title: "Error".into(),
        page: "error",
        user_name: None,
        csrf: String::new(),
        security_admin: false,
        notice: None,
        error: Some(message.into()),
    };
    (status, html(MessagePage { chrome })).into_response()
}

/// An API error as a page: the REST API's status (401 for "no permission" becomes 403, the
/// browser being signed in) and message.
fn api_error(e: impl Into<ApiError>) -> Response {
    let e: ApiError = e.into();
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
    let error = q
        .error
        .is_some()
        .then(|| "Wrong user name or password.".into());
    login_page(&state, StatusCode::OK, error)
}

/// The login form, with a new double-submit CSRF token in the login cookie.
fn login_page(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    let token = random_hex(32);
    let chrome = Chrome {
        title: "Log in".into(),
        page: "login",
        user_name: None,
        csrf: String::new(),
        security_admin: false,
        notice: None,
        error,
    };
    let secure = is_secure(state);
    let mut resp = html(LoginPage {
        chrome,
        token: token.clone(),
    });
    *resp.status_mut() = status;
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
    extensions: axum::http::Extensions,
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
    let user = match password_login(
        &state,
        body.username.trim(),
        &body.password,
        source_address(&extensions),
    )
    .await
    {
        Ok(user) => user,
        Err(ApiError::BadCredentials) => {
            tracing::info!(user = %body.username.trim(), "web UI login failed");
            return Redirect::to("/login?error=1").into_response();
        }
        Err(e @ ApiError::Throttled(seconds)) => {
            tracing::info!(user = %body.username.trim(), "web UI login refused: locked out");
            let mut resp = login_page(&state, StatusCode::TOO_MANY_REQUESTS, Some(e.to_string()));
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return resp;
        }
        Err(e) => return api_error(e),
    };
    let id = match session::create(state.store(), user.id).await {
        Ok(id) => id,
        Err(e) => return api_error(e),
    };
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
    match session::get(state.store(), id).await {
        Ok(Some(s)) if same_token(&s.csrf, &body.csrf) => {
            if let Err(e) = session::remove(state.store(), id).await {
                return api_error(ApiError::from(e));
            }
        }
        Ok(Some(_)) => {
            return error_page(
                StatusCode::FORBIDDEN,
                "The form did not come from this site.",
            );
        }
        Ok(None) => {}
        Err(e) => return api_error(e),
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

/// The page's query without `start` (for paging links).
fn keep_query(raw: &HashMap<String, String>, keys: &[&str]) -> String {
    let pairs: Vec<(&str, &str)> = keys
        .iter()
        .filter_map(|k| {
            raw.get(*k)
                .filter(|v| !v.is_empty())
                .map(|v| (*k, v.as_str()))
        })
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn param<'a>(raw: &'a HashMap<String, String>, key: &str) -> &'a str {
    raw.get(key).map(String::as_str).unwrap_or("")
}

async fn dashboard(
    State(state): State<AppState>,
    user: UiUser,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let project_type = param(&raw, "type").to_ascii_uppercase();
    let list = async {
        let page = start_page(&raw)?;
        let kind = crate::rest::security::status::project_kind(Some(&project_type))?;
        Ok::<_, ApiError>(status::projects(&state, &user.user, kind, None, page).await?)
    };
    let projects = match list.await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let pager = Pager::new(&projects, &keep_query(&raw, &["type"]));
    html(DashboardPage {
        chrome: user
            .chrome(&state, "Security dashboard".into(), "dashboard")
            .await,
        types: vec![("", "All"), ("NORMAL", "Regular"), ("PERSONAL", "Personal")],
        project_type,
        projects,
        pager,
    })
}

async fn project(
    State(state): State<AppState>,
    user: UiUser,
    Path(key): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    // The same check as the project status REST endpoints.
    let project = match access::project_for_status(&state, &user.user, &key).await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let list = async {
        let page = start_page(&raw)?;
        Ok::<_, ApiError>(status::repositories(&state, &user.user, &key, None, page).await?)
    };
    let repositories = match list.await {
        Ok(r) => r,
        Err(e) => return api_error(e),
    };
    let pager = Pager::new(&repositories, "");
    let mut chrome = user
        .chrome(&state, format!("Project {}", project.name), "project")
        .await;
    chrome.notice = notice(&raw);
    html(ProjectPage {
        chrome,
        key: project.key,
        repositories,
        pager,
    })
}

/// The message an action left for the page it redirected to.
fn notice(raw: &HashMap<String, String>) -> Option<String> {
    let text = match raw.get("done")?.as_str() {
        "scan-all" => "Scans of every branch were queued.",
        "hook" => "The hook setting was saved.",
        "scan" => "The scan was queued.",
        "review" => "The review mark was saved; the branch is rescanned.",
        _ => return None,
    };
    Some(text.to_string())
}

/// The hook's state in words (`None` when the user may not see it: hook admin only).
async fn hook_state(state: &AppState, user: &CurrentUser, key: &str, slug: &str) -> Option<String> {
    let target = HookTarget::Repository { key, slug };
    let hook = hook_admin::get(state, user, target, HOOK_KEY).await.ok()?;
    if !hook.enabled {
        return Some("Disabled".into());
    }
    let warn = hook_admin::settings(state, user, target, HOOK_KEY)
        .await
        .is_ok_and(|s| s.warn_on_vulnerabilities);
    Some(if warn {
        "Enabled: warns about secrets, does not block".into()
    } else {
        "Enabled: blocks pushes with secrets".into()
    })
}

async fn repository(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let (project, repo) = match access::security_repository(&state, &user.user, &key, &slug).await {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    let list = async {
        let page = start_page(&raw)?;
        Ok::<_, ApiError>(status::branches(&state, &user.user, &key, &slug, None, page).await?)
    };
    let branches = match list.await {
        Ok(b) => b,
        Err(e) => return api_error(e),
    };
    let active = branches.values.iter().any(|b| b.status.is_active());
    let pager = Pager::new(&branches, "");
    let hook = hook_state(&state, &user.user, &project.key, &repo.slug).await;
    let mut chrome = user
        .chrome(&state, format!("Repository {}", repo.name), "repository")
        .await;
    chrome.notice = notice(&raw);
    html(RepositoryPage {
        chrome,
        key: project.key,
        slug: repo.slug,
        project_name: project.name,
        hook,
        branches,
        active,
        pager,
    })
}

/// Groups a result's findings by file, in the order they come; `reveal` is the index of the
/// finding shown in clear.
/// Lines shown redacted have every candidate secret of `rules` masked, not just their match.
fn group_findings(
    result: &ScanResult,
    reveal: Option<usize>,
    rules: &keywarden_engine::RuleSet,
) -> Vec<FileGroup> {
    let mut files: Vec<FileGroup> = Vec::new();
    for (index, f) in result.findings().iter().enumerate() {
        let view = FindingView {
            index,
            line: f.line,
            line_offset_start: f.line_offset_start,
            rule_name: f.rule_name.clone(),
            blocking: f.blocking,
            reviewed: f.reviewed,
            allowlisted: f.allowlisted,
            confidence: format!("{:.2}", f.confidence),
            shown: views::shown(f, reveal == Some(index), rules),
        };
        match files.iter_mut().find(|g| g.path == f.path) {
            Some(g) => g.findings.push(view),
            None => files.push(FileGroup {
                path: f.path.clone(),
                findings: vec![view],
            }),
        }
    }
    files
}

async fn security(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    match security_page(&state, &user, &key, &slug, &raw).await {
        Ok(page) => html(page),
        Err(e) => api_error(e),
    }
}

/// The page of a list asked for by the page's `start` (the REST API's default page size).
fn start_page(raw: &HashMap<String, String>) -> ApiResult<PageRequest> {
    let params = PageParams {
        start: raw.get("start").cloned(),
        limit: None,
    };
    Ok(params.request()?)
}

/// A boolean query flag as the page's links carry it.
fn flag(on: bool) -> &'static str {
    if on { "true" } else { "" }
}

/// Branch Security Analysis: the branches, the rule names, the result.
async fn security_page(
    state: &AppState,
    user: &UiUser,
    key: &str,
    slug: &str,
    raw: &HashMap<String, String>,
) -> ApiResult<SecurityPage> {
    let (project, repo) = access::security_repository(state, &user.user, key, slug).await?;
    let redaction = keywarden_core::rules::effective_rules_for(state, &repo).await?;
    let every = PageRequest::new(0, crate::rest::paging::MAX_LIMIT);
    let all = status::branches(state, &user.user, key, slug, None, every).await?;
    let branches: Vec<String> = all.values.iter().map(|b| b.display_id.clone()).collect();
    let wanted = param(raw, "branch");
    let branch = if branches.iter().any(|b| b == wanted) {
        wanted.to_string()
    } else {
        all.values
            .iter()
            .find(|b| b.default)
            .or(all.values.first())
            .map(|b| b.display_id.clone())
            .unwrap_or_default()
    };
    let include_reviewed = param(raw, "includeReviewed") == "true";
    let include_allowlisted = param(raw, "includeAllowlisted") == "true";
    let (rules, rule, result) = if branch.is_empty() {
        (Vec::new(), String::new(), ScanResult::default())
    } else {
        let rules = keywarden_core::rules::rule_types(state, &repo).await?;
        let rule = Some(param(raw, "rule"))
            .filter(|r| rules.iter().any(|n| n == r))
            .unwrap_or_default()
            .to_string();
        let which = BranchScan {
            branch: Some(branch.clone()),
            history: false,
        };
        let filters = Filters {
            rule: Some(rule.clone()).filter(|r| !r.is_empty()),
            include_allowlisted,
            include_reviewed,
            ..Filters::default()
        };
        let result = findings::result(state, &user.user, key, slug, &which, &filters).await?;
        (rules, rule, result)
    };
    let mut pairs = vec![("branch", branch.as_str()), ("rule", rule.as_str())];
    pairs.push(("includeReviewed", flag(include_reviewed)));
    pairs.push(("includeAllowlisted", flag(include_allowlisted)));
    pairs.retain(|(_, v)| !v.is_empty());
    let reveal = raw.get("reveal").and_then(|r| r.parse().ok());
    let mut chrome = user
        .chrome(state, "Branch Security Analysis".into(), "security")
        .await;
    chrome.notice = notice(raw);
    Ok(SecurityPage {
        chrome,
        key: project.key,
        slug: repo.slug,
        repo_name: repo.name,
        query: serde_urlencoded::to_string(&pairs).unwrap_or_default(),
        branches,
        branch,
        rules,
        rule,
        include_reviewed,
        include_allowlisted,
        commit: result
            .commit_id
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(12)
            .collect(),
        total: result.findings().len(),
        files: group_findings(&result, reveal, &redaction.rules),
        result,
    })
}

async fn settings(State(state): State<AppState>, user: UiUser) -> Response {
    if !security_admin(&state, &user).await {
        return error_page(
            StatusCode::FORBIDDEN,
            "Only administrators and users with app access can change the security settings.",
        );
    }
    let data = async {
        let settings = admin_settings::read(&state, &user.user).await?;
        let level = admin_settings::log_level(&state, &user.user).await?;
        let all = rule_admin::list(&state, &user.user).await?;
        Ok::<_, ApiError>((settings, level.log_level_override, all))
    };
    let (settings, level, all) = match data.await {
        Ok(d) => d,
        Err(e) => return api_error(e),
    };
    let mut builtin: Vec<(String, Vec<BuiltinRule>)> = Vec::new();
    let mut custom = Vec::new();
    for r in all {
        let r = match r {
            Rule::Custom(c) => {
                custom.push(c);
                continue;
            }
            Rule::Builtin(r) => r,
        };
        match builtin.iter_mut().find(|(c, _)| *c == r.category) {
            Some((_, rs)) => rs.push(r),
            None => builtin.push((r.category.clone(), vec![r])),
        }
    }
    html(SettingsPage {
        chrome: user
            .chrome(&state, "Security settings".into(), "settings")
            .await,
        hook_modes: vec!["EXPLICIT", "INHERITED", "ALWAYS"],
        schedule: settings.scan_schedule.clone().unwrap_or_default(),
        cron_preview: cron_preview::preview(
            settings.scan_schedule.as_deref().unwrap_or(""),
            jiff::Timestamp::now(),
        ),
        app_access: settings.app_access.join(", "),
        settings,
        log_levels: vec!["ERROR", "WARN", "INFO", "DEBUG", "TRACE"],
        log_level: level.as_str(),
        builtin,
        custom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(seg("~jdoe/a b"), "~jdoe%2Fa%20b");
    }
}
