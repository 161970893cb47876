//! Rules (seed "Rules"): the global list, built-in toggles (`/hardcoded/{name}`), custom rules,
//! and the rule names of one repository. All but the last need admin or app access.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keywarden_engine::{builtin_rules, check_custom_regex, find_builtin};
use keywarden_store::{CustomRule, NewCustomRule, RuleBudgetCounts};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::{ApiJson, ApiQuery};
use crate::rest::openapi::schemas as doc;
use crate::rest::openapi::security_schemas as sec;
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::audit::{Audit, action};
use keywarden_core::paged::iso;
use keywarden_core::settings::bump_generation;

/// Longest accepted rule name.
const MAX_NAME: usize = 255;
/// Longest accepted regex.
const MAX_REGEX: usize = 10_000;

/// The JSON of a custom rule, without its budget counters (for audit details).
pub fn custom_json(r: &CustomRule) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "regexp": r.regexp,
        "hardcoded": false,
        "enabled": r.enabled,
        "blocking": r.blocking,
        "validationError": r.validation_error,
    })
}

/// The JSON of a custom rule as the API answers it: [`custom_json`] and the counters of its
/// matching budget overruns (see [`keywarden_core::rules::record_rule_budget_overrun`]): distinct
/// repositories within the last 24 hours, scans and pushes in all, and the latest one.
fn api_json(r: &CustomRule, counts: Option<&RuleBudgetCounts>) -> Value {
    let mut v = custom_json(r);
    v["budgetExceededRepositories"] = json!(counts.map_or(0, |c| c.repositories));
    v["budgetExceededTimes"] = json!(counts.map_or(0, |c| c.times));
    v["budgetExceededLast"] = json!(counts.map(|c| iso(c.last)));
    v
}

/// [`api_json`] of one rule, reading its counters.
async fn api_json_of(state: &AppState, r: &CustomRule) -> ApiResult<Value> {
    let counts = keywarden_core::rules::budget_counts(state).await?;
    Ok(api_json(r, counts.get(&r.id)))
}

/// `GET /rules`: built-ins (`hardcoded: true`, `id` = name) in catalogue order, then custom
/// rules by id.
#[utoipa::path(
get, path = "/rules", tag = "Rules",
    responses(
        (status = 200, description = "Built-in rules in catalogue order, then custom rules by id (admin or app access)", body = Vec<sec::Rule>),
    )
)]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let states: std::collections::HashMap<String, bool> = state
        .store()
        .builtin_rule_states()
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<Value> = builtin_rules()
        .iter()
        .map(|r| {
            json!({
                "id": r.name,
                "name": r.name,
                "hardcoded": true,
                "enabled": states.get(&r.name).copied().unwrap_or(true),
                "category": r.category,
                "description": r.description,
                "aliases": r.aliases,
            })
        })
        .collect();
    let counts = keywarden_core::rules::budget_counts(&state).await?;
    out.extend(
        state
            .store()
            .list_custom_rules()
            .await?
            .iter()
            .map(|r| api_json(r, counts.get(&r.id))),
    );
    Ok(Json(Value::Array(out)))
}

/// The body of a custom rule creation or edit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleBody {
    /// Unique name, not a built-in's (required to create).
    #[schema(pattern = r"\S", max_length = 255, example = "Internal token")]
    name: Option<String>,
    /// The regular expression (required to create); it must not match the empty string.
    #[schema(min_length = 1, max_length = 10000, example = "itok_[a-z0-9]{16}")]
    regexp: Option<String>,
    /// Enabled globally (default `true`).
    enabled: Option<bool>,
    /// Findings block pushes (default `true`).
    blocking: Option<bool>,
    /// Accepted and ignored (clients may send back what `GET` returned).
    #[serde(default, rename = "id")]
    #[schema(value_type = Option<Value>)]
    _id: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "hardcoded")]
    #[schema(value_type = Option<Value>)]
    _hardcoded: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "validationError")]
    #[schema(value_type = Option<Value>)]
    _validation_error: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "budgetExceededRepositories")]
    #[schema(value_type = Option<Value>)]
    _budget_repositories: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "budgetExceededTimes")]
    #[schema(value_type = Option<Value>)]
    _budget_times: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "budgetExceededLast")]
    #[schema(value_type = Option<Value>)]
    _budget_last: Option<Value>,
}

/// Checks a custom rule's name and regex: 400 with a message naming the field.
fn check(name: &str, regexp: &str) -> ApiResult<()> {
    let name_t = name.trim();
    if name_t.is_empty() {
        return Err(ApiError::invalid("name: a rule name is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::invalid(format!(
            "name: at most {MAX_NAME} characters"
        )));
    }
    if find_builtin(name_t).is_some() {
        return Err(ApiError::invalid(format!(
            "name: {name_t} is the name of a built-in rule; choose another name"
        )));
    }
    if regexp.chars().count() > MAX_REGEX {
        return Err(ApiError::invalid(format!(
            "regexp: at most {MAX_REGEX} characters"
        )));
    }
    check_custom_regex(name_t, regexp).map_err(|e| ApiError::invalid(format!("regexp: {e}")))
}

/// `POST /rules` `{"name","regexp","enabled","blocking"?}`: 201 with the rule.
#[utoipa::path(
post, path = "/rules", tag = "Rules",
    request_body = RuleBody,
    responses(
        (status = 201, description = "The new custom rule", body = sec::CustomRule),
        (status = 400, description = "Bad name or regexp (the message names it), or a regexp matching the empty string", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Response> {
    access::require_security_admin(&state, &user).await?;
    let name = body.name.unwrap_or_default();
    let regexp = body.regexp.unwrap_or_default();
    check(&name, &regexp)?;
    let rule = state
        .store()
        .create_custom_rule(NewCustomRule {
            name: name.trim().to_string(),
            regexp,
            enabled: body.enabled.unwrap_or(true),
            blocking: body.blocking.unwrap_or(true),
            created_by: Some(user.0.name.clone()),
        })
        .await?;
    bump_generation(state.store()).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_CHANGED,
        project: None,
        repository: None,
        details: json!({"change": "created", "rule": custom_json(&rule)}),
    }
    .record(&state)
    .await;
    Ok((StatusCode::CREATED, Json(api_json(&rule, None))).into_response())
}

fn parse_id(id: &str) -> ApiResult<i64> {
    id.trim().parse::<i64>().map_err(|_| {
        ApiError::invalid(format!(
            "id: must be a custom rule's integer id, not '{id}'"
        ))
    })
}

async fn load(state: &AppState, id: i64) -> ApiResult<CustomRule> {
    state
        .store()
        .custom_rule(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Custom rule {id} does not exist.")))
}

/// `PUT /rules/{id}`: without a body, clears the rule's validation error; with a JSON body,
/// also changes any of `name`, `regexp`, `enabled`, `blocking`. 200 with the rule.
#[utoipa::path(
put, path = "/rules/{id}", tag = "Rules",
    params(("id" = i64, Path, description = "The custom rule's id", example = 1)),
    request_body(content = Option<RuleBody>, description = "Optional: the fields to change. Without a body the rule's validation error is cleared."),
    responses(
        (status = 200, description = "The custom rule", body = sec::CustomRule),
        (status = 400, description = "Bad id, body, name or regexp", body = doc::ErrorEnvelope),
        (status = 404, description = "No such custom rule", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let id = parse_id(&id)?;
    let old = load(&state, id).await?;
    let edit: Option<RuleBody> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(
            serde_json::from_slice(&body)
                .map_err(|e| ApiError::invalid(format!("body: invalid JSON: {e}")))?,
        )
    };
    // Clearing the error or editing the rule starts its budget counters afresh.
    state.store().clear_rule_budget_events(id).await?;
    let rule = match edit {
        None => {
            state.store().set_custom_rule_error(id, None).await?;
            load(&state, id).await?
        }
        Some(edit) => {
            let name = edit.name.unwrap_or_else(|| old.name.clone());
            let regexp = edit.regexp.unwrap_or_else(|| old.regexp.clone());
            check(&name, &regexp)?;
            state
                .store()
                .update_custom_rule(
                    id,
                    NewCustomRule {
                        name: name.trim().to_string(),
                        regexp,
                        enabled: edit.enabled.unwrap_or(old.enabled),
                        blocking: edit.blocking.unwrap_or(old.blocking),
                        created_by: old.created_by.clone(),
                    },
                )
                .await?
        }
    };
    bump_generation(state.store()).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_CHANGED,
        project: None,
        repository: None,
        details: json!({"change": "updated", "before": custom_json(&old), "after": custom_json(&rule)}),
    }
    .record(&state)
    .await;
    Ok(Json(api_json_of(&state, &rule).await?))
}

/// `DELETE /rules/{id}`: 204.
#[utoipa::path(
delete, path = "/rules/{id}", tag = "Rules",
    params(("id" = i64, Path, description = "The custom rule's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Bad id", body = doc::ErrorEnvelope),
        (status = 404, description = "No such custom rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    access::require_security_admin(&state, &user).await?;
    let id = parse_id(&id)?;
    let old = load(&state, id).await?;
    state.store().delete_custom_rule(id).await?;
    bump_generation(state.store()).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_CHANGED,
        project: None,
        repository: None,
        details: json!({"change": "deleted", "rule": custom_json(&old)}),
    }
    .record(&state)
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /hardcoded/{name}`: enables a built-in rule globally (204).
#[utoipa::path(
post, path = "/hardcoded/{name}", tag = "Rules",
    params(("name" = String, Path, description = "A built-in rule's name or alias", example = "AWS_CLIENT_ID")),
    responses(
        (status = 204, description = "Enabled globally"),
        (status = 404, description = "No such built-in rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn enable(
    state: State<AppState>,
    user: CurrentUser,
    name: Path<String>,
) -> ApiResult<StatusCode> {
    toggle(state, user, name, true).await
}

/// `DELETE /hardcoded/{name}`: disables a built-in rule globally (204).
#[utoipa::path(
delete, path = "/hardcoded/{name}", tag = "Rules",
    params(("name" = String, Path, description = "A built-in rule's name or alias", example = "AWS_CLIENT_ID")),
    responses(
        (status = 204, description = "Disabled globally"),
        (status = 404, description = "No such built-in rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn disable(
    state: State<AppState>,
    user: CurrentUser,
    name: Path<String>,
) -> ApiResult<StatusCode> {
    toggle(state, user, name, false).await
}

async fn toggle(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    enabled: bool,
) -> ApiResult<StatusCode> {
    access::require_security_admin(&state, &user).await?;
    let def = find_builtin(&name)
        .ok_or_else(|| ApiError::NotFound(format!("Built-in rule {name} does not exist.")))?;
    state
        .store()
        .set_builtin_rule_enabled(&def.name, enabled)
        .await?;
    bump_generation(state.store()).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_TOGGLED,
        project: None,
        repository: None,
        details: json!({"rule": def.name, "requested": name, "enabled": enabled}),
    }
    .record(&state)
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `?branch=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BranchQuery {
    /// A branch that must exist (`NAME` or `refs/heads/NAME`).
    branch: Option<String>,
}

/// `GET /scan/{project}/rule_types/{repo}?branch=`: every rule name available to the
/// repository (repository write or app access).
#[utoipa::path(
get, path = "/scan/{project}/rule_types/{repo}", tag = "Rules",
    params(("project" = String, Path, description = "The project key (any case; `~user` for a personal project)", example = "PROJ"), ("repo" = String, Path, description = "The repository slug", example = "repo"), BranchQuery),
    responses(
        (status = 200, description = "Every rule name available to the repository, disabled ones included", body = Vec<String>),
        (status = 404, description = "No such project, repository or branch", body = doc::ErrorEnvelope),
    )
)]
pub async fn rule_types(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((key, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<BranchQuery>,
) -> ApiResult<Json<Value>> {
    let (_, repository) = access::security_repository(&state, &user, &key, &slug).await?;
    if let Some(branch) = q.branch.as_deref().filter(|b| !b.is_empty()) {
        check_branch(&state, &repository, branch, &key, &slug).await?;
    }
    let names = keywarden_core::rules::rule_types(&state, &repository).await?;
    Ok(Json(json!(names)))
}

/// 404 when the branch does not exist.
async fn check_branch(
    state: &AppState,
    repository: &keywarden_store::Repository,
    branch: &str,
    key: &str,
    slug: &str,
) -> ApiResult<()> {
    let path = state.config().repository_path(&repository.disk_name);
    let name = branch
        .strip_prefix("refs/heads/")
        .unwrap_or(branch)
        .to_string();
    let exists = tokio::task::spawn_blocking(move || {
        keywarden_git::Repo::open(&path)
            .map(|r| r.resolve_commit(&format!("refs/heads/{name}")).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    if exists {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "Branch {branch} does not exist in {key}/{slug}."
        )))
    }
}
