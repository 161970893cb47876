//! The settings page's preview of the scan schedule: the next runs, computed by the scheduler's
//! own cron parser, so the preview is what the scheduler will do.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

use super::{UiUser, error_page, param, security_admin};
use crate::state::AppState;
use keywarden_core::scans::cron::Schedule;

/// How many runs the preview lists.
const RUNS: usize = 3;

/// The preview of `expr` in words, and whether it is an error.
pub(super) fn preview(expr: &str, now: Timestamp) -> (String, bool) {
    let expr = expr.trim();
    if expr.is_empty() {
        return ("Never: scheduled scans are off.".into(), false);
    }
    let schedule = match Schedule::parse(expr) {
        Ok(s) => s,
        Err(e) => return (format!("Not a valid cron expression: {e}."), true),
    };
    let runs: Vec<String> = schedule
        .next_runs(now, RUNS)
        .iter()
        .map(|t| {
            let z = t.to_zoned(jiff::tz::TimeZone::UTC);
            let format = if z.second() == 0 {
                "%a %Y-%m-%d %H:%M UTC"
            } else {
                "%a %Y-%m-%d %H:%M:%S UTC"
            };
            z.strftime(format).to_string()
        })
        .collect();
    if runs.is_empty() {
        ("Never runs in the next eight years.".into(), false)
    } else {
        (format!("Next runs: {}.", runs.join(", ")), false)
    }
}

/// `GET /settings/cron-preview?expr=`: the live preview as the schedule is typed (admin or app
/// access, as the settings page).
pub(super) async fn live(
    State(state): State<AppState>,
    user: UiUser,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    if !security_admin(&state, &user).await {
        return error_page(StatusCode::FORBIDDEN, "Only administrators and app access.");
    }
    let (text, invalid) = preview(param(&raw, "expr"), Timestamp::now());
    Json(json!({ "text": text, "invalid": invalid })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_name_the_next_runs() {
        let now: Timestamp = "2026-01-03T12:00:00Z".parse().unwrap();
        assert_eq!(
            preview("30 2 * * 1", now),
            (
                "Next runs: Mon 2026-01-05 02:30 UTC, Mon 2026-01-12 02:30 UTC, \
                 Mon 2026-01-19 02:30 UTC."
                    .into(),
                false
            )
        );
        assert_eq!(preview(" ", now).0, "Never: scheduled scans are off.");
        let (text, invalid) = preview("61 * * * *", now);
        assert!(
            invalid && text.contains("minutes: 61 is outside 0-59"),
            "{text}"
        );
        assert!(preview("0 0 30 2 *", now).0.starts_with("Never runs"));
    }
}
