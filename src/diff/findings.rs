//! Findings by id and subject: new (only after), resolved (only before),
//! persisting (both).

use crate::finding::{Finding, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingsDiff {
    pub new: Vec<FindingChange>,
    /// Gone after, and the nodes it was seen on have an after bundle.
    pub resolved: Vec<FindingChange>,
    pub persisting: Vec<FindingChange>,
    /// Gone after, but none of its nodes has an after bundle: unknown.
    pub unobserved: Vec<FindingChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingChange {
    pub id: String,
    pub title: String,
    /// The after side's severity, or the before side's for resolved findings.
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub nodes_before: Vec<String>,
    pub nodes_after: Vec<String>,
    pub count_before: u64,
    pub count_after: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

type Key = (String, Option<String>);

/// `after_nodes`: hostnames (and labels) of the after side's bundles.
pub(super) fn diff(
    before: &[Finding],
    after: &[Finding],
    after_nodes: &BTreeSet<String>,
) -> FindingsDiff {
    let index = |fs: &[Finding]| -> BTreeMap<Key, Finding> {
        fs.iter()
            .map(|f| ((f.id.clone(), f.subject.clone()), f.clone()))
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let mut out = FindingsDiff::default();
    for (k, fa) in &a {
        let fb = b.get(k);
        let c = change(fb, Some(fa));
        match fb {
            Some(_) => out.persisting.push(c),
            None => out.new.push(c),
        }
    }
    for (k, fb) in &b {
        if a.contains_key(k) {
            continue;
        }
        let observed = fb.nodes.is_empty() || fb.nodes.iter().any(|n| after_nodes.contains(n));
        if observed {
            out.resolved.push(change(Some(fb), None));
        } else {
            out.unobserved.push(change(Some(fb), None));
        }
    }
    for list in [
        &mut out.new,
        &mut out.resolved,
        &mut out.persisting,
        &mut out.unobserved,
    ] {
        list.sort_by(|x, y| {
            y.severity
                .cmp(&x.severity)
                .then_with(|| x.id.cmp(&y.id))
                .then_with(|| x.subject.cmp(&y.subject))
        });
    }
    out
}

fn change(b: Option<&Finding>, a: Option<&Finding>) -> FindingChange {
    let main = a.or(b);
    let nodes = |f: Option<&Finding>| {
        f.map(|f| f.nodes.iter().cloned().collect())
            .unwrap_or_default()
    };
    FindingChange {
        id: main.map(|f| f.id.clone()).unwrap_or_default(),
        title: main.map(|f| f.title.clone()).unwrap_or_default(),
        severity: main.map(|f| f.severity).unwrap_or(Severity::Info),
        subject: main.and_then(|f| f.subject.clone()),
        nodes_before: nodes(b),
        nodes_after: nodes(a),
        count_before: b.map_or(0, |f| f.count),
        count_after: a.map_or(0, |f| f.count),
        first_seen: main.and_then(|f| f.first_seen),
        last_seen: main.and_then(|f| f.last_seen),
        detail: main.map(|f| f.detail.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, subject: Option<&str>, severity: Severity, nodes: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            title: format!("title of {id}"),
            severity,
            subject: subject.map(str::to_string),
            nodes: nodes.iter().map(|s| s.to_string()).collect(),
            count: nodes.len() as u64,
            first_seen: None,
            last_seen: None,
            detail: String::new(),
            evidence: Vec::new(),
            explanation: String::new(),
            remediation: String::new(),
            references: Vec::new(),
        }
    }

    #[test]
    fn new_resolved_and_persisting_by_id_and_subject() {
        let before = [
            f("RAFT-03", None, Severity::Info, &["n0"]),
            f("SW501", Some("test_client"), Severity::Error, &[]),
        ];
        let after = [
            f("RAFT-03", None, Severity::Info, &["n0", "n1"]),
            f("SW501", Some("test_service"), Severity::Error, &[]),
            f("IPAM-01", None, Severity::Error, &["n0", "n3"]),
        ];
        let after_nodes: BTreeSet<String> = ["n0".to_string(), "n1".to_string()].into();
        let d = diff(&before, &after, &after_nodes);
        let ids = |l: &[FindingChange]| {
            l.iter()
                .map(|c| {
                    format!(
                        "{}{}",
                        c.id,
                        c.subject
                            .as_deref()
                            .map(|s| format!("[{s}]"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&d.new), ["IPAM-01", "SW501[test_service]"]);
        assert_eq!(ids(&d.resolved), ["SW501[test_client]"]);
        assert_eq!(ids(&d.persisting), ["RAFT-03"]);
        assert_eq!(d.persisting[0].nodes_before, ["n0"]);
        assert_eq!(d.persisting[0].nodes_after, ["n0", "n1"]);
        assert_eq!((d.new[0].count_before, d.new[0].count_after), (0, 2));
        assert!(d.unobserved.is_empty());
    }

    #[test]
    fn a_finding_whose_nodes_have_no_after_bundle_is_not_resolved() {
        let before = [
            f("LB-11", None, Severity::Error, &["worker1"]),
            f("GOS-08", None, Severity::Error, &["manager1", "worker1"]),
        ];
        let after_nodes: BTreeSet<String> = ["manager1".to_string()].into();
        let d = diff(&before, &[], &after_nodes);
        assert_eq!(d.unobserved.len(), 1);
        assert_eq!(d.unobserved[0].id, "LB-11");
        assert_eq!(d.resolved.len(), 1);
        assert_eq!(d.resolved[0].id, "GOS-08");
    }
}
