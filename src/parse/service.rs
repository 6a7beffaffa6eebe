//! `docker service inspect <ids…>` (`swarm/services.json`): each service's
//! spec and the manager's allocated endpoint (published ports, VIPs).
//!
//! ```json
//! [
//!     {
//!         "ID": "ak7w3gjqoa3kuz8xcpnyy0pvl",
//!         "Spec": {
//!             "Name": "redis",
//!             "TaskTemplate": { "ContainerSpec": { "Image": "redis" },
//!                               "Networks": [ { "Target": "kf6o2mc3mv9wnbn1oq0rjoxe3" } ] },
//!             "Mode": { "Replicated": { "Replicas": 1 } },
//!             "EndpointSpec": { "Mode": "vip", "Ports": [ { "Protocol": "tcp", "TargetPort": 6379, "PublishedPort": 30001 } ] }
//!         },
//!         "Endpoint": {
//!             "Ports": [ { "Protocol": "tcp", "TargetPort": 6379, "PublishedPort": 30001, "PublishMode": "ingress" } ],
//!             "VirtualIPs": [ { "NetworkID": "4qvuz4ko70xaltuqbt8956gd1", "Addr": "10.255.0.4/16" } ]
//!         },
//!         "UpdateStatus": { "State": "paused", "Message": "update paused due to failure ..." }
//!     }
//! ]
//! ```
//!
//! Version drift handled: networks in the deprecated `Spec.Networks` (old
//! clients), `PublishMode` absent before API 1.25 (meaning ingress),
//! `UpdateStatus` always present with zero times in 17.03, `Addr` omitted on
//! Docker 29 when zero.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_batch, Batch};
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// 1-based line where the service's object starts.
    pub line: usize,
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `Spec.TaskTemplate.ContainerSpec.Image`, digest included.
    pub image: String,
    pub mode: ServiceMode,
    /// `vip` (also when absent) or `dnsrr`; the effective `Endpoint.Spec`
    /// value wins over `Spec.EndpointSpec`.
    pub endpoint_mode: String,
    /// Effective published ports: `Endpoint.Ports` when the manager has
    /// allocated any, else the spec's ports.
    pub ports: Vec<PublishedPort>,
    /// Ports as requested in `Spec.EndpointSpec.Ports`. Differs from `ports`
    /// when the allocation is missing or changed.
    pub spec_ports: Vec<PublishedPort>,
    /// `Endpoint.VirtualIPs`, one per attached network (ingress included).
    pub vips: Vec<Vip>,
    /// Network targets (usually IDs, sometimes names) from
    /// `Spec.TaskTemplate.Networks` then the deprecated `Spec.Networks`,
    /// without duplicates, in that order.
    pub networks: Vec<String>,
    pub update_status: Option<UpdateStatus>,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

/// How many tasks the service wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceMode {
    /// Replica count; an absent `Replicas` means 0. A spec without any mode
    /// reads as `Replicated(1)`, the daemon's default.
    Replicated(u64),
    Global,
    ReplicatedJob,
    GlobalJob,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// `tcp` (also when absent), `udp` or `sctp`.
    pub protocol: String,
    pub target: u16,
    /// `None` when absent or 0 (not yet assigned, or host mode without a port).
    pub published: Option<u16>,
    /// `ingress` (also when absent, API ≤ 1.24) or `host`.
    pub publish_mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    pub network_id: String,
    /// The IP without its `/len`; empty when Docker 29 omitted a zero `Addr`.
    pub addr: String,
    pub prefix_len: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateStatus {
    /// `updating`, `paused`, `completed`, `rollback_started`,
    /// `rollback_paused` or `rollback_completed`.
    pub state: String,
    pub message: String,
    pub started_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
}

/// Parses the output of `docker service inspect`.
pub fn parse(text: &str) -> Result<Batch<Service>, ParseError> {
    parse_batch(text, convert)
}

/// Splits `10.255.0.4/16` into (`10.255.0.4`, `Some(16)`); an address without
/// a usable `/len` keeps its text and gives `None`.
pub fn split_cidr(s: &str) -> (String, Option<u8>) {
    let s = s.trim();
    match s.split_once('/') {
        Some((ip, len)) => (ip.to_string(), len.parse().ok()),
        None => (s.to_string(), None),
    }
}

fn convert(line: usize, w: Wire) -> Service {
    let spec = w.spec.unwrap_or_default();
    let template = spec.task_template.unwrap_or_default();
    let endpoint = w.endpoint.unwrap_or_default();
    let endpoint_spec = endpoint.spec.unwrap_or_default();
    let requested = spec.endpoint_spec.unwrap_or_default();

    let spec_ports: Vec<PublishedPort> = requested
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(port)
        .collect();
    let ports = match (endpoint.ports, endpoint_spec.ports) {
        (Some(p), _) if !p.is_empty() => p.into_iter().map(port).collect(),
        (_, Some(p)) if !p.is_empty() => p.into_iter().map(port).collect(),
        _ => spec_ports.clone(),
    };
    let endpoint_mode = [endpoint_spec.mode, requested.mode]
        .into_iter()
        .flatten()
        .find(|m| !m.is_empty())
        .unwrap_or_else(|| "vip".to_string());

    let mut networks: Vec<String> = Vec::new();
    let attached = template.networks.unwrap_or_default().into_iter();
    for target in attached
        .chain(spec.networks.unwrap_or_default())
        .filter_map(|n| n.target)
    {
        if !target.is_empty() && !networks.contains(&target) {
            networks.push(target);
        }
    }

    Service {
        line,
        id: w.id.unwrap_or_default(),
        name: spec.name.unwrap_or_default(),
        labels: spec.labels.unwrap_or_default(),
        image: template
            .container_spec
            .and_then(|c| c.image)
            .unwrap_or_default(),
        mode: mode(spec.mode),
        endpoint_mode,
        ports,
        spec_ports,
        vips: endpoint
            .virtual_ips
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                let (addr, prefix_len) = split_cidr(v.addr.as_deref().unwrap_or(""));
                Vip {
                    network_id: v.network_id.unwrap_or_default(),
                    addr,
                    prefix_len,
                }
            })
            .collect(),
        networks,
        update_status: w.update_status.and_then(update_status),
        created_at: api_time(&w.created_at),
        updated_at: api_time(&w.updated_at),
    }
}

fn mode(m: Option<WireMode>) -> ServiceMode {
    let Some(m) = m else {
        return ServiceMode::Replicated(1);
    };
    if let Some(r) = m.replicated {
        ServiceMode::Replicated(r.replicas.unwrap_or(0))
    } else if m.global.is_some() {
        ServiceMode::Global
    } else if m.replicated_job.is_some() {
        ServiceMode::ReplicatedJob
    } else if m.global_job.is_some() {
        ServiceMode::GlobalJob
    } else {
        ServiceMode::Replicated(1)
    }
}

fn port(p: WirePort) -> PublishedPort {
    PublishedPort {
        protocol: p
            .protocol
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "tcp".into()),
        target: p
            .target_port
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(0),
        published: p
            .published_port
            .and_then(|n| u16::try_from(n).ok())
            .filter(|&n| n != 0),
        publish_mode: p
            .publish_mode
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "ingress".into()),
    }
}

/// 17.03 printed an empty `UpdateStatus` with zero times on every service:
/// no state means no update.
fn update_status(u: WireUpdate) -> Option<UpdateStatus> {
    let state = u.state.unwrap_or_default();
    if state.is_empty() {
        return None;
    }
    Some(UpdateStatus {
        state,
        message: u.message.unwrap_or_default(),
        started_at: api_time(&u.started_at),
        completed_at: api_time(&u.completed_at),
    })
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    #[serde(rename = "ID")]
    id: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    spec: Option<WireSpec>,
    endpoint: Option<WireEndpoint>,
    update_status: Option<WireUpdate>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireSpec {
    name: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    task_template: Option<WireTemplate>,
    mode: Option<WireMode>,
    endpoint_spec: Option<WireEndpointSpec>,
    networks: Option<Vec<WireNetwork>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireTemplate {
    container_spec: Option<WireContainerSpec>,
    networks: Option<Vec<WireNetwork>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireContainerSpec {
    image: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireNetwork {
    target: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireMode {
    replicated: Option<WireReplicated>,
    global: Option<IgnoredAny>,
    replicated_job: Option<IgnoredAny>,
    global_job: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireReplicated {
    replicas: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireEndpointSpec {
    mode: Option<String>,
    ports: Option<Vec<WirePort>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct WirePort {
    protocol: Option<String>,
    // Go's uint32: an out-of-range value must not cost the whole service.
    target_port: Option<u32>,
    published_port: Option<u32>,
    publish_mode: Option<String>,
}

impl From<WirePort> for PublishedPort {
    fn from(p: WirePort) -> Self {
        port(p)
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireEndpoint {
    spec: Option<WireEndpointSpec>,
    ports: Option<Vec<WirePort>>,
    #[serde(rename = "VirtualIPs")]
    virtual_ips: Option<Vec<WireVip>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireVip {
    #[serde(rename = "NetworkID")]
    network_id: Option<String>,
    addr: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireUpdate {
    state: Option<String>,
    message: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number out of range (`1e400`, 2^64) in one field keeps the service
    /// and notes the field (issue 12: it used to drop the whole service).
    #[test]
    fn issue12_out_of_range_numbers_keep_the_service_and_note_the_field() {
        let text = r#"[
    {
        "ID": "svc1",
        "Spec": { "Name": "web", "Mode": { "Replicated": { "Replicas": 1e400 } } }
    },
    {
        "ID": "svc2",
        "Spec": { "Name": "api", "Mode": { "Replicated": { "Replicas": 18446744073709551616 } },
                  "EndpointSpec": { "Ports": [ { "TargetPort": 80, "PublishedPort": 4294967296 } ] } }
    }
]"#;
        let b = parse(text).unwrap();
        let names: Vec<&str> = b.items.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["web", "api"], "{:?}", b.problems);
        assert_eq!(b.items[1].spec_ports[0].target, 80);
        assert_eq!(b.items[1].spec_ports[0].published, None);
        let notes: Vec<String> = b.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[0].contains("line 4")
                && notes[0].contains("Replicas")
                && notes[0].contains("1e400"),
            "{notes:?}"
        );
        assert!(
            notes[1].contains("Replicas") && notes[1].contains("18446744073709551616"),
            "{notes:?}"
        );
        assert!(
            notes[2].contains("PublishedPort") && notes[2].contains("4294967296"),
            "{notes:?}"
        );
    }

    /// formats.md §2 [V] from api/docs/v1.24.md: a bare object, API 1.24
    /// (no `PublishMode`).
    const V124: &str = r#"{
  "ID": "ak7w3gjqoa3kuz8xcpnyy0pvl",
  "Version": { "Index": 95 },
  "CreatedAt": "2016-06-07T21:10:20.269723157Z",
  "UpdatedAt": "2016-06-07T21:10:20.276301259Z",
  "Spec": {
    "Name": "redis",
    "TaskTemplate": {
      "ContainerSpec": { "Image": "redis" },
      "Resources": { "Limits": {}, "Reservations": {} },
      "RestartPolicy": { "Condition": "any", "MaxAttempts": 0 },
      "Placement": {}
    },
    "Mode": { "Replicated": { "Replicas": 1 } },
    "UpdateConfig": { "Parallelism": 1, "FailureAction": "pause" },
    "EndpointSpec": {
      "Mode": "vip",
      "Ports": [ { "Protocol": "tcp", "TargetPort": 6379, "PublishedPort": 30001 } ]
    }
  },
  "Endpoint": {
    "Spec": { "Mode": "vip", "Ports": [ { "Protocol": "tcp", "TargetPort": 6379, "PublishedPort": 30001 } ] },
    "Ports": [ { "Protocol": "tcp", "TargetPort": 6379, "PublishedPort": 30001 } ],
    "VirtualIPs": [ { "NetworkID": "4qvuz4ko70xaltuqbt8956gd1", "Addr": "10.255.0.4/16" } ]
  }
}"#;

    /// formats.md §2 [R] modern shape (17.06+), wrapped as the CLI prints it.
    const MODERN: &str = r#"[
    {
    "ID": "x1y2z3a4b5c6d7e8f9g0h1i2j",
    "Spec": {
        "Name": "app_web",
        "Labels": { "com.docker.stack.namespace": "app" },
        "TaskTemplate": {
            "ContainerSpec": { "Image": "nginx:1.27@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842" },
            "Networks": [ { "Target": "kf6o2mc3mv9wnbn1oq0rjoxe3", "Aliases": [ "web" ] } ],
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": { "Replicated": { "Replicas": 3 } },
        "UpdateConfig": { "Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000, "MaxFailureRatio": 0, "Order": "stop-first" },
        "EndpointSpec": { "Mode": "vip", "Ports": [ { "Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress" } ] }
    },
    "Endpoint": {
        "Spec": { "Mode": "vip", "Ports": [ { "Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress" } ] },
        "Ports": [ { "Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress" } ],
        "VirtualIPs": [
            { "NetworkID": "wxr5yo3u3q2zt0n8y6v0i4jyk", "Addr": "10.255.0.5/16" },
            { "NetworkID": "kf6o2mc3mv9wnbn1oq0rjoxe3", "Addr": "10.0.1.2/24" }
        ]
    },
    "UpdateStatus": {
        "State": "paused",
        "StartedAt": "2024-03-02T10:15:00.123456789Z",
        "Message": "update paused due to failure or early termination of task t8v2c6x1z9b3n7m5q4w0e2r8y"
    }
    }
]"#;

    #[test]
    fn reads_the_api_1_24_example() {
        let b = parse(V124).unwrap();
        assert!(b.problems.is_empty());
        let s = &b.items[0];
        assert_eq!(
            (s.line, s.id.as_str(), s.name.as_str()),
            (1, "ak7w3gjqoa3kuz8xcpnyy0pvl", "redis")
        );
        assert_eq!(s.image, "redis");
        assert_eq!(s.mode, ServiceMode::Replicated(1));
        assert_eq!(s.endpoint_mode, "vip");
        let expected = PublishedPort {
            protocol: "tcp".into(),
            target: 6379,
            published: Some(30001),
            publish_mode: "ingress".into(),
        };
        assert_eq!(s.spec_ports, s.ports);
        assert_eq!(s.ports, [expected]);
        assert_eq!(
            s.vips,
            [Vip {
                network_id: "4qvuz4ko70xaltuqbt8956gd1".into(),
                addr: "10.255.0.4".into(),
                prefix_len: Some(16)
            }]
        );
        assert!(s.networks.is_empty());
        assert_eq!(s.update_status, None);
        assert_eq!(s.created_at.unwrap().nanosecond(), 269_723_157);
    }

    #[test]
    fn reads_the_modern_shape_with_a_paused_update() {
        let b = parse(MODERN).unwrap();
        let s = &b.items[0];
        assert_eq!(s.line, 2);
        assert_eq!(s.mode, ServiceMode::Replicated(3));
        assert!(s.image.ends_with("d69842"));
        assert_eq!(
            s.labels
                .get("com.docker.stack.namespace")
                .map(String::as_str),
            Some("app")
        );
        assert_eq!(s.networks, ["kf6o2mc3mv9wnbn1oq0rjoxe3"]);
        assert_eq!(s.vips.len(), 2);
        assert_eq!(
            (s.vips[1].addr.as_str(), s.vips[1].prefix_len),
            ("10.0.1.2", Some(24))
        );
        let u = s.update_status.as_ref().unwrap();
        assert_eq!(u.state, "paused");
        assert!(u.message.ends_with("t8v2c6x1z9b3n7m5q4w0e2r8y"));
        assert_eq!(u.started_at.unwrap().nanosecond(), 123_456_789);
        assert_eq!(u.completed_at, None);
    }

    #[test]
    fn global_dnsrr_jobs_and_missing_modes() {
        let text = r#"[
    { "ID": "g1", "Spec": { "Name": "agent", "Mode": { "Global": {} }, "EndpointSpec": { "Mode": "dnsrr" } },
      "Endpoint": { "Spec": { "Mode": "dnsrr" } } },
    { "ID": "j1", "Spec": { "Name": "migrate", "Mode": { "ReplicatedJob": { "MaxConcurrent": 1, "TotalCompletions": 1 } } },
      "JobStatus": { "JobIteration": { "Index": 1 } } },
    { "ID": "j2", "Spec": { "Name": "sweep", "Mode": { "GlobalJob": {} } } },
    { "ID": "r0", "Spec": { "Name": "scaled-down", "Mode": { "Replicated": {} } } },
    { "ID": "nm", "Spec": { "Name": "no-mode" } }
]"#;
        let b = parse(text).unwrap();
        let modes: Vec<ServiceMode> = b.items.iter().map(|s| s.mode).collect();
        assert_eq!(
            modes,
            [
                ServiceMode::Global,
                ServiceMode::ReplicatedJob,
                ServiceMode::GlobalJob,
                ServiceMode::Replicated(0),
                ServiceMode::Replicated(1)
            ]
        );
        assert_eq!(b.items[0].endpoint_mode, "dnsrr");
        assert!(b.items[0].vips.is_empty() && b.items[0].ports.is_empty());
        assert_eq!(b.items[1].endpoint_mode, "vip");
    }

    #[test]
    fn old_spec_networks_host_ports_and_zero_update_status() {
        // 17.03 shape: networks in Spec.Networks, UpdateStatus with zero times.
        let text = r#"[
    {
        "ID": "old1",
        "Spec": {
            "Name": "legacy",
            "TaskTemplate": { "Networks": [ { "Target": "net-a" } ] },
            "Networks": [ { "Target": "net-a" }, { "Target": "net-b" } ],
            "EndpointSpec": { "Ports": [ { "Protocol": "udp", "TargetPort": 53, "PublishedPort": 53, "PublishMode": "host" } ] }
        },
        "Endpoint": { "Spec": {} },
        "UpdateStatus": { "StartedAt": "0001-01-01T00:00:00Z", "CompletedAt": "0001-01-01T00:00:00Z" }
    }
]"#;
        let s = &parse(text).unwrap().items[0];
        assert_eq!(s.networks, ["net-a", "net-b"]);
        assert_eq!(s.update_status, None);
        // Endpoint has no ports (not allocated): fall back to the spec.
        assert_eq!(s.ports.len(), 1);
        assert_eq!(
            (
                s.ports[0].protocol.as_str(),
                s.ports[0].publish_mode.as_str()
            ),
            ("udp", "host")
        );
        assert_eq!(s.created_at, None);
    }

    #[test]
    fn docker_29_omitted_vip_addr_and_auto_published_port() {
        let text = r#"{"ID":"n29","Spec":{"Name":"s"},"Endpoint":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishMode":"ingress"}],"VirtualIPs":[{"NetworkID":"abc"}]}}"#;
        let s = &parse(text).unwrap().items[0];
        assert_eq!(s.ports[0].published, None);
        assert_eq!((s.vips[0].addr.as_str(), s.vips[0].prefix_len), ("", None));
    }

    #[test]
    fn split_cidr_cases() {
        assert_eq!(split_cidr("10.0.1.2/24"), ("10.0.1.2".into(), Some(24)));
        assert_eq!(split_cidr("fd00::2/64"), ("fd00::2".into(), Some(64)));
        assert_eq!(split_cidr("10.0.1.2"), ("10.0.1.2".into(), None));
        assert_eq!(split_cidr("10.0.1.2/x"), ("10.0.1.2".into(), None));
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI: a global dnsrr service with a host-mode port.
    const LAB_GLOBAL_DNSRR: &str = r##"[
    {
        "ID": "qffp79iczwrmljamauhppb410",
        "Version": {
            "Index": 20
        },
        "CreatedAt": "2026-11-22T00:29:07.148310538Z",
        "UpdatedAt": "2026-11-22T00:29:07.14988628Z",
        "Spec": {
            "Name": "agent",
            "Labels": {},
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "lab/busybox:1",
                    "Args": [
                        "sleep",
                        "100000"
                    ],
                    "Init": false,
                    "StopGracePeriod": 10000000000,
                    "DNSConfig": {},
                    "Isolation": "default"
                },
                "Resources": {
                    "Limits": {},
                    "Reservations": {}
                },
                "RestartPolicy": {
                    "Condition": "any",
                    "Delay": 5000000000,
                    "MaxAttempts": 0
                },
                "Placement": {},
                "Networks": [
                    {
                        "Target": "ozf20rnm5gj96zvjzsv1hpcsf"
                    }
                ],
                "ForceUpdate": 0,
                "Runtime": "container"
            },
            "Mode": {
                "Global": {}
            },
            "UpdateConfig": {
                "Parallelism": 1,
                "FailureAction": "pause",
                "Monitor": 5000000000,
                "MaxFailureRatio": 0,
                "Order": "stop-first"
            },
            "RollbackConfig": {
                "Parallelism": 1,
                "FailureAction": "pause",
                "Monitor": 5000000000,
                "MaxFailureRatio": 0,
                "Order": "stop-first"
            },
            "EndpointSpec": {
                "Mode": "dnsrr",
                "Ports": [
                    {
                        "Protocol": "tcp",
                        "TargetPort": 9100,
                        "PublishedPort": 9100,
                        "PublishMode": "host"
                    }
                ]
            }
        },
        "Endpoint": {
            "Spec": {
                "Mode": "dnsrr",
                "Ports": [
                    {
                        "Protocol": "tcp",
                        "TargetPort": 9100,
                        "PublishedPort": 9100,
                        "PublishMode": "host"
                    }
                ]
            },
            "Ports": [
                {
                    "Protocol": "tcp",
                    "TargetPort": 9100,
                    "PublishedPort": 9100,
                    "PublishMode": "host"
                }
            ]
        }
    }
]
"##;

    #[test]
    fn reads_a_real_global_dnsrr_service() {
        let b = parse(LAB_GLOBAL_DNSRR).unwrap();
        assert!(b.problems.is_empty());
        let s = &b.items[0];
        assert_eq!(
            (s.name.as_str(), s.mode, s.endpoint_mode.as_str()),
            ("agent", ServiceMode::Global, "dnsrr")
        );
        assert_eq!(
            s.ports,
            [PublishedPort {
                protocol: "tcp".into(),
                target: 9100,
                published: Some(9100),
                publish_mode: "host".into()
            }]
        );
        assert!(s.vips.is_empty(), "dnsrr has no VIP");
        assert_eq!(s.networks, ["ozf20rnm5gj96zvjzsv1hpcsf"]);
        assert_eq!(s.image, "lab/busybox:1");
        assert_eq!(s.update_status, None);
    }
}
