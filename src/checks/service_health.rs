//! SW501 service-replicas-short: services against their running tasks, with
//! the reasons the task history gives.
//!
//! ## What it detects
//! A replicated service with fewer running tasks than `Replicas`, or a global
//! service without a running task on some eligible node (active, ready, and
//! given a task by the orchestrator, so meeting its constraints). The reasons
//! are the errors of the failed, rejected and waiting tasks behind the
//! missing replicas. Jobs are skipped: they are not meant to keep running.
//!
//! ## Why it breaks traffic
//! Missing replicas mean fewer backends behind the VIP and the routing mesh,
//! or none; a global service without a task on a node serves nothing there.
//!
//! ## How to fix
//! Follow the task errors quoted in the detail: each maps to a signature
//! (IPAM-01 missing network attachments, NET-01 swarm not active, TASK-01
//! no suitable node, IPAM-02 allocation failure).

use super::node_facts::not_run;
use super::subnet_accounting::live;
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::Cluster;
use crate::parse::service::{Service, ServiceMode};
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};

pub fn check(c: &Cluster, out: &mut Checks) {
    if c.cluster_source.is_none() || (c.services.is_empty() && c.tasks.is_empty()) {
        let why = "no swarm/services.json and swarm/tasks.json from a manager bundle";
        let inputs = [
            "swarm/services.json",
            "swarm/tasks.json",
            "swarm/nodes.json",
        ];
        not_run(c, out, &["SW501"], &inputs, why);
        return;
    }
    // As `docker service ls`: running, not desired shutdown, node not down.
    let down: BTreeSet<&str> = c
        .swarm_nodes
        .iter()
        .filter(|n| n.state == "down")
        .map(|n| n.id.as_str())
        .collect();
    for s in &c.services {
        replicas(c, s, &down, out);
    }
}

/// `down`: ids of the swarm nodes that are down.
fn replicas(c: &Cluster, s: &Service, down: &BTreeSet<&str>, out: &mut Checks) {
    let tasks: Vec<&Task> = c.tasks_of(&s.id).collect();
    let running: Vec<&Task> = tasks
        .iter()
        .copied()
        .filter(|t| {
            t.state == "running"
                && t.desired_state != "shutdown"
                && !down.contains(t.node_id.as_str())
        })
        .collect();
    let host = |id: &str| c.hostname_of(id).unwrap_or(id).to_string();
    let (summary, behind): (String, Vec<&Task>) = match s.mode {
        ServiceMode::Replicated(want) => {
            if running.len() as u64 >= want {
                return;
            }
            let up: BTreeSet<Option<u64>> = running.iter().map(|t| t.slot).collect();
            let behind = tasks
                .iter()
                .copied()
                .filter(|t| !up.contains(&t.slot))
                .collect();
            (
                format!("replicated: {} of {want} replicas running", running.len()),
                behind,
            )
        }
        ServiceMode::Global => {
            if c.swarm_nodes.is_empty() {
                out.not_run("SW501", "no swarm/nodes.json: global services not checked");
                return;
            }
            // The global orchestrator gives a task to every node that meets
            // the placement constraints: a node it never gave one does not.
            let targeted: BTreeSet<&str> = tasks.iter().map(|t| t.node_id.as_str()).collect();
            let eligible: Vec<&str> = c
                .swarm_nodes
                .iter()
                .filter(|n| n.availability == "active" && n.state == "ready")
                .filter(|n| tasks.is_empty() || targeted.contains(n.id.as_str()))
                .map(|n| n.id.as_str())
                .collect();
            let on: BTreeSet<&str> = running.iter().map(|t| t.node_id.as_str()).collect();
            let missing: Vec<&str> = eligible
                .iter()
                .copied()
                .filter(|n| !on.contains(n))
                .collect();
            if missing.is_empty() {
                return;
            }
            let names = |ids: &[&str]| ids.iter().map(|n| host(n)).collect::<Vec<_>>().join(", ");
            let summary = format!(
                "global: {} running on {} eligible nodes (active and ready: {}); no running task on {}",
                eligible.len() - missing.len(),
                eligible.len(),
                names(&eligible),
                names(&missing)
            );
            let behind = tasks
                .iter()
                .copied()
                .filter(|t| missing.contains(&t.node_id.as_str()))
                .collect();
            (summary, behind)
        }
        ServiceMode::ReplicatedJob | ServiceMode::GlobalJob => return,
    };
    let mut why = reasons(c, &behind);
    if why.is_empty() {
        why = reasons(c, &tasks);
    }
    let text = if why.is_empty() {
        "no failed, rejected or waiting task in the history".to_string()
    } else {
        why.iter()
            .map(|(line, _)| line.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut detail = format!("{summary}. Reasons from the task history: {text}");
    if let Some(u) = s
        .update_status
        .as_ref()
        .filter(|u| u.state.ends_with("updating") || u.state.ends_with("started"))
    {
        detail.push_str(&format!(
            ". An update is in progress ({}: {})",
            u.state, u.message
        ));
    }
    let mode = match s.mode {
        ServiceMode::Replicated(n) => format!("replicated {n}"),
        _ => "global".to_string(),
    };
    let mut ev = vec![evidence(
        c.cluster_file("swarm/services.json"),
        s.line,
        format!("{} mode {mode}", s.name),
    )];
    ev.extend(why.into_iter().flat_map(|(_, e)| e).take(6));
    let mut nodes: BTreeSet<String> = behind
        .iter()
        .filter(|t| !t.node_id.is_empty())
        .map(|t| host(&t.node_id))
        .collect();
    nodes.extend(
        running
            .iter()
            .filter(|t| !t.node_id.is_empty())
            .map(|t| host(&t.node_id)),
    );
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    out.report(
        "SW501",
        Some(format!("service {}", s.name)),
        &nodes,
        1,
        detail,
        ev,
    );
}

/// Failed, rejected and waiting tasks grouped by error and node, most
/// frequent first: `5 × "node is missing …" on tk1706-ubuntu-1 (rejected)`.
fn reasons(c: &Cluster, tasks: &[&Task]) -> Vec<(String, Vec<Evidence>)> {
    let file = c.cluster_file("swarm/tasks.json");
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&Task>> = BTreeMap::new();
    for t in tasks {
        let waiting = live(&t.state) && t.state != "running";
        if !(waiting || matches!(t.state.as_str(), "failed" | "rejected" | "orphaned")) {
            continue;
        }
        let text = if t.err.is_empty() {
            t.message.as_str()
        } else {
            t.err.as_str()
        };
        let on = if t.node_id.is_empty() {
            "no node"
        } else {
            c.hostname_of(&t.node_id).unwrap_or(&t.node_id)
        };
        groups.entry((text, on, &t.state)).or_default().push(t);
    }
    let mut out: Vec<(usize, String, Vec<Evidence>)> = groups
        .into_iter()
        .map(|((text, on, state), ts)| {
            let ev = ts
                .iter()
                .take(2)
                .map(|t| {
                    evidence(
                        &file,
                        t.line,
                        format!("task {} {state} on {on}: {text}", t.id),
                    )
                })
                .collect();
            let line = if matches!(state, "failed" | "rejected" | "orphaned") {
                format!("{} × \"{text}\" on {on} ({state})", ts.len())
            } else if text.is_empty() || text == state {
                format!("{} × still {state} on {on}", ts.len())
            } else {
                format!("{} × still {state} (\"{text}\") on {on}", ts.len())
            };
            (ts.len(), line, ev)
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out.into_iter().map(|(_, line, ev)| (line, ev)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, item, one, variant, with};
    use serde_json::{json, Value};

    const FIRES: &str = "tests/fixtures/checks/SW501/fires";

    #[test]
    fn sw501_global_service_with_reasons_from_history() {
        let fs = findings(FIRES);
        let f = one(&fs, "SW501", "service test_service");
        assert_eq!(
            f.detail,
            "global: 2 running on 4 eligible nodes (active and ready: tk1706-ubuntu-0, tk1706-ubuntu-1, \
             tk1706-ubuntu-2, tk1706-ubuntu-3); no running task on tk1706-ubuntu-0, tk1706-ubuntu-3. \
             Reasons from the task history: 4 × \"node is missing network attachments, ip addresses may be \
             exhausted\" on tk1706-ubuntu-0 (rejected); 3 × \"node is missing network attachments, ip \
             addresses may be exhausted\" on tk1706-ubuntu-3 (rejected); 1 × \"cannot create a swarm scoped \
             network when swarm is not active\" on tk1706-ubuntu-3 (rejected)"
        );
        assert_eq!(f.evidence[0].text, "test_service mode global");
        assert!(with(&fs, "SW501").len() == 1, "test_client runs 2/2");
        assert!(with(&findings("tests/fixtures/checks/SW501/quiet"), "SW501").is_empty());
    }

    #[test]
    fn sw501_replicated_counts_slots() {
        let fs = findings("tests/fixtures/checks/SW502/fires");
        let f = one(&fs, "SW501", "service many");
        assert!(f.detail.starts_with("replicated: 26 of 30 replicas running. Reasons from the task history: 4 × still new (\"created\") on no node"), "{}", f.detail);
    }

    #[test]
    fn jobs_are_not_meant_to_keep_running() {
        let job = |v: &mut Value| {
            item(v, &["Spec", "Name"], "test_service")["Spec"]["Mode"] = json!({"GlobalJob": {}})
        };
        let dir = variant(FIRES, &[("tk1706-ubuntu-1/swarm/services.json", &job)]);
        assert!(with(&findings(dir.path()), "SW501").is_empty());
    }

    #[test]
    fn a_global_service_skips_nodes_its_constraints_exclude() {
        // Without any task on ubuntu-0 and ubuntu-3 (constraints kept the
        // orchestrator away), 2 running tasks on 2 eligible nodes are enough.
        let fewer = |v: &mut Value| {
            let gone = ["t7felwp30mvi4n910z2y3u1cu", "z5tqpoosc7akmy1rooonzyqk2"];
            v.as_array_mut()
                .expect("tasks")
                .retain(|t| !gone.iter().any(|g| t["NodeID"] == json!(g)));
        };
        let dir = variant(FIRES, &[("tk1706-ubuntu-1/swarm/tasks.json", &fewer)]);
        assert!(with(&findings(dir.path()), "SW501").is_empty());
    }

    #[test]
    fn seed_bundles() {
        let fs = findings("testdata/bundles/upgrade-mid");
        assert_eq!(with(&fs, "SW501").len(), 1);
        one(&fs, "SW501", "service test_service");
        for seed in ["upgrade-before", "exhausted-27", "vote-ingress"] {
            assert!(
                with(&findings(format!("testdata/bundles/{seed}")), "SW501").is_empty(),
                "{seed}"
            );
        }
    }
}
