//! Findings: what the rules and checks report, deduplicated and sorted so that
//! the same input always renders to the same bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub nodes: BTreeSet<String>,
    pub count: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// Specific facts of this instance (e.g. the address arithmetic); may be empty.
    #[serde(skip_serializing_if = "String::is_empty")]
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
        self.evidence.sort();
        self.evidence.dedup();
        self.evidence.truncate(MAX_EVIDENCE);
        self.severity = self.severity.max(other.severity);
    }
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
pub fn consolidate(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: std::collections::BTreeMap<(String, Option<String>), Finding> =
        std::collections::BTreeMap::new();
    for f in findings {
        let key = (f.id.clone(), f.subject.clone());
        match merged.get_mut(&key) {
            Some(existing) => existing.merge(f),
            None => {
                let mut f = f;
                f.evidence.sort();
                f.evidence.dedup();
                f.evidence.truncate(MAX_EVIDENCE);
                merged.insert(key, f);
            }
        }
    }
    let mut out: Vec<Finding> = merged.into_values().collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    out
}
