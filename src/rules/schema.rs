//! The on-disk schema of `rules/*.toml` (documented in rules/README.md) and
//! the structural checks that need no matcher.
//!
//! This file is also compiled into `build.rs` (`#[path]` module), so a rule
//! file with an unknown key, a bad regex or a bad version range fails the
//! build. It must therefore use only `serde`, `regex`, `semver` and `std`,
//! and never `crate::`.
//!
//! ```toml
//! [[rule]]
//! id = "IPAM-01"
//! name = "node-missing-network-attachments"
//! severity = "error"
//! title = "…"
//! explanation = "…"
//! remediation = "…"
//! references = ["moby/moby#39198"]
//!
//! [rule.log]
//! patterns = ['node is missing network attachments, ip addresses may be exhausted']
//! match = ['time="2018-08-24T21:03:37Z" level=error msg="fatal task error" error="node is missing network attachments, ip addresses may be exhausted"']
//! no_match = ['time="2018-08-24T21:03:37Z" level=info msg="node is missing"']
//! ```

use serde::Deserialize;
use std::collections::BTreeSet;

/// One rules file: any number of `[[rule]]` tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

/// One `[[rule]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: String,
    /// Only `"check"` (metadata for a cross-source check); otherwise the
    /// kind follows from the matcher tables present.
    #[serde(default)]
    pub kind: Option<String>,
    /// `"task"`: count distinct tasks, not records (a task in the daemon
    /// log and in the tasks dump counts once).
    #[serde(default)]
    pub distinct: Option<String>,
    pub explanation: String,
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// Bundle paths a check reads (checks only; matchers derive theirs).
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub log: Option<RawLog>,
    #[serde(default)]
    pub task: Option<RawTask>,
    #[serde(default)]
    pub version: Option<RawVersion>,
    /// `[[rule.explains]]`: the findings this one accounts for, and when.
    #[serde(default)]
    pub explains: Vec<RawExplains>,
    /// Checks only: the finding is derived from engine versions alone (a
    /// guess until the data shows its effect). Version rules always are.
    #[serde(default)]
    pub guess: bool,
    /// The one piece of evidence that would confirm or rule out this cause.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// `[[rule.explains]]`: a causal (or restating) link to other rules' findings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExplains {
    /// Ids of the rules or checks whose findings this one explains.
    pub ids: Vec<String>,
    /// Conditions that must all hold between the two findings (one or a list).
    #[serde(default)]
    pub when: RawWhen,
    /// The other finding states the same fact (no separate effect): it
    /// does not confirm a guess, and its evidence joins the cause's.
    #[serde(default)]
    pub restates: bool,
}

/// `when = "same_node"` or `when = ["same_node", "earlier"]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum RawWhen {
    #[default]
    Always,
    One(String),
    All(Vec<String>),
}

impl RawWhen {
    pub fn conditions(&self) -> Vec<&str> {
        match self {
            RawWhen::Always => Vec::new(),
            RawWhen::One(s) => vec![s.as_str()],
            RawWhen::All(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Conditions of `[[rule.explains]] when`: the cause and the effect share a
/// node, a network, a service or an evidence line, or the cause was seen
/// no later than the effect.
pub const CONDITIONS: &[&str] = &[
    "same_node",
    "same_network",
    "same_service",
    "same_line",
    "earlier",
];

/// `[rule.log]`: regexes over a log record's haystack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub patterns: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(default)]
    pub min_count: Option<u64>,
    #[serde(default)]
    pub per: Option<String>,
    #[serde(default)]
    pub engine: Option<String>,
    #[serde(rename = "match", default)]
    pub matches: Vec<RawLogExample>,
    #[serde(default)]
    pub no_match: Vec<RawLogExample>,
}

/// A log example: the line, or the line with the node's engine version.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawLogExample {
    Line(String),
    Full(RawLogExampleFull),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogExampleFull {
    pub line: String,
    #[serde(default)]
    pub engine: Option<String>,
}

impl RawLogExample {
    pub fn line(&self) -> &str {
        match self {
            RawLogExample::Line(l) => l,
            RawLogExample::Full(f) => &f.line,
        }
    }

    pub fn engine(&self) -> Option<&str> {
        match self {
            RawLogExample::Line(_) => None,
            RawLogExample::Full(f) => f.engine.as_deref(),
        }
    }
}

/// `[rule.task]`: regexes over a task's `Status.Err` / `Status.Message`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    #[serde(default)]
    pub err: Vec<String>,
    #[serde(default)]
    pub message: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub engine: Option<String>,
    #[serde(rename = "match", default)]
    pub matches: Vec<RawTaskExample>,
    #[serde(default)]
    pub no_match: Vec<RawTaskExample>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTaskExample {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub err: String,
    #[serde(default)]
    pub engine: Option<String>,
}

/// `[rule.version]`: fires when every condition is met by at least one node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVersion {
    pub when: Vec<RawCondition>,
    /// Each example is a cluster: `["manager=17.09.1-ce", "worker=18.09.0"]`.
    #[serde(rename = "match", default)]
    pub matches: Vec<Vec<String>>,
    #[serde(default)]
    pub no_match: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    #[serde(default)]
    pub role: Option<String>,
    pub engine: String,
}

/// The capture holding a log record's task id in `distinct = "task"` rules.
pub const DISTINCT_TASK_CAPTURE: &str = "task";

pub const SEVERITIES: &[&str] = &["info", "warning", "error", "critical"];
pub const SOURCES: &[&str] = &["dockerd", "kernel", "info"];
pub const LEVELS: &[&str] = &[
    "trace", "debug", "info", "warning", "error", "fatal", "panic",
];
pub const ROLES: &[&str] = &["manager", "worker"];
/// Task states as swarmkit names them (`api.TaskState`, lowercased).
pub const TASK_STATES: &[&str] = &[
    "new",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "ready",
    "starting",
    "running",
    "complete",
    "shutdown",
    "failed",
    "rejected",
    "remove",
    "orphaned",
];

/// Parses one rules file.
pub fn parse_file(text: &str) -> Result<RawFile, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Splits a version example entry `role=version` (or a bare `version`).
pub fn split_version_example(entry: &str) -> (&str, &str) {
    match entry.split_once('=') {
        Some((role, v)) => (role.trim(), v.trim()),
        None => ("", entry.trim()),
    }
}

/// Every structural problem of one file: each rule's, plus ids or names
/// used twice. Messages start with `rule <ID>: ` when they are about one rule.
pub fn validate_file(file: &RawFile) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in &file.rule {
        if !ids.insert(rule.id.as_str()) {
            problems.push(format!("rule {}: id defined twice in this file", rule.id));
        }
        if !names.insert(rule.name.as_str()) {
            problems.push(format!(
                "rule {}: name {:?} used twice in this file",
                rule.id, rule.name
            ));
        }
        for p in validate_rule(rule) {
            problems.push(format!("rule {}: {p}", rule.id));
        }
    }
    problems
}

/// Structural problems of one rule (empty when it is well formed).
pub fn validate_rule(r: &RawRule) -> Vec<String> {
    let mut p = Vec::new();
    if !valid_id(&r.id) {
        p.push(format!(
            "id {:?} must be 1-32 characters of A-Z a-z 0-9 . _ - starting with a letter",
            r.id
        ));
    }
    if !valid_name(&r.name) {
        p.push(format!(
            "name {:?} must be kebab-case (a-z, 0-9, single dashes)",
            r.name
        ));
    }
    for (field, value) in [
        ("title", &r.title),
        ("explanation", &r.explanation),
        ("remediation", &r.remediation),
    ] {
        if value.trim().is_empty() {
            p.push(format!("{field} is empty"));
        }
    }
    if !SEVERITIES.contains(&r.severity.as_str()) {
        p.push(format!(
            "severity {:?} is not one of {}",
            r.severity,
            SEVERITIES.join(", ")
        ));
    }
    if r.references.iter().any(|s| s.trim().is_empty()) {
        p.push("a reference is empty".into());
    }
    let matchers =
        r.log.is_some() as usize + r.task.is_some() as usize + r.version.is_some() as usize;
    match r.kind.as_deref() {
        Some("check") => {
            if matchers > 0 {
                p.push("a check (kind = \"check\") has no [rule.log], [rule.task] or [rule.version]".into());
            }
        }
        Some(other) => p.push(format!(
            "kind {other:?} is unknown: only \"check\" is written; other kinds follow from the matcher tables"
        )),
        None => {
            if matchers == 0 {
                p.push("no matcher: add [rule.log], [rule.task] or [rule.version], or set kind = \"check\"".into());
            }
            if !r.inputs.is_empty() {
                p.push("inputs is for checks only (matchers derive their inputs)".into());
            }
        }
    }
    if let Some(log) = &r.log {
        validate_log(log, &mut p);
    }
    if let Some(d) = &r.distinct {
        validate_distinct(d, r, &mut p);
    }
    if let (Some(log), Some(_)) = (&r.log, &r.task) {
        if log.min_count.is_some() || log.per.is_some() {
            p.push(
                "log.min_count and log.per count log records: a rule with [rule.task] cannot use them"
                    .into(),
            );
        }
    }
    if let Some(task) = &r.task {
        validate_task(task, &mut p);
    }
    if let Some(version) = &r.version {
        validate_version(version, &mut p);
    }
    if r.guess && r.kind.as_deref() != Some("check") {
        p.push("guess is for checks only (version rules are guesses already)".into());
    }
    if r.confirm.as_deref().is_some_and(|c| c.trim().is_empty()) {
        p.push("confirm is empty".into());
    }
    for e in &r.explains {
        if e.ids.is_empty() {
            p.push("explains.ids is empty".into());
        }
        for id in &e.ids {
            if id == &r.id {
                p.push("explains names the rule itself".into());
            }
        }
        for c in e.when.conditions() {
            if !CONDITIONS.contains(&c) {
                p.push(format!(
                    "explains.when {c:?} is not one of {}",
                    CONDITIONS.join(", ")
                ));
            }
        }
    }
    p
}

/// Problems of the causal graph over a whole rule set: `explains` naming an
/// unknown id, and cycles (a finding cannot explain its own cause). `rules`
/// is (id, ids it explains); messages start with `rule <ID>: `.
pub fn validate_explains(rules: &[(&str, Vec<&str>)]) -> Vec<String> {
    use std::collections::BTreeMap;
    let graph: BTreeMap<&str, &Vec<&str>> = rules.iter().map(|(id, to)| (*id, to)).collect();
    let mut problems = Vec::new();
    for (id, to) in rules {
        for t in to {
            if !graph.contains_key(t) {
                problems.push(format!("rule {id}: explains unknown id {t:?}"));
            }
        }
    }
    // Depth-first search with colours: 1 = on the path, 2 = done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for (start, _) in rules {
        if colour.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((node, next)) = stack.pop() {
            let to = graph.get(node).map(|v| v.as_slice()).unwrap_or(&[]);
            let Some(&t) = to.get(next) else {
                colour.insert(node, 2);
                continue;
            };
            stack.push((node, next + 1));
            match colour.get(t) {
                Some(1) => {
                    let at = stack.iter().position(|(n, _)| *n == t).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[at..].iter().map(|(n, _)| *n).collect();
                    cycle.push(t);
                    problems.push(format!(
                        "rule {t}: explains forms a cycle: {}",
                        cycle.join(" → ")
                    ));
                }
                Some(_) => {}
                None if graph.contains_key(t) => {
                    colour.insert(t, 1);
                    stack.push((t, 0));
                }
                None => {}
            }
        }
    }
    problems
}

fn validate_log(log: &RawLog, p: &mut Vec<String>) {
    if log.patterns.is_empty() {
        p.push("log.patterns is empty".into());
    }
    let mut names_per_pattern = Vec::new();
    for pat in &log.patterns {
        match regex::Regex::new(pat) {
            Ok(re) => {
                if re.is_match("") {
                    p.push(format!("log pattern {pat:?} matches the empty string"));
                }
                names_per_pattern.push(
                    re.capture_names()
                        .flatten()
                        .map(String::from)
                        .collect::<Vec<_>>(),
                );
            }
            Err(e) => p.push(format!("log pattern {pat:?}: {e}")),
        }
    }
    check_regexes("log.exclude", &log.exclude, p);
    for s in &log.sources {
        if !SOURCES.contains(&s.as_str()) {
            p.push(format!(
                "log source {s:?} is not one of {}",
                SOURCES.join(", ")
            ));
        }
    }
    for l in &log.levels {
        if !LEVELS.contains(&l.as_str()) {
            p.push(format!(
                "log level {l:?} is not one of {}",
                LEVELS.join(", ")
            ));
        }
    }
    if log.min_count == Some(0) {
        p.push("log.min_count must be at least 1".into());
    }
    if let Some(per) = &log.per {
        if log.min_count.is_none() {
            p.push("log.per needs log.min_count".into());
        }
        if names_per_pattern
            .iter()
            .any(|names| !names.iter().any(|n| n == per))
        {
            p.push(format!(
                "log.per {per:?} must be a named capture of every pattern"
            ));
        }
    }
    check_range("log.engine", log.engine.as_deref(), p);
    if log.matches.is_empty() {
        p.push("log.match needs at least one example".into());
    }
    if log.no_match.is_empty() {
        p.push("log.no_match needs at least one example".into());
    }
    for ex in log.matches.iter().chain(&log.no_match) {
        if ex.line().trim().is_empty() {
            p.push("a log example is empty".into());
        }
        if let Some(v) = ex.engine() {
            check_version("log example engine", v, p);
        }
    }
}

/// `distinct = "task"`: the only unit is the task. Each log pattern must
/// capture its id as `task`; thresholds would count tasks, and examples are
/// fed as one record, so `min_count`/`per` do not combine with it.
fn validate_distinct(d: &str, r: &RawRule, p: &mut Vec<String>) {
    if d != "task" {
        p.push(format!("distinct {d:?} is unknown: only \"task\""));
        return;
    }
    if r.log.is_none() && r.task.is_none() {
        p.push("distinct = \"task\" needs [rule.log] or [rule.task]".into());
    }
    let Some(log) = &r.log else { return };
    if log.min_count.is_some() || log.per.is_some() {
        p.push("distinct = \"task\" counts tasks: log.min_count and log.per do not apply".into());
    }
    for pat in &log.patterns {
        // A bad regex is reported by validate_log.
        let lacks_task = regex::Regex::new(pat).is_ok_and(|re| {
            !re.capture_names()
                .flatten()
                .any(|n| n == DISTINCT_TASK_CAPTURE)
        });
        if lacks_task {
            p.push(format!(
                "distinct = \"task\": log pattern {pat:?} needs a named capture `task` \
                 (e.g. `(?:(?s:.*?) task\\.id=(?P<task>\\S+))?`)"
            ));
        }
    }
}

fn validate_task(task: &RawTask, p: &mut Vec<String>) {
    if task.err.is_empty() && task.message.is_empty() {
        p.push("task needs err and/or message patterns".into());
    }
    check_regexes("task.err", &task.err, p);
    check_regexes("task.message", &task.message, p);
    check_regexes("task.exclude", &task.exclude, p);
    for s in &task.states {
        if !TASK_STATES.contains(&s.as_str()) {
            p.push(format!(
                "task state {s:?} is unknown (lowercase swarmkit states)"
            ));
        }
    }
    check_range("task.engine", task.engine.as_deref(), p);
    if task.matches.is_empty() {
        p.push("task.match needs at least one example".into());
    }
    if task.no_match.is_empty() {
        p.push("task.no_match needs at least one example".into());
    }
    for ex in task.matches.iter().chain(&task.no_match) {
        if let Some(v) = &ex.engine {
            check_version("task example engine", v, p);
        }
    }
}

fn validate_version(v: &RawVersion, p: &mut Vec<String>) {
    if v.when.is_empty() {
        p.push("version.when needs at least one condition".into());
    }
    for c in &v.when {
        if let Some(role) = &c.role {
            if !ROLES.contains(&role.as_str()) {
                p.push(format!("version role {role:?} is not manager or worker"));
            }
        }
        check_range("version.when.engine", Some(&c.engine), p);
    }
    if v.matches.is_empty() {
        p.push("version.match needs at least one example".into());
    }
    if v.no_match.is_empty() {
        p.push("version.no_match needs at least one example".into());
    }
    for cluster in v.matches.iter().chain(&v.no_match) {
        if cluster.is_empty() {
            p.push("a version example is an empty cluster".into());
        }
        for entry in cluster {
            let (role, version) = split_version_example(entry);
            if !role.is_empty() && !ROLES.contains(&role) {
                p.push(format!(
                    "version example {entry:?}: role must be manager or worker"
                ));
            }
            check_version("version example", version, p);
        }
    }
}

fn check_regexes(what: &str, patterns: &[String], p: &mut Vec<String>) {
    for pat in patterns {
        match regex::Regex::new(pat) {
            Ok(re) if re.is_match("") => p.push(format!("{what} {pat:?} matches the empty string")),
            Ok(_) => {}
            Err(e) => p.push(format!("{what} {pat:?}: {e}")),
        }
    }
}

fn check_range(what: &str, range: Option<&str>, p: &mut Vec<String>) {
    if let Some(r) = range {
        if let Err(e) = semver::VersionReq::parse(r) {
            p.push(format!("{what} {r:?} is not a version range: {e}"));
        }
    }
}

/// A version example must start with a number (same rule as the lenient parser).
fn check_version(what: &str, v: &str, p: &mut Vec<String>) {
    let v = v.strip_prefix('v').unwrap_or(v);
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        p.push(format!("{what} {v:?} is not an engine version"));
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    (1..=32).contains(&id.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}
