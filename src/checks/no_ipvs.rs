//! SW108 lb-chain-impossible-no-ipvs.
//!
//! ## What it detects
//! A node whose kernel has no IPVS: `ipvsadm -Ln` in its namespaces says
//! `Can't initialize ipvs: Protocol not available` (the collector keeps that
//! in `netns/*/ipvsadm.txt.stderr`), or its daemon logged KMOD-01
//! ([`from_log`]). `host/modules.txt` without `ip_vs` is quoted as support,
//! never as proof (IPVS may be built into the kernel).
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

use super::util::{file_fact, no_ipvs};
use super::Checks;
use crate::finding::Finding;
use crate::model::{Cluster, NodeState};
use crate::parse::lsmod::Module;
use crate::rules::RuleSet;

const ID: &str = "SW108";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for node in &cluster.nodes {
        let broken = no_ipvs(node);
        if broken.is_empty() {
            if !node.netns.is_empty() && !node.netns.values().any(|n| n.ipvs.is_some()) {
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

/// Ids whose state cannot exist without IPVS.
const CONSEQUENCES: &[&str] = &[
    "SW101", "SW102", "SW103", "SW104", "SW105", "SW106", "SW201", "SW202", "SW203",
];

/// SW108 from the daemon log: every node where the log rules found KMOD-01,
/// no SW108 came from its namespaces and no `ipvsadm.txt` shows a working
/// IPVS (the module may have been loaded since). The load-balancer findings
/// of those nodes are dropped as consequences. Checks cannot see log
/// findings, so the pipeline calls this with all findings so far.
pub fn from_log(findings: &mut Vec<Finding>, cluster: &Cluster, rules: &RuleSet) {
    let mut out = Checks::new(rules);
    let reported: Vec<String> = findings
        .iter()
        .filter(|f| f.id == ID)
        .flat_map(|f| f.nodes.iter().cloned())
        .collect();
    for f in findings.iter().filter(|f| f.id == "KMOD-01") {
        for label in f.nodes.iter().filter(|l| !reported.contains(l)) {
            let node = cluster.nodes.iter().find(|n| &n.label == label);
            if node.is_some_and(ipvs_works) {
                continue;
            }
            let host = node.map(|n| n.hostname.as_str()).unwrap_or(label);
            let prefix = format!("{label}/");
            let evidence: Vec<_> = f
                .evidence
                .iter()
                .filter(|e| e.file.starts_with(&prefix))
                .cloned()
                .collect();
            let first = evidence
                .first()
                .map(|e| format!(", first at {}:{}", e.file, e.line))
                .unwrap_or_default();
            let detail = format!(
                "the daemon log on {host} has KMOD-01 ({} line(s){first}): the kernel has no IPVS.{SKIPPED}",
                f.count
            );
            let subject = Some(format!("node {host}"));
            out.report(ID, subject, &[label], f.count, detail, evidence);
        }
    }
    let silenced: Vec<&String> = out.findings.iter().flat_map(|f| &f.nodes).collect();
    findings.retain(|f| {
        !(CONSEQUENCES.contains(&f.id.as_str()) && f.nodes.iter().all(|n| silenced.contains(&n)))
    });
    findings.extend(out.findings);
}

/// Some namespace's `ipvsadm -Ln` printed its table: IPVS works now.
fn ipvs_works(node: &NodeState) -> bool {
    node.netns
        .values()
        .filter_map(|ns| ns.ipvs.as_ref())
        .any(|i| i.available && (i.version.is_some() || !i.services.is_empty()))
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

    /// KMOD-01 in the log, then ip_vs loaded: ipvsadm lists services, so
    /// the log line is history, not the node's state.
    #[test]
    fn no_verdict_from_an_old_log_line_when_ipvs_works() {
        let rules = crate::load_rules(None).unwrap();
        let a = analyze(&fixture("SW108", "quiet"));
        let mut findings = a.findings.clone();
        let kmod = rules.finding_template("KMOD-01").map(|mut f| {
            f.nodes.insert("manager1".into());
            f.count = 1;
            f
        });
        findings.extend(kmod);
        let before = findings.len();
        super::from_log(&mut findings, &a.cluster, &rules);
        assert_eq!(findings.len(), before);
        assert!(!findings.iter().any(|f| f.id == "SW108"));
    }

    /// KMOD-01 and no ipvsadm output: SW108 replaces the node's SW201.
    #[test]
    fn log_verdict_drops_the_consequences() {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture("SW201", "fires"), tmp.path());
        std::fs::remove_file(tmp.path().join("worker1/netns/ingress_sbox/ipvsadm.txt")).unwrap();
        let a = analyze(tmp.path());
        assert_eq!(by_id(&a, "SW201").len(), 1);
        let rules = crate::load_rules(None).unwrap();
        let mut findings = a.findings.clone();
        findings.extend(rules.finding_template("KMOD-01").map(|mut f| {
            f.nodes.insert("worker1".into());
            f.count = 2;
            f
        }));
        super::from_log(&mut findings, &a.cluster, &rules);
        assert!(!findings.iter().any(|f| f.id == "SW201"));
        let sw108: Vec<_> = findings.iter().filter(|f| f.id == "SW108").collect();
        assert_eq!(sw108.len(), 1);
        assert!(sw108[0]
            .detail
            .starts_with("the daemon log on worker1 has KMOD-01 (2 line(s))"));
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
