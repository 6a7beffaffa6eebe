//! `docker inspect <every container on the node>` (`containers/inspect.json`):
//! what actually runs on this node, and on which networks.
//!
//! ```json
//! [
//!     {
//!         "Id": "020403bd88a15f60747fd25d1ad5fa1272eb740e8a97fc547d8ad07b2f721c5e",
//!         "Name": "/s1.1.pjn2ik0sfgkfzed3h0s00gs9o",
//!         "State": { "Status": "running", "Running": true, "ExitCode": 0, "Error": "",
//!                    "StartedAt": "2024-03-02T10:15:01.5Z", "FinishedAt": "0001-01-01T00:00:00Z" },
//!         "Config": { "Image": "nginx:1.27", "Labels": { "com.docker.swarm.task.id": "pjn2ik0sfgkfzed3h0s00gs9o" } },
//!         "NetworkSettings": { "SandboxKey": "/var/run/docker/netns/8ab2d5c1e0f3",
//!             "Networks": { "ov1": { "NetworkID": "ybmyjvao9vtzy3oorxbssj13b", "IPAddress": "10.0.0.4", "IPPrefixLen": 24 } } }
//!     }
//! ]
//! ```
//!
//! Swarm tasks carry `com.docker.swarm.{service,task,node}.*` labels; plain
//! containers do not, and those fields are then empty.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_batch, Batch};
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// 1-based line where the container's object starts.
    pub line: usize,
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    /// `Config.Image`, the reference it was started from.
    pub image: String,
    /// The top-level `Image`, `sha256:…`.
    pub image_id: String,
    /// `State.Status`: `created`, `running`, `paused`, `restarting`,
    /// `removing`, `exited`, `dead`.
    pub status: String,
    pub running: bool,
    pub oom_killed: bool,
    pub pid: i64,
    /// `State.Health.Status` (`starting`, `healthy`, `unhealthy`); empty
    /// without a health check.
    pub health: String,
    pub created: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    /// `State.Error`, e.g. a failed network join.
    pub error: String,
    pub exit_code: i64,
    pub restart_count: u64,
    pub sandbox_id: String,
    /// e.g. `/var/run/docker/netns/8ab2d5c1e0f3`.
    pub sandbox_key: String,
    pub labels: BTreeMap<String, String>,
    /// Network name → this container's endpoint on it.
    pub networks: BTreeMap<String, ContainerNetwork>,
    pub service_id: String,
    pub service_name: String,
    pub task_id: String,
    /// `com.docker.swarm.task.name`, `<svc>.<slot|nodeID>.<taskID>`.
    pub task_name: String,
    pub node_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerNetwork {
    pub network_id: String,
    pub endpoint_id: String,
    /// Without prefix length; empty when not connected.
    pub ip_address: String,
    pub prefix_len: u8,
    pub ipv6_address: String,
    pub mac: String,
    pub aliases: Vec<String>,
}

/// Parses the output of `docker inspect` on containers.
pub fn parse(text: &str) -> Result<Batch<Container>, ParseError> {
    parse_batch(text, convert)
}

fn convert(line: usize, w: Wire) -> Container {
    let state = w.state.unwrap_or_default();
    let config = w.config.unwrap_or_default();
    let labels = config.labels.unwrap_or_default();
    let settings = w.network_settings.unwrap_or_default();
    let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
    let name = w.name.unwrap_or_default();
    Container {
        line,
        id: w.id.unwrap_or_default(),
        name: name.strip_prefix('/').unwrap_or(&name).to_string(),
        image: config.image.unwrap_or_default(),
        image_id: w.image.unwrap_or_default(),
        status: state.status.unwrap_or_default(),
        running: state.running.unwrap_or(false),
        oom_killed: state.oom_killed.unwrap_or(false),
        pid: state.pid.unwrap_or(0),
        health: state.health.and_then(|h| h.status).unwrap_or_default(),
        created: api_time(&w.created),
        started_at: api_time(&state.started_at),
        finished_at: api_time(&state.finished_at),
        error: state.error.unwrap_or_default(),
        exit_code: state.exit_code.unwrap_or(0),
        restart_count: w.restart_count.unwrap_or(0),
        sandbox_id: settings.sandbox_id.unwrap_or_default(),
        sandbox_key: settings.sandbox_key.unwrap_or_default(),
        service_id: label("com.docker.swarm.service.id"),
        service_name: label("com.docker.swarm.service.name"),
        task_id: label("com.docker.swarm.task.id"),
        task_name: label("com.docker.swarm.task.name"),
        node_id: label("com.docker.swarm.node.id"),
        networks: settings
            .networks
            .unwrap_or_default()
            .into_iter()
            .map(|(net, n)| {
                let cn = ContainerNetwork {
                    network_id: n.network_id.unwrap_or_default(),
                    endpoint_id: n.endpoint_id.unwrap_or_default(),
                    ip_address: n.ip_address.unwrap_or_default(),
                    prefix_len: n
                        .ip_prefix_len
                        .and_then(|p| u8::try_from(p).ok())
                        .unwrap_or(0),
                    ipv6_address: n.global_ipv6_address.unwrap_or_default(),
                    mac: n.mac_address.unwrap_or_default(),
                    aliases: n.aliases.unwrap_or_default(),
                };
                (net, cn)
            })
            .collect(),
        labels,
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    #[serde(alias = "ID")]
    id: Option<String>,
    created: Option<String>,
    name: Option<String>,
    image: Option<String>,
    state: Option<WireState>,
    restart_count: Option<u64>,
    config: Option<WireConfig>,
    network_settings: Option<WireSettings>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireState {
    status: Option<String>,
    running: Option<bool>,
    #[serde(rename = "OOMKilled")]
    oom_killed: Option<bool>,
    pid: Option<i64>,
    exit_code: Option<i64>,
    error: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    health: Option<WireHealth>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireHealth {
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireConfig {
    image: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireSettings {
    #[serde(rename = "SandboxID")]
    sandbox_id: Option<String>,
    sandbox_key: Option<String>,
    networks: Option<BTreeMap<String, WireNetwork>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireNetwork {
    aliases: Option<Vec<String>>,
    #[serde(rename = "NetworkID")]
    network_id: Option<String>,
    #[serde(rename = "EndpointID")]
    endpoint_id: Option<String>,
    #[serde(rename = "IPAddress")]
    ip_address: Option<String>,
    #[serde(rename = "IPPrefixLen")]
    ip_prefix_len: Option<u32>,
    #[serde(rename = "GlobalIPv6Address")]
    global_ipv6_address: Option<String>,
    mac_address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A swarm task container (20.10 shape, trimmed) and a plain container
    /// that exited after a failed network join.
    const TWO: &str = r#"[
    {
        "Id": "020403bd88a15f60747fd25d1ad5fa1272eb740e8a97fc547d8ad07b2f721c5e",
        "Created": "2024-03-02T10:15:00.912345678Z",
        "Path": "/docker-entrypoint.sh",
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 4242,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2024-03-02T10:15:01.5Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": { "Status": "healthy", "FailingStreak": 0, "Log": [] }
        },
        "Image": "sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842",
        "Name": "/s1.1.pjn2ik0sfgkfzed3h0s00gs9o",
        "RestartCount": 0,
        "Config": {
            "Hostname": "020403bd88a1",
            "Env": [ "PATH=<masked>" ],
            "Image": "nginx:1.27@sha256:6a692a76c2081888b589e26e6ec835743119fe453d67ecf03df7de5b73d69842",
            "Labels": {
                "com.docker.swarm.node.id": "e216jshn25ckzbvmwlnh5jr3g",
                "com.docker.swarm.service.id": "ak7w3gjqoa3kuz8xcpnyy0pvl",
                "com.docker.swarm.service.name": "s1",
                "com.docker.swarm.task": "",
                "com.docker.swarm.task.id": "pjn2ik0sfgkfzed3h0s00gs9o",
                "com.docker.swarm.task.name": "s1.1.pjn2ik0sfgkfzed3h0s00gs9o"
            }
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "8ab2d5c1e0f3b2a1c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
            "SandboxKey": "/var/run/docker/netns/8ab2d5c1e0f3",
            "Ports": {},
            "Networks": {
                "ingress": {
                    "IPAMConfig": { "IPv4Address": "10.255.0.7" },
                    "Links": null,
                    "Aliases": null,
                    "NetworkID": "j0izitrut30h975vk4m1u5kk3",
                    "EndpointID": "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2",
                    "Gateway": "",
                    "IPAddress": "10.255.0.7",
                    "IPPrefixLen": 16,
                    "GlobalIPv6Address": "",
                    "MacAddress": "02:42:0a:ff:00:07"
                },
                "ov1": {
                    "Aliases": [ "020403bd88a1", "s1" ],
                    "NetworkID": "ybmyjvao9vtzy3oorxbssj13b",
                    "EndpointID": "ad16946f416562d658f3bb30b9830d73ad91ccf6feae44411269cd0ff674714e",
                    "IPAddress": "10.0.0.4",
                    "IPPrefixLen": 24,
                    "MacAddress": "02:42:0a:00:00:04"
                }
            }
        }
    },
    {
        "Id": "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "State": {
            "Status": "exited",
            "Running": false,
            "ExitCode": 128,
            "Error": "network sandbox join failed: subnet sandbox join failed for \"10.0.1.0/24\": error creating vxlan interface: file exists",
            "StartedAt": "0001-01-01T00:00:00Z",
            "FinishedAt": "2024-03-02T10:20:00+01:00"
        },
        "Name": "/debug",
        "RestartCount": 3,
        "Config": { "Image": "busybox", "Labels": null },
        "NetworkSettings": { "SandboxID": "", "SandboxKey": "", "Networks": null }
    }
]"#;

    #[test]
    fn reads_a_task_container() {
        let b = parse(TWO).unwrap();
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        let c = &b.items[0];
        assert_eq!(c.line, 2);
        assert_eq!(c.name, "s1.1.pjn2ik0sfgkfzed3h0s00gs9o");
        assert!(c.image.starts_with("nginx:1.27@"));
        assert!(c.image_id.starts_with("sha256:"));
        assert_eq!(
            (c.status.as_str(), c.running, c.pid),
            ("running", true, 4242)
        );
        assert_eq!(c.health, "healthy");
        assert_eq!(c.started_at.unwrap().millisecond(), 500);
        assert_eq!(c.finished_at, None);
        assert_eq!(c.sandbox_key, "/var/run/docker/netns/8ab2d5c1e0f3");
        assert_eq!(
            (c.service_id.as_str(), c.service_name.as_str()),
            ("ak7w3gjqoa3kuz8xcpnyy0pvl", "s1")
        );
        assert_eq!(
            (c.task_id.as_str(), c.node_id.as_str()),
            ("pjn2ik0sfgkfzed3h0s00gs9o", "e216jshn25ckzbvmwlnh5jr3g")
        );
        assert_eq!(c.task_name, c.name);
        let ingress = &c.networks["ingress"];
        assert_eq!(
            (ingress.ip_address.as_str(), ingress.prefix_len),
            ("10.255.0.7", 16)
        );
        assert!(ingress.aliases.is_empty());
        assert_eq!(c.networks["ov1"].aliases, ["020403bd88a1", "s1"]);
        assert_eq!(c.networks["ov1"].network_id, "ybmyjvao9vtzy3oorxbssj13b");
    }

    #[test]
    fn reads_a_failed_plain_container() {
        let c = &parse(TWO).unwrap().items[1];
        assert_eq!(c.line, 65);
        assert_eq!(
            (c.name.as_str(), c.status.as_str(), c.running),
            ("debug", "exited", false)
        );
        assert_eq!((c.exit_code, c.restart_count), (128, 3));
        assert!(c
            .error
            .contains("error creating vxlan interface: file exists"));
        assert_eq!(c.started_at, None);
        assert_eq!(c.finished_at.unwrap().hour(), 9);
        assert!(c.labels.is_empty() && c.networks.is_empty());
        assert!(c.service_id.is_empty() && c.task_id.is_empty() && c.node_id.is_empty());
        assert_eq!(c.health, "");
    }

    #[test]
    fn no_containers_and_cut_output() {
        // `docker inspect` with no argument prints nothing on stdout.
        assert!(parse("").unwrap().items.is_empty());
        let cut = &TWO[..TWO.find("\"Name\": \"/debug\"").unwrap()];
        let b = parse(cut).unwrap();
        assert_eq!(b.items.len(), 1);
        assert!(b.truncated);
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI: a plain container on an attachable overlay.
    const LAB_PLAIN: &str = r##"[
    {
        "Id": "2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac",
        "Created": "2026-11-22T00:29:28.988502873Z",
        "Path": "sleep",
        "Args": [
            "100000"
        ],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 24175,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2026-11-22T00:29:30.479781962Z",
            "FinishedAt": "0001-01-01T00:00:00Z"
        },
        "Image": "sha256:7451958530a9d8aa2fbf754f8e0186b2a5a140d1e9248d0913b81db54f102512",
        "ResolvConfPath": "/var/lib/pdk/n1/containers/2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac/resolv.conf",
        "HostnamePath": "/var/lib/pdk/n1/containers/2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac/hostname",
        "HostsPath": "/var/lib/pdk/n1/containers/2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac/hosts",
        "LogPath": "/var/lib/pdk/n1/containers/2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac/2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac-json.log",
        "Name": "/plain",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": null,
        "HostConfig": {
            "Binds": null,
            "ContainerIDFile": "",
            "LogConfig": {
                "Type": "json-file",
                "Config": {}
            },
            "NetworkMode": "attach",
            "PortBindings": {},
            "RestartPolicy": {
                "Name": "no",
                "MaximumRetryCount": 0
            },
            "AutoRemove": false,
            "VolumeDriver": "",
            "VolumesFrom": null,
            "CapAdd": null,
            "CapDrop": null,
            "CgroupnsMode": "host",
            "Dns": [],
            "DnsOptions": [],
            "DnsSearch": [],
            "ExtraHosts": null,
            "GroupAdd": null,
            "IpcMode": "private",
            "Cgroup": "",
            "Links": null,
            "OomScoreAdj": 0,
            "PidMode": "",
            "Privileged": false,
            "PublishAllPorts": false,
            "ReadonlyRootfs": false,
            "SecurityOpt": null,
            "UTSMode": "",
            "UsernsMode": "",
            "ShmSize": 67108864,
            "Runtime": "runc",
            "ConsoleSize": [
                0,
                0
            ],
            "Isolation": "",
            "CpuShares": 0,
            "Memory": 0,
            "NanoCpus": 0,
            "CgroupParent": "",
            "BlkioWeight": 0,
            "BlkioWeightDevice": [],
            "BlkioDeviceReadBps": [],
            "BlkioDeviceWriteBps": [],
            "BlkioDeviceReadIOps": [],
            "BlkioDeviceWriteIOps": [],
            "CpuPeriod": 0,
            "CpuQuota": 0,
            "CpuRealtimePeriod": 0,
            "CpuRealtimeRuntime": 0,
            "CpusetCpus": "",
            "CpusetMems": "",
            "Devices": [],
            "DeviceCgroupRules": null,
            "DeviceRequests": null,
            "KernelMemory": 0,
            "KernelMemoryTCP": 0,
            "MemoryReservation": 0,
            "MemorySwap": 0,
            "MemorySwappiness": null,
            "OomKillDisable": false,
            "PidsLimit": null,
            "Ulimits": [],
            "CpuCount": 0,
            "CpuPercent": 0,
            "IOMaximumIOps": 0,
            "IOMaximumBandwidth": 0,
            "MaskedPaths": [
                "/proc/asound",
                "/proc/acpi",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/proc/scsi",
                "/sys/firmware"
            ],
            "ReadonlyPaths": [
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger"
            ]
        },
        "GraphDriver": {
            "Data": {
                "LowerDir": "/var/lib/pdk/n1/overlay2/ce033be8f8b0c73dbd57d21606ea6c649212f3b2fa2611159cd040d9a6bdd17a-init/diff:/var/lib/pdk/n1/overlay2/0b86c5144de504b38c8fc13626d4eedeb984e8a47fda227f2e8ccb76b04ed94a/diff",
                "MergedDir": "/var/lib/pdk/n1/overlay2/ce033be8f8b0c73dbd57d21606ea6c649212f3b2fa2611159cd040d9a6bdd17a/merged",
                "UpperDir": "/var/lib/pdk/n1/overlay2/ce033be8f8b0c73dbd57d21606ea6c649212f3b2fa2611159cd040d9a6bdd17a/diff",
                "WorkDir": "/var/lib/pdk/n1/overlay2/ce033be8f8b0c73dbd57d21606ea6c649212f3b2fa2611159cd040d9a6bdd17a/work"
            },
            "Name": "overlay2"
        },
        "Mounts": [],
        "Config": {
            "Hostname": "2e74232baad7",
            "Domainname": "",
            "User": "",
            "AttachStdin": false,
            "AttachStdout": false,
            "AttachStderr": false,
            "Tty": false,
            "OpenStdin": false,
            "StdinOnce": false,
            "Env": null,
            "Cmd": [
                "sleep",
                "100000"
            ],
            "Image": "lab/busybox:1",
            "Volumes": null,
            "WorkingDir": "",
            "Entrypoint": null,
            "OnBuild": null,
            "Labels": {}
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "b90d17a5ad035bec4c24018b42364fcccf0d52f0a38b1b915bd46a7559cf4c74",
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": {},
            "SandboxKey": "/run/pdk/n1/netns/b90d17a5ad03",
            "SecondaryIPAddresses": null,
            "SecondaryIPv6Addresses": null,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": {
                "attach": {
                    "IPAMConfig": {
                        "IPv4Address": "10.62.0.2"
                    },
                    "Links": null,
                    "Aliases": [
                        "2e74232baad7"
                    ],
                    "NetworkID": "gt0p14de1l0sjbvuny8c960ox",
                    "EndpointID": "7eef15ca61652f73e3bdf0fadf1fb78e16e7b7448e07d678f649f15c65b26518",
                    "Gateway": "",
                    "IPAddress": "10.62.0.2",
                    "IPPrefixLen": 24,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "MacAddress": "02:42:0a:3e:00:02",
                    "DriverOpts": null
                }
            }
        }
    }
]
"##;

    #[test]
    fn reads_a_real_plain_container() {
        let b = parse(LAB_PLAIN).unwrap();
        assert!(b.problems.is_empty());
        let c = &b.items[0];
        assert_eq!(
            (c.name.as_str(), c.status.as_str(), c.running),
            ("plain", "running", true)
        );
        assert_eq!(c.image, "lab/busybox:1");
        assert_eq!(c.sandbox_key, "/run/pdk/n1/netns/b90d17a5ad03");
        assert!(c.service_id.is_empty() && c.task_id.is_empty());
        let net = &c.networks["attach"];
        assert_eq!(
            (
                net.network_id.as_str(),
                net.ip_address.as_str(),
                net.prefix_len
            ),
            ("gt0p14de1l0sjbvuny8c960ox", "10.62.0.2", 24)
        );
        assert_eq!(net.mac, "02:42:0a:3e:00:02");
        assert!(c.started_at.is_some() && c.finished_at.is_none());
    }
}
