//! The security hook's settings at repository and project scope, at Bitbucket's hook URLs
//! (the vendor page's "Security Hook" section, SPEC 5):
//!
//! * `PUT .../settings/hooks/{hookKey}/enabled` with `{"warnOnVulnerabilities":bool}`: enable
//!   (blocking, or warn only);
//! * `DELETE .../settings/hooks/{hookKey}/enabled`: disable;
//! * `DELETE .../settings/hooks/{hookKey}`: back to inherited (204);
//! * `GET .../settings/hooks/{hookKey}`, `GET .../settings/hooks/{hookKey}/settings` and the
//!   list `GET .../settings/hooks`.
//!
//! `...` is `/projects/{key}/repos/{slug}` (repository administrators) or `/projects/{key}`
//! (project administrators). Answers carry Bitbucket's hook object; every change is audited.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_store::{AccessLevel, HookScope, HookSetting, Project, Repository};
use serde_json::{Value, json};

use super::paging::{PageParams, page_of, paged};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiQuery;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access::{project_with, repository_with};
use keywarden_core::audit::{Audit, action};
use keywarden_core::hook_settings::{self, HOOK_DESCRIPTION, HOOK_KEY, HOOK_NAME, Level, Resolved};
use keywarden_core::paged::Paged;
use keywarden_core::settings::SecuritySettings;

fn details() -> Value {
    json!({
        "key": HOOK_KEY,
        "name": HOOK_NAME,
        "type": "PRE_RECEIVE",
        "description": HOOK_DESCRIPTION,
        "version": env!("CARGO_PKG_VERSION"),
        "supportedScopes": ["PROJECT", "REPOSITORY"],
    })
}

fn hook_object(resolved: Resolved, configured: bool, scope: (&str, i64)) -> Value {
    json!({
        "details": details(),
        "enabled": resolved.enabled,
        "configured": configured,
        "scope": {"type": scope.0, "resourceId": scope.1},
    })
}

fn check_key(hook_key: &str) -> ApiResult<()> {
    if hook_key == HOOK_KEY {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "No hook with key {hook_key} exists. The security hook's key is {HOOK_KEY}."
        )))
    }
}

/// Where a request points: a repository, or a project.
enum Target {
    Repository(Project, Repository),
    Project(Project),
}

impl Target {
    async fn load(
        state: &AppState,
        user: &CurrentUser,
        key: &str,
        slug: Option<&str>,
    ) -> ApiResult<Self> {
        Ok(match slug {
            Some(slug) => {
                let (p, r) = repository_with(state, user, key, slug, AccessLevel::Admin).await?;
                Target::Repository(p, r)
            }
            None => Target::Project(project_with(state, user, key, AccessLevel::Admin).await?),
        })
    }

    fn scope(&self) -> HookScope {
        match self {
            Target::Repository(_, r) => HookScope::Repository(r.id),
            Target::Project(p) => HookScope::Project(p.id),
        }
    }

    fn project(&self) -> &Project {
        match self {
            Target::Repository(p, _) | Target::Project(p) => p,
        }
    }

    fn slug(&self) -> Option<&str> {
        match self {
            Target::Repository(_, r) => Some(&r.slug),
            Target::Project(_) => None,
        }
    }

    /// The hook object for this target as stored now.
    async fn render(&self, state: &AppState) -> ApiResult<Value> {
        let settings = SecuritySettings::load(state.store()).await?;
        let configured = state.store().hook_setting(self.scope()).await?.is_some();
        Ok(match self {
            Target::Repository(p, r) => {
                let resolved = hook_settings::for_repository(state, &settings, p, r).await?;
                // Bitbucket reports where an inherited state comes from; a personal
                // repository inherits from nothing but the global default.
                let scope = match resolved.decided_by {
                    Level::Project => ("PROJECT", p.id),
                    Level::Global if p.owner_id.is_none() => ("PROJECT", p.id),
                    _ => ("REPOSITORY", r.id),
                };
                hook_object(resolved, configured, scope)
            }
            Target::Project(p) => {
                let resolved = hook_settings::for_project(state, &settings, p).await?;
                hook_object(resolved, configured, ("PROJECT", p.id))
            }
        })
    }

    async fn resolved(&self, state: &AppState) -> ApiResult<Resolved> {
        let settings = SecuritySettings::load(state.store()).await?;
        match self {
            Target::Repository(p, r) => {
                Ok(hook_settings::for_repository(state, &settings, p, r).await?)
            }
            Target::Project(p) => Ok(hook_settings::for_project(state, &settings, p).await?),
        }
    }

    async fn audit(&self, state: &AppState, user: &CurrentUser, change: &str, details: Value) {
        let mut details = details;
        details["change"] = json!(change);
        details["scope"] = json!(match self {
            Target::Repository(..) => "REPOSITORY",
            Target::Project(_) => "PROJECT",
        });
        Audit {
            user: Some(&user.0.name),
            action: action::HOOK_SETTINGS_CHANGED,
            project: Some(&self.project().key),
            repository: self.slug(),
            details,
        }
        .record(state)
        .await;
    }
}

/// Reads `warnOnVulnerabilities` from an optional JSON body.
fn warn_from_body(body: &[u8]) -> ApiResult<Option<bool>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("body: invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid(
            "body: a JSON object such as {\"warnOnVulnerabilities\":false} is required",
        ));
    };
    match map.get("warnOnVulnerabilities") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ApiError::invalid(format!(
            "warnOnVulnerabilities: must be true or false, not {other}"
        ))),
    }
}

async fn enable(
    state: AppState,
    user: CurrentUser,
    target: Target,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let warn = warn_from_body(&body)?;
    let previous = state.store().hook_setting(target.scope()).await?;
    // Without a body, an earlier warn choice is kept (Bitbucket keeps settings across toggles).
    let warn = warn.or(previous.map(|p| p.warn)).unwrap_or(false);
    state
        .store()
        .put_hook_setting(
            target.scope(),
            HookSetting {
                enabled: true,
                warn,
            },
        )
        .await?;
    target
        .audit(
            &state,
            &user,
            "ENABLED",
            json!({"warnOnVulnerabilities": warn}),
        )
        .await;
    Ok(Json(target.render(&state).await?))
}

async fn disable(state: AppState, user: CurrentUser, target: Target) -> ApiResult<Json<Value>> {
    let previous = state.store().hook_setting(target.scope()).await?;
    let warn = previous.is_some_and(|p| p.warn);
    state
        .store()
        .put_hook_setting(
            target.scope(),
            HookSetting {
                enabled: false,
                warn,
            },
        )
        .await?;
    target.audit(&state, &user, "DISABLED", json!({})).await;
    Ok(Json(target.render(&state).await?))
}

async fn revert(state: AppState, user: CurrentUser, target: Target) -> ApiResult<StatusCode> {
    state.store().delete_hook_setting(target.scope()).await?;
    target.audit(&state, &user, "INHERITED", json!({})).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn settings_of(state: AppState, target: Target) -> ApiResult<Json<Value>> {
    let resolved = target.resolved(&state).await?;
    Ok(Json(json!({"warnOnVulnerabilities": resolved.warn})))
}

// ---- repository scope ----

/// `PUT /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
put, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    request_body(content = Option<doc::HookSettingsRequest>, description = "Optional; without it an earlier `warnOnVulnerabilities` is kept"),
    responses(
        (status = 200, description = "Enabled (repository administrators)", body = doc::Hook),
        (status = 400, description = "A body that is not such an object", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug, hook)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    enable(state, user, target, body).await
}

/// `DELETE /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "Disabled (repository administrators)", body = doc::Hook),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug, hook)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    disable(state, user, target).await
}

/// `DELETE /projects/{key}/repos/{slug}/settings/hooks/{hookKey}`: back to inherited.
#[utoipa::path(
delete, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 204, description = "Back to inherited (repository administrators)"),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_revert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug, hook)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    revert(state, user, target).await
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks/{hookKey}`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "The hook's state here (repository administrators)", body = doc::Hook),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug, hook)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    Ok(Json(target.render(&state).await?))
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks/{hookKey}/settings`.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks/{hook}/settings", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "The hook's settings here (repository administrators)", body = doc::HookSettings),
        (status = 404, description = "No such project or repository, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug, hook)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    settings_of(state, target).await
}

/// `GET /projects/{key}/repos/{slug}/settings/hooks`: a page holding the one hook.
#[utoipa::path(
get, path = "/projects/{key}/repos/{slug}/settings/hooks", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("slug" = String, Path, description = "The repository slug", example = "repo"), PageParams),
    responses(
        (status = 200, description = "A page holding the security hook (repository administrators)", body = Paged<doc::Hook>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project or repository", body = doc::ErrorEnvelope),
    )
)]
pub async fn repo_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let target = Target::load(&state, &user, &key, Some(&slug)).await?;
    let hook = target.render(&state).await?;
    Ok(Json(paged(page_of(vec![hook], q.request()?))))
}

// ---- project scope ----

/// `PUT /projects/{key}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
put, path = "/projects/{key}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    request_body(content = Option<doc::HookSettingsRequest>, description = "Optional; without it an earlier `warnOnVulnerabilities` is kept"),
    responses(
        (status = 200, description = "Enabled (project administrators)", body = doc::Hook),
        (status = 400, description = "A body that is not such an object", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, hook)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, None).await?;
    enable(state, user, target, body).await
}

/// `DELETE /projects/{key}/settings/hooks/{hookKey}/enabled`.
#[utoipa::path(
delete, path = "/projects/{key}/settings/hooks/{hook}/enabled", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "Disabled (project administrators)", body = doc::Hook),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, hook)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, None).await?;
    disable(state, user, target).await
}

/// `DELETE /projects/{key}/settings/hooks/{hookKey}`: back to the global default.
#[utoipa::path(
delete, path = "/projects/{key}/settings/hooks/{hook}", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 204, description = "Back to inherited (project administrators)"),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_revert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, hook)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, None).await?;
    revert(state, user, target).await
}

/// `GET /projects/{key}/settings/hooks/{hookKey}`.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks/{hook}", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "The hook's state here (project administrators)", body = doc::Hook),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, hook)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, None).await?;
    Ok(Json(target.render(&state).await?))
}

/// `GET /projects/{key}/settings/hooks/{hookKey}/settings`.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks/{hook}/settings", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("hook" = String, Path, description = "The hook key", example = "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook")),
    responses(
        (status = 200, description = "The hook's settings here (project administrators)", body = doc::HookSettings),
        (status = 404, description = "No such project, or another hook key", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, hook)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    check_key(&hook)?;
    let target = Target::load(&state, &user, &key, None).await?;
    settings_of(state, target).await
}

/// `GET /projects/{key}/settings/hooks`: a page holding the one hook.
#[utoipa::path(
get, path = "/projects/{key}/settings/hooks", tag = "Hooks",
    params(("key" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), PageParams),
    responses(
        (status = 200, description = "A page holding the security hook (project administrators)", body = Paged<doc::Hook>),
        (status = 400, description = "Bad paging parameter", body = doc::ErrorEnvelope),
        (status = 404, description = "No such project", body = doc::ErrorEnvelope),
    )
)]
pub async fn project_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let target = Target::load(&state, &user, &key, None).await?;
    let hook = target.render(&state).await?;
    Ok(Json(paged(page_of(vec![hook], q.request()?))))
}
