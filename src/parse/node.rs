//! `docker node inspect <ids…>` (`swarm/nodes.json`): the manager's view of
//! every node.
//!
//! ```json
//! [
//!     {
//!         "ID": "e216jshn25ckzbvmwlnh5jr3g",
//!         "CreatedAt": "2017-05-16T22:52:44.9910662Z",
//!         "Spec": { "Role": "manager", "Availability": "active" },
//!         "Description": { "Hostname": "swarm-manager", "Engine": { "EngineVersion": "17.06.0-ce" } },
//!         "Status": { "State": "ready", "Addr": "168.0.32.137" },
//!         "ManagerStatus": { "Leader": true, "Reachability": "reachable", "Addr": "168.0.32.137:2377" }
//!     }
//! ]
//! ```
//!
//! `ManagerStatus` is absent on workers and `Leader` is absent when false.
//! `Status.Addr` is the source address the manager saw, so it can be
//! `0.0.0.0` or `127.0.0.1`; [`Node::advertise_ip`] prefers the manager
//! address.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_batch, Batch};
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// 1-based line where the node's object starts.
    pub line: usize,
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, `unknown` or `disconnected`.
    pub state: String,
    /// e.g. `heartbeat failure`; empty when absent.
    pub status_message: String,
    /// `Status.Addr`; empty when absent.
    pub addr: String,
    pub engine_version: String,
    /// `Spec.Labels` (user node labels).
    pub labels: BTreeMap<String, String>,
    pub manager: Option<ManagerStatus>,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    /// `Description.Platform.Architecture` and `.OS`; empty when absent.
    pub arch: String,
    pub os: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerStatus {
    pub leader: bool,
    /// `reachable`, `unreachable` or `unknown`.
    pub reachability: String,
    /// `host:port`, e.g. `10.0.0.1:2377` or `[fd00::1]:2377`.
    pub addr: String,
}

impl Node {
    /// The node's advertise address: the host part of `ManagerStatus.Addr`
    /// for managers, else `Status.Addr` unless it is unspecified or loopback
    /// (`0.0.0.0`, `127.0.0.1`), which managers report for themselves.
    pub fn advertise_ip(&self) -> Option<String> {
        let from_manager = self.manager.as_ref().map(|m| host_part(&m.addr));
        from_manager
            .into_iter()
            .chain(std::iter::once(self.addr.trim()))
            .find(|h| usable_ip(h))
            .map(str::to_string)
    }
}

/// `10.0.0.1:2377` → `10.0.0.1`, `[fd00::1]:2377` → `fd00::1`, a bare
/// address stays as it is.
fn host_part(addr: &str) -> &str {
    let addr = addr.trim();
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match addr.rsplit_once(':') {
        // Exactly one colon: host:port. More colons: a bare IPv6 address.
        Some((host, _)) if !host.contains(':') => host,
        _ => addr,
    }
}

fn usable_ip(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => !ip.is_unspecified() && !ip.is_loopback(),
        Err(_) => !host.is_empty(),
    }
}

/// Parses the output of `docker node inspect`.
pub fn parse(text: &str) -> Result<Batch<Node>, ParseError> {
    parse_batch(text, convert)
}

fn convert(line: usize, w: Wire) -> Node {
    let spec = w.spec.unwrap_or_default();
    let desc = w.description.unwrap_or_default();
    let platform = desc.platform.unwrap_or_default();
    let status = w.status.unwrap_or_default();
    Node {
        line,
        id: w.id.unwrap_or_default(),
        hostname: desc.hostname.unwrap_or_default(),
        role: spec.role.unwrap_or_default(),
        availability: spec.availability.unwrap_or_default(),
        state: status.state.unwrap_or_default(),
        status_message: status.message.unwrap_or_default(),
        addr: status.addr.unwrap_or_default(),
        engine_version: desc
            .engine
            .and_then(|e| e.engine_version)
            .unwrap_or_default(),
        labels: spec.labels.unwrap_or_default(),
        manager: w.manager_status.map(|m| ManagerStatus {
            leader: m.leader.unwrap_or(false),
            reachability: m.reachability.unwrap_or_default(),
            addr: m.addr.unwrap_or_default(),
        }),
        created_at: api_time(&w.created_at),
        updated_at: api_time(&w.updated_at),
        arch: platform.architecture.unwrap_or_default(),
        os: platform.os.unwrap_or_default(),
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
    description: Option<WireDescription>,
    status: Option<WireStatus>,
    manager_status: Option<WireManager>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireSpec {
    role: Option<String>,
    availability: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireDescription {
    hostname: Option<String>,
    platform: Option<WirePlatform>,
    engine: Option<WireEngine>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WirePlatform {
    architecture: Option<String>,
    #[serde(rename = "OS")]
    os: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireEngine {
    engine_version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireStatus {
    state: Option<String>,
    message: Option<String>,
    addr: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireManager {
    leader: Option<bool>,
    reachability: Option<String>,
    addr: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// formats.md §1 [V] (docker/cli docs node_inspect.md), trimmed there.
    const DOCS: &str = r#"[
  {
    "ID": "e216jshn25ckzbvmwlnh5jr3g",
    "Version": {
      "Index": 10
    },
    "CreatedAt": "2017-05-16T22:52:44.9910662Z",
    "UpdatedAt": "2017-05-16T22:52:45.230878043Z",
    "Spec": {
      "Role": "manager",
      "Availability": "active"
    },
    "Description": {
      "Hostname": "swarm-manager",
      "Platform": {
        "Architecture": "x86_64",
        "OS": "linux"
      },
      "Resources": {
        "NanoCPUs": 1000000000,
        "MemoryBytes": 1039843328
      },
      "Engine": {
        "EngineVersion": "17.06.0-ce",
        "Plugins": [ { "Type": "Network", "Name": "overlay" } ]
      },
      "TLSInfo": { "TrustRoot": "-----BEGIN CERTIFICATE-----\n...", "CertIssuerSubject": "...", "CertIssuerPublicKey": "..." }
    },
    "Status": {
      "State": "ready",
      "Addr": "168.0.32.137"
    },
    "ManagerStatus": {
      "Leader": true,
      "Reachability": "reachable",
      "Addr": "168.0.32.137:2377"
    }
  }
]"#;

    /// formats.md §1 [R] unhealthy variants, wrapped in an array.
    const UNHEALTHY: &str = r#"[
  { "ID": "p2xq4c8t9z1m0y7w5v3u6s4r2", "Spec": { "Labels": {}, "Role": "worker", "Availability": "drain" },
    "Description": { "Hostname": "wrk1", "Engine": { "EngineVersion": "20.10.24" } },
    "Status": { "State": "down", "Message": "heartbeat failure", "Addr": "10.10.0.21" } },
  { "ID": "hq3k9d2e7f1g5j8l0n4b6c2a9", "Spec": { "Labels": {}, "Role": "manager", "Availability": "active" },
    "Description": { "Hostname": "mgr2", "Engine": { "EngineVersion": "28.5.1" } },
    "Status": { "State": "unknown", "Message": "Node moved to \"unknown\" state due to leadership change in cluster", "Addr": "0.0.0.0" },
    "ManagerStatus": { "Reachability": "unreachable", "Addr": "10.10.0.12:2377" } }
]"#;

    #[test]
    fn reads_the_documented_manager() {
        let b = parse(DOCS).unwrap();
        assert!(b.problems.is_empty());
        let n = &b.items[0];
        assert_eq!(n.line, 2);
        assert_eq!(n.id, "e216jshn25ckzbvmwlnh5jr3g");
        assert_eq!(
            (n.hostname.as_str(), n.role.as_str()),
            ("swarm-manager", "manager")
        );
        assert_eq!(
            (n.availability.as_str(), n.state.as_str()),
            ("active", "ready")
        );
        assert_eq!(n.engine_version, "17.06.0-ce");
        assert_eq!((n.arch.as_str(), n.os.as_str()), ("x86_64", "linux"));
        let m = n.manager.as_ref().unwrap();
        assert!(m.leader);
        assert_eq!(m.reachability, "reachable");
        assert_eq!(n.created_at.unwrap().nanosecond(), 991_066_200);
        assert_eq!(n.advertise_ip().as_deref(), Some("168.0.32.137"));
    }

    #[test]
    fn reads_down_and_unknown_nodes() {
        let b = parse(UNHEALTHY).unwrap();
        assert_eq!(b.items.len(), 2);
        let (wrk, mgr) = (&b.items[0], &b.items[1]);
        assert_eq!(wrk.line, 2);
        assert_eq!(mgr.line, 5);
        assert!(wrk.manager.is_none());
        assert_eq!(
            (wrk.state.as_str(), wrk.status_message.as_str()),
            ("down", "heartbeat failure")
        );
        assert_eq!(wrk.availability, "drain");
        assert_eq!(wrk.advertise_ip().as_deref(), Some("10.10.0.21"));
        assert_eq!(wrk.created_at, None);
        let m = mgr.manager.as_ref().unwrap();
        assert!(!m.leader, "absent Leader means false");
        assert_eq!(m.reachability, "unreachable");
        assert!(mgr.status_message.contains("leadership change"));
        // Status.Addr is 0.0.0.0 on this manager: the manager address wins.
        assert_eq!(mgr.advertise_ip().as_deref(), Some("10.10.0.12"));
    }

    #[test]
    fn advertise_ip_handles_ipv6_and_bad_addresses() {
        let mut n = parse(UNHEALTHY).unwrap().items.remove(1);
        n.manager.as_mut().unwrap().addr = "[fd00::1]:2377".into();
        assert_eq!(n.advertise_ip().as_deref(), Some("fd00::1"));
        n.manager.as_mut().unwrap().addr = String::new();
        assert_eq!(
            n.advertise_ip(),
            None,
            "0.0.0.0 is never an advertise address"
        );
        n.addr = "127.0.0.1".into();
        assert_eq!(n.advertise_ip(), None);
        n.addr = "10.10.0.12".into();
        assert_eq!(n.advertise_ip().as_deref(), Some("10.10.0.12"));
        assert_eq!(host_part("fd00::2"), "fd00::2");
    }

    #[test]
    fn null_labels_and_a_bad_node_do_not_lose_the_rest() {
        let text = r#"[
    { "ID": "aaaaaaaaaaaaaaaaaaaaaaaaa", "Spec": { "Labels": null, "Role": "worker" }, "ManagerStatus": null },
    { "ID": "bbbbbbbbbbbbbbbbbbbbbbbbb", "Spec": { "Role": ["manager"] } },
    { "ID": "ccccccccccccccccccccccccc", "Spec": { "Labels": { "zone": "a" } } }
]"#;
        let b = parse(text).unwrap();
        assert_eq!(b.items.len(), 2);
        assert!(b.items[0].labels.is_empty() && b.items[0].manager.is_none());
        assert_eq!(b.items[1].labels.get("zone").map(String::as_str), Some("a"));
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].line, Some(3));
    }

    #[test]
    fn worker_error_text_is_an_error() {
        let err = parse("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.\n").unwrap_err();
        assert!(err.message.contains("not a swarm manager"));
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI.
    const LAB_NODE: &str = r##"[
    {
        "ID": "izexcgmb7m1srrlo951hmgg75",
        "Version": {
            "Index": 113
        },
        "CreatedAt": "2026-11-22T00:29:06.253005102Z",
        "UpdatedAt": "2026-11-22T00:29:37.46045595Z",
        "Spec": {
            "Labels": {},
            "Role": "manager",
            "Availability": "active"
        },
        "Description": {
            "Hostname": "pdnode1",
            "Platform": {
                "Architecture": "x86_64",
                "OS": "linux"
            },
            "Resources": {
                "NanoCPUs": 2000000000,
                "MemoryBytes": 25276502016
            },
            "Engine": {
                "EngineVersion": "20.10.24+dfsg1",
                "Plugins": [
                    {
                        "Type": "Log",
                        "Name": "awslogs"
                    },
                    {
                        "Type": "Log",
                        "Name": "fluentd"
                    },
                    {
                        "Type": "Log",
                        "Name": "gcplogs"
                    },
                    {
                        "Type": "Log",
                        "Name": "gelf"
                    },
                    {
                        "Type": "Log",
                        "Name": "journald"
                    },
                    {
                        "Type": "Log",
                        "Name": "json-file"
                    },
                    {
                        "Type": "Log",
                        "Name": "local"
                    },
                    {
                        "Type": "Log",
                        "Name": "logentries"
                    },
                    {
                        "Type": "Log",
                        "Name": "splunk"
                    },
                    {
                        "Type": "Log",
                        "Name": "syslog"
                    },
                    {
                        "Type": "Network",
                        "Name": "bridge"
                    },
                    {
                        "Type": "Network",
                        "Name": "host"
                    },
                    {
                        "Type": "Network",
                        "Name": "ipvlan"
                    },
                    {
                        "Type": "Network",
                        "Name": "macvlan"
                    },
                    {
                        "Type": "Network",
                        "Name": "null"
                    },
                    {
                        "Type": "Network",
                        "Name": "overlay"
                    },
                    {
                        "Type": "Volume",
                        "Name": "local"
                    }
                ]
            },
            "TLSInfo": {
                "TrustRoot": "-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUZkfUsWfXnktrTJBlJchON8IvBTAwCgYIKoZIzj0EAwIw\nEzERMA8GA1UEAxMIc3dhcm0tY2EwHhcNMjYxMTIyMDAyNDAwWhcNNDYxMTE3MDAy\nNDAwWjATMREwDwYDVQQDEwhzd2FybS1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABLX3BI4oarNNZL//biaHOyKYSNNouiFlcR++mQkzjmYyItDcnu1HRzOhLVz/\nbdF+AfTACxphwOg4Z1noQNf6TbujQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMB\nAf8EBTADAQH/MB0GA1UdDgQWBBSM1/OQHlU33IhmG53vEev8FBJ3WTAKBggqhkjO\nPQQDAgNIADBFAiB4A6rMwdEfJ0EU6ouNU0C8BWj/15EWqmpTo5EvuywJKwIhAJ7+\nJYBneAxclpBUO8fGXMe7MwAWPGhk5aVNe8DFWMl6\n-----END CERTIFICATE-----\n",
                "CertIssuerSubject": "MBMxETAPBgNVBAMTCHN3YXJtLWNh",
                "CertIssuerPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtfcEjihqs01kv/9uJoc7IphI02i6IWVxH76ZCTOOZjIi0Nye7UdHM6EtXP9t0X4B9MALGmHA6DhnWehA1/pNuw=="
            }
        },
        "Status": {
            "State": "ready",
            "Addr": "198.18.77.1"
        },
        "ManagerStatus": {
            "Leader": true,
            "Reachability": "reachable",
            "Addr": "198.18.77.1:2377"
        }
    }
]
"##;

    #[test]
    fn reads_a_real_20_10_node() {
        let b = parse(LAB_NODE).unwrap();
        assert!(b.problems.is_empty() && b.noise.is_empty());
        let n = &b.items[0];
        assert_eq!(
            (n.line, n.id.as_str(), n.hostname.as_str()),
            (2, "izexcgmb7m1srrlo951hmgg75", "pdnode1")
        );
        assert_eq!(
            (n.role.as_str(), n.availability.as_str(), n.state.as_str()),
            ("manager", "active", "ready")
        );
        assert_eq!(n.engine_version, "20.10.24+dfsg1");
        assert_eq!(
            n.manager.as_ref().map(|m| (m.leader, m.addr.as_str())),
            Some((true, "198.18.77.1:2377"))
        );
        assert_eq!(n.advertise_ip().as_deref(), Some("198.18.77.1"));
        assert_eq!(n.created_at.map(|t| t.nanosecond()), Some(253_005_102));
    }
}
