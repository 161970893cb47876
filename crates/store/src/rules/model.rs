//! Rows of the rules and reviewed-findings tables (SPEC 3, 8).

/// A global custom rule.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomRule {
    /// Database id (the `id` of the REST API).
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The regex (the vendor's Java flavour).
    pub regexp: String,
    /// Enabled globally.
    pub enabled: bool,
    /// Findings block pushes (else warn-only).
    pub blocking: bool,
    /// Why the rule is skipped (it blew its budget in a scan), until cleared.
    pub validation_error: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last change, milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// What is needed to create a custom rule (or to replace its definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomRule {
    /// Unique name.
    pub name: String,
    /// The regex.
    pub regexp: String,
    /// Enabled globally.
    pub enabled: bool,
    /// Findings block pushes.
    pub blocking: bool,
    /// Who creates it.
    pub created_by: Option<String>,
}

/// A match text marked reviewed, in one repository or globally.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewedEntry {
    /// The exact match text (group 0 of the rule's regex): the key.
    pub match_text: String,
    /// The rule that found it, informational.
    pub rule_name: Option<String>,
    /// Who marked it.
    pub reviewed_by: Option<String>,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_at: i64,
}

/// A reviewed entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReviewed {
    /// The exact match text.
    pub match_text: String,
    /// The rule that found it, if known.
    pub rule_name: Option<String>,
    /// Who marks it.
    pub reviewed_by: Option<String>,
}

/// The budget overruns recorded for one global custom rule (SPEC 3): what the rules API shows
/// and what decides when the rule is disabled.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RuleBudgetCounts {
    /// The custom rule's id.
    pub rule_id: i64,
    /// Distinct repositories with an overrun at or after the window start asked for.
    pub repositories: i64,
    /// Scans and pushes with an overrun, all recorded (since the rule was last cleared).
    pub times: i64,
    /// The latest overrun, milliseconds since the Unix epoch.
    pub last: i64,
}
