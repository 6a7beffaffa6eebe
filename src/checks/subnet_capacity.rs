//! SW301 overlay-subnet-exhausted, SW302 overlay-subnet-nearly-exhausted:
//! the address arithmetic of every overlay subnet.
//!
//! ## What it detects
//! An overlay subnet (or its `--ip-range`) with no address left for tasks, or
//! with more tasks and node LB addresses needing one than exist (SW301), or
//! with less than 10% of its dynamic range free (SW302). The arithmetic is
//! signatures.md §4.5: size − network − broadcast − gateway − one VIP per
//! vip-mode service − one load-balancer address per node that holds one −
//! one per non-terminal task or attachment that holds one; then what still
//! needs one: tasks without an address and nodes with tasks there but no LB
//! address. Which nodes hold an LB address is read from each node's own
//! `networks.json` (`lb-<net>`, `ingress-sbox`) among the nodes the leader
//! allocates for (nodes with tasks on 18.09+ leaders, every node on
//! 17.10–18.06 leaders and always on ingress); it is assumed, and said so,
//! only where no view tells. On Docker 29+ the manager reports the
//! allocator's own count (`Status.IPAM.Subnets`), used as is. SW301's count
//! is the number of addresses short (including the LB addresses of nodes
//! whose tasks were rejected for lack of one), SW302's the number free.
//!
//! ## Why it breaks traffic
//! With no address left the leader cannot allocate task IPs (IPAM-02, tasks
//! stay in `new`), VIPs (IPAM-03) or node LB addresses (IPAM-04), and nodes
//! without their LB address reject every task on that network (IPAM-01). A
//! scale-up, a start-first update or a task landing on a new node (one more
//! LB address) is enough to tip a nearly full subnet over.
//!
//! ## How to fix
//! Recreate the network with a larger subnet (e.g. /24 → /20) and redeploy
//! the services on it; remove unused services or attachable containers.

use super::subnet_accounting::{account, per_node, Account, LbRule, Pool};
use super::{evidence, node_facts, Checks};
use crate::finding::Evidence;
use crate::model::Cluster;
use crate::parse::network::Network;
use std::collections::{BTreeMap, BTreeSet};

pub fn check(c: &Cluster, out: &mut Checks) {
    if c.cluster_source.is_none() || c.networks.is_empty() {
        let why = "no swarm/services.json, swarm/tasks.json and swarm/networks.json from a manager bundle";
        let inputs = [
            "swarm/networks.json",
            "swarm/services.json",
            "swarm/tasks.json",
            "swarm/nodes.json",
        ];
        super::node_facts::not_run(c, out, &["SW301", "SW302"], &inputs, why);
        return;
    }
    let leader = node_facts::leader_version(c);
    for net in c.networks.iter().filter(|n| n.driver == "overlay") {
        let Some(acc) = account(c, net, leader.as_ref()) else {
            continue;
        };
        // The allocator falls through to the next subnet: a full one only
        // matters when the others are full too.
        let total_free: i64 = acc.pools.iter().map(|p| p.free().max(0)).sum();
        let total_size: i64 = acc.pools.iter().map(|p| p.size as i64).sum();
        for p in acc
            .pools
            .iter()
            .filter(|p| !p.vips.is_empty() || p.holding() + p.needing() > 0)
        {
            let free = p.free();
            let id = match free {
                f if f <= 0 && total_free - f.max(0) <= 0 => "SW301",
                f if f * 10 < p.size as i64 && total_free * 10 < total_size => "SW302",
                _ => continue,
            };
            // SW301: addresses short, counting the LB addresses of nodes whose
            // tasks were rejected for lack of one; SW302: addresses free.
            let count = match id {
                "SW301" => (idle(&acc).len() as i64 - free).max(0),
                _ => free,
            };
            let detail = describe(c, &acc, p);
            let mut nodes: BTreeSet<&str> = p.lbs.iter().map(String::as_str).collect();
            nodes.extend(p.lbs_assumed.iter().map(|(_, h)| h.as_str()));
            nodes.extend(p.lbs_needed.iter().map(String::as_str));
            let rejected_on = acc.rejected.iter().filter(|t| !t.node_id.is_empty());
            nodes.extend(rejected_on.filter_map(|t| c.hostname_of(&t.node_id)));
            let nodes: Vec<&str> = nodes.into_iter().collect();
            let subject = format!("network {} {}", net.name, p.subnet);
            out.report(
                id,
                Some(subject),
                &nodes,
                count as u64,
                detail,
                proof(c, net, &acc, p),
            );
        }
    }
}

/// Nodes whose rejected tasks would need an LB address here: only told
/// for a network with one subnet (with more, which one would give it is
/// the allocator's choice).
fn idle<'a>(acc: &'a Account) -> &'a [String] {
    if acc.pools.len() == 1 {
        &acc.idle
    } else {
        &[]
    }
}

/// Networks with a subnet that has no address left (SW301 conditions).
pub(super) fn full_networks(c: &Cluster) -> BTreeSet<String> {
    let leader = node_facts::leader_version(c);
    c.networks
        .iter()
        .filter(|n| n.driver == "overlay")
        .filter(|n| {
            account(c, n, leader.as_ref()).is_some_and(|a| a.pools.iter().any(|p| p.free() <= 0))
        })
        .map(|n| n.id.clone())
        .collect()
}

/// The arithmetic, what still needs an address, the what-if for nodes left
/// without an LB address, and the task symptoms.
fn describe(c: &Cluster, acc: &Account, p: &Pool) -> String {
    let range = p
        .range
        .map(|r| format!(" (ip-range {r})"))
        .unwrap_or_default();
    let holders = match p.attachments {
        0 => format!("{} tasks", p.tasks),
        a => format!("{} tasks and {a} attachments", p.tasks),
    };
    let mut s = match p.status {
        Some(st) => {
            let mut s = format!(
                "{}{range}: Status.IPAM.Subnets (Docker 29+ allocator) IPsInUse {}, DynamicIPsAvailable {}, used directly",
                p.subnet, st.ips_in_use, st.dynamic_ips_available
            );
            if p.needing_tasks > 0 {
                s.push_str(&format!("; {} tasks have no address yet", p.needing_tasks));
            }
            s
        }
        None => {
            let mut s = format!(
                "{}{range}: {} = {} addresses for tasks; ",
                p.subnet,
                terms(p, acc.rule, 0, false),
                p.for_tasks()
            );
            match (p.needing_tasks, p.attachments) {
                (0, _) => s.push_str(&format!("{holders} hold one")),
                (n, 0) => s.push_str(&format!(
                    "{} tasks hold or need one ({} hold one, {n} have none yet)",
                    p.tasks + n,
                    p.tasks
                )),
                (n, _) => s.push_str(&format!(
                    "{} tasks and attachments hold or need one ({holders} hold one, {n} have none yet)",
                    p.holding() + n
                )),
            }
            s
        }
    };
    if !p.lbs_needed.is_empty() {
        let n = p.lbs_needed.len();
        s.push_str(&format!(
            "; {} {} an LB address too (tasks there, none in {} network view)",
            names(&p.lbs_needed),
            if n == 1 { "needs" } else { "need" },
            if n == 1 { "its" } else { "their" },
        ));
    }
    let out = outcome(p, p.free(), acc.rule);
    let now = p.free_now().max(0);
    match (p.needing(), p.free()) {
        (0, _) => s.push_str(&format!(" → {out}")),
        (_, f) if f < 0 => s.push_str(&format!(" → {now} free now, {out}")),
        _ => s.push_str(&format!(" → {now} free now; once they get one, {out}")),
    }
    let idle = idle(acc);
    if !idle.is_empty() {
        let n = idle.len();
        let after = p.free() - n as i64;
        let after = if after < 0 {
            format!("{} short", -after)
        } else {
            format!("{after} free")
        };
        s.push_str(&format!(
            ". {} had tasks rejected here and {} no LB address; with tasks there too",
            names(idle),
            if n == 1 { "has" } else { "have" },
        ));
        match p.status {
            Some(_) => s.push_str(&format!(" → {after}")),
            None => s.push_str(&format!(
                ": {} = {} addresses for {} tasks → {after}",
                terms(p, acc.rule, p.lbs_needed.len() + n, true),
                p.for_tasks() - (p.lbs_needed.len() + n) as i64,
                p.holding() + p.needing_tasks,
            )),
        }
    }
    let others: Vec<String> = acc
        .pools
        .iter()
        .filter(|o| o.subnet != p.subnet)
        .map(|o| format!("{} {} free", o.subnet, o.free()))
        .collect();
    if !others.is_empty() {
        s.push_str(&format!(
            ". Other subnets of the network: {}",
            others.join(", ")
        ));
    }
    if !acc.rejected.is_empty() {
        s.push_str(&format!(
            ". {} tasks rejected with \"node is missing network attachments, ip addresses may be exhausted\" (IPAM-01): {}",
            acc.rejected.len(),
            per_node(c, &acc.rejected)
        ));
    }
    if !acc.new_tasks.is_empty() {
        s.push_str(&format!(
            ". {} tasks stuck in new without an address (allocation failing, IPAM-02)",
            acc.new_tasks.len()
        ));
    }
    s
}

/// `node1, node3`; past four names, `7 nodes`.
fn names(hosts: &[String]) -> String {
    match hosts.len() {
        0..=4 => hosts.join(", "),
        n => format!("{n} nodes"),
    }
}

/// `32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 4 (…)`,
/// with `extra_lbs` more LB addresses counted as held; `short` drops the
/// labels but keeps "(assumed)".
fn terms(p: &Pool, rule: LbRule, extra_lbs: usize, short: bool) -> String {
    let mut s = p.size.to_string();
    let mut term = |n: usize, label: String| {
        if n > 0 {
            s.push_str(&format!(" − {n}"));
            if !short {
                s.push_str(&format!(" ({label})"));
            }
        }
    };
    term(p.reserved.len(), p.reserved.join(", "));
    let vips = match p.vips.len() {
        1 => format!("VIP of {}", p.vips.join("")),
        2..=4 => format!("VIPs of {}", p.vips.join(", ")),
        n => format!("VIPs of {n} services"),
    };
    term(p.vips.len(), vips);
    term(p.lbs.len() + extra_lbs, rule.label().to_string());
    if !p.lbs_assumed.is_empty() {
        let mut why: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (reason, host) in &p.lbs_assumed {
            why.entry(reason).or_default().push(host.clone());
        }
        let why: Vec<String> = why
            .iter()
            .map(|(reason, hosts)| format!("{reason} {}", names(hosts)))
            .collect();
        s.push_str(&format!(" − {}", p.lbs_assumed.len()));
        if short {
            s.push_str(" (assumed)");
        } else {
            s.push_str(&format!(" (LB addresses assumed: {})", why.join("; ")));
        }
    }
    s
}

fn outcome(p: &Pool, free: i64, rule: LbRule) -> String {
    match free {
        f if f < 0 => format!("{} short, no more replicas fit", -f),
        0 => "0 free, no more replicas fit".to_string(),
        f => {
            let pct = f * 100 / p.size.max(1) as i64;
            let lb = if rule == LbRule::NodesWithTasks {
                " on nodes that already have tasks here (a task on another node also takes its LB address)"
            } else {
                ""
            };
            format!("{f} free ({pct}% of {}): {f} more replicas fit{lb}", p.size)
        }
    }
}

/// The network's IPAM line, the services, and a few tasks behind the story.
fn proof(c: &Cluster, net: &Network, acc: &Account, p: &Pool) -> Vec<Evidence> {
    let mut ev = Vec::new();
    let source = c
        .nodes
        .iter()
        .find(|n| Some(&n.label) == c.cluster_source.as_ref());
    let holder = source
        .into_iter()
        .chain(c.nodes.iter())
        .find(|n| n.networks.iter().flatten().any(|x| x.id == net.id));
    if let Some(h) = holder {
        let gw = net
            .ipam
            .iter()
            .find(|i| i.subnet.trim() == p.subnet)
            .map_or("", |i| i.gateway.as_str());
        let mut text = format!("{} IPAM Subnet {} Gateway {gw}", net.name, p.subnet);
        if let Some(st) = p.status {
            text.push_str(&format!(
                " Status IPsInUse {} DynamicIPsAvailable {}",
                st.ips_in_use, st.dynamic_ips_available
            ));
        }
        ev.push(evidence(h.file("swarm/networks.json"), net.line, text));
    }
    let services = c.cluster_file("swarm/services.json");
    for s in &acc.services {
        let vip = s
            .vips
            .iter()
            .find(|v| v.network_id == net.id)
            .map_or("none", |v| v.addr.as_str());
        let text = format!("{} endpoint mode {} VIP {vip}", s.name, s.endpoint_mode);
        ev.push(evidence(&services, s.line, text));
    }
    ev.extend(acc.lb_proof.iter().take(6).cloned());
    let tasks = c.cluster_file("swarm/tasks.json");
    for t in acc
        .rejected
        .iter()
        .take(4)
        .chain(acc.new_tasks.iter().take(3))
    {
        let on = Some(t.node_id.as_str())
            .filter(|id| !id.is_empty())
            .and_then(|id| c.hostname_of(id));
        let on = on.unwrap_or("no node");
        let why = if t.err.is_empty() { &t.message } else { &t.err };
        ev.push(evidence(
            &tasks,
            t.line,
            format!("task {} {} on {on}: {why}", t.id, t.state),
        ));
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::super::cluster_testing::{findings, ids, item, one, variant, with};
    use serde_json::{json, Value};

    const FIRES: &str = "tests/fixtures/checks/SW301/fires";

    #[test]
    fn sw301_spells_out_the_exhausted_27_arithmetic() {
        let fs = findings(FIRES);
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert_eq!(f.severity, crate::finding::Severity::Critical);
        assert!(
            f.detail.starts_with(
                "10.0.9.0/27: 32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 4 \
                 (LB addresses of nodes with tasks) = 24 addresses for tasks; 24 tasks hold one → \
                 0 free, no more replicas fit"
            ),
            "{}",
            f.detail
        );
        // The first pass, with ubuntu-1's tasks: the seed's 32 − 3 − 1 − 5 = 23 < 24.
        assert!(f.detail.contains(
            "tk1706-ubuntu-1 had tasks rejected here and has no LB address; with tasks there too: \
             32 − 3 − 1 − 5 = 23 addresses for 24 tasks → 1 short"
        ));
        assert!(f
            .detail
            .contains("5 tasks rejected with \"node is missing network attachments"));
        assert!(f.detail.contains("(IPAM-01): 5 on tk1706-ubuntu-1"));
        // Addresses short: ubuntu-1's LB address.
        assert_eq!(f.count, 1);
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "tk1706-ubuntu-0/swarm/networks.json"
                && e.text == "ex_net IPAM Subnet 10.0.9.0/27 Gateway 10.0.9.1"));
        // Each LB address is where its node shows it.
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "tk1706-ubuntu-3/swarm/networks.json"
                && e.text == "ex_net lb-ex_net 10.0.9.29/27"));
        assert!(f.evidence.iter().any(|e| e
            .text
            .starts_with("task i64lee19ia6sy7q4kxa3obudo rejected on tk1706-ubuntu-1")));
        assert!(with(&fs, "SW302").is_empty(), "SW301 covers the subnet");
    }

    /// The lab's exhausted /27 (Docker 20.10, real capture): 28 tasks hold
    /// an address, the VIP one, no node shows an LB address (node1 has the
    /// network without lb-small, node3 does not have it), 2 tasks in `new`
    /// have none.
    #[test]
    fn sw301_on_the_lab_capture_counts_only_what_exists() {
        let fs = findings("testdata/lab/exhausted");
        let f = one(&fs, "SW301", "network small 10.50.0.0/27");
        assert!(
            f.detail.starts_with(
                "10.50.0.0/27: 32 − 3 (network, broadcast, gateway) − 1 (VIP of many) = 28 \
                 addresses for tasks; 30 tasks hold or need one (28 hold one, 2 have none yet); \
                 node1, node3 need an LB address too (tasks there, none in their network view) → \
                 0 free now, 4 short, no more replicas fit. node2 had tasks rejected here and has \
                 no LB address; with tasks there too: 32 − 3 − 1 − 3 = 25 addresses for 30 tasks \
                 → 5 short."
            ),
            "{}",
            f.detail
        );
        assert_eq!(f.count, 5, "2 task addresses and 3 LB addresses missing");
        let ev = |file: &str, text: &str| {
            f.evidence
                .iter()
                .any(|e| e.file == file && e.text.starts_with(text))
        };
        assert!(ev(
            "node1/swarm/networks.json",
            "small: Containers without lb-small"
        ));
        assert!(ev("node3/swarm/networks.json", "no network small"));
        assert!(ev(
            "node2/swarm/services.json",
            "many endpoint mode vip VIP 10.50.0.2"
        ));
    }

    #[test]
    fn lb_addresses_are_assumed_only_without_a_view() {
        // Without the bundles of ubuntu-3 and ubuntu-4 nothing tells
        // whether they hold their LB address.
        let dir = variant(FIRES, &[]);
        for n in ["tk1706-ubuntu-3", "tk1706-ubuntu-4"] {
            std::fs::remove_dir_all(dir.path().join(n)).expect("rm");
        }
        let fs = findings(dir.path());
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: 32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 2 (LB addresses of nodes with tasks) − 2 (LB addresses assumed: no network view of tk1706-ubuntu-3, tk1706-ubuntu-4) = 24 addresses for tasks; 24 tasks hold one → 0 free"), "{}", f.detail);
        assert!(
            f.detail
                .contains("with tasks there too: 32 − 3 − 1 − 3 − 2 (assumed) = 23 addresses"),
            "{}",
            f.detail
        );
        // A view without lb-ex_net: the node needs one. Before 18.06 the
        // engine never shows it, so it is assumed.
        let no_lb = |v: &mut Value| {
            let net = item(v, &["Name"], "ex_net");
            let cs = net["Containers"].as_object_mut().expect("Containers");
            cs.remove("lb-ex_net");
        };
        let dir = variant(FIRES, &[("tk1706-ubuntu-3/swarm/networks.json", &no_lb)]);
        let f = findings(dir.path());
        let f = one(&f, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.contains("− 3 (LB addresses of nodes with tasks) = 25 addresses for tasks; 24 tasks hold one; tk1706-ubuntu-3 needs an LB address too (tasks there, none in its network view) → 1 free now; once they get one, 0 free, no more replicas fit"), "{}", f.detail);
        let old = |v: &mut Value| {
            let n = item(v, &["Description", "Hostname"], "tk1706-ubuntu-3");
            n["Description"]["Engine"]["EngineVersion"] = json!("18.03.1-ce");
        };
        let dir = variant(
            FIRES,
            &[
                ("tk1706-ubuntu-3/swarm/networks.json", &no_lb),
                ("tk1706-ubuntu-0/swarm/nodes.json", &old),
            ],
        );
        let f = findings(dir.path());
        let f = one(&f, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.contains("− 3 (LB addresses of nodes with tasks) − 1 (LB addresses assumed: engine before 18.06 (no lb- endpoint) on tk1706-ubuntu-3) = 24 addresses"), "{}", f.detail);
    }

    #[test]
    fn a_24_with_the_same_tasks_is_quiet() {
        let fs = findings("tests/fixtures/checks/SW301/quiet");
        assert_eq!(ids(&fs, "SW30"), Vec::<String>::new());
    }

    #[test]
    fn sw302_when_two_addresses_are_left() {
        let fs = findings("tests/fixtures/checks/SW302/fires");
        let f = one(&fs, "SW302", "network ex_net 10.0.9.0/27");
        assert!(f.detail.contains("= 24 addresses for tasks; 22 tasks hold one → 2 free (6% of 32): 2 more replicas fit"), "{}", f.detail);
        assert_eq!(f.count, 2, "addresses free");
        assert!(with(&fs, "SW301").is_empty());
        assert_eq!(
            ids(&findings("tests/fixtures/checks/SW302/quiet"), "SW30"),
            Vec::<String>::new()
        );
    }

    fn ex_net(v: &mut Value) -> &mut Value {
        item(v, &["Name"], "ex_net")
    }

    #[test]
    fn ip_range_restricts_the_dynamic_range() {
        // The /24 of SW301/quiet with --ip-range 10.0.9.0/27: 32 addresses,
        // the network address and the gateway inside, the broadcast not.
        let set = |v: &mut Value| ex_net(v)["IPAM"]["Config"][0]["IPRange"] = json!("10.0.9.0/27");
        let dir = variant(
            "tests/fixtures/checks/SW301/quiet",
            &[("tk1706-ubuntu-0/swarm/networks.json", &set)],
        );
        let fs = findings(dir.path());
        let f = one(&fs, "SW302", "network ex_net 10.0.9.0/24");
        assert!(f.detail.starts_with("10.0.9.0/24 (ip-range 10.0.9.0/27): 32 − 2 (network, gateway) − 1 (VIP of ex_service) − 4 (LB addresses of nodes with tasks) = 25 addresses for tasks; 24 tasks hold one → 1 free"), "{}", f.detail);
    }

    #[test]
    fn docker_29_ipam_status_is_used_directly() {
        let status = |free: u64| move |v: &mut Value| ex_net(v)["Status"] = json!({"IPAM": {"Subnets": {"10.0.9.0/27": {"IPsInUse": 32 - free, "DynamicIPsAvailable": free}}}});
        let (none, two) = (status(0), status(2));
        let dir = variant(FIRES, &[("tk1706-ubuntu-0/swarm/networks.json", &none)]);
        let fs = findings(dir.path());
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: Status.IPAM.Subnets (Docker 29+ allocator) IPsInUse 32, DynamicIPsAvailable 0, used directly → 0 free, no more replicas fit. tk1706-ubuntu-1 had tasks rejected here and has no LB address; with tasks there too → 1 short"), "{}", f.detail);
        let dir = variant(FIRES, &[("tk1706-ubuntu-0/swarm/networks.json", &two)]);
        let fs = findings(dir.path());
        assert!(one(&fs, "SW302", "network ex_net 10.0.9.0/27")
            .detail
            .contains("DynamicIPsAvailable 2, used directly → 2 free"));
        assert!(with(&fs, "SW301").is_empty());
    }

    #[test]
    fn a_second_subnet_with_room_keeps_the_network_usable() {
        let add = |v: &mut Value| {
            let cfg = ex_net(v)["IPAM"]["Config"].as_array_mut().expect("Config");
            cfg.push(json!({"Subnet": "10.0.10.0/27", "Gateway": "10.0.10.1"}));
        };
        let dir = variant(FIRES, &[("tk1706-ubuntu-0/swarm/networks.json", &add)]);
        assert_eq!(ids(&findings(dir.path()), "SW30"), Vec::<String>::new());
    }

    #[test]
    fn dnsrr_services_take_no_vip() {
        let dnsrr = |v: &mut Value| {
            let s = item(v, &["Spec", "Name"], "ex_service");
            s["Spec"]["EndpointSpec"]["Mode"] = json!("dnsrr");
            s["Endpoint"]["Spec"]["Mode"] = json!("dnsrr");
        };
        let dir = variant(FIRES, &[("tk1706-ubuntu-0/swarm/services.json", &dnsrr)]);
        let fs = findings(dir.path());
        let f = one(&fs, "SW302", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: 32 − 3 (network, broadcast, gateway) − 4 (LB addresses of nodes with tasks) = 25 addresses"), "{}", f.detail);
    }

    /// SW301/fires with the leader (tk1706-ubuntu-0) on `version`.
    fn leader_on(version: &str) -> Vec<crate::finding::Finding> {
        let v = version.to_string();
        let set = move |n: &mut Value| {
            let leader = item(n, &["Description", "Hostname"], "tk1706-ubuntu-0");
            leader["Description"]["Engine"]["EngineVersion"] = json!(v.clone());
        };
        findings(variant(FIRES, &[("tk1706-ubuntu-0/swarm/nodes.json", &set)]).path())
    }

    #[test]
    fn the_leaders_version_decides_which_nodes_hold_lb_addresses() {
        // 17.10–18.06 leaders give every node one on every overlay, also to
        // ubuntu-1, which has no task there and so never set the network up.
        let fs = leader_on("18.06.1-ce");
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: 32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 4 (LB addresses of all nodes: 17.10–18.06 leader) − 1 (LB addresses assumed: network not set up on tk1706-ubuntu-1) = 23 addresses for tasks; 24 tasks hold one → 1 short"), "{}", f.detail);
        // Up to 17.09 none: 32 − 3 − 1 = 28 for 24 tasks, 4 free (12%).
        assert_eq!(
            ids(&leader_on("17.06.2-ee-15"), "SW30"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn seed_bundles() {
        let fs = findings("testdata/bundles/exhausted-27");
        assert_eq!(ids(&fs, "SW30"), ["SW301"]);
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.contains(
            "− 4 (LB addresses of nodes with tasks) = 24 addresses for tasks; 24 tasks hold one → 0 free"
        ));
        assert!(f
            .detail
            .contains("32 − 3 − 1 − 5 = 23 addresses for 24 tasks → 1 short"));
        for seed in ["vote-ingress", "upgrade-before", "upgrade-mid"] {
            let fs = findings(format!("testdata/bundles/{seed}"));
            assert_eq!(ids(&fs, "SW30"), Vec::<String>::new(), "{seed}");
        }
    }
}
