//! `docker info` as text (a sosreport's `sos_commands/docker/docker_info`):
//! the same facts as [`super::info`], read from the CLI's indented listing.
//!
//! ```text
//! Server:
//!  Server Version: 20.10.24+dfsg1
//!  Storage Driver: overlay2
//!  Cgroup Driver: cgroupfs
//!  Cgroup Version: 1
//!  Swarm: active
//!   NodeID: 2jj2u469fhmdsxefllxup7jht
//!   Is Manager: true
//!   ClusterID: kty6rixenzsql92bhz2j6g0h5
//!   Managers: 1
//!   Nodes: 2
//!   Data Path Port: 4789
//!   Node Address: 198.18.0.11
//!   Manager Addresses:
//!    198.18.0.11:2377
//!  Kernel Version: 6.18.44-fc-v1147
//!  Name: node1
//! WARNING: bridge-nf-call-iptables is disabled
//! ```
//!
//! Before 19.03 there is no `Server:` heading and the keys start at column
//! 0; the swarm keys are always one level below `Swarm:`. A worker's section
//! has no `ClusterID`, `Managers` or `Nodes`; a node in `error` state adds
//! `Error:`. Booleans the JSON carries (`IPv4Forwarding`, `BridgeNfIptables`)
//! are printed only as warnings when false, so they are `Some(false)` on a
//! warning and `None` otherwise.

use super::info::{Info, RemoteManager, SwarmInfo};
use super::ParseError;

/// One `Key: value` line: its indent, key and value (trimmed).
struct Line<'a> {
    indent: usize,
    key: &'a str,
    value: &'a str,
}

fn split(line: &str) -> Option<Line<'_>> {
    let indent = line.len() - line.trim_start().len();
    let (key, value) = line.trim().split_once(':')?;
    Some(Line {
        indent,
        key: key.trim(),
        value: value.trim(),
    })
}

/// Parses `docker info` text. Fails when the text holds neither server
/// facts nor an error saying why there are none.
pub fn parse(text: &str) -> Result<Info, ParseError> {
    let mut info = Info::default();
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    // Server keys sit at the indent of `Server Version:`.
    let server_indent = lines
        .iter()
        .filter_map(|l| split(l))
        .find(|l| l.key == "Server Version" || l.key == "Containers")
        .map(|l| l.indent);
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let trimmed = raw.trim();
        i += 1;
        if let Some(w) = trimmed.strip_prefix("WARNING:") {
            let w = w.trim().to_string();
            let lower = w.to_ascii_lowercase();
            if lower.contains("ipv4 forwarding is disabled") {
                info.ipv4_forwarding = Some(false);
            }
            if lower.contains("bridge-nf-call-iptables is disabled") {
                info.bridge_nf_iptables = Some(false);
            }
            if lower.contains("bridge-nf-call-ip6tables is disabled") {
                info.bridge_nf_ip6tables = Some(false);
            }
            info.warnings.push(w);
            continue;
        }
        if let Some(e) = trimmed.strip_prefix("ERROR:") {
            info.server_errors.push(e.trim().to_string());
            continue;
        }
        if trimmed.starts_with("Cannot connect to the Docker daemon")
            || trimmed.starts_with("error during connect")
        {
            info.server_errors.push(trimmed.to_string());
            continue;
        }
        let Some(l) = split(raw) else { continue };
        if Some(l.indent) != server_indent {
            continue;
        }
        match l.key {
            "Server Version" => info.server_version = l.value.to_string(),
            "Kernel Version" => info.kernel_version = known(l.value),
            "Operating System" => info.operating_system = known(l.value),
            "Name" => info.name = l.value.to_string(),
            "ID" => info.id = l.value.to_string(),
            "CPUs" => info.ncpu = l.value.parse().unwrap_or(0),
            "Total Memory" => info.mem_total = bytes(l.value).unwrap_or(0),
            "Cgroup Driver" => info.cgroup_driver = l.value.to_string(),
            "Cgroup Version" => info.cgroup_version = l.value.to_string(),
            "Storage Driver" => info.storage_driver = l.value.to_string(),
            "Swarm" => {
                info.swarm.local_node_state = l.value.to_string();
                i = swarm(&lines, i, l.indent, &mut info.swarm);
            }
            _ => {}
        }
    }
    if info.server_version.is_empty()
        && info.name.is_empty()
        && info.server_errors.is_empty()
        && info.swarm.local_node_state.is_empty()
    {
        return Err(ParseError::new(
            None,
            "not `docker info` output (no Server Version, Name, Swarm or ERROR line)",
        ));
    }
    Ok(info)
}

/// Reads the swarm section after line `start` (the lines indented deeper
/// than `Swarm:` at `indent`); returns the first line after it.
fn swarm(lines: &[&str], start: usize, indent: usize, s: &mut SwarmInfo) -> usize {
    let mut i = start;
    // The key a deeper line belongs to (`Manager Addresses`, `Default Address Pool`).
    let mut parent = "";
    let mut key_indent = None;
    while i < lines.len() {
        let raw = lines[i];
        let depth = raw.len() - raw.trim_start().len();
        if raw.trim().is_empty() || depth <= indent {
            break;
        }
        i += 1;
        let ki = *key_indent.get_or_insert(depth);
        if depth > ki {
            let item = raw.trim();
            match parent {
                "Manager Addresses" => s.remote_managers.push(RemoteManager {
                    node_id: String::new(),
                    addr: item.to_string(),
                }),
                "Default Address Pool" => {
                    if let Some(l) = split(raw).filter(|l| l.key == "SubnetSize") {
                        s.subnet_size = l.value.parse().ok();
                    }
                }
                _ => {}
            }
            continue;
        }
        let Some(l) = split(raw) else { continue };
        parent = l.key;
        match l.key {
            "NodeID" => s.node_id = l.value.to_string(),
            "Is Manager" => s.control_available = l.value == "true",
            "ClusterID" => s.cluster_id = l.value.to_string(),
            "Managers" => s.managers = l.value.parse().ok(),
            "Nodes" => s.nodes = l.value.parse().ok(),
            "Data Path Port" => s.data_path_port = l.value.parse().ok(),
            "Node Address" => s.node_addr = l.value.to_string(),
            "Error" => s.error = l.value.to_string(),
            "Default Address Pool" => {
                s.default_addr_pool = l.value.split_whitespace().map(String::from).collect()
            }
            "SubnetSize" => s.subnet_size = l.value.parse().ok(),
            _ => {}
        }
    }
    i
}

fn known(v: &str) -> String {
    if v == "<unknown>" {
        String::new()
    } else {
        v.to_string()
    }
}

/// `23.54GiB`, `1.944GiB`, `512MiB` (the CLI's binary units) as bytes.
fn bytes(v: &str) -> Option<u64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.trim().parse().ok()?;
    let mult: f64 = match unit.trim() {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let b = n * mult;
    (b.is_finite() && b >= 0.0 && b < u64::MAX as f64).then_some(b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manager's `docker info` from a real sosreport (lab, 20.10.24).
    const MANAGER: &str = "Client:\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: 1\n  Running: 1\n Server Version: 20.10.24+dfsg1\n Storage Driver: overlay2\n  Backing Filesystem: extfs\n Cgroup Driver: cgroupfs\n Cgroup Version: 1\n Plugins:\n  Network: bridge host ipvlan macvlan null overlay\n Swarm: active\n  NodeID: 2jj2u469fhmdsxefllxup7jht\n  Is Manager: true\n  ClusterID: kty6rixenzsql92bhz2j6g0h5\n  Managers: 1\n  Nodes: 2\n  Data Path Port: 4789\n  Orchestration:\n   Task History Retention Limit: 5\n  Raft:\n   Snapshot Interval: 10000\n  Autolock Managers: false\n  Node Address: 198.18.0.11\n  Manager Addresses:\n   198.18.0.11:2377\n Runtimes: runc io.containerd.runc.v2\n Kernel Version: 6.18.44-fc-v1147\n Operating System: Debian GNU/Linux 12 (bookworm)\n CPUs: 2\n Total Memory: 23.54GiB\n Name: node1\n ID: K2X7:AXHT\n Live Restore Enabled: false\n\nWARNING: bridge-nf-call-iptables is disabled\n";

    #[test]
    fn manager_swarm_section() {
        let i = parse(MANAGER).unwrap();
        assert_eq!(i.name, "node1");
        assert_eq!(i.server_version, "20.10.24+dfsg1");
        assert_eq!(i.kernel_version, "6.18.44-fc-v1147");
        assert_eq!(i.storage_driver, "overlay2");
        assert_eq!(
            (i.cgroup_driver.as_str(), i.cgroup_version.as_str()),
            ("cgroupfs", "1")
        );
        assert_eq!(i.ncpu, 2);
        assert_eq!(i.mem_total / (1024 * 1024), 24104);
        let s = &i.swarm;
        assert_eq!(s.local_node_state, "active");
        assert_eq!(s.node_id, "2jj2u469fhmdsxefllxup7jht");
        assert!(s.control_available);
        assert_eq!(s.cluster_id, "kty6rixenzsql92bhz2j6g0h5");
        assert_eq!((s.managers, s.nodes), (Some(1), Some(2)));
        assert_eq!(s.data_path_port, Some(4789));
        assert_eq!(s.node_addr, "198.18.0.11");
        assert_eq!(s.remote_managers.len(), 1);
        assert_eq!(s.remote_managers[0].addr, "198.18.0.11:2377");
        assert_eq!(i.bridge_nf_iptables, Some(false));
        assert_eq!(i.ipv4_forwarding, None);
        assert_eq!(i.warnings, ["bridge-nf-call-iptables is disabled"]);
    }

    #[test]
    fn worker_has_no_cluster_id_and_old_cli_has_no_server_heading() {
        let text = "Containers: 0\nServer Version: 17.06.2-ee-16\nSwarm: error\n NodeID: abc\n Error: rpc error: code = Unavailable desc = all SubConns are in TransientFailure\n Is Manager: false\n Node Address: 10.0.0.12\n Manager Addresses:\n  10.0.0.11:2377\n  10.0.0.13:2377\nKernel Version: 3.10.0-862.el7.x86_64\nName: wrk1\nWARNING: IPv4 forwarding is disabled\n";
        let i = parse(text).unwrap();
        assert_eq!(i.name, "wrk1");
        assert_eq!(i.server_version, "17.06.2-ee-16");
        assert_eq!(i.swarm.local_node_state, "error");
        assert!(!i.swarm.control_available);
        assert!(i.swarm.cluster_id.is_empty());
        assert!(i.swarm.error.starts_with("rpc error: code = Unavailable"));
        let addrs: Vec<&str> = i
            .swarm
            .remote_managers
            .iter()
            .map(|m| m.addr.as_str())
            .collect();
        assert_eq!(addrs, ["10.0.0.11:2377", "10.0.0.13:2377"]);
        assert_eq!(i.ipv4_forwarding, Some(false));
        assert_eq!(i.kernel_version, "3.10.0-862.el7.x86_64");
    }

    #[test]
    fn unreachable_daemon_and_unrelated_text() {
        let text = "Client:\n Debug Mode: false\n\nServer:\nERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\nerrors pretty printing info\n";
        let i = parse(text).unwrap();
        assert!(!i.daemon_reachable());
        assert_eq!(i.server_errors.len(), 1);
        assert!(parse("hello\nworld: 1\n").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn memory_units() {
        assert_eq!(bytes("512MiB"), Some(512 * 1024 * 1024));
        assert_eq!(bytes("1.5KiB"), Some(1536));
        assert_eq!(bytes("lots"), None);
        assert_eq!(bytes("1e400GiB"), None);
    }
}
