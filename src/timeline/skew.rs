//! Clock skew between nodes, from what the bundles show.
//!
//! Gossip membership changes (`Node join event for <peer>/<ip>`, `Node leave
//! event for …`) reach every node within a second or so, so the same change
//! logged by several nodes pairs their clocks. For each change seen by three
//! or more nodes, a node's deviation is its time minus the median of all; a
//! node's offset is the median of its deviations. Joins a node logs right
//! after its own gossip start (`Initializing Libnetwork Agent`) are the
//! initial member list, not live events, and are left out.
//!
//! The bundles' collection times (`manifest.json` `collected_at`, docker info
//! `SystemTime`) are compared too, but only noted: collection is often
//! sequential, so a late bundle is not proof of a fast clock.
//!
//! Limits: two-node clusters give no majority (nothing is estimated); skew
//! above `GROUP_WINDOW_S` is not detected.

use super::{Event, Kind, TimelineNote};
use crate::model::Cluster;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Offsets below this many seconds are not reported.
pub const SKEW_THRESHOLD_S: f64 = 5.0;
/// Occurrences of one membership change further apart are different changes.
const GROUP_WINDOW_S: f64 = 300.0;
/// Joins logged this soon after the node's own gossip start are its initial sync.
const INITIAL_SYNC_S: f64 = 10.0;
/// Collection times further than this from the others' median are noted.
const COLLECTION_GAP_S: f64 = 60.0;

/// One node's clock, as far as the evidence goes.
#[derive(Debug, Clone, Serialize)]
pub struct ClockEstimate {
    pub node: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub collected_at: Option<OffsetDateTime>,
    /// docker info `SystemTime` at collection.
    #[serde(with = "time::serde::rfc3339::option")]
    pub system_time: Option<OffsetDateTime>,
    /// Seconds this node's clock is ahead of the others' (negative: behind),
    /// when paired events allow an estimate.
    pub offset_s: Option<f64>,
    /// Paired events behind the estimate.
    pub samples: usize,
    /// Smallest and largest deviation among the samples.
    pub min_s: Option<f64>,
    pub max_s: Option<f64>,
    /// True when the node's times were corrected by `offset_s`: at least
    /// three samples, two thirds of them within 5 s of the estimate, and an
    /// offset of at least `SKEW_THRESHOLD_S`.
    pub applied: bool,
}

/// Estimates every bundle node's clock offset from `events` (hostnames).
pub fn estimate(events: &[Event], cluster: &Cluster) -> Vec<ClockEstimate> {
    let deviations = gossip_deviations(events);
    let mut out = Vec::new();
    let mut hosts: Vec<&str> = cluster.nodes.iter().map(|n| n.hostname.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    for host in hosts {
        let state = cluster.nodes.iter().find(|n| n.hostname == host);
        let mut devs = deviations.get(host).cloned().unwrap_or_default();
        devs.sort_by(f64::total_cmp);
        let offset = median(&devs);
        let applied = offset.is_some_and(|o| {
            let close = devs.iter().filter(|d| (**d - o).abs() <= 5.0).count();
            devs.len() >= 3 && close * 3 >= devs.len() * 2 && o.abs() >= SKEW_THRESHOLD_S
        });
        out.push(ClockEstimate {
            node: host.to_string(),
            collected_at: state.and_then(|n| n.collected_at),
            system_time: state
                .and_then(|n| n.info.as_ref())
                .and_then(|i| i.system_time),
            offset_s: offset.map(round1),
            samples: devs.len(),
            min_s: devs.first().copied().map(round1),
            max_s: devs.last().copied().map(round1),
            applied,
        });
    }
    out
}

/// Per node, its deviations from the median time of membership changes
/// seen by at least three nodes.
fn gossip_deviations(events: &[Event]) -> BTreeMap<String, Vec<f64>> {
    let mut starts: BTreeMap<&str, Vec<OffsetDateTime>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == Kind::AgentStart) {
        if let (Some(t), Some(n)) = (e.time, e.clock_node.as_deref()) {
            starts.entry(n).or_default().push(t);
        }
    }
    let initial_sync = |node: &str, t: OffsetDateTime| {
        starts.get(node).is_some_and(|ss| {
            ss.iter().any(|s| {
                let d = (t - *s).as_seconds_f64();
                (0.0..=INITIAL_SYNC_S).contains(&d)
            })
        })
    };
    let mut by_change: BTreeMap<(Kind, &str), Vec<(OffsetDateTime, &str)>> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, Kind::GossipJoin | Kind::GossipLeave))
    {
        let (Some(t), Some(ip), Some(node)) =
            (e.time, e.peer_ip.as_deref(), e.clock_node.as_deref())
        else {
            continue;
        };
        if e.kind == Kind::GossipJoin && initial_sync(node, t) {
            continue;
        }
        by_change.entry((e.kind, ip)).or_default().push((t, node));
    }
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for seen in by_change.values_mut() {
        seen.sort();
        for group in groups(seen) {
            if group.len() < 3 {
                continue;
            }
            let mut secs: Vec<f64> = group.iter().map(|(t, _)| unix(*t)).collect();
            secs.sort_by(f64::total_cmp);
            let Some(mid) = median(&secs) else { continue };
            for (t, node) in group {
                out.entry(node.to_string()).or_default().push(unix(t) - mid);
            }
        }
    }
    out
}

/// Splits time-sorted occurrences into changes: each group spans at most
/// `GROUP_WINDOW_S` and holds one occurrence per node.
fn groups<'a>(seen: &[(OffsetDateTime, &'a str)]) -> Vec<Vec<(OffsetDateTime, &'a str)>> {
    let mut out: Vec<Vec<(OffsetDateTime, &'a str)>> = Vec::new();
    for &(t, node) in seen {
        let fits = out.last().is_some_and(|g| {
            g.first()
                .is_some_and(|(t0, _)| (t - *t0).as_seconds_f64() <= GROUP_WINDOW_S)
                && !g.iter().any(|(_, n)| *n == node)
        });
        match out.last_mut() {
            Some(g) if fits => g.push((t, node)),
            _ => out.push(vec![(t, node)]),
        }
    }
    out
}

/// Notes for the reader: estimated offsets, and collection times that stand out.
pub fn notes(clocks: &[ClockEstimate]) -> Vec<TimelineNote> {
    let mut out = Vec::new();
    for c in clocks {
        let Some(o) = c.offset_s.filter(|o| o.abs() >= SKEW_THRESHOLD_S) else {
            continue;
        };
        if c.samples < 2 {
            continue;
        }
        out.push(TimelineNote {
            kind: "clock_skew",
            node: Some(c.node.clone()),
            message: format!(
                "{}'s clock is about {}{:.1} s {} the other nodes' ({} gossip join/leave event(s) \
                 seen by several nodes, deviations {:.1} … {:.1} s); {}",
                c.node,
                if o > 0.0 { "+" } else { "" },
                o,
                if o > 0.0 { "ahead of" } else { "behind" },
                c.samples,
                c.min_s.unwrap_or(o),
                c.max_s.unwrap_or(o),
                if c.applied {
                    "its times below are corrected (logged time kept in JSON `logged_time`)"
                } else {
                    "not corrected: too few or inconsistent samples"
                }
            ),
        });
    }
    let collected: Vec<(&ClockEstimate, f64)> = clocks
        .iter()
        .filter_map(|c| c.collected_at.map(|t| (c, unix(t))))
        .collect();
    for (c, t) in &collected {
        let mut others: Vec<f64> = collected
            .iter()
            .filter(|(o, _)| o.node != c.node)
            .map(|(_, t)| *t)
            .collect();
        if others.len() < 2 {
            break;
        }
        others.sort_by(f64::total_cmp);
        let Some(mid) = median(&others) else { continue };
        let others_close = others.iter().all(|o| (o - mid).abs() <= COLLECTION_GAP_S);
        let gap = t - mid;
        if others_close && gap.abs() > COLLECTION_GAP_S {
            let agrees = c
                .offset_s
                .filter(|o| o.abs() >= SKEW_THRESHOLD_S && o.signum() == gap.signum())
                .map(|o| format!("; consistent with the {o:+.1} s offset from paired events"))
                .unwrap_or_default();
            out.push(TimelineNote {
                kind: "collection_time",
                node: Some(c.node.clone()),
                message: format!(
                    "{}'s bundle says it was collected {:.0} s {} the other bundles (median of \
                     theirs), which were collected within {:.0} s of each other: its clock is \
                     off, or it was collected separately{agrees}",
                    c.node,
                    gap.abs(),
                    if gap > 0.0 { "after" } else { "before" },
                    others.last().unwrap_or(&mid) - others.first().unwrap_or(&mid)
                ),
            });
        }
    }
    for c in clocks {
        if let (Some(a), Some(b)) = (c.collected_at, c.system_time) {
            let d = (b - a).as_seconds_f64();
            if d.abs() > COLLECTION_GAP_S {
                out.push(TimelineNote {
                    kind: "collection_time",
                    node: Some(c.node.clone()),
                    message: format!(
                        "{}: docker info SystemTime is {d:+.0} s from the manifest's collected_at \
                         (the daemon's and the collector's view of the time disagree, or collection \
                         took that long)",
                        c.node
                    ),
                });
            }
        }
    }
    out
}

fn unix(t: OffsetDateTime) -> f64 {
    (t.unix_timestamp_nanos() as f64) / 1e9
}

/// Median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let hi = sorted.get(n / 2).copied()?;
    if n % 2 == 1 {
        Some(hi)
    } else {
        sorted.get(n / 2 - 1).map(|lo| (lo + hi) / 2.0)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeState;
    use time::macros::datetime;

    fn gossip(node: &str, kind: Kind, ip: &str, t: OffsetDateTime) -> Event {
        Event {
            time: Some(t),
            node: node.into(),
            clock_node: Some(node.into()),
            kind,
            peer_ip: Some(ip.into()),
            ..Event::default()
        }
    }

    fn cluster(hosts: &[&str]) -> Cluster {
        Cluster {
            nodes: hosts
                .iter()
                .map(|h| NodeState {
                    label: h.to_string(),
                    hostname: h.to_string(),
                    ..NodeState::default()
                })
                .collect(),
            ..Cluster::default()
        }
    }

    #[test]
    fn a_fast_node_stands_out_from_paired_membership_changes() {
        let t0 = datetime!(2019-01-15 21:00:02.5937 UTC);
        let t1 = datetime!(2019-01-15 21:05:00.6975 UTC);
        let t2 = datetime!(2019-01-15 21:06:21.4124 UTC);
        let mut ev = Vec::new();
        for (kind, ip, t, nodes) in [
            (
                Kind::GossipLeave,
                "172.31.18.74",
                t0,
                &["n1", "n2", "n3"][..],
            ),
            (Kind::GossipLeave, "172.31.17.133", t1, &["n1", "n2"][..]),
            (
                Kind::GossipJoin,
                "172.31.17.133",
                t2,
                &["n0", "n1", "n2"][..],
            ),
        ] {
            for n in nodes {
                ev.push(gossip(n, kind, ip, t));
            }
            ev.push(gossip("n4", kind, ip, t + time::Duration::seconds(90)));
        }
        // n4's initial member list, logged as it joins: not a live event.
        let start = datetime!(2019-01-15 19:45:25.128 UTC);
        ev.push(Event {
            kind: Kind::AgentStart,
            ..gossip("n4", Kind::AgentStart, "", start)
        });
        ev.push(gossip(
            "n4",
            Kind::GossipJoin,
            "172.31.25.9",
            start + time::Duration::milliseconds(20),
        ));
        ev.push(gossip(
            "n1",
            Kind::GossipJoin,
            "172.31.25.9",
            datetime!(2019-01-15 19:43:13 UTC),
        ));
        ev.push(gossip(
            "n0",
            Kind::GossipJoin,
            "172.31.25.9",
            datetime!(2019-01-15 19:43:13 UTC),
        ));

        let clocks = estimate(&ev, &cluster(&["n0", "n1", "n2", "n3", "n4"]));
        let n4 = clocks.iter().find(|c| c.node == "n4").unwrap();
        assert_eq!(n4.offset_s, Some(90.0));
        assert_eq!(n4.samples, 3);
        assert!(n4.applied);
        for c in clocks.iter().filter(|c| c.node != "n4") {
            assert!(!c.applied, "{c:?}");
            assert!(c.offset_s.is_none_or(|o| o.abs() < 1.0), "{c:?}");
        }
        let notes = notes(&clocks);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].message.contains("+90.0 s ahead"));
    }

    #[test]
    fn two_nodes_give_no_majority() {
        let t = datetime!(2019-01-15 21:00:00 UTC);
        let ev = vec![
            gossip("a", Kind::GossipLeave, "10.0.0.9", t),
            gossip(
                "b",
                Kind::GossipLeave,
                "10.0.0.9",
                t + time::Duration::seconds(60),
            ),
        ];
        let clocks = estimate(&ev, &cluster(&["a", "b"]));
        assert!(clocks.iter().all(|c| c.offset_s.is_none() && !c.applied));
    }

    #[test]
    fn a_late_collection_is_noted() {
        let mk = |n: &str, t: OffsetDateTime| ClockEstimate {
            node: n.into(),
            collected_at: Some(t),
            system_time: Some(t),
            offset_s: None,
            samples: 0,
            min_s: None,
            max_s: None,
            applied: false,
        };
        let clocks = vec![
            mk("n0", datetime!(2019-01-15 21:11:00 UTC)),
            mk("n1", datetime!(2019-01-15 21:11:04 UTC)),
            mk("n2", datetime!(2019-01-15 21:11:08 UTC)),
            mk("n4", datetime!(2019-01-15 21:12:46 UTC)),
        ];
        let notes = notes(&clocks);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].node.as_deref(), Some("n4"));
        assert!(
            notes[0].message.contains("102 s after"),
            "{}",
            notes[0].message
        );
    }
}
