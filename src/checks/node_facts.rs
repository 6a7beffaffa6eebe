//! Nodes as the cluster checks see them: the manager's node list joined with
//! each node's own bundle, and the not-run helper they share.

use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::{Cluster, NodeState};
use crate::parse::engine_version::parse_lenient;
use semver::Version;
use std::collections::BTreeSet;

/// Records `why` for `ids` unless none of `inputs` is in any bundle: the
/// coverage report already says so then.
pub(super) fn not_run(c: &Cluster, out: &mut Checks, ids: &[&str], inputs: &[&str], why: &str) {
    if c.nodes
        .iter()
        .any(|n| n.present.iter().any(|p| inputs.contains(&p.as_str())))
    {
        for id in ids {
            out.not_run(id, why);
        }
    }
}

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
            .bundle_with_id(&n.id)
            .or_else(|| c.bundle_with_host(&n.hostname));
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
