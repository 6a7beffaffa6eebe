//! SW701 gossip-peer-missing and SW702 gossip-peer-sets-differ.
//!
//! ## What it detects
//! Each node's `network inspect --verbose` (`swarm/networks.json`) lists the
//! gossip `Peers` it shares an overlay with. Peers are joined to swarm nodes
//! by address (peer names are NetworkDB names, not node ids): a node's
//! advertise address, its `NodeAddr`, or an address on its own interfaces.
//! SW701: a node running tasks on the overlay (running and desired running in
//! the manager's `swarm/tasks.json`; down nodes left out) is missing from the
//! Peers of another node that has the overlay. SW702: the nodes that hold the
//! overlay list different peer sets. Only nodes that hold the network count:
//! a node whose tasks were all rejected rightly does not join it, and a node
//! with an empty Peers list and no running task there is not a member.
//!
//! ## Why it breaks traffic
//! Nodes exchange endpoints only with their peers on a network: a missing
//! peer's tasks get no VXLAN FDB/neighbour entries, no DNS records and no VIP
//! backends on the other node, so calls from there fail or skip them.
//!
//! ## How to fix
//! Open 7946/tcp+udp between the nodes (see SW605, GOS-*), then
//! `docker service update --force <svc>` or restart the daemon on the node
//! that is missing.

use super::host_facts::{ip_names, named, node_ips};
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::{Cluster, NodeState};
use crate::parse::network::Network;
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One node's view of one network.
struct View<'a> {
    node: &'a NodeState,
    net: &'a Network,
    peers: BTreeSet<IpAddr>,
}

impl View<'_> {
    fn evidence(&self, names: &BTreeMap<IpAddr, String>) -> Evidence {
        evidence(
            self.node.file("swarm/networks.json"),
            self.net.line,
            format!("{} Peers: {}", self.net.name, list(&self.peers, names)),
        )
    }
}

pub fn check(cluster: &Cluster, out: &mut Checks) {
    // Without any networks.json the coverage note of the inputs says so.
    if cluster.nodes.iter().all(|n| n.networks.is_none()) {
        return;
    }
    if cluster.cluster_source.is_none() {
        out.not_run("SW701", "no swarm/tasks.json (manager bundle)");
    }
    let names = ip_names(cluster);
    for net in cluster.networks.iter().filter(|n| n.driver == "overlay") {
        let members = members(cluster, &net.id);
        let views: Vec<View> = cluster
            .nodes
            .iter()
            .filter_map(|n| {
                let local = n.networks.iter().flatten().find(|x| x.id == net.id)?;
                let peers: BTreeSet<IpAddr> = local
                    .peers
                    .iter()
                    .filter_map(|p| p.ip.parse().ok())
                    .collect();
                let runs_tasks = !n.node_id.is_empty() && members.contains_key(n.node_id.as_str());
                (!peers.is_empty() || runs_tasks).then_some(View {
                    node: n,
                    net: local,
                    peers,
                })
            })
            .collect();
        for (m, tasks) in &members {
            missing_peer(cluster, net, m, tasks, &views, &names, out);
        }
        differing_sets(net, &views, &names, out);
    }
}

/// Node id → its running tasks attached to network `id`.
fn members<'a>(cluster: &'a Cluster, id: &str) -> BTreeMap<&'a str, Vec<&'a Task>> {
    let mut out: BTreeMap<&str, Vec<&Task>> = BTreeMap::new();
    for t in &cluster.tasks {
        let down = cluster
            .swarm_nodes
            .iter()
            .any(|s| s.id == t.node_id && matches!(s.state.as_str(), "down" | "disconnected"));
        if t.state == "running"
            && t.desired_state == "running"
            && !t.node_id.is_empty()
            && !down
            && t.attachments.iter().any(|a| a.network_id == id)
        {
            out.entry(t.node_id.as_str()).or_default().push(t);
        }
    }
    out
}

/// SW701: member `m` absent from other nodes' Peers.
fn missing_peer(
    cluster: &Cluster,
    net: &Network,
    m: &str,
    tasks: &[&Task],
    views: &[View],
    names: &BTreeMap<IpAddr, String>,
    out: &mut Checks,
) {
    let ips = node_ips(cluster, m);
    let host = cluster.hostname_of(m).unwrap_or(m).to_string();
    if ips.is_empty() {
        out.not_run(
            "SW701",
            format!("no address known for node {host} (swarm/nodes.json, docker/info.json)"),
        );
        return;
    }
    let lacking: Vec<&View> = views
        .iter()
        .filter(|v| v.node.node_id != m && v.peers.is_disjoint(&ips))
        .collect();
    if lacking.is_empty() {
        return;
    }
    let task_list: Vec<String> = tasks
        .iter()
        .map(|t| {
            let addr = t
                .attachments
                .iter()
                .filter(|a| a.network_id == net.id)
                .flat_map(|a| a.addresses.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(",");
            format!("{} {addr}", task_name(cluster, t))
        })
        .collect();
    let seen_by: Vec<String> = lacking
        .iter()
        .map(|v| format!("{} (lists {})", v.node.hostname, list(&v.peers, names)))
        .collect();
    let label = cluster
        .node_state(m)
        .map_or(host.clone(), |n| n.label.clone());
    let mut nodes: Vec<&str> = vec![label.as_str()];
    nodes.extend(lacking.iter().map(|v| v.node.label.as_str()));
    let mut ev: Vec<Evidence> = lacking.iter().map(|v| v.evidence(names)).collect();
    let tasks_file = cluster.cluster_file("swarm/tasks.json");
    ev.extend(tasks.iter().take(3).map(|t| {
        evidence(
            &tasks_file,
            t.line,
            format!("task {} running on {host}", t.id),
        )
    }));
    out.report(
        "SW701",
        Some(format!("{host} on network {}", net.name)),
        &nodes,
        lacking.len() as u64,
        format!(
            "{host} ({}) runs {} task(s) on {} ({}) but is missing from the Peers of {}",
            ips.iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            tasks.len(),
            net.name,
            task_list.join("; "),
            seen_by.join(" and ")
        ),
        ev,
    );
}

/// SW702: the views of one network disagree.
fn differing_sets(
    net: &Network,
    views: &[View],
    names: &BTreeMap<IpAddr, String>,
    out: &mut Checks,
) {
    let distinct: BTreeSet<&BTreeSet<IpAddr>> = views.iter().map(|v| &v.peers).collect();
    if distinct.len() < 2 {
        return;
    }
    let all: BTreeSet<IpAddr> = views.iter().flat_map(|v| v.peers.iter().copied()).collect();
    let parts: Vec<String> = views
        .iter()
        .map(|v| {
            let lacks: BTreeSet<IpAddr> = all.difference(&v.peers).copied().collect();
            if lacks.is_empty() {
                format!("{} sees all {}", v.node.hostname, all.len())
            } else {
                format!("{} lacks {}", v.node.hostname, list(&lacks, names))
            }
        })
        .collect();
    let nodes: Vec<&str> = views.iter().map(|v| v.node.label.as_str()).collect();
    out.report(
        "SW702",
        Some(format!("network {}", net.name)),
        &nodes,
        distinct.len() as u64,
        format!(
            "{} peer sets for {} over {} nodes (union {}): {}",
            distinct.len(),
            net.name,
            views.len(),
            list(&all, names),
            parts.join("; ")
        ),
        views.iter().map(|v| v.evidence(names)).collect(),
    );
}

fn list(ips: &BTreeSet<IpAddr>, names: &BTreeMap<IpAddr, String>) -> String {
    if ips.is_empty() {
        return "nothing".into();
    }
    ips.iter()
        .map(|ip| named(ip, names))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `web.2` (or `web.<node>` for global tasks), else the task id.
fn task_name(cluster: &Cluster, t: &Task) -> String {
    match (cluster.service(&t.service_id), t.slot) {
        (Some(s), Some(slot)) => format!("{}.{slot}", s.name),
        (Some(s), None) => format!("{} task {}", s.name, t.id),
        (None, _) => format!("task {}", t.id),
    }
}

#[cfg(test)]
mod tests {
    use super::super::host_test_util::{analyze_dir, findings_of, fixture};

    #[test]
    fn fires_when_a_node_with_tasks_is_not_a_peer() {
        // Lab healthy capture, node2's appnet Peers trimmed to lose node3.
        let a = analyze_dir(&fixture("SW701", "fires"));
        let f = findings_of(&a, "SW701");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject.as_deref(), Some("node3 on network appnet"));
        assert!(f[0].detail.contains(
            "node3 (198.18.0.13) runs 1 task(s) on appnet (web.3 10.0.1.5/24) but is missing from the Peers of node2 (lists 198.18.0.11 (node1), 198.18.0.12 (node2))"
        ), "{}", f[0].detail);
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node2/swarm/networks.json" && e.text.starts_with("appnet Peers:")));
        // The same divergence is a different peer set (SW702).
        let d = findings_of(&a, "SW702");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].detail.contains("node2 lacks 198.18.0.13 (node3)"),
            "{}",
            d[0].detail
        );
    }

    #[test]
    fn quiet_when_the_absent_node_holds_only_shutdown_tasks() {
        // Lab drained capture: node3's appnet task is shut down and node3 no
        // longer holds appnet; node1 and node2 rightly list only each other.
        let a = analyze_dir(&fixture("SW701", "quiet"));
        assert!(findings_of(&a, "SW701").is_empty());
        assert!(findings_of(&a, "SW702").is_empty());
    }

    #[test]
    fn sw702_fires_on_a_stale_peer_only_one_node_lists() {
        let a = analyze_dir(&fixture("SW702", "fires"));
        assert!(findings_of(&a, "SW701").is_empty());
        let d = findings_of(&a, "SW702");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].detail.contains("node2 lacks 198.18.0.99"),
            "{}",
            d[0].detail
        );
    }

    #[test]
    fn sw702_quiet_when_views_agree() {
        // Lab exhausted capture: node1 and node2 hold `small` with empty Peers
        // and no running task (not members); node3 lists itself only.
        let a = analyze_dir(&fixture("SW702", "quiet"));
        assert!(findings_of(&a, "SW702").is_empty());
    }
}
