//! `--output` never lands on a customer's data: not inside an input
//! directory bundle or cluster directory, not on an input archive, not on a
//! hard link of an input; and it is written atomically.

use super::{bin, pack, testdata};
use std::path::Path;

/// Copies a testdata bundle directory (recursively) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs `analyze INPUT --output OUT` and asserts exit 2 with one line
/// naming --output, and that `victim` is unchanged.
fn assert_refused(inputs: &[&Path], out: &Path, victim: &Path) {
    let before = std::fs::read(victim).unwrap();
    let o = bin()
        .arg("analyze")
        .args(inputs)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{out:?}: {err}");
    assert!(err.contains("--output"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(victim).unwrap(), before, "{victim:?} changed");
}

#[test]
fn output_inside_an_input_directory_bundle_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node");
    copy_dir(&testdata("bundles/partial-logs-only"), &node);
    let victim = node.join("logs/dockerd.log");
    assert_refused(&[&node], &victim, &victim);
    // Spelled with `..` and through a symlinked directory, too.
    let dotted = node.join("logs/../logs/dockerd.log");
    assert_refused(&[&node], &dotted, &victim);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&node, &link).unwrap();
    assert_refused(&[&node], &link.join("logs/dockerd.log"), &victim);
    // A new file inside the bundle would be read as part of it next time.
    let o = bin()
        .arg("analyze")
        .arg(&node)
        .arg("--output")
        .arg(node.join("report.txt"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!node.join("report.txt").exists());
}

#[test]
fn output_onto_a_member_of_an_input_cluster_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("set");
    copy_dir(&testdata("bundles/exhausted-27"), &set);
    let victim = set.join("tk1706-ubuntu-2/swarm/services.json");
    assert!(victim.exists());
    assert_refused(&[&set], &victim, &victim);
}

#[test]
fn output_onto_a_hard_link_of_an_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = pack::zip_dir(
        &testdata("bundles/partial-logs-only"),
        &tmp.path().join("b.zip"),
    );
    let link = tmp.path().join("report.txt");
    std::fs::hard_link(&zip, &link).unwrap();
    assert_refused(&[&zip], &link, &zip);
    // A hard link of a file inside an input directory bundle.
    let node = tmp.path().join("node");
    copy_dir(&testdata("bundles/partial-logs-only"), &node);
    let victim = node.join("logs/dockerd.log");
    let link2 = tmp.path().join("report2.txt");
    std::fs::hard_link(&victim, &link2).unwrap();
    assert_refused(&[&node], &link2, &victim);
}

#[test]
fn output_through_a_symlink_onto_an_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = pack::zip_dir(
        &testdata("bundles/partial-logs-only"),
        &tmp.path().join("b.zip"),
    );
    let link = tmp.path().join("report.txt");
    std::os::unix::fs::symlink(&zip, &link).unwrap();
    assert_refused(&[&zip], &link, &zip);
}

/// The report is written to a temporary file beside the output and renamed
/// over it: an output that is a symlink elsewhere is replaced, not written
/// through, and no temporary file stays behind.
#[test]
fn output_is_written_atomically_by_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, "keep me").unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("report.json");
    std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
    let o = bin()
        .arg("analyze")
        .arg(testdata("bundles/partial-logs-only"))
        .args(["--format", "json", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{o:?}"
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep me");
    assert!(!out.symlink_metadata().unwrap().file_type().is_symlink());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(report["findings"].is_array());
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
}
