//! Finding and renaming addresses, MACs and names in any text.
//!
//! Addresses are recognized by shape and checked by parsing: an IPv4 address
//! is four dotted decimal octets not inside a longer dotted run and not
//! right after a letter (`v1.2.3.4`), so version strings (`20.10.24`,
//! `5.10.0-28-amd64`), timestamps and counters (`[1290:88148]`) are left
//! alone; an IPv6 address must parse and hold `::` or seven colons; a MAC is
//! six colon-separated hex pairs. Names (hosts, domains, and with `--names`
//! services, networks and images) are matched as whole words: the
//! characters around a match are not letters or digits, so `node1` is
//! renamed in `node1-3f2a1b` and `node1.corp.example.com` but not in
//! `node10`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::ip::IpMap;

/// Network names docker itself gives; the checks rely on them.
const BUILTIN_NETWORKS: &[&str] = &["ingress", "docker_gwbridge", "bridge", "host", "none"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Ip(IpAddr, Option<u32>),
    Mac([u8; 6]),
}

fn v4_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}").unwrap())
}

fn v6_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}").unwrap())
}

fn mac_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}").unwrap())
}

/// A `/NN` prefix length right after `end`.
fn prefix_after(b: &[u8], end: usize) -> Option<u32> {
    if b.get(end) != Some(&b'/') {
        return None;
    }
    let digits: Vec<u8> = b[end + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .take(4)
        .copied()
        .collect();
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    if b.get(end + 1 + digits.len())
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Every address and MAC in `text`: (start, end, token), sorted, not
/// overlapping.
fn tokens(text: &str) -> Vec<(usize, usize, Token)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for m in v4_re().find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let prev = s.checked_sub(1).map(|i| b[i]);
        if prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_') {
            continue;
        }
        if b.get(e).is_some_and(|c| c.is_ascii_digit())
            || (b.get(e) == Some(&b'.') && b.get(e + 1).is_some_and(u8::is_ascii_digit))
        {
            continue;
        }
        if let Ok(ip) = m.as_str().parse::<std::net::Ipv4Addr>() {
            let p = prefix_after(b, e).filter(|&p| p <= 32);
            out.push((s, e, Token::Ip(IpAddr::V4(ip), p)));
        }
    }
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b':' || c == b'_';
    for m in v6_re().find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if s > 0 && (word(b[s - 1]) || b[s - 1] == b'.') {
            continue;
        }
        if b.get(e).is_some_and(|&c| word(c) || c == b'.') {
            continue;
        }
        let t = m.as_str();
        if !t.contains("::") && t.matches(':').count() != 7 {
            continue;
        }
        if let Ok(ip) = t.parse::<std::net::Ipv6Addr>() {
            let p = prefix_after(b, e).filter(|&p| p <= 128);
            out.push((s, e, Token::Ip(IpAddr::V6(ip), p)));
        }
    }
    for m in mac_re().find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if s > 0 && word(b[s - 1]) || b.get(e).is_some_and(|&c| word(c)) {
            continue;
        }
        let mut mac = [0u8; 6];
        for (i, part) in m.as_str().split(':').enumerate() {
            mac[i] = u8::from_str_radix(part, 16).unwrap_or(0);
        }
        out.push((s, e, Token::Mac(mac)));
    }
    out.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut kept: Vec<(usize, usize, Token)> = Vec::new();
    for t in out {
        if kept.last().is_none_or(|&(_, e, _)| t.0 >= e) {
            kept.push(t);
        }
    }
    kept
}

fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Learns what a bundle set holds, then rewrites its text.
#[derive(Debug, Default)]
pub struct Redactor {
    with_names: bool,
    ips: IpMap,
    seen_ips: BTreeSet<IpAddr>,
    seen_macs: BTreeSet<[u8; 6]>,
    hosts: BTreeSet<String>,
    domains: BTreeSet<String>,
    /// (kind, name) for `--names`: `service`, `network`, `image`.
    others: BTreeSet<(String, String)>,
    // After `finish`:
    macs: BTreeMap<[u8; 6], [u8; 6]>,
    names: Vec<(String, String)>,
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// `with_names`: also rename services, networks and images.
    pub fn new(with_names: bool) -> Self {
        Redactor {
            with_names,
            ..Default::default()
        }
    }

    /// Learns the addresses, subnets and MACs of `text`.
    pub fn learn_text(&mut self, text: &str) {
        for (_, _, t) in tokens(text) {
            match t {
                Token::Ip(ip, prefix) => {
                    self.seen_ips.insert(ip);
                    match prefix {
                        Some(p) => self.ips.learn_subnet(ip, p),
                        None => self.ips.learn(ip),
                    }
                }
                Token::Mac(m) => {
                    self.seen_macs.insert(m);
                }
            }
        }
    }

    /// Learns a host name (`node1`, `node1.corp.example.com`).
    pub fn learn_host(&mut self, name: &str) {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.parse::<IpAddr>().is_ok() || name == "localhost" {
            return;
        }
        match name.split_once('.') {
            Some((short, domain)) => {
                self.hosts.insert(short.to_string());
                self.hosts.insert(name.clone());
                // A one-label domain (`local`, `lan`) is a common word: it
                // is renamed only as part of the full name.
                if domain.contains('.') {
                    self.domains.insert(domain.to_string());
                }
            }
            None => {
                self.hosts.insert(name);
            }
        }
    }

    /// Learns a service, network or image name (kept unless `with_names`).
    pub fn learn_name(&mut self, kind: &str, name: &str) {
        let name = name.trim();
        if !self.with_names || name.is_empty() || BUILTIN_NETWORKS.contains(&name) {
            return;
        }
        // An image without tag or digest: `registry/team/app:1.2@sha256:…`.
        let name = if kind == "image" {
            let no_digest = name.split('@').next().unwrap_or(name);
            match no_digest.rsplit_once(':') {
                Some((repo, tag)) if !tag.contains('/') => repo,
                _ => no_digest,
            }
        } else {
            name
        };
        if name.len() >= 2 {
            self.others.insert((kind.to_string(), name.to_string()));
        }
    }

    /// Assigns every pseudonym. Call once, after learning.
    pub fn finish(&mut self) {
        self.ips.finish();
        let originals: BTreeSet<String> = self
            .hosts
            .iter()
            .chain(&self.domains)
            .chain(self.others.iter().map(|(_, n)| n))
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let fresh = |stem: &str, n: &mut usize| loop {
            *n += 1;
            let p = format!("{stem}-{n}");
            if !originals.iter().any(|o| o.contains(&p)) {
                break p;
            }
        };
        let mut names = BTreeMap::new();
        let mut n = 0;
        for d in &self.domains {
            names.insert(d.clone(), format!("{}.invalid", fresh("domain", &mut n)));
        }
        let mut n = 0;
        let mut short = BTreeMap::new();
        for h in self.hosts.iter().filter(|h| !h.contains('.')) {
            let p = fresh("host", &mut n);
            short.insert(h.clone(), p.clone());
            names.insert(h.clone(), p);
        }
        for h in self.hosts.iter().filter(|h| h.contains('.')) {
            let (s, d) = h.split_once('.').unwrap_or((h, ""));
            let d = names
                .get(d)
                .cloned()
                .unwrap_or_else(|| "invalid".to_string());
            let s = short
                .get(s)
                .cloned()
                .unwrap_or_else(|| fresh("host", &mut n));
            names.insert(h.clone(), format!("{s}.{d}"));
        }
        let mut counters: BTreeMap<String, usize> = BTreeMap::new();
        for (kind, name) in &self.others {
            if names.contains_key(&name.to_ascii_lowercase()) {
                continue;
            }
            let c = counters.entry(kind.clone()).or_default();
            names.insert(name.clone(), fresh(kind, c));
        }
        self.names = names.into_iter().collect();
        self.matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(self.names.iter().map(|(o, _)| o))
            .ok();
        // MACs: docker's 02:42 MACs carry the IPv4 address; keep that link.
        let mut used: BTreeSet<[u8; 6]> = self.seen_macs.clone();
        let mut next: u32 = 1;
        for &m in &self.seen_macs {
            if m == [0; 6] || m == [0xff; 6] || m[0] & 1 == 1 {
                continue;
            }
            let from_ip = (m[0..2] == [0x02, 0x42])
                .then(|| {
                    let ip = IpAddr::from([m[2], m[3], m[4], m[5]]);
                    match self.ips.map(ip)? {
                        IpAddr::V4(f) => {
                            let o = f.octets();
                            Some([0x02, 0x42, o[0], o[1], o[2], o[3]])
                        }
                        IpAddr::V6(_) => None,
                    }
                })
                .flatten()
                .filter(|f| !self.seen_macs.contains(f));
            let fake = from_ip.unwrap_or_else(|| loop {
                let b = next.to_be_bytes();
                next += 1;
                let f = [0x02, 0x00, b[0], b[1], b[2], b[3]];
                if !used.contains(&f) {
                    break f;
                }
            });
            used.insert(fake);
            self.macs.insert(m, fake);
        }
    }

    /// `text` with every learned name and every address and MAC renamed.
    pub fn rewrite_text(&self, text: &str) -> String {
        let b = text.as_bytes();
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        for (s, e, t) in tokens(text) {
            let new = match t {
                Token::Ip(ip, _) => self.ips.map(ip).map(|f| f.to_string()),
                Token::Mac(m) => self.macs.get(&m).map(|&f| mac_text(f)),
            };
            if let Some(new) = new {
                spans.push((s, e, new));
            }
        }
        if let Some(ac) = &self.matcher {
            for m in ac.find_iter(text) {
                let (s, e) = (m.start(), m.end());
                let boundary = |c: Option<&u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
                if boundary(s.checked_sub(1).and_then(|i| b.get(i))) && boundary(b.get(e)) {
                    let new = &self.names[m.pattern().as_usize()].1;
                    spans.push((s, e, new.clone()));
                }
            }
        }
        spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, new) in spans {
            if s < at {
                continue;
            }
            out.push_str(&text[at..s]);
            out.push_str(&new);
            at = e;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The map from original values to pseudonyms, for the `--map` file.
    pub fn map_json(&self) -> serde_json::Value {
        let addresses: BTreeMap<String, String> = self
            .seen_ips
            .iter()
            .filter_map(|&ip| Some((ip.to_string(), self.ips.map(ip)?.to_string())))
            .collect();
        let macs: BTreeMap<String, String> = self
            .macs
            .iter()
            .map(|(&o, &f)| (mac_text(o), mac_text(f)))
            .collect();
        let names: BTreeMap<&str, &str> = self
            .names
            .iter()
            .map(|(o, f)| (o.as_str(), f.as_str()))
            .collect();
        let subnets: BTreeMap<String, String> = self.ips.subnets().into_iter().collect();
        serde_json::json!({
            "format": "swarmdiag-redact-map",
            "version": 1,
            "subnets": subnets,
            "addresses": addresses,
            "macs": macs,
            "names": names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(text: &str, hosts: &[&str]) -> Redactor {
        let mut r = Redactor::new(false);
        r.learn_text(text);
        for h in hosts {
            r.learn_host(h);
        }
        r.finish();
        r
    }

    #[test]
    fn versions_timestamps_counters_and_durations_are_not_addresses() {
        let text = "Docker 20.10.24, kernel 5.10.0-28-amd64, ipvsadm v1.2.1, build 1.2.3.4.5 \
                    v10.0.0.1 at 2026-11-22T02:51:33.123456Z / Dec  3 16:13:31, \
                    :INPUT ACCEPT [1290:88148], took 1.5s, 0x100/0xffffffff, std::io, \
                    a::b::c";
        let r = redactor(text, &[]);
        assert_eq!(r.rewrite_text(text), text);
    }

    #[test]
    fn addresses_macs_and_host_names_are_renamed_everywhere() {
        let text = "inet 10.0.1.7/24 brd 10.0.1.255 scope global eth0\n\
                    link/ether 02:42:0a:00:01:07 brd ff:ff:ff:ff:ff:ff\n\
                    msg=\"memberlist: ping node1-3f2a1b0c9d8e (10.0.1.7:7946) at node1.corp.example.com\"\n\
                    inet6 fe80::42:aff:fe00:107/64 scope link\n\
                    registry.corp.example.com node10 [2001:db8::5]:443 ::1";
        let r = redactor(text, &["node1.corp.example.com"]);
        let out = r.rewrite_text(text);
        for gone in [
            "10.0.1.7",
            "10.0.1.255",
            "02:42:0a:00:01:07",
            "node1-",
            "node1.",
            "corp.example.com",
            "fe80::42:aff:fe00:107",
            "2001:db8::5",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        assert!(
            out.contains("ff:ff:ff:ff:ff:ff") && out.contains(" ::1"),
            "{out}"
        );
        assert!(out.contains("node10"), "{out}");
        assert!(out.contains("host-1-3f2a1b0c9d8e"), "{out}");
        assert!(out.contains("host-1.domain-1.invalid"), "{out}");
        assert!(out.contains("registry.domain-1.invalid"), "{out}");
        // The docker MAC follows its address: 02:42 + the fake IPv4 bytes.
        let fake_ip = r.ips.map("10.0.1.7".parse().unwrap()).unwrap();
        let IpAddr::V4(f) = fake_ip else { panic!() };
        let o = f.octets();
        let mac = format!("02:42:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3]);
        assert!(out.contains(&mac), "{mac} not in {out}");
        // Host part kept, broadcast still the broadcast of the same subnet.
        assert!(out.contains(&format!("{f}/24")), "{out}");
        assert_eq!(r.rewrite_text(text), out, "deterministic");
    }

    #[test]
    fn names_need_the_flag_and_spare_builtin_networks() {
        let mut r = Redactor::new(true);
        r.learn_name("service", "web");
        r.learn_name("network", "ingress");
        r.learn_name("image", "registry.example.com/team/app:1.2@sha256:abc");
        r.finish();
        let out = r.rewrite_text("web.1.xyz on ingress runs registry.example.com/team/app:1.2");
        assert_eq!(out, "service-1.1.xyz on ingress runs image-1:1.2");
        let mut off = Redactor::new(false);
        off.learn_name("service", "web");
        off.finish();
        assert_eq!(off.rewrite_text("web.1"), "web.1");
    }
}
