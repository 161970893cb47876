//! `/export-report/...`: findings as CSV (SPEC 8; the seed's "Export scan results as CSV"),
//! streamed page by page from the database, so memory stays constant whatever the size.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use keywarden_store::{ExportFilter, ExportRow, Viewer};
use serde::Deserialize;
use utoipa::IntoParams;

use super::csv_upload::escape_formula;
use super::params::{flag, instant};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::{project_for_status, security_repository};
use keywarden_core::findings::resolve_branch;
use keywarden_core::paged::iso;
use keywarden_core::scans::reviewed_counts::match_text;
use keywarden_core::scans::rules_source::{self, ReviewedSet};

/// The header row.
pub const COLUMNS: [&str; 12] = [
    "Project",
    "Repository",
    "Branch",
    "File",
    "Line",
    "Rule",
    "Match",
    "Line Text",
    "Commit",
    "Scan Date",
    "Allowlisted",
    "Reviewed",
];

/// Rows read per database round trip.
const CHUNK: i64 = 500;

/// The export's query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The branch (default: the default branch; repository exports only).
    branch: Option<String>,
    /// Only findings of this rule.
    rule_type: Option<String>,
    /// Alias of `ruleType`.
    rule: Option<String>,
    /// Also export allowlisted findings.
    #[param(value_type = Option<bool>)]
    include_allowlisted: Option<String>,
    /// Alias of `includeAllowlisted`.
    #[param(value_type = Option<bool>)]
    include_whitelisted: Option<String>,
    /// Also export reviewed findings.
    #[param(value_type = Option<bool>)]
    include_reviewed: Option<String>,
    /// Scans from this instant on (ISO 8601, inclusive).
    start_date: Option<String>,
    /// Scans before this instant (ISO 8601, exclusive).
    end_date: Option<String>,
    /// Every branch (repository exports only).
    #[param(value_type = Option<bool>)]
    all_branches: Option<String>,
}

/// The parsed filters.
struct Options {
    filter: ExportFilter,
    include_reviewed: bool,
}

impl ExportQuery {
    fn options(&self, project_id: i64) -> ApiResult<Options> {
        let start = instant("startDate", self.start_date.as_deref())?;
        let end = instant("endDate", self.end_date.as_deref())?;
        let allow = flag(
            "includeAllowlisted",
            self.include_allowlisted.as_deref(),
            false,
        )? || flag(
            "includeWhitelisted",
            self.include_whitelisted.as_deref(),
            false,
        )?;
        let rule = self
            .rule_type
            .clone()
            .or(self.rule.clone())
            .filter(|r| !r.trim().is_empty());
        Ok(Options {
            filter: ExportFilter {
                project_id,
                rule,
                include_allowlisted: allow,
                start,
                end,
                ..ExportFilter::default()
            },
            include_reviewed: flag("includeReviewed", self.include_reviewed.as_deref(), false)?,
        })
    }
}

/// `GET /export-report/{project}/repos/{repo}`: one branch (the default when omitted), or
/// all with `allBranches=true`.
#[utoipa::path(
get, path = "/export-report/{project}/repos/{repo}", tag = "Export",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ExportQuery),
    responses(
        (status = 200, description = "The findings of one branch (or all with allBranches=true): RFC 4180 CSV with the header `Project,Repository,Branch,File,Line,Rule,Match,Line Text,Commit,Scan Date,Allowlisted,Reviewed` and a `Content-Disposition` file name", content_type = "text/csv", body = String),
        (status = 400, description = "Bad date or flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository or branch", body = doc::ErrorEnvelope),
    )
)]
pub async fn branch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let (project, repository) = security_repository(&state, &user, &key, &slug).await?;
    let mut options = q.options(project.id)?;
    options.filter.repository_id = Some(repository.id);
    let mut name = format!("{}-{}", project.key, repository.slug);
    if !flag("allBranches", q.all_branches.as_deref(), false)? {
        let branch = resolve_branch(&state, &key, &repository, q.branch.as_deref()).await?;
        name.push('-');
        name.push_str(branch.name.trim_start_matches("refs/heads/"));
        options.filter.branch = Some(branch.name);
    }
    Ok(csv_response(state, options, &name))
}

/// `GET /export-report/projects/{project}/repos/{repo}`: like [`branch`] (use
/// `allBranches=true` for every branch).
#[utoipa::path(
get, path = "/export-report/projects/{project}/repos/{repo}", tag = "Export",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ExportQuery),
    responses(
        (status = 200, description = "Like `/export-report/{project}/repos/{repo}`: RFC 4180 CSV with the header `Project,Repository,Branch,File,Line,Rule,Match,Line Text,Commit,Scan Date,Allowlisted,Reviewed` and a `Content-Disposition` file name", content_type = "text/csv", body = String),
        (status = 400, description = "Bad date or flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, repository or branch", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_repository(
    state: State<AppState>,
    user: CurrentUser,
    path: Path<(String, String)>,
    query: ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    branch(state, user, path, query).await
}

/// `GET /export-report/projects/{project}`: every branch of every repository the user can read.
#[utoipa::path(
get, path = "/export-report/projects/{project}", tag = "Export",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ExportQuery),
    responses(
        (status = 200, description = "Every branch of every repository the caller can read: RFC 4180 CSV with the header `Project,Repository,Branch,File,Line,Rule,Match,Line Text,Commit,Scan Date,Allowlisted,Reviewed` and a `Content-Disposition` file name", content_type = "text/csv", body = String),
        (status = 400, description = "Bad date or flag", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let project = project_for_status(&state, &user, &key).await?;
    let mut options = q.options(project.id)?;
    options.filter.viewer = Some(Viewer {
        user_id: user.0.id,
        admin: user.is_admin() || project.owner_id == Some(user.0.id),
    });
    Ok(csv_response(state, options, &project.key))
}

/// Where the stream is.
struct Cursor {
    state: AppState,
    options: Options,
    after: (i64, i64),
    header_sent: bool,
    done: bool,
    reviewed: HashMap<i64, ReviewedSet>,
}

fn csv_response(state: AppState, options: Options, name: &str) -> Response {
    let cursor = Cursor {
        state,
        options,
        after: (i64::MIN, i64::MIN),
        header_sent: false,
        done: false,
        reviewed: HashMap::new(),
    };
    let stream = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let chunk = next_chunk(&mut c).await;
        Some((chunk, c))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=UTF-8"),
    );
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{file}-security-report.csv\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn next_chunk(c: &mut Cursor) -> Result<Bytes, std::io::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if !c.header_sent {
        c.header_sent = true;
        out.write_record(COLUMNS).map_err(std::io::Error::other)?;
    }
    let rows = c
        .state
        .store()
        .export_rows(&c.options.filter, c.after, CHUNK)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "export failed");
            std::io::Error::other(e)
        })?;
    if rows.len() < CHUNK as usize {
        c.done = true;
    }
    for row in &rows {
        c.after = (row.scan_id, row.seq);
        if !c.reviewed.contains_key(&row.repository_id) {
            let set = rules_source::reviewed(&c.state, row.repository_id)
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            c.reviewed.insert(row.repository_id, set);
        }
        let reviewed =
            c.reviewed[&row.repository_id].contains(&row.finding.rule_name, &matched(row));
        if reviewed && !c.options.include_reviewed {
            continue;
        }
        write_row(&mut out, row, reviewed).map_err(std::io::Error::other)?;
    }
    out.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn matched(row: &ExportRow) -> String {
    let f = &row.finding;
    match_text(&f.text, f.line_offset_start, f.line_offset_end, f.truncated)
}

fn write_row(out: &mut csv::Writer<Vec<u8>>, row: &ExportRow, reviewed: bool) -> csv::Result<()> {
    let f = &row.finding;
    let line = f.line.to_string();
    let matched = matched(row);
    let commit = f
        .commit_id
        .clone()
        .or(row.scan_commit.clone())
        .unwrap_or_default();
    let date = iso(row.scan_date);
    let cells = [
        row.project_key.as_str(),
        row.repository_slug.as_str(),
        row.branch.trim_start_matches("refs/heads/"),
        f.path.as_str(),
        line.as_str(),
        f.rule_name.as_str(),
        matched.as_str(),
        f.text.as_str(),
        commit.as_str(),
        date.as_str(),
        if f.allowlisted { "true" } else { "false" },
        if reviewed { "true" } else { "false" },
    ];
    out.write_record(cells.iter().map(|c| escape_formula(c).into_owned()))
}
