//! SW204 ingress-sbox-missing.
//!
//! ## What it detects
//! A node that has the ingress network (in its own `networks.json`), or is
//! an active swarm member of a swarm that has one, but whose ingress network
//! lists no `ingress-sbox` endpoint, whose `networks.json` lacks the ingress
//! network, or whose bundle has no `netns/ingress_sbox` among its collected
//! namespaces.
//!
//! ## Why it breaks traffic
//! The ingress sandbox is where the routing mesh balances published ports:
//! without it no published port answers on this node. Seen with 17.12.0
//! nodes under 17.09 managers (UPG-02), failed ingress setup (NET-08,
//! IPAM-10) and a removed ingress network (NET-05).
//!
//! ## How to fix
//! Restart the node's daemon; upgrade 17.12.0 nodes; re-create a removed
//! ingress network (`docker network create --ingress …`).

use super::util::*;
use super::{evidence, Checks};
use crate::model::Cluster;

const ID: &str = "SW204";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    let known = cluster.networks.iter().find(|n| n.ingress);
    for node in &cluster.nodes {
        let view = node.networks.iter().flatten().find(|n| n.ingress);
        if view.is_none() && !(in_swarm(node) && known.is_some()) {
            continue;
        }
        let mut problems = Vec::new();
        let mut ev = Vec::new();
        match (view, &node.networks) {
            (Some(net), _) if !net.containers.contains_key("ingress-sbox") => {
                problems.push(format!(
                    "its ingress network {} lists no ingress-sbox endpoint",
                    net.name
                ));
                ev.push(evidence(
                    node.file("swarm/networks.json"),
                    net.line,
                    format!("{} ({}): Containers without ingress-sbox", net.name, net.id),
                ));
            }
            (None, Some(_)) => {
                let name = known.map(|n| n.name.as_str()).unwrap_or("ingress");
                problems.push(format!("its networks.json has no ingress network ({name})"));
                ev.push(file_fact(
                    node,
                    "swarm/networks.json",
                    format!("no network with Ingress true ({name})"),
                ));
            }
            _ => {}
        }
        match presence(node, INGRESS_SBOX) {
            Presence::Present(_) => {}
            Presence::Absent => {
                problems.push("it has no ingress_sbox namespace".into());
                let names: Vec<&str> = node.netns.keys().map(String::as_str).collect();
                ev.push(file_fact(
                    node,
                    "netns",
                    format!("namespaces: {}", names.join(", ")),
                ));
            }
            Presence::Unknown(why) => out.not_run(ID, why),
        }
        if problems.is_empty() {
            continue;
        }
        let detail = format!(
            "{} is in the swarm but {}: the routing mesh cannot work on this node",
            node.hostname,
            problems.join(", and ")
        );
        out.report(
            ID,
            Some(format!("node {}", node.hostname)),
            &[&node.label],
            problems.len() as u64,
            detail,
            ev,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, lb_ids, seed};

    #[test]
    fn seeds_have_their_ingress_sandboxes() {
        for s in [
            "vote-ingress",
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
        ] {
            assert!(by_id(&analyze(&seed(s)), "SW204").is_empty(), "{s}");
        }
    }

    #[test]
    fn fixtures() {
        let a = analyze(&fixture("SW204", "fires"));
        let f = by_id(&a, "SW204");
        assert_eq!(f.len(), 1, "{:?}", lb_ids(&a));
        assert!(
            f[0].detail
                .contains("lists no ingress-sbox endpoint, and it has no ingress_sbox namespace"),
            "{}",
            f[0].detail
        );
        let quiet = analyze(&fixture("SW204", "quiet"));
        assert!(by_id(&quiet, "SW204").is_empty(), "{:?}", lb_ids(&quiet));
    }
}
