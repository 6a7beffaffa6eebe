//! Small helpers shared by the checks: namespace names for a network, the
//! tasks behind a service, fwmark rendering, where a node's load balancer for
//! a network lives, and whether the node has IPVS at all.

use crate::finding::Evidence;
use crate::model::{Cluster, NetState, NodeState};
use crate::parse::container::Container;
use crate::parse::iptables::{Rule, Ruleset};
use crate::parse::ipvsadm::{Backend, IpvsService};
use crate::parse::network::Network;
use crate::parse::service::{split_cidr, Service};
use crate::parse::task::Task;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The namespace holding the ingress routing mesh on every node.
pub const INGRESS_SBOX: &str = "ingress_sbox";

/// Task states after which the task holds no address any more.
const TERMINAL: &[&str] = &[
    "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
];

/// True for a task that is done (its addresses are free, even if
/// `tasks.json` still lists them).
pub fn is_terminal(task: &Task) -> bool {
    TERMINAL.contains(&task.state.as_str())
}

/// `lb_<netid[:9]>`: the per-node load-balancer namespace (18.06+).
pub fn lb_ns_name(net_id: &str) -> String {
    format!("lb_{}", net_id.chars().take(9).collect::<String>())
}

/// `1-<netid[:10]>`: the overlay driver namespace (br0, vxlan0).
pub fn overlay_ns_name(net_id: &str) -> String {
    format!("1-{}", net_id.chars().take(10).collect::<String>())
}

/// `0x102 (258)`: a fwmark as iptables prints it, then as ipvsadm does.
pub fn mark_str(mark: u32) -> String {
    format!("{mark:#x} ({mark})")
}

/// The IP of a CIDR string (`10.0.0.7/24`) or a bare IP.
pub fn ip_of(s: &str) -> Option<IpAddr> {
    split_cidr(s).0.parse().ok()
}

/// `{10.0.0.6, 10.0.0.7}`.
pub fn ip_set(ips: &BTreeSet<IpAddr>) -> String {
    let v: Vec<String> = ips.iter().map(|i| i.to_string()).collect();
    format!("{{{}}}", v.join(", "))
}

/// `FWM  258 rr` as ipvsadm printed it.
pub fn ipvs_service_text(s: &IpvsService) -> String {
    use crate::parse::ipvsadm::ServiceKey as K;
    let kind = match &s.kind {
        K::Fwm(m) => format!("FWM  {m}"),
        K::Tcp(a) => format!("TCP  {a}"),
        K::Udp(a) => format!("UDP  {a}"),
        K::Sctp(a) => format!("SCTP {a}"),
    };
    match &s.scheduler {
        Some(sched) => format!("{kind} {sched}"),
        None => kind,
    }
}

/// `-> 10.0.0.6:0 Masq 1` (the columns that matter).
pub fn backend_text(b: &Backend) -> String {
    let port = b.port.map(|p| format!(":{p}")).unwrap_or_default();
    let fwd = b.forward.as_deref().unwrap_or("?");
    let w = b
        .weight
        .map(|w| w.to_string())
        .unwrap_or_else(|| "?".into());
    format!("-> {}{port} {fwd} {w}", b.addr)
}

/// The swarm node id of a bundle: docker info, else the manager's node list by hostname.
pub fn swarm_id<'a>(cluster: &'a Cluster, node: &'a NodeState) -> Option<&'a str> {
    if !node.node_id.is_empty() {
        return Some(&node.node_id);
    }
    cluster
        .swarm_nodes
        .iter()
        .find(|n| n.hostname == node.hostname)
        .map(|n| n.id.as_str())
}

/// Hostname of the node running `task`, or its node id.
pub fn task_node<'a>(cluster: &'a Cluster, task: &'a Task) -> &'a str {
    cluster.hostname_of(&task.node_id).unwrap_or(&task.node_id)
}

/// `vote.1 njrh2ofmap06` (service name, slot or node, short task id).
pub fn task_label(cluster: &Cluster, task: &Task) -> String {
    let svc = cluster
        .service(&task.service_id)
        .map(|s| s.name.as_str())
        .unwrap_or(&task.service_id);
    let slot = match task.slot {
        Some(s) => s.to_string(),
        None => task_node(cluster, task).to_string(),
    };
    let id: String = task.id.chars().take(12).collect();
    format!("{svc}.{slot} {id}")
}

/// The task's address on network `net_id`, if it has one.
pub fn task_ip(task: &Task, net_id: &str) -> Option<IpAddr> {
    task.attachments
        .iter()
        .filter(|a| a.network_id == net_id)
        .flat_map(|a| a.addresses.iter())
        .find_map(|a| ip_of(a))
}

/// Tasks of `service_id` that run and should run, by their address on `net_id`:
/// the backends every node's load balancer should list.
pub fn running_backends<'a>(
    cluster: &'a Cluster,
    service_id: &str,
    net_id: &str,
) -> BTreeMap<IpAddr, &'a Task> {
    cluster
        .tasks_of(service_id)
        .filter(|t| t.state == "running")
        .filter(|t| t.desired_state == "running")
        .filter_map(|t| Some((task_ip(t, net_id)?, t)))
        .collect()
}

/// Running tasks on this node with an address on `net_id`.
pub fn tasks_on_node<'a>(cluster: &'a Cluster, node: &'a NodeState, net_id: &str) -> Vec<&'a Task> {
    let Some(id) = swarm_id(cluster, node) else {
        return Vec::new();
    };
    cluster
        .tasks
        .iter()
        .filter(|t| t.node_id == id && t.state == "running")
        .filter(|t| task_ip(t, net_id).is_some())
        .collect()
}

/// The services with a VIP on `net_id` (vip endpoint mode), with that VIP.
pub fn services_with_vip<'a>(cluster: &'a Cluster, net_id: &str) -> Vec<(&'a Service, IpAddr)> {
    cluster
        .services
        .iter()
        .filter(|s| s.endpoint_mode != "dnsrr")
        .filter_map(|s| {
            let vip = s.vips.iter().find(|v| v.network_id == net_id)?;
            Some((s, vip.addr.parse().ok()?))
        })
        .collect()
}

/// This node's own view of a network (its `swarm/networks.json`).
pub fn node_network<'a>(node: &'a NodeState, net_id: &str) -> Option<&'a Network> {
    node.networks.as_ref()?.iter().find(|n| n.id == net_id)
}

/// `LocalLBIndex` this node reports for a service on a network; `None` when
/// unknown or 0 (no local load balancer).
pub fn local_lb_index(node: &NodeState, net_id: &str, service: &str) -> Option<u32> {
    node_network(node, net_id)?
        .services
        .get(service)
        .map(|s| s.local_lb_index)
        .filter(|&i| i != 0)
}

/// Where a node balances a network's VIPs: its `lb_<netid9>` namespace
/// (18.06+) or, on older engines, every task container's own namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbModel {
    PerNode,
    PerContainer,
}

/// The node's model: an `lb_*` namespace decides; else the engine version
/// (< 18.06 is per container); unknown versions count as per node.
pub fn lb_model(node: &NodeState) -> LbModel {
    if node.netns.keys().any(|k| k.starts_with("lb_")) {
        return LbModel::PerNode;
    }
    match node.engine_version().and_then(year_month) {
        Some(v) if v < (18, 6) => LbModel::PerContainer,
        _ => LbModel::PerNode,
    }
}

/// `17.06.2-ee-15` → (17, 6).
fn year_month(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split(|c: char| !c.is_ascii_digit());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// One namespace holding (or meant to hold) a load balancer.
pub struct LbNs<'a> {
    pub name: String,
    /// The task container owning the namespace (per-container model).
    pub container: Option<&'a Container>,
}

/// The namespaces where this node balances network `net`: `ingress_sbox`
/// for ingress, else `lb_<netid9>` or the sandboxes of running containers
/// attached to it.
pub fn lb_namespaces<'a>(node: &'a NodeState, net: &Network) -> Vec<LbNs<'a>> {
    if net.ingress {
        let name = INGRESS_SBOX.into();
        return vec![LbNs {
            name,
            container: None,
        }];
    }
    match lb_model(node) {
        LbModel::PerNode => vec![LbNs {
            name: lb_ns_name(&net.id),
            container: None,
        }],
        LbModel::PerContainer => node
            .containers
            .iter()
            .flatten()
            .filter(|c| c.running)
            .filter(|c| c.networks.values().any(|n| n.network_id == net.id))
            .filter_map(|c| {
                let name = c.sandbox_key.rsplit('/').next()?.to_string();
                (!name.is_empty()).then_some(LbNs {
                    name,
                    container: Some(c),
                })
            })
            .collect(),
    }
}

/// A node's load balancer for one network, on a node that needs one: it
/// runs a task on the network (every swarm node for ingress, 18.06+ only).
/// Nodes without IPVS (SW108) have none.
pub struct Site<'a> {
    pub node: &'a NodeState,
    pub net: &'a Network,
    pub ns: LbNs<'a>,
    /// Running tasks of this node on the network.
    pub local: Vec<&'a Task>,
    /// Services with a VIP on the network, with that VIP.
    pub services: Vec<(&'a Service, IpAddr)>,
}

pub fn lb_sites(cluster: &Cluster) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    for node in cluster.nodes.iter().filter(|n| !lacks_ipvs(n)) {
        for net in cluster.networks.iter().filter(|n| n.driver == "overlay") {
            let services = services_with_vip(cluster, &net.id);
            let local = tasks_on_node(cluster, node, &net.id);
            let needed = if net.ingress {
                in_swarm(node) && lb_model(node) == LbModel::PerNode
            } else {
                !local.is_empty()
            };
            if services.is_empty() || !needed {
                continue;
            }
            for ns in lb_namespaces(node, net) {
                let (local, services) = (local.clone(), services.clone());
                out.push(Site {
                    node,
                    net,
                    ns,
                    local,
                    services,
                });
            }
        }
    }
    out
}

/// Says why the load-balancer checks cannot run without a manager bundle,
/// when there is a data plane to check.
pub fn needs_manager(cluster: &Cluster, ids: &[&str], out: &mut super::Checks) -> bool {
    if cluster.cluster_source.is_some() {
        return false;
    }
    if cluster.nodes.iter().any(|n| !n.netns.is_empty()) {
        for id in ids {
            out.not_run(
                id,
                "no swarm/services.json and swarm/tasks.json from a manager",
            );
        }
    }
    true
}

/// The networks a namespace balances: ingress for `ingress_sbox`, the
/// network whose id starts with the suffix of `lb_…`, or those of the
/// container owning the sandbox.
pub fn ns_networks<'a>(cluster: &'a Cluster, node: &NodeState, ns: &str) -> Vec<&'a Network> {
    if ns == INGRESS_SBOX {
        return cluster.networks.iter().filter(|n| n.ingress).collect();
    }
    if let Some(prefix) = ns.strip_prefix("lb_") {
        return cluster
            .networks
            .iter()
            .filter(|n| !prefix.is_empty() && n.id.starts_with(prefix))
            .collect();
    }
    let Some(c) = node
        .containers
        .iter()
        .flatten()
        .find(|c| c.sandbox_key.rsplit('/').next() == Some(ns))
    else {
        return Vec::new();
    };
    cluster
        .networks
        .iter()
        .filter(|n| !n.ingress && c.networks.values().any(|cn| cn.network_id == n.id))
        .collect()
}

/// Whether a node has a namespace, as far as its bundle can tell.
pub enum Presence<'a> {
    Present(&'a NetState),
    /// The collector enumerated the node's namespaces and this one was not there.
    Absent,
    /// Cannot tell (no manifest, no namespace collected, or skipped): why.
    Unknown(String),
}

/// Looks `ns` up in the bundle; a namespace counts as absent only when the
/// manifest shows the collector walked `netns/` without meeting it.
pub fn presence<'a>(node: &'a NodeState, ns: &str) -> Presence<'a> {
    if let Some(state) = node.netns.get(ns) {
        return Presence::Present(state);
    }
    let Some(m) = &node.manifest else {
        return Presence::Unknown(format!(
            "no netns/{ns} on {} and no manifest.json to tell whether it exists",
            node.hostname
        ));
    };
    let prefix = format!("netns/{ns}/");
    if let Some(skip) = m
        .commands
        .iter()
        .filter(|c| c.path.starts_with(&prefix))
        .find_map(|c| c.skipped.as_ref())
    {
        return Presence::Unknown(format!("netns/{ns} skipped on {}: {skip}", node.hostname));
    }
    if m.commands.iter().any(|c| c.path.starts_with("netns/")) {
        Presence::Absent
    } else {
        Presence::Unknown(format!("no namespace collected on {}", node.hostname))
    }
}

/// `service vote on overlay1` when a service owns `mark` in namespace `ns`
/// (a mark rule for its VIP or ingress port, or its `LocalLBIndex`), else
/// `fwmark 258 in lb_…`.
pub fn mark_owner(cluster: &Cluster, node: &NodeState, ns: &str, mark: u32) -> String {
    let rs = node.netns.get(ns).and_then(|s| s.iptables.as_ref());
    let marks = |rules: Vec<&Rule>| rules.iter().any(|r| r.set_mark == Some(mark));
    for net in ns_networks(cluster, node, ns) {
        for (svc, vip) in services_with_vip(cluster, &net.id) {
            let by_rule = rs.is_some_and(|rs| {
                marks(vip_mark_rules(rs, vip))
                    || (net.ingress
                        && svc.ports.iter().any(|p| {
                            p.published
                                .is_some_and(|port| marks(port_mark_rules(rs, &p.protocol, port)))
                        }))
            });
            if by_rule || local_lb_index(node, &net.id, &svc.name) == Some(mark) {
                return format!("service {} on {}", svc.name, net.name);
            }
        }
    }
    format!("fwmark {mark} in {ns}")
}

/// MARK rules of the mangle table (any chain) that set a mark.
pub fn mark_rules(rs: &Ruleset) -> Vec<&Rule> {
    rs.tables
        .get("mangle")
        .into_iter()
        .flat_map(|t| t.chains.values())
        .flat_map(|c| c.rules.iter())
        .filter(|r| r.target.as_deref() == Some("MARK") && r.set_mark.is_some())
        .collect()
}

/// Mangle MARK rules matching traffic to `vip` (`-d VIP/32`).
pub fn vip_mark_rules(rs: &Ruleset, vip: IpAddr) -> Vec<&Rule> {
    mark_rules(rs)
        .into_iter()
        .filter(|r| !r.negated && r.destination.as_deref().and_then(ip_of) == Some(vip))
        .filter(|r| r.destination.as_deref().is_some_and(is_host_route))
        .collect()
}

/// Mangle MARK rules matching a published port (`-p tcp --dport 8080`).
pub fn port_mark_rules<'a>(rs: &'a Ruleset, proto: &str, port: u16) -> Vec<&'a Rule> {
    mark_rules(rs)
        .into_iter()
        .filter(|r| !r.negated && r.protocol.as_deref() == Some(proto))
        .filter(|r| r.dport.as_deref().is_some_and(|d| port_matches(d, port)))
        .collect()
}

fn is_host_route(cidr: &str) -> bool {
    matches!(split_cidr(cidr).1, None | Some(32) | Some(128))
}

/// True when an iptables port match (`8080`, `8000:8100`, `80,443`) covers `port`.
pub fn port_matches(spec: &str, port: u16) -> bool {
    spec.split(',').any(|part| match part.split_once(':') {
        Some((lo, hi)) => {
            let lo = lo.trim().parse::<u16>().unwrap_or(0);
            let hi = hi.trim().parse::<u16>().unwrap_or(u16::MAX);
            (lo..=hi).contains(&port)
        }
        None => part.trim().parse::<u16>() == Ok(port),
    })
}

/// The IPVS fwmark service `mark` of a namespace.
pub fn fwm(state: &NetState, mark: u32) -> Option<&IpvsService> {
    state
        .ipvs
        .as_ref()?
        .services
        .iter()
        .find(|s| s.fwmark() == Some(mark))
}

/// True when `ip` is a `/32` alias (a VIP) on any interface of the namespace.
pub fn has_vip_alias(state: &NetState, ip: IpAddr) -> bool {
    state
        .addrs
        .iter()
        .flatten()
        .flat_map(|i| i.host_aliases())
        .any(|a| a.ip == ip)
}

/// The namespaces where ipvsadm says it cannot initialise IPVS, with the
/// message. Empty when IPVS works (or nothing tells).
pub fn ipvs_failures(node: &NodeState) -> Vec<(&str, &str)> {
    node.netns
        .iter()
        .filter_map(|(name, ns)| {
            let ipvs = ns.ipvs.as_ref()?;
            (!ipvs.available).then(|| (name.as_str(), ipvs.error.as_deref().unwrap_or("")))
        })
        .collect()
}

/// A node that cannot have any IPVS state (SW108): ipvsadm fails in some
/// namespace, or the daemon logged KMOD-01 and no `ipvsadm -Ln` printed a
/// working table since (the module may have been loaded after that line).
/// The load-balancer chain checks skip such a node.
pub fn lacks_ipvs(node: &NodeState) -> bool {
    !ipvs_failures(node).is_empty()
        || (node.log_signatures.contains_key("KMOD-01") && !ipvs_works(node))
}

/// Some namespace's `ipvsadm -Ln` printed its table: IPVS works.
pub fn ipvs_works(node: &NodeState) -> bool {
    node.netns
        .values()
        .filter_map(|ns| ns.ipvs.as_ref())
        .any(|i| i.available && (i.version.is_some() || !i.services.is_empty()))
}

/// Whether the node is a live member of the swarm: docker info says
/// `active`; without docker info, an ingress sandbox says so. `false` for a
/// node whose daemon is down or that left the swarm.
pub fn in_swarm(node: &NodeState) -> bool {
    match &node.info {
        Some(i) if i.daemon_reachable() => i.swarm.local_node_state == "active",
        Some(_) => false,
        None => node.netns.contains_key(INGRESS_SBOX),
    }
}

/// Evidence for a whole file (a derived fact, line 0).
pub fn file_fact(node: &NodeState, rel: &str, text: impl Into<String>) -> Evidence {
    super::evidence(node.file(rel), 0, text)
}

/// Evidence for one iptables rule of a namespace (`None`: the host).
pub fn rule_evidence(node: &NodeState, ns: Option<&str>, rule: &Rule) -> Evidence {
    super::evidence(node.file(&iptables_file(ns)), rule.line, rule.text.clone())
}

pub fn iptables_file(ns: Option<&str>) -> String {
    match ns {
        Some(ns) => format!("netns/{ns}/iptables-save.txt"),
        None => "host/iptables-save.txt".into(),
    }
}

pub fn ipvs_file(ns: &str) -> String {
    format!("netns/{ns}/ipvsadm.txt")
}

pub fn addr_file(ns: &str) -> String {
    format!("netns/{ns}/ip-addr.txt")
}

/// Evidence for an IPVS service line.
pub fn ipvs_evidence(node: &NodeState, ns: &str, s: &IpvsService) -> Evidence {
    super::evidence(node.file(&ipvs_file(ns)), s.line, ipvs_service_text(s))
}

/// Evidence for an IPVS destination line.
pub fn backend_evidence(node: &NodeState, ns: &str, b: &Backend) -> Evidence {
    super::evidence(node.file(&ipvs_file(ns)), b.line, backend_text(b))
}

/// Evidence for a task in the manager's `tasks.json`, with its address.
pub fn task_evidence(cluster: &Cluster, task: &Task, net: &Network) -> Evidence {
    let ip = task_ip(task, &net.id)
        .map(|i| i.to_string())
        .unwrap_or_default();
    super::evidence(
        cluster.cluster_file("swarm/tasks.json"),
        task.line,
        format!(
            "task {} {} (desired {}) on {}, {} {ip}",
            task_label(cluster, task),
            task.state,
            task.desired_state,
            task_node(cluster, task),
            net.name
        ),
    )
}

/// Runs the real pipeline on fixtures and seed bundles.
#[cfg(test)]
pub mod testing {
    use crate::analyze::Analysis;
    use crate::finding::Finding;
    use std::path::PathBuf;

    pub fn fixture(id: &str, kind: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/checks")
            .join(id)
            .join(kind)
    }

    pub fn seed(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/bundles")
            .join(name)
    }

    pub fn analyze(path: &std::path::Path) -> Analysis {
        let rules = crate::load_rules(None).expect("embedded rules");
        crate::analyze::analyze(&[path.to_path_buf()], &rules, &Default::default())
            .expect("analysis")
    }

    pub fn by_id<'a>(a: &'a Analysis, id: &str) -> Vec<&'a Finding> {
        a.findings.iter().filter(|f| f.id == id).collect()
    }

    /// None of `ids` fires on any of the seed bundles `seeds`.
    pub fn assert_quiet_on_seeds(seeds: &[&str], ids: &[&str]) {
        for s in seeds {
            let a = analyze(&seed(s));
            for id in ids {
                assert!(by_id(&a, id).is_empty(), "{s}: {id}: {:?}", lb_ids(&a));
            }
        }
    }

    /// Every finding of the SW1xx/SW2xx load-balancer checks, as `id subject`.
    pub fn lb_ids(a: &Analysis) -> Vec<String> {
        a.findings
            .iter()
            .filter(|f| f.id.starts_with("SW1") || f.id.starts_with("SW2"))
            .map(|f| format!("{} {}", f.id, f.subject.as_deref().unwrap_or("")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_marks() {
        assert_eq!(lb_ns_name("uhtur2cqnefffagaih0q5hpbp"), "lb_uhtur2cqn");
        assert_eq!(overlay_ns_name("uhtur2cqnefffagaih0q5hpbp"), "1-uhtur2cqne");
        assert_eq!(lb_ns_name("ab"), "lb_ab");
        assert_eq!(mark_str(258), "0x102 (258)");
        assert_eq!(year_month("17.06.2-ee-15"), Some((17, 6)));
        assert_eq!(year_month("20.10.24+dfsg1"), Some((20, 10)));
        assert_eq!(year_month("dev"), None);
    }

    #[test]
    fn port_specs() {
        assert!(port_matches("8080", 8080));
        assert!(!port_matches("8080", 80));
        assert!(port_matches("8000:8100", 8080));
        assert!(port_matches("80,443", 443));
        assert!(!port_matches("x", 1));
    }

    #[test]
    fn vip_and_port_marks_from_real_rules() {
        let rs = crate::parse::iptables::parse_save(
            "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n\
             -A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x100/0xffffffff\n\
             -A INPUT -d 10.255.0.4/32 -j MARK --set-xmark 0x100/0xffffffff\n\
             -A INPUT -d 10.255.0.0/16 -j MARK --set-xmark 0x105/0xffffffff\nCOMMIT\n",
        )
        .unwrap();
        let vip: IpAddr = "10.255.0.4".parse().unwrap();
        let v = vip_mark_rules(&rs, vip);
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].set_mark, v[0].line), (Some(256), 5));
        let p = port_mark_rules(&rs, "tcp", 8080);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 4);
        assert!(port_mark_rules(&rs, "udp", 8080).is_empty());
        assert_eq!(mark_rules(&rs).len(), 3);
    }
}
