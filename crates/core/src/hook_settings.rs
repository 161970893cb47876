//! Whether the security hook runs on a repository, and in which mode (SPEC 5): the global
//! `hookMode`, the project's explicit setting and the repository's explicit setting.
//!
//! | `hookMode`  | repository set | else project set (not personal) | else |
//! |-------------|----------------|---------------------------------|------|
//! | `EXPLICIT`  | its state      | its state                       | off  |
//! | `INHERITED` | its state      | its state                       | on, blocking |
//! | `ALWAYS`    | on             | on                              | on, blocking |
//!
//! `warnOnVulnerabilities` comes from the level that decided. Under `ALWAYS` the toggles are
//! ignored, but an explicit *enabled* setting still chooses warn or block (the repository's
//! first, then the project's), so forcing the hook on does not silently turn a warn-only
//! repository into a blocking one. Personal repositories (`~user`) never inherit from their
//! project.

use keywarden_store::{HookScope, HookSetting, Project, Repository};
use serde::Serialize;

use crate::Core;
use crate::error::CoreResult;
use crate::settings::{HookMode, SecuritySettings};

/// The hook's key, as in the vendor's URLs.
pub const HOOK_KEY: &str =
    "com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook";
/// The hook's display name.
pub const HOOK_NAME: &str = "Soteri - Scan Commits";
/// The hook's description.
pub const HOOK_DESCRIPTION: &str =
    "Scans pushed commits for credentials and blocks (or warns about) pushes that contain them.";

/// The level whose setting decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// The repository's explicit setting.
    Repository,
    /// The project's explicit setting.
    Project,
    /// The global `hookMode` default.
    Global,
}

/// The hook's effective state on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Whether pushes are scanned.
    pub enabled: bool,
    /// Whether findings only warn.
    pub warn: bool,
    /// Who decided.
    pub decided_by: Level,
}

/// Resolves the hook's state from the global mode and the explicit settings.
pub fn resolve(
    mode: HookMode,
    personal: bool,
    project: Option<HookSetting>,
    repository: Option<HookSetting>,
) -> Resolved {
    let project = if personal { None } else { project };
    let explicit = repository
        .map(|s| (s, Level::Repository))
        .or(project.map(|s| (s, Level::Project)));
    match mode {
        HookMode::Always => {
            let warn_from = [
                repository.map(|s| (s, Level::Repository)),
                project.map(|s| (s, Level::Project)),
            ]
            .into_iter()
            .flatten()
            .find(|(s, _)| s.enabled);
            match warn_from {
                Some((s, level)) => Resolved {
                    enabled: true,
                    warn: s.warn,
                    decided_by: level,
                },
                None => Resolved {
                    enabled: true,
                    warn: false,
                    decided_by: Level::Global,
                },
            }
        }
        HookMode::Explicit | HookMode::Inherited => match explicit {
            Some((s, level)) => Resolved {
                enabled: s.enabled,
                warn: s.enabled && s.warn,
                decided_by: level,
            },
            None => Resolved {
                enabled: mode == HookMode::Inherited,
                warn: false,
                decided_by: Level::Global,
            },
        },
    }
}

/// Resolves the hook's state for a repository from the stored settings.
pub async fn for_repository(
    state: &Core,
    settings: &SecuritySettings,
    project: &Project,
    repository: &Repository,
) -> CoreResult<Resolved> {
    let store = state.store();
    let personal = project.owner_id.is_some();
    let project_setting = if personal {
        None
    } else {
        store.hook_setting(HookScope::Project(project.id)).await?
    };
    let repository_setting = store
        .hook_setting(HookScope::Repository(repository.id))
        .await?;
    Ok(resolve(
        settings.hook_mode,
        personal,
        project_setting,
        repository_setting,
    ))
}

/// Resolves the hook's state at project scope (what a repository without its own setting
/// inherits).
pub async fn for_project(
    state: &Core,
    settings: &SecuritySettings,
    project: &Project,
) -> CoreResult<Resolved> {
    let setting = state
        .store()
        .hook_setting(HookScope::Project(project.id))
        .await?;
    Ok(resolve(settings.hook_mode, false, setting, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: Option<HookSetting> = Some(HookSetting {
        enabled: true,
        warn: false,
    });
    const WARN: Option<HookSetting> = Some(HookSetting {
        enabled: true,
        warn: true,
    });
    const OFF: Option<HookSetting> = Some(HookSetting {
        enabled: false,
        warn: false,
    });
    /// Disabled, with a leftover warn flag (must not leak into the result).
    const OFF_WARN: Option<HookSetting> = Some(HookSetting {
        enabled: false,
        warn: true,
    });

    fn r(enabled: bool, warn: bool, decided_by: Level) -> Resolved {
        Resolved {
            enabled,
            warn,
            decided_by,
        }
    }

    /// Every combination of mode x project state x repository state x personal.
    #[test]
    fn inheritance_table() {
        use HookMode::*;
        use Level::*;
        let states = [("none", None), ("on", ON), ("warn", WARN), ("off", OFF)];
        for mode in [Explicit, Inherited, Always] {
            for personal in [false, true] {
                for (pn, p) in states {
                    for (rn, rep) in states {
                        let got = resolve(mode, personal, p, rep);
                        // The project counts only for normal repositories.
                        let p_eff = if personal { None } else { p };
                        let want = match (mode, rep, p_eff) {
                            (Always, Some(s), _) if s.enabled => r(true, s.warn, Repository),
                            (Always, _, Some(s)) if s.enabled => r(true, s.warn, Project),
                            (Always, _, _) => r(true, false, Global),
                            (_, Some(s), _) => r(s.enabled, s.warn, Repository),
                            (_, None, Some(s)) => r(s.enabled, s.warn, Project),
                            (Explicit, None, None) => r(false, false, Global),
                            (Inherited, None, None) => r(true, false, Global),
                        };
                        assert_eq!(
                            got, want,
                            "mode {mode:?}, personal {personal}, project {pn}, repository {rn}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn spot_checks() {
        use HookMode::*;
        // The default: on, blocking, everywhere.
        assert_eq!(
            resolve(Inherited, false, None, None),
            r(true, false, Level::Global)
        );
        // Disabled on the project, the repository inherits: off.
        assert!(!resolve(Inherited, false, OFF, None).enabled);
        // ... but the repository's own setting wins.
        assert_eq!(
            resolve(Inherited, false, OFF, WARN),
            r(true, true, Level::Repository)
        );
        // A personal repository ignores its project's setting.
        assert!(resolve(Inherited, true, OFF, None).enabled);
        assert!(!resolve(Explicit, true, ON, None).enabled);
        // ALWAYS ignores "off" everywhere.
        assert!(resolve(Always, false, OFF, OFF).enabled);
        // A disabled level's warn flag never applies.
        assert_eq!(
            resolve(Inherited, false, None, OFF_WARN),
            r(false, false, Level::Repository)
        );
        assert_eq!(
            resolve(Always, false, None, OFF_WARN),
            r(true, false, Level::Global)
        );
    }
}
