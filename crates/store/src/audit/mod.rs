//! The audit log.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// The audit log. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait AuditStore {
    /// Records an audit event.
    async fn append_audit(&self, event: NewAuditEvent) -> Result<AuditEvent>;

    /// A page of the audit log, newest first.
    async fn list_audit(&self, page: PageRequest) -> Result<Page<AuditEvent>>;
}
