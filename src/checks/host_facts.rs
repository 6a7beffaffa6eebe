//! Small facts about nodes shared by the host and gossip checks: a node's own
//! address, the interface that carries it, and every address a node is known
//! by (to join gossip `Peers`, which list data-path IPs, to swarm nodes).

use crate::model::{Cluster, NodeState};
use crate::parse::ip_addr::Interface;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Interfaces docker creates (bridges, veths, VXLAN devices) and loopback:
/// their addresses never identify a node.
pub fn is_docker_iface(name: &str) -> bool {
    name == "lo"
        || name == "docker0"
        || name == "docker_gwbridge"
        || name.starts_with("br-")
        || name.starts_with("veth")
        || name.starts_with("vx-")
}

/// True when the bundle holds any host state (`host/…`): a per-node
/// "not run" note is worth making only then; a bundle without any (logs
/// only) is covered by the cluster-wide coverage note.
pub fn has_host_state(n: &NodeState) -> bool {
    n.present.iter().any(|p| p.starts_with("host/"))
}

/// The node's advertise/data address: docker info `Swarm.NodeAddr`, else the
/// manager's view of the node (`Node::advertise_ip`).
pub fn own_ip(cluster: &Cluster, n: &NodeState) -> Option<IpAddr> {
    n.info
        .as_ref()
        .and_then(|i| i.swarm.node_addr.trim().parse().ok())
        .or_else(|| {
            cluster
                .swarm_nodes
                .iter()
                .find(|s| !n.node_id.is_empty() && s.id == n.node_id)
                .and_then(|s| s.advertise_ip())
                .and_then(|a| a.parse().ok())
        })
}

/// The host interface holding `ip` (host/ip-addr.txt): the underlay.
pub fn iface_with(n: &NodeState, ip: IpAddr) -> Option<&Interface> {
    n.host
        .addrs
        .iter()
        .flatten()
        .find(|i| i.addrs.iter().any(|a| a.ip == ip))
}

/// Every address swarm node `node_id` is known by: its advertise address,
/// its bundle's `NodeAddr`, and the global addresses on its own (non-docker)
/// host interfaces, which include a separate `--data-path-addr`.
pub fn node_ips(cluster: &Cluster, node_id: &str) -> BTreeSet<IpAddr> {
    let mut out = BTreeSet::new();
    if let Some(ip) = cluster
        .swarm_nodes
        .iter()
        .find(|s| s.id == node_id)
        .and_then(|s| s.advertise_ip())
        .and_then(|a| a.parse().ok())
    {
        out.insert(ip);
    }
    if let Some(n) = cluster
        .nodes
        .iter()
        .find(|n| !n.node_id.is_empty() && n.node_id == node_id)
    {
        out.extend(own_ip(cluster, n));
        for i in n.host.addrs.iter().flatten() {
            if is_docker_iface(&i.name) {
                continue;
            }
            out.extend(
                i.addrs
                    .iter()
                    .filter(|a| a.scope.as_deref().unwrap_or("global") == "global")
                    .map(|a| a.ip),
            );
        }
    }
    out
}

/// Address → hostname for every swarm node and bundle, to name IPs in details.
pub fn ip_names(cluster: &Cluster) -> BTreeMap<IpAddr, String> {
    let mut out = BTreeMap::new();
    for s in &cluster.swarm_nodes {
        for ip in node_ips(cluster, &s.id) {
            out.entry(ip).or_insert_with(|| s.hostname.clone());
        }
    }
    for n in &cluster.nodes {
        if let Some(ip) = own_ip(cluster, n) {
            out.entry(ip).or_insert_with(|| n.hostname.clone());
        }
    }
    out
}

/// `198.18.0.12 (node2)`, or the bare address when no node has it.
pub fn named(ip: &IpAddr, names: &BTreeMap<IpAddr, String>) -> String {
    match names.get(ip) {
        Some(h) => format!("{ip} ({h})"),
        None => ip.to_string(),
    }
}

/// The first line of an interface as `ip` prints it, shortened for evidence:
/// `2: ens192: mtu 1500`.
pub fn iface_text(i: &Interface) -> String {
    match i.mtu {
        Some(mtu) => format!("{}: {}: mtu {mtu}", i.index, i.name),
        None => format!("{}: {}", i.index, i.name),
    }
}
