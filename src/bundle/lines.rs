/*!
Splits a log stream into blocks of whole lines without ever holding more
than a block and one capped line: a 1 GiB line with no newline costs
`max_line_bytes` of memory, not a gigabyte. Line text is lossy UTF-8; a
trailing `\r` is dropped.
*/

use std::io::{self, Read};
use std::sync::Mutex;

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
#[cfg(test)]
pub(crate) fn stream_lines(
    r: &mut dyn Read,
    max_line: usize,
    max_bytes: u64,
    emit: &mut dyn FnMut(usize, &str, bool),
) -> Streamed {
    stream_blocks(r, max_line, max_bytes, BLOCK_BYTES, &mut |b| {
        for (n, text, cut) in b.lines() {
            emit(n, &text, cut);
        }
    })
}

/// A run of whole lines of one log file, as [`stream_blocks`] hands them
/// on: every line ends with `\n` (one is added to a last line without it),
/// a line past the line cap holds only its first `max_line` bytes, and a
/// `\r` before the `\n` is kept (see [`Block::lines`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// 1-based number of the block's first line in its file.
    pub first_line: usize,
    pub text: Vec<u8>,
    /// Numbers of the lines cut at the line cap, ascending.
    pub cut: Vec<usize>,
}

impl Block {
    /// Each line: its number, its text (lossy UTF-8, without the line end
    /// and, unless it was cut, without a trailing `\r`) and whether it was cut.
    pub fn lines(&self) -> impl Iterator<Item = (usize, std::borrow::Cow<'_, str>, bool)> {
        let mut cut = self.cut.iter().peekable();
        let mut start = 0;
        (self.first_line..).map_while(move |n| {
            let rest = self.text.get(start..).filter(|r| !r.is_empty())?;
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            start += end + 1;
            let was_cut = cut.next_if_eq(&&n).is_some();
            Some((n, line_text(&rest[..end], was_cut), was_cut))
        })
    }

    /// Whether line `n` (of this block) was cut at the line cap.
    pub fn was_cut(&self, n: usize) -> bool {
        self.cut.binary_search(&n).is_ok()
    }

    /// How many lines the block holds.
    #[cfg(test)]
    pub fn line_count(&self) -> usize {
        memchr::memchr_iter(b'\n', &self.text).count()
    }
}

/// A line's bytes as text: lossy UTF-8, a trailing `\r` dropped unless the
/// line was cut (then the `\r` is not its end).
pub fn line_text(bytes: &[u8], cut: bool) -> std::borrow::Cow<'_, str> {
    let bytes = if cut {
        bytes
    } else {
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    };
    // Valid text (nearly every line) is checked faster this way than by
    // the lossy path's own walk.
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Bytes after which a block is handed on (at the next line end). Half a
/// megabyte: a block about fits a core's L2 cache, and the first and last
/// blocks of a run leave a core idle for less time (2 to 7% faster on two
/// cores than 1 MiB here; no slower on one).
pub const BLOCK_BYTES: usize = 512 << 10;

/// Reads `r` to its end (or `max_bytes`) and hands it on in blocks of whole
/// lines of about `block_bytes` each. Where blocks end depends only on the
/// bytes read, never on how the reader returned them, so the blocks of a
/// file are always the same.
///
/// Reads go straight into the block's text (no copy): each read of up to
/// a chunk is split in place, and only a line cut at the cap, or the
/// unfinished line at a block's end, is moved.
pub(crate) fn stream_blocks(
    r: &mut dyn Read,
    max_line: usize,
    max_bytes: u64,
    block_bytes: usize,
    emit: &mut dyn FnMut(Block),
) -> Streamed {
    let mut out = Streamed::default();
    // No read holds a whole line longer than the cap: a line inside one
    // read is shorter than the read.
    let chunk_len = CHUNK.min(max_line.max(1));
    let mut block = Block {
        first_line: 1,
        ..Block::default()
    };
    // Room a small file never touches costs no memory.
    let mut text = Filling::new(block_bytes + 2 * chunk_len);
    // Where the line being read starts in `text`, and whether it went past
    // the cap (the rest of it up to its end is dropped).
    let mut line_start = 0;
    let mut over = false;
    let mut limited = (&mut *r).take(max_bytes);
    loop {
        let before = text.filled;
        let n = match fill(&mut limited, text.room(chunk_len)) {
            Ok(n) => n,
            Err((n, e)) => {
                out.error = Some(e);
                n
            }
        };
        if n == 0 {
            break;
        }
        text.filled += n;
        out.bytes += n as u64;
        if let Some(first) = memchr::memchr(b'\n', text.new_since(before)) {
            // The line under way ends here: it may be past the cap.
            let mut nl = before + first;
            out.lines += 1;
            if over || nl - line_start > max_line {
                let keep = if over { before } else { line_start + max_line };
                text.drop_range(keep, nl);
                nl = keep;
                cut_line(&mut block, &mut out);
            }
            over = false;
            // The lines after it are wholly inside this read.
            let rest = text.new_since(nl);
            let last = nl + memchr::memrchr(b'\n', rest).unwrap_or(0);
            out.lines += memchr::memchr_iter(b'\n', &rest[1..=last - nl]).count();
            line_start = last + 1;
        } else if over {
            text.filled = before;
        }
        if !over && text.filled - line_start > max_line {
            text.filled = line_start + max_line;
            over = true;
        }
        if line_start >= block_bytes {
            block.text = text.hand_on(line_start);
            let next = Block {
                first_line: out.lines + 1,
                ..Block::default()
            };
            emit(std::mem::replace(&mut block, next));
            line_start = 0;
        }
        if out.error.is_some() {
            break;
        }
    }
    if out.error.is_none() && out.bytes == max_bytes {
        let mut probe = [0u8; 1];
        if matches!(r.read(&mut probe), Ok(n) if n > 0) {
            out.over_cap = true;
            over |= line_start < text.filled;
        }
    }
    if line_start < text.filled || over {
        text.room(1)[0] = b'\n';
        text.filled += 1;
        out.lines += 1;
        if over {
            cut_line(&mut block, &mut out);
        }
    }
    block.text = text.finish();
    if block.text.is_empty() {
        give_back(block.text);
    } else {
        emit(block);
    }
    out
}

/// A block's text as it is read into: `buf[..filled]` is the text, the rest
/// of `buf` initialized room for the next read (so reads go straight in).
struct Filling {
    buf: Vec<u8>,
    filled: usize,
}

impl Filling {
    fn new(capacity: usize) -> Filling {
        Filling {
            buf: spare_text(capacity),
            filled: 0,
        }
    }

    /// Room for `n` more bytes after the text: the bytes an earlier block
    /// left there, zeroed only past them.
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.filled + n {
            self.buf.resize(self.filled + n, 0);
        }
        &mut self.buf[self.filled..self.filled + n]
    }

    /// The text from byte `from` on.
    fn new_since(&self, from: usize) -> &[u8] {
        &self.buf[from..self.filled]
    }

    /// Drops bytes `from..to` of the text.
    fn drop_range(&mut self, from: usize, to: usize) {
        self.buf.copy_within(to..self.filled, from);
        self.filled -= to - from;
    }

    /// The text before `end`, as a block's; the text after it starts a
    /// new buffer.
    fn hand_on(&mut self, end: usize) -> Vec<u8> {
        let mut next = Filling::new(self.buf.capacity());
        next.room(self.filled - end)
            .copy_from_slice(&self.buf[end..self.filled]);
        next.filled = self.filled - end;
        let mut text = std::mem::replace(self, next).buf;
        text.truncate(end);
        text
    }

    /// The text read.
    fn finish(mut self) -> Vec<u8> {
        self.buf.truncate(self.filled);
        self.buf
    }
}

/// Marks the line just ended (the last one counted) as cut at the cap.
fn cut_line(block: &mut Block, out: &mut Streamed) {
    block.cut.push(out.lines);
    out.cut_lines += 1;
    out.first_cut.get_or_insert(out.lines);
}

/// Texts of blocks already read, given back by [`give_back`] for the next
/// blocks of big files: a fresh megabyte costs the kernel 256 page faults
/// to hand over, a reused one none.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// At most this many texts wait in [`SPARE`].
const SPARE_MAX: usize = 8;

std::thread_local! {
    /// The text this thread gave back last: a worker that reads its own
    /// blocks reuses it, and a buffer another core wrote would have its
    /// lines fetched from that core's cache before each is overwritten.
    static OWN_SPARE: std::cell::Cell<Option<Vec<u8>>> = const { std::cell::Cell::new(None) };
}

/// Gives a block's text back once it is read, to hold a later block.
pub fn give_back(text: Vec<u8>) {
    if text.capacity() < BLOCK_BYTES {
        return;
    }
    let Some(text) = OWN_SPARE.with(|own| own.replace(Some(text))) else {
        return;
    };
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < SPARE_MAX {
        spare.push(text);
    }
}

/// A text with room for `capacity` bytes, given back (its bytes those of an
/// earlier block, left so they need not be zeroed again) or new: this
/// thread's own first.
pub(super) fn spare_text(capacity: usize) -> Vec<u8> {
    let given = OWN_SPARE
        .with(|own| own.take())
        .or_else(|| SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop());
    match given {
        Some(text) if text.capacity() >= capacity => text,
        _ => Vec::with_capacity(capacity),
    }
}

/// Reads until `buf` is full or the input ends: how much was read, or how
/// much before an error.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize, (usize, io::Error)> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((n, e)),
        }
    }
    Ok(n)
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

    /// A reader that returns at most `step` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn blocks(r: &mut dyn Read, max_line: usize, block: usize) -> Vec<Block> {
        let mut got = Vec::new();
        stream_blocks(r, max_line, u64::MAX, block, &mut |b| got.push(b));
        got
    }

    #[test]
    fn blocks_end_where_the_bytes_say_whatever_the_reads() {
        let text: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i} {}\r\n", "x".repeat(i % 37)).into_bytes())
            .collect();
        let whole = blocks(&mut &text[..], 64, 700);
        for step in [1, 3, 64, 1000] {
            assert_eq!(
                blocks(&mut Trickle(&text, step), 64, 700),
                whole,
                "step {step}"
            );
        }
        assert!(whole.len() > 5);
        // Consecutive line numbers, every block ends at a line end, and
        // the lines are the input's (long ones cut, `\r` dropped).
        let mut next = 1;
        for b in &whole {
            assert_eq!(b.first_line, next);
            assert_eq!(b.text.last(), Some(&b'\n'));
            assert!(b.text.len() >= 700 || std::ptr::eq(b, whole.last().unwrap()));
            next += b.line_count();
        }
        let lines: Vec<String> = whole
            .iter()
            .flat_map(|b| {
                b.lines()
                    .map(|(_, t, _)| t.into_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let (expect, _) = run(&text, 64, u64::MAX);
        assert_eq!(lines.len(), 500);
        assert_eq!(
            lines,
            expect.into_iter().map(|(_, t, _)| t).collect::<Vec<_>>()
        );
    }

    #[test]
    fn cut_lines_are_listed_in_their_block() {
        let got = blocks(&mut &b"0123456789\nok\nabcdefgh"[..], 4, 1 << 20);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text, b"0123\nok\nabcd\n");
        assert_eq!(got[0].cut, vec![1, 3]);
        assert!(got[0].was_cut(3) && !got[0].was_cut(2));
    }

    /// The lines of `input` split plainly: each cut to `max_line` bytes.
    fn plain_lines(input: &[u8], max_line: usize) -> Vec<(usize, String, bool)> {
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        if parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let cut = p.len() > max_line;
                let text = line_text(&p[..p.len().min(max_line)], cut);
                (i + 1, text.into_owned(), cut)
            })
            .collect()
    }

    proptest::proptest! {
        /// Whatever the line cap, block size and read sizes, the blocks
        /// hold the plain split's lines, and end at the same lines.
        #[test]
        fn blocks_hold_the_plain_lines(
            input in "[ab\r\n]{0,300}",
            max_line in 1usize..24,
            block in 1usize..64,
            step in 1usize..40,
        ) {
            let input = input.as_bytes();
            let whole = blocks(&mut &input[..], max_line, block);
            proptest::prop_assert_eq!(&blocks(&mut Trickle(input, step), max_line, block), &whole);
            let got: Vec<(usize, String, bool)> = whole
                .iter()
                .flat_map(|b| b.lines().map(|(n, t, c)| (n, t.into_owned(), c)).collect::<Vec<_>>())
                .collect();
            let want = plain_lines(input, max_line);
            proptest::prop_assert_eq!(&got, &want);
            let cut: Vec<usize> = whole.iter().flat_map(|b| b.cut.clone()).collect();
            let want_cut: Vec<usize> = want.iter().filter(|l| l.2).map(|l| l.0).collect();
            proptest::prop_assert_eq!(cut, want_cut);
        }
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
