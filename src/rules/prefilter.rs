//! A literal prefilter for the log rule set: texts one of which every match of every log pattern holds.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};

/// Literals shorter than this match too many lines to be worth scanning for.
const MIN_LITERAL: usize = 3;

/// An automaton over, for each pattern, the literals every one of its
/// matches starts with (or else ends with). A text holding none of them
/// matches no pattern, so the regex set need not run on it. `None` when
/// some pattern has no such set of literals of at least [`MIN_LITERAL`]
/// bytes: then every text goes to the set.
pub(crate) fn build(patterns: &[&str]) -> Option<AhoCorasick> {
    let mut literals: Vec<Vec<u8>> = Vec::new();
    for p in patterns {
        let hir = regex_syntax::Parser::new().parse(p).ok()?;
        let seq = required(&hir)?;
        literals.extend(seq.literals()?.iter().map(|l| l.as_bytes().to_vec()));
    }
    literals.sort();
    literals.dedup();
    // A DFA: the fastest search per byte, and the literals are few enough.
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .build(literals)
        .ok()
}

/// Literals one of which every match of `hir` holds: those its matches
/// start with, or end with, or else those of a part every match holds (a
/// piece of a concatenation, the inside of a group).
fn required(hir: &Hir) -> Option<Seq> {
    let whole = [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .map(|kind| Extractor::new().kind(kind).extract(hir))
        .find(usable);
    whole.or_else(|| match hir.kind() {
        HirKind::Concat(parts) => parts.iter().find_map(required),
        HirKind::Capture(c) => required(&c.sub),
        _ => None,
    })
}

/// A finite, non-empty set of literals, none of them short: every match
/// then holds one of them.
fn usable(seq: &Seq) -> bool {
    seq.literals()
        .is_some_and(|ls| !ls.is_empty() && ls.iter().all(|l| l.as_bytes().len() >= MIN_LITERAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_pattern_has_literals() {
        let set = crate::rules::RuleSet::embedded().unwrap();
        assert!(
            set.inner.log_prefilter.is_some(),
            "a log pattern has no literal prefilter"
        );
    }

    #[test]
    fn a_text_without_the_literals_is_rejected_and_one_with_them_kept() {
        let ac = build(&[
            "(?i)heartbeat (to|with) manager .* failed",
            r"no route to host$",
        ])
        .unwrap();
        assert!(!ac.is_match("all is well"));
        assert!(ac.is_match("HeartBeat to Manager x failed"));
        assert!(ac.is_match("dial: no route to host"));
        assert!(build(&["a+"]).is_none());
        assert!(build(&[".*"]).is_none());
        // A literal inside the pattern, neither at its start nor its end.
        let ac = build(&[r"\S+ is starting (a|an) election at term \d+"]).unwrap();
        assert!(ac.is_match("3f2 is starting a election at term 9"));
        assert!(!ac.is_match("3f2 is starting"));
    }
}
