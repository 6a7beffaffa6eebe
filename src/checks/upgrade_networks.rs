//! SW403 known-bad-engine-version, the cases that need the networks: engine
//! versions from signatures.md §1.13 that only break with a given network
//! configuration or topology.
//!
//! ## What it detects
//! A node on 25.0.0–25.0.3 while a swarm network's subnet has host bits set
//! (UPG-07, IPAM-12), and a node on 28.2.x holding tasks on an overlay whose
//! tasks span several nodes (UPG-09).
//!
//! ## Why it breaks traffic
//! 25.0.0–25.0.3 validate the IPAM config when the agent (re)creates a swarm
//! network: `10.0.0.1/16` fails with "invalid network config" and no task
//! on that network starts on the node. 28.2.x had cross-node overlay and
//! NetworkDB regressions, reverted in 28.3.0.
//!
//! ## How to fix
//! 25.0.x: upgrade to 25.0.4+ (moby PR #47482) or recreate the network with
//! the canonical subnet. 28.2.x: upgrade to 28.3.0+ (moby PR #50169).

use super::node_facts::NodeFact;
use super::subnet_accounting::live;
use super::{evidence, Checks};
use crate::model::Cluster;
use ipnet::IpNet;
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn upg07_upg09(c: &Cluster, facts: &[NodeFact], out: &mut Checks) {
    let within = |f: &NodeFact, lo: Version, hi: Version| {
        f.version.as_ref().is_some_and(|v| *v >= lo && *v < hi)
    };
    let v25: Vec<&NodeFact> = facts
        .iter()
        .filter(|f| within(f, Version::new(25, 0, 0), Version::new(25, 0, 4)))
        .collect();
    if !v25.is_empty() {
        upg07(c, &v25, out);
    }
    let v28: Vec<&NodeFact> = facts
        .iter()
        .filter(|f| within(f, Version::new(28, 2, 0), Version::new(28, 3, 0)))
        .collect();
    if !v28.is_empty() {
        upg09(c, &v28, out);
    }
}

/// UPG-07: the subnets 25.0.0–25.0.3 reject when the agent creates the network.
fn upg07(c: &Cluster, nodes: &[&NodeFact], out: &mut Checks) {
    let file = c.cluster_file("swarm/networks.json");
    let mut bad = Vec::new();
    let mut ev = Vec::new();
    for n in c.networks.iter().filter(|n| n.scope == "swarm") {
        for cfg in &n.ipam {
            let Ok(net) = cfg.subnet.trim().parse::<IpNet>() else {
                continue;
            };
            if net.trunc() != net {
                bad.push(format!(
                    "{} subnet {} (should be {})",
                    n.name,
                    cfg.subnet,
                    net.trunc()
                ));
                ev.push(evidence(
                    &file,
                    n.line,
                    format!("{} IPAM Subnet {}", n.name, cfg.subnet),
                ));
            }
        }
    }
    if bad.is_empty() {
        return;
    }
    ev.extend(nodes.iter().filter_map(|f| f.evidence.clone()));
    let who: Vec<String> = nodes
        .iter()
        .map(|f| format!("{} {}", f.label(), f.engine))
        .collect();
    let detail = format!(
        "UPG-07: {} on 25.0.0–25.0.3, which fail to create swarm networks whose subnet has host bits set (IPAM-12 \"invalid network config\"): {}; fixed in 25.0.4 (moby PR #47482)",
        who.join(", "),
        bad.join(", ")
    );
    let hosts: Vec<&str> = nodes.iter().map(|f| f.host).collect();
    out.report(
        "SW403",
        Some("UPG-07".into()),
        &hosts,
        bad.len() as u64,
        detail,
        ev,
    );
}

/// UPG-09: 28.2.x nodes with tasks on an overlay that spans nodes.
fn upg09(c: &Cluster, nodes: &[&NodeFact], out: &mut Checks) {
    let mut spans: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in c
        .tasks
        .iter()
        .filter(|t| live(&t.state) && !t.node_id.is_empty())
    {
        for a in &t.attachments {
            let overlay = c
                .network(&a.network_id)
                .is_some_and(|n| n.driver == "overlay" && !n.ingress);
            if overlay {
                spans.entry(&a.network_id).or_default().insert(&t.node_id);
            }
        }
    }
    let ids: BTreeSet<&str> = nodes.iter().map(|f| f.id).collect();
    let host = |id: &str| c.hostname_of(id).unwrap_or(id).to_string();
    let hit: Vec<String> = spans
        .iter()
        .filter(|(_, on)| on.len() > 1 && on.iter().any(|n| ids.contains(n)))
        .map(|(net, on)| {
            let name = c.network(net).map_or(*net, |n| n.name.as_str());
            format!(
                "{name} (tasks on {})",
                on.iter().map(|n| host(n)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    if hit.is_empty() {
        return;
    }
    let who: Vec<String> = nodes
        .iter()
        .map(|f| format!("{} {}", f.label(), f.engine))
        .collect();
    let detail = format!(
        "UPG-09: {} on 28.2.x, which had intermittent cross-node overlay and DNS failures; overlays spanning nodes: {}; reverted in 28.3.0 (moby PR #50169)",
        who.join(", "),
        hit.join(", ")
    );
    let ev = nodes.iter().filter_map(|f| f.evidence.clone()).collect();
    let hosts: Vec<&str> = nodes.iter().map(|f| f.host).collect();
    out.report(
        "SW403",
        Some("UPG-09".into()),
        &hosts,
        hit.len() as u64,
        detail,
        ev,
    );
}
