/*!
Reading bundles: directories, zip and tar archives (plain, gzip, xz, zstd,
bzip2), sosreports, and lone log files, from disk or standard input;
read-only and bounded. Nothing is ever extracted or written.

An input path holds one or more node bundles (`docs/bundle-layout.md`), at its
top, one level down, or deeper, and possibly inside archives nested one level
(a cluster zip of per-node zips). Reading an input takes two passes:

1. [`open`] walks it to find the node roots and name them (for a tar.gz this
   inflates the stream once, skipping content);
2. [`Input::read`] walks it again, streams every log line to a callback and
   keeps the other sources in memory.

Logs can be gigabytes, so they are never held whole; the small JSON and text
sources are kept for parallel parsing. Each input is independent, so the
caller can read several on rayon threads after [`label_uniquely`].

Hostile content (escaping names, links, bombs, garbage) never fails a run
that has something usable: it becomes a [`Note`]. Caps are in [`Limits`].
*/

mod dir;
mod layout;
mod limits;
mod lines;
#[cfg(test)]
pub(crate) use lines::stream_blocks;
pub(crate) use lines::Streamed;
pub use lines::{give_back, line_text, Block, BLOCK_BYTES};
pub use ranges::RangedLog;
mod path;
mod ranges;
mod read;
mod seek_buf;
mod tar;
mod walk;
mod zip;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use layout::{
    classify, is_docker_source, sos_layout_path, source_name, whole_of_part, Flavor, SourceKind,
    SOS_SPECS,
};
pub use limits::Limits;
pub(crate) use path::escape_controls;
pub use read::{label_uniquely, open, Input, STDIN};

/// One node bundle found in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBundle {
    /// Unique, stable, human name: the root directory's name, or the
    /// archive's (or directory's) name without extension for a root at its
    /// top. Two roots with the same name become `name@parent`.
    pub label: String,
    /// Where it came from, for messages: the user's path, then `!` and the
    /// path inside an archive (`cluster.zip!node1.zip!swarmdiag-node1-…`).
    pub origin: String,
    /// What the root holds: a swarmdiag bundle, a sosreport, or a log.
    pub flavor: Flavor,
    /// Non-log sources by layout path (`docker/info.json`), including
    /// `*.stderr` files. Unknown files are not kept (see `notes`).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Every log file that was streamed, by layout path, even if empty.
    pub logs: BTreeMap<String, LogSummary>,
    /// Where each source read under another name sits in the input, by
    /// layout path: `docker/info.txt` → `sos_commands/docker/docker_info`
    /// (and a whole made of parts, `swarm/networks.json`, → the sos
    /// pattern of its parts). Empty for a swarmdiag bundle.
    pub sources: BTreeMap<String, String>,
    /// Files of a sosreport that swarmdiag does not read.
    pub unread: usize,
    /// What was skipped, cut or unreadable in this node's bundle.
    pub notes: Vec<Note>,
}

impl NodeBundle {
    /// The kept files with their kinds, in path order.
    pub fn sources(&self) -> impl Iterator<Item = (SourceKind, &str, &[u8])> {
        self.files
            .iter()
            .map(|(p, b)| (classify(p), p.as_str(), b.as_slice()))
    }
}

/// How much of one log file was streamed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogSummary {
    pub lines: usize,
    /// Bytes read from the (decompressed) file.
    pub bytes: u64,
    /// Lines cut at `max_line_bytes`.
    pub cut_lines: usize,
    /// False when the file was cut by `max_log_bytes` or a read error.
    pub complete: bool,
}

/// A coverage note. In a [`NodeBundle`], `path` is relative to the node root
/// (`""` for the whole bundle); in [`Bundles::notes`] it is an origin-style
/// path (`cluster.zip!README.txt`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// One log line, as streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The [`NodeBundle::label`] of the node it belongs to.
    pub node: &'a str,
    /// Relative path in the node bundle, e.g. `logs/dockerd.log`.
    pub path: &'a str,
    /// 1-based line number.
    pub line: usize,
    /// Lossy UTF-8 without the line end; at most `max_line_bytes` bytes of
    /// the original line.
    pub text: &'a str,
    /// The line was longer than `max_line_bytes` (or cut by `max_log_bytes`)
    /// and `text` is only its beginning.
    pub truncated: bool,
}

/// A block of whole lines of one node's log file, as read (see [`Block`]).
#[derive(Debug)]
pub struct LogBlock<'a> {
    /// The [`NodeBundle::label`] of the node it belongs to.
    pub node: &'a str,
    /// Relative path in the node bundle, e.g. `logs/dockerd.log`.
    pub path: &'a str,
    pub block: Block,
}

impl LogBlock<'_> {
    /// Its lines, one [`LogLine`] each, in order.
    pub fn each_line(&self, f: &mut dyn FnMut(&LogLine<'_>)) {
        for (line, text, truncated) in self.block.lines() {
            f(&LogLine {
                node: self.node,
                path: self.path,
                line,
                text: &text,
                truncated,
            });
        }
    }
}

/// Where [`Input::read_blocks`] hands the logs it reads.
pub(crate) trait LogSink {
    /// A block of whole lines of a log, in file order.
    fn block(&mut self, b: LogBlock<'_>);

    /// A log on disk, whose ranges can be read on any thread, each after
    /// the one before it is handed to a reader. Every range must be read:
    /// the caller waits for that ([`RangedLog::finish`]). By default the
    /// ranges are read here, in order, and handed to [`LogSink::block`].
    fn ranged(&mut self, node: &str, path: &str, log: std::sync::Arc<RangedLog>) {
        read_in_order(self, node, path, &log)
    }
}

/// Reads every range of `log` in order, handing each to `sink` as a block.
pub(crate) fn read_in_order(
    sink: &mut (impl LogSink + ?Sized),
    node: &str,
    path: &str,
    log: &RangedLog,
) {
    for k in 0..log.ranges() {
        let block = log.read(k);
        sink.block(LogBlock { node, path, block });
    }
}

impl<F: FnMut(LogBlock<'_>)> LogSink for F {
    fn block(&mut self, b: LogBlock<'_>) {
        self(b)
    }
}

/// What reading one or more inputs produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundles {
    pub nodes: Vec<NodeBundle>,
    /// Notes about entries that belong to no node: files outside any node
    /// root, unsafe names, nested archives that could not be read.
    pub notes: Vec<Note>,
}

/// Opens every path, names all nodes uniquely across them, and reads them one
/// after the other, streaming every log line to `on_line`.
/// Fails on the first path that holds nothing usable.
pub fn read_bundles(
    paths: &[PathBuf],
    limits: &Limits,
    on_line: &mut dyn FnMut(&LogLine<'_>),
) -> crate::error::Result<Bundles> {
    let mut inputs = paths
        .iter()
        .map(|p| open(p, limits))
        .collect::<crate::error::Result<Vec<_>>>()?;
    label_uniquely(&mut inputs);
    let mut all = Bundles::default();
    for input in &inputs {
        let read = input.read(on_line)?;
        all.nodes.extend(read.nodes);
        all.notes.extend(read.notes);
    }
    Ok(all)
}
