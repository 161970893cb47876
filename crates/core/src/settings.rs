//! The server-wide security settings of SPEC 9, stored as one JSON document (setting key
//! [`SETTINGS_KEY`]), and the configuration *generation*: a counter bumped by every change to
//! rules or settings, which scans compare to tell whether their results are still `actual`.

use keywarden_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings table key of the JSON document.
pub const SETTINGS_KEY: &str = "security";
/// The settings table key of the configuration generation.
pub const GENERATION_KEY: &str = "generation";

/// Where the security hook runs (SPEC 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookMode {
    /// On only where enabled on the repository or its project.
    Explicit,
    /// On unless disabled on the repository, or on the project while the repository inherits.
    #[default]
    Inherited,
    /// On everywhere; per-project and per-repository toggles are ignored.
    Always,
}

impl HookMode {
    /// The JSON name (`INHERITED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "EXPLICIT",
            Self::Inherited => "INHERITED",
            Self::Always => "ALWAYS",
        }
    }
}

/// The settings of SPEC 9. Missing fields read as their defaults.
// Fields are in the order of their JSON names, as the answers have always listed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SecuritySettings {
    /// Whether the commit-message and push-option bypasses are allowed.
    pub allow_bypass: bool,
    /// User names granted global app access.
    pub app_access: Vec<String>,
    /// Findings at or above this confidence (0 to 1) block a push; those between
    /// `reportThreshold` and it only warn the pusher. Exact provider formats and custom rules
    /// have confidence 1.
    pub block_threshold: f64,
    /// Past the budget, accept the push (with a warning, an audit event and a queued scan)
    /// instead of rejecting it.
    pub hook_fail_open: bool,
    /// Where the hook runs.
    pub hook_mode: HookMode,
    /// The hook's time budget per push.
    pub hook_timeout_seconds: u64,
    /// Files larger than this many bytes are skipped (and counted).
    pub max_file_size: u64,
    /// Scan workers per server process.
    pub parallel_scans: u32,
    /// Whether `soteri-security.yml` files apply.
    pub per_repository_rules: bool,
    /// Findings at or above this confidence (0 to 1, at most `blockThreshold`) are reported by
    /// scans and the hook; those below are dropped.
    pub report_threshold: f64,
    /// Cron expression (UTC) of the scheduled scan of every repository, if any.
    pub scan_schedule: Option<String>,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            hook_mode: HookMode::Inherited,
            per_repository_rules: false,
            parallel_scans: 2,
            scan_schedule: None,
            max_file_size: keywarden_engine::ScanLimits::default().max_file_size,
            hook_timeout_seconds: 60,
            hook_fail_open: false,
            allow_bypass: true,
            app_access: Vec::new(),
            block_threshold: f64::from(keywarden_engine::DEFAULT_BLOCK_THRESHOLD),
            report_threshold: f64::from(keywarden_engine::DEFAULT_REPORT_THRESHOLD),
        }
    }
}

impl SecuritySettings {
    /// Reads the settings (defaults when never written). A stored document that no longer
    /// parses is reported as [`keywarden_store::StoreError::Corrupt`].
    pub async fn load(store: &dyn Store) -> keywarden_store::Result<Self> {
        match store.setting(SETTINGS_KEY).await? {
            None => Ok(Self::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                keywarden_store::StoreError::Corrupt(format!("settings document: {e}"))
            }),
        }
    }

    /// Writes the settings and bumps the configuration generation.
    pub async fn save(&self, store: &dyn Store) -> keywarden_store::Result<()> {
        let text = serde_json::to_string(self).expect("settings serialize");
        store.put_setting(SETTINGS_KEY, &text).await?;
        bump_generation(store).await?;
        Ok(())
    }

    /// What findings' confidence makes of them.
    pub fn thresholds(&self) -> keywarden_scanner::Thresholds {
        keywarden_scanner::Thresholds {
            block: self.block_threshold as f32,
            report: self.report_threshold as f32,
        }
    }

    /// Whether `user` was granted global app access.
    pub fn has_app_access(&self, user: &str) -> bool {
        self.app_access.iter().any(|u| u.eq_ignore_ascii_case(user))
    }
}

/// The current configuration generation (0 before any change).
pub async fn generation(store: &dyn Store) -> keywarden_store::Result<i64> {
    Ok(store
        .setting(GENERATION_KEY)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Marks every earlier scan result as made under an older configuration (call after any change
/// to rules, reviewed findings' effect on rules, or settings that change what a scan finds).
pub async fn bump_generation(store: &dyn Store) -> keywarden_store::Result<i64> {
    store.increment_setting(GENERATION_KEY, 1).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_partial_documents() {
        let s: SecuritySettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, SecuritySettings::default());
        assert_eq!(s.hook_timeout_seconds, 60);
        assert!(s.allow_bypass);
        let s: SecuritySettings =
            serde_json::from_str(r#"{"hookMode":"ALWAYS","appAccess":["Bob"]}"#).unwrap();
        assert_eq!(s.hook_mode, HookMode::Always);
        assert!(s.has_app_access("bob"));
        let json = serde_json::to_value(SecuritySettings::default()).unwrap();
        assert_eq!(json["hookMode"], "INHERITED");
        assert_eq!(json["hookTimeoutSeconds"], 60);
        assert_eq!(json["perRepositoryRules"], false);
    }
}
