//! Loaded kernel modules from `lsmod` or `/proc/modules`. The swarm data
//! plane needs `ip_vs` (and a scheduler such as `ip_vs_rr`), `vxlan`,
//! `xt_mark`/`xt_MARK`, `br_netfilter`, `nf_nat`, …
//!
//! ```text
//! Module                  Size  Used by
//! ip_vs_rr               16384  1
//! ip_vs                 176128  3 ip_vs_rr,xt_ipvs
//! ```
//! and `/proc/modules`:
//! ```text
//! ip_vs 176128 3 ip_vs_rr,xt_ipvs, Live 0x0000000000000000
//! vxlan 77824 0 - Live 0x0000000000000000 (E)
//! ```

use super::lines::lines;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    pub line: usize,
    pub name: String,
    pub size: u64,
    /// Reference count (`-` in `/proc/modules` of a module that cannot unload).
    pub use_count: Option<u32>,
    pub used_by: Vec<String>,
    /// `Live`, `Loading`, `Unloading` (`/proc/modules` only).
    pub state: Option<String>,
}

/// Parses `lsmod` / `/proc/modules` lines; other lines (header, errors) are skipped.
pub fn parse(text: &str) -> Vec<Module> {
    let mut out = Vec::new();
    for (n, line) in lines(text) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(size)) = (toks.first(), toks.get(1)) else {
            continue;
        };
        let Ok(size) = size.parse::<u64>() else {
            continue;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        let use_count = toks.get(2).and_then(|c| c.parse().ok());
        let used_by = toks
            .get(3)
            .filter(|u| !u.starts_with("0x") && !matches!(**u, "Live" | "Loading" | "Unloading"))
            .map(|u| {
                u.split(',')
                    .filter(|m| !m.is_empty() && *m != "-")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let state = toks
            .iter()
            .skip(3)
            .find(|t| matches!(**t, "Live" | "Loading" | "Unloading"))
            .map(|s| s.to_string());
        out.push(Module {
            line: n,
            name: name.to_string(),
            size,
            use_count,
            used_by,
            state,
        });
    }
    out
}

impl Module {
    /// Looks up a module by name (`-` and `_` are the same to modprobe).
    pub fn find<'a>(mods: &'a [Module], name: &str) -> Option<&'a Module> {
        let want = name.replace('-', "_");
        mods.iter().find(|m| m.name.replace('-', "_") == want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsmod_output() {
        let text = "\
Module                  Size  Used by\r
ip_vs_rr               16384  1\r
ip_vs                 176128  3 ip_vs_rr,xt_ipvs\r
vxlan                  77824  0\r
br_netfilter           32768  0\r
";
        let m = parse(text);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].name, "ip_vs");
        assert_eq!(m[1].size, 176128);
        assert_eq!(m[1].use_count, Some(3));
        assert_eq!(m[1].used_by, ["ip_vs_rr", "xt_ipvs"]);
        assert_eq!(m[1].line, 3);
        assert!(m[2].used_by.is_empty());
        assert_eq!(m[2].state, None);
        assert!(Module::find(&m, "br-netfilter").is_some());
        assert!(Module::find(&m, "xt_mark").is_none());
    }

    #[test]
    fn proc_modules_output() {
        let text = "\
ip_vs 176128 3 ip_vs_rr,xt_ipvs, Live 0x0000000000000000
vxlan 77824 0 - Live 0x0000000000000000 (E)
nf_nat 49152 2 xt_MASQUERADE,iptable_nat, Loading 0xffffffffc0a3b000
";
        let m = parse(text);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].used_by, ["ip_vs_rr", "xt_ipvs"]);
        assert_eq!(m[0].state.as_deref(), Some("Live"));
        assert!(m[1].used_by.is_empty());
        assert_eq!(m[2].state.as_deref(), Some("Loading"));
        assert!(parse("").is_empty());
        assert!(parse("lsmod: command not found\n").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }
    }
}
