//! SW102 lb-stale-backend, SW103 lb-missing-backend: a service VIP's
//! IPVS backends on each node against the tasks that really run.
//!
//! ## What it detects
//! For every node running a task on an overlay network, and every service
//! with a VIP there (`Endpoint.VirtualIPs`), it follows the chain in the
//! node's `lb_<netid9>` namespace (18.06+; before, in every task container's
//! namespace): the mangle `MARK` rule for the VIP (hex), or else the node's
//! `LocalLBIndex`, to the IPVS `FWM` service (decimal), and compares its
//! backends with the addresses of the service's running tasks on that
//! network in the manager's `tasks.json` (state and desired state
//! `running`): a backend no running task holds is stale (SW102), a running
//! task absent is missing (SW103). Weight-0 backends are SW104's, a mark
//! without FWM SW105's; ingress backends are SW203's.
//!
//! ## Why it breaks traffic
//! A stale backend gets its share of the connections and they fail; a
//! missing backend never receives traffic from this node. The node's own
//! `network inspect` often agrees with its wrong IPVS table (same stale
//! NetworkDB view): only the manager's task list shows the truth.
//!
//! ## How to fix
//! `docker service update --force <svc>` reprograms the balancers; if the
//! state comes back wrong, restart the node's daemon and look for gossip
//! (GOS-*) and LB-* problems in its log.

use super::util::*;
use super::Checks;
use crate::finding::Evidence;
use crate::model::{Cluster, NetState};
use crate::parse::service::Service;
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub fn check(cluster: &Cluster, out: &mut Checks) {
    if needs_manager(cluster, &["SW102", "SW103"], out) {
        return;
    }
    for site in lb_sites(cluster).iter().filter(|s| !s.net.ingress) {
        let Presence::Present(state) = presence(site.node, &site.ns.name) else {
            continue; // SW101 says the namespace is missing or unknown
        };
        let Some(ipvs) = &state.ipvs else {
            for id in ["SW102", "SW103"] {
                let why = format!("no {} on {}", ipvs_file(&site.ns.name), site.node.hostname);
                out.not_run(id, why);
            }
            continue;
        };
        for (svc, vip) in &site.services {
            let lb = Lb {
                cluster,
                site,
                state,
                ipvs,
            };
            lb.service(svc, *vip, out);
        }
    }
}

/// One load-balancer namespace of a node for one network.
struct Lb<'a> {
    cluster: &'a Cluster,
    site: &'a Site<'a>,
    state: &'a NetState,
    ipvs: &'a crate::parse::ipvsadm::Ipvs,
}

impl Lb<'_> {
    fn service(&self, svc: &Service, vip: IpAddr, out: &mut Checks) {
        let (node, net, ns) = (self.site.node, self.site.net, &self.site.ns.name);
        let running = running_backends(self.cluster, &svc.id, &net.id);
        let lbi = local_lb_index(node, &net.id, &svc.name);
        let rules = self
            .state
            .iptables
            .as_ref()
            .map(|rs| vip_mark_rules(rs, vip));
        let mark_rule = rules.as_ref().and_then(|m| m.first().copied());
        let mark = mark_rule.and_then(|r| r.set_mark);
        if running.is_empty() && mark.is_none() && lbi.is_none() {
            return; // no task, no balancer: nothing is expected here
        }
        let subject = format!("service {} on {}", svc.name, net.name);
        let mut ev: Vec<Evidence> = mark_rule
            .map(|r| rule_evidence(node, Some(ns), r))
            .into_iter()
            .collect();
        let hop = match (mark, lbi) {
            (Some(m), _) => format!("mark {}", mark_str(m)),
            (None, Some(i)) => format!("no mark rule, LocalLBIndex {i}"),
            (None, None) => "no mark rule, no LocalLBIndex".to_string(),
        };
        let chain = format!(
            "{} in {ns}: VIP {vip} on {} → {hop}",
            node.hostname, net.name
        );
        let running_ips: BTreeSet<IpAddr> = running.keys().copied().collect();
        let fwm = mark
            .or(lbi)
            .and_then(|m| self.ipvs.services.iter().find(|s| s.fwmark() == Some(m)));
        let Some(fwm) = fwm else {
            // A mark without its FWM is SW105's; here nothing at all is programmed.
            if mark.is_none() && !running.is_empty() {
                ev.extend(
                    running
                        .values()
                        .map(|t| task_evidence(self.cluster, t, net)),
                );
                let fact = format!("no FWM service for VIP {vip}");
                ev.push(file_fact(node, &ipvs_file(ns), fact));
                let detail = format!(
                    "{chain} → no FWM service: running tasks {} all unreachable through the VIP",
                    ip_set(&running_ips)
                );
                let n = running.len() as u64;
                out.report("SW103", Some(subject), &[&node.label], n, detail, ev);
            }
            return;
        };
        ev.push(ipvs_evidence(node, ns, fwm));
        let listed: BTreeSet<IpAddr> = fwm.backends.iter().filter_map(|b| b.ip).collect();
        let chain = format!(
            "{chain} → FWM {}: backends {}; running tasks {}",
            fwm.fwmark().unwrap_or(0),
            ip_set(&listed),
            ip_set(&running_ips)
        );
        self.stale(svc, fwm, &running, &chain, &subject, ev.clone(), out);
        let missing: BTreeSet<IpAddr> = running_ips.difference(&listed).copied().collect();
        if !missing.is_empty() {
            let tasks = missing.iter().filter_map(|ip| running.get(ip));
            ev.extend(tasks.map(|t| task_evidence(self.cluster, t, net)));
            let detail = format!("{chain}; missing {}", ip_set(&missing));
            let n = missing.len() as u64;
            out.report("SW103", Some(subject), &[&node.label], n, detail, ev);
        }
    }

    /// Serving backends (weight ≠ 0) that no running task holds.
    #[allow(clippy::too_many_arguments)]
    fn stale(
        &self,
        svc: &Service,
        fwm: &crate::parse::ipvsadm::IpvsService,
        running: &BTreeMap<IpAddr, &Task>,
        chain: &str,
        subject: &str,
        mut ev: Vec<Evidence>,
        out: &mut Checks,
    ) {
        let (node, net, ns) = (self.site.node, self.site.net, &self.site.ns.name);
        let stale: Vec<_> = fwm
            .backends
            .iter()
            .filter(|b| b.weight != Some(0))
            .filter(|b| b.ip.is_some_and(|ip| !running.contains_key(&ip)))
            .collect();
        if stale.is_empty() {
            return;
        }
        let mut who = Vec::new();
        for b in &stale {
            ev.push(backend_evidence(node, ns, b));
            match b.ip.and_then(|ip| self.past_task(svc, ip)) {
                Some(t) => {
                    let label = task_label(self.cluster, t);
                    who.push(format!("{} ({label}, {})", b.addr, t.state));
                    ev.push(task_evidence(self.cluster, t, net));
                }
                None => who.push(format!("{} (no task of {} had it)", b.addr, svc.name)),
            }
        }
        let detail = format!("{chain}; stale {}", who.join(", "));
        let n = stale.len() as u64;
        out.report(
            "SW102",
            Some(subject.to_string()),
            &[&node.label],
            n,
            detail,
            ev,
        );
    }

    /// The most recent task of `svc` that had `ip` on this network (any state).
    fn past_task(&self, svc: &Service, ip: IpAddr) -> Option<&Task> {
        let net = &self.site.net.id;
        self.cluster
            .tasks
            .iter()
            .filter(|t| t.service_id == svc.id && task_ip(t, net) == Some(ip))
            .max_by_key(|t| (t.timestamp, t.line))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{
        analyze, assert_quiet_on_seeds, by_id, fixture, lb_ids, seed,
    };

    #[test]
    fn vote_ingress_stale_and_missing_on_manager1() {
        let a = analyze(&seed("vote-ingress"));
        let stale = by_id(&a, "SW102");
        assert_eq!(stale.len(), 1, "{:?}", lb_ids(&a));
        let f = stale[0];
        assert_eq!(f.subject.as_deref(), Some("service vote on overlay1"));
        assert_eq!(f.nodes.iter().collect::<Vec<_>>(), ["manager1"]);
        assert!(f.detail.contains(
            "manager1 in lb_uhtur2cqn: VIP 10.0.0.5 on overlay1 → mark 0x102 (258) → FWM 258: \
             backends {10.0.0.6, 10.0.0.7}; running tasks {10.0.0.7, 10.0.0.9}; stale 10.0.0.6 (vote.1 njrh2ofmap06, failed)"
        ), "{}", f.detail);
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "manager1/netns/lb_uhtur2cqn/ipvsadm.txt"
                && e.text == "-> 10.0.0.6:0 Masq 1"));
        assert!(f.evidence.iter().any(|e| e.text == "FWM  258 rr"));
        assert!(f
            .evidence
            .iter()
            .any(|e| e.text.contains("--set-xmark 0x102")));
        let missing = by_id(&a, "SW103");
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0].detail.ends_with("missing {10.0.0.9}"),
            "{}",
            missing[0].detail
        );
        assert!(missing[0]
            .evidence
            .iter()
            .any(|e| e.text.contains("worker1, overlay1 10.0.0.9")));
    }

    #[test]
    fn old_and_settled_seeds_are_quiet() {
        assert_quiet_on_seeds(
            &["upgrade-before", "upgrade-mid", "exhausted-27"],
            &["SW102", "SW103"],
        );
    }

    #[test]
    fn per_container_model_of_17_06() {
        let a = analyze(&fixture("SW102", "fires-17.06"));
        let f = by_id(&a, "SW102");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert!(f[0].detail.starts_with(
            "tk1706-ubuntu-0 in 9e09abb5adb9: VIP 10.0.0.3 on test_default → mark 0x101 (257) → FWM 257"
        ), "{}", f[0].detail);
        assert!(f[0]
            .detail
            .ends_with("stale 10.0.0.11 (no task of test_service had it)"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.text == "-A OUTPUT -d 10.0.0.3/32 -j MARK --set-xmark 0x101/0xffffffff"));
        assert!(by_id(&a, "SW101").is_empty());
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW103", "fires"));
        assert!(by_id(&a, "SW103")[0].detail.ends_with(
            "backends {10.0.0.7}; running tasks {10.0.0.7, 10.0.0.9}; missing {10.0.0.9}"
        ));
        assert!(by_id(&a, "SW102").is_empty());
        for id in ["SW102", "SW103"] {
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
