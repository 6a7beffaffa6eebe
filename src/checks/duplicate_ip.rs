//! SW107 duplicate-endpoint-ip.
//!
//! ## What it detects
//! One IP held by two live endpoints of the same network, across all node
//! bundles: the gateway, service VIPs (`Endpoint.VirtualIPs`), tasks that
//! are not terminal (the manager's `tasks.json`), and every endpoint nodes
//! report in their own `networks.json` (`lb-<net>`, `ingress-sbox`, task and
//! plain containers). Like support.sh `check_ip_overlap`, but across nodes.
//! Terminal tasks are ignored: the allocator frees their addresses in memory
//! while `tasks.json` still lists them.
//!
//! ## Why it breaks traffic
//! Traffic for the address reaches either endpoint, depending on which ARP
//! and FDB entry a node learnt; connections break intermittently.
//!
//! ## How to fix
//! `docker service update --force` the services involved; if an lb- or
//! sbox endpoint collides, remove the node's tasks on the network (or
//! restart its daemon); as a last resort re-create the network. Upgrade
//! engines with known leaks (20.10.8, 25.0.11, 28.x).

use super::util::*;
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::Cluster;
use crate::parse::network::Network;
use std::collections::BTreeMap;
use std::net::IpAddr;

const ID: &str = "SW107";

/// One endpoint: who holds the address (unique per endpoint), the node it
/// lives on (bundle label or hostname), and the line that shows it.
struct Holder {
    who: String,
    node: Option<String>,
    ev: Evidence,
}

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for net in cluster.networks.iter().filter(|n| n.driver == "overlay") {
        let mut by_ip: BTreeMap<IpAddr, BTreeMap<String, Holder>> = BTreeMap::new();
        for h in holders(cluster, net) {
            if let Some(ip) = ip_of(&h.0) {
                by_ip
                    .entry(ip)
                    .or_default()
                    .entry(h.1.who.clone())
                    .or_insert(h.1);
            }
        }
        for (ip, holders) in by_ip.into_iter().filter(|(_, h)| h.len() > 1) {
            let who: Vec<String> = holders.values().map(|h| h.who.clone()).collect();
            let nodes: Vec<String> = holders.values().filter_map(|h| h.node.clone()).collect();
            let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
            let detail = format!(
                "{ip} on {} ({}) is held by {} endpoints: {}",
                net.name,
                subnets(net),
                holders.len(),
                who.join("; ")
            );
            let ev = holders.into_values().map(|h| h.ev).collect();
            out.report(
                ID,
                Some(format!("{ip} on network {}", net.name)),
                &nodes,
                who.len() as u64,
                detail,
                ev,
            );
        }
    }
}

fn subnets(net: &Network) -> String {
    let s: Vec<&str> = net.ipam.iter().map(|c| c.subnet.as_str()).collect();
    s.join(", ")
}

/// Every live endpoint of `net` with its address string.
fn holders(cluster: &Cluster, net: &Network) -> Vec<(String, Holder)> {
    let mut out = Vec::new();
    let nets_file = cluster.cluster_file("swarm/networks.json");
    for c in net.ipam.iter().filter(|c| !c.gateway.is_empty()) {
        let ev = evidence(
            nets_file.clone(),
            net.line,
            format!("{} gateway {}", net.name, c.gateway),
        );
        out.push((
            c.gateway.clone(),
            Holder {
                who: format!("gateway of {}", net.name),
                node: None,
                ev,
            },
        ));
    }
    for (svc, vip) in services_with_vip(cluster, &net.id) {
        let ev = evidence(
            cluster.cluster_file("swarm/services.json"),
            svc.line,
            format!("service {} VIP {vip} on {}", svc.name, net.name),
        );
        out.push((
            vip.to_string(),
            Holder {
                who: format!("VIP of service {}", svc.name),
                node: None,
                ev,
            },
        ));
    }
    for t in cluster.tasks.iter().filter(|t| !is_terminal(t)) {
        let Some(ip) = task_ip(t, &net.id) else {
            continue;
        };
        let node = cluster
            .node_state(&t.node_id)
            .map(|n| n.label.clone())
            .or_else(|| cluster.hostname_of(&t.node_id).map(str::to_string));
        let who = format!("task {}", task_label(cluster, t));
        out.push((
            ip.to_string(),
            Holder {
                who,
                node,
                ev: task_evidence(cluster, t, net),
            },
        ));
    }
    for node in &cluster.nodes {
        let Some(view) = node_network(node, &net.id) else {
            continue;
        };
        for (key, ep) in &view.containers {
            let who = if key == "ingress-sbox" || key.starts_with("lb-") {
                format!("{key} endpoint of {}", node.hostname)
            } else {
                // `<svc>.<slot>.<taskid>`: the same endpoint as its task.
                let task_id = ep.name.rsplit('.').next().unwrap_or("");
                match cluster
                    .tasks
                    .iter()
                    .find(|t| !task_id.is_empty() && t.id == task_id)
                {
                    Some(t) => format!("task {}", task_label(cluster, t)),
                    None => format!("container {} on {}", ep.name, node.hostname),
                }
            };
            let ev = evidence(
                node.file("swarm/networks.json"),
                view.line,
                format!("{}: {} {} {}", net.name, key, ep.name, ep.ipv4),
            );
            out.push((
                ep.ipv4.clone(),
                Holder {
                    who,
                    node: Some(node.label.clone()),
                    ev,
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, lb_ids, seed};

    #[test]
    fn seeds_have_no_duplicates() {
        // exhausted-27: rejected tasks still list the addresses their
        // replacements hold; they must not count.
        for s in [
            "vote-ingress",
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
        ] {
            assert!(by_id(&analyze(&seed(s)), "SW107").is_empty(), "{s}");
        }
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW107", "fires"));
        let f = by_id(&a, "SW107");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(
            f[0].subject.as_deref(),
            Some("10.0.0.7 on network overlay1")
        );
        assert_eq!(
            f[0].detail,
            "10.0.0.7 on overlay1 (10.0.0.0/24) is held by 2 endpoints: \
             lb-overlay1 endpoint of worker1; task vote.2 ij6fmmcx71po"
        );
        assert_eq!(f[0].nodes.len(), 2);
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "worker1/swarm/networks.json"
                && e.text == "overlay1: lb-overlay1 overlay1-endpoint 10.0.0.7/24"));
        let quiet = analyze(&fixture("SW107", "quiet"));
        assert!(by_id(&quiet, "SW107").is_empty(), "{:?}", lb_ids(&quiet));
    }
}
