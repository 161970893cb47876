//! The rules of the security API (the seed's "Rules"): the global list, built-in toggles,
//! custom rules, and the rule names of one repository. The shapes the REST API answers and the
//! UI renders, and the services behind them; all but [`rule_types`] need admin or app access.
//! (Fields are in the order of their JSON names, as the answers have always listed them.)

use keywarden_engine::{builtin_rules, check_custom_regex, find_builtin};
use keywarden_store::{NewCustomRule, RuleBudgetCounts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::access::{self, CurrentUser};
use crate::audit::{Audit, action};
use crate::error::{CoreError, CoreResult};
use crate::paged::iso;
use crate::settings::bump_generation;
use crate::{Core, rules};

/// Longest accepted rule name.
const MAX_NAME: usize = 255;
/// Longest accepted regex.
const MAX_REGEX: usize = 10_000;

/// A built-in rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuiltinRule {
    /// Other names accepted by `/hardcoded/{name}` (e.g. `RSA`).
    pub aliases: Vec<String>,
    /// E.g. `Cloud`, `Payments`, `Private keys`, `Generic`.
    pub category: String,
    /// What it finds.
    pub description: String,
    /// Enabled globally.
    pub enabled: bool,
    /// Always `true`.
    pub hardcoded: bool,
    /// The rule's name (built-in rules are identified by name).
    pub id: String,
    /// UPPER_SNAKE name.
    pub name: String,
}

/// A custom rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomRule {
    /// Findings block pushes (else warn only).
    pub blocking: bool,
    /// When it last ran out of its budget, ISO 8601 UTC; `null` if never.
    #[schema(required = true)]
    pub budget_exceeded_last: Option<String>,
    /// Distinct repositories in which the rule ran out of its matching budget on some line
    /// within the last 24 hours (the rule was skipped on that line only); at 3 it is disabled
    /// with a `validationError`. Reset when the error is cleared or the rule is edited.
    pub budget_exceeded_repositories: i64,
    /// Scans and pushes in which the rule ran out of its matching budget, since it was last
    /// cleared or edited.
    pub budget_exceeded_times: i64,
    /// Enabled globally.
    pub enabled: bool,
    /// Always `false`.
    pub hardcoded: bool,
    /// Database id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The regular expression (Java flavour).
    pub regexp: String,
    /// Why the rule is skipped until cleared (it ran out of its matching budget in 3 or more
    /// repositories within 24 hours); else `null`.
    #[schema(required = true)]
    pub validation_error: Option<String>,
}

/// A rule of `GET /rules`: built-in or custom.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Rule {
    /// A built-in rule.
    Builtin(BuiltinRule),
    /// A custom rule.
    Custom(CustomRule),
}

/// The body of a custom rule creation or edit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleBody {
    /// Unique name, not a built-in's (required to create).
    #[schema(pattern = r"\S", max_length = 255, example = "Internal token")]
    pub name: Option<String>,
    /// The regular expression (required to create); it must not match the empty string.
    #[schema(min_length = 1, max_length = 10000, example = "itok_[a-z0-9]{16}")]
    pub regexp: Option<String>,
    /// Enabled globally (default `true`).
    pub enabled: Option<bool>,
    /// Findings block pushes (default `true`).
    pub blocking: Option<bool>,
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

impl CustomRule {
    /// A stored rule with the counters of its matching budget overruns (see
    /// [`rules::record_rule_budget_overrun`]): distinct repositories within the last 24 hours,
    /// scans and pushes in all, and the latest one.
    pub fn new(r: &keywarden_store::CustomRule, counts: Option<&RuleBudgetCounts>) -> Self {
        CustomRule {
            blocking: r.blocking,
            budget_exceeded_last: counts.map(|c| iso(c.last)),
            budget_exceeded_repositories: counts.map_or(0, |c| c.repositories),
            budget_exceeded_times: counts.map_or(0, |c| c.times),
            enabled: r.enabled,
            hardcoded: false,
            id: r.id,
            name: r.name.clone(),
            regexp: r.regexp.clone(),
            validation_error: r.validation_error.clone(),
        }
    }

    /// The rule for the audit log: without its budget counters.
    fn audited(r: &keywarden_store::CustomRule) -> Value {
        let mut v = json!(CustomRule::new(r, None));
        if let Value::Object(fields) = &mut v {
            fields.retain(|k, _| !k.starts_with("budgetExceeded"));
        }
        v
    }
}

/// Every rule: built-ins in catalogue order, then custom rules by id.
pub async fn list(core: &Core, user: &CurrentUser) -> CoreResult<Vec<Rule>> {
    access::require_security_admin(core, user).await?;
    let states: std::collections::HashMap<String, bool> = core
        .store()
        .builtin_rule_states()
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<Rule> = builtin_rules()
        .iter()
        .map(|r| {
            Rule::Builtin(BuiltinRule {
                aliases: r.aliases.clone(),
                category: r.category.clone(),
                description: r.description.clone(),
                enabled: states.get(&r.name).copied().unwrap_or(true),
                hardcoded: true,
                id: r.name.clone(),
                name: r.name.clone(),
            })
        })
        .collect();
    let counts = rules::budget_counts(core).await?;
    out.extend(
        core.store()
            .list_custom_rules()
            .await?
            .iter()
            .map(|r| Rule::Custom(CustomRule::new(r, counts.get(&r.id)))),
    );
    Ok(out)
}

/// Checks a custom rule's name and regex: invalid with a message naming the field.
fn check(name: &str, regexp: &str) -> CoreResult<()> {
    let invalid = |m: String| Err(CoreError::Invalid(m));
    let name_t = name.trim();
    if name_t.is_empty() {
        return invalid("name: a rule name is required".into());
    }
    if name.chars().count() > MAX_NAME {
        return invalid(format!("name: at most {MAX_NAME} characters"));
    }
    if find_builtin(name_t).is_some() {
        return invalid(format!(
            "name: {name_t} is the name of a built-in rule; choose another name"
        ));
    }
    if regexp.chars().count() > MAX_REGEX {
        return invalid(format!("regexp: at most {MAX_REGEX} characters"));
    }
    check_custom_regex(name_t, regexp).map_err(|e| CoreError::Invalid(format!("regexp: {e}")))
}

/// Records a change of custom rules.
async fn audit(core: &Core, user: &CurrentUser, details: Value) {
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_CHANGED,
        project: None,
        repository: None,
        details,
    }
    .record(core)
    .await;
}

/// Creates a custom rule.
pub async fn create(core: &Core, user: &CurrentUser, body: RuleBody) -> CoreResult<CustomRule> {
    access::require_security_admin(core, user).await?;
    let name = body.name.unwrap_or_default();
    let regexp = body.regexp.unwrap_or_default();
    check(&name, &regexp)?;
    let rule = core
        .store()
        .create_custom_rule(NewCustomRule {
            name: name.trim().to_string(),
            regexp,
            enabled: body.enabled.unwrap_or(true),
            blocking: body.blocking.unwrap_or(true),
            created_by: Some(user.0.name.clone()),
        })
        .await?;
    bump_generation(core.store()).await?;
    let details = json!({"change": "created", "rule": CustomRule::audited(&rule)});
    audit(core, user, details).await;
    Ok(CustomRule::new(&rule, None))
}

/// A custom rule's id from the path: invalid unless an integer.
fn parse_id(id: &str) -> CoreResult<i64> {
    id.trim().parse::<i64>().map_err(|_| {
        CoreError::Invalid(format!(
            "id: must be a custom rule's integer id, not '{id}'"
        ))
    })
}

async fn load(core: &Core, id: i64) -> CoreResult<keywarden_store::CustomRule> {
    core.store()
        .custom_rule(id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("Custom rule {id} does not exist.")))
}

/// Clears the validation error of custom rule `id` and, with `body` (a JSON body, blank for
/// none), changes any of its fields.
pub async fn update(
    core: &Core,
    user: &CurrentUser,
    id: &str,
    body: &[u8],
) -> CoreResult<CustomRule> {
    access::require_security_admin(core, user).await?;
    let id = parse_id(id)?;
    let old = load(core, id).await?;
    let edit: Option<RuleBody> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(
            serde_json::from_slice(body)
                .map_err(|e| CoreError::Invalid(format!("body: invalid JSON: {e}")))?,
        )
    };
    // Clearing the error or editing the rule starts its budget counters afresh.
    core.store().clear_rule_budget_events(id).await?;
    let rule = match edit {
        None => {
            core.store().set_custom_rule_error(id, None).await?;
            load(core, id).await?
        }
        Some(edit) => {
            let name = edit.name.unwrap_or_else(|| old.name.clone());
            let regexp = edit.regexp.unwrap_or_else(|| old.regexp.clone());
            check(&name, &regexp)?;
            core.store()
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
    bump_generation(core.store()).await?;
    let details = json!({"change": "updated", "before": CustomRule::audited(&old), "after": CustomRule::audited(&rule)});
    audit(core, user, details).await;
    let counts = rules::budget_counts(core).await?;
    Ok(CustomRule::new(&rule, counts.get(&rule.id)))
}

/// Deletes custom rule `id`.
pub async fn delete(core: &Core, user: &CurrentUser, id: &str) -> CoreResult<()> {
    access::require_security_admin(core, user).await?;
    let id = parse_id(id)?;
    let old = load(core, id).await?;
    core.store().delete_custom_rule(id).await?;
    bump_generation(core.store()).await?;
    let details = json!({"change": "deleted", "rule": CustomRule::audited(&old)});
    audit(core, user, details).await;
    Ok(())
}

/// Enables or disables the built-in rule `name` (or alias) globally.
pub async fn toggle(core: &Core, user: &CurrentUser, name: &str, enabled: bool) -> CoreResult<()> {
    access::require_security_admin(core, user).await?;
    let def = find_builtin(name)
        .ok_or_else(|| CoreError::NotFound(format!("Built-in rule {name} does not exist.")))?;
    core.store()
        .set_builtin_rule_enabled(&def.name, enabled)
        .await?;
    bump_generation(core.store()).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::RULE_TOGGLED,
        project: None,
        repository: None,
        details: json!({"rule": def.name, "requested": name, "enabled": enabled}),
    }
    .record(core)
    .await;
    Ok(())
}

/// Every rule name available to a repository, disabled ones included (repository write or app
/// access); not found when `branch` (blank for none) does not exist.
pub async fn rule_types(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    branch: Option<&str>,
) -> CoreResult<Vec<String>> {
    let (_, repository) = access::security_repository(core, user, key, slug).await?;
    if let Some(branch) = branch.filter(|b| !b.is_empty()) {
        let path = core.config().repository_path(&repository.disk_name);
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
        .map_err(|e| CoreError::Internal(e.to_string()))?;
        if !exists {
            return Err(CoreError::NotFound(format!(
                "Branch {branch} does not exist in {key}/{slug}."
            )));
        }
    }
    rules::rule_types(core, &repository).await
}
