//! A literal prefilter for the log rules: the texts one of which every match of a log pattern holds.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};
use std::collections::BTreeMap;

/// Literals shorter than this match too many lines to be worth scanning for.
const MIN_LITERAL: usize = 3;

/// Which log patterns a text may match: an automaton over, for each
/// pattern, the literals every one of its matches starts with (or else ends
/// with, or holds in a part every match has). A pattern whose literals the
/// text lacks cannot match it, so only the others need to run.
#[derive(Debug)]
pub(crate) struct Candidates {
    /// `None` when no pattern has literals.
    literals: Option<AhoCorasick>,
    /// Literal id → the patterns requiring it (ascending).
    owners: Vec<Vec<usize>>,
    /// Patterns without a set of literals of at least [`MIN_LITERAL`]
    /// bytes: they run on every text.
    always: Vec<usize>,
}

impl Candidates {
    pub(crate) fn new(patterns: &[&str]) -> Candidates {
        let mut owners: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        let mut always = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let hir = regex_syntax::Parser::new().parse(p).ok();
            match hir.as_ref().and_then(required) {
                Some(seq) => {
                    for l in seq.literals().into_iter().flatten() {
                        owners.entry(l.as_bytes().to_vec()).or_default().push(i);
                    }
                }
                None => always.push(i),
            }
        }
        // A contiguous NFA: built in a fraction of a DFA's time (startup is
        // much of a small run), and it reads only lines holding a rule's piece.
        let literals = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(owners.keys())
            .ok()
            .filter(|_| !owners.is_empty());
        if literals.is_none() {
            // Every text runs every pattern.
            always = (0..patterns.len()).collect();
        }
        Candidates {
            literals,
            owners: owners.into_values().collect(),
            always,
        }
    }

    /// Whether every pattern has literals (no text runs them all).
    #[cfg(test)]
    pub(crate) fn all_have_literals(&self) -> bool {
        self.always.is_empty()
    }

    /// The patterns `text` may match, ascending, into `out` (cleared first).
    pub(crate) fn of(&self, text: &str, out: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(&self.always);
        let Some(ac) = &self.literals else { return };
        // Most texts hold no literal: one quick pass says so.
        if !ac.is_match(text) {
            return;
        }
        for m in ac.find_overlapping_iter(text) {
            out.extend_from_slice(&self.owners[m.pattern().as_usize()]);
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Texts, one of which every log line holds whose record some pattern
/// matches, found in the line as read rather than in the record's haystack
/// (`msg` then ` key=value`, unescaped). A line keeps each piece of a
/// value that has no character a transport may escape or a parser may drop
/// (quotes, backslashes, `<>&` (JSON), control and non-ASCII characters),
/// and neither crosses a `key=` nor holds the key itself (in the line the
/// value may be quoted); words inside one value stay together, so a piece
/// is as telling as the phrase it comes from. Of the sets of literals a
/// pattern requires (those its matches start with, end with, or that a part
/// of it holds), the one whose weakest literal has the longest piece is
/// kept; each literal gives its longest piece, lower-cased: search them
/// ASCII-case-insensitively. `None` when some pattern has no literal set
/// whose pieces are all at least [`MIN_LITERAL`] bytes (then every line
/// must be parsed).
pub(crate) fn raw_pieces(patterns: &[&str]) -> Option<Vec<String>> {
    let mut pieces = Vec::new();
    for p in patterns {
        // Pieces are searched without regard to case: a leading `(?i)`
        // would only make the extractor give up on long literals (every
        // case variant counts) and fall back to short ones.
        let p = p.strip_prefix("(?i)").unwrap_or(p);
        let hir = regex_syntax::Parser::new().parse(p).ok()?;
        let mut best: Option<Vec<Vec<u8>>> = None;
        for seq in required_sets(&hir) {
            let Some(literals) = seq.literals() else {
                continue;
            };
            let chosen: Option<Vec<Vec<u8>>> = literals
                .iter()
                .map(|l| longest_piece(l.as_bytes()))
                .collect();
            let Some(chosen) = chosen.filter(|c| !c.is_empty()) else {
                continue;
            };
            let weakest = |c: &Vec<Vec<u8>>| c.iter().map(Vec::len).min().unwrap_or(0);
            if best.as_ref().is_none_or(|b| weakest(&chosen) > weakest(b)) {
                best = Some(chosen);
            }
        }
        for piece in best? {
            pieces.push(String::from_utf8_lossy(&piece).to_ascii_lowercase());
        }
    }
    pieces.sort();
    pieces.dedup();
    Some(pieces)
}

/// The longest piece of `literal` a line holds as it is (see
/// [`raw_pieces`]), if it has one of at least [`MIN_LITERAL`] bytes.
fn longest_piece(literal: &[u8]) -> Option<Vec<u8>> {
    let mut best: &[u8] = &[];
    for run in literal.split(|&b| !raw_safe(b)) {
        let parts: Vec<&[u8]> = run.split(|&b| b == b'=').collect();
        for (i, part) in parts.iter().enumerate() {
            // Before a `=`, the last word is a key: drop it.
            let part = if i + 1 < parts.len() {
                match part.iter().rposition(|&b| b == b' ') {
                    Some(sp) => &part[..sp],
                    None => &[],
                }
            } else {
                part
            };
            let part = part.trim_ascii();
            if part.len() > best.len() {
                best = part;
            }
        }
    }
    (best.len() >= MIN_LITERAL).then(|| best.to_vec())
}

/// A byte that reads the same in a line as in its record.
fn raw_safe(b: u8) -> bool {
    (b.is_ascii_graphic() || b == b' ') && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&')
}

/// Every set of literals one of which each match of `hir` holds: those
/// its matches start with and end with, and those of each part every match
/// holds (a piece of a concatenation, the inside of a group).
fn required_sets(hir: &Hir) -> Vec<Seq> {
    let mut sets: Vec<Seq> = [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .map(|kind| Extractor::new().kind(kind).extract(hir))
        .filter(|s| s.literals().is_some_and(|ls| !ls.is_empty()))
        .collect();
    match hir.kind() {
        HirKind::Concat(parts) => sets.extend(parts.iter().flat_map(required_sets)),
        HirKind::Capture(c) => sets.extend(required_sets(&c.sub)),
        _ => {}
    }
    sets
}

/// Literals one of which every match of `hir` holds: those its matches
/// start with, or end with, or else those of a part every match holds (a
/// piece of a concatenation, the inside of a group).
fn required(hir: &Hir) -> Option<Seq> {
    required_sets(hir).into_iter().find(usable)
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
            set.inner.log_candidates.all_have_literals(),
            "a log pattern has no literal prefilter"
        );
    }

    #[test]
    fn every_embedded_pattern_has_raw_pieces() {
        let set = crate::rules::RuleSet::embedded().unwrap();
        let pieces = set.inner.log_raw_pieces.as_ref().expect("raw pieces");
        assert!(pieces.iter().all(|p| p.len() >= MIN_LITERAL));
    }

    #[test]
    fn raw_pieces_survive_quoting_and_escaping() {
        let pieces = raw_pieces(&[
            r#"(?i)error="node is missing network attachments"#,
            r"failed to allocate <nil> & more",
        ])
        .unwrap();
        assert_eq!(
            pieces,
            ["failed to allocate", "node is missing network attachments"]
        );
        // A key is not a piece (in the line its value may be quoted), and
        // of the literals a pattern requires the most telling are kept.
        assert_eq!(
            raw_pieces(&[r"Node (?P<peer>\S+), (?:joined|left) gossip cluster k=v"]).unwrap(),
            [", joined gossip cluster", ", left gossip cluster"]
        );
        // A pattern whose literals are all short pieces has none.
        assert_eq!(raw_pieces(&[r"key=ab"]), None);
    }

    fn candidates(patterns: &[&str], text: &str) -> Vec<usize> {
        let mut out = vec![99];
        Candidates::new(patterns).of(text, &mut out);
        out
    }

    #[test]
    fn a_pattern_runs_only_on_texts_holding_its_literals() {
        let patterns = [
            "(?i)heartbeat (to|with) manager .* failed",
            r"no route to host$",
            // A literal inside the pattern, neither at its start nor its end.
            r"\S+ is starting (a|an) election at term \d+",
            r"route to host",
        ];
        assert!(Candidates::new(&patterns).all_have_literals());
        assert_eq!(candidates(&patterns, "all is well"), [] as [usize; 0]);
        assert_eq!(candidates(&patterns, "HeartBeat to Manager x failed"), [0]);
        // Overlapping literals: both patterns, once each, ascending.
        assert_eq!(
            candidates(&patterns, "dial: no route to host, no route to host"),
            [1, 3]
        );
        assert_eq!(
            candidates(&patterns, "3f2 is starting a election at term 9"),
            [2]
        );
        assert_eq!(candidates(&patterns, "3f2 is starting"), [] as [usize; 0]);
        // A pattern without literals runs on every text; the others still
        // only on theirs.
        let patterns = ["a+", "no route to host", ".*"];
        assert!(!Candidates::new(&patterns).all_have_literals());
        assert_eq!(candidates(&patterns, "all is well"), [0, 2]);
        assert_eq!(candidates(&patterns, "no route to host"), [0, 1, 2]);
        assert_eq!(candidates(&[".*"], "x"), [0]);
    }
}
