//! Forwarding-database entries from `bridge fdb show` (text) and
//! `bridge -j fdb show`. In an overlay namespace the `dst … self permanent`
//! rows on the vxlan device are the control-plane state: one per remote task
//! MAC, pointing at the peer's VTEP. A learned row has an empty state, so it
//! ends with `master br0 ` (trailing space).
//!
//! ```text
//! 02:42:0a:00:01:0e master br0
//! d6:d1:c6:a5:08:a7 master br0 permanent
//! 02:42:0a:00:01:04 dev vxlan0 dst 10.10.0.12 link-netnsid 0 self permanent
//! ```

use super::lines::{is_mac, json_items, jstr, ju64, lines, looks_like_json, nothing_recognized};
use super::ParseError;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdbEntry {
    pub line: usize,
    pub mac: String,
    /// Absent when the command was filtered with `dev X`.
    pub dev: Option<String>,
    pub master: Option<String>,
    /// VTEP address of the peer node.
    pub dst: Option<IpAddr>,
    pub vlan: Option<u16>,
    pub vni: Option<u32>,
    pub link_netnsid: Option<u32>,
    /// `self`, `master`, `router`, `extern_learn`, `offload`, `sticky`, …
    pub flags: Vec<String>,
    /// `permanent`, `static`, `stale`, or `None` (reachable / learned).
    pub state: Option<String>,
}

/// Flags printed by `fdb_print_flags` (iproute2 `bridge/fdb.c`).
const FLAGS: &[&str] = &[
    "self",
    "router",
    "extern_learn",
    "offload",
    "master",
    "sticky",
    "locked",
    "blackhole",
];
const STATES: &[&str] = &["permanent", "static", "stale", "noarp", "reachable"];

/// Parses `bridge fdb` text or JSON. Empty input gives an empty list; input
/// holding no entry at all is an error naming its first line.
pub fn parse(text: &str) -> Result<Vec<FdbEntry>, ParseError> {
    if looks_like_json(text) {
        return Ok(json_items(text)?
            .into_iter()
            .filter_map(|(line, v)| json_entry(&v, line))
            .collect());
    }
    let mut out = Vec::new();
    for (n, line) in lines(text) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let Some(mac) = toks.first().filter(|t| is_mac(t)) else {
            continue;
        };
        let mut e = FdbEntry {
            line: n,
            mac: mac.to_ascii_lowercase(),
            dev: None,
            master: None,
            dst: None,
            vlan: None,
            vni: None,
            link_netnsid: None,
            flags: Vec::new(),
            state: None,
        };
        let mut i = 1;
        while let Some(&tok) = toks.get(i) {
            let val = toks.get(i + 1).copied();
            match tok {
                "dev" => e.dev = val.map(str::to_string),
                "dst" => e.dst = val.and_then(|v| v.parse().ok()),
                "vlan" => e.vlan = val.and_then(|v| v.parse().ok()),
                "vni" => e.vni = val.and_then(|v| v.parse().ok()),
                "link-netnsid" => e.link_netnsid = val.and_then(|v| v.parse().ok()),
                "state" => e.state = val.map(str::to_string),
                "port" | "src_vni" | "via" | "nhid" | "used" | "updated" => {}
                // `master` is a flag (NTF_MASTER) when not followed by a name.
                "master" if val.is_some_and(|v| !FLAGS.contains(&v) && !STATES.contains(&v)) => {
                    e.master = val.map(str::to_string)
                }
                f if FLAGS.contains(&f) => {
                    e.flags.push(f.to_string());
                    i += 1;
                    continue;
                }
                s if STATES.contains(&s) => {
                    e.state = Some(s.to_string());
                    i += 1;
                    continue;
                }
                other => {
                    e.flags.push(other.to_string());
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        out.push(e);
    }
    if out.is_empty() {
        if let Some(e) = nothing_recognized(text, "fdb entry") {
            return Err(e);
        }
    }
    Ok(out)
}

fn json_entry(v: &Value, line: usize) -> Option<FdbEntry> {
    let mac = jstr(v, "mac")?.to_ascii_lowercase();
    let flags = match v.get("flags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Some(FdbEntry {
        line,
        mac,
        dev: jstr(v, "ifname"),
        master: jstr(v, "master"),
        dst: jstr(v, "dst").and_then(|d| d.parse().ok()),
        vlan: ju64(v, "vlan").and_then(|x| u16::try_from(x).ok()),
        vni: ju64(v, "vni").and_then(|x| u32::try_from(x).ok()),
        link_netnsid: ju64(v, "link_netnsid").and_then(|x| u32::try_from(x).ok()),
        flags,
        state: jstr(v, "state").filter(|s| !s.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_sample_filtered_by_dev() {
        // [I] moby/moby#35922 format; `|` end markers from formats.md §10 kept as spaces.
        let text = "02:42:0a:00:01:0e master br0 \nd6:d1:c6:a5:08:a7 master br0 permanent\n02:42:0a:00:01:04 dst 10.10.0.12 link-netnsid 0 self permanent\n02:42:0a:00:01:05 dst 10.10.0.21 link-netnsid 0 self permanent\n";
        let f = parse(text).unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].master.as_deref(), Some("br0"));
        assert_eq!(f[0].state, None);
        assert!(f[0].flags.is_empty());
        assert_eq!(f[1].state.as_deref(), Some("permanent"));
        assert_eq!(f[2].dst, Some("10.10.0.12".parse().unwrap()));
        assert_eq!(f[2].link_netnsid, Some(0));
        assert_eq!(f[2].flags, ["self"]);
        assert_eq!(f[2].dev, None);
        assert_eq!(f[3].line, 4);
    }

    #[test]
    fn unfiltered_rows_vlan_and_master_flag() {
        let text = "\
02:42:0a:00:01:04 dev vxlan0 dst 10.10.0.12 link-netnsid 0 self permanent\r
33:33:00:00:00:01 dev br0 self permanent\r
02:42:ac:11:00:02 dev veth1 vlan 1 master br0 \r
00:00:00:00:00:00 dev vxlan0 dst 10.10.0.30 self permanent\r
aa:bb:cc:dd:ee:ff dev swp1 extern_learn master master br0 stale\r
";
        let f = parse(text).unwrap();
        assert_eq!(f.len(), 5);
        assert_eq!(f[0].dev.as_deref(), Some("vxlan0"));
        assert_eq!(f[2].vlan, Some(1));
        assert_eq!(f[2].master.as_deref(), Some("br0"));
        assert_eq!(f[4].flags, ["extern_learn", "master"]);
        assert_eq!(f[4].master.as_deref(), Some("br0"));
        assert_eq!(f[4].state.as_deref(), Some("stale"));
    }

    #[test]
    fn json_empty_and_error() {
        let text = r#"[{"mac":"02:42:0a:00:01:04","ifname":"vxlan0","dst":"10.10.0.12","link_netnsid":0,"flags":["self"],"state":"permanent"},{"mac":"02:42:0a:00:01:0e","ifname":"vxlan0","master":"br0","state":""}]"#;
        let f = parse(text).unwrap();
        assert_eq!(f[0].dst, Some("10.10.0.12".parse().unwrap()));
        assert_eq!(f[0].flags, ["self"]);
        assert_eq!(f[1].state, None);
        assert_eq!(parse("").unwrap(), vec![]);
        assert!(parse("Cannot open netns\n").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "(02:42:0a:00:01:0[0-9a-f]( (dev|dst|master|self|vlan|link-netnsid|permanent|state)( [a-z0-9.]{0,6})?){0,6} ?\n){0,5}") {
            let _ = parse(&s);
        }
    }
}
