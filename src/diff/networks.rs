//! Networks: subnets, addresses used and free, gossip peers, paired by id,
//! then name.
//!
//! Addresses used are counted simply: the distinct IPs of every node's local
//! endpoints (tasks, `lb-<net>` / `ingress-sbox` load balancers, attachable
//! containers), the services' VIPs on the network, and the addresses of tasks
//! that are not terminal (a rejected task still lists the address its
//! replacement now holds). Free = size − network − broadcast − gateway − used.

use super::{compare, Fact, Item, ItemChange};
use crate::model::Cluster;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Task states that no longer hold their addresses.
const TERMINAL: &[&str] = &[
    "complete", "shutdown", "failed", "rejected", "orphaned", "remove",
];

pub(super) fn diff(before: &Cluster, after: &Cluster, notes: &mut Vec<String>) -> Vec<ItemChange> {
    for (name, c) in [("before", before), ("after", after)] {
        if c.networks.is_empty() && !c.nodes.is_empty() {
            notes.push(format!(
                "{name}: no swarm/networks.json in any bundle: networks are not compared"
            ));
        }
    }
    if before.networks.is_empty() || after.networks.is_empty() {
        return Vec::new();
    }
    let hosts =
        |c: &Cluster| -> BTreeSet<String> { c.nodes.iter().map(|n| n.hostname.clone()).collect() };
    let common: BTreeSet<String> = hosts(before).intersection(&hosts(after)).cloned().collect();
    // A manager lists every swarm network; a worker only its own.
    compare(
        items(before, &common),
        items(after, &common),
        (
            before.cluster_source.is_some(),
            after.cluster_source.is_some(),
        ),
    )
}

/// Nodes' local views count only for nodes with a bundle on both sides, so a
/// bundle missing on one side does not read as addresses or peers that changed.
fn items(c: &Cluster, common: &BTreeSet<String>) -> Vec<Item> {
    let hosts = host_by_ip(c);
    c.networks
        .iter()
        .map(|net| {
            let subnets: BTreeSet<String> = net
                .ipam
                .iter()
                .map(|i| i.subnet.clone())
                .filter(|s| !s.is_empty())
                .collect();
            let views = c
                .nodes
                .iter()
                .filter(|n| common.contains(&n.hostname))
                .filter_map(|n| n.networks.as_ref())
                .flatten()
                .filter(|v| v.id == net.id);
            let mut peers: BTreeSet<String> = BTreeSet::new();
            let mut used: BTreeSet<Ipv4Addr> = BTreeSet::new();
            for v in views {
                for p in &v.peers {
                    peers.insert(hosts.get(&p.ip).cloned().unwrap_or_else(|| p.ip.clone()));
                }
                used.extend(v.containers.values().filter_map(|e| ip(&e.ipv4)));
                for s in v.services.values() {
                    used.extend(s.vip.as_deref().and_then(ip));
                    used.extend(s.tasks.iter().filter_map(|t| ip(&t.endpoint_ip)));
                }
            }
            for s in &c.services {
                used.extend(
                    s.vips
                        .iter()
                        .filter(|v| v.network_id == net.id)
                        .filter_map(|v| ip(&v.addr)),
                );
            }
            for t in c
                .tasks
                .iter()
                .filter(|t| !TERMINAL.contains(&t.state.as_str()))
            {
                for a in t.attachments.iter().filter(|a| a.network_id == net.id) {
                    used.extend(a.addresses.iter().filter_map(|s| ip(s)));
                }
            }
            let addresses = if c.cluster_source.is_some() {
                net.ipam
                    .iter()
                    .filter_map(|i| usage(&i.subnet, &i.gateway, &used))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                String::new()
            };
            Item {
                id: net.id.clone(),
                name: net.name.clone(),
                facts: vec![
                    ("driver", Fact::One(net.driver.clone())),
                    ("scope", Fact::One(net.scope.clone())),
                    ("subnets", Fact::Set(Some(subnets))),
                    ("addresses", Fact::One(addresses)),
                    ("peers", Fact::Set(Some(peers))),
                ],
            }
        })
        .collect()
}

/// `10.0.0.0/24: 9 used, 244 free` for an IPv4 subnet of /30 or larger.
fn usage(subnet: &str, gateway: &str, used: &BTreeSet<Ipv4Addr>) -> Option<String> {
    let net: Ipv4Net = subnet.trim().parse().ok()?;
    if net.prefix_len() > 30 {
        return None;
    }
    let gw = ip(gateway);
    let n = used
        .iter()
        .filter(|a| net.contains(*a) && **a != net.network() && **a != net.broadcast())
        .filter(|a| Some(**a) != gw)
        .count() as u64;
    let size = 1u64 << (32 - u32::from(net.prefix_len()));
    let free = size.saturating_sub(3).saturating_sub(n);
    Some(format!("{net}: {n} used, {free} free"))
}

/// The IPv4 address of `10.0.0.3/24` or `10.0.0.3`.
fn ip(s: &str) -> Option<Ipv4Addr> {
    s.split('/').next()?.trim().parse().ok()
}

/// Node address → hostname, from the managers' node list and docker info.
fn host_by_ip(c: &Cluster) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for sn in &c.swarm_nodes {
        if let Some(a) = sn.advertise_ip() {
            m.insert(a, sn.hostname.clone());
        }
    }
    for n in &c.nodes {
        if let Some(i) = &n.info {
            if !i.swarm.node_addr.is_empty() {
                m.entry(i.swarm.node_addr.clone())
                    .or_insert_with(|| n.hostname.clone());
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_arithmetic() {
        let used: BTreeSet<Ipv4Addr> = ["10.0.9.1", "10.0.9.2", "10.0.9.3", "10.0.8.7"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        // 32 − 3 reserved − 2 used (the gateway .1 is not counted twice; .8.7 is outside).
        assert_eq!(
            usage("10.0.9.0/27", "10.0.9.1", &used).as_deref(),
            Some("10.0.9.0/27: 2 used, 27 free")
        );
        assert_eq!(usage("10.0.9.0/31", "", &used), None);
        assert_eq!(usage("fd00::/64", "", &used), None);
    }

    #[test]
    fn peers_and_addresses_from_node_views() {
        let view = |peers: &str, containers: &str| {
            let json = format!(
                r#"[{{"Name":"test_default","Id":"hmao9wtjwlxdwrtn9yzm59dye","Scope":"swarm","Driver":"overlay",
                   "IPAM":{{"Config":[{{"Subnet":"10.0.0.0/24","Gateway":"10.0.0.1"}}]}},
                   "Containers":{{{containers}}},"Peers":[{peers}]}}]"#
            );
            crate::parse::network::parse(&json).unwrap().items
        };
        let mk = |peers: &str, containers: &str| {
            let nets = view(peers, containers);
            Cluster {
                networks: nets.clone(),
                nodes: vec![crate::model::NodeState {
                    label: "n1".into(),
                    hostname: "n1".into(),
                    networks: Some(nets),
                    ..Default::default()
                }],
                cluster_source: Some("n1".into()),
                ..Cluster::default()
            }
        };
        let before = mk(
            r#"{"Name":"a","IP":"172.31.18.74"},{"Name":"b","IP":"172.31.21.180"}"#,
            r#""c1":{"Name":"x","IPv4Address":"10.0.0.5/24"},"c2":{"Name":"y","IPv4Address":"10.0.0.6/24"}"#,
        );
        let after = mk(
            r#"{"Name":"b","IP":"172.31.21.180"}"#,
            r#""c2":{"Name":"y","IPv4Address":"10.0.0.6/24"}"#,
        );
        let mut notes = Vec::new();
        let changes = diff(&before, &after, &mut notes);
        assert!(notes.is_empty());
        assert_eq!(changes.len(), 1);
        let fields: Vec<_> = changes[0].fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["addresses", "peers"]);
        assert_eq!(changes[0].fields[0].before, "10.0.0.0/24: 2 used, 251 free");
        assert_eq!(changes[0].fields[0].after, "10.0.0.0/24: 1 used, 252 free");
        assert_eq!(changes[0].fields[1].removed, ["172.31.18.74"]);
    }
}
