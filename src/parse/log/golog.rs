//! Text written through Go's standard `log` package and the Go runtime,
//! which reaches the daemon log without logrus's `level=`:
//!
//! ```text
//! 2017/06/12 10:00:00 [ERR] memberlist: Failed fallback ping: read tcp …: i/o timeout
//! [WARN] memberlist: Refuting a suspect message (from: node2-4c1b1a0b2b9c)
//! panic: runtime error: invalid memory address or nil pointer dereference
//! fatal error: concurrent map writes
//! ```
//!
//! memberlist writes `[ERR]`/`[WARN]`/`[INFO]`/`[DEBUG]` after the `log`
//! stamp. moby passes memberlist's output to logrus with its own level
//! (libnetwork/networkdb `logWriter`: `[ERR]` becomes `level=warning`), and
//! older engines wrapped the whole text in `msg=` at their level; so a level
//! inside the text counts only when the line has no level of its own.

use time::OffsetDateTime;

use super::transport::{build, num, scan_hms};
use super::Level;

/// `YYYY/MM/DD HH:MM:SS[.micro] ` at the start of `s` (the `log` package's
/// `LstdFlags`, local time read as UTC): the time and the text after it.
/// `(None, s)` when `s` does not start with one.
pub(super) fn split_stamp(s: &str) -> (Option<OffsetDateTime>, &str) {
    let b = s.as_bytes();
    let date = (|| {
        if b.get(4) != Some(&b'/') || b.get(7) != Some(&b'/') || b.get(10) != Some(&b' ') {
            return None;
        }
        let (y, mo, d) = (num(b, 0, 4)?, num(b, 5, 2)?, num(b, 8, 2)?);
        let (h, mi, sec, nanos, used) = scan_hms(b, 11)?;
        if b.get(used) != Some(&b' ') {
            return None;
        }
        let t = build(y as i32, mo as u8, d as u8, h, mi, sec, nanos, 0);
        Some((t, used + 1))
    })();
    match date {
        Some((t, used)) => (t, s.get(used..).unwrap_or("")),
        None => (None, s),
    }
}

/// The level a library or the runtime wrote into the text itself.
pub(super) fn own_level(text: &str) -> Option<Level> {
    const TAGS: &[(&str, Level)] = &[
        ("[ERR] ", Level::Error),
        ("[ERROR] ", Level::Error),
        ("[WARN] ", Level::Warning),
        ("[INFO] ", Level::Info),
        ("[DEBUG] ", Level::Debug),
        ("panic: ", Level::Panic),
        ("fatal error: ", Level::Fatal),
    ];
    TAGS.iter()
        .find(|(tag, _)| text.starts_with(tag))
        .map(|&(_, level)| level)
}

/// `msg` without a leading `log` stamp and `[LEVEL] ` tag, for grouping
/// messages by template.
pub fn strip_own_prefix(msg: &str) -> &str {
    let (_, text) = split_stamp(msg);
    for tag in ["[ERR] ", "[ERROR] ", "[WARN] ", "[INFO] ", "[DEBUG] "] {
        if let Some(rest) = text.strip_prefix(tag) {
            return rest;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn go_log_stamp_with_and_without_microseconds() {
        let (t, rest) = split_stamp("2018/03/09 17:22:29 [ERR] memberlist: x");
        assert_eq!(t, Some(datetime!(2018-03-09 17:22:29 UTC)));
        assert_eq!(rest, "[ERR] memberlist: x");
        let (t, _) = split_stamp("2018/03/09 17:22:29.123456 hello");
        assert_eq!(t, Some(datetime!(2018-03-09 17:22:29.123456 UTC)));
        assert_eq!(
            split_stamp("2018-03-09 17:22:29 x"),
            (None, "2018-03-09 17:22:29 x")
        );
        assert_eq!(split_stamp("2018/03/09"), (None, "2018/03/09"));
    }

    #[test]
    fn levels_inside_the_text() {
        assert_eq!(own_level("[ERR] memberlist: x"), Some(Level::Error));
        assert_eq!(own_level("[WARN] memberlist: x"), Some(Level::Warning));
        assert_eq!(own_level("[DEBUG] memberlist: x"), Some(Level::Debug));
        assert_eq!(own_level("panic: runtime error: x"), Some(Level::Panic));
        assert_eq!(
            own_level("fatal error: concurrent map writes"),
            Some(Level::Fatal)
        );
        assert_eq!(own_level("goroutine 1 [running]:"), None);
        assert_eq!(
            strip_own_prefix("2018/03/09 17:22:29 [ERR] memberlist: Failed"),
            "memberlist: Failed"
        );
    }
}
