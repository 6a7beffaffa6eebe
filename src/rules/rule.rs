//! A compiled rule: metadata plus the matchers it runs, and the per-event
//! predicates the matchers (and example checks) share.

use super::{LogEvent, LogSource, TaskEvent};
use crate::finding::Severity;
use crate::parse::engine_version;
use regex::Regex;
use semver::VersionReq;
use std::sync::OnceLock;

/// One rule or check. `log`, `task` and `version` are the matchers it runs;
/// a check has none (its code lives in the checks module and only borrows
/// this metadata).
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub explanation: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub log: Option<LogSpec>,
    pub task: Option<TaskSpec>,
    pub version: Option<VersionSpec>,
    /// `distinct = "task"`: the finding counts distinct tasks (a log record's
    /// `task` capture, a task's id), so a task logged by the daemon and
    /// listed in the tasks dump counts once.
    pub distinct_tasks: bool,
    /// True for metadata-only checks (`kind = "check"`).
    pub check: bool,
    /// Bundle paths a check reads (from its `inputs`); empty for matchers.
    pub check_inputs: Vec<String>,
    /// Where the rule was defined: `rules/ipam.toml` (embedded) or a user path.
    pub file: String,
    /// `[[rule.explains]]`: the findings this rule's findings account for.
    pub explains: Vec<Explains>,
    /// Derived from engine versions alone (version rules, and checks with
    /// `guess = true`): a guess until the data shows its effect.
    pub guess: bool,
    /// The one piece of evidence that would confirm or rule out this cause.
    pub confirm: Option<String>,
}

/// One `[[rule.explains]]` table: the findings of `ids` are explained when
/// every condition holds between the two findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explains {
    pub ids: Vec<String>,
    pub when: Vec<When>,
    /// The other finding states the same fact.
    pub restates: bool,
}

/// A condition of an explains link, checked on the two findings' data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum When {
    /// They name a common node.
    SameNode,
    /// They name a common network (directly or through a service on it).
    SameNetwork,
    /// They name a common service.
    SameService,
    /// They quote a common evidence line.
    SameLine,
    /// The cause was first seen no later than the effect (both dated).
    Earlier,
}

impl When {
    pub fn parse(s: &str) -> Option<When> {
        Some(match s {
            "same_node" => When::SameNode,
            "same_network" => When::SameNetwork,
            "same_service" => When::SameService,
            "same_line" => When::SameLine,
            "earlier" => When::Earlier,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            When::SameNode => "same_node",
            When::SameNetwork => "same_network",
            When::SameService => "same_service",
            When::SameLine => "same_line",
            When::Earlier => "earlier",
        }
    }
}

/// A version range as written and as parsed.
#[derive(Debug, Clone)]
pub struct EngineRange {
    pub text: String,
    pub req: VersionReq,
}

impl EngineRange {
    /// True when the range admits `version`; an unknown (absent or
    /// unreadable) version is admitted, so the message itself stays evidence.
    pub fn admits(&self, version: Option<&str>) -> bool {
        match version {
            Some(v) if engine_version::parse_lenient(v).is_some() => {
                engine_version::matches(&self.req, v)
            }
            _ => true,
        }
    }
}

/// A log pattern, compiled when first used: the matcher runs a pattern only
/// on lines holding one of its literals, so most never run on a given log,
/// and compiling them all was most of startup.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    compiled: OnceLock<Regex>,
}

impl Pattern {
    /// `text` compiled now: a user's rule, refused at load if it is bad.
    pub fn checked(text: &str) -> Result<Pattern, regex::Error> {
        let re = Regex::new(text)?;
        Ok(Pattern {
            text: text.to_string(),
            compiled: OnceLock::from(re),
        })
    }

    /// `text` compiled on first use: an embedded rule's, which build.rs
    /// compiled with this same regex crate, so it cannot fail.
    pub fn unchecked(text: &str) -> Pattern {
        Pattern {
            text: text.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as written, without compiling it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for Pattern {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Regex::new(&self.text).expect("an embedded pattern that build.rs compiled")
        })
    }
}

/// `[rule.log]` compiled.
#[derive(Debug, Clone)]
pub struct LogSpec {
    pub patterns: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
    /// Sources read; `dockerd` and `info` when the rule names none.
    pub sources: Vec<LogSource>,
    /// Empty = every level; a record without a level always passes.
    pub levels: Vec<String>,
    pub min_count: u64,
    /// When set, `min_count` must be reached by one value of this capture.
    pub per: Option<String>,
    pub engine: Option<EngineRange>,
    pub examples: LogExamples,
}

#[derive(Debug, Clone, Default)]
pub struct LogExamples {
    pub matches: Vec<LogExample>,
    pub no_match: Vec<LogExample>,
}

#[derive(Debug, Clone)]
pub struct LogExample {
    pub line: String,
    pub engine: Option<String>,
}

impl LogSpec {
    /// Everything but the patterns: source, level, engine range.
    pub fn admits(&self, ev: &LogEvent) -> bool {
        self.sources.contains(&ev.source)
            && match ev.level {
                Some(level) if !self.levels.is_empty() => self.levels.iter().any(|l| l == level),
                _ => true,
            }
            && self
                .engine
                .as_ref()
                .is_none_or(|r| r.admits(ev.engine_version))
    }

    /// The index of the first pattern matching `ev`, if the rule fires on it.
    /// The matcher gets the same answer faster through its literals.
    pub fn first_match(&self, ev: &LogEvent) -> Option<usize> {
        if !self.admits(ev) {
            return None;
        }
        let i = self
            .patterns
            .iter()
            .position(|re| re.is_match(ev.haystack))?;
        (!self.excluded(ev.haystack)).then_some(i)
    }

    pub fn excluded(&self, haystack: &str) -> bool {
        self.exclude.iter().any(|re| re.is_match(haystack))
    }
}

/// `[rule.task]` compiled. `err` and `message` are each "any of"; when both
/// are given, both must match.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub err: Vec<Regex>,
    pub message: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub states: Vec<String>,
    pub engine: Option<EngineRange>,
    pub matches: Vec<TaskExample>,
    pub no_match: Vec<TaskExample>,
}

#[derive(Debug, Clone, Default)]
pub struct TaskExample {
    pub state: String,
    pub message: String,
    pub err: String,
    pub engine: Option<String>,
}

impl TaskSpec {
    /// The regex whose captures describe the match (first matching `err`
    /// pattern, else first matching `message` one), if the rule fires.
    pub fn first_match(&self, t: &TaskEvent) -> Option<(&Regex, bool)> {
        if !self.states.is_empty() && !self.states.iter().any(|s| s.eq_ignore_ascii_case(t.state)) {
            return None;
        }
        if !self
            .engine
            .as_ref()
            .is_none_or(|r| r.admits(t.engine_version))
        {
            return None;
        }
        let err = if self.err.is_empty() {
            None
        } else {
            Some(self.err.iter().find(|re| re.is_match(t.err))?)
        };
        let message = if self.message.is_empty() {
            None
        } else {
            Some(self.message.iter().find(|re| re.is_match(t.message))?)
        };
        if self
            .exclude
            .iter()
            .any(|re| re.is_match(t.err) || re.is_match(t.message))
        {
            return None;
        }
        match (err, message) {
            (Some(re), _) => Some((re, true)),
            (None, Some(re)) => Some((re, false)),
            (None, None) => None,
        }
    }
}

/// `[rule.version]` compiled.
#[derive(Debug, Clone)]
pub struct VersionSpec {
    pub when: Vec<Condition>,
    pub matches: Vec<Vec<(String, String)>>,
    pub no_match: Vec<Vec<(String, String)>>,
}

/// One node condition: a role (or any) and an engine range.
#[derive(Debug, Clone)]
pub struct Condition {
    pub role: Option<String>,
    pub engine: EngineRange,
}

impl Condition {
    /// True when a node with `role` and `version` meets the condition; an
    /// unreadable version never does (nothing to compare).
    pub fn admits(&self, role: &str, version: &str) -> bool {
        self.role.as_deref().is_none_or(|r| r == role)
            && engine_version::matches(&self.engine.req, version)
    }

    pub fn describe(&self) -> String {
        match &self.role {
            Some(role) => format!("{role} {}", self.engine.text),
            None => format!("any node {}", self.engine.text),
        }
    }
}

impl Rule {
    /// `log`, `task`, `log+task`, `version` or `check`.
    pub fn kind(&self) -> &'static str {
        match (&self.log, &self.task, &self.version) {
            _ if self.check => "check",
            (Some(_), Some(_), _) => "log+task",
            (Some(_), None, _) => "log",
            (None, Some(_), _) => "task",
            (None, None, Some(_)) => "version",
            (None, None, None) => "check",
        }
    }

    /// Bundle paths (relative to a node root) the rule reads. A log, task or
    /// version rule can run when any of them is present; a check lists what
    /// its code reads.
    pub fn inputs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(log) = &self.log {
            for s in &log.sources {
                out.extend_from_slice(s.inputs());
            }
        }
        if self.task.is_some() {
            out.push("swarm/tasks.json");
        }
        if self.version.is_some() {
            out.extend_from_slice(&["docker/version.json", "swarm/nodes.json"]);
        }
        out.extend(self.check_inputs.iter().map(String::as_str));
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|p| seen.insert(*p));
        out
    }
}
