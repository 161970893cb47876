//! The rows the store reads and writes, as plain data.

/// A user account.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// The username, as given at creation (matched case-insensitively).
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// E-mail address, if any.
    pub email: Option<String>,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
    /// Global administrator.
    pub admin: bool,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// What is needed to create a user.
#[derive(Clone)]
pub struct NewUser {
    /// The username.
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// E-mail address, if any.
    pub email: Option<String>,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
    /// Global administrator.
    pub admin: bool,
}

/// A personal access token (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessToken {
    /// Database id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// The name the user gave it.
    pub name: String,
    /// The public lookup part of the token.
    pub key_id: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The permissions that cap what the token may do, comma-separated (`PROJECT_READ,REPO_WRITE`).
    pub permissions: String,
    /// When the token stops working, milliseconds since the Unix epoch; `None` for never.
    pub expires_at: Option<i64>,
    /// When the token last authenticated a request, milliseconds since the Unix epoch.
    pub last_used_at: Option<i64>,
}

/// What a new personal access token is made of.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// The owner.
    pub user_id: i64,
    /// The name the user gave it.
    pub name: &'a str,
    /// The public lookup part of the token.
    pub key_id: &'a str,
    /// The argon2 hash of the whole token.
    pub token_hash: &'a str,
    /// The permissions, comma-separated.
    pub permissions: &'a str,
    /// When it expires, milliseconds since the Unix epoch; `None` for never.
    pub expires_at: Option<i64>,
}

/// A project: a normal one with a key like `PROJ`, or a user's personal one (`~NAME`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Project {
    /// Database id.
    pub id: i64,
    /// The key: upper-case for normal projects, `~` and the upper-cased username for personal ones.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// The owner of a personal project; `None` for normal projects.
    pub owner_id: Option<i64>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl Project {
    /// Whether this is a user's personal project.
    pub fn is_personal(&self) -> bool {
        self.owner_id.is_some()
    }
}

/// What is needed to create a normal project.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The key (already validated and upper-cased).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
}

/// A hosted Git repository.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Repository {
    /// Database id.
    pub id: i64,
    /// The project it belongs to.
    pub project_id: i64,
    /// URL name, unique in its project.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The default branch name (without `refs/heads/`).
    pub default_branch: String,
    /// Directory name of the bare repository under the data directory's repository root.
    pub disk_name: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// What is needed to create a repository row.
#[derive(Debug, Clone)]
pub struct NewRepository {
    /// The project it belongs to.
    pub project_id: i64,
    /// URL name, unique in its project.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The default branch name.
    pub default_branch: String,
    /// Directory name of the bare repository (created before the row).
    pub disk_name: String,
}

/// A permission level on a project or repository; higher implies lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    /// Clone, fetch, browse.
    Read = 1,
    /// Push.
    Write = 2,
    /// Manage permissions and settings, delete.
    Admin = 3,
}

impl AccessLevel {
    /// The number stored in the database.
    pub fn as_i64(self) -> i64 {
        self as i64
    }

    /// The level for a stored number.
    pub fn from_i64(n: i64) -> crate::Result<Self> {
        match n {
            1 => Ok(Self::Read),
            2 => Ok(Self::Write),
            3 => Ok(Self::Admin),
            _ => Err(crate::StoreError::Corrupt(format!("permission level {n}"))),
        }
    }
}

/// A user's grant on a project or repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGrant {
    /// The user.
    pub user: User,
    /// The granted level.
    pub level: AccessLevel,
}

/// The explicit grants that decide what one user may do with one repository (or project).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grants {
    /// The user's grant on the project, if any.
    pub project: Option<AccessLevel>,
    /// The user's grant on the repository, if a repository was asked for and there is one.
    pub repository: Option<AccessLevel>,
    /// Whether the user has a grant on any repository of the project (makes the project visible).
    pub any_repository: bool,
}

/// The two kinds of projects, for lists filtered by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    /// A normal (team) project.
    Normal,
    /// A user's personal project `~name`.
    Personal,
}

impl ProjectKind {
    /// The number the status queries compare with (0 means every kind).
    pub(crate) fn code(kind: Option<ProjectKind>) -> i64 {
        match kind {
            None => 0,
            Some(ProjectKind::Normal) => 1,
            Some(ProjectKind::Personal) => 2,
        }
    }
}

/// Who is asking, for queries that only return what the viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The user's id.
    pub user_id: i64,
    /// Global administrators see everything.
    pub admin: bool,
}

/// Where an explicit security hook setting applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookScope {
    /// A project (by id).
    Project(i64),
    /// A repository (by id).
    Repository(i64),
}

/// An explicit hook setting at one scope. No setting means "inherited".
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct HookSetting {
    /// Enabled (`true`) or disabled (`false`) at this scope.
    pub enabled: bool,
    /// `warnOnVulnerabilities`: warn instead of blocking.
    pub warn: bool,
}

/// An audit event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// Who did it (`None` for the system, e.g. a scheduled scan).
    pub user_name: Option<String>,
    /// What happened, e.g. `HOOK_BYPASSED` (UPPER_SNAKE by convention).
    pub action: String,
    /// The project concerned, if any.
    pub project_key: Option<String>,
    /// The repository concerned, if any.
    pub repository_slug: Option<String>,
    /// The details, a JSON object as text (never a secret).
    pub details: String,
}

/// A recorded audit event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEvent {
    /// Database id (increasing).
    pub id: i64,
    /// When, milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Who did it.
    pub user_name: Option<String>,
    /// What happened.
    pub action: String,
    /// The project concerned, if any.
    pub project_key: Option<String>,
    /// The repository concerned, if any.
    pub repository_slug: Option<String>,
    /// The details, a JSON object as text.
    pub details: String,
}
