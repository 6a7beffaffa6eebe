//! `docker network inspect --verbose <networks…>` (`swarm/networks.json`):
//! one node's view of each network: its local endpoints, gossip peers and,
//! with `--verbose`, the services it load-balances.
//!
//! ```json
//! [
//!     {
//!         "Name": "ingress", "Id": "j0izitrut30h975vk4m1u5kk3", "Scope": "swarm", "Driver": "overlay",
//!         "IPAM": { "Config": [ { "Subnet": "10.255.0.0/16", "Gateway": "10.255.0.1" } ] },
//!         "Containers": { "ingress-sbox": { "Name": "ingress-endpoint", "IPv4Address": "10.255.0.3/16" } },
//!         "Options": { "com.docker.network.driver.overlay.vxlanid_list": "256" },
//!         "Peers": [ { "Name": "net-1-1d22adfe4d5c", "IP": "192.168.33.11" } ],
//!         "Services": { "s1": { "VIP": "10.255.0.2", "Ports": [ "Target: 80, Publish: 8080" ],
//!                               "LocalLBIndex": 257,
//!                               "Tasks": [ { "Name": "s1.1.q4hcq2aiiml25ubtrtg4q1txt", "EndpointIP": "10.255.0.5",
//!                                            "Info": { "Host IP": "192.168.33.11" } } ] } }
//!     }
//! ]
//! ```
//!
//! Drift handled: no `Ingress` field before API 1.29 (the name decides), no
//! `Created`/`Peers` before 1.25, `VIP` `"<nil>"` (≤ 28) or `""` (29+) for
//! plain containers, `Status.IPAM` only from 1.52, local offsets in `Created`.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::OffsetDateTime;

use super::json::{api_time, parse_batch, Batch};
use super::ParseError;

/// The option key listing a network's VXLAN IDs.
pub const VXLANID_LIST: &str = "com.docker.network.driver.overlay.vxlanid_list";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// 1-based line where the network's object starts.
    pub line: usize,
    pub name: String,
    pub id: String,
    /// `swarm`, `local` or `global`.
    pub scope: String,
    pub driver: String,
    /// `Ingress`, or on old APIs without the field, `Name == "ingress"`.
    pub ingress: bool,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: bool,
    pub created: Option<OffsetDateTime>,
    pub labels: BTreeMap<String, String>,
    pub ipam: Vec<IpamConfig>,
    /// Local endpoints by key: a container ID, `ingress-sbox` or `lb-<net>`.
    pub containers: BTreeMap<String, NetEndpoint>,
    pub options: BTreeMap<String, String>,
    /// Decimal VNIs from the `vxlanid_list` option, one per subnet.
    pub vxlan_ids: Vec<u32>,
    /// The `encrypted` option is present (its value is `""`).
    pub encrypted: bool,
    pub peers: Vec<Peer>,
    /// `--verbose` only: service name (may be `""`) → load-balancer state.
    pub services: BTreeMap<String, NetService>,
    /// `Status.IPAM.Subnets` (API 1.52+): subnet CIDR → usage.
    pub ipam_status: BTreeMap<String, SubnetStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpamConfig {
    pub subnet: String,
    pub gateway: String,
    pub ip_range: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetEndpoint {
    pub name: String,
    pub endpoint_id: String,
    pub mac: String,
    /// CIDR, e.g. `10.255.0.3/16`; empty when absent.
    pub ipv4: String,
    pub ipv6: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// 12 hex, or `<hostname>-<12hex>` on 17.x. Not the swarm node ID.
    pub name: String,
    /// The peer's data-path (VTEP) address.
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetService {
    /// `None` for `"<nil>"` or `""` (plain containers, no VIP).
    pub vip: Option<String>,
    /// Ingress ports as printed, `"Target: 80, Publish: 8080"`; see
    /// [`parse_lb_port`].
    pub ports: Vec<String>,
    /// The IPVS firewall mark in decimal; 0 means no local load balancer.
    pub local_lb_index: u32,
    pub tasks: Vec<NetTask>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetTask {
    /// The container name, `<svc>.<slot|nodeID>.<taskID>`.
    pub name: String,
    pub endpoint_id: String,
    pub endpoint_ip: String,
    /// `Info["Host IP"]`: the VTEP of the node running the task.
    pub host_ip: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetStatus {
    pub ips_in_use: u64,
    pub dynamic_ips_available: u64,
}

/// Parses the output of `docker network inspect [--verbose]`.
pub fn parse(text: &str) -> Result<Batch<Network>, ParseError> {
    parse_batch(text, convert)
}

/// Reads one `Services.*.Ports[]` string, `Target: 80, Publish: 8080`, as
/// `(target, published)`.
pub fn parse_lb_port(s: &str) -> Option<(u16, u16)> {
    let (target, publish) = s.trim().split_once(',')?;
    let target = target.trim().strip_prefix("Target:")?.trim().parse().ok()?;
    let publish = publish
        .trim()
        .strip_prefix("Publish:")?
        .trim()
        .parse()
        .ok()?;
    Some((target, publish))
}

/// Reads a `vxlanid_list` option: comma-separated decimal VNIs. Items that
/// are not numbers are skipped.
pub fn parse_vxlan_ids(list: &str) -> Vec<u32> {
    list.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn convert(line: usize, w: Wire) -> Network {
    let name = w.name.unwrap_or_default();
    let options = w.options.unwrap_or_default();
    Network {
        line,
        id: w.id.unwrap_or_default(),
        scope: w.scope.unwrap_or_default(),
        driver: w.driver.unwrap_or_default(),
        ingress: w.ingress.unwrap_or(name == "ingress"),
        internal: w.internal.unwrap_or(false),
        attachable: w.attachable.unwrap_or(false),
        enable_ipv6: w.enable_ipv6.unwrap_or(false),
        created: api_time(&w.created),
        labels: w.labels.unwrap_or_default(),
        ipam: w
            .ipam
            .and_then(|i| i.config)
            .unwrap_or_default()
            .into_iter()
            .map(|c| IpamConfig {
                subnet: c.subnet.unwrap_or_default(),
                gateway: c.gateway.unwrap_or_default(),
                ip_range: c.ip_range.unwrap_or_default(),
            })
            .collect(),
        containers: w
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|(key, c)| {
                let ep = NetEndpoint {
                    name: c.name.unwrap_or_default(),
                    endpoint_id: c.endpoint_id.unwrap_or_default(),
                    mac: c.mac_address.unwrap_or_default(),
                    ipv4: c.ipv4_address.unwrap_or_default(),
                    ipv6: c.ipv6_address.unwrap_or_default(),
                };
                (key, ep)
            })
            .collect(),
        vxlan_ids: options
            .get(VXLANID_LIST)
            .map(|l| parse_vxlan_ids(l))
            .unwrap_or_default(),
        encrypted: options.contains_key("encrypted"),
        options,
        peers: w
            .peers
            .unwrap_or_default()
            .into_iter()
            .map(|p| Peer {
                name: p.name.unwrap_or_default(),
                ip: p.ip.unwrap_or_default(),
            })
            .collect(),
        services: w
            .services
            .unwrap_or_default()
            .into_iter()
            .map(|(svc, s)| (svc, service(s)))
            .collect(),
        ipam_status: w
            .status
            .and_then(|s| s.ipam)
            .and_then(|i| i.subnets)
            .unwrap_or_default()
            .into_iter()
            .map(|(subnet, s)| {
                let st = SubnetStatus {
                    ips_in_use: s.ips_in_use.unwrap_or(0),
                    dynamic_ips_available: s.dynamic_ips_available.unwrap_or(0),
                };
                (subnet, st)
            })
            .collect(),
        name,
    }
}

fn service(s: WireService) -> NetService {
    NetService {
        vip: s.vip.filter(|v| !v.is_empty() && v != "<nil>"),
        ports: s.ports.unwrap_or_default(),
        local_lb_index: s.local_lb_index.unwrap_or(0),
        tasks: s
            .tasks
            .unwrap_or_default()
            .into_iter()
            .map(|t| NetTask {
                name: t.name.unwrap_or_default(),
                endpoint_id: t.endpoint_id.unwrap_or_default(),
                endpoint_ip: t.endpoint_ip.unwrap_or_default(),
                host_ip: t
                    .info
                    .unwrap_or_default()
                    .remove("Host IP")
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Wire {
    name: Option<String>,
    #[serde(alias = "ID")]
    id: Option<String>,
    created: Option<String>,
    scope: Option<String>,
    driver: Option<String>,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
    #[serde(rename = "IPAM")]
    ipam: Option<WireIpam>,
    internal: Option<bool>,
    attachable: Option<bool>,
    ingress: Option<bool>,
    containers: Option<BTreeMap<String, WireEndpoint>>,
    options: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
    peers: Option<Vec<WirePeer>>,
    services: Option<BTreeMap<String, WireService>>,
    status: Option<WireStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireIpam {
    config: Option<Vec<WireIpamConfig>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireIpamConfig {
    subnet: Option<String>,
    gateway: Option<String>,
    #[serde(rename = "IPRange")]
    ip_range: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireEndpoint {
    name: Option<String>,
    #[serde(rename = "EndpointID")]
    endpoint_id: Option<String>,
    mac_address: Option<String>,
    #[serde(rename = "IPv4Address")]
    ipv4_address: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6_address: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WirePeer {
    name: Option<String>,
    #[serde(rename = "IP")]
    ip: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireService {
    #[serde(rename = "VIP")]
    vip: Option<String>,
    ports: Option<Vec<String>>,
    #[serde(rename = "LocalLBIndex")]
    local_lb_index: Option<u32>,
    tasks: Option<Vec<WireTask>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireTask {
    name: Option<String>,
    #[serde(rename = "EndpointID")]
    endpoint_id: Option<String>,
    #[serde(rename = "EndpointIP")]
    endpoint_ip: Option<String>,
    info: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireStatus {
    #[serde(rename = "IPAM")]
    ipam: Option<WireIpamStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct WireIpamStatus {
    subnets: Option<BTreeMap<String, WireSubnet>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireSubnet {
    #[serde(rename = "IPsInUse")]
    ips_in_use: Option<u64>,
    #[serde(rename = "DynamicIPsAvailable")]
    dynamic_ips_available: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// formats.md §4 [V] `ingress` from the docker/cli docs, verbatim.
    const INGRESS: &str = r#"[
  {
    "Name": "ingress",
    "Id": "j0izitrut30h975vk4m1u5kk3",
    "Created": "2016-11-08T06:49:59.803387552Z",
    "Scope": "swarm",
    "Driver": "overlay",
    "EnableIPv6": false,
    "IPAM": {
      "Driver": "default",
      "Options": null,
      "Config": [ { "Subnet": "10.255.0.0/16", "Gateway": "10.255.0.1" } ]
    },
    "Internal": false,
    "Attachable": false,
    "Containers": {
      "ingress-sbox": {
        "Name": "ingress-endpoint",
        "EndpointID": "40e002d27b7e5d75f60bc72199d8cae3344e1896abec5eddae9743755fe09115",
        "MacAddress": "02:42:0a:ff:00:03",
        "IPv4Address": "10.255.0.3/16",
        "IPv6Address": ""
      }
    },
    "Options": { "com.docker.network.driver.overlay.vxlanid_list": "256" },
    "Labels": {},
    "Peers": [
      { "Name": "net-1-1d22adfe4d5c", "IP": "192.168.33.11" },
      { "Name": "net-2-d55d838b34af", "IP": "192.168.33.12" }
    ]
  }
]"#;

    /// formats.md §4 [V] `--verbose` on overlay `ov1` (trimmed there),
    /// completed with the object's head so it stands alone.
    const OV1_VERBOSE: &str = r#"[
  {
    "Name": "ov1",
    "Id": "ybmyjvao9vtzy3oorxbssj13b",
    "Created": "2018-02-15T16:02:21.868545032-05:00",
    "Scope": "swarm",
    "Driver": "overlay",
    "Containers": {
      "020403bd88a15f60747fd25d1ad5fa1272eb740e8a97fc547d8ad07b2f721c5e": {
        "Name": "s1.1.pjn2ik0sfgkfzed3h0s00gs9o",
        "EndpointID": "ad16946f416562d658f3bb30b9830d73ad91ccf6feae44411269cd0ff674714e",
        "MacAddress": "02:42:0a:00:00:04", "IPv4Address": "10.0.0.4/24", "IPv6Address": ""
      }
    },
    "Options": { "com.docker.network.driver.overlay.vxlanid_list": "4097" },
    "Peers": [ { "Name": "net-3-5d3cfd30a58c", "IP": "192.168.33.13" } ],
    "Services": {
      "s1": {
        "VIP": "10.0.0.2",
        "Ports": [],
        "LocalLBIndex": 257,
        "Tasks": [
          { "Name": "s1.2.q4hcq2aiiml25ubtrtg4q1txt",
            "EndpointID": "040879b027e55fb658e8b60ae3b87c6cdac7d291e86a190a3b5ac6567b26511a",
            "EndpointIP": "10.0.0.5",
            "Info": { "Host IP": "192.168.33.11" } }
        ]
      }
    }
  }
]"#;

    #[test]
    fn reads_the_documented_ingress() {
        let b = parse(INGRESS).unwrap();
        assert!(b.problems.is_empty());
        let n = &b.items[0];
        assert_eq!(
            (n.line, n.name.as_str(), n.id.as_str()),
            (2, "ingress", "j0izitrut30h975vk4m1u5kk3")
        );
        assert_eq!((n.scope.as_str(), n.driver.as_str()), ("swarm", "overlay"));
        assert!(
            n.ingress,
            "no Ingress field before API 1.29: the name decides"
        );
        assert!(!n.internal && !n.attachable && !n.encrypted);
        assert_eq!(
            n.ipam,
            [IpamConfig {
                subnet: "10.255.0.0/16".into(),
                gateway: "10.255.0.1".into(),
                ip_range: String::new()
            }]
        );
        let sbox = &n.containers["ingress-sbox"];
        assert_eq!(
            (sbox.name.as_str(), sbox.ipv4.as_str()),
            ("ingress-endpoint", "10.255.0.3/16")
        );
        assert_eq!(sbox.mac, "02:42:0a:ff:00:03");
        assert_eq!(n.vxlan_ids, [256]);
        assert_eq!(n.peers.len(), 2);
        assert_eq!(
            (n.peers[1].name.as_str(), n.peers[1].ip.as_str()),
            ("net-2-d55d838b34af", "192.168.33.12")
        );
        assert!(n.services.is_empty() && n.ipam_status.is_empty());
        assert_eq!(n.created.unwrap().nanosecond(), 803_387_552);
    }

    #[test]
    fn reads_verbose_services_and_local_offsets() {
        let n = &parse(OV1_VERBOSE).unwrap().items[0];
        assert!(!n.ingress);
        assert_eq!(n.vxlan_ids, [4097]);
        let created = n.created.unwrap();
        assert_eq!(
            (created.day(), created.hour()),
            (15, 21),
            "-05:00 normalized to UTC"
        );
        let s1 = &n.services["s1"];
        assert_eq!(s1.vip.as_deref(), Some("10.0.0.2"));
        assert_eq!(s1.local_lb_index, 257);
        assert!(s1.ports.is_empty());
        assert_eq!(
            s1.tasks,
            [NetTask {
                name: "s1.2.q4hcq2aiiml25ubtrtg4q1txt".into(),
                endpoint_id: "040879b027e55fb658e8b60ae3b87c6cdac7d291e86a190a3b5ac6567b26511a"
                    .into(),
                endpoint_ip: "10.0.0.5".into(),
                host_ip: "192.168.33.11".into(),
            }]
        );
        let c = &n.containers["020403bd88a15f60747fd25d1ad5fa1272eb740e8a97fc547d8ad07b2f721c5e"];
        assert_eq!(c.name, "s1.1.pjn2ik0sfgkfzed3h0s00gs9o");
    }

    #[test]
    fn newer_fields_nil_vips_and_encrypted_overlays() {
        // Docker 29 shape: Ingress field, Status.IPAM, `""` VIP for plain
        // containers; an older `<nil>` VIP; the `encrypted` option.
        let text = r#"[
    {
        "Name": "app_net", "Id": "kf6o2mc3mv9wnbn1oq0rjoxe3", "Scope": "swarm", "Driver": "overlay",
        "Ingress": false, "Attachable": true, "Created": "0001-01-01T00:00:00Z",
        "IPAM": { "Config": [ { "Subnet": "10.50.0.0/27", "Gateway": "10.50.0.1", "IPRange": "10.50.0.0/28" },
                              { "Subnet": "fd00:50::/64", "Gateway": "fd00:50::1" } ] },
        "Options": { "com.docker.network.driver.overlay.vxlanid_list": "4101,4102", "encrypted": "" },
        "Containers": { "lb-app_net": { "Name": "app_net-endpoint", "IPv4Address": "10.50.0.6/27" } },
        "Services": {
            "": { "VIP": "", "Ports": [], "LocalLBIndex": 0, "Tasks": [ { "Name": "plain", "EndpointIP": "10.50.0.9", "Info": null } ] },
            "app_web": { "VIP": "<nil>", "Ports": [ "Target: 80, Publish: 8080" ], "LocalLBIndex": 260, "Tasks": null }
        },
        "Peers": null,
        "Status": { "IPAM": { "Subnets": { "10.50.0.0/27": { "IPsInUse": 32, "DynamicIPsAvailable": 0 } } } }
    },
    {
        "Name": "ingress", "Id": "wxr5yo3u3q2zt0n8y6v0i4jyk", "Ingress": false
    }
]"#;
        let b = parse(text).unwrap();
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        let n = &b.items[0];
        assert!(n.attachable && n.encrypted);
        assert_eq!(n.created, None, "zero time means never");
        assert_eq!(n.vxlan_ids, [4101, 4102]);
        assert_eq!(n.ipam.len(), 2);
        assert_eq!(n.ipam[0].ip_range, "10.50.0.0/28");
        assert_eq!(n.services[""].vip, None);
        assert_eq!(n.services[""].tasks[0].host_ip, "");
        assert_eq!(n.services["app_web"].vip, None);
        assert_eq!(n.services["app_web"].local_lb_index, 260);
        assert_eq!(
            n.ipam_status["10.50.0.0/27"],
            SubnetStatus {
                ips_in_use: 32,
                dynamic_ips_available: 0
            }
        );
        assert!(n.peers.is_empty());
        assert!(
            !b.items[1].ingress,
            "an explicit Ingress field wins over the name"
        );
    }

    #[test]
    fn lb_port_strings() {
        assert_eq!(parse_lb_port("Target: 80, Publish: 8080"), Some((80, 8080)));
        assert_eq!(
            parse_lb_port(" Target: 6379,Publish: 30001 "),
            Some((6379, 30001))
        );
        assert_eq!(parse_lb_port("Target: 80"), None);
        assert_eq!(parse_lb_port("Publish: 1, Target: 2"), None);
        assert_eq!(parse_lb_port("Target: 99999, Publish: 1"), None);
    }

    #[test]
    fn vxlan_lists() {
        assert_eq!(parse_vxlan_ids("256"), [256]);
        assert_eq!(parse_vxlan_ids("4097, 4098"), [4097, 4098]);
        assert!(parse_vxlan_ids("").is_empty());
        assert_eq!(parse_vxlan_ids("x,5"), [5]);
    }

    #[test]
    fn no_such_network_on_a_worker() {
        let b = parse("[]\nError: No such network: app_net\n").unwrap();
        assert!(b.items.is_empty());
        assert_eq!(
            b.noise,
            [(2, "Error: No such network: app_net".to_string())]
        );
    }

    /// Real output: a one-node Docker 20.10.24 swarm in a lab namespace, printed by the 28.2.2 CLI (`--verbose`): an attachable overlay with a plain container, and ingress.
    const LAB_NETWORKS: &str = r##"[
    {
        "Name": "attach",
        "Id": "gt0p14de1l0sjbvuny8c960ox",
        "Created": "2026-11-22T00:29:29.27250071Z",
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "10.62.0.0/24",
                    "Gateway": "10.62.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": true,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "2e74232baad7284550814b9387c58a0897306f645b182e0def2ba0898bb602ac": {
                "Name": "plain",
                "EndpointID": "7eef15ca61652f73e3bdf0fadf1fb78e16e7b7448e07d678f649f15c65b26518",
                "MacAddress": "02:42:0a:3e:00:02",
                "IPv4Address": "10.62.0.2/24",
                "IPv6Address": ""
            },
            "lb-attach": {
                "Name": "attach-endpoint",
                "EndpointID": "835bf3d54a74fa130a5d81be57a420e38c2fe9965832e70efebe688e4ae7bca7",
                "MacAddress": "02:42:0a:3e:00:03",
                "IPv4Address": "10.62.0.3/24",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.driver.overlay.vxlanid_list": "4099"
        },
        "Labels": {},
        "Peers": [
            {
                "Name": "b59190872d30",
                "IP": "198.18.77.1"
            }
        ],
        "Services": {
            "": {
                "VIP": "<nil>",
                "Ports": [],
                "LocalLBIndex": 0,
                "Tasks": [
                    {
                        "Name": "plain",
                        "EndpointID": "7eef15ca61652f73e3bdf0fadf1fb78e16e7b7448e07d678f649f15c65b26518",
                        "EndpointIP": "10.62.0.2",
                        "Info": {
                            "Host IP": "198.18.77.1"
                        }
                    }
                ]
            }
        }
    },
    {
        "Name": "ingress",
        "Id": "kblvvd8ewmdkg4wkwckny7vhx",
        "Created": "2026-11-22T00:29:06.761126239Z",
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "10.0.0.0/24",
                    "Gateway": "10.0.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": true,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "27f6d79645c2170d57b93feaa49f49b61748606453200310a7e031ec5d120b90": {
                "Name": "web.1.mt4kmcujr6yrobvcse3s3bh2a",
                "EndpointID": "cdfcadf6c20533bef4ce40178b4c32f0581ab890cb34e8947babc7c4bebde9ca",
                "MacAddress": "02:42:0a:00:00:06",
                "IPv4Address": "10.0.0.6/24",
                "IPv6Address": ""
            },
            "7d1b783b46da2a0ea421e2de43b5352543a3a3aad2fe279b8fca3444a71ea59f": {
                "Name": "web.2.vchd4b86gvhlnoxs67hi2p1v0",
                "EndpointID": "7b90889abb1eb1c8a188f90ddc626ed741f55e2f573785d2fcd85a31727536c4",
                "MacAddress": "02:42:0a:00:00:05",
                "IPv4Address": "10.0.0.5/24",
                "IPv6Address": ""
            },
            "ingress-sbox": {
                "Name": "ingress-endpoint",
                "EndpointID": "69cbb7cf1ddd2d4a61c03d2dba7f5e37e5229a29ac29b788d87316ccb63ba8dc",
                "MacAddress": "02:42:0a:00:00:02",
                "IPv4Address": "10.0.0.2/24",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.driver.overlay.vxlanid_list": "4096"
        },
        "Labels": {},
        "Peers": [
            {
                "Name": "b59190872d30",
                "IP": "198.18.77.1"
            }
        ],
        "Services": {
            "": {
                "VIP": "<nil>",
                "Ports": [],
                "LocalLBIndex": 0,
                "Tasks": [
                    {
                        "Name": "ingress-endpoint",
                        "EndpointID": "69cbb7cf1ddd2d4a61c03d2dba7f5e37e5229a29ac29b788d87316ccb63ba8dc",
                        "EndpointIP": "10.0.0.2",
                        "Info": {
                            "Host IP": "198.18.77.1"
                        }
                    }
                ]
            },
            "web": {
                "VIP": "10.0.0.3",
                "Ports": [
                    "Target: 80, Publish: 8080"
                ],
                "LocalLBIndex": 257,
                "Tasks": [
                    {
                        "Name": "web.2.vchd4b86gvhlnoxs67hi2p1v0",
                        "EndpointID": "7b90889abb1eb1c8a188f90ddc626ed741f55e2f573785d2fcd85a31727536c4",
                        "EndpointIP": "10.0.0.5",
                        "Info": {
                            "Host IP": "198.18.77.1"
                        }
                    },
                    {
                        "Name": "web.1.mt4kmcujr6yrobvcse3s3bh2a",
                        "EndpointID": "cdfcadf6c20533bef4ce40178b4c32f0581ab890cb34e8947babc7c4bebde9ca",
                        "EndpointIP": "10.0.0.6",
                        "Info": {
                            "Host IP": "198.18.77.1"
                        }
                    }
                ]
            }
        }
    }
]
"##;

    #[test]
    fn reads_real_verbose_networks() {
        let b = parse(LAB_NETWORKS).unwrap();
        assert!(b.problems.is_empty());
        let (attach, ingress) = (&b.items[0], &b.items[1]);
        assert_eq!(
            (attach.name.as_str(), attach.attachable, attach.ingress),
            ("attach", true, false)
        );
        assert_eq!(attach.containers["lb-attach"].name, "attach-endpoint");
        assert_eq!(attach.containers["lb-attach"].ipv4, "10.62.0.3/24");
        let plain = &attach.services[""];
        assert_eq!(
            (plain.vip.as_deref(), plain.local_lb_index),
            (None, 0),
            "VIP <nil>"
        );
        assert_eq!(plain.tasks[0].host_ip, "198.18.77.1");
        assert_eq!(
            attach.peers,
            [Peer {
                name: "b59190872d30".into(),
                ip: "198.18.77.1".into()
            }]
        );
        assert!(ingress.ingress);
        assert_eq!(ingress.vxlan_ids, [4096]);
        let web = &ingress.services["web"];
        assert_eq!(
            (web.vip.as_deref(), web.local_lb_index),
            (Some("10.0.0.3"), 257)
        );
        assert_eq!(
            web.ports
                .iter()
                .filter_map(|p| parse_lb_port(p))
                .collect::<Vec<_>>(),
            [(80, 8080)]
        );
        assert_eq!(web.tasks.len(), 2);
        assert_eq!(ingress.containers["ingress-sbox"].ipv4, "10.0.0.2/24");
    }
}
