//! The shared state handed to every handler.

use std::sync::{Arc, OnceLock};

use keywarden_store::Store;

use crate::auth::AuthCache;
use crate::config::Config;
use crate::hook::{AcceptAll, PushPolicy, PushSessions};

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    policy: Arc<dyn PushPolicy>,
    auth_cache: AuthCache,
    pushes: PushSessions,
    hook_url: OnceLock<String>,
    rules_cache: crate::rules::RulesCache,
    scans: crate::scans::ScanRuntime,
    login_throttle: crate::throttle::LoginThrottle,
}

impl AppState {
    /// State over an opened store, with the "accept every push" policy.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        Self::with_policy(config, store, Arc::new(AcceptAll))
    }

    /// State with a given pre-receive policy (the security hook plugs in here).
    pub fn with_policy(config: Config, store: Arc<dyn Store>, policy: Arc<dyn PushPolicy>) -> Self {
        let login_throttle = crate::throttle::LoginThrottle::new(config.login_throttle);
        Self(Arc::new(Inner {
            config,
            store,
            policy,
            auth_cache: AuthCache::default(),
            pushes: PushSessions::default(),
            hook_url: OnceLock::new(),
            rules_cache: crate::rules::RulesCache::default(),
            scans: crate::scans::ScanRuntime::default(),
            login_throttle,
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }

    /// The store, shared.
    pub fn store_arc(&self) -> Arc<dyn Store> {
        self.0.store.clone()
    }

    /// The pre-receive policy.
    pub fn policy(&self) -> &dyn PushPolicy {
        self.0.policy.as_ref()
    }

    pub(crate) fn auth_cache(&self) -> &AuthCache {
        &self.0.auth_cache
    }

    pub(crate) fn login_throttle(&self) -> &crate::throttle::LoginThrottle {
        &self.0.login_throttle
    }

    pub(crate) fn pushes(&self) -> &PushSessions {
        &self.0.pushes
    }

    pub(crate) fn rules_cache(&self) -> &crate::rules::RulesCache {
        &self.0.rules_cache
    }

    /// The URL of the internal pre-receive endpoint, once the server listens.
    pub fn hook_url(&self) -> Option<&str> {
        self.0.hook_url.get().map(String::as_str)
    }

    /// Records where the hook endpoint listens (done by [`crate::serve`]).
    pub fn set_hook_url(&self, url: String) {
        let _ = self.0.hook_url.set(url);
    }

    /// The scan queue's in-process side: worker wake-ups, the blob cache.
    pub fn scans(&self) -> &crate::scans::ScanRuntime {
        &self.0.scans
    }
}
