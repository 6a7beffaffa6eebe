//! SW401 engine-version-skew, SW402 worker-newer-than-managers, SW403
//! known-bad-engine-version: the engine versions of all nodes, side by side.
//!
//! ## What it detects
//! Nodes on different engine versions (SW401); a worker on a newer engine
//! than some manager (SW402); and version mixes from signatures.md §1.13 that
//! are biting now, which the UPG-* version rules cannot see because they need
//! the leader, the tasks or the network configuration (SW403): a ≤ 17.09
//! leader with 18.09+ nodes (UPG-01, with the rejected tasks), a ≤ 17.09
//! leader with 17.12.0 nodes (UPG-02, with their ingress-sbox), 25.0.0–25.0.3
//! with a swarm subnet that has host bits set (UPG-07), 28.2.x nodes with
//! tasks on an overlay that spans nodes (UPG-09).
//!
//! ## Why it breaks traffic
//! The leader allocates what every node's agent waits for: an older leader
//! does not fill `node.Attachments`, so 18.09+ nodes reject every task that
//! needs an overlay ("node is missing network attachments"). Mixed versions
//! also disagree on gossip and load-balancer models (GOS-10, UPG-05).
//!
//! ## How to fix
//! Upgrade managers first, one at a time, keeping quorum; then the workers.
//! Move to the fixed release named in the catalogue entry.

use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::{Cluster, NodeState};
use crate::parse::engine_version::parse_lenient;
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};

/// One node as far as versions and roles go: the manager's node object joined
/// with the node's own bundle.
pub(super) struct NodeFact<'a> {
    pub id: &'a str,
    pub host: &'a str,
    /// `manager`, `worker`, or empty when unknown.
    pub role: &'a str,
    pub leader: bool,
    /// The engine version as written; empty when unknown.
    pub engine: String,
    pub version: Option<Version>,
    pub bundle: Option<&'a NodeState>,
    /// Where the version was read.
    pub evidence: Option<Evidence>,
}

impl NodeFact<'_> {
    /// `tk1706-ubuntu-1 (manager, leader)`.
    pub fn label(&self) -> String {
        match (self.role, self.leader) {
            ("", _) => self.host.to_string(),
            (r, true) => format!("{} ({r}, leader)", self.host),
            (r, false) => format!("{} ({r})", self.host),
        }
    }
}

/// Every known node: the manager's node list first, then bundles of nodes it
/// does not list. A node's own `docker version` wins over the manager's
/// `EngineVersion`, which may be older than the node's last restart.
pub(super) fn node_facts(c: &Cluster) -> Vec<NodeFact<'_>> {
    let nodes_file = c.cluster_file("swarm/nodes.json");
    let mut used = BTreeSet::new();
    let mut out: Vec<NodeFact> = Vec::new();
    for n in &c.swarm_nodes {
        let bundle = c
            .nodes
            .iter()
            .find(|b| !b.node_id.is_empty() && b.node_id == n.id)
            .or_else(|| c.nodes.iter().find(|b| b.hostname == n.hostname));
        if let Some(b) = bundle {
            used.insert(b.label.as_str());
        }
        let from_nodes = (!n.engine_version.is_empty()).then(|| {
            let text = format!("{} EngineVersion {}", n.hostname, n.engine_version);
            (
                n.engine_version.clone(),
                evidence(&nodes_file, n.line, text),
            )
        });
        let (engine, ev) = bundle.and_then(bundle_engine).or(from_nodes).unzip();
        out.push(NodeFact {
            id: &n.id,
            host: &n.hostname,
            role: &n.role,
            leader: n.manager.as_ref().is_some_and(|m| m.leader),
            version: engine.as_deref().and_then(parse_lenient),
            engine: engine.unwrap_or_default(),
            bundle,
            evidence: ev,
        });
    }
    for b in c.nodes.iter().filter(|b| !used.contains(b.label.as_str())) {
        let info = b.info.as_ref().filter(|i| i.daemon_reachable());
        let (engine, ev) = bundle_engine(b).unzip();
        if engine.is_none() && info.is_none() {
            continue;
        }
        let role = match info.map(|i| (i.swarm.control_available, &*i.swarm.local_node_state)) {
            Some((true, _)) => "manager",
            Some((false, "active")) => "worker",
            _ => "",
        };
        out.push(NodeFact {
            id: &b.node_id,
            host: &b.hostname,
            role,
            leader: false,
            version: engine.as_deref().and_then(parse_lenient),
            engine: engine.unwrap_or_default(),
            bundle: Some(b),
            evidence: ev,
        });
    }
    out.sort_by(|a, b| a.host.cmp(b.host).then_with(|| a.id.cmp(b.id)));
    out
}

/// The engine version a node bundle reports, and where.
fn bundle_engine(b: &NodeState) -> Option<(String, Evidence)> {
    if let Some(s) = b.version.as_ref().and_then(|v| v.server.as_ref()) {
        let v = s.engine_version();
        if !v.is_empty() {
            let ev = evidence(b.file("docker/version.json"), 1, format!("Server {v}"));
            return Some((v.to_string(), ev));
        }
    }
    let v = b
        .info
        .as_ref()
        .map(|i| &i.server_version)
        .filter(|v| !v.is_empty())?;
    let ev = evidence(b.file("docker/info.json"), 1, format!("ServerVersion {v}"));
    Some((v.clone(), ev))
}

/// The leader's version: it runs the allocator.
pub(super) fn leader_version(c: &Cluster) -> Option<Version> {
    node_facts(c).into_iter().find(|f| f.leader)?.version
}

pub fn check(c: &Cluster, out: &mut Checks) {
    let facts = node_facts(c);
    if facts.iter().all(|f| f.version.is_none()) {
        let why = "no engine version in swarm/nodes.json, docker/version.json or docker/info.json";
        let inputs = [
            "swarm/nodes.json",
            "docker/version.json",
            "docker/info.json",
        ];
        super::node_health::not_run(c, out, &["SW401", "SW402", "SW403"], &inputs, why);
        return;
    }
    skew(&facts, out);
    workers_first(&facts, out);
    known_bad(c, &facts, out);
}

fn skew(facts: &[NodeFact], out: &mut Checks) {
    let mut by: BTreeMap<&Version, Vec<&NodeFact>> = BTreeMap::new();
    for f in facts {
        if let Some(v) = &f.version {
            by.entry(v).or_default().push(f);
        }
    }
    if by.len() < 2 {
        return;
    }
    let groups: Vec<String> = by
        .values()
        .map(|fs| {
            let raw: BTreeSet<&str> = fs.iter().map(|f| f.engine.as_str()).collect();
            let who: Vec<String> = fs.iter().map(|f| f.label()).collect();
            format!("{} on {}", join(raw), who.join(", "))
        })
        .collect();
    let known = by.values().map(Vec::len).sum::<usize>();
    let mut detail = format!(
        "{} engine versions on {known} nodes: {}",
        by.len(),
        groups.join("; ")
    );
    let unknown: Vec<&str> = facts
        .iter()
        .filter(|f| f.version.is_none())
        .map(|f| f.host)
        .collect();
    if !unknown.is_empty() {
        detail.push_str(&format!("; version unknown: {}", unknown.join(", ")));
    }
    let nodes: Vec<&str> = facts
        .iter()
        .filter(|f| f.version.is_some())
        .map(|f| f.host)
        .collect();
    let ev = facts.iter().filter_map(|f| f.evidence.clone()).collect();
    out.report(
        "SW401",
        Some("engine versions".into()),
        &nodes,
        known as u64,
        detail,
        ev,
    );
}

fn workers_first(facts: &[NodeFact], out: &mut Checks) {
    let managers: Vec<&NodeFact> = facts.iter().filter(|f| f.role == "manager").collect();
    for w in facts.iter().filter(|f| f.role == "worker") {
        let Some(wv) = &w.version else { continue };
        let older: Vec<&&NodeFact> = managers
            .iter()
            .filter(|m| m.version.as_ref().is_some_and(|mv| mv < wv))
            .collect();
        if older.is_empty() {
            continue;
        }
        let list: Vec<String> = older
            .iter()
            .map(|m| format!("{} {}", m.label(), m.engine))
            .collect();
        let detail = format!(
            "worker {} runs {}, newer than {} of {} managers: {}; managers must be upgraded first",
            w.host,
            w.engine,
            older.len(),
            managers.len(),
            list.join(", ")
        );
        let ev = std::iter::once(w)
            .chain(older.iter().map(|m| **m))
            .filter_map(|f| f.evidence.clone())
            .collect();
        out.report(
            "SW402",
            Some(format!("node {}", w.host)),
            &[w.host],
            older.len() as u64,
            detail,
            ev,
        );
    }
}

fn known_bad(c: &Cluster, facts: &[NodeFact], out: &mut Checks) {
    let in_range = |f: &NodeFact, lo: (u64, u64, u64), hi: (u64, u64, u64)| {
        f.version.as_ref().is_some_and(|v| {
            *v >= Version::new(lo.0, lo.1, lo.2) && *v < Version::new(hi.0, hi.1, hi.2)
        })
    };
    let leader = facts
        .iter()
        .find(|f| f.leader && in_range(f, (0, 0, 0), (17, 10, 0)));
    if let Some(l) = leader {
        let old: Vec<String> = facts
            .iter()
            .filter(|f| f.role == "manager" && in_range(f, (0, 0, 0), (17, 10, 0)))
            .map(|f| f.host.to_string())
            .collect();
        let new: Vec<&NodeFact> = facts
            .iter()
            .filter(|f| in_range(f, (18, 9, 0), (999, 0, 0)))
            .collect();
        if !new.is_empty() {
            upg01(c, l, &old, &new, out);
        }
        let twelve: Vec<&NodeFact> = facts
            .iter()
            .filter(|f| in_range(f, (17, 12, 0), (17, 12, 1)))
            .collect();
        if !twelve.is_empty() {
            upg02(l, &twelve, out);
        }
    }
    super::upgrade_networks::upg07_upg09(c, facts, out);
}

/// UPG-01 as it bites now: the allocating leader is ≤ 17.09.
fn upg01(c: &Cluster, leader: &NodeFact, old: &[String], new: &[&NodeFact], out: &mut Checks) {
    let tasks_file = c.cluster_file("swarm/tasks.json");
    let mut rejected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ev: Vec<Evidence> = leader.evidence.iter().cloned().collect();
    for t in c
        .tasks
        .iter()
        .filter(|t| t.err.contains("node is missing network attachments"))
    {
        if let Some(f) = new
            .iter()
            .find(|f| !t.node_id.is_empty() && f.id == t.node_id)
        {
            *rejected.entry(f.host).or_default() += 1;
            ev.push(evidence(
                &tasks_file,
                t.line,
                format!("task {} {} on {}: {}", t.id, t.state, f.host, t.err),
            ));
        }
    }
    ev.extend(new.iter().filter_map(|f| f.evidence.clone()));
    let news: Vec<String> = new
        .iter()
        .map(|f| format!("{} {}", f.label(), f.engine))
        .collect();
    let mut detail = format!(
        "UPG-01: the leader {} runs {} (managers ≤ 17.09: {}) and allocates no per-node network attachments; nodes ≥ 18.09 wait for them: {}",
        leader.host,
        leader.engine,
        old.join(", "),
        news.join(", ")
    );
    if rejected.is_empty() {
        detail.push_str(
            "; no task rejected with \"node is missing network attachments\" yet (IPAM-01)",
        );
    } else {
        let per: Vec<String> = rejected
            .iter()
            .map(|(h, n)| format!("{n} on {h}"))
            .collect();
        detail.push_str(&format!(
            "; tasks rejected with \"node is missing network attachments, ip addresses may be exhausted\" (IPAM-01): {}",
            per.join(", ")
        ));
    }
    let nodes: Vec<&str> = new.iter().map(|f| f.host).collect();
    let count = rejected.values().sum::<u64>().max(1);
    out.report("SW403", Some("UPG-01".into()), &nodes, count, detail, ev);
}

/// UPG-02: 17.12.0 nodes under a ≤ 17.09 leader, with what their ingress shows.
fn upg02(leader: &NodeFact, nodes: &[&NodeFact], out: &mut Checks) {
    let mut ev: Vec<Evidence> = leader.evidence.iter().cloned().collect();
    let seen: Vec<String> = nodes
        .iter()
        .map(|f| {
            ev.extend(f.evidence.clone());
            let ingress = f
                .bundle
                .and_then(|b| b.networks.as_ref())
                .map(|nets| nets.iter().find(|n| n.ingress));
            let what = match ingress {
                None => "no swarm/networks.json from it".to_string(),
                Some(None) => "no ingress network in its swarm/networks.json".to_string(),
                Some(Some(n)) if n.containers.contains_key("ingress-sbox") => {
                    "ingress-sbox present".to_string()
                }
                Some(Some(n)) => {
                    if let Some(b) = f.bundle {
                        ev.push(evidence(
                            b.file("swarm/networks.json"),
                            n.line,
                            "ingress: no ingress-sbox in Containers",
                        ));
                    }
                    "its ingress has no ingress-sbox: routing mesh dead there".to_string()
                }
            };
            format!("{} {} ({what})", f.host, f.engine)
        })
        .collect();
    let detail = format!(
        "UPG-02: the leader {} runs {}; 17.12.0 nodes read node.Attachments, which it never sets: {}; fixed in 17.12.1 (moby PR #36003)",
        leader.host,
        leader.engine,
        seen.join(", ")
    );
    let hosts: Vec<&str> = nodes.iter().map(|f| f.host).collect();
    out.report(
        "SW403",
        Some("UPG-02".into()),
        &hosts,
        hosts.len() as u64,
        detail,
        ev,
    );
}

/// `a`, `a/b`: the distinct spellings of one version.
fn join(set: BTreeSet<&str>) -> String {
    set.into_iter().collect::<Vec<_>>().join("/")
}
