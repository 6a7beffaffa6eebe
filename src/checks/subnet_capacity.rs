//! SW301 overlay-subnet-exhausted, SW302 overlay-subnet-nearly-exhausted:
//! the address arithmetic of every overlay subnet.
//!
//! ## What it detects
//! An overlay subnet (or its `--ip-range`) with no address left for tasks, or
//! with tasks wanting more addresses than exist (SW301), or with less than
//! 10% of its dynamic range free (SW302). The arithmetic is signatures.md
//! §4.5: size − network − broadcast − gateway − one VIP per vip-mode service
//! − one load-balancer address per node (nodes with tasks on 18.09+ leaders,
//! every node on 17.10–18.06 leaders and always on ingress) − one per
//! non-terminal task or attachment. On Docker 29+ the manager reports the
//! allocator's own count (`Status.IPAM.Subnets`), used as is.
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
use std::collections::BTreeSet;

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
            .filter(|p| !p.vips.is_empty() || p.wanting() > 0)
        {
            let free = p.free();
            let id = match free {
                f if f <= 0 && total_free - f.max(0) <= 0 => "SW301",
                f if f * 10 < p.size as i64 && total_free * 10 < total_size => "SW302",
                _ => continue,
            };
            let detail = describe(c, &acc, p);
            let mut nodes: BTreeSet<&str> = p.lbs.iter().map(String::as_str).collect();
            let rejected_on = acc.rejected.iter().filter(|t| !t.node_id.is_empty());
            nodes.extend(rejected_on.filter_map(|t| c.hostname_of(&t.node_id)));
            let nodes: Vec<&str> = nodes.into_iter().collect();
            let subject = format!("network {} {}", net.name, p.subnet);
            out.report(
                id,
                Some(subject),
                &nodes,
                p.wanting(),
                detail,
                proof(c, net, &acc, p),
            );
        }
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

/// The arithmetic, the what-if for nodes left without an LB address, and
/// the task symptoms.
fn describe(c: &Cluster, acc: &Account, p: &Pool) -> String {
    let range = p
        .range
        .map(|r| format!(" (ip-range {r})"))
        .unwrap_or_default();
    let want = match p.attachments {
        0 => format!("{} tasks", p.tasks),
        a => format!("{} tasks and {a} attachments", p.tasks),
    };
    let mut s = match p.status {
        Some(st) => {
            let mut s = format!(
                "{}{range}: Status.IPAM.Subnets (Docker 29+ allocator) IPsInUse {}, DynamicIPsAvailable {}, used directly",
                p.subnet, st.ips_in_use, st.dynamic_ips_available
            );
            if p.unplaced > 0 {
                s.push_str(&format!("; {} tasks have no address yet", p.unplaced));
            }
            s
        }
        None => format!(
            "{}{range}: {} = {} addresses for tasks; {want} want one",
            p.subnet,
            terms(p, acc.rule, 0, false),
            p.for_tasks()
        ),
    };
    s.push_str(&format!(" → {}", outcome(p, p.free(), acc.rule)));
    if acc.pools.len() == 1 && p.status.is_none() && !acc.idle.is_empty() {
        let n = acc.idle.len();
        let left = p.for_tasks() - n as i64;
        let after = left - p.wanting() as i64;
        s.push_str(&format!(
            ". {} had tasks rejected here and {} no LB address; with tasks there too: {} = {left} addresses for {} tasks → {}",
            acc.idle.join(", "),
            if n == 1 { "has" } else { "have" },
            terms(p, acc.rule, n, true),
            p.wanting(),
            if after < 0 { format!("{} short", -after) } else { format!("{after} free") }
        ));
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

/// `32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 5 (…)`;
/// `short` drops the labels.
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
                 (LB addresses of nodes with tasks) = 24 addresses for tasks; 24 tasks want one → 0 free"
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
        assert_eq!(f.count, 24);
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "tk1706-ubuntu-0/swarm/networks.json"
                && e.text == "ex_net IPAM Subnet 10.0.9.0/27 Gateway 10.0.9.1"));
        assert!(f.evidence.iter().any(|e| e
            .text
            .starts_with("task i64lee19ia6sy7q4kxa3obudo rejected on tk1706-ubuntu-1")));
        assert!(with(&fs, "SW302").is_empty(), "SW301 covers the subnet");
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
        assert!(f.detail.contains("= 24 addresses for tasks; 22 tasks want one → 2 free (6% of 32): 2 more replicas fit"), "{}", f.detail);
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
        assert!(f.detail.starts_with("10.0.9.0/24 (ip-range 10.0.9.0/27): 32 − 2 (network, gateway) − 1 (VIP of ex_service) − 4 (LB addresses of nodes with tasks) = 25 addresses for tasks; 24 tasks want one → 1 free"), "{}", f.detail);
    }

    #[test]
    fn docker_29_ipam_status_is_used_directly() {
        let status = |free: u64| move |v: &mut Value| ex_net(v)["Status"] = json!({"IPAM": {"Subnets": {"10.0.9.0/27": {"IPsInUse": 32 - free, "DynamicIPsAvailable": free}}}});
        let (none, two) = (status(0), status(2));
        let dir = variant(FIRES, &[("tk1706-ubuntu-0/swarm/networks.json", &none)]);
        let fs = findings(dir.path());
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: Status.IPAM.Subnets (Docker 29+ allocator) IPsInUse 32, DynamicIPsAvailable 0, used directly → 0 free"), "{}", f.detail);
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
        // 17.10–18.06 leaders give every node one on every overlay.
        let fs = leader_on("18.06.1-ce");
        let f = one(&fs, "SW301", "network ex_net 10.0.9.0/27");
        assert!(f.detail.starts_with("10.0.9.0/27: 32 − 3 (network, broadcast, gateway) − 1 (VIP of ex_service) − 5 (LB addresses of all nodes: 17.10–18.06 leader) = 23 addresses for tasks; 24 tasks want one → 1 short"), "{}", f.detail);
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
        assert!(one(&fs, "SW301", "network ex_net 10.0.9.0/27")
            .detail
            .contains("= 24 addresses for tasks; 24 tasks want one → 0 free"));
        for seed in ["vote-ingress", "upgrade-before", "upgrade-mid"] {
            let fs = findings(format!("testdata/bundles/{seed}"));
            assert_eq!(ids(&fs, "SW30"), Vec::<String>::new(), "{seed}");
        }
    }
}
