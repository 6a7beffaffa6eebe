//! SW404 node-not-active, SW405 node-down, SW406 manager-unreachable, SW409
//! local-node-state-not-active: each node's availability and status as the
//! managers see them, and its own swarm state as its `docker info` says.
//!
//! ## What it detects
//! Nodes left in `drain` or `pause` (SW404); nodes `down`, `unknown` or
//! `disconnected`, with `Status.Message` (SW405); managers whose reachability
//! is `unreachable` or `unknown` (SW406); a bundle whose `docker info` says
//! `Swarm.LocalNodeState` is not `active`, with `Swarm.Error` (SW409).
//!
//! ## Why it breaks traffic
//! Drained and paused nodes get no tasks; down nodes' tasks are orphaned and
//! their overlay and gossip state goes stale; an unreachable manager does not
//! count towards quorum. A node whose swarm state is not active cannot create
//! swarm networks (NET-01) and runs no new tasks.
//!
//! ## How to fix
//! `docker node update --availability active`; restore the node's daemon and
//! its 2377/tcp path; read `Swarm.Error` and reconnect, unlock or rejoin.

use super::node_facts::not_run;
use super::{evidence, Checks};
use crate::model::Cluster;
use crate::parse::node::Node;
use time::format_description::well_known::Rfc3339;

pub fn check(c: &Cluster, out: &mut Checks) {
    local_state(c, out);
    if c.swarm_nodes.is_empty() {
        let why = "no swarm/nodes.json from a manager bundle";
        let inputs = ["swarm/nodes.json"];
        not_run(c, out, &["SW404", "SW405", "SW406"], &inputs, why);
        return;
    }
    let file = c.cluster_file("swarm/nodes.json");
    let running = |n: &Node| {
        c.tasks
            .iter()
            .filter(|t| t.node_id == n.id && t.state == "running")
            .count()
    };
    for n in &c.swarm_nodes {
        let who = format!("{} ({})", n.hostname, n.role);
        let subject = Some(format!("node {}", n.hostname));
        if matches!(n.availability.as_str(), "drain" | "pause") {
            let since = n.updated_at.and_then(|t| t.format(&Rfc3339).ok());
            let since = since
                .map(|t| format!(", node last updated {t}"))
                .unwrap_or_default();
            let detail = format!(
                "{who} availability {}{since}; status {}; {} running tasks on it",
                n.availability,
                n.state,
                running(n)
            );
            let ev = evidence(
                &file,
                n.line,
                format!("{} Availability {}", n.hostname, n.availability),
            );
            out.report(
                "SW404",
                subject.clone(),
                &[&n.hostname],
                1,
                detail,
                vec![ev],
            );
        }
        if matches!(n.state.as_str(), "down" | "unknown" | "disconnected") {
            let detail = format!(
                "{who} Status.State {}: \"{}\"; availability {}, address {}; {} tasks still listed running there",
                n.state,
                n.status_message,
                n.availability,
                n.advertise_ip().unwrap_or_else(|| n.addr.clone()),
                running(n)
            );
            let text = format!(
                "{} State {} Message \"{}\"",
                n.hostname, n.state, n.status_message
            );
            out.report(
                "SW405",
                subject.clone(),
                &[&n.hostname],
                1,
                detail,
                vec![evidence(&file, n.line, text)],
            );
        }
        let unreachable = |r: &str| matches!(r, "unreachable" | "unknown");
        if let Some(m) = n.manager.as_ref().filter(|m| unreachable(&m.reachability)) {
            let detail = format!(
                "manager {} Reachability {} (Addr {}); Status.State {} \"{}\": it does not count towards quorum",
                n.hostname, m.reachability, m.addr, n.state, n.status_message
            );
            let text = format!(
                "{} ManagerStatus Reachability {}",
                n.hostname, m.reachability
            );
            out.report(
                "SW406",
                subject,
                &[&n.hostname],
                1,
                detail,
                vec![evidence(&file, n.line, text)],
            );
        }
    }
}

/// SW409: each bundle's own `docker info` swarm state.
fn local_state(c: &Cluster, out: &mut Checks) {
    let infos: Vec<_> = c
        .nodes
        .iter()
        .filter_map(|b| {
            b.info
                .as_ref()
                .filter(|i| i.daemon_reachable())
                .map(|i| (b, i))
        })
        .collect();
    if infos.is_empty() {
        let why = "no docker/info.json with daemon data in any bundle";
        not_run(c, out, &["SW409"], &["docker/info.json"], why);
    }
    for (b, i) in infos {
        let state = i.swarm.local_node_state.as_str();
        if state.is_empty() || state == "active" {
            continue;
        }
        let err = if i.swarm.error.is_empty() {
            "(empty)"
        } else {
            &i.swarm.error
        };
        let detail = format!(
            "{}: docker info Swarm.LocalNodeState {state}, Swarm.Error {err}",
            b.hostname
        );
        let text = format!("Swarm.LocalNodeState {state} Swarm.Error {err}");
        let ev = vec![evidence(b.file("docker/info.json"), 1, text)];
        out.report(
            "SW409",
            Some(format!("node {}", b.hostname)),
            &[&b.hostname],
            1,
            detail,
            ev,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, ids, one, with};

    const FX: &str = "tests/fixtures/checks";

    #[test]
    fn sw404_drained_node() {
        let fs = findings(format!("{FX}/SW404/fires"));
        let f = one(&fs, "SW404", "node node3");
        assert!(
            f.detail
                .starts_with("node3 (worker) availability drain, node last updated 2026-11-22T"),
            "{}",
            f.detail
        );
        assert!(f.detail.ends_with("status ready; 0 running tasks on it"));
        assert_eq!(f.evidence[0].text, "node3 Availability drain");
        assert!(with(&findings(format!("{FX}/SW404/quiet")), "SW404").is_empty());
    }

    #[test]
    fn sw405_down_node_with_its_message() {
        let fs = findings(format!("{FX}/SW405/fires"));
        let f = one(&fs, "SW405", "node node3");
        assert!(f.detail.starts_with("node3 (worker) Status.State down: \"heartbeat failure\"; availability active, address 198.18.0.13"), "{}", f.detail);
        assert!(with(&findings(format!("{FX}/SW405/quiet")), "SW405").is_empty());
    }

    #[test]
    fn sw406_unreachable_manager() {
        let fs = findings(format!("{FX}/SW406/fires"));
        let f = one(&fs, "SW406", "node node1");
        assert!(f.detail.starts_with("manager node1 Reachability unreachable (Addr 198.18.0.11:2377); Status.State down \"heartbeat failure\""), "{}", f.detail);
        assert!(with(&findings(format!("{FX}/SW406/quiet")), "SW406").is_empty());
    }

    #[test]
    fn sw409_local_state_with_the_swarm_error() {
        let fs = findings(format!("{FX}/SW409/fires"));
        let f = one(&fs, "SW409", "node node3");
        assert_eq!(
            f.detail,
            "node3: docker info Swarm.LocalNodeState error, Swarm.Error Swarm certificates have expired. \
             To replace them, leave the swarm and join again."
        );
        assert_eq!(f.evidence[0].file, "node3/docker/info.json");
        assert!(with(&findings(format!("{FX}/SW409/quiet")), "SW409").is_empty());
    }

    #[test]
    fn seed_bundles() {
        let fs = findings("testdata/bundles/upgrade-mid");
        assert_eq!(with(&fs, "SW404").len(), 1);
        one(&fs, "SW404", "node tk1706-ubuntu-4");
        for id in ["SW405", "SW406", "SW409"] {
            assert!(with(&fs, id).is_empty(), "{id}");
        }
        for seed in [
            "upgrade-before",
            "exhausted-27",
            "vote-ingress",
            "partial-logs-only",
        ] {
            let fs = findings(format!("testdata/bundles/{seed}"));
            assert_eq!(ids(&fs, "SW40"), Vec::<String>::new(), "{seed}");
        }
    }
}
