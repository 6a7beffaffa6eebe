//! Services: desired and running tasks, VIPs, published ports, update status,
//! and the errors of failed or rejected tasks, paired by id, then name.

use super::{compare, Fact, Item, ItemChange};
use crate::model::Cluster;
use crate::parse::service::ServiceMode;
use std::collections::BTreeSet;

/// Both sides must have a manager's objects (the caller checks).
pub(super) fn diff(before: &Cluster, after: &Cluster) -> Vec<ItemChange> {
    compare(items(before), items(after), (true, true))
}

fn items(c: &Cluster) -> Vec<Item> {
    c.services
        .iter()
        .map(|s| {
            let tasks: Vec<_> = c.tasks.iter().filter(|t| t.service_id == s.id).collect();
            let count = |f: &dyn Fn(&&crate::parse::task::Task) -> bool| {
                tasks.iter().filter(|t| f(t)).count().to_string()
            };
            let (mode, desired) = match s.mode {
                ServiceMode::Replicated(n) => ("replicated", n.to_string()),
                ServiceMode::Global => ("global", count(&|t| t.desired_state == "running")),
                ServiceMode::ReplicatedJob => ("replicated-job", String::new()),
                ServiceMode::GlobalJob => ("global-job", String::new()),
            };
            let net_name = |id: &str| {
                c.network(id)
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| id.to_string())
            };
            let vips: BTreeSet<String> = s
                .vips
                .iter()
                .filter(|v| !v.addr.is_empty())
                .map(|v| match v.prefix_len {
                    Some(p) => format!("{} {}/{p}", net_name(&v.network_id), v.addr),
                    None => format!("{} {}", net_name(&v.network_id), v.addr),
                })
                .collect();
            let ports_src = if s.ports.is_empty() {
                &s.spec_ports
            } else {
                &s.ports
            };
            let ports: BTreeSet<String> = ports_src
                .iter()
                .map(|p| {
                    let published = p.published.map(|n| n.to_string()).unwrap_or_default();
                    format!("{published}:{}/{} {}", p.target, p.protocol, p.publish_mode)
                })
                .collect();
            let errors: BTreeSet<String> = tasks
                .iter()
                .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
                .map(|t| {
                    if t.err.is_empty() {
                        t.message.clone()
                    } else {
                        t.err.clone()
                    }
                })
                .filter(|e| !e.is_empty())
                .collect();
            let update = s
                .update_status
                .as_ref()
                .map(|u| {
                    if u.message.is_empty() {
                        u.state.clone()
                    } else {
                        format!("{}: {}", u.state, u.message)
                    }
                })
                .unwrap_or_else(|| "-".into());
            Item {
                id: s.id.clone(),
                name: s.name.clone(),
                facts: vec![
                    ("mode", Fact::One(mode.into())),
                    ("desired_tasks", Fact::One(desired)),
                    ("running_tasks", Fact::One(count(&|t| t.state == "running"))),
                    (
                        "failed_or_rejected_tasks",
                        Fact::One(count(&|t| {
                            matches!(t.state.as_str(), "failed" | "rejected")
                        })),
                    ),
                    ("task_errors", Fact::Set(Some(errors))),
                    ("image", Fact::One(s.image.clone())),
                    ("endpoint_mode", Fact::One(s.endpoint_mode.clone())),
                    ("vips", Fact::Set(Some(vips))),
                    ("published_ports", Fact::Set(Some(ports))),
                    (
                        "networks",
                        Fact::Set(Some(s.networks.iter().map(|n| net_name(n)).collect())),
                    ),
                    ("update_status", Fact::One(update)),
                ],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = r#"[{"ID":"8sbc8u6iy1c2v34bqjyjpmqfj","Spec":{"Name":"test_service",
        "TaskTemplate":{"ContainerSpec":{"Image":"nginx:latest"}},"Mode":{"Global":{}},
        "Networks":[{"Target":"hmao9wtjwlxdwrtn9yzm59dye"}],"EndpointSpec":{"Mode":"vip"}},
        "Endpoint":{"Spec":{"Mode":"vip"},"VirtualIPs":[{"NetworkID":"hmao9wtjwlxdwrtn9yzm59dye","Addr":"10.0.0.3/24"}]}}]"#;

    fn task(id: &str, node: &str, state: &str, desired: &str, err: &str) -> String {
        format!(
            r#"{{"ID":"{id}","ServiceID":"8sbc8u6iy1c2v34bqjyjpmqfj","NodeID":"{node}",
               "Status":{{"Timestamp":"2019-01-15T21:03:02.313583494Z","State":"{state}","Err":"{err}"}},
               "DesiredState":"{desired}"}}"#
        )
    }

    fn cluster(tasks: &[String]) -> Cluster {
        Cluster {
            services: crate::parse::service::parse(SERVICE).unwrap().items,
            tasks: crate::parse::task::parse(&format!("[{}]", tasks.join(",")))
                .unwrap()
                .items,
            ..Cluster::default()
        }
    }

    #[test]
    fn running_tasks_and_new_task_errors() {
        let before = cluster(&[
            task("t1", "n0", "running", "running", ""),
            task("t2", "n1", "running", "running", ""),
        ]);
        let after = cluster(&[
            task("t1", "n0", "shutdown", "shutdown", ""),
            task("t2", "n1", "running", "running", ""),
            task(
                "t3",
                "n0",
                "rejected",
                "shutdown",
                "node is missing network attachments, ip addresses may be exhausted",
            ),
        ]);
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].name, "test_service");
        let f = |name: &str| changes[0].fields.iter().find(|f| f.field == name).cloned();
        let running = f("running_tasks").unwrap();
        assert_eq!(
            (running.before.as_str(), running.after.as_str()),
            ("2", "1")
        );
        assert_eq!(f("desired_tasks").unwrap().after, "1");
        assert_eq!(f("failed_or_rejected_tasks").unwrap().after, "1");
        assert_eq!(
            f("task_errors").unwrap().added,
            ["node is missing network attachments, ip addresses may be exhausted"]
        );
        assert!(f("vips").is_none(), "unchanged");
    }
}
