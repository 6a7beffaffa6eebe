//! Neighbour entries from `ip neigh show` (text) and `ip -j neigh` (JSON).
//! In an overlay namespace Docker adds one `PERMANENT` entry per remote task
//! on the vxlan device; `FAILED`/`INCOMPLETE` entries carry no `lladdr`.
//! Every token is printed as `"%s "`, so lines end with a space.
//!
//! ```text
//! 10.0.1.4 dev vxlan0 lladdr 02:42:0a:00:01:04 PERMANENT
//! 10.10.0.1 dev eth0 lladdr 52:54:00:12:35:02 REACHABLE
//! fe80::1 dev eth0 lladdr 52:54:00:12:35:02 router STALE
//! 10.10.0.9 dev eth0 FAILED
//! ```

use super::lines::{json_items, jstr, lines, looks_like_json, nothing_recognized};
use super::ParseError;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neigh {
    pub line: usize,
    pub ip: IpAddr,
    pub dev: Option<String>,
    pub lladdr: Option<String>,
    /// Upper-case NUD states; several may be present (`STALE`, `PERMANENT`, …).
    pub states: Vec<String>,
    pub router: bool,
    pub proxy: bool,
    /// Other lower-case flags: `extern_learn`, `offload`, `managed`, …
    pub flags: Vec<String>,
}

/// Parses `ip neigh` text or JSON. Empty input gives an empty list; input
/// holding no entry at all is an error naming its first line.
pub fn parse(text: &str) -> Result<Vec<Neigh>, ParseError> {
    if looks_like_json(text) {
        return Ok(json_items(text)?
            .into_iter()
            .filter_map(|(line, v)| json_neigh(&v, line))
            .collect());
    }
    let mut out = Vec::new();
    for (n, line) in lines(text) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let Some(ip) = toks.first().and_then(|t| t.parse::<IpAddr>().ok()) else {
            continue;
        };
        let mut e = Neigh {
            line: n,
            ip,
            dev: None,
            lladdr: None,
            states: Vec::new(),
            router: false,
            proxy: false,
            flags: Vec::new(),
        };
        let mut i = 1;
        while let Some(&tok) = toks.get(i) {
            let val = toks.get(i + 1).copied();
            match tok {
                "dev" => e.dev = val.map(str::to_string),
                "lladdr" => e.lladdr = val.map(str::to_string),
                // `-s` statistics: `used 0/0/0 probes 0`.
                "used" | "probes" | "nud" | "protocol" => {}
                "router" => {
                    e.router = true;
                    i += 1;
                    continue;
                }
                "proxy" => {
                    e.proxy = true;
                    i += 1;
                    continue;
                }
                s if s.chars().all(|c| c.is_ascii_uppercase()) => {
                    e.states.push(s.to_string());
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
        if let Some(e) = nothing_recognized(text, "neighbour entry") {
            return Err(e);
        }
    }
    Ok(out)
}

fn json_neigh(v: &Value, line: usize) -> Option<Neigh> {
    let ip: IpAddr = jstr(v, "dst")?.parse().ok()?;
    let states = match v.get("state") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Some(Neigh {
        line,
        ip,
        dev: jstr(v, "dev"),
        lladdr: jstr(v, "lladdr"),
        states,
        // Printed as `"router":null`: presence is the flag.
        router: v.get("router").is_some(),
        proxy: v.get("proxy").is_some(),
        flags: ["extern_learn", "offload", "managed"]
            .iter()
            .filter(|k| v.get(**k).is_some())
            .map(|k| k.to_string())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_namespace_sample_with_trailing_spaces() {
        // [R] formats.md §10: tokens printed as "%s ", so each line ends with a space.
        let text = "10.0.1.4 dev vxlan0 lladdr 02:42:0a:00:01:04 PERMANENT \n10.0.1.5 dev vxlan0 lladdr 02:42:0a:00:01:05 PERMANENT \n10.10.0.1 dev eth0 lladdr 52:54:00:12:35:02 REACHABLE \n10.10.0.9 dev eth0 FAILED \n";
        let n = parse(text).unwrap();
        assert_eq!(n.len(), 4);
        assert_eq!(n[0].ip, "10.0.1.4".parse::<IpAddr>().unwrap());
        assert_eq!(n[0].dev.as_deref(), Some("vxlan0"));
        assert_eq!(n[0].lladdr.as_deref(), Some("02:42:0a:00:01:04"));
        assert_eq!(n[0].states, ["PERMANENT"]);
        assert_eq!(n[3].lladdr, None);
        assert_eq!(n[3].states, ["FAILED"]);
        assert_eq!(n[3].line, 4);
    }

    #[test]
    fn router_proxy_stats_and_several_states() {
        let text = "\
fe80::1 dev eth0 lladdr 52:54:00:12:35:02 router STALE\r
10.0.0.7 dev eth0 lladdr 02:42:0a:00:00:07 used 12/7/3 probes 1 extern_learn NOARP\r
10.0.0.8 dev eth0  proxy\r
Error: Device \"vxlan9\" does not exist.\r
";
        let n = parse(text).unwrap();
        assert_eq!(n.len(), 3);
        assert!(n[0].router);
        assert_eq!(n[0].states, ["STALE"]);
        assert_eq!(n[1].flags, ["extern_learn"]);
        assert_eq!(n[1].states, ["NOARP"]);
        assert!(n[2].proxy);
    }

    #[test]
    fn json_form() {
        let text = r#"[{"dst":"10.0.1.4","dev":"vxlan0","lladdr":"02:42:0a:00:01:04","state":["PERMANENT"]},{"dst":"fe80::1","dev":"eth0","lladdr":"52:54:00:12:35:02","router":null,"state":["STALE"]},{}]"#;
        let n = parse(text).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].states, ["PERMANENT"]);
        assert!(!n[0].router);
        assert!(n[1].router);
    }

    #[test]
    fn empty_and_error_only() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert!(parse(
            "nsenter: cannot open /var/run/docker/netns/1-abc: No such file or directory\n"
        )
        .is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "((10\\.0\\.0\\.[0-9]|fe80::1)( (dev|lladdr|router|used|PERMANENT|proxy)( [a-z0-9:]{0,6})?){0,5} ?\n){0,5}") {
            let _ = parse(&s);
        }
    }
}
