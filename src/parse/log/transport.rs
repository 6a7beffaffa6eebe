//! Transport prefixes in front of the daemon's own text, and timestamps.
//!
//! ```text
//! Mar 28 15:08:16 mgr1 dockerd[11255]: time="…" …          journalctl short (zero-padded day)
//! Jan  2 01:51:39 elk01 dockerd: time="…" …                rsyslog (space-padded day, no PID)
//! Mar 28 15:08:16.065511 mgr1 dockerd[11255]: …            short-precise
//! 2023-09-08T17:20:30+0200 host dockerd[993]: …            short-iso, systemd < 255
//! 2025-08-19T11:20:54.095864+00:00 host kernel: IPVS: …    short-iso-precise, rsyslog RFC 3339
//! [Sat Nov 22 10:15:00 2026] br0: port 1(veth0) entered…   dmesg -T
//! [12345.678901] br0: …                                    dmesg (seconds since boot: no time)
//! ```
//!
//! Short and dmesg -T times carry no zone; they are read as UTC (the collector
//! runs journalctl with the host's zone, which is UTC on most servers).

use serde_json::{Map, Value};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::{LogContext, LogRecord};

/// What a recognised transport prefix says; `body` is the text after it.
pub(super) struct Prefix<'a> {
    pub time: Option<OffsetDateTime>,
    pub host: Option<&'a str>,
    pub program: Option<&'a str>,
    pub pid: Option<u32>,
    /// The syslog severity (0 emergency … 7 debug) of a `<PRI>` prefix.
    pub priority: Option<u8>,
    pub body: &'a str,
}

/// Recognises a syslog/journald/dmesg prefix at the start of `line`.
/// `None` when the line does not start with one (raw logrus, free text).
pub(super) fn split_prefix<'a>(line: &'a str, ctx: &LogContext) -> Option<Prefix<'a>> {
    let first = *line.as_bytes().first()?;
    if first == b'<' {
        return syslog_pri(line, ctx);
    }
    if first == b'[' {
        return bracketed(line);
    }
    if first.is_ascii_digit() {
        if let Some((time, used)) = scan_iso(line.as_bytes()) {
            let rest = line.get(used..)?;
            if !rest.starts_with(' ') {
                return None;
            }
            // `docker logs -t` style: the stamp, then the daemon's own text.
            if looks_like_payload(rest.trim_start()) {
                return Some(Prefix::bare(time, rest));
            }
            // journald and rsyslog always print a host after an ISO stamp;
            // without one (`… panic: …`) the text is the payload.
            let p = host_tag(time, rest);
            if !p.host.is_some_and(plausible_host) {
                return Some(Prefix::bare(time, rest));
            }
            return Some(p);
        }
        let (time, rest) = unix_stamp(line)?;
        return Some(host_tag(time, rest));
    }
    let (time, rest) = short_stamp(line, ctx)?;
    Some(host_tag(time, rest))
}

impl<'a> Prefix<'a> {
    fn bare(time: Option<OffsetDateTime>, body: &'a str) -> Self {
        Prefix {
            time,
            host: None,
            program: None,
            pid: None,
            priority: None,
            body,
        }
    }
}

/// Text that starts like a daemon line rather than a syslog host and tag:
/// logrus text (`time=`, `level=`, `msg=`), logrus JSON, the TTY format.
fn looks_like_payload(s: &str) -> bool {
    let b = s.as_bytes();
    s.starts_with("time=\"")
        || s.starts_with("level=")
        || s.starts_with("msg=")
        || b.first() == Some(&b'{')
        || super::golog::split_stamp(s).0.is_some()
        || (b.len() > 5 && b.get(4) == Some(&b'[') && b[..4].iter().all(u8::is_ascii_uppercase))
}

/// A syslog host field: a name or an address.
fn plausible_host(h: &str) -> bool {
    h.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':'))
}

/// `journalctl -o short-unix`: `1539879835.995919 host dockerd[1]: …`.
fn unix_stamp(line: &str) -> Option<(Option<OffsetDateTime>, &str)> {
    let sp = line.find(' ')?;
    let stamp = line.get(..sp)?;
    let (secs, frac) = stamp.split_once('.')?;
    if !(9..=11).contains(&secs.len())
        || frac.is_empty()
        || frac.len() > 9
        || !secs.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let nanos: i64 = format!("{frac:0<9}").parse().ok()?;
    let time = OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.checked_add(Duration::nanoseconds(nanos)));
    Some((time, line.get(sp..)?))
}

/// A syslog priority `<N>` (facility × 8 + severity) before an RFC 5424
/// line (`<30>1 2024-01-02T03:04:05.123Z host dockerd 123 - - msg`) or an
/// RFC 3164 one (`<30>Jan  2 03:04:05 host dockerd[123]: msg`). The
/// severity is kept as a fallback level for text without its own.
fn syslog_pri<'a>(line: &'a str, ctx: &LogContext) -> Option<Prefix<'a>> {
    let close = line.get(1..5)?.find('>')? + 1;
    let pri: u16 = line.get(1..close)?.parse().ok()?;
    if pri > 191 {
        return None;
    }
    let rest = line.get(close + 1..)?;
    let mut p = match rest.strip_prefix("1 ") {
        Some(v1) => rfc5424(v1)?,
        None => split_prefix(rest, ctx)?,
    };
    p.priority = Some((pri % 8) as u8);
    Some(p)
}

/// After `<PRI>1 `: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`,
/// each header field `-` when absent, SD `-` or `[id k="v"]…`.
fn rfc5424(s: &str) -> Option<Prefix<'_>> {
    let mut rest = s;
    let mut next = || {
        let t = rest.trim_start_matches(' ');
        let (tok, after) = split_token(t);
        rest = after;
        tok
    };
    let (stamp, host, app, procid, _msgid) = (next(), next(), next(), next(), next());
    let time = match stamp {
        "-" => None,
        s => Some(parse_rfc3339(s)?),
    };
    let field = |t: &'_ str| t != "-" && !t.is_empty();
    let mut body = rest.trim_start_matches(' ');
    if body.starts_with('[') {
        body = skip_structured_data(body);
    } else if let Some(b) = body.strip_prefix('-') {
        body = b;
    }
    let body = body.strip_prefix(' ').unwrap_or(body);
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    Some(Prefix {
        time,
        host: field(host).then_some(host),
        program: field(app).then(|| basename(app)),
        pid: field(procid).then(|| procid.parse().ok()).flatten(),
        priority: None,
        body,
    })
}

/// The text after RFC 5424 structured data (`[id k="v \] x"][id2]`).
fn skip_structured_data(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        while let Some(&c) = b.get(i) {
            i += 1;
            match c {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
        }
    }
    s.get(i.min(s.len())..).unwrap_or("")
}

/// `[12345.678901] msg` (dmesg, no time), `[Sat Nov 22 10:15:00 2026] msg`
/// (dmesg -T), or journalctl `-o short-monotonic`
/// (`[  123.456789] host dockerd[1]: msg`), told from dmesg by its host
/// and tag.
fn bracketed(line: &str) -> Option<Prefix<'_>> {
    let close = line.as_bytes().iter().take(48).position(|&c| c == b']')?;
    let inner = line.get(1..close)?.trim();
    let body = line.get(close + 1..)?;
    let time = if is_monotonic(inner) {
        let p = host_tag(None, body);
        if p.host.is_some() && p.program.is_some() {
            return Some(p);
        }
        None
    } else {
        ctime(inner)?
    };
    Some(Prefix {
        time,
        host: None,
        program: Some("kernel"),
        pid: None,
        priority: None,
        body,
    })
}

/// `12345.678901`: seconds since boot, as printed by dmesg and printk.
pub(super) fn is_monotonic(s: &str) -> bool {
    match s.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// `Sat Nov 22 10:15:00 2026` (dmesg -T). Outer `None` when the shape does not
/// match; inner `None` when it matches but the date is unknown or invalid.
fn ctime(s: &str) -> Option<Option<OffsetDateTime>> {
    let mut parts = s.split_whitespace();
    let (wday, mon, day, hms, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || !wday.chars().all(char::is_alphabetic) {
        return None;
    }
    let day: u8 = day.parse().ok()?;
    let year: i32 = year.parse().ok()?;
    let (h, mi, sec, nanos, used) = scan_hms(hms.as_bytes(), 0)?;
    if used != hms.len() {
        return None;
    }
    Some(month_number(mon).and_then(|mo| build(year, mo, day, h, mi, sec, nanos, 0)))
}

/// `Mar 28 15:08:16[.065511]` with an English or locale month, any case.
/// Returns the time (if the month is known) and the text after the stamp.
fn short_stamp<'a>(line: &'a str, ctx: &LogContext) -> Option<(Option<OffsetDateTime>, &'a str)> {
    let sp = line.as_bytes().iter().take(16).position(|&c| c == b' ')?;
    let tok = line.get(..sp)?;
    let name = tok.strip_suffix('.').unwrap_or(tok);
    if name.is_empty() || !name.chars().all(char::is_alphabetic) {
        return None;
    }
    let rest = line.get(sp..)?.trim_start_matches(' ');
    let b = rest.as_bytes();
    let dlen = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&dlen) || b.get(dlen) != Some(&b' ') {
        return None;
    }
    let day = num(b, 0, dlen)? as u8;
    let (h, mi, s, nanos, used) = scan_hms(b, dlen + 1)?;
    let rest = rest.get(used..)?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let time = month_number(name).and_then(|mo| yearless(ctx, mo, day, h, mi, s, nanos));
    Some((time, rest))
}

/// Dates a year-less stamp: the context year, or the year before when that
/// would put the line more than a day after collection (Dec 31 read in January).
#[allow(clippy::too_many_arguments)]
fn yearless(
    ctx: &LogContext,
    mo: u8,
    day: u8,
    h: u8,
    mi: u8,
    s: u8,
    nanos: u32,
) -> Option<OffsetDateTime> {
    let prev = ctx.year.checked_sub(1);
    let this = build(ctx.year, mo, day, h, mi, s, nanos, 0);
    let limit = ctx.collected_at.and_then(|c| c.checked_add(Duration::DAY));
    match (this, limit) {
        (Some(t), Some(limit)) if t > limit => {
            prev.and_then(|y| build(y, mo, day, h, mi, s, nanos, 0))
        }
        (Some(t), _) => Some(t),
        // Feb 29 in a non-leap context year belongs to an earlier year.
        (None, _) => prev.and_then(|y| build(y, mo, day, h, mi, s, nanos, 0)),
    }
}

/// After the stamp: ` host tag: body`, ` host body` or ` tag: body`.
fn host_tag(time: Option<OffsetDateTime>, rest: &str) -> Prefix<'_> {
    let rest = rest.trim_start_matches(' ');
    let (tok1, after1) = split_token(rest);
    if let Some(tag) = tok1.strip_suffix(':') {
        let (program, pid) = parse_tag(tag);
        return Prefix {
            time,
            host: None,
            program,
            pid,
            priority: None,
            body: after1,
        };
    }
    let host = (!tok1.is_empty()).then_some(tok1);
    let after1 = after1.trim_start_matches(' ');
    let (tok2, after2) = split_token(after1);
    if let Some(tag) = tok2.strip_suffix(':') {
        let (program, pid) = parse_tag(tag);
        return Prefix {
            time,
            host,
            program,
            pid,
            priority: None,
            body: after2,
        };
    }
    // `dockerd[1]:text` with no space after the colon.
    if let Some(p) = tok2.find("]:") {
        if let (Some(tag), Some(body)) = (after1.get(..p + 1), after1.get(p + 2..)) {
            let (program, pid) = parse_tag(tag);
            return Prefix {
                time,
                host,
                program,
                pid,
                priority: None,
                body,
            };
        }
    }
    Prefix {
        time,
        host,
        program: None,
        pid: None,
        priority: None,
        body: after1,
    }
}

fn split_token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(p) => (s.get(..p).unwrap_or(s), s.get(p..).unwrap_or("")),
        None => (s, ""),
    }
}

/// `dockerd[11255]` → ("dockerd", 11255); `dockerd` → ("dockerd", None);
/// `/usr/bin/dockerd[1]` → ("dockerd", 1).
fn parse_tag(tag: &str) -> (Option<&str>, Option<u32>) {
    let (name, pid) = match tag.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((name, pid)) => (name, pid.parse().ok()),
        None => (tag, None),
    };
    let name = basename(name);
    ((!name.is_empty()).then_some(name), pid)
}

/// A program named by its path (`/usr/bin/dockerd`) is named by its file.
fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Reads one `journalctl -o json` object (already decoded) into `rec`. The
/// `MESSAGE` is parsed like any log body (logrus text or JSON, or free text).
///
/// ```text
/// {"__REALTIME_TIMESTAMP":"1539879835995919","_HOSTNAME":"mgr1","SYSLOG_IDENTIFIER":"dockerd",
///  "_PID":"1105","MESSAGE":"time=\"2018-10-18T16:23:55.995Z\" level=info msg=\"...\"", …}
/// ```
pub(super) fn journal_json(map: Map<String, Value>, rec: &mut LogRecord) {
    let text = |key: &str| match map.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    rec.transport_time = text("__REALTIME_TIMESTAMP")
        .and_then(|us| us.trim().parse::<i128>().ok())
        .and_then(|us| us.checked_mul(1000))
        .and_then(|ns| OffsetDateTime::from_unix_timestamp_nanos(ns).ok());
    rec.host = text("_HOSTNAME");
    rec.program = text("SYSLOG_IDENTIFIER").or_else(|| text("_COMM"));
    rec.pid = text("_PID").and_then(|p| p.trim().parse().ok());
    let message = match map.get("MESSAGE") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => array_message(items),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    super::parse_body(&message, rec);
    let priority = text("PRIORITY").and_then(|p| p.trim().parse().ok());
    super::priority_level(priority, rec);
}

/// journald prints non-UTF-8 or control-laden messages as an array of byte
/// values, and a repeated field as an array of strings.
fn array_message(items: &[Value]) -> String {
    if items.iter().all(Value::is_number) {
        let bytes: Vec<u8> = items
            .iter()
            .filter_map(Value::as_u64)
            .filter_map(|n| u8::try_from(n).ok())
            .collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Array(inner) => array_message(inner),
            other => other.to_string(),
        })
        .collect();
    parts.join("\n")
}

/// Parses a whole RFC 3339 timestamp (`2018-03-28T15:08:16.065293874Z`,
/// `2021-02-19T18:15:39+01:00`, `…+0200`), 0–9 fractional digits, to UTC.
pub(super) fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    match scan_iso(s.as_bytes()) {
        Some((time, used)) if used == s.len() => time,
        _ => None,
    }
}

/// Scans `YYYY-MM-DDTHH:MM:SS[.f…][Z|±HH:MM|±HHMM|±HH]` at the start of `b`.
/// Outer `None` when the shape does not match; inner `None` when the values
/// are out of range. A missing offset is read as UTC.
fn scan_iso(b: &[u8]) -> Option<(Option<OffsetDateTime>, usize)> {
    let year = num(b, 0, 4)?;
    let month = num(b, 5, 2)?;
    let day = num(b, 8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't'))
    {
        return None;
    }
    let (h, mi, s, nanos, mut used) = scan_hms(b, 11)?;
    let mut off = 0i32;
    match b.get(used) {
        Some(b'Z' | b'z') => used += 1,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(b, used + 1, 2)? as i32;
            let (om, len) = if b.get(used + 3) == Some(&b':') {
                (num(b, used + 4, 2)? as i32, 6)
            } else if let Some(m) = num(b, used + 3, 2) {
                (m as i32, 5)
            } else {
                (0, 3)
            };
            off = (oh * 3600 + om * 60) * if sign == b'-' { -1 } else { 1 };
            used += len;
        }
        _ => {}
    }
    let time = build(year as i32, month as u8, day as u8, h, mi, s, nanos, off);
    Some((time, used))
}

/// `HH:MM:SS[.fraction]` at `at`; returns the parts and the end offset.
pub(super) fn scan_hms(b: &[u8], at: usize) -> Option<(u8, u8, u8, u32, usize)> {
    let h = num(b, at, 2)? as u8;
    let mi = num(b, at + 3, 2)? as u8;
    let s = num(b, at + 6, 2)? as u8;
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') {
        return None;
    }
    let mut end = at + 8;
    let mut nanos = 0u32;
    if matches!(b.get(end), Some(b'.' | b',')) {
        let digits = b
            .get(end + 1..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_digit());
        let mut count = 0usize;
        for &d in digits {
            if count < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
            count += 1;
        }
        if count > 0 {
            for _ in count..9 {
                nanos *= 10;
            }
            end += 1 + count;
        }
    }
    Some((h, mi, s, nanos, end))
}

/// Exactly `n` ASCII digits at `at`.
pub(super) fn num(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = b.get(at..at.checked_add(n)?)?;
    digits.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build(
    year: i32,
    mo: u8,
    day: u8,
    h: u8,
    mi: u8,
    s: u8,
    nanos: u32,
    off_secs: i32,
) -> Option<OffsetDateTime> {
    let date = Date::from_calendar_date(year, Month::try_from(mo).ok()?, day).ok()?;
    let time = Time::from_hms_nano(h, mi, s, nanos).ok()?;
    let offset = UtcOffset::from_whole_seconds(off_secs).ok()?;
    PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)
}

/// Month abbreviations seen in journalctl/syslog under common locales
/// (glibc `%b`), plus English full names. Compared case-insensitively.
#[rustfmt::skip]
const MONTHS: &[(&str, u8)] = &[
    ("jan", 1), ("january", 1), ("janv", 1), ("ene", 1), ("gen", 1), ("jän", 1),
    ("feb", 2), ("february", 2), ("févr", 2), ("fév", 2), ("fev", 2), ("fevr", 2),
    ("mar", 3), ("march", 3), ("mär", 3), ("märz", 3), ("mrz", 3), ("mars", 3), ("mrt", 3),
    ("apr", 4), ("april", 4), ("avr", 4), ("avril", 4), ("abr", 4),
    ("may", 5), ("mai", 5), ("mei", 5), ("mag", 5),
    ("jun", 6), ("june", 6), ("juni", 6), ("juin", 6), ("giu", 6),
    ("jul", 7), ("july", 7), ("juli", 7), ("juil", 7), ("lug", 7),
    ("aug", 8), ("august", 8), ("août", 8), ("aout", 8), ("ago", 8),
    ("sep", 9), ("sept", 9), ("september", 9), ("set", 9),
    ("oct", 10), ("october", 10), ("okt", 10), ("ott", 10), ("out", 10),
    ("nov", 11), ("november", 11),
    ("dec", 12), ("december", 12), ("dez", 12), ("déc", 12), ("dic", 12),
];

/// 1–12 for a month name in any case, with or without a trailing dot.
pub(super) fn month_number(name: &str) -> Option<u8> {
    let name = name.strip_suffix('.').unwrap_or(name);
    MONTHS
        .iter()
        .find(|(m, _)| eq_fold(name, m))
        .map(|&(_, n)| n)
}

/// `token` lower-cased equals `lower`, without allocating.
fn eq_fold(token: &str, lower: &str) -> bool {
    let mut a = token.chars().flat_map(char::to_lowercase);
    let mut b = lower.chars();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rfc3339_offsets_normalise_to_utc() {
        let want = datetime!(2023-09-08 15:20:30 UTC);
        assert_eq!(parse_rfc3339("2023-09-08T17:20:30+0200"), Some(want));
        assert_eq!(parse_rfc3339("2023-09-08T17:20:30+02:00"), Some(want));
        assert_eq!(parse_rfc3339("2023-09-08T17:20:30+02"), Some(want));
        assert_eq!(parse_rfc3339("2023-09-08T10:20:30-05:00"), Some(want));
        assert_eq!(
            parse_rfc3339("2017-11-02T09:04:18.418656136+08:00"),
            Some(datetime!(2017-11-02 01:04:18.418656136 UTC))
        );
        assert_eq!(
            parse_rfc3339("2021-02-19T18:15:39+01:00"),
            Some(datetime!(2021-02-19 17:15:39 UTC))
        );
    }

    #[test]
    fn rfc3339_fraction_of_any_length() {
        assert_eq!(
            parse_rfc3339("2018-10-18T16:23:55.995Z"),
            Some(datetime!(2018-10-18 16:23:55.995 UTC))
        );
        assert_eq!(
            parse_rfc3339("2017-05-16T22:52:44.9910662Z"),
            Some(datetime!(2017-05-16 22:52:44.9910662 UTC))
        );
        assert_eq!(
            parse_rfc3339("0001-01-01T00:00:00Z"),
            Some(datetime!(0001-01-01 0:00 UTC))
        );
        // Digits past nanoseconds are ignored, not rounded.
        assert_eq!(
            parse_rfc3339("2018-03-28T15:08:16.0652938741Z"),
            Some(datetime!(2018-03-28 15:08:16.065293874 UTC))
        );
    }

    #[test]
    fn rfc3339_rejects_bad_values_and_shapes() {
        assert_eq!(parse_rfc3339("2018-13-28T15:08:16Z"), None);
        assert_eq!(parse_rfc3339("2018-02-30T15:08:16Z"), None);
        assert_eq!(parse_rfc3339("2018-03-28 15:08:16Z"), None);
        assert_eq!(parse_rfc3339("2018-03-28T15:08:16Zjunk"), None);
        assert_eq!(
            parse_rfc3339("9999-12-31T23:00:00-02:00"),
            None,
            "out of range after conversion"
        );
        assert_eq!(parse_rfc3339(""), None);
    }

    #[test]
    fn months_in_several_locales() {
        for (name, n) in [
            ("Mar", 3),
            ("mar", 3),
            ("MAR", 3),
            ("Mär", 3),
            ("MÄR", 3),
            ("Mai", 5),
            ("Okt", 10),
            ("Dez", 12),
            ("janv.", 1),
            ("févr.", 2),
            ("mars", 3),
            ("avr.", 4),
            ("juin", 6),
            ("juil.", 7),
            ("août", 8),
            ("sept.", 9),
            ("déc.", 12),
            ("ene", 1),
            ("abr", 4),
            ("ago", 8),
            ("dic", 12),
            ("jul", 7),
        ] {
            assert_eq!(month_number(name), Some(n), "{name}");
        }
        assert_eq!(month_number("Foo"), None);
        assert_eq!(month_number("Ma"), None);
    }

    #[test]
    fn tag_with_and_without_pid() {
        assert_eq!(parse_tag("dockerd[11255]"), (Some("dockerd"), Some(11255)));
        assert_eq!(parse_tag("dockerd"), (Some("dockerd"), None));
        assert_eq!(
            parse_tag("5fda83a7192b[639]"),
            (Some("5fda83a7192b"), Some(639))
        );
        assert_eq!(parse_tag("x[notapid]"), (Some("x"), None));
    }
}
