//! Reading and changing the security settings and the log-level override (SPEC 9; the seed's
//! "Debug Logging"): administrators and users with app access, every change audited.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::Core;
use crate::access::{self, CurrentUser};
use crate::audit::{Audit, action};
use crate::error::{CoreError, CoreResult};
use crate::logging::LogLevel;
use crate::scans::cron::Schedule;
use crate::settings::SecuritySettings;

/// The store's setting key of the log-level override.
pub const LOG_LEVEL_KEY: &str = "log_level_override";

/// The log-level override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogLevelOverride {
    /// The level.
    pub log_level_override: LogLevel,
}

/// The settings.
pub async fn read(core: &Core, user: &CurrentUser) -> CoreResult<SecuritySettings> {
    access::require_security_admin(core, user).await?;
    Ok(SecuritySettings::load(core.store()).await?)
}

/// Changes the fields of `changes`, a JSON object (the other fields keep their values), and
/// returns the new settings. Unknown fields, wrong types and out-of-range values are invalid,
/// naming the field; nothing is written then. Only an administrator may change who holds app
/// access.
pub async fn update(
    core: &Core,
    user: &CurrentUser,
    changes: Value,
) -> CoreResult<SecuritySettings> {
    access::require_security_admin(core, user).await?;
    let Value::Object(changes) = changes else {
        return Err(CoreError::Invalid(
            "body: a JSON object of settings is required".into(),
        ));
    };
    let old = SecuritySettings::load(core.store()).await?;
    let mut new = merge(&old, &changes)?;
    validate(&mut new)?;
    new.app_access = canonical_users(core, &new.app_access).await?;
    // Only a user holding the admin role may change who else holds app access.
    if new.app_access != old.app_access && !user.is_admin() {
        return Err(CoreError::forbidden());
    }
    if new == old {
        return Ok(new);
    }
    new.save(core.store()).await?;
    record_changes(core, user, &old, &new).await;
    Ok(new)
}

fn to_json(s: &SecuritySettings) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// Applies the changed fields one by one, so an error names its field.
fn merge(old: &SecuritySettings, changes: &Map<String, Value>) -> CoreResult<SecuritySettings> {
    let Value::Object(mut doc) = to_json(old) else {
        return Err(CoreError::Internal("settings are not an object".into()));
    };
    for (key, value) in changes {
        if !doc.contains_key(key) {
            let known: Vec<&str> = doc.keys().map(String::as_str).collect();
            return Err(CoreError::Invalid(format!(
                "{key}: not a setting (known: {})",
                known.join(", ")
            )));
        }
        let mut trial = doc.clone();
        trial.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<SecuritySettings>(Value::Object(trial.clone())) {
            return Err(CoreError::Invalid(format!("{key}: {e}")));
        }
        doc = trial;
    }
    serde_json::from_value(Value::Object(doc)).map_err(|e| CoreError::Invalid(format!("body: {e}")))
}

fn validate(s: &mut SecuritySettings) -> CoreResult<()> {
    let invalid = |m: &str| Err(CoreError::Invalid(m.into()));
    if !(1..=64).contains(&s.parallel_scans) {
        return invalid("parallelScans: must be between 1 and 64");
    }
    if s.max_file_size == 0 {
        return invalid("maxFileSize: must be at least 1 byte");
    }
    if !(1..=3600).contains(&s.hook_timeout_seconds) {
        return invalid("hookTimeoutSeconds: must be between 1 and 3600");
    }
    for (name, t) in [
        ("blockThreshold", s.block_threshold),
        ("reportThreshold", s.report_threshold),
    ] {
        if !(0.0..=1.0).contains(&t) {
            return Err(CoreError::Invalid(format!(
                "{name}: must be between 0 and 1 (a confidence)"
            )));
        }
    }
    if s.report_threshold > s.block_threshold {
        return invalid(
            "reportThreshold: must be at most blockThreshold (a finding that blocks is reported)",
        );
    }
    if let Some(cron) = s.scan_schedule.as_deref() {
        let cron = cron.trim();
        if cron.is_empty() {
            s.scan_schedule = None;
        } else if let Err(why) = Schedule::parse(cron) {
            return Err(CoreError::Invalid(format!(
                "scanSchedule: '{cron}' is not a cron expression ({why}): five fields (minute hour day-of-month month day-of-week, e.g. '0 2 * * *') or Quartz's six or seven (seconds first, e.g. '0 0 3 * * ?')"
            )));
        } else {
            s.scan_schedule = Some(cron.to_string());
        }
    }
    Ok(())
}

/// The granted users' names as stored (invalid for an unknown user), without duplicates.
async fn canonical_users(core: &Core, names: &[String]) -> CoreResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let user = core
            .store()
            .user_by_name(name.trim())
            .await?
            .ok_or_else(|| CoreError::Invalid(format!("appAccess: user {name} does not exist")))?;
        if !out.iter().any(|n| n.eq_ignore_ascii_case(&user.name)) {
            out.push(user.name);
        }
    }
    Ok(out)
}

/// One audit event per kind of change: hook mode, app access, everything else.
async fn record_changes(
    core: &Core,
    user: &CurrentUser,
    old: &SecuritySettings,
    new: &SecuritySettings,
) {
    let audit = |action, details| Audit {
        user: Some(&user.0.name),
        action,
        project: None,
        repository: None,
        details,
    };
    if old.hook_mode != new.hook_mode {
        audit(
            action::HOOK_MODE_CHANGED,
            json!({"from": old.hook_mode, "to": new.hook_mode}),
        )
        .record(core)
        .await;
    }
    if old.app_access != new.app_access {
        let granted: Vec<&String> = new
            .app_access
            .iter()
            .filter(|u| !old.has_app_access(u))
            .collect();
        let revoked: Vec<&String> = old
            .app_access
            .iter()
            .filter(|u| !new.has_app_access(u))
            .collect();
        audit(
            action::APP_ACCESS_CHANGED,
            json!({"granted": granted, "revoked": revoked}),
        )
        .record(core)
        .await;
    }
    let (Value::Object(a), Value::Object(b)) = (to_json(old), to_json(new)) else {
        return;
    };
    let mut changed = Map::new();
    for (k, v) in &b {
        if k != "hookMode" && k != "appAccess" && a.get(k) != Some(v) {
            changed.insert(k.clone(), json!({"from": a.get(k), "to": v}));
        }
    }
    if !changed.is_empty() {
        audit(action::SETTINGS_CHANGED, Value::Object(changed))
            .record(core)
            .await;
    }
}

/// The log-level override of the running server.
pub async fn log_level(core: &Core, user: &CurrentUser) -> CoreResult<LogLevelOverride> {
    access::require_security_admin(core, user).await?;
    Ok(LogLevelOverride {
        log_level_override: core.config().log_level.get(),
    })
}

/// Changes the log-level override at once to `given` (`TRACE`, `DEBUG`, `INFO`, `WARN` or
/// `ERROR`, any case) and stores it, to be put back at start.
pub async fn set_log_level(
    core: &Core,
    user: &CurrentUser,
    given: &str,
) -> CoreResult<LogLevelOverride> {
    access::require_security_admin(core, user).await?;
    let level = LogLevel::parse(given.trim()).ok_or_else(|| {
        CoreError::Invalid(format!(
            "logLevelOverride: must be one of TRACE, DEBUG, INFO, WARN, ERROR, not '{given}'"
        ))
    })?;
    let control = &core.config().log_level;
    let old = control.get();
    core.store()
        .put_setting(LOG_LEVEL_KEY, level.as_str())
        .await?;
    control.set(level);
    tracing::warn!(from = old.as_str(), to = level.as_str(), user = %user.0.name, "log level override changed");
    Audit {
        user: Some(&user.0.name),
        action: action::SETTINGS_CHANGED,
        project: None,
        repository: None,
        details: json!({"logLevelOverride": {"from": old.as_str(), "to": level.as_str()}}),
    }
    .record(core)
    .await;
    Ok(LogLevelOverride {
        log_level_override: level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_checked_by_the_schedulers_parser() {
        let check = |cron: &str| {
            let mut s = SecuritySettings {
                scan_schedule: Some(cron.into()),
                ..SecuritySettings::default()
            };
            validate(&mut s).map(|()| s.scan_schedule)
        };
        for ok in [
            "0 2 * * *",
            "*/15 0-6 1,15 * 1-5",
            "0 0 3 * * ?",
            "0 3 * * MON",
        ] {
            assert_eq!(check(ok).unwrap().as_deref(), Some(ok), "{ok}");
        }
        assert_eq!(check("  ").unwrap(), None);
        for bad in ["0 2 * *", "61 * * * *", "@daily", "*/0 * * * *"] {
            let e = check(bad).unwrap_err().to_string();
            assert!(e.contains("scanSchedule"), "{bad}: {e}");
        }
    }

    #[test]
    fn merge_names_the_field() {
        let old = SecuritySettings::default();
        let mut c = Map::new();
        c.insert("perRepositoryRules".into(), json!("yes"));
        let e = merge(&old, &c).unwrap_err().to_string();
        assert!(e.starts_with("perRepositoryRules:"), "{e}");
        let mut c = Map::new();
        c.insert("bogus".into(), json!(1));
        assert!(
            merge(&old, &c)
                .unwrap_err()
                .to_string()
                .starts_with("bogus:")
        );
        let mut c = Map::new();
        c.insert("hookMode".into(), json!("ALWAYS"));
        c.insert("maxFileSize".into(), json!(5));
        let s = merge(&old, &c).unwrap();
        assert_eq!(s.max_file_size, 5);
    }
}
