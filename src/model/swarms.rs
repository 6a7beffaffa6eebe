//! Which swarm each node bundle belongs to, so that bundles of two swarms
//! are never merged into one model.
//!
//! A manager's `docker info` names its cluster id. A worker's does not: it
//! joins the swarm whose managers it names (its `RemoteManagers`
//! addresses) or whose managers' node list names it. A node whose own
//! state is `inactive` and that no manager lists is in no swarm. A bundle
//! that tells nothing (no `docker info`, daemon down) joins no group and
//! splits nothing.

use super::NodeState;
use std::collections::{BTreeMap, BTreeSet};

/// One group of bundles: a swarm (by cluster id, or only by its managers'
/// addresses when no manager bundle was given) or the nodes in no swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swarm {
    /// `cluster <id>`, `swarm managed by <addrs>` or `no swarm`.
    pub name: String,
    /// Bundle labels, sorted.
    pub bundles: Vec<String>,
}

/// `host` of `host:port` (`[v6]:port` too).
fn host(addr: &str) -> &str {
    let h = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    h.trim_start_matches('[').trim_end_matches(']')
}

#[derive(Default)]
struct Known<'a> {
    bundles: BTreeSet<&'a str>,
    /// Node ids and hostnames its managers list.
    names: BTreeSet<&'a str>,
    /// Hosts of its managers.
    managers: BTreeSet<&'a str>,
}

/// The groups the bundles fall into, sorted by name; bundles that tell
/// nothing are left out. More than one group means more than one swarm.
pub fn swarms(nodes: &[NodeState]) -> Vec<Swarm> {
    let mut clusters: BTreeMap<&str, Known> = BTreeMap::new();
    for n in nodes {
        let Some(s) = n.info.as_ref().map(|i| &i.swarm) else {
            continue;
        };
        if s.cluster_id.is_empty() {
            continue;
        }
        let k = clusters.entry(s.cluster_id.as_str()).or_default();
        k.bundles.insert(&n.label);
        k.managers.insert(host(&s.node_addr));
        k.managers
            .extend(s.remote_managers.iter().map(|m| host(&m.addr)));
        for sn in n.swarm_nodes.iter().flatten() {
            k.names.insert(&sn.id);
            k.names.insert(&sn.hostname);
            if let Some(m) = &sn.manager {
                k.managers.insert(host(&m.addr));
            }
        }
    }
    let mut others: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for n in nodes {
        let swarm = n.info.as_ref().map(|i| &i.swarm);
        if swarm.is_some_and(|s| !s.cluster_id.is_empty()) {
            continue;
        }
        // By swarm node id when the bundle knows it (hostnames repeat
        // across swarms), else by hostname.
        let named = |k: &Known| {
            if n.node_id.is_empty() {
                k.names.contains(n.hostname.as_str())
            } else {
                k.names.contains(n.node_id.as_str())
            }
        };
        let remotes: BTreeSet<&str> = swarm
            .into_iter()
            .flat_map(|s| s.remote_managers.iter().map(|m| host(&m.addr)))
            .filter(|h| !h.is_empty())
            .collect();
        let by_managers = |k: &Known| remotes.iter().any(|h| k.managers.contains(h));
        if let Some(k) = clusters.values_mut().find(|k| named(k)) {
            k.bundles.insert(&n.label);
            continue;
        }
        if let Some(k) = clusters.values_mut().find(|k| by_managers(k)) {
            k.bundles.insert(&n.label);
            continue;
        }
        let Some(s) = swarm else { continue };
        let group = if !remotes.is_empty() {
            let list: Vec<&str> = remotes.iter().copied().collect();
            format!("swarm managed by {}", list.join(", "))
        } else if s.local_node_state == "inactive" {
            "no swarm".to_string()
        } else {
            continue;
        };
        others.entry(group).or_default().insert(&n.label);
    }
    let mut out: Vec<Swarm> = clusters
        .into_iter()
        .map(|(id, k)| Swarm {
            name: format!("cluster {id}"),
            bundles: k.bundles.into_iter().map(String::from).collect(),
        })
        .chain(others.into_iter().map(|(name, b)| Swarm {
            name,
            bundles: b.into_iter().map(String::from).collect(),
        }))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The one-line refusal for bundles of several swarms, or `None`.
pub fn refusal(nodes: &[NodeState]) -> Option<String> {
    let groups = swarms(nodes);
    if groups.len() < 2 {
        return None;
    }
    let list: Vec<String> = groups
        .iter()
        .map(|g| format!("{} ({})", g.name, g.bundles.join(", ")))
        .collect();
    Some(format!(
        "the inputs hold bundles of {} different swarms, which are never merged: {}; analyze each swarm on its own",
        groups.len(),
        list.join("; ")
    ))
}
