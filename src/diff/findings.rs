//! Findings by id and subject: new (only after), spread (both, and after
//! names a node that had a bundle before without it), resolved (only
//! before), quiet (both, but nothing after the before side was collected),
//! persisting (both, still occurring or not timed).

use crate::finding::{Finding, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingsDiff {
    pub new: Vec<FindingChange>,
    /// On both sides, and after it is on nodes that had a bundle before
    /// without it (`nodes_added`): it reached more nodes.
    pub spread: Vec<FindingChange>,
    /// Gone after, and the nodes it was seen on have an after bundle.
    pub resolved: Vec<FindingChange>,
    /// On both sides, but its last occurrence after is no later than the
    /// before side's collection (`quiet_since`): it stopped.
    pub quiet: Vec<FindingChange>,
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
    /// Nodes after that had a bundle before where it was not seen (`spread`).
    pub nodes_added: Vec<String>,
    pub count_before: u64,
    pub count_after: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// For `quiet`: the before side's latest collection time; the after side
    /// saw no occurrence later than it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub quiet_since: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

type Key = (String, Option<String>);

/// What is known of the sides besides their findings.
pub(super) struct Sides<'a> {
    /// Hostnames (and labels) of the before side's bundles.
    pub before_nodes: &'a BTreeSet<String>,
    /// Hostnames (and labels) of the after side's bundles.
    pub after_nodes: &'a BTreeSet<String>,
    /// The before side's latest `collected_at`.
    pub before_collected: Option<OffsetDateTime>,
}

pub(super) fn diff(before: &[Finding], after: &[Finding], sides: &Sides) -> FindingsDiff {
    let index = |fs: &[Finding]| -> BTreeMap<Key, Finding> {
        fs.iter()
            .map(|f| ((f.id.clone(), f.subject.clone()), f.clone()))
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let mut out = FindingsDiff::default();
    for (k, fa) in &a {
        let Some(fb) = b.get(k) else {
            out.new.push(change(None, Some(fa)));
            continue;
        };
        let mut c = change(Some(fb), Some(fa));
        // Only nodes whose bundle was there before: absent before is known.
        c.nodes_added = fa
            .nodes
            .iter()
            .filter(|n| !fb.nodes.contains(*n) && sides.before_nodes.contains(*n))
            .cloned()
            .collect();
        let stopped = match (fa.last_seen, sides.before_collected) {
            (Some(last), Some(collected)) => last <= collected,
            _ => false,
        };
        if !c.nodes_added.is_empty() {
            out.spread.push(c);
        } else if stopped {
            c.quiet_since = sides.before_collected;
            out.quiet.push(c);
        } else {
            out.persisting.push(c);
        }
    }
    for (k, fb) in &b {
        if a.contains_key(k) {
            continue;
        }
        let observed =
            fb.nodes.is_empty() || fb.nodes.iter().any(|n| sides.after_nodes.contains(n));
        if observed {
            out.resolved.push(change(Some(fb), None));
        } else {
            out.unobserved.push(change(Some(fb), None));
        }
    }
    for list in [
        &mut out.new,
        &mut out.spread,
        &mut out.resolved,
        &mut out.quiet,
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
        nodes_added: Vec::new(),
        count_before: b.map_or(0, |f| f.count),
        count_after: a.map_or(0, |f| f.count),
        first_seen: main.and_then(|f| f.first_seen),
        last_seen: main.and_then(|f| f.last_seen),
        quiet_since: None,
        detail: main.map(|f| f.detail.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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

    fn names(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn ids(l: &[FindingChange]) -> Vec<String> {
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
            .collect()
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
        // n1 has no bundle before: RAFT-03 there is not known to be new.
        let sides = Sides {
            before_nodes: &names(&["n0"]),
            after_nodes: &names(&["n0", "n1"]),
            before_collected: None,
        };
        let d = diff(&before, &after, &sides);
        assert_eq!(ids(&d.new), ["IPAM-01", "SW501[test_service]"]);
        assert_eq!(ids(&d.resolved), ["SW501[test_client]"]);
        assert_eq!(ids(&d.persisting), ["RAFT-03"]);
        assert_eq!(d.persisting[0].nodes_before, ["n0"]);
        assert_eq!(d.persisting[0].nodes_after, ["n0", "n1"]);
        assert!(d.persisting[0].nodes_added.is_empty());
        assert_eq!((d.new[0].count_before, d.new[0].count_after), (0, 2));
        assert!(d.unobserved.is_empty() && d.spread.is_empty() && d.quiet.is_empty());
    }

    #[test]
    fn a_finding_reaching_a_node_that_had_a_bundle_before_has_spread() {
        let before = [f("IPAM-01", None, Severity::Error, &["u0"])];
        let after = [f("IPAM-01", None, Severity::Error, &["u0", "u3", "u9"])];
        let sides = Sides {
            before_nodes: &names(&["u0", "u3"]),
            after_nodes: &names(&["u0", "u3", "u9"]),
            before_collected: None,
        };
        let d = diff(&before, &after, &sides);
        assert_eq!(ids(&d.spread), ["IPAM-01"]);
        // u9 had no bundle before: unknown there, not part of the spread.
        assert_eq!(d.spread[0].nodes_added, ["u3"]);
        assert!(d.persisting.is_empty() && d.new.is_empty());
        // Fewer nodes after is not a spread.
        let d = diff(&after, &before, &sides);
        assert_eq!(ids(&d.persisting), ["IPAM-01"]);
    }

    #[test]
    fn a_finding_with_nothing_after_the_before_collection_is_quiet() {
        let collected = datetime!(2026-11-22 02:55:10 UTC);
        let timed = |last| {
            let mut x = f("LB-07", None, Severity::Warning, &["node3"]);
            x.last_seen = Some(last);
            x
        };
        let sides = Sides {
            before_nodes: &names(&["node3"]),
            after_nodes: &names(&["node3"]),
            before_collected: Some(collected),
        };
        let before = [timed(datetime!(2026-11-22 02:54:52 UTC))];
        // The after log still holds the old lines, and nothing newer.
        let d = diff(
            &before,
            &[timed(datetime!(2026-11-22 02:54:52 UTC))],
            &sides,
        );
        assert_eq!(ids(&d.quiet), ["LB-07"]);
        assert_eq!(d.quiet[0].quiet_since, Some(collected));
        // One line after the before collection: still occurring.
        let d = diff(
            &before,
            &[timed(datetime!(2026-11-22 02:55:11 UTC))],
            &sides,
        );
        assert_eq!(ids(&d.persisting), ["LB-07"]);
        assert_eq!(d.persisting[0].quiet_since, None);
        // Untimed findings (checks) and sides without a collection time persist.
        let untimed = [f(
            "SW108",
            Some("node node3"),
            Severity::Critical,
            &["node3"],
        )];
        let d = diff(&untimed, &untimed, &sides);
        assert_eq!(ids(&d.persisting), ["SW108[node node3]"]);
        let unknown = Sides {
            before_collected: None,
            ..sides
        };
        let d = diff(&before, &before, &unknown);
        assert_eq!(ids(&d.persisting), ["LB-07"]);
    }

    #[test]
    fn a_finding_whose_nodes_have_no_after_bundle_is_not_resolved() {
        let before = [
            f("LB-11", None, Severity::Error, &["worker1"]),
            f("GOS-08", None, Severity::Error, &["manager1", "worker1"]),
        ];
        let sides = Sides {
            before_nodes: &names(&["manager1", "worker1"]),
            after_nodes: &names(&["manager1"]),
            before_collected: None,
        };
        let d = diff(&before, &[], &sides);
        assert_eq!(d.unobserved.len(), 1);
        assert_eq!(d.unobserved[0].id, "LB-11");
        assert_eq!(d.resolved.len(), 1);
        assert_eq!(d.resolved[0].id, "GOS-08");
    }
}
