//! Rules as text (`rules explain`) and as JSON (`rules list --format json`).

use super::rule::Rule;
use super::LogSource;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The full description of a rule: metadata, what it reads, how it matches
/// and its examples.
pub(crate) fn explain(r: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} ({}, {})", r.id, r.name, r.kind(), r.severity);
    let _ = writeln!(s, "{}", r.title);
    let _ = writeln!(s, "\nExplanation:\n{}", indent(&r.explanation));
    let _ = writeln!(s, "\nRemediation:\n{}", indent(&r.remediation));
    if !r.references.is_empty() {
        let _ = writeln!(s, "\nReferences:");
        for reference in &r.references {
            let _ = writeln!(s, "  {reference}");
        }
    }
    let inputs = r.inputs();
    if !inputs.is_empty() {
        let _ = writeln!(s, "\nReads: {}", inputs.join(", "));
    }
    if r.distinct_tasks {
        let _ = writeln!(
            s,
            "Counts tasks: a task logged (its `task` capture) and listed in the tasks dump counts once."
        );
    }
    if let Some(log) = &r.log {
        let _ = writeln!(s, "\nLog patterns (any of):");
        for p in &log.patterns {
            let _ = writeln!(s, "  {}", p.as_str());
        }
        for p in &log.exclude {
            let _ = writeln!(s, "  except lines matching {}", p.as_str());
        }
        let mut filters = Vec::new();
        if log.sources != [LogSource::Dockerd, LogSource::Info] {
            let names: Vec<&str> = log.sources.iter().map(|s| s.as_str()).collect();
            filters.push(format!("sources {}", names.join("|")));
        }
        if !log.levels.is_empty() {
            filters.push(format!("levels {}", log.levels.join("|")));
        }
        if log.min_count > 1 {
            match &log.per {
                Some(per) => filters.push(format!(
                    "at least {} times for one {per} on a node",
                    log.min_count
                )),
                None => filters.push(format!("at least {} times on a node", log.min_count)),
            }
        }
        if let Some(e) = &log.engine {
            filters.push(format!("engine {}", e.text));
        }
        if !filters.is_empty() {
            let _ = writeln!(s, "  only: {}", filters.join("; "));
        }
        let _ = writeln!(s, "\nMatches, e.g.:");
        for ex in &log.examples.matches {
            let _ = writeln!(s, "  {}", ex.line);
        }
        let _ = writeln!(s, "Does not match, e.g.:");
        for ex in &log.examples.no_match {
            let _ = writeln!(s, "  {}", ex.line);
        }
    }
    if let Some(task) = &r.task {
        let _ = writeln!(s, "\nTask patterns:");
        for p in &task.err {
            let _ = writeln!(s, "  Status.Err ~ {}", p.as_str());
        }
        for p in &task.message {
            let _ = writeln!(s, "  Status.Message ~ {}", p.as_str());
        }
        for p in &task.exclude {
            let _ = writeln!(s, "  except {}", p.as_str());
        }
        if !task.states.is_empty() {
            let _ = writeln!(s, "  only states {}", task.states.join("|"));
        }
        if let Some(e) = &task.engine {
            let _ = writeln!(s, "  only engine {}", e.text);
        }
        let _ = writeln!(s, "\nMatches, e.g.:");
        for ex in &task.matches {
            let _ = writeln!(s, "  {}", task_example(&ex.state, &ex.message, &ex.err));
        }
        let _ = writeln!(s, "Does not match, e.g.:");
        for ex in &task.no_match {
            let _ = writeln!(s, "  {}", task_example(&ex.state, &ex.message, &ex.err));
        }
    }
    if let Some(v) = &r.version {
        let _ = writeln!(s, "\nFires when every condition is met by some node:");
        for c in &v.when {
            let _ = writeln!(s, "  {}", c.describe());
        }
        let cluster = |c: &Vec<(String, String)>| {
            c.iter()
                .map(|(role, v)| {
                    if role.is_empty() {
                        v.clone()
                    } else {
                        format!("{role}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(s, "\nFires for, e.g.:");
        for c in &v.matches {
            let _ = writeln!(s, "  {}", cluster(c));
        }
        let _ = writeln!(s, "Does not fire for, e.g.:");
        for c in &v.no_match {
            let _ = writeln!(s, "  {}", cluster(c));
        }
    }
    if r.guess {
        let _ = writeln!(
            s,
            "\nA guess from engine versions alone: a root cause only when a finding it explains shows its effect."
        );
    }
    if !r.explains.is_empty() {
        let _ = writeln!(s, "\nExplains:");
        for e in &r.explains {
            let when: Vec<&str> = e.when.iter().map(|w| w.as_str()).collect();
            let _ = writeln!(
                s,
                "  {}{}{}",
                e.ids.join(", "),
                if when.is_empty() {
                    String::new()
                } else {
                    format!(" when {}", when.join(" and "))
                },
                if e.restates { " (same fact)" } else { "" }
            );
        }
    }
    if let Some(c) = &r.confirm {
        let _ = writeln!(s, "\nTo confirm or rule out: {c}");
    }
    let _ = writeln!(s, "\nDefined in {}", r.file);
    s
}

fn task_example(state: &str, message: &str, err: &str) -> String {
    let mut parts = Vec::new();
    if !state.is_empty() {
        parts.push(format!("state={state}"));
    }
    if !message.is_empty() {
        parts.push(format!("message={message:?}"));
    }
    if !err.is_empty() {
        parts.push(format!("err={err:?}"));
    }
    parts.join(" ")
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One rule as JSON, with everything `explain` shows.
pub(crate) fn to_json(r: &Rule) -> Value {
    let strs = |v: &[regex::Regex]| v.iter().map(|p| p.as_str().to_string()).collect::<Vec<_>>();
    let mut obj = json!({
        "id": r.id,
        "name": r.name,
        "kind": r.kind(),
        "severity": r.severity,
        "title": r.title,
        "explanation": r.explanation,
        "remediation": r.remediation,
        "references": r.references,
        "inputs": r.inputs(),
        "distinct": r.distinct_tasks.then_some("task"),
        "guess": r.guess,
        "confirm": r.confirm,
        "explains": r.explains.iter().map(|e| json!({
            "ids": e.ids,
            "when": e.when.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
            "restates": e.restates,
        })).collect::<Vec<_>>(),
        "file": r.file,
    });
    if let Some(log) = &r.log {
        obj["log"] = json!({
            "patterns": log.patterns.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "exclude": log.exclude.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "sources": log.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "levels": log.levels,
            "min_count": log.min_count,
            "per": log.per,
            "engine": log.engine.as_ref().map(|e| e.text.clone()),
        });
    }
    if let Some(task) = &r.task {
        obj["task"] = json!({
            "err": strs(&task.err),
            "message": strs(&task.message),
            "exclude": strs(&task.exclude),
            "states": task.states,
            "engine": task.engine.as_ref().map(|e| e.text.clone()),
        });
    }
    if let Some(v) = &r.version {
        obj["version"] = json!({
            "when": v.when.iter().map(|c| json!({"role": c.role, "engine": c.engine.text})).collect::<Vec<_>>(),
        });
    }
    obj
}
