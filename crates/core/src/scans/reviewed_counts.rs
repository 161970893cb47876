//! Keeping the stored vulnerability counts in step with reviewed findings: marking or
//! unmarking a finding reviewed changes a branch's vulnerabilities (and so its dashboard status)
//! at once, without a rescan.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use keywarden_store::{JobKind, ScanFinding};

use crate::Core;
use crate::error::CoreResult;
use crate::rules::ReviewedSet;
use crate::scans::rules_source;

/// The text of a stored finding that a reviewed entry matches: the whole `text` when the line
/// was truncated, else the characters `lineOffsetStart..lineOffsetEnd` of the line.
pub fn match_text(text: &str, start: i64, end: i64, truncated: bool) -> String {
    if truncated {
        return text.to_string();
    }
    let start = usize::try_from(start).unwrap_or(0);
    let end = usize::try_from(end).unwrap_or(0);
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

/// Whether a stored finding counts as a vulnerability: neither allowlisted nor reviewed.
pub fn is_vulnerability(f: &ScanFinding, reviewed: &ReviewedSet) -> bool {
    !f.allowlisted
        && !reviewed.contains(
            &f.rule_name,
            &match_text(&f.text, f.line_offset_start, f.line_offset_end, f.truncated),
        )
}

/// How long a change of the global reviewed list recounts before it answers; what is left is
/// done in the background.
const RECOUNT_INLINE: std::time::Duration = std::time::Duration::from_millis(200);

/// After the global reviewed list changed: marks it changed (for the hook's cached rules) and
/// queues a recount of every repository's branch results as jobs that any node takes
/// ([`super::jobs`]). Recounts for up to [`RECOUNT_INLINE`] itself, so that the dashboards of
/// an ordinary instance agree with the list when the answer comes; a large one answers then
/// and the job workers finish. Returns how many repositories were queued.
pub async fn global_reviewed_changed(state: &Core) -> CoreResult<i64> {
    crate::rules::bump_reviewed_generation(state).await?;
    let queued = state.store().queue_recounts(None).await?;
    let until = std::time::Instant::now() + RECOUNT_INLINE;
    while std::time::Instant::now() < until
        && super::jobs::run_one(state, Some(JobKind::Recount)).await?
    {}
    state.scans().wake();
    Ok(queued)
}

/// Recounts the vulnerabilities of every branch's latest result in one repository, or
/// everywhere (`None`), writing only the counts that changed.
pub async fn recount(state: &Core, repository_id: Option<i64>) -> CoreResult<()> {
    let store = state.store();
    let mut reviewed: HashMap<i64, ReviewedSet> = HashMap::new();
    for (repository, scan_id, stored) in store.branch_results(repository_id).await? {
        let set = match reviewed.entry(repository) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(rules_source::reviewed(state, repository).await?),
        };
        let count = store
            .scan_findings(scan_id)
            .await?
            .iter()
            .filter(|f| is_vulnerability(f, set))
            .count() as i64;
        if count != stored {
            store.set_scan_vulnerabilities(scan_id, count).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_text_is_the_highlighted_part_or_the_truncated_text() {
        assert_eq!(match_text("k = AKIA1234", 4, 12, false), "AKIA1234");
        assert_eq!(match_text("é = s3cr3t", 4, 10, false), "s3cr3t");
        assert_eq!(match_text("s3cr3t", 0, 6, true), "s3cr3t");
        assert_eq!(match_text("abc", -1, 2, false), "ab");
    }
}
