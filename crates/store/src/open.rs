//! Choosing and opening a backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{PostgresStore, SqliteStore, Store};

/// Where the database is.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseLocation {
    /// The location for a `--database-url`, or the default SQLite file in `data_dir`.
    pub fn from_url_or_data_dir(url: Option<&str>, data_dir: &Path) -> Self {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Self::Postgres(u.to_string())
            }
            Some(u) => Self::Sqlite(PathBuf::from(
                u.strip_prefix("sqlite://")
                    .or_else(|| u.strip_prefix("sqlite:"))
                    .unwrap_or(u),
            )),
            None => Self::Sqlite(data_dir.join("keywarden.db")),
        }
    }
}

impl std::fmt::Debug for DatabaseLocation {
    /// Never prints a PostgreSQL password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    write!(f, "{}://***{}", &url[..scheme], &url[at..])
                }
                _ => write!(f, "{url}"),
            },
        }
    }
}

/// Opens the store at `location` and applies its migrations.
pub async fn open(location: &DatabaseLocation) -> crate::Result<Arc<dyn Store>> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(SqliteStore::open_file(path).await?),
        DatabaseLocation::Postgres(url) => Arc::new(PostgresStore::open_url(url).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_from_url() {
        let dir = Path::new("data");
        assert_eq!(
            DatabaseLocation::from_url_or_data_dir(None, dir),
            DatabaseLocation::Sqlite(dir.join("keywarden.db"))
        );
        let pg = DatabaseLocation::from_url_or_data_dir(Some("postgres://u:secret@h/db"), dir);
        assert_eq!(format!("{pg:?}"), "postgres://***@h/db");
        assert_eq!(
            DatabaseLocation::from_url_or_data_dir(Some("sqlite:/x.db"), dir),
            DatabaseLocation::Sqlite(PathBuf::from("/x.db"))
        );
    }
}
