//! Address accounting of one overlay network, per IPv4 subnet, in the swarm
//! allocator's terms (signatures.md §4.5): network and broadcast addresses,
//! the gateway, one VIP per vip-mode service, one load-balancer address per
//! node (which nodes depends on the leader's version), one per non-terminal
//! task or attachment. Addresses that are known place a claim in their
//! subnet; claims without one fill the subnets in order, as the allocator
//! does.

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

/// One IPv4 subnet of a network and what holds or wants its addresses.
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
    /// Nodes with a load-balancer address here, by hostname.
    pub lbs: Vec<String>,
    pub tasks: u64,
    pub attachments: u64,
    /// Tasks and attachments counted here that have no address yet.
    pub unplaced: u64,
    /// Docker 29+ `Status.IPAM.Subnets`: the allocator's own count.
    pub status: Option<SubnetStatus>,
    net: Ipv4Net,
}

impl Pool {
    /// Addresses left for tasks once the fixed claims are taken.
    pub fn for_tasks(&self) -> i64 {
        self.size as i64 - (self.reserved.len() + self.vips.len() + self.lbs.len()) as i64
    }

    pub fn wanting(&self) -> u64 {
        self.tasks + self.attachments
    }

    /// Free addresses; negative when claims exceed the range.
    pub fn free(&self) -> i64 {
        match self.status {
            Some(s) => s.dynamic_ips_available as i64 - self.unplaced as i64,
            None => self.for_tasks() - self.wanting() as i64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vip,
    Lb,
    Task,
    Attachment,
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
    /// Nodes with IPAM-01 rejections here but no LB address (18.09+ rule).
    pub idle: Vec<String>,
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
        LbRule::NodesWithTasks => with_tasks,
        LbRule::NoNodes => BTreeSet::new(),
    };
    for id in &lb_nodes {
        claims.push((Kind::Lb, host(id), lb_address(c, net, id)));
    }
    // Known addresses first, then the rest in subnet order.
    for (kind, who, addr) in claims.iter().filter(|c| c.2.is_some()) {
        if let Some(p) = pools
            .iter_mut()
            .find(|p| addr.is_some_and(|a| p.net.contains(&a)))
        {
            add(p, *kind, who, false);
        }
    }
    for (kind, who, _) in claims.iter().filter(|c| c.2.is_none()) {
        let last = pools.len() - 1;
        let i = pools.iter().position(|p| p.free() > 0).unwrap_or(last);
        if let Some(p) = pools.get_mut(i) {
            add(p, *kind, who, true);
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
        .map(|t| host(&t.node_id))
        .collect();
    Some(Account {
        rule,
        pools,
        services,
        rejected,
        new_tasks,
        idle: idle.into_iter().collect(),
    })
}

fn add(p: &mut Pool, kind: Kind, who: &str, unplaced: bool) {
    match kind {
        Kind::Vip => p.vips.push(who.to_string()),
        Kind::Lb => p.lbs.push(who.to_string()),
        Kind::Task => p.tasks += 1,
        Kind::Attachment => p.attachments += 1,
    }
    // A VIP or LB address we cannot see may well exist; a task's cannot.
    p.unplaced += u64::from(unplaced && matches!(kind, Kind::Task | Kind::Attachment));
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
        tasks: 0,
        attachments: 0,
        unplaced: 0,
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

/// The node's load-balancer address on `net`, from its own network view.
fn lb_address(c: &Cluster, net: &Network, node_id: &str) -> Option<Ipv4Addr> {
    let local = c
        .node_state(node_id)?
        .networks
        .as_ref()?
        .iter()
        .find(|n| n.id == net.id)?;
    local
        .containers
        .iter()
        .find(|(k, _)| {
            if net.ingress {
                *k == "ingress-sbox"
            } else {
                k.starts_with("lb-")
            }
        })
        .and_then(|(_, e)| v4(&e.ipv4))
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
