//! Running the rules: log records through the patterns their literals
//! allow, tasks and engine versions rule by rule. Log records and tasks
//! accumulate together, so a rule with both matchers yields one finding per
//! node.

use super::acc::{Acc, Captures, TaskSeen};
use super::schema::DISTINCT_TASK_CAPTURE;
use super::unclassified::{self, Unclassified};
use super::{Compiled, EngineFact, LogEvent, Rule, TaskEvent};
use crate::finding::{Evidence, Finding};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Matches log records against every log rule. One per thread; merge them.
///
/// A line costs one scan for the patterns' literals (`rules::prefilter`),
/// then, only if it holds some, a search by each pattern requiring one of
/// them; only lines that match something pay for filters and captures.
#[derive(Debug)]
pub struct LogMatcher {
    set: Arc<Compiled>,
    /// rule index → node → accumulator.
    acc: HashMap<usize, HashMap<String, Acc>>,
    /// Error-level lines no rule matched.
    unclassified: Unclassified,
    /// The patterns a line may match (reused from line to line).
    candidates: Vec<usize>,
}

impl LogMatcher {
    pub(crate) fn new(set: Arc<Compiled>) -> LogMatcher {
        LogMatcher {
            set,
            acc: HashMap::new(),
            unclassified: Unclassified::default(),
            candidates: Vec::new(),
        }
    }

    /// Matches one record. True when some rule counted it.
    pub fn observe(&mut self, ev: &LogEvent) -> bool {
        let set = &*self.set;
        set.log_candidates.of(ev.haystack, &mut self.candidates);
        let mut matched = false;
        let mut last_rule = usize::MAX;
        for &si in &self.candidates {
            let Some(&(ri, pi)) = set.log_owner.get(si) else {
                continue;
            };
            // Patterns of one rule are adjacent: count a line once per
            // rule, by the first of its patterns that matches.
            if ri == last_rule {
                continue;
            }
            let Some(rule) = set.rules.get(ri) else {
                continue;
            };
            let Some(spec) = &rule.log else { continue };
            if !spec
                .patterns
                .get(pi)
                .is_some_and(|re| re.is_match(ev.haystack))
            {
                continue;
            }
            last_rule = ri;
            if !spec.admits(ev) || spec.excluded(ev.haystack) {
                continue;
            }
            matched = true;
            let by_node = self.acc.entry(ri).or_default();
            let acc = match by_node.get_mut(ev.node) {
                Some(a) => a,
                None => by_node.entry(ev.node.to_string()).or_default(),
            };
            acc.add(ev.file, ev.line, ev.time, || ev.raw.to_string());
            acc.notable |= !matches!(ev.level, Some("info" | "debug" | "trace"));
            let mut values: Vec<(&str, &str)> = Vec::new();
            if let Some(re) = spec.patterns.get(pi) {
                if re.capture_names().flatten().next().is_some() {
                    if let Some(caps) = re.captures(ev.haystack) {
                        for name in re.capture_names().flatten() {
                            if let Some(m) = caps.name(name) {
                                values.push((name, m.as_str()));
                            }
                        }
                    }
                }
            }
            if rule.distinct_tasks {
                let key = match values.iter().find(|(n, _)| *n == DISTINCT_TASK_CAPTURE) {
                    Some((_, id)) => id.to_string(),
                    None => format!("{}:{}", ev.file, ev.line),
                };
                values.retain(|(n, _)| *n != DISTINCT_TASK_CAPTURE);
                acc.task(&key, false, &values);
            } else {
                for (name, value) in values {
                    acc.capture(name, value);
                }
            }
        }
        matched
    }

    /// Matches `ev` against the rules like [`LogMatcher::observe`]; a
    /// record no rule counted whose level is `error`, `fatal` or `panic`
    /// joins the unclassified group of its template, built from `message`
    /// (the record's message and its error, without ids or addresses).
    pub fn observe_or_keep(&mut self, ev: &LogEvent, message: impl FnOnce() -> String) {
        if !self.observe(ev) {
            self.keep(ev, message);
        }
    }

    /// [`LogMatcher::observe_or_keep`] for a record no rule can match (its
    /// line holds none of their pieces): kept if at error level or above.
    pub fn keep(&mut self, ev: &LogEvent, message: impl FnOnce() -> String) {
        let Some(level) = ev
            .level
            .filter(|l| matches!(*l, "error" | "fatal" | "panic"))
        else {
            return;
        };
        self.unclassified.add(&unclassified::Line {
            node: ev.node,
            file: ev.file,
            line: ev.line,
            time: ev.time,
            level,
            message: &message(),
            raw: ev.raw,
        });
    }

    /// Error-level lines left out of the unclassified findings because
    /// there were too many distinct messages.
    pub fn unclassified_dropped(&self) -> u64 {
        self.unclassified.dropped
    }

    /// Matches the task rules against `tasks` (from `swarm/tasks.json`) into
    /// the same accumulators as log records, so a rule with both matchers
    /// yields one finding per node. A task seen in several managers' dumps
    /// counts once (its first copy by file and line).
    pub fn observe_tasks(&mut self, tasks: &[TaskEvent]) {
        // Deterministic order whatever the input order; first copy of a task wins.
        let mut order: Vec<&TaskEvent> = tasks.iter().collect();
        order.sort_by(|a, b| (a.task_id, a.file, a.line).cmp(&(b.task_id, b.file, b.line)));
        order.dedup_by(|b, a| !a.task_id.is_empty() && a.task_id == b.task_id);

        let set = self.set.clone();
        for (ri, rule) in set.rules.iter().enumerate() {
            let Some(spec) = &rule.task else { continue };
            for t in &order {
                let Some((re, on_err)) = spec.first_match(t) else {
                    continue;
                };
                let by_node = self.acc.entry(ri).or_default();
                let acc = match by_node.get_mut(t.node) {
                    Some(a) => a,
                    None => by_node.entry(t.node.to_string()).or_default(),
                };
                acc.add(t.file, t.line, t.time, || task_text(t));
                let mut values: Vec<(&str, &str)> = Vec::new();
                if !t.service.is_empty() {
                    values.push(("service", t.service));
                }
                let haystack = if on_err { t.err } else { t.message };
                if let Some(caps) = re.captures(haystack) {
                    for name in re.capture_names().flatten() {
                        if let Some(m) = caps.name(name) {
                            values.push((name, m.as_str()));
                        }
                    }
                }
                if rule.distinct_tasks {
                    let key = if t.task_id.is_empty() {
                        format!("{}:{}", t.file, t.line)
                    } else {
                        t.task_id.to_string()
                    };
                    acc.task(&key, true, &values);
                } else {
                    for (name, value) in values {
                        acc.capture(name, value);
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
        self.unclassified.merge(other.unclassified);
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

    /// One finding per (rule, node) where the rule fired (a log rule once
    /// the node reached its `min_count`), sorted by rule id then node. Every
    /// finding of a rule carries the same `detail`, the captured values of
    /// all those nodes, so findings merged across nodes describe them once.
    ///
    /// A log rule seen on some node but below its threshold everywhere is
    /// a weak signal: one info finding per such node, `WEAK-<rule id>`,
    /// when one of its lines was at level warning or above (or had none):
    /// an info line below a threshold is the normal case the threshold
    /// is there for (one gossip join, one election).
    /// Then the unclassified groups, `UNCLASSIFIED-<hash>`.
    pub fn finish(self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut rules: Vec<_> = self.acc.into_iter().collect();
        rules.sort_by_key(|(ri, _)| *ri);
        for (ri, by_node) in rules {
            let Some(rule) = self.set.rules.get(ri) else {
                continue;
            };
            let (fired, below): (BTreeMap<String, Acc>, BTreeMap<String, Acc>) =
                by_node.into_iter().partition(|(_, acc)| fires(rule, acc));
            let mut fired = fired;
            if fired.is_empty() {
                for (node, acc) in below.into_iter().filter(|(_, a)| a.count > 0 && a.notable) {
                    out.push(weak_finding(rule, &node, acc));
                }
                continue;
            }
            let mut captures = Captures::default();
            if rule.distinct_tasks {
                count_tasks(&mut fired, &mut captures);
            }
            for acc in fired.values() {
                captures.merge(&acc.captures);
            }
            let detail = captures.detail();
            for (node, acc) in fired {
                out.push(acc.into_finding(rule, &node, detail.clone()));
            }
        }
        out.extend(self.unclassified.finish());
        out
    }
}

/// Prefix of the id of a rule's below-threshold finding.
pub const WEAK_PREFIX: &str = "WEAK-";

/// The info finding of a log rule seen on `node` fewer times than its
/// threshold: "seen N times, threshold M".
fn weak_finding(rule: &Rule, node: &str, acc: Acc) -> Finding {
    let (min, per) = match &rule.log {
        Some(spec) => (spec.min_count, spec.per.clone()),
        None => (1, None),
    };
    let seen = match &per {
        Some(name) => format!(
            "seen {} times (at most {} for one {name}), threshold {min} for one {name}",
            acc.count,
            acc.max_per(name)
        ),
        None => format!("seen {} times, threshold {min}", acc.count),
    };
    let captures = acc.captures.detail();
    let detail = if captures.is_empty() {
        seen
    } else {
        format!("{seen}\n{captures}")
    };
    let mut f = acc.into_finding(rule, node, detail);
    f.id = format!("{WEAK_PREFIX}{}", rule.id);
    f.title = format!("Below threshold: {}", rule.title);
    f.severity = crate::finding::Severity::Info;
    f.explanation = format!(
        "The signature of {} was seen, but fewer times than the rule needs to fire, so on its \
         own it proves nothing; in a short log excerpt it may be all there is. {}",
        rule.id, rule.explanation
    );
    f
}

/// True when the rule fires on what `acc` saw: a log rule once `min_count`
/// is reached (by one value of `per`, when set); a task match always (the
/// schema keeps `min_count` out of rules with a task matcher).
fn fires(rule: &Rule, acc: &Acc) -> bool {
    match &rule.log {
        Some(spec) => {
            let reached = match &spec.per {
                Some(name) => acc.max_per(name),
                None => acc.count,
            };
            reached >= spec.min_count
        }
        None => acc.count > 0,
    }
}

/// `distinct = "task"`: sets each node's count to the tasks it saw first
/// (nodes in name order, so a task logged on a node and listed in the dump
/// counts once) and counts each task's values once into `captures`. The
/// dump's value of a capture wins over the log's, and a logged value is
/// shown as the dump's wherever one task showed both: the `service.id` of
/// a log line is shown as the service's name.
fn count_tasks(fired: &mut BTreeMap<String, Acc>, captures: &mut Captures) {
    let mut all: BTreeMap<String, TaskSeen> = BTreeMap::new();
    for acc in fired.values_mut() {
        let mut first = acc.untracked_tasks;
        for (key, seen) in std::mem::take(&mut acc.tasks) {
            match all.get_mut(&key) {
                Some(known) => known.merge(seen),
                None => {
                    all.insert(key, seen);
                    first += 1;
                }
            }
        }
        acc.count = first;
    }
    let mut dump_name: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for seen in all.values() {
        for (name, logged) in &seen.log {
            if let Some(dumped) = seen.dump.get(name) {
                dump_name.entry((name, logged)).or_insert(dumped);
            }
        }
    }
    for seen in all.values() {
        for (name, value) in &seen.dump {
            captures.add(name, value);
        }
        for (name, value) in &seen.log {
            if !seen.dump.contains_key(name) {
                let key = (name.as_str(), value.as_str());
                captures.add(name, dump_name.get(&key).copied().unwrap_or(value));
            }
        }
    }
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
