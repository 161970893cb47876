//! Schemas of the Bitbucket subset's JSON (the shapes [`crate::rest::render`] and the handlers
//! build), for the OpenAPI document. The fuzz test (`tests/it/openapi.rs`) checks every answer
//! against them.

use utoipa::ToSchema;

/// Bitbucket's error envelope: every 4xx and 5xx answer of the REST API (but the plain-text
/// XSRF refusal).
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    /// One entry (Keywarden reports one error at a time).
    pub errors: Vec<ErrorItem>,
}

/// One error of the envelope.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ErrorItem {
    /// Always `null`.
    #[schema(required = true, value_type = Option<String>)]
    pub context: (),
    /// What went wrong; for bad input it names the field.
    pub message: String,
    /// The Bitbucket exception class, e.g. `com.atlassian.bitbucket.repository.NoSuchRepositoryException`.
    #[schema(required = true)]
    pub exception_name: Option<String>,
}

/// A link.
#[derive(ToSchema)]
pub struct Link {
    /// The URL.
    pub href: String,
}

/// A clone link.
#[derive(ToSchema)]
pub struct CloneLink {
    /// The clone URL.
    pub href: String,
    /// The protocol, `http`.
    pub name: String,
}

/// `{"self":[{"href":...}]}`.
#[derive(ToSchema)]
pub struct SelfLinks {
    /// The entity's own page.
    #[schema(rename = "self")]
    pub self_: Vec<Link>,
}

/// The links of a repository.
#[derive(ToSchema)]
pub struct RepositoryLinks {
    /// The HTTP clone URL.
    pub clone: Vec<CloneLink>,
    /// The repository's page.
    #[schema(rename = "self")]
    pub self_: Vec<Link>,
}

/// `NORMAL` (always, for users).
#[derive(ToSchema)]
pub enum UserType {
    /// A normal user.
    #[schema(rename = "NORMAL")]
    Normal,
}

/// A user.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct User {
    /// The username.
    pub name: String,
    /// The e-mail address, `null` when none.
    #[schema(required = true)]
    pub email_address: Option<String>,
    /// Database id.
    pub id: i64,
    /// The display name.
    pub display_name: String,
    /// Always `true`.
    pub active: bool,
    /// The lower-cased username.
    pub slug: String,
    /// Always `NORMAL`.
    #[schema(rename = "type")]
    pub type_: UserType,
    /// Links.
    pub links: SelfLinks,
}

/// A project.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Project {
    /// The key.
    pub key: String,
    /// Database id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The description; absent when none.
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// Always `false`.
    pub public: bool,
    /// The project type.
    #[schema(rename = "type")]
    pub type_: keywarden_core::status::ProjectType,
    /// The owner of a personal project (single project answers only).
    #[schema(nullable = false)]
    pub owner: Option<User>,
    /// Links.
    pub links: SelfLinks,
}

/// A repository.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Repository {
    /// The URL name.
    pub slug: String,
    /// Database id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The id as 20 hex digits.
    pub hierarchy_id: String,
    /// Always `git`.
    pub scm_id: String,
    /// Always `AVAILABLE`.
    pub state: String,
    /// Always `Available`.
    pub status_message: String,
    /// Always `true`.
    pub forkable: bool,
    /// The default branch name (without `refs/heads/`).
    pub default_branch: String,
    /// The project.
    pub project: Project,
    /// Always `false`.
    pub public: bool,
    /// Always `false`.
    pub archived: bool,
    /// Clone and self links.
    pub links: RepositoryLinks,
}

/// A branch.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Branch {
    /// `refs/heads/NAME`.
    pub id: String,
    /// `NAME`.
    pub display_id: String,
    /// Always `BRANCH`.
    #[schema(rename = "type")]
    pub type_: String,
    /// The tip commit.
    pub latest_commit: String,
    /// The tip commit (Bitbucket's older name).
    pub latest_changeset: String,
    /// Whether it is the repository's default branch.
    pub is_default: bool,
}

/// The answer of a repository deletion (202).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DeletionScheduled {
    /// Always `null`.
    #[schema(required = true, value_type = Option<String>)]
    pub context: (),
    /// `Repository scheduled for deletion.`
    pub message: String,
    /// Always `null`.
    #[schema(required = true, value_type = Option<String>)]
    pub exception_name: (),
}

/// A project permission.
#[derive(ToSchema)]
pub enum ProjectPermission {
    /// Read.
    #[schema(rename = "PROJECT_READ")]
    Read,
    /// Write.
    #[schema(rename = "PROJECT_WRITE")]
    Write,
    /// Admin.
    #[schema(rename = "PROJECT_ADMIN")]
    Admin,
}

/// A repository permission.
#[derive(ToSchema)]
pub enum RepositoryPermission {
    /// Read.
    #[schema(rename = "REPO_READ")]
    Read,
    /// Write.
    #[schema(rename = "REPO_WRITE")]
    Write,
    /// Admin.
    #[schema(rename = "REPO_ADMIN")]
    Admin,
}

/// A user's grant on a project.
#[derive(ToSchema)]
pub struct ProjectGrant {
    /// The user.
    pub user: User,
    /// The permission.
    pub permission: ProjectPermission,
}

/// A user's grant on a repository.
#[derive(ToSchema)]
pub struct RepositoryGrant {
    /// The user.
    pub user: User,
    /// The permission.
    pub permission: RepositoryPermission,
}

/// A global permission of `PUT /admin/permissions/users`.
#[derive(ToSchema)]
pub enum GlobalPermission {
    /// Administrator.
    #[schema(rename = "ADMIN")]
    Admin,
    /// Administrator (Bitbucket's system administrator).
    #[schema(rename = "SYS_ADMIN")]
    SysAdmin,
    /// Not an administrator.
    #[schema(rename = "PROJECT_CREATE")]
    ProjectCreate,
    /// Not an administrator.
    #[schema(rename = "LICENSED_USER")]
    LicensedUser,
}
