//! Bitbucket paging: `start`/`limit` in, the paged envelope out.

use keywarden_store::{Page, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

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
    pub fn request(&self) -> ApiResult<PageRequest> {
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
) -> ApiResult<PageRequest> {
    let start = parse("start", start)?.unwrap_or(0);
    let limit = parse("limit", limit)?.unwrap_or(default);
    Ok(PageRequest::new(start, limit.clamp(1, max)))
}

fn parse(field: &str, value: Option<&str>) -> ApiResult<Option<u64>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            ApiError::invalid(format!(
                "{field}: must be a non-negative integer, not '{v}'"
            ))
        }),
    }
}

/// Renders a page as `{"size","limit","isLastPage","start","nextPageStart"?,"values"}`.
pub fn paged(page: Page<Value>) -> Value {
    let mut body = json!({
        "size": page.values.len(),
        "limit": page.limit,
        "isLastPage": page.is_last_page,
        "start": page.start,
    });
    if let Some(next) = page.next_page_start() {
        body["nextPageStart"] = json!(next);
    }
    body["values"] = Value::Array(page.values);
    body
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
        let last = paged(page_of(vec![json!(1), json!(2)], PageRequest::new(0, 5)));
        assert_eq!(last["isLastPage"], true);
        assert!(last.get("nextPageStart").is_none());
        let first = paged(page_of(vec![json!(1), json!(2)], PageRequest::new(0, 1)));
        assert_eq!(first["nextPageStart"], 1);
        assert_eq!(first["size"], 1);
    }
}
