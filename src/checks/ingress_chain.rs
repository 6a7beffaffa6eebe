//! SW202 ingress-port-missing-mark, SW203 ingress-backend-mismatch.
//!
//! ## What it detects
//! Inside each swarm node's `ingress_sbox`, every ingress-published port
//! needs a mangle `PREROUTING` rule marking it
//! (`-A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x100`,
//! SW202), and the IPVS `FWM` service of that mark must list exactly the
//! ingress-network addresses of the service's running tasks (from the
//! manager's `tasks.json`, state and desired state `running`) (SW203).
//! Without a mark rule the node's `LocalLBIndex` for the service leads to
//! the FWM. A mark with no FWM is SW105's, a weight-0 backend SW104's.
//!
//! ## Why it breaks traffic
//! DNATed routing-mesh traffic that is not marked is not balanced to any
//! task; a backend that is no running task sends connections to a dead
//! container; a missing one never gets routing-mesh traffic from this node.
//!
//! ## How to fix
//! `docker service update --force <svc>`; restart the node's daemon if it
//! persists, and look for LB-01, KMOD-04 and gossip (GOS-*) problems.

use super::util::*;
use super::{evidence, Checks};
use crate::model::{Cluster, NetState, NodeState};
use crate::parse::network::Network;
use crate::parse::service::Service;
use std::collections::BTreeSet;
use std::net::IpAddr;

pub fn check(cluster: &Cluster, out: &mut Checks) {
    let Some(ingress) = cluster.networks.iter().find(|n| n.ingress) else {
        return;
    };
    let ports = super::ingress_dnat::ingress_ports(cluster);
    for node in cluster
        .nodes
        .iter()
        .filter(|n| in_swarm(n) && !lacks_ipvs(n))
    {
        let Some(sbox) = node.netns.get(INGRESS_SBOX) else {
            continue; // SW204 reports a missing sandbox
        };
        let mut seen: Vec<&str> = Vec::new();
        for &(svc, ..) in &ports {
            if seen.contains(&svc.id.as_str()) {
                continue;
            }
            seen.push(&svc.id);
            let ctx = Sbox {
                cluster,
                node,
                ingress,
                sbox,
            };
            ctx.service(svc, &ports, out);
        }
    }
}

struct Sbox<'a> {
    cluster: &'a Cluster,
    node: &'a NodeState,
    ingress: &'a Network,
    sbox: &'a NetState,
}

impl Sbox<'_> {
    fn service(&self, svc: &Service, ports: &[(&Service, &str, u16, u16)], out: &mut Checks) {
        let node = self.node;
        let Some(rs) = &self.sbox.iptables else {
            out.not_run(
                "SW202",
                format!(
                    "no {} on {}",
                    iptables_file(Some(INGRESS_SBOX)),
                    node.hostname
                ),
            );
            return;
        };
        let lbi = local_lb_index(node, &self.ingress.id, &svc.name);
        let mut marks: BTreeSet<u32> = BTreeSet::new();
        let mut mark_ev = Vec::new();
        let mut hops = Vec::new();
        for &(_, proto, port, target) in ports.iter().filter(|p| p.0.id == svc.id) {
            let rules: Vec<_> = port_mark_rules(rs, proto, port)
                .into_iter()
                .filter(|r| r.chain == "PREROUTING")
                .collect();
            if rules.is_empty() {
                let ev = vec![
                    evidence(
                        self.cluster.cluster_file("swarm/services.json"),
                        svc.line,
                        format!(
                            "service {} publishes {port}/{proto} → {target} (ingress)",
                            svc.name
                        ),
                    ),
                    file_fact(
                        node,
                        &iptables_file(Some(INGRESS_SBOX)),
                        format!("no mangle PREROUTING MARK for {proto} dport {port}"),
                    ),
                ];
                let index = lbi
                    .map(|i| format!(" (LocalLBIndex {i})"))
                    .unwrap_or_default();
                let detail = format!(
                    "{} in ingress_sbox: {} publishes {port}/{proto} but mangle PREROUTING marks no packet for it{index}",
                    node.hostname, svc.name
                );
                out.report(
                    "SW202",
                    Some(format!("port {port}/{proto}")),
                    &[&node.label],
                    1,
                    detail,
                    ev,
                );
                continue;
            }
            for r in rules {
                if let Some(m) = r.set_mark {
                    marks.insert(m);
                    hops.push(format!("{port}/{proto} → mark {}", mark_str(m)));
                    mark_ev.push(rule_evidence(node, Some(INGRESS_SBOX), r));
                }
            }
        }
        if marks.is_empty() {
            if let Some(i) = lbi {
                marks.insert(i);
                hops.push(format!("no port mark, LocalLBIndex {i}"));
            }
        }
        let Some(ipvs) = &self.sbox.ipvs else {
            out.not_run(
                "SW203",
                format!("no {} on {}", ipvs_file(INGRESS_SBOX), node.hostname),
            );
            return;
        };
        let running = running_backends(self.cluster, &svc.id, &self.ingress.id);
        let want: BTreeSet<IpAddr> = running.keys().copied().collect();
        for mark in marks {
            let Some(fwm) = ipvs.services.iter().find(|s| s.fwmark() == Some(mark)) else {
                continue; // SW105: a mark with no FWM
            };
            let listed: BTreeSet<IpAddr> = fwm.backends.iter().filter_map(|b| b.ip).collect();
            // Weight-0 destinations are SW104's, as in SW102.
            let stale: BTreeSet<IpAddr> = fwm
                .backends
                .iter()
                .filter(|b| b.weight != Some(0))
                .filter_map(|b| b.ip)
                .filter(|ip| !want.contains(ip))
                .collect();
            let missing: BTreeSet<IpAddr> = want.difference(&listed).copied().collect();
            if stale.is_empty() && missing.is_empty() {
                continue;
            }
            let mut ev = mark_ev.clone();
            ev.push(ipvs_evidence(node, INGRESS_SBOX, fwm));
            ev.extend(
                fwm.backends
                    .iter()
                    .filter(|b| b.ip.is_some_and(|i| stale.contains(&i)))
                    .map(|b| backend_evidence(node, INGRESS_SBOX, b)),
            );
            ev.extend(
                missing
                    .iter()
                    .filter_map(|i| running.get(i))
                    .map(|t| task_evidence(self.cluster, t, self.ingress)),
            );
            let mut detail = format!(
                "{} in ingress_sbox: {} → FWM {mark}: backends {}; running tasks' ingress addresses {}",
                node.hostname,
                hops.join(", "),
                ip_set(&listed),
                ip_set(&want)
            );
            if !stale.is_empty() {
                detail.push_str(&format!("; stale {}", ip_set(&stale)));
            }
            if !missing.is_empty() {
                detail.push_str(&format!("; missing {}", ip_set(&missing)));
            }
            let subject = format!("service {} on {}", svc.name, self.ingress.name);
            let count = (stale.len() + missing.len()) as u64;
            out.report("SW203", Some(subject), &[&node.label], count, detail, ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, assert_quiet_on_seeds, by_id, fixture, lb_ids};

    #[test]
    fn seeds_quiet() {
        // vote-ingress: worker1 lost its host DNAT (SW201) but its ingress_sbox
        // still marks 8080 and balances to both running tasks.
        assert_quiet_on_seeds(
            &[
                "vote-ingress",
                "upgrade-before",
                "upgrade-mid",
                "exhausted-27",
            ],
            &["SW202", "SW203"],
        );
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW202", "fires"));
        let f = by_id(&a, "SW202");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert!(f[0].detail.contains("vote publishes 8080/tcp but mangle PREROUTING marks no packet for it (LocalLBIndex 256)"), "{}", f[0].detail);
        let a = analyze(&fixture("SW203", "fires"));
        let f = by_id(&a, "SW203");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert!(
            f[0].detail
                .contains("8080/tcp → mark 0x100 (256) → FWM 256"),
            "{}",
            f[0].detail
        );
        for id in ["SW202", "SW203"] {
            let quiet = analyze(&fixture(id, "quiet"));
            assert!(by_id(&quiet, id).is_empty(), "{id}: {:?}", lb_ids(&quiet));
        }
    }
}
