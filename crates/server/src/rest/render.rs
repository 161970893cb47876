//! JSON renderings of users, projects and repositories in Bitbucket's shapes.

use keywarden_store::{AccessLevel, Project, Repository, User};
use serde_json::{Value, json};

/// A user.
pub fn user(u: &User, base: &str) -> Value {
    let slug = u.name.to_lowercase();
    json!({
        "name": u.name,
        "emailAddress": u.email,
        "id": u.id,
        "displayName": u.display_name,
        "active": true,
        "slug": slug,
        "type": "NORMAL",
        "links": { "self": [{ "href": format!("{base}/users/{slug}") }] },
    })
}

/// A project; `owner` is rendered for personal projects.
pub fn project(p: &Project, owner: Option<&User>, base: &str) -> Value {
    let mut v = json!({
        "key": p.key,
        "id": p.id,
        "name": p.name,
        "public": false,
        "type": if p.is_personal() { "PERSONAL" } else { "NORMAL" },
        "links": { "self": [{ "href": format!("{base}/projects/{}", p.key) }] },
    });
    if let Some(d) = &p.description {
        v["description"] = json!(d);
    }
    if let Some(o) = owner {
        v["owner"] = user(o, base);
    }
    v
}

/// The HTTP clone URL of a repository.
pub fn clone_url(p: &Project, r: &Repository, base: &str) -> String {
    format!("{base}/scm/{}/{}.git", p.key.to_lowercase(), r.slug)
}

/// A repository with its project.
pub fn repository(r: &Repository, p: &Project, owner: Option<&User>, base: &str) -> Value {
    json!({
        "slug": r.slug,
        "id": r.id,
        "name": r.name,
        "hierarchyId": format!("{:020x}", r.id),
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": true,
        "defaultBranch": r.default_branch,
        "project": project(p, owner, base),
        "public": false,
        "archived": false,
        "links": {
            "clone": [{ "href": clone_url(p, r, base), "name": "http" }],
            "self": [{ "href": format!("{base}/projects/{}/repos/{}/browse", p.key, r.slug) }],
        },
    })
}

/// A branch.
pub fn branch(name: &str, commit: &str, is_default: bool) -> Value {
    json!({
        "id": format!("refs/heads/{name}"),
        "displayId": name,
        "type": "BRANCH",
        "latestCommit": commit,
        "latestChangeset": commit,
        "isDefault": is_default,
    })
}

/// A project permission name for a level.
pub fn project_permission(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Read => "PROJECT_READ",
        AccessLevel::Write => "PROJECT_WRITE",
        AccessLevel::Admin => "PROJECT_ADMIN",
    }
}

/// A repository permission name for a level.
pub fn repository_permission(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Read => "REPO_READ",
        AccessLevel::Write => "REPO_WRITE",
        AccessLevel::Admin => "REPO_ADMIN",
    }
}
