//! Address accounting of one overlay network, per IPv4 subnet, in the swarm
//! allocator's terms (signatures.md §4.5): network and broadcast addresses,
//! the gateway, one VIP per vip-mode service, one load-balancer address per
//! node (which nodes depends on the leader's version), one per non-terminal
//! task or attachment. Tasks and nodes that hold an address are kept apart
//! from those that need one and have none: a task without an address, a
//! node with tasks here whose own network view shows no LB endpoint. A
//! node's LB address is taken from its own `networks.json` (`lb-<net>`,
//! `ingress-sbox`); `docker node inspect` does not expose the manager's
//! node attachments, so it is assumed only where no view can tell.
//! Addresses that are known place a claim in their subnet; claims without
//! one fill the subnets in order, as the allocator does.

use super::evidence;
use super::node_facts::{node_facts, NodeFact};
use crate::finding::Evidence;
use crate::model::Cluster;
use crate::parse::network::{Network, SubnetStatus};
use crate::parse::service::Service;
use crate::parse::task::Task;
use ipnet::Ipv4Net;
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Task states that hold an address (`new` … `running`); past `running` the
/// allocator frees it (`doTaskAlloc`: `State > TaskStateRunning`).
pub(super) fn live(state: &str) -> bool {
    matches!(
        state,
        "new"
            | "pending"
            | "assigned"
            | "accepted"
            | "preparing"
            | "ready"
            | "starting"
            | "running"
    )
}

/// Which nodes hold a load-balancer address on a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LbRule {
    /// Every node has an ingress-sbox address on `ingress`.
    Ingress,
    /// Leaders on 17.10–18.06 give every node one on every overlay.
    AllNodes,
    /// 18.09+ (swarmkit PR #2725): only nodes with a non-terminal task there.
    NodesWithTasks,
    /// Leaders up to 17.09 allocate none outside ingress.
    NoNodes,
}

impl LbRule {
    /// The rule of the allocating leader; unknown versions read as 18.09+.
    pub fn of(net: &Network, leader: Option<&Version>) -> LbRule {
        match leader {
            _ if net.ingress => LbRule::Ingress,
            Some(v) if *v < Version::new(17, 10, 0) => LbRule::NoNodes,
            Some(v) if *v < Version::new(18, 9, 0) => LbRule::AllNodes,
            _ => LbRule::NodesWithTasks,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LbRule::Ingress => "ingress-sbox addresses of all nodes",
            LbRule::AllNodes => "LB addresses of all nodes: 17.10–18.06 leader",
            LbRule::NodesWithTasks => "LB addresses of nodes with tasks",
            LbRule::NoNodes => "LB addresses",
        }
    }
}

/// What a node's own bundle says about its LB address on a network.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LbView {
    /// Its network view lists the `lb-<net>` (`ingress-sbox`) endpoint.
    Seen(Option<Ipv4Addr>),
    /// Its view shows the node without one although it has tasks there.
    Missing,
    /// Nothing tells; counted as held. The reason starts a phrase that the
    /// hostnames end: `no network view of tk1706-ubuntu-3`.
    Assumed(&'static str),
}

/// One IPv4 subnet of a network and what holds or needs its addresses.
#[derive(Debug)]
pub(super) struct Pool {
    /// The subnet as configured (`10.0.9.0/27`).
    pub subnet: String,
    /// `--ip-range`, when it is narrower than the subnet.
    pub range: Option<Ipv4Net>,
    /// Addresses in the dynamic range (the ip-range, else the subnet).
    pub size: u64,
    /// Which of network, broadcast and gateway fall in the dynamic range.
    pub reserved: Vec<&'static str>,
    /// Services with a VIP here, by name.
    pub vips: Vec<String>,
    /// Nodes whose own network view shows their LB address here, by hostname.
    pub lbs: Vec<String>,
    /// Nodes assumed to hold one (no view can tell): (reason, hostname).
    pub lbs_assumed: Vec<(&'static str, String)>,
    /// Nodes with tasks here whose view shows no LB address: they need one.
    pub lbs_needed: Vec<String>,
    /// Tasks holding an address here.
    pub tasks: u64,
    /// Attachments (standalone containers) holding an address here.
    pub attachments: u64,
    /// Tasks and attachments counted here that need an address (none yet).
    pub needing_tasks: u64,
    /// Docker 29+ `Status.IPAM.Subnets`: the allocator's own count.
    pub status: Option<SubnetStatus>,
    net: Ipv4Net,
}

impl Pool {
    /// LB addresses counted as held: seen and assumed.
    pub fn held_lbs(&self) -> usize {
        self.lbs.len() + self.lbs_assumed.len()
    }

    /// Addresses left for tasks once the fixed claims are taken.
    pub fn for_tasks(&self) -> i64 {
        self.size as i64 - (self.reserved.len() + self.vips.len() + self.held_lbs()) as i64
    }

    /// Tasks and attachments holding an address.
    pub fn holding(&self) -> u64 {
        self.tasks + self.attachments
    }

    /// Tasks, attachments and node LB addresses that need an address.
    pub fn needing(&self) -> u64 {
        self.needing_tasks + self.lbs_needed.len() as u64
    }

    /// Free addresses now, before those that need one get it.
    pub fn free_now(&self) -> i64 {
        match self.status {
            Some(s) => s.dynamic_ips_available as i64,
            None => self.for_tasks() - self.holding() as i64,
        }
    }

    /// Free addresses once every need is met; negative when addresses are short.
    pub fn free(&self) -> i64 {
        self.free_now() - self.needing() as i64
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Vip,
    Lb(LbView),
    Task,
    Attachment,
}

impl Kind {
    /// The claim needs an address it does not have.
    fn needs(&self, addr: Option<Ipv4Addr>) -> bool {
        match self {
            Kind::Lb(v) => *v == LbView::Missing,
            Kind::Task | Kind::Attachment => addr.is_none(),
            Kind::Vip => false,
        }
    }
}

/// The accounting of one network.
pub(super) struct Account<'a> {
    pub rule: LbRule,
    pub pools: Vec<Pool>,
    /// Services with a VIP or tasks here.
    pub services: Vec<&'a Service>,
    /// Tasks rejected with IPAM-01 ("node is missing network attachments").
    pub rejected: Vec<&'a Task>,
    /// Non-terminal tasks in `new` without an address here.
    pub new_tasks: Vec<&'a Task>,
    /// Nodes with IPAM-01 rejections here but no task left and no LB
    /// address (18.09+ rule): each would need one to run a task here.
    pub idle: Vec<String>,
    /// Where each node's LB address was seen or found missing.
    pub lb_proof: Vec<Evidence>,
}

/// Accounts `net`; `None` when it has no IPv4 subnet.
pub(super) fn account<'a>(
    c: &'a Cluster,
    net: &Network,
    leader: Option<&Version>,
) -> Option<Account<'a>> {
    let mut pools: Vec<Pool> = net.ipam.iter().filter_map(|cfg| pool(net, cfg)).collect();
    if pools.is_empty() {
        return None;
    }
    let rule = LbRule::of(net, leader);
    let host = |id: &str| c.hostname_of(id).unwrap_or(id).to_string();
    let mut claims: Vec<(Kind, String, Option<Ipv4Addr>)> = Vec::new();
    let services: Vec<&Service> = c.services.iter().filter(|s| attached(s, net)).collect();
    for s in services.iter().filter(|s| s.endpoint_mode != "dnsrr") {
        let addr = s
            .vips
            .iter()
            .find(|v| v.network_id == net.id)
            .and_then(|v| v4(&v.addr));
        claims.push((Kind::Vip, s.name.clone(), addr));
    }
    let mut with_tasks = BTreeSet::new();
    let mut new_tasks = Vec::new();
    for t in c.tasks.iter().filter(|t| live(&t.state)) {
        let att = t.attachments.iter().find(|a| a.network_id == net.id);
        let wants = att.is_some()
            || (t.attachments.is_empty()
                && c.service(&t.service_id).is_some_and(|s| attached(s, net)));
        if !wants {
            continue;
        }
        let addr = att.and_then(|a| a.addresses.iter().find_map(|s| v4(s)));
        let kind = if t.is_network_attachment {
            Kind::Attachment
        } else {
            Kind::Task
        };
        claims.push((kind, t.id.clone(), addr));
        if !t.node_id.is_empty() {
            with_tasks.insert(t.node_id.as_str());
        }
        if addr.is_none() && t.state == "new" {
            new_tasks.push(t);
        }
    }
    let all: BTreeSet<&str> = if c.swarm_nodes.is_empty() {
        let bundles = c
            .nodes
            .iter()
            .map(|n| n.node_id.as_str())
            .filter(|id| !id.is_empty());
        bundles.chain(with_tasks.iter().copied()).collect()
    } else {
        c.swarm_nodes.iter().map(|n| n.id.as_str()).collect()
    };
    let lb_nodes = match rule {
        LbRule::Ingress | LbRule::AllNodes => all,
        LbRule::NodesWithTasks => with_tasks.clone(),
        LbRule::NoNodes => BTreeSet::new(),
    };
    let facts = node_facts(c);
    let mut fact_of = std::collections::HashMap::new();
    for f in &facts {
        fact_of.entry(f.id).or_insert(f);
    }
    let fact = |id: &str| fact_of.get(id).copied().filter(|_| !id.is_empty());
    let mut lb_proof = Vec::new();
    for id in &lb_nodes {
        let (view, proof) = lb_view(net, fact(id), with_tasks.contains(id));
        lb_proof.extend(proof);
        let addr = match view {
            LbView::Seen(a) => a,
            _ => None,
        };
        claims.push((Kind::Lb(view), host(id), addr));
    }
    // Known addresses first, then the other holders, then the needs, each
    // in subnet order.
    for (kind, who, addr) in claims.iter().filter(|c| c.2.is_some()) {
        if let Some(p) = pools
            .iter_mut()
            .find(|p| addr.is_some_and(|a| p.net.contains(&a)))
        {
            add(p, kind, who, false);
        }
    }
    for needs in [false, true] {
        for (kind, who, addr) in claims.iter().filter(|c| c.2.is_none()) {
            if kind.needs(*addr) != needs {
                continue;
            }
            let last = pools.len() - 1;
            let i = pools.iter().position(|p| p.free() > 0).unwrap_or(last);
            if let Some(p) = pools.get_mut(i) {
                add(p, kind, who, needs);
            }
        }
    }
    let rejected: Vec<&Task> = c
        .tasks
        .iter()
        .filter(|t| t.err.contains("node is missing network attachments"))
        .filter(|t| {
            t.attachments.iter().any(|a| a.network_id == net.id)
                || c.service(&t.service_id).is_some_and(|s| attached(s, net))
        })
        .collect();
    let idle: BTreeSet<String> = rejected
        .iter()
        .filter(|t| rule == LbRule::NodesWithTasks && !t.node_id.is_empty())
        .filter(|t| !lb_nodes.contains(t.node_id.as_str()))
        .filter(|t| !matches!(lb_view(net, fact(&t.node_id), false).0, LbView::Seen(_)))
        .map(|t| host(&t.node_id))
        .collect();
    for p in &mut pools {
        p.lbs.sort();
        p.lbs_assumed.sort();
        p.lbs_needed.sort();
    }
    Some(Account {
        rule,
        pools,
        services,
        rejected,
        new_tasks,
        idle: idle.into_iter().collect(),
        lb_proof,
    })
}

/// What the node's own `networks.json` says about its LB address on `net`,
/// with the line that says it. Linux engines before 18.06 never show an
/// `lb-<net>` endpoint, and a node without tasks on an overlay does not set
/// the network up at all (17.10–18.06 leaders allocate one anyway);
/// `ingress` gets an address for every node whether or not its sandbox came
/// up (SW204). In those cases the address is assumed.
fn lb_view(net: &Network, fact: Option<&NodeFact>, has_tasks: bool) -> (LbView, Option<Evidence>) {
    let bundle = fact.and_then(|f| f.bundle);
    let (Some(b), Some(view)) = (bundle, bundle.and_then(|b| b.networks.as_ref())) else {
        return (LbView::Assumed("no network view of"), None);
    };
    let file = b.file("swarm/networks.json");
    let local = view.iter().find(|n| n.id == net.id);
    let endpoint = local.and_then(|l| {
        l.containers.iter().find(|(k, _)| {
            if net.ingress {
                *k == "ingress-sbox"
            } else {
                k.starts_with("lb-")
            }
        })
    });
    if let (Some(l), Some((k, e))) = (local, endpoint) {
        let text = format!("{} {k} {}", l.name, e.ipv4);
        return (
            LbView::Seen(v4(&e.ipv4)),
            Some(evidence(file, l.line, text)),
        );
    }
    let old = fact
        .and_then(|f| f.version.as_ref())
        .is_some_and(|v| *v < Version::new(18, 6, 0));
    match local {
        _ if net.ingress => (LbView::Assumed("no ingress-sbox endpoint on"), None),
        _ if old => (
            LbView::Assumed("engine before 18.06 (no lb- endpoint) on"),
            None,
        ),
        Some(l) => {
            let text = format!("{}: Containers without lb-{}", l.name, l.name);
            (LbView::Missing, Some(evidence(file, l.line, text)))
        }
        None if has_tasks => {
            let text = format!(
                "no network {} ({}): no lb-{} endpoint",
                net.name, net.id, net.name
            );
            (LbView::Missing, Some(evidence(file, 0, text)))
        }
        None => (LbView::Assumed("network not set up on"), None),
    }
}

fn add(p: &mut Pool, kind: &Kind, who: &str, needs: bool) {
    match kind {
        Kind::Vip => p.vips.push(who.to_string()),
        Kind::Lb(LbView::Seen(_)) => p.lbs.push(who.to_string()),
        Kind::Lb(LbView::Assumed(why)) => p.lbs_assumed.push((why, who.to_string())),
        Kind::Lb(LbView::Missing) => p.lbs_needed.push(who.to_string()),
        Kind::Task | Kind::Attachment if needs => p.needing_tasks += 1,
        Kind::Task => p.tasks += 1,
        Kind::Attachment => p.attachments += 1,
    }
}

fn pool(net: &Network, cfg: &crate::parse::network::IpamConfig) -> Option<Pool> {
    let subnet = cfg.subnet.trim().parse::<Ipv4Net>().ok()?.trunc();
    let range = cfg
        .ip_range
        .trim()
        .parse::<Ipv4Net>()
        .ok()
        .map(|r| r.trunc());
    let range = range.filter(|r| *r != subnet && subnet.contains(r));
    let dynamic = range.unwrap_or(subnet);
    let size = 1u64 << (32 - u32::from(dynamic.prefix_len()));
    let mut reserved = Vec::new();
    if subnet.prefix_len() < 31 {
        if dynamic.contains(&subnet.network()) {
            reserved.push("network");
        }
        if dynamic.contains(&subnet.broadcast()) {
            reserved.push("broadcast");
        }
    }
    // A gateway outside the ip-range was given statically and costs none of it.
    if v4(&cfg.gateway).is_none_or(|g| dynamic.contains(&g)) {
        reserved.push("gateway");
    }
    let status = net.ipam_status.iter().find(|(k, _)| {
        k.trim()
            .parse::<Ipv4Net>()
            .is_ok_and(|n| n.trunc() == subnet)
    });
    Some(Pool {
        subnet: cfg.subnet.trim().to_string(),
        range,
        size,
        reserved,
        vips: Vec::new(),
        lbs: Vec::new(),
        lbs_assumed: Vec::new(),
        lbs_needed: Vec::new(),
        tasks: 0,
        attachments: 0,
        needing_tasks: 0,
        status: status.map(|(_, s)| *s),
        net: subnet,
    })
}

/// The service uses `net`: a VIP there, a network target, or (ingress) an
/// ingress-published port.
pub(super) fn attached(s: &Service, net: &Network) -> bool {
    s.vips.iter().any(|v| v.network_id == net.id)
        || s.networks.iter().any(|t| *t == net.id || *t == net.name)
        || (net.ingress && s.ports.iter().any(|p| p.publish_mode == "ingress"))
}

/// `10.0.9.2/27` or `10.0.9.2` → the address.
fn v4(s: &str) -> Option<Ipv4Addr> {
    s.trim().split('/').next()?.parse().ok()
}

/// Per-node counts, `5 on tk1706-ubuntu-1, 2 on tk1706-ubuntu-3`.
pub(super) fn per_node(c: &Cluster, tasks: &[&Task]) -> String {
    let mut by: BTreeMap<&str, u64> = BTreeMap::new();
    for t in tasks {
        let h = if t.node_id.is_empty() {
            "no node"
        } else {
            c.hostname_of(&t.node_id).unwrap_or(&t.node_id)
        };
        *by.entry(h).or_default() += 1;
    }
    by.iter()
        .map(|(h, n)| format!("{n} on {h}"))
        .collect::<Vec<_>>()
        .join(", ")
}
