//! The committed lab bundles (`testdata/lab`, captured by
//! `tests/lab/capture.sh` from real dockerd nodes): `swarmdiag diff` and
//! `swarmdiag timeline` show each real fault between its before and after
//! bundles. The same checks run on fresh bundles in `tests/lab_e2e.rs`;
//! these need no root and no dockerd.

#[path = "lab/pairs.rs"]
mod pairs;

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
