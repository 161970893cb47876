//! `GET/PUT /rest/security/latest/settings` (SPEC 9): the security settings, including the
//! users granted global app access. Admin or app access.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::rest::extract::ApiJson;
use crate::rest::openapi::schemas as doc;
use crate::state::AppState;
use keywarden_core::access;
use keywarden_core::audit::{Audit, action};
use keywarden_core::scans::cron::Schedule;
use keywarden_core::settings::SecuritySettings;

/// `GET /settings`.
#[utoipa::path(
get, path = "/settings", tag = "Settings",
    responses(
        (status = 200, description = "The security settings (admin or app access)", body = keywarden_core::settings::SecuritySettings),
    )
)]
pub async fn get(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let settings = SecuritySettings::load(state.store()).await?;
    Ok(Json(to_json(&settings)))
}

fn to_json(s: &SecuritySettings) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// `PUT /settings` with a JSON object of the fields to change (others keep their values);
/// 200 with the new settings. Unknown fields, wrong types and out-of-range values are 400s
/// naming the field; nothing is written then.
#[utoipa::path(
put, path = "/settings", tag = "Settings",
    request_body(content = keywarden_core::settings::SecuritySettings, description = "The fields to change; the others keep their values"),
    responses(
        (status = 200, description = "The new settings", body = keywarden_core::settings::SecuritySettings),
        (status = 400, description = "Unknown field, wrong type or out-of-range value (the message names it)", body = doc::ErrorEnvelope),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    access::require_security_admin(&state, &user).await?;
    let Value::Object(changes) = body else {
        return Err(ApiError::invalid(
            "body: a JSON object of settings is required",
        ));
    };
    let old = SecuritySettings::load(state.store()).await?;
    let mut new = merge(&old, &changes)?;
    validate(&mut new)?;
    new.app_access = canonical_users(&state, &new.app_access).await?;
    // Only a user holding the admin role may change who else holds app access.
    if new.app_access != old.app_access && !user.is_admin() {
        return Err(ApiError::forbidden());
    }
    if new == old {
        return Ok(Json(to_json(&new)));
    }
    new.save(state.store()).await?;
    record_changes(&state, &user, &old, &new).await;
    Ok(Json(to_json(&new)))
}

/// Applies the changed fields one by one, so an error names its field.
fn merge(old: &SecuritySettings, changes: &Map<String, Value>) -> ApiResult<SecuritySettings> {
    let Value::Object(mut doc) = to_json(old) else {
        return Err(ApiError::Internal("settings are not an object".into()));
    };
    for (key, value) in changes {
        if !doc.contains_key(key) {
            let known: Vec<&String> = doc.keys().collect();
            return Err(ApiError::invalid(format!(
                "{key}: not a setting (known: {})",
                known
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut trial = doc.clone();
        trial.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<SecuritySettings>(Value::Object(trial.clone())) {
            return Err(ApiError::invalid(format!("{key}: {e}")));
        }
        doc = trial;
    }
    serde_json::from_value(Value::Object(doc)).map_err(|e| ApiError::invalid(format!("body: {e}")))
}

fn validate(s: &mut SecuritySettings) -> ApiResult<()> {
    if !(1..=64).contains(&s.parallel_scans) {
        return Err(ApiError::invalid("parallelScans: must be between 1 and 64"));
    }
    if s.max_file_size == 0 {
        return Err(ApiError::invalid("maxFileSize: must be at least 1 byte"));
    }
    if !(1..=3600).contains(&s.hook_timeout_seconds) {
        return Err(ApiError::invalid(
            "hookTimeoutSeconds: must be between 1 and 3600",
        ));
    }
    for (name, t) in [
        ("blockThreshold", s.block_threshold),
        ("reportThreshold", s.report_threshold),
    ] {
        if !(0.0..=1.0).contains(&t) {
            return Err(ApiError::invalid(format!(
                "{name}: must be between 0 and 1 (a confidence)"
            )));
        }
    }
    if s.report_threshold > s.block_threshold {
        return Err(ApiError::invalid(
            "reportThreshold: must be at most blockThreshold (a finding that blocks is reported)",
        ));
    }
    if let Some(cron) = s.scan_schedule.as_deref() {
        let cron = cron.trim();
        if cron.is_empty() {
            s.scan_schedule = None;
        } else if let Err(why) = Schedule::parse(cron) {
            return Err(ApiError::invalid(format!(
                "scanSchedule: '{cron}' is not a cron expression ({why}): five fields (minute hour day-of-month month day-of-week, e.g. '0 2 * * *') or Quartz's six or seven (seconds first, e.g. '0 0 3 * * ?')"
            )));
        } else {
            s.scan_schedule = Some(cron.to_string());
        }
    }
    Ok(())
}

/// The granted users' names as stored (400 for an unknown user), without duplicates.
async fn canonical_users(state: &AppState, names: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let user = state
            .store()
            .user_by_name(name.trim())
            .await?
            .ok_or_else(|| ApiError::invalid(format!("appAccess: user {name} does not exist")))?;
        if !out.iter().any(|n| n.eq_ignore_ascii_case(&user.name)) {
            out.push(user.name);
        }
    }
    Ok(out)
}

/// One audit event per kind of change: hook mode, app access, everything else.
async fn record_changes(
    state: &AppState,
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
        .record(state)
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
        .record(state)
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
            .record(state)
            .await;
    }
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
