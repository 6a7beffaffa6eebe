//! Walks an iptables ruleset the way the kernel would for one packet, to tell
//! whether it is accepted or dropped, and by which rule.
//!
//! Only what decides swarm traffic is modelled: protocol, addresses,
//! interfaces, destination ports (`--dport`, multiport `--dports`), conntrack
//! state, jumps/gotos into user chains, RETURN and built-in policies. A rule
//! with anything else (`-m set`, `-m recent`, `--sport`, `-m limit`, …) is
//! "maybe": a maybe-ACCEPT is trusted and a maybe-DROP is ignored, so the walk
//! only reports drops it is sure of.

use super::host_facts::is_docker_iface;
use crate::parse::iptables::{Chain, Rule, Ruleset};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One packet of a swarm flow, as the host sees it.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    pub proto: &'a str,
    pub dport: u16,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub in_iface: Option<&'a str>,
    pub out_iface: Option<&'a str>,
    /// Inbound (to this host) or outbound (from it).
    pub inbound: bool,
}

/// What stopped the packet: a rule, or a chain's policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block {
    /// The bundle file: `host/iptables-save.txt` or `host/nft-ruleset.txt`.
    pub file: &'static str,
    /// `filter`, or `inet firewalld` (family and name) for nftables.
    pub table: String,
    pub chain: String,
    pub line: usize,
    /// The chain's policy, not a rule, dropped it.
    pub policy: bool,
    /// Rule text, or `:INPUT DROP` (`policy drop` for nftables) for a policy.
    pub text: String,
    /// The rule's or policy's packet counter, when collected
    /// (`iptables-save -c`, nft `counter`).
    pub packets: Option<u64>,
}

pub(super) const IPTABLES_FILE: &str = "host/iptables-save.txt";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Accept,
    Block(Block),
    Fallthrough,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum M {
    Yes,
    No,
    Maybe,
}

/// Where a packet goes through filtering tables, in order.
pub fn hooks(inbound: bool) -> &'static [(&'static str, &'static str)] {
    if inbound {
        &[
            ("raw", "PREROUTING"),
            ("mangle", "PREROUTING"),
            ("mangle", "INPUT"),
            ("filter", "INPUT"),
        ]
    } else {
        &[
            ("raw", "OUTPUT"),
            ("mangle", "OUTPUT"),
            ("filter", "OUTPUT"),
        ]
    }
}

/// A ruleset with every rule's matches read once, ready for many packets.
pub struct Firewall<'a> {
    rs: &'a Ruleset,
    /// (table, chain) → one entry per rule, in order.
    compiled: BTreeMap<(&'a str, &'a str), Vec<Compiled>>,
    /// Every address match in the ruleset, to group peers that match alike.
    nets: BTreeSet<IpNet>,
}

struct Compiled {
    conds: Vec<(Cond, bool)>,
    goto: bool,
}

/// One match of a rule, read from its text; `bool` beside it is negation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cond {
    Proto(String),
    Src(Option<IpNet>),
    Dst(Option<IpNet>),
    InIf(String),
    OutIf(String),
    Dports(String),
    /// `--ctstate`/`--state` includes NEW.
    New(bool),
    /// `--dst-type` value.
    DstType(String),
    Maybe,
}

impl<'a> Firewall<'a> {
    pub fn new(rs: &'a Ruleset) -> Self {
        let mut compiled = BTreeMap::new();
        let mut nets = BTreeSet::new();
        for (t, table) in &rs.tables {
            for (c, chain) in &table.chains {
                let rules: Vec<Compiled> = chain.rules.iter().map(compile).collect();
                for r in &rules {
                    for (cond, _) in &r.conds {
                        if let Cond::Src(Some(n)) | Cond::Dst(Some(n)) = cond {
                            nets.insert(*n);
                        }
                    }
                }
                compiled.insert((t.as_str(), c.as_str()), rules);
            }
        }
        Firewall { rs, compiled, nets }
    }

    /// Which of the ruleset's address matches contain `ip`: two addresses
    /// with the same class are treated alike by every rule.
    pub fn addr_class(&self, ip: IpAddr) -> Vec<bool> {
        self.nets.iter().map(|n| n.contains(&ip)).collect()
    }

    /// The rule or policy that drops `p`, if one surely does.
    pub fn blocked(&self, p: &Packet) -> Option<Block> {
        for (table, chain) in hooks(p.inbound) {
            let mut w = Walk {
                fw: self,
                table,
                p,
                stack: Vec::new(),
                budget: 100_000,
            };
            if let Outcome::Block(b) = w.chain(chain, true) {
                return Some(b);
            }
        }
        None
    }
}

/// One walk through one table. iptables refuses jump loops, but a bundle is
/// input: a chain already on the stack is not entered again, and the number
/// of rules looked at is capped.
struct Walk<'a> {
    fw: &'a Firewall<'a>,
    table: &'a str,
    p: &'a Packet<'a>,
    stack: Vec<&'a str>,
    budget: u32,
}

impl<'a> Walk<'a> {
    fn chain(&mut self, name: &'a str, sure: bool) -> Outcome {
        let Some((c, compiled)) = self
            .fw
            .rs
            .tables
            .get(self.table)
            .and_then(|t| t.chains.get(name))
            .zip(self.fw.compiled.get(&(self.table, name)))
        else {
            return Outcome::Fallthrough;
        };
        if self.stack.contains(&name) || self.stack.len() > 32 {
            return Outcome::Fallthrough;
        }
        self.stack.push(name);
        let outcome = self.rules(c, compiled, name, sure);
        self.stack.pop();
        outcome
    }

    fn rules(&mut self, c: &'a Chain, compiled: &'a [Compiled], name: &str, sure: bool) -> Outcome {
        for (r, k) in c.rules.iter().zip(compiled) {
            if self.budget == 0 {
                return Outcome::Fallthrough;
            }
            self.budget -= 1;
            let m = matches(&k.conds, self.p);
            if m == M::No {
                continue;
            }
            let sure_here = sure && m == M::Yes;
            match r.target.as_deref().unwrap_or("") {
                "ACCEPT" => return Outcome::Accept,
                "DROP" | "REJECT" if sure_here => {
                    return Outcome::Block(Block {
                        file: IPTABLES_FILE,
                        table: self.table.into(),
                        chain: name.into(),
                        line: r.line,
                        policy: false,
                        text: r.text.clone(),
                        packets: r.packets,
                    })
                }
                "RETURN" => return Outcome::Fallthrough,
                t => match self.chain(t, sure_here) {
                    Outcome::Fallthrough if k.goto => return Outcome::Fallthrough,
                    Outcome::Fallthrough => {}
                    decided => return decided,
                },
            }
        }
        match c.policy.as_deref() {
            Some(pol @ ("DROP" | "REJECT")) if sure => Outcome::Block(Block {
                file: IPTABLES_FILE,
                table: self.table.into(),
                chain: name.into(),
                line: c.line,
                policy: true,
                text: format!(":{name} {pol}"),
                packets: c.packets,
            }),
            Some(_) => Outcome::Accept,
            None => Outcome::Fallthrough,
        }
    }
}

/// Reads the rule's own text: negations and unknown matches are only there.
fn compile(r: &Rule) -> Compiled {
    let toks = crate::parse::iptables::shell_split(&r.text);
    let goto = toks.iter().any(|t| t == "-g" || t == "--goto");
    let mut conds = Vec::new();
    let mut neg = false;
    let mut i = 0;
    while let Some(tok) = toks.get(i).map(String::as_str) {
        let mut val = toks.get(i + 1).map(String::as_str).unwrap_or("");
        let mut step = 2;
        if val == "!" {
            // old syntax: `-s ! 10.0.0.0/8`
            neg = true;
            val = toks.get(i + 2).map(String::as_str).unwrap_or("");
            step = 3;
        }
        let cond = match tok {
            "!" => {
                neg = true;
                i += 1;
                continue;
            }
            "-j" | "--jump" | "-g" | "--goto" => break, // target options follow
            "-A" | "--append" | "-I" | "--insert" | "--comment" => None,
            "-m" | "--match" => match val {
                "tcp" | "udp" | "multiport" | "conntrack" | "state" | "comment" | "addrtype" => {
                    None
                }
                _ => Some(Cond::Maybe),
            },
            "-p" | "--protocol" => Some(Cond::Proto(val.to_string())),
            "-s" | "--source" | "--src" => Some(Cond::Src(net(val))),
            "-d" | "--destination" | "--dst" => Some(Cond::Dst(net(val))),
            "-i" | "--in-interface" => Some(Cond::InIf(val.to_string())),
            "-o" | "--out-interface" => Some(Cond::OutIf(val.to_string())),
            "--dport" | "--dports" | "--destination-port" | "--destination-ports" | "--ports" => {
                Some(Cond::Dports(val.to_string()))
            }
            "--ctstate" | "--state" => Some(Cond::New(val.split(',').any(|s| s == "NEW"))),
            "--dst-type" => Some(Cond::DstType(val.to_string())),
            _ => {
                step = 1;
                Some(Cond::Maybe)
            }
        };
        if let Some(c) = cond {
            conds.push((c, neg));
        }
        neg = false;
        i += step;
    }
    Compiled { conds, goto }
}

fn net(val: &str) -> Option<IpNet> {
    val.parse::<IpNet>()
        .ok()
        .or_else(|| val.parse::<IpAddr>().ok().map(IpNet::from))
}

fn matches(conds: &[(Cond, bool)], p: &Packet) -> M {
    let mut result = M::Yes;
    for (c, neg) in conds {
        let m = match c {
            Cond::Proto(v) => bool_m(v == "all" || norm_proto(v) == p.proto),
            Cond::Src(n) => addr_m(*n, p.src),
            Cond::Dst(n) => addr_m(*n, p.dst),
            Cond::InIf(v) => iface_m(v, p.in_iface),
            Cond::OutIf(v) => iface_m(v, p.out_iface),
            Cond::Dports(v) => ports_m(v, p.dport),
            Cond::New(b) => bool_m(*b),
            Cond::DstType(v) => match (v.as_str(), p.inbound) {
                ("LOCAL", true) => M::Yes,
                ("LOCAL", false) => M::No,
                _ => M::Maybe,
            },
            Cond::Maybe => M::Maybe,
        };
        result = and(result, if *neg { not(m) } else { m });
        if result == M::No {
            return M::No;
        }
    }
    result
}

pub(super) fn bool_m(b: bool) -> M {
    if b {
        M::Yes
    } else {
        M::No
    }
}

pub(super) fn not(m: M) -> M {
    match m {
        M::Yes => M::No,
        M::No => M::Yes,
        M::Maybe => M::Maybe,
    }
}

pub(super) fn and(a: M, b: M) -> M {
    match (a, b) {
        (M::No, _) | (_, M::No) => M::No,
        (M::Yes, M::Yes) => M::Yes,
        _ => M::Maybe,
    }
}

fn norm_proto(p: &str) -> &str {
    match p {
        "6" => "tcp",
        "17" => "udp",
        p => p,
    }
}

fn addr_m(net: Option<IpNet>, ip: Option<IpAddr>) -> M {
    match (net, ip) {
        (Some(net), Some(ip)) => bool_m(net.contains(&ip)),
        _ => M::Maybe,
    }
}

/// `eth0`, or `eth+` (prefix). With the uplink unknown, traffic from other
/// nodes still never uses loopback or docker's own bridges and veths.
fn iface_m(val: &str, iface: Option<&str>) -> M {
    match iface {
        Some(i) => bool_m(match val.strip_suffix('+') {
            Some(prefix) => i.starts_with(prefix),
            None => i == val,
        }),
        None if is_docker_iface(val.trim_end_matches('+')) => M::No,
        None => M::Maybe,
    }
}

/// `7946`, `7000:8000`, `2377,7946,4789:4790`.
fn ports_m(val: &str, port: u16) -> M {
    let mut any = false;
    for part in val.split(',') {
        let (lo, hi) = part.split_once(':').unwrap_or((part, part));
        let lo = if lo.is_empty() {
            Some(0)
        } else {
            lo.parse::<u16>().ok()
        };
        let hi = if hi.is_empty() {
            Some(u16::MAX)
        } else {
            hi.parse::<u16>().ok()
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) => any |= lo <= port && port <= hi,
            _ => return M::Maybe, // a service name
        }
    }
    bool_m(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::iptables::parse_save;

    fn blocked(rs: &Ruleset, p: &Packet) -> Option<Block> {
        Firewall::new(rs).blocked(p)
    }

    fn pkt(proto: &str, dport: u16, src: &str) -> Packet<'static> {
        Packet {
            proto: if proto == "tcp" { "tcp" } else { "udp" },
            dport,
            src: src.parse().ok(),
            dst: "198.18.0.13".parse().ok(),
            in_iface: Some("eth0"),
            out_iface: None,
            inbound: true,
        }
    }

    /// The lab's gossip-blocked node3 (real iptables-save), INPUT part.
    const LAB: &str = "\
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 198.18.0.12/32 -p udp -m udp --dport 7946 -j DROP
-A INPUT -s 198.18.0.12/32 -p tcp -m tcp --dport 7946 -j DROP
COMMIT
";

    #[test]
    fn source_restricted_drop() {
        let rs = parse_save(LAB).unwrap();
        let b = blocked(&rs, &pkt("udp", 7946, "198.18.0.12")).unwrap();
        assert_eq!((b.chain.as_str(), b.line), ("INPUT", 5));
        assert_eq!(
            b.text,
            "-A INPUT -s 198.18.0.12/32 -p udp -m udp --dport 7946 -j DROP"
        );
        assert_eq!(
            blocked(&rs, &pkt("tcp", 7946, "198.18.0.12")).unwrap().line,
            6
        );
        assert!(blocked(&rs, &pkt("udp", 7946, "198.18.0.11")).is_none());
        assert!(blocked(&rs, &pkt("udp", 4789, "198.18.0.12")).is_none());
        // Unknown source: a source-restricted drop is not sure.
        assert!(blocked(&rs, &pkt("udp", 7946, "")).is_none());
    }

    #[test]
    fn order_user_chains_policy_and_conditions() {
        let text = "\
*filter
:INPUT DROP [0:0]
:ufw-user-input - [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -j ufw-user-input
-A INPUT -p tcp -m set --match-set banned src -j DROP
-A ufw-user-input -p tcp -m multiport --dports 22,2377 -j ACCEPT
-A ufw-user-input ! -s 10.0.0.0/8 -p udp --dport 7946 -j REJECT --reject-with icmp-port-unreachable
-A ufw-user-input -s 10.0.0.0/8 -p udp -m udp --dport 7946 -j ACCEPT
-A ufw-user-input -j RETURN
COMMIT
";
        let rs = parse_save(text).unwrap();
        // 2377/tcp accepted in the user chain before the policy.
        assert!(blocked(&rs, &pkt("tcp", 2377, "10.0.0.5")).is_none());
        // 7946/udp from inside 10/8 accepted; from outside rejected (negated source).
        assert!(blocked(&rs, &pkt("udp", 7946, "10.0.0.5")).is_none());
        let b = blocked(&rs, &pkt("udp", 7946, "192.168.1.5")).unwrap();
        assert_eq!((b.chain.as_str(), b.line), ("ufw-user-input", 11));
        // 4789/udp: nothing accepts it, the INPUT policy drops it.
        let b = blocked(&rs, &pkt("udp", 4789, "10.0.0.5")).unwrap();
        assert_eq!((b.text.as_str(), b.line), (":INPUT DROP", 2));
        // 7946/tcp reaches the ipset rule (maybe) and then the policy.
        let b = blocked(&rs, &pkt("tcp", 7946, "10.0.0.5")).unwrap();
        assert_eq!(b.text, ":INPUT DROP");
    }

    #[test]
    fn raw_table_and_outbound() {
        let text = "\
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 4789 -j DROP
-A OUTPUT -d 10.0.0.0/24 -p tcp --dport 2377 -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp --dport 4789 -j ACCEPT
COMMIT
";
        let rs = parse_save(text).unwrap();
        let b = blocked(&rs, &pkt("udp", 4789, "10.0.0.5")).unwrap();
        assert_eq!((b.table.as_str(), b.line), ("raw", 4));
        let out = Packet {
            proto: "tcp",
            dport: 2377,
            src: None,
            dst: "10.0.0.2".parse().ok(),
            in_iface: None,
            out_iface: Some("eth0"),
            inbound: false,
        };
        assert_eq!(blocked(&rs, &out).unwrap().line, 5);
        let elsewhere = Packet {
            dst: "10.0.1.2".parse().ok(),
            ..out
        };
        assert!(blocked(&rs, &elsewhere).is_none());
    }

    proptest::proptest! {
        /// Any rule text (cycles, odd options, bad ports) walks without panicking.
        #[test]
        fn never_panics(body in "(-A (INPUT|X) (-j X|-g INPUT|-p udp|--dport [0-9:,a-z]{0,8}|-s [0-9./]{0,18}|! |-i [a-z+]{0,4}|-m [a-z]{0,5}|-j DROP|\"){0,6}\n){0,8}") {
            let text = format!("*filter\n:INPUT DROP [0:0]\n:X - [0:0]\n{body}COMMIT\n");
            if let Ok(rs) = parse_save(&text) {
                let _ = blocked(&rs, &pkt("udp", 7946, "10.0.0.5"));
            }
        }
    }

    #[test]
    fn port_specs() {
        assert_eq!(ports_m("7946", 7946), M::Yes);
        assert_eq!(ports_m("7000:8000", 7946), M::Yes);
        assert_eq!(ports_m("2377,4789", 7946), M::No);
        assert_eq!(ports_m(":1024", 7946), M::No);
        assert_eq!(ports_m("8000:", 7946), M::No);
        assert_eq!(ports_m("http", 80), M::Maybe);
        assert_eq!(iface_m("eth+", Some("eth0")), M::Yes);
        assert_eq!(iface_m("lo", Some("eth0")), M::No);
        assert_eq!(iface_m("lo", None), M::No);
        assert_eq!(iface_m("docker_gwbridge", None), M::No);
        assert_eq!(iface_m("eth1", None), M::Maybe);
    }
}
