//! Daemon and kernel log lines, one at a time.
//!
//! A line is an optional transport prefix (journald short/iso/json, syslog,
//! dmesg) followed by a body: a logrus line (text, JSON or TTY colored), or
//! free text (kernel messages, Go panics). Both parts are auto-detected per
//! line, so mixed files read fine:
//!
//! ```text
//! Mar 28 15:08:16 mgr1 dockerd[11255]: time="2018-03-28T15:08:16.065293874Z" level=error msg="agent: session failed" module=node/agent
//! 2025-08-19T11:20:54.095864+00:00 node1 kernel: IPVS: rr: TCP 10.0.0.2:80 - no destination available
//! {"__REALTIME_TIMESTAMP":"1539879835995919","_HOSTNAME":"mgr1","SYSLOG_IDENTIFIER":"dockerd","MESSAGE":"time=\"…\" level=info msg=\"…\""}
//! ```
//!
//! See research/formats.md §7 for every variant. Lines may be huge or hold
//! U+FFFD from non-UTF-8 input; parsing is a byte scan, never a panic.

mod golog;
mod logrus;
pub mod records;
mod transport;

pub use golog::strip_own_prefix;

use serde::Serialize;
use time::OffsetDateTime;

/// What a line needs from its bundle: the year for year-less short stamps,
/// and the collection time to move `Dec 31` lines read in January back a year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogContext {
    pub year: i32,
    pub collected_at: Option<OffsetDateTime>,
}

impl LogContext {
    /// The context of a bundle collected at `collected_at` (UTC).
    pub fn at(collected_at: OffsetDateTime) -> Self {
        LogContext {
            year: collected_at.year(),
            collected_at: Some(collected_at),
        }
    }
}

/// One log entry. Times are UTC.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogRecord {
    /// The logrus `time=` when present, else the transport time.
    pub time: Option<OffsetDateTime>,
    /// The journald/syslog/dmesg prefix time, when there is one.
    pub transport_time: Option<OffsetDateTime>,
    pub level: Option<Level>,
    /// The message, unescaped; for non-logrus lines the text after the prefix.
    pub msg: String,
    /// Other `key=value` pairs in line order, unescaped. A stray word with no
    /// `=` is kept with an empty key; an unrecognised text before an embedded
    /// logrus line is kept under `transport`.
    pub fields: Vec<(String, String)>,
    /// `dockerd`, `kernel`, a container tag…: the syslog tag or journald
    /// `SYSLOG_IDENTIFIER` (`_COMM` when that is missing).
    pub program: Option<String>,
    pub pid: Option<u32>,
    pub host: Option<String>,
}

/// logrus levels, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
    Panic,
}

impl Level {
    /// Any case; the full names, `warn`, and the TTY format's four-letter
    /// forms (`ERRO`, `WARN`, `FATA`, `PANI`, `DEBU`, `TRAC`).
    pub fn parse(s: &str) -> Option<Level> {
        const NAMES: &[(&str, Level)] = &[
            ("info", Level::Info),
            ("error", Level::Error),
            ("erro", Level::Error),
            ("warning", Level::Warning),
            ("warn", Level::Warning),
            ("debug", Level::Debug),
            ("debu", Level::Debug),
            ("trace", Level::Trace),
            ("trac", Level::Trace),
            ("fatal", Level::Fatal),
            ("fata", Level::Fatal),
            ("panic", Level::Panic),
            ("pani", Level::Panic),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|&(_, l)| l)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
            Level::Panic => "panic",
        }
    }
}

impl LogRecord {
    /// The text rules match against: `msg`, then ` key=value` per field
    /// (unescaped), so a signature matches in `msg=` or in `error=` alike.
    pub fn haystack(&self) -> String {
        let mut out = String::new();
        self.haystack_into(&mut out);
        out
    }

    /// [`LogRecord::haystack`] into `out` (cleared first), so a caller can
    /// reuse one buffer for every line.
    pub fn haystack_into(&self, out: &mut String) {
        let len = self
            .fields
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>();
        out.clear();
        out.reserve(self.msg.len() + len);
        out.push_str(&self.msg);
        for (k, v) in &self.fields {
            out.push(' ');
            if !k.is_empty() {
                out.push_str(k);
                out.push('=');
            }
            out.push_str(v);
        }
    }

    /// The first field named `key`.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Texts one of which every line holds that [`parse_line`] reads at level
/// `error` or above, apart from [`pri_error`] lines: the level names
/// (logrus text, JSON and TTY: `error`, `ERRO`…), memberlist's `[ERR]`, Go's
/// `panic:` and `fatal error:`. Search them ASCII-case-insensitively.
pub const ERROR_NEEDLES: &[&str] = &["err", "fata", "pani"];

/// Texts one of which every line holds whose transport priority could give
/// it level `error` ([`priority_level`]): a syslog `<PRI>` of severity 0-3,
/// or a journal `PRIORITY` field (to check with [`pri_error`]).
pub fn priority_needles() -> Vec<String> {
    let mut v: Vec<String> = (0..=191u16)
        .filter(|p| p % 8 <= 3)
        .map(|p| format!("<{p}>"))
        .collect();
    v.push("PRIORITY".to_string());
    v
}

/// Whether the `PRIORITY` field whose name ends at byte `end` of `line`
/// could give level `error`: its value (as JSON `"PRIORITY":"3"`, export
/// `PRIORITY=3`, with any spaces and quotes) starts with a digit 0-3, or is
/// not a digit at all (unsure: read the line).
pub fn pri_error(line: &[u8], end: usize) -> bool {
    let value = line
        .get(end..)
        .unwrap_or_default()
        .iter()
        .find(|b| !matches!(b, b'"' | b' ' | b'\t' | b':' | b'=' | b'\\'));
    !matches!(value, Some(b'4'..=b'9'))
}

/// The journal JSON field whose value, when journald could not print it as
/// text, is an array of byte values (see [`message_is_array`]): such a line
/// holds no other needle and must be read.
pub const MESSAGE_FIELD: &str = "\"MESSAGE\"";

/// Whether the [`MESSAGE_FIELD`] whose name ends at byte `end` of `line`
/// has an array value (`"MESSAGE":[104,105]`).
pub fn message_is_array(line: &[u8], end: usize) -> bool {
    line.get(end..)
        .unwrap_or_default()
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b':'))
        == Some(&b'[')
}

/// Parses one line. `None` for lines that carry no record: blank lines and
/// journalctl markers (`-- Logs begin at … --`, `-- Journal begins at … --`,
/// `-- Reboot --`, `-- Boot <id> --`, `-- No entries --`).
pub fn parse_line(line: &str, ctx: &LogContext) -> Option<LogRecord> {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line).trim();
    if line.is_empty() || (line.starts_with("-- ") && line.ends_with(" --")) {
        return None;
    }
    let mut rec = LogRecord::default();
    if records::may_be_journal_record(line) {
        if let Some(map) = records::journal_fields(line) {
            transport::journal_json(map, &mut rec);
            return Some(finish(rec));
        }
        if let Some((id, msg, fields)) = records::win_event(line) {
            windows_event(id, msg, fields, &mut rec);
            return Some(finish(rec));
        }
    }
    if line.starts_with('{') {
        if let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            if ["__REALTIME_TIMESTAMP", "MESSAGE", "__CURSOR"]
                .iter()
                .any(|k| map.contains_key(*k))
            {
                transport::journal_json(map, &mut rec);
            } else {
                logrus::json_fields(map, &mut rec);
            }
            return Some(finish(rec));
        }
    }
    if let Some(p) = transport::split_prefix(line, ctx) {
        rec.transport_time = p.time;
        rec.host = p.host.map(str::to_owned);
        rec.program = p.program.map(str::to_owned);
        rec.pid = p.pid;
        let mut body = p.body;
        if p.program == Some("kernel") {
            body = strip_printk_stamp(body);
        }
        parse_body(body, &mut rec);
        priority_level(p.priority, &mut rec);
    } else if !parse_body(line, &mut rec) {
        // An unknown prefix before a logrus line (formats.md §7.4: find
        // `time="` and treat what precedes it as transport).
        if let Some(p) = line.find(" time=\"") {
            rec = LogRecord::default();
            rec.fields.push((
                "transport".to_owned(),
                line.get(..p).unwrap_or("").trim().to_owned(),
            ));
            logrus::parse_text(line.get(p + 1..).unwrap_or(""), &mut rec);
        }
    }
    Some(finish(rec))
}

fn finish(mut rec: LogRecord) -> LogRecord {
    if rec.time.is_none() {
        rec.time = rec.transport_time;
    }
    rec
}

/// Reads the text after any transport prefix into `rec`. True when it was a
/// logrus line; otherwise the whole text becomes `msg`.
fn parse_body(body: &str, rec: &mut LogRecord) -> bool {
    let body = body.trim();
    if body.starts_with("time=") || body.starts_with("level=") || body.starts_with("msg=") {
        logrus::parse_text(body, rec);
        return true;
    }
    if body.starts_with('{') && logrus::parse_json(body, rec) {
        return true;
    }
    if logrus::parse_tty(body, rec) {
        return true;
    }
    let (time, text) = golog::split_stamp(body);
    if time.is_some() {
        rec.time = time;
    }
    rec.level = golog::own_level(text);
    rec.msg = body.to_owned();
    false
}

/// A docker event from the Windows event log. The daemon's event ids give
/// the level only for panic (3), fatal (4) and debug (2), plus 10 when the
/// event has fields; info, warning and error share id 1, so those records
/// have no level (daemon/command/service_windows.go).
fn windows_event(id: u32, msg: &str, fields: &str, rec: &mut LogRecord) {
    rec.program = Some("docker".to_owned());
    rec.level = match id % 10 {
        2 => Some(Level::Debug),
        3 => Some(Level::Panic),
        4 => Some(Level::Fatal),
        _ => None,
    };
    rec.msg = msg.to_owned();
    logrus::parse_fields(fields, rec);
}

/// A transport's priority (journald `PRIORITY`, syslog `<PRI>`) gives a
/// level only to text without its own, and only at `err` (3) or worse:
/// journald files every line of a daemon's output stream at `info` (6), so
/// a lower priority says nothing about the line.
pub(super) fn priority_level(priority: Option<u8>, rec: &mut LogRecord) {
    if rec.level.is_none() && priority.is_some_and(|p| p <= 3) {
        rec.level = Some(Level::Error);
    }
}

/// rsyslog copies printk's `[  123.456789] ` into kernel messages.
fn strip_printk_stamp(body: &str) -> &str {
    let t = body.trim_start();
    if let Some(rest) = t.strip_prefix('[') {
        if let Some((inner, after)) = rest.split_once(']') {
            if transport::is_monotonic(inner.trim()) {
                return after;
            }
        }
    }
    body
}

#[cfg(test)]
mod tests;
