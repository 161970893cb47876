//! Every unique blob of a history, each with the commit and path that introduced it.

use std::collections::HashSet;

use crate::error::GitError;
use crate::repo::{EntryKind, ObjectId, Repo, for_each_entry, join, tree_of};

/// A blob seen for the first time in a history walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryBlob {
    /// The blob's id.
    pub id: ObjectId,
    /// The path it had in the introducing commit.
    pub path: String,
    /// The oldest commit (by commit time) whose tree holds the blob.
    pub commit: ObjectId,
}

impl Repo {
    /// Every unique blob reachable from `tips`, once each, with the commit and path that
    /// introduced it. Commits are visited oldest first; trees already visited are not entered
    /// again, so the work is proportional to the number of unique trees and blobs.
    pub fn history_blobs(&self, tips: &[ObjectId]) -> Result<Vec<HistoryBlob>, GitError> {
        let repo = self.local();
        if tips.is_empty() {
            return Ok(Vec::new());
        }
        let walk = repo
            .rev_walk(tips.iter().copied())
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ))
            .all()
            .map_err(GitError::other)?;
        let mut commits = Vec::new();
        for info in walk {
            let info = info.map_err(GitError::other)?;
            commits.push(info.id);
        }
        commits.reverse();
        let mut seen_trees: HashSet<ObjectId> = HashSet::new();
        let mut seen_blobs: HashSet<ObjectId> = HashSet::new();
        let mut out = Vec::new();
        for commit in commits {
            let root = tree_of(&repo, commit)?;
            if !seen_trees.insert(root) {
                continue;
            }
            let mut stack = vec![(root, String::new())];
            while let Some((tree, prefix)) = stack.pop() {
                for_each_entry(&repo, tree, |e| match e.kind {
                    EntryKind::Tree => {
                        if seen_trees.insert(e.id) {
                            stack.push((e.id, join(&prefix, e.name)));
                        }
                    }
                    EntryKind::Blob => {
                        if seen_blobs.insert(e.id) {
                            out.push(HistoryBlob {
                                id: e.id,
                                path: join(&prefix, e.name),
                                commit,
                            });
                        }
                    }
                    EntryKind::Other => {}
                })?;
            }
        }
        Ok(out)
    }
}
