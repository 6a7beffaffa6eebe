//! SW502 tasks-stuck-pending: tasks that wait before `running`.
//!
//! ## What it detects
//! Tasks in `new`, `pending`, `assigned` or `preparing` (not desired
//! shutdown) for 30 s or more at collection, or without a timestamp, or in
//! `new` on a network with no address left (SW301), with their
//! `Status.Message` and `Status.Err`, grouped per service. Collection time
//! is the manifest's `collected_at` of the bundle holding the tasks, else
//! that daemon's `SystemTime` (docker info); without either the check is
//! not run rather than guessing ages.
//!
//! ## Why it breaks traffic
//! A task that never runs is a replica missing behind the VIP: `new` means
//! the allocator found no address (IPAM-02/05), `pending` no suitable node
//! (TASK-01), `assigned`/`preparing` a node that cannot set up the task's
//! networks or image (IPAM-01 waits 30 s per attempt).
//!
//! ## How to fix
//! Read the leader's allocation errors and the assigned node's log for the
//! task ids; fix the network size, constraints or node.

use super::node_facts::not_run;
use super::subnet_accounting::attached;
use super::{evidence, subnet_capacity, Checks};
use crate::model::Cluster;
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// A task waiting this long has not just been created.
const STUCK_SECS: i64 = 30;

pub fn check(c: &Cluster, out: &mut Checks) {
    if c.cluster_source.is_none() || c.tasks.is_empty() {
        let why = "no swarm/tasks.json from a manager bundle";
        not_run(c, out, &["SW502"], &["swarm/tasks.json"], why);
        return;
    }
    stuck(c, out);
}

/// The clock of the bundle that holds `swarm/tasks.json`: its manifest's
/// `collected_at`, else its daemon's `SystemTime` (docker info, read in the
/// same run), with a note when the fallback is used.
fn reference_time(c: &Cluster) -> Result<(OffsetDateTime, Option<String>), String> {
    let source = c
        .nodes
        .iter()
        .find(|n| Some(&n.label) == c.cluster_source.as_ref());
    let Some(n) = source else {
        return Err("no bundle holds swarm/tasks.json".into());
    };
    if let Some(t) = n.collected_at {
        return Ok((t, None));
    }
    match n.info.as_ref().and_then(|i| i.system_time) {
        Some(t) => Ok((
            t,
            Some(format!(
                "Ages from {}'s docker/info.json SystemTime (no manifest.json collected_at)",
                n.label
            )),
        )),
        None => Err(format!(
            "no collection time in {}: neither manifest.json collected_at nor docker/info.json \
             SystemTime, so task ages are unknown",
            n.label
        )),
    }
}

/// SW502: tasks waiting before `running`, grouped per service, then by
/// state, message, error and node.
fn stuck(c: &Cluster, out: &mut Checks) {
    let (now, clock_note) = match reference_time(c) {
        Ok(t) => t,
        Err(why) => return out.not_run("SW502", why),
    };
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
        let age = t.timestamp.map(|ts| (now - ts).whole_seconds());
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
        let mut detail = format!(
            "{} tasks waiting before running: {}",
            tasks.len(),
            list.join("; ")
        );
        if let Some(note) = &clock_note {
            detail.push_str(&format!(". {note}"));
        }
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

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, one, root, variant, with};
    use serde_json::{json, Value};
    use std::path::Path;

    const QUIET: &str = "tests/fixtures/checks/SW502/quiet";
    const LAB: &str = "testdata/lab/exhausted";

    #[test]
    fn sw502_new_tasks_on_a_full_network() {
        // The lab's /27: the tasks are seconds old, but no address is left.
        let fs = findings("tests/fixtures/checks/SW502/fires");
        let f = one(&fs, "SW502", "service many");
        assert_eq!(
            f.detail,
            "4 tasks waiting before running: 4 × new \"created\" on no node (for 14 s at collection; \
             its network has no address left (SW301))"
        );
        assert!(f.nodes.is_empty(), "unassigned tasks have no node");
        assert!(with(&findings(QUIET), "SW502").is_empty());
    }

    /// The lab's healthy swarm with its first task pending since `at`,
    /// without the files named in `drop`.
    fn pending_since(at: &str, drop: &[&str]) -> crate::analyze::Analysis {
        let at = at.to_string();
        let pending = move |v: &mut Value| {
            let t = &mut v.as_array_mut().expect("tasks")[0];
            t["Status"] = json!({
                "Timestamp": at.clone(), "State": "pending", "Message": "pending task scheduling",
                "Err": "no suitable node (scheduling constraints not satisfied on 3 nodes)"
            });
            t.as_object_mut().expect("task").remove("NodeID");
        };
        let dir = variant(QUIET, &[("node2/swarm/tasks.json", &pending)]);
        analyze_without(dir.path(), drop)
    }

    fn analyze_without(dir: &Path, drop: &[&str]) -> crate::analyze::Analysis {
        for f in drop {
            std::fs::remove_file(dir.join(f)).expect("bundle file");
        }
        let rules = crate::load_rules(None).expect("rules");
        crate::analyze::analyze(&[dir.to_path_buf()], &rules, &Default::default())
            .expect("analysis")
    }

    #[test]
    fn sw502_pending_for_minutes_but_not_for_seconds() {
        let a = pending_since("2026-11-22T00:30:00Z", &[]);
        let stuck = with(&a.findings, "SW502");
        assert_eq!(stuck.len(), 1, "{:#?}", a.findings);
        let f = stuck[0];
        assert!(f.detail.starts_with(
            "1 tasks waiting before running: 1 × pending \"pending task scheduling\" \"no suitable node \
             (scheduling constraints not satisfied on 3 nodes)\" on no node (for "
        ), "{}", f.detail);
        // Pending since the moment of collection: a normal start, not stuck.
        let manifest = std::fs::read_to_string(root().join(QUIET).join("node2/manifest.json"));
        let v: Value = serde_json::from_str(&manifest.expect("manifest")).expect("JSON");
        let collected = v["collected_at"].as_str().expect("collected_at");
        assert!(with(&pending_since(collected, &[]).findings, "SW502").is_empty());
    }

    #[test]
    fn without_a_manifest_the_daemons_clock_dates_the_tasks() {
        // The lab capture without manifests: the cluster objects come from
        // node1 then, whose daemon said SystemTime 02:52:24.378 while the
        // two tasks were created at 02:52:23.698.
        let manifests = [
            "node1/manifest.json",
            "node2/manifest.json",
            "node3/manifest.json",
        ];
        let a = analyze_without(variant(LAB, &[]).path(), &manifests);
        let f = one(&a.findings, "SW502", "service many");
        assert_eq!(
            f.detail,
            "2 tasks waiting before running: 2 × new \"created\" on no node (for 0 s at collection; \
             its network has no address left (SW301)). Ages from node1's docker/info.json \
             SystemTime (no manifest.json collected_at)"
        );
        // With its manifests, node2 (collected at 02:52:25) holds them: 1 s.
        assert!(one(&findings(LAB), "SW502", "service many")
            .detail
            .ends_with("(for 1 s at collection; its network has no address left (SW301))"));
        assert!(a.coverage.not_run.iter().all(|n| n.id != "SW502"));
    }

    #[test]
    fn without_any_clock_the_check_is_not_run() {
        // The SW502 quiet fixture has a manifest but no docker info.
        let a = pending_since("2026-11-22T00:30:00Z", &["node2/manifest.json"]);
        assert!(with(&a.findings, "SW502").is_empty(), "{:#?}", a.findings);
        let n: Vec<_> = a
            .coverage
            .not_run
            .iter()
            .filter(|n| n.id == "SW502")
            .collect();
        assert_eq!(n.len(), 1, "{:#?}", a.coverage.not_run);
        assert_eq!(
            n[0].reason,
            "no collection time in node2: neither manifest.json collected_at nor \
             docker/info.json SystemTime, so task ages are unknown"
        );
    }
}
