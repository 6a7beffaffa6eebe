//! SW407 raft-quorum-lost, SW408 even-manager-count: the manager count and
//! how many of them the others can reach.
//!
//! ## What it detects
//! Fewer reachable managers than floor(n/2)+1 (SW407), from `nodes.json`, or
//! when a manager without quorum could not list nodes, from its `docker info`
//! `Swarm.Error` ("The swarm does not have a leader"); an even number of
//! managers (SW408).
//!
//! ## Why it breaks traffic
//! Without a raft majority there is no leader: nothing is scheduled,
//! allocated or rescheduled, and no network or service can change. An even
//! count tolerates no more failures than one manager fewer.
//!
//! ## How to fix
//! Bring managers back; if a majority is gone for good, `docker swarm init
//! --force-new-cluster` on a survivor. Run 3, 5 or 7 managers.

use super::node_facts::not_run;
use super::{evidence, Checks};
use crate::model::Cluster;
use crate::parse::node::Node;

pub fn check(c: &Cluster, out: &mut Checks) {
    if !c.swarm_nodes.is_empty() {
        quorum(c, out);
        return;
    }
    let why = "no swarm/nodes.json from a manager bundle";
    not_run(c, out, &["SW408"], &["swarm/nodes.json"], why);
    if !quorum_from_info(c, out) {
        let inputs = ["swarm/nodes.json", "docker/info.json"];
        not_run(c, out, &["SW407"], &inputs, why);
    }
}

/// SW407 and SW408 from the managers in `nodes.json`.
fn quorum(c: &Cluster, out: &mut Checks) {
    let file = c.cluster_file("swarm/nodes.json");
    let managers: Vec<&Node> = c
        .swarm_nodes
        .iter()
        .filter(|n| n.manager.is_some() || n.role == "manager")
        .collect();
    let n = managers.len();
    if n == 0 {
        return;
    }
    let reachable: Vec<&str> = managers
        .iter()
        .filter(|m| {
            m.manager
                .as_ref()
                .is_some_and(|s| s.reachability == "reachable")
        })
        .map(|m| m.hostname.as_str())
        .collect();
    let names: Vec<&str> = managers.iter().map(|m| m.hostname.as_str()).collect();
    let need = n / 2 + 1;
    let ev = || {
        managers
            .iter()
            .map(|m| {
                let r = m
                    .manager
                    .as_ref()
                    .map_or("none", |s| s.reachability.as_str());
                evidence(
                    &file,
                    m.line,
                    format!("{} manager Reachability {r}", m.hostname),
                )
            })
            .collect::<Vec<_>>()
    };
    if reachable.len() < need {
        let detail = format!(
            "{n} managers ({}); reachable {} ({}); quorum needs floor({n}/2)+1 = {need} → lost",
            names.join(", "),
            reachable.len(),
            if reachable.is_empty() {
                "none".to_string()
            } else {
                reachable.join(", ")
            }
        );
        out.report(
            "SW407",
            Some("raft quorum".into()),
            &names,
            n as u64,
            detail,
            ev(),
        );
    }
    if n.is_multiple_of(2) {
        let detail = format!(
            "{n} managers ({}): quorum needs floor({n}/2)+1 = {need}, so it tolerates {} lost, as {} would",
            names.join(", "),
            n - need,
            match n - 1 {
                1 => "1 manager".to_string(),
                m => format!("{m} managers"),
            }
        );
        out.report(
            "SW408",
            Some("managers".into()),
            &names,
            n as u64,
            detail,
            ev(),
        );
    }
}

/// Without `nodes.json` (a manager without quorum cannot list nodes), a
/// manager's `docker info` error still tells. True when it reported.
fn quorum_from_info(c: &Cluster, out: &mut Checks) -> bool {
    let lost: Vec<_> = c
        .nodes
        .iter()
        .filter_map(|b| b.info.as_ref().map(|i| (b, i)))
        .filter(|(_, i)| {
            i.swarm.error.contains("does not have a leader")
                || i.swarm.error.contains("no elected cluster leader")
        })
        .collect();
    let Some((first, info)) = lost.first() else {
        return false;
    };
    // Swarm.Managers needs the node list, which fails without a leader;
    // RemoteManagers is the node's own view of the managers.
    let n = info.swarm.managers.filter(|&m| m > 0);
    let (n, from) = match n {
        Some(m) => (m, "Swarm.Managers"),
        None => (
            info.swarm.remote_managers.len() as u64,
            "Swarm.RemoteManagers",
        ),
    };
    let count = if n > 0 {
        format!(
            "{n} managers ({from} on {}); quorum needs floor({n}/2)+1 = {} and no leader answers; ",
            first.hostname,
            n / 2 + 1
        )
    } else {
        String::new()
    };
    let hosts: Vec<&str> = lost.iter().map(|(b, _)| b.hostname.as_str()).collect();
    let detail = format!(
        "{count}no swarm/nodes.json; Swarm.Error on {}: {}",
        hosts.join(", "),
        info.swarm.error
    );
    let ev = lost
        .iter()
        .map(|(b, i)| {
            evidence(
                b.file("docker/info.json"),
                1,
                format!("Swarm.Error {}", i.swarm.error),
            )
        })
        .collect();
    out.report(
        "SW407",
        Some("raft quorum".into()),
        &hosts,
        hosts.len() as u64,
        detail,
        ev,
    );
    true
}

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, ids, one, with};

    const FX: &str = "tests/fixtures/checks";

    #[test]
    fn sw407_from_nodes_json_arithmetic() {
        // Two managers, node1 unreachable: one left of the two quorum needs.
        let fs = findings(format!("{FX}/SW406/fires"));
        let f = one(&fs, "SW407", "raft quorum");
        assert_eq!(
            f.detail,
            "2 managers (node1, node2); reachable 1 (node2); quorum needs floor(2/2)+1 = 2 → lost"
        );
    }

    #[test]
    fn sw407_from_a_managers_docker_info() {
        let fs = findings(format!("{FX}/SW407/fires"));
        let f = one(&fs, "SW407", "raft quorum");
        assert!(f.detail.starts_with("2 managers (Swarm.RemoteManagers on node1); quorum needs floor(2/2)+1 = 2 and no leader answers; no swarm/nodes.json; Swarm.Error on node1: rpc error: code = Unknown desc = The swarm does not have a leader."), "{}", f.detail);
        assert_eq!(f.evidence[0].file, "node1/docker/info.json");
        assert!(with(&findings(format!("{FX}/SW407/quiet")), "SW407").is_empty());
    }

    #[test]
    fn sw408_even_manager_count() {
        let fs = findings(format!("{FX}/SW408/fires"));
        let f = one(&fs, "SW408", "managers");
        assert_eq!(
            f.detail,
            "2 managers (node1, node2): quorum needs floor(2/2)+1 = 2, so it tolerates 0 lost, as 1 manager would"
        );
        assert!(with(&findings(format!("{FX}/SW408/quiet")), "SW408").is_empty());
    }

    #[test]
    fn seed_bundles_have_three_reachable_managers() {
        for seed in [
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
            "vote-ingress",
        ] {
            let fs = findings(format!("testdata/bundles/{seed}"));
            assert!(
                !ids(&fs, "SW40")
                    .iter()
                    .any(|i| i == "SW407" || i == "SW408"),
                "{seed}"
            );
        }
    }
}
