//! The shared state handed to every handler: the domain's [`Core`] and what only HTTP needs.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use keywarden_core::{Config, Core};
use keywarden_store::Store;

use keywarden_core::push::{AcceptAll, PushPolicy};

use crate::auth_cache::AuthCache;
use crate::push_sessions::PushSessions;
use keywarden_core::throttle::LoginThrottle;

/// Cheap to clone: everything lives behind one `Arc`. Dereferences to the [`Core`], so a
/// `&AppState` is accepted wherever the domain wants a `&Core`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    core: Core,
    policy: Arc<dyn PushPolicy>,
    auth_cache: AuthCache,
    pushes: PushSessions,
    hook_url: OnceLock<String>,
    login_throttle: LoginThrottle,
}

impl AppState {
    /// State over an opened store, with the "accept every push" policy.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        Self::with_policy(config, store, Arc::new(AcceptAll))
    }

    /// State with a given pre-receive policy (the security hook plugs in here).
    pub fn with_policy(config: Config, store: Arc<dyn Store>, policy: Arc<dyn PushPolicy>) -> Self {
        let login_throttle = LoginThrottle::new(config.login_throttle);
        Self(Arc::new(Inner {
            core: Core::new(config, store),
            policy,
            auth_cache: AuthCache::default(),
            pushes: PushSessions::default(),
            hook_url: OnceLock::new(),
            login_throttle,
        }))
    }

    /// The domain.
    pub fn core(&self) -> &Core {
        &self.0.core
    }

    /// The pre-receive policy.
    pub fn policy(&self) -> &dyn PushPolicy {
        self.0.policy.as_ref()
    }

    pub(crate) fn auth_cache(&self) -> &AuthCache {
        &self.0.auth_cache
    }

    pub(crate) fn login_throttle(&self) -> &LoginThrottle {
        &self.0.login_throttle
    }

    pub(crate) fn pushes(&self) -> &PushSessions {
        &self.0.pushes
    }

    /// The URL of the internal pre-receive endpoint, once the server listens.
    pub fn hook_url(&self) -> Option<&str> {
        self.0.hook_url.get().map(String::as_str)
    }

    /// Records where the hook endpoint listens (done by [`crate::serve`]).
    pub fn set_hook_url(&self, url: String) {
        let _ = self.0.hook_url.set(url);
    }
}

impl Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.0.core
    }
}
