//! The audit log (SPEC 9): writing events, and reading them as the API lists them. Actions are
//! UPPER_SNAKE names from [`action`]; details are a JSON object and never hold a secret.

use keywarden_store::{AuditEvent, NewAuditEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::Core;
use crate::access::CurrentUser;
use crate::paged::{PageParams, Paged, iso};

/// The action names the server records.
pub mod action {
    /// A push went through with `secret-scan-bypass` or skipped commits.
    pub const PUSH_BYPASSED: &str = "PUSH_BYPASSED";
    /// A push was rejected for secrets (or because it could not be scanned in time).
    pub const PUSH_BLOCKED: &str = "PUSH_BLOCKED";
    /// A push passed unscanned past the time budget (`hookFailOpen`).
    pub const PUSH_FAILED_OPEN: &str = "PUSH_FAILED_OPEN";
    /// A hook was enabled, disabled or reverted on a project or repository.
    pub const HOOK_SETTINGS_CHANGED: &str = "HOOK_SETTINGS_CHANGED";
    /// The global `hookMode` changed.
    pub const HOOK_MODE_CHANGED: &str = "HOOK_MODE_CHANGED";
    /// Any other setting changed.
    pub const SETTINGS_CHANGED: &str = "SETTINGS_CHANGED";
    /// Global app access granted or revoked.
    pub const APP_ACCESS_CHANGED: &str = "APP_ACCESS_CHANGED";
    /// A built-in rule was enabled or disabled globally.
    pub const RULE_TOGGLED: &str = "RULE_TOGGLED";
    /// A custom rule was created, deleted or had its validation error cleared.
    pub const RULE_CHANGED: &str = "RULE_CHANGED";
    /// `soteri-security.yml` changed on a default branch.
    pub const REPOSITORY_CONFIG_CHANGED: &str = "REPOSITORY_CONFIG_CHANGED";
    /// Findings were marked as reviewed.
    pub const REVIEW_MARKED: &str = "REVIEW_MARKED";
    /// Reviewed marks were removed.
    pub const REVIEW_UNMARKED: &str = "REVIEW_UNMARKED";
    /// Too many failed logins locked an account or a source address out for a while.
    pub const LOGIN_THROTTLED: &str = "LOGIN_THROTTLED";
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    /// Who did it (`None` for the system).
    pub user: Option<&'a str>,
    /// One of [`action`].
    pub action: &'a str,
    /// The project concerned.
    pub project: Option<&'a str>,
    /// The repository concerned.
    pub repository: Option<&'a str>,
    /// Details (a JSON object).
    pub details: Value,
}

impl Audit<'_> {
    /// Writes the event. A failure is logged, never returned: the action it records has
    /// already happened and must not be undone by the log.
    pub async fn record(self, state: &Core) {
        let event = NewAuditEvent {
            user_name: self.user.map(str::to_owned),
            action: self.action.to_owned(),
            project_key: self.project.map(str::to_owned),
            repository_slug: self.repository.map(str::to_owned),
            details: self.details.to_string(),
        };
        if let Err(e) = state.store().append_audit(event).await {
            tracing::error!(action = self.action, error = %e, "could not write the audit event");
        }
    }
}

/// An audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AuditEvent)]
pub struct AuditEntry {
    /// What happened, e.g. `SETTINGS_CHANGED`.
    pub action: String,
    /// When, ISO 8601 UTC.
    pub date: String,
    /// Details (usually an object).
    pub details: Value,
    /// Database id.
    pub id: i64,
    /// The project concerned, if any.
    #[schema(required = true)]
    pub project_key: Option<String>,
    /// The repository concerned, if any.
    #[schema(required = true)]
    pub repository_slug: Option<String>,
    /// When, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Who, if a user.
    #[schema(required = true)]
    pub user: Option<String>,
}

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        AuditEntry {
            action: e.action,
            date: iso(e.created_at),
            details: serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details)),
            id: e.id,
            project_key: e.project_key,
            repository_slug: e.repository_slug,
            timestamp: e.created_at,
            user: e.user_name,
        }
    }
}

/// The page of the audit log asked for, newest first (admin or app access).
pub async fn list(
    core: &Core,
    user: &CurrentUser,
    page: &PageParams,
) -> crate::CoreResult<Paged<AuditEntry>> {
    crate::access::require_security_admin(core, user).await?;
    let page = core.store().list_audit(page.request()?).await?;
    Ok(Paged::of(page, AuditEntry::from))
}
