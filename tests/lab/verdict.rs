//! Checks on the verdict of a JSON report, shared by the seed tests
//! (`tests/cli`) and the lab tests (`tests/lab_bundles.rs`, `lab_e2e.rs`).

#![allow(dead_code)] // each test binary uses part of it

use serde_json::Value;

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The ids of the root causes, in rank order.
pub fn root_ids(report: &Value) -> Vec<String> {
    arr(&report["root_causes"])
        .iter()
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect()
}

/// The root cause with this id.
pub fn root<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    arr(&report["root_causes"]).iter().find(|c| c["id"] == id)
}

/// The plain ids a root cause explains.
pub fn explains(cause: &Value) -> Vec<String> {
    arr(&cause["explains"])
        .iter()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

/// Every error or critical finding leads exactly one root cause or is in
/// the chain of exactly one; no guess is at error level; `explains` lists
/// the chain's ids.
pub fn invariant_problems(report: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let causes = arr(&report["root_causes"]);
    for f in arr(&report["findings"]) {
        if !matches!(f["severity"].as_str(), Some("error" | "critical")) {
            continue;
        }
        let (id, subject) = (&f["id"], &f["subject"]);
        let mut places = 0;
        for c in causes {
            let in_chain = arr(&c["chain"])
                .iter()
                .any(|e| &e["id"] == id && &e["subject"] == subject);
            let leads = c["id"] == *id
                && !in_chain
                && (subject.is_null() || arr(&c["subjects"]).contains(subject));
            places += usize::from(in_chain) + usize::from(leads);
        }
        if places != 1 {
            problems.push(format!(
                "{id} {subject} is in {places} root causes (want exactly 1): {:?}",
                root_ids(report)
            ));
        }
    }
    for c in causes {
        let mut chain_ids: Vec<&str> = arr(&c["chain"])
            .iter()
            .filter_map(|e| e["id"].as_str())
            .filter(|i| c["id"] != *i)
            .collect();
        chain_ids.sort();
        chain_ids.dedup();
        let mut listed = explains(c);
        listed.sort();
        if chain_ids != listed {
            problems.push(format!(
                "{}: explains {listed:?} but chain {chain_ids:?}",
                c["id"]
            ));
        }
    }
    for g in arr(&report["guesses"]) {
        let id = &g["id"];
        for f in arr(&report["findings"]).iter().filter(|f| &f["id"] == id) {
            if matches!(f["severity"].as_str(), Some("error" | "critical")) {
                problems.push(format!("guess {id} is reported as {}", f["severity"]));
            }
        }
    }
    problems
}

/// Ids that mean "this kernel has no IPVS".
pub const NO_IPVS: &[&str] = &["SW601", "KMOD-01", "SW108"];

/// The root causes other than the one "no IPVS" cause, after checking
/// there is exactly one of those when `ipvs_missing` (and that no other
/// root cause is an IPVS id).
pub fn without_no_ipvs(
    report: &Value,
    ipvs_missing: bool,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let ids = root_ids(report);
    let ipvs: Vec<&String> = ids
        .iter()
        .filter(|i| NO_IPVS.contains(&i.as_str()))
        .collect();
    if ipvs_missing && ipvs.len() != 1 {
        problems.push(format!("want one \"no IPVS\" root cause, got {ids:?}"));
    }
    if let Some(c) = ipvs.first().and_then(|id| root(report, id)) {
        let listed = explains(c);
        let present: Vec<String> = arr(&report["findings"])
            .iter()
            .filter_map(|f| f["id"].as_str())
            .filter(|i| NO_IPVS.contains(i) && c["id"] != *i)
            .map(String::from)
            .collect();
        for id in present {
            if !listed.contains(&id) {
                problems.push(format!(
                    "the no-IPVS cause {} does not explain {id}",
                    c["id"]
                ));
            }
        }
    }
    ids.into_iter()
        .filter(|i| !NO_IPVS.contains(&i.as_str()))
        .collect()
}
