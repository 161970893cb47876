//! Opening repositories, resolving revisions, listing a commit's files and reading blobs.

use std::path::Path;

use gix::bstr::ByteSlice;
use gix::objs::FindExt;

use crate::error::GitError;

/// A Git object id.
pub use gix::ObjectId;

/// A repository, shareable between threads.
#[derive(Clone)]
pub struct Repo {
    inner: gix::ThreadSafeRepository,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.inner.git_dir())
            .finish()
    }
}

/// A file of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeBlob {
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// The blob's id.
    pub id: ObjectId,
}

impl Repo {
    /// Opens the repository at `path` (a bare repository, a work tree, or its `.git`).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let inner = gix::ThreadSafeRepository::open_opts(path, gix::open::Options::isolated())
            .map_err(|e| GitError::NotARepository {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        Ok(Repo { inner })
    }

    /// A handle for the current thread.
    pub(crate) fn local(&self) -> gix::Repository {
        // No object cache: blobs are read once, and caching would copy each one. Delta bases are
        // cached by the pack cache.
        self.inner.to_thread_local()
    }

    /// A blob reader for the current thread.
    pub fn reader(&self) -> BlobReader {
        BlobReader { repo: self.local() }
    }

    /// Resolves a branch name (`main`, `refs/heads/main`), tag or commit id to a commit id.
    pub fn resolve_commit(&self, rev: &str) -> Result<ObjectId, GitError> {
        let repo = self.local();
        let unknown = || GitError::UnknownRevision {
            rev: rev.to_string(),
        };
        let candidates = [
            rev.to_string(),
            format!("refs/heads/{rev}"),
            format!("refs/tags/{rev}"),
        ];
        for name in candidates.iter() {
            if let Ok(Some(mut r)) = repo.try_find_reference(name.as_str()) {
                let id = r.peel_to_id().map_err(GitError::other)?;
                return peel_commit(&repo, id.detach()).map_err(|_| unknown());
            }
        }
        let id = repo.rev_parse_single(rev).map_err(|_| unknown())?.detach();
        peel_commit(&repo, id).map_err(|_| unknown())
    }

    /// The commit ids that all references (branches, tags, others) point at, peeled to commits.
    pub fn ref_tips(&self) -> Result<Vec<ObjectId>, GitError> {
        let repo = self.local();
        let refs = repo.references().map_err(GitError::other)?;
        let mut tips = Vec::new();
        for r in refs.all().map_err(GitError::other)? {
            let Ok(mut r) = r else { continue };
            let Ok(id) = r.peel_to_id() else { continue };
            if let Ok(c) = peel_commit(&repo, id.detach()) {
                tips.push(c);
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// The branches (`refs/heads/...`, full names) and the commits they point at, by name.
    pub fn branches(&self) -> Result<Vec<(String, ObjectId)>, GitError> {
        let repo = self.local();
        let refs = repo.references().map_err(GitError::other)?;
        let mut out = Vec::new();
        for r in refs.all().map_err(GitError::other)? {
            let Ok(mut r) = r else { continue };
            let name = r.name().as_bstr().to_str_lossy().into_owned();
            if !name.starts_with("refs/heads/") {
                continue;
            }
            let Ok(id) = r.peel_to_id() else { continue };
            if let Ok(c) = peel_commit(&repo, id.detach()) {
                out.push((name, c));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The default branch's full name (`refs/heads/...`), from `HEAD`.
    pub fn head_branch(&self) -> Option<String> {
        let repo = self.local();
        repo.head_name()
            .ok()
            .flatten()
            .map(|n| n.as_bstr().to_str_lossy().into_owned())
    }

    /// Every file (blob; symlinks and submodules excluded) of the commit's tree.
    pub fn tree_blobs(&self, commit: ObjectId) -> Result<Vec<TreeBlob>, GitError> {
        let repo = self.local();
        let tree = tree_of(&repo, commit)?;
        let mut out = Vec::new();
        let mut stack = vec![(tree, String::new())];
        while let Some((tree_id, prefix)) = stack.pop() {
            for_each_entry(&repo, tree_id, |entry| {
                let path = join(&prefix, entry.name);
                match entry.kind {
                    EntryKind::Tree => stack.push((entry.id, path)),
                    EntryKind::Blob => out.push(TreeBlob { path, id: entry.id }),
                    EntryKind::Other => {}
                }
            })?;
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The blob at the root of the commit's tree named `name` (e.g. `soteri-security.yml`), if
    /// there is one; other kinds of entries (trees, links) count as absent.
    pub fn root_file(&self, commit: ObjectId, name: &str) -> Result<Option<Vec<u8>>, GitError> {
        let repo = self.local();
        let tree = tree_of(&repo, commit)?;
        let mut found = None;
        for_each_entry(&repo, tree, |entry| {
            if entry.name == name.as_bytes() && matches!(entry.kind, EntryKind::Blob) {
                found = Some(entry.id);
            }
        })?;
        let Some(id) = found else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        self.reader().read_into(id, &mut buf)?;
        Ok(Some(buf))
    }

    /// The directory holding the repository's objects.
    pub fn git_dir(&self) -> &Path {
        self.inner.git_dir()
    }
}

/// Reads blobs on one thread.
pub struct BlobReader {
    repo: gix::Repository,
}

impl BlobReader {
    /// Reads a blob's content into `buf` (replacing what it held).
    pub fn read_into(&mut self, id: ObjectId, buf: &mut Vec<u8>) -> Result<(), GitError> {
        let obj = self
            .repo
            .objects
            .find(&id, buf)
            .map_err(|e| GitError::object(id, e))?;
        if obj.kind != gix::object::Kind::Blob {
            return Err(GitError::object(id, "not a blob"));
        }
        Ok(())
    }

    /// The size of a blob in bytes, without reading its content when the store allows.
    pub fn size(&mut self, id: ObjectId) -> Result<u64, GitError> {
        use gix::prelude::HeaderExt;
        let h = self
            .repo
            .objects
            .header(id)
            .map_err(|e| GitError::object(id, e))?;
        Ok(h.size())
    }
}

pub(crate) fn peel_commit(repo: &gix::Repository, id: ObjectId) -> Result<ObjectId, GitError> {
    let obj = repo.find_object(id).map_err(|e| GitError::object(id, e))?;
    let commit = obj.peel_to_commit().map_err(|e| GitError::object(id, e))?;
    Ok(commit.id)
}

pub(crate) fn tree_of(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId, GitError> {
    let c = repo
        .find_commit(commit)
        .map_err(|e| GitError::object(commit, e))?;
    c.tree_id()
        .map(|t| t.detach())
        .map_err(|e| GitError::object(commit, e))
}

pub(crate) enum EntryKind {
    Tree,
    Blob,
    Other,
}

pub(crate) struct Entry<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) id: ObjectId,
    pub(crate) kind: EntryKind,
}

/// Calls `f` for each entry of a tree object.
pub(crate) fn for_each_entry(
    repo: &gix::Repository,
    tree: ObjectId,
    mut f: impl FnMut(Entry<'_>),
) -> Result<(), GitError> {
    let mut buf = Vec::new();
    let data = repo
        .objects
        .find_tree_iter(&tree, &mut buf)
        .map_err(|e| GitError::object(tree, e))?;
    for entry in data {
        let entry = entry.map_err(|e| GitError::object(tree, e))?;
        let kind = if entry.mode.is_tree() {
            EntryKind::Tree
        } else if entry.mode.is_blob() {
            EntryKind::Blob
        } else {
            EntryKind::Other
        };
        f(Entry {
            name: entry.filename.as_ref(),
            id: entry.oid.to_owned(),
            kind,
        });
    }
    Ok(())
}

pub(crate) fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}
