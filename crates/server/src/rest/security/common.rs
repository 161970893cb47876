//! Small helpers shared by the security API handlers.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// `?confirm=true`, required by the "delete all" endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct Confirm {
    /// Must be `true`.
    pub confirm: Option<String>,
}

impl Confirm {
    /// 400 unless `confirm` is `true` (ASCII case ignored); `what` completes the message.
    pub fn require(&self, what: &str) -> ApiResult<()> {
        match self.confirm.as_deref() {
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(()),
            _ => Err(ApiError::invalid(format!(
                "confirm: must be true to delete {what}"
            ))),
        }
    }
}

/// A short fingerprint of a match text for the audit log (which never holds a secret).
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since the Unix epoch as ISO 8601 UTC (`2024-09-07T00:01:12Z`).
pub fn iso8601(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_725_667_272_000), "2024-09-07T00:01:12Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn confirm_must_be_true() {
        assert!(Confirm::default().require("x").is_err());
        let yes = Confirm {
            confirm: Some("true".into()),
        };
        assert!(yes.require("x").is_ok());
        let no = Confirm {
            confirm: Some("yes".into()),
        };
        assert!(no.require("x").unwrap_err().to_string().contains("confirm"));
    }
}
