//! SW105 lb-mark-without-fwm, SW106 lb-fwm-without-mark: the marks and
//! IPVS services of each load-balancer namespace agree with each other and
//! with `LocalLBIndex`.
//!
//! ## What it detects
//! In every namespace of a node that holds load-balancer state (`lb_*`,
//! `ingress_sbox`, or a task container's sandbox on engines before 18.06):
//! a mangle `MARK` whose mark (hex) has no IPVS `FWM` service (decimal)
//! (SW105); an `FWM` service no mangle rule marks packets for, or a mark for
//! a service's VIP or published port that differs from the `LocalLBIndex`
//! the node reports for that service in `network inspect --verbose` (SW106).
//! Marks are node-local: only a node's own values are compared.
//!
//! ## Why it breaks traffic
//! Marked packets without an IPVS service are not balanced and go nowhere;
//! an IPVS service nothing marks for is dead state left by a lost removal or
//! a firewall flush.
//!
//! ## How to fix
//! `docker service update --force <svc>`; if it persists, restart the
//! node's daemon and find what flushed iptables (IPT-03, LB-11) or failed
//! to delete the IPVS service or its mark (LB-06, LB-07).

use super::util::*;
use super::Checks;
use crate::model::{Cluster, NetState, NodeState};
use crate::parse::iptables::Rule;
use std::collections::BTreeMap;

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for node in cluster.nodes.iter().filter(|n| !lacks_ipvs(n)) {
        for (name, state) in &node.netns {
            if name.starts_with("1-") {
                continue; // overlay driver namespace: no load balancer
            }
            let marks = state.iptables.as_ref().map(mark_rules).unwrap_or_default();
            let has_fwm = state
                .ipvs
                .iter()
                .flat_map(|i| &i.services)
                .any(|s| s.fwmark().is_some());
            if marks.is_empty() && !has_fwm {
                continue;
            }
            let ns = Ns {
                cluster,
                node,
                name,
                state,
            };
            ns.marks_without_fwm(&marks, out);
            ns.fwm_without_marks(&marks, out);
            ns.index_mismatch(out);
        }
    }
}

struct Ns<'a> {
    cluster: &'a Cluster,
    node: &'a NodeState,
    name: &'a str,
    state: &'a NetState,
}

impl Ns<'_> {
    fn marks_without_fwm(&self, marks: &[&Rule], out: &mut Checks) {
        if marks.is_empty() {
            return;
        }
        let Some(ipvs) = &self.state.ipvs else {
            out.not_run(
                "SW105",
                format!("no {} on {}", ipvs_file(self.name), self.node.hostname),
            );
            return;
        };
        let mut by_mark: BTreeMap<u32, Vec<&Rule>> = BTreeMap::new();
        for r in marks {
            if let Some(m) = r.set_mark {
                by_mark.entry(m).or_default().push(r);
            }
        }
        let fwms: Vec<u32> = ipvs.services.iter().filter_map(|s| s.fwmark()).collect();
        for (mark, rules) in by_mark.into_iter().filter(|(m, _)| !fwms.contains(m)) {
            let what: Vec<String> = rules.iter().map(|r| r.text.clone()).collect();
            let mut ev: Vec<_> = rules
                .iter()
                .map(|r| rule_evidence(self.node, Some(self.name), r))
                .collect();
            ev.push(file_fact(
                self.node,
                &ipvs_file(self.name),
                format!("no FWM {mark}"),
            ));
            let detail = format!(
                "{} in {}: mark {} set by `{}`, but IPVS has no FWM {mark} (FWM services: {:?})",
                self.node.hostname,
                self.name,
                mark_str(mark),
                what.join("`, `"),
                fwms
            );
            out.report(
                "SW105",
                Some(mark_owner(self.cluster, self.node, self.name, mark)),
                &[&self.node.label],
                rules.len() as u64,
                detail,
                ev,
            );
        }
    }

    fn fwm_without_marks(&self, marks: &[&Rule], out: &mut Checks) {
        let Some(ipvs) = &self.state.ipvs else { return };
        if self.state.iptables.is_none() {
            if ipvs.services.iter().any(|s| s.fwmark().is_some()) {
                out.not_run(
                    "SW106",
                    format!(
                        "no {} on {}",
                        iptables_file(Some(self.name)),
                        self.node.hostname
                    ),
                );
            }
            return;
        }
        for s in &ipvs.services {
            let Some(mark) = s.fwmark() else { continue };
            if marks.iter().any(|r| r.set_mark == Some(mark)) {
                continue;
            }
            let backends: Vec<String> = s.backends.iter().map(|b| b.addr.clone()).collect();
            let mut ev = vec![ipvs_evidence(self.node, self.name, s)];
            ev.extend(
                s.backends
                    .iter()
                    .map(|b| backend_evidence(self.node, self.name, b)),
            );
            ev.push(file_fact(
                self.node,
                &iptables_file(Some(self.name)),
                format!("no MARK rule sets {mark:#x}"),
            ));
            let detail = format!(
                "{} in {}: FWM {mark} (backends [{}]) but no mangle rule sets mark {}",
                self.node.hostname,
                self.name,
                backends.join(", "),
                mark_str(mark)
            );
            out.report(
                "SW106",
                Some(mark_owner(self.cluster, self.node, self.name, mark)),
                &[&self.node.label],
                1,
                detail,
                ev,
            );
        }
    }

    /// A service's VIP or port mark here differs from its `LocalLBIndex`.
    fn index_mismatch(&self, out: &mut Checks) {
        let Some(rs) = &self.state.iptables else {
            return;
        };
        for net in ns_networks(self.cluster, self.node, self.name) {
            for (svc, vip) in services_with_vip(self.cluster, &net.id) {
                let Some(index) = local_lb_index(self.node, &net.id, &svc.name) else {
                    continue;
                };
                let mut rules = vip_mark_rules(rs, vip);
                if net.ingress {
                    for p in &svc.ports {
                        if let Some(port) = p.published.filter(|_| p.publish_mode == "ingress") {
                            rules.extend(port_mark_rules(rs, &p.protocol, port));
                        }
                    }
                }
                let wrong: Vec<_> = rules.iter().filter(|r| r.set_mark != Some(index)).collect();
                let Some(first) = wrong.first() else { continue };
                let mut ev: Vec<_> = wrong
                    .iter()
                    .map(|r| rule_evidence(self.node, Some(self.name), r))
                    .collect();
                if let Some(n) = node_network(self.node, &net.id) {
                    ev.push(super::evidence(
                        self.node.file("swarm/networks.json"),
                        n.line,
                        format!("{}: Services.{}.LocalLBIndex {index}", net.name, svc.name),
                    ));
                }
                let detail = format!(
                    "{} in {}: `{}` sets mark {} but LocalLBIndex of {} on {} is {index}",
                    self.node.hostname,
                    self.name,
                    first.text,
                    first.set_mark.map(mark_str).unwrap_or_default(),
                    svc.name,
                    net.name
                );
                let subject = format!("service {} on {}", svc.name, net.name);
                out.report(
                    "SW106",
                    Some(subject),
                    &[&self.node.label],
                    wrong.len() as u64,
                    detail,
                    ev,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, assert_quiet_on_seeds, by_id, fixture, lb_ids};

    #[test]
    fn seeds_have_consistent_marks() {
        assert_quiet_on_seeds(
            &[
                "vote-ingress",
                "upgrade-before",
                "upgrade-mid",
                "exhausted-27",
            ],
            &["SW105", "SW106"],
        );
    }

    #[test]
    fn fixture_details() {
        let a = analyze(&fixture("SW105", "fires"));
        let f = by_id(&a, "SW105");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(f[0].subject.as_deref(), Some("service vote on overlay1"));
        assert!(f[0].detail.contains("mark 0x102 (258) set by `-A INPUT -d 10.0.0.5/32 -j MARK --set-xmark 0x102/0xffffffff`, but IPVS has no FWM 258"), "{}", f[0].detail);
        // The chain stops at the missing FWM: no SW103 on top of it.
        assert!(by_id(&a, "SW103").is_empty());

        let a = analyze(&fixture("SW106", "fires"));
        let f = by_id(&a, "SW106");
        assert_eq!(f.len(), 2, "{:?}", lb_ids(&a));
        let leftover = f
            .iter()
            .find(|f| f.subject.as_deref() == Some("fwmark 259 in lb_uhtur2cqn"))
            .unwrap();
        assert!(leftover
            .detail
            .contains("FWM 259 (backends [10.0.0.6]) but no mangle rule sets mark 0x103 (259)"));
        let index = f
            .iter()
            .find(|f| f.subject.as_deref() == Some("service client on overlay1"))
            .unwrap();
        assert!(
            index
                .detail
                .contains("sets mark 0x101 (257) but LocalLBIndex of client on overlay1 is 260"),
            "{}",
            index.detail
        );
    }

    #[test]
    fn fixtures() {
        for id in ["SW105", "SW106"] {
            let fires = analyze(&fixture(id, "fires"));
            assert!(
                !by_id(&fires, id).is_empty(),
                "{id} fires: {:?}",
                lb_ids(&fires)
            );
            let quiet = analyze(&fixture(id, "quiet"));
            assert!(
                by_id(&quiet, id).is_empty(),
                "{id} quiet: {:?}",
                lb_ids(&quiet)
            );
        }
    }
}
