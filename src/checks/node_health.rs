//! SW404–SW409: node availability, status, manager reachability, quorum and
//! each node's own swarm state.
//!
//! ## What it detects
//! Nodes left in `drain` or `pause` (SW404); nodes `down`, `unknown` or
//! `disconnected` (SW405); managers whose reachability is not `reachable`
//! (SW406); fewer reachable managers than floor(n/2)+1 (SW407); an even
//! manager count (SW408); a bundle whose `docker info` says its swarm state is
//! not `active` (SW409).
//!
//! ## Why it breaks traffic
//! Drained and paused nodes get no tasks; down nodes' tasks are orphaned and
//! their overlay and gossip state goes stale. Without a raft majority no
//! leader exists: nothing is scheduled, allocated or rescheduled. A node
//! whose swarm state is not active cannot create swarm networks (NET-01).
//!
//! ## How to fix
//! `docker node update --availability active`; restore the node's daemon and
//! its 2377/tcp path; keep an odd number of managers (3, 5, 7); read
//! `Swarm.Error` and reconnect, unlock or rejoin the node.

use super::{evidence, Checks};
use crate::model::Cluster;
use crate::parse::node::Node;
use time::format_description::well_known::Rfc3339;

/// Records `why` for `ids` unless none of `inputs` is in any bundle: the
/// coverage report already says so then.
pub(super) fn not_run(c: &Cluster, out: &mut Checks, ids: &[&str], inputs: &[&str], why: &str) {
    if c.nodes
        .iter()
        .any(|n| n.present.iter().any(|p| inputs.contains(&p.as_str())))
    {
        for id in ids {
            out.not_run(id, why);
        }
    }
}

pub fn check(c: &Cluster, out: &mut Checks) {
    local_state(c, out);
    if c.swarm_nodes.is_empty() {
        let why = "no swarm/nodes.json from a manager bundle";
        let inputs = ["swarm/nodes.json"];
        not_run(c, out, &["SW404", "SW405", "SW406", "SW408"], &inputs, why);
        if !quorum_from_info(c, out) {
            not_run(
                c,
                out,
                &["SW407"],
                &["swarm/nodes.json", "docker/info.json"],
                why,
            );
        }
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
    quorum(c, out);
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
    if n % 2 == 0 {
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
    if lost.is_empty() {
        return false;
    }
    let managers = lost.iter().find_map(|(_, i)| i.swarm.managers);
    let count = managers
        .map(|m| format!("{m} managers in docker info; quorum needs {}; ", m / 2 + 1))
        .unwrap_or_default();
    let hosts: Vec<&str> = lost.iter().map(|(b, _)| b.hostname.as_str()).collect();
    let detail = format!(
        "{count}no swarm/nodes.json; Swarm.Error on {}: {}",
        hosts.join(", "),
        lost[0].1.swarm.error
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
