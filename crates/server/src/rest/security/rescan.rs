//! Mass scans (SPEC 6): `PUT /status/total_rescan`, `PUT /status/projects/{p}` and
//! `PUT /status/projects/{p}/repos/{r}`, each with repeatable `email`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use keywarden_store::MassTarget;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access::{
    admin_or_app_access, effective, project_for_status, security_repository,
};
use keywarden_core::scans::{self, Scope, mail};

/// The `email` parameters (repeatable), validated.
fn emails(raw: Option<&str>) -> ApiResult<Vec<String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::invalid(format!("query: {e}")))?;
    let mut out = Vec::new();
    for (k, v) in pairs {
        if k != "email" {
            continue;
        }
        let v = v.trim().to_string();
        if !mail::valid_address(&v) {
            return Err(ApiError::invalid(format!(
                "email: '{v}' is not an email address"
            )));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

async fn queue(
    state: &AppState,
    user: &CurrentUser,
    scope: Scope,
    target: MassTarget,
    raw: Option<&str>,
) -> ApiResult<Json<Value>> {
    let emails = emails(raw)?;
    let m = scans::mass_scan(
        state,
        &scope,
        &target,
        &emails,
        Some(&user.0.name),
        keywarden_store::ScanReason::Mass,
    )
    .await?;
    let mail_on = state.config().smtp_server.is_some();
    let message = match (emails.is_empty(), mail_on) {
        (true, _) => "No email requested.".to_string(),
        (false, true) => format!(
            "A mail goes to {} when the scans have finished.",
            emails.join(", ")
        ),
        (false, false) => {
            "Mail is off (no SMTP server is configured): the request is recorded, but no mail will be sent.".to_string()
        }
    };
    Ok(Json(json!({
        "scheduled": m.scheduled,
        "emails": emails,
        "mailEnabled": mail_on,
        "message": message,
    })))
}

/// `PUT /status/total_rescan`: every branch of every repository (admin or app access).
#[utoipa::path(
put, path = "/status/total_rescan", tag = "Status",
    params(("email" = Option<Vec<String>>, Query, description = "Who gets a mail when the scans have finished (repeatable)", explode = true)),
    responses(
        (status = 200, description = "Every branch of every repository queued (admin or app access)", body = sec::MassScan),
        (status = 400, description = "Not an email address", body = doc::ErrorEnvelope),
    )
)]
pub async fn total(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    if !admin_or_app_access(&state, &user).await? {
        return Err(ApiError::forbidden());
    }
    emails(raw.as_deref())?;
    queue(&state, &user, Scope::All, MassTarget::All, raw.as_deref()).await
}

/// `PUT /status/projects/{p}`: every branch of the project's repositories the user can read.
#[utoipa::path(
put, path = "/status/projects/{project}", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("email" = Option<Vec<String>>, Query, description = "Who gets a mail when the scans have finished (repeatable)", explode = true)),
    responses(
        (status = 200, description = "Every branch of the project's readable repositories queued", body = sec::MassScan),
        (status = 400, description = "Not an email address", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let project = project_for_status(&state, &user, &key).await?;
    emails(raw.as_deref())?;
    let target = if user.is_admin() {
        MassTarget::Project(project.id)
    } else {
        let mut readable = Vec::new();
        for r in state.store().all_repositories(Some(project.id)).await? {
            if effective(&state, &user, &project, Some(&r))
                .await?
                .repository
                .is_some()
            {
                readable.push(r.id);
            }
        }
        MassTarget::Repositories(readable)
    };
    let scope = Scope::Project(project.key.clone());
    queue(&state, &user, scope, target, raw.as_deref()).await
}

/// `PUT /status/projects/{p}/repos/{r}`: every branch of one repository.
#[utoipa::path(
put, path = "/status/projects/{project}/repos/{repo}", tag = "Status",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), ("email" = Option<Vec<String>>, Query, description = "Who gets a mail when the scans have finished (repeatable)", explode = true)),
    responses(
        (status = 200, description = "Every branch of the repository queued", body = sec::MassScan),
        (status = 400, description = "Not an email address", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repository(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let (project, repository) = security_repository(&state, &user, &key, &slug).await?;
    emails(raw.as_deref())?;
    let scope = Scope::Repository(project.key.clone(), repository.slug.clone());
    let target = MassTarget::Repositories(vec![repository.id]);
    queue(&state, &user, scope, target, raw.as_deref()).await
}
