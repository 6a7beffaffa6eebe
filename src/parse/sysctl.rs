//! Kernel parameters from `sysctl` output (`key = value`), `key=value` lines,
//! and `grep -r . /proc/sys/…` output (`/proc/sys/net/ipv4/ip_forward:1`).
//! Keys are normalized to the dotted form (`net.ipv4.ip_forward`); error lines
//! such as `sysctl: cannot stat /proc/sys/net/ipv4/vs/conntrack: No such file
//! or directory` (no IPVS in this kernel) are skipped.
//!
//! ```text
//! net.ipv4.ip_forward = 1
//! net.bridge.bridge-nf-call-iptables=1
//! /proc/sys/net/ipv4/vs/conntrack:1
//! ```

use super::lines::lines;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sysctl {
    pub line: usize,
    /// Trimmed; inner blanks kept (`32768\t60999`).
    pub value: String,
}

/// Parses the lines above into a map keyed by the dotted name. A key given
/// twice keeps its last value, as the kernel would.
pub fn parse(text: &str) -> BTreeMap<String, Sysctl> {
    let mut out = BTreeMap::new();
    for (n, line) in lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let (key, value) = if let Some(path) = line.strip_prefix("/proc/sys/") {
            match path.split_once(':') {
                Some((k, v)) => (slashes_to_dots(k), v),
                None => continue,
            }
        } else if let Some((k, v)) = line.split_once('=') {
            let k = k.trim();
            if !is_key(k) {
                continue;
            }
            // `net/ipv4/ip_forward = 1` is accepted by sysctl(8) too.
            let k = if k.contains('/') && !k.contains('.') {
                slashes_to_dots(k)
            } else {
                k.to_string()
            };
            (k, v)
        } else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        out.insert(
            key,
            Sysctl {
                line: n,
                value: value.trim().to_string(),
            },
        );
    }
    out
}

/// Path form to dotted form: a dot inside a path component (`eth0.100`)
/// becomes a slash, as sysctl(8) prints it.
fn slashes_to_dots(path: &str) -> String {
    path.trim_matches('/')
        .chars()
        .map(|c| match c {
            '/' => '.',
            '.' => '/',
            c => c,
        })
        .collect()
}

/// A sysctl name: no blanks, and not an error message (`sysctl: cannot stat`).
fn is_key(k: &str) -> bool {
    !k.is_empty()
        && !k.contains(char::is_whitespace)
        && !k.contains(':')
        && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_and_errors() {
        let text = "\u{feff}net.ipv4.ip_forward = 1\r
net.bridge.bridge-nf-call-iptables=1\r
sysctl: cannot stat /proc/sys/net/ipv4/vs/conntrack: No such file or directory\r
/proc/sys/net/ipv4/vs/expire_nodest_conn:1\r
/proc/sys/net/ipv4/conf/eth0.100/rp_filter:2\r
net.ipv4.ip_local_port_range = 32768\t60999   \r
net/ipv4/conf/all/rp_filter = 1\r
sysctl: permission denied on key 'net.ipv4.vs.conn_reuse_mode'\r
net.ipv4.neigh.default.gc_thresh1 =\r
";
        let m = parse(text);
        assert_eq!(m["net.ipv4.ip_forward"].value, "1");
        assert_eq!(m["net.ipv4.ip_forward"].line, 1);
        assert_eq!(m["net.bridge.bridge-nf-call-iptables"].value, "1");
        assert_eq!(m["net.ipv4.vs.expire_nodest_conn"].line, 4);
        assert_eq!(m["net.ipv4.conf.eth0/100.rp_filter"].value, "2");
        assert_eq!(m["net.ipv4.ip_local_port_range"].value, "32768\t60999");
        assert_eq!(m["net.ipv4.conf.all.rp_filter"].value, "1");
        assert_eq!(m["net.ipv4.neigh.default.gc_thresh1"].value, "");
        assert!(!m.contains_key("net.ipv4.vs.conntrack"));
        assert_eq!(m.len(), 7);
        assert!(parse("").is_empty());
    }

    #[test]
    fn last_value_wins() {
        let m = parse("net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward = 1\n");
        assert_eq!(m["net.ipv4.ip_forward"].value, "1");
        assert_eq!(m["net.ipv4.ip_forward"].line, 2);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }
    }
}
