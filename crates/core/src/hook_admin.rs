//! The security hook's settings at repository and project scope (the vendor page's "Security
//! Hook" section, SPEC 5): Bitbucket's hook object and the services that read, enable,
//! disable and revert the hook. Repository or project administrators; every change is
//! audited.

use keywarden_store::{AccessLevel, HookScope, HookSetting, Project, Repository};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::Core;
use crate::access::{CurrentUser, project_with, repository_with};
use crate::audit::{Audit, action};
use crate::error::{CoreError, CoreResult};
use crate::hook_settings::{self, HOOK_DESCRIPTION, HOOK_KEY, HOOK_NAME, Level, Resolved};
use crate::paged::{PageParams, Paged, page_of};
use crate::settings::SecuritySettings;

// Fields are in the order of their JSON names, as the answers have always listed them.

/// The security hook's description in Bitbucket's hook object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookDetails {
    /// What it does.
    pub description: String,
    /// `com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook`.
    pub key: String,
    /// `Soteri - Scan Commits`.
    pub name: String,
    /// `PROJECT`, `REPOSITORY`.
    pub supported_scopes: Vec<HookScopeType>,
    /// `PRE_RECEIVE`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Keywarden's version.
    pub version: String,
}

/// Where a hook state is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookScopeType {
    /// A project.
    Project,
    /// A repository.
    Repository,
}

/// The scope a hook state comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = HookScope)]
pub struct HookScopeRef {
    /// The project's or repository's id.
    pub resource_id: i64,
    /// Project or repository.
    #[serde(rename = "type")]
    pub type_: HookScopeType,
}

/// Bitbucket's hook object for the security hook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hook {
    /// Whether this scope has an explicit setting.
    pub configured: bool,
    /// The hook.
    pub details: HookDetails,
    /// Whether it runs here (after inheritance).
    pub enabled: bool,
    /// Where the state comes from.
    pub scope: HookScopeRef,
}

/// The hook's settings, as read and as sent to enable it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookSettings {
    /// `true`: warn only; `false`: block pushes with findings.
    pub warn_on_vulnerabilities: bool,
}

/// The optional body that enables the hook.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookSettingsRequest {
    /// `true`: warn only; `false`: block. `null` or absent keeps the earlier choice.
    pub warn_on_vulnerabilities: Option<bool>,
}

/// Where a request points: a repository (`key`, `slug`) or a project (`key`).
#[derive(Debug, Clone, Copy)]
pub enum HookTarget<'a> {
    /// A repository of a project.
    Repository {
        /// The project key.
        key: &'a str,
        /// The repository slug.
        slug: &'a str,
    },
    /// A project.
    Project {
        /// The project key.
        key: &'a str,
    },
}

/// A target loaded, with the caller's admin permission checked.
enum Target {
    Repository(Project, Repository),
    Project(Project),
}

/// Not found unless `hook_key` is the security hook's.
fn check_key(hook_key: &str) -> CoreResult<()> {
    if hook_key == HOOK_KEY {
        Ok(())
    } else {
        Err(CoreError::NotFound(format!(
            "No hook with key {hook_key} exists. The security hook's key is {HOOK_KEY}."
        )))
    }
}

fn details() -> HookDetails {
    HookDetails {
        description: HOOK_DESCRIPTION.to_string(),
        key: HOOK_KEY.to_string(),
        name: HOOK_NAME.to_string(),
        supported_scopes: vec![HookScopeType::Project, HookScopeType::Repository],
        type_: "PRE_RECEIVE".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

impl Target {
    async fn load(core: &Core, user: &CurrentUser, target: HookTarget<'_>) -> CoreResult<Self> {
        Ok(match target {
            HookTarget::Repository { key, slug } => {
                let (p, r) = repository_with(core, user, key, slug, AccessLevel::Admin).await?;
                Target::Repository(p, r)
            }
            HookTarget::Project { key } => {
                Target::Project(project_with(core, user, key, AccessLevel::Admin).await?)
            }
        })
    }

    fn scope(&self) -> HookScope {
        match self {
            Target::Repository(_, r) => HookScope::Repository(r.id),
            Target::Project(p) => HookScope::Project(p.id),
        }
    }

    /// The hook object for this target as stored now.
    async fn render(&self, core: &Core) -> CoreResult<Hook> {
        let settings = SecuritySettings::load(core.store()).await?;
        let configured = core.store().hook_setting(self.scope()).await?.is_some();
        let (resolved, type_, resource_id) = match self {
            Target::Repository(p, r) => {
                let resolved = hook_settings::for_repository(core, &settings, p, r).await?;
                // Bitbucket reports where an inherited state comes from; a personal
                // repository inherits from nothing but the global default.
                let (type_, id) = match resolved.decided_by {
                    Level::Project => (HookScopeType::Project, p.id),
                    Level::Global if p.owner_id.is_none() => (HookScopeType::Project, p.id),
                    _ => (HookScopeType::Repository, r.id),
                };
                (resolved, type_, id)
            }
            Target::Project(p) => {
                let resolved = hook_settings::for_project(core, &settings, p).await?;
                (resolved, HookScopeType::Project, p.id)
            }
        };
        Ok(Hook {
            configured,
            details: details(),
            enabled: resolved.enabled,
            scope: HookScopeRef { resource_id, type_ },
        })
    }

    async fn resolved(&self, core: &Core) -> CoreResult<Resolved> {
        let settings = SecuritySettings::load(core.store()).await?;
        match self {
            Target::Repository(p, r) => hook_settings::for_repository(core, &settings, p, r).await,
            Target::Project(p) => hook_settings::for_project(core, &settings, p).await,
        }
    }

    /// Stores an explicit setting here, audits the `change` and answers the hook as it is now.
    async fn put(
        &self,
        core: &Core,
        user: &CurrentUser,
        enabled: bool,
        warn: bool,
        change: &str,
        details: Value,
    ) -> CoreResult<Hook> {
        let setting = HookSetting { enabled, warn };
        core.store().put_hook_setting(self.scope(), setting).await?;
        self.audit(core, user, change, details).await;
        self.render(core).await
    }

    async fn audit(&self, core: &Core, user: &CurrentUser, change: &str, details: Value) {
        let mut details = details;
        details["change"] = json!(change);
        let (project, slug, scope) = match self {
            Target::Repository(p, r) => (p, Some(r.slug.as_str()), "REPOSITORY"),
            Target::Project(p) => (p, None, "PROJECT"),
        };
        details["scope"] = json!(scope);
        Audit {
            user: Some(&user.0.name),
            action: action::HOOK_SETTINGS_CHANGED,
            project: Some(&project.key),
            repository: slug,
            details,
        }
        .record(core)
        .await;
    }
}

/// Reads `warnOnVulnerabilities` from an optional JSON body (blank for none).
pub fn warn_from_body(body: &[u8]) -> CoreResult<Option<bool>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let invalid = |m: String| CoreError::Invalid(m);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("body: invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(invalid(
            "body: a JSON object such as {\"warnOnVulnerabilities\":false} is required".into(),
        ));
    };
    match map.get("warnOnVulnerabilities") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(format!(
            "warnOnVulnerabilities: must be true or false, not {other}"
        ))),
    }
}

/// The hook here.
pub async fn get(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    hook_key: &str,
) -> CoreResult<Hook> {
    check_key(hook_key)?;
    Target::load(core, user, target).await?.render(core).await
}

/// The hook's settings here.
pub async fn settings(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    hook_key: &str,
) -> CoreResult<HookSettings> {
    check_key(hook_key)?;
    let resolved = Target::load(core, user, target)
        .await?
        .resolved(core)
        .await?;
    Ok(HookSettings {
        warn_on_vulnerabilities: resolved.warn,
    })
}

/// A page holding the one hook.
pub async fn list(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    page: &PageParams,
) -> CoreResult<Paged<Hook>> {
    let hook = Target::load(core, user, target).await?.render(core).await?;
    Ok(page_of(vec![hook], page.request()?).into())
}

/// Enables the hook here, warning only when `warn` (as read from the request, whose error is
/// reported after the key and the permission are checked) says so; without it an earlier
/// warn choice is kept (Bitbucket keeps settings across toggles).
pub async fn enable(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    hook_key: &str,
    warn: CoreResult<Option<bool>>,
) -> CoreResult<Hook> {
    check_key(hook_key)?;
    let target = Target::load(core, user, target).await?;
    let warn = warn?;
    let previous = core.store().hook_setting(target.scope()).await?;
    let warn = warn.or(previous.map(|p| p.warn)).unwrap_or(false);
    let details = json!({"warnOnVulnerabilities": warn});
    target.put(core, user, true, warn, "ENABLED", details).await
}

/// Disables the hook here (keeping the warn choice).
pub async fn disable(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    hook_key: &str,
) -> CoreResult<Hook> {
    check_key(hook_key)?;
    let target = Target::load(core, user, target).await?;
    let previous = core.store().hook_setting(target.scope()).await?;
    let warn = previous.is_some_and(|p| p.warn);
    target
        .put(core, user, false, warn, "DISABLED", json!({}))
        .await
}

/// Back to inherited.
pub async fn revert(
    core: &Core,
    user: &CurrentUser,
    target: HookTarget<'_>,
    hook_key: &str,
) -> CoreResult<()> {
    check_key(hook_key)?;
    let target = Target::load(core, user, target).await?;
    core.store().delete_hook_setting(target.scope()).await?;
    target.audit(core, user, "INHERITED", json!({})).await;
    Ok(())
}
