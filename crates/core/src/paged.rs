//! Bitbucket paging: `start`/`limit` in, the paged envelope of every REST list out; and the
//! dates the shapes carry.

use keywarden_store::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{CoreError, CoreResult};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 25;
/// Largest page size; larger requests are clamped.
pub const MAX_LIMIT: u64 = 1000;

/// The paging query parameters, as strings so that bad values get a message naming them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 0-based offset.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub start: Option<String>,
    /// Page size (default 25; larger than 1000 is clamped to 1000).
    #[param(value_type = Option<u64>, minimum = 0)]
    pub limit: Option<String>,
}

impl PageParams {
    /// Validates and clamps into a [`PageRequest`].
    pub fn request(&self) -> CoreResult<PageRequest> {
        request(
            self.start.as_deref(),
            self.limit.as_deref(),
            DEFAULT_LIMIT,
            MAX_LIMIT,
        )
    }
}

/// Validates `start` and `limit` (names in messages) into a [`PageRequest`], with `default`
/// for a missing limit and larger limits clamped to `max`.
pub fn request(
    start: Option<&str>,
    limit: Option<&str>,
    default: u64,
    max: u64,
) -> CoreResult<PageRequest> {
    let start = parse("start", start)?.unwrap_or(0);
    let limit = parse("limit", limit)?.unwrap_or(default);
    Ok(PageRequest::new(start, limit.clamp(1, max)))
}

fn parse(field: &str, value: Option<&str>) -> CoreResult<Option<u64>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            CoreError::Invalid(format!(
                "{field}: must be a non-negative integer, not '{v}'"
            ))
        }),
    }
}

/// Pages a list that lives in memory (branches come from git, not the database).
pub fn page_of<T>(items: Vec<T>, request: PageRequest) -> Page<T> {
    let start = usize::try_from(request.start).unwrap_or(usize::MAX);
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let rows: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(limit.saturating_add(1))
        .collect();
    Page::from_rows(rows, request)
}

/// Bitbucket's paged list. `nextPageStart` is present unless `isLastPage`.
// Fields are in the order of their JSON names, as the answers have always listed them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// Whether no values follow.
    pub is_last_page: bool,
    /// The page size asked for (default 25, at most 1000).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: u64,
    /// The `start` of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    pub next_page_start: Option<u64>,
    /// The number of values on this page.
    #[schema(minimum = 0)]
    pub size: u64,
    /// The 0-based offset of this page.
    #[schema(minimum = 0)]
    pub start: u64,
    /// The values.
    pub values: Vec<T>,
}

impl<T> From<Page<T>> for Paged<T> {
    fn from(page: Page<T>) -> Self {
        Paged {
            next_page_start: page.next_page_start(),
            size: page.values.len() as u64,
            is_last_page: page.is_last_page,
            limit: page.limit,
            start: page.start,
            values: page.values,
        }
    }
}

impl<T> Paged<T> {
    /// A store page with its values converted.
    pub fn of<R>(page: Page<R>, f: impl FnMut(R) -> T) -> Self {
        page.map(f).into()
    }
}

/// Milliseconds since the Unix epoch as ISO 8601 UTC with seconds (`2024-09-07T00:01:12Z`).
pub fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_validates() {
        let p = PageParams {
            start: None,
            limit: Some("5000".into()),
        };
        assert_eq!(p.request().unwrap(), PageRequest::new(0, 1000));
        let p = PageParams {
            start: Some("-1".into()),
            limit: None,
        };
        assert!(p.request().unwrap_err().to_string().contains("start"));
        let p = PageParams::default();
        assert_eq!(p.request().unwrap(), PageRequest::new(0, 25));
    }

    #[test]
    fn envelope_omits_next_on_last_page() {
        let rows = |r| page_of(vec![1, 2], r);
        let last = serde_json::to_value(Paged::from(rows(PageRequest::new(0, 5)))).unwrap();
        assert_eq!(last["isLastPage"], true);
        assert!(last.get("nextPageStart").is_none());
        let first = serde_json::to_value(Paged::from(rows(PageRequest::new(0, 1)))).unwrap();
        assert_eq!(first["nextPageStart"], 1);
        assert_eq!(first["size"], 1);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_725_667_272_000), "2024-09-07T00:01:12Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
