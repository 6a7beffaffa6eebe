/*!
Reads a log file on disk in ranges, each by whoever asks for it, so that
scan workers read their own blocks: the kernel's copy then lands in the
cache of the core that scans it, not in a reader thread's on the other core.

Range `k` holds the lines that start in bytes `k * block_bytes ..
(k + 1) * block_bytes` of the file, whole (the last one read on past the
range's end), cut at the line cap as [`super::lines::stream_blocks`] cuts
them; a range inside one long line holds none. Its lines' numbers follow
from how many lines the ranges before it hold: reading range `k` counts its
lines, then waits until every range before it is counted (ranges are handed
out in order, so that wait is short or none). The file's size is taken
when it is opened: a log still being written is read up to that size.
*/

use super::lines::{spare_text, Block, Streamed};
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Bytes read past a range's end with its text, to finish its last line in
/// the same read (most lines are shorter).
const OVERLAP: usize = 4 << 10;

/// Bytes read at a time to finish a last line longer than [`OVERLAP`].
const STEP: usize = 64 << 10;

/// A log file on disk, read in ranges (see the module doc).
#[derive(Debug)]
pub struct RangedLog {
    file: File,
    /// Bytes read: the file's size, or the byte cap if it is larger.
    len: u64,
    /// The file is larger than the byte cap.
    over_cap: bool,
    max_line: usize,
    block_bytes: usize,
    ranges: usize,
    chain: Mutex<Chain>,
    counted: Condvar,
}

/// What reading one range found, before its line numbers are known.
#[derive(Debug)]
struct Counted {
    lines: usize,
    /// Indexes (0-based, in the range) of the lines cut at the line cap.
    cut: Vec<usize>,
    error: Option<io::Error>,
}

/// The ranges counted so far, and what they add up to.
#[derive(Debug, Default)]
struct Chain {
    counted: Vec<Option<Counted>>,
    /// Ranges before this one are counted and numbered.
    numbered: usize,
    /// The first line number of each numbered range.
    first_line: Vec<usize>,
    /// The number of the next line after the numbered ranges.
    next_line: usize,
    cut_lines: usize,
    first_cut: Option<usize>,
    /// The first range whose read failed: it and the ranges after it give
    /// no lines.
    failed: Option<(usize, io::Error)>,
    /// For each thread waiting, how many ranges it waits to see numbered.
    waiting: Vec<usize>,
}

impl RangedLog {
    /// Opens `path` to be read in ranges of `block_bytes`, lines cut at
    /// `max_line` bytes, reading at most `max_bytes`.
    pub(crate) fn open(
        path: &Path,
        max_line: usize,
        max_bytes: u64,
        block_bytes: usize,
    ) -> io::Result<RangedLog> {
        if !cfg!(any(unix, windows)) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let len = size.min(max_bytes);
        let block_bytes = block_bytes.max(1);
        let ranges = usize::try_from(len.div_ceil(block_bytes as u64))
            .map_err(|_| io::Error::other("file too large to address"))?;
        let chain = Chain {
            counted: (0..ranges).map(|_| None).collect(),
            next_line: 1,
            ..Chain::default()
        };
        Ok(RangedLog {
            file,
            len,
            over_cap: size > max_bytes,
            max_line,
            block_bytes,
            ranges,
            chain: Mutex::new(chain),
            counted: Condvar::new(),
        })
    }

    /// How many ranges the file has.
    pub fn ranges(&self) -> usize {
        self.ranges
    }

    /// Reads range `k` as a block of whole lines. Every range before `k`
    /// must already be handed to a reader (or read), or this waits forever.
    pub fn read(&self, k: usize) -> Block {
        // Should reading panic, the ranges after it must not wait forever.
        let mut unread = Unread(self, k, true);
        let (text, counted) = self.read_range(k);
        unread.2 = false;
        let cut = counted.cut.clone();
        self.record(k, counted);
        let first_line = self.numbered(k);
        match first_line {
            Some(first_line) => Block {
                first_line,
                cut: cut.into_iter().map(|i| first_line + i).collect(),
                text,
            },
            None => {
                super::lines::give_back(text);
                Block::default()
            }
        }
    }

    /// What reading the file found; waits until every range is read.
    pub(crate) fn finish(&self) -> Streamed {
        let mut chain = self.wait_until(self.ranges);
        let (lines, bytes, error) = match chain.failed.take() {
            Some((k, e)) => (
                chain.first_line[k] - 1,
                (k * self.block_bytes) as u64,
                Some(e),
            ),
            None => (chain.next_line - 1, self.len, None),
        };
        Streamed {
            lines,
            bytes,
            cut_lines: chain.cut_lines,
            first_cut: chain.first_cut,
            over_cap: self.over_cap && error.is_none(),
            error,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Chain> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records what range `k` holds, and numbers every range now countable.
    fn record(&self, k: usize, counted: Counted) {
        let mut chain = self.lock();
        chain.counted[k] = Some(counted);
        loop {
            let at = chain.numbered;
            let Some(Some(c)) = chain.counted.get_mut(at) else {
                break;
            };
            let (lines, cut, error) = (c.lines, std::mem::take(&mut c.cut), c.error.take());
            let first = chain.next_line;
            chain.first_line.push(first);
            chain.numbered += 1;
            if chain.failed.is_some() {
                continue;
            }
            if let Some(e) = error {
                chain.failed = Some((at, e));
                continue;
            }
            chain.next_line += lines;
            chain.cut_lines += cut.len();
            if chain.first_cut.is_none() {
                chain.first_cut = cut.first().map(|i| first + i);
            }
        }
        // Waking a thread that would only wait again costs the other core.
        if chain.waiting.iter().any(|&n| n <= chain.numbered) {
            self.counted.notify_all();
        }
    }

    /// The chain once `n` ranges are numbered.
    fn wait_until(&self, n: usize) -> MutexGuard<'_, Chain> {
        let mut chain = self.lock();
        if chain.numbered < n {
            chain.waiting.push(n);
            while chain.numbered < n {
                chain = self.counted.wait(chain).unwrap_or_else(|e| e.into_inner());
            }
            if let Some(i) = chain.waiting.iter().position(|&w| w == n) {
                chain.waiting.swap_remove(i);
            }
        }
        chain
    }

    /// Waits until range `k` is numbered: its first line's number, or
    /// `None` when a read failed at or before it.
    fn numbered(&self, k: usize) -> Option<usize> {
        let chain = self.wait_until(k + 1);
        match &chain.failed {
            Some((at, _)) if *at <= k => None,
            _ => Some(chain.first_line[k]),
        }
    }

    /// Range `k`'s text (its lines, each ending in `\n`, cut at the cap)
    /// and what it holds.
    fn read_range(&self, k: usize) -> (Vec<u8>, Counted) {
        let mut counted = Counted {
            lines: 0,
            cut: Vec::new(),
            error: None,
        };
        let begin = (k * self.block_bytes) as u64;
        let end = (begin + self.block_bytes as u64).min(self.len);
        let start = if k == 0 {
            Ok(Some(begin))
        } else {
            self.line_start(begin, end)
        };
        let start = match start {
            Ok(Some(start)) => start,
            Ok(None) => return (Vec::new(), counted),
            Err(e) => {
                counted.error = Some(e);
                return (Vec::new(), counted);
            }
        };
        // The range's own bytes, and a little past them for its last line.
        let own = (end - start) as usize;
        let mut text = spare_text(own + OVERLAP + 1);
        let want = (own + OVERLAP).min((self.len - start) as usize);
        let mut filled = match self.read_into(&mut text, 0, want, start) {
            Ok(n) => n,
            Err(e) => {
                counted.error = Some(e);
                return (text, counted);
            }
        };
        // `read` walks the lines, `write` is where the kept text ends.
        let (mut read, mut write) = (0, 0);
        // Lines that end before the range does, in a read no longer than
        // the cap, are all kept whole: counted in one pass.
        if filled <= self.max_line {
            if let Some(last) = memchr::memrchr(b'\n', &text[..own.min(filled)]) {
                counted.lines = memchr::memchr_iter(b'\n', &text[..last]).count() + 1;
                (read, write) = (last + 1, last + 1);
            }
        }
        while read < own.min(filled) {
            // Where the line ends: its `\n`, past the cap, or the file's end.
            let (line_end, next) = loop {
                if let Some(i) = memchr::memchr(b'\n', &text[read..filled]) {
                    break (read + i, Some(read + i + 1));
                }
                let at_eof = start + filled as u64 >= self.len;
                if filled - read > self.max_line || at_eof {
                    break (filled, None);
                }
                let step = STEP.min((self.len - start) as usize - filled);
                match self.read_into(&mut text, filled, step, start + filled as u64) {
                    Ok(0) => break (filled, None),
                    Ok(n) => filled += n,
                    Err(e) => {
                        counted.error = Some(e);
                        return (text, counted);
                    }
                }
            };
            let long = line_end - read > self.max_line;
            // A last line cut short by the byte cap is cut too.
            let capped = next.is_none() && self.over_cap && !long;
            let keep = (line_end - read).min(self.max_line);
            if write != read {
                text.copy_within(read..read + keep, write);
            }
            write += keep;
            if text.len() <= write {
                text.push(b'\n');
            } else {
                text[write] = b'\n';
            }
            write += 1;
            if long || capped {
                counted.cut.push(counted.lines);
            }
            counted.lines += 1;
            match next {
                Some(n) => read = n,
                None => break,
            }
        }
        text.truncate(write);
        (text, counted)
    }

    /// Where the first line starting in `begin..end` starts: just after the
    /// first `\n` at or after `begin - 1`; `None` when the range lies inside
    /// one line.
    fn line_start(&self, begin: u64, end: u64) -> io::Result<Option<u64>> {
        let mut buf = [0u8; 4096];
        let mut at = begin - 1;
        while at + 1 < end {
            let n = (end - 1 - at).min(buf.len() as u64) as usize;
            let got = read_at(&self.file, &mut buf[..n], at)?;
            if let Some(i) = memchr::memchr(b'\n', &buf[..got]) {
                return Ok(Some(at + i as u64 + 1));
            }
            if got < n {
                return Ok(None);
            }
            at += n as u64;
        }
        Ok(None)
    }

    /// Reads up to `n` bytes at file offset `offset` into `text[at..]`
    /// (grown as needed; bytes already there are overwritten, not zeroed):
    /// how many were read (fewer only at the file's end).
    fn read_into(&self, text: &mut Vec<u8>, at: usize, n: usize, offset: u64) -> io::Result<usize> {
        if text.len() < at + n {
            text.resize(at + n, 0);
        }
        let mut got = 0;
        while got < n {
            match read_at(&self.file, &mut text[at + got..at + n], offset + got as u64) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

/// Range `.1` of `.0`, while `.2`: records it as failed when dropped.
struct Unread<'a>(&'a RangedLog, usize, bool);

impl Drop for Unread<'_> {
    fn drop(&mut self) {
        if self.2 {
            let error = Some(io::Error::other("reading the range failed"));
            let counted = Counted {
                lines: 0,
                cut: Vec::new(),
                error,
            };
            self.0.record(self.1, counted);
        }
    }
}

/// One positioned read (which leaves the file's cursor alone on Unix, so
/// threads can share the file), retried when interrupted.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        match positioned_read(file, buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(unix)]
fn positioned_read(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn positioned_read(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn positioned_read(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::lines::stream_blocks;
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Lines = Vec<(usize, String, bool)>;

    fn lines_of(blocks: &[Block]) -> Lines {
        blocks
            .iter()
            .flat_map(|b| {
                b.lines()
                    .map(|(n, t, c)| (n, t.into_owned(), c))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn stats(s: &Streamed) -> (usize, u64, usize, Option<usize>, bool, bool) {
        let Streamed {
            lines,
            bytes,
            cut_lines,
            first_cut,
            over_cap,
            error,
        } = s;
        (
            *lines,
            *bytes,
            *cut_lines,
            *first_cut,
            *over_cap,
            error.is_some(),
        )
    }

    /// What streaming `input` gives: its lines and what it found.
    fn streamed(input: &[u8], max_line: usize, max_bytes: u64) -> (Lines, Streamed) {
        let mut blocks = Vec::new();
        let s = stream_blocks(&mut &input[..], max_line, max_bytes, 7, &mut |b| {
            blocks.push(b)
        });
        (lines_of(&blocks), s)
    }

    fn file_with(input: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(input).unwrap();
        f.flush().unwrap();
        f
    }

    /// Reads every range of `log` on `threads` threads, each taking the
    /// next range in turn; the blocks in range order.
    fn read_on(log: &RangedLog, threads: usize) -> Vec<Block> {
        let next = AtomicUsize::new(0);
        let mut got: Vec<(usize, Block)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::SeqCst);
                            if k >= log.ranges() {
                                break mine;
                            }
                            mine.push((k, log.read(k)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        got.sort_by_key(|(k, _)| *k);
        got.into_iter().map(|(_, b)| b).collect()
    }

    proptest::proptest! {
        /// Whatever the line cap, byte cap, range size and number of
        /// threads, the ranges hold the lines streaming gives (cut alike),
        /// numbered alike, and add up to what streaming found.
        #[test]
        fn ranges_hold_the_streamed_lines(
            input in "([ab]{0,6}[\r\n]?){0,60}(x{0,40}\n)?",
            short_cap in 0usize..12,
            // No line reaches a long cap: ranges are counted in one pass.
            long_cap in proptest::bool::ANY,
            block in 1usize..40,
            max_bytes in 0u64..400,
            threads in 1usize..4,
        ) {
            let max_line = if long_cap { 1 << 20 } else { short_cap };
            let input = input.as_bytes();
            let file = file_with(input);
            let (want, want_stats) = streamed(input, max_line, max_bytes);
            let log = RangedLog::open(file.path(), max_line, max_bytes, block).unwrap();
            let blocks = read_on(&log, threads);
            proptest::prop_assert_eq!(lines_of(&blocks), want);
            proptest::prop_assert_eq!(stats(&log.finish()), stats(&want_stats));
            for b in &blocks {
                proptest::prop_assert!(b.text.is_empty() || b.text.ends_with(b"\n"));
            }
        }
    }

    /// A log of many ranges, with lines longer than a range and longer
    /// than the cap, read on four threads: the streamed lines.
    #[test]
    fn long_lines_across_many_ranges() {
        let mut input = Vec::new();
        for i in 0..3000 {
            let width = [3, 70, 300, 5000][i % 4];
            input.extend(format!("{i} {}\r\n", "y".repeat(width)).into_bytes());
        }
        input.extend(b"last line without an end");
        let file = file_with(&input);
        for (max_line, block) in [(4000, 1024), (100_000, 4096), (64, 512 << 10)] {
            let (want, want_stats) = streamed(&input, max_line, u64::MAX);
            let log = RangedLog::open(file.path(), max_line, u64::MAX, block).unwrap();
            let blocks = read_on(&log, 4);
            assert_eq!(lines_of(&blocks), want, "cap {max_line}, ranges of {block}");
            assert_eq!(stats(&log.finish()), stats(&want_stats));
            assert_eq!(want.len(), 3001);
        }
    }

    #[test]
    fn an_empty_file_has_no_range() {
        let file = file_with(b"");
        let log = RangedLog::open(file.path(), 10, 100, 8).unwrap();
        assert_eq!(log.ranges(), 0);
        assert_eq!(stats(&log.finish()), (0, 0, 0, None, false, false));
    }
}
