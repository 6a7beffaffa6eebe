//! nftables rules from `nft list ruleset` ([`parse`]): firewalld's nftables
//! backend, Docker's nftables firewall, iptables-nft tables.
//!
//! ```text
//! table inet firewalld {
//!     set blocked {
//!         type ipv4_addr
//!         elements = { 198.18.0.99 }
//!     }
//!
//!     chain filter_INPUT {
//!         type filter hook input priority filter + 10; policy accept;
//!         ct state { established, related } accept
//!         ip saddr 198.18.0.0/24 tcp dport { 2377, 7946 } accept
//!         udp dport 4789 ip saddr != 198.18.0.13 counter packets 0 bytes 0 accept
//!         jump filter_INPUT_ZONES
//!         reject with icmpx admin-prohibited
//!     }
//! }
//! ```
//!
//! Each rule keeps its text and line, and is read into [`Match`]es (the
//! expressions a firewall walk needs: addresses, interfaces, protocol,
//! destination ports, conntrack state; anything else is [`Match::Other`]) and
//! a [`Verdict`]. Statements that neither match nor decide (`counter`, `log`,
//! `comment`) are skipped. Named sets keep their elements for `@set` lookups.

use super::lines::{lines, nothing_recognized};
use super::ParseError;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ruleset {
    /// In input order.
    pub tables: Vec<Table>,
    /// Lines that could not be read, prefixed with their line number.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    pub line: usize,
    /// `ip`, `ip6`, `inet`, `arp`, `bridge`, `netdev`.
    pub family: String,
    pub name: String,
    pub chains: BTreeMap<String, Chain>,
    /// Named sets (and maps' keys): name → elements as written.
    pub sets: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Chain {
    pub line: usize,
    /// Base chains: `filter`, `nat`, `route`.
    pub kind: Option<String>,
    /// Base chains: `input`, `output`, `prerouting`, `forward`, `postrouting`.
    pub hook: Option<String>,
    /// Base chains: the number, named priorities resolved (`filter + 10` → 10).
    pub priority: Option<i32>,
    /// Base chains: `accept` or `drop`.
    pub policy: Option<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub line: usize,
    /// The rule as listed, trimmed.
    pub text: String,
    pub matches: Vec<Match>,
    pub verdict: Option<Verdict>,
    /// `counter packets N bytes M`: N.
    pub packets: Option<u64>,
}

/// One expression of a rule; `negated` is `!=`. Values are as written
/// (`198.18.0.0/24`, `2377`, `8000-8100`, `"eth*"`), `@name` for a named set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Match {
    /// `ip saddr`, `ip6 saddr`.
    Saddr {
        negated: bool,
        values: Vec<String>,
    },
    Daddr {
        negated: bool,
        values: Vec<String>,
    },
    /// `iifname`, `iif`.
    InIface {
        negated: bool,
        values: Vec<String>,
    },
    OutIface {
        negated: bool,
        values: Vec<String>,
    },
    /// `meta l4proto`, `ip protocol`, `ip6 nexthdr`, and the protocol of a
    /// `tcp dport`/`udp dport` match.
    L4proto {
        negated: bool,
        values: Vec<String>,
    },
    /// `tcp dport`, `udp dport`, `th dport`, `sctp dport`.
    Dport {
        negated: bool,
        values: Vec<String>,
    },
    /// `ct state`.
    CtState {
        negated: bool,
        values: Vec<String>,
    },
    /// Anything else (`fib daddr type local`, `meta mark 0x1`, `limit …`,
    /// `tcp sport 53`): the walk cannot tell whether it matches.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
    Jump(String),
    Goto(String),
    Return,
    /// `continue`, `queue`, … : not a decision the walk models.
    Other(String),
}

/// Parses `nft list ruleset` output. Text with no `table` is an error.
pub fn parse(text: &str) -> Result<Ruleset, ParseError> {
    let mut rs = Ruleset::default();
    // Where we are: table index, chain name, set name (with its open braces).
    let mut table: Option<usize> = None;
    let mut chain: Option<String> = None;
    let mut set: Option<(String, i32, bool)> = None;
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, depth, in_elements)) = set.as_mut() {
            let t = &mut rs.tables[table.unwrap_or_default()];
            let mut body = line;
            if let Some(rest) = line.strip_prefix("elements = ") {
                *in_elements = true;
                body = rest;
            }
            if *in_elements {
                let elems = t.sets.entry(name.clone()).or_default();
                for e in body.split([',', '{', '}']) {
                    let e = e.trim();
                    // `198.18.0.1 : 0x1` in maps: the key.
                    let e = e.split(" : ").next().unwrap_or(e).trim();
                    if !e.is_empty() {
                        elems.push(e.to_string());
                    }
                }
                if body.contains('}') {
                    *in_elements = false;
                }
            }
            *depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if *depth <= 0 {
                set = None;
            }
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match (words.as_slice(), table, chain.as_deref()) {
            (["table", family, name, "{"], _, _) => {
                rs.tables.push(Table {
                    line: n,
                    family: family.to_string(),
                    name: name.to_string(),
                    ..Table::default()
                });
                table = Some(rs.tables.len() - 1);
                chain = None;
            }
            (["chain", name, "{"], Some(t), None) => {
                rs.tables[t].chains.insert(
                    name.to_string(),
                    Chain {
                        line: n,
                        ..Chain::default()
                    },
                );
                chain = Some(name.to_string());
            }
            (["set" | "map", name, "{"], Some(_), None) => {
                set = Some((name.to_string(), 1, false));
            }
            (["}"], Some(_), Some(_)) => chain = None,
            (["}"], Some(_), None) => table = None,
            (["type", ..], Some(t), Some(c)) if line.contains(" hook ") => {
                let ch = rs.tables[t].chains.get_mut(c).expect("open chain");
                base_chain(line, ch);
            }
            (_, Some(t), Some(c)) => {
                let ch = rs.tables[t].chains.get_mut(c).expect("open chain");
                ch.rules.push(rule(n, line));
            }
            // `flowtable`, `ct helper`, `counter NAME`, … objects: not needed.
            (_, Some(_), None) => {}
            _ => rs.warnings.push(format!("line {n}: {line}")),
        }
    }
    if rs.tables.is_empty() {
        return Err(nothing_recognized(text, "nftables table")
            .unwrap_or_else(|| ParseError::new(None, "empty nft ruleset")));
    }
    Ok(rs)
}

/// `type filter hook input priority filter + 10; policy accept;`
fn base_chain(line: &str, ch: &mut Chain) {
    for part in line.split(';') {
        let w: Vec<&str> = part.split_whitespace().collect();
        let mut i = 0;
        while i < w.len() {
            match w[i] {
                "type" => ch.kind = w.get(i + 1).map(|s| s.to_string()),
                "hook" => ch.hook = w.get(i + 1).map(|s| s.to_string()),
                "priority" => ch.priority = priority(&w[i + 1..]),
                "policy" => ch.policy = w.get(i + 1).map(|s| s.to_string()),
                _ => {}
            }
            i += 1;
        }
    }
}

/// `filter + 10`, `-150`, `mangle`, `raw`, `dstnat`: nft's named priorities
/// (for the ip, ip6 and inet families).
fn priority(w: &[&str]) -> Option<i32> {
    let base = match *w.first()? {
        "raw" => -300,
        "mangle" => -150,
        "dstnat" => -100,
        "filter" => 0,
        "security" => 50,
        "srcnat" => 100,
        n => return n.parse().ok(),
    };
    match (w.get(1), w.get(2).and_then(|x| x.parse::<i32>().ok())) {
        (Some(&"+"), Some(d)) => Some(base + d),
        (Some(&"-"), Some(d)) => Some(base - d),
        _ => Some(base),
    }
}

/// Splits a rule into words, keeping `{ a, b }` groups and quoted strings
/// as one word each.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut quoted) = (0, false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '{' if !quoted => {
                depth += 1;
                cur.push(c);
            }
            '}' if !quoted => {
                depth -= 1;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted && depth <= 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `{ 2377, 7946 }` → [2377, 7946]; `"eth0"` → [eth0]; `@set` stays.
fn values(word: &str) -> Vec<String> {
    let inner = word
        .strip_prefix('{')
        .and_then(|w| w.strip_suffix('}'))
        .unwrap_or(word);
    inner
        .split(',')
        .map(|v| v.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

fn rule(line: usize, text: &str) -> Rule {
    let w = words(text);
    let mut r = Rule {
        line,
        text: text.to_string(),
        ..Rule::default()
    };
    let mut i = 0;
    // The value at w[i] (after an optional `!=` or `==`): (negated, values).
    let value = |i: &mut usize| -> (bool, Vec<String>) {
        let mut neg = false;
        if let Some(op) = w.get(*i).map(String::as_str) {
            if op == "!=" || op == "==" {
                neg = op == "!=";
                *i += 1;
            }
        }
        let v = w.get(*i).map(|s| values(s)).unwrap_or_default();
        *i += 1;
        (neg, v)
    };
    while i < w.len() {
        let a = w[i].as_str();
        let b = w.get(i + 1).map(String::as_str).unwrap_or("");
        match (a, b) {
            ("ip" | "ip6", "saddr" | "daddr") => {
                i += 2;
                let (negated, values) = value(&mut i);
                r.matches.push(if b == "saddr" {
                    Match::Saddr { negated, values }
                } else {
                    Match::Daddr { negated, values }
                });
            }
            ("ip", "protocol") | ("ip6", "nexthdr") | ("meta", "l4proto") => {
                i += 2;
                let (negated, values) = value(&mut i);
                r.matches.push(Match::L4proto { negated, values });
            }
            ("tcp" | "udp" | "sctp" | "th" | "udplite", "dport") => {
                i += 2;
                if a != "th" {
                    r.matches.push(Match::L4proto {
                        negated: false,
                        values: vec![a.to_string()],
                    });
                }
                let (negated, values) = value(&mut i);
                r.matches.push(Match::Dport { negated, values });
            }
            ("ct", "state") => {
                i += 2;
                let (negated, mut values) = value(&mut i);
                // `ct state established,related`
                values = values
                    .iter()
                    .flat_map(|v| v.split(',').map(str::to_string))
                    .collect();
                r.matches.push(Match::CtState { negated, values });
            }
            ("iifname" | "iif" | "meta", _) | ("oifname" | "oif", _)
                if matches!(a, "iifname" | "iif" | "oifname" | "oif")
                    || matches!(b, "iifname" | "iif" | "oifname" | "oif") =>
            {
                let which = if a == "meta" { b } else { a };
                i += if a == "meta" { 2 } else { 1 };
                let (negated, values) = value(&mut i);
                r.matches.push(if which.starts_with('i') {
                    Match::InIface { negated, values }
                } else {
                    Match::OutIface { negated, values }
                });
            }
            ("counter", _) => {
                i += 1;
                if b == "packets" {
                    r.packets = w.get(i + 1).and_then(|n| n.parse().ok());
                    i += 4;
                }
            }
            ("comment", _) => i += 2,
            ("log", _) => {
                i += 1;
                while let Some(k) = w.get(i).map(String::as_str) {
                    match k {
                        "prefix" | "level" | "group" | "snaplen" | "queue-threshold" => i += 2,
                        "flags" => i += 2,
                        _ => break,
                    }
                }
            }
            ("accept", _) => {
                r.verdict = Some(Verdict::Accept);
                i += 1;
            }
            ("drop", _) => {
                r.verdict = Some(Verdict::Drop);
                i += 1;
            }
            ("reject", _) => {
                r.verdict = Some(Verdict::Reject);
                // `reject with icmpx admin-prohibited`
                i = w.len();
            }
            ("jump" | "goto", target) if !target.is_empty() => {
                r.verdict = Some(if a == "jump" {
                    Verdict::Jump(target.to_string())
                } else {
                    Verdict::Goto(target.to_string())
                });
                i += 2;
            }
            ("return", _) => {
                r.verdict = Some(Verdict::Return);
                i += 1;
            }
            ("continue" | "queue" | "masquerade" | "snat" | "dnat" | "redirect" | "notrack", _) => {
                r.verdict = Some(Verdict::Other(a.to_string()));
                i = w.len();
            }
            _ => {
                r.matches.push(Match::Other(a.to_string()));
                i += 1;
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real `nft list ruleset` (nft 1.0.6) of a lab namespace: iptables-nft
    /// rules, a firewalld-like inet table and a named set.
    const LAB: &str = include_str!("../../tests/fixtures/nft/firewalld-lab.txt");

    #[test]
    fn reads_tables_chains_and_base_chain_settings() {
        let rs = parse(LAB).unwrap();
        let names: Vec<_> = rs
            .tables
            .iter()
            .map(|t| format!("{} {}", t.family, t.name))
            .collect();
        assert_eq!(names, ["ip filter", "inet firewalld", "ip raw_guard"]);
        assert!(rs.warnings.is_empty(), "{:?}", rs.warnings);
        let fw = &rs.tables[1];
        let input = &fw.chains["filter_INPUT"];
        assert_eq!(input.hook.as_deref(), Some("input"));
        assert_eq!(input.kind.as_deref(), Some("filter"));
        assert_eq!(input.priority, Some(10));
        assert_eq!(input.policy.as_deref(), Some("accept"));
        assert_eq!(input.rules.len(), 5);
        assert_eq!(input.rules[4].verdict, Some(Verdict::Reject));
        assert_eq!(
            input.rules[3].verdict,
            Some(Verdict::Jump("filter_INPUT_ZONES".into()))
        );
        assert_eq!(fw.chains["filter_IN_public"].hook, None);
        let pre = &rs.tables[2].chains["pre"];
        assert_eq!(pre.priority, Some(-300));
        assert_eq!(rs.tables[2].sets["blocked"], ["198.18.0.99"]);
        // Lines count from 1 over the whole text.
        let line = LAB
            .lines()
            .position(|l| l.contains("reject with icmpx"))
            .unwrap()
            + 1;
        assert_eq!(input.rules[4].line, line);
    }

    #[test]
    fn reads_matches_and_skips_counters() {
        let rs = parse(LAB).unwrap();
        let public = &rs.tables[1].chains["filter_IN_public"];
        let r = &public.rules[2];
        assert_eq!(
            r.text,
            "ip saddr 198.18.0.0/24 tcp dport { 2377, 7946 } accept"
        );
        assert_eq!(
            r.matches,
            [
                Match::Saddr {
                    negated: false,
                    values: vec!["198.18.0.0/24".into()]
                },
                Match::L4proto {
                    negated: false,
                    values: vec!["tcp".into()]
                },
                Match::Dport {
                    negated: false,
                    values: vec!["2377".into(), "7946".into()]
                },
            ]
        );
        assert_eq!(r.verdict, Some(Verdict::Accept));
        let r = &public.rules[3];
        assert_eq!(
            r.matches[2],
            Match::Saddr {
                negated: true,
                values: vec!["198.18.0.13".into()]
            }
        );
        let r = &public.rules[4];
        assert_eq!(
            r.matches,
            [Match::Dport {
                negated: false,
                values: vec!["8000-8100".into()]
            }]
        );
        let filter_in = &rs.tables[0].chains["INPUT"];
        assert_eq!(filter_in.rules[0].verdict, Some(Verdict::Drop));
        assert_eq!(filter_in.rules[0].matches.len(), 3);
        let ct = &rs.tables[1].chains["filter_INPUT"].rules[0];
        assert_eq!(
            ct.matches,
            [Match::CtState {
                negated: false,
                values: vec!["established".into(), "related".into()]
            }]
        );
        let lo = &rs.tables[1].chains["filter_INPUT"].rules[2];
        assert_eq!(
            lo.matches,
            [Match::InIface {
                negated: false,
                values: vec!["lo".into()]
            }]
        );
        // `meta mark 0x00000001 counter … drop comment "marked"`: unknown match.
        let mark = &rs.tables[2].chains["pre"].rules[1];
        assert!(matches!(mark.matches[0], Match::Other(_)));
        assert_eq!(mark.verdict, Some(Verdict::Drop));
        let set = &rs.tables[2].chains["pre"].rules[0];
        assert_eq!(
            set.matches,
            [Match::Saddr {
                negated: false,
                values: vec!["@blocked".into()]
            }]
        );
    }

    #[test]
    fn refuses_text_without_a_table() {
        let e = parse("Error: Could not process rule: Operation not permitted\n").unwrap_err();
        assert!(e.message.contains("no nftables table"), "{e}");
        assert!(parse("").is_err());
    }

    #[test]
    fn multi_line_set_elements_and_warning_comments() {
        let text = "# Warning: table ip filter is managed by iptables-nft, do not touch!\n\
                    table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\
                    \t\telements = { 10.0.0.0/8, 192.168.1.1,\n\t\t\t     172.16.0.0/12 }\n\t}\n\
                    \tchain c {\n\t\ttype filter hook input priority -5; policy drop;\n\
                    \t\tiifname != \"docker*\" ip saddr @s udp dport 4789 drop\n\t}\n}\n";
        let rs = parse(text).unwrap();
        let t = &rs.tables[0];
        assert_eq!(t.sets["s"], ["10.0.0.0/8", "192.168.1.1", "172.16.0.0/12"]);
        let c = &t.chains["c"];
        assert_eq!(c.priority, Some(-5));
        assert_eq!(c.policy.as_deref(), Some("drop"));
        assert_eq!(
            c.rules[0].matches[0],
            Match::InIface {
                negated: true,
                values: vec!["docker*".into()]
            }
        );
        assert_eq!(c.rules[0].line, 11);
    }
}
