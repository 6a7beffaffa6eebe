//! SW101 vip-missing-from-lb-namespace.
//!
//! ## What it detects
//! On a node running a task on an overlay network, a service VIP of that
//! network (`Endpoint.VirtualIPs`) that is not a `/32` alias in the node's
//! load-balancer namespace: `lb_<netid9>` (18.06+), or on older engines the
//! task container's own namespace (its service's VIP, on `lo`). Also a node
//! whose `lb_<netid9>` namespace does not exist at all, when its manifest
//! shows the collector walked the namespaces. The ingress VIP is looked for
//! in `ingress_sbox` on every swarm node (18.06+).
//!
//! ## Why it breaks traffic
//! Traffic to the VIP is delivered to the balancer through that alias;
//! without it, connections from this node to the service VIP are
//! black-holed while the tasks themselves are fine.
//!
//! ## How to fix
//! Look for IPAM-01/06, LB-09 and LB-10 on the node;
//! `docker service update --force <svc>`; if the namespace itself is missing
//! or wrong, remove the node's tasks on the network (or restart the daemon).

use super::util::*;
use super::{evidence, Checks};
use crate::model::{Cluster, NetState};
use crate::parse::service::Service;
use std::net::IpAddr;

const ID: &str = "SW101";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    if needs_manager(cluster, &[ID], out) {
        return;
    }
    for site in lb_sites(cluster) {
        match presence(site.node, &site.ns.name) {
            Presence::Present(state) => {
                for (svc, vip) in &site.services {
                    vip_alias(cluster, &site, state, svc, *vip, out);
                }
            }
            Presence::Absent if !site.net.ingress => missing_namespace(cluster, &site, out),
            Presence::Absent => {} // SW204 reports a missing ingress_sbox
            Presence::Unknown(why) => out.not_run(ID, why),
        }
    }
}

fn vip_alias(
    cluster: &Cluster,
    site: &Site,
    state: &NetState,
    svc: &Service,
    vip: IpAddr,
    out: &mut Checks,
) {
    let (node, net, ns) = (site.node, site.net, &site.ns.name);
    // Older engines alias only the container's own service VIP.
    if site.ns.container.is_some_and(|c| c.service_id != svc.id) {
        return;
    }
    let Some(addrs) = &state.addrs else {
        out.not_run(ID, format!("no {} on {}", addr_file(ns), node.hostname));
        return;
    };
    if has_vip_alias(state, vip) {
        return;
    }
    // A service with no running task and no local balancer has no binding yet.
    let marked = state
        .iptables
        .as_ref()
        .is_some_and(|rs| !vip_mark_rules(rs, vip).is_empty());
    if running_backends(cluster, &svc.id, &net.id).is_empty()
        && !marked
        && local_lb_index(node, &net.id, &svc.name).is_none()
    {
        return;
    }
    let mut ev = vec![evidence(
        cluster.cluster_file("swarm/services.json"),
        svc.line,
        format!("service {} VIP {vip} on {}", svc.name, net.name),
    )];
    for i in addrs
        .iter()
        .filter(|i| i.name != "lo" || site.ns.container.is_some())
    {
        for a in i.addrs.iter().filter(|a| a.family == "inet") {
            let text = format!("{} inet {}/{}", i.name, a.ip, a.prefix);
            ev.push(evidence(node.file(&addr_file(ns)), a.line, text));
        }
    }
    let detail = format!(
        "{} in {ns}: VIP {vip} of {} on {} is not a /32 alias on any interface",
        node.hostname, svc.name, net.name
    );
    let subject = format!("service {} on {}", svc.name, net.name);
    out.report(ID, Some(subject), &[&node.label], 1, detail, ev);
}

/// The node runs tasks on the network but has no load-balancer namespace.
fn missing_namespace(cluster: &Cluster, site: &Site, out: &mut Checks) {
    let (node, net, ns) = (site.node, site.net, &site.ns.name);
    let vips: Vec<String> = site
        .services
        .iter()
        .map(|(s, v)| format!("{v} ({})", s.name))
        .collect();
    let tasks: Vec<String> = site.local.iter().map(|t| task_label(cluster, t)).collect();
    let mut ev: Vec<_> = site
        .local
        .iter()
        .map(|t| task_evidence(cluster, t, net))
        .collect();
    ev.push(file_fact(
        node,
        "manifest.json",
        format!("no netns/{ns} collected"),
    ));
    let detail = format!(
        "{} runs {} on {} but has no {ns} namespace: VIPs {} are not served on this node",
        node.hostname,
        tasks.join(", "),
        net.name,
        vips.join(", ")
    );
    let subject = Some(format!("network {}", net.name));
    let count = site.services.len() as u64;
    out.report(ID, subject, &[&node.label], count, detail, ev);
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, lb_ids, seed};

    #[test]
    fn seeds_have_their_vips() {
        for s in [
            "vote-ingress",
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
        ] {
            assert!(by_id(&analyze(&seed(s)), "SW101").is_empty(), "{s}");
        }
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW101", "fires"));
        let f = by_id(&a, "SW101");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(f[0].subject.as_deref(), Some("service vote on overlay1"));
        assert_eq!(
            f[0].detail,
            "manager1 in lb_uhtur2cqn: VIP 10.0.0.5 of vote on overlay1 is not a /32 alias on any interface"
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.text == "eth0 inet 10.0.0.4/24"));
        let quiet = analyze(&fixture("SW101", "quiet"));
        assert!(by_id(&quiet, "SW101").is_empty(), "{:?}", lb_ids(&quiet));
    }

    #[test]
    fn missing_namespace_when_the_manifest_shows_the_walk() {
        let a = analyze(&fixture("SW101", "fires-no-namespace"));
        let f = by_id(&a, "SW101");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(f[0].subject.as_deref(), Some("network overlay1"));
        assert_eq!(
            f[0].detail,
            "manager1 runs client.1 nnieiubwgj30, vote.2 ij6fmmcx71po on overlay1 but has no \
             lb_uhtur2cqn namespace: VIPs 10.0.0.2 (client), 10.0.0.5 (vote) are not served on this node"
        );
        // Without a manifest the same absence is only a coverage note.
        let a = analyze(&fixture("SW201", "fires"));
        assert!(by_id(&a, "SW101").is_empty());
        assert!(a.coverage.not_run.iter().any(|n| n.id == "SW101"
            && n.reason == "no netns/lb_uhtur2cqn on worker1 and no manifest.json to tell whether it exists"));
    }

    #[test]
    fn per_container_model_of_17_06() {
        let a = analyze(&fixture("SW101", "fires-17.06"));
        let f = by_id(&a, "SW101");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(
            f[0].detail,
            "tk1706-ubuntu-0 in 4acf4e5793e7: VIP 10.0.0.2 of test_client on test_default \
             is not a /32 alias on any interface"
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.text == "lo inet 127.0.0.1/8"));
        // Only its own service's VIP sits on a container's lo: the other
        // container (test_service) is not expected to hold 10.0.0.2.
        assert_eq!(f[0].count, 1);
    }
}
