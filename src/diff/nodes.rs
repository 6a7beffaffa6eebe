//! Nodes: the manager's node objects merged with what each node's own bundle
//! says (engine version, local swarm state), paired by swarm node id, then
//! hostname.

use super::{compare, Fact, Item, ItemChange};
use crate::model::{Cluster, NodeState};

pub(super) fn diff(before: &Cluster, after: &Cluster) -> Vec<ItemChange> {
    // A side lists every node when a manager gave its node list; otherwise
    // a node missing there may just have no bundle.
    compare(
        items(before),
        items(after),
        (
            !before.swarm_nodes.is_empty(),
            !after.swarm_nodes.is_empty(),
        ),
    )
}

/// Every node a side knows: the manager's list, plus bundles it lacks.
fn items(c: &Cluster) -> Vec<Item> {
    let manager_view = !c.swarm_nodes.is_empty();
    let mut out: Vec<Item> = c
        .swarm_nodes
        .iter()
        .map(|sn| {
            let own = c
                .nodes
                .iter()
                .find(|n| !n.node_id.is_empty() && n.node_id == sn.id)
                .or_else(|| c.nodes.iter().find(|n| n.hostname == sn.hostname));
            let engine = own
                .and_then(NodeState::engine_version)
                .map(str::to_string)
                .unwrap_or_else(|| sn.engine_version.clone());
            let m = sn.manager.as_ref();
            Item {
                id: sn.id.clone(),
                name: sn.hostname.clone(),
                facts: vec![
                    ("engine_version", Fact::One(engine)),
                    ("role", Fact::One(sn.role.clone())),
                    ("availability", Fact::One(sn.availability.clone())),
                    ("state", Fact::One(sn.state.clone())),
                    ("status_message", Fact::One(sn.status_message.clone())),
                    (
                        "manager_reachability",
                        Fact::One(
                            m.map(|m| m.reachability.clone())
                                .unwrap_or_else(|| "-".into()),
                        ),
                    ),
                    (
                        "leader",
                        Fact::One(
                            if m.is_some_and(|m| m.leader) {
                                "yes"
                            } else {
                                "no"
                            }
                            .into(),
                        ),
                    ),
                    ("address", Fact::One(sn.advertise_ip().unwrap_or_default())),
                    ("local_swarm_state", Fact::One(local_state(own))),
                    (
                        "bundle",
                        Fact::One(if own.is_some() { "yes" } else { "no" }.into()),
                    ),
                ],
            }
        })
        .collect();
    for n in &c.nodes {
        let listed = c
            .swarm_nodes
            .iter()
            .any(|sn| (!n.node_id.is_empty() && sn.id == n.node_id) || sn.hostname == n.hostname);
        if listed {
            continue;
        }
        let role = if n.is_manager() {
            "manager"
        } else if n
            .info
            .as_ref()
            .is_some_and(|i| i.swarm.local_node_state == "active")
        {
            "worker"
        } else {
            ""
        };
        out.push(Item {
            id: n.node_id.clone(),
            name: n.hostname.clone(),
            facts: vec![
                (
                    "engine_version",
                    Fact::One(n.engine_version().unwrap_or_default().to_string()),
                ),
                ("role", Fact::One(role.into())),
                ("local_swarm_state", Fact::One(local_state(Some(n)))),
                (
                    "listed_by_managers",
                    // Only a manager's list can say a node is not in it.
                    Fact::One(if manager_view { "no" } else { "" }.into()),
                ),
                ("bundle", Fact::One("yes".into())),
            ],
        });
    }
    out
}

/// docker info `Swarm.LocalNodeState` of the node's own bundle.
fn local_state(n: Option<&NodeState>) -> String {
    n.and_then(|n| n.info.as_ref())
        .map(|i| i.swarm.local_node_state.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::node::Node;

    /// A node object as `docker node inspect` prints it (trimmed).
    fn node(id: &str, host: &str, version: &str, availability: &str, leader: bool) -> Node {
        let json = format!(
            r#"[{{"ID":"{id}","Spec":{{"Role":"manager","Availability":"{availability}"}},
                "Description":{{"Hostname":"{host}","Engine":{{"EngineVersion":"{version}"}}}},
                "Status":{{"State":"ready","Addr":"172.31.18.74"}},
                "ManagerStatus":{{"Leader":{leader},"Reachability":"reachable","Addr":"172.31.18.74:2377"}}}}]"#
        );
        crate::parse::node::parse(&json).unwrap().items.remove(0)
    }

    #[test]
    fn engine_availability_and_leadership_changes() {
        let before = Cluster {
            swarm_nodes: vec![node(
                "t7fe",
                "tk1706-ubuntu-0",
                "17.06.2-ee-15",
                "active",
                true,
            )],
            ..Cluster::default()
        };
        let after = Cluster {
            swarm_nodes: vec![
                node("t7fe", "tk1706-ubuntu-0", "18.09.1", "drain", false),
                node("w232", "tk1706-ubuntu-9", "18.09.1", "active", false),
            ],
            ..Cluster::default()
        };
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 2, "{changes:?}");
        let c = &changes[0];
        assert_eq!(c.name, "tk1706-ubuntu-0");
        let fields: Vec<(&str, &str, &str)> = c
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.before.as_str(), f.after.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("engine_version", "17.06.2-ee-15", "18.09.1"),
                ("availability", "active", "drain"),
                ("leader", "yes", "no"),
            ]
        );
        assert_eq!(changes[1].change, super::super::Change::Added);
    }

    #[test]
    fn a_logs_only_bundle_is_matched_by_hostname_and_reports_nothing_unknown() {
        let only_logs = |label: &str| NodeState {
            label: label.into(),
            hostname: "lab-node3".into(),
            ..NodeState::default()
        };
        let before = Cluster {
            nodes: vec![only_logs("a")],
            ..Cluster::default()
        };
        let after = Cluster {
            nodes: vec![only_logs("b")],
            ..Cluster::default()
        };
        assert!(diff(&before, &after).is_empty());
    }
}
