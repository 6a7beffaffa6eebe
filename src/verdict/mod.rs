//! The verdict: findings plus the rules' declared causal links (`[[rule.explains]]`) → ranked root causes, each with what it explains, and version-only guesses kept apart; no rendering.

mod link;
mod scope;
#[cfg(test)]
mod tests;

pub use link::Link;

use crate::finding::{Evidence, Finding, Severity};
use crate::model::Cluster;
use crate::rules::RuleSet;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// How much the evidence behind a root cause can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// One log or task line, explaining nothing else.
    Low,
    /// Log or task signatures, or a version guess its effects confirm.
    Medium,
    /// A check read the state itself (tables, namespaces, the manager's objects).
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A finding a root cause accounts for, and through which link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    pub id: String,
    pub subject: Option<String>,
    /// The id of the finding that explains it directly.
    pub by: String,
    /// It states the same fact as `by` (its evidence joins the root cause's).
    pub restates: bool,
    /// The conditions that held (`same_node`, `earlier`, …).
    pub when: Vec<&'static str>,
}

/// How far a root cause reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Breadth {
    pub nodes: usize,
    pub services: usize,
    /// Tasks counted by the task rules among its findings.
    pub tasks: u64,
}

/// One root cause: a finding (or several with the same id, e.g. one per
/// network) that nothing else explains, with everything it explains.
#[derive(Debug, Clone, Serialize)]
pub struct RootCause {
    /// The id of its leading finding (`SW301`).
    pub id: String,
    pub title: String,
    /// The worst severity of it and what it explains.
    pub severity: Severity,
    /// Subjects of the leading findings (a network, a node…).
    pub subjects: Vec<String>,
    /// Where the cause itself was seen (its leading findings and restatements).
    pub nodes: BTreeSet<String>,
    /// Every node of it and of what it explains.
    pub affected: BTreeSet<String>,
    /// Plain ids of the findings it accounts for, restatements included.
    pub explains: Vec<String>,
    /// The same, finding by finding, with the link that holds.
    pub chain: Vec<Explained>,
    /// What to do about this cause (its leading rule's remediation).
    pub fix: String,
    pub confidence: Confidence,
    /// The one piece of evidence that would confirm it or rule it out.
    pub confirm: String,
    pub breadth: Breadth,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    /// The evidence of its leading findings and their restatements.
    pub evidence: Vec<Evidence>,
}

/// What became of a guess from engine versions alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuessStatus {
    /// A check that would show its effect ran and found nothing.
    RuledOut,
    /// No check that would show its effect could run.
    Unconfirmed,
}

impl GuessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GuessStatus::RuledOut => "ruled out",
            GuessStatus::Unconfirmed => "unconfirmed",
        }
    }
}

/// A version-only finding the data does not confirm. Its findings stay in
/// the list, at warning (unconfirmed) or info (ruled out), never as errors.
#[derive(Debug, Clone, Serialize)]
pub struct Guess {
    pub id: String,
    pub title: String,
    pub status: GuessStatus,
    /// Why: which check ran and found nothing, or could not run.
    pub reason: String,
    pub nodes: BTreeSet<String>,
    /// Other version-only findings that state the same guess.
    pub restates: Vec<String>,
    pub confirm: String,
}

/// The verdict of one analysis.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// Ranked: severity, breadth, confidence, then the earliest first.
    pub root_causes: Vec<RootCause>,
    pub guesses: Vec<Guess>,
}

/// Rules that could not run, with the reason (`coverage.not_run`).
pub type NotRun<'a> = BTreeMap<&'a str, &'a str>;

/// Judges `findings` (consolidated): links them, ranks the root causes and
/// sets the guesses apart. Findings of guesses the data does not confirm
/// have their severity lowered (warning when unconfirmed, info when ruled
/// out) so that no guess reads as an error; the caller re-sorts them.
pub fn judge(
    cluster: &Cluster,
    findings: &mut [Finding],
    rules: &RuleSet,
    not_run: &NotRun,
) -> Verdict {
    let names = scope::Names::new(cluster);
    let scopes: Vec<scope::Scope> = findings.iter().map(|f| names.scope(f)).collect();
    let (all_links, _) = link::links(findings, &scopes, rules);
    build(findings, &scopes, all_links, rules, not_run)
}

fn is_guess(rules: &RuleSet, f: &Finding) -> bool {
    rules.get(&f.id).is_some_and(|r| r.guess)
}

fn build(
    findings: &mut [Finding],
    scopes: &[scope::Scope],
    all_links: Vec<Link>,
    rules: &RuleSet,
    not_run: &NotRun,
) -> Verdict {
    let n = findings.len();
    let guess: Vec<bool> = findings.iter().map(|f| is_guess(rules, f)).collect();
    // A guess is confirmed when it explains an effect the data shows (not a
    // restatement, not another guess).
    let mut confirmed = vec![false; n];
    for l in &all_links {
        if guess[l.cause] && !l.restates && !guess[l.effect] {
            confirmed[l.cause] = true;
        }
    }
    let unconfirmed = |i: usize| guess[i] && !confirmed[i];
    // An unconfirmed guess explains nothing, except the unconfirmed guesses
    // restating it (a confirmed one stands on its own effects).
    let links: Vec<Link> = all_links
        .into_iter()
        .filter(|l| !unconfirmed(l.cause) || (l.restates && unconfirmed(l.effect)))
        .collect();
    let mut parents: Vec<Vec<&Link>> = vec![Vec::new(); n];
    for l in &links {
        parents[l.effect].push(l);
    }

    // Each finding's root: itself when nothing explains it, else the best
    // root among its causes'. The rule graph has no cycles, so neither has
    // this one; an explicit stack keeps deep chains off the call stack.
    let rank_key = |i: usize| {
        (
            Reverse(findings[i].severity),
            unconfirmed(i),
            findings[i].first_seen.is_none(),
            findings[i].first_seen,
            i,
        )
    };
    let mut root: Vec<Option<(usize, Option<usize>)>> = vec![None; n];
    for start in 0..n {
        let mut stack = vec![start];
        while let Some(&i) = stack.last() {
            if root[i].is_some() {
                stack.pop();
                continue;
            }
            let pending: Vec<usize> = parents[i]
                .iter()
                .map(|l| l.cause)
                .filter(|p| root[*p].is_none())
                .collect();
            if !pending.is_empty() && stack.len() <= n {
                stack.extend(pending);
                continue;
            }
            stack.pop();
            root[i] = Some(
                parents[i]
                    .iter()
                    .filter_map(|l| root[l.cause].map(|(r, _)| (r, Some(l.cause))))
                    // The best root; through the root itself when it is a parent.
                    .min_by_key(|&(r, p)| (rank_key(r), p != Some(r), p))
                    .unwrap_or((i, None)),
            );
        }
    }

    // Group by root id: findings with the same id that nothing explains
    // state one fact (one per node or network) and make one root cause.
    let mut groups: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
    for (i, r) in root.iter().enumerate() {
        let (r, _) = r.unwrap_or((i, None));
        groups
            .entry((findings[r].id.clone(), unconfirmed(r)))
            .or_default()
            .push(i);
    }
    let link_of =
        |effect: usize, cause: usize| parents[effect].iter().find(|l| l.cause == cause).copied();

    let mut causes = Vec::new();
    let mut guesses = Vec::new();
    let mut lowered: Vec<(usize, Severity)> = Vec::new();
    for ((id, is_unconfirmed), members) in groups {
        let leaders: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| root[i].is_some_and(|(r, _)| r == i))
            .collect();
        let Some(&lead) = leaders.first() else {
            continue;
        };
        let rule = rules.get(&id);
        let confirm_of = |lead: usize| {
            rule.and_then(|r| r.confirm.clone()).unwrap_or_else(|| {
                findings[lead].evidence.first().map_or_else(
                    || "no evidence line: see the finding's detail".to_string(),
                    |e| {
                        if e.line == 0 {
                            format!("{}: {}", e.file, e.text)
                        } else {
                            format!("{}:{}: {}", e.file, e.line, e.text)
                        }
                    },
                )
            })
        };
        let mut chain: Vec<(usize, Explained)> = members
            .iter()
            .copied()
            .filter(|i| !leaders.contains(i))
            .filter_map(|i| {
                let (_, by) = root[i]?;
                let by = by?;
                let l = link_of(i, by)?;
                Some((
                    i,
                    Explained {
                        id: findings[i].id.clone(),
                        subject: findings[i].subject.clone(),
                        by: findings[by].id.clone(),
                        restates: l.restates,
                        when: l.when.iter().map(|w| w.as_str()).collect(),
                    },
                ))
            })
            .collect();
        chain.sort_by_key(|(i, _)| (Reverse(findings[*i].severity), findings[*i].id.clone(), *i));
        let mut explains: Vec<String> = Vec::new();
        for (_, e) in &chain {
            if e.id != id && !explains.contains(&e.id) {
                explains.push(e.id.clone());
            }
        }
        let affected: BTreeSet<String> = members
            .iter()
            .flat_map(|&i| findings[i].nodes.iter().cloned())
            .collect();

        if is_unconfirmed {
            let effects: Vec<&str> = rule
                .map(|r| {
                    r.explains
                        .iter()
                        .filter(|e| !e.restates)
                        .flat_map(|e| e.ids.iter().map(String::as_str))
                        .collect()
                })
                .unwrap_or_default();
            let ran: Vec<&str> = effects
                .iter()
                .copied()
                .filter(|e| !not_run.contains_key(e))
                .collect();
            let (status, reason) = if !ran.is_empty() {
                (
                    GuessStatus::RuledOut,
                    format!("{} ran and found nothing", ran.join(", ")),
                )
            } else if let Some(first) = effects.first() {
                (
                    GuessStatus::Unconfirmed,
                    format!(
                        "{} could not run ({})",
                        effects.join(", "),
                        not_run.get(first).copied().unwrap_or("no input")
                    ),
                )
            } else {
                (
                    GuessStatus::Unconfirmed,
                    "derived from engine versions alone; no check shows its effect".to_string(),
                )
            };
            let cap = match status {
                GuessStatus::RuledOut => Severity::Info,
                GuessStatus::Unconfirmed => Severity::Warning,
            };
            for &i in &members {
                lowered.push((i, findings[i].severity.min(cap)));
            }
            let confirm = match rule.and_then(|r| r.confirm.clone()) {
                Some(c) => c,
                None if !effects.is_empty() => {
                    let named: Vec<String> = effects
                        .iter()
                        .map(|e| match rules.get(e) {
                            Some(r) => format!("{e} ({})", r.title),
                            None => e.to_string(),
                        })
                        .collect();
                    format!("its effect, if real, shows as {}", named.join(" or "))
                }
                None => confirm_of(lead),
            };
            guesses.push(Guess {
                id: id.clone(),
                title: findings[lead].title.clone(),
                status,
                reason,
                nodes: affected,
                restates: explains,
                confirm,
            });
            continue;
        }

        let severity = members
            .iter()
            .map(|&i| findings[i].severity)
            .max()
            .unwrap_or(Severity::Info);
        if severity < Severity::Error {
            continue;
        }
        // The same fact: the leaders and what restates them.
        let same_fact: Vec<usize> = leaders
            .iter()
            .copied()
            .chain(chain.iter().filter(|(_, e)| e.restates).map(|(i, _)| *i))
            .collect();
        let mut evidence: Vec<Evidence> = same_fact
            .iter()
            .flat_map(|&i| findings[i].evidence.iter().cloned())
            .collect();
        evidence.sort();
        evidence.dedup();
        let checked = same_fact.iter().any(|&i| {
            rules
                .get(&findings[i].id)
                .is_some_and(|r| r.check && !r.guess)
        });
        let confidence = if checked {
            Confidence::High
        } else if members.len() > 1 || members.iter().any(|&i| findings[i].count > 1) {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        let services: BTreeSet<&String> = members
            .iter()
            .flat_map(|&i| scopes[i].services.iter())
            .collect();
        let tasks: u64 = members
            .iter()
            .filter(|&&i| {
                rules
                    .get(&findings[i].id)
                    .is_some_and(|r| r.task.is_some() || r.distinct_tasks)
            })
            .map(|&i| findings[i].count)
            .sum();
        let first_seen = same_fact
            .iter()
            .filter_map(|&i| findings[i].first_seen)
            .min();
        causes.push(RootCause {
            id: id.clone(),
            title: findings[lead].title.clone(),
            severity,
            subjects: leaders
                .iter()
                .filter_map(|&i| findings[i].subject.clone())
                .collect(),
            nodes: same_fact
                .iter()
                .flat_map(|&i| findings[i].nodes.iter().cloned())
                .collect(),
            breadth: Breadth {
                nodes: affected.len(),
                services: services.len(),
                tasks,
            },
            affected,
            explains,
            chain: chain.into_iter().map(|(_, e)| e).collect(),
            fix: rule.map_or_else(
                || findings[lead].remediation.clone(),
                |r| r.remediation.clone(),
            ),
            confidence,
            confirm: confirm_of(lead),
            first_seen,
            evidence,
        });
    }
    causes.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.breadth.cmp(&a.breadth))
            .then_with(|| b.confidence.cmp(&a.confidence))
            .then_with(|| a.first_seen.is_none().cmp(&b.first_seen.is_none()))
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.id.cmp(&b.id))
    });
    guesses.sort_by(|a, b| a.status.cmp(&b.status).then_with(|| a.id.cmp(&b.id)));
    for (i, s) in lowered {
        findings[i].severity = s;
    }
    Verdict {
        root_causes: causes,
        guesses,
    }
}
