//! Walks an nftables ruleset (`nft list ruleset`) the way the kernel would
//! for one packet: every filter base chain on the packet's hooks (prerouting
//! then input inbound, output outbound), each family that sees it (`inet`,
//! and `ip` or `ip6`), in priority order. A drop or reject anywhere is final;
//! an accept ends only its own base chain. As in [`super::firewall_walk`], an
//! expression the walk does not model makes the rule "maybe": a maybe-accept
//! is trusted and a maybe-drop ignored, so only sure drops are reported.

use super::firewall_walk::{and, bool_m, not, Block, Packet, M};
use super::host_facts::is_docker_iface;
use crate::parse::nft::{Chain, Match, Rule, Ruleset, Table, Verdict};
use ipnet::IpNet;
use std::collections::BTreeSet;
use std::net::IpAddr;

const NFT_FILE: &str = "host/nft-ruleset.txt";

/// Tables iptables-nft makes (`table ip filter` …), also seen in
/// iptables-save.
const XTABLES: [&str; 5] = ["filter", "nat", "mangle", "raw", "security"];

pub struct NftFirewall<'a> {
    rs: &'a Ruleset,
    skip_xtables: bool,
    nets: BTreeSet<IpNet>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Accept,
    Block(Block),
    Fallthrough,
}

impl<'a> NftFirewall<'a> {
    /// `skip_xtables`: leave out iptables-nft's tables, because the
    /// iptables walk reads them from iptables-save already.
    pub fn new(rs: &'a Ruleset, skip_xtables: bool) -> Self {
        let mut nets = BTreeSet::new();
        for t in &rs.tables {
            for c in t.chains.values() {
                for r in &c.rules {
                    for m in &r.matches {
                        if let Match::Saddr { values, .. } | Match::Daddr { values, .. } = m {
                            nets.extend(values.iter().filter_map(|v| net(v)));
                        }
                    }
                }
            }
            for elems in t.sets.values() {
                nets.extend(elems.iter().filter_map(|v| net(v)));
            }
        }
        NftFirewall {
            rs,
            skip_xtables,
            nets,
        }
    }

    /// Which of the ruleset's address matches contain `ip`.
    pub fn addr_class(&self, ip: IpAddr) -> Vec<bool> {
        self.nets.iter().map(|n| n.contains(&ip)).collect()
    }

    /// The rule or policy that surely drops `p`, if any.
    pub fn blocked(&self, p: &Packet) -> Option<Block> {
        let v6 = p.src.or(p.dst).is_some_and(|a| a.is_ipv6());
        let hooks: &[&str] = if p.inbound {
            &["prerouting", "input"]
        } else {
            &["output"]
        };
        for hook in hooks {
            let mut bases: Vec<(&Table, &str, &Chain)> = Vec::new();
            for t in &self.rs.tables {
                let family_sees = match t.family.as_str() {
                    "inet" => true,
                    "ip" => !v6,
                    "ip6" => v6,
                    _ => false,
                };
                let xtables =
                    matches!(t.family.as_str(), "ip" | "ip6") && XTABLES.contains(&t.name.as_str());
                if !family_sees || (self.skip_xtables && xtables) {
                    continue;
                }
                for (name, c) in &t.chains {
                    let filter = matches!(c.kind.as_deref(), None | Some("filter" | "route"));
                    if c.hook.as_deref() == Some(hook) && filter {
                        bases.push((t, name, c));
                    }
                }
            }
            bases.sort_by_key(|(t, _, c)| (c.priority.unwrap_or(0), t.line, c.line));
            for (t, name, c) in bases {
                let mut w = Walk {
                    table: t,
                    p,
                    stack: Vec::new(),
                    budget: 100_000,
                };
                match w.rules(name, c, true) {
                    Outcome::Block(b) => return Some(b),
                    Outcome::Accept => {}
                    Outcome::Fallthrough => {
                        if matches!(c.policy.as_deref(), Some("drop")) {
                            return Some(Block {
                                file: NFT_FILE,
                                table: format!("{} {}", t.family, t.name),
                                chain: name.to_string(),
                                line: c.line,
                                policy: true,
                                text: "policy drop".into(),
                                packets: None,
                            });
                        }
                    }
                }
            }
        }
        None
    }
}

struct Walk<'a> {
    table: &'a Table,
    p: &'a Packet<'a>,
    stack: Vec<&'a str>,
    budget: u32,
}

impl<'a> Walk<'a> {
    fn chain(&mut self, name: &'a str, sure: bool) -> Outcome {
        let Some(c) = self.table.chains.get(name) else {
            return Outcome::Fallthrough;
        };
        if self.stack.contains(&name) || self.stack.len() > 32 {
            return Outcome::Fallthrough;
        }
        self.rules(name, c, sure)
    }

    fn rules(&mut self, name: &'a str, c: &'a Chain, sure: bool) -> Outcome {
        self.stack.push(name);
        let outcome = self.rules_inner(name, c, sure);
        self.stack.pop();
        outcome
    }

    fn rules_inner(&mut self, name: &'a str, c: &'a Chain, sure: bool) -> Outcome {
        for r in &c.rules {
            if self.budget == 0 {
                return Outcome::Fallthrough;
            }
            self.budget -= 1;
            let m = self.matches(r);
            if m == M::No {
                continue;
            }
            let sure_here = sure && m == M::Yes;
            match &r.verdict {
                None => {}
                Some(Verdict::Accept) => return Outcome::Accept,
                Some(Verdict::Drop | Verdict::Reject) if sure_here => {
                    return Outcome::Block(Block {
                        file: NFT_FILE,
                        table: format!("{} {}", self.table.family, self.table.name),
                        chain: name.to_string(),
                        line: r.line,
                        policy: false,
                        text: r.text.clone(),
                        packets: r.packets,
                    })
                }
                Some(Verdict::Drop | Verdict::Reject) => {}
                Some(Verdict::Return) => return Outcome::Fallthrough,
                Some(Verdict::Jump(t) | Verdict::Goto(t)) => match self.chain(t, sure_here) {
                    Outcome::Fallthrough if matches!(r.verdict, Some(Verdict::Goto(_))) => {
                        return Outcome::Fallthrough
                    }
                    Outcome::Fallthrough => {}
                    decided => return decided,
                },
                Some(Verdict::Other(v)) if v == "continue" || v == "notrack" => {}
                // queue, nat verdicts: the packet leaves this chain, not dropped here.
                Some(Verdict::Other(_)) => return Outcome::Accept,
            }
        }
        Outcome::Fallthrough
    }

    fn matches(&self, r: &Rule) -> M {
        let p = self.p;
        let mut result = M::Yes;
        for m in &r.matches {
            let (neg, got) = match m {
                Match::Saddr { negated, values } => (*negated, self.addr_m(values, p.src)),
                Match::Daddr { negated, values } => (*negated, self.addr_m(values, p.dst)),
                Match::InIface { negated, values } => (*negated, iface_m(values, p.in_iface)),
                Match::OutIface { negated, values } => (*negated, iface_m(values, p.out_iface)),
                Match::L4proto { negated, values } => (
                    *negated,
                    bool_m(values.iter().any(|v| proto_name(v) == p.proto)),
                ),
                Match::Dport { negated, values } => (*negated, ports_m(values, p.dport)),
                // The first packet of a flow is NEW.
                Match::CtState { negated, values } => {
                    (*negated, bool_m(values.iter().any(|v| v == "new")))
                }
                Match::Other(_) => (false, M::Maybe),
            };
            result = and(result, if neg { not(got) } else { got });
            if result == M::No {
                return M::No;
            }
        }
        result
    }

    /// An address against values (addresses, prefixes, ranges, `@set`).
    /// An address of the other family never matches (`ip saddr` on IPv6).
    fn addr_m(&self, values: &[String], ip: Option<IpAddr>) -> M {
        let Some(ip) = ip else { return M::Maybe };
        let mut result = M::No;
        for v in values {
            let m = match v.strip_prefix('@') {
                Some(set) => match self.table.sets.get(set) {
                    Some(elems) if !elems.is_empty() => self.addr_m(elems, Some(ip)),
                    _ => M::Maybe,
                },
                None => addr_value_m(v, ip),
            };
            result = match (result, m) {
                (M::Yes, _) | (_, M::Yes) => M::Yes,
                (M::Maybe, _) | (_, M::Maybe) => M::Maybe,
                _ => M::No,
            };
        }
        result
    }
}

fn net(v: &str) -> Option<IpNet> {
    v.parse::<IpNet>()
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from))
}

fn addr_value_m(v: &str, ip: IpAddr) -> M {
    if let Some(n) = net(v) {
        return bool_m(n.contains(&ip));
    }
    if let Some((lo, hi)) = v.split_once('-') {
        if let (Ok(lo), Ok(hi)) = (lo.trim().parse::<IpAddr>(), hi.trim().parse::<IpAddr>()) {
            return bool_m(lo <= ip && ip <= hi && lo.is_ipv4() == ip.is_ipv4());
        }
    }
    M::Maybe
}

fn proto_name(v: &str) -> &str {
    match v {
        "6" => "tcp",
        "17" => "udp",
        v => v,
    }
}

/// `eth0` or `eth*` (nft's wildcard). With the interface unknown, traffic
/// from other nodes never uses loopback or docker's own bridges and veths.
fn iface_m(values: &[String], iface: Option<&str>) -> M {
    let mut result = M::No;
    for v in values {
        let m = match iface {
            Some(i) => bool_m(match v.strip_suffix('*') {
                Some(prefix) => i.starts_with(prefix),
                None => i == v,
            }),
            None if v == "lo" || is_docker_iface(v.trim_end_matches('*')) => M::No,
            None => M::Maybe,
        };
        result = match (result, m) {
            (M::Yes, _) | (_, M::Yes) => M::Yes,
            (M::Maybe, _) | (_, M::Maybe) => M::Maybe,
            _ => M::No,
        };
    }
    result
}

/// `7946`, `8000-8100`; a service name is "maybe".
fn ports_m(values: &[String], port: u16) -> M {
    let mut any = false;
    for v in values {
        let (lo, hi) = v.split_once('-').unwrap_or((v, v));
        match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
            (Ok(lo), Ok(hi)) => any |= lo <= port && port <= hi,
            _ => return M::Maybe,
        }
    }
    bool_m(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::nft::parse;

    /// Real `nft list ruleset` of a lab namespace (see parse::nft).
    const LAB: &str = include_str!("../../tests/fixtures/nft/firewalld-lab.txt");

    fn pkt(proto: &'static str, dport: u16, peer: &str, inbound: bool) -> Packet<'static> {
        let own = "198.18.0.11".parse().ok();
        let peer = peer.parse().ok();
        Packet {
            proto,
            dport,
            src: if inbound { peer } else { own },
            dst: if inbound { own } else { peer },
            in_iface: if inbound { Some("eth0") } else { None },
            out_iface: if inbound { None } else { Some("eth0") },
            inbound,
        }
    }

    #[test]
    fn firewalld_zone_accepts_swarm_ports_from_the_node_subnet() {
        let rs = parse(LAB).unwrap();
        let fw = NftFirewall::new(&rs, true);
        assert_eq!(fw.blocked(&pkt("tcp", 2377, "198.18.0.12", true)), None);
        assert_eq!(fw.blocked(&pkt("tcp", 7946, "198.18.0.13", true)), None);
        assert_eq!(fw.blocked(&pkt("udp", 4789, "198.18.0.12", true)), None);
        assert_eq!(fw.blocked(&pkt("udp", 8050, "198.18.0.12", true)), None);
    }

    #[test]
    fn firewalld_zone_rejects_what_it_does_not_accept() {
        let rs = parse(LAB).unwrap();
        let fw = NftFirewall::new(&rs, true);
        // 7946/udp is not in the zone's tcp set: the final reject of filter_INPUT.
        let b = fw.blocked(&pkt("udp", 7946, "198.18.0.12", true)).unwrap();
        assert_eq!(b.table, "inet firewalld");
        assert_eq!(b.chain, "filter_INPUT");
        assert_eq!(b.text, "reject with icmpx admin-prohibited");
        assert_eq!(b.file, "host/nft-ruleset.txt");
        assert!(!b.policy);
        // 4789 from the one excluded peer; 2377 from outside the subnet.
        let b = fw.blocked(&pkt("udp", 4789, "198.18.0.13", true)).unwrap();
        assert_eq!(b.chain, "filter_INPUT");
        assert!(fw.blocked(&pkt("tcp", 2377, "10.9.9.9", true)).is_some());
        // Outbound: one peer's 7946/udp dropped, others pass.
        let b = fw.blocked(&pkt("udp", 7946, "198.18.0.14", false)).unwrap();
        assert_eq!(b.chain, "filter_OUTPUT");
        assert_eq!(b.text, "ip daddr 198.18.0.14 udp dport 7946 drop");
        assert_eq!(fw.blocked(&pkt("udp", 7946, "198.18.0.12", false)), None);
    }

    #[test]
    fn named_sets_and_xtables_tables() {
        let rs = parse(LAB).unwrap();
        // 198.18.0.99 is in @blocked: dropped at prerouting, before input.
        let b = NftFirewall::new(&rs, true)
            .blocked(&pkt("tcp", 7946, "198.18.0.99", true))
            .unwrap();
        assert_eq!(
            (b.table.as_str(), b.chain.as_str()),
            ("ip raw_guard", "pre")
        );
        // iptables-nft's `table ip filter` drops 7946/udp from .12 outbound
        // 7946/tcp to .12: seen only when not left to the iptables walk.
        let out_tcp = pkt("tcp", 7946, "198.18.0.12", false);
        assert_eq!(NftFirewall::new(&rs, true).blocked(&out_tcp), None);
        let b = NftFirewall::new(&rs, false).blocked(&out_tcp).unwrap();
        assert_eq!(
            (b.table.as_str(), b.chain.as_str()),
            ("ip filter", "OUTPUT")
        );
        // `counter packets 0 bytes 0`: the counter is kept.
        assert_eq!(b.packets, Some(0));
    }

    #[test]
    fn policy_drop_and_unknown_matches() {
        let text = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\
                    \t\tct state established,related accept\n\t\tmeta mark 0x1 udp dport 4789 drop\n\
                    \t\ttcp dport { 2377, 7946 } accept\n\t}\n}\n";
        let rs = parse(text).unwrap();
        let fw = NftFirewall::new(&rs, false);
        assert_eq!(fw.blocked(&pkt("tcp", 7946, "198.18.0.12", true)), None);
        // The mark rule may not match: the policy, not the rule, is sure.
        let b = fw.blocked(&pkt("udp", 4789, "198.18.0.12", true)).unwrap();
        assert!(b.policy);
        assert_eq!(
            (b.chain.as_str(), b.line, b.text.as_str()),
            ("input", 2, "policy drop")
        );
        // Outbound has no chain here: passes.
        assert_eq!(fw.blocked(&pkt("udp", 4789, "198.18.0.12", false)), None);
    }
}
