//! The macro that implements [`crate::Store`] and every per-area store trait for a pool type,
//! with the SQL of each area (`<area>/sql.rs`). Both SQLite and PostgreSQL accept every
//! statement as written.

/// Implements [`crate::Store`] and its per-area traits for `$store`, a struct with a
/// `pool: sqlx::Pool<$db>` field and a `begin_write` method.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
        $crate::users::sql::impl_users!($store, $db, $backend);
        $crate::projects::sql::impl_projects!($store, $db, $backend);
        $crate::permissions::sql::impl_permissions!($store, $db, $backend);
        $crate::settings::sql::impl_settings!($store, $db, $backend);
        $crate::rules::sql::impl_rules!($store, $db, $backend);
        $crate::audit::sql::impl_audit!($store, $db, $backend);
        $crate::blobs::sql::impl_blobs!($store, $db, $backend);
        $crate::jobs::sql::impl_jobs!($store, $db, $backend);
        $crate::scans::sql::impl_scans!($store, $db, $backend);
        $crate::status::sql::impl_status!($store, $db, $backend);
        $crate::sessions::sql::impl_sessions!($store, $db, $backend);
    };
}

pub(crate) use impl_store;
