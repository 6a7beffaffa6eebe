//! Splitting docker's JSON outputs into top-level items, and the shared
//! timestamp reader.
//!
//! `docker inspect` prints one JSON array indented with 4 spaces; the raw API
//! prints a bare object; `--format '{{json .}}'` prints one object per line.
//! Bundles add damage on top: a UTF-8 BOM, CRLF, stderr lines mixed into
//! stdout, files cut at a size cap. For example all of this reads as two items
//! plus one stray line and a truncation note:
//!
//! ```text
//! WARNING: No swap limit support
//! [
//!     {
//!         "ID": "e216jshn25ckzbvmwlnh5jr3g"
//!     },
//!     {
//!         "ID": "p2xq4c8t9z1m0y7w5v3u6s4r2"
//!     },
//!     {
//!         "ID": "hq3k9d2e
//! ```
//!
//! Each item is then deserialized on its own ([`parse_batch`]), so one bad
//! element costs only itself.
//!
//! A parsed object takes up to a thousand times the bytes of its text (`{}`
//! becomes a full `Service`), so a file lists at most [`MAX_ITEMS`] objects
//! and [`MAX_NOISE`] stray lines; the rest are counted in a problem.

use serde::de::DeserializeOwned;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ParseError;

/// Objects of one JSON text that are listed (and so parsed); later ones are
/// only counted. Real files hold a few thousand (tasks.json of a big cluster,
/// with history).
pub const MAX_ITEMS: usize = 100_000;

/// Stray non-JSON lines of one text that are listed; later ones are counted.
pub const MAX_NOISE: usize = 1_000;

/// The top-level JSON objects found in a text, with what was around them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopLevel<'a> {
    /// Each object, as `(1-based line where it starts, its text)`. Elements of
    /// a top-level array are listed one by one; bare objects as themselves.
    pub items: Vec<(usize, &'a str)>,
    /// Lines (or line tails) that are not JSON, e.g. stderr mixed in by `2>&1`:
    /// `(line, text without the line ending)`.
    pub noise: Vec<(usize, &'a str)>,
    /// Values that could not be delimited (mismatched brackets), the cut,
    /// and objects or lines past [`MAX_ITEMS`] or [`MAX_NOISE`], each with
    /// the line where it happened.
    pub problems: Vec<ParseError>,
    /// The text ends inside a value or an array: it was cut. Items before the
    /// cut are still in `items`.
    pub truncated: bool,
}

/// Finds the top-level JSON objects of `text`; see the module doc for what is
/// tolerated. Blank text gives no items. Text holding no JSON at all (only
/// stray lines such as `Error response from daemon: ...`) is an error whose
/// message quotes the first such line.
pub fn top_level_items(text: &str) -> Result<TopLevel<'_>, ParseError> {
    let bytes = text.as_bytes();
    let mut lines = LineCounter::new(bytes);
    let mut out = TopLevel::default();
    // Objects and stray lines past the caps: (how many, line of the first).
    let mut extra_items: Option<(usize, usize)> = None;
    let mut extra_noise: Option<(usize, usize)> = None;
    let mut saw_json = false;
    let mut open_arrays = 0usize;
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };

    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => pos += 1,
            b']' => {
                open_arrays = open_arrays.saturating_sub(1);
                pos += 1;
            }
            b'[' if opens_array(bytes, pos) => {
                saw_json = true;
                open_arrays += 1;
                pos += 1;
            }
            b'{' => {
                saw_json = true;
                let line = lines.line_of(pos);
                match value_end(bytes, pos) {
                    Ok(end) if out.items.len() < MAX_ITEMS => {
                        out.items.push((line, text.get(pos..end).unwrap_or("")));
                        pos = end;
                    }
                    Ok(end) => {
                        extra_items.get_or_insert((0, line)).0 += 1;
                        pos = end;
                    }
                    Err(Unclosed::Eof) => {
                        out.truncated = true;
                        out.problems.push(ParseError::new(
                            Some(line),
                            "JSON cut short: the object starting here never closes",
                        ));
                        pos = bytes.len();
                    }
                    Err(Unclosed::Mismatch(at)) => {
                        out.problems.push(ParseError::new(
                            Some(lines.line_of(at)),
                            format!("mismatched bracket in the object starting at line {line}"),
                        ));
                        pos = at + 1;
                    }
                }
            }
            _ => {
                let end = bytes[pos..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |n| pos + n);
                let line = text.get(pos..end).unwrap_or("").trim_end();
                if !line.is_empty() {
                    let at = lines.line_of(pos);
                    if out.noise.len() < MAX_NOISE {
                        out.noise.push((at, line));
                    } else {
                        extra_noise.get_or_insert((0, at)).0 += 1;
                    }
                }
                pos = end;
            }
        }
    }
    if open_arrays > 0 && !out.truncated {
        out.truncated = true;
        out.problems.push(ParseError::new(
            Some(lines.line_of(bytes.len())),
            "JSON cut short: an array never closes",
        ));
    }
    if let Some((n, line)) = extra_items {
        out.problems.push(ParseError::new(
            Some(line),
            format!("{n} more objects not read: only the first {MAX_ITEMS} of a file are"),
        ));
    }
    if let Some((n, line)) = extra_noise {
        out.problems.push(ParseError::new(
            Some(line),
            format!("{n} more lines that are not JSON (only the first {MAX_NOISE} are listed)"),
        ));
    }
    if !saw_json {
        if let Some(&(line, first)) = out.noise.first() {
            return Err(ParseError::new(
                Some(line),
                format!("no JSON found; first line: {first}"),
            ));
        }
    }
    Ok(out)
}

/// The items of a JSON text, each deserialized on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T> {
    pub items: Vec<T>,
    /// Elements that did not deserialize, bad brackets, and the cut if any.
    pub problems: Vec<ParseError>,
    /// The text was cut (see [`TopLevel::truncated`]).
    pub truncated: bool,
    /// Stray non-JSON lines, for coverage notes.
    pub noise: Vec<(usize, String)>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            items: Vec::new(),
            problems: Vec::new(),
            truncated: false,
            noise: Vec::new(),
        }
    }
}

/// Deserializes each top-level item of `text` as `W`, then converts it with
/// `convert(line, w)`. A bad element becomes a problem (with the line of the
/// serde error) and the others are kept.
pub fn parse_batch<W, T>(
    text: &str,
    convert: impl Fn(usize, W) -> T,
) -> Result<Batch<T>, ParseError>
where
    W: DeserializeOwned,
{
    let top = top_level_items(text)?;
    let mut batch = Batch {
        items: Vec::with_capacity(top.items.len()),
        problems: Vec::new(),
        truncated: top.truncated,
        noise: top.noise.iter().map(|&(l, s)| (l, s.to_string())).collect(),
    };
    for (line, item) in top.items {
        match from_item::<W>(item) {
            Ok((w, notes)) => {
                batch.items.push(convert(line, w));
                batch.problems.extend(
                    notes
                        .into_iter()
                        .map(|(l, msg)| ParseError::new(Some(line + l.saturating_sub(1)), msg)),
                );
            }
            Err(e) => batch.problems.push(ParseError::new(
                Some(line + e.line().saturating_sub(1)),
                format!("object starting at line {line} skipped: {e}"),
            )),
        }
    }
    batch.problems.extend(top.problems);
    batch.problems.sort_by_key(|p| p.line);
    Ok(batch)
}

/// The one object of a single-object output, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Single<W> {
    /// 1-based line where the object starts.
    pub line: usize,
    pub value: W,
    /// Stray non-JSON lines around it.
    pub noise: Vec<(usize, String)>,
    /// Fields read as absent because their number did not fit.
    pub notes: Vec<ParseError>,
}

/// Numbers of one object that may be read as absent before the object is
/// given up.
const MAX_NUMBER_FIXES: usize = 16;

/// Deserializes one item. A number that does not fit its field (`1e400`,
/// 2^64, `-1` for an unsigned count) is read as absent and noted, as
/// `(line within the item, message)`, instead of costing the whole object.
/// Any other error (or a field that cannot be absent) fails as before, with
/// the first error.
fn from_item<W: DeserializeOwned>(
    item: &str,
) -> Result<(W, Vec<(usize, String)>), serde_json::Error> {
    let mut text = std::borrow::Cow::Borrowed(item);
    let mut notes = Vec::new();
    let mut first: Option<serde_json::Error> = None;
    loop {
        let e = match serde_json::from_str::<W>(&text) {
            Ok(w) => return Ok((w, notes)),
            Err(e) => e,
        };
        let fix = (notes.len() < MAX_NUMBER_FIXES && is_number_error(&e))
            .then(|| number_at(&text, e.line(), e.column()))
            .flatten();
        let Some((start, end)) = fix else {
            return Err(first.unwrap_or(e));
        };
        notes.push((
            e.line(),
            format!(
                "field {}: number {} out of range, read as absent",
                key_before(&text, start),
                &text[start..end]
            ),
        ));
        text = std::borrow::Cow::Owned(format!("{}null{}", &text[..start], &text[end..]));
        first.get_or_insert(e);
    }
}

fn is_number_error(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    m.starts_with("number out of range")
        || m.starts_with("invalid value: integer")
        || m.starts_with("invalid type: floating point")
}

fn is_number_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
}

/// The byte range of the JSON number serde stopped at (`line`, `column`
/// 1-based, the column at or just after the number).
fn number_at(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let line_start = if line <= 1 {
        0
    } else {
        b.iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'\n')
            .nth(line - 2)?
            .0
            + 1
    };
    let at = (line_start + column).min(b.len());
    // Back over what follows the number (`,`, `}`, spaces), at most a few bytes.
    let mut end = (line_start..=at)
        .rev()
        .take(4)
        .find(|&i| i > 0 && is_number_byte(b[i - 1]))?;
    while end < b.len() && is_number_byte(b[end]) {
        end += 1;
    }
    let mut start = end;
    while start > 0 && is_number_byte(b[start - 1]) {
        start -= 1;
    }
    let first = *b.get(start)?;
    let before = b[..start].iter().rev().find(|c| !c.is_ascii_whitespace());
    ((first == b'-' || first.is_ascii_digit()) && matches!(before, Some(b':' | b'[' | b',')))
        .then_some((start, end))
}

/// The key whose value starts at `start` (`"Replicas"`), or `?` in an array.
fn key_before(text: &str, start: usize) -> String {
    let head = text[..start].trim_end();
    let Some(head) = head.strip_suffix(':') else {
        return "(array element)".into();
    };
    let head = head.trim_end();
    let Some(head) = head.strip_suffix('"') else {
        return "?".into();
    };
    match head.rfind('"') {
        Some(q) => format!("`{}`", &head[q + 1..]),
        None => "?".into(),
    }
}

/// Deserializes the first top-level object of `text` as `W`, for outputs
/// that hold a single object (`docker info`, `docker version`).
pub fn parse_single<W: DeserializeOwned>(text: &str) -> Result<Single<W>, ParseError> {
    let top = top_level_items(text)?;
    let noise = top.noise.iter().map(|&(l, s)| (l, s.to_string())).collect();
    let Some(&(line, item)) = top.items.first() else {
        return Err(top
            .problems
            .into_iter()
            .next()
            .unwrap_or_else(|| ParseError::new(None, "no JSON object found (empty output)")));
    };
    match from_item::<W>(item) {
        Ok((value, notes)) => Ok(Single {
            line,
            value,
            noise,
            notes: notes
                .into_iter()
                .map(|(l, msg)| ParseError::new(Some(line + l.saturating_sub(1)), msg))
                .collect(),
        }),
        Err(e) => Err(ParseError::new(
            Some(line + e.line().saturating_sub(1)),
            e.to_string(),
        )),
    }
}

/// Reads a Go `time.Time` as the API prints it: RFC 3339 with 0-9 fractional
/// digits and `Z` or a local offset, e.g. `2017-05-16T22:52:44.9910662Z` or
/// `2018-02-15T16:02:21.868545032-05:00`. The result is in UTC. Go's zero
/// value `0001-01-01T00:00:00Z` means "never" and gives `None`, as do empty
/// and unreadable strings.
pub fn parse_api_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .ok()?
        .to_offset(UtcOffset::UTC);
    (t.year() > 1).then_some(t)
}

/// [`parse_api_time`] over an optional field.
pub fn api_time(s: &Option<String>) -> Option<OffsetDateTime> {
    s.as_deref().and_then(parse_api_time)
}

/// True when the `[` at `pos` opens an array of objects (or an empty or cut
/// array) rather than starting text such as `[WARN] ...`.
fn opens_array(bytes: &[u8], pos: usize) -> bool {
    let next = bytes
        .get(pos + 1..)
        .unwrap_or(&[])
        .iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
    matches!(next, None | Some(b'{') | Some(b'[') | Some(b']'))
}

enum Unclosed {
    Eof,
    Mismatch(usize),
}

/// Byte offset just past the value opening at `start` (`{` or `[`), matching
/// brackets outside strings and honouring backslash escapes.
fn value_end(bytes: &[u8], start: usize) -> Result<usize, Unclosed> {
    let mut stack: Vec<u8> = Vec::new();
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Most of a JSON text is strings: jump to the closing quote.
                let mut j = i + 1;
                loop {
                    let rest = bytes.get(j..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(k) if rest[k] == b'\\' => j += k + 2,
                        Some(k) => {
                            j += k;
                            break;
                        }
                        None => return Err(Unclosed::Eof),
                    }
                }
                i = j;
            }
            b'{' => stack.push(b'}'),
            b'[' => stack.push(b']'),
            b'}' | b']' => {
                if stack.pop() != Some(b) {
                    return Err(Unclosed::Mismatch(i));
                }
                if stack.is_empty() {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(Unclosed::Eof)
}

/// Maps byte offsets to 1-based line numbers by counting newlines from the
/// last offset asked: linear for a scan that moves forward, and no memory
/// per line (a file of newlines would need gigabytes of line starts).
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.bytes.len());
        if pos < self.pos {
            (self.pos, self.line) = (0, 1);
        }
        let newlines = self.bytes.get(self.pos..pos).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', newlines).count();
        self.pos = pos;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    /// `docker node inspect` of two nodes, as the CLI indents it (4 spaces).
    const TWO_NODES: &str = r#"[
    {
        "ID": "e216jshn25ckzbvmwlnh5jr3g",
        "Description": {
            "Hostname": "swarm-manager",
            "TLSInfo": { "TrustRoot": "-----BEGIN CERTIFICATE-----\n...}]\"", "CertIssuerSubject": "..." }
        }
    },
    {
        "ID": "p2xq4c8t9z1m0y7w5v3u6s4r2",
        "Description": { "Hostname": "wrk1" }
    }
]
"#;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Id {
        #[serde(rename = "ID")]
        id: Option<String>,
    }

    fn ids(text: &str) -> Batch<String> {
        parse_batch(text, |_, w: Id| w.id.unwrap_or_default()).unwrap()
    }

    #[test]
    fn splits_an_array_with_start_lines_and_respects_strings() {
        let top = top_level_items(TWO_NODES).unwrap();
        assert_eq!(top.items.len(), 2);
        assert_eq!(top.items[0].0, 2);
        assert_eq!(top.items[1].0, 9);
        assert!(top.items[0].1.ends_with('}'));
        assert!(top.items[1].1.contains("wrk1"));
        assert!(!top.truncated);
        assert!(top.noise.is_empty() && top.problems.is_empty());
    }

    #[test]
    fn tolerates_bom_crlf_and_stderr_around_the_json() {
        let text = format!(
            "\u{feff}WARNING: No swap limit support\r\n{}Error response from daemon: This node is not a swarm manager.\r\n",
            TWO_NODES.replace('\n', "\r\n")
        );
        let b = ids(&text);
        assert_eq!(
            b.items,
            ["e216jshn25ckzbvmwlnh5jr3g", "p2xq4c8t9z1m0y7w5v3u6s4r2"]
        );
        assert_eq!(
            b.noise,
            [
                (1, "WARNING: No swap limit support".to_string()),
                (
                    15,
                    "Error response from daemon: This node is not a swarm manager.".to_string()
                )
            ]
        );
        assert!(b.problems.is_empty());
        let top = top_level_items(&text).unwrap();
        assert_eq!(top.items[0].0, 3);
    }

    #[test]
    fn bare_object_empty_array_and_blank_text() {
        let b = ids(r#"{"ID":"0kzzo1i0y4jz6027t0k7aezc7","Slot":1}"#);
        assert_eq!(b.items, ["0kzzo1i0y4jz6027t0k7aezc7"]);
        let empty = ids("[]\n");
        assert!(empty.items.is_empty() && empty.problems.is_empty() && !empty.truncated);
        // `docker inspect nosuch` with 2>&1: `[]` then the error line.
        let missing = ids("[]\nError: No such object: nosuch\n");
        assert!(missing.items.is_empty());
        assert_eq!(missing.noise.len(), 1);
        assert!(ids("").items.is_empty());
        assert!(ids(" \r\n\n").items.is_empty());
    }

    #[test]
    fn text_without_json_is_an_error_naming_the_first_line() {
        let err = top_level_items(
            "Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("not a swarm manager"));
        // A log-style line starting with `[` is not an array.
        assert!(top_level_items("[WARN] something\n").is_err());
    }

    #[test]
    fn cut_file_keeps_complete_items_and_says_so() {
        let cut = &TWO_NODES[..TWO_NODES.find("wrk1").unwrap()];
        let b = ids(cut);
        assert_eq!(b.items, ["e216jshn25ckzbvmwlnh5jr3g"]);
        assert!(b.truncated);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(9));

        // Cut between elements: no open object, but the array never closes.
        let between = &TWO_NODES[..TWO_NODES.find("    {\n        \"ID\": \"p2").unwrap()];
        let b = ids(between);
        assert_eq!(b.items.len(), 1);
        assert!(b.truncated);

        // Cut inside a string that holds a bracket.
        let in_string = &TWO_NODES[..TWO_NODES.find("...}]").unwrap() + 4];
        let b = ids(in_string);
        assert!(b.items.is_empty() && b.truncated);
    }

    #[test]
    fn every_cut_point_keeps_a_prefix_and_is_flagged() {
        let full = ids(TWO_NODES).items;
        let last_bracket = TWO_NODES.rfind(']').unwrap();
        for cut in (1..=last_bracket).filter(|&c| TWO_NODES.is_char_boundary(c)) {
            let b = ids(&TWO_NODES[..cut]);
            assert!(b.truncated, "cut at byte {cut} not flagged");
            assert_eq!(b.items[..], full[..b.items.len()], "cut at byte {cut}");
        }
        assert!(!ids(&TWO_NODES[..=last_bracket]).truncated);
    }

    #[test]
    fn one_bad_element_does_not_lose_the_others() {
        let text = r#"[
    {"ID": "a1"},
    {"ID": 42},
    {"ID": "c3"}
]"#;
        let b = ids(text);
        assert_eq!(b.items, ["a1", "c3"]);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(3));
        assert!(b.problems[0].message.contains("line 3"));
    }

    #[test]
    fn mismatched_brackets_are_reported_and_scanning_resumes() {
        let text = "{\"a\": [1}\n{\"ID\": \"ok\"}\n";
        let b = ids(text);
        assert_eq!(b.items, ["ok"]);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(1));
    }

    #[test]
    fn one_object_per_line_with_html_escapes() {
        // `docker service ps --format '{{json .}}'` (formats.md §6).
        let text = "{\"ID\":\"50qe8lfnxaxk\",\"Ports\":\"\"}\n{\"ID\":\"nvjljf7rmor4\",\"Ports\":\"*:8080-\\u003e80/tcp\"}\n";
        let top = top_level_items(text).unwrap();
        assert_eq!(top.items.iter().map(|i| i.0).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn objects_past_the_cap_are_counted_not_listed() {
        let text = format!("[\n{}\n]\n", vec!["{}"; MAX_ITEMS + 3].join(",\n"));
        let top = top_level_items(&text).unwrap();
        assert_eq!(top.items.len(), MAX_ITEMS);
        assert_eq!(top.items.last().unwrap().0, MAX_ITEMS + 1);
        assert_eq!(top.problems.len(), 1);
        assert_eq!(top.problems[0].line, Some(MAX_ITEMS + 2));
        assert!(top.problems[0]
            .message
            .starts_with("3 more objects not read"));
        assert!(!top.truncated);
        let b = ids(&text);
        assert_eq!((b.items.len(), b.problems.len()), (MAX_ITEMS, 1));
    }

    #[test]
    fn stray_lines_past_the_cap_are_counted_not_listed() {
        let text = format!(
            "{}{{\"ID\": \"a1\"}}\n",
            "WARNING: x\n".repeat(MAX_NOISE + 5)
        );
        let b = ids(&text);
        assert_eq!(b.items, ["a1"]);
        assert_eq!(b.noise.len(), MAX_NOISE);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(MAX_NOISE + 1));
        assert!(b.problems[0]
            .message
            .starts_with("5 more lines that are not JSON"));
    }

    #[test]
    fn parse_single_reports_cut_and_empty() {
        let one = parse_single::<Id>("WARNING: x\n{\"ID\":\"EKHL:QDUU\"}\n").unwrap();
        assert_eq!((one.line, one.value.id.as_deref()), (2, Some("EKHL:QDUU")));
        assert_eq!(one.noise, [(1, "WARNING: x".to_string())]);
        let err = parse_single::<Id>("{\"ID\":\"EKHL").unwrap_err();
        assert!(err.message.contains("cut short"));
        assert!(parse_single::<Id>("").is_err());
    }

    #[test]
    fn api_times_normalize_to_utc_with_any_fraction() {
        let t = parse_api_time("2017-05-16T22:52:44.9910662Z").unwrap();
        assert_eq!(t.nanosecond(), 991_066_200);
        let local = parse_api_time("2018-02-15T16:02:21.868545032-05:00").unwrap();
        assert_eq!(local.offset(), UtcOffset::UTC);
        assert_eq!(
            (local.day(), local.hour(), local.nanosecond()),
            (15, 21, 868_545_032)
        );
        let whole = parse_api_time("2021-02-19T18:15:39+01:00").unwrap();
        assert_eq!(whole.hour(), 17);
        let nine = parse_api_time("2018-07-09T22:38:38.000000000+00:00").unwrap();
        assert_eq!(nine.unix_timestamp(), 1_531_175_918);
        assert_eq!(parse_api_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_api_time("0001-01-01T00:00:00-05:00"), None);
        assert_eq!(parse_api_time(""), None);
        assert_eq!(parse_api_time("Mon Jul  9 23:38:38 2018"), None);
    }

    fn outcome(r: Result<usize, Unclosed>) -> Result<usize, Option<usize>> {
        r.map_err(|e| match e {
            Unclosed::Eof => None,
            Unclosed::Mismatch(at) => Some(at),
        })
    }

    /// `value_end` as it was before it jumped over strings with memchr.
    fn bytewise_value_end(bytes: &[u8], start: usize) -> Result<usize, Option<usize>> {
        let mut stack: Vec<u8> = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        for (i, &b) in bytes.iter().enumerate().skip(start) {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' => stack.push(b'}'),
                b'[' => stack.push(b']'),
                b'}' | b']' => {
                    if stack.pop() != Some(b) {
                        return Err(Some(i));
                    }
                    if stack.is_empty() {
                        return Ok(i + 1);
                    }
                }
                _ => {}
            }
        }
        Err(None)
    }

    proptest! {
        #[test]
        fn top_level_items_never_panics(s in "\\PC*") {
            if let Ok(top) = top_level_items(&s) {
                for (line, item) in top.items {
                    prop_assert!(line >= 1);
                    prop_assert!(item.starts_with('{') && item.ends_with('}'), "item {:?}", item);
                }
            }
        }

        #[test]
        fn value_end_agrees_with_a_byte_by_byte_scan(s in "[\\[\\]{}\",:\\\\a \n]{0,64}") {
            let b = s.as_bytes();
            for start in (0..b.len()).filter(|&i| b[i] == b'{' || b[i] == b'[') {
                prop_assert_eq!(outcome(value_end(b, start)), bytewise_value_end(b, start));
            }
        }

        #[test]
        fn json_like_noise_never_panics(s in "[\\[\\]{}\",:\\\\a \n\r\u{feff}é]{0,64}") {
            let _ = top_level_items(&s);
            let _ = parse_batch(&s, |_, w: Id| w.id);
        }
    }
}
