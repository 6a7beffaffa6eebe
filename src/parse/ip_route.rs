//! Routes from `ip route show [table all]` (also `ip -6 route`, multipath
//! `nexthop` continuation lines) and `ip -j route`.
//!
//! ```text
//! default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
//! 10.0.1.0/24 dev br0 proto kernel scope link src 10.0.1.1
//! 172.18.0.0/16 dev docker_gwbridge proto kernel scope link src 172.18.0.1 linkdown
//! local 10.0.2.15 dev eth0 table local proto kernel scope host src 10.0.2.15
//! unreachable default dev lo table unspec proto kernel metric 4294967295 error -101 pref medium
//! ```

use super::lines::{json_items, jstr, ju64, lines, looks_like_json, nothing_recognized};
use super::ParseError;
use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub line: usize,
    /// `default`, a CIDR or a bare IP, as printed.
    pub dest: String,
    /// `dest` as a network (bare IP → /32 or /128). `None` for a `default`
    /// route whose family cannot be told from the line.
    #[serde(serialize_with = "super::lines::ser_display_opt")]
    pub dest_net: Option<IpNet>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub table: Option<String>,
    pub proto: Option<String>,
    pub scope: Option<String>,
    pub src: Option<IpAddr>,
    pub metric: Option<u32>,
    /// Route type when not unicast: `local`, `broadcast`, `unreachable`, …
    pub kind: Option<String>,
    /// Bare words: `linkdown`, `onlink`, `dead`, `offload`, …
    pub flags: Vec<String>,
    /// Multipath next hops (`nexthop via … dev … weight N` lines).
    pub nexthops: Vec<Nexthop>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nexthop {
    pub line: usize,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub weight: Option<u32>,
}

const KINDS: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "multicast",
    "anycast",
    "unreachable",
    "blackhole",
    "prohibit",
    "throw",
    "nat",
];

/// Keys followed by one value that the struct does not keep.
const SKIP_ONE: &[&str] = &[
    "mtu",
    "advmss",
    "weight",
    "expires",
    "error",
    "nhid",
    "tos",
    "realm",
    "realms",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "rtt",
    "rttvar",
    "rto_min",
    "ssthresh",
    "cwnd",
    "window",
    "congctl",
    "features",
    "quickack",
    "fastopen_no_cookie",
    "as",
    "from",
    "pref",
    "ttl-propagate",
];

/// Parses `ip route` text or `ip -j route` JSON. Empty input gives an empty
/// list; input holding no route at all is an error naming its first line.
pub fn parse(text: &str) -> Result<Vec<Route>, ParseError> {
    if looks_like_json(text) {
        return Ok(json_items(text)?
            .into_iter()
            .filter_map(|(line, v)| json_route(&v, line))
            .collect());
    }
    let mut out: Vec<Route> = Vec::new();
    for (n, line) in lines(text) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.first() == Some(&"nexthop") {
            if let Some(r) = out.last_mut() {
                let nh = nexthop(&toks, n);
                if r.via.is_none() && r.nexthops.is_empty() {
                    r.via = nh.via;
                    r.dev.clone_from(&nh.dev);
                }
                if r.dest == "default" && r.dest_net.is_none() {
                    r.dest_net = nh.via.map(default_net);
                }
                r.nexthops.push(nh);
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some(r) = route(&toks, n) {
            out.push(r);
        }
    }
    if out.is_empty() {
        if let Some(e) = nothing_recognized(text, "route") {
            return Err(e);
        }
    }
    Ok(out)
}

fn route(toks: &[&str], n: usize) -> Option<Route> {
    let mut i = 0;
    let mut kind = None;
    if KINDS.contains(toks.first()?) {
        kind = Some(toks.first()?.to_string());
        i = 1;
    }
    let dest = *toks.get(i)?;
    let mut dest_net = dest_to_net(dest);
    if dest != "default" && dest_net.is_none() {
        return None;
    }
    let mut r = Route {
        line: n,
        dest: dest.to_string(),
        dest_net: None,
        via: None,
        dev: None,
        table: None,
        proto: None,
        scope: None,
        src: None,
        metric: None,
        kind,
        flags: Vec::new(),
        nexthops: Vec::new(),
    };
    let mut v6_only_key = false;
    i += 1;
    while let Some(&tok) = toks.get(i) {
        let mut val = toks.get(i + 1).copied();
        match tok {
            "via" => {
                // `via inet6 fe80::1` (cross-family gateway, iproute2 4.x+).
                if matches!(val, Some("inet" | "inet6")) {
                    i += 1;
                    val = toks.get(i + 1).copied();
                }
                r.via = val.and_then(|v| v.parse().ok());
            }
            "dev" | "oif" => r.dev = val.map(str::to_string),
            "table" => r.table = val.map(str::to_string),
            "proto" => r.proto = val.map(str::to_string),
            "scope" => r.scope = val.map(str::to_string),
            "src" => r.src = val.and_then(|v| v.parse().ok()),
            "metric" | "preference" => r.metric = val.and_then(|v| v.parse().ok()),
            "lock" => {
                i += 1;
                continue;
            }
            k if SKIP_ONE.contains(&k) => v6_only_key |= k == "pref",
            other => {
                r.flags.push(other.to_string());
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if dest == "default" {
        let v6 = match r.via.or(r.src) {
            Some(ip) => ip.is_ipv6(),
            None => v6_only_key,
        };
        let any_family = r.via.is_some() || r.src.is_some() || v6_only_key;
        dest_net = any_family.then(|| {
            default_net(if v6 {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
            })
        });
    }
    r.dest_net = dest_net;
    Some(r)
}

/// `0.0.0.0/0` or `::/0`, in the family of `ip`.
fn default_net(ip: IpAddr) -> IpNet {
    match ip {
        IpAddr::V4(_) => IpNet::V4(Default::default()),
        IpAddr::V6(_) => IpNet::V6(Default::default()),
    }
}

fn dest_to_net(dest: &str) -> Option<IpNet> {
    if let Ok(net) = dest.parse::<IpNet>() {
        return Some(net);
    }
    dest.parse::<IpAddr>().ok().map(IpNet::from)
}

/// `nexthop via 10.0.0.1 dev eth0 weight 1`
fn nexthop(toks: &[&str], n: usize) -> Nexthop {
    let mut nh = Nexthop {
        line: n,
        via: None,
        dev: None,
        weight: None,
    };
    for w in toks.windows(2) {
        match w {
            ["via", v] => nh.via = v.parse().ok(),
            ["dev", d] => nh.dev = Some(d.to_string()),
            ["weight", x] => nh.weight = x.parse().ok(),
            _ => {}
        }
    }
    nh
}

fn json_route(v: &Value, line: usize) -> Option<Route> {
    let dest = jstr(v, "dst")?;
    let via: Option<IpAddr> = jstr(v, "gateway").and_then(|g| g.parse().ok());
    let src: Option<IpAddr> = jstr(v, "prefsrc").and_then(|g| g.parse().ok());
    let dest_net = if dest == "default" {
        via.or(src).map(default_net)
    } else {
        dest_to_net(&dest)
    };
    let kind = jstr(v, "type").filter(|t| t != "unicast");
    let flags = match v.get("flags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Some(Route {
        line,
        dest,
        dest_net,
        via,
        dev: jstr(v, "dev"),
        table: jstr(v, "table"),
        proto: jstr(v, "protocol"),
        scope: jstr(v, "scope"),
        src,
        metric: ju64(v, "metric").and_then(|m| u32::try_from(m).ok()),
        kind,
        flags,
        nexthops: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE_ALL: &str = "\
default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100 \r
10.0.1.0/24 dev br0 proto kernel scope link src 10.0.1.1 \r
172.18.0.0/16 dev docker_gwbridge proto kernel scope link src 172.18.0.1 linkdown \r
local 10.0.2.15 dev eth0 table local proto kernel scope host src 10.0.2.15 \r
broadcast 10.0.2.255 dev eth0 table local proto kernel scope link src 10.0.2.15 \r
fe80::/64 dev eth0 proto kernel metric 256 pref medium\r
unreachable default dev lo table unspec proto kernel metric 4294967295 error -101 pref medium\r
";

    #[test]
    fn table_all_with_kinds_and_families() {
        let r = parse(TABLE_ALL).unwrap();
        assert_eq!(r.len(), 7);
        assert_eq!(r[0].dest, "default");
        assert_eq!(r[0].dest_net, Some("0.0.0.0/0".parse().unwrap()));
        assert_eq!(r[0].via, Some("10.0.2.2".parse().unwrap()));
        assert_eq!(r[0].metric, Some(100));
        assert_eq!(r[0].proto.as_deref(), Some("dhcp"));
        assert_eq!(r[1].dest_net, Some("10.0.1.0/24".parse().unwrap()));
        assert_eq!(r[1].scope.as_deref(), Some("link"));
        assert_eq!(r[1].src, Some("10.0.1.1".parse().unwrap()));
        assert_eq!(r[2].flags, ["linkdown"]);
        assert_eq!(r[3].kind.as_deref(), Some("local"));
        assert_eq!(r[3].dest_net, Some("10.0.2.15/32".parse().unwrap()));
        assert_eq!(r[3].table.as_deref(), Some("local"));
        assert_eq!(r[5].dest_net, Some("fe80::/64".parse().unwrap()));
        assert_eq!(r[6].kind.as_deref(), Some("unreachable"));
        assert_eq!(r[6].dest_net, Some("::/0".parse().unwrap()));
        assert_eq!(r[6].metric, Some(4294967295));
        assert!(r[6].flags.is_empty());
        assert_eq!(r[6].line, 7);
    }

    #[test]
    fn multipath_and_cross_family_gateway() {
        let text = "\
default proto static metric 100
\tnexthop via 10.0.0.1 dev eth0 weight 1
\tnexthop via 10.0.0.2 dev eth1 weight 2
10.9.0.0/16 via inet6 fe80::1 dev eth0 onlink
";
        let r = parse(text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].nexthops.len(), 2);
        assert_eq!(r[0].via, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(r[0].dev.as_deref(), Some("eth0"));
        assert_eq!(r[0].nexthops[1].weight, Some(2));
        assert_eq!(r[0].dest_net, Some("0.0.0.0/0".parse().unwrap()));
        assert_eq!(r[1].via, Some("fe80::1".parse().unwrap()));
        assert_eq!(r[1].flags, ["onlink"]);
    }

    #[test]
    fn json_and_errors() {
        let text = r#"[{"dst":"default","gateway":"10.0.2.2","dev":"eth0","protocol":"dhcp","prefsrc":"10.0.2.15","metric":100,"flags":[]},{"type":"local","dst":"10.0.2.15","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.0.2.15","flags":[]},{}]"#;
        let r = parse(text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].dest_net, Some("0.0.0.0/0".parse().unwrap()));
        assert_eq!(r[1].kind.as_deref(), Some("local"));
        assert_eq!(parse("").unwrap(), vec![]);
        let e = parse("nsenter: cannot open /var/run/docker/netns/x: No such file or directory")
            .unwrap_err();
        assert!(e.message.contains("no route"));
        assert_eq!(
            parse("Error: ipv4: FIB table does not exist.\n10.0.0.0/8 dev eth0\n")
                .unwrap()
                .len(),
            1
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "((local|default|10\\.0\\.0\\.0/[0-9]{1,3}|fe80::/64)( (via|dev|src|metric|table|lock|inet6|nexthop)( [0-9a-f.:]{0,8})?){0,6}\n\t?){0,5}") {
            let _ = parse(&s);
        }
    }
}
