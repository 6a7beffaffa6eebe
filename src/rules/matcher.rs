//! Running the rules: log records through one `RegexSet` scan, tasks and
//! engine versions rule by rule.

use super::acc::Acc;
use super::{Compiled, EngineFact, LogEvent, TaskEvent};
use crate::finding::{Evidence, Finding};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Matches log records against every log rule. One per thread; merge them.
///
/// A line costs one `RegexSet::is_match` scan (the set uses a literal
/// prefilter, so most lines are rejected quickly); only lines that match
/// something pay for `matches`, filters and captures.
#[derive(Debug)]
pub struct LogMatcher {
    set: Arc<Compiled>,
    /// rule index → node → accumulator.
    acc: HashMap<usize, HashMap<String, Acc>>,
}

impl LogMatcher {
    pub(crate) fn new(set: Arc<Compiled>) -> LogMatcher {
        LogMatcher {
            set,
            acc: HashMap::new(),
        }
    }

    /// Matches one record.
    pub fn observe(&mut self, ev: &LogEvent) {
        let set = &*self.set;
        if !set.log_set.is_match(ev.haystack) {
            return;
        }
        let mut last_rule = usize::MAX;
        for si in set.log_set.matches(ev.haystack).iter() {
            let Some(&(ri, pi)) = set.log_owner.get(si) else {
                continue;
            };
            // Patterns of one rule are adjacent: count a line once per rule.
            if ri == last_rule {
                continue;
            }
            last_rule = ri;
            let Some(rule) = set.rules.get(ri) else {
                continue;
            };
            let Some(spec) = &rule.log else { continue };
            if !spec.admits(ev) || spec.excluded(ev.haystack) {
                continue;
            }
            let by_node = self.acc.entry(ri).or_default();
            let acc = match by_node.get_mut(ev.node) {
                Some(a) => a,
                None => by_node.entry(ev.node.to_string()).or_default(),
            };
            acc.add(ev.file, ev.line, ev.time, || ev.raw.to_string());
            if let Some(re) = spec.patterns.get(pi) {
                if re.capture_names().flatten().next().is_some() {
                    if let Some(caps) = re.captures(ev.haystack) {
                        for name in re.capture_names().flatten() {
                            if let Some(m) = caps.name(name) {
                                acc.capture(name, m.as_str());
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds another matcher (built from the same rule set) into this one.
    pub fn merge(&mut self, other: LogMatcher) {
        debug_assert!(
            Arc::ptr_eq(&self.set, &other.set),
            "matchers of different rule sets"
        );
        for (ri, by_node) in other.acc {
            let mine = self.acc.entry(ri).or_default();
            for (node, acc) in by_node {
                match mine.get_mut(&node) {
                    Some(a) => a.merge(acc),
                    None => {
                        mine.insert(node, acc);
                    }
                }
            }
        }
    }

    /// One finding per (rule, node) that reached the rule's `min_count`,
    /// sorted by rule id then node.
    pub fn finish(self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut rules: Vec<_> = self.acc.into_iter().collect();
        rules.sort_by_key(|(ri, _)| *ri);
        for (ri, by_node) in rules {
            let Some(rule) = self.set.rules.get(ri) else {
                continue;
            };
            let Some(spec) = &rule.log else { continue };
            let sorted: BTreeMap<String, Acc> = by_node.into_iter().collect();
            for (node, acc) in sorted {
                let reached = match &spec.per {
                    Some(name) => acc.max_per(name),
                    None => acc.count,
                };
                if reached >= spec.min_count {
                    out.push(acc.into_finding(rule, &node));
                }
            }
        }
        out
    }
}

/// See [`super::RuleSet::match_tasks`].
pub(crate) fn match_tasks(set: &Compiled, tasks: &[TaskEvent]) -> Vec<Finding> {
    // Deterministic order whatever the input order; first copy of a task wins.
    let mut order: Vec<&TaskEvent> = tasks.iter().collect();
    order.sort_by(|a, b| (a.task_id, a.file, a.line).cmp(&(b.task_id, b.file, b.line)));
    order.dedup_by(|b, a| !a.task_id.is_empty() && a.task_id == b.task_id);

    let mut acc: BTreeMap<(usize, &str), Acc> = BTreeMap::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        let Some(spec) = &rule.task else { continue };
        for t in &order {
            let Some((re, on_err)) = spec.first_match(t) else {
                continue;
            };
            let a = acc.entry((ri, t.node)).or_default();
            a.add(t.file, t.line, t.time, || task_text(t));
            if !t.service.is_empty() {
                a.capture("service", t.service);
            }
            let haystack = if on_err { t.err } else { t.message };
            if let Some(caps) = re.captures(haystack) {
                for name in re.capture_names().flatten() {
                    if let Some(m) = caps.name(name) {
                        a.capture(name, m.as_str());
                    }
                }
            }
        }
    }
    acc.into_iter()
        .filter_map(|((ri, node), a)| set.rules.get(ri).map(|r| a.into_finding(r, node)))
        .collect()
}

/// `task 134tseerb5ay (web) rejected, desired shutdown: "preparing" node is missing …`
fn task_text(t: &TaskEvent) -> String {
    let mut s = format!("task {}", t.task_id);
    if !t.service.is_empty() {
        s.push_str(&format!(" ({})", t.service));
    }
    s.push_str(&format!(" {}", t.state));
    if !t.desired_state.is_empty() {
        s.push_str(&format!(", desired {}", t.desired_state));
    }
    s.push(':');
    if !t.message.is_empty() {
        s.push_str(&format!(" {:?}", t.message));
    }
    if !t.err.is_empty() {
        s.push_str(&format!(" {}", t.err));
    }
    s
}

/// See [`super::RuleSet::match_versions`].
pub(crate) fn match_versions(set: &Compiled, engines: &[EngineFact]) -> Vec<Finding> {
    // One fact per (node, role, version), the first by file and line.
    let mut facts: Vec<&EngineFact> = engines
        .iter()
        .filter(|f| !f.version.trim().is_empty())
        .collect();
    facts.sort_by(|a, b| {
        (a.node, a.version, a.role, a.file, a.line)
            .cmp(&(b.node, b.version, b.role, b.file, b.line))
    });
    facts.dedup_by(|b, a| (a.node, a.version, a.role) == (b.node, b.version, b.role));

    let mut out = Vec::new();
    for rule in &set.rules {
        let Some(spec) = &rule.version else { continue };
        let met: Vec<Vec<&EngineFact>> = spec
            .when
            .iter()
            .map(|c| {
                facts
                    .iter()
                    .copied()
                    .filter(|f| c.admits(f.role, f.version))
                    .collect()
            })
            .collect();
        if met.iter().any(Vec::is_empty) {
            continue;
        }
        let mut f = super::template(rule);
        let mut evidence = BTreeSet::new();
        let mut detail = Vec::new();
        for (cond, facts) in spec.when.iter().zip(&met) {
            let nodes: Vec<String> = facts
                .iter()
                .map(|f| format!("{} ({})", f.node, f.version))
                .collect();
            detail.push(format!("{}: {}", cond.describe(), nodes.join(", ")));
            for fact in facts {
                f.nodes.insert(fact.node.to_string());
                let role = if fact.role.is_empty() {
                    "role unknown"
                } else {
                    fact.role
                };
                evidence.insert(Evidence {
                    file: fact.file.to_string(),
                    line: fact.line,
                    text: format!("{} ({role}) engine {}", fact.node, fact.version),
                });
            }
        }
        f.count = f.nodes.len() as u64;
        f.detail = detail.join("\n");
        f.evidence = evidence.into_iter().collect();
        out.push(f);
    }
    out
}
