//! Test helpers for the host and gossip checks: run the real pipeline on a
//! fixture or seed directory and pick findings by id.

use crate::analyze::{analyze, Analysis};
use crate::finding::Finding;
use std::path::{Path, PathBuf};

pub fn fixture(id: &str, kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/checks")
        .join(id)
        .join(kind)
}

pub fn seed(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bundles")
        .join(scenario)
}

pub fn analyze_dir(dir: &Path) -> Analysis {
    let rules = crate::load_rules(None).expect("embedded rules load");
    analyze(&[dir.to_path_buf()], &rules, &Default::default())
        .unwrap_or_else(|e| panic!("analyze {}: {e}", dir.display()))
}

pub fn findings_of<'a>(a: &'a Analysis, id: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.id == id).collect()
}

/// Ids of our checks found in an analysis, for the seed-bundle assertions.
pub fn ids_among(a: &Analysis, ids: &[&str]) -> Vec<String> {
    a.findings
        .iter()
        .filter(|f| ids.contains(&f.id.as_str()))
        .map(|f| format!("{} {:?}: {}", f.id, f.subject, f.detail))
        .collect()
}

/// upgrade-mid: ubuntu-0 and ubuntu-3 hold only rejected tasks with
/// test_default addresses and are rightly absent from its Peers.
#[test]
fn upgrade_mid_rejected_tasks_are_no_gossip_members() {
    let a = analyze_dir(&seed("upgrade-mid"));
    assert!(ids_among(&a, &["SW701", "SW702"]).is_empty());
    let rejected_on_0 = a.cluster.tasks.iter().any(|t| {
        t.state == "rejected"
            && t.node_id == "t7felwp30mvi4n910z2y3u1cu"
            && t.attachments
                .iter()
                .any(|x| x.network_name == "test_default")
    });
    assert!(rejected_on_0, "the trap is in the data");
}
