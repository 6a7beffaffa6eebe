"""Host and namespace state: interfaces, routes, neighbours, fdb, iptables, IPVS.

`build_node_net` lays out what a node's kernel holds given the cluster model:
the host namespace, the overlay driver namespaces (`1-<netid10>`), the ingress
and per-network load balancer sandboxes (`ingress_sbox`, `lb_<netid9>`), and one
sandbox per running task container. The renderers print them the way iproute2,
iptables-save and ipvsadm do (formats.md §8-10).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .common import ctime, hex12, mac_from_ip, random_mac
from .model import Cluster, Network, Node, Task


@dataclass
class Addr:
    cidr: str
    brd: bool = True
    scope: str = "global"
    extra: str = ""  # e.g. "dynamic", "noprefixroute"
    lft: str = "forever"


@dataclass
class Iface:
    index: int
    name: str
    kind: str  # lo | ether | bridge | veth | vxlan
    mtu: int
    mac: str
    addrs: list[Addr] = field(default_factory=list)
    master: str | None = None
    peer_index: int | None = None
    netnsid: int | None = None
    flags: str = "BROADCAST,MULTICAST,UP,LOWER_UP"
    state: str = "UP"
    qdisc: str = "noqueue"
    qlen: int | None = None
    vni: int | None = None
    promisc: int = 0
    inet6_ll: bool = False
    ifalias: str | None = None
    maxmtu: int = 65535
    minmtu: int = 68
    txq: int = 1


@dataclass
class Netns:
    name: str
    ifaces: list[Iface] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    neigh: list[str] = field(default_factory=list)
    fdb: list[str] = field(default_factory=list)
    tables: dict[str, tuple[list[tuple[str, str]], list[str]]] = field(default_factory=dict)
    ipvs: list[tuple[int, list[tuple[str, int]]]] = field(default_factory=list)
    sysctl: dict[str, str] = field(default_factory=dict)
    kind: str = ""  # container | ingress_sbox | lb | overlay


@dataclass
class NodeNet:
    host: Netns
    netns: dict[str, Netns]
    gw_ips: dict[str, str]  # task id or "ingress_sbox" -> docker_gwbridge IP
    kernel_events: list[str]  # interface events in creation order (for kernel.log)


def _vni_hex(vni: int) -> str:
    return f"{vni:06x}"


def _veth_name(label: str) -> str:
    return "veth" + hex12(label)[:7]


def _pair(node: Node) -> tuple[int, int]:
    a = node.next_ifindex()
    b = node.next_ifindex()
    return a, b


def build_node_net(cluster: Cluster, node: Node) -> NodeNet:
    node.ifindex_next = 3
    mgr_lb = node.family in ("18.09", "20.10")
    host = Netns("host", kind="host")
    host.ifaces.append(Iface(1, "lo", "lo", 65536, "00:00:00:00:00:00",
                             [Addr("127.0.0.1/8", brd=False, scope="host")], flags="LOOPBACK,UP,LOWER_UP",
                             state="UNKNOWN", qlen=1000, inet6_ll=False, maxmtu=0, minmtu=0))
    hostnet = ipaddress.ip_interface(f"{node.addr}/{node.prefixlen}")
    up_addr = Addr(str(hostnet), brd=True, extra="dynamic" if node.uplink.startswith("ens5") else "noprefixroute",
                   lft="2841sec" if node.uplink.startswith("ens5") else "forever")
    host.ifaces.append(Iface(2, node.uplink, "ether", node.uplink_mtu, node.uplink_mac, [up_addr], qdisc="mq",
                             qlen=1000, inet6_ll=True, maxmtu=9216 if node.uplink_mtu > 1500 else 9000, minmtu=60,
                             txq=4))
    docker0 = Iface(node.next_ifindex(), "docker0", "bridge", 1500, random_mac(node.hostname + "docker0"),
                    [Addr("172.17.0.1/16")], flags="NO-CARRIER,BROADCAST,MULTICAST,UP", state="DOWN")
    host.ifaces.append(docker0)
    gwb = Iface(node.next_ifindex(), "docker_gwbridge", "bridge", 1500, random_mac(node.hostname + "gwbridge"),
                [Addr("172.18.0.1/16")], inet6_ll=True)
    host.ifaces.append(gwb)
    netns: dict[str, Netns] = {}
    gw_ips: dict[str, str] = {}
    events: list[str] = []
    nsid = [0]

    def next_nsid() -> int:
        v = nsid[0]
        nsid[0] += 1
        return v

    gw_next = [2]

    def gw_ip() -> str:
        ip = f"172.18.0.{gw_next[0]}"
        gw_next[0] += 1
        return ip

    local_nets = cluster.node_networks(node)
    overlay_ns: dict[str, Netns] = {}
    overlay_nsid: dict[str, int] = {}
    ordered = [n for n in cluster.networks if n.name in local_nets]
    ordered.sort(key=lambda n: (not n.ingress, n.created_ns))

    def make_overlay(net: Network) -> Netns:
        ns = Netns(f"1-{net.id[:10]}", kind="overlay")
        ns.ifaces.append(_lo())
        br_i = node.next_ifindex()
        vx_i = node.next_ifindex()
        br = Iface(br_i, "br0", "bridge", 1450, random_mac(f"{node.hostname}:{net.id}:br0"),
                   [Addr(net.cidr(net.gateway))])
        vx = Iface(vx_i, "vxlan0", "vxlan", 1450, random_mac(f"{node.hostname}:{net.id}:vx"), master="br0",
                   netnsid=0, state="UNKNOWN", vni=net.vni, promisc=1)
        ns.ifaces += [br, vx]
        ns.routes.append(f"{net.subnet} dev br0 proto kernel scope link src {net.gateway}")
        ns.sysctl = {"net.ipv4.ip_forward": "0"}
        ns.fdb += [f"{vx.mac} dev vxlan0 master br0 permanent"]
        ns.fdb += [f"{br.mac} dev br0 master br0 permanent" if False else f"33:33:00:00:00:01 dev br0 self permanent",
                   "01:00:5e:00:00:01 dev br0 self permanent"]
        events.extend([
            f"IPVS: Creating netns size=2048 id={nsid[0] + 3}" if mgr_lb else "",
            f"br0: renamed from ov-{_vni_hex(net.vni)}-{net.id[:5]}",
            f"vxlan0: renamed from vx-{_vni_hex(net.vni)}-{net.id[:5]}",
            "device vxlan0 entered promiscuous mode",
            "br0: port 1(vxlan0) entered blocking state",
            "br0: port 1(vxlan0) entered disabled state",
            "br0: port 1(vxlan0) entered blocking state",
            "br0: port 1(vxlan0) entered forwarding state",
        ])
        return ns

    port_no = {}

    def attach(ns_overlay: Netns, ov_nsid: int, label: str, ip: str, net: Network, sbox: Netns, sbox_if: str,
               sbox_nsid: int) -> Iface:
        """A veth pair: `sbox_if` in the sandbox, vethXXXX on br0 in the overlay namespace."""
        a, b = _pair(node)
        vname = _veth_name(f"{node.hostname}:{label}:{net.id}")
        key = ns_overlay.name
        port_no[key] = port_no.get(key, 1) + 1
        inner = Iface(a, sbox_if, "veth", 1450, mac_from_ip(ip), [Addr(net.cidr(ip))], peer_index=b,
                      netnsid=ov_nsid)
        outer = Iface(b, vname, "veth", 1450, random_mac(f"{label}:{net.id}:outer"), master="br0",
                      peer_index=a, netnsid=sbox_nsid, promisc=1)
        ns_overlay.ifaces.append(outer)
        ns_overlay.fdb += [
            f"{mac_from_ip(ip)} dev {vname} master br0 ",
            f"{outer.mac} dev {vname} master br0 permanent",
            f"33:33:00:00:00:01 dev {vname} self permanent",
            f"01:00:5e:00:00:01 dev {vname} self permanent",
        ]
        events.extend([
            f"br0: port {port_no[key]}({vname}) entered blocking state",
            f"br0: port {port_no[key]}({vname}) entered disabled state",
            f"device {vname} entered promiscuous mode",
            f"{sbox_if}: renamed from {_veth_name(label + ':tmp:' + net.id)}",
            f"br0: port {port_no[key]}({vname}) entered blocking state",
            f"br0: port {port_no[key]}({vname}) entered forwarding state",
        ])
        return inner

    def attach_gw(label: str, sbox_if: str, sbox_nsid: int) -> tuple[Iface, str]:
        ip = gw_ip()
        a, b = _pair(node)
        hname = _veth_name(f"{node.hostname}:{label}:gw")
        inner = Iface(a, sbox_if, "veth", 1500, mac_from_ip(ip), [Addr(f"{ip}/16")], peer_index=b, netnsid=0)
        outer = Iface(b, hname, "veth", 1500, random_mac(f"{label}:gw:outer"), master="docker_gwbridge",
                      peer_index=a, netnsid=sbox_nsid, inet6_ll=True, promisc=1)
        host.ifaces.append(outer)
        n = len([i for i in host.ifaces if i.master == "docker_gwbridge"])
        events.extend([
            f"docker_gwbridge: port {n}({hname}) entered blocking state",
            f"docker_gwbridge: port {n}({hname}) entered disabled state",
            f"device {hname} entered promiscuous mode",
            f"IPv6: ADDRCONF(NETDEV_UP): {hname}: link is not ready",
            f"{sbox_if}: renamed from {_veth_name(label + ':gwtmp')}",
            f"IPv6: ADDRCONF(NETDEV_CHANGE): {hname}: link becomes ready",
            f"docker_gwbridge: port {n}({hname}) entered blocking state",
            f"docker_gwbridge: port {n}({hname}) entered forwarding state",
        ])
        return inner, ip

    # 1. overlay namespaces, ingress sandbox, LB sandboxes
    for net in ordered:
        ov = make_overlay(net)
        ov_id = next_nsid()
        overlay_ns[net.name] = ov
        overlay_nsid[net.name] = ov_id
        netns[ov.name] = ov
        if net.ingress and node.ingress_ip:
            sb = Netns("ingress_sbox", kind="ingress_sbox")
            sb_id = next_nsid()
            sb.ifaces.append(_lo())
            eth0 = attach(ov, ov_id, "ingress_sbox", node.ingress_ip, net, sb, "eth0", sb_id)
            eth1, gip = attach_gw("ingress_sbox", "eth1", sb_id)
            gw_ips["ingress_sbox"] = gip
            sb.ifaces += [eth0, eth1]
            sb.routes += [
                "default via 172.18.0.1 dev eth1",
                f"{net.subnet} dev eth0 proto kernel scope link src {node.ingress_ip}",
                f"172.18.0.0/16 dev eth1 proto kernel scope link src {gip}",
            ]
            netns["ingress_sbox"] = sb
        elif not net.ingress and mgr_lb and net.name in node.lb_ips:
            lb = Netns(f"lb_{net.id[:9]}", kind="lb")
            lb_id = next_nsid()
            lb.ifaces.append(_lo())
            eth0 = attach(ov, ov_id, f"lb-{net.name}", node.lb_ips[net.name], net, lb, "eth0", lb_id)
            lb.ifaces.append(eth0)
            lb.routes.append(f"{net.subnet} dev eth0 proto kernel scope link src {node.lb_ips[net.name]}")
            netns[lb.name] = lb

    # 2. task containers, in start order
    running = [t for t in cluster.tasks_on(node.hostname) if t.state == "running"]
    running.sort(key=lambda t: t.started_ns or 0)
    for t in running:
        svc = cluster.service(t.service)
        sb = Netns(t.sandbox_key(), kind="container")
        sb_id = next_nsid()
        sb.ifaces.append(_lo())
        idx = 0
        routes = []
        nets = cluster.service_networks(svc)
        # Interface order: ingress (eth0), then docker_gwbridge, then the overlays.
        order: list[str] = []
        if nets and cluster.network(nets[0]).ingress:
            order = [nets[0], "@gw"] + nets[1:]
        else:
            order = nets[:1] + ["@gw"] + nets[1:]
        for item in order:
            ifname = f"eth{idx}"
            idx += 1
            if item == "@gw":
                inner, gip = attach_gw(t.id, ifname, sb_id)
                gw_ips[t.id] = gip
                sb.ifaces.append(inner)
                routes.append(("default", "default via 172.18.0.1 dev " + ifname))
                routes.append(("172.18.0.0/16", f"172.18.0.0/16 dev {ifname} proto kernel scope link src {gip}"))
                continue
            net = cluster.network(item)
            ip = t.addresses[item]
            inner = attach(overlay_ns[item], overlay_nsid[item], t.id, ip, net, sb, ifname, sb_id)
            if node.family == "17.06":
                inner.addrs = [Addr(net.cidr(ip), brd=False)]
            sb.ifaces.append(inner)
            routes.append((net.subnet, f"{net.subnet} dev {ifname} proto kernel scope link src {ip}"))
        routes.sort(key=lambda r: (r[0] != "default", _route_key(r[0])))
        sb.routes = [r[1] for r in routes]
        netns[sb.name] = sb
        t.gwbridge_ip = gw_ips[t.id]

    # veth ends in overlay namespaces come after vxlan0 in `ip link` order already.
    return NodeNet(host=host, netns=netns, gw_ips=gw_ips, kernel_events=[e for e in events if e])


def _route_key(prefix: str):
    try:
        return tuple(int(x) for x in prefix.split("/")[0].split("."))
    except ValueError:
        return (999,)


def _lo() -> Iface:
    return Iface(1, "lo", "lo", 65536, "00:00:00:00:00:00", [Addr("127.0.0.1/8", brd=False, scope="host")],
                 flags="LOOPBACK,UP,LOWER_UP", state="UNKNOWN", qlen=1000, maxmtu=0, minmtu=0)


# ---------------------------------------------------------------- ip addr / link

def _detail_lines(i: Iface, ns: Netns, family_new: bool) -> list[str]:
    tail = f"numtxqueues {i.txq} numrxqueues {i.txq} gso_max_size 65536 gso_max_segs 65535 "
    if i.kind == "lo":
        return []
    if i.kind == "ether":
        return []
    if i.kind == "bridge":
        bid = "8000." + ":".join(p.lstrip("0") or "0" for p in i.mac.split(":"))
        return [
            "    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 "
            f"priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id {bid} designated_root {bid} "
            "root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 "
            "tcn_timer    0.00 topology_change_timer    0.00 gc_timer  215.47 vlan_default_pvid 1 "
            "vlan_stats_enabled 0 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 "
            "mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 4 mcast_hash_max 512 "
            "mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 "
            "mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 "
            "mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 "
            "mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 "
            "nf_call_arptables 0 " + tail
        ]
    slave = ""
    if i.master:
        slave = (
            "    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off root_block off "
            "fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 "
            "designated_cost 0 hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 "
            "topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 "
            "mcast_fast_leave off mcast_flood on neigh_suppress off group_fwd_mask 0x0 group_fwd_mask_str 0x0 "
            "vlan_tunnel off " + tail
        )
    if i.kind == "veth":
        if slave:
            return ["    veth ", slave]
        return ["    veth " + tail]
    if i.kind == "vxlan":
        vx = (f"    vxlan id {i.vni} srcport 0 0 dstport 4789 proxy l2miss l3miss ttl inherit ageing 300 "
              "udpcsum noudp6zerocsumtx noudp6zerocsumrx ")
        return [vx, slave] if slave else [vx + tail]
    return []


def _head(i: Iface) -> str:
    name = i.name + (f"@if{i.peer_index}" if i.peer_index else "")
    master = f" master {i.master}" if i.master else ""
    qlen = f" qlen {i.qlen}" if i.qlen else ""
    s = f"{i.index}: {name}: <{i.flags}> mtu {i.mtu} qdisc {i.qdisc}{master} state {i.state} group default{qlen}"
    if not qlen:
        s += " "
    return s


def _link_line(i: Iface) -> str:
    if i.kind == "lo":
        return (f"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 "
                f"numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 ")
    nsid = f" link-netnsid {i.netnsid}" if i.netnsid is not None else ""
    s = f"    link/ether {i.mac} brd ff:ff:ff:ff:ff:ff{nsid} promiscuity {i.promisc} minmtu {i.minmtu} maxmtu {i.maxmtu} "
    if i.kind == "ether":
        s += f"numtxqueues {i.txq} numrxqueues {i.txq} gso_max_size 65536 gso_max_segs 65535 "
    return s


def _ll6(mac: str) -> str:
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 0x02
    eui = b[:3] + [0xFF, 0xFE] + b[3:]
    groups = [f"{(eui[k] << 8) | eui[k + 1]:x}" for k in range(0, 8, 2)]
    return "fe80::" + ":".join(groups) + "/64"


def render_ip(ns: Netns, with_addrs: bool) -> str:
    out = []
    for i in sorted(ns.ifaces, key=lambda x: x.index):
        out.append(_head(i))
        out.append(_link_line(i))
        if i.kind == "ether" and i.name.startswith("ens192"):
            out.append("    altname enp11s0")
        out += _detail_lines(i, ns, True)
        if not with_addrs:
            continue
        for a in i.addrs:
            iface = ipaddress.ip_interface(a.cidr)
            brd = f" brd {iface.network.broadcast_address}" if (a.brd and iface.network.prefixlen < 31) else ""
            extra = f" {a.extra}" if a.extra else ""
            out.append(f"    inet {a.cidr}{brd} scope {a.scope}{extra} {i.name}")
            out.append(f"       valid_lft {a.lft} preferred_lft {a.lft}")
        if i.inet6_ll:
            extra = " noprefixroute" if i.kind == "ether" and i.name.startswith("ens192") else ""
            out.append(f"    inet6 {_ll6(i.mac)} scope link{extra} ")
            out.append("       valid_lft forever preferred_lft forever")
        elif i.kind == "lo" and ns.kind == "host":
            out.append("    inet6 ::1/128 scope host ")
            out.append("       valid_lft forever preferred_lft forever")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- routes / neigh / fdb

def render_lines(lines: list[str], trailing_space: bool) -> str:
    if not lines:
        return ""
    sfx = " " if trailing_space else ""
    return "".join(line + sfx + "\n" for line in lines)


def host_routes(node: Node, nn: NodeNet) -> list[str]:
    hostnet = ipaddress.ip_interface(f"{node.addr}/{node.prefixlen}")
    net = hostnet.network
    metric = " metric 100" if node.uplink == "ens192" else ""
    proto_def = "proto static" if node.uplink == "ens192" else "proto dhcp src " + node.addr
    lines = [
        f"default via {node.default_gw} dev {node.uplink} {proto_def}{metric}",
    ]
    if node.uplink != "ens192":
        lines.append(f"{node.default_gw} dev {node.uplink} proto dhcp scope link src {node.addr} metric 100")
    entries = [
        (str(net), f"{net} dev {node.uplink} proto kernel scope link src {node.addr}{metric}"),
        ("172.17.0.0/16", "172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown"),
        ("172.18.0.0/16", "172.18.0.0/16 dev docker_gwbridge proto kernel scope link src 172.18.0.1"),
    ]
    entries.sort(key=lambda e: _route_key(e[0]))
    lines += [e[1] for e in entries]
    local = [
        "broadcast 127.0.0.0 dev lo table local proto kernel scope link src 127.0.0.1",
        "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1",
        "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1",
        "broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1",
        "broadcast 172.17.0.0 dev docker0 table local proto kernel scope link src 172.17.0.1 linkdown",
        "local 172.17.0.1 dev docker0 table local proto kernel scope host src 172.17.0.1",
        "broadcast 172.17.255.255 dev docker0 table local proto kernel scope link src 172.17.0.1 linkdown",
        "broadcast 172.18.0.0 dev docker_gwbridge table local proto kernel scope link src 172.18.0.1",
        "local 172.18.0.1 dev docker_gwbridge table local proto kernel scope host src 172.18.0.1",
        "broadcast 172.18.255.255 dev docker_gwbridge table local proto kernel scope link src 172.18.0.1",
        f"broadcast {net.network_address} dev {node.uplink} table local proto kernel scope link src {node.addr}",
        f"local {node.addr} dev {node.uplink} table local proto kernel scope host src {node.addr}",
        f"broadcast {net.broadcast_address} dev {node.uplink} table local proto kernel scope link src {node.addr}",
    ]
    lines += local
    lines += [
        "::1 dev lo proto kernel metric 256 pref medium",
        f"fe80::/64 dev {node.uplink} proto kernel metric {100 if node.uplink == 'ens192' else 256} pref medium",
        "fe80::/64 dev docker_gwbridge proto kernel metric 256 pref medium",
    ]
    for i in nn.host.ifaces:
        if i.kind == "veth":
            lines.append(f"fe80::/64 dev {i.name} proto kernel metric 256 pref medium")
    lines += [
        "local ::1 dev lo table local proto kernel metric 0 pref medium",
        f"local {_ll6(node.uplink_mac).split('/')[0]} dev {node.uplink} table local proto kernel metric 0 pref medium",
        "multicast ff00::/8 dev " + node.uplink + " table local proto kernel metric 256 pref medium",
        "multicast ff00::/8 dev docker_gwbridge table local proto kernel metric 256 pref medium",
    ]
    return lines


# ---------------------------------------------------------------- iptables-save

def render_iptables_save(tables: dict[str, tuple[list[tuple[str, str]], list[str]]], version: str, when_ns: int,
                         nft: bool) -> str:
    """`tables`: name -> ([(chain, policy-or-'-' + counters)], rules)."""
    if nft:
        order = ["mangle", "filter", "nat"]
    else:
        order = ["mangle", "nat", "filter"]
    out = []
    stamp = ctime(when_ns)
    for name in order:
        if name not in tables:
            continue
        chains, rules = tables[name]
        out.append(f"# Generated by iptables-save v{version} on {stamp}")
        out.append(f"*{name}")
        for chain, pol in chains:
            out.append(f":{chain} {pol}")
        out += rules
        out.append("COMMIT")
        out.append(f"# Completed on {stamp}")
    return "\n".join(out) + "\n" if out else ""


BUILTIN = {
    "filter": ["INPUT", "FORWARD", "OUTPUT"],
    "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    "mangle": ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
}


def chains(table: str, user: list[str], counters: dict[str, str] | None = None,
           policies: dict[str, str] | None = None) -> list[tuple[str, str]]:
    counters = counters or {}
    policies = policies or {}
    out = []
    for c in BUILTIN[table]:
        out.append((c, f"{policies.get(c, 'ACCEPT')} [{counters.get(c, '0:0')}]"))
    for c in user:
        out.append((c, "- [0:0]"))
    return out


def hexmark(mark: int) -> str:
    return f"0x{mark:x}/0xffffffff"


# ---------------------------------------------------------------- ipvsadm

def render_ipvsadm(services: list[tuple[int, list[tuple[str, int]]]]) -> str:
    out = [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ]
    for mark, dests in sorted(services):
        out.append(f"FWM  {mark} rr")
        for ip, weight in dests:
            addr = f"{ip}:0"
            out.append(f"  -> {addr:<28} {'Masq':<7} {weight:<6} {0:<10} {0:<10}")
    return "\n".join(out) + "\n"


def render_sysctl(d: dict[str, str]) -> str:
    return "".join(f"{k} = {d[k]}\n" for k in sorted(d))
