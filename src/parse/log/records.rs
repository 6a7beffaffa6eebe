//! Journal exports whose records span several lines, joined back into one
//! record each before parsing; every other line is a record of its own.
//!
//! ```text
//! {                                              journalctl -o json-pretty
//!         "__REALTIME_TIMESTAMP" : "1539879835995919",
//!         "MESSAGE" : "time=\"…\" level=info msg=\"…\""
//! }
//! Thu 2018-10-18 16:23:55.995919 UTC [s=3cfe…;i=3b9849;b=167d…;m=b427f8dec78;t=57883369f0f0f;x=eef4…]
//!     _HOSTNAME=mgr1                             journalctl -o verbose
//!     MESSAGE=time="…" level=info msg="…"
//! __CURSOR=s=3cfe…;t=57883369f0f0f;x=eef4…       journalctl -o export (records end at a blank line)
//! __REALTIME_TIMESTAMP=1539879835995919
//! MESSAGE=time="…" level=info msg="…"
//! The description for Event ID 1 from source docker cannot be found. …   Windows Event Viewer text
//!
//! The following information was included with the event:
//!
//! Bulk sync to node b00acca8c0ea timed out                                (message, then fields)
//! ```
//!
//! A record is bounded ([`MAX_RECORD_LINES`], [`MAX_RECORD_BYTES`]): past
//! that it is handed on as it is and the following lines stand alone.

use serde_json::{Map, Value};

/// Lines one record may join.
pub const MAX_RECORD_LINES: usize = 512;
/// Bytes one record may hold.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    Single,
    Pretty,
    Export,
    Verbose,
    WinEvent,
}

/// How Windows Event Viewer shows a docker event whose message file is not
/// registered (moby/moby#34917, #37943): the daemon's message and fields
/// come after [`WIN_INCLUDED`].
pub(super) const WIN_HEADER: &str = "The description for Event ID ";
pub(super) const WIN_INCLUDED: &str = "The following information was included with the event:";
/// Lines of one such event: header, blank, note, blank, the line above,
/// blank, message, fields.
const WIN_LINES: usize = 8;

/// Joins the lines of one file into records, in order. Feed every line to
/// [`Records::push`], then call [`Records::flush`] at the end of the file.
#[derive(Debug, Default)]
pub struct Records {
    mode: Mode,
    buf: String,
    first: usize,
    lines: usize,
    cut: bool,
}

/// `emit(first line number, record text, some line was cut)`.
pub type Emit<'a> = dyn FnMut(usize, &str, bool) + 'a;

impl Records {
    pub fn push(&mut self, line: usize, text: &str, cut: bool, emit: &mut Emit<'_>) {
        if self.mode != Mode::Single {
            let continues = match self.mode {
                Mode::Pretty | Mode::Verbose => text.starts_with([' ', '\t']),
                Mode::Export => true,
                Mode::WinEvent => !text.starts_with(WIN_HEADER) && self.lines < WIN_LINES,
                Mode::Single => false,
            };
            let last = match self.mode {
                Mode::Pretty => text.starts_with('}'),
                Mode::Export => text.trim().is_empty(),
                _ => false,
            };
            if continues || last {
                if !text.trim().is_empty() || self.mode == Mode::WinEvent {
                    self.buf.push('\n');
                    self.buf.push_str(text);
                }
                self.lines += 1;
                self.cut |= cut;
                if last || self.lines >= MAX_RECORD_LINES || self.buf.len() >= MAX_RECORD_BYTES {
                    self.flush(emit);
                }
                return;
            }
            self.flush(emit);
        }
        let mode = start_of(text);
        if mode == Mode::Single {
            emit(line, text, cut);
            return;
        }
        self.mode = mode;
        self.buf.clear();
        self.buf.push_str(text);
        self.first = line;
        self.lines = 1;
        self.cut = cut;
    }

    /// Hands on a record still being joined (end of file).
    pub fn flush(&mut self, emit: &mut Emit<'_>) {
        if self.mode != Mode::Single {
            emit(self.first, &self.buf, self.cut);
            self.mode = Mode::Single;
            self.buf.clear();
        }
    }
}

/// Whether `text` opens a record that spans several lines (json-pretty,
/// export, verbose, a Windows event): a file holding one must go through
/// [`Records`].
pub fn opens_record(text: &str) -> bool {
    start_of(text) != Mode::Single
}

/// Whether `text` opens a multi-line record. Cheap: most lines are
/// rejected on their first byte.
fn start_of(text: &str) -> Mode {
    match text.as_bytes().first() {
        Some(b'{') if text.trim_end() == "{" => Mode::Pretty,
        Some(b'_') if text.starts_with("__CURSOR=") => Mode::Export,
        Some(b'T') if text.starts_with(WIN_HEADER) => Mode::WinEvent,
        Some(c)
            if c.is_ascii_uppercase() && text.ends_with(']') && verbose_cursor(text).is_some() =>
        {
            Mode::Verbose
        }
        _ => Mode::Single,
    }
}

/// The cursor of a `-o verbose` header line: `Thu 2018-10-18 16:23:55.995919 UTC [s=…]`.
fn verbose_cursor(line: &str) -> Option<&str> {
    let open = line.rfind(" [s=")?;
    line.get(open + 2..line.len().checked_sub(1)?)
}

/// The line of a joined record that best quotes it: the journal's
/// `MESSAGE`, or the message of a Windows event; the record itself when
/// it is a single line.
pub fn quote(record: &str) -> &str {
    if !record.contains('\n') {
        return record;
    }
    if record.starts_with(WIN_HEADER) {
        if let Some((_, after)) = record.split_once(WIN_INCLUDED) {
            if let Some(l) = after.lines().map(str::trim).find(|l| !l.is_empty()) {
                return l;
            }
        }
    }
    record
        .lines()
        .map(str::trim)
        .find(|t| t.starts_with("MESSAGE") || t.starts_with("\"MESSAGE\""))
        .unwrap_or(record)
}

/// A joined Windows Event Viewer record: the event id, the message and the
/// fields line (`k=v k=v`, empty when none).
pub(super) fn win_event(record: &str) -> Option<(u32, &str, &str)> {
    let rest = record.strip_prefix(WIN_HEADER)?;
    let id = rest.split(' ').next().and_then(|n| n.parse().ok())?;
    let (_, after) = record.split_once(WIN_INCLUDED)?;
    let mut lines = after.lines().map(str::trim).filter(|l| !l.is_empty());
    let msg = lines.next().unwrap_or("");
    let fields = lines.next().unwrap_or("");
    Some((id, msg, fields))
}

/// Cheap test, on the first bytes, for a joined `-o export` record
/// (`__CURSOR=`) or `-o verbose` one (`Thu 2018-10-18 …`).
pub(super) fn may_be_journal_record(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        Some(b'_') => text.starts_with("__CURSOR="),
        Some(b'T') if text.starts_with(WIN_HEADER) => true,
        Some(c) if c.is_ascii_uppercase() => {
            b.get(3) == Some(&b' ')
                && b.get(8) == Some(&b'-')
                && b.get(4..8)
                    .is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        }
        _ => false,
    }
}

/// The fields of a joined `-o export` or `-o verbose` record, as journald's
/// JSON would give them (`__REALTIME_TIMESTAMP` from the verbose header's
/// cursor `t=`, hexadecimal microseconds). `None` for anything else.
pub(super) fn journal_fields(record: &str) -> Option<Map<String, Value>> {
    let mut lines = record.lines();
    let first = lines.next()?;
    let mut map = Map::new();
    let mut put = |line: &str| {
        if let Some((k, v)) = line.split_once('=') {
            let key_ok = !k.is_empty()
                && k.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
            if key_ok && !map.contains_key(k) {
                map.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        }
    };
    if first.starts_with("__CURSOR=") {
        put(first);
        lines.for_each(&mut put);
    } else if let Some(cursor) = verbose_cursor(first) {
        for line in lines {
            put(line.trim_start());
        }
        let realtime = cursor
            .split(';')
            .find_map(|p| p.strip_prefix("t="))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok());
        if let Some(us) = realtime {
            map.entry("__REALTIME_TIMESTAMP")
                .or_insert_with(|| Value::String(us.to_string()));
        }
    } else {
        return None;
    }
    map.contains_key("MESSAGE").then_some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let mut r = Records::default();
        let mut emit = |n: usize, t: &str, _cut: bool| out.push((n, t.to_string()));
        for (i, line) in text.lines().enumerate() {
            r.push(i + 1, line, false, &mut emit);
        }
        r.flush(&mut emit);
        out
    }

    #[test]
    fn single_lines_pass_through() {
        let got = group("a\nb\n\nc");
        assert_eq!(
            got,
            vec![
                (1, "a".into()),
                (2, "b".into()),
                (3, "".into()),
                (4, "c".into())
            ]
        );
    }

    #[test]
    fn pretty_verbose_and_export_records_stay_whole() {
        let text = "{\n\t\"MESSAGE\" : \"one\",\n\t\"_PID\" : \"1\"\n}\n\
                    Thu 2018-10-18 16:23:55.995919 UTC [s=a;i=1;b=c;m=d;t=57883369f0f0f;x=e]\n    MESSAGE=two\n    _PID=2\n\
                    __CURSOR=s=a;i=2\n__REALTIME_TIMESTAMP=1539879835995919\nMESSAGE=three\n\nplain";
        let got = group(text);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert_eq!((got[0].0, got[1].0, got[2].0, got[3].0), (1, 5, 8, 12));
        assert!(got[0].1.ends_with('}'));
        let verbose = journal_fields(&got[1].1).unwrap();
        assert_eq!(verbose["MESSAGE"], "two");
        assert_eq!(verbose["__REALTIME_TIMESTAMP"], "1539879835995919");
        let export = journal_fields(&got[2].1).unwrap();
        assert_eq!(export["MESSAGE"], "three");
        assert_eq!(got[3].1, "plain");
    }

    #[test]
    fn a_record_is_bounded() {
        let mut text = String::from("{\n");
        for _ in 0..MAX_RECORD_LINES + 10 {
            text.push_str("\t\"A\" : \"b\",\n");
        }
        text.push_str("}\n");
        let got = group(&text);
        assert!(got.len() > 1);
        assert_eq!(got[0].1.lines().count(), MAX_RECORD_LINES);
    }
}
