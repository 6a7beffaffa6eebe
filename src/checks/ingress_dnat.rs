//! SW201 ingress-port-missing-dnat.
//!
//! ## What it detects
//! A port published in ingress mode (`Endpoint.Ports`, `PublishMode:
//! ingress`) without its DNAT in the host nat table of a swarm node:
//! `-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination
//! 172.18.0.2:8080`. It says which hop is gone: the whole DOCKER-INGRESS
//! chain, the `PREROUTING` jump to it, the port's DNAT, or a DNAT pointing
//! at another address than the `ingress_sbox`'s docker_gwbridge address.
//!
//! ## Why it breaks traffic
//! The routing mesh starts with that DNAT: without it, connections to the
//! published port on this node are not handed to the ingress sandbox and
//! fail, while the same port answers on other nodes. `firewall-cmd --reload`
//! or an iptables restore after dockerd started are the usual causes
//! (dockerd's firewalld hook restores only the bridge rules).
//!
//! ## How to fix
//! `systemctl restart docker` on the node re-creates the rules. Order the
//! docker service after the firewall service and do not reload the firewall
//! behind dockerd's back.

use super::util::*;
use super::{evidence, Checks};
use crate::model::{Cluster, NodeState};
use crate::parse::iptables::{Rule, Ruleset};
use crate::parse::service::Service;
use std::net::IpAddr;

const ID: &str = "SW201";

/// Ingress-published ports: (service, protocol, published, target).
pub fn ingress_ports(cluster: &Cluster) -> Vec<(&Service, &str, u16, u16)> {
    cluster
        .services
        .iter()
        .flat_map(|s| s.ports.iter().map(move |p| (s, p)))
        .filter(|(_, p)| p.publish_mode == "ingress")
        .filter_map(|(s, p)| Some((s, p.protocol.as_str(), p.published?, p.target)))
        .collect()
}

pub fn check(cluster: &Cluster, out: &mut Checks) {
    let ports = ingress_ports(cluster);
    if ports.is_empty() {
        return;
    }
    for node in cluster
        .nodes
        .iter()
        .filter(|n| in_swarm(n) && !lacks_ipvs(n))
    {
        let Some(rs) = &node.host.iptables else {
            out.not_run(
                ID,
                format!("no host/iptables-save.txt on {}", node.hostname),
            );
            continue;
        };
        if rs.tables.is_empty() {
            out.not_run(
                ID,
                format!("host/iptables-save.txt on {} holds no table", node.hostname),
            );
            continue;
        }
        for &(svc, proto, port, target) in &ports {
            let Some((problem, mut ev)) = hop_missing(node, rs, proto, port) else {
                continue;
            };
            ev.insert(
                0,
                evidence(
                    cluster.cluster_file("swarm/services.json"),
                    svc.line,
                    format!(
                        "service {} publishes {port}/{proto} → {target} (ingress)",
                        svc.name
                    ),
                ),
            );
            let legacy = rs
                .warnings
                .iter()
                .any(|w| w.contains("legacy tables present"));
            let note = if legacy {
                " (iptables-save warns that iptables-legacy tables exist: dockerd may have written there)"
            } else {
                ""
            };
            let detail = format!(
                "{}: {} publishes {port}/{proto}; {problem}{note}: the port does not answer on this node",
                node.hostname, svc.name
            );
            out.report(
                ID,
                Some(format!("port {port}/{proto}")),
                &[&node.label],
                1,
                detail,
                ev,
            );
        }
    }
}

/// The first missing hop for a port, with the lines that show it.
pub(crate) fn hop_missing(
    node: &NodeState,
    rs: &Ruleset,
    proto: &str,
    port: u16,
) -> Option<(String, Vec<crate::finding::Evidence>)> {
    let file = "host/iptables-save.txt";
    let Some(nat) = rs.tables.get("nat") else {
        return Some((
            "the host has no nat table".into(),
            vec![file_fact(node, file, "no *nat table")],
        ));
    };
    if !nat.chains.contains_key("DOCKER-INGRESS") {
        let mut ev = vec![evidence(
            node.file(file),
            nat.line,
            "*nat without a DOCKER-INGRESS chain",
        )];
        ev.extend(
            rs.rules("nat", "PREROUTING")
                .iter()
                .map(|r| rule_evidence(node, None, r)),
        );
        return Some((
            "the host nat table has no DOCKER-INGRESS chain at all".into(),
            ev,
        ));
    }
    let jump = rs
        .rules("nat", "PREROUTING")
        .iter()
        .any(|r| r.target.as_deref() == Some("DOCKER-INGRESS"));
    if !jump {
        let ev = rs
            .rules("nat", "PREROUTING")
            .iter()
            .map(|r| rule_evidence(node, None, r))
            .collect();
        return Some(("nat PREROUTING does not jump to DOCKER-INGRESS".into(), ev));
    }
    let chain = rs.rules("nat", "DOCKER-INGRESS");
    let Some(dnat) = chain.iter().find(|r| is_dnat_for(r, proto, port)) else {
        let ev = chain.iter().map(|r| rule_evidence(node, None, r)).collect();
        return Some((format!("DOCKER-INGRESS has no DNAT for {port}/{proto}"), ev));
    };
    let to = dnat
        .to_destination
        .as_deref()
        .and_then(|d| d.rsplit_once(':').map(|(ip, _)| ip));
    let want = sbox_gateway_ip(node)?;
    if to.and_then(|t| t.parse::<IpAddr>().ok()) == Some(want) {
        return None;
    }
    let ev = vec![rule_evidence(node, None, dnat)];
    let problem = format!(
        "its DNAT goes to {} but ingress_sbox's docker_gwbridge address is {want}",
        dnat.to_destination.as_deref().unwrap_or("?")
    );
    Some((problem, ev))
}

fn is_dnat_for(r: &Rule, proto: &str, port: u16) -> bool {
    r.target.as_deref() == Some("DNAT")
        && !r.negated
        && r.protocol.as_deref() == Some(proto)
        && r.dport.as_deref().is_some_and(|d| port_matches(d, port))
}

/// The `ingress_sbox` address on docker_gwbridge: its one IPv4 address
/// outside every ingress subnet (eth1, usually 172.18.0.2).
fn sbox_gateway_ip(node: &NodeState) -> Option<IpAddr> {
    let subnets: Vec<ipnet::IpNet> = node
        .networks
        .iter()
        .flatten()
        .filter(|n| n.ingress)
        .flat_map(|n| &n.ipam)
        .filter_map(|c| c.subnet.parse().ok())
        .collect();
    if subnets.is_empty() {
        return None;
    }
    let sbox = node.netns.get(INGRESS_SBOX)?;
    let mut outside = sbox
        .addrs
        .iter()
        .flatten()
        .filter(|i| i.name != "lo")
        .flat_map(|i| &i.addrs)
        .filter(|a| a.family == "inet" && a.prefix < 32)
        .map(|a| a.ip)
        .filter(|ip| !subnets.iter().any(|s| s.contains(ip)));
    let first = outside.next()?;
    outside.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, lb_ids, seed};

    #[test]
    fn vote_ingress_worker1_lost_docker_ingress() {
        let a = analyze(&seed("vote-ingress"));
        let f = by_id(&a, "SW201");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(f[0].subject.as_deref(), Some("port 8080/tcp"));
        assert_eq!(f[0].nodes.iter().collect::<Vec<_>>(), ["worker1"]);
        assert!(f[0].detail.contains("worker1: vote publishes 8080/tcp; the host nat table has no DOCKER-INGRESS chain at all"), "{}", f[0].detail);
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "worker1/host/iptables-save.txt"
                && e.text == "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"));
    }

    #[test]
    fn other_seeds_quiet() {
        for s in ["upgrade-before", "upgrade-mid", "exhausted-27"] {
            assert!(by_id(&analyze(&seed(s)), "SW201").is_empty(), "{s}");
        }
    }

    #[test]
    fn fixtures() {
        let fires = analyze(&fixture("SW201", "fires"));
        let f = by_id(&fires, "SW201");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&fires));
        assert!(
            f[0].detail
                .contains("DOCKER-INGRESS has no DNAT for 8080/tcp"),
            "{}",
            f[0].detail
        );
        let quiet = analyze(&fixture("SW201", "quiet"));
        assert!(by_id(&quiet, "SW201").is_empty(), "{:?}", lb_ids(&quiet));
    }
}
