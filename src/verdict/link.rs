//! Which declared `explains` links hold between the findings of one run.
//! Candidates are looked up in an index keyed by (id, condition, key), so a
//! cause only ever meets the findings that share a node, network, service
//! or line with it: the work grows with the links found, not with the
//! product of the findings.

use super::scope::Scope;
use crate::finding::Finding;
use crate::rules::{RuleSet, When};
use std::collections::{BTreeSet, HashMap};

/// A link that holds: `cause` explains `effect` (indexes into the findings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub cause: usize,
    pub effect: usize,
    pub restates: bool,
    pub when: Vec<When>,
}

/// The keyed conditions, most selective first: the one used for lookup.
const KEYED: [When; 4] = [
    When::SameLine,
    When::SameService,
    When::SameNetwork,
    When::SameNode,
];

fn keys(scope: &Scope, when: When) -> &BTreeSet<String> {
    match when {
        When::SameNode => &scope.nodes,
        When::SameNetwork => &scope.networks,
        When::SameService => &scope.services,
        When::SameLine | When::Earlier => &scope.lines,
    }
}

fn holds(when: When, cause: &Scope, effect: &Scope) -> bool {
    match when {
        When::Earlier => matches!(
            (cause.first_seen, effect.first_seen),
            (Some(c), Some(e)) if c <= e
        ),
        keyed => {
            let (a, b) = (keys(cause, keyed), keys(effect, keyed));
            let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            small.iter().any(|k| large.contains(k))
        }
    }
}

/// Every link that holds, sorted, and how many candidate pairs were
/// examined to find them (for the test that matching stays linear).
pub fn links(findings: &[Finding], scopes: &[Scope], rules: &RuleSet) -> (Vec<Link>, usize) {
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut index: HashMap<(&str, When, &str), Vec<usize>> = HashMap::new();
    for (i, (f, s)) in findings.iter().zip(scopes).enumerate() {
        by_id.entry(f.id.as_str()).or_default().push(i);
        for when in KEYED {
            for k in keys(s, when) {
                index
                    .entry((f.id.as_str(), when, k.as_str()))
                    .or_default()
                    .push(i);
            }
        }
    }
    let mut out = Vec::new();
    let mut examined = 0usize;
    for (i, f) in findings.iter().enumerate() {
        let Some(rule) = rules.get(&f.id) else {
            continue;
        };
        for e in &rule.explains {
            let lookup = KEYED.into_iter().find(|k| e.when.contains(k));
            for target in &e.ids {
                let candidates: BTreeSet<usize> = match lookup {
                    Some(k) => keys(&scopes[i], k)
                        .iter()
                        .filter_map(|key| index.get(&(target.as_str(), k, key.as_str())))
                        .flatten()
                        .copied()
                        .collect(),
                    None => by_id
                        .get(target.as_str())
                        .into_iter()
                        .flatten()
                        .copied()
                        .collect(),
                };
                for j in candidates {
                    examined += 1;
                    if j != i && e.when.iter().all(|w| holds(*w, &scopes[i], &scopes[j])) {
                        out.push(Link {
                            cause: i,
                            effect: j,
                            restates: e.restates,
                            when: e.when.clone(),
                        });
                    }
                }
            }
        }
    }
    out.sort_by_key(|l| (l.cause, l.effect, !l.restates));
    // One link per pair: a restatement wins over a plain explanation.
    out.dedup_by_key(|l| (l.cause, l.effect));
    (out, examined)
}
