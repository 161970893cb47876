//! What a personal access token may do: Bitbucket's token permissions. A token's permissions cap
//! its owner's rights, never extend them: the owner's level on a project or repository is
//! lowered to the token's, and global administration needs `ADMIN_WRITE`. Passwords and UI
//! sessions carry [`Scope::FULL`].

use keywarden_store::AccessLevel;

/// The permissions a token is allowed, normalised: the highest project level, the highest
/// repository level and whether it may administer the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The cap on project rights (`PROJECT_*`).
    pub project: Option<AccessLevel>,
    /// The cap on repository rights (`REPO_*`).
    pub repository: Option<AccessLevel>,
    /// Whether global administration and security administration are allowed (`ADMIN_WRITE`).
    pub admin: bool,
}

/// Every permission a token may be given, in the order they are listed.
pub const PERMISSIONS: [&str; 7] = [
    "ADMIN_WRITE",
    "PROJECT_READ",
    "PROJECT_WRITE",
    "PROJECT_ADMIN",
    "REPO_READ",
    "REPO_WRITE",
    "REPO_ADMIN",
];

fn level_name(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Read => "READ",
        AccessLevel::Write => "WRITE",
        AccessLevel::Admin => "ADMIN",
    }
}

fn level_of(name: &str) -> Option<AccessLevel> {
    match name {
        "READ" => Some(AccessLevel::Read),
        "WRITE" => Some(AccessLevel::Write),
        "ADMIN" => Some(AccessLevel::Admin),
        _ => None,
    }
}

impl Scope {
    /// Everything the owner may do: passwords, UI sessions and tokens created without a list.
    pub const FULL: Scope = Scope {
        project: Some(AccessLevel::Admin),
        repository: Some(AccessLevel::Admin),
        admin: true,
    };

    /// Parses a token's permission list; the error names the value that is not a permission.
    /// `ADMIN_WRITE` implies every project and repository permission; a project permission
    /// implies the same on the project's repositories (applied by [`Scope::repository_cap`]).
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Scope, String> {
        if names.is_empty() {
            return Err(format!(
                "A token needs at least one permission, one of {}.",
                PERMISSIONS.join(", ")
            ));
        }
        let mut scope = Scope {
            project: None,
            repository: None,
            admin: false,
        };
        for name in names {
            let name = name.as_ref();
            if name == "ADMIN_WRITE" {
                scope = Scope::FULL;
                continue;
            }
            let parsed = name
                .split_once('_')
                .and_then(|(kind, level)| Some((kind, level_of(level)?)));
            match parsed {
                Some(("PROJECT", level)) => scope.project = scope.project.max(Some(level)),
                Some(("REPO", level)) => scope.repository = scope.repository.max(Some(level)),
                _ => {
                    return Err(format!(
                        "'{name}' is not a token permission; use one of {}.",
                        PERMISSIONS.join(", ")
                    ));
                }
            }
        }
        Ok(scope)
    }

    /// The scope stored with a token (`PROJECT_READ,REPO_WRITE`). A stored list that no longer
    /// parses allows nothing beyond reading, so a damaged row never widens a token.
    pub fn from_stored(stored: &str) -> Scope {
        let names: Vec<&str> = stored.split(',').filter(|n| !n.is_empty()).collect();
        Scope::parse(&names).unwrap_or(Scope {
            project: None,
            repository: Some(AccessLevel::Read),
            admin: false,
        })
    }

    /// The permission names, normalised (`["PROJECT_READ", "REPO_WRITE"]`).
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.admin {
            out.push("ADMIN_WRITE".to_string());
        }
        if let Some(level) = self.project {
            out.push(format!("PROJECT_{}", level_name(level)));
        }
        if let Some(level) = self.repository {
            out.push(format!("REPO_{}", level_name(level)));
        }
        out
    }

    /// The form stored with a token.
    pub fn stored(&self) -> String {
        self.names().join(",")
    }

    /// The highest level allowed on a project.
    pub fn project_cap(&self) -> Option<AccessLevel> {
        self.project
    }

    /// The highest level allowed on a repository: its own permission or the project's.
    pub fn repository_cap(&self) -> Option<AccessLevel> {
        self.repository.max(self.project)
    }

    /// Whether everything `other` allows, this allows too.
    pub fn covers(&self, other: &Scope) -> bool {
        (self.admin || !other.admin)
            && self.project_cap() >= other.project_cap()
            && self.repository_cap() >= other.repository_cap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let s = Scope::parse(&["REPO_READ", "PROJECT_WRITE", "REPO_WRITE"]).unwrap();
        assert_eq!(s.names(), ["PROJECT_WRITE", "REPO_WRITE"]);
        assert_eq!(s.repository_cap(), Some(AccessLevel::Write));
        assert!(!s.admin);
        let p = Scope::parse(&["PROJECT_ADMIN"]).unwrap();
        assert_eq!(p.repository_cap(), Some(AccessLevel::Admin));
        assert_eq!(Scope::parse(&["ADMIN_WRITE"]).unwrap(), Scope::FULL);
        assert_eq!(
            Scope::FULL.names(),
            ["ADMIN_WRITE", "PROJECT_ADMIN", "REPO_ADMIN"]
        );
    }

    #[test]
    fn refuses_what_is_not_a_permission() {
        for bad in ["SYS_ADMIN", "REPO_DELETE", "repo_read", "", "PROJECT"] {
            let err = Scope::parse(&[bad]).unwrap_err();
            assert!(err.contains("is not a token permission"), "{bad}: {err}");
        }
        assert!(
            Scope::parse::<&str>(&[])
                .unwrap_err()
                .contains("at least one")
        );
    }

    #[test]
    fn stored_round_trip_and_damage() {
        let s = Scope::parse(&["REPO_ADMIN", "PROJECT_READ"]).unwrap();
        assert_eq!(Scope::from_stored(&s.stored()), s);
        let damaged = Scope::from_stored("REPO_???");
        assert_eq!(damaged.repository_cap(), Some(AccessLevel::Read));
        assert!(!damaged.admin);
    }

    #[test]
    fn covers() {
        let read = Scope::parse(&["REPO_READ"]).unwrap();
        let write = Scope::parse(&["PROJECT_WRITE"]).unwrap();
        assert!(write.covers(&read));
        assert!(!read.covers(&write));
        assert!(Scope::FULL.covers(&write));
        assert!(!write.covers(&Scope::FULL));
    }
}
