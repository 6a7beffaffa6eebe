//! Test helpers of the cluster checks: run the real pipeline on a fixture,
//! or on a copy of one with a JSON edit.

use crate::finding::Finding;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Findings of `analyze` on a directory (relative to the crate root, or absolute).
pub fn findings(dir: impl AsRef<Path>) -> Vec<Finding> {
    let rules = crate::load_rules(None).expect("embedded rules load");
    let path = root().join(dir);
    crate::analyze::analyze(&[path], &rules, &Default::default())
        .expect("analysis runs")
        .findings
}

/// Findings with `id`.
pub fn with<'a>(fs: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    fs.iter().filter(|f| f.id == id).collect()
}

/// The only finding with `id` about `subject`.
pub fn one<'a>(fs: &'a [Finding], id: &str, subject: &str) -> &'a Finding {
    let hits: Vec<&Finding> = fs
        .iter()
        .filter(|f| f.id == id && f.subject.as_deref() == Some(subject))
        .collect();
    assert_eq!(hits.len(), 1, "{id} {subject}: {fs:#?}");
    hits[0]
}

/// Ids among the findings that start with `prefix`.
pub fn ids(fs: &[Finding], prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = fs
        .iter()
        .filter(|f| f.id.starts_with(prefix))
        .map(|f| f.id.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A copy of fixture `dir` in a temporary directory, with `edit` applied to
/// the parsed JSON of file `rel` (relative to `dir`).
/// An edit of one fixture file: its path and what to do to its JSON.
pub type Edit<'a> = (&'a str, &'a dyn Fn(&mut Value));

pub fn variant(dir: &str, edits: &[Edit]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy(&root().join(dir), tmp.path());
    for (rel, edit) in edits {
        let path = tmp.path().join(rel);
        let text = std::fs::read_to_string(&path).expect("fixture file");
        let mut v: Value = serde_json::from_str(&text).expect("fixture JSON");
        edit(&mut v);
        let out = serde_json::to_string_pretty(&v).expect("JSON");
        std::fs::write(&path, out).expect("write");
    }
    tmp
}

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("fixture dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// The array element whose `key` path (e.g. `["Spec", "Name"]`) equals `value`.
pub fn item<'a>(v: &'a mut Value, key: &[&str], value: &str) -> &'a mut Value {
    let arr = v.as_array_mut().expect("array");
    arr.iter_mut()
        .find(|i| key.iter().try_fold(&**i, |acc, k| acc.get(k)) == Some(&Value::from(value)))
        .unwrap_or_else(|| panic!("no item with {key:?} = {value}"))
}
