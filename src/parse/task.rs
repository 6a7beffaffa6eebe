//! Task objects: `docker inspect <task ids…>` (`swarm/tasks.json`, an array)
//! or the raw API `GET /tasks/{id}` (a bare object).
//!
//! ```json
//! {
//!     "ID": "0kzzo1i0y4jz6027t0k7aezc7",
//!     "ServiceID": "9mnpnzenvg8p8tdbtq4wvbkcz",
//!     "Slot": 1,
//!     "NodeID": "60gvrl6tm78dmak4yl7srz94v",
//!     "Status": { "Timestamp": "2018-08-23T21:18:24.469418288Z", "State": "rejected",
//!                 "Message": "preparing",
//!                 "Err": "node is missing network attachments, ip addresses may be exhausted",
//!                 "ContainerStatus": { "ContainerID": "", "PID": 0, "ExitCode": 0 } },
//!     "DesiredState": "shutdown",
//!     "NetworksAttachments": [ { "Network": { "ID": "4qvuz4ko70xaltuqbt8956gd1",
//!                                             "Spec": { "Name": "ingress" } },
//!                                "Addresses": [ "10.255.0.10/16" ] } ]
//! }
//! ```
//!
//! `NodeID` is absent while unassigned, `Slot` absent or 0 for global
//! services, `Status.Err` absent when empty, `ContainerStatus` absent or `{}`
//! before a container exists.

use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_batch, Batch};
use super::network::parse_vxlan_ids;
use super::service::{PublishedPort, WirePort};
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// 1-based line where the task's object starts.
    pub line: usize,
    pub id: String,
    pub service_id: String,
    /// Empty while the task is unassigned.
    pub node_id: String,
    /// `None` for global-service tasks (absent or 0).
    pub slot: Option<u64>,
    /// `Status.State`: `new` … `running`, `complete`, `shutdown`, `failed`,
    /// `rejected`, `remove`, `orphaned`.
    pub state: String,
    pub desired_state: String,
    /// `Status.Message`, e.g. `preparing`, `started`.
    pub message: String,
    /// `Status.Err`; empty when absent.
    pub err: String,
    /// `Status.Timestamp`: the last state change.
    pub timestamp: Option<OffsetDateTime>,
    /// Empty before a container exists.
    pub container_id: String,
    /// Only when a container exists (a non-empty `ContainerID`).
    pub exit_code: Option<i64>,
    pub attachments: Vec<Attachment>,
    /// Host-mode published ports, `Status.PortStatus.Ports`.
    pub host_ports: Vec<PublishedPort>,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    /// `Spec.NetworkAttachmentSpec` is present: the task attaches a plain
    /// container to an attachable network (API 1.38+).
    pub is_network_attachment: bool,
    /// `Spec.NetworkAttachmentSpec.ContainerID`; empty otherwise.
    pub attached_container_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub network_id: String,
    /// `Network.Spec.Name`.
    pub network_name: String,
    /// CIDR strings as given, e.g. `10.255.0.10/16`.
    pub addresses: Vec<String>,
    /// From `Network.DriverState.Options["com.docker.network.driver.overlay.vxlanid_list"]`.
    pub vxlan_ids: Vec<u32>,
}

/// Parses task inspect output: an array, or a bare object from the raw API.
pub fn parse(text: &str) -> Result<Batch<Task>, ParseError> {
    parse_batch(text, convert)
}

fn convert(line: usize, w: Wire) -> Task {
    let status = w.status.unwrap_or_default();
    let container = status.container_status.unwrap_or_default();
    let container_id = container.container_id.unwrap_or_default();
    let attachment_spec = w.spec.and_then(|s| s.network_attachment_spec);
    Task {
        line,
        id: w.id.unwrap_or_default(),
        service_id: w.service_id.unwrap_or_default(),
        node_id: w.node_id.unwrap_or_default(),
        slot: w.slot.filter(|&s| s != 0),
        state: status.state.unwrap_or_default(),
        desired_state: w.desired_state.unwrap_or_default(),
        message: status.message.unwrap_or_default(),
        err: status.err.unwrap_or_default(),
        timestamp: api_time(&status.timestamp),
        exit_code: if container_id.is_empty() {
            None
        } else {
            container.exit_code
        },
        container_id,
        attachments: w
            .networks_attachments
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let net = a.network.unwrap_or_default();
                let vxlan = net
                    .driver_state
                    .and_then(|d| d.options)
                    .and_then(|o| o.vxlanid_list)
                    .unwrap_or_default();
                Attachment {
                    network_id: net.id.unwrap_or_default(),
                    network_name: net.spec.and_then(|s| s.name).unwrap_or_default(),
                    addresses: a.addresses.unwrap_or_default(),
                    vxlan_ids: parse_vxlan_ids(&vxlan),
                }
            })
            .collect(),
        host_ports: status
            .port_status
            .and_then(|p| p.ports)
            .unwrap_or_default()
            .into_iter()
            .map(PublishedPort::from)
            .collect(),
        created_at: api_time(&w.created_at),
        updated_at: api_time(&w.updated_at),
        is_network_attachment: attachment_spec.is_some(),
        attached_container_id: attachment_spec
            .and_then(|s| s.container_id)
            .unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    #[serde(rename = "ID")]
    id: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    spec: Option<WireSpec>,
    #[serde(rename = "ServiceID")]
    service_id: Option<String>,
    slot: Option<u64>,
    #[serde(rename = "NodeID")]
    node_id: Option<String>,
    status: Option<WireStatus>,
    desired_state: Option<String>,
    networks_attachments: Option<Vec<WireAttachment>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireSpec {
    network_attachment_spec: Option<WireAttachmentSpec>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireAttachmentSpec {
    #[serde(rename = "ContainerID")]
    container_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireStatus {
    timestamp: Option<String>,
    state: Option<String>,
    message: Option<String>,
    err: Option<String>,
    container_status: Option<WireContainerStatus>,
    port_status: Option<WirePortStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireContainerStatus {
    #[serde(rename = "ContainerID")]
    container_id: Option<String>,
    exit_code: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WirePortStatus {
    ports: Option<Vec<WirePort>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireAttachment {
    network: Option<WireNetwork>,
    addresses: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireNetwork {
    #[serde(rename = "ID")]
    id: Option<String>,
    spec: Option<WireNetworkSpec>,
    driver_state: Option<WireDriverState>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireNetworkSpec {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireDriverState {
    options: Option<WireDriverOptions>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireDriverOptions {
    #[serde(rename = "com.docker.network.driver.overlay.vxlanid_list")]
    vxlanid_list: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An out-of-range slot or exit code keeps the task (issue 12).
    #[test]
    fn issue12_out_of_range_numbers_keep_the_task() {
        let text = r#"[
    { "ID": "t1", "ServiceID": "s", "NodeID": "n", "Slot": -1,
      "Status": { "State": "failed", "ContainerStatus": { "ContainerID": "c1", "ExitCode": 1e400 } } },
    { "ID": "t2", "ServiceID": "s", "NodeID": "n", "Slot": 2,
      "Status": { "State": "running", "ContainerStatus": { "ContainerID": "c2", "ExitCode": 9223372036854775808 } } }
]"#;
        let b = parse(text).unwrap();
        let ids: Vec<&str> = b.items.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["t1", "t2"], "{:?}", b.problems);
        assert_eq!(b.items[0].state, "failed");
        assert_eq!(b.items[0].slot, None);
        assert_eq!(b.items[0].exit_code, None);
        assert_eq!(b.items[1].slot, Some(2));
        assert_eq!(b.problems.len(), 3, "{:?}", b.problems);
    }

    /// formats.md §3 [V] from api/docs/v1.24.md: the raw API's bare object.
    const V124: &str = r#"{
  "ID": "0kzzo1i0y4jz6027t0k7aezc7",
  "Version": { "Index": 71 },
  "CreatedAt": "2016-06-07T21:07:31.171892745Z",
  "UpdatedAt": "2016-06-07T21:07:31.376370513Z",
  "Spec": { "ContainerSpec": { "Image": "redis" }, "Placement": {} },
  "ServiceID": "9mnpnzenvg8p8tdbtq4wvbkcz",
  "Slot": 1,
  "NodeID": "60gvrl6tm78dmak4yl7srz94v",
  "Status": {
    "Timestamp": "2016-06-07T21:07:31.290032978Z",
    "State": "running",
    "Message": "started",
    "ContainerStatus": {
      "ContainerID": "e5d62702a1b48d01c3e02ca1e0212a250801fa8d67caca0b6f35919ebc12f035",
      "PID": 677
    }
  },
  "DesiredState": "running",
  "NetworksAttachments": [
    {
      "Network": {
        "ID": "4qvuz4ko70xaltuqbt8956gd1",
        "Spec": { "Name": "ingress", "Labels": { "com.docker.swarm.internal": "true" } },
        "DriverState": { "Name": "overlay", "Options": { "com.docker.network.driver.overlay.vxlanid_list": "256" } },
        "IPAMOptions": { "Driver": { "Name": "default" }, "Configs": [ { "Subnet": "10.255.0.0/16", "Gateway": "10.255.0.1" } ] }
      },
      "Addresses": [ "10.255.0.10/16" ]
    }
  ]
}"#;

    #[test]
    fn reads_the_api_example_as_a_bare_object() {
        let b = parse(V124).unwrap();
        assert!(b.problems.is_empty());
        let t = &b.items[0];
        assert_eq!((t.line, t.id.as_str()), (1, "0kzzo1i0y4jz6027t0k7aezc7"));
        assert_eq!(t.service_id, "9mnpnzenvg8p8tdbtq4wvbkcz");
        assert_eq!(
            (t.node_id.as_str(), t.slot),
            ("60gvrl6tm78dmak4yl7srz94v", Some(1))
        );
        assert_eq!(
            (t.state.as_str(), t.desired_state.as_str()),
            ("running", "running")
        );
        assert_eq!((t.message.as_str(), t.err.as_str()), ("started", ""));
        assert!(t.container_id.starts_with("e5d62702a1b4"));
        // ContainerStatus without ExitCode (API 1.24): unknown, not 0.
        assert_eq!(t.exit_code, None);
        assert_eq!(t.timestamp.unwrap().nanosecond(), 290_032_978);
        assert_eq!(
            t.attachments,
            [Attachment {
                network_id: "4qvuz4ko70xaltuqbt8956gd1".into(),
                network_name: "ingress".into(),
                addresses: vec!["10.255.0.10/16".into()],
                vxlan_ids: vec![256],
            }]
        );
        assert!(!t.is_network_attachment);
    }

    /// The Status blocks of seed 002 (docker inspect of rejected tasks, 17.06
    /// EE), verbatim inside a minimal task, plus formats.md §3 [R] failures.
    const FAILURES: &str = r#"[
    {
        "ID": "134tseerb5ayqzb2rngf8c3dx",
        "ServiceID": "wn3x4lu9cnlnk4yc3f0n1tl7e",
        "NodeID": "rflm00eupnjjkrpt9ot2l93eh",
        "Status": {
            "Timestamp": "2018-08-23T21:18:24.469418288Z",
            "State": "rejected",
            "Message": "preparing",
            "Err": "node is missing network attachments, ip addresses may be exhausted",
            "ContainerStatus": {
                "ContainerID": "",
                "PID": 0,
                "ExitCode": 0
            },
            "PortStatus": {}
        },
        "DesiredState": "shutdown"
    },
    {
        "ID": "er7zhjrz3yfjdpa4i9a1d8m2x",
        "Slot": 0,
        "Status": {
            "Timestamp": "2018-08-24T20:26:41.844571484Z",
            "State": "rejected",
            "Message": "preparing",
            "Err": "cannot create a swarm scoped network when swarm is not active",
            "ContainerStatus": {},
            "PortStatus": {}
        },
        "DesiredState": "shutdown"
    },
    {
        "ID": "t8v2c6x1z9b3n7m5q4w0e2r8y",
        "Slot": 2,
        "Status": { "Timestamp": "2024-03-02T10:15:07.5Z", "State": "failed", "Message": "started",
                    "Err": "task: non-zero exit (137)",
                    "ContainerStatus": { "ContainerID": "3f1c0e9d7b5a", "PID": 0, "ExitCode": 137 }, "PortStatus": {} },
        "DesiredState": "shutdown"
    },
    {
        "ID": "p0nd1ngt4sk5chedu1ng00000",
        "Status": { "Timestamp": "2024-03-02T10:14:01.9Z", "State": "pending", "Message": "pending task scheduling",
                    "Err": "no suitable node (scheduling constraints not satisfied on 3 nodes)", "PortStatus": {} },
        "DesiredState": "running"
    }
]"#;

    #[test]
    fn reads_rejected_failed_and_pending_tasks() {
        let b = parse(FAILURES).unwrap();
        assert!(b.problems.is_empty());
        let t: Vec<&Task> = b.items.iter().collect();
        assert_eq!(t.len(), 4);
        assert_eq!(
            t[0].err,
            "node is missing network attachments, ip addresses may be exhausted"
        );
        assert_eq!(
            (t[0].state.as_str(), t[0].desired_state.as_str()),
            ("rejected", "shutdown")
        );
        assert_eq!((t[0].container_id.as_str(), t[0].exit_code), ("", None));
        assert_eq!(t[0].slot, None);
        assert_eq!(t[1].line, 20);
        assert_eq!(
            t[1].err,
            "cannot create a swarm scoped network when swarm is not active"
        );
        assert_eq!(t[1].slot, None, "slot 0 is a global task");
        assert_eq!(t[1].node_id, "");
        assert_eq!((t[2].exit_code, t[2].slot), (Some(137), Some(2)));
        assert_eq!(t[2].timestamp.unwrap().millisecond(), 500);
        assert_eq!(t[3].state, "pending");
        assert!(t[3].err.starts_with("no suitable node"));
        assert!(t[3].container_id.is_empty() && t[3].attachments.is_empty());
    }

    #[test]
    fn network_attachment_tasks_and_host_ports() {
        let text = r#"[
    {
        "ID": "att1",
        "Spec": { "NetworkAttachmentSpec": { "ContainerID": "c0ffee00c0ffee00" }, "Networks": [ { "Target": "n1" } ] },
        "Status": { "State": "running", "PortStatus": { "Ports": [
            { "Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host" } ] } },
        "NetworksAttachments": [ { "Network": { "ID": "n1", "Spec": { "Name": "app_net" },
            "DriverState": { "Options": { "com.docker.network.driver.overlay.vxlanid_list": "4097,4098" } } },
            "Addresses": [ "10.0.1.7/24", "fd00:1::7/64" ] } ]
    }
]"#;
        let t = &parse(text).unwrap().items[0];
        assert!(t.is_network_attachment);
        assert_eq!(t.attached_container_id, "c0ffee00c0ffee00");
        assert_eq!(t.host_ports[0].published, Some(8080));
        assert_eq!(t.host_ports[0].publish_mode, "host");
        assert_eq!(t.attachments[0].vxlan_ids, [4097, 4098]);
        assert_eq!(t.attachments[0].addresses.len(), 2);
    }

    #[test]
    fn cut_tasks_file_keeps_the_complete_tasks() {
        let cut = &FAILURES[..FAILURES.find("task: non-zero").unwrap()];
        let b = parse(cut).unwrap();
        assert_eq!(b.items.len(), 2);
        assert!(b.truncated);
        assert_eq!(b.problems[0].line, Some(33));
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI: an unassigned task and a rejected one of a /29 network.
    const LAB_TASKS: &str = r##"[
    {
        "ID": "ognjgb74z0lp464lj6557r0uu",
        "Version": {
            "Index": 135
        },
        "CreatedAt": "2026-11-22T00:29:37.566268188Z",
        "UpdatedAt": "2026-11-22T00:29:42.566922875Z",
        "Labels": {},
        "Spec": {
            "ContainerSpec": {
                "Image": "lab/busybox:1",
                "Args": [
                    "sleep",
                    "100000"
                ],
                "Init": false,
                "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {
                "Limits": {},
                "Reservations": {}
            },
            "Placement": {},
            "Networks": [
                {
                    "Target": "sgb5miokwdr8r6qdiy3mgt9z5"
                }
            ],
            "ForceUpdate": 0
        },
        "ServiceID": "vvwov499gyx04bxtswj1vdf4w",
        "Slot": 1,
        "Status": {
            "Timestamp": "2026-11-22T00:29:37.56623606Z",
            "State": "new",
            "Message": "created",
            "PortStatus": {}
        },
        "DesiredState": "running"
    },
    {
        "ID": "wx4gfhrdjvmtyntbqfs1c8tq8",
        "Version": {
            "Index": 124
        },
        "CreatedAt": "2026-11-22T00:29:07.177744291Z",
        "UpdatedAt": "2026-11-22T00:29:37.861143359Z",
        "Labels": {},
        "Spec": {
            "ContainerSpec": {
                "Image": "lab/busybox:1",
                "Args": [
                    "sleep",
                    "100000"
                ],
                "Init": false,
                "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {
                "Limits": {},
                "Reservations": {}
            },
            "Placement": {},
            "Networks": [
                {
                    "Target": "sgb5miokwdr8r6qdiy3mgt9z5"
                }
            ],
            "ForceUpdate": 0
        },
        "ServiceID": "vvwov499gyx04bxtswj1vdf4w",
        "Slot": 1,
        "NodeID": "izexcgmb7m1srrlo951hmgg75",
        "Status": {
            "Timestamp": "2026-11-22T00:29:37.457506825Z",
            "State": "rejected",
            "Message": "preparing",
            "Err": "node is missing network attachments, ip addresses may be exhausted",
            "ContainerStatus": {
                "ContainerID": "",
                "PID": 0,
                "ExitCode": 0
            },
            "PortStatus": {}
        },
        "DesiredState": "shutdown",
        "NetworksAttachments": [
            {
                "Network": {
                    "ID": "sgb5miokwdr8r6qdiy3mgt9z5",
                    "Version": {
                        "Index": 12
                    },
                    "CreatedAt": "2026-11-22T00:29:07.034635412Z",
                    "UpdatedAt": "2026-11-22T00:29:07.046433314Z",
                    "Spec": {
                        "Name": "tiny",
                        "Labels": {},
                        "DriverConfiguration": {
                            "Name": "overlay"
                        },
                        "Attachable": true,
                        "IPAMOptions": {
                            "Driver": {
                                "Name": "default"
                            },
                            "Configs": [
                                {
                                    "Subnet": "10.60.0.0/29",
                                    "Gateway": "10.60.0.1"
                                }
                            ]
                        },
                        "Scope": "swarm"
                    },
                    "DriverState": {
                        "Name": "overlay",
                        "Options": {
                            "com.docker.network.driver.overlay.vxlanid_list": "4097"
                        }
                    },
                    "IPAMOptions": {
                        "Driver": {
                            "Name": "default"
                        },
                        "Configs": [
                            {
                                "Subnet": "10.60.0.0/29",
                                "Gateway": "10.60.0.1"
                            }
                        ]
                    }
                },
                "Addresses": [
                    "10.60.0.5/29"
                ]
            }
        ]
    }
]
"##;

    #[test]
    fn reads_real_unassigned_and_rejected_tasks() {
        let b = parse(LAB_TASKS).unwrap();
        assert!(b.problems.is_empty());
        let (new, rejected) = (&b.items[0], &b.items[1]);
        assert_eq!(
            (new.id.as_str(), new.node_id.as_str(), new.state.as_str()),
            ("ognjgb74z0lp464lj6557r0uu", "", "new")
        );
        assert_eq!(
            (new.slot, new.exit_code, new.attachments.len()),
            (Some(1), None, 0)
        );
        assert_eq!(rejected.line, 43);
        assert_eq!(rejected.node_id, "izexcgmb7m1srrlo951hmgg75");
        assert_eq!(
            (rejected.state.as_str(), rejected.desired_state.as_str()),
            ("rejected", "shutdown")
        );
        assert_eq!(
            rejected.err,
            "node is missing network attachments, ip addresses may be exhausted"
        );
        assert_eq!(
            (rejected.container_id.as_str(), rejected.exit_code),
            ("", None)
        );
        let att = &rejected.attachments[0];
        assert_eq!(
            (att.network_name.as_str(), att.vxlan_ids.as_slice()),
            ("tiny", &[4097][..])
        );
        assert_eq!(att.addresses, ["10.60.0.5/29"]);
    }
}
