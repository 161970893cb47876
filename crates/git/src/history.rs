//! Every unique blob of a history, each with the commit and path that introduced it.

use std::collections::{HashMap, HashSet};

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
        let mut parents: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
        let mut newest_first = Vec::new();
        for info in walk {
            let info = info.map_err(GitError::other)?;
            newest_first.push(info.id);
            parents.insert(info.id, info.parent_ids.to_vec());
        }
        let commits = parents_first(&newest_first, &parents);
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

/// Orders commits so that every commit comes after all its parents (a topological order,
/// oldest first), breaking ties by commit time. Commit times alone are not enough: commits made
/// in the same second, or with skewed clocks, would credit a blob to a descendant.
fn parents_first(
    newest_first: &[ObjectId],
    parents: &HashMap<ObjectId, Vec<ObjectId>>,
) -> Vec<ObjectId> {
    let mut out = Vec::with_capacity(newest_first.len());
    let mut done: HashSet<ObjectId> = HashSet::with_capacity(newest_first.len());
    // Start from the oldest, so that among independent commits older ones come first.
    for &root in newest_first.iter().rev() {
        if done.contains(&root) {
            continue;
        }
        // Iterative post-order: emit a commit once all its parents are emitted.
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if done.contains(&id) {
                continue;
            }
            if expanded {
                done.insert(id);
                out.push(id);
                continue;
            }
            stack.push((id, true));
            for p in parents.get(&id).into_iter().flatten() {
                if parents.contains_key(p) && !done.contains(p) {
                    stack.push((*p, false));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn parents_come_before_children_whatever_the_times() {
        // 1 <- 2 <- 4 (merge of 2 and 3), 1 <- 3; times put 2 before 1.
        let parents: HashMap<ObjectId, Vec<ObjectId>> = [
            (id(1), vec![]),
            (id(2), vec![id(1)]),
            (id(3), vec![id(1)]),
            (id(4), vec![id(2), id(3)]),
        ]
        .into_iter()
        .collect();
        let newest_first = [id(4), id(3), id(1), id(2)];
        let order = parents_first(&newest_first, &parents);
        let pos = |n| order.iter().position(|&c| c == id(n)).unwrap();
        assert_eq!(order.len(), 4);
        assert!(pos(1) < pos(2) && pos(1) < pos(3) && pos(2) < pos(4) && pos(3) < pos(4));
    }
}
