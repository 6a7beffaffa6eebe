//! Interfaces and addresses from `ip addr`, `ip -d addr`, `ip -d link`,
//! `ip -o addr` (one line per address, continuations joined by `\`) and
//! `ip -j addr` / `ip -j -d link` (JSON, iproute2 4.14+). The format is
//! detected from the text.
//!
//! ```text
//! 24: eth0@if25: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default
//!     link/ether 02:42:0a:00:01:06 brd ff:ff:ff:ff:ff:ff link-netnsid 0
//!     inet 10.0.1.6/24 brd 10.0.1.255 scope global eth0
//!        valid_lft forever preferred_lft forever
//!     inet 10.0.1.2/32 scope global eth0
//! 5: vxlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0 state UNKNOWN mode DEFAULT group default
//!     link/ether 9e:d1:ea:94:57:09 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1
//!     vxlan id 4097 srcport 0 0 dstport 4789 proxy l2miss l3miss ttl auto ageing 300
//!     bridge_slave state forwarding priority 32 cost 100
//! ```
//!
//! In an `lb_<netid>` namespace, the `/32` addresses beside the endpoint's own
//! address are the service VIPs (libnetwork `AddAliasIP`), see
//! [`Interface::host_aliases`].

use super::lines::{is_mac, json_items, jstr, ju64, lines, looks_like_json, nothing_recognized};
use super::ParseError;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub line: usize,
    pub index: u32,
    /// Without the `@if24` / `@veth1` / `@NONE` suffix.
    pub name: String,
    /// The part after `@`: `if24` (peer in another namespace), a local
    /// device name, or `NONE`.
    pub peer: Option<String>,
    pub flags: Vec<String>,
    pub mtu: Option<u32>,
    pub master: Option<String>,
    pub state: Option<String>,
    pub mac: Option<String>,
    /// `ether`, `loopback`, `none`, … (from `link/<type>`).
    pub link_type: Option<String>,
    pub link_netnsid: Option<u32>,
    /// Link kind from `-d`: `vxlan`, `bridge`, `veth`, `dummy`, …
    pub kind: Option<String>,
    /// Slave kind from `-d`: `bridge_slave`, …
    pub slave_kind: Option<String>,
    pub vxlan: Option<Vxlan>,
    pub altnames: Vec<String>,
    pub addrs: Vec<IfAddr>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vxlan {
    /// VNI, decimal (hex only in the `vx-%06x-` host-side names).
    pub id: u32,
    pub dstport: Option<u16>,
    pub local: Option<String>,
    pub dev: Option<String>,
    /// `remote` or `group` address.
    pub remote: Option<String>,
    /// Boolean options as printed: `proxy`, `l2miss`, `l3miss`, `nolearning`,
    /// `udpcsum`, `noudp6zerocsumtx`, … (wording changed in iproute2 6.4).
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IfAddr {
    pub line: usize,
    /// `inet` or `inet6`.
    pub family: String,
    pub ip: IpAddr,
    pub prefix: u8,
    pub scope: Option<String>,
    pub secondary: bool,
    /// IPv4 label, e.g. `eth0` or `eth0:1`.
    pub label: Option<String>,
    /// Other address flags: `dynamic`, `noprefixroute`, `tentative`, …
    pub flags: Vec<String>,
}

impl Interface {
    pub fn is_up(&self) -> bool {
        self.flags.iter().any(|f| f == "UP")
    }

    /// IPv4 `/32` addresses on an interface that also holds a wider IPv4
    /// address: the service VIP aliases on an `lb_*` endpoint (or, 17.09-18.03,
    /// on a task's `lo` beside 127.0.0.1/8).
    pub fn host_aliases(&self) -> impl Iterator<Item = &IfAddr> {
        let has_wider = self
            .addrs
            .iter()
            .any(|a| a.family == "inet" && a.prefix < 32);
        self.addrs
            .iter()
            .filter(move |a| has_wider && a.family == "inet" && a.prefix == 32)
    }
}

/// Parses any of the `ip addr` / `ip link` outputs described above.
/// Empty input gives an empty list; input with no interface at all (only an
/// error message) is an error naming its first line.
pub fn parse(text: &str) -> Result<Vec<Interface>, ParseError> {
    let out = if looks_like_json(text) {
        parse_json(text)?
    } else {
        parse_text(text)
    };
    if out.is_empty() && !looks_like_json(text) {
        if let Some(e) = nothing_recognized(text, "interface") {
            return Err(e);
        }
    }
    Ok(out)
}

fn parse_text(text: &str) -> Vec<Interface> {
    let mut out: Vec<Interface> = Vec::new();
    let mut current: Option<usize> = None;
    for (n, line) in lines(text) {
        // `ip -o` joins an interface's lines with a backslash.
        for (k, seg) in line.split('\\').enumerate() {
            if k == 0 && !seg.starts_with([' ', '\t']) {
                current = header(seg, n, &mut out);
                continue;
            }
            let seg = seg.trim();
            if seg.is_empty() {
                continue;
            }
            if let Some(iface) = current.and_then(|i| out.get_mut(i)) {
                continuation(seg, n, iface);
            }
        }
    }
    // A node holds one file per namespace (100,000 in a big cluster), most
    // with two interfaces of one address each: growth's spare capacity
    // would double their memory.
    out.shrink_to_fit();
    for iface in &mut out {
        iface.addrs.shrink_to_fit();
    }
    out
}

/// A line starting at column 0: `24: eth0@if25: <…> mtu …` (link header) or
/// `24: eth0    inet 10.0.1.6/24 …` (`ip -o addr`). Returns the index in `out`
/// of the interface that following continuation lines belong to.
fn header(seg: &str, n: usize, out: &mut Vec<Interface>) -> Option<usize> {
    let (idx, rest) = seg.split_once(':')?;
    let index: u32 = idx.trim().parse().ok()?;
    let rest = rest.trim_start();
    let name_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (raw_name, tail) = rest.split_at(name_end);
    let tail = tail.trim_start();
    if let Some(raw_name) = raw_name.strip_suffix(':') {
        let (name, peer) = split_peer(raw_name);
        let mut iface = Interface {
            line: n,
            index,
            name,
            peer,
            ..Interface::default()
        };
        link_header(tail, &mut iface);
        out.push(iface);
        return Some(out.len() - 1);
    }
    // One-line address form: the interface name has no trailing colon.
    let first = tail.split_whitespace().next()?;
    if !(first == "inet" || first == "inet6" || first.starts_with("link/")) {
        return None;
    }
    let (name, peer) = split_peer(raw_name);
    let pos = match out.iter().rposition(|i| i.index == index && i.name == name) {
        Some(p) => p,
        None => {
            out.push(Interface {
                line: n,
                index,
                name,
                peer,
                ..Interface::default()
            });
            out.len() - 1
        }
    };
    if let Some(iface) = out.get_mut(pos) {
        continuation(tail, n, iface);
    }
    Some(pos)
}

fn split_peer(raw: &str) -> (String, Option<String>) {
    match raw.split_once('@') {
        Some((name, peer)) => (name.to_string(), Some(peer.to_string())),
        None => (raw.to_string(), None),
    }
}

/// `<BROADCAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0 state UP …`
fn link_header(tail: &str, iface: &mut Interface) {
    let mut rest = tail;
    if let Some(after) = rest.strip_prefix('<') {
        let (flags, after) = after.split_once('>').unwrap_or((after, ""));
        iface.flags = flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        rest = after;
    }
    let toks: Vec<&str> = rest.split_whitespace().collect();
    let mut i = 0;
    while let Some(&tok) = toks.get(i) {
        let val = toks.get(i + 1).copied();
        match tok {
            "mtu" => iface.mtu = val.and_then(|v| v.parse().ok()),
            "master" => iface.master = val.map(str::to_string),
            "state" => iface.state = val.map(str::to_string),
            "link-netnsid" => iface.link_netnsid = val.and_then(|v| v.parse().ok()),
            "qdisc" | "mode" | "group" | "qlen" | "link-netns" => {}
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
}

/// Words that start a `-d` detail line but are not a link kind.
const NOT_A_KIND: &[&str] = &[
    "addrgenmode",
    "numtxqueues",
    "numrxqueues",
    "gso_max_size",
    "gso_max_segs",
    "gso_ipv4_max_size",
    "gro_max_size",
    "gro_ipv4_max_size",
    "tso_max_size",
    "tso_max_segs",
    "alias",
    "vf",
    "prop",
    "parentbus",
    "parentdev",
    "promiscuity",
    "allmulti",
    "minmtu",
    "maxmtu",
    "netns",
    "link",
];

fn continuation(seg: &str, n: usize, iface: &mut Interface) {
    let toks: Vec<&str> = seg.split_whitespace().collect();
    let Some(&first) = toks.first() else { return };
    if let Some(lt) = first.strip_prefix("link/") {
        iface.link_type = Some(lt.to_string());
        if let Some(mac) = toks.get(1).filter(|m| is_mac(m)) {
            iface.mac = Some(mac.to_string());
        }
        if let Some(p) = toks.iter().position(|t| *t == "link-netnsid") {
            iface.link_netnsid = toks.get(p + 1).and_then(|v| v.parse().ok());
        }
        return;
    }
    match first {
        "inet" | "inet6" => {
            if let Some(a) = parse_addr(&toks, n) {
                iface.addrs.push(a);
            }
        }
        "valid_lft" | "preferred_lft" => {}
        "altname" => iface.altnames.extend(toks.get(1).map(|s| s.to_string())),
        "vxlan" => {
            iface.kind.get_or_insert_with(|| "vxlan".to_string());
            if let Some(v) = parse_vxlan(&toks) {
                iface.vxlan = Some(v);
            }
        }
        word if is_kind_word(word) => {
            if word.ends_with("_slave") {
                iface.slave_kind.get_or_insert_with(|| word.to_string());
            } else {
                iface.kind.get_or_insert_with(|| word.to_string());
            }
        }
        _ => {}
    }
}

fn is_kind_word(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !NOT_A_KIND.contains(&w)
}

/// Address flags printed between `scope X` and the label.
const ADDR_FLAGS: &[&str] = &[
    "secondary",
    "primary",
    "tentative",
    "deprecated",
    "dadfailed",
    "temporary",
    "dynamic",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "stable-privacy",
    "home",
    "nodad",
    "optimistic",
];

/// `inet 10.0.1.6/24 brd 10.0.1.255 scope global secondary eth0`
/// or `inet 10.0.0.1 peer 10.0.0.2/32 scope global tun0`.
fn parse_addr(toks: &[&str], n: usize) -> Option<IfAddr> {
    let family = *toks.first()?;
    let (ip_s, plen) = match toks.get(1)?.split_once('/') {
        Some((ip, p)) => (ip, Some(p.parse::<u8>().ok()?)),
        None => (*toks.get(1)?, None),
    };
    let ip: IpAddr = ip_s.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let mut a = IfAddr {
        line: n,
        family: family.to_string(),
        ip,
        prefix: plen.unwrap_or(max),
        scope: None,
        secondary: false,
        label: None,
        flags: Vec::new(),
    };
    let mut i = 2;
    while let Some(&tok) = toks.get(i) {
        let val = toks.get(i + 1).copied();
        match tok {
            "scope" => a.scope = val.map(str::to_string),
            "peer" => {
                if plen.is_none() {
                    if let Some(p) = val.and_then(|v| v.split_once('/')?.1.parse().ok()) {
                        a.prefix = p;
                    }
                }
            }
            "brd" | "any" | "metric" | "proto" | "valid_lft" | "preferred_lft" => {}
            f if ADDR_FLAGS.contains(&f) => {
                if f == "secondary" {
                    a.secondary = true;
                }
                a.flags.push(f.to_string());
                i += 1;
                continue;
            }
            other => {
                if family == "inet" {
                    a.label = Some(other.to_string());
                }
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    (a.prefix <= max).then_some(a)
}

/// `vxlan id 4097 [remote|group X] [local Y] [dev Z] srcport 0 0 dstport 4789 proxy …`
fn parse_vxlan(toks: &[&str]) -> Option<Vxlan> {
    let mut v = Vxlan::default();
    let mut id = None;
    let mut i = 1;
    while let Some(&tok) = toks.get(i) {
        let val = toks.get(i + 1).copied();
        let step = match tok {
            "id" => {
                id = val.and_then(|x| x.parse().ok());
                2
            }
            "dstport" => {
                v.dstport = val.and_then(|x| x.parse().ok());
                2
            }
            "local" => {
                v.local = val.map(str::to_string);
                2
            }
            "dev" => {
                v.dev = val.map(str::to_string);
                2
            }
            "remote" | "group" => {
                v.remote = val.map(str::to_string);
                2
            }
            "srcport" => 3,
            "ttl" | "tos" | "ageing" | "maxaddress" | "df" | "flowlabel" | "label"
            | "tos_inherit" => 2,
            w if w
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                if !w.chars().all(|c| c.is_ascii_digit()) {
                    v.flags.push(w.to_string());
                }
                1
            }
            _ => 1,
        };
        i += step;
    }
    v.id = id?;
    Some(v)
}

fn parse_json(text: &str) -> Result<Vec<Interface>, ParseError> {
    let mut out = Vec::new();
    for (line, v) in json_items(text)? {
        let Some(name) = jstr(&v, "ifname") else {
            continue; // `{}` entries for filtered links
        };
        let mut iface = Interface {
            line,
            index: ju64(&v, "ifindex")
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0),
            name,
            peer: jstr(&v, "link").or_else(|| ju64(&v, "link_index").map(|i| format!("if{i}"))),
            flags: str_array(v.get("flags")),
            mtu: ju64(&v, "mtu").and_then(|m| u32::try_from(m).ok()),
            master: jstr(&v, "master"),
            state: jstr(&v, "operstate"),
            mac: jstr(&v, "address").filter(|m| is_mac(m)),
            link_type: jstr(&v, "link_type"),
            link_netnsid: ju64(&v, "link_netnsid").and_then(|m| u32::try_from(m).ok()),
            altnames: str_array(v.get("altnames")),
            ..Interface::default()
        };
        if let Some(li) = v.get("linkinfo") {
            iface.kind = jstr(li, "info_kind");
            // Text prints `bridge_slave` for `"info_slave_kind":"bridge"`.
            iface.slave_kind = jstr(li, "info_slave_kind").map(|k| format!("{k}_slave"));
            if iface.kind.as_deref() == Some("vxlan") {
                iface.vxlan = li.get("info_data").and_then(json_vxlan);
            }
        }
        if let Some(Value::Array(addrs)) = v.get("addr_info") {
            for a in addrs {
                if let Some(a) = json_addr(a, line) {
                    iface.addrs.push(a);
                }
            }
        }
        out.push(iface);
    }
    Ok(out)
}

fn str_array(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn json_vxlan(d: &Value) -> Option<Vxlan> {
    let id = u32::try_from(ju64(d, "id")?).ok()?;
    let mut flags = Vec::new();
    if let Value::Object(m) = d {
        for (k, val) in m {
            if val.as_bool() == Some(true) {
                flags.push(k.clone());
            }
        }
    }
    Some(Vxlan {
        id,
        dstport: ju64(d, "port").and_then(|p| u16::try_from(p).ok()),
        local: jstr(d, "local").or_else(|| jstr(d, "local6")),
        dev: jstr(d, "link"),
        remote: jstr(d, "remote")
            .or_else(|| jstr(d, "group"))
            .or_else(|| jstr(d, "remote6"))
            .or_else(|| jstr(d, "group6")),
        flags,
    })
}

fn json_addr(a: &Value, line: usize) -> Option<IfAddr> {
    let ip: IpAddr = jstr(a, "local")?.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = ju64(a, "prefixlen")
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or(max);
    if prefix > max {
        return None;
    }
    let family = jstr(a, "family")
        .unwrap_or_else(|| if ip.is_ipv4() { "inet" } else { "inet6" }.to_string());
    let flags: Vec<String> = ADDR_FLAGS
        .iter()
        .filter(|f| a.get(**f).and_then(Value::as_bool) == Some(true))
        .map(|f| f.to_string())
        .collect();
    Some(IfAddr {
        line,
        family,
        ip,
        prefix,
        scope: jstr(a, "scope"),
        secondary: flags.iter().any(|f| f == "secondary"),
        label: jstr(a, "label"),
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Seed 001, `ip a` in the vote task container (17.x: VIPs on `lo`).
    const SEED_VOTE: &str = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet 10.255.0.4/32 scope global lo
       valid_lft forever preferred_lft forever
    inet 10.0.0.4/32 scope global lo
       valid_lft forever preferred_lft forever
27: eth0@if28: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue state UP
    link/ether 02:42:0a:ff:00:06 brd ff:ff:ff:ff:ff:ff
    inet 10.255.0.6/16 scope global eth0
       valid_lft forever preferred_lft forever
29: eth1@if30: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP
    link/ether 02:42:ac:12:00:04 brd ff:ff:ff:ff:ff:ff
    inet 172.18.0.4/16 scope global eth1
       valid_lft forever preferred_lft forever
31: eth2@if32: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue state UP
    link/ether 02:42:0a:00:00:06 brd ff:ff:ff:ff:ff:ff
    inet 10.0.0.6/24 scope global eth2
       valid_lft forever preferred_lft forever
";

    #[test]
    fn seed_001_container_with_vips_on_lo() {
        let ifs = parse(SEED_VOTE).unwrap();
        let names: Vec<_> = ifs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["lo", "eth0", "eth1", "eth2"]);
        let lo = &ifs[0];
        assert_eq!(lo.mtu, Some(65536));
        assert_eq!(lo.link_type.as_deref(), Some("loopback"));
        let vips: Vec<_> = lo.host_aliases().map(|a| a.ip).collect();
        assert_eq!(vips, [v4("10.255.0.4"), v4("10.0.0.4")]);
        assert_eq!(lo.addrs[1].line, 5);
        assert_eq!(lo.addrs[1].label.as_deref(), Some("lo"));
        let eth2 = &ifs[3];
        assert_eq!((eth2.index, eth2.peer.as_deref()), (31, Some("if32")));
        assert_eq!(eth2.flags.last().map(String::as_str), Some("M-DOWN"));
        assert_eq!(eth2.mac.as_deref(), Some("02:42:0a:00:00:06"));
        assert_eq!(eth2.state.as_deref(), Some("UP"));
        assert_eq!(eth2.addrs[0].ip, v4("10.0.0.6"));
        assert_eq!(eth2.addrs[0].prefix, 24);
        assert_eq!(eth2.addrs[0].scope.as_deref(), Some("global"));
        assert_eq!(eth2.line, 17);
        assert!(eth2.host_aliases().next().is_none());
    }

    #[test]
    fn seed_001_netshoot_link_netnsid_and_group_default() {
        let text = "\
27: eth0@if28: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default
    link/ether 02:42:0a:ff:00:06 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 10.255.0.6/16 scope global eth0
       valid_lft forever preferred_lft forever
29: eth1@if30: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:ac:12:00:04 brd ff:ff:ff:ff:ff:ff link-netnsid 1
";
        let ifs = parse(text).unwrap();
        assert_eq!(ifs[0].link_netnsid, Some(0));
        assert_eq!(ifs[1].link_netnsid, Some(1));
        assert_eq!(ifs[1].mtu, Some(1500));
    }

    #[test]
    fn vagrant_doc_old_vxlan_wording_with_trailing_spaces() {
        // [V] moby daemon/libnetwork/docs/vagrant.md (iproute2 3.x/4.x).
        let text = "\
root@net-2:/var/run/docker# ip netns exec 8805e22ad6e2 ip -d link show
14: vxlan1: <BROADCAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UNKNOWN mode DEFAULT group default \n    link/ether 7a:af:20:ee:e3:81 brd ff:ff:ff:ff:ff:ff promiscuity 1 \n    vxlan id 256 srcport 32768 61000 dstport 8472 proxy l2miss l3miss ageing 300 \n    bridge_slave \n";
        let ifs = parse(text).unwrap();
        assert_eq!(ifs.len(), 1);
        let vx = &ifs[0];
        assert_eq!(vx.name, "vxlan1");
        assert_eq!(vx.master.as_deref(), Some("br0"));
        assert_eq!(vx.state.as_deref(), Some("UNKNOWN"));
        assert_eq!(vx.kind.as_deref(), Some("vxlan"));
        assert_eq!(vx.slave_kind.as_deref(), Some("bridge_slave"));
        let v = vx.vxlan.as_ref().unwrap();
        assert_eq!((v.id, v.dstport), (256, Some(8472)));
        assert_eq!(v.flags, ["proxy", "l2miss", "l3miss"]);
    }

    #[test]
    fn iproute2_6_4_vxlan_wording() {
        let text = "\
5: vxlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0 state UNKNOWN mode DEFAULT group default \r
    link/ether 9e:d1:ea:94:57:09 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1 allmulti 1 minmtu 68 maxmtu 65535 \r
    vxlan id 4097 srcport 0 0 dstport 4789 ttl auto ageing 300 proxy l2miss l3miss udp_csum noudp_zero_csum6_tx \r
    bridge_slave state forwarding priority 32 cost 100 addrgenmode eui64 numtxqueues 1 \r
";
        let ifs = parse(text).unwrap();
        let vx = ifs[0].vxlan.as_ref().unwrap();
        assert_eq!((vx.id, vx.dstport), (4097, Some(4789)));
        assert!(vx.flags.iter().any(|f| f == "l2miss"));
        assert!(vx.flags.iter().any(|f| f == "udp_csum"));
        assert!(!vx.flags.iter().any(|f| f == "auto"));
        assert_eq!(ifs[0].link_netnsid, Some(0));
        assert_eq!(ifs[0].slave_kind.as_deref(), Some("bridge_slave"));
    }

    #[test]
    fn vxlan_with_local_and_dev_and_veth_kind() {
        let text = "\
7: vx-001002-vrtxw: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default
    link/ether 1a:2b:3c:4d:5e:6f brd ff:ff:ff:ff:ff:ff promiscuity 0
    vxlan id 4098 local 10.10.0.11 dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx
8: veth3c1@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0 state UP mode DEFAULT group default
    link/ether 6a:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 1 promiscuity 1
    veth
    bridge_slave state forwarding priority 32 cost 2
    altname enp0s3
";
        let ifs = parse(text).unwrap();
        let v = ifs[0].vxlan.as_ref().unwrap();
        assert_eq!(v.id, 4098);
        assert_eq!(v.local.as_deref(), Some("10.10.0.11"));
        assert_eq!(v.dev.as_deref(), Some("eth0"));
        assert!(v.flags.iter().any(|f| f == "nolearning"));
        assert!(!ifs[0].is_up());
        assert_eq!(ifs[1].kind.as_deref(), Some("veth"));
        assert_eq!(ifs[1].altnames, ["enp0s3"]);
    }

    #[test]
    fn one_line_form_merges_addresses_of_one_interface() {
        // [R] `ip -o -4 address show` in an lb_ namespace (formats.md §10).
        let text = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: br0    inet 10.0.1.1/24 brd 10.0.1.255 scope global br0\\       valid_lft forever preferred_lft forever
24: eth0    inet 10.0.1.6/24 brd 10.0.1.255 scope global eth0\\       valid_lft forever preferred_lft forever
24: eth0    inet 10.0.1.2/32 scope global eth0\\       valid_lft forever preferred_lft forever
";
        let ifs = parse(text).unwrap();
        assert_eq!(ifs.len(), 3);
        let eth0 = &ifs[2];
        assert_eq!(eth0.addrs.len(), 2);
        assert_eq!(eth0.addrs[1].line, 4);
        assert_eq!(eth0.addrs[1].label.as_deref(), Some("eth0"));
        let vips: Vec<_> = eth0.host_aliases().map(|a| a.ip).collect();
        assert_eq!(vips, [v4("10.0.1.2")]);
    }

    #[test]
    fn one_line_link_form() {
        let text = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
        let ifs = parse(text).unwrap();
        assert_eq!(ifs[0].link_type.as_deref(), Some("loopback"));
        assert_eq!(ifs[0].state.as_deref(), Some("UNKNOWN"));
    }

    #[test]
    fn inet6_secondary_and_label_forms() {
        let text = "\
15: eth0: <BROADCAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \n    link/ether 02:42:b3:91:22:c3 brd ff:ff:ff:ff:ff:ff
    inet 172.21.0.5/16 scope global eth0
    inet 172.21.0.9/16 scope global secondary eth0:1
    inet 10.0.0.1 peer 10.0.0.2/30 scope global eth0
    inet6 fe80::42:b3ff:fe91:22c3/64 scope link \n       valid_lft forever preferred_lft forever
    inet6 2001:db8::5/64 scope global dynamic mngtmpaddr noprefixroute \n";
        let ifs = parse(text).unwrap();
        let a = &ifs[0].addrs;
        assert_eq!(a.len(), 5);
        assert!(a[1].secondary);
        assert_eq!(a[1].label.as_deref(), Some("eth0:1"));
        assert_eq!(a[2].prefix, 30);
        assert_eq!(a[3].family, "inet6");
        assert_eq!(a[3].scope.as_deref(), Some("link"));
        assert_eq!(a[3].label, None);
        assert_eq!(a[4].flags, ["dynamic", "mngtmpaddr", "noprefixroute"]);
    }

    #[test]
    fn json_form_with_empty_objects_and_missing_addr_info() {
        // [R] `ip -j addr` keys from ipaddress.c (formats.md §10).
        let text = r#"[{"ifindex":24,"link_index":25,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","address":"02:42:0a:00:01:06","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,
  "addr_info":[{"family":"inet","local":"10.0.1.6","prefixlen":24,"broadcast":"10.0.1.255","scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},
               {"family":"inet","local":"10.0.1.2","prefixlen":32,"scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295}]},
{},
{"ifindex":5,"ifname":"vxlan0","flags":["UP"],"mtu":1450,"master":"br0","linkinfo":{"info_kind":"vxlan","info_data":{"id":4097,"port":4789,"port_range":{"low":0,"high":0},"ttl":0,"ageing":300,"learning":true,"proxy":true,"l2miss":true,"l3miss":true},"info_slave_kind":"bridge"}}]"#;
        let ifs = parse(text).unwrap();
        assert_eq!(ifs.len(), 2);
        let eth0 = &ifs[0];
        assert_eq!(eth0.peer.as_deref(), Some("if25"));
        assert_eq!(eth0.link_netnsid, Some(0));
        assert_eq!(eth0.addrs.len(), 2);
        assert_eq!(eth0.host_aliases().count(), 1);
        let vx = &ifs[1];
        assert_eq!(vx.line, 5);
        assert!(vx.addrs.is_empty());
        let v = vx.vxlan.as_ref().unwrap();
        assert_eq!((v.id, v.dstport), (4097, Some(4789)));
        assert!(v.flags.iter().any(|f| f == "l2miss"));
        assert_eq!(vx.slave_kind.as_deref(), Some("bridge_slave"));
    }

    /// Captured from iproute2 6.1 `ip -d addr show` in a lab namespace
    /// (bridge_slave details cut after `cost 100`).
    const REAL_IPROUTE2_6_1: &str = "3: vxlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UNKNOWN group default qlen 1000
    link/ether 8e:22:99:56:60:7c brd ff:ff:ff:ff:ff:ff promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 
    vxlan id 4097 srcport 0 0 dstport 4789 proxy l2miss l3miss ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx 
    bridge_slave state forwarding priority 32 cost 100 
    inet6 fe80::8c22:99ff:fe56:607c/64 scope link tentative 
       valid_lft forever preferred_lft forever
4: eth0@veth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether de:37:51:e3:f8:86 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    veth numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    inet 10.0.1.6/24 scope global eth0
       valid_lft forever preferred_lft forever
    inet 10.0.1.2/32 scope global eth0
       valid_lft forever preferred_lft forever
    inet 10.0.1.9/24 scope global secondary eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::dc37:51ff:fee3:f886/64 scope link tentative 
       valid_lft forever preferred_lft forever
";

    #[test]
    fn real_iproute2_6_1_detail_output() {
        let ifs = parse(REAL_IPROUTE2_6_1).unwrap();
        assert_eq!(ifs.len(), 2);
        let vx = &ifs[0];
        assert_eq!(vx.kind.as_deref(), Some("vxlan"));
        assert_eq!(vx.slave_kind.as_deref(), Some("bridge_slave"));
        let v = vx.vxlan.as_ref().unwrap();
        assert_eq!((v.id, v.dstport), (4097, Some(4789)));
        assert_eq!(
            v.flags,
            [
                "proxy",
                "l2miss",
                "l3miss",
                "udpcsum",
                "noudp6zerocsumtx",
                "noudp6zerocsumrx"
            ]
        );
        let eth0 = &ifs[1];
        assert_eq!(
            (eth0.name.as_str(), eth0.peer.as_deref()),
            ("eth0", Some("veth0"))
        );
        assert_eq!(eth0.kind.as_deref(), Some("veth"));
        assert_eq!(eth0.addrs.len(), 4);
        assert!(eth0.addrs[2].secondary);
        assert_eq!(eth0.addrs[3].flags, ["tentative"]);
        let vips: Vec<_> = eth0.host_aliases().map(|a| a.ip).collect();
        assert_eq!(vips, [v4("10.0.1.2")]);
    }

    #[test]
    fn stderr_lines_empty_input_and_errors() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("\u{feff}\n  \n").unwrap(), vec![]);
        let err =
            parse("nsenter: cannot open /var/run/docker/netns/lb_abc: No such file or directory\n")
                .unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("nsenter"));
        let mixed = format!("nsenter: reassociate to namespace failed\n{SEED_VOTE}");
        assert_eq!(parse(&mixed).unwrap().len(), 4);
        assert!(parse("[{\"ifname\": ").is_err());
        assert_eq!(parse("[]").unwrap(), vec![]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "([0-9]{1,3}: [a-z@0-9]{0,6}:? <[A-Z,]{0,9}> (mtu|master|state|link-netnsid) ?[0-9a-z]{0,4}\\\\?\n( {4}(inet6?|link/ether|vxlan id|peer|scope) [0-9a-f:./ ]{0,20}\n){0,3}){0,4}") {
            let _ = parse(&s);
        }
    }
}
