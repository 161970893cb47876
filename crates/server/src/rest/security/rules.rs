//! Rules (seed "Rules"): the global list, built-in toggles (`/hardcoded/{name}`), custom rules,
//! and the rule names of one repository. All but the last need admin or app access. The
//! service is [`keywarden_core::rule_admin`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keywarden_core::rule_admin::{self, CustomRule, Rule, RuleBody};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::RepositoryPath;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::rest::extract::{ApiJson, ApiQuery};
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;

/// The `{id}` of a custom rule's path (checked by the service, so that a bad one is a 400
/// naming it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RulePath {
    /// The custom rule's id
    #[param(value_type = i64, example = 1)]
    id: String,
}

/// The `{name}` of a built-in rule's path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BuiltinPath {
    /// A built-in rule's name or alias
    #[param(example = "AWS_CLIENT_ID")]
    name: String,
}

/// `GET /rules`: built-ins (`hardcoded: true`, `id` = name) in catalogue order, then custom
/// rules by id.
#[utoipa::path(
get, path = "/rules", tag = "Rules",
    responses(
        (status = 200, description = "Built-in rules in catalogue order, then custom rules by id (admin or app access)", body = Vec<Rule>),
    )
)]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<Rule>>> {
    Ok(Json(rule_admin::list(&state, &user).await?))
}

/// `POST /rules` `{"name","regexp","enabled","blocking"?}`: 201 with the rule.
#[utoipa::path(
post, path = "/rules", tag = "Rules",
    request_body = RuleBody,
    responses(
        (status = 201, description = "The new custom rule", body = CustomRule),
        (status = 400, description = "Bad name or regexp (the message names it), or a regexp matching the empty string", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<(StatusCode, Json<CustomRule>)> {
    let rule = rule_admin::create(&state, &user, body).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `PUT /rules/{id}`: without a body, clears the rule's validation error; with a JSON body,
/// also changes any of `name`, `regexp`, `enabled`, `blocking`. 200 with the rule.
#[utoipa::path(
put, path = "/rules/{id}", tag = "Rules",
    params(RulePath),
    request_body(content = Option<RuleBody>, description = "Optional: the fields to change. Without a body the rule's validation error is cleared."),
    responses(
        (status = 200, description = "The custom rule", body = CustomRule),
        (status = 400, description = "Bad id, body, name or regexp", body = doc::ErrorEnvelope),
        (status = 404, description = "No such custom rule", body = doc::ErrorEnvelope),
        (status = 409, description = "The name is taken", body = doc::ErrorEnvelope),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RulePath>,
    body: axum::body::Bytes,
) -> ApiResult<Json<CustomRule>> {
    Ok(Json(rule_admin::update(&state, &user, &p.id, &body).await?))
}

/// `DELETE /rules/{id}`: 204.
#[utoipa::path(
delete, path = "/rules/{id}", tag = "Rules",
    params(RulePath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Bad id", body = doc::ErrorEnvelope),
        (status = 404, description = "No such custom rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RulePath>,
) -> ApiResult<StatusCode> {
    rule_admin::delete(&state, &user, &p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /hardcoded/{name}`: enables a built-in rule globally (204).
#[utoipa::path(
post, path = "/hardcoded/{name}", tag = "Rules",
    params(BuiltinPath),
    responses(
        (status = 204, description = "Enabled globally"),
        (status = 404, description = "No such built-in rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<BuiltinPath>,
) -> ApiResult<StatusCode> {
    rule_admin::toggle(&state, &user, &p.name, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /hardcoded/{name}`: disables a built-in rule globally (204).
#[utoipa::path(
delete, path = "/hardcoded/{name}", tag = "Rules",
    params(BuiltinPath),
    responses(
        (status = 204, description = "Disabled globally"),
        (status = 404, description = "No such built-in rule", body = doc::ErrorEnvelope),
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<BuiltinPath>,
) -> ApiResult<StatusCode> {
    rule_admin::toggle(&state, &user, &p.name, false).await?;
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
    params(RepositoryPath, BranchQuery),
    responses(
        (status = 200, description = "Every rule name available to the repository, disabled ones included", body = Vec<String>),
        (status = 404, description = "No such project, repository or branch", body = doc::ErrorEnvelope),
    )
)]
pub async fn rule_types(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<RepositoryPath>,
    ApiQuery(q): ApiQuery<BranchQuery>,
) -> ApiResult<Json<Vec<String>>> {
    let branch = q.branch.as_deref();
    let names = rule_admin::rule_types(&state, &user, &p.project, &p.repo, branch).await?;
    Ok(Json(names))
}
