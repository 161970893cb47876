//! Input validation; every message names the field.

use keywarden_store::AccessLevel;

use crate::error::{ApiError, ApiResult};

/// A required, trimmed, non-empty text of at most `max` characters.
pub fn required(field: &str, value: Option<&str>, max: usize) -> ApiResult<String> {
    let v = value.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Err(ApiError::invalid(format!("{field}: must not be empty")));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{field}: must be at most {max} characters"
        )));
    }
    Ok(v.to_string())
}

/// A required name shown to people (a project's, a user's display name): as [`required`], and
/// without control characters, which would forge lines in logs, CSV files and pages.
pub fn display_name(field: &str, value: Option<&str>, max: usize) -> ApiResult<String> {
    let v = required(field, value, max)?;
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{field}: must not contain control characters (line breaks, tabs, escapes)"
        )));
    }
    Ok(v)
}

/// A project key: a letter, then letters, digits and `_`; returned upper-cased.
pub fn project_key(value: Option<&str>) -> ApiResult<String> {
    let key = required("key", value, 128)?;
    let mut chars = key.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(ApiError::invalid(
            "key: must start with a letter and contain only letters, digits and underscores",
        ));
    }
    Ok(key.to_uppercase())
}

/// A repository name: starts with a letter or digit; letters, digits, spaces, `-`, `_`, `.`.
pub fn repository_name(value: Option<&str>) -> ApiResult<String> {
    let name = required("name", value, 128)?;
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
    if !ok {
        return Err(ApiError::invalid(
            "name: must start with a letter or digit and contain only letters, digits, spaces, '-', '_' and '.'",
        ));
    }
    Ok(name)
}

/// The slug of a repository name: lower-case, spaces to `-`.
pub fn slugify(name: &str) -> String {
    name.trim().to_lowercase().replace(' ', "-")
}

/// A branch name safe to hand to git.
pub fn branch_name(field: &str, value: &str) -> ApiResult<String> {
    let v = value.trim().trim_start_matches("refs/heads/");
    let ok = !v.is_empty()
        && v.len() <= 255
        && !v.starts_with(['-', '/', '.'])
        && !v.ends_with(['/', '.'])
        && !v.ends_with(".lock")
        && !v.contains("..")
        && !v.contains("//")
        && !v.contains("@{")
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ApiError::invalid(format!(
            "{field}: '{value}' is not a valid branch name"
        )))
    }
}

/// A user name: letters, digits, `.`, `_`, `-`, `@`; not `.` or `..`, which name folders.
pub fn user_name(value: Option<&str>) -> ApiResult<String> {
    let name = required("name", value, 255)?;
    if name == "." || name == ".." {
        return Err(ApiError::invalid(format!(
            "name: '{name}' is not a user name: it would name a folder, not a user, in paths such as ~{name}"
        )));
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::invalid(
            "name: may contain only letters, digits, '.', '_', '-' and '@'",
        ))
    }
}

/// A `PROJECT_*` permission name.
pub fn project_permission(value: Option<&str>) -> ApiResult<AccessLevel> {
    match value.unwrap_or("") {
        "PROJECT_READ" => Ok(AccessLevel::Read),
        "PROJECT_WRITE" => Ok(AccessLevel::Write),
        "PROJECT_ADMIN" => Ok(AccessLevel::Admin),
        other => Err(ApiError::invalid(format!(
            "permission: '{other}' is not one of PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN"
        ))),
    }
}

/// A `REPO_*` permission name.
pub fn repository_permission(value: Option<&str>) -> ApiResult<AccessLevel> {
    match value.unwrap_or("") {
        "REPO_READ" => Ok(AccessLevel::Read),
        "REPO_WRITE" => Ok(AccessLevel::Write),
        "REPO_ADMIN" => Ok(AccessLevel::Admin),
        other => Err(ApiError::invalid(format!(
            "permission: '{other}' is not one of REPO_READ, REPO_WRITE, REPO_ADMIN"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_names_and_slugs() {
        assert_eq!(project_key(Some("proj_1")).unwrap(), "PROJ_1");
        assert!(
            project_key(Some("1abc"))
                .unwrap_err()
                .to_string()
                .starts_with("key:")
        );
        assert!(project_key(Some("~me")).is_err());
        assert_eq!(slugify("My Repo.x"), "my-repo.x");
        assert!(repository_name(Some("-x")).is_err());
        assert!(
            repository_name(Some(""))
                .unwrap_err()
                .to_string()
                .starts_with("name:")
        );
        assert_eq!(
            branch_name("defaultBranch", "refs/heads/dev").unwrap(),
            "dev"
        );
        assert!(branch_name("defaultBranch", "a..b").is_err());
        assert!(branch_name("defaultBranch", "-x").is_err());
        assert!(user_name(Some("a b")).is_err());
        assert!(user_name(Some(".")).is_err());
        assert!(user_name(Some("..")).is_err());
        assert_eq!(user_name(Some("a.b")).unwrap(), "a.b");
        assert!(display_name("name", Some("a\u{1b}[31mb"), 128).is_err());
        assert!(display_name("name", Some("line\nforged"), 128).is_err());
        assert_eq!(
            display_name("name", Some(" Ünïcode ok "), 128).unwrap(),
            "Ünïcode ok"
        );
    }
}
