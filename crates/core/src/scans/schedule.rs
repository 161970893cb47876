//! The scan schedule (`scanSchedule`): a cron expression in UTC; at each firing, every branch
//! of every repository is queued once, whichever process notices first.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::cron::Schedule;
use super::{Scope, mass_scan};
use crate::Core;
use crate::audit::Audit;
use crate::settings::SecuritySettings;
use keywarden_store::{MassTarget, ScanReason};

/// The setting (in the settings table) holding the last second a scheduled scan was claimed
/// for, so that several processes start each scheduled scan once.
pub const LAST_FIRED_KEY: &str = "scan_schedule_fired";

/// Starts the schedule's clock.
pub(crate) fn start(state: &Core) -> JoinHandle<()> {
    tokio::spawn(run(state.clone()))
}

async fn run(state: Core) {
    let mut last = jiff::Timestamp::now().as_second();
    let mut warned: Option<String> = None;
    while !state.scans().stopping() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = jiff::Timestamp::now().as_second();
        if now <= last {
            continue;
        }
        let from = last + 1;
        last = now;
        let expr = match SecuritySettings::load(state.store()).await {
            Ok(s) => s.scan_schedule.unwrap_or_default(),
            Err(_) => continue,
        };
        if expr.trim().is_empty() {
            continue;
        }
        let schedule = match Schedule::parse(&expr) {
            Ok(s) => s,
            Err(e) => {
                if warned.as_deref() != Some(expr.as_str()) {
                    tracing::warn!(schedule = %expr, error = %e, "scanSchedule is not a valid cron expression; no scheduled scans");
                    warned = Some(expr);
                }
                continue;
            }
        };
        // At most a minute of catch-up after a pause.
        for second in from.max(now - 60)..=now {
            let Ok(at) = jiff::Timestamp::from_second(second) else {
                continue;
            };
            if schedule.matches(at) {
                fire(&state, second).await;
                break;
            }
        }
    }
}

async fn fire(state: &Core, second: i64) {
    match state
        .store()
        .claim_setting_slot(LAST_FIRED_KEY, second)
        .await
    {
        Ok(true) => {}
        Ok(false) => return, // another process started it
        Err(e) => {
            tracing::warn!(error = %e, "scan schedule: claiming the run");
            return;
        }
    }
    match mass_scan(
        state,
        &Scope::All,
        &MassTarget::All,
        &[],
        None,
        ScanReason::Schedule,
    )
    .await
    {
        Ok(m) => {
            Audit {
                user: None,
                action: "SCHEDULED_SCAN",
                project: None,
                repository: None,
                details: serde_json::json!({ "scheduled": m.scheduled }),
            }
            .record(state)
            .await;
        }
        Err(e) => tracing::warn!(error = %e, "scan schedule: queuing"),
    }
}
