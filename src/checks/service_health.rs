//! SW501 service-replicas-short, SW502 tasks-stuck-pending: services against
//! their tasks, with the reasons the task history gives.
//!
//! ## What it detects
//! A replicated service with fewer running tasks than `Replicas`, or a global
//! service without a running task on some eligible node (SW501): the reasons
//! are the errors of the failed, rejected and waiting tasks behind the
//! missing replicas. Tasks that stay in `new`, `pending`, `assigned` or
//! `preparing` for 30 s or more (SW502), or in `new` on a network with no
//! address left. Jobs are skipped by SW501: they are not meant to keep
//! running.
//!
//! ## Why it breaks traffic
//! Missing replicas mean fewer backends behind the VIP and the routing mesh,
//! or none; a global service without a task on a node serves nothing there.
//!
//! ## How to fix
//! Follow the task errors quoted in the detail: each maps to a signature
//! (IPAM-01 missing network attachments, NET-01 swarm not active, TASK-01
//! no suitable node, IPAM-02 allocation failure).

use super::subnet_accounting::{attached, live};
use super::{evidence, subnet_capacity, Checks};
use crate::finding::Evidence;
use crate::model::Cluster;
use crate::parse::service::{Service, ServiceMode};
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};

/// A task waiting this long has not just been created.
const STUCK_SECS: i64 = 30;

pub fn check(c: &Cluster, out: &mut Checks) {
    if c.cluster_source.is_none() || (c.services.is_empty() && c.tasks.is_empty()) {
        let why = "no swarm/services.json and swarm/tasks.json from a manager bundle";
        let inputs = [
            "swarm/services.json",
            "swarm/tasks.json",
            "swarm/nodes.json",
        ];
        super::node_health::not_run(c, out, &["SW501", "SW502"], &inputs, why);
        return;
    }
    for s in &c.services {
        replicas(c, s, out);
    }
    stuck(c, out);
}

fn replicas(c: &Cluster, s: &Service, out: &mut Checks) {
    // As `docker service ls`: running, not desired shutdown, node not down.
    let down: BTreeSet<&str> = c
        .swarm_nodes
        .iter()
        .filter(|n| n.state == "down")
        .map(|n| n.id.as_str())
        .collect();
    let tasks: Vec<&Task> = c.tasks.iter().filter(|t| t.service_id == s.id).collect();
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
    let detail = format!("{summary}. Reasons from the task history: {text}");
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

/// SW502: tasks waiting before `running`, grouped per service, then by
/// state, message, error and node.
fn stuck(c: &Cluster, out: &mut Checks) {
    let now = c
        .nodes
        .iter()
        .find(|n| Some(&n.label) == c.cluster_source.as_ref())
        .and_then(|n| n.collected_at);
    let full = subnet_capacity::full_networks(c);
    let file = c.cluster_file("swarm/tasks.json");
    type Group<'a> = BTreeMap<String, (Vec<&'a Task>, Vec<i64>, bool)>;
    let mut by: BTreeMap<&str, Group> = BTreeMap::new();
    for t in &c.tasks {
        if !matches!(
            t.state.as_str(),
            "new" | "pending" | "assigned" | "preparing"
        ) || matches!(t.desired_state.as_str(), "shutdown" | "remove")
        {
            continue;
        }
        let age = now.zip(t.timestamp).map(|(n, ts)| (n - ts).whole_seconds());
        let svc = c.service(&t.service_id);
        let no_room = t.state == "new"
            && svc.is_some_and(|s| {
                c.networks
                    .iter()
                    .any(|n| full.contains(&n.id) && attached(s, n))
            });
        if age.is_some_and(|a| a < STUCK_SECS) && !no_room {
            continue;
        }
        let text: Vec<String> = [&t.message, &t.err]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| format!("\"{s}\""))
            .collect();
        let on = if t.node_id.is_empty() {
            "no node"
        } else {
            c.hostname_of(&t.node_id).unwrap_or(&t.node_id)
        };
        let key = format!("{} {} on {on}", t.state, text.join(" "));
        let name = svc.map_or(t.service_id.as_str(), |s| s.name.as_str());
        let g = by.entry(name).or_default().entry(key).or_default();
        g.0.push(t);
        g.1.extend(age);
        g.2 |= no_room;
    }
    for (name, groups) in by {
        let tasks: Vec<&Task> = groups.values().flat_map(|g| g.0.iter().copied()).collect();
        let list: Vec<String> = groups
            .iter()
            .map(|(key, (ts, ages, no_room))| {
                let age = match (ages.iter().min(), ages.iter().max()) {
                    (Some(a), Some(b)) if a == b => format!("for {a} s at collection"),
                    (Some(a), Some(b)) => format!("for {a}–{b} s at collection"),
                    _ => "age unknown".to_string(),
                };
                let room = if *no_room {
                    "; its network has no address left (SW301)"
                } else {
                    ""
                };
                format!("{} × {key} ({age}{room})", ts.len())
            })
            .collect();
        let detail = format!(
            "{} tasks waiting before running: {}",
            tasks.len(),
            list.join("; ")
        );
        let ev = tasks
            .iter()
            .take(6)
            .map(|t| {
                evidence(
                    &file,
                    t.line,
                    format!("task {} {} \"{}\" {}", t.id, t.state, t.message, t.err),
                )
            })
            .collect();
        let on_nodes = tasks.iter().filter(|t| !t.node_id.is_empty());
        let nodes: BTreeSet<&str> = on_nodes.filter_map(|t| c.hostname_of(&t.node_id)).collect();
        let nodes: Vec<&str> = nodes.into_iter().collect();
        out.report(
            "SW502",
            Some(format!("service {name}")),
            &nodes,
            tasks.len() as u64,
            detail,
            ev,
        );
    }
}
