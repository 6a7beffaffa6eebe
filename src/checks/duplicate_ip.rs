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
use crate::model::{Cluster, NodeState};
use crate::parse::network::{NetEndpoint, Network};
use crate::parse::service::Service;
use crate::parse::task::Task;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

const ID: &str = "SW107";

/// One endpoint: who holds the address (unique per endpoint), the node it
/// lives on (bundle label or hostname), and the line that shows it.
struct Holder {
    who: String,
    node: Option<String>,
    ev: Evidence,
}

/// An endpoint before it is described: a big cluster has hundreds of
/// thousands, and only those sharing an address are worth a description.
enum Candidate<'a> {
    Gateway(&'a str),
    Vip(&'a Service, IpAddr),
    Task(&'a Task),
    Container(&'a NodeState, &'a Network, &'a str, &'a NetEndpoint),
}

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for net in cluster.networks.iter().filter(|n| n.driver == "overlay") {
        let mut by_ip: BTreeMap<IpAddr, Vec<Candidate>> = BTreeMap::new();
        for (ip, c) in candidates(cluster, net) {
            if let Some(ip) = ip_of(ip) {
                by_ip.entry(ip).or_default().push(c);
            }
        }
        let tasks_by_id = OnceCell::new();
        for (ip, found) in by_ip.into_iter().filter(|(_, c)| c.len() > 1) {
            let mut holders: BTreeMap<String, Holder> = BTreeMap::new();
            for c in found {
                let h = describe(cluster, net, &tasks_by_id, c);
                holders.entry(h.who.clone()).or_insert(h);
            }
            if holders.len() < 2 {
                continue;
            }
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
fn candidates<'a>(cluster: &'a Cluster, net: &'a Network) -> Vec<(&'a str, Candidate<'a>)> {
    let mut out = Vec::new();
    for c in net.ipam.iter().filter(|c| !c.gateway.is_empty()) {
        out.push((c.gateway.as_str(), Candidate::Gateway(&c.gateway)));
    }
    for s in cluster
        .services
        .iter()
        .filter(|s| s.endpoint_mode != "dnsrr")
    {
        // As `services_with_vip`: the first VIP on the network, if it parses.
        let Some(vip) = s.vips.iter().find(|v| v.network_id == net.id) else {
            continue;
        };
        if let Ok(ip) = vip.addr.parse::<IpAddr>() {
            out.push((vip.addr.as_str(), Candidate::Vip(s, ip)));
        }
    }
    for t in cluster.tasks.iter().filter(|t| !is_terminal(t)) {
        // As `task_ip`: the first address on the network that parses.
        let addr = t
            .attachments
            .iter()
            .filter(|a| a.network_id == net.id)
            .flat_map(|a| a.addresses.iter())
            .find(|a| ip_of(a).is_some());
        if let Some(addr) = addr {
            out.push((addr.as_str(), Candidate::Task(t)));
        }
    }
    for node in &cluster.nodes {
        let Some(view) = node_network(node, &net.id) else {
            continue;
        };
        for (key, ep) in &view.containers {
            out.push((ep.ipv4.as_str(), Candidate::Container(node, view, key, ep)));
        }
    }
    out
}

/// Tasks by id (the first of each), built once per network when needed.
type TasksById<'a> = OnceCell<HashMap<&'a str, &'a Task>>;

/// Who holds the address, where, and the line that shows it.
fn describe<'a>(
    cluster: &'a Cluster,
    net: &Network,
    tasks_by_id: &TasksById<'a>,
    c: Candidate<'a>,
) -> Holder {
    match c {
        Candidate::Gateway(gateway) => Holder {
            who: format!("gateway of {}", net.name),
            node: None,
            ev: evidence(
                cluster.cluster_file("swarm/networks.json"),
                net.line,
                format!("{} gateway {gateway}", net.name),
            ),
        },
        Candidate::Vip(svc, vip) => Holder {
            who: format!("VIP of service {}", svc.name),
            node: None,
            ev: evidence(
                cluster.cluster_file("swarm/services.json"),
                svc.line,
                format!("service {} VIP {vip} on {}", svc.name, net.name),
            ),
        },
        Candidate::Task(t) => Holder {
            who: format!("task {}", task_label(cluster, t)),
            node: cluster
                .node_state(&t.node_id)
                .map(|n| n.label.clone())
                .or_else(|| cluster.hostname_of(&t.node_id).map(str::to_string)),
            ev: task_evidence(cluster, t, net),
        },
        Candidate::Container(node, view, key, ep) => {
            let who = if key == "ingress-sbox" || key.starts_with("lb-") {
                format!("{key} endpoint of {}", node.hostname)
            } else {
                // `<svc>.<slot>.<taskid>`: the same endpoint as its task.
                let task_id = ep.name.rsplit('.').next().unwrap_or("");
                let by_id = tasks_by_id.get_or_init(|| {
                    let mut m = HashMap::new();
                    for t in &cluster.tasks {
                        m.entry(t.id.as_str()).or_insert(t);
                    }
                    m
                });
                match by_id.get(task_id).filter(|_| !task_id.is_empty()) {
                    Some(t) => format!("task {}", task_label(cluster, t)),
                    None => format!("container {} on {}", ep.name, node.hostname),
                }
            };
            Holder {
                who,
                node: Some(node.label.clone()),
                ev: evidence(
                    node.file("swarm/networks.json"),
                    view.line,
                    format!("{}: {} {} {}", net.name, key, ep.name, ep.ipv4),
                ),
            }
        }
    }
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
