//! The global reviewed CSV (SPEC 8): the multipart upload (field `file`), its parsing, and the
//! export that uploads back unchanged.

use keywarden_store::ReviewedEntry;

use crate::error::{ApiError, ApiResult};
use keywarden_core::paged::iso;
use keywarden_core::reviewed::{InvalidRow, MAX_MATCH_TEXT, Upload, UploadRow};

/// The `file` field of a `multipart/form-data` body. A body sent as `text/csv` is taken whole.
pub fn file_from_body(content_type: Option<&str>, body: &[u8]) -> ApiResult<Vec<u8>> {
    let ct = content_type.unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "text/csv" {
        return Ok(body.to_vec());
    }
    if mime != "multipart/form-data" {
        return Err(ApiError::invalid(
            "file: upload the CSV as the multipart/form-data field `file` (curl -F file=@reviewed.csv)",
        ));
    }
    let boundary = ct
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::invalid("file: the multipart body has no boundary"))?;
    multipart_field(body, &boundary, "file")?
        .ok_or_else(|| ApiError::invalid("file: the multipart body has no field named `file`"))
}

/// The content of the named field of a multipart body.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> ApiResult<Option<Vec<u8>>> {
    let delimiter = format!("--{boundary}");
    let delim = delimiter.as_bytes();
    let malformed = || ApiError::invalid("file: the multipart body is malformed");
    let mut pos = find(body, delim, 0).ok_or_else(malformed)?;
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            return Ok(None);
        }
        let headers_end = find(body, b"\r\n\r\n", pos).ok_or_else(malformed)?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]);
        let content_start = headers_end + 4;
        let next_delim = [b"\r\n".as_slice(), delim].concat();
        let end = find(body, &next_delim, content_start).ok_or_else(malformed)?;
        if field_name(&headers).as_deref() == Some(name) {
            return Ok(Some(body[content_start..end].to_vec()));
        }
        pos = end + 2;
    }
}

fn field_name(headers: &str) -> Option<String> {
    let line = headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    line.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case("name")).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    memchr_find(&haystack[from..], needle).map(|i| i + from)
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the CSV: a header row naming `matchText` (required) and `ruleName` (optional), any
/// other columns ignored; a UTF-8 BOM, CRLF line ends and quoted cells are accepted. A file
/// without a valid header is a 400 (the caller changes nothing then).
pub fn parse(data: &[u8]) -> ApiResult<Upload> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            return Err(ApiError::invalid(
                "file: the CSV is empty; a header row with a matchText column is required",
            ));
        }
        Some(Err(e)) => {
            return Err(ApiError::invalid(format!(
                "file: the header row is not valid CSV: {e}"
            )));
        }
        Some(Ok(h)) => h,
    };
    let names: Vec<String> = header
        .iter()
        .map(|c| String::from_utf8_lossy(c).trim().to_string())
        .collect();
    let col = |want: &str| names.iter().position(|n| n.eq_ignore_ascii_case(want));
    let Some(match_col) = col("matchText") else {
        return Err(ApiError::invalid(format!(
            "file: the header row must name a matchText column (and optionally ruleName); found: {}",
            names.join(",")
        )));
    };
    let rule_col = col("ruleName");
    let mut out = Upload::default();
    let mut lines = LineCounter::default();
    let mut last_start = header.position().map_or(0, |p| p.byte());
    for record in records {
        if let Some(p) = record.as_ref().ok().and_then(|r| r.position()) {
            last_start = p.byte();
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(data, p.byte()));
                out.invalid.push(InvalidRow {
                    line,
                    message: format!("not valid CSV: {e}"),
                });
                continue;
            }
        };
        let line = record
            .position()
            .map_or(0, |p| lines.line_at(data, p.byte()));
        if record.iter().all(|c| c.is_empty()) {
            continue; // blank line
        }
        let cell = |i: usize| record.get(i).map(std::str::from_utf8);
        let text = match cell(match_col) {
            None => {
                out.invalid.push(InvalidRow {
                    line,
                    message: "matchText is missing (too few columns)".into(),
                });
                continue;
            }
            Some(Err(_)) => {
                out.invalid.push(InvalidRow {
                    line,
                    message: "matchText is not valid UTF-8".into(),
                });
                continue;
            }
            Some(Ok(t)) => unescape_formula(t),
        };
        if text.is_empty() {
            out.invalid.push(InvalidRow {
                line,
                message: "matchText is empty".into(),
            });
            continue;
        }
        if text.len() > MAX_MATCH_TEXT {
            out.invalid.push(InvalidRow {
                line,
                message: format!("matchText is longer than {MAX_MATCH_TEXT} bytes"),
            });
            continue;
        }
        let rule_name = match rule_col.and_then(cell) {
            Some(Err(_)) => {
                out.invalid.push(InvalidRow {
                    line,
                    message: "ruleName is not valid UTF-8".into(),
                });
                continue;
            }
            Some(Ok(r)) => Some(unescape_formula(r).trim().to_string()).filter(|r| !r.is_empty()),
            None => None,
        };
        out.rows.push(UploadRow {
            line,
            match_text: text,
            rule_name,
        });
    }
    // A quote opened and never closed runs to the end of the file, taking every row after it
    // into one cell: the csv reader accepts that silently. Quotes come in pairs otherwise.
    let last = usize::try_from(last_start)
        .unwrap_or(data.len())
        .min(data.len());
    if data[last..].iter().filter(|&&b| b == b'"').count() % 2 == 1 {
        let line = LineCounter::default().line_at(data, last as u64);
        return Err(ApiError::invalid(format!(
            "file: line {line}: a quoted cell is never closed (a '\"' is missing), so the rows after it cannot be read; nothing was changed"
        )));
    }
    Ok(out)
}

/// Line numbers of record starts, counted incrementally (records come in file order).
#[derive(Default)]
struct LineCounter {
    at: usize,
    newlines: u64,
}

impl LineCounter {
    /// The 1-based line of the record starting at byte `at` (line ends before it skipped).
    fn line_at(&mut self, data: &[u8], at: u64) -> u64 {
        let mut at = usize::try_from(at).unwrap_or(data.len()).min(data.len());
        while at < data.len() && matches!(data[at], b'\r' | b'\n') {
            at += 1;
        }
        if at < self.at {
            self.at = 0;
            self.newlines = 0;
        }
        self.newlines += data[self.at..at].iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = at;
        1 + self.newlines
    }
}

/// Cells starting with these are prefixed with `'` in exports (spreadsheet formula injection,
/// OWASP's list: a tab or carriage return may hide the formula sign behind it).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell with the spreadsheet formula guard: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return gets a `'`. Every CSV the server writes goes through it.
pub fn escape_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`escape_formula`], so that an export uploads back unchanged.
fn unescape_formula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// The export: `matchText,ruleName,reviewedBy,reviewedDate`, RFC 4180.
pub fn export(entries: &[ReviewedEntry]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = w.write_record(["matchText", "ruleName", "reviewedBy", "reviewedDate"]);
    for e in entries {
        let _ = w.write_record([
            escape_formula(&e.match_text).into_owned(),
            escape_formula(e.rule_name.as_deref().unwrap_or("")).into_owned(),
            escape_formula(e.reviewed_by.as_deref().unwrap_or("")).into_owned(),
            iso(e.reviewed_at),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_quotes_and_extra_columns() {
        let csv = b"\xEF\xBB\xBFreviewedBy,matchText,ruleName\r\nbob,\"a,b\",R1\r\nbob,\"say \"\"hi\"\"\",\r\n\r\nbob,,R\r\nbob\r\n";
        let p = parse(csv).unwrap();
        assert_eq!(
            p.rows,
            vec![
                UploadRow {
                    line: 2,
                    match_text: "a,b".into(),
                    rule_name: Some("R1".into())
                },
                UploadRow {
                    line: 3,
                    match_text: "say \"hi\"".into(),
                    rule_name: None
                },
            ]
        );
        assert_eq!(p.invalid.len(), 2, "{:?}", p.invalid);
        assert_eq!(p.invalid[0].line, 5);
        assert!(p.invalid[0].message.contains("empty"));
        assert_eq!(p.invalid[1].line, 6);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let csv = b"matchText,ruleName\r\nfirst,R\r\n\"open,R\r\nthird,R\r\nfourth,R\r\n";
        let e = parse(csv).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("never closed"), "{e}");
        assert!(parse(b"matchText\n\"closed \"\"quote\"\"\"\n").is_ok());
    }

    #[test]
    fn tab_and_carriage_return_starts_are_guarded_and_round_trip() {
        let entries: Vec<ReviewedEntry> = ["\t=cmd|' /C calc'!A0", "\r=1+1", "=HYPERLINK(1)"]
            .into_iter()
            .map(|t| ReviewedEntry {
                match_text: t.into(),
                rule_name: None,
                reviewed_by: None,
                reviewed_at: 0,
            })
            .collect();
        let out = export(&entries);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("'\t=cmd"), "{text:?}");
        assert!(text.contains("\"'\r=1+1\""), "{text:?}");
        let p = parse(&out).unwrap();
        let back: Vec<&str> = p.rows.iter().map(|r| r.match_text.as_str()).collect();
        assert_eq!(back, ["\t=cmd|' /C calc'!A0", "\r=1+1", "=HYPERLINK(1)"]);
    }

    #[test]
    fn missing_header_is_an_error() {
        let e = parse(b"AKIA1234,AWS_CLIENT_ID\n").unwrap_err();
        assert!(e.to_string().contains("matchText"), "{e}");
        assert!(parse(b"").is_err());
        assert!(parse(b"\xEF\xBB\xBF").is_err());
    }

    #[test]
    fn export_round_trips() {
        let entries = vec![
            ReviewedEntry {
                match_text: "-----BEGIN RSA PRIVATE KEY-----".into(),
                rule_name: Some("RSA_PRIVATE_KEY".into()),
                reviewed_by: Some("admin".into()),
                reviewed_at: 0,
            },
            ReviewedEntry {
                match_text: "x,\"y\"\nz".into(),
                rule_name: None,
                reviewed_by: None,
                reviewed_at: 1,
            },
        ];
        let out = export(&entries);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with("matchText,ruleName,reviewedBy,reviewedDate\r\n'-----BEGIN"));
        let p = parse(&out).unwrap();
        assert!(p.invalid.is_empty());
        assert_eq!(p.rows[0].match_text, entries[0].match_text);
        assert_eq!(p.rows[0].rule_name.as_deref(), Some("RSA_PRIVATE_KEY"));
        assert_eq!(p.rows[1].match_text, entries[1].match_text);
    }

    #[test]
    fn multipart_field_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nnope\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\nmatchText\r\nabc\r\n\r\n--XyZ--\r\n";
        let got = file_from_body(Some("multipart/form-data; boundary=XyZ"), body).unwrap();
        assert_eq!(got, b"matchText\r\nabc\r\n");
        let e = file_from_body(
            Some("multipart/form-data; boundary=\"XyZ\""),
            b"--XyZ--\r\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("file"));
        assert!(file_from_body(Some("application/json"), b"{}").is_err());
        assert!(file_from_body(Some("multipart/form-data; boundary=Q"), b"garbage").is_err());
    }
}
