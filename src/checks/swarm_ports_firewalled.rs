//! SW605 swarm-ports-firewalled.
//!
//! ## What it detects
//! Host firewall rules (`host/iptables-save.txt`, `host/nft-ruleset.txt`)
//! that drop or reject swarm traffic between this node and the others:
//! 2377/tcp (raft and dispatcher, inbound on managers, outbound to managers),
//! 7946/tcp+udp (gossip) and the VXLAN port (4789/udp, or the swarm's
//! `DataPathPort`). For every other node's address it walks the packet
//! through raw, mangle and filter (INPUT/OUTPUT, following jumps into
//! DOCKER-USER, ufw or firewalld chains) in rule order, so an earlier ACCEPT
//! wins, and names the rule (or the chain policy) that drops it. Native
//! nftables rules (firewalld's nftables backend, Docker's nftables firewall)
//! are walked too: every filter base chain on the hook, by priority, where a
//! drop in any one is final (iptables-nft's own tables are read once, from
//! iptables-save). With counters (`iptables-save -c`, nft `counter`), the
//! finding quotes the dropping rule's or policy's packet count.
//!
//! ## Why it breaks traffic
//! Blocked 7946 partitions gossip: peers miss each other's endpoints, so DNS
//! and VIP backends differ by node (GOS-*). Blocked 4789 silently loses
//! cross-node overlay packets. Blocked 2377 keeps nodes from their managers
//! (NODE-01, RAFT-05).
//!
//! ## How to fix
//! Accept 2377/tcp (to managers), 7946/tcp+udp and 4789/udp (ESP too for
//! encrypted overlays) from every node before the rule named here, e.g.
//! `iptables -I INPUT -s <node> -p udp --dport 7946 -j ACCEPT`, and persist it
//! in the firewall's own configuration.

use super::firewall_walk::{Block, Firewall, Packet};
use super::host_facts::{has_host_state, iface_with, ip_names, named, node_ips, own_ip};
use super::nft_walk::NftFirewall;
use super::{evidence, Checks};
use crate::model::{Cluster, NodeState};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// (inbound, what blocks it) → the peers it stops (`None`: any address).
type ByBlock = BTreeMap<(bool, Block), Vec<Option<IpAddr>>>;

pub fn check(cluster: &Cluster, out: &mut Checks) {
    let vxlan = vxlan_port(cluster);
    let names = ip_names(cluster);
    let managers = manager_ips(cluster);
    for n in &cluster.nodes {
        let ipt = n.host.iptables.as_ref();
        let nft = n.host.nft.as_ref();
        if ipt.is_none() && nft.is_none() {
            if has_host_state(n) {
                out.not_run(
                    "SW605",
                    format!(
                        "no host/iptables-save.txt or host/nft-ruleset.txt on {}",
                        n.label
                    ),
                );
            }
            continue;
        }
        let own = own_ip(cluster, n);
        let mine = node_ips(cluster, &n.node_id);
        let not_me = |ip: &IpAddr| Some(*ip) != own && !mine.contains(ip);
        let peers: BTreeSet<IpAddr> = peer_ips(cluster, n).into_iter().filter(not_me).collect();
        let to_managers: BTreeSet<IpAddr> = managers
            .iter()
            .chain(remote_managers(n).iter())
            .copied()
            .filter(not_me)
            .collect();
        let under = own
            .and_then(|ip| iface_with(n, ip))
            .map(|i| i.name.as_str());

        let mut flows: Vec<(u16, &str, bool, &BTreeSet<IpAddr>)> = vec![
            (2377, "tcp", false, &to_managers),
            (7946, "tcp", true, &peers),
            (7946, "udp", true, &peers),
            (7946, "tcp", false, &peers),
            (7946, "udp", false, &peers),
            (vxlan, "udp", true, &peers),
            (vxlan, "udp", false, &peers),
        ];
        if n.is_manager() {
            flows.push((2377, "tcp", true, &peers));
        }
        // (port, proto) → (inbound, block) → peers it stops; and peers that pass.
        let mut stops: BTreeMap<(u16, &str), ByBlock> = BTreeMap::new();
        let mut passes: BTreeMap<(u16, &str, bool), Vec<IpAddr>> = BTreeMap::new();
        let fw = ipt.map(Firewall::new);
        // iptables-nft's tables show in both files: walk them once.
        let xtables_in_ipt = ipt.is_some_and(|r| r.backend.as_deref() == Some("nf_tables"));
        let nfw = nft.map(|r| NftFirewall::new(r, xtables_in_ipt));
        let class = |ip: IpAddr| {
            let mut c = fw.as_ref().map(|f| f.addr_class(ip)).unwrap_or_default();
            c.extend(nfw.as_ref().map(|f| f.addr_class(ip)).unwrap_or_default());
            c
        };
        for (port, proto, inbound, set) in flows {
            // Peers that every address match treats alike share one walk.
            let mut classes: BTreeMap<Vec<bool>, Vec<Option<IpAddr>>> = BTreeMap::new();
            for ip in set {
                classes.entry(class(*ip)).or_default().push(Some(*ip));
            }
            if set.is_empty() {
                classes.insert(Vec::new(), vec![None]);
            }
            for group in classes.into_values() {
                let peer = group.first().copied().flatten();
                let p = Packet {
                    proto,
                    dport: port,
                    src: if inbound { peer } else { own },
                    dst: if inbound { own } else { peer },
                    in_iface: if inbound { under } else { None },
                    out_iface: if inbound { None } else { under },
                    inbound,
                };
                let blocked = fw
                    .as_ref()
                    .and_then(|f| f.blocked(&p))
                    .or_else(|| nfw.as_ref().and_then(|f| f.blocked(&p)));
                match blocked {
                    Some(b) => stops
                        .entry((port, proto))
                        .or_default()
                        .entry((inbound, b))
                        .or_default()
                        .extend(group),
                    None => passes
                        .entry((port, proto, inbound))
                        .or_default()
                        .extend(group.into_iter().flatten()),
                }
            }
        }
        for v in stops.values_mut().flat_map(|m| m.values_mut()) {
            v.sort();
        }
        for v in passes.values_mut() {
            v.sort();
        }
        for ((port, proto), by_block) in stops {
            report(n, port, proto, &by_block, &passes, &names, out);
        }
    }
}

fn report(
    n: &NodeState,
    port: u16,
    proto: &str,
    by_block: &ByBlock,
    passes: &BTreeMap<(u16, &str, bool), Vec<IpAddr>>,
    names: &BTreeMap<IpAddr, String>,
    out: &mut Checks,
) {
    let mut parts = Vec::new();
    let mut ev = Vec::new();
    let mut count = 0;
    let inbound_first = by_block
        .iter()
        .filter(|((i, _), _)| *i)
        .chain(by_block.iter().filter(|((i, _), _)| !*i));
    for ((inbound, b), peers) in inbound_first {
        count += peers.len() as u64;
        let who = peers
            .iter()
            .map(|p| p.map_or("any address".to_string(), |ip| named(&ip, names)))
            .collect::<Vec<_>>()
            .join(", ");
        let verb = if b.policy {
            "dropped by the policy"
        } else {
            "dropped by"
        };
        let counter = b
            .packets
            .map(|p| format!(" (counter: {p} packets)"))
            .unwrap_or_default();
        parts.push(format!(
            "{} {} {who} {verb} {} {} line {} `{}`{counter}",
            if *inbound { "inbound" } else { "outbound" },
            if *inbound { "from" } else { "to" },
            b.table,
            b.chain,
            b.line,
            b.text
        ));
        ev.push(evidence(n.file(b.file), b.line, b.text.clone()));
    }
    for inbound in [true, false] {
        let blocked_dir = by_block.keys().any(|(i, _)| *i == inbound);
        if let Some(ok) = passes
            .get(&(port, proto, inbound))
            .filter(|v| blocked_dir && !v.is_empty())
        {
            parts.push(format!(
                "{} {} {} pass",
                if inbound { "inbound" } else { "outbound" },
                if inbound { "from" } else { "to" },
                ok.iter()
                    .map(|ip| named(ip, names))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out.report(
        "SW605",
        Some(format!("port {port}/{proto}")),
        &[&n.label],
        count,
        format!("{}: {port}/{proto} {}", n.hostname, parts.join("; ")),
        ev,
    );
}

/// The VXLAN port the swarm uses: a manager's `DataPathPort`, else 4789.
fn vxlan_port(cluster: &Cluster) -> u16 {
    cluster
        .nodes
        .iter()
        .filter_map(|n| n.info.as_ref())
        .find(|i| i.swarm.data_path_port.is_some())
        .and_then(|i| u16::try_from(i.swarm.vxlan_port()).ok())
        .unwrap_or(4789)
}

/// Addresses of every other swarm node this bundle or the cluster knows:
/// swarm nodes, remote managers, and gossip peers of the node's networks.
fn peer_ips(cluster: &Cluster, n: &NodeState) -> BTreeSet<IpAddr> {
    let mut out: BTreeSet<IpAddr> = cluster
        .swarm_nodes
        .iter()
        .filter_map(|s| s.advertise_ip()?.parse().ok())
        .collect();
    out.extend(cluster.nodes.iter().filter_map(|m| own_ip(cluster, m)));
    out.extend(remote_managers(n));
    for net in n.networks.iter().flatten() {
        out.extend(net.peers.iter().filter_map(|p| p.ip.parse::<IpAddr>().ok()));
    }
    out
}

fn manager_ips(cluster: &Cluster) -> BTreeSet<IpAddr> {
    cluster
        .swarm_nodes
        .iter()
        .filter(|s| s.manager.is_some() || s.role == "manager")
        .filter_map(|s| s.advertise_ip()?.parse().ok())
        .collect()
}

/// `Swarm.RemoteManagers[].Addr` hosts (`10.0.0.1:2377`).
fn remote_managers(n: &NodeState) -> BTreeSet<IpAddr> {
    n.info
        .iter()
        .flat_map(|i| i.swarm.remote_managers.iter())
        .filter_map(|m| {
            let host = m.addr.rsplit_once(':').map_or(m.addr.as_str(), |(h, _)| h);
            host.trim_matches(['[', ']']).parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::host_test_util::{analyze_dir, findings_of, fixture};

    #[test]
    fn fires_on_the_lab_gossip_block() {
        // Real node3 of the lab's gossip-blocked capture (plus node1 and node2's info).
        let a = analyze_dir(&fixture("SW605", "fires"));
        let f = findings_of(&a, "SW605");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        assert_eq!(subjects, ["port 7946/tcp", "port 7946/udp"]);
        let udp = f[1];
        assert_eq!(udp.nodes.iter().collect::<Vec<_>>(), ["node3"]);
        assert_eq!(udp.count, 2);
        assert!(udp.detail.contains(
            "inbound from 198.18.0.12 (node2) dropped by filter INPUT line 10 `-A INPUT -s 198.18.0.12/32 -p udp -m udp --dport 7946 -j DROP`"
        ), "{}", udp.detail);
        assert!(udp
            .detail
            .contains("outbound to 198.18.0.12 (node2) dropped by filter OUTPUT line 22"));
        assert!(udp.detail.contains("inbound from 198.18.0.11 (node1) pass"));
        assert!(udp
            .evidence
            .iter()
            .any(|e| e.file == "node3/host/iptables-save.txt"
                && e.line == 10
                && e.text == "-A INPUT -s 198.18.0.12/32 -p udp -m udp --dport 7946 -j DROP"));
    }

    #[test]
    fn fires_on_policy_drop_and_honours_earlier_accepts() {
        // INPUT policy DROP; 2377 and 7946 accepted, 4789 forgotten.
        let a = analyze_dir(&fixture("SW605", "fires-policy"));
        let f = findings_of(&a, "SW605");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        assert_eq!(subjects, ["port 4789/udp"]);
        assert!(f[0].detail.contains("inbound from 192.168.99.101 (worker1) dropped by the policy filter INPUT line 3 `:INPUT DROP` (counter: 1204 packets)"), "{}", f[0].detail);
    }

    #[test]
    fn fires_on_a_native_nftables_firewall() {
        // Issue 9: the same cluster as fires-policy, its manager behind a
        // firewalld-style nftables ruleset (real `nft list ruleset` output,
        // no iptables-save) that accepts 2377 and 7946 but forgets 4789.
        let a = analyze_dir(&fixture("SW605", "fires-nft"));
        let f = findings_of(&a, "SW605");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        assert_eq!(subjects, ["port 4789/udp"]);
        assert!(
            f[0].detail.contains(
                "inbound from 192.168.99.101 (worker1) dropped by inet firewalld filter_INPUT line 8 `reject with icmpx admin-prohibited`"
            ),
            "{}",
            f[0].detail
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "manager1/host/nft-ruleset.txt"
                && e.line == 8
                && e.text == "reject with icmpx admin-prohibited"));
    }

    #[test]
    fn data_path_port_replaces_4789() {
        use crate::model::{Cluster, NodeState};
        use crate::parse::info::Info;
        let node = |port: Option<u32>| {
            let mut info = Info::default();
            info.swarm.control_available = true;
            info.swarm.data_path_port = port;
            NodeState {
                info: Some(info),
                ..NodeState::default()
            }
        };
        let cluster = |nodes| Cluster {
            nodes,
            ..Cluster::default()
        };
        assert_eq!(super::vxlan_port(&cluster(vec![node(Some(7789))])), 7789);
        assert_eq!(super::vxlan_port(&cluster(vec![node(Some(0))])), 4789);
        assert_eq!(super::vxlan_port(&cluster(vec![node(None)])), 4789);
    }

    #[test]
    fn quiet_when_rules_accept_swarm_ports_first() {
        let a = analyze_dir(&fixture("SW605", "quiet"));
        assert!(findings_of(&a, "SW605").is_empty());
    }
}
