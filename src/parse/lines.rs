//! Small helpers shared by the network-state parsers: line splitting that
//! tolerates a BOM, CRLF and trailing blanks; locating JSON after stray stderr
//! lines; and the rounded `661K` counters of iptables and ipvsadm.

use super::ParseError;
use serde_json::Value;

/// Lines of `text`, numbered from 1, with a leading BOM, a trailing `\r` and
/// trailing blanks removed (tabwriter/`%-10u` padding). Leading blanks are kept:
/// `ip addr` and `ipvsadm` use indentation to mark continuation lines.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
}

/// True when some line opens a JSON value (`ip -j`, `bridge -j`). The text
/// formats never start a line with `[` or `{`; stderr lines may precede it.
pub(crate) fn looks_like_json(text: &str) -> bool {
    json_start(text).is_some()
}

/// Byte offset and 1-based line of the first line that starts with `[` or `{`.
fn json_start(text: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let trimmed = raw.trim_start_matches(['\u{feff}', ' ', '\t', '\r']);
        if trimmed.starts_with('[') || trimmed.starts_with('{') {
            return Some((offset + (raw.len() - trimmed.len()), i + 1));
        }
        offset += raw.len() + 1;
    }
    None
}

/// The elements of the first JSON array (or the single object) in `text`, each
/// with the 1-based line where it starts, found by the shared scanner in
/// [`super::json`] (which skips stray stderr lines and matches brackets).
pub(crate) fn json_items(text: &str) -> Result<Vec<(usize, Value)>, ParseError> {
    if !looks_like_json(text) {
        return Ok(Vec::new());
    }
    let top = super::json::top_level_items(text)?;
    if top.items.is_empty() {
        if let Some(p) = top.problems.into_iter().next() {
            return Err(p);
        }
    }
    top.items
        .into_iter()
        .map(|(line, item)| {
            serde_json::from_str(item).map(|v| (line, v)).map_err(|e| {
                ParseError::new(
                    Some(line + e.line().saturating_sub(1)),
                    format!("invalid JSON: {e}"),
                )
            })
        })
        .collect()
}

/// Reads `123`, `661K`, `15M`, `2G`, `1T` (powers of 1000, as printed by
/// iptables `-v` and ipvsadm `--stats`). The value is approximate when suffixed.
pub(crate) fn parse_scaled(s: &str) -> Option<u64> {
    let (digits, mult) = [
        ('K', 1_000),
        ('M', 1_000_000),
        ('G', 1_000_000_000),
        ('T', 1_000_000_000_000),
    ]
    .iter()
    .find_map(|&(suffix, mult)| Some((s.strip_suffix(suffix)?, mult)))
    .unwrap_or((s, 1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// `02:42:0a:00:01:04`-like link-layer address (any number of hex pairs).
pub(crate) fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() >= 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A JSON string field, if present and a string.
pub(crate) fn jstr(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A JSON unsigned field, if present and a number that fits.
pub(crate) fn ju64(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// The error returned when a non-empty source holds no line of the expected
/// format (typically only a stderr message such as `nsenter: cannot open …`).
pub(crate) fn nothing_recognized(text: &str, what: &str) -> Option<ParseError> {
    let (line, first) = lines(text).find(|(_, l)| !l.trim().is_empty())?;
    Some(ParseError::new(
        Some(line),
        format!(
            "no {what} found; first line: {:?}",
            truncate(first.trim(), 160)
        ),
    ))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Serializes a value through its `Display` (for `ipnet::IpNet`, whose serde
/// support is behind a feature this crate does not enable).
pub(crate) fn ser_display_opt<T: std::fmt::Display, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_strip_bom_crlf_and_trailing_blanks() {
        let got: Vec<_> = lines("\u{feff}a  \r\n  b\t\r\n").collect();
        assert_eq!(got, vec![(1, "a"), (2, "  b"), (3, "")]);
    }

    #[test]
    fn json_items_skip_leading_stderr_and_number_elements() {
        let text = "WARNING: x\n[{\"a\":1},\n {\"a\":2}]\ntrailing";
        let items = json_items(text).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0, 2);
        assert_eq!(items[1].0, 3);
        assert!(json_items("x\n[{\"a\":").is_err());
    }

    #[test]
    fn scaled_counters() {
        assert_eq!(parse_scaled("661K"), Some(661_000));
        assert_eq!(parse_scaled("1824M"), Some(1_824_000_000));
        assert_eq!(parse_scaled("7080"), Some(7080));
        assert_eq!(parse_scaled("K"), None);
        assert_eq!(parse_scaled("1.5K"), None);
        assert_eq!(parse_scaled(""), None);
    }
}
