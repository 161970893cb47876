//! The UI's form actions. Each checks the session's CSRF token, calls the REST handler that
//! does the same thing (so the same permission checks apply), and redirects back to the page
//! (POST-redirect-GET); an error shows as an error page with the API's message.

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{UiUser, api_error, seg};
use crate::error::{ApiError, ApiResult};
use crate::rest::security::rescan;
use crate::state::AppState;
use keywarden_core::findings::{self, BranchScan, Filters};
use keywarden_core::hook_admin::{self, HookTarget};
use keywarden_core::hook_settings::HOOK_KEY;
use keywarden_core::reviewed::{self, ReviewBody};

/// A form carrying only the CSRF token.
#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// `POST /projects/{key}/scan-all`: the project page's "Scan all repositories".
pub(super) async fn scan_all(
    State(state): State<AppState>,
    user: UiUser,
    Path(key): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&form.csrf) {
        return r;
    }
    match rescan::project(State(state), user.user, Path(key.clone()), RawQuery(None)).await {
        Ok(_) => Redirect::to(&format!("/projects/{}?done=scan-all", seg(&key))).into_response(),
        Err(e) => api_error(e),
    }
}

/// The repository page's hook buttons.
#[derive(Deserialize)]
pub(super) struct HookForm {
    csrf: String,
    hook: String,
}

/// `POST /projects/{key}/repos/{slug}/hook`: enable (block), enable (warn only) or disable.
pub(super) async fn hook(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Form(form): Form<HookForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&form.csrf) {
        return r;
    }
    let target = HookTarget::Repository {
        key: &key,
        slug: &slug,
    };
    let done = match form.hook.as_str() {
        "enable" | "warn" => {
            let warn = Ok(Some(form.hook == "warn"));
            hook_admin::enable(&state, &user.user, target, HOOK_KEY, warn)
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
        "disable" => hook_admin::disable(&state, &user.user, target, HOOK_KEY)
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        other => Err(ApiError::invalid(format!(
            "hook: must be enable, warn or disable, not '{other}'"
        ))),
    };
    match done {
        Ok(()) => Redirect::to(&format!(
            "/projects/{}/repos/{}?done=hook",
            seg(&key),
            seg(&slug)
        ))
        .into_response(),
        Err(e) => api_error(e),
    }
}

/// Where an action on a branch goes back to: the repository page, or Branch Security
/// Analysis with the query it had.
fn back(key: &str, slug: &str, back: &str, done: &str) -> Response {
    let base = format!("/projects/{}/repos/{}", seg(key), seg(slug));
    // `back` is the page's own encoded query; anything else falls back to the branch list.
    let encoded_query = back
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"%=&._~+-".contains(&b));
    if back == "repository" || back.is_empty() || !encoded_query {
        return Redirect::to(&format!("{base}?done={done}")).into_response();
    }
    Redirect::to(&format!("{base}/security?{back}&done={done}")).into_response()
}

/// A branch scan request.
#[derive(Deserialize)]
pub(super) struct ScanForm {
    csrf: String,
    branch: String,
    #[serde(default)]
    back: String,
}

/// The tip scan of `branch`.
fn tip_scan(branch: &str) -> BranchScan {
    BranchScan {
        branch: Some(branch.to_string()),
        history: false,
    }
}

/// Schedules a scan of a branch as `POST /scan/...` does.
async fn schedule(
    state: &AppState,
    user: &UiUser,
    key: &str,
    slug: &str,
    branch: &str,
) -> ApiResult<()> {
    let which = tip_scan(branch);
    findings::schedule(state, &user.user, key, slug, &which, &Filters::default()).await?;
    Ok(())
}

/// `POST /projects/{key}/repos/{slug}/scan`: scan or rescan a branch.
pub(super) async fn scan(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Form(form): Form<ScanForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&form.csrf) {
        return r;
    }
    match schedule(&state, &user, &key, &slug, &form.branch).await {
        Ok(()) => back(&key, &slug, &form.back, "scan"),
        Err(e) => api_error(e),
    }
}

/// Mark or unmark one finding reviewed.
#[derive(Deserialize)]
pub(super) struct ReviewForm {
    csrf: String,
    branch: String,
    path: String,
    line: i64,
    rule: String,
    /// Start of the match on the line: tells apart several findings of one rule on one line.
    #[serde(default)]
    start: Option<i64>,
    action: String,
    #[serde(default)]
    back: String,
}

/// `POST /projects/{key}/repos/{slug}/review`: marks (or unmarks) the finding at a file, line
/// and rule of the branch's latest result reviewed, as `POST /review-lines/.../create` (or
/// `delete`) does, then rescans the branch so that its status counts the change. The match
/// text is taken from the result on the server, so the page never carries it.
pub(super) async fn review(
    State(state): State<AppState>,
    user: UiUser,
    Path((key, slug)): Path<(String, String)>,
    Form(form): Form<ReviewForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&form.csrf) {
        return r;
    }
    let run = async {
        let every = Filters {
            include_allowlisted: true,
            include_reviewed: true,
            ..Filters::default()
        };
        let which = tip_scan(&form.branch);
        let result = findings::result(&state, &user.user, &key, &slug, &which, &every).await?;
        let finding = result
            .findings()
            .iter()
            .find(|f| {
                f.path == form.path
                    && f.line == form.line
                    && f.rule_name == form.rule
                    && form.start.is_none_or(|s| s == f.line_offset_start)
            })
            .ok_or_else(|| {
                ApiError::NotFound("The finding is no longer in the branch's result.".into())
            })?;
        let body = ReviewBody {
            match_text: Some(finding.match_text()),
            rule_name: Some(finding.rule_name.clone()),
        };
        match form.action.as_str() {
            "mark" => {
                reviewed::mark(&state, &user.user, &key, &slug, body).await?;
            }
            "unmark" => reviewed::unmark(&state, &user.user, &key, &slug, body).await?,
            other => {
                return Err(ApiError::invalid(format!(
                    "action: must be mark or unmark, not '{other}'"
                )));
            }
        }
        schedule(&state, &user, &key, &slug, &form.branch).await
    };
    match run.await {
        Ok(()) => back(&key, &slug, &form.back, "review"),
        Err(e) => api_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(r: &Response) -> &str {
        r.headers()["location"].to_str().unwrap()
    }

    #[test]
    fn actions_go_back_only_to_an_encoded_query() {
        let r = back("PROJ", "app", "branch=main&rule=AWS", "scan");
        assert_eq!(
            location(&r),
            "/projects/PROJ/repos/app/security?branch=main&rule=AWS&done=scan"
        );
        for odd in [
            "repository",
            "",
            "branch=main\r\nSet-Cookie: x",
            "//evil.example",
            "a#b",
        ] {
            let r = back("PROJ", "app", odd, "scan");
            assert_eq!(
                location(&r),
                "/projects/PROJ/repos/app?done=scan",
                "{odd:?}"
            );
        }
    }
}
