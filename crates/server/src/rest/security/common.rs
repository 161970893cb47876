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

#[cfg(test)]
mod tests {
    use super::*;

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
