//! `docker info --format '{{json .}}'` (`docker/info.json`): the engine and
//! this node's own swarm state.
//!
//! ```json
//! {"ID":"EKHL:QDUU:QZ7U:MKGD:VDXK:S27Q:GIPU:24B7:R7VT:DGN6:QCSF:2UBX","IPv4Forwarding":true,
//!  "KernelVersion":"4.4.0-87-generic","Name":"system-sample","ServerVersion":"17.06.1-ce",
//!  "Swarm":{"NodeID":"qo2dfdig9mmxqkawulggepdih","NodeAddr":"165.227.107.89","LocalNodeState":"active",
//!           "ControlAvailable":true,"Error":"","RemoteManagers":[{"NodeID":"qo2dfdig9mmxqkawulggepdih","Addr":"165.227.107.89:2377"}],
//!           "Nodes":1,"Managers":1,"Cluster":{"ID":"9vs5ygs0gguyyec4iqf2314c0","DataPathPort":0}},
//!  "Warnings":null,"ClientInfo":{"Debug":false,"Plugins":[],"Warnings":null}}
//! ```
//!
//! Three shapes: the bare daemon `Info` (CLI ≤ 18.09); the same fields
//! flattened beside `ClientInfo`/`ServerErrors` (19.03+); and, when the daemon
//! is unreachable, only `ServerErrors` (or every server field empty, as a
//! 28.x CLI prints). The last is a valid parse: see [`Info::daemon_reachable`].

use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_single};
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Info {
    pub id: String,
    /// The daemon's hostname.
    pub name: String,
    pub server_version: String,
    /// `<unknown>` (before API 1.39) reads as empty.
    pub kernel_version: String,
    pub operating_system: String,
    pub ncpu: u64,
    pub mem_total: u64,
    pub system_time: Option<OffsetDateTime>,
    /// `None` when absent or when the daemon could not be reached.
    pub ipv4_forwarding: Option<bool>,
    /// Absent on newer engines, and `None` when the daemon could not be reached.
    pub bridge_nf_iptables: Option<bool>,
    pub bridge_nf_ip6tables: Option<bool>,
    /// Daemon warnings (API 1.39+), plus `WARNING:` lines found around the
    /// JSON (older CLIs printed them to stderr, which `2>&1` mixes in).
    pub warnings: Vec<String>,
    /// Why the CLI could not talk to the daemon.
    pub server_errors: Vec<String>,
    pub client_errors: Vec<String>,
    /// `FirewallBackend.Driver` (API 1.49+): `iptables`, `nftables`, …
    pub firewall_backend: Option<String>,
    /// `CgroupDriver` (`cgroupfs`, `systemd`), `CgroupVersion` (`1`, `2`)
    /// and the storage `Driver` (`overlay2`…); empty when not printed.
    pub cgroup_driver: String,
    pub cgroup_version: String,
    pub storage_driver: String,
    pub swarm: SwarmInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmInfo {
    pub node_id: String,
    pub node_addr: String,
    /// `""`, `inactive`, `pending`, `active`, `error` or `locked`.
    pub local_node_state: String,
    /// True on managers.
    pub control_available: bool,
    /// Free text, e.g. `rpc error: code = Unknown desc = The swarm does not
    /// have a leader. …`.
    pub error: String,
    pub remote_managers: Vec<RemoteManager>,
    /// Absent when 0 or on workers.
    pub nodes: Option<u64>,
    pub managers: Option<u64>,
    /// `Cluster.ID`; empty on workers.
    pub cluster_id: String,
    /// `Cluster.DataPathPort` as printed: 0 means the default 4789; see
    /// [`SwarmInfo::vxlan_port`].
    pub data_path_port: Option<u32>,
    pub default_addr_pool: Vec<String>,
    pub subnet_size: Option<u32>,
    /// `Swarm.Warnings` (19.03+).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteManager {
    pub node_id: String,
    /// `host:port`.
    pub addr: String,
}

impl Info {
    /// False when the CLI printed no server data: only `ServerErrors`, or
    /// every server field empty.
    pub fn daemon_reachable(&self) -> bool {
        !(self.id.is_empty() && self.name.is_empty() && self.server_version.is_empty())
    }
}

impl SwarmInfo {
    /// The VXLAN UDP port: `DataPathPort`, or 4789 when unset or 0. Only
    /// meaningful on managers, the only nodes that report `Cluster`.
    pub fn vxlan_port(&self) -> u32 {
        self.data_path_port.filter(|&p| p != 0).unwrap_or(4789)
    }
}

/// Parses the output of `docker info --format '{{json .}}'`.
pub fn parse(text: &str) -> Result<Info, ParseError> {
    let single = parse_single::<Wire>(text)?;
    let mut info = convert(single.value);
    let stray = single
        .noise
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| l.starts_with("WARNING:"));
    info.warnings.extend(stray);
    Ok(info)
}

fn convert(w: Wire) -> Info {
    let swarm = w.swarm.unwrap_or_default();
    let cluster = swarm.cluster.unwrap_or_default();
    let known = |s: Option<String>| s.filter(|s| s != "<unknown>").unwrap_or_default();
    let mut info = Info {
        id: w.id.unwrap_or_default(),
        name: w.name.unwrap_or_default(),
        server_version: w.server_version.unwrap_or_default(),
        kernel_version: known(w.kernel_version),
        operating_system: known(w.operating_system),
        ncpu: w.ncpu.unwrap_or(0),
        mem_total: w.mem_total.unwrap_or(0),
        system_time: api_time(&w.system_time),
        ipv4_forwarding: w.ipv4_forwarding,
        bridge_nf_iptables: w.bridge_nf_iptables,
        bridge_nf_ip6tables: w.bridge_nf_ip6tables,
        warnings: w.warnings.unwrap_or_default(),
        server_errors: w.server_errors.unwrap_or_default(),
        client_errors: w.client_errors.unwrap_or_default(),
        firewall_backend: w
            .firewall_backend
            .and_then(|f| f.driver)
            .filter(|d| !d.is_empty()),
        cgroup_driver: w.cgroup_driver.unwrap_or_default(),
        cgroup_version: w.cgroup_version.unwrap_or_default(),
        storage_driver: w.driver.unwrap_or_default(),
        swarm: SwarmInfo {
            node_id: swarm.node_id.unwrap_or_default(),
            node_addr: swarm.node_addr.unwrap_or_default(),
            local_node_state: swarm.local_node_state.unwrap_or_default(),
            control_available: swarm.control_available.unwrap_or(false),
            error: swarm.error.unwrap_or_default(),
            remote_managers: swarm
                .remote_managers
                .unwrap_or_default()
                .into_iter()
                .map(|m| RemoteManager {
                    node_id: m.node_id.unwrap_or_default(),
                    addr: m.addr.unwrap_or_default(),
                })
                .collect(),
            nodes: swarm.nodes,
            managers: swarm.managers,
            cluster_id: cluster.id.unwrap_or_default(),
            data_path_port: cluster.data_path_port,
            default_addr_pool: cluster.default_addr_pool.unwrap_or_default(),
            subnet_size: cluster.subnet_size,
            warnings: swarm.warnings.unwrap_or_default(),
        },
    };
    if !info.daemon_reachable() {
        // A 28.x CLI prints `false` for every flag it could not read.
        info.ipv4_forwarding = None;
        info.bridge_nf_iptables = None;
        info.bridge_nf_ip6tables = None;
    }
    info
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    #[serde(rename = "ID")]
    id: Option<String>,
    name: Option<String>,
    server_version: Option<String>,
    kernel_version: Option<String>,
    operating_system: Option<String>,
    #[serde(rename = "NCPU")]
    ncpu: Option<u64>,
    mem_total: Option<u64>,
    system_time: Option<String>,
    #[serde(rename = "IPv4Forwarding")]
    ipv4_forwarding: Option<bool>,
    bridge_nf_iptables: Option<bool>,
    #[serde(rename = "BridgeNfIp6tables", alias = "BridgeNfIP6tables")]
    bridge_nf_ip6tables: Option<bool>,
    warnings: Option<Vec<String>>,
    server_errors: Option<Vec<String>>,
    client_errors: Option<Vec<String>>,
    firewall_backend: Option<WireFirewall>,
    cgroup_driver: Option<String>,
    cgroup_version: Option<String>,
    driver: Option<String>,
    swarm: Option<WireSwarm>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireFirewall {
    driver: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireSwarm {
    #[serde(rename = "NodeID")]
    node_id: Option<String>,
    node_addr: Option<String>,
    local_node_state: Option<String>,
    control_available: Option<bool>,
    error: Option<String>,
    remote_managers: Option<Vec<WireRemote>>,
    nodes: Option<u64>,
    managers: Option<u64>,
    cluster: Option<WireCluster>,
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireRemote {
    #[serde(rename = "NodeID")]
    node_id: Option<String>,
    addr: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireCluster {
    #[serde(rename = "ID")]
    id: Option<String>,
    default_addr_pool: Option<Vec<String>>,
    subnet_size: Option<u32>,
    data_path_port: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// formats.md §5 [V] (docker-info-with-swarm.json.golden, trimmed there).
    const WITH_SWARM: &str = r#"{"ID":"EKHL:QDUU:QZ7U:MKGD:VDXK:S27Q:GIPU:24B7:R7VT:DGN6:QCSF:2UBX","Containers":0,"ContainersRunning":0,
 "Driver":"overlay2","MemoryLimit":true,"SwapLimit":true,"IPv4Forwarding":true,"Debug":true,
 "SystemTime":"2017-08-24T17:44:34.077811894Z","LoggingDriver":"json-file","CgroupDriver":"cgroupfs",
 "KernelVersion":"4.4.0-87-generic","OperatingSystem":"Ubuntu 16.04.3 LTS","OSType":"linux","Architecture":"x86_64",
 "NCPU":2,"MemTotal":2097356800,"Name":"system-sample","Labels":["provider=digitalocean"],
 "ServerVersion":"17.06.1-ce",
 "Swarm":{"NodeID":"qo2dfdig9mmxqkawulggepdih","NodeAddr":"165.227.107.89","LocalNodeState":"active",
          "ControlAvailable":true,"Error":"",
          "RemoteManagers":[{"NodeID":"qo2dfdig9mmxqkawulggepdih","Addr":"165.227.107.89:2377"}],
          "Nodes":1,"Managers":1,
          "Cluster":{"ID":"9vs5ygs0gguyyec4iqf2314c0","Spec":{"Orchestration":{"TaskHistoryRetentionLimit":5},
                     "Raft":{"SnapshotInterval":10000,"ElectionTick":3,"HeartbeatTick":1},
                     "Dispatcher":{"HeartbeatPeriod":5000000000}},
                     "RootRotationInProgress":false,"DefaultAddrPool":null,"SubnetSize":0,"DataPathPort":0}},
 "LiveRestoreEnabled":false,
 "FirewallBackend":{"Driver":"nftables+firewalld","Info":[["ReloadedAt","2025-07-16T16:59:14Z"]]},
 "Warnings":null,
 "ClientInfo":{"Debug":false,"Context":"default","Plugins":[],"Warnings":null}}"#;

    #[test]
    fn reads_a_manager_with_the_client_wrapper() {
        let i = parse(WITH_SWARM).unwrap();
        assert!(i.daemon_reachable());
        assert_eq!(i.name, "system-sample");
        assert_eq!(i.server_version, "17.06.1-ce");
        assert_eq!(
            (i.kernel_version.as_str(), i.operating_system.as_str()),
            ("4.4.0-87-generic", "Ubuntu 16.04.3 LTS")
        );
        assert_eq!((i.ncpu, i.mem_total), (2, 2_097_356_800));
        assert_eq!(i.ipv4_forwarding, Some(true));
        assert_eq!(i.bridge_nf_iptables, None);
        assert_eq!(i.firewall_backend.as_deref(), Some("nftables+firewalld"));
        assert!(i.warnings.is_empty() && i.server_errors.is_empty());
        assert_eq!(i.system_time.unwrap().nanosecond(), 77_811_894);
        let s = &i.swarm;
        assert_eq!(
            (s.node_id.as_str(), s.node_addr.as_str()),
            ("qo2dfdig9mmxqkawulggepdih", "165.227.107.89")
        );
        assert_eq!(s.local_node_state, "active");
        assert!(s.control_available);
        assert_eq!(
            s.remote_managers,
            [RemoteManager {
                node_id: "qo2dfdig9mmxqkawulggepdih".into(),
                addr: "165.227.107.89:2377".into()
            }]
        );
        assert_eq!((s.nodes, s.managers), (Some(1), Some(1)));
        assert_eq!(s.cluster_id, "9vs5ygs0gguyyec4iqf2314c0");
        assert_eq!((s.data_path_port, s.vxlan_port()), (Some(0), 4789));
        assert!(s.default_addr_pool.is_empty());
    }

    #[test]
    fn reads_a_non_swarm_node_with_daemon_warnings() {
        // formats.md §5: the non-swarm Swarm block and the warnings golden,
        // in the bare (≤ 18.09) shape with the bridge-nf fields.
        let text = r#"{"ID":"EKHL:QDUU","Name":"wrk9","ServerVersion":"18.09.1","KernelVersion":"<unknown>",
"IPv4Forwarding":false,"BridgeNfIptables":false,"BridgeNfIp6tables":true,
"Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null},
"Warnings":["WARNING: No memory limit support","WARNING: No swap limit support","WARNING: IPv4 forwarding is disabled"]}"#;
        let i = parse(text).unwrap();
        assert_eq!(i.kernel_version, "");
        assert_eq!(i.ipv4_forwarding, Some(false));
        assert_eq!(
            (i.bridge_nf_iptables, i.bridge_nf_ip6tables),
            (Some(false), Some(true))
        );
        assert_eq!(i.warnings.len(), 3);
        assert_eq!(i.warnings[2], "WARNING: IPv4 forwarding is disabled");
        assert_eq!(i.swarm.local_node_state, "inactive");
        assert!(i.swarm.remote_managers.is_empty());
        assert_eq!((i.swarm.nodes, i.swarm.cluster_id.as_str()), (None, ""));
    }

    #[test]
    fn daemon_unreachable_is_a_valid_parse() {
        // formats.md §5, docker-info-errors.json.golden.
        let i = parse(r#"{"ServerErrors":["a server error occurred"],"ClientErrors":["a client error occurred"]}"#).unwrap();
        assert!(!i.daemon_reachable());
        assert_eq!(i.server_errors, ["a server error occurred"]);
        assert_eq!(i.client_errors, ["a client error occurred"]);
        assert_eq!(i.ipv4_forwarding, None);

        // What the 28.2.2 CLI on this machine prints with no daemon running:
        // every server field zero, no ServerErrors on stdout.
        let real = r#"{"ID":"","Containers":0,"ContainersRunning":0,"ContainersPaused":0,"ContainersStopped":0,"Images":0,"Driver":"","DriverStatus":null,"Plugins":{"Volume":null,"Network":null,"Authorization":null,"Log":null},"MemoryLimit":false,"SwapLimit":false,"CpuCfsPeriod":false,"CpuCfsQuota":false,"CPUShares":false,"CPUSet":false,"PidsLimit":false,"IPv4Forwarding":false,"Debug":false,"NFd":0,"OomKillDisable":false,"NGoroutines":0,"SystemTime":"","LoggingDriver":"","CgroupDriver":"","NEventsListener":0,"KernelVersion":"","OperatingSystem":"","OSVersion":"","OSType":"","Architecture":"","IndexServerAddress":"","RegistryConfig":null,"NCPU":0,"MemTotal":0,"GenericResources":null,"DockerRootDir":"","HttpProxy":"","HttpsProxy":"","NoProxy":"","Name":"","Labels":null,"ExperimentalBuild":false,"ServerVersion":"","Runtimes":null,"DefaultRuntime":"","Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"","ControlAvailable":false,"Error":"","RemoteManagers":null},"LiveRestoreEnabled":false,"Isolation":"","InitBinary":"","ContainerdCommit":{"ID":""},"RuncCommit":{"ID":""},"InitCommit":{"ID":""},"SecurityOptions":null,"CDISpecDirs":null,"Warnings":null,"ClientInfo":{"Debug":false,"Version":"28.2.2","DefaultAPIVersion":"1.50","GitCommit":"e6534b4","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025","Context":"default","Plugins":[],"Warnings":null}}
"#;
        let i = parse(real).unwrap();
        assert!(!i.daemon_reachable());
        assert_eq!(
            i.ipv4_forwarding, None,
            "false from an unreachable daemon means unknown"
        );
        assert_eq!(i.system_time, None);
        assert_eq!(i.swarm.local_node_state, "");
    }

    #[test]
    fn lost_quorum_error_multiline_warning_and_stderr_warnings() {
        let text = "WARNING: No swap limit support\n{\"ID\":\"X\",\"Name\":\"mgr1\",\"ServerVersion\":\"20.10.24\",\
\"Swarm\":{\"NodeID\":\"hq3k9d2e7f1g5j8l0n4b6c2a9\",\"LocalNodeState\":\"active\",\"ControlAvailable\":true,\
\"Error\":\"rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.\",\
\"Warnings\":[\"WARNING: Running Swarm in a two-manager configuration. This configuration provides\\n         no fault tolerance, and poses a high risk to lose control over the cluster.\"],\
\"Cluster\":{\"ID\":\"c1\",\"DefaultAddrPool\":[\"10.20.0.0/16\"],\"SubnetSize\":24,\"DataPathPort\":7789}}}\n";
        let i = parse(text).unwrap();
        assert!(i
            .swarm
            .error
            .ends_with("more than half of the managers are online."));
        assert!(i.swarm.warnings[0].contains("\n         no fault tolerance"));
        assert_eq!(i.warnings, ["WARNING: No swap limit support"]);
        assert_eq!(i.swarm.default_addr_pool, ["10.20.0.0/16"]);
        assert_eq!(
            (i.swarm.subnet_size, i.swarm.vxlan_port()),
            (Some(24), 7789)
        );
    }

    #[test]
    fn empty_cut_and_garbage_are_errors() {
        assert!(parse("").is_err());
        assert!(parse(&WITH_SWARM[..200])
            .unwrap_err()
            .message
            .contains("cut short"));
        let e = parse("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(parse("{\"NCPU\":\"two\"}").is_err());
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI.
    const LAB_INFO: &str = r##"{"ID":"KHI3:W4HX:46LM:23IE:HDNN:ZSKE:MR4R:D3ZK:DGFN:NQNZ:OYK6:Y5BY","Containers":11,"ContainersRunning":6,"ContainersPaused":0,"ContainersStopped":5,"Images":1,"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"],["Supports d_type","true"],["Native Overlay Diff","true"],["userxattr","false"]],"Plugins":{"Volume":["local"],"Network":["bridge","host","ipvlan","macvlan","null","overlay"],"Authorization":null,"Log":["awslogs","fluentd","gcplogs","gelf","journald","json-file","local","logentries","splunk","syslog"]},"MemoryLimit":true,"SwapLimit":true,"KernelMemory":true,"KernelMemoryTCP":true,"CpuCfsPeriod":true,"CpuCfsQuota":true,"CPUShares":true,"CPUSet":true,"PidsLimit":true,"IPv4Forwarding":true,"Debug":false,"NFd":107,"OomKillDisable":true,"NGoroutines":259,"SystemTime":"2026-11-22T00:29:44.471960354Z","LoggingDriver":"json-file","CgroupDriver":"cgroupfs","CgroupVersion":"1","NEventsListener":5,"KernelVersion":"6.18.44-fc-v669","OperatingSystem":"Debian GNU/Linux 12 (bookworm)","OSVersion":"12","OSType":"linux","Architecture":"x86_64","IndexServerAddress":"https://index.docker.io/v1/","RegistryConfig":{"IndexConfigs":{"docker.io":{"Mirrors":[],"Name":"docker.io","Official":true,"Secure":true}},"InsecureRegistryCIDRs":["127.0.0.0/8"],"Mirrors":[]},"NCPU":2,"MemTotal":25276502016,"GenericResources":null,"DockerRootDir":"/var/lib/pdk/n1","HttpProxy":"http://127.0.0.1:9","HttpsProxy":"http://127.0.0.1:9","NoProxy":"","Name":"pdnode1","Labels":[],"ExperimentalBuild":false,"ServerVersion":"20.10.24+dfsg1","Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"io.containerd.runtime.v1.linux":{"path":"runc"},"runc":{"path":"runc"}},"DefaultRuntime":"runc","Swarm":{"NodeID":"izexcgmb7m1srrlo951hmgg75","NodeAddr":"198.18.77.1","LocalNodeState":"active","ControlAvailable":true,"Error":"","RemoteManagers":[{"NodeID":"izexcgmb7m1srrlo951hmgg75","Addr":"198.18.77.1:2377"}],"Nodes":1,"Managers":1,"Cluster":{"ID":"uqctdth2lg0gaox28g475i8mh","Version":{"Index":10},"CreatedAt":"2026-11-22T00:29:06.252964292Z","UpdatedAt":"2026-11-22T00:29:06.763723624Z","Spec":{"Name":"default","Labels":{},"Orchestration":{"TaskHistoryRetentionLimit":5},"Raft":{"SnapshotInterval":10000,"KeepOldSnapshots":0,"LogEntriesForSlowFollowers":500,"ElectionTick":10,"HeartbeatTick":1},"Dispatcher":{"HeartbeatPeriod":5000000000},"CAConfig":{"NodeCertExpiry":7776000000000000},"TaskDefaults":{},"EncryptionConfig":{"AutoLockManagers":false}},"TLSInfo":{"TrustRoot":"-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUZkfUsWfXnktrTJBlJchON8IvBTAwCgYIKoZIzj0EAwIw\nEzERMA8GA1UEAxMIc3dhcm0tY2EwHhcNMjYxMTIyMDAyNDAwWhcNNDYxMTE3MDAy\nNDAwWjATMREwDwYDVQQDEwhzd2FybS1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABLX3BI4oarNNZL//biaHOyKYSNNouiFlcR++mQkzjmYyItDcnu1HRzOhLVz/\nbdF+AfTACxphwOg4Z1noQNf6TbujQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMB\nAf8EBTADAQH/MB0GA1UdDgQWBBSM1/OQHlU33IhmG53vEev8FBJ3WTAKBggqhkjO\nPQQDAgNIADBFAiB4A6rMwdEfJ0EU6ouNU0C8BWj/15EWqmpTo5EvuywJKwIhAJ7+\nJYBneAxclpBUO8fGXMe7MwAWPGhk5aVNe8DFWMl6\n-----END CERTIFICATE-----\n","CertIssuerSubject":"MBMxETAPBgNVBAMTCHN3YXJtLWNh","CertIssuerPublicKey":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtfcEjihqs01kv/9uJoc7IphI02i6IWVxH76ZCTOOZjIi0Nye7UdHM6EtXP9t0X4B9MALGmHA6DhnWehA1/pNuw=="},"RootRotationInProgress":false,"DefaultAddrPool":null,"SubnetSize":24,"DataPathPort":4789}},"LiveRestoreEnabled":false,"Isolation":"","InitBinary":"docker-init","ContainerdCommit":{"ID":"1.6.20~ds1-1+deb12u3","Expected":"1.6.20~ds1-1+deb12u3"},"RuncCommit":{"ID":"1.1.5+ds1-1+deb12u1","Expected":"1.1.5+ds1-1+deb12u1"},"InitCommit":{"ID":""},"SecurityOptions":["name=seccomp,profile=default"],"CDISpecDirs":null,"Warnings":null,"ClientInfo":{"Debug":false,"Version":"28.2.2","DefaultAPIVersion":"1.50","GitCommit":"e6534b4","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025","Context":"default","Plugins":[],"Warnings":null}}
"##;

    #[test]
    fn reads_real_20_10_info() {
        let i = parse(LAB_INFO).unwrap();
        assert!(i.daemon_reachable());
        assert_eq!(
            (i.name.as_str(), i.server_version.as_str()),
            ("pdnode1", "20.10.24+dfsg1")
        );
        assert_eq!(i.ipv4_forwarding, Some(true));
        assert_eq!(
            i.bridge_nf_iptables, None,
            "the 28.x CLI no longer prints it"
        );
        let s = &i.swarm;
        assert_eq!(
            (
                s.node_id.as_str(),
                s.node_addr.as_str(),
                s.control_available
            ),
            ("izexcgmb7m1srrlo951hmgg75", "198.18.77.1", true)
        );
        assert_eq!(
            (s.cluster_id.as_str(), s.data_path_port, s.vxlan_port()),
            ("uqctdth2lg0gaox28g475i8mh", Some(4789), 4789)
        );
        assert_eq!(
            (s.nodes, s.managers, s.subnet_size),
            (Some(1), Some(1), Some(24))
        );
        assert_eq!(s.remote_managers[0].addr, "198.18.77.1:2377");
    }

    #[test]
    fn reads_the_real_20_10_daemon_down_shape() {
        // Printed by the 20.10 CLI when its daemon socket is gone.
        let text = r##"{"ServerErrors":["Cannot connect to the Docker daemon at unix:///run/pdk/n1.sock. Is the docker daemon running?"],"ClientInfo":{"Debug":false,"Context":"default","Plugins":[],"Warnings":null}}
"##;
        let i = parse(text).unwrap();
        assert!(!i.daemon_reachable());
        assert_eq!(i.server_errors.len(), 1);
        assert!(i.server_errors[0].starts_with("Cannot connect to the Docker daemon"));
        assert_eq!(
            (i.ipv4_forwarding, i.swarm.local_node_state.as_str()),
            (None, "")
        );
    }
}
