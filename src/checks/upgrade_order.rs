//! SW401 engine-version-skew, SW402 worker-newer-than-managers, SW403
//! known-bad-engine-version: the engine versions of all nodes, side by side.
//!
//! ## What it detects
//! Nodes on different engine versions (SW401); a worker on a newer engine
//! than some manager (SW402); and version mixes from signatures.md §1.13 that
//! are biting now, which the UPG-* version rules cannot see because they need
//! the leader, the tasks or the network configuration (SW403): a ≤ 17.09
//! leader with 18.09+ nodes (UPG-01, with the rejected tasks), a ≤ 17.09
//! leader with 17.12.0 nodes (UPG-02, with their ingress-sbox), 25.0.0–25.0.3
//! with a swarm subnet that has host bits set (UPG-07), 28.2.x nodes with
//! tasks on an overlay that spans nodes (UPG-09).
//!
//! ## Why it breaks traffic
//! The leader allocates what every node's agent waits for: an older leader
//! does not fill `node.Attachments`, so 18.09+ nodes reject every task that
//! needs an overlay ("node is missing network attachments"). Mixed versions
//! also disagree on gossip and load-balancer models (GOS-10, UPG-05).
//!
//! ## How to fix
//! Upgrade managers first, one at a time, keeping quorum; then the workers.
//! Move to the fixed release named in the catalogue entry.

use super::node_facts::{node_facts, not_run, NodeFact};
use super::{evidence, Checks};
use crate::finding::Evidence;
use crate::model::Cluster;
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};

pub fn check(c: &Cluster, out: &mut Checks) {
    let facts = node_facts(c);
    if facts.iter().all(|f| f.version.is_none()) {
        let why = "no engine version in swarm/nodes.json, docker/version.json or docker/info.json";
        let inputs = [
            "swarm/nodes.json",
            "docker/version.json",
            "docker/info.json",
        ];
        not_run(c, out, &["SW401", "SW402", "SW403"], &inputs, why);
        return;
    }
    skew(&facts, out);
    workers_first(&facts, out);
    known_bad(c, &facts, out);
}

fn skew(facts: &[NodeFact], out: &mut Checks) {
    let mut by: BTreeMap<&Version, Vec<&NodeFact>> = BTreeMap::new();
    for f in facts {
        if let Some(v) = &f.version {
            by.entry(v).or_default().push(f);
        }
    }
    if by.len() < 2 {
        return;
    }
    let groups: Vec<String> = by
        .values()
        .map(|fs| {
            let raw: BTreeSet<&str> = fs.iter().map(|f| f.engine.as_str()).collect();
            let who: Vec<String> = fs.iter().map(|f| f.label()).collect();
            format!("{} on {}", join(raw), who.join(", "))
        })
        .collect();
    let known = by.values().map(Vec::len).sum::<usize>();
    let mut detail = format!(
        "{} engine versions on {known} nodes: {}",
        by.len(),
        groups.join("; ")
    );
    let unknown: Vec<&str> = facts
        .iter()
        .filter(|f| f.version.is_none())
        .map(|f| f.host)
        .collect();
    if !unknown.is_empty() {
        detail.push_str(&format!("; version unknown: {}", unknown.join(", ")));
    }
    let nodes: Vec<&str> = facts
        .iter()
        .filter(|f| f.version.is_some())
        .map(|f| f.host)
        .collect();
    let ev = facts.iter().filter_map(|f| f.evidence.clone()).collect();
    out.report(
        "SW401",
        Some("engine versions".into()),
        &nodes,
        known as u64,
        detail,
        ev,
    );
}

fn workers_first(facts: &[NodeFact], out: &mut Checks) {
    let managers: Vec<&NodeFact> = facts.iter().filter(|f| f.role == "manager").collect();
    for w in facts.iter().filter(|f| f.role == "worker") {
        let Some(wv) = &w.version else { continue };
        let older: Vec<&&NodeFact> = managers
            .iter()
            .filter(|m| m.version.as_ref().is_some_and(|mv| mv < wv))
            .collect();
        if older.is_empty() {
            continue;
        }
        let list: Vec<String> = older
            .iter()
            .map(|m| format!("{} {}", m.label(), m.engine))
            .collect();
        let detail = format!(
            "worker {} runs {}, newer than {} of {} managers: {}; managers must be upgraded first",
            w.host,
            w.engine,
            older.len(),
            managers.len(),
            list.join(", ")
        );
        let ev = std::iter::once(w)
            .chain(older.iter().map(|m| **m))
            .filter_map(|f| f.evidence.clone())
            .collect();
        out.report(
            "SW402",
            Some(format!("node {}", w.host)),
            &[w.host],
            older.len() as u64,
            detail,
            ev,
        );
    }
}

fn known_bad(c: &Cluster, facts: &[NodeFact], out: &mut Checks) {
    let in_range = |f: &NodeFact, lo: (u64, u64, u64), hi: (u64, u64, u64)| {
        f.version.as_ref().is_some_and(|v| {
            *v >= Version::new(lo.0, lo.1, lo.2) && *v < Version::new(hi.0, hi.1, hi.2)
        })
    };
    let leader = facts
        .iter()
        .find(|f| f.leader && in_range(f, (0, 0, 0), (17, 10, 0)));
    if let Some(l) = leader {
        let old: Vec<String> = facts
            .iter()
            .filter(|f| f.role == "manager" && in_range(f, (0, 0, 0), (17, 10, 0)))
            .map(|f| f.host.to_string())
            .collect();
        let new: Vec<&NodeFact> = facts
            .iter()
            .filter(|f| in_range(f, (18, 9, 0), (999, 0, 0)))
            .collect();
        if !new.is_empty() {
            upg01(c, l, &old, &new, out);
        }
        let twelve: Vec<&NodeFact> = facts
            .iter()
            .filter(|f| in_range(f, (17, 12, 0), (17, 12, 1)))
            .collect();
        if !twelve.is_empty() {
            upg02(l, &twelve, out);
        }
    }
    super::upgrade_networks::upg07_upg09(c, facts, out);
}

/// UPG-01 as it bites now: the allocating leader is ≤ 17.09.
fn upg01(c: &Cluster, leader: &NodeFact, old: &[String], new: &[&NodeFact], out: &mut Checks) {
    let tasks_file = c.cluster_file("swarm/tasks.json");
    let mut rejected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ev: Vec<Evidence> = leader.evidence.iter().cloned().collect();
    for t in c
        .tasks
        .iter()
        .filter(|t| t.err.contains("node is missing network attachments"))
    {
        if let Some(f) = new
            .iter()
            .find(|f| !t.node_id.is_empty() && f.id == t.node_id)
        {
            *rejected.entry(f.host).or_default() += 1;
            ev.push(evidence(
                &tasks_file,
                t.line,
                format!("task {} {} on {}: {}", t.id, t.state, f.host, t.err),
            ));
        }
    }
    ev.extend(new.iter().filter_map(|f| f.evidence.clone()));
    let news: Vec<String> = new
        .iter()
        .map(|f| format!("{} {}", f.label(), f.engine))
        .collect();
    let mut detail = format!(
        "UPG-01: the leader {} runs {} (managers ≤ 17.09: {}) and allocates no per-node network attachments; nodes ≥ 18.09 wait for them: {}",
        leader.host,
        leader.engine,
        old.join(", "),
        news.join(", ")
    );
    if rejected.is_empty() {
        detail.push_str(
            "; no task rejected with \"node is missing network attachments\" yet (IPAM-01)",
        );
    } else {
        let per: Vec<String> = rejected
            .iter()
            .map(|(h, n)| format!("{n} on {h}"))
            .collect();
        detail.push_str(&format!(
            "; tasks rejected with \"node is missing network attachments, ip addresses may be exhausted\" (IPAM-01): {}",
            per.join(", ")
        ));
    }
    let nodes: Vec<&str> = new.iter().map(|f| f.host).collect();
    let count = rejected.values().sum::<u64>().max(1);
    out.report("SW403", Some("UPG-01".into()), &nodes, count, detail, ev);
}

/// UPG-02: 17.12.0 nodes under a ≤ 17.09 leader, with what their ingress shows.
fn upg02(leader: &NodeFact, nodes: &[&NodeFact], out: &mut Checks) {
    let mut ev: Vec<Evidence> = leader.evidence.iter().cloned().collect();
    let seen: Vec<String> = nodes
        .iter()
        .map(|f| {
            ev.extend(f.evidence.clone());
            let ingress = f
                .bundle
                .and_then(|b| b.networks.as_ref())
                .map(|nets| nets.iter().find(|n| n.ingress));
            let what = match ingress {
                None => "no swarm/networks.json from it".to_string(),
                Some(None) => "no ingress network in its swarm/networks.json".to_string(),
                Some(Some(n)) if n.containers.contains_key("ingress-sbox") => {
                    "ingress-sbox present".to_string()
                }
                Some(Some(n)) => {
                    if let Some(b) = f.bundle {
                        ev.push(evidence(
                            b.file("swarm/networks.json"),
                            n.line,
                            "ingress: no ingress-sbox in Containers",
                        ));
                    }
                    "its ingress has no ingress-sbox: routing mesh dead there".to_string()
                }
            };
            format!("{} {} ({what})", f.host, f.engine)
        })
        .collect();
    let detail = format!(
        "UPG-02: the leader {} runs {}; 17.12.0 nodes read node.Attachments, which it never sets: {}; fixed in 17.12.1 (moby PR #36003)",
        leader.host,
        leader.engine,
        seen.join(", ")
    );
    let hosts: Vec<&str> = nodes.iter().map(|f| f.host).collect();
    out.report(
        "SW403",
        Some("UPG-02".into()),
        &hosts,
        hosts.len() as u64,
        detail,
        ev,
    );
}

/// `a`, `a/b`: the distinct spellings of one version.
fn join(set: BTreeSet<&str>) -> String {
    set.into_iter().collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, ids, item, one, variant, with};
    use serde_json::{json, Value};

    #[test]
    fn sw401_lists_versions_per_node() {
        let fs = findings("tests/fixtures/checks/SW401/fires");
        let f = one(&fs, "SW401", "engine versions");
        assert_eq!(
            f.detail,
            "2 engine versions on 5 nodes: 17.06.2-ee-15 on tk1706-ubuntu-1 (manager, leader), \
             tk1706-ubuntu-2 (manager), tk1706-ubuntu-4 (worker); 18.09.1 on tk1706-ubuntu-0 \
             (manager), tk1706-ubuntu-3 (worker)"
        );
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "tk1706-ubuntu-1/swarm/nodes.json"
                && e.text == "tk1706-ubuntu-3 EngineVersion 18.09.1"));
        assert_eq!(
            ids(&findings("tests/fixtures/checks/SW401/quiet"), "SW40"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn vendor_suffixes_of_one_version_are_no_skew() {
        // Lab nodes report 20.10.24+dfsg1; one plain 20.10.24 is the same engine.
        let plain = |v: &mut Value| {
            item(v, &["Description", "Hostname"], "node3")["Description"]["Engine"]
                ["EngineVersion"] = json!("20.10.24")
        };
        let dir = variant(
            "tests/fixtures/checks/SW404/quiet",
            &[("node2/swarm/nodes.json", &plain)],
        );
        assert!(with(&findings(dir.path()), "SW401").is_empty());
    }

    #[test]
    fn sw402_names_the_older_managers() {
        let fs = findings("tests/fixtures/checks/SW402/fires");
        let f = one(&fs, "SW402", "node tk1706-ubuntu-3");
        assert_eq!(
            f.detail,
            "worker tk1706-ubuntu-3 runs 18.09.1, newer than 2 of 3 managers: tk1706-ubuntu-1 \
             (manager, leader) 17.06.2-ee-15, tk1706-ubuntu-2 (manager) 17.06.2-ee-15; managers \
             must be upgraded first"
        );
        // ubuntu-3 not upgraded yet: a manager ahead of the others is the right order.
        let fs = findings("tests/fixtures/checks/SW402/quiet");
        assert!(with(&fs, "SW402").is_empty());
        assert_eq!(with(&fs, "SW401").len(), 1);
    }

    #[test]
    fn sw403_upg01_when_the_leader_is_old() {
        let fs = findings("tests/fixtures/checks/SW403/fires");
        let f = one(&fs, "SW403", "UPG-01");
        assert!(f.detail.starts_with(
            "UPG-01: the leader tk1706-ubuntu-1 runs 17.06.2-ee-15 (managers ≤ 17.09: tk1706-ubuntu-1, \
             tk1706-ubuntu-2) and allocates no per-node network attachments; nodes ≥ 18.09 wait for them: \
             tk1706-ubuntu-0 (manager) 18.09.1, tk1706-ubuntu-3 (worker) 18.09.1"
        ), "{}", f.detail);
        assert!(f
            .detail
            .ends_with("(IPAM-01): 4 on tk1706-ubuntu-0, 3 on tk1706-ubuntu-3"));
        assert_eq!(f.count, 7);
        // The 18.09 manager leads again: it allocates the attachments.
        assert!(with(&findings("tests/fixtures/checks/SW403/quiet"), "SW403").is_empty());
    }

    #[test]
    fn sw403_upg02_for_17_12_0_nodes_under_an_old_leader() {
        let v1712 = |v: &mut Value| {
            let n = item(v, &["Description", "Hostname"], "tk1706-ubuntu-4");
            n["Description"]["Engine"]["EngineVersion"] = json!("17.12.0-ce")
        };
        let dir = variant(
            "tests/fixtures/checks/SW403/fires",
            &[("tk1706-ubuntu-1/swarm/nodes.json", &v1712)],
        );
        let fs = findings(dir.path());
        let f = one(&fs, "SW403", "UPG-02");
        assert_eq!(
            f.detail,
            "UPG-02: the leader tk1706-ubuntu-1 runs 17.06.2-ee-15; 17.12.0 nodes read node.Attachments, \
             which it never sets: tk1706-ubuntu-4 17.12.0-ce (no swarm/networks.json from it); fixed in \
             17.12.1 (moby PR #36003)"
        );
    }

    /// The lab's healthy swarm with node3 on `version`, and `edit` on its networks.
    fn lab(version: &str, edit: &dyn Fn(&mut Value)) -> Vec<crate::finding::Finding> {
        let v = version.to_string();
        let node3 = move |n: &mut Value| {
            item(n, &["Description", "Hostname"], "node3")["Description"]["Engine"]
                ["EngineVersion"] = json!(v.clone())
        };
        let dir = variant(
            "tests/fixtures/checks/SW502/quiet",
            &[
                ("node2/swarm/nodes.json", &node3),
                ("node2/swarm/networks.json", edit),
            ],
        );
        findings(dir.path())
    }

    #[test]
    fn sw403_upg07_needs_a_subnet_with_host_bits() {
        let host_bits = |v: &mut Value| {
            item(v, &["Name"], "ingress")["IPAM"]["Config"][0]["Subnet"] = json!("10.0.0.1/24")
        };
        let fs = lab("25.0.2", &host_bits);
        let f = one(&fs, "SW403", "UPG-07");
        assert!(
            f.detail
                .starts_with("UPG-07: node3 (worker) 25.0.2 on 25.0.0–25.0.3"),
            "{}",
            f.detail
        );
        assert!(f
            .detail
            .contains("ingress subnet 10.0.0.1/24 (should be 10.0.0.0/24)"));
        assert!(with(&lab("25.0.2", &|_| {}), "SW403").is_empty());
        assert!(with(&lab("25.0.4", &host_bits), "SW403").is_empty());
    }

    #[test]
    fn sw403_upg09_needs_an_overlay_across_nodes() {
        let fs = lab("28.2.2", &|_| {});
        let f = one(&fs, "SW403", "UPG-09");
        assert!(
            f.detail
                .contains("overlays spanning nodes: appnet (tasks on node1, node2, node3)"),
            "{}",
            f.detail
        );
        assert!(with(&lab("28.3.0", &|_| {}), "SW403").is_empty());
    }

    #[test]
    fn seed_bundles() {
        let fs = findings("testdata/bundles/upgrade-mid");
        assert_eq!(ids(&fs, "SW40"), ["SW401", "SW402", "SW403", "SW404"]);
        one(&fs, "SW402", "node tk1706-ubuntu-3");
        one(&fs, "SW403", "UPG-01");
        for seed in ["upgrade-before", "exhausted-27", "vote-ingress"] {
            let fs = findings(format!("testdata/bundles/{seed}"));
            assert_eq!(ids(&fs, "SW40"), Vec::<String>::new(), "{seed}");
        }
    }
}
