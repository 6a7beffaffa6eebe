//! SW108 lb-chain-impossible-no-ipvs.
//!
//! ## What it detects
//! A node whose kernel has no IPVS: `ipvsadm -Ln` in its namespaces says
//! `Can't initialize ipvs: Protocol not available` (the collector keeps that
//! in `netns/*/ipvsadm.txt.stderr`), or its daemon logged KMOD-01 and no
//! `ipvsadm -Ln` shows a working table since. `host/modules.txt` without
//! `ip_vs` is quoted as support, never as proof (IPVS may be built into the
//! kernel). The predicate is [`lacks_ipvs`], which the chain checks use to
//! skip the node.
//!
//! ## Why it breaks traffic
//! Service VIPs and ingress-published ports are IPVS fwmark services. With no
//! IPVS, libnetwork gives up before it programs marks, VIP aliases, IPVS
//! services and the host's DOCKER-INGRESS DNAT, so every VIP and published
//! port handled by this node fails while task-to-task overlay traffic works.
//! The other load-balancer checks (SW101–SW106, SW201–SW203) skip such a
//! node: every hop they would report missing is a consequence of this one.
//!
//! ## How to fix
//! Load `ip_vs` and `ip_vs_rr` (or use a kernel built with `CONFIG_IP_VS`),
//! then restart the daemon so it programs the load balancers.

use super::util::{file_fact, ipvs_failures, lacks_ipvs};
use super::Checks;
use crate::model::{Cluster, NodeState};
use crate::parse::lsmod::Module;

const ID: &str = "SW108";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for node in &cluster.nodes {
        let broken = ipvs_failures(node);
        if broken.is_empty() {
            if lacks_ipvs(node) {
                from_log(node, out);
            } else if !node.netns.is_empty() && !node.netns.values().any(|n| n.ipvs.is_some()) {
                out.not_run(ID, format!("no netns/*/ipvsadm.txt on {}", node.hostname));
            }
            continue;
        }
        let names: Vec<&str> = broken.iter().map(|(ns, _)| *ns).collect();
        let message = broken
            .iter()
            .map(|(_, e)| *e)
            .find(|e| !e.is_empty())
            .unwrap_or("ipvsadm cannot initialise");
        let mut evidence: Vec<_> = broken
            .iter()
            .map(|(ns, e)| {
                let stderr = format!("netns/{ns}/ipvsadm.txt.stderr");
                let rel = if node.present.contains(&stderr) {
                    stderr
                } else {
                    format!("netns/{ns}/ipvsadm.txt")
                };
                file_fact(node, &rel, *e)
            })
            .collect();
        let mut detail = format!(
            "ipvsadm cannot initialise IPVS in {} namespace(s) on {} ({}): {message}.",
            names.len(),
            node.hostname,
            names.join(", ")
        );
        detail.push_str(&modules_note(node, &mut evidence));
        detail.push_str(SKIPPED);
        out.report(
            ID,
            Some(format!("node {}", node.hostname)),
            &[&node.label],
            names.len() as u64,
            detail,
            evidence,
        );
    }
}

const SKIPPED: &str = " No VIP or routing-mesh state can exist on this node; \
    SW101–SW106 and SW201–SW203 are not evaluated here.";

/// What `host/modules.txt` says about `ip_vs`, as a sentence for the detail.
fn modules_note(node: &NodeState, evidence: &mut Vec<crate::finding::Evidence>) -> String {
    let Some(mods) = &node.host_modules else {
        return String::new();
    };
    match Module::find(mods, "ip_vs") {
        None => {
            evidence.push(file_fact(
                node,
                "host/modules.txt",
                "no ip_vs module loaded",
            ));
            " host/modules.txt lists no ip_vs module.".into()
        }
        Some(m) => {
            evidence.push(super::evidence(
                node.file("host/modules.txt"),
                m.line,
                format!("{} {}", m.name, m.size),
            ));
            " Yet host/modules.txt lists ip_vs: IPVS may be unusable here for another reason."
                .into()
        }
    }
}

/// SW108 from the daemon log alone (KMOD-01 on this node, no ipvsadm
/// verdict either way): bundles with only logs, or taken without netns.
fn from_log(node: &NodeState, out: &mut Checks) {
    let evidence = node
        .log_signatures
        .get("KMOD-01")
        .cloned()
        .unwrap_or_default();
    let first = evidence
        .first()
        .map(|e| format!(", first at {}:{}", e.file, e.line))
        .unwrap_or_default();
    let detail = format!(
        "the daemon log on {} has KMOD-01 ({} line(s) quoted{first}): the kernel has no IPVS.{SKIPPED}",
        node.hostname,
        evidence.len()
    );
    let subject = Some(format!("node {}", node.hostname));
    out.report(ID, subject, &[&node.label], 1, detail, evidence);
}

#[cfg(test)]
mod tests {
    use crate::checks::util::testing::{analyze, by_id, fixture, seed};

    #[test]
    fn fires_on_the_collectors_stderr_file() {
        let a = analyze(&fixture("SW108", "fires"));
        let f = by_id(&a, "SW108");
        assert_eq!(f.len(), 1);
        let f = f[0];
        assert_eq!(f.subject.as_deref(), Some("node node1"));
        assert!(f
            .detail
            .contains("2 namespace(s) on node1 (ingress_sbox, lb_b5q64lm01)"));
        assert!(f
            .detail
            .contains("Can't initialize ipvs: Protocol not available"));
        assert!(f
            .evidence
            .iter()
            .any(|e| e.file == "node1/netns/lb_b5q64lm01/ipvsadm.txt.stderr"));
        // The chain it makes impossible is not listed hop by hop.
        for id in [
            "SW101", "SW102", "SW103", "SW105", "SW201", "SW202", "SW203",
        ] {
            assert!(
                by_id(&a, id).is_empty(),
                "{id} reported on a node without IPVS"
            );
        }
    }

    /// Without the stderr files (nothing says IPVS is missing) the same node
    /// shows the broken chain hop by hop: that is what SW108 replaces.
    #[test]
    fn the_same_node_without_the_verdict_floods() {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture("SW108", "fires"), tmp.path());
        for ns in ["ingress_sbox", "lb_b5q64lm01"] {
            let p = tmp
                .path()
                .join(format!("node1/netns/{ns}/ipvsadm.txt.stderr"));
            std::fs::remove_file(p).unwrap();
        }
        let a = analyze(tmp.path());
        assert!(by_id(&a, "SW108").is_empty());
        for id in ["SW101", "SW201", "SW202"] {
            assert!(!by_id(&a, id).is_empty(), "{id} expected without SW108");
        }
    }

    fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                copy_tree(&e.path(), &dest);
            } else {
                std::fs::copy(e.path(), dest).unwrap();
            }
        }
    }

    #[test]
    fn modules_support_or_contradict() {
        let mut node = crate::model::NodeState {
            label: "n1".into(),
            ..Default::default()
        };
        let mut ev = Vec::new();
        assert_eq!(super::modules_note(&node, &mut ev), "");
        node.host_modules = Some(crate::parse::lsmod::parse(
            "Module                  Size  Used by\nvxlan                  77824  0\n",
        ));
        assert!(super::modules_note(&node, &mut ev).contains("lists no ip_vs"));
        node.host_modules = Some(crate::parse::lsmod::parse(
            "Module                  Size  Used by\nip_vs                 172032  9 ip_vs_rr,xt_ipvs\n",
        ));
        assert!(super::modules_note(&node, &mut ev).contains("Yet host/modules.txt lists ip_vs"));
        assert_eq!(ev[1].line, 2);
        assert_eq!(ev[1].file, "n1/host/modules.txt");
    }

    #[test]
    fn quiet_when_ipvsadm_lists_services() {
        let a = analyze(&fixture("SW108", "quiet"));
        assert!(by_id(&a, "SW108").is_empty());
    }

    #[test]
    fn seeds_have_ipvs() {
        for s in [
            "vote-ingress",
            "upgrade-before",
            "upgrade-mid",
            "exhausted-27",
        ] {
            assert!(by_id(&analyze(&seed(s)), "SW108").is_empty(), "{s}");
        }
    }

    const KMOD_LINE: &str = "time=\"2024-05-09T07:41:02.331245118Z\" level=error msg=\"Could not get ipvs family information from the kernel. It is possible that ipvs is not enabled in your kernel. Native loadbalancing will not work until this is fixed.\"\n";

    fn with_kmod_log(fixture_dir: &std::path::Path, node: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(fixture_dir, tmp.path());
        let logs = tmp.path().join(node).join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("dockerd.log"), KMOD_LINE).unwrap();
        tmp
    }

    /// KMOD-01 in the log, then ip_vs loaded: ipvsadm lists services, so
    /// the log line is history, not the node's state.
    #[test]
    fn no_verdict_from_an_old_log_line_when_ipvs_works() {
        let tmp = with_kmod_log(&fixture("SW108", "quiet"), "manager1");
        let a = analyze(tmp.path());
        assert_eq!(by_id(&a, "KMOD-01").len(), 1, "the log line is matched");
        assert!(by_id(&a, "SW108").is_empty());
    }

    /// KMOD-01 and no ipvsadm output: SW108 replaces the node's SW201.
    #[test]
    fn log_verdict_drops_the_consequences() {
        let tmp = with_kmod_log(&fixture("SW201", "fires"), "worker1");
        std::fs::remove_file(tmp.path().join("worker1/netns/ingress_sbox/ipvsadm.txt")).unwrap();
        let log = tmp.path().join("worker1/logs/dockerd.log");
        std::fs::write(&log, "").unwrap();
        assert_eq!(
            by_id(&analyze(tmp.path()), "SW201").len(),
            1,
            "without the log line"
        );
        std::fs::write(&log, KMOD_LINE).unwrap();
        let a = analyze(tmp.path());
        assert!(by_id(&a, "SW201").is_empty(), "SW201 is a consequence");
        let sw108 = by_id(&a, "SW108");
        assert_eq!(sw108.len(), 1);
        assert!(
            sw108[0]
                .detail
                .starts_with("the daemon log on worker1 has KMOD-01 (1 line(s) quoted, first at worker1/logs/dockerd.log:1)"),
            "{}",
            sw108[0].detail
        );
        assert_eq!(sw108[0].evidence[0].file, "worker1/logs/dockerd.log");
    }

    #[test]
    fn from_the_daemon_log_on_partial_logs_only() {
        let a = analyze(&seed("partial-logs-only"));
        let f = by_id(&a, "SW108");
        assert_eq!(f.len(), 1, "KMOD-01 must give SW108");
        assert!(f[0].detail.contains("KMOD-01"));
        assert_eq!(f[0].nodes.len(), 1);
        assert!(f[0]
            .evidence
            .iter()
            .all(|e| e.file.ends_with("logs/dockerd.log")));
    }
}
