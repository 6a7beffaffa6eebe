//! What a matcher remembers per (rule, node): the count, the time span, the
//! first and last evidence lines, and the distinct values of named captures
//! (for `distinct = "task"` rules, per task, so each task counts once).
//! Accumulators merge, so threads can each keep their own.

use crate::finding::{Evidence, Finding, MAX_EVIDENCE};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Evidence lines kept from the start; the rest come from the end.
const FIRST: usize = MAX_EVIDENCE.div_ceil(2);
const LAST: usize = MAX_EVIDENCE - FIRST;
/// Evidence text is cut to this many characters.
pub const MAX_TEXT: usize = 400;
/// Distinct values tracked per capture; more are only counted.
const MAX_VALUES: usize = 1024;
/// Distinct values shown per capture in `detail`.
const SHOWN_VALUES: usize = 5;
/// Captured values are cut to this many characters.
const MAX_VALUE: usize = 120;
/// Distinct tasks tracked per (rule, node); more are counted one per record.
const MAX_TASKS: usize = 100_000;

/// Evidence ordered by (file, line): within a log file that is time order,
/// and it does not depend on how lines were split across threads.
type Key = (String, usize);

#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub count: u64,
    /// Some line was at level warning or above, or had no level: a rule
    /// below its threshold is only a weak signal when it saw such a line.
    pub notable: bool,
    pub first_seen: Option<OffsetDateTime>,
    pub last_seen: Option<OffsetDateTime>,
    first: Vec<(Key, String)>,
    last: Vec<(Key, String)>,
    pub captures: Captures,
    /// `distinct = "task"` rules: what was captured per task (by task id, or
    /// `file:line` for a record naming no task). Counted at the end, across
    /// nodes, so a task seen in a log and in the tasks dump counts once.
    pub tasks: BTreeMap<String, TaskSeen>,
    /// `distinct = "task"` records beyond `MAX_TASKS`: each counts on its own
    /// (its values went to `captures`).
    pub untracked_tasks: u64,
}

/// Distinct values of each named capture, with how often each was seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captures(BTreeMap<String, Values>);

#[derive(Debug, Clone, Default)]
struct Values {
    counts: BTreeMap<String, u64>,
    /// Matches whose value was not tracked (beyond `MAX_VALUES`).
    untracked: u64,
}

/// What one task's records captured: from daemon log lines, and from the
/// tasks dump (whose `service` is the service's name).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskSeen {
    pub log: BTreeMap<String, String>,
    pub dump: BTreeMap<String, String>,
}

impl TaskSeen {
    pub fn merge(&mut self, other: TaskSeen) {
        for (k, v) in other.log {
            self.log.entry(k).or_insert(v);
        }
        for (k, v) in other.dump {
            self.dump.entry(k).or_insert(v);
        }
    }
}

impl Acc {
    /// Records one occurrence. `text` is only called when the line is kept.
    pub fn add(
        &mut self,
        file: &str,
        line: usize,
        time: Option<OffsetDateTime>,
        text: impl FnOnce() -> String,
    ) {
        self.count += 1;
        if let Some(t) = time {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
        let wants_first =
            self.first.len() < FIRST || self.first.last().is_some_and(|(k, _)| less(file, line, k));
        let wants_last = self.last.len() < LAST
            || self
                .last
                .first()
                .is_some_and(|(k, _)| less_key(k, file, line));
        if !(wants_first || wants_last) {
            return;
        }
        let text = cap_text(&text(), MAX_TEXT);
        let key = (file.to_string(), line);
        if wants_first {
            insert_sorted(&mut self.first, (key.clone(), text.clone()));
            self.first.truncate(FIRST);
        }
        if wants_last {
            insert_sorted(&mut self.last, (key, text));
            if self.last.len() > LAST {
                self.last.remove(0);
            }
        }
    }

    /// Counts one captured value.
    pub fn capture(&mut self, name: &str, value: &str) {
        self.captures.add(name, value);
    }

    /// Records the values a `distinct = "task"` rule captured for task `key`
    /// (from the tasks dump when `from_dump`, else from a log record).
    pub fn task(&mut self, key: &str, from_dump: bool, values: &[(&str, &str)]) {
        if !self.tasks.contains_key(key) && self.tasks.len() >= MAX_TASKS {
            self.untracked_tasks += 1;
            for (name, value) in values {
                self.captures.add(name, value);
            }
            return;
        }
        let seen = match self.tasks.get_mut(key) {
            Some(seen) => seen,
            None => self.tasks.entry(key.to_string()).or_default(),
        };
        let side = if from_dump {
            &mut seen.dump
        } else {
            &mut seen.log
        };
        for (name, value) in values {
            if !side.contains_key(*name) {
                side.insert(name.to_string(), cap_text(value, MAX_VALUE));
            }
        }
    }

    pub fn merge(&mut self, other: Acc) {
        self.count += other.count;
        self.notable |= other.notable;
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
        for e in other.first {
            insert_sorted(&mut self.first, e);
        }
        self.first.dedup_by(|a, b| a.0 == b.0);
        self.first.truncate(FIRST);
        for e in other.last {
            insert_sorted(&mut self.last, e);
        }
        self.last.dedup_by(|a, b| a.0 == b.0);
        let excess = self.last.len().saturating_sub(LAST);
        self.last.drain(..excess);
        self.captures.merge(&other.captures);
        for (key, seen) in other.tasks {
            match self.tasks.get_mut(&key) {
                Some(mine) => mine.merge(seen),
                None => {
                    self.tasks.insert(key, seen);
                }
            }
        }
        self.untracked_tasks += other.untracked_tasks;
    }

    /// The highest count of one value of capture `name` (for `per`).
    pub fn max_per(&self, name: &str) -> u64 {
        self.captures
            .0
            .get(name)
            .and_then(|v| v.counts.values().max().copied())
            .unwrap_or(0)
    }

    /// First and last evidence, in (file, line) order, without duplicates.
    pub fn evidence(&self) -> Vec<Evidence> {
        let mut all: Vec<&(Key, String)> = self.first.iter().chain(&self.last).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.dedup_by(|a, b| a.0 == b.0);
        all.into_iter()
            .map(|((file, line), text)| Evidence {
                file: file.clone(),
                line: *line,
                text: text.clone(),
            })
            .collect()
    }

    /// The finding for `rule` on `node` from this accumulator, with `detail`
    /// (the matcher describes the captures of every node at once).
    pub fn into_finding(self, rule: &super::Rule, node: &str, detail: String) -> Finding {
        let mut f = super::template(rule);
        if !node.is_empty() {
            f.nodes.insert(node.to_string());
        }
        f.count = self.count;
        f.first_seen = self.first_seen;
        f.last_seen = self.last_seen;
        f.detail = detail;
        f.evidence = self.evidence();
        f
    }
}

impl Captures {
    /// Counts one value of capture `name`.
    pub fn add(&mut self, name: &str, value: &str) {
        let values = match self.0.get_mut(name) {
            Some(v) => v,
            None => self.0.entry(name.to_string()).or_default(),
        };
        if value.len() <= MAX_VALUE {
            values.add(value, 1);
        } else {
            values.add(&cap_text(value, MAX_VALUE), 1);
        }
    }

    pub fn merge(&mut self, other: &Captures) {
        for (name, values) in &other.0 {
            let mine = self.0.entry(name.clone()).or_default();
            for (v, n) in &values.counts {
                mine.add(v, *n);
            }
            mine.untracked += values.untracked;
        }
    }

    /// One line per capture: `peer=198.18.0.12 (14×), 198.18.0.13 (2×), +3 more`.
    pub fn detail(&self) -> String {
        let mut lines = Vec::new();
        for (name, values) in &self.0 {
            let mut sorted: Vec<(&String, &u64)> = values.counts.iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let mut parts: Vec<String> = sorted
                .iter()
                .take(SHOWN_VALUES)
                .map(|(v, n)| format!("{v} ({n}×)"))
                .collect();
            let hidden = sorted.len().saturating_sub(SHOWN_VALUES);
            if hidden > 0 {
                parts.push(format!("+{hidden} more"));
            }
            if values.untracked > 0 {
                parts.push(format!(
                    "{} matches with untracked values",
                    values.untracked
                ));
            }
            if !parts.is_empty() {
                lines.push(format!("{name}={}", parts.join(", ")));
            }
        }
        lines.join("\n")
    }
}

impl Values {
    fn add(&mut self, value: &str, n: u64) {
        if let Some(c) = self.counts.get_mut(value) {
            *c += n;
        } else if self.counts.len() < MAX_VALUES {
            self.counts.insert(value.to_string(), n);
        } else {
            self.untracked += n;
        }
    }
}

fn less(file: &str, line: usize, key: &Key) -> bool {
    (file, line) < (key.0.as_str(), key.1)
}

fn less_key(key: &Key, file: &str, line: usize) -> bool {
    (key.0.as_str(), key.1) < (file, line)
}

fn insert_sorted(v: &mut Vec<(Key, String)>, e: (Key, String)) {
    let at = v.partition_point(|x| x.0 < e.0);
    if v.get(at).is_some_and(|x| x.0 == e.0) {
        return;
    }
    v.insert(at, e);
}

/// Cuts `s` to `max` characters (on a char boundary), marking the cut.
pub(crate) fn cap_text(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn min_opt(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
