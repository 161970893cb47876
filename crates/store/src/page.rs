//! Offset paging, done in the database.

/// Which slice of a list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 0-based offset.
    pub start: u64,
    /// Maximum number of values (at least 1).
    pub limit: u64,
}

impl PageRequest {
    /// A request for `limit` values from `start`.
    pub fn new(start: u64, limit: u64) -> Self {
        Self {
            start,
            limit: limit.max(1),
        }
    }

    /// The SQL `LIMIT`: one more than asked, to learn whether this is the last page.
    pub(crate) fn sql_limit(&self) -> i64 {
        i64::try_from(self.limit.saturating_add(1)).unwrap_or(i64::MAX)
    }

    /// The SQL `OFFSET`.
    pub(crate) fn sql_offset(&self) -> i64 {
        i64::try_from(self.start).unwrap_or(i64::MAX)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The values on this page.
    pub values: Vec<T>,
    /// The request's offset.
    pub start: u64,
    /// The request's limit.
    pub limit: u64,
    /// Whether no values follow this page.
    pub is_last_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows read at `request`.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let is_last_page = rows.len() <= limit;
        rows.truncate(limit);
        Self {
            values: rows,
            start: request.start,
            limit: request.limit,
            is_last_page,
        }
    }

    /// The offset of the next page, if there is one.
    pub fn next_page_start(&self) -> Option<u64> {
        (!self.is_last_page).then(|| self.start + self.values.len() as u64)
    }

    /// Converts the values, keeping the paging information.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            values: self.values.into_iter().map(f).collect(),
            start: self.start,
            limit: self.limit,
            is_last_page: self.is_last_page,
        }
    }
}

/// A case-insensitive substring pattern for `LIKE ... ESCAPE '\'` on a lower-cased column.
pub(crate) fn contains_pattern(filter: Option<&str>) -> String {
    let mut pattern = String::from("%");
    for c in filter.unwrap_or("").to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(contains_pattern(None), "%%");
        assert_eq!(contains_pattern(Some("A_b%")), "%a\\_b\\%%");
    }

    #[test]
    fn page_from_rows() {
        let p = Page::from_rows(vec![1, 2, 3], PageRequest::new(10, 2));
        assert_eq!(p.values, vec![1, 2]);
        assert!(!p.is_last_page);
        assert_eq!(p.next_page_start(), Some(12));
        let p = Page::from_rows(vec![1, 2], PageRequest::new(0, 2));
        assert!(p.is_last_page);
        assert_eq!(p.next_page_start(), None);
    }
}
