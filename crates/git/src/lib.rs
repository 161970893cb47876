//! Reading Git repositories: the files of a commit, every unique blob of a history, and what a
//! push adds (commits and added lines, through the receive quarantine).
//!
//! Objects are read in-process with `gix` (no `git log -p` parsing). A [`Repo`] is shared by all
//! threads; each thread reads blobs through its own [`BlobReader`].

#![deny(missing_docs)]

mod cat_file;
mod error;
mod history;
mod push;
mod repo;

pub use error::GitError;
pub use history::HistoryBlob;
pub use push::{AddedFile, PushReader, PushedCommit, RefUpdate};
pub use repo::{BlobReader, ObjectId, Repo, TreeBlob};
