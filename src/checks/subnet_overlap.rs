//! SW606 subnet-overlap.
//!
//! ## What it detects
//! A docker subnet that overlaps a host route or another docker subnet:
//! every overlay's IPAM subnets (ingress included, from `swarm/networks.json`)
//! and each node's docker_gwbridge subnet (`host/ip-addr.txt`), against the
//! node's unicast routes in `host/ip-route.txt` (default, local/broadcast
//! routes and docker's own docker0/docker_gwbridge/veth routes left out), and
//! against each other.
//!
//! ## Why it breaks traffic
//! A container routes its overlay subnet through the overlay and everything
//! else through docker_gwbridge; the host routes docker_gwbridge's subnet to
//! the bridge. Where a subnet overlaps a real network (often a corporate
//! 10.0.0.0/8 or 172.16.0.0/12 route against ingress 10.0.0.0/24 or
//! docker_gwbridge 172.18.0.0/16), replies and requests to those hosts go out
//! the wrong interface.
//!
//! ## How to fix
//! Recreate the overlapping network with a free subnet (`--subnet`;
//! docker_gwbridge must be recreated before the node joins), and set
//! `default-address-pools` / `docker swarm init --default-addr-pool` so new
//! networks avoid host ranges.

use super::host_facts::has_host_state;
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::{Cluster, NodeState};
use crate::parse::ip_route::Route;
use ipnet::IpNet;

/// A docker subnet and where it is stated.
struct Subnet {
    /// `network ingress 10.0.0.0/24`, `docker_gwbridge 172.18.0.0/16`.
    label: String,
    net: IpNet,
    ev: Evidence,
}

pub fn check(cluster: &Cluster, out: &mut Checks) {
    let overlays = overlay_subnets(cluster);
    // Overlays among themselves, once for the cluster.
    for (i, a) in overlays.iter().enumerate() {
        for b in overlays
            .iter()
            .skip(i + 1)
            .filter(|b| overlap(&a.net, &b.net))
        {
            let nodes: Vec<&str> = cluster.cluster_source.iter().map(String::as_str).collect();
            out.report(
                "SW606",
                Some(a.label.clone()),
                &nodes,
                1,
                format!("{} overlaps {}", a.label, b.label),
                vec![a.ev.clone(), b.ev.clone()],
            );
        }
    }
    for n in &cluster.nodes {
        let gw = gwbridge(n);
        if let Some(g) = &gw {
            for o in overlays.iter().filter(|o| overlap(&g.net, &o.net)) {
                out.report(
                    "SW606",
                    Some(o.label.clone()),
                    &[&n.label],
                    1,
                    format!("{}: {} overlaps {}", n.hostname, o.label, g.label),
                    vec![o.ev.clone(), g.ev.clone()],
                );
            }
        }
        let Some(routes) = &n.host.routes else {
            if has_host_state(n) {
                out.not_run("SW606", format!("no host/ip-route.txt on {}", n.label));
            }
            continue;
        };
        for r in routes.iter().filter(|r| host_route(r)) {
            let Some(dest) = r.dest_net else { continue };
            for s in overlays
                .iter()
                .chain(gw.iter())
                .filter(|s| overlap(&s.net, &dest))
            {
                out.report(
                    "SW606",
                    Some(s.label.clone()),
                    &[&n.label],
                    1,
                    format!(
                        "{}: {} overlaps host route `{}` (host/ip-route.txt line {})",
                        n.hostname,
                        s.label,
                        route_text(r),
                        r.line
                    ),
                    vec![
                        s.ev.clone(),
                        evidence(n.file("host/ip-route.txt"), r.line, route_text(r)),
                    ],
                );
            }
        }
    }
}

fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A route to a real network: unicast, not default, not in the local table,
/// not on docker's own bridges or veths.
fn host_route(r: &Route) -> bool {
    let dev = r.dev.as_deref().unwrap_or("");
    r.kind.as_deref().is_none_or(|k| k == "unicast")
        && r.table.as_deref() != Some("local")
        && r.dest_net.is_some_and(|d| d.prefix_len() > 0)
        && !matches!(dev, "lo" | "docker0" | "docker_gwbridge")
        && !dev.starts_with("veth")
        && !dev.starts_with("vx-")
}

fn route_text(r: &Route) -> String {
    let mut s = r.dest.clone();
    if let Some(v) = r.via {
        s.push_str(&format!(" via {v}"));
    }
    if let Some(d) = &r.dev {
        s.push_str(&format!(" dev {d}"));
    }
    s
}

/// IPAM subnets of every overlay (ingress included), with the file and line
/// of the bundle the network definition came from.
fn overlay_subnets(cluster: &Cluster) -> Vec<Subnet> {
    let mut out = Vec::new();
    for net in cluster.networks.iter().filter(|n| n.driver == "overlay") {
        let (file, line) = net_source(cluster, &net.id).unwrap_or_default();
        for c in &net.ipam {
            let Ok(sub) = c.subnet.trim().parse::<IpNet>() else {
                continue;
            };
            let label = format!("network {} {}", net.name, sub.trunc());
            out.push(Subnet {
                ev: evidence(&file, line, format!("\"Subnet\": \"{}\"", c.subnet)),
                label,
                net: sub.trunc(),
            });
        }
    }
    out
}

/// Where the merged definition of network `id` came from: the cluster source
/// first, then bundles in label order (as `model::build` merges them).
fn net_source(cluster: &Cluster, id: &str) -> Option<(String, usize)> {
    let mut order: Vec<&NodeState> = cluster.nodes.iter().collect();
    order.sort_by_key(|n| {
        (
            Some(&n.label) != cluster.cluster_source.as_ref(),
            n.label.clone(),
        )
    });
    order.into_iter().find_map(|n| {
        let net = n.networks.iter().flatten().find(|x| x.id == id)?;
        Some((n.file("swarm/networks.json"), net.line))
    })
}

/// The node's docker_gwbridge subnet, from its address.
fn gwbridge(n: &NodeState) -> Option<Subnet> {
    let i = n
        .host
        .addrs
        .iter()
        .flatten()
        .find(|i| i.name == "docker_gwbridge")?;
    let a = i.addrs.iter().find(|a| a.family == "inet")?;
    let net = IpNet::new(a.ip, a.prefix).ok()?.trunc();
    Some(Subnet {
        label: format!("docker_gwbridge {net}"),
        net,
        ev: evidence(
            n.file("host/ip-addr.txt"),
            a.line,
            format!("inet {}/{} docker_gwbridge", a.ip, a.prefix),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::host_test_util::{analyze_dir, findings_of, fixture};

    #[test]
    fn fires_on_route_and_gwbridge_overlaps() {
        let a = analyze_dir(&fixture("SW606", "fires"));
        let f = findings_of(&a, "SW606");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        assert_eq!(
            subjects,
            [
                "docker_gwbridge 172.18.0.0/16",
                "network ingress 10.255.0.0/16",
                "network overlay1 10.0.0.0/24"
            ]
        );
        assert!(f[2].detail.contains(
            "manager1: network overlay1 10.0.0.0/24 overlaps host route `10.0.0.0/8 via 192.168.99.254 dev ens192` (host/ip-route.txt line 2)"
        ), "{}", f[2].detail);
        assert!(f[0]
            .detail
            .contains("overlaps host route `172.16.0.0/12 via 192.168.99.254 dev ens192`"));
        assert!(f[1]
            .evidence
            .iter()
            .any(|e| e.file == "manager1/host/ip-route.txt" && e.line == 2));
        // docker0's and docker_gwbridge's own routes are not host routes.
        assert!(!f.iter().any(|f| f.detail.contains("dev docker")));
    }

    #[test]
    fn fires_on_docker_subnets_overlapping_each_other() {
        // ingress re-created as 172.18.0.0/16 and overlay1 as 172.18.0.0/24,
        // both on top of docker_gwbridge 172.18.0.0/16.
        let a = analyze_dir(&fixture("SW606", "fires-docker"));
        let f = findings_of(&a, "SW606");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        assert_eq!(
            subjects,
            [
                "network ingress 172.18.0.0/16",
                "network overlay1 172.18.0.0/24"
            ]
        );
        assert!(f[0]
            .detail
            .contains("network ingress 172.18.0.0/16 overlaps network overlay1 172.18.0.0/24"));
        assert!(f[0].detail.contains(
            "manager1: network ingress 172.18.0.0/16 overlaps docker_gwbridge 172.18.0.0/16"
        ));
        assert!(f[1].detail.contains(
            "manager1: network overlay1 172.18.0.0/24 overlaps docker_gwbridge 172.18.0.0/16"
        ));
        // The gwbridge's own route is not a host route.
        assert!(!f.iter().any(|f| f.detail.contains("host route")));
        assert!(f[1]
            .evidence
            .iter()
            .any(|e| e.file == "manager1/swarm/networks.json"
                && e.text == "\"Subnet\": \"172.18.0.0/24\""));
    }

    #[test]
    fn quiet_without_overlap() {
        let a = analyze_dir(&fixture("SW606", "quiet"));
        assert!(findings_of(&a, "SW606").is_empty());
    }
}
