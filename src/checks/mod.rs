//! Cross-source checks: the control plane against each node's data plane.
//!
//! Each check is one file with a doc comment saying what it detects, why it
//! breaks traffic and how to fix it. Its metadata (title, severity,
//! explanation, remediation, references) lives in `rules/checks.toml` under
//! the same id, so `rules list` and `rules explain` cover it. A check that
//! lacks the input it needs says so through `Checks::not_run` instead of
//! guessing.

pub mod chains;
#[cfg(test)]
mod cluster_testing;
mod duplicate_ip;
mod firewall_walk;
mod gossip_peers;
mod host_facts;
#[cfg(test)]
mod host_test_util;
mod ingress_chain;
pub(crate) mod ingress_dnat;
mod ingress_sbox_missing;
mod ip_forward;
mod kernel_modules;
mod lb_chain;
mod lb_marks;
mod nft_walk;
pub mod no_ipvs;
mod node_facts;
mod node_health;
mod overlay_mtu;
mod raft_quorum;
mod service_health;
mod subnet_accounting;
mod subnet_capacity;
mod subnet_overlap;
mod swarm_ports_firewalled;
mod tasks_stuck;
mod upgrade_networks;
mod upgrade_order;
pub mod util;
mod vip_missing;
mod weight_zero;

use crate::finding::{Evidence, Finding};
use crate::model::Cluster;
use crate::report::NotRun;
use crate::rules::RuleSet;
use rayon::prelude::*;
use std::collections::BTreeSet;

/// A check: reads the cluster, reports through `out`.
pub type CheckFn = fn(&Cluster, &mut Checks);

/// Every check, in id order of the first id it reports.
pub const CHECKS: &[(&str, CheckFn)] = &[
    ("SW101", vip_missing::check),
    ("SW102", lb_chain::check),
    ("SW104", weight_zero::check),
    ("SW105", lb_marks::check),
    ("SW107", duplicate_ip::check),
    ("SW108", no_ipvs::check),
    ("SW201", ingress_dnat::check),
    ("SW202", ingress_chain::check),
    ("SW204", ingress_sbox_missing::check),
    ("SW301", subnet_capacity::check),
    ("SW401", upgrade_order::check),
    ("SW404", node_health::check),
    ("SW407", raft_quorum::check),
    ("SW501", service_health::check),
    ("SW502", tasks_stuck::check),
    ("SW601", kernel_modules::check_ipvs),
    ("SW602", kernel_modules::check_br_netfilter),
    ("SW603", ip_forward::check),
    ("SW604", overlay_mtu::check),
    ("SW605", swarm_ports_firewalled::check),
    ("SW606", subnet_overlap::check),
    ("SW701", gossip_peers::check),
];

/// Collects the findings and not-run notes of the checks.
pub struct Checks<'r> {
    rules: &'r RuleSet,
    pub findings: Vec<Finding>,
    pub not_run: Vec<NotRun>,
}

impl<'r> Checks<'r> {
    pub fn new(rules: &'r RuleSet) -> Self {
        Checks {
            rules,
            findings: Vec::new(),
            not_run: Vec::new(),
        }
    }

    /// Reports check `id` about `subject` on `nodes`, with the metadata from
    /// `rules/checks.toml`. `detail` holds the facts of this instance (the
    /// arithmetic, the addresses); `evidence` points at the lines behind it.
    pub fn report(
        &mut self,
        id: &str,
        subject: Option<String>,
        nodes: &[&str],
        count: u64,
        detail: String,
        evidence: Vec<Evidence>,
    ) {
        let Some(mut f) = self.rules.finding_template(id) else {
            // An unknown id is a programming error; keep the fact visible anyway.
            self.findings.push(Finding {
                id: id.to_string(),
                title: format!("{id} (no metadata in rules/checks.toml)"),
                severity: crate::finding::Severity::Error,
                subject,
                nodes: nodes.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>(),
                count,
                first_seen: None,
                last_seen: None,
                detail,
                evidence,
                explanation: String::new(),
                remediation: String::new(),
                references: Vec::new(),
            });
            return;
        };
        f.subject = subject;
        f.nodes = nodes.iter().map(|n| n.to_string()).collect();
        f.count = count;
        f.detail = detail;
        f.evidence = evidence;
        self.findings.push(f);
    }

    /// Records that check `id` could not run, and why (the missing input).
    pub fn not_run(&mut self, id: &str, reason: impl Into<String>) {
        self.not_run.push(NotRun {
            id: id.to_string(),
            reason: reason.into(),
        });
    }
}

/// Runs every check over the cluster.
/// The checks are independent: they run on every core, and their findings
/// are joined in the order of [`CHECKS`], as one by one.
pub fn run(cluster: &Cluster, rules: &RuleSet) -> (Vec<Finding>, Vec<NotRun>) {
    let each: Vec<Checks> = CHECKS
        .par_iter()
        .map(|(_, check)| {
            let mut out = Checks::new(rules);
            check(cluster, &mut out);
            out
        })
        .collect();
    let mut out = Checks::new(rules);
    for part in each {
        out.findings.extend(part.findings);
        out.not_run.extend(part.not_run);
    }
    out.not_run.sort();
    out.not_run.dedup();
    (out.findings, out.not_run)
}

/// Evidence pointing at a line of a file: `file` is node-qualified.
pub fn evidence(file: impl Into<String>, line: usize, text: impl Into<String>) -> Evidence {
    Evidence {
        file: file.into(),
        line,
        text: text.into(),
    }
}

#[cfg(test)]
mod fixture_tests {
    use std::path::Path;

    /// Every check listed in rules/checks.toml has a fixture that fires it and
    /// one that stays quiet, and both behave so through the whole pipeline.
    /// The check must also have run on every node of both: a quiet fixture
    /// where it was not run (an input missing) proves nothing, and a firing
    /// one should not hide a skipped node. No fixture here is about not-run;
    /// those cases live in the checks' own tests (e.g. SW101's
    /// `missing_namespace_when_the_manifest_shows_the_walk`).
    #[test]
    fn every_check_has_a_firing_and_a_quiet_fixture() {
        let rules = crate::load_rules(None).expect("rules load");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checks");
        let checks: Vec<&str> = rules
            .rules()
            .iter()
            .filter(|r| r.check)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(checks.len(), 33);
        let mut bad = Vec::new();
        for id in checks {
            for (case, want) in [("fires", true), ("quiet", false)] {
                let dir = root.join(id).join(case);
                assert!(dir.is_dir(), "{id}: no fixture {}", dir.display());
                let a = crate::analyze::analyze(
                    std::slice::from_ref(&dir),
                    &rules,
                    &Default::default(),
                )
                .unwrap_or_else(|e| panic!("{id}/{case}: {e}"));
                let got = a.findings.iter().any(|f| f.id == id);
                assert_eq!(got, want, "{id}/{case}: fired = {got}");
                let skipped: Vec<&str> = a
                    .coverage
                    .not_run
                    .iter()
                    .filter(|n| n.id == id)
                    .map(|n| n.reason.as_str())
                    .collect();
                if !skipped.is_empty() {
                    bad.push(format!("{id}/{case}: not run: {skipped:?}"));
                }
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }
}
