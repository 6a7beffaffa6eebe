"""The cluster model every renderer reads: nodes, networks, services, tasks.

A scenario builds one `Cluster`; renderers turn it into bundle files. Facts that
differ per node (which tasks a node's NetworkDB knows, its fwmarks, its LB and
ingress-sbox IPs) live on the `Node`, so a fault is a deliberate difference
between a node's view and the control plane, declared in `Cluster.faults`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .common import hex64, mac_from_ip

# Engine families that change what a bundle looks like.
#  "17.06": per-container IPVS, VIP on the container's lo, logrus v0.11 quoting
#  "18.09": lb_<netid9> namespaces, node LB IPs, logrus 1.x
#  "20.10": as 18.09 plus the `docker info` wrapper and conn_reuse_mode tweak
FAMILIES = ("17.06", "18.09", "20.10")

RUNNING_LIKE = ("running",)
TERMINAL = ("complete", "shutdown", "failed", "rejected", "remove", "orphaned")


@dataclass
class EngineBuild:
    version: str  # Server.Version, e.g. "17.06.2-ee-15"
    family: str
    api: str
    min_api: str
    commit: str
    go: str
    build_time_ns: int
    containerd: str = ""
    containerd_commit: str = ""
    runc: str = ""
    runc_commit: str = ""
    init_commit: str = ""
    platform: str = ""


@dataclass
class Node:
    hostname: str
    id: str
    role: str  # manager | worker
    addr: str  # advertise / data-path address
    engine: EngineBuild
    os_name: str
    kernel: str
    uplink: str
    uplink_mac: str
    uplink_mtu: int
    default_gw: str
    prefixlen: int
    created_ns: int
    updated_ns: int
    collected_ns: int  # true time of collection (the node's clock adds skew_ns)
    netdb_id: str  # 12 hex, the NetworkDB/memberlist node name
    leader: bool = False
    availability: str = "active"
    state: str = "ready"
    reachability: str = "reachable"
    skew_ns: int = 0
    daemon_pid: int = 0
    containerd_pid: int = 0
    cpus: int = 2
    mem_bytes: int = 4_125_024_256
    # Local views: network name -> IP of this node's LB endpoint (18.09+ lb-<net>).
    lb_ips: dict[str, str] = field(default_factory=dict)
    ingress_ip: str | None = None  # this node's ingress-sbox address
    # (network, service) -> fwmark, in the order this daemon created them.
    fwmarks: dict[tuple[str, str], int] = field(default_factory=dict)
    # Overrides of this node's NetworkDB view: (network, service) -> task ids.
    view_overrides: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # Networks this node has instantiated (has a sandbox for); None = derive.
    local_networks: list[str] | None = None
    ifindex_next: int = 3
    gw_bridge_next: int = 2
    firewalld: bool = False
    iptables_version: str = "1.6.1"
    iproute_family: str = "4.15"
    systemd_unit_name: str = "Docker Application Container Engine"
    daemon_json: dict = field(default_factory=dict)
    cmdline: list[str] = field(default_factory=lambda: ["/usr/bin/dockerd", "-H", "fd://"])

    @property
    def family(self) -> str:
        return self.engine.family

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    def local_ns(self, true_ns: int) -> int:
        """What this node's clock showed at a true instant."""
        return true_ns + self.skew_ns

    def next_ifindex(self, n: int = 1) -> int:
        i = self.ifindex_next
        self.ifindex_next += n
        return i


@dataclass
class Network:
    name: str
    id: str
    subnet: str
    gateway: str
    vni: int
    created_ns: int
    ingress: bool = False
    labels: dict = field(default_factory=dict)
    attachable: bool = False

    @property
    def net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(self.subnet)

    @property
    def prefixlen(self) -> int:
        return self.net.prefixlen

    def cidr(self, ip: str) -> str:
        return f"{ip}/{self.prefixlen}"


class SerialAllocator:
    """swarmkit's serial IPAM: next free address after the last one, wrapping.

    Network and broadcast addresses are reserved; the gateway is taken first.
    """

    def __init__(self, subnet: str):
        self.net = ipaddress.ip_network(subnet)
        self.size = self.net.num_addresses
        self.used: set[int] = {0, self.size - 1}
        self.last = 0

    def take(self) -> str:
        for step in range(1, self.size):
            off = (self.last + step) % self.size
            if off not in self.used:
                self.used.add(off)
                self.last = off
                return str(self.net.network_address + off)
        raise RuntimeError(f"could not find an available IP in {self.net}")

    def release(self, ip: str) -> None:
        off = int(ipaddress.ip_address(ip)) - int(self.net.network_address)
        self.used.discard(off)

    def free(self) -> int:
        return self.size - len(self.used)


@dataclass
class Service:
    name: str
    id: str
    image: str
    created_ns: int
    updated_ns: int
    mode: str = "replicated"  # replicated | global
    replicas: int = 1
    networks: list[str] = field(default_factory=list)  # network names, not ingress
    vips: dict[str, str] = field(default_factory=dict)  # network name -> VIP (incl. ingress)
    ingress_ports: list[tuple[str, int, int]] = field(default_factory=list)  # (proto, target, published)
    stack: str | None = None
    legacy_spec_networks: bool = False  # 17.06 clients wrote Spec.Networks
    args: list[str] = field(default_factory=list)
    command: list[str] | None = None
    version_index: int = 20
    aliases: list[str] | None = None
    spec_family: str = "20.10"  # family of the client that created it (what the spec holds)
    restart_condition: str = "any"
    restart_max_attempts: int = 0


@dataclass
class Task:
    id: str
    service: str
    node: str | None  # hostname, None while unassigned
    created_ns: int
    status_ns: int
    state: str
    desired: str
    message: str
    slot: int | None = None  # None for global services
    err: str | None = None
    container_id: str | None = None  # None: no ContainerStatus at all
    container_status_empty: bool = False  # ContainerStatus present with empty id (rejected in preparing)
    exit_code: int = 0
    pid: int = 0
    addresses: dict[str, str] = field(default_factory=dict)  # network name -> IP
    started_ns: int | None = None  # container StartedAt
    finished_ns: int | None = None  # container FinishedAt
    sandbox_id: str | None = None
    gwbridge_ip: str | None = None
    version_index: int = 0
    container_removed: bool = False  # the container no longer exists on the node

    @property
    def live(self) -> bool:
        """An endpoint that exists on the data plane right now."""
        return self.state in RUNNING_LIKE

    def name(self, cluster: "Cluster") -> str:
        svc = cluster.service(self.service)
        if self.slot is not None:
            return f"{svc.name}.{self.slot}"
        return f"{svc.name}.{cluster.node(self.node).id}"

    def container_name(self, cluster: "Cluster") -> str:
        return f"{self.name(cluster)}.{self.id}"

    def sandbox_key(self) -> str:
        assert self.sandbox_id
        return self.sandbox_id[:12]


@dataclass
class Fault:
    """A declared, intended difference between sources. The validator demands
    that each fault is really present in the output and tolerates only it."""

    kind: str  # stale_backend | missing_backend | missing_dnat
    node: str
    network: str | None = None
    service: str | None = None
    ip: str | None = None
    port: int | None = None


@dataclass
class Cluster:
    name: str
    nodes: list[Node]
    networks: list[Network]
    services: list[Service] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    cluster_id: str = ""
    created_ns: int = 0
    task_history_limit: int = 5
    since: str = "48h"
    gwbridge_subnet: str = "172.18.0.0/16"
    history_limit_per_slot: int | None = None  # tasks kept per slot (task reaper), None = all

    def node(self, hostname: str) -> Node:
        for n in self.nodes:
            if n.hostname == hostname:
                return n
        raise KeyError(hostname)

    def node_by_id(self, nid: str) -> Node:
        for n in self.nodes:
            if n.id == nid:
                return n
        raise KeyError(nid)

    def network(self, name: str) -> Network:
        for n in self.networks:
            if n.name == name:
                return n
        raise KeyError(name)

    def ingress(self) -> Network:
        return next(n for n in self.networks if n.ingress)

    def service(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(name)

    def task(self, tid: str) -> Task:
        for t in self.tasks:
            if t.id == tid:
                return t
        raise KeyError(tid)

    def leader(self) -> Node:
        return next(n for n in self.nodes if n.leader)

    def managers(self) -> list[Node]:
        return [n for n in self.nodes if n.is_manager]

    def service_networks(self, svc: Service) -> list[str]:
        """Networks a service's tasks attach to, ingress first (as the daemon orders them)."""
        nets = []
        if svc.ingress_ports:
            nets.append(self.ingress().name)
        nets.extend(svc.networks)
        return nets

    def tasks_on(self, node: str) -> list[Task]:
        return [t for t in self.tasks if t.node == node]

    def live_tasks(self, service: str | None = None, network: str | None = None) -> list[Task]:
        out = []
        for t in self.tasks:
            if not t.live:
                continue
            if service is not None and t.service != service:
                continue
            if network is not None and network not in t.addresses:
                continue
            out.append(t)
        return out

    def node_networks(self, node: Node) -> list[str]:
        """Swarm networks instantiated on a node: ingress on every node, an
        overlay where the node has a live task (or as the scenario says)."""
        if node.local_networks is not None:
            return list(node.local_networks)
        nets = [self.ingress().name]
        for net in self.networks:
            if net.ingress:
                continue
            if any(t.node == node.hostname and net.name in t.addresses for t in self.live_tasks()):
                nets.append(net.name)
        return nets

    def node_view(self, node: Node, network: str, service: str) -> list[Task]:
        """Tasks of `service` on `network` as this node's NetworkDB sees them."""
        key = (network, service)
        if key in node.view_overrides:
            return [self.task(tid) for tid in node.view_overrides[key]]
        return sorted(self.live_tasks(service, network), key=lambda t: ipaddress.ip_address(t.addresses[network]))

    def services_on_network(self, network: str) -> list[Service]:
        out = []
        for s in self.services:
            if network in self.service_networks(s):
                out.append(s)
        return out


def endpoint_id(label: str) -> str:
    return hex64("ep:" + label)


def ep_mac(ip: str) -> str:
    return mac_from_ip(ip)
