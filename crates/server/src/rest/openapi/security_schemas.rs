//! Schemas of the security API's JSON (the shapes the handlers under
//! [`crate::rest`]`::security` build), for the OpenAPI document.

use utoipa::ToSchema;

/// The multipart form of a global reviewed upload.
#[derive(ToSchema)]
pub struct UploadForm {
    /// The CSV: a header row with `matchText` (required) and `ruleName` (optional) columns.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The answer of a mass scan.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MassScan {
    /// Branch scans queued.
    #[schema(minimum = 0)]
    pub scheduled: u64,
    /// Who gets a mail when the scans have finished.
    pub emails: Vec<String>,
    /// Whether an SMTP server is configured.
    pub mail_enabled: bool,
    /// What happens about mail.
    pub message: String,
}
