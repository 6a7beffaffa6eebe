//! SW104 lb-weight-zero-backend.
//!
//! ## What it detects
//! An IPVS destination with weight 0 in any load-balancer namespace of a
//! node (`lb_*`, `ingress_sbox`, or a task container's sandbox before
//! 18.06): `-> 10.0.0.6:0 Masq 0`. libnetwork sets weight 0 while it drains
//! a task being removed and deletes the destination right after; one that
//! is still there when the bundle is taken was never cleaned up.
//!
//! ## Why it breaks traffic
//! A weight-0 destination gets no new connections. When it is the task that
//! runs, that task is unreachable through the VIP from this node; when it
//! is gone, existing connections to it hang until they time out.
//!
//! ## How to fix
//! `docker service update --force <svc>`; restart the node's daemon if it
//! persists, and look for failed or lost removals (LB-04, LB-05, GOS-*).

use super::util::*;
use super::Checks;
use crate::model::Cluster;

const ID: &str = "SW104";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for node in cluster.nodes.iter().filter(|n| !lacks_ipvs(n)) {
        for (ns, state) in node.netns.iter().filter(|(n, _)| !n.starts_with("1-")) {
            for s in state.ipvs.iter().flat_map(|i| &i.services) {
                let zero: Vec<_> = s.backends.iter().filter(|b| b.weight == Some(0)).collect();
                if zero.is_empty() {
                    continue;
                }
                let mut ev = vec![ipvs_evidence(node, ns, s)];
                ev.extend(zero.iter().map(|b| backend_evidence(node, ns, b)));
                let addrs: Vec<&str> = zero.iter().map(|b| b.addr.as_str()).collect();
                let subject = match s.fwmark() {
                    Some(m) => mark_owner(cluster, node, ns, m),
                    None => format!("{} in {ns}", ipvs_service_text(s)),
                };
                let detail = format!(
                    "{} in {ns}: {} has weight-0 backend(s) {}: drained, they get no new connections",
                    node.hostname,
                    ipvs_service_text(s),
                    addrs.join(", ")
                );
                let n = zero.len() as u64;
                out.report(ID, Some(subject), &[&node.label], n, detail, ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, lb_ids, seed};

    #[test]
    fn seeds_have_no_drained_backends() {
        for s in [
            "vote-ingress",
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
        ] {
            assert!(by_id(&analyze(&seed(s)), "SW104").is_empty(), "{s}");
        }
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW104", "fires"));
        let f = by_id(&a, "SW104");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert_eq!(f[0].subject.as_deref(), Some("service client on overlay1"));
        assert_eq!(
            f[0].detail,
            "manager1 in lb_uhtur2cqn: FWM  257 rr has weight-0 backend(s) 10.0.0.3: \
             drained, they get no new connections"
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.text == "-> 10.0.0.3:0 Masq 0"));
        // Drained is not stale: the chain check leaves it to SW104.
        assert!(by_id(&a, "SW102").is_empty() && by_id(&a, "SW103").is_empty());
        let quiet = analyze(&fixture("SW104", "quiet"));
        assert!(by_id(&quiet, "SW104").is_empty(), "{:?}", lb_ids(&quiet));
    }
}
