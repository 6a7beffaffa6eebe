//! Builds the cluster model from node bundles: parses every file (in parallel,
//! across nodes and files), then merges the nodes into one cluster.

use super::{Cluster, Manifest, NetState, NodeState};
use crate::bundle::{classify, NodeBundle, SourceKind};
use crate::parse::{self, json::parse_api_time};
use crate::report::CoverageNote;
use rayon::prelude::*;
use std::borrow::Cow;

/// One parsed file, before it is put in its place in a `NodeState`.
enum Parsed {
    Manifest(Manifest),
    Version(parse::version::Version),
    Info(Box<parse::info::Info>),
    Nodes(Vec<parse::node::Node>),
    Services(Vec<parse::service::Service>),
    Tasks(Vec<parse::task::Task>),
    Networks(Vec<parse::network::Network>),
    Containers(Vec<parse::container::Container>),
    Addrs(Option<String>, Vec<parse::ip_addr::Interface>),
    Links(Option<String>, Vec<parse::ip_addr::Interface>),
    Routes(Option<String>, Vec<parse::ip_route::Route>),
    Neigh(String, Vec<parse::ip_neigh::Neigh>),
    Fdb(String, Vec<parse::bridge_fdb::FdbEntry>),
    Iptables(Option<String>, parse::iptables::Ruleset),
    Nft(parse::nft::Ruleset),
    Ipvs(String, parse::ipvsadm::Ipvs),
    /// `netns/<ns>/ipvsadm.txt.stderr`: where the collector puts
    /// `Can't initialize ipvs: …` (the stdout file is then empty).
    /// ipvsadm's stderr saying IPVS is unavailable: (namespace, parsed, stderr path, text).
    IpvsStderr(String, parse::ipvsadm::Ipvs, String, String),
    Sysctl(
        Option<String>,
        std::collections::BTreeMap<String, parse::sysctl::Sysctl>,
    ),
    Modules(Vec<parse::lsmod::Module>),
    Sockets(Vec<parse::sockets::Socket>),
    KernelConfig(String),
    /// `host/hostname.txt`, trimmed.
    Hostname(String),
    /// `<path>.stderr`: the base path and the text, kept as is.
    Stderr(String, String),
    /// Read but not modelled (daemon.json, cmdline, service ps).
    Other,
}

/// Lines of one command-output file (iptables, ip, ipvsadm, bridge, ss,
/// sysctl, lsmod) that are parsed; later lines are only counted, in a note.
/// A parsed line takes up to about ten times its text (an iptables rule of
/// 100 bytes becomes a `Rule` of about 1 KB), so the parsed size, not only
/// the kept text, needs a bound. Real files hold a few thousand lines.
pub const MAX_PARSED_LINES_PER_FILE: usize = 100_000;

/// Lines of command output parsed in one analysis, over every node and file
/// (in label, then path order, so the cut is the same on every run).
pub const MAX_PARSED_LINES: usize = 1_000_000;

/// Parses every node bundle and merges them into one cluster.
pub fn build(bundles: &[NodeBundle]) -> Cluster {
    let budgets = line_budgets(bundles);
    let mut nodes: Vec<NodeState> = bundles
        .par_iter()
        .zip(&budgets)
        .map(|(b, budget)| parse_node(b, borrowed(b), budget))
        .collect();
    nodes.sort_by(|a, b| a.label.cmp(&b.label));
    merge(nodes)
}

/// A bundle's files, borrowed.
fn borrowed(b: &NodeBundle) -> Vec<File<'_>> {
    b.files
        .iter()
        .map(|(p, v)| (p.clone(), Cow::Borrowed(v.as_slice())))
        .collect()
}

/// [`build`], freeing each file's bytes as soon as it is parsed (the paths
/// stay in `NodeBundle::files`, with empty contents): the parsed objects
/// then replace the text instead of piling up beside it.
pub fn build_freeing(bundles: &mut [NodeBundle]) -> Cluster {
    let budgets = line_budgets(bundles);
    let mut nodes: Vec<NodeState> = bundles
        .par_iter_mut()
        .zip(&budgets)
        .map(|(b, budget)| {
            let files = b
                .files
                .iter_mut()
                .map(|(p, v)| (p.clone(), Cow::Owned(std::mem::take(v))))
                .collect();
            parse_node(b, files, budget)
        })
        .collect();
    nodes.sort_by(|a, b| a.label.cmp(&b.label));
    merge(nodes)
}

/// Command output parsed line by line into objects (not JSON inspect
/// output, logs, or text kept as is).
fn parsed_by_line(kind: &SourceKind) -> bool {
    use SourceKind as K;
    matches!(
        kind,
        K::HostIpAddr
            | K::HostIpLink
            | K::HostIpRoute
            | K::HostIptables
            | K::HostSysctl
            | K::HostModules
            | K::HostSockets
            | K::NetnsIpAddr(_)
            | K::NetnsIpLink(_)
            | K::NetnsIpRoute(_)
            | K::NetnsIpNeigh(_)
            | K::NetnsBridgeFdb(_)
            | K::NetnsIptables(_)
            | K::NetnsIpvsadm(_)
            | K::NetnsSysctl(_)
    )
}

/// For each bundle, the files to parse only in part: path -> (lines to
/// parse, lines in the file).
type Budget = std::collections::BTreeMap<String, (usize, usize)>;

fn line_budgets(bundles: &[NodeBundle]) -> Vec<Budget> {
    let mut order: Vec<usize> = (0..bundles.len()).collect();
    order.sort_by(|&a, &b| bundles[a].label.cmp(&bundles[b].label));
    let mut left = MAX_PARSED_LINES;
    let mut budgets = vec![Budget::new(); bundles.len()];
    for i in order {
        for (path, bytes) in &bundles[i].files {
            if !parsed_by_line(&classify(path)) {
                continue;
            }
            let lines = bytes.iter().filter(|&&b| b == b'\n').count()
                + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
            let allowed = lines.min(MAX_PARSED_LINES_PER_FILE).min(left);
            left -= allowed;
            if allowed < lines {
                budgets[i].insert(path.clone(), (allowed, lines));
            }
        }
    }
    budgets
}

/// The first `n` lines of `text`.
fn first_lines(text: &str, n: usize) -> &str {
    match text.match_indices('\n').nth(n.saturating_sub(1)) {
        Some((i, _)) if n > 0 => &text[..=i],
        _ if n == 0 => "",
        _ => text,
    }
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Valid UTF-8 (nearly every file) is checked by the fast validator;
    // only invalid text takes the slower lossy path.
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A file of a bundle: its path and bytes.
type File<'a> = (String, Cow<'a, [u8]>);

/// What parsing one file gave: its path, the parsed file or why not, notes.
type Outcome = (String, Result<Parsed, String>, Vec<String>);

/// Parses one file of a bundle.
fn parse_one(path: &str, bytes: &[u8], budget: &Budget) -> Outcome {
    let mut notes = Vec::new();
    let text = text(bytes);
    let text = match budget.get(path) {
        Some(&(0, lines)) => {
            let why = format!(
                "not parsed ({lines} lines): swarmdiag parses at most {MAX_PARSED_LINES} \
                 lines of command output in all, to bound memory"
            );
            return (path.to_string(), Err(why), notes);
        }
        Some(&(allowed, lines)) => {
            notes.push(format!(
                "only the first {allowed} of {lines} lines parsed: swarmdiag parses at most \
                 {MAX_PARSED_LINES_PER_FILE} lines of one command output and \
                 {MAX_PARSED_LINES} in all, to bound memory"
            ));
            first_lines(&text, allowed)
        }
        None => &text,
    };
    let parsed = parse_file(&classify(path), text, &mut notes);
    (path.to_string(), parsed, notes)
}

/// Parses the files of one bundle (`files`: its paths and bytes, in path
/// order); a file that fails becomes a coverage note. Each file's bytes are
/// dropped once it is parsed.
fn parse_node(b: &NodeBundle, files: Vec<File>, budget: &Budget) -> NodeState {
    // Biggest first: their bytes are freed early, before the many small
    // files' parsed objects pile up. Results go back to path order below.
    let mut files: Vec<(usize, File)> = files.into_iter().enumerate().collect();
    files.sort_by_key(|(i, (_, bytes))| (std::cmp::Reverse(bytes.len()), *i));
    let mut results: Vec<(usize, Outcome)> = files
        .into_par_iter()
        .map(|(i, (path, bytes))| (i, parse_one(&path, &bytes, budget)))
        .collect();
    results.sort_unstable_by_key(|(i, _)| *i);

    let mut n = NodeState {
        label: b.label.clone(),
        origin: b.origin.clone(),
        flavor: b.flavor,
        sources: b.sources.clone(),
        ..NodeState::default()
    };
    n.notes.extend(b.notes.iter().map(|note| CoverageNote {
        path: note.path.clone(),
        message: note.message.clone(),
    }));
    for (_, (path, result, notes)) in results {
        for message in notes {
            n.notes.push(CoverageNote {
                path: path.clone(),
                message,
            });
        }
        match result {
            Ok(Parsed::Other) => {}
            Ok(Parsed::Stderr(base, text)) => {
                n.stderr.insert(base, text);
            }
            Ok(parsed) => {
                let name = crate::bundle::source_name(&path).map_or(path.clone(), String::from);
                // A sosreport inspects every network; the layout's
                // swarm/networks.json holds the swarm-scope ones.
                let parsed = match parsed {
                    Parsed::Networks(mut v) if name != path => {
                        v.retain(|net| net.scope == "swarm");
                        Parsed::Networks(v)
                    }
                    p => p,
                };
                n.present.push(name);
                place(&mut n, parsed);
            }
            Err(message) => n.notes.push(CoverageNote { path, message }),
        }
    }
    n.present.sort();
    n.present.dedup();
    n.notes.sort();
    n.collected_at = n
        .manifest
        .as_ref()
        .and_then(|m| parse_api_time(&m.collected_at));
    n.hostname = n
        .info
        .as_ref()
        .map(|i| i.name.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            n.manifest
                .as_ref()
                .map(|m| m.hostname.clone())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| sos_host(&n))
        .or_else(|| n.host_name_file.clone())
        .unwrap_or_else(|| n.label.clone());
    one_line(&mut n.hostname);
    n.node_id = n
        .info
        .as_ref()
        .map(|i| i.swarm.node_id.clone())
        .unwrap_or_default();
    n
}

/// A name from a bundle as one line: Docker allows no control character in
/// service, network or host names, so one there (a newline forging a report
/// line, issue 12) is shown escaped (`\n`) wherever the name is quoted.
fn one_line(name: &mut String) {
    if let std::borrow::Cow::Owned(s) = crate::bundle::escape_controls(name, &[]) {
        *name = s;
    }
}

/// The host a sosreport names itself after: sos writes
/// `sosreport-<host>[-<case id>]-<YYYY-MM-DD>-<random>` (the same short
/// name docker info reports), so a sosreport whose daemon was down is still
/// named after its node.
fn sos_host(n: &NodeState) -> Option<String> {
    if n.flavor != crate::bundle::Flavor::Sosreport {
        return None;
    }
    let label = n.label.split(['@', '#']).next()?;
    let rest = label.strip_prefix("sosreport-")?;
    let parts: Vec<&str> = rest.split('-').collect();
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    // 4.x: `-YYYY-MM-DD-<random>`; 3.x: `-YYYYmmddHHMMSS` (and `.<case id>`
    // after the host).
    let date_at = (0..parts.len().saturating_sub(3))
        .rev()
        .find(|&i| parts[i].len() == 4 && parts[i..i + 3].iter().all(digits))
        .or_else(|| {
            let last = parts.len().checked_sub(1)?;
            (parts[last].len() == 14 && digits(&parts[last])).then_some(last)
        })?;
    let host = parts[..date_at].join("-");
    let host = host.split('.').next().unwrap_or("");
    (!host.is_empty()).then(|| host.to_string())
}

/// Keeps a batch's items; its problems (bad elements, a cut-off file) become notes.
fn batch<T>(
    b: Result<parse::json::Batch<T>, parse::ParseError>,
    notes: &mut Vec<String>,
) -> Result<Vec<T>, String> {
    let b = b.map_err(|e| e.to_string())?;
    for p in &b.problems {
        notes.push(format!("skipped: {p}"));
    }
    if b.truncated {
        notes.push(format!(
            "file is cut off; kept the {} complete items before the cut",
            b.items.len()
        ));
    }
    Ok(b.items)
}

fn parse_file(kind: &SourceKind, text: &str, notes: &mut Vec<String>) -> Result<Parsed, String> {
    use SourceKind as K;
    let e = |e: parse::ParseError| e.to_string();
    Ok(match kind {
        K::Manifest => Parsed::Manifest(
            serde_json::from_str(text.trim()).map_err(|e| format!("invalid JSON: {e}"))?,
        ),
        K::DockerVersion => Parsed::Version(parse::version::parse(text).map_err(e)?),
        K::DockerInfo => Parsed::Info(Box::new(parse::info::parse(text).map_err(e)?)),
        K::DockerVersionText => Parsed::Version(parse::version_text::parse(text).map_err(e)?),
        K::DockerInfoText => Parsed::Info(Box::new(parse::info_text::parse(text).map_err(e)?)),
        K::SwarmNodes => Parsed::Nodes(batch(parse::node::parse(text), notes)?),
        K::SwarmServices => Parsed::Services(batch(parse::service::parse(text), notes)?),
        K::SwarmTasks => Parsed::Tasks(batch(parse::task::parse(text), notes)?),
        K::SwarmNetworks => Parsed::Networks(batch(parse::network::parse(text), notes)?),
        K::Containers => Parsed::Containers(batch(parse::container::parse(text), notes)?),
        K::HostIpAddr => Parsed::Addrs(None, parse::ip_addr::parse(text).map_err(e)?),
        K::HostIpLink => Parsed::Links(None, parse::ip_addr::parse(text).map_err(e)?),
        K::HostIpRoute => Parsed::Routes(None, parse::ip_route::parse(text).map_err(e)?),
        K::HostIptables => Parsed::Iptables(None, parse::iptables::parse_save(text).map_err(e)?),
        K::HostNft => Parsed::Nft(parse::nft::parse(text).map_err(e)?),
        K::HostSysctl => Parsed::Sysctl(None, parse::sysctl::parse(text)),
        K::HostModules => Parsed::Modules(parse::lsmod::parse(text)),
        K::HostSockets => Parsed::Sockets(parse::sockets::parse(text)),
        K::HostKernelConfig => Parsed::KernelConfig(text.to_string()),
        K::HostHostname => Parsed::Hostname(text.trim().to_string()),
        K::NetnsIpAddr(ns) => {
            Parsed::Addrs(Some(ns.clone()), parse::ip_addr::parse(text).map_err(e)?)
        }
        K::NetnsIpLink(ns) => {
            Parsed::Links(Some(ns.clone()), parse::ip_addr::parse(text).map_err(e)?)
        }
        K::NetnsIpRoute(ns) => {
            Parsed::Routes(Some(ns.clone()), parse::ip_route::parse(text).map_err(e)?)
        }
        K::NetnsIpNeigh(ns) => Parsed::Neigh(ns.clone(), parse::ip_neigh::parse(text).map_err(e)?),
        K::NetnsBridgeFdb(ns) => {
            Parsed::Fdb(ns.clone(), parse::bridge_fdb::parse(text).map_err(e)?)
        }
        K::NetnsIptables(ns) => Parsed::Iptables(
            Some(ns.clone()),
            parse::iptables::parse_save(text).map_err(e)?,
        ),
        K::NetnsIpvsadm(ns) => Parsed::Ipvs(ns.clone(), parse::ipvsadm::parse(text).map_err(e)?),
        K::NetnsSysctl(ns) => Parsed::Sysctl(Some(ns.clone()), parse::sysctl::parse(text)),
        K::Stderr(base) if !text.trim().is_empty() => {
            let stderr = text.trim_end().to_string();
            match crate::bundle::classify(base) {
                K::NetnsIpvsadm(ns) => match parse::ipvsadm::parse(text) {
                    Ok(v) if !v.available => Parsed::IpvsStderr(ns, v, base.clone(), stderr),
                    _ => Parsed::Stderr(base.clone(), stderr),
                },
                _ => Parsed::Stderr(base.clone(), stderr),
            }
        }
        _ => Parsed::Other,
    })
}

fn place(n: &mut NodeState, parsed: Parsed) {
    fn ns(n: &mut NodeState, name: Option<String>) -> &mut NetState {
        match name {
            Some(name) => n.netns.entry(name).or_default(),
            None => &mut n.host,
        }
    }
    match parsed {
        Parsed::Manifest(m) => n.manifest = Some(m),
        Parsed::Version(v) => n.version = Some(v),
        Parsed::Info(i) => n.info = Some(*i),
        Parsed::Nodes(mut v) => {
            v.iter_mut().for_each(|x| one_line(&mut x.hostname));
            n.swarm_nodes = Some(v)
        }
        Parsed::Services(mut v) => {
            v.iter_mut().for_each(|s| one_line(&mut s.name));
            n.services = Some(v)
        }
        Parsed::Tasks(v) => n.tasks = Some(v),
        // A sosreport gives one file per network and per container.
        Parsed::Networks(mut v) => {
            v.iter_mut().for_each(|x| one_line(&mut x.name));
            n.networks.get_or_insert_with(Vec::new).extend(v)
        }
        Parsed::Containers(v) => n.containers.get_or_insert_with(Vec::new).extend(v),
        Parsed::Addrs(name, v) => ns(n, name).addrs = Some(v),
        Parsed::Links(name, v) => ns(n, name).links = Some(v),
        Parsed::Routes(name, v) => ns(n, name).routes = Some(v),
        Parsed::Neigh(name, v) => ns(n, Some(name)).neigh = Some(v),
        Parsed::Fdb(name, v) => ns(n, Some(name)).fdb = Some(v),
        Parsed::Iptables(name, v) => ns(n, name).iptables = Some(v),
        Parsed::Nft(v) => n.host.nft = Some(v),
        Parsed::Ipvs(name, v) => {
            // The stderr file may have been placed first: keep its verdict.
            let slot = &mut ns(n, Some(name)).ipvs;
            let unavailable = slot.as_ref().filter(|old| !old.available).cloned();
            *slot = Some(v);
            if let (Some(cur), Some(old)) = (slot.as_mut(), unavailable) {
                cur.available = false;
                cur.error = cur.error.take().or(old.error);
            }
        }
        Parsed::IpvsStderr(name, v, base, text) => {
            n.stderr.insert(base, text);
            let slot = &mut ns(n, Some(name)).ipvs;
            match slot {
                Some(cur) => {
                    cur.available = false;
                    cur.error = cur.error.take().or(v.error);
                }
                None => *slot = Some(v),
            }
        }
        Parsed::Sysctl(None, v) => n.host_sysctl = Some(v),
        Parsed::Sysctl(Some(name), v) => ns(n, Some(name)).sysctl = Some(v),
        Parsed::Modules(v) => n.host_modules = Some(v),
        Parsed::Sockets(v) => n.host_sockets = Some(v),
        Parsed::KernelConfig(v) => n.kernel_config = Some(v),
        Parsed::Hostname(v) => n.host_name_file = Some(v).filter(|h| !h.is_empty()),
        Parsed::Stderr(base, text) => {
            n.stderr.insert(base, text);
        }
        Parsed::Other => {}
    }
}

/// Merges node states into a cluster: cluster-wide objects from the freshest
/// manager bundle (latest `collected_at`, then label, so the pick is stable).
fn merge(nodes: Vec<NodeState>) -> Cluster {
    let (nodes, set_aside) = one_bundle_per_node(nodes);
    let source = nodes
        .iter()
        .filter(|n| n.swarm_nodes.is_some() || n.services.is_some() || n.tasks.is_some())
        .max_by(|a, b| {
            a.collected_at
                .cmp(&b.collected_at)
                .then_with(|| b.label.cmp(&a.label))
        })
        .map(|n| n.label.clone());

    let mut cluster = Cluster {
        cluster_source: source.clone(),
        set_aside,
        ..Cluster::default()
    };
    let mut nodes = nodes;
    if let Some(src) = nodes.iter_mut().find(|n| Some(&n.label) == source.as_ref()) {
        let mut dups = Vec::new();
        cluster.swarm_nodes = first_of_each_id(
            src.swarm_nodes.clone(),
            |x| &x.id,
            "swarm/nodes.json",
            &mut dups,
        );
        // The source's own lists move into the cluster (nothing reads a
        // bundle's copy once merged; `Some` stays to say the file was there).
        cluster.services = first_of_each_id(
            src.services.as_mut().map(std::mem::take),
            |x| &x.id,
            "swarm/services.json",
            &mut dups,
        );
        cluster.tasks = first_of_each_id(
            src.tasks.as_mut().map(std::mem::take),
            |x| &x.id,
            "swarm/tasks.json",
            &mut dups,
        );
        src.notes.extend(dups);
    }
    // Other managers' copies are not read after the merge: free them.
    for n in nodes.iter_mut() {
        for list in [n.services.as_mut()].into_iter().flatten() {
            *list = Vec::new();
        }
        for list in [n.tasks.as_mut()].into_iter().flatten() {
            *list = Vec::new();
        }
    }
    // Network definitions: the cluster source's view first, then any network
    // another node knows that it does not.
    let mut order: Vec<&NodeState> = nodes.iter().collect();
    order.sort_by_key(|n| (Some(&n.label) != source.as_ref(), n.label.clone()));
    let mut known = std::collections::HashSet::new();
    for n in order {
        for net in n.networks.iter().flatten() {
            if known.insert(net.id.as_str()) {
                cluster.networks.push(net.clone());
            }
        }
    }
    cluster
        .networks
        .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    cluster.nodes = nodes;
    cluster
}

/// The objects of a cluster file, keeping the first of each id: an object
/// listed twice (a hand-merged or corrupt file) would count twice (two
/// leaders, an extra manager). Each dropped copy is noted.
fn first_of_each_id<T>(
    items: Option<Vec<T>>,
    id: impl Fn(&T) -> &String,
    path: &str,
    notes: &mut Vec<CoverageNote>,
) -> Vec<T> {
    let items = items.unwrap_or_default();
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut dup = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        let key = id(item).as_str();
        if !key.is_empty() && !seen.insert(key) {
            dup[i] = true;
            notes.push(CoverageNote {
                path: path.into(),
                message: format!("id {key} is listed more than once; the first is used"),
            });
        }
    }
    if !dup.contains(&true) {
        return items;
    }
    items
        .into_iter()
        .zip(dup)
        .filter_map(|(item, d)| (!d).then_some(item))
        .collect()
}

/// Two bundles of one swarm node (same node id: collected twice, or a
/// before and an after given together) would count that node twice. The
/// newest is kept (ties: the first label); the others are set aside with a
/// note on the kept node. Returns the kept nodes and the set-aside labels.
fn one_bundle_per_node(nodes: Vec<NodeState>) -> (Vec<NodeState>, Vec<String>) {
    use std::collections::{HashMap, HashSet};
    // The newest bundle of each swarm node id (ties: the first label).
    let mut newest: HashMap<&str, &NodeState> = HashMap::new();
    for n in nodes.iter().filter(|n| !n.node_id.is_empty()) {
        let best = newest.entry(n.node_id.as_str()).or_insert(n);
        let order = best
            .collected_at
            .cmp(&n.collected_at)
            .then_with(|| n.label.cmp(&best.label));
        if order != std::cmp::Ordering::Greater {
            *best = n;
        }
    }
    let mut aside: Vec<(String, String, String)> = Vec::new();
    for n in nodes.iter().filter(|n| !n.node_id.is_empty()) {
        let kept = &newest[n.node_id.as_str()].label;
        if *kept != n.label {
            let when = n
                .collected_at
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| "at an unknown time".into());
            aside.push((n.label.clone(), kept.clone(), when));
        }
    }
    let set_aside: HashSet<&str> = aside.iter().map(|(label, _, _)| label.as_str()).collect();
    let mut older: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for (label, kept, when) in &aside {
        older.entry(kept).or_default().push((label, when));
    }
    let mut kept_nodes = Vec::with_capacity(nodes.len());
    for mut n in nodes {
        if set_aside.contains(n.label.as_str()) {
            continue;
        }
        for (label, when) in older.get(n.label.as_str()).into_iter().flatten() {
            n.notes.push(CoverageNote {
                path: String::new(),
                message: format!(
                    "bundle {label} (collected {when}) is an older bundle of this swarm node \
                     ({}); only the newest is analyzed: compare them with `swarmdiag diff`",
                    n.node_id
                ),
            });
        }
        kept_nodes.push(n);
    }
    (
        kept_nodes,
        aside.into_iter().map(|(label, _, _)| label).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(label: &str, files: Vec<(&str, String)>) -> NodeBundle {
        NodeBundle {
            label: label.into(),
            origin: label.into(),
            files: files
                .into_iter()
                .map(|(p, t)| (p.to_string(), t.into_bytes()))
                .collect(),
            logs: Default::default(),
            notes: Vec::new(),
            flavor: Default::default(),
            sources: Default::default(),
            unread: 0,
        }
    }

    fn rules(n: usize) -> String {
        let mut t = String::from("*filter\n:DOCKER - [0:0]\n");
        for i in 0..n {
            t.push_str(&format!(
                "-A DOCKER -d 172.18.{}.{}/32 -p tcp -m tcp --dport {} -j ACCEPT\n",
                i / 250 % 256,
                i % 250 + 2,
                1000 + i % 60000
            ));
        }
        t.push_str("COMMIT\n");
        t
    }

    /// Issue 12: an iptables-save of a few hundred megabytes parsed to about
    /// ten times its size. A file's parsed lines are capped, with a note.
    #[test]
    fn issue12_a_huge_command_output_is_parsed_in_part_with_a_note() {
        let text = rules(MAX_PARSED_LINES_PER_FILE + 5_000);
        let b = bundle("n1", vec![("host/iptables-save.txt", text)]);
        let cluster = build(&[b]);
        let n = &cluster.nodes[0];
        let kept = n.host.iptables.as_ref().unwrap().all_rules().count();
        // Two header lines are within the cap, so two rules fewer are kept.
        assert_eq!(kept, MAX_PARSED_LINES_PER_FILE - 2);
        let note = n
            .notes
            .iter()
            .find(|c| c.path == "host/iptables-save.txt")
            .expect("a note on the cut file");
        assert!(
            note.message.contains(&format!(
                "only the first {MAX_PARSED_LINES_PER_FILE} of {} lines parsed",
                MAX_PARSED_LINES_PER_FILE + 5_003
            )),
            "{note:?}"
        );
    }

    /// The analysis-wide budget is spent in label, then path order; a file
    /// past it is not parsed at all (absent, with a note), never parsed as
    /// empty.
    #[test]
    fn issue12_the_line_budget_is_shared_in_a_stable_order() {
        let per = MAX_PARSED_LINES_PER_FILE;
        let files = MAX_PARSED_LINES / per + 1;
        let lines = "x\n".repeat(per);
        let paths: Vec<String> = (0..files)
            .map(|i| format!("netns/ns{i:02}/iptables-save.txt"))
            .collect();
        let b = |label| {
            bundle(
                label,
                paths.iter().map(|p| (p.as_str(), lines.clone())).collect(),
            )
        };
        // Given in reverse label order: the budget still goes to "a" first.
        let budgets = line_budgets(&[b("b"), b("a")]);
        let last = paths.last().unwrap().clone();
        assert_eq!(budgets[1], Budget::from([(last, (0, per))]));
        assert_eq!(budgets[0].len(), files);
        assert!(budgets[0]
            .values()
            .all(|&(allowed, n)| allowed == 0 && n == per));
        assert_eq!(first_lines("a\nb\nc", 2), "a\nb\n");
        assert_eq!(first_lines("a\nb\nc", 9), "a\nb\nc");
        assert_eq!(first_lines("a\nb\nc", 0), "");
        // A file past the budget is absent, with a note saying why.
        let small = bundle("c", vec![("host/iptables-save.txt", rules(3))]);
        let mut budget = Budget::new();
        budget.insert("host/iptables-save.txt".into(), (0, 5));
        let n = parse_node(&small, borrowed(&small), &budget);
        assert!(n.host.iptables.is_none());
        assert!(n
            .notes
            .iter()
            .any(|c| c.message.contains("not parsed (5 lines)")));
    }

    /// The collector writes `Can't initialize ipvs` to `ipvsadm.txt.stderr`
    /// and leaves `ipvsadm.txt` empty: in either order the namespace's IPVS
    /// reads as unavailable.
    #[test]
    fn ipvsadm_stderr_marks_ipvs_unavailable() {
        let err = "Can't initialize ipvs: Protocol not available\n\
                   Are you sure that IP Virtual Server is built in the kernel or as module?\n";
        let stdout = || Parsed::Ipvs("lb_x".into(), parse::ipvsadm::parse("").unwrap());
        let stderr = || {
            let kind = SourceKind::Stderr("netns/lb_x/ipvsadm.txt".into());
            parse_file(&kind, err, &mut Vec::new()).unwrap()
        };
        for order in [[true, false], [false, true]] {
            let mut n = NodeState::default();
            for first_stdout in order {
                place(&mut n, if first_stdout { stdout() } else { stderr() });
            }
            let ipvs = n.netns["lb_x"].ipvs.as_ref().unwrap();
            assert!(!ipvs.available);
            assert_eq!(
                ipvs.error.as_deref(),
                Some("Can't initialize ipvs: Protocol not available")
            );
        }
        // Other stderr text (an nsenter failure) does not say IPVS is missing.
        let kind = SourceKind::Stderr("netns/lb_x/ipvsadm.txt".into());
        let other = parse_file(
            &kind,
            "nsenter: cannot open /run/docker/netns/lb_x: No such file or directory\n",
            &mut Vec::new(),
        );
        assert!(matches!(other, Ok(Parsed::Stderr(..))));
    }

    #[test]
    fn a_sosreport_is_named_after_the_host_in_its_name() {
        let node = |label: &str, flavor| NodeState {
            label: label.into(),
            flavor,
            ..NodeState::default()
        };
        use crate::bundle::Flavor::*;
        let host = |l: &str| sos_host(&node(l, Sosreport));
        assert_eq!(
            host("sosreport-node3-2026-12-03-egicaqm").as_deref(),
            Some("node3")
        );
        assert_eq!(
            host("sosreport-web-01-2026-12-03-abcdefg").as_deref(),
            Some("web-01")
        );
        assert_eq!(
            host("sosreport-web-01-2026-12-03-abcdefg@cases").as_deref(),
            Some("web-01")
        );
        assert_eq!(host("sosreport-2026-12-03-abcdefg"), None);
        // sos 3.x: `sosreport-<host>[.<case id>]-<YYYYmmddHHMMSS>`.
        assert_eq!(
            host("sosreport-db-2.01234567-20190115203512").as_deref(),
            Some("db-2")
        );
        assert_eq!(
            host("sosreport-mgr1-20190115203512").as_deref(),
            Some("mgr1")
        );
        assert_eq!(host("node1"), None);
        assert_eq!(sos_host(&node("sosreport-n1-2026-12-03-abc", Bundle)), None);
    }

    #[test]
    fn an_object_listed_twice_counts_once_with_a_note() {
        let mut notes = Vec::new();
        let kept = first_of_each_id(
            Some(vec![
                ("a".to_string(), 1),
                ("b".to_string(), 2),
                ("a".to_string(), 3),
                (String::new(), 4),
                (String::new(), 5),
            ]),
            |x| &x.0,
            "swarm/nodes.json",
            &mut notes,
        );
        let values: Vec<i32> = kept.iter().map(|x| x.1).collect();
        assert_eq!(values, [1, 2, 4, 5], "first of each id; id-less kept");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].path, "swarm/nodes.json");
        assert!(notes[0].message.contains("id a is listed more than once"));
    }
}
