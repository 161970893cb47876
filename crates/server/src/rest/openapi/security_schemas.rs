//! Schemas of the security API's JSON (the shapes the handlers under
//! [`crate::rest`]`::security` build), for the OpenAPI document.

use utoipa::ToSchema;

/// A built-in rule.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BuiltinRule {
    /// The rule's name (built-in rules are identified by name).
    pub id: String,
    /// UPPER_SNAKE name.
    pub name: String,
    /// Always `true`.
    pub hardcoded: bool,
    /// Enabled globally.
    pub enabled: bool,
    /// E.g. `Cloud`, `Payments`, `Private keys`, `Generic`.
    pub category: String,
    /// What it finds.
    pub description: String,
    /// Other names accepted by `/hardcoded/{name}` (e.g. `RSA`).
    pub aliases: Vec<String>,
}

/// A custom rule.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CustomRule {
    /// Database id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The regular expression (Java flavour).
    pub regexp: String,
    /// Always `false`.
    pub hardcoded: bool,
    /// Enabled globally.
    pub enabled: bool,
    /// Findings block pushes (else warn only).
    pub blocking: bool,
    /// Why the rule is skipped until cleared (it ran out of its matching budget in 3 or more
    /// repositories within 24 hours); else `null`.
    #[schema(required = true)]
    pub validation_error: Option<String>,
    /// Distinct repositories in which the rule ran out of its matching budget on some line
    /// within the last 24 hours (the rule was skipped on that line only); at 3 it is disabled
    /// with a `validationError`. Reset when the error is cleared or the rule is edited.
    pub budget_exceeded_repositories: i64,
    /// Scans and pushes in which the rule ran out of its matching budget, since it was last
    /// cleared or edited.
    pub budget_exceeded_times: i64,
    /// When it last ran out of its budget, ISO 8601 UTC; `null` if never.
    #[schema(required = true)]
    pub budget_exceeded_last: Option<String>,
}

/// A rule of `GET /rules`: built-in or custom.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Rule {
    /// A built-in rule.
    Builtin(BuiltinRule),
    /// A custom rule.
    Custom(CustomRule),
}

/// A match text marked reviewed.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ReviewedEntry {
    /// The exact match text.
    pub match_text: String,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
}

/// A reviewed entry after `create`, and whether this call created it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ReviewedCreated {
    /// The exact match text.
    pub match_text: String,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
    /// `false` when the text was already marked.
    pub created: bool,
}

/// How many entries a "delete all" removed.
#[derive(ToSchema)]
pub struct Removed {
    /// The count.
    #[schema(minimum = 0)]
    pub removed: u64,
}

/// A CSV row that could not be used.
#[derive(ToSchema)]
pub struct InvalidRow {
    /// 1-based line number in the file.
    #[schema(minimum = 1)]
    pub line: u64,
    /// Why.
    pub message: String,
}

/// The answer of a global reviewed upload.
#[derive(ToSchema)]
pub struct UploadResult {
    /// Rows added.
    #[schema(minimum = 0)]
    pub added: u64,
    /// Rows removed.
    #[schema(minimum = 0)]
    pub removed: u64,
    /// Valid rows that changed nothing.
    #[schema(minimum = 0)]
    pub skipped: u64,
    /// Rows that could not be used.
    pub invalid: Vec<InvalidRow>,
}

/// The multipart form of a global reviewed upload.
#[derive(ToSchema)]
pub struct UploadForm {
    /// The CSV: a header row with `matchText` (required) and `ruleName` (optional) columns.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A log level.
#[derive(ToSchema)]
pub enum LogLevel {
    /// Trace.
    #[schema(rename = "TRACE")]
    Trace,
    /// Debug.
    #[schema(rename = "DEBUG")]
    Debug,
    /// Info.
    #[schema(rename = "INFO")]
    Info,
    /// Warn (the default).
    #[schema(rename = "WARN")]
    Warn,
    /// Error.
    #[schema(rename = "ERROR")]
    Error,
}

/// The log-level override.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LogLevelOverride {
    /// The level.
    pub log_level_override: LogLevel,
}

/// An audit event.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Database id.
    pub id: i64,
    /// When, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// When, ISO 8601 UTC.
    pub date: String,
    /// Who, if a user.
    #[schema(required = true)]
    pub user: Option<String>,
    /// What happened, e.g. `SETTINGS_CHANGED`.
    pub action: String,
    /// The project concerned, if any.
    #[schema(required = true)]
    pub project_key: Option<String>,
    /// The repository concerned, if any.
    #[schema(required = true)]
    pub repository_slug: Option<String>,
    /// Details (usually an object).
    #[schema(value_type = Value)]
    pub details: (),
}

/// The answer of a mass scan.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MassScan {
    /// Branch scans queued.
    #[schema(minimum = 0)]
    pub scheduled: u64,
    /// Who gets a mail when the scans have finished.
    pub emails: Vec<String>,
    /// Whether an SMTP server is configured.
    pub mail_enabled: bool,
    /// What happens about mail.
    pub message: String,
}
