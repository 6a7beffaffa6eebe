//! The committed lab bundles (`testdata/lab`, captured by
//! `tests/lab/capture.sh` from real dockerd nodes): `swarmdiag diff` and
//! `swarmdiag timeline` show each real fault between its before and after
//! bundles, and `swarmdiag analyze` reports each scenario's expected
//! findings. The same checks run on fresh bundles in `tests/lab_e2e.rs`;
//! these need no root and no dockerd.

#[path = "lab/expect.rs"]
mod expect;
#[path = "lab/pairs.rs"]
mod pairs;
#[path = "lab/verdict.rs"]
mod verdict;

use expect::{check_analyze, node_dirs, EXPECTED};

use std::path::{Path, PathBuf};

fn lab() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lab")
}

#[test]
fn lab_pairs_show_their_fault_in_diff_and_timeline() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let failures = pairs::check_pairs(&bin, &lab());
    assert!(
        failures.is_empty(),
        "{} check(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The checks can fail: swapping the sides of a pair breaks them.
#[test]
fn lab_pair_checks_fail_on_swapped_sides() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let tmp = tempfile::tempdir().unwrap();
    for (a, b) in [
        ("daemon-down", "daemon-restart"),
        ("drained-before", "drained"),
        ("gossip-blocked-before", "gossip-blocked"),
    ] {
        std::os::unix::fs::symlink(lab().join(a), tmp.path().join(b)).unwrap();
        std::os::unix::fs::symlink(lab().join(b), tmp.path().join(a)).unwrap();
    }
    let failures = pairs::check_pairs(&bin, tmp.path());
    for want in [
        "daemon-down → daemon-restart: diff nodes[] lacks node3 state down → ready",
        "drained-before → drained: diff nodes[] lacks node3 availability active → drain",
        "gossip-blocked-before → gossip-blocked: SW605 not new",
        "gossip-blocked-before: ",
    ] {
        assert!(
            failures.iter().any(|f| f.starts_with(want)),
            "no failure starting {want:?} in {failures:#?}"
        );
    }
}

/// Whether the kernel the capture ran on lacked IPVS, by ipvsadm's own
/// verdict (its stderr in each namespace), not by the log rule under test.
fn capture_lacks_ipvs(scenario: &Path) -> bool {
    node_dirs(scenario).iter().any(|node| {
        std::fs::read_dir(node.join("netns"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|ns| {
                std::fs::read_to_string(ns.path().join("ipvsadm.txt.stderr"))
                    .is_ok_and(|e| !e.trim().is_empty())
            })
    })
}

#[test]
fn lab_scenarios_report_their_expected_findings() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let mut failures = Vec::new();
    for expect in EXPECTED {
        let dir = lab().join(expect.scenario);
        assert_eq!(
            node_dirs(&dir).len(),
            3,
            "{}: 3 node bundles",
            dir.display()
        );
        failures.extend(check_analyze(&bin, expect, &dir, capture_lacks_ipvs(&dir)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The expectations can fail: each scenario's bundles checked against
/// another scenario's row miss something (healthy lacks the faults).
#[test]
fn lab_expectations_fail_on_the_wrong_scenario() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_swarmdiag"));
    let healthy = lab().join("healthy");
    for expect in EXPECTED
        .iter()
        .filter(|e| !e.all.iter().all(|id| *id == "KMOD-01"))
    {
        let failures = check_analyze(&bin, expect, &healthy, true);
        assert!(
            !failures.is_empty(),
            "{}'s expectations hold on the healthy capture",
            expect.scenario
        );
    }
}
