//! The safety net under the rules: daemon log lines at level error, fatal
//! or panic that no rule matched, grouped by message template (ids,
//! addresses, numbers, durations and quoted values replaced by
//! placeholders), each group reported as an `UNCLASSIFIED-<hash>` finding.
//! Groups are capped per matcher; lines of groups past the cap are only
//! counted ([`Unclassified::dropped`]).

use super::acc::{cap_text, Acc};
use crate::finding::{Finding, Severity};
use regex::{Captures, Regex};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// Prefix of every unclassified finding's id.
pub const ID_PREFIX: &str = "UNCLASSIFIED-";
/// Distinct error-level templates kept per matcher.
const MAX_ERROR_GROUPS: usize = 200;
/// Distinct fatal/panic templates kept per matcher (apart from error ones,
/// so a flood of error lines never hides a fatal one).
const MAX_FATAL_GROUPS: usize = 50;
/// Characters of a template kept in the title.
const MAX_TEMPLATE: usize = 200;

/// (level, template) → where it was seen.
#[derive(Debug, Default)]
pub(crate) struct Unclassified {
    groups: HashMap<(String, String), BTreeMap<String, Acc>>,
    /// Lines of templates that did not fit under the caps.
    pub dropped: u64,
    /// Message → template, so a repeated message is templated once.
    memo: HashMap<String, String>,
}

/// Messages remembered with their template; the memo is emptied when full.
const MEMO: usize = 4096;

/// One unclassified line.
pub(crate) struct Line<'a> {
    pub node: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub time: Option<OffsetDateTime>,
    /// `error`, `fatal` or `panic`.
    pub level: &'a str,
    /// The message to group by (the message, plus its `error=` field).
    pub message: &'a str,
    pub raw: &'a str,
}

impl Unclassified {
    pub fn add(&mut self, l: &Line<'_>) {
        let t = match self.memo.get(l.message) {
            Some(t) => t.clone(),
            None => {
                // Long messages are templated from their start (the title
                // shows the first MAX_TEMPLATE characters anyway).
                let t = cap_text(
                    &template(&cap_text(l.message, 4 * MAX_TEMPLATE)),
                    2 * MAX_TEMPLATE,
                );
                if l.message.len() <= 1024 {
                    if self.memo.len() >= MEMO {
                        self.memo.clear();
                    }
                    self.memo.insert(l.message.to_string(), t.clone());
                }
                t
            }
        };
        self.add_keyed((l.level.to_string(), t), l);
    }

    fn add_keyed(&mut self, key: (String, String), l: &Line<'_>) {
        if !self.groups.contains_key(&key) && !self.has_room(&key.0) {
            self.dropped += 1;
            return;
        }
        let by_node = self.groups.entry(key).or_default();
        let acc = match by_node.get_mut(l.node) {
            Some(a) => a,
            None => by_node.entry(l.node.to_string()).or_default(),
        };
        acc.add(l.file, l.line, l.time, || l.raw.to_string());
    }

    fn has_room(&self, level: &str) -> bool {
        let fatal = is_fatal(level);
        let same = self
            .groups
            .keys()
            .filter(|(lv, _)| is_fatal(lv) == fatal)
            .count();
        same < if fatal {
            MAX_FATAL_GROUPS
        } else {
            MAX_ERROR_GROUPS
        }
    }

    /// Folds `other` in; groups beyond the caps are counted as dropped.
    /// Keys are taken in order, so the result does not depend on hashing.
    pub fn merge(&mut self, other: Unclassified) {
        self.dropped += other.dropped;
        let mut groups: Vec<_> = other.groups.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, by_node) in groups {
            if !self.groups.contains_key(&key) && !self.has_room(&key.0) {
                self.dropped += by_node.values().map(|a| a.count).sum::<u64>();
                continue;
            }
            let mine = self.groups.entry(key).or_default();
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

    /// One finding per (group, node), for [`crate::finding::consolidate`]
    /// to merge across nodes.
    pub fn finish(self) -> Vec<Finding> {
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for ((level, template), by_node) in groups {
            for (node, acc) in by_node {
                let mut f = finding(&level, &template);
                f.nodes.insert(node);
                f.count = acc.count;
                f.first_seen = acc.first_seen;
                f.last_seen = acc.last_seen;
                f.evidence = acc.evidence();
                out.push(f);
            }
        }
        out
    }
}

fn is_fatal(level: &str) -> bool {
    level != "error"
}

/// The finding skeleton of one template.
fn finding(level: &str, template: &str) -> Finding {
    let fatal = is_fatal(level);
    let severity = if fatal {
        Severity::Error
    } else {
        Severity::Info
    };
    let consequence = if fatal {
        "At fatal or panic level the daemon stops (or crashes) right after logging it."
    } else {
        "Many error-level lines are transient and harmless; it is reported so that nothing \
         the daemon called an error goes unseen, not because it is known to matter."
    };
    Finding {
        id: format!(
            "{ID_PREFIX}{:08x}",
            hash(&format!("{level}\0{template}")) >> 32
        ),
        title: format!(
            "Unclassified {level} message: \"{}\"",
            cap_text(template, MAX_TEMPLATE)
        ),
        severity,
        subject: None,
        nodes: BTreeSet::new(),
        count: 0,
        first_seen: None,
        last_seen: None,
        detail: format!("logged at level {level}; no rule matches it"),
        evidence: Vec::new(),
        explanation: format!(
            "No rule knows this message, logged by the daemon at level {level}. Lines are \
             grouped by template: ids, addresses, numbers, durations and quoted values are \
             shown as <id>, <ip>, <addr>, <n>, <dur> and \"…\". {consequence}"
        ),
        remediation: "Read the evidence lines in their context (the lines just before often \
             name the cause). If the message points at a cause, add a rule with that cause \
             and its fix (rules/README.md)."
            .to_string(),
        references: Vec::new(),
    }
}

/// FNV-1a, 64 bits: stable across runs and builds.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `msg` with what varies between occurrences replaced by placeholders,
/// whitespace collapsed.
pub fn template(msg: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(concat!(
            r#"(?P<dq>"(?:[^"\\\n]|\\.){0,400}")"#,
            r#"|(?P<sq>'[^'\s]{1,200}')"#,
            r"|(?P<hex64>\b[0-9a-f]{64}\b)",
            r"|(?P<ipv4>\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d{1,5})?\b)",
            r"|(?P<ipv6>\[?\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b\]?(?::\d{1,5})?)",
            r"|(?P<word>\b[0-9a-f]{8,63}\b|\b[0-9a-z]{25}\b)",
            r"|(?P<hostport>\b[A-Za-z][\w.-]*:\d{2,5}\b)",
            r"|(?P<dur>\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*\b)",
            r"|(?P<num>\b0x[0-9a-fA-F]+\b|\b\d+(?:\.\d+)?\b)",
        ))
        .expect("template regex")
    });
    let replaced = re.replace_all(msg, |c: &Captures<'_>| {
        let all = c.get(0).map_or("", |m| m.as_str());
        if c.name("dq").is_some() {
            "\"…\"".to_string()
        } else if c.name("sq").is_some() {
            "'…'".to_string()
        } else if c.name("hex64").is_some() {
            "<id>".to_string()
        } else if c.name("ipv4").is_some() {
            "<ip>".to_string()
        } else if c.name("ipv6").is_some() {
            // A time of day (`10:20:30`) has the same shape.
            if all.bytes().any(|b| b.is_ascii_alphabetic()) || all.contains("::") {
                "<ip>".to_string()
            } else {
                "<n>".to_string()
            }
        } else if c.name("word").is_some() {
            // Swarm ids (25 characters), raft ids, short container and
            // peer ids (hexadecimal) mix letters and digits; plain words
            // are kept.
            let digits = all.bytes().any(|b| b.is_ascii_digit());
            let letters = all.bytes().any(|b| b.is_ascii_alphabetic());
            if digits && letters {
                "<id>".to_string()
            } else if digits {
                "<n>".to_string()
            } else {
                all.to_string()
            }
        } else if c.name("hostport").is_some() {
            "<addr>".to_string()
        } else if c.name("dur").is_some() {
            "<dur>".to_string()
        } else {
            "<n>".to_string()
        }
    });
    let mut out = String::with_capacity(replaced.len());
    for word in replaced.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_strip_what_varies() {
        assert_eq!(
            template("Failed to join memberlist [10.0.0.2 10.0.0.3:7946] on retry: 1 error occurred:\n\t* Failed to join 10.0.0.2: dial tcp 10.0.0.2:7946: i/o timeout"),
            "Failed to join memberlist [<ip> <ip>] on retry: <n> error occurred: * Failed to join <ip>: dial tcp <ip>: i/o timeout"
        );
        assert_eq!(
            template("error reading the kernel parameter net.ipv4.vs.expire_nodest_conn for network x7pkp21hsytl21u6mw05fhymr after 1.5s"),
            "error reading the kernel parameter net.ipv4.vs.expire_nodest_conn for network <id> after <dur>"
        );
        assert_eq!(
            template("container 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef: peer \"node-1\" at [fe80::1]:7946 and mgr1:2377 sent 'x' 0x1f"),
            "container <id>: peer \"…\" at <ip> and <addr> sent '…' <n>"
        );
        assert_eq!(
            template("peer 5d2a1e0c9b8f left at 10:20:30"),
            "peer <id> left at <n>"
        );
        assert_eq!(
            template("raft_id 9c6be28726ae35c from 738175eab0a1e608"),
            "raft_id <id> from <id>"
        );
        // Plain words of id length stay.
        assert_eq!(template("abcdefghijkl failed"), "abcdefghijkl failed");
    }

    #[test]
    fn ids_are_stable_and_tell_levels_apart() {
        let a = finding("error", "x <n>");
        assert_eq!(a.id, finding("error", "x <n>").id);
        assert_ne!(a.id, finding("fatal", "x <n>").id);
        assert!(a.id.starts_with(ID_PREFIX) && a.id.len() == ID_PREFIX.len() + 8);
        assert_eq!(a.severity, Severity::Info);
        assert_eq!(finding("panic", "x").severity, Severity::Error);
    }

    #[test]
    fn groups_are_capped_and_fatal_ones_keep_their_own_room() {
        let mut u = Unclassified::default();
        let msgs: Vec<String> = (0..MAX_ERROR_GROUPS + 5)
            .map(|i| format!("distinct message {}", "x".repeat(i + 1)))
            .collect();
        for m in &msgs {
            u.add(&Line {
                node: "n",
                file: "n/logs/dockerd.log",
                line: 1,
                time: None,
                level: "error",
                message: m,
                raw: m,
            });
        }
        u.add(&Line {
            node: "n",
            file: "n/logs/dockerd.log",
            line: 2,
            time: None,
            level: "fatal",
            message: "boom",
            raw: "boom",
        });
        assert_eq!(u.dropped, 5);
        let found = u.finish();
        assert_eq!(found.len(), MAX_ERROR_GROUPS + 1);
        assert!(found.iter().any(|f| f.severity == Severity::Error));
    }
}
