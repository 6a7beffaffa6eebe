//! The declarative rule engine: failure signatures written as data in
//! `rules/*.toml` (schema in rules/README.md), matched against log records,
//! task states and engine versions.
//!
//! Inputs are small borrowed structs defined here, so the engine does not
//! depend on the parsers: whoever reads a bundle fills a [`LogEvent`] per log
//! record, a [`TaskEvent`] per task and an [`EngineFact`] per node version.
//! Output is `Vec<Finding>`: one finding per (rule, node);
//! [`crate::finding::consolidate`] merges them across nodes.
//!
//! Checks (`SWxxx`) are metadata only here: their code lives elsewhere and
//! asks [`RuleSet::finding_template`] for title, severity and text.

mod acc;
mod describe;
pub mod example;
mod load;
mod matcher;
mod prefilter;
mod rule;
pub mod schema;
pub mod unclassified;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_distinct;

pub use matcher::{LogMatcher, WEAK_PREFIX};
pub use rule::{Condition, EngineRange, Explains, LogSpec, Rule, TaskSpec, VersionSpec, When};
pub use unclassified::ID_PREFIX as UNCLASSIFIED_PREFIX;

use crate::error::Error;
use crate::finding::Finding;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;

/// Where a log record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogSource {
    /// `logs/dockerd.log`.
    Dockerd,
    /// `logs/kernel.log`.
    Kernel,
    /// `docker info` `Swarm.Error` / `Warnings` lines and container `State.Error`.
    Info,
}

impl LogSource {
    pub fn parse(s: &str) -> Option<LogSource> {
        match s {
            "dockerd" => Some(LogSource::Dockerd),
            "kernel" => Some(LogSource::Kernel),
            "info" => Some(LogSource::Info),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogSource::Dockerd => "dockerd",
            LogSource::Kernel => "kernel",
            LogSource::Info => "info",
        }
    }

    /// The bundle files this source is read from.
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            LogSource::Dockerd => &["logs/dockerd.log"],
            LogSource::Kernel => &["logs/kernel.log"],
            LogSource::Info => &["docker/info.json", "containers/inspect.json"],
        }
    }
}

/// One log record, as the log parser produced it.
#[derive(Debug, Clone, Copy)]
pub struct LogEvent<'a> {
    pub node: &'a str,
    /// Node-qualified path, e.g. `node1/logs/dockerd.log`.
    pub file: &'a str,
    /// 1-based line number in `file`.
    pub line: usize,
    pub time: Option<OffsetDateTime>,
    /// Lowercase logrus level (`warning`, `error` …); `None` when the line has none.
    pub level: Option<&'a str>,
    pub source: LogSource,
    /// `msg`, then ` key=value` per field with values unescaped (so a
    /// signature matches in `msg=` and `error=` alike); for non-logrus lines
    /// the text after any transport prefix.
    pub haystack: &'a str,
    /// The line as in the file, quoted as evidence.
    pub raw: &'a str,
    pub engine_version: Option<&'a str>,
}

/// One task, from `swarm/tasks.json` (or `service ps`).
#[derive(Debug, Clone, Copy)]
pub struct TaskEvent<'a> {
    /// Hostname of the task's node, or `""` when unassigned/unknown.
    pub node: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub task_id: &'a str,
    pub service: &'a str,
    /// Lowercase `Status.State`.
    pub state: &'a str,
    pub desired_state: &'a str,
    pub message: &'a str,
    pub err: &'a str,
    pub time: Option<OffsetDateTime>,
    pub engine_version: Option<&'a str>,
}

/// One node's engine version and swarm role.
#[derive(Debug, Clone, Copy)]
pub struct EngineFact<'a> {
    pub node: &'a str,
    /// `manager`, `worker` or `""`.
    pub role: &'a str,
    pub version: &'a str,
    pub file: &'a str,
    pub line: usize,
}

/// A set of rules, ready to match. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct RuleSet {
    inner: Arc<Compiled>,
}

#[derive(Debug)]
pub(crate) struct Compiled {
    /// Sorted by id.
    pub rules: Vec<Rule>,
    /// Log pattern index (every log pattern of every rule, in rule then
    /// pattern order) → (rule index, pattern index).
    pub log_owner: Vec<(usize, usize)>,
    /// Which log patterns a text may match (by log pattern index).
    pub log_candidates: prefilter::Candidates,
    /// What a log line must hold for its record to match (see
    /// [`prefilter::raw_pieces`]).
    pub log_raw_pieces: Option<Vec<String>>,
}

impl Compiled {
    fn new(mut rules: Vec<Rule>) -> Compiled {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let mut patterns = Vec::new();
        let mut log_owner = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if let Some(log) = &rule.log {
                for (pi, re) in log.patterns.iter().enumerate() {
                    patterns.push(re.as_str());
                    log_owner.push((ri, pi));
                }
            }
        }
        // No combined regex set: compiling every pattern into one took most
        // of startup, and the candidates leave one or two patterns a line.
        let (log_candidates, log_raw_pieces) = rayon::join(
            || prefilter::Candidates::new(&patterns),
            || prefilter::raw_pieces(&patterns),
        );
        Compiled {
            rules,
            log_candidates,
            log_raw_pieces,
            log_owner,
        }
    }
}

impl RuleSet {
    /// The rules built into the binary (`rules/*.toml`).
    pub fn embedded() -> Result<RuleSet, Error> {
        static EMBEDDED: OnceLock<Result<RuleSet, (String, String)>> = OnceLock::new();
        let built = EMBEDDED.get_or_init(|| {
            // Files compile on every core: startup is most of a small run.
            let files: Vec<Result<Vec<Rule>, Error>> = load::embedded_files()
                .par_iter()
                .map(|(path, text)| load::load_file(path, text, load::Checks::DoneAtBuild))
                .collect();
            let mut rules = Vec::new();
            for file in files {
                rules.extend(file.map_err(split_error)?);
            }
            check_unique(&rules).map_err(split_error)?;
            check_explains(&rules).map_err(split_error)?;
            Ok(RuleSet {
                inner: Arc::new(Compiled::new(rules)),
            })
        });
        match built {
            Ok(set) => Ok(set.clone()),
            Err((path, message)) => Err(Error::Rules {
                path: path.clone(),
                message: message.clone(),
            }),
        }
    }

    /// Adds the rules of every `*.toml` in `dir` (`--rules DIR`). A user rule
    /// with the id of an existing one replaces it. Errors name the file and
    /// the rule id.
    pub fn load_dir(self, dir: &Path) -> Result<RuleSet, Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        paths.retain(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file());
        paths.sort();
        let mut user: Vec<Rule> = Vec::new();
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            user.extend(load::load_file(
                &path.display().to_string(),
                &text,
                load::Checks::All,
            )?);
        }
        check_unique(&user)?;
        let replaced: BTreeSet<&str> = user.iter().map(|r| r.id.as_str()).collect();
        let mut rules: Vec<Rule> = self
            .inner
            .rules
            .iter()
            .filter(|r| !replaced.contains(r.id.as_str()))
            .cloned()
            .collect();
        rules.extend(user);
        check_unique(&rules)?;
        check_explains(&rules)?;
        Ok(RuleSet {
            inner: Arc::new(Compiled::new(rules)),
        })
    }

    /// Every rule and check, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.inner.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        let rules = &self.inner.rules;
        rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .and_then(|i| rules.get(i))
    }

    /// Texts, one of which every log line holds whose record a log rule
    /// matches, lower-case, to search ASCII-case-insensitively in lines as
    /// read; `None` when the patterns give none (every line must be parsed).
    pub fn log_line_needles(&self) -> Option<&[String]> {
        self.inner.log_raw_pieces.as_deref()
    }

    /// A fresh log matcher; use one per thread and [`LogMatcher::merge`] them.
    pub fn log_matcher(&self) -> LogMatcher {
        LogMatcher::new(self.inner.clone())
    }

    /// Findings of task rules alone, one per (rule, node). A task seen in
    /// several managers' dumps counts once (first by file and line). To
    /// count a task logged by the daemon and listed in the dump once, feed
    /// both to one matcher: [`LogMatcher::observe_tasks`].
    pub fn match_tasks(&self, tasks: &[TaskEvent]) -> Vec<Finding> {
        let mut m = self.log_matcher();
        m.observe_tasks(tasks);
        m.finish()
    }

    /// Findings of version rules, one per rule that fires, naming every
    /// node that meets one of its conditions.
    pub fn match_versions(&self, engines: &[EngineFact]) -> Vec<Finding> {
        matcher::match_versions(&self.inner, engines)
    }

    /// A finding with the rule's metadata, count 0 and no nodes, for check
    /// code to fill in.
    pub fn finding_template(&self, id: &str) -> Option<Finding> {
        self.get(id).map(template)
    }

    /// The rule or check with this id in any case (`sw301` is `SW301`):
    /// ids are unique regardless of case.
    pub fn find(&self, id: &str) -> Option<&Rule> {
        let id = strip_prefix_ci(id, WEAK_PREFIX).unwrap_or(id);
        self.get(id)
            .or_else(|| self.rules().iter().find(|r| r.id.eq_ignore_ascii_case(id)))
    }

    /// Human text for `swarmdiag rules explain ID` (any case).
    pub fn explain(&self, id: &str) -> Option<String> {
        self.find(id).map(describe::explain)
    }

    /// Every rule with its patterns, for `rules list --format json`.
    /// `rules list --format json`: every rule and check, with the schema
    /// name and version (`docs/schema/rules.schema.json`).
    pub fn list_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema": "swarmdiag-rules",
            "schema_version": RULES_SCHEMA_VERSION,
            "rules": self.rules().iter().map(describe::to_json).collect::<Vec<_>>(),
        })
    }
}

/// Version of the `rules list --format json` schema.
pub const RULES_SCHEMA_VERSION: u32 = 1;

/// The finding skeleton of `rule`: metadata filled, nothing observed.
pub(crate) fn template(rule: &Rule) -> Finding {
    Finding {
        id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        subject: None,
        nodes: BTreeSet::new(),
        count: 0,
        first_seen: None,
        last_seen: None,
        detail: String::new(),
        evidence: Vec::new(),
        explanation: rule.explanation.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
    }
}

/// `s` without `prefix`, compared in any case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Ids must differ in more than case, so `rules explain` can take any case.
fn check_unique(rules: &[Rule]) -> Result<(), Error> {
    let mut ids: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for r in rules {
        if let Some((id, other)) = ids.insert(r.id.to_ascii_uppercase(), (&r.id, &r.file)) {
            return Err(Error::Rules {
                path: r.file.clone(),
                message: format!("rule {}: id also defined in {other} (as {id})", r.id),
            });
        }
    }
    Ok(())
}

/// The causal graph of a whole set: no unknown ids, no cycles. The error
/// names the file of the first rule concerned.
fn check_explains(rules: &[Rule]) -> Result<(), Error> {
    let graph: Vec<(&str, Vec<&str>)> = rules
        .iter()
        .map(|r| {
            let to = r
                .explains
                .iter()
                .flat_map(|e| e.ids.iter().map(String::as_str))
                .collect();
            (r.id.as_str(), to)
        })
        .collect();
    let problems = schema::validate_explains(&graph);
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let id = first
        .strip_prefix("rule ")
        .and_then(|r| r.split(':').next())
        .unwrap_or("");
    let path = rules
        .iter()
        .find(|r| r.id == id)
        .map_or_else(|| "rules".to_string(), |r| r.file.clone());
    Err(Error::Rules {
        path,
        message: problems.join("; "),
    })
}

fn split_error(e: Error) -> (String, String) {
    match e {
        Error::Rules { path, message } => (path, message),
        other => ("rules".to_string(), other.to_string()),
    }
}
