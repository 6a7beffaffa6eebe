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
    Info(parse::info::Info),
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
    /// `<path>.stderr`: the base path and the text, kept as is.
    Stderr(String, String),
    /// Read but not modelled (daemon.json, cmdline, service ps).
    Other,
}

/// Parses every node bundle and merges them into one cluster.
pub fn build(bundles: &[NodeBundle]) -> Cluster {
    let mut nodes: Vec<NodeState> = bundles.par_iter().map(parse_node).collect();
    nodes.sort_by(|a, b| a.label.cmp(&b.label));
    merge(nodes)
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Parses the files of one bundle; a file that fails becomes a coverage note.
fn parse_node(b: &NodeBundle) -> NodeState {
    let results: Vec<(String, Result<Parsed, String>, Vec<String>)> = b
        .files
        .par_iter()
        .map(|(path, bytes)| {
            let mut notes = Vec::new();
            let parsed = parse_file(&classify(path), &text(bytes), &mut notes);
            (path.clone(), parsed, notes)
        })
        .collect();

    let mut n = NodeState {
        label: b.label.clone(),
        origin: b.origin.clone(),
        ..NodeState::default()
    };
    n.notes.extend(b.notes.iter().map(|note| CoverageNote {
        path: note.path.clone(),
        message: note.message.clone(),
    }));
    for (path, result, notes) in results {
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
                n.present.push(path.clone());
                place(&mut n, parsed);
            }
            Err(message) => n.notes.push(CoverageNote { path, message }),
        }
    }
    n.present.sort();
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
        .unwrap_or_else(|| n.label.clone());
    n.node_id = n
        .info
        .as_ref()
        .map(|i| i.swarm.node_id.clone())
        .unwrap_or_default();
    n
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
        K::DockerInfo => Parsed::Info(parse::info::parse(text).map_err(e)?),
        K::SwarmNodes => Parsed::Nodes(batch(parse::node::parse(text), notes)?),
        K::SwarmServices => Parsed::Services(batch(parse::service::parse(text), notes)?),
        K::SwarmTasks => Parsed::Tasks(batch(parse::task::parse(text), notes)?),
        K::SwarmNetworks => Parsed::Networks(batch(parse::network::parse(text), notes)?),
        K::Containers => Parsed::Containers(batch(parse::container::parse(text), notes)?),
        K::HostIpAddr => Parsed::Addrs(None, parse::ip_addr::parse(text).map_err(e)?),
        K::HostIpLink => Parsed::Links(None, parse::ip_addr::parse(text).map_err(e)?),
        K::HostIpRoute => Parsed::Routes(None, parse::ip_route::parse(text).map_err(e)?),
        K::HostIptables => Parsed::Iptables(None, parse::iptables::parse_save(text).map_err(e)?),
        K::HostSysctl => Parsed::Sysctl(None, parse::sysctl::parse(text)),
        K::HostModules => Parsed::Modules(parse::lsmod::parse(text)),
        K::HostSockets => Parsed::Sockets(parse::sockets::parse(text)),
        K::HostKernelConfig => Parsed::KernelConfig(text.to_string()),
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
        Parsed::Info(i) => n.info = Some(i),
        Parsed::Nodes(v) => n.swarm_nodes = Some(v),
        Parsed::Services(v) => n.services = Some(v),
        Parsed::Tasks(v) => n.tasks = Some(v),
        Parsed::Networks(v) => n.networks = Some(v),
        Parsed::Containers(v) => n.containers = Some(v),
        Parsed::Addrs(name, v) => ns(n, name).addrs = Some(v),
        Parsed::Links(name, v) => ns(n, name).links = Some(v),
        Parsed::Routes(name, v) => ns(n, name).routes = Some(v),
        Parsed::Neigh(name, v) => ns(n, Some(name)).neigh = Some(v),
        Parsed::Fdb(name, v) => ns(n, Some(name)).fdb = Some(v),
        Parsed::Iptables(name, v) => ns(n, name).iptables = Some(v),
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
        cluster.services = first_of_each_id(
            src.services.clone(),
            |x| &x.id,
            "swarm/services.json",
            &mut dups,
        );
        cluster.tasks =
            first_of_each_id(src.tasks.clone(), |x| &x.id, "swarm/tasks.json", &mut dups);
        src.notes.extend(dups);
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
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for item in items.unwrap_or_default() {
        let key = id(&item).clone();
        if key.is_empty() || seen.insert(key.clone()) {
            out.push(item);
        } else {
            notes.push(CoverageNote {
                path: path.into(),
                message: format!("id {key} is listed more than once; the first is used"),
            });
        }
    }
    out
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
