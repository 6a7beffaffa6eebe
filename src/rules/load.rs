//! Reading rule files: TOML → schema checks → compiled [`Rule`]s whose
//! examples behave as declared. Embedded files come from build.rs.

use super::example::read_example;
use super::rule::{
    Condition, EngineRange, Explains, LogExample, LogExamples, LogSpec, Pattern, Rule, TaskExample,
    TaskSpec, VersionSpec, When,
};
use super::schema::{self, RawLog, RawRule, RawTask, RawVersion};
use super::{LogEvent, LogSource, TaskEvent};
use crate::error::Error;
use crate::finding::Severity;
use crate::parse::engine_version::parse_range;
use regex::Regex;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded rule files: `(name, text)`, sorted by name.
pub(crate) fn embedded_files() -> &'static [(&'static str, &'static str)] {
    EMBEDDED
}

/// Whether a file's rules are checked as they load.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// Schema and examples: a user's rule file.
    All,
    /// None: an embedded file, whose schema build.rs checked and whose
    /// examples the test suite runs through [`Checks::All`].
    DoneAtBuild,
}

/// Every rule of one file, compiled and (with [`Checks::All`]) checked
/// against the schema and its examples. Errors name `path` and the rule id.
pub(crate) fn load_file(path: &str, text: &str, checks: Checks) -> Result<Vec<Rule>, Error> {
    let err = |message: String| Error::Rules {
        path: path.to_string(),
        message,
    };
    let raw = schema::parse_file(text).map_err(err)?;
    if checks == Checks::All {
        let problems = schema::validate_file(&raw);
        if !problems.is_empty() {
            return Err(err(problems.join("; ")));
        }
    }
    raw.rule
        .into_iter()
        .map(|r| {
            let id = r.id.clone();
            compile(r, path, checks).map_err(|m| err(format!("rule {id}: {m}")))
        })
        .collect()
}

fn compile(raw: RawRule, file: &str, checks: Checks) -> Result<Rule, String> {
    let severity =
        Severity::parse(&raw.severity).ok_or_else(|| format!("severity {:?}", raw.severity))?;
    let explains = raw
        .explains
        .iter()
        .map(|e| {
            Ok(Explains {
                ids: e.ids.clone(),
                when: e
                    .when
                    .conditions()
                    .into_iter()
                    .map(|c| When::parse(c).ok_or_else(|| format!("explains.when {c:?}")))
                    .collect::<Result<_, String>>()?,
                restates: e.restates,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rule = Rule {
        guess: raw.guess || raw.version.is_some(),
        confirm: raw.confirm.map(|c| c.trim().to_string()),
        explains,
        log: raw.log.map(|l| compile_log(l, checks)).transpose()?,
        task: raw.task.map(compile_task).transpose()?,
        version: raw.version.map(compile_version).transpose()?,
        distinct_tasks: raw.distinct.as_deref() == Some("task"),
        check: raw.kind.as_deref() == Some("check"),
        check_inputs: raw.inputs,
        id: raw.id,
        name: raw.name,
        title: raw.title.trim().to_string(),
        severity,
        explanation: raw.explanation.trim().to_string(),
        remediation: raw.remediation.trim().to_string(),
        references: raw.references,
        file: file.to_string(),
    };
    if checks == Checks::All {
        check_examples(&rule)?;
    }
    Ok(rule)
}

fn regexes(patterns: &[String]) -> Result<Vec<Regex>, String> {
    patterns
        .iter()
        .map(|p| Regex::new(p).map_err(|e| format!("pattern {p:?}: {e}")))
        .collect()
}

fn range(text: Option<String>) -> Result<Option<EngineRange>, String> {
    text.map(|t| {
        let req = parse_range(&t)?;
        Ok(EngineRange { text: t, req })
    })
    .transpose()
}

/// Log patterns: compiled now for a checked file, on first use for an
/// embedded one.
fn patterns(texts: &[String], checks: Checks) -> Result<Vec<Pattern>, String> {
    texts
        .iter()
        .map(|p| match checks {
            Checks::All => Pattern::checked(p).map_err(|e| format!("pattern {p:?}: {e}")),
            Checks::DoneAtBuild => Ok(Pattern::unchecked(p)),
        })
        .collect()
}

fn compile_log(raw: RawLog, checks: Checks) -> Result<LogSpec, String> {
    let mut sources = raw
        .sources
        .iter()
        .map(|s| LogSource::parse(s).ok_or_else(|| format!("log source {s:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if sources.is_empty() {
        // Daemon messages also surface in `docker info` and containers' State.Error.
        sources = vec![LogSource::Dockerd, LogSource::Info];
    }
    let example = |e: &schema::RawLogExample| LogExample {
        line: e.line().to_string(),
        engine: e.engine().map(String::from),
    };
    Ok(LogSpec {
        patterns: patterns(&raw.patterns, checks)?,
        exclude: patterns(&raw.exclude, checks)?,
        sources,
        levels: raw.levels,
        min_count: raw.min_count.unwrap_or(1),
        per: raw.per,
        engine: range(raw.engine)?,
        examples: LogExamples {
            matches: raw.matches.iter().map(example).collect(),
            no_match: raw.no_match.iter().map(example).collect(),
        },
    })
}

fn compile_task(raw: RawTask) -> Result<TaskSpec, String> {
    let example = |e: schema::RawTaskExample| TaskExample {
        state: e.state,
        message: e.message,
        err: e.err,
        engine: e.engine,
    };
    Ok(TaskSpec {
        err: regexes(&raw.err)?,
        message: regexes(&raw.message)?,
        exclude: regexes(&raw.exclude)?,
        states: raw.states,
        engine: range(raw.engine)?,
        matches: raw.matches.into_iter().map(example).collect(),
        no_match: raw.no_match.into_iter().map(example).collect(),
    })
}

fn compile_version(raw: RawVersion) -> Result<VersionSpec, String> {
    let when = raw
        .when
        .into_iter()
        .map(|c| {
            Ok(Condition {
                role: c.role,
                engine: range(Some(c.engine))?.ok_or("missing engine")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let clusters = |v: Vec<Vec<String>>| -> Vec<Vec<(String, String)>> {
        v.iter()
            .map(|c| {
                c.iter()
                    .map(|e| {
                        let (role, version) = schema::split_version_example(e);
                        (role.to_string(), version.to_string())
                    })
                    .collect()
            })
            .collect()
    };
    Ok(VersionSpec {
        when,
        matches: clusters(raw.matches),
        no_match: clusters(raw.no_match),
    })
}

/// The source an example line is read as: a logrus line is `dockerd`;
/// another line is the first non-dockerd source the rule accepts (a kernel
/// line or an info/State.Error string), else `dockerd`.
pub(crate) fn example_source(logrus: bool, spec: &LogSpec) -> LogSource {
    if logrus {
        return LogSource::Dockerd;
    }
    [LogSource::Info, LogSource::Kernel]
        .into_iter()
        .find(|s| spec.sources.contains(s))
        .unwrap_or(LogSource::Dockerd)
}

/// Every example must behave as declared under the rule's own predicate.
fn check_examples(rule: &Rule) -> Result<(), String> {
    let mut problems = Vec::new();
    if let Some(spec) = &rule.log {
        for (expect, list) in [
            (true, &spec.examples.matches),
            (false, &spec.examples.no_match),
        ] {
            for ex in list {
                let line = read_example(&ex.line);
                let ev = LogEvent {
                    node: "example",
                    file: "example",
                    line: 1,
                    time: None,
                    level: line.level.as_deref(),
                    source: example_source(line.logrus, spec),
                    haystack: &line.haystack,
                    raw: &ex.line,
                    engine_version: ex.engine.as_deref(),
                };
                if spec.first_match(&ev).is_some() != expect {
                    problems.push(format!(
                        "log example {} but should {}: {:?}",
                        if expect { "does not match" } else { "matches" },
                        if expect { "match" } else { "not" },
                        ex.line
                    ));
                }
            }
        }
    }
    if let Some(spec) = &rule.task {
        for (expect, list) in [(true, &spec.matches), (false, &spec.no_match)] {
            for ex in list {
                let t = ex.as_event();
                if spec.first_match(&t).is_some() != expect {
                    problems.push(format!(
                        "task example {} but should {}: {ex:?}",
                        if expect { "does not match" } else { "matches" },
                        if expect { "match" } else { "not" },
                    ));
                }
            }
        }
    }
    if let Some(spec) = &rule.version {
        for (expect, list) in [(true, &spec.matches), (false, &spec.no_match)] {
            for cluster in list {
                let fires = spec
                    .when
                    .iter()
                    .all(|c| cluster.iter().any(|(role, v)| c.admits(role, v)));
                if fires != expect {
                    problems.push(format!(
                        "version example {} but should {}: {cluster:?}",
                        if expect { "does not fire" } else { "fires" },
                        if expect { "fire" } else { "not" },
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

impl TaskExample {
    /// The example as a task event on an unnamed node.
    pub(crate) fn as_event(&self) -> TaskEvent<'_> {
        TaskEvent {
            node: "",
            file: "example",
            line: 1,
            task_id: "example",
            service: "example",
            state: &self.state,
            desired_state: "",
            message: &self.message,
            err: &self.err,
            time: None,
            engine_version: self.engine.as_deref(),
        }
    }
}
