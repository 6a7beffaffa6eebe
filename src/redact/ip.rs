//! Subnet-preserving address pseudonyms.
//!
//! Every subnet learned from the bundle (`10.0.1.0/24` in IPAM configs,
//! interface addresses, routes) is mapped as a block: the outermost learned
//! subnet around an address moves to a fake network of the same size and
//! the host part is kept, so `10.0.1.7` in `10.0.1.0/24` becomes
//! `10.0.9.7` in `10.0.9.0/24`, and VIPs, backends, broadcast addresses and
//! capacity arithmetic still line up. An address in no learned subnet moves
//! with its /24 (IPv4) or /64 (IPv6). Fake blocks are disjoint from each
//! other and from every original address and subnet, so no pseudonym equals
//! an original value and the mapping is one to one.
//!
//! Loopback, unspecified, multicast and netmask-like addresses (`0.0.0.0/8`,
//! `127.0.0.0/8`, `224.0.0.0` and up, `::`, `::1`, `ff00::/8`) say nothing
//! about the site and are kept. IPv6 link-local addresses keep `fe80::/64`
//! and get a fake interface id (theirs is derived from the MAC).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address family's learned subnets and addresses, then its blocks.
#[derive(Debug, Default)]
struct Space {
    bits: u32,
    /// Learned subnets: (network, prefix length).
    subnets: BTreeSet<(u128, u32)>,
    seen: BTreeSet<u128>,
    /// After [`Space::finish`]: (original network, prefix, fake network),
    /// sorted by original network. Learned blocks are disjoint; a fallback
    /// block (/24, /64) may contain a learned one, which wins.
    learned: Vec<(u128, u32, u128)>,
    fallback: Vec<(u128, u32, u128)>,
    /// Individually mapped addresses (IPv6 link-local).
    single: BTreeMap<u128, u128>,
}

fn mask(bits: u32, prefix: u32) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    all & !host_mask(bits, prefix)
}

fn host_mask(bits: u32, prefix: u32) -> u128 {
    match bits.checked_sub(prefix) {
        None | Some(0) => 0,
        Some(128) => u128::MAX,
        Some(n) => (1u128 << n) - 1,
    }
}

impl Space {
    fn new(bits: u32) -> Self {
        Space {
            bits,
            ..Default::default()
        }
    }

    fn fallback_prefix(&self) -> u32 {
        if self.bits == 32 {
            24
        } else {
            64
        }
    }

    fn learn_subnet(&mut self, addr: u128, prefix: u32) {
        let min = if self.bits == 32 { 8 } else { 16 };
        if prefix >= min && prefix < self.bits && !self.kept(addr) {
            self.subnets
                .insert((addr & mask(self.bits, prefix), prefix));
        }
    }

    fn learn(&mut self, addr: u128) {
        self.seen.insert(addr);
    }

    /// Addresses that are never renamed.
    fn kept(&self, a: u128) -> bool {
        if self.bits == 32 {
            let first = (a >> 24) as u8;
            first == 0 || first == 127 || first >= 224
        } else {
            a == 0 || a == 1 || (a >> 120) == 0xff
        }
    }

    fn link_local(&self, a: u128) -> bool {
        self.bits == 128 && (a >> 118) == (0xfe80u128 >> 6)
    }

    /// Learned subnets that no other learned subnet contains.
    fn outermost(&self) -> Vec<(u128, u32)> {
        let mut by_size: Vec<(u128, u32)> = self.subnets.iter().copied().collect();
        by_size.sort_by_key(|&(net, p)| (p, net));
        let mut out: Vec<(u128, u32)> = Vec::new();
        for (net, p) in by_size {
            if !out
                .iter()
                .any(|&(n, q)| q <= p && net & mask(self.bits, q) == n)
            {
                out.push((net, p));
            }
        }
        out.sort();
        out
    }

    fn finish(&mut self) {
        let bits = self.bits;
        let outer = self.outermost();
        let in_outer = |a: u128| outer.iter().any(|&(n, p)| a & mask(bits, p) == n);
        let fp = self.fallback_prefix();
        let mut fallback: BTreeSet<(u128, u32)> = BTreeSet::new();
        for &a in &self.seen {
            if !self.kept(a) && !self.link_local(a) && !in_outer(a) {
                fallback.insert((a & mask(bits, fp), fp));
            }
        }
        // Everything original is off limits for fake blocks.
        let mut taken = Taken::default();
        for &(n, p) in outer.iter().chain(&fallback) {
            taken.add(n, n | host_mask(bits, p));
        }
        for &a in &self.seen {
            taken.add(a, a);
        }
        let pools: &[(u128, u32)] = if bits == 32 {
            &[
                (0x0a00_0000, 8),  // 10.0.0.0/8
                (0xac10_0000, 12), // 172.16.0.0/12
                (0xc0a8_0000, 16), // 192.168.0.0/16
                (0x6440_0000, 10), // 100.64.0.0/10
                (0xc612_0000, 15), // 198.18.0.0/15
                (0x0100_0000, 3),  // 1.0.0.0 up to 31.255.255.255
                (0x2000_0000, 3),  // 32.0.0.0/3
                (0x4000_0000, 2),  // 64.0.0.0/2
                (0x8000_0000, 2),  // 128.0.0.0/2
                (0xc000_0000, 3),  // 192.0.0.0/3
            ]
        } else {
            &[
                (0xfd00u128 << 112, 8),
                (0x2001_0db8u128 << 96, 32),
                (0x2000u128 << 112, 3),
            ]
        };
        let assign = |net: u128, p: u32, taken: &mut Taken| -> Option<(u128, u32, u128)> {
            let size = host_mask(bits, p);
            for &(pool, pp) in pools {
                if pp > p {
                    continue;
                }
                let end = pool | host_mask(bits, pp);
                let mut cand = pool;
                while cand <= end && cand.checked_add(size).is_some_and(|e| e <= end) {
                    match taken.overlap(cand, cand + size) {
                        None => {
                            taken.add(cand, cand + size);
                            return Some((net, p, cand));
                        }
                        Some(hi) => {
                            // Next aligned block after what is in the way.
                            let next = (hi | size).checked_add(1)?;
                            cand = next;
                        }
                    }
                }
            }
            None
        };
        let mut learned = Vec::new();
        for (n, p) in outer {
            if let Some(b) = assign(n, p, &mut taken) {
                learned.push(b);
            }
        }
        let mut fb = Vec::new();
        for (n, p) in fallback {
            if let Some(b) = assign(n, p, &mut taken) {
                fb.push(b);
            }
        }
        // Link-local: fe80::/64 kept, a fake interface id per address.
        let mut next_iid: u128 = 0x1000;
        for &a in &self.seen {
            if self.link_local(a) && a & host_mask(128, 64) != 0 {
                let prefix = a & !host_mask(128, 64);
                let fake = loop {
                    let f = prefix | next_iid;
                    next_iid += 1;
                    if !self.seen.contains(&f) {
                        break f;
                    }
                };
                self.single.insert(a, fake);
            }
        }
        self.learned = learned;
        self.fallback = fb;
    }

    fn map(&self, a: u128) -> Option<u128> {
        if self.kept(a) {
            return None;
        }
        if self.link_local(a) {
            // `fe80::` itself (the route) is kept.
            return self.single.get(&a).copied();
        }
        let find = |blocks: &[(u128, u32, u128)]| {
            let i = blocks.partition_point(|&(n, _, _)| n <= a);
            let &(n, p, f) = blocks.get(i.checked_sub(1)?)?;
            (a & mask(self.bits, p) == n).then_some(f | (a & host_mask(self.bits, p)))
        };
        find(&self.learned).or_else(|| find(&self.fallback))
    }
}

/// Intervals (inclusive) that fake blocks must not overlap.
#[derive(Debug, Default)]
struct Taken {
    spans: BTreeMap<u128, u128>,
}

impl Taken {
    fn add(&mut self, start: u128, end: u128) {
        let e = self.spans.entry(start).or_insert(end);
        *e = (*e).max(end);
    }

    /// The end of some interval overlapping `[start, end]`, if any.
    fn overlap(&self, start: u128, end: u128) -> Option<u128> {
        self.spans
            .range(..=end)
            .filter(|&(_, &e)| e >= start)
            .map(|(_, &e)| e)
            .max()
    }
}

/// Learns subnets and addresses, then maps addresses.
#[derive(Debug)]
pub struct IpMap {
    v4: Space,
    v6: Space,
}

impl Default for IpMap {
    fn default() -> Self {
        IpMap {
            v4: Space::new(32),
            v6: Space::new(128),
        }
    }
}

fn split(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (true, u128::from(u32::from(a))),
        IpAddr::V6(a) => (false, u128::from(a)),
    }
}

impl IpMap {
    pub fn learn(&mut self, ip: IpAddr) {
        match split(ip) {
            (true, a) => self.v4.learn(a),
            (false, a) => self.v6.learn(a),
        }
    }

    pub fn learn_subnet(&mut self, ip: IpAddr, prefix: u32) {
        self.learn(ip);
        match split(ip) {
            (true, a) => self.v4.learn_subnet(a, prefix),
            (false, a) => self.v6.learn_subnet(a, prefix),
        }
    }

    /// Assigns the fake blocks; call once, after learning.
    pub fn finish(&mut self) {
        self.v4.finish();
        self.v6.finish();
    }

    /// The pseudonym of `ip`, or `None` when it is kept as is.
    pub fn map(&self, ip: IpAddr) -> Option<IpAddr> {
        match split(ip) {
            (true, a) => self.v4.map(a).map(|f| IpAddr::V4(Ipv4Addr::from(f as u32))),
            (false, a) => self.v6.map(a).map(|f| IpAddr::V6(Ipv6Addr::from(f))),
        }
    }

    /// Learned subnets and their fake networks, as CIDR text.
    pub fn subnets(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (s, v4) in [(&self.v4, true), (&self.v6, false)] {
            for &(n, p, f) in s.learned.iter().chain(&s.fallback) {
                let text = |x: u128| {
                    if v4 {
                        Ipv4Addr::from(x as u32).to_string()
                    } else {
                        Ipv6Addr::from(x).to_string()
                    }
                };
                out.push((format!("{}/{p}", text(n)), format!("{}/{p}", text(f))));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn subnets_move_as_blocks_keeping_host_parts() {
        let mut m = IpMap::default();
        m.learn_subnet(ip("10.0.0.0"), 24);
        m.learn_subnet(ip("10.0.1.0"), 24);
        m.learn_subnet(ip("10.0.1.5"), 26); // inside the /24: the /24 wins
        m.learn(ip("10.0.1.7"));
        m.learn(ip("192.168.7.9")); // in no learned subnet: its /24 moves
        m.learn(ip("127.0.0.1"));
        m.finish();
        let a = m.map(ip("10.0.1.7")).unwrap();
        let b = m.map(ip("10.0.1.255")).unwrap();
        let c = m.map(ip("10.0.0.2")).unwrap();
        let (IpAddr::V4(a), IpAddr::V4(b)) = (a, b) else {
            panic!()
        };
        assert_eq!(a.octets()[..3], b.octets()[..3]);
        assert_eq!((a.octets()[3], b.octets()[3]), (7, 255));
        for fake in [IpAddr::V4(a), IpAddr::V4(b), c] {
            assert!(!["10.0.0.0", "10.0.1.0"].iter().any(|n| {
                let IpAddr::V4(f) = fake else { return false };
                f.octets()[..3] == ip4(n).octets()[..3]
            }));
        }
        assert_ne!(IpAddr::V4(a), c);
        assert_eq!(m.map(ip("127.0.0.1")), None);
        assert_eq!(m.map(ip("255.255.255.0")), None);
        let x = m.map(ip("192.168.7.9")).unwrap();
        assert!(x.to_string().ends_with(".9"));
        assert_ne!(x, ip("192.168.7.9"));
    }

    fn ip4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn an_eight_bit_subnet_moves_out_of_its_own_range() {
        let mut m = IpMap::default();
        m.learn_subnet(ip("10.0.0.0"), 8);
        m.learn(ip("10.9.8.7"));
        m.finish();
        let f = m.map(ip("10.9.8.7")).unwrap().to_string();
        assert!(f.ends_with(".9.8.7") && !f.starts_with("10."), "{f}");
    }

    #[test]
    fn ipv6_subnets_and_link_local() {
        let mut m = IpMap::default();
        m.learn_subnet(ip("2001:db8:1::"), 64);
        m.learn(ip("2001:db8:1::42"));
        m.learn(ip("fe80::42:acff:fe11:2"));
        m.finish();
        let f = m.map(ip("2001:db8:1::42")).unwrap().to_string();
        assert!(f.ends_with("::42") && f != "2001:db8:1::42", "{f}");
        let l = m.map(ip("fe80::42:acff:fe11:2")).unwrap().to_string();
        assert!(l.starts_with("fe80::") && !l.contains("acff"), "{l}");
        assert_eq!(m.map(ip("::1")), None);
    }
}
