//! The daemon's own line formats, all written by logrus.
//!
//! ```text
//! time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" error="rpc error: …" module=node/agent node.id=x7pk…
//! {"error":"context canceled","level":"error","module":"node/agent","msg":"agent: session failed","time":"2025-01-06T10:11:12.123456789Z"}
//! \x1b[36mINFO\x1b[0m[2018-03-28T15:08:16.065293874Z] msg                       \x1b[36mkey\x1b[0m=val
//! INFO[0005] msg                                          key=val
//! ```
//!
//! Values are bare or Go-quoted (`strconv.Quote`); an empty value is bare
//! (`node.id=` at the end of the line or before a space).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::transport::parse_rfc3339;
use super::{Level, LogRecord};

/// One token of a `key=value …` line.
#[derive(Debug, PartialEq)]
enum Tok<'a> {
    /// `raw` is the text between the quotes (still escaped) when `quoted`.
    /// `closed` is false for a quoted value cut off by the end of the line.
    Pair {
        key: &'a str,
        raw: &'a str,
        quoted: bool,
        closed: bool,
    },
    /// A word with no `=`: not logrus, kept so nothing is lost.
    Word(&'a str),
}

struct Pairs<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Pairs<'a> {
    fn new(s: &'a str) -> Self {
        Pairs { s, i: 0 }
    }

    fn space_from(&self, from: usize) -> usize {
        let b = self.s.as_bytes();
        b.get(from..)
            .and_then(|t| t.iter().position(|&c| c == b' '))
            .map_or(b.len(), |p| from + p)
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        let b = self.s.as_bytes();
        while b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        let start = self.i;
        if start >= b.len() {
            return None;
        }
        // Keys end at `=`; a space first means a bare word.
        let key_end = b
            .get(start..)?
            .iter()
            .position(|&c| c == b'=' || c == b' ')
            .map_or(b.len(), |p| start + p);
        if b.get(key_end) != Some(&b'=') || key_end == start {
            let end = self.space_from(start);
            self.i = end;
            return Some(Tok::Word(self.s.get(start..end)?));
        }
        let key = self.s.get(start..key_end)?;
        let v = key_end + 1;
        if b.get(v) != Some(&b'"') {
            let end = self.space_from(v);
            self.i = end;
            return Some(Tok::Pair {
                key,
                raw: self.s.get(v..end)?,
                quoted: false,
                closed: true,
            });
        }
        let mut k = v + 1;
        loop {
            match b.get(k) {
                None => {
                    self.i = b.len();
                    let raw = self.s.get(v + 1..).unwrap_or("");
                    return Some(Tok::Pair {
                        key,
                        raw,
                        quoted: true,
                        closed: false,
                    });
                }
                Some(b'\\') => k += 2,
                Some(b'"') => {
                    self.i = k + 1;
                    return Some(Tok::Pair {
                        key,
                        raw: self.s.get(v + 1..k)?,
                        quoted: true,
                        closed: true,
                    });
                }
                Some(_) => k += 1,
            }
        }
    }
}

/// `time="…" level=… msg="…" key=value …` into `rec`. The first `time`,
/// `level` and `msg` fill the record; a value that does not read (unknown
/// level, bad time) stays as a field.
pub(super) fn parse_text(s: &str, rec: &mut LogRecord) {
    push_pairs(s, rec, true);
}

/// `key=value …` without logrus's own keys (`time`, `level`, `msg` stay fields).
pub(super) fn parse_fields(s: &str, rec: &mut LogRecord) {
    push_pairs(s, rec, false);
}

fn push_pairs(s: &str, rec: &mut LogRecord, special: bool) {
    let (mut time_seen, mut msg_seen) = (!special, !special);
    for tok in Pairs::new(s) {
        let (key, raw, quoted) = match tok {
            Tok::Word(w) => {
                rec.fields.push((String::new(), w.to_owned()));
                continue;
            }
            Tok::Pair {
                key, raw, quoted, ..
            } => (key, raw, quoted),
        };
        let value = if quoted {
            unescape_go(raw)
        } else {
            Cow::Borrowed(raw)
        };
        match key {
            "time" if !time_seen => {
                time_seen = true;
                if let Some(t) = parse_rfc3339(&value) {
                    rec.time = Some(t);
                    continue;
                }
            }
            "level" if special && rec.level.is_none() => {
                if let Some(l) = Level::parse(&value) {
                    rec.level = Some(l);
                    continue;
                }
            }
            "msg" if !msg_seen => {
                msg_seen = true;
                rec.msg = value.into_owned();
                continue;
            }
            _ => {}
        }
        rec.fields.push((key.to_owned(), value.into_owned()));
    }
}

/// Undoes Go's `strconv.Quote`: `\" \\ \n \t \r \a \b \f \v \xXX \uXXXX
/// \UXXXXXXXX`. An invalid escape is kept literally; bytes that are not UTF-8
/// (`\xff`) become U+FFFD.
pub(super) fn unescape_go(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let simple = match b.get(i + 1) {
            Some(b'n') => Some(b'\n'),
            Some(b't') => Some(b'\t'),
            Some(b'r') => Some(b'\r'),
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'\'') => Some(b'\''),
            Some(b'a') => Some(0x07),
            Some(b'b') => Some(0x08),
            Some(b'f') => Some(0x0c),
            Some(b'v') => Some(0x0b),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        let hex_len = match b.get(i + 1) {
            Some(b'x') => 2,
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => 0,
        };
        let code = (hex_len > 0)
            .then(|| b.get(i + 2..i + 2 + hex_len))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match (hex_len, code) {
            (2, Some(byte)) => out.push(byte as u8),
            (4 | 8, Some(cp)) if char::from_u32(cp).is_some() => {
                let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => {
                // Invalid escape: keep the backslash; the next byte is copied as is.
                out.push(b'\\');
                i += 1;
                continue;
            }
        }
        i += 2 + hex_len;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// logrus JSON (Docker 25.0+), already decoded. Keys come sorted; `level`,
/// `msg` and `time` fill the record, every other key is a field (a renamed
/// clash stays `fields.msg`). Non-string values are kept as compact JSON.
pub(super) fn json_fields(map: Map<String, Value>, rec: &mut LogRecord) {
    for (key, value) in map {
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        match key.as_str() {
            "time" if rec.time.is_none() => {
                if let Some(t) = parse_rfc3339(&text) {
                    rec.time = Some(t);
                    continue;
                }
            }
            "level" if rec.level.is_none() => {
                if let Some(l) = Level::parse(&text) {
                    rec.level = Some(l);
                    continue;
                }
            }
            "msg" => {
                rec.msg = text;
                continue;
            }
            _ => {}
        }
        rec.fields.push((key, text));
    }
}

/// A JSON object line as logrus JSON; false when it is not a JSON object.
pub(super) fn parse_json(s: &str, rec: &mut LogRecord) -> bool {
    match serde_json::from_str::<Map<String, Value>>(s) {
        Ok(map) => {
            json_fields(map, rec);
            true
        }
        Err(_) => false,
    }
}

/// The TTY (colored) format: `LEVL[time] message   key=val …`, with or
/// without its ANSI colors. The bracket holds a timestamp or, with
/// `FullTimestamp` off, seconds since start (no time). False when `s` does
/// not start like that.
pub(super) fn parse_tty(s: &str, rec: &mut LogRecord) -> bool {
    let Some((level, stamp, rest)) = tty_header(s) else {
        return false;
    };
    rec.level = Some(level);
    if !stamp.bytes().all(|c| c.is_ascii_digit()) {
        match parse_rfc3339(stamp) {
            Some(t) => rec.time = Some(t),
            None => rec.fields.push(("time".to_owned(), stamp.to_owned())),
        }
    }
    // Colored keys mark exactly where the message ends.
    if let Some(esc) = rest.find('\x1b') {
        rec.msg = rest.get(..esc).unwrap_or(rest).trim().to_owned();
        let fields = strip_ansi(rest.get(esc..).unwrap_or(""));
        push_pairs(&fields, rec, false);
        return true;
    }
    // Without colors the message is padded to 44 columns and fields follow
    // after at least two spaces: take the first such gap whose remainder is
    // all `key=value`. Bounded so a huge line stays linear.
    let b = rest.as_bytes();
    let mut from = 0;
    for _ in 0..16 {
        let Some(gap) = rest
            .get(from..)
            .and_then(|t| t.find("  "))
            .map(|p| from + p)
        else {
            break;
        };
        let after = b
            .get(gap..)
            .map_or(0, |t| t.iter().take_while(|&&c| c == b' ').count());
        let tail = rest.get(gap + after..).unwrap_or("");
        let mut toks = Pairs::new(tail).peekable();
        let all_pairs =
            toks.peek().is_some() && toks.all(|t| matches!(t, Tok::Pair { closed: true, .. }));
        if all_pairs {
            rec.msg = rest.get(..gap).unwrap_or(rest).trim().to_owned();
            push_pairs(tail, rec, false);
            return true;
        }
        from = gap + after;
    }
    rec.msg = rest.trim().to_owned();
    true
}

/// `[ESC..]LEVL[ESC..][stamp]` → (level, stamp, text after `] `).
fn tty_header(s: &str) -> Option<(Level, &str, &str)> {
    let i = skip_ansi(s, 0);
    let word = s.get(i..i + 4)?;
    if !word.bytes().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let level = Level::parse(word)?;
    let open = skip_ansi(s, i + 4);
    if s.as_bytes().get(open) != Some(&b'[') {
        return None;
    }
    let close = s
        .as_bytes()
        .get(open..)?
        .iter()
        .take(48)
        .position(|&c| c == b']')?
        + open;
    Some((level, s.get(open + 1..close)?, s.get(close + 1..)?))
}

/// Index after any ANSI escape sequences starting at `i`.
fn skip_ansi(s: &str, mut i: usize) -> usize {
    let b = s.as_bytes();
    while b.get(i) == Some(&0x1b) {
        i = ansi_end(b, i);
    }
    i
}

/// End of the escape sequence at `i` (which holds ESC): CSI `ESC [ … final`
/// or a two-byte escape.
fn ansi_end(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) != Some(&b'[') {
        return (i + 2).min(b.len().max(i + 1));
    }
    let mut j = i + 2;
    while let Some(&c) = b.get(j) {
        j += 1;
        if (0x40..=0x7e).contains(&c) {
            break;
        }
    }
    j
}

/// `s` without ANSI escape sequences.
pub(super) fn strip_ansi(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(p) = b.get(i..).and_then(|t| t.iter().position(|&c| c == 0x1b)) {
        out.push_str(s.get(i..i + p).unwrap_or(""));
        i = ansi_end(b, i + p);
        // A two-byte escape may end inside a multi-byte character.
        while i < b.len() && !s.is_char_boundary(i) {
            i += 1;
        }
    }
    out.push_str(s.get(i..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bare_quoted_empty_and_words() {
        let toks: Vec<Tok> = Pairs::new(r#"a=1 b="x \"y\" z" c= d word e="open"#).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Pair {
                    key: "a",
                    raw: "1",
                    quoted: false,
                    closed: true
                },
                Tok::Pair {
                    key: "b",
                    raw: r#"x \"y\" z"#,
                    quoted: true,
                    closed: true
                },
                Tok::Pair {
                    key: "c",
                    raw: "",
                    quoted: false,
                    closed: true
                },
                Tok::Word("d"),
                Tok::Word("word"),
                Tok::Pair {
                    key: "e",
                    raw: "open",
                    quoted: true,
                    closed: false
                },
            ]
        );
    }

    #[test]
    fn unescape_go_quote_rules() {
        assert_eq!(
            unescape_go(r#"peer \"192.168.101.49\""#),
            r#"peer "192.168.101.49""#
        );
        assert_eq!(unescape_go(r"a\\b"), r"a\b");
        assert_eq!(unescape_go(r"line\nnext\ttab"), "line\nnext\ttab");
        assert_eq!(unescape_go(r"caf\u00e9"), "café");
        assert_eq!(unescape_go(r"\U0001F600"), "😀");
        assert_eq!(unescape_go(r"esc\x1b!"), "esc\u{1b}!");
        assert_eq!(unescape_go(r"bad\xff"), "bad\u{fffd}");
        assert_eq!(unescape_go(r"-\u003e"), "->");
    }

    #[test]
    fn unescape_keeps_invalid_escapes() {
        assert_eq!(unescape_go(r"a\qb"), r"a\qb");
        assert_eq!(unescape_go(r"\u12"), r"\u12");
        assert_eq!(unescape_go(r"\uD800x"), r"\uD800x", "lone surrogate");
        assert_eq!(unescape_go(r"\xZZ"), r"\xZZ");
        assert_eq!(unescape_go("end\\"), "end\\");
        assert_eq!(unescape_go(r"\é"), r"\é");
        assert!(matches!(unescape_go("no escapes"), Cow::Borrowed(_)));
    }

    #[test]
    fn strip_ansi_removes_color_codes() {
        assert_eq!(strip_ansi("\x1b[36mINFO\x1b[0m[0005] hi"), "INFO[0005] hi");
        assert_eq!(strip_ansi("a\x1b"), "a");
        assert_eq!(strip_ansi("a\x1bé b"), "a b");
    }
}
