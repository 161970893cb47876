//! Path and query parameters shared by the scan, status and export endpoints.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// The `{project}` of a path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProjectPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    pub project: String,
}

/// The `{project}` and `{repo}` of a path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RepositoryPath {
    /// The project key (any case; `~user` for a personal project)
    #[param(example = "PROJ")]
    pub project: String,
    /// The repository slug
    #[param(example = "repo")]
    pub repo: String,
}

/// A boolean query parameter: `true` or `false` (any case); absent or empty is `default`.
pub fn flag(field: &str, value: Option<&str>, default: bool) -> ApiResult<bool> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::invalid(format!(
            "{field}: must be true or false, not '{v}'"
        ))),
    }
}

/// An ISO 8601 instant (`2024-09-07T00:01:12Z`, an offset, or a bare date meaning midnight
/// UTC) as milliseconds since the epoch.
pub fn instant(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(format!(
            "{field}: '{v}' is not an ISO 8601 date, e.g. 2024-09-07T00:01:12Z"
        ))
    };
    if let Ok(ts) = v.parse::<jiff::Timestamp>() {
        return Ok(Some(ts.as_millisecond()));
    }
    if let Ok(date) = v.parse::<jiff::civil::Date>() {
        let ts = date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        return Ok(Some(ts.as_millisecond()));
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_dates() {
        assert!(flag("x", Some("TRUE"), false).unwrap());
        assert!(!flag("x", None, false).unwrap());
        assert!(
            flag("x", Some("yes"), false)
                .unwrap_err()
                .to_string()
                .contains("x:")
        );
        assert_eq!(
            instant("d", Some("1970-01-01T00:00:01Z")).unwrap(),
            Some(1000)
        );
        assert_eq!(instant("d", Some("1970-01-02")).unwrap(), Some(86_400_000));
        assert_eq!(
            instant("d", Some("1970-01-01T01:00:00+01:00")).unwrap(),
            Some(0)
        );
        assert!(
            instant("startDate", Some("yesterday"))
                .unwrap_err()
                .to_string()
                .contains("startDate")
        );
    }
}
