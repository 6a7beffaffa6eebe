//! Findings: what the rules and checks report, deduplicated and sorted so that
//! the same input always renders to the same bytes.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::OffsetDateTime;

/// How bad a finding is. Ordered: `Info < Warning < Error < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence: a line (or whole file, `line == 0`) of a bundle file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Evidence {
    /// Node-qualified path, e.g. `node1/logs/dockerd.log`.
    pub file: String,
    /// 1-based line; 0 when the evidence is a derived fact about the whole file.
    pub line: usize,
    pub text: String,
}

/// How many evidence lines a finding keeps; the count keeps counting past it.
pub const MAX_EVIDENCE: usize = 10;

/// A detected problem. One finding per rule (or check) and subject; `nodes`
/// lists every node where it was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// What the finding is about when a rule can fire for several things
    /// (a service, a network, a published port); `None` for log signatures.
    pub subject: Option<String>,
    pub nodes: BTreeSet<String>,
    pub count: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// Specific facts of this instance (e.g. the address arithmetic); may be empty.
    pub detail: String,
    pub evidence: Vec<Evidence>,
    pub explanation: String,
    pub remediation: String,
    pub references: Vec<String>,
}

impl Finding {
    /// Folds `other` (same id and subject) into `self`.
    pub fn merge(&mut self, other: Finding) {
        self.nodes.extend(other.nodes);
        self.count += other.count;
        self.first_seen = min_time(self.first_seen, other.first_seen);
        self.last_seen = max_time(self.last_seen, other.last_seen);
        if self.detail.is_empty() {
            self.detail = other.detail;
        } else if !other.detail.is_empty() && !self.detail.contains(&other.detail) {
            self.detail.push('\n');
            self.detail.push_str(&other.detail);
        }
        self.evidence.extend(other.evidence);
        cap_evidence(&mut self.evidence);
        self.severity = self.severity.max(other.severity);
    }
}

/// Sorts, dedups and caps evidence at [`MAX_EVIDENCE`] so that every node
/// keeps some: lines are taken from each node in turn (its first, then its
/// last, then its second…), so a finding seen on five nodes quotes all five
/// and each node's earliest and latest lines go first.
fn cap_evidence(evidence: &mut Vec<Evidence>) {
    evidence.sort();
    evidence.dedup();
    if evidence.len() <= MAX_EVIDENCE {
        return;
    }
    let mut by_node: BTreeMap<&str, Vec<&Evidence>> = BTreeMap::new();
    for e in evidence.iter() {
        let node = e.file.split_once('/').map_or("", |(n, _)| n);
        by_node.entry(node).or_default().push(e);
    }
    // Each node's lines in the order they are wanted: first, last, second…
    let mut queues: Vec<std::collections::VecDeque<&Evidence>> =
        by_node.into_values().map(Into::into).collect();
    let mut kept = Vec::with_capacity(MAX_EVIDENCE);
    let mut from_front = vec![true; queues.len()];
    while kept.len() < MAX_EVIDENCE {
        for (q, front) in queues.iter_mut().zip(&mut from_front) {
            let next = if *front { q.pop_front() } else { q.pop_back() };
            *front = !*front;
            if let Some(e) = next {
                if kept.len() < MAX_EVIDENCE {
                    kept.push(e.clone());
                }
            }
        }
    }
    kept.sort();
    *evidence = kept;
}

/// Prefixes the detail lines of a one-node finding with that node, unless
/// the line already names it.
fn name_node_in_detail(f: &mut Finding) {
    let (Some(node), 1) = (f.nodes.first(), f.nodes.len()) else {
        return;
    };
    if f.detail.is_empty() {
        return;
    }
    f.detail = f
        .detail
        .lines()
        .map(|l| {
            if l.contains(node.as_str()) {
                l.to_string()
            } else {
                format!("{node}: {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
}

fn min_time(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Merges findings with the same id and subject, then sorts them: most severe
/// first, then by id and subject. The order is total, so output is stable.
/// When single-node findings with different details merge, each detail line
/// that does not name its node is prefixed with it, so per-node facts stay
/// readable; equal details are kept once.
pub fn consolidate(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: BTreeMap<(String, Option<String>), Vec<Finding>> = BTreeMap::new();
    for f in findings {
        groups
            .entry((f.id.clone(), f.subject.clone()))
            .or_default()
            .push(f);
    }
    let mut out: Vec<Finding> = Vec::with_capacity(groups.len());
    for (_, mut group) in groups {
        // Equal details are cluster-wide already (log rules total their
        // captured values over every node); only differing ones need names.
        let differ = group.iter().any(|f| f.detail != group[0].detail);
        if differ {
            group.iter_mut().for_each(name_node_in_detail);
        }
        let mut group = group.into_iter();
        let Some(mut f) = group.next() else { continue };
        cap_evidence(&mut f.evidence);
        group.for_each(|other| f.merge(other));
        out.push(f);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_finding(node: &str, lines: std::ops::Range<usize>, detail: &str) -> Finding {
        Finding {
            id: "LB-07".into(),
            title: "t".into(),
            severity: Severity::Warning,
            subject: None,
            nodes: [node.to_string()].into(),
            count: lines.len() as u64,
            first_seen: None,
            last_seen: None,
            detail: detail.into(),
            evidence: lines
                .map(|line| Evidence {
                    file: format!("{node}/logs/dockerd.log"),
                    line,
                    text: format!("line {line}"),
                })
                .collect(),
            explanation: String::new(),
            remediation: String::new(),
            references: Vec::new(),
        }
    }

    /// Three nodes with ten lines each: every node keeps its first and last
    /// line, and equal per-node details both survive, each naming its node.
    #[test]
    fn merging_keeps_every_node_in_evidence_and_detail() {
        let merged = consolidate(vec![
            log_finding("node1", 1..11, "sbox=lb_4c59 (1×)"),
            log_finding("node2", 101..111, "sbox=lb_4c59 (1×)"),
            log_finding("node3", 201..211, "sbox=lb_4c59 (2×), ingress (1×)"),
        ]);
        assert_eq!(merged.len(), 1);
        let f = &merged[0];
        assert_eq!(f.count, 30);
        assert_eq!(f.evidence.len(), MAX_EVIDENCE);
        for (node, first, last) in [("node1", 1, 10), ("node2", 101, 110), ("node3", 201, 210)] {
            let lines: Vec<usize> = f
                .evidence
                .iter()
                .filter(|e| e.file.starts_with(node))
                .map(|e| e.line)
                .collect();
            assert!(
                lines.contains(&first) && lines.contains(&last),
                "{node}: {lines:?}"
            );
        }
        assert!(f.evidence.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(
            f.detail,
            "node1: sbox=lb_4c59 (1×)\nnode2: sbox=lb_4c59 (1×)\nnode3: sbox=lb_4c59 (2×), ingress (1×)"
        );
    }

    /// A lone finding keeps its detail as is, equal details (cluster-wide
    /// totals) are kept once, and a detail that names its node is not
    /// prefixed again.
    #[test]
    fn lone_or_self_naming_details_are_left_alone() {
        let lone = consolidate(vec![log_finding("node1", 1..3, "sbox=x (2×)")]);
        assert_eq!(lone[0].detail, "sbox=x (2×)");
        let same = consolidate(vec![
            log_finding("node1", 1..2, "service=many (28×)"),
            log_finding("node2", 1..2, "service=many (28×)"),
        ]);
        assert_eq!(same[0].detail, "service=many (28×)");
        let named = consolidate(vec![
            log_finding("node1", 1..2, "node1: overlay MTU"),
            log_finding("node2", 1..2, "node2: overlay MTU"),
        ]);
        assert_eq!(named[0].detail, "node1: overlay MTU\nnode2: overlay MTU");
    }
}
