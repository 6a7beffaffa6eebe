//! Root causes by id: appeared (only after), cleared (only before, and its
//! nodes have an after bundle), spread (both, and after it reaches nodes
//! that had a bundle before without it).

use crate::verdict::RootCause;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, Serialize)]
pub struct RootCausesDiff {
    pub appeared: Vec<RootCauseChange>,
    pub cleared: Vec<RootCauseChange>,
    pub spread: Vec<RootCauseChange>,
}

impl RootCausesDiff {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.cleared.is_empty() && self.spread.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RootCauseChange {
    pub id: String,
    pub title: String,
    /// The after side's severity, or the before side's when cleared.
    pub severity: crate::finding::Severity,
    pub subjects: Vec<String>,
    /// Nodes it and what it explains touch, on each side.
    pub affected_before: Vec<String>,
    pub affected_after: Vec<String>,
    /// Nodes after that had a bundle before and were not affected then.
    pub nodes_added: Vec<String>,
    /// What it explains after (before, when cleared).
    pub explains: Vec<String>,
}

fn change(before: Option<&RootCause>, after: Option<&RootCause>) -> Option<RootCauseChange> {
    let c = after.or(before)?;
    let nodes = |r: Option<&RootCause>| -> Vec<String> {
        r.map(|r| r.affected.iter().cloned().collect())
            .unwrap_or_default()
    };
    Some(RootCauseChange {
        id: c.id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        subjects: c.subjects.clone(),
        affected_before: nodes(before),
        affected_after: nodes(after),
        nodes_added: Vec::new(),
        explains: c.explains.clone(),
    })
}

/// `before_nodes`/`after_nodes`: hostnames and labels of each side's bundles.
pub(super) fn diff(
    before: &[RootCause],
    after: &[RootCause],
    before_nodes: &BTreeSet<String>,
    after_nodes: &BTreeSet<String>,
) -> RootCausesDiff {
    let index = |v: &[RootCause]| -> BTreeMap<String, RootCause> {
        v.iter().map(|c| (c.id.clone(), c.clone())).collect()
    };
    let (b, a) = (index(before), index(after));
    let mut out = RootCausesDiff::default();
    for (id, ca) in &a {
        match b.get(id) {
            None => out.appeared.extend(change(None, Some(ca))),
            Some(cb) => {
                let added: Vec<String> = ca
                    .affected
                    .iter()
                    .filter(|n| !cb.affected.contains(*n) && before_nodes.contains(*n))
                    .cloned()
                    .collect();
                if !added.is_empty() {
                    if let Some(mut c) = change(Some(cb), Some(ca)) {
                        c.nodes_added = added;
                        out.spread.push(c);
                    }
                }
            }
        }
    }
    for (id, cb) in &b {
        // Gone after is only known where the after side has a bundle.
        if !a.contains_key(id) && cb.affected.iter().any(|n| after_nodes.contains(n)) {
            out.cleared.extend(change(Some(cb), None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn cause(id: &str, affected: &[&str]) -> RootCause {
        RootCause {
            id: id.into(),
            title: "t".into(),
            severity: Severity::Error,
            subjects: Vec::new(),
            nodes: BTreeSet::new(),
            affected: affected.iter().map(|n| n.to_string()).collect(),
            explains: Vec::new(),
            chain: Vec::new(),
            fix: String::new(),
            confidence: crate::verdict::Confidence::High,
            confirm: String::new(),
            breadth: Default::default(),
            first_seen: None,
            evidence: Vec::new(),
        }
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// Spread counts only nodes that had a bundle before; a cause gone
    /// from nodes without an after bundle is not cleared.
    #[test]
    fn spread_and_cleared_need_bundles_on_the_nodes() {
        let all = set(&["n1", "n2", "n3"]);
        let d = diff(
            &[cause("SW605", &["n1"])],
            &[cause("SW605", &["n1", "n2", "n9"])],
            &all,
            &all,
        );
        assert_eq!(d.spread.len(), 1);
        assert_eq!(d.spread[0].nodes_added, ["n2"]);
        let d = diff(&[cause("SW405", &["n3"])], &[], &all, &set(&["n1"]));
        assert!(d.cleared.is_empty());
        let d = diff(&[cause("SW405", &["n3"])], &[], &all, &all);
        assert_eq!(d.cleared[0].id, "SW405");
    }
}
