//! The page templates (askama, under `crates/server/templates`; every value is HTML-escaped)
//! and what each page shows.

use askama::Template;

use keywarden_core::findings::ScanResult;
use keywarden_core::paged::Paged;
use keywarden_core::status::{BranchStatusEntry, ProjectStatus, RepositoryStatus};

use keywarden_core::settings::SecuritySettings;

use keywarden_core::rule_admin::{BuiltinRule, CustomRule};

use super::views::{Shown, StatusBar};

/// Filters the templates use.
mod filters {
    /// Percent-encodes a path segment or query value for links.
    #[askama::filter_fn]
    pub fn seg(s: impl ToString, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::super::seg(&s.to_string()))
    }

    /// A status in words.
    #[askama::filter_fn]
    pub fn label(s: impl ToString, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::super::views::label(&s.to_string()))
    }

    /// An ISO 8601 time as `2026-01-01 12:00 UTC`.
    #[askama::filter_fn]
    pub fn when(s: impl ToString, _: &dyn askama::Values) -> askama::Result<String> {
        let s = s.to_string();
        Ok(match (s.get(..10), s.get(11..16)) {
            (Some(day), Some(time)) => format!("{day} {time} UTC"),
            _ => s,
        })
    }
}

/// What every page's frame shows.
pub struct Chrome {
    /// The page title (also the heading).
    pub title: String,
    /// Which page (the script's hook).
    pub page: &'static str,
    /// The signed-in user's display name.
    pub user_name: Option<String>,
    /// The session's CSRF token (empty without a session).
    pub csrf: String,
    /// Whether to link the settings page.
    pub security_admin: bool,
    /// A message about the last action.
    pub notice: Option<String>,
    /// An error to show.
    pub error: Option<String>,
}

/// Previous and next links of a paged list.
pub struct Pager {
    /// Link to the previous page.
    pub prev: Option<String>,
    /// Link to the next page.
    pub next: Option<String>,
}

impl Pager {
    /// Links for `page`, keeping the query `keep` (already encoded, may be empty).
    pub fn new<T>(page: &Paged<T>, keep: &str) -> Pager {
        let link = |start: u64| {
            if keep.is_empty() {
                format!("?start={start}")
            } else {
                format!("?{keep}&start={start}")
            }
        };
        Pager {
            prev: (page.start > 0).then(|| link(page.start.saturating_sub(page.limit))),
            next: page
                .next_page_start
                .filter(|_| !page.is_last_page)
                .map(link),
        }
    }
}

/// The login form.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Frame.
    pub chrome: Chrome,
    /// The form's CSRF token (also in the login cookie).
    pub token: String,
}

/// A page with only a message (errors).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// Frame, with the message as its error.
    pub chrome: Chrome,
}

/// The global dashboard.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    /// Frame.
    pub chrome: Chrome,
    /// The type filter's choices (value, label).
    pub types: Vec<(&'static str, &'static str)>,
    /// The chosen type (`""` for all).
    pub project_type: String,
    /// One page of projects.
    pub projects: Paged<ProjectStatus>,
    /// Paging links.
    pub pager: Pager,
}

/// A project's repositories.
#[derive(Template)]
#[template(path = "project.html")]
pub struct ProjectPage {
    /// Frame.
    pub chrome: Chrome,
    /// Project key.
    pub key: String,
    /// One page of repositories.
    pub repositories: Paged<RepositoryStatus>,
    /// Paging links.
    pub pager: Pager,
}

/// A repository's branches and hook.
#[derive(Template)]
#[template(path = "repository.html")]
pub struct RepositoryPage {
    /// Frame.
    pub chrome: Chrome,
    /// Project key.
    pub key: String,
    /// Repository slug.
    pub slug: String,
    /// Project name.
    pub project_name: String,
    /// The hook's state in words, when the user may see it.
    pub hook: Option<String>,
    /// One page of branches.
    pub branches: Paged<BranchStatusEntry>,
    /// A scan is queued or running (the page refreshes itself).
    pub active: bool,
    /// Paging links.
    pub pager: Pager,
}

/// A finding as shown.
pub struct FindingView {
    /// Position in the result (for reveal links).
    pub index: usize,
    /// Line number.
    pub line: i64,
    /// Start of the match on the line (tells apart findings of one rule on one line).
    pub line_offset_start: i64,
    /// Rule.
    pub rule_name: String,
    /// Its rule blocks pushes.
    pub blocking: bool,
    /// Marked reviewed.
    pub reviewed: bool,
    /// Allowlisted.
    pub allowlisted: bool,
    /// How likely it is a credential, as shown (`0.93`).
    pub confidence: String,
    /// The line around the match.
    pub shown: Shown,
}

/// The findings of one file.
pub struct FileGroup {
    /// File path.
    pub path: String,
    /// Its findings, by line.
    pub findings: Vec<FindingView>,
}

/// Branch Security Analysis.
#[derive(Template)]
#[template(path = "security.html")]
pub struct SecurityPage {
    /// Frame.
    pub chrome: Chrome,
    /// Project key.
    pub key: String,
    /// Repository slug.
    pub slug: String,
    /// Repository name.
    pub repo_name: String,
    /// The repository's branches.
    pub branches: Vec<String>,
    /// The chosen branch (`""` when the repository has none).
    pub branch: String,
    /// Rule names for the filter.
    pub rules: Vec<String>,
    /// The chosen rule (`""` for all).
    pub rule: String,
    /// Reviewed findings shown.
    pub include_reviewed: bool,
    /// Allowlisted findings shown.
    pub include_allowlisted: bool,
    /// The page's query (branch and filters), encoded, to come back to.
    pub query: String,
    /// The branch's result.
    pub result: ScanResult,
    /// The scanned commit, short.
    pub commit: String,
    /// Number of findings shown.
    pub total: usize,
    /// Findings grouped by file.
    pub files: Vec<FileGroup>,
}

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    /// Frame.
    pub chrome: Chrome,
    /// Hook mode choices.
    pub hook_modes: Vec<&'static str>,
    /// Current settings.
    pub settings: SecuritySettings,
    /// The cron expression (`""` for none).
    pub schedule: String,
    /// The schedule's preview, and whether it is an error.
    pub cron_preview: (String, bool),
    /// App access users, comma separated.
    pub app_access: String,
    /// Log level choices.
    pub log_levels: Vec<&'static str>,
    /// The current log level.
    pub log_level: &'static str,
    /// Built-in rules by category.
    pub builtin: Vec<(String, Vec<BuiltinRule>)>,
    /// Custom rules.
    pub custom: Vec<CustomRule>,
}
