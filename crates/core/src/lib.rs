//! Keywarden's domain, between the HTTP server and the store: settings and hook settings,
//! rules and reviewed sets, the audit log, credentials, the repositories on disk, branch scans
//! and their queue, and the push policy ([`push`]).
//!
//! Everything takes a [`Core`] (the store, the configuration, the rule cache and the scan
//! runtime) and fails with a [`CoreError`]. Nothing here knows HTTP.

#![deny(missing_docs)]

pub mod access;
pub mod admin_settings;
pub mod audit;
pub mod config;
pub mod credentials;
pub mod disk;
pub mod error;
pub mod findings;
pub mod hook_admin;
pub mod hook_install;
pub mod hook_settings;
pub mod logging;
pub mod paged;
pub mod push;
pub mod quarantine;
pub mod repo_locks;
pub mod reviewed;
pub mod rule_admin;
pub mod rules;
pub mod scans;
pub mod scope;
pub mod settings;
pub mod status;
pub mod throttle;

use std::sync::Arc;

use keywarden_store::Store;

pub use config::Config;
pub use error::{CoreError, CoreResult};

/// The domain's state. Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct Core(Arc<Inner>);

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    rules_cache: rules::RulesCache,
    scans: scans::ScanRuntime,
}

impl Core {
    /// The domain over an opened store.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        Self(Arc::new(Inner {
            config,
            store,
            rules_cache: rules::RulesCache::default(),
            scans: scans::ScanRuntime::default(),
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

    /// The compiled rules, by configuration generation.
    pub fn rules_cache(&self) -> &rules::RulesCache {
        &self.0.rules_cache
    }

    /// The scan queue's in-process side: worker wake-ups, the blob cache.
    pub fn scans(&self) -> &scans::ScanRuntime {
        &self.0.scans
    }
}
