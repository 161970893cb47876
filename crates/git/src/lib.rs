//! Reading Git repositories: the files of a commit, and every unique blob of a history.
//!
//! Objects are read in-process with `gix` (no `git log -p` parsing). A [`Repo`] is shared by all
//! threads; each thread reads blobs through its own [`BlobReader`].

#![deny(missing_docs)]

mod error;
mod history;
mod repo;

pub use error::GitError;
pub use history::HistoryBlob;
pub use repo::{BlobReader, ObjectId, Repo, TreeBlob};
