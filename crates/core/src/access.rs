//! Who may do what (SPEC 10): global admins everything; the owner of `~user` is admin there;
//! project grants apply to all the project's repositories; higher levels imply lower ones.

use keywarden_store::{AccessLevel, Project, Repository, User, Viewer};

use crate::Core;
use crate::error::{CoreError, CoreResult};
use crate::scope::Scope;

/// The signed-in user and what the request's credentials allow ([`Scope::FULL`] for a password
/// or a UI session, the token's permissions for a personal access token).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User, pub Scope);

impl CurrentUser {
    /// The viewer for store queries that filter by visibility. Every token may read what its
    /// owner reads, so visibility follows the owner.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.0.id,
            admin: self.0.admin,
        }
    }

    /// Whether the request may act as a global administrator: the user is one and the
    /// credentials allow administration.
    pub fn is_admin(&self) -> bool {
        self.0.admin && self.1.admin
    }
}

/// A user's effective levels on a project and (optionally) one of its repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    /// On the project itself.
    pub project: Option<AccessLevel>,
    /// On the repository (the higher of its own grant and the project's).
    pub repository: Option<AccessLevel>,
    /// Whether the project is visible (any grant on it or on one of its repositories).
    pub project_visible: bool,
}

/// Computes a user's effective levels: the owner's rights, capped by the request's
/// credentials (a personal access token's permissions).
pub async fn effective(
    state: &Core,
    user: &CurrentUser,
    project: &Project,
    repository: Option<&Repository>,
) -> CoreResult<Effective> {
    let owner = owner_effective(state, user, project, repository).await?;
    let scope = &user.1;
    Ok(Effective {
        project: owner.project.min(scope.project_cap()),
        repository: owner.repository.min(scope.repository_cap()),
        project_visible: owner.project_visible,
    })
}

/// The user's own levels, whatever the credentials allow.
async fn owner_effective(
    state: &Core,
    user: &CurrentUser,
    project: &Project,
    repository: Option<&Repository>,
) -> CoreResult<Effective> {
    if user.0.admin || project.owner_id == Some(user.0.id) {
        let all = Some(AccessLevel::Admin);
        return Ok(Effective {
            project: all,
            repository: repository.and(all),
            project_visible: true,
        });
    }
    let grants = state
        .store()
        .grants(user.0.id, project.id, repository.map(|r| r.id))
        .await?;
    let repo = repository.and(grants.project.max(grants.repository));
    Ok(Effective {
        project: grants.project,
        repository: repo,
        project_visible: grants.project.is_some() || grants.any_repository,
    })
}

/// The refusal for a request whose credentials allow less than `need`: names the token's
/// permissions when they, not the user's own rights, are what is missing.
fn refusal(user: &CurrentUser, owner_allowed: bool, need: &str) -> CoreError {
    if owner_allowed {
        CoreError::Forbidden(format!(
            "The access token's permissions ({}) do not allow this; it needs {need}.",
            user.1.names().join(", ")
        ))
    } else {
        CoreError::forbidden()
    }
}

fn level_word(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Read => "READ",
        AccessLevel::Write => "WRITE",
        AccessLevel::Admin => "ADMIN",
    }
}

/// Loads a project by key (404 `NoSuchProjectException`).
pub async fn load_project(state: &Core, key: &str) -> CoreResult<Project> {
    state
        .store()
        .project_by_key(key)
        .await?
        .ok_or_else(|| CoreError::NoSuchProject(key.into()))
}

/// Loads a project and checks the user's level on it. For [`AccessLevel::Read`], any grant in
/// the project (also on one repository) is enough to see it.
pub async fn project_with(
    state: &Core,
    user: &CurrentUser,
    key: &str,
    need: AccessLevel,
) -> CoreResult<Project> {
    let project = load_project(state, key).await?;
    let eff = effective(state, user, &project, None).await?;
    let allowed = match need {
        AccessLevel::Read => eff.project_visible,
        _ => eff.project >= Some(need),
    };
    if allowed {
        return Ok(project);
    }
    let owner = owner_effective(state, user, &project, None).await?;
    Err(refusal(
        user,
        owner.project >= Some(need),
        &format!("PROJECT_{}", level_word(need)),
    ))
}

/// Loads a repository by project key and slug (404s name what is missing), without checks.
pub async fn load_repository(
    state: &Core,
    key: &str,
    slug: &str,
) -> CoreResult<(Project, Repository)> {
    let no_repo = || CoreError::NoSuchRepository {
        project: key.into(),
        slug: slug.into(),
    };
    let project = state
        .store()
        .project_by_key(key)
        .await?
        .ok_or_else(no_repo)?;
    let repository = state
        .store()
        .repository_by_slug(project.id, slug)
        .await?
        .ok_or_else(no_repo)?;
    Ok((project, repository))
}

/// Loads a repository and checks the user's level on it.
pub async fn repository_with(
    state: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
    need: AccessLevel,
) -> CoreResult<(Project, Repository)> {
    let (project, repository) = load_repository(state, key, slug).await?;
    let eff = effective(state, user, &project, Some(&repository)).await?;
    if eff.repository >= Some(need) {
        return Ok((project, repository));
    }
    let owner = owner_effective(state, user, &project, Some(&repository)).await?;
    Err(refusal(
        user,
        owner.repository >= Some(need),
        &format!("REPO_{}", level_word(need)),
    ))
}

/// Requires a global administrator.
pub fn require_admin(user: &CurrentUser) -> CoreResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(refusal(user, user.0.admin, "ADMIN_WRITE"))
    }
}

/// Requires a global administrator or a user granted global app access in the security
/// settings (SPEC 10: settings, rules, global reviewed, log level, audit).
pub async fn require_security_admin(state: &Core, user: &CurrentUser) -> CoreResult<()> {
    if admin_or_app_access(state, user).await? {
        Ok(())
    } else {
        let owner_allowed = user.0.admin || owner_has_app_access(state, user).await?;
        Err(refusal(user, owner_allowed, "ADMIN_WRITE"))
    }
}

/// Whether the user is a global administrator or was granted global app access (SPEC 10).
pub async fn admin_or_app_access(state: &Core, user: &CurrentUser) -> CoreResult<bool> {
    Ok(user.is_admin() || has_app_access(state, user).await?)
}

/// Whether the user was granted global app access (admins are not listed there) and the
/// credentials allow administration (`ADMIN_WRITE` for a token).
pub async fn has_app_access(state: &Core, user: &CurrentUser) -> CoreResult<bool> {
    Ok(user.1.admin && owner_has_app_access(state, user).await?)
}

async fn owner_has_app_access(state: &Core, user: &CurrentUser) -> CoreResult<bool> {
    let settings = crate::settings::SecuritySettings::load(state.store()).await?;
    Ok(settings.has_app_access(&user.0.name))
}

/// A repository whose security features of repository scope the user may use (SPEC 10:
/// status, scans, results, export, repository review): administrators, app access, or write
/// access to the repository.
pub async fn security_repository(
    state: &Core,
    user: &CurrentUser,
    key: &str,
    slug: &str,
) -> CoreResult<(Project, Repository)> {
    if admin_or_app_access(state, user).await? {
        return load_repository(state, key, slug).await;
    }
    repository_with(state, user, key, slug, AccessLevel::Write).await
}

/// A project whose status, rescans and export the user may use: administrators, app access,
/// or project administrators (SPEC 10). The caller still counts only readable repositories.
pub async fn project_for_status(
    state: &Core,
    user: &CurrentUser,
    key: &str,
) -> CoreResult<Project> {
    if admin_or_app_access(state, user).await? {
        return load_project(state, key).await;
    }
    project_with(state, user, key, AccessLevel::Admin).await
}
