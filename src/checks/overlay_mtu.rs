//! SW604 overlay-mtu-exceeds-underlay.
//!
//! ## What it detects
//! An overlay whose MTU plus the 50 bytes of VXLAN encapsulation exceeds the
//! MTU of the host interface that carries the node's swarm address (docker
//! info `Swarm.NodeAddr`, found in `host/ip-addr.txt`). The overlay MTU is
//! read from `vxlan0`/`br0` in the network's `netns/1-<netid10>/ip-link.txt`;
//! when that namespace is missing it is computed for the networks the node
//! holds: `com.docker.network.driver.mtu` (default 1500) minus 50.
//!
//! ## Why it breaks traffic
//! Full-size overlay packets become VXLAN packets larger than the uplink
//! carries and are dropped (DF set): pings and small requests work, large
//! responses and TLS handshakes hang. Typical on OpenStack (1450), WireGuard
//! (1420) and VPN underlays.
//!
//! ## How to fix
//! Create the overlay with `--opt com.docker.network.driver.mtu=<uplink MTU>`
//! (docker subtracts the 50 itself; ingress must be re-created the same way),
//! or raise the uplink MTU.

use super::host_facts::{iface_text, iface_with, own_ip};
use super::{evidence, Checks};
use crate::model::{Cluster, NodeState};
use crate::parse::ip_addr::Interface;
use crate::parse::network::Network;

const VXLAN_OVERHEAD: u32 = 50;
const MTU_OPT: &str = "com.docker.network.driver.mtu";

pub fn check(cluster: &Cluster, out: &mut Checks) {
    for n in &cluster.nodes {
        let overlays = overlay_mtus(cluster, n);
        if overlays.is_empty() {
            continue;
        }
        let Some(ip) = own_ip(cluster, n) else {
            out.not_run(
                "SW604",
                format!("no Swarm.NodeAddr in docker/info.json on {}", n.label),
            );
            continue;
        };
        let Some((under, mtu)) = iface_with(n, ip).and_then(|i| Some((i, i.mtu?))) else {
            out.not_run(
                "SW604",
                format!(
                    "node address {ip} not found in host/ip-addr.txt on {}",
                    n.label
                ),
            );
            continue;
        };
        for o in overlays
            .iter()
            .filter(|o| o.mtu.saturating_add(VXLAN_OVERHEAD) > mtu)
        {
            let mut ev = vec![evidence(
                n.file("host/ip-addr.txt"),
                under.line,
                iface_text(under),
            )];
            if let Some((file, line, text)) = &o.evidence {
                ev.push(evidence(n.file(file), *line, text.clone()));
            }
            out.report(
                "SW604",
                Some(format!("network {}", o.name)),
                &[&n.label],
                1,
                format!(
                    "{}: overlay {} MTU {} ({}) + {VXLAN_OVERHEAD} = {} > {} MTU {mtu} (carries node address {ip})",
                    n.hostname,
                    o.name,
                    o.mtu,
                    o.source,
                    o.mtu.saturating_add(VXLAN_OVERHEAD),
                    under.name
                ),
                ev,
            );
        }
    }
}

struct OverlayMtu {
    name: String,
    mtu: u32,
    /// `vxlan0 in netns/1-…` or how it was computed.
    source: String,
    evidence: Option<(String, usize, String)>,
}

/// The MTU of every overlay on the node: observed in its `1-*` namespace,
/// else computed for the overlays in its own networks.json.
fn overlay_mtus(cluster: &Cluster, n: &NodeState) -> Vec<OverlayMtu> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (ns, st) in n.netns.iter().filter(|(k, _)| k.starts_with("1-")) {
        let prefix = ns.trim_start_matches("1-");
        let net = find_net(cluster, n, prefix);
        let (file, ifaces) = match (&st.links, &st.addrs) {
            (Some(l), _) => ("ip-link.txt", l),
            (None, Some(a)) => ("ip-addr.txt", a),
            _ => continue,
        };
        let Some((iface, mtu)) = vxlan_iface(ifaces) else {
            continue;
        };
        seen.push(prefix.to_string());
        out.push(OverlayMtu {
            name: net.map_or_else(|| ns.clone(), |n| n.name.clone()),
            mtu,
            source: format!("{} in netns/{ns}", iface.name),
            evidence: Some((format!("netns/{ns}/{file}"), iface.line, iface_text(iface))),
        });
    }
    for net in n.networks.iter().flatten() {
        if net.driver != "overlay"
            || net.encrypted
            || seen.iter().any(|p| net.id.starts_with(p.as_str()))
        {
            continue;
        }
        let opt = net
            .options
            .get(MTU_OPT)
            .and_then(|v| v.trim().parse::<u32>().ok());
        let Some(base) = opt.or(Some(1500)).filter(|b| *b > VXLAN_OVERHEAD) else {
            continue;
        };
        out.push(OverlayMtu {
            name: net.name.clone(),
            mtu: base - VXLAN_OVERHEAD,
            source: match opt {
                Some(v) => format!("computed: {MTU_OPT}={v} - {VXLAN_OVERHEAD}"),
                None => format!("computed: no {MTU_OPT}, 1500 - {VXLAN_OVERHEAD}"),
            },
            evidence: Some((
                "swarm/networks.json".into(),
                net.line,
                format!("\"Name\": \"{}\"", net.name),
            )),
        });
    }
    out
}

/// `vxlan0` (kind vxlan), else the overlay bridge `br0`.
fn vxlan_iface(ifaces: &[Interface]) -> Option<(&Interface, u32)> {
    let pick = |f: &dyn Fn(&Interface) -> bool| {
        ifaces
            .iter()
            .filter(|i| f(i))
            .find_map(|i| Some((i, i.mtu?)))
    };
    pick(&|i| i.kind.as_deref() == Some("vxlan") || i.name.starts_with("vxlan"))
        .or_else(|| pick(&|i| i.name == "br0"))
}

fn find_net<'a>(cluster: &'a Cluster, n: &'a NodeState, prefix: &str) -> Option<&'a Network> {
    n.networks
        .iter()
        .flatten()
        .chain(cluster.networks.iter())
        .find(|net| !prefix.is_empty() && net.id.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::super::host_test_util::{analyze_dir, findings_of, fixture};

    #[test]
    fn fires_when_vxlan_mtu_exceeds_uplink() {
        let a = analyze_dir(&fixture("SW604", "fires"));
        let f = findings_of(&a, "SW604");
        let subjects: Vec<_> = f.iter().filter_map(|f| f.subject.as_deref()).collect();
        // appnet observed in its namespace, ingress computed from networks.json.
        assert_eq!(subjects, ["network appnet", "network ingress"]);
        assert!(f[0].detail.contains(
            "node1: overlay appnet MTU 1450 (vxlan0 in netns/1-4b619amvxl) + 50 = 1500 > eth0 MTU 1400 (carries node address 198.18.0.11)"
        ), "{}", f[0].detail);
        assert!(f[1]
            .detail
            .contains("computed: no com.docker.network.driver.mtu, 1500 - 50"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node1/netns/1-4b619amvxl/ip-link.txt"
                && e.text == "11: vxlan0: mtu 1450"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.file == "node1/host/ip-addr.txt" && e.text == "2: eth0: mtu 1400"));
    }

    #[test]
    fn quiet_when_the_mtu_option_fits_the_uplink() {
        // Uplink 1400, overlay created with driver.mtu=1400 -> vxlan0 1350.
        let a = analyze_dir(&fixture("SW604", "quiet"));
        assert!(findings_of(&a, "SW604").is_empty());
    }
}
