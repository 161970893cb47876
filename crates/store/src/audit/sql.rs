//! The SQL of [`super::AuditStore`], shared by both backends.

/// Implements [`crate::AuditStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_audit {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::AuditStore for $store {
            async fn append_audit(
                &self,
                event: $crate::NewAuditEvent,
            ) -> $crate::Result<$crate::AuditEvent> {
                Ok(sqlx::query_as(
                    "INSERT INTO audit_events \
                     (created_at, user_name, action, project_key, repository_slug, details) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING id, created_at, user_name, action, project_key, repository_slug, details",
                )
                .bind($crate::now_millis())
                .bind(&event.user_name)
                .bind(&event.action)
                .bind(&event.project_key)
                .bind(&event.repository_slug)
                .bind(&event.details)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn list_audit(
                &self,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::AuditEvent>> {
                let rows = sqlx::query_as(
                    "SELECT id, created_at, user_name, action, project_key, repository_slug, details \
                     FROM audit_events ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                )
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            // ---- scans and status ----
        }
    };
}

pub(crate) use impl_audit;
