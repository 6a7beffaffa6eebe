/*!
The two passes over an input. `Scanner` lists entry paths per container
(the input itself and each archive nested in it) to find node roots;
`Reader` walks the same entries again and files each one under its node:
logs are streamed, known sources kept, everything else noted.
*/

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::layout::{
    beyond_root_depth, classify, layout_path, root_of, source_name, whole_of_part, Flavor,
    RootCandidates, SourceKind, MAX_ROOT_DEPTH,
};
use super::limits::{human, Budget, Limits};
use super::lines::{cut_long_lines, stream_blocks, BLOCK_BYTES};
use super::path::{
    archive_ext, base_name, display, is_clutter, normalize, one_line, parent, stem, Format, Unsafe,
};
use super::ranges::RangedLog;
use super::walk::{detect, walk_nested, walk_path, Entry, EntryKind, Flow, Visit};
use super::{Bundles, LogBlock, LogLine, LogSink, LogSummary, NodeBundle, Note, Streamed};
use crate::error::{Error, Result};
use std::sync::Arc;

/// An input path whose node roots are known; [`Input::read`] reads it.
/// Holds no open file, so it can be sent to another thread.
#[derive(Debug, Clone)]
pub struct Input {
    path: PathBuf,
    /// The input's bytes when it was read from standard input.
    memory: Option<Arc<Vec<u8>>>,
    /// `None` for a directory.
    format: Option<Format>,
    limits: Limits,
    containers: Vec<Container>,
    /// Index in `containers` of each nested archive, by entry path.
    nested: BTreeMap<String, usize>,
    nodes: Vec<NodeInfo>,
}

/// The input itself (index 0) or an archive nested in it.
#[derive(Debug, Clone)]
struct Container {
    /// Entry path of a nested archive in the input.
    key: Option<String>,
    /// How messages name it: a user path, or `outer!inner.zip`.
    origin: String,
    /// Label of a root at its top, and what disambiguates that label.
    stem: String,
    qualifier: String,
    roots: Vec<String>,
    /// What each root holds, in the order of `roots`.
    flavors: Vec<Flavor>,
    /// Each root and its index in `roots`, for [`root_of`].
    root_index: BTreeMap<String, usize>,
    /// Node index of each root.
    nodes: Vec<usize>,
    /// Why it could not be opened at all.
    error: Option<String>,
    /// Container-wide trouble found while scanning (cut archive…).
    problems: Vec<String>,
}

#[derive(Debug, Clone)]
struct NodeInfo {
    flavor: Flavor,
    base: String,
    qualifier: String,
    label: String,
    origin: String,
}

const NO_ROOT: &str = "no node bundle found (looked for a swarmdiag bundle: manifest.json or \
     docker/, swarm/, logs/, host/, netns/; a sosreport: sos_commands/; or a Docker daemon log)";

/// The path that names standard input.
pub const STDIN: &str = "-";

/// Finds the node bundles in `path`: a directory, an archive (zip, tar,
/// tar.gz, tar.xz, tar.zst, tar.bz2; recognized by content first, then by
/// extension), or a text file (maybe compressed) read as one node's daemon
/// log. `-` reads the same from standard input, held in memory up to
/// `max_nested_bytes`. Fails when the path cannot be read or holds no node
/// bundle at all.
pub fn open(path: &Path, limits: &Limits) -> Result<Input> {
    let fail = |message: String| Error::Bundle {
        path: path.to_path_buf(),
        message: one_line(&message),
    };
    let memory = if path.as_os_str() == STDIN {
        Some(Arc::new(read_stdin(limits).map_err(fail)?))
    } else {
        None
    };
    let format = match &memory {
        Some(bytes) => Some(detect(path, Some(bytes)).map_err(fail)?),
        None => {
            let meta = fs::metadata(path).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
            if meta.is_dir() {
                None
            } else if meta.is_file() {
                Some(detect(path, None).map_err(fail)?)
            } else {
                return Err(fail("not a directory or a regular file".to_string()));
            }
        }
    };
    let (name, parent_name) = match memory {
        Some(_) => ("stdin".to_string(), String::new()),
        None => names_of(path),
    };
    let outer = Container {
        key: None,
        origin: path.display().to_string(),
        stem: if format.is_some() {
            stem(&name).to_string()
        } else {
            name
        },
        qualifier: parent_name,
        roots: Vec::new(),
        flavors: Vec::new(),
        root_index: BTreeMap::new(),
        nodes: Vec::new(),
        error: None,
        problems: Vec::new(),
    };
    let mut scan = Scanner {
        limits,
        budget: Budget::default(),
        containers: vec![outer],
        candidates: vec![RootCandidates::default()],
        nested: BTreeMap::new(),
        current: 0,
        is_dir: format.is_none(),
        unsafe_names: 0,
    };
    let walked = walk_path(
        path,
        memory.as_deref().map(Vec::as_slice),
        format,
        &mut scan,
    )
    .map_err(fail)?;
    scan.containers[0].problems.extend(walked.problems);
    scan.containers[0].problems.extend(scan.budget.stop.take());
    if scan.unsafe_names > 0 {
        let n = scan.unsafe_names;
        scan.containers[0]
            .problems
            .push(format!("{n} entries with unsafe names were skipped"));
    }

    let mut input = Input {
        path: path.to_path_buf(),
        memory,
        format,
        limits: limits.clone(),
        containers: plan(scan.containers, scan.candidates, format),
        nested: BTreeMap::new(),
        nodes: Vec::new(),
    };
    input.nested = input
        .containers
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.key.clone()?, i)))
        .collect();
    input.nodes = node_infos(&mut input.containers, format.is_none());
    if input.nodes.is_empty() {
        let mut message = NO_ROOT.to_string();
        for c in &input.containers {
            for why in c.error.iter().chain(&c.problems) {
                match &c.key {
                    None => message.push_str(&format!("; {why}")),
                    Some(key) => message.push_str(&format!("; {key}: {why}")),
                }
            }
        }
        return Err(fail(message));
    }
    label_uniquely(std::slice::from_mut(&mut input));
    Ok(input)
}

/// Standard input, held whole: finding roots and reading are two passes.
/// More than `max_nested_bytes` is refused, as a nested zip is.
fn read_stdin(limits: &Limits) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limits.max_nested_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("standard input not readable ({e})"))?;
    if bytes.len() as u64 > limits.max_nested_bytes {
        return Err(format!(
            "standard input larger than {} (max_nested_bytes); give the file's path instead",
            human(limits.max_nested_bytes)
        ));
    }
    if bytes.is_empty() {
        return Err("standard input is empty".to_string());
    }
    Ok(bytes)
}

/// Gives every node of every input a label no other node has, in input
/// order. A name shared by several roots becomes `name@parent`; a clash
/// left after that gets `#2`, `#3`…
pub fn label_uniquely(inputs: &mut [Input]) {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for node in inputs.iter().flat_map(|i| &i.nodes) {
        *count.entry(node.base.clone()).or_default() += 1;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for node in inputs.iter_mut().flat_map(|i| &mut i.nodes) {
        let wanted = if count.get(&node.base).copied().unwrap_or(0) > 1 {
            format!("{}@{}", node.base, node.qualifier)
        } else {
            node.base.clone()
        };
        let mut label = wanted.clone();
        let mut n = 2;
        while used.contains(&label) {
            label = format!("{wanted}#{n}");
            n += 1;
        }
        used.insert(label.clone());
        node.label = label;
    }
}

impl Input {
    /// The path given to [`open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Labels of the nodes found, in the order `read` returns them.
    pub fn labels(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.label.as_str()).collect()
    }

    /// Reads the input: streams each log line to `on_line` in file order and
    /// returns the node bundles with their other files and notes. Fails only
    /// if the input can no longer be opened.
    pub fn read(&self, on_line: &mut dyn FnMut(&LogLine<'_>)) -> Result<Bundles> {
        self.read_blocks(&mut |b: LogBlock<'_>| b.each_line(on_line))
    }

    /// Reads the input like [`Input::read`], handing each log to `sink`: in
    /// blocks of whole lines ([`super::Block`]), in file order, or, for a
    /// log on disk, as ranges the sink may read on other threads.
    pub(crate) fn read_blocks(&self, sink: &mut dyn LogSink) -> Result<Bundles> {
        let mut reader = Reader {
            input: self,
            budget: Budget::default(),
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeBundle {
                    label: n.label.clone(),
                    origin: n.origin.clone(),
                    flavor: n.flavor,
                    files: BTreeMap::new(),
                    logs: BTreeMap::new(),
                    sources: BTreeMap::new(),
                    unread: 0,
                    notes: Vec::new(),
                })
                .collect(),
            notes: Vec::new(),
            current: 0,
            kept: 0,
            seen: BTreeSet::new(),
            sink,
            pending: VecDeque::new(),
        };
        let memory = self.memory.as_deref().map(Vec::as_slice);
        let walked =
            walk_path(&self.path, memory, self.format, &mut reader).map_err(|message| {
                Error::Bundle {
                    path: self.path.clone(),
                    message: one_line(&message),
                }
            })?;
        while !reader.pending.is_empty() {
            reader.settle_oldest();
        }
        reader.container_problems(0, &walked.problems);
        if let Some(stop) = reader.budget.stop.take() {
            for node in &mut reader.nodes {
                node.notes.push(Note {
                    path: String::new(),
                    message: stop.clone(),
                });
            }
        }
        Ok(Bundles {
            nodes: reader.nodes,
            notes: reader.notes,
        })
    }
}

/// The input's own name and its parent directory's name, for labels.
fn names_of(path: &Path) -> (String, String) {
    let name = |p: Option<&Path>| {
        p.and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    };
    // As the user wrote it; `.`, `..` and bare names need the real path.
    let full = || fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let own = name(Some(path))
        .or_else(|| name(Some(&full())))
        .unwrap_or_else(|| "bundle".to_string());
    let parent = name(path.parent())
        .or_else(|| name(full().parent()))
        .unwrap_or_default();
    (own, parent)
}

/// Roots per container, in a stable order: the input first, then nested
/// archives by path. A nested archive inside a node root is not a container.
fn plan(
    mut containers: Vec<Container>,
    candidates: Vec<RootCandidates>,
    format: Option<Format>,
) -> Vec<Container> {
    for (c, candidates) in containers.iter_mut().zip(&candidates) {
        (c.roots, c.flavors) = candidates.roots_with_flavor().into_iter().unzip();
    }
    // A lone file is its own root: a log.
    if let (Some(Format::File(_)), Some(outer)) = (format, containers.first_mut()) {
        outer.roots = vec![String::new()];
        outer.flavors = vec![Flavor::Log];
    }
    let outer_roots = containers
        .first()
        .map(|c| index_of(&c.roots))
        .unwrap_or_default();
    for c in containers.iter_mut().skip(1) {
        if c.key
            .as_deref()
            .is_some_and(|k| root_of(&outer_roots, k).is_some())
        {
            c.roots.clear();
            c.flavors.clear();
        }
    }
    if let Some(nested) = containers.get_mut(1..) {
        nested.sort_by(|a, b| a.key.cmp(&b.key));
    }
    for c in &mut containers {
        c.root_index = index_of(&c.roots);
    }
    containers
}

fn index_of(roots: &[String]) -> BTreeMap<String, usize> {
    roots
        .iter()
        .enumerate()
        .map(|(i, r)| (r.clone(), i))
        .collect()
}

fn node_infos(containers: &mut [Container], is_dir: bool) -> Vec<NodeInfo> {
    let mut nodes = Vec::new();
    let outer_stem = containers
        .first()
        .map(|c| c.stem.clone())
        .unwrap_or_default();
    for c in containers.iter_mut() {
        for (root, &flavor) in c.roots.iter().zip(&c.flavors) {
            let (base, qualifier) = if root.is_empty() {
                (c.stem.clone(), c.qualifier.clone())
            } else if parent(root).is_empty() {
                (base_name(root).to_string(), c.stem.clone())
            } else {
                (
                    base_name(root).to_string(),
                    base_name(parent(root)).to_string(),
                )
            };
            let qualifier = if qualifier.is_empty() {
                outer_stem.clone()
            } else {
                qualifier
            };
            c.nodes.push(nodes.len());
            nodes.push(NodeInfo {
                flavor,
                base: if base.is_empty() {
                    "node".to_string()
                } else {
                    base
                },
                qualifier,
                label: String::new(),
                origin: entry_origin(&c.origin, root, is_dir && c.key.is_none()),
            });
        }
    }
    nodes
}

/// How messages name `path` inside a container: `dir/path` on disk,
/// `archive!path` inside an archive.
fn entry_origin(container_origin: &str, path: &str, on_disk: bool) -> String {
    if path.is_empty() {
        container_origin.to_string()
    } else if on_disk {
        Path::new(container_origin).join(path).display().to_string()
    } else {
        format!("{container_origin}!{path}")
    }
}

/// First pass: entry paths per container, nested archives walked in turn.
struct Scanner<'l> {
    limits: &'l Limits,
    budget: Budget,
    containers: Vec<Container>,
    /// Root candidates of each container.
    candidates: Vec<RootCandidates>,
    /// Nested archives already seen, by entry path.
    nested: BTreeMap<String, usize>,
    current: usize,
    is_dir: bool,
    /// Entries refused by `normalize`, to explain an empty result.
    unsafe_names: usize,
}

impl Visit for Scanner<'_> {
    fn entry(&mut self, e: Entry<'_>) -> Flow {
        if !self.budget.enter(self.limits) {
            return Flow::Stop;
        }
        let skip_cost = if e.sequential { e.size } else { 0 };
        let path = match normalize(e.name) {
            Ok(path) if !is_clutter(&path) && e.kind != EntryKind::Dir => path,
            Ok(_) | Err(Unsafe::Empty) => return flow(self.budget.spend(skip_cost, self.limits)),
            Err(_) => {
                self.unsafe_names += 1;
                return flow(self.budget.spend(skip_cost, self.limits));
            }
        };
        if e.kind == EntryKind::File {
            if let Some(format) = archive_ext(&path) {
                if self.current != 0 || self.nested.contains_key(&path) {
                    return flow(self.budget.spend(skip_cost, self.limits));
                }
                if !self.budget.spend(e.size, self.limits) {
                    return Flow::Stop;
                }
                let outer = &self.containers[0];
                let origin = entry_origin(&outer.origin, &path, self.is_dir);
                let qualifier = match base_name(parent(&path)) {
                    "" => outer.stem.clone(),
                    dir => dir.to_string(),
                };
                self.containers.push(Container {
                    key: Some(path.clone()),
                    origin,
                    stem: stem(base_name(&path)).to_string(),
                    qualifier,
                    roots: Vec::new(),
                    flavors: Vec::new(),
                    root_index: BTreeMap::new(),
                    nodes: Vec::new(),
                    error: None,
                    problems: Vec::new(),
                });
                self.candidates.push(RootCandidates::default());
                let index = self.containers.len() - 1;
                self.nested.insert(path, index);
                self.current = index;
                let walked = walk_nested(e, format, self.limits.max_nested_bytes, self);
                self.current = 0;
                match walked {
                    Ok(w) => self.containers[index].problems = w.problems,
                    Err(why) => self.containers[index].error = Some(why),
                }
                return flow(self.budget.stop.is_none());
            }
        }
        if let Some(c) = self.candidates.get_mut(self.current) {
            c.add(&path);
        }
        flow(self.budget.spend(skip_cost, self.limits))
    }
}

fn flow(go_on: bool) -> Flow {
    if go_on {
        Flow::Continue
    } else {
        Flow::Stop
    }
}

/// Second pass: files each entry under its node.
struct Reader<'a> {
    input: &'a Input,
    budget: Budget,
    nodes: Vec<NodeBundle>,
    notes: Vec<Note>,
    current: usize,
    /// Non-log bytes held so far.
    kept: u64,
    seen: BTreeSet<(usize, String)>,
    sink: &'a mut dyn LogSink,
    /// Logs handed on in ranges whose reading is not yet summed up (node,
    /// path, log), oldest first.
    pending: VecDeque<(usize, String, Arc<RangedLog>)>,
}

/// Logs handed on in ranges that may be read at once: the next file's
/// first range is read (and its scan set up) while the workers still read
/// the last one's, and few files are held open.
const PENDING_LOGS: usize = 2;

impl Visit for Reader<'_> {
    fn entry(&mut self, e: Entry<'_>) -> Flow {
        let input = self.input;
        let limits = &input.limits;
        if !self.budget.enter(limits) {
            return Flow::Stop;
        }
        let container = &input.containers[self.current];
        let skip_cost = if e.sequential { e.size } else { 0 };
        let path = match normalize(e.name) {
            Ok(path) => path,
            Err(why) => {
                if why != Unsafe::Empty && e.kind != EntryKind::Meta {
                    self.input_note(display(e.name), why.to_string());
                }
                return flow(self.budget.spend(skip_cost, limits));
            }
        };
        if is_clutter(&path) || matches!(e.kind, EntryKind::Dir | EntryKind::Meta) {
            return flow(self.budget.spend(skip_cost, limits));
        }
        let place = root_of(&container.root_index, &path);
        if !self.seen.insert((self.current, path.clone())) {
            let why = "duplicate entry; the first one was used".to_string();
            match place {
                Some((root, rel)) => self.note(container.nodes[root], rel, why),
                None => self.input_note(self.origin_of(&path), why),
            }
            return flow(self.budget.spend(skip_cost, limits));
        }
        let message = match &e.kind {
            EntryKind::File if archive_ext(&path).is_some() => match place {
                None if self.current == 0 => return self.nested(e, path),
                None => Some("archive nested two levels deep; not read".to_string()),
                Some(_) => Some("archive inside a node bundle; not read".to_string()),
            },
            EntryKind::File => None,
            EntryKind::Symlink(target) => Some(format!("symbolic link to {target}; not followed")),
            EntryKind::Hardlink(target) => Some(format!("hard link to {target}; not followed")),
            EntryKind::Special(what) => Some(format!("{what}; skipped")),
            EntryKind::Unreadable(why) => Some(format!("unreadable ({why}); skipped")),
            EntryKind::Dir | EntryKind::Meta => None,
        };
        match (place, message) {
            (Some((root, rel)), None) => return self.file(container.nodes[root], rel, e),
            // sos links its own files (`lsmod` → `sos_commands/kernel/lsmod`)
            // and copies links from the host: not worth a note each.
            (Some((root, _)), Some(_))
                if input.nodes[container.nodes[root]].flavor == Flavor::Sosreport
                    && matches!(e.kind, EntryKind::Symlink(_)) =>
            {
                self.nodes[container.nodes[root]].unread += 1;
            }
            (Some((root, rel)), Some(why)) => self.note(container.nodes[root], rel, why),
            (None, None) => {
                let why = if beyond_root_depth(&path) {
                    format!(
                        "outside any node bundle (node bundles are looked for only \
                         {MAX_ROOT_DEPTH} directories deep); ignored"
                    )
                } else {
                    "outside any node bundle; ignored".to_string()
                };
                self.input_note(self.origin_of(&path), why);
            }
            (None, Some(why)) if e.kind == EntryKind::File => {
                self.input_note(self.origin_of(&path), why)
            }
            (None, Some(why)) => {
                let why = format!("{why} (outside any node bundle)");
                self.input_note(self.origin_of(&path), why);
            }
        }
        flow(self.budget.spend(skip_cost, limits))
    }
}

impl Reader<'_> {
    fn file(&mut self, node: usize, rel: &str, e: Entry<'_>) -> Flow {
        let input = self.input;
        let limits = &input.limits;
        let skip_cost = if e.sequential { e.size } else { 0 };
        let flavor = input.nodes[node].flavor;
        // A sosreport holds hundreds of files swarmdiag does not read:
        // they are counted, not noted one by one.
        let Some(layout) = layout_path(flavor, rel) else {
            self.nodes[node].unread += 1;
            return flow(self.budget.spend(skip_cost, limits));
        };
        let kind = classify(&layout);
        if kind == SourceKind::Unknown {
            self.note(node, rel, "not part of the bundle layout; ignored".into());
            return flow(self.budget.spend(skip_cost, limits));
        }
        if layout != rel {
            let b = &mut self.nodes[node];
            if let Some(other) = b.sources.get(&layout).cloned() {
                let why = format!("holds the same source as {other}, which is read instead");
                self.note(node, rel, why);
                return flow(self.budget.spend(skip_cost, limits));
            }
            b.sources.insert(layout.clone(), rel.to_string());
            if let Some(name) = source_name(&layout) {
                // Parts are named by the pattern of their files.
                let own = match whole_of_part(&layout) {
                    Some(whole) => super::layout::sos_pattern_of(whole).unwrap_or(rel),
                    None => rel,
                };
                b.sources.insert(name.to_string(), own.to_string());
            }
        }
        let rel = layout.as_str();
        if kind.is_log() {
            // Read the part under the log cap even if skipping the rest of a
            // tar entry then passes the total cap.
            let read_cost = e.size.min(limits.max_log_bytes);
            if !self.budget.spend(read_cost, limits) {
                return Flow::Stop;
            }
            self.stream_log(node, rel, e.data, e.disk_path);
            return flow(
                self.budget
                    .spend(skip_cost.saturating_sub(read_cost), limits),
            );
        }
        if e.size > limits.max_file_bytes {
            let why = format!(
                "larger than {} (max_file_bytes); skipped",
                human(limits.max_file_bytes)
            );
            self.note(node, rel, why);
            return flow(self.budget.spend(skip_cost, limits));
        }
        let kept_full = format!(
            "skipped: the input already holds {} of files (max_kept_bytes)",
            human(limits.max_kept_bytes)
        );
        if self.kept.saturating_add(e.size) > limits.max_kept_bytes {
            self.note(node, rel, kept_full);
            return flow(self.budget.spend(skip_cost, limits));
        }
        if !self.budget.spend(e.size, limits) {
            return Flow::Stop;
        }
        let cap = limits.max_file_bytes;
        // Declared sizes can lie: reserve little up front.
        let mut bytes = Vec::with_capacity(usize::try_from(e.size.min(1 << 20)).unwrap_or(0));
        match e.data.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
            Err(err) => self.note(node, rel, format!("read error ({err}); skipped")),
            Ok(_) if bytes.len() as u64 > cap => {
                let why = format!("larger than {} (max_file_bytes); skipped", human(cap));
                self.note(node, rel, why);
            }
            Ok(_) if self.kept + bytes.len() as u64 > limits.max_kept_bytes => {
                self.note(node, rel, kept_full);
            }
            Ok(_) => {
                if !rel.ends_with(".json") {
                    let (cut, first) = cut_long_lines(&mut bytes, limits.max_line_bytes);
                    if let Some(first) = first {
                        let why = format!(
                            "{cut} line(s) longer than {} (max_line_bytes) were cut, the first at line {first}",
                            human(limits.max_line_bytes as u64)
                        );
                        self.note(node, rel, why);
                    }
                }
                bytes.shrink_to_fit();
                self.kept += bytes.len() as u64;
                self.nodes[node].files.insert(rel.to_string(), bytes);
            }
        }
        Flow::Continue
    }

    /// Hands a log to the sink: one on disk as ranges, any other streamed.
    fn stream_log(&mut self, node: usize, rel: &str, data: &mut dyn Read, disk: Option<&Path>) {
        let input = self.input;
        let limits = &input.limits;
        let label = input.nodes[node].label.as_str();
        let (max_line, max_bytes) = (limits.max_line_bytes, limits.max_log_bytes);
        // A file that cannot be opened so is streamed, which notes why.
        let ranged = disk.and_then(|p| RangedLog::open(p, max_line, max_bytes, BLOCK_BYTES).ok());
        let s = match ranged {
            Some(log) => {
                let log = Arc::new(log);
                self.sink.ranged(label, rel, log.clone());
                self.pending.push_back((node, rel.to_string(), log));
                if self.pending.len() > PENDING_LOGS {
                    self.settle_oldest();
                }
                return;
            }
            None => {
                let sink = &mut *self.sink;
                let mut emit = |block| {
                    sink.block(LogBlock {
                        node: label,
                        path: rel,
                        block,
                    })
                };
                stream_blocks(data, max_line, max_bytes, BLOCK_BYTES, &mut emit)
            }
        };
        self.logged(node, rel, s);
    }

    /// Notes and sums up the oldest log handed on in ranges, once every
    /// range of it is read.
    fn settle_oldest(&mut self) {
        if let Some((node, rel, log)) = self.pending.pop_front() {
            let s = log.finish();
            self.logged(node, &rel, s);
        }
    }

    /// Notes what reading a log found, and sums it up.
    fn logged(&mut self, node: usize, rel: &str, s: Streamed) {
        let limits = &self.input.limits;
        if let Some(first) = s.first_cut {
            let why = format!(
                "{} line(s) longer than {} (max_line_bytes) were cut, the first at line {first}",
                s.cut_lines,
                human(limits.max_line_bytes as u64)
            );
            self.note(node, rel, why);
        }
        if s.over_cap {
            let why = format!(
                "log larger than {} (max_log_bytes); lines after line {} were not read",
                human(limits.max_log_bytes),
                s.lines
            );
            self.note(node, rel, why);
        }
        if let Some(err) = &s.error {
            let why = format!(
                "read error after line {} ({err}); later lines are missing",
                s.lines
            );
            self.note(node, rel, why);
        }
        let summary = LogSummary {
            lines: s.lines,
            bytes: s.bytes,
            cut_lines: s.cut_lines,
            complete: !s.over_cap && s.error.is_none(),
        };
        self.nodes[node].logs.insert(rel.to_string(), summary);
    }

    /// Walks a nested archive found by the scan.
    fn nested(&mut self, e: Entry<'_>, path: String) -> Flow {
        let input = self.input;
        let limits = &input.limits;
        let skip_cost = if e.sequential { e.size } else { 0 };
        let found = input.nested.get(&path).copied();
        let Some(index) = found.filter(|&i| !input.containers[i].nodes.is_empty()) else {
            let why = match found.and_then(|i| input.containers[i].error.as_ref()) {
                Some(why) => format!("nested archive not read: {why}"),
                None => "nested archive holds no node bundle; ignored".to_string(),
            };
            let at = self.origin_of(&path);
            self.input_note(at, why);
            return flow(self.budget.spend(skip_cost, limits));
        };
        if !self.budget.spend(e.size, limits) {
            return Flow::Stop;
        }
        let format = archive_ext(&path).unwrap_or(Format::Zip);
        self.current = index;
        let walked = walk_nested(e, format, limits.max_nested_bytes, self);
        self.current = 0;
        match walked {
            Ok(w) => self.container_problems(index, &w.problems),
            Err(why) => {
                self.container_problems(index, &[format!("nested archive not read: {why}")])
            }
        }
        flow(self.budget.stop.is_none())
    }

    /// Container-wide trouble goes to each of its nodes, or to the input if
    /// it has none.
    fn container_problems(&mut self, index: usize, problems: &[String]) {
        let input = self.input;
        let container = &input.containers[index];
        for why in problems {
            if container.nodes.is_empty() {
                self.input_note(container.origin.clone(), why.clone());
            }
            for &node in &container.nodes {
                self.note(node, "", why.clone());
            }
        }
    }

    fn origin_of(&self, path: &str) -> String {
        let c = &self.input.containers[self.current];
        entry_origin(
            &c.origin,
            path,
            self.current == 0 && self.input.format.is_none(),
        )
    }

    /// Notes quote names and library errors from the archive: they are
    /// made one line here, control characters escaped.
    fn note(&mut self, node: usize, path: &str, message: String) {
        if let Some(n) = self.nodes.get_mut(node) {
            // A source read under its layout name is noted under its own.
            let path = n.sources.get(path).map_or(path, String::as_str);
            n.notes.push(Note {
                path: one_line(path),
                message: one_line(&message),
            });
        }
    }

    fn input_note(&mut self, path: String, message: String) {
        self.notes.push(Note {
            path: one_line(&path),
            message: one_line(&message),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_come_from_the_path_as_given() {
        let (own, parent) = names_of(Path::new("/cases/a/node1.zip"));
        assert_eq!((own.as_str(), parent.as_str()), ("node1.zip", "a"));
        let cwd = std::env::current_dir().unwrap();
        let (own, _) = names_of(Path::new("."));
        assert_eq!(Some(own.as_str()), cwd.file_name().and_then(|n| n.to_str()));
        let (_, parent) = names_of(Path::new("Cargo.toml"));
        assert_eq!(
            Some(parent.as_str()),
            cwd.file_name().and_then(|n| n.to_str())
        );
    }

    #[test]
    fn entry_origins() {
        assert_eq!(entry_origin("c.zip", "", false), "c.zip");
        assert_eq!(entry_origin("c.zip", "node1", false), "c.zip!node1");
        assert_eq!(entry_origin("/cases/c", "node1", true), "/cases/c/node1");
    }
}
