//! Built-in rule toggles, custom rules with their budget overruns, and reviewed findings.

use async_trait::async_trait;

use crate::*;

mod model;
pub(crate) mod sql;

pub use model::*;

/// Built-in rule toggles, custom rules with their budget overruns, and reviewed findings. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait RuleStore {
    /// Built-in rules toggled globally: `(name, enabled)`; a rule without a row is enabled.
    async fn builtin_rule_states(&self) -> Result<Vec<(String, bool)>>;

    /// Enables or disables a built-in rule globally (by its canonical name).
    async fn set_builtin_rule_enabled(&self, name: &str, enabled: bool) -> Result<()>;

    /// Every global custom rule, by id.
    async fn list_custom_rules(&self) -> Result<Vec<CustomRule>>;

    /// One custom rule.
    async fn custom_rule(&self, id: i64) -> Result<Option<CustomRule>>;

    /// Creates a custom rule. [`StoreError::Conflict`] if the name is taken.
    async fn create_custom_rule(&self, rule: NewCustomRule) -> Result<CustomRule>;

    /// Replaces a custom rule's name, regex and flags and clears its validation error.
    /// [`StoreError::NotFound`] for an unknown id, [`StoreError::Conflict`] for a taken name.
    async fn update_custom_rule(&self, id: i64, rule: NewCustomRule) -> Result<CustomRule>;

    /// Deletes a custom rule; [`StoreError::NotFound`] for an unknown id.
    async fn delete_custom_rule(&self, id: i64) -> Result<()>;

    /// Sets (`Some`) or clears (`None`) a custom rule's validation error.
    /// [`StoreError::NotFound`] for an unknown id.
    async fn set_custom_rule_error(&self, id: i64, error: Option<&str>) -> Result<()>;

    /// Records that a global custom rule ran out of its matching budget in a scan or a push of
    /// a repository, at `at` (milliseconds since the Unix epoch).
    async fn add_rule_budget_event(&self, rule_id: i64, repository_id: i64, at: i64) -> Result<()>;

    /// The budget overrun counters of every custom rule that has any, by rule id;
    /// [`RuleBudgetCounts::repositories`] counts the repositories with an overrun at or after
    /// `since`.
    async fn rule_budget_counts(&self, since: i64) -> Result<Vec<RuleBudgetCounts>>;

    /// Forgets a custom rule's budget overruns (its error was cleared or it was edited);
    /// returns how many were deleted.
    async fn clear_rule_budget_events(&self, rule_id: i64) -> Result<u64>;

    /// Marks a match text reviewed in a repository; `false` if it already was (unchanged).
    async fn add_repository_reviewed(&self, repository_id: i64, entry: NewReviewed)
    -> Result<bool>;

    /// Unmarks a match text in a repository; `false` if it was not marked.
    async fn delete_repository_reviewed(
        &self,
        repository_id: i64,
        match_text: &str,
    ) -> Result<bool>;

    /// Unmarks every match text of a repository; returns how many.
    async fn clear_repository_reviewed(&self, repository_id: i64) -> Result<u64>;

    /// A repository's reviewed entries, by match text.
    async fn list_repository_reviewed(&self, repository_id: i64) -> Result<Vec<ReviewedEntry>>;

    /// Marks match texts reviewed globally, in one transaction; entries already present are left
    /// unchanged. Returns how many were added.
    async fn add_global_reviewed(&self, entries: Vec<NewReviewed>) -> Result<u64>;

    /// Unmarks match texts globally, in one transaction; returns how many were removed.
    async fn delete_global_reviewed(&self, match_texts: Vec<String>) -> Result<u64>;

    /// Unmarks every global entry; returns how many.
    async fn clear_global_reviewed(&self) -> Result<u64>;

    /// Every global entry, by match text.
    async fn list_global_reviewed(&self) -> Result<Vec<ReviewedEntry>>;
}
