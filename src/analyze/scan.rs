//! The log scan: each log read in blocks of whole lines (a log on disk by the
//! worker that scans the block); blocks searched in parallel, as raw bytes, for the texts a line must hold to matter (a rule's,
//! a timeline event's, an error level's), and only those lines parsed; the
//! blocks' results merged in block order, so the output is the same whatever
//! the number of threads.
//!
//! What a line means can depend on lines before it: a year-less stamp takes
//! the year of the last dated line of its file, a Go `panic:` right after a
//! logrus panic record is the same event, a journal boot marker is dated by
//! the next dated line. A block settles these from its own lines (parsing
//! back or forth as far as needed); a line that depends on an earlier block
//! is handed to the merge, which knows what every earlier block ended with.

use super::grams::{Found, Grams};
use crate::bundle::{line_text, Block, Input, LogBlock, LogLine, LogSink, RangedLog};
use crate::error::Result;
use crate::parse::log::records::{self, Records};
use crate::parse::log::{
    message_is_array, parse_line, pri_error, strip_own_prefix, Level, LogContext, LogRecord,
    ERROR_NEEDLES, MESSAGE_FIELD,
};
use crate::rules::{LogEvent, LogMatcher, LogSource, RuleSet};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// What scanning one input gives: its bundles, the log rule matches, the
/// host name each node's daemon log names, the timeline events, and the
/// nodes whose daemon log holds at least one line of Docker's.
pub(super) type Read = (
    crate::bundle::Bundles,
    LogMatcher,
    BTreeMap<String, String>,
    crate::timeline::Collector,
    BTreeSet<String>,
);

/// Programs whose lines in a daemon log are the daemon's own; journald mixes
/// in container output (journald log driver) under other identifiers.
const DAEMON_PROGRAMS: &[&str] = &[
    "dockerd",
    "docker",
    "containerd",
    "systemd",
    "firewalld",
    "kernel",
];

/// Programs in a daemon log whose error lines are not the daemon's own
/// (systemd's unit messages, the kernel's), so never unclassified.
const NOT_THE_DAEMON: &[&str] = &["systemd", "kernel"];

/// The placeholder year given to year-less stamps when no dated line told
/// the year; such times are never reported.
pub(super) const YEAR_UNKNOWN: i32 = 1970;

/// Lines parsed at the start of each block to find the host name, when
/// none of them is a candidate.
const HEAD_LINES: usize = 16;

/// Lines of a file's first block looked at to tell whether the file holds
/// multi-line journal records.
const SNIFF_LINES: usize = 64;

/// Whether a file whose first block is `block` holds multi-line journal
/// records (then the merge reads it whole, joining them).
fn holds_records(block: &Block) -> bool {
    block
        .lines()
        .take(SNIFF_LINES)
        .any(|(_, t, _)| records::opens_record(&t))
}

/// Which log a path is, for the rules; `None` for logs the rules do not read.
fn source_of(path: &str) -> Option<LogSource> {
    match path {
        "logs/dockerd.log" => Some(LogSource::Dockerd),
        "logs/kernel.log" => Some(LogSource::Kernel),
        _ => None,
    }
}

/// The texts searched for in every block, through [`Grams`].
pub(super) struct Needles {
    /// The rules' pieces first, then the timeline's, the error levels' and
    /// the transport priorities'.
    texts: Vec<String>,
    /// How many of `texts` are the rules' pieces.
    rule_pieces: usize,
    /// Grams ranked on no sample, for files too small to rank their own;
    /// `None` when the needles cannot be searched so (none, or one shorter
    /// than a gram): every line is parsed.
    unranked: Option<Arc<Grams>>,
    /// The size of a file's first block from which the file gets grams
    /// ranked on it.
    ranked_from: usize,
    /// The `PRIORITY` needle, which counts only with [`pri_error`].
    priority: Option<usize>,
    /// The journal `"MESSAGE"` needle, which counts only with
    /// [`message_is_array`].
    message: Option<usize>,
    /// Whether timeline events are extracted (and their texts searched).
    timeline: bool,
}

/// Files whose first block is smaller than this use the unranked grams:
/// ranking on a sample costs more than it saves there.
const RANKED_FROM: usize = 64 << 10;

/// A line holding a needle, as [`Needles::next_line`] finds it.
struct Candidate {
    start: usize,
    /// The line's `\n`.
    end: usize,
    /// It may hold a rule's piece (false: no log rule can match it): it
    /// holds one, or a journal message as byte values.
    rule_piece: bool,
}

impl Needles {
    /// No needles: every line is parsed.
    pub(super) fn every_line(timeline: bool) -> Needles {
        Needles {
            texts: Vec::new(),
            rule_pieces: 0,
            unranked: None,
            ranked_from: usize::MAX,
            priority: None,
            message: None,
            timeline,
        }
    }

    /// The needles of `rules`, and of the timeline's events when
    /// `timeline` (a report without a timeline need not read its lines).
    pub(super) fn new(rules: &RuleSet, timeline: bool) -> Needles {
        let Some(pieces) = rules.log_line_needles() else {
            return Needles::every_line(timeline);
        };
        let mut texts: Vec<String> = pieces.to_vec();
        if timeline {
            texts.extend(crate::timeline::NEEDLES.iter().map(|n| n.to_string()));
        }
        texts.extend(ERROR_NEEDLES.iter().map(|n| n.to_string()));
        texts.extend(crate::parse::log::priority_needles());
        texts.push(MESSAGE_FIELD.to_string());
        let id = |text: &str| texts.iter().position(|t| t == text);
        Needles {
            priority: id("PRIORITY"),
            message: id(MESSAGE_FIELD),
            unranked: Grams::new(&texts, b"").map(Arc::new),
            rule_pieces: pieces.len(),
            texts,
            ranked_from: RANKED_FROM,
            timeline,
        }
    }

    /// These needles with grams ranked on every file whose first block
    /// holds at least `bytes` (tests use 0, and `usize::MAX` for none).
    #[cfg(test)]
    pub(super) fn ranked_from(mut self, bytes: usize) -> Needles {
        self.ranked_from = bytes;
        self
    }

    /// The grams for a file whose first block is `first`.
    fn grams_for(&self, first: &[u8]) -> Option<Arc<Grams>> {
        let unranked = self.unranked.as_ref()?;
        if first.len() < self.ranked_from {
            return Some(unranked.clone());
        }
        Grams::new(&self.texts, first).map(Arc::new)
    }

    /// The first line at or after byte `from` (a line's start) of `text`
    /// (whole lines, each ending in `\n`) that holds a needle, searched
    /// through `grams`; without them, the line at `from`.
    fn next_line(&self, text: &[u8], from: usize, grams: Option<&Grams>) -> Option<Candidate> {
        let Some(grams) = grams else {
            return (from < text.len()).then(|| Candidate {
                start: from,
                end: line_end(text, from),
                rule_piece: true,
            });
        };
        let counts = |f: Found| self.counts(f.needle, text, f.start + self.texts[f.needle].len());
        let found = grams.next_needle(&self.texts, text, from, text.len(), counts)?;
        let start = memchr::memrchr(b'\n', &text[from..found.start]).map_or(from, |i| from + i + 1);
        let end = line_end(text, found.start);
        // A journal message given as byte values shows no piece as text.
        let rule = |f: Found| f.needle < self.rule_pieces || (Some(f.needle) == self.message);
        let rule_piece = rule(found)
            || grams
                .next_needle(&self.texts, text, start, end, |f| rule(f) && counts(f))
                .is_some();
        Some(Candidate {
            start,
            end,
            rule_piece,
        })
    }

    /// Whether needle `id`, found ending at byte `end` of `text`, counts:
    /// `PRIORITY` only with [`pri_error`], `"MESSAGE"` only with
    /// [`message_is_array`].
    fn counts(&self, id: usize, text: &[u8], end: usize) -> bool {
        (Some(id) != self.priority || pri_error(text, end))
            && (Some(id) != self.message || message_is_array(text, end))
    }
}

/// The index of the `\n` that ends the line holding byte `at`.
fn line_end(text: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i)
}

fn parse(text: &str, year: Option<i32>) -> Option<LogRecord> {
    let ctx = LogContext {
        year: year.unwrap_or(YEAR_UNKNOWN),
        collected_at: None,
    };
    parse_line(text, &ctx)
}

/// A record whose stamp has no year (read with [`YEAR_UNKNOWN`]).
fn yearless(rec: &LogRecord) -> bool {
    [rec.time, rec.transport_time]
        .iter()
        .any(|t| t.is_some_and(|t| t.year() == YEAR_UNKNOWN))
}

/// Whether the scan keeps a record of `source`: a daemon log also holds
/// container output (journald log driver), which is not the daemon's.
fn kept(rec: &LogRecord, source: LogSource) -> bool {
    source != LogSource::Dockerd
        || rec
            .program
            .as_deref()
            .is_none_or(|p| DAEMON_PROGRAMS.iter().any(|d| p.starts_with(d)))
}

/// The year a kept record (read with [`YEAR_UNKNOWN`]) tells.
fn dated_year(rec: &LogRecord, source: LogSource) -> Option<i32> {
    rec.time
        .filter(|t| t.year() != YEAR_UNKNOWN && kept(rec, source))
        .map(|t| t.year())
}

/// A line of Docker's own: tagged by dockerd, docker or containerd (journald,
/// syslog), or a bare logrus line (`time=… level=… msg=…`, as dockerd
/// writes to a file).
fn is_docker_line(rec: &LogRecord) -> bool {
    match rec.program.as_deref() {
        Some(p) => ["dockerd", "docker", "containerd"]
            .iter()
            .any(|d| p.starts_with(d)),
        None => rec.level.is_some() && rec.time.is_some(),
    }
}

/// A field of a `journalctl -o export` record saying the entry is the
/// Docker daemon's.
fn is_docker_export_field(text: &str) -> bool {
    matches!(
        text,
        "SYSLOG_IDENTIFIER=dockerd" | "_SYSTEMD_UNIT=docker.service" | "_COMM=dockerd"
    )
}

/// What an unclassified line is grouped by: its message without a Go `log`
/// stamp or level tag, and its `error` field (logrus puts the cause there).
fn unclassified_message(rec: &LogRecord) -> String {
    let mut text = strip_own_prefix(&rec.msg).to_string();
    if let Some(e) = rec.field("error").or_else(|| rec.field("err")) {
        text.push_str(" error=");
        text.push_str(e);
    }
    if text.trim().is_empty() {
        text = rec.haystack();
    }
    text
}

/// The rule matcher and timeline of some lines of one file at a time.
pub(super) struct LogScan {
    pub matcher: LogMatcher,
    pub events: crate::timeline::Collector,
    /// (node, path, "node/path") of the file being read.
    file: (String, String, String),
    /// Line of the last logrus `level=panic` record of the file: the Go
    /// `panic:` line that follows it is the same event.
    panic_at: Option<usize>,
    /// The current line's haystack; one buffer for every line.
    haystack: String,
}

/// What one line told the scan besides matches and events.
#[derive(Debug, Default)]
struct Seen {
    docker: bool,
    host: Option<String>,
    /// The year of a kept record with a full stamp.
    year: Option<i32>,
    /// A kept record with a time (it dates a pending boot marker).
    timed: bool,
}

impl LogScan {
    /// A scan that extracts timeline events only when `timeline`.
    pub(super) fn new(rules: &RuleSet, timeline: bool) -> Self {
        LogScan {
            matcher: rules.log_matcher(),
            events: crate::timeline::Collector::new(timeline),
            file: Default::default(),
            panic_at: None,
            haystack: String::new(),
        }
    }

    /// Starts on another file (or the same one again).
    fn file(&mut self, node: &str, path: &str) {
        if self.file.0 != node || self.file.1 != path {
            self.file = (node.to_string(), path.to_string(), format!("{node}/{path}"));
            self.panic_at = None;
        }
    }

    /// Takes in one record (`rec` as parsed from `l`, `None` for a line that
    /// carries none), `known_year` being the year of the last dated line
    /// before it in its file. Without `rule_piece` (the line holds none of
    /// the rules' pieces), no log rule is tried.
    fn take(
        &mut self,
        l: &LogLine<'_>,
        source: LogSource,
        rec: Option<LogRecord>,
        known_year: Option<i32>,
        rule_piece: bool,
    ) -> Seen {
        let mut seen = Seen::default();
        let Some(rec) = rec else {
            if source == LogSource::Dockerd && is_docker_export_field(l.text) {
                seen.docker = true;
            }
            self.events.marker(l);
            return seen;
        };
        seen.docker = source == LogSource::Dockerd && is_docker_line(&rec);
        if !kept(&rec, source) {
            return seen;
        }
        if source == LogSource::Dockerd {
            seen.host = rec.host.clone();
        }
        seen.timed = rec.time.is_some();
        seen.year = rec.time.map(|t| t.year()).filter(|y| *y != YEAR_UNKNOWN);
        rec.haystack_into(&mut self.haystack);
        self.events.line(l, &self.file.2, &rec);
        // A joined multi-line journal record is quoted by its message line.
        let joined = matches!(l.text.as_bytes().first(), Some(b'{' | b'_' | b'A'..=b'Z'))
            && l.text.contains('\n');
        let raw = if joined {
            records::quote(l.text)
        } else {
            l.text
        };
        // A year-less stamp before any dated line of its file has no
        // trustworthy time: the finding quotes the line but does not date
        // it. The timeline re-dates such lines from the manifest's
        // collected_at.
        let time = rec
            .time
            .filter(|t| known_year.is_some() || t.year() != YEAR_UNKNOWN);
        let ev = LogEvent {
            node: l.node,
            file: &self.file.2,
            line: l.line,
            time,
            level: rec.level.map(|lv| lv.as_str()),
            source,
            haystack: &self.haystack,
            raw,
            engine_version: None,
        };
        let mut own = source == LogSource::Dockerd
            && rec.level >= Some(Level::Error)
            && !rec
                .program
                .as_deref()
                .is_some_and(|p| NOT_THE_DAEMON.contains(&p));
        if rec.level == Some(Level::Panic) {
            if go_panic(&rec) {
                if self.panic_at.is_some_and(|n| l.line > n && l.line - n <= 3) {
                    own = false;
                }
            } else {
                self.panic_at = Some(l.line);
            }
        }
        match (own, rule_piece) {
            (true, true) => self
                .matcher
                .observe_or_keep(&ev, || unclassified_message(&rec)),
            (true, false) => self.matcher.keep(&ev, || unclassified_message(&rec)),
            (false, true) => {
                self.matcher.observe(&ev);
            }
            (false, false) => {}
        }
        seen
    }
}

/// The Go runtime's own `panic:` line (after logrus's panic record, when
/// the daemon logged one).
fn go_panic(rec: &LogRecord) -> bool {
    rec.level == Some(Level::Panic) && rec.msg.starts_with("panic: ")
}

/// A line a block could not settle alone: it waits for the merge.
struct Deferred {
    line: usize,
    text: String,
    truncated: bool,
}

/// What scanning one block of a file found.
struct BlockScan {
    scan: LogScan,
    deferred: Vec<Deferred>,
    /// The host name of the block's first kept daemon line that has one
    /// (of the lines parsed).
    host: Option<(usize, String)>,
    docker: bool,
    /// The year of the block's last dated line.
    last_year: Option<i32>,
    /// The line of the block's last logrus panic record.
    last_panic: Option<usize>,
    /// The block's first kept line with a time, to date a boot marker an
    /// earlier block left pending.
    first_timed: Option<Deferred>,
}

/// A block to scan, as the reader hands it to the workers: read already,
/// or a range of a log on disk for the worker to read itself (the copy
/// then lands in the cache of the core that scans it).
struct Work {
    index: usize,
    file: FileJob,
    data: Data,
}

enum Data {
    Read(Block),
    Range(Arc<RangedLog>, usize),
}

impl Work {
    fn into_job(self) -> Job {
        let block = match self.data {
            Data::Read(block) => block,
            Data::Range(log, k) => log.read(k),
        };
        let FileJob {
            node,
            path,
            source,
            joined,
            grams,
        } = self.file;
        Job {
            index: self.index,
            node,
            path,
            source,
            joined,
            grams,
            block,
        }
    }
}

/// What every block of one file shares.
#[derive(Clone)]
struct FileJob {
    node: Arc<str>,
    path: Arc<str>,
    source: LogSource,
    joined: bool,
    grams: Option<Arc<Grams>>,
}

/// The reader's side of the scan: hands each block of a log the rules read
/// to the workers, in order.
struct Feeder<'a> {
    needles: &'a Needles,
    /// The workers' queue: without bound, as a range holds no text.
    tx: mpsc::Sender<Work>,
    /// One permit per block already read in the queue, so that at most
    /// this channel's bound of them wait there.
    permits: mpsc::SyncSender<()>,
    index: usize,
    /// The file being read, once its first block told how to scan it.
    file: Option<FileJob>,
}

impl Feeder<'_> {
    /// Starts on a file whose first block is `first`: whether it holds
    /// multi-line records, and the grams to search it with.
    fn start(&mut self, node: &str, path: &str, source: LogSource, first: &Block) {
        let joined = holds_records(first);
        let grams = (!joined)
            .then(|| self.needles.grams_for(&first.text))
            .flatten();
        self.file = Some(FileJob {
            node: node.into(),
            path: path.into(),
            source,
            joined,
            grams,
        });
    }

    fn send(&mut self, data: Data) {
        let Some(file) = self.file.clone() else {
            return;
        };
        let work = Work {
            index: self.index,
            file,
            data,
        };
        self.index += 1;
        // Sends fail only when the workers' queue is gone, which it is not
        // while the feeder lives (see `scan_with`).
        if matches!(work.data, Data::Read(_)) {
            let _ = self.permits.send(());
        }
        let _ = self.tx.send(work);
    }
}

impl LogSink for Feeder<'_> {
    fn block(&mut self, b: LogBlock<'_>) {
        let Some(source) = source_of(b.path) else {
            return;
        };
        let same = self
            .file
            .as_ref()
            .is_some_and(|f| f.node.as_ref() == b.node && f.path.as_ref() == b.path);
        if !same {
            self.start(b.node, b.path, source, &b.block);
        }
        self.send(Data::Read(b.block));
    }

    /// The first range is read here (it tells how to scan the file), the
    /// others by the workers.
    fn ranged(&mut self, node: &str, path: &str, log: Arc<RangedLog>) {
        let Some(source) = source_of(path) else {
            // Read only to be counted.
            return crate::bundle::read_in_order(&mut |_: LogBlock<'_>| {}, node, path, &log);
        };
        if log.ranges() > 0 {
            let first = log.read(0);
            self.start(node, path, source, &first);
            self.send(Data::Read(first));
        }
        for k in 1..log.ranges() {
            self.send(Data::Range(log.clone(), k));
        }
    }
}

/// One block handed from the reader to the workers.
struct Job {
    index: usize,
    node: Arc<str>,
    path: Arc<str>,
    source: LogSource,
    /// The file holds multi-line journal records: the merge reads it line
    /// by line, joining them.
    joined: bool,
    /// The file's grams, when it is big enough to have them.
    grams: Option<Arc<Grams>>,
    block: Block,
}

enum Done {
    Scanned(Job, Box<BlockScan>),
    /// Left to the merge (a file of multi-line records).
    Whole(Job),
}

/// Per-block state of [`scan_block`].
struct BlockCursor<'a> {
    job: &'a Job,
    /// The year of the last dated line before `scanned`.
    year: Option<i32>,
    /// Byte offset up to which every dated line has been seen.
    scanned: usize,
    out: BlockScan,
}

impl<'a> BlockCursor<'a> {
    fn text(&self) -> &[u8] {
        &self.job.block.text
    }

    /// The text of line number `line` at `start..end`, and whether it was cut.
    fn line_at(&self, start: usize, end: usize, line: usize) -> (Cow<'a, str>, bool) {
        let block: &'a Block = &self.job.block;
        let cut = block.was_cut(line);
        (line_text(&block.text[start..end], cut), cut)
    }

    /// Parses the line at `start..end` without taking it in; notes its host
    /// and whether it is Docker's.
    fn peek(&mut self, start: usize, end: usize, line: usize) -> Option<LogRecord> {
        let (text, _) = self.line_at(start, end, line);
        let rec = parse(&text, None)?;
        self.note(line, &rec);
        Some(rec)
    }

    fn note(&mut self, line: usize, rec: &LogRecord) {
        let source = self.job.source;
        if source == LogSource::Dockerd {
            self.out.docker |= is_docker_line(rec);
            if let Some(h) = rec.host.as_deref().filter(|_| kept(rec, source)) {
                if self.out.host.as_ref().is_none_or(|(n, _)| line < *n) {
                    self.out.host = Some((line, h.to_string()));
                }
            }
        }
    }

    /// The year of the last dated line before byte `upto`, looking back
    /// only as far as `scanned`; then everything before `upto` is seen.
    fn year_before(&mut self, upto: usize, line: usize) -> Option<i32> {
        let source = self.job.source;
        let mut end = upto;
        let mut n = line;
        while end > self.scanned {
            let last = end - 1; // the `\n` of the line before
            let start = memchr::memrchr(b'\n', &self.text()[self.scanned..last])
                .map_or(self.scanned, |i| self.scanned + i + 1);
            n -= 1;
            if let Some(y) = self
                .peek(start, last, n)
                .and_then(|r| dated_year(&r, source))
            {
                self.year = Some(y);
                break;
            }
            end = start;
        }
        self.scanned = upto;
        self.year
    }

    /// Takes in the line at `start..end` (number `line`): whether it is a
    /// kept record with a time, and whether it is a boot marker (which the
    /// next such record dates). Without `rule_piece`, no log rule is tried.
    fn take(&mut self, start: usize, end: usize, line: usize, rule_piece: bool) -> (bool, bool) {
        let job = self.job;
        let (text, cut) = self.line_at(start, end, line);
        let marker = job.source == LogSource::Dockerd && crate::timeline::is_boot_marker(&text);
        let l = LogLine {
            node: &job.node,
            path: &job.path,
            line,
            text: &text,
            truncated: cut,
        };
        let mut rec = parse(&text, None);
        if let Some(r) = &rec {
            self.note(line, r);
        }
        let mut known = self.year;
        if rec.as_ref().is_some_and(yearless) {
            known = self.year_before(start, line);
            if known.is_none() {
                self.defer(line, &text, cut);
                return (false, marker);
            }
            rec = parse(&text, known);
        }
        if rec.as_ref().is_some_and(go_panic)
            && self.out.scan.panic_at.is_none()
            && line < job.block.first_line + 3
        {
            self.defer(line, &text, cut);
            return (false, marker);
        }
        let seen = self.out.scan.take(&l, job.source, rec, known, rule_piece);
        if let Some(y) = seen.year {
            self.year = Some(y);
            self.scanned = end + 1;
        }
        (seen.timed, marker)
    }

    fn defer(&mut self, line: usize, text: &str, truncated: bool) {
        self.out.deferred.push(Deferred {
            line,
            text: text.to_string(),
            truncated,
        });
    }
}

/// Scans one block of a file of single-line records: parses its head (host,
/// Docker's lines, the first dated line) and every line holding a needle.
fn scan_block(job: &Job, rules: &RuleSet, needles: &Needles, docker_known: bool) -> BlockScan {
    let mut c = BlockCursor {
        job,
        year: None,
        scanned: 0,
        out: BlockScan {
            scan: LogScan::new(rules, needles.timeline),
            deferred: Vec::new(),
            host: None,
            docker: false,
            last_year: None,
            last_panic: None,
            first_timed: None,
        },
    };
    c.out.scan.file(&job.node, &job.path);
    let text = &job.block.text;
    let source = job.source;
    // The head: lines parsed for what the needles do not find.
    let (mut at, mut line) = (0, job.block.first_line);
    let mut want_timed = source == LogSource::Dockerd;
    let mut want_docker = source == LogSource::Dockerd && !docker_known;
    while at < text.len() {
        let want_host = c.out.host.is_none() && line < job.block.first_line + HEAD_LINES;
        if !(want_host || want_timed || (want_docker && !c.out.docker)) {
            break;
        }
        let end = line_end(text, at);
        if let Some(rec) = c.peek(at, end, line) {
            if want_timed && rec.time.is_some() && kept(&rec, source) {
                let (text, truncated) = c.line_at(at, end, line);
                c.out.first_timed = Some(Deferred {
                    line,
                    text: text.into_owned(),
                    truncated,
                });
                want_timed = false;
            }
            if let Some(y) = dated_year(&rec, source) {
                c.year = Some(y);
            }
        }
        want_docker &= !c.out.docker;
        at = end + 1;
        line += 1;
        c.scanned = at;
    }
    // The lines holding a needle, and after a boot marker every line up to
    // the first dated one.
    let (mut pos, mut counted, mut line) = (0, 0, job.block.first_line);
    let mut follow = false;
    while pos < text.len() {
        let grams = if follow { None } else { job.grams.as_deref() };
        let Some(Candidate {
            start,
            end,
            rule_piece,
        }) = needles.next_line(text, pos, grams)
        else {
            break;
        };
        line += memchr::memchr_iter(b'\n', &text[counted..start]).count();
        counted = start;
        let (timed, marker) = c.take(start, end, line, rule_piece);
        follow = (follow || marker) && !timed;
        pos = end + 1;
    }
    let after_last = line + memchr::memchr_iter(b'\n', &text[counted..]).count();
    c.out.last_year = c.year_before(text.len(), after_last);
    c.out.last_panic = c.out.scan.panic_at;
    c.out
}

/// What the merge carries from block to block of a file.
#[derive(Default)]
struct FileState {
    key: (Arc<str>, Arc<str>),
    year: Option<i32>,
    last_panic: Option<usize>,
    /// Multi-line records being joined (files read whole by the merge).
    records: Records,
}

/// Merges blocks in order: their matches, events, hosts, and the lines
/// they handed on.
struct Merge {
    scan: LogScan,
    file: FileState,
    hosts: BTreeMap<String, String>,
    docker: BTreeSet<String>,
}

impl Merge {
    fn new(rules: &RuleSet, timeline: bool) -> Merge {
        Merge {
            scan: LogScan::new(rules, timeline),
            file: FileState::default(),
            hosts: BTreeMap::new(),
            docker: BTreeSet::new(),
        }
    }

    fn block(&mut self, done: Done) {
        let job = match &done {
            Done::Scanned(job, _) | Done::Whole(job) => job,
        };
        if self.file.key != (job.node.clone(), job.path.clone()) {
            self.end_file();
            self.file = FileState {
                key: (job.node.clone(), job.path.clone()),
                ..FileState::default()
            };
        }
        self.scan.file(&job.node, &job.path);
        let job = match done {
            Done::Scanned(job, b) => {
                self.scanned(&job, *b);
                job
            }
            Done::Whole(job) => {
                self.whole(&job);
                job
            }
        };
        crate::bundle::give_back(job.block.text);
    }

    fn scanned(&mut self, job: &Job, b: BlockScan) {
        let file = format!("{}/{}", job.node, job.path);
        if let Some(d) = b.first_timed.as_ref() {
            if self.scan.events.boot_pending(&file) {
                if let Some(rec) = parse(&d.text, self.file.year) {
                    let l = d.line_of(job);
                    self.scan.events.date_boot(&l, &file, &rec);
                }
            }
        }
        self.scan.panic_at = self.file.last_panic;
        for d in &b.deferred {
            let rec = parse(&d.text, self.file.year);
            self.scan
                .take(&d.line_of(job), job.source, rec, self.file.year, true);
        }
        self.scan.matcher.merge(b.scan.matcher);
        self.scan.events.absorb(b.scan.events);
        if b.docker {
            self.docker.insert(job.node.to_string());
        }
        if let Some((_, h)) = b.host {
            self.hosts.entry(job.node.to_string()).or_insert(h);
        }
        self.file.year = b.last_year.or(self.file.year);
        self.file.last_panic = b.last_panic.or(self.file.last_panic);
    }

    /// A block of a file of multi-line records: every line, in order.
    fn whole(&mut self, job: &Job) {
        let mut records = std::mem::take(&mut self.file.records);
        for (n, text, cut) in job.block.lines() {
            records.push(n, &text, cut, &mut |n, t, c| self.record(job, n, t, c));
        }
        self.file.records = records;
    }

    fn record(&mut self, job: &Job, line: usize, text: &str, truncated: bool) {
        let l = LogLine {
            node: &job.node,
            path: &job.path,
            line,
            text,
            truncated,
        };
        let year = self.file.year;
        let rec = parse(text, year);
        let seen = self.scan.take(&l, job.source, rec, year, true);
        if seen.docker {
            self.docker.insert(job.node.to_string());
        }
        if let Some(h) = seen.host {
            self.hosts.entry(job.node.to_string()).or_insert(h);
        }
        if seen.year.is_some() {
            self.file.year = seen.year;
        }
    }

    /// Hands on a multi-line record still being joined at the end of a file.
    fn end_file(&mut self) {
        let mut records = std::mem::take(&mut self.file.records);
        let (node, path) = self.file.key.clone();
        if let Some(source) = source_of(&path) {
            let job = Job {
                index: 0,
                node,
                path,
                source,
                joined: true,
                grams: None,
                block: Block::default(),
            };
            records.flush(&mut |n, t, c| self.record(&job, n, t, c));
        }
    }
}

impl Deferred {
    fn line_of<'a>(&'a self, job: &'a Job) -> LogLine<'a> {
        LogLine {
            node: &job.node,
            path: &job.path,
            line: self.line,
            text: &self.text,
            truncated: self.truncated,
        }
    }
}

/// Reads one input on this thread while workers read (a log on disk) and
/// scan its log blocks and merge their results in block order, so reading
/// (and decompressing) overlaps with scanning and the result does not
/// depend on the thread count.
pub(super) fn scan_input(input: &Input, rules: &RuleSet, needles: &Needles) -> Result<Read> {
    scan_with(rules, needles, &input.labels(), |sink| {
        input.read_blocks(sink)
    })
}

/// What [`scan_with`] gives: what `read` returned, then as [`Read`].
type Scanned<T> = (
    T,
    LogMatcher,
    BTreeMap<String, String>,
    crate::timeline::Collector,
    BTreeSet<String>,
);

/// Runs `read` (which hands the logs of nodes `labels` to its sink) on a
/// reader thread while workers scan the blocks and this thread merges them.
fn scan_with<T>(
    rules: &RuleSet,
    needles: &Needles,
    labels: &[&str],
    read: impl FnOnce(&mut dyn LogSink) -> Result<T>,
) -> Result<Scanned<T>> {
    let workers = rayon::current_num_threads().max(1);
    let docker_known: HashMap<String, AtomicBool> = labels
        .iter()
        .map(|l| (l.to_string(), AtomicBool::new(false)))
        .collect();
    let (work_tx, work_rx) = mpsc::channel::<Work>();
    let (permits, permits_rx) = mpsc::sync_channel::<()>(2 * workers);
    let queue = Mutex::new((work_rx, permits_rx));
    let ordered = Mutex::new(Ordered {
        merge: Merge::new(rules, needles.timeline),
        waiting: BTreeMap::new(),
        next: 0,
    });
    // A worker that panics records it and goes on taking work (reading
    // ranges without scanning them), so no file's reader waits forever;
    // the panic is raised again at the end.
    let panicked: Mutex<Option<Box<dyn std::any::Any + Send>>> = Mutex::new(None);
    let read = std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let work = {
                    let q = queue.lock().unwrap_or_else(|e| e.into_inner());
                    let work = q.0.recv();
                    if let Ok(Work {
                        data: Data::Read(_),
                        ..
                    }) = &work
                    {
                        let _ = q.1.recv();
                    }
                    work
                };
                let Ok(work) = work else { break };
                if panicked.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                    drop(work.into_job());
                    continue;
                }
                let scan = || {
                    let done = scan_job(work.into_job(), rules, needles, &docker_known);
                    ordered.lock().unwrap_or_else(|e| e.into_inner()).push(done);
                };
                if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(scan)) {
                    panicked
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(p);
                }
            });
        }
        // The reader runs here; dropping its queue ends the workers.
        let mut feeder = Feeder {
            needles,
            tx: work_tx,
            permits,
            index: 0,
            file: None,
        };
        read(&mut feeder)
    });
    if let Some(p) = panicked.into_inner().unwrap_or_else(|e| e.into_inner()) {
        std::panic::resume_unwind(p);
    }
    let read = read?;
    let Ordered { mut merge, .. } = ordered.into_inner().unwrap_or_else(|e| e.into_inner());
    merge.end_file();
    Ok((
        read,
        merge.scan.matcher,
        merge.hosts,
        merge.scan.events,
        merge.docker,
    ))
}

/// Scans one block (or leaves it to the merge, for a file of multi-line
/// records): what the merge takes in.
fn scan_job(
    job: Job,
    rules: &RuleSet,
    needles: &Needles,
    docker_known: &HashMap<String, AtomicBool>,
) -> (usize, Done) {
    let index = job.index;
    if job.joined {
        return (index, Done::Whole(job));
    }
    let flag = docker_known.get(job.node.as_ref());
    let known = flag.is_some_and(|f| f.load(Ordering::Relaxed));
    let b = scan_block(&job, rules, needles, known);
    if b.docker {
        if let Some(f) = flag {
            f.store(true, Ordering::Relaxed);
        }
    }
    // The merge needs only what the scan found: the text holds this
    // worker's next block.
    let mut job = job;
    crate::bundle::give_back(std::mem::take(&mut job.block.text));
    (index, Done::Scanned(job, Box::new(b)))
}

/// The merge, and the blocks scanned ahead of the next one it takes: the
/// worker that scans the next block merges it and every one after it that
/// is ready (no thread waits for each block to be merged).
struct Ordered {
    merge: Merge,
    waiting: BTreeMap<usize, Done>,
    next: usize,
}

impl Ordered {
    fn push(&mut self, (index, done): (usize, Done)) {
        self.waiting.insert(index, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.merge.block(done);
            self.next += 1;
        }
    }
}

/// How [`scan_text`] hands a text to the scan.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(super) enum Feed {
    /// Streamed in blocks (as an archive's log is).
    Streamed,
    /// As a file on disk, in ranges the workers read.
    Ranged,
}

/// Scans `text` as one node's log through the same blocks (of about
/// `block_bytes`), workers and merge as an input, for tests.
#[cfg(test)]
pub(super) fn scan_text(
    rules: &RuleSet,
    needles: &Needles,
    (node, path): (&str, &str),
    text: &str,
    block_bytes: usize,
    feed: Feed,
) -> (
    LogMatcher,
    crate::timeline::Collector,
    BTreeMap<String, String>,
    BTreeSet<String>,
) {
    let max_line = crate::bundle::Limits::default().max_line_bytes;
    let read = |sink: &mut dyn LogSink| {
        match feed {
            Feed::Streamed => {
                let mut emit = |block| sink.block(LogBlock { node, path, block });
                crate::bundle::stream_blocks(
                    &mut text.as_bytes(),
                    max_line,
                    u64::MAX,
                    block_bytes,
                    &mut emit,
                );
            }
            Feed::Ranged => {
                let file = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(file.path(), text).unwrap();
                let log = RangedLog::open(file.path(), max_line, u64::MAX, block_bytes).unwrap();
                let log = Arc::new(log);
                sink.ranged(node, path, log.clone());
                log.finish();
            }
        }
        Ok(())
    };
    let ((), matcher, hosts, events, docker) = scan_with(rules, needles, &[node], read).unwrap();
    (matcher, events, hosts, docker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn findings(m: LogMatcher) -> String {
        serde_json::to_string_pretty(&m.finish()).unwrap()
    }

    fn events(c: crate::timeline::Collector) -> Vec<crate::timeline::Event> {
        c.finish(&mut Vec::new())
    }

    fn testdata(dir: &str) -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(dir);
        let mut v: Vec<PathBuf> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    }

    /// Every testdata input (swarmdiag bundles, lab captures, sosreports
    /// with their journals) gives the same matches, events, hosts and
    /// Docker logs when only the lines holding a needle are parsed as when
    /// every line is: the needles miss nothing these real logs hold, found
    /// through grams ranked on every file (small or not) or on no file.
    /// Without the timeline, the same matches, hosts and Docker logs, and
    /// no event.
    #[test]
    fn needles_miss_no_line_of_the_testdata() {
        let rules = RuleSet::embedded().unwrap();
        let all = Needles::every_line(true);
        let with_grams = Needles::new(&rules, true).ranked_from(0);
        let without = Needles::new(&rules, true).ranked_from(usize::MAX);
        let no_timeline = Needles::new(&rules, false).ranked_from(0);
        assert!(no_timeline.texts.len() < with_grams.texts.len());
        let limits = crate::bundle::Limits::default();
        let mut inputs = testdata("bundles");
        inputs.extend(testdata("lab"));
        inputs.extend(testdata("sos"));
        assert!(inputs.len() >= 20, "{}", inputs.len());
        for path in inputs {
            let mut input = vec![crate::bundle::open(&path, &limits).unwrap()];
            crate::bundle::label_uniquely(&mut input);
            let (_, m2, h2, e2, d2) = scan_input(&input[0], &rules, &all).unwrap();
            let (m2, e2) = (findings(m2), events(e2));
            for needles in [&with_grams, &without] {
                let (_, m1, h1, e1, d1) = scan_input(&input[0], &rules, needles).unwrap();
                let what = path.display();
                assert_eq!(findings(m1), m2, "{what}");
                assert_eq!(events(e1), e2, "{what}");
                assert_eq!((h1, d1), (h2.clone(), d2.clone()), "{what}");
            }
            let (_, m1, h1, e1, d1) = scan_input(&input[0], &rules, &no_timeline).unwrap();
            let what = path.display();
            assert_eq!(findings(m1), m2, "{what} without the timeline");
            assert_eq!(events(e1), [], "{what} without the timeline");
            assert_eq!((h1, d1), (h2, d2), "{what} without the timeline");
        }
    }

    /// Each testdata log cut into small blocks (so lines are dated, panics
    /// paired and boot markers dated across blocks), streamed or read in
    /// ranges by the workers, gives what it gives read whole.
    #[test]
    fn small_blocks_give_what_one_block_gives() {
        let rules = RuleSet::embedded().unwrap();
        let needles = Needles::new(&rules, true).ranked_from(0);
        let mut logs = Vec::new();
        for dir in testdata("bundles").into_iter().chain(testdata("lab")) {
            for node in std::fs::read_dir(&dir).unwrap() {
                let node = node.unwrap().path();
                for log in ["logs/dockerd.log", "logs/kernel.log"] {
                    if node.join(log).is_file() {
                        logs.push((node.join(log), log));
                    }
                }
            }
        }
        assert!(logs.len() > 50);
        for (file, log) in logs {
            let text = std::fs::read_to_string(&file).unwrap();
            let run = |block, feed| {
                let (m, e, h, d) = scan_text(&rules, &needles, ("n1", log), &text, block, feed);
                (findings(m), events(e), h, d)
            };
            let whole = run(crate::bundle::BLOCK_BYTES, Feed::Streamed);
            for block in [4096, 700] {
                for feed in [Feed::Streamed, Feed::Ranged] {
                    let what = format!("{} in blocks of {block}, {feed:?}", file.display());
                    assert_eq!(run(block, feed), whole, "{what}");
                }
            }
        }
    }
}
