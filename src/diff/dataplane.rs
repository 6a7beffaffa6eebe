//! Per node (with a bundle on both sides): namespaces that appeared or
//! vanished, IPVS services and backends added or removed, and mangle marks
//! changed, namespace by namespace. IPVS firewall-mark services are named by
//! the VIP or port their mark rule matches, since marks are renumbered when a
//! daemon restarts.

use super::{iptables, Change, IptablesDiff};
use crate::model::{Cluster, NetState, NodeState};
use crate::parse::iptables::Ruleset;
use crate::parse::ipvsadm::{IpvsService, ServiceKey};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What changed in one node's data plane.
#[derive(Debug, Clone, Serialize)]
pub struct NodeDataplane {
    pub node: String,
    pub namespaces_appeared: Vec<String>,
    pub namespaces_vanished: Vec<String>,
    pub ipvs: Vec<IpvsChange>,
    pub marks: Vec<MarkChange>,
}

/// An IPVS service that appeared, vanished, or whose backends changed.
#[derive(Debug, Clone, Serialize)]
pub struct IpvsChange {
    pub namespace: String,
    /// `VIP 10.0.0.2`, `ingress 8080/tcp`, `FWM 256` (mark without a rule),
    /// or `TCP 10.0.0.2:80`.
    pub service: String,
    pub change: Change,
    pub backends_added: Vec<String>,
    pub backends_removed: Vec<String>,
    /// Other changes: the firewall mark, IPVS availability.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A mangle `MARK` rule whose mark changed, appeared or vanished.
#[derive(Debug, Clone, Serialize)]
pub struct MarkChange {
    /// `host` or the namespace name.
    pub namespace: String,
    /// The rule up to its `-j MARK`, e.g. `-A OUTPUT -d 10.0.0.2/32`.
    pub rule: String,
    /// The mark in decimal (as ipvsadm prints it); `None` when absent on that side.
    pub before: Option<u32>,
    pub after: Option<u32>,
}

/// Compares the data plane of every node that has a bundle on both sides.
pub(super) fn diff(
    before: &Cluster,
    after: &Cluster,
    notes: &mut Vec<String>,
) -> (Vec<NodeDataplane>, Vec<IptablesDiff>) {
    let mut planes = Vec::new();
    let mut tables = Vec::new();
    for b in &before.nodes {
        let Some(a) = after
            .nodes
            .iter()
            .find(|a| !a.node_id.is_empty() && a.node_id == b.node_id)
            .or_else(|| after.nodes.iter().find(|a| a.hostname == b.hostname))
        else {
            continue;
        };
        let node = a.hostname.clone();
        let mut plane = NodeDataplane {
            node: node.clone(),
            namespaces_appeared: Vec::new(),
            namespaces_vanished: Vec::new(),
            ipvs: Vec::new(),
            marks: Vec::new(),
        };
        if b.netns.is_empty() != a.netns.is_empty() {
            notes.push(format!(
                "{node}: only the {} bundle has netns/: namespaces not compared",
                if b.netns.is_empty() {
                    "after"
                } else {
                    "before"
                }
            ));
        } else {
            plane.namespaces_vanished = b
                .netns
                .keys()
                .filter(|k| !a.netns.contains_key(*k))
                .cloned()
                .collect();
            plane.namespaces_appeared = a
                .netns
                .keys()
                .filter(|k| !b.netns.contains_key(*k))
                .cloned()
                .collect();
        }
        for (ns, sb, sa) in spaces(b, a) {
            if let (Some(ib), Some(ia)) = (&sb.iptables, &sa.iptables) {
                plane.marks.extend(marks(&ns, ib, ia));
                tables.extend(iptables::diff(&node, &ns, ib, ia));
            }
            plane.ipvs.extend(ipvs(&ns, sb, sa));
        }
        if !(plane.namespaces_appeared.is_empty()
            && plane.namespaces_vanished.is_empty()
            && plane.ipvs.is_empty()
            && plane.marks.is_empty())
        {
            planes.push(plane);
        }
    }
    planes.sort_by(|x, y| x.node.cmp(&y.node));
    tables
        .sort_by(|x, y| (&x.node, &x.namespace, &x.table).cmp(&(&y.node, &y.namespace, &y.table)));
    (planes, tables)
}

/// The host and every namespace present on both sides, host first.
fn spaces<'a>(b: &'a NodeState, a: &'a NodeState) -> Vec<(String, &'a NetState, &'a NetState)> {
    let mut out = vec![("host".to_string(), &b.host, &a.host)];
    for (name, sb) in &b.netns {
        if let Some(sa) = a.netns.get(name) {
            out.push((name.clone(), sb, sa));
        }
    }
    out
}

/// Mangle `MARK` rules: rule (without the mark) → mark.
fn mark_rules(r: &Ruleset) -> BTreeMap<String, u32> {
    r.all_rules()
        .filter(|r| r.table == "mangle")
        .filter_map(|r| {
            let m = r.set_mark?;
            let key = r
                .text
                .split(" -j MARK")
                .next()
                .unwrap_or(&r.text)
                .trim()
                .to_string();
            Some((key, m))
        })
        .collect()
}

fn marks(ns: &str, b: &Ruleset, a: &Ruleset) -> Vec<MarkChange> {
    let (mb, ma) = (mark_rules(b), mark_rules(a));
    let keys: BTreeSet<&String> = mb.keys().chain(ma.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (mb.get(k).copied(), ma.get(k).copied());
            (x != y).then(|| MarkChange {
                namespace: ns.to_string(),
                rule: k.clone(),
                before: x,
                after: y,
            })
        })
        .collect()
}

/// Firewall mark → what its mangle rule matches (`VIP 10.0.0.2`, `ingress 8080/tcp`).
fn mark_names(r: Option<&Ruleset>) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for rule in r.into_iter().flat_map(|r| r.all_rules()) {
        let (Some(m), "mangle") = (rule.set_mark, rule.table.as_str()) else {
            continue;
        };
        let name = if let Some(d) = &rule.destination {
            format!("VIP {}", d.strip_suffix("/32").unwrap_or(d))
        } else if let Some(p) = &rule.dport {
            format!("ingress {p}/{}", rule.protocol.as_deref().unwrap_or("tcp"))
        } else {
            continue;
        };
        out.entry(m).or_insert(name);
    }
    out
}

fn service_name(s: &IpvsService, names: &BTreeMap<u32, String>) -> String {
    match &s.kind {
        ServiceKey::Fwm(m) => names.get(m).cloned().unwrap_or_else(|| format!("FWM {m}")),
        ServiceKey::Tcp(a) => format!("TCP {a}"),
        ServiceKey::Udp(a) => format!("UDP {a}"),
        ServiceKey::Sctp(a) => format!("SCTP {a}"),
    }
}

fn ipvs(ns: &str, b: &NetState, a: &NetState) -> Vec<IpvsChange> {
    let (Some(vb), Some(va)) = (&b.ipvs, &a.ipvs) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if vb.available != va.available {
        out.push(IpvsChange {
            namespace: ns.to_string(),
            service: "(ipvs)".into(),
            change: Change::Changed,
            backends_added: Vec::new(),
            backends_removed: Vec::new(),
            detail: format!(
                "IPVS {} → {}",
                availability(vb.available, vb.error.as_deref()),
                availability(va.available, va.error.as_deref())
            ),
        });
    }
    let collect = |st: &NetState, v: &crate::parse::ipvsadm::Ipvs| {
        let names = mark_names(st.iptables.as_ref());
        let mut m: BTreeMap<String, (Option<u32>, BTreeSet<String>)> = BTreeMap::new();
        for s in &v.services {
            let e = m.entry(service_name(s, &names)).or_default();
            e.0 = s.fwmark();
            e.1.extend(s.backends.iter().map(|b| b.addr.clone()));
        }
        m
    };
    let (sb, sa) = (collect(b, vb), collect(a, va));
    let keys: BTreeSet<&String> = sb.keys().chain(sa.keys()).collect();
    for k in keys {
        let empty = (None, BTreeSet::new());
        let (fb, bb) = sb.get(k).unwrap_or(&empty);
        let (fa, ba) = sa.get(k).unwrap_or(&empty);
        let change = match (sb.contains_key(k), sa.contains_key(k)) {
            (false, _) => Change::Added,
            (_, false) => Change::Removed,
            _ => Change::Changed,
        };
        let added: Vec<String> = ba.difference(bb).cloned().collect();
        let removed: Vec<String> = bb.difference(ba).cloned().collect();
        let detail = match (fb, fa) {
            (Some(x), Some(y)) if x != y && change == Change::Changed => {
                format!("FWM {x} → {y}")
            }
            _ => String::new(),
        };
        if change == Change::Changed && added.is_empty() && removed.is_empty() && detail.is_empty()
        {
            continue;
        }
        out.push(IpvsChange {
            namespace: ns.to_string(),
            service: k.clone(),
            change,
            backends_added: added,
            backends_removed: removed,
            detail,
        });
    }
    out
}

fn availability(ok: bool, err: Option<&str>) -> String {
    match (ok, err) {
        (true, _) => "available".into(),
        (false, Some(e)) => format!("unavailable ({e})"),
        (false, None) => "unavailable".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{iptables::parse_save, ipvsadm};

    const MANGLE: &str = "*mangle\n:OUTPUT ACCEPT [0:0]\n\
        -A OUTPUT -d 10.0.0.2/32 -j MARK --set-xmark 0x100/0xffffffff\n\
        -A OUTPUT -d 10.0.0.3/32 -j MARK --set-xmark 0x101/0xffffffff\nCOMMIT\n";
    const IPVS: &str = "IP Virtual Server version 1.2.1 (size=4096)\n\
        Prot LocalAddress:Port Scheduler Flags\n\
          -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
        FWM  256 rr\n  -> 10.0.0.4:0                   Masq    1      0          0\n\
        FWM  257 rr\n  -> 10.0.0.6:0                   Masq    1      0          0\n\
          -> 10.0.0.7:0                   Masq    1      0          0\n";

    fn ns(iptables: &str, ipvs: &str) -> NetState {
        NetState {
            iptables: Some(parse_save(iptables).unwrap()),
            ipvs: Some(ipvsadm::parse(ipvs).unwrap()),
            ..NetState::default()
        }
    }

    fn node(host: &str, spaces: Vec<(&str, NetState)>) -> NodeState {
        NodeState {
            label: host.into(),
            hostname: host.into(),
            netns: spaces
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ..NodeState::default()
        }
    }

    #[test]
    fn vanished_namespaces_backends_and_renumbered_marks() {
        // After a restart the marks swap and one backend is gone.
        let mangle_after = MANGLE.replace("0x100", "0x102").replace("0x101", "0x100");
        let ipvs_after = "FWM  258 rr\n  -> 10.0.0.4:0  Masq 1 0 0\n\
                          FWM  256 rr\n  -> 10.0.0.6:0  Masq 1 0 0\n";
        let before = Cluster {
            nodes: vec![node(
                "n0",
                vec![
                    ("4acf4e5793e7", ns(MANGLE, IPVS)),
                    ("ingress_sbox", ns(MANGLE, IPVS)),
                ],
            )],
            ..Cluster::default()
        };
        let after = Cluster {
            nodes: vec![node(
                "n0",
                vec![
                    ("ingress_sbox", ns(&mangle_after, ipvs_after)),
                    ("lb_hmao9wtjw", ns("", "")),
                ],
            )],
            ..Cluster::default()
        };
        let mut notes = Vec::new();
        let (planes, tables) = diff(&before, &after, &mut notes);
        assert!(notes.is_empty());
        let p = &planes[0];
        assert_eq!(p.namespaces_vanished, ["4acf4e5793e7"]);
        assert_eq!(p.namespaces_appeared, ["lb_hmao9wtjw"]);
        // Named by VIP: the renumbering is a detail, not a new service.
        let vip3 = p.ipvs.iter().find(|c| c.service == "VIP 10.0.0.3").unwrap();
        assert_eq!(vip3.change, Change::Changed);
        assert_eq!(vip3.backends_removed, ["10.0.0.7"]);
        assert_eq!(vip3.detail, "FWM 257 → 256");
        assert_eq!(p.ipvs.len(), 2, "{:?}", p.ipvs);
        let marks: Vec<_> = p
            .marks
            .iter()
            .map(|m| (m.rule.as_str(), m.before, m.after))
            .collect();
        assert_eq!(
            marks,
            [
                ("-A OUTPUT -d 10.0.0.2/32", Some(256), Some(258)),
                ("-A OUTPUT -d 10.0.0.3/32", Some(257), Some(256)),
            ]
        );
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].namespace, "ingress_sbox");
        assert_eq!(tables[0].table, "mangle");
    }
}
