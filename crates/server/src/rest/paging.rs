//! Bitbucket paging for the handlers whose answers are still built as JSON values: the
//! parameters and the envelope are [`keywarden_core::paged`]'s.

use keywarden_store::Page;
use serde_json::Value;

pub use keywarden_core::paged::{DEFAULT_LIMIT, MAX_LIMIT, PageParams, Paged, page_of, request};

/// Renders a page as `{"size","limit","isLastPage","start","nextPageStart"?,"values"}`.
pub fn paged(page: Page<Value>) -> Value {
    serde_json::to_value(Paged::from(page)).unwrap_or(Value::Null)
}
