//! Findings marked reviewed (the seed's "Marking Findings as Reviewed" and "Global reviewed
//! false positives"): the shapes the REST API answers, and the services that mark and unmark
//! match texts in a repository and globally. (Fields are in the order of their JSON names, as
//! the answers have always listed them.)

use keywarden_store::NewReviewed;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::Core;
use crate::access::{self, CurrentUser};
use crate::audit::{Audit, action};
use crate::error::{CoreError, CoreResult};
use crate::paged::iso;
use crate::scans::reviewed_counts::{global_reviewed_changed, recount};

/// Longest accepted match text (a truncated line's finding can be long, but not unbounded).
pub const MAX_MATCH_TEXT: usize = 65_536;

/// A match text marked reviewed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewedEntry {
    /// The exact match text.
    pub match_text: String,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
}

impl From<keywarden_store::ReviewedEntry> for ReviewedEntry {
    fn from(e: keywarden_store::ReviewedEntry) -> Self {
        ReviewedEntry {
            match_text: e.match_text,
            reviewed_by: e.reviewed_by,
            reviewed_date: iso(e.reviewed_at),
            reviewed_timestamp: e.reviewed_at,
            rule_name: e.rule_name,
        }
    }
}

/// A reviewed entry after `create`, and whether this call created it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewedCreated {
    /// `false` when the text was already marked.
    pub created: bool,
    /// The exact match text.
    pub match_text: String,
    /// Who marked it.
    #[schema(required = true)]
    pub reviewed_by: Option<String>,
    /// When, ISO 8601 UTC.
    pub reviewed_date: String,
    /// When, milliseconds since the Unix epoch.
    pub reviewed_timestamp: i64,
    /// The rule that found it, if known.
    #[schema(required = true)]
    pub rule_name: Option<String>,
}

/// How many entries a "delete all" removed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Removed {
    /// The count.
    #[schema(minimum = 0)]
    pub removed: u64,
}

/// A CSV row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvalidRow {
    /// 1-based line number in the file.
    #[schema(minimum = 1)]
    pub line: u64,
    /// Why.
    pub message: String,
}

/// The answer of a global reviewed upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadResult {
    /// Rows added.
    #[schema(minimum = 0)]
    pub added: u64,
    /// Rows that could not be used.
    pub invalid: Vec<InvalidRow>,
    /// Rows removed.
    #[schema(minimum = 0)]
    pub removed: u64,
    /// Valid rows that changed nothing.
    #[schema(minimum = 0)]
    pub skipped: u64,
}

/// The body of `create` and `delete`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewBody {
    /// The exact match text (not the whole line); required, at most 65,536 bytes.
    #[schema(min_length = 1, example = "hunter2-is-not-a-good-one")]
    pub match_text: Option<String>,
    /// The rule that found it.
    pub rule_name: Option<String>,
}

/// A valid row of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// The match text (a formula-injection `'` prefix of the export removed).
    pub match_text: String,
    /// The rule name, if the column exists and the cell is not empty.
    pub rule_name: Option<String>,
}

/// A parsed upload of the global list.
#[derive(Debug, Default)]
pub struct Upload {
    /// Valid rows, in file order.
    pub rows: Vec<UploadRow>,
    /// Invalid rows, in file order.
    pub invalid: Vec<InvalidRow>,
}

impl Upload {
    /// The valid rows, each match text once (its first row).
    pub fn unique_rows(&self) -> impl Iterator<Item = &UploadRow> {
        let mut seen = std::collections::HashSet::new();
        self.rows
            .iter()
            .filter(move |r| seen.insert(r.match_text.as_str()))
    }
}

/// Checks a match text: invalid naming `matchText`.
pub fn check_match_text(text: Option<&str>) -> CoreResult<&str> {
    match text {
        None | Some("") => Err(CoreError::Invalid(
            "matchText: the text of the finding (not the whole line) is required".into(),
        )),
        Some(t) if t.len() > MAX_MATCH_TEXT => Err(CoreError::Invalid(format!(
            "matchText: at most {MAX_MATCH_TEXT} bytes"
        ))),
        Some(t) => Ok(t),
    }
}

/// A short fingerprint of a match text for the audit log (which never holds a secret).
pub fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The reviewed entries of a repository (repository write or app access).
pub async fn list(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
) -> CoreResult<Vec<ReviewedEntry>> {
    let (_, repo) = access::security_repository(core, user, key, slug).await?;
    let entries = core.store().list_repository_reviewed(repo.id).await?;
    Ok(entries.into_iter().map(ReviewedEntry::from).collect())
}

/// Marks a match text reviewed in a repository (idempotent).
pub async fn mark(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    body: ReviewBody,
) -> CoreResult<ReviewedCreated> {
    let (project, repo) = access::security_repository(core, user, key, slug).await?;
    let text = check_match_text(body.match_text.as_deref())?.to_string();
    let rule_name = body
        .rule_name
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let created = core
        .store()
        .add_repository_reviewed(
            repo.id,
            NewReviewed {
                match_text: text.clone(),
                rule_name: rule_name.clone(),
                reviewed_by: Some(user.0.name.clone()),
            },
        )
        .await?;
    if created {
        recount(core, Some(repo.id)).await?;
        Audit {
            user: Some(&user.0.name),
            action: action::REVIEW_MARKED,
            project: Some(&project.key),
            repository: Some(&repo.slug),
            details: json!({"scope": "repository", "ruleName": rule_name, "matchFingerprint": fingerprint(&text)}),
        }
        .record(core)
        .await;
    }
    let entries = core.store().list_repository_reviewed(repo.id).await?;
    let entry = entries
        .into_iter()
        .find(|e| e.match_text == text)
        .ok_or_else(|| CoreError::Internal("reviewed entry vanished".into()))?;
    let entry = ReviewedEntry::from(entry);
    Ok(ReviewedCreated {
        created,
        match_text: entry.match_text,
        reviewed_by: entry.reviewed_by,
        reviewed_date: entry.reviewed_date,
        reviewed_timestamp: entry.reviewed_timestamp,
        rule_name: entry.rule_name,
    })
}

/// Unmarks a match text in a repository; not found if it was not marked.
pub async fn unmark(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    body: ReviewBody,
) -> CoreResult<()> {
    let (project, repo) = access::security_repository(core, user, key, slug).await?;
    let text = check_match_text(body.match_text.as_deref())?;
    if !core
        .store()
        .delete_repository_reviewed(repo.id, text)
        .await?
    {
        return Err(CoreError::NotFound(format!(
            "No reviewed finding with this matchText in {}/{}.",
            project.key, repo.slug
        )));
    }
    recount(core, Some(repo.id)).await?;
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: Some(&project.key),
        repository: Some(&repo.slug),
        details: json!({"scope": "repository", "matchFingerprint": fingerprint(text)}),
    }
    .record(core)
    .await;
    Ok(())
}

/// `?confirm=true`, required by the "delete all" endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct Confirm {
    /// Must be `true`.
    pub confirm: Option<String>,
}

impl Confirm {
    /// Invalid unless `confirm` is `true` (ASCII case ignored); `what` completes the message.
    pub fn require(&self, what: &str) -> CoreResult<()> {
        match self.confirm.as_deref() {
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(()),
            _ => Err(CoreError::Invalid(format!(
                "confirm: must be true to delete {what}"
            ))),
        }
    }
}

/// Unmarks everything in a repository, once `confirm`ed.
pub async fn unmark_all(
    core: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    confirm: &Confirm,
) -> CoreResult<Removed> {
    let (project, repo) = access::security_repository(core, user, key, slug).await?;
    confirm.require(&format!(
        "every reviewed finding of {}/{}",
        project.key, repo.slug
    ))?;
    let removed = core.store().clear_repository_reviewed(repo.id).await?;
    if removed > 0 {
        recount(core, Some(repo.id)).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: Some(&project.key),
        repository: Some(&repo.slug),
        details: json!({"scope": "repository", "all": true, "removed": removed}),
    }
    .record(core)
    .await;
    Ok(Removed { removed })
}

/// Adds an upload's rows to the global list (idempotent). The caller checked the permission
/// (admin or app access) before reading the upload.
pub async fn add_global(
    core: &Core,
    user: &CurrentUser,
    upload: Upload,
) -> CoreResult<UploadResult> {
    let entries: Vec<NewReviewed> = upload
        .unique_rows()
        .map(|r| NewReviewed {
            match_text: r.match_text.clone(),
            rule_name: r.rule_name.clone(),
            reviewed_by: Some(user.0.name.clone()),
        })
        .collect();
    let added = core.store().add_global_reviewed(entries).await?;
    global_changed(core, user, upload, added, true).await
}

/// Removes an upload's match texts from the global list. The caller checked the permission
/// (admin or app access) before reading the upload.
pub async fn remove_global(
    core: &Core,
    user: &CurrentUser,
    upload: Upload,
) -> CoreResult<UploadResult> {
    let texts: Vec<String> = upload.unique_rows().map(|r| r.match_text.clone()).collect();
    let removed = core.store().delete_global_reviewed(texts).await?;
    global_changed(core, user, upload, removed, false).await
}

/// After an upload `added` (else removed) `changed` global entries: recounts, audits and
/// answers.
async fn global_changed(
    core: &Core,
    user: &CurrentUser,
    upload: Upload,
    changed: u64,
    added: bool,
) -> CoreResult<UploadResult> {
    let skipped = upload.rows.len() as u64 - changed;
    if changed > 0 {
        global_reviewed_changed(core).await?;
    }
    let (action, field) = if added {
        (action::REVIEW_MARKED, "added")
    } else {
        (action::REVIEW_UNMARKED, "removed")
    };
    let mut details =
        json!({"scope": "global", "skipped": skipped, "invalid": upload.invalid.len()});
    details[field] = json!(changed);
    Audit {
        user: Some(&user.0.name),
        action,
        project: None,
        repository: None,
        details,
    }
    .record(core)
    .await;
    Ok(UploadResult {
        added: if added { changed } else { 0 },
        invalid: upload.invalid,
        removed: if added { 0 } else { changed },
        skipped,
    })
}

/// Removes every global entry, once `confirm`ed (admin or app access).
pub async fn clear_global(
    core: &Core,
    user: &CurrentUser,
    confirm: &Confirm,
) -> CoreResult<Removed> {
    access::require_security_admin(core, user).await?;
    confirm.require("every globally reviewed finding")?;
    let removed = core.store().clear_global_reviewed().await?;
    if removed > 0 {
        global_reviewed_changed(core).await?;
    }
    Audit {
        user: Some(&user.0.name),
        action: action::REVIEW_UNMARKED,
        project: None,
        repository: None,
        details: json!({"scope": "global", "all": true, "removed": removed}),
    }
    .record(core)
    .await;
    Ok(Removed { removed })
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
