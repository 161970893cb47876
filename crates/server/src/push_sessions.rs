//! The pushes in progress: who pushes where, under the per-push token the hook sends back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keywarden_store::{Project, Repository, User};

/// Who pushes where, registered for the duration of one `receive-pack`.
#[derive(Debug, Clone)]
pub struct PushSession {
    /// The pusher.
    pub user: User,
    /// The repository's project.
    pub project: Project,
    /// The repository.
    pub repository: Repository,
}

/// The pushes in progress, by token.
#[derive(Default)]
pub(crate) struct PushSessions(Arc<Mutex<HashMap<String, PushSession>>>);

impl PushSessions {
    /// Registers a push; the token is valid until the guard is dropped.
    pub(crate) fn register(&self, session: PushSession) -> PushGuard {
        let token = keywarden_core::credentials::random_hex(32);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), session);
        PushGuard {
            sessions: self.0.clone(),
            token,
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<PushSession> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }
}

/// Unregisters a push session when dropped.
pub(crate) struct PushGuard {
    sessions: Arc<Mutex<HashMap<String, PushSession>>>,
    token: String,
}

impl PushGuard {
    /// The per-push secret.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for PushGuard {
    fn drop(&mut self) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.token);
    }
}
