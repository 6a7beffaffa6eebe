/*!
Splits a log stream into lines without ever holding more than one capped
line: a 1 GiB line with no newline costs `max_line_bytes` of memory, not a
gigabyte. Text is lossy UTF-8; a trailing `\r` is dropped.
*/

use std::io::{self, Read};

/// What streaming one log file found.
#[derive(Debug, Default)]
pub(crate) struct Streamed {
    pub lines: usize,
    pub bytes: u64,
    /// Lines longer than the line cap, and the first of them (1-based).
    pub cut_lines: usize,
    pub first_cut: Option<usize>,
    /// The file went on past the byte cap.
    pub over_cap: bool,
    pub error: Option<io::Error>,
}

const CHUNK: usize = 64 * 1024;

/// Reads `r` to its end (or `max_bytes`), calling `emit(line_no, text, cut)`
/// for each line in order.
pub(crate) fn stream_lines(
    r: &mut dyn Read,
    max_line: usize,
    max_bytes: u64,
    emit: &mut dyn FnMut(usize, &str, bool),
) -> Streamed {
    let mut out = Streamed::default();
    let mut buf = vec![0u8; CHUNK];
    let mut line = Line {
        bytes: Vec::new(),
        cut: false,
        max: max_line,
    };
    let mut limited = (&mut *r).take(max_bytes);
    loop {
        let n = match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        };
        out.bytes += n as u64;
        let mut chunk = buf.get(..n).unwrap_or_default();
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            let whole = chunk.get(..i).unwrap_or_default();
            if line.bytes.is_empty() && !line.cut && whole.len() <= line.max {
                // The whole line is in this chunk: no copy.
                emit_line(&mut out, emit, whole, false);
            } else {
                line.push(whole);
                line.finish(&mut out, emit);
            }
            chunk = chunk.get(i + 1..).unwrap_or_default();
        }
        line.push(chunk);
    }
    if out.error.is_none() && out.bytes == max_bytes {
        let mut probe = [0u8; 1];
        if matches!(r.read(&mut probe), Ok(n) if n > 0) {
            out.over_cap = true;
            line.cut |= !line.bytes.is_empty();
        }
    }
    if !line.bytes.is_empty() || line.cut {
        line.finish(&mut out, emit);
    }
    out
}

/// Cuts each line of a kept text file to its first `max` bytes, in place,
/// as logs are cut: a line-oriented parser splits a line into tokens, and a
/// 20 MB line of `x x x …` would cost a gigabyte. Returns how many lines
/// were cut and the first of them (1-based).
pub(crate) fn cut_long_lines(bytes: &mut Vec<u8>, max: usize) -> (usize, Option<usize>) {
    let (mut read, mut write, mut line) = (0, 0, 0);
    let (mut cut, mut first) = (0, None);
    let len = bytes.len();
    while read < len {
        line += 1;
        let rest = bytes.get(read..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |n| read + n);
        let keep = (end - read).min(max);
        if end - read > max {
            cut += 1;
            first.get_or_insert(line);
        }
        if cut > 0 {
            bytes.copy_within(read..read + keep, write);
        }
        write += keep;
        if end < len {
            if let Some(b) = bytes.get_mut(write) {
                *b = b'\n';
            }
            write += 1;
        }
        read = end + 1;
    }
    bytes.truncate(write);
    (cut, first)
}

struct Line {
    bytes: Vec<u8>,
    cut: bool,
    max: usize,
}

impl Line {
    fn push(&mut self, more: &[u8]) {
        let room = self.max.saturating_sub(self.bytes.len());
        if more.len() > room {
            self.bytes.extend_from_slice(&more[..room]);
            self.cut = true;
        } else {
            self.bytes.extend_from_slice(more);
        }
    }

    fn finish(&mut self, out: &mut Streamed, emit: &mut dyn FnMut(usize, &str, bool)) {
        emit_line(out, emit, &self.bytes, self.cut);
        self.bytes.clear();
        self.cut = false;
    }
}

/// Counts and emits one line (`cut`: it went past the line cap).
fn emit_line(
    out: &mut Streamed,
    emit: &mut dyn FnMut(usize, &str, bool),
    mut bytes: &[u8],
    cut: bool,
) {
    out.lines += 1;
    if !cut {
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    }
    emit(out.lines, &String::from_utf8_lossy(bytes), cut);
    if cut {
        out.cut_lines += 1;
        out.first_cut.get_or_insert(out.lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        input: &[u8],
        max_line: usize,
        max_bytes: u64,
    ) -> (Vec<(usize, String, bool)>, Streamed) {
        let mut got = Vec::new();
        let mut r = input;
        let s = stream_lines(&mut r, max_line, max_bytes, &mut |n, t, c| {
            got.push((n, t.to_string(), c))
        });
        (got, s)
    }

    #[test]
    fn splits_lines_and_drops_cr() {
        let (got, s) = run(b"a\r\nbb\n\nlast", 100, 1000);
        assert_eq!(
            got,
            vec![
                (1, "a".into(), false),
                (2, "bb".into(), false),
                (3, "".into(), false),
                (4, "last".into(), false)
            ]
        );
        assert_eq!(
            (s.lines, s.bytes, s.cut_lines, s.over_cap),
            (4, 11, 0, false)
        );
    }

    #[test]
    fn final_newline_adds_no_empty_line() {
        let (got, _) = run(b"one\ntwo\n", 100, 1000);
        assert_eq!(got.len(), 2);
        let (got, _) = run(b"", 100, 1000);
        assert!(got.is_empty());
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let (got, s) = run(b"0123456789\nok\nabcdefgh", 4, 1000);
        assert_eq!(
            got,
            vec![
                (1, "0123".into(), true),
                (2, "ok".into(), false),
                (3, "abcd".into(), true)
            ]
        );
        assert_eq!((s.cut_lines, s.first_cut), (2, Some(1)));
    }

    #[test]
    fn byte_cap_stops_reading_and_flags_the_partial_line() {
        let (got, s) = run(b"line1\nline2\nline3\n", 100, 9);
        assert_eq!(
            got,
            vec![(1, "line1".into(), false), (2, "lin".into(), true)]
        );
        assert!(s.over_cap);
        // Exactly at the cap is not over it.
        let (got, s) = run(b"line1\n", 100, 6);
        assert_eq!(got.len(), 1);
        assert!(!s.over_cap);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (got, _) = run(b"time=\"x\" msg=\"\xff\xfe bad\"\n", 100, 1000);
        assert_eq!(got[0].1, "time=\"x\" msg=\"\u{fffd}\u{fffd} bad\"");
    }

    #[test]
    fn line_longer_than_a_chunk() {
        let mut input = vec![b'x'; CHUNK * 3 + 17];
        input.extend_from_slice(b"\nnext\n");
        let (got, s) = run(&input, CHUNK * 4, u64::MAX);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), CHUNK * 3 + 17);
        assert!(!got[0].2);
        assert_eq!(s.cut_lines, 0);
    }

    #[test]
    fn kept_text_lines_are_cut_in_place() {
        let mut text = b"*filter\n-A INPUT x x x x\nCOMMIT\n-A FORWARD y y y\nend".to_vec();
        assert_eq!(cut_long_lines(&mut text, 10), (2, Some(2)));
        assert_eq!(text, b"*filter\n-A INPUT x\nCOMMIT\n-A FORWARD\nend");
        let mut fits = b"short\r\nlines\n\n".to_vec();
        assert_eq!(cut_long_lines(&mut fits, 6), (0, None));
        assert_eq!(fits, b"short\r\nlines\n\n");
        let mut empty = Vec::new();
        assert_eq!(cut_long_lines(&mut empty, 1), (0, None));
    }

    #[test]
    fn read_error_keeps_lines_before_it() {
        struct Failing(u8);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
                }
                self.0 -= 1;
                buf[..3].copy_from_slice(b"ab\n");
                Ok(3)
            }
        }
        let mut got = Vec::new();
        let s = stream_lines(&mut Failing(2), 100, 1000, &mut |n, _, _| got.push(n));
        assert_eq!(got, vec![1, 2]);
        assert!(s.error.is_some());
    }
}
