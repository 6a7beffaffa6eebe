"""Programs the load-balancing state into a node's namespaces (signatures.md §4).

18.09+: VIP /32 aliases on the lb_<netid9> eth0, mangle INPUT marks, IPVS FWM
with the node's NetworkDB view of the backends, SNAT to the LB IP.
17.06: the same per task container (mangle OUTPUT, own VIP on lo).
Ingress: host nat DOCKER-INGRESS DNAT to the ingress_sbox gwbridge IP, the
ingress_sbox PREROUTING mark, IPVS to the tasks' ingress IPs.
"""

from __future__ import annotations

from .common import mac_from_ip, small_int
from .model import Cluster, Node
from .netstate import Addr, NodeNet, chains, hexmark

HOST_VS_DEFAULT = {
    "net.ipv4.vs.conn_reuse_mode": "1",
    "net.ipv4.vs.conntrack": "0",
    "net.ipv4.vs.expire_nodest_conn": "0",
    "net.ipv4.vs.expire_quiescent_template": "0",
}


def _cnt(label: str, lo: int = 40, hi: int = 90000) -> str:
    p = small_int(label + ":p", lo, hi)
    return f"{p}:{p * small_int(label + ':b', 52, 190)}"


def lb_sysctl(node: Node) -> dict[str, str]:
    d = {"net.ipv4.ip_forward": "1", "net.ipv4.vs.conntrack": "1"}
    if node.family == "17.06":
        d.update({"net.ipv4.vs.conn_reuse_mode": "1", "net.ipv4.vs.expire_nodest_conn": "0",
                  "net.ipv4.vs.expire_quiescent_template": "0"})
    elif node.family == "18.09":
        d.update({"net.ipv4.vs.conn_reuse_mode": "1", "net.ipv4.vs.expire_nodest_conn": "1",
                  "net.ipv4.vs.expire_quiescent_template": "1"})
    else:
        d.update({"net.ipv4.vs.conn_reuse_mode": "0", "net.ipv4.vs.expire_nodest_conn": "1",
                  "net.ipv4.vs.expire_quiescent_template": "1"})
    return d


def dns_nat(label: str) -> tuple[list[str], list[str], int, int]:
    tcp = small_int(label + ":tcp", 33000, 46000)
    udp = small_int(label + ":udp", 46001, 60999)
    rules = [
        "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT",
        "-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING",
        f"-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:{tcp}",
        f"-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:{udp}",
        f"-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport {tcp} -j SNAT --to-source :53",
        f"-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport {udp} -j SNAT --to-source :53",
    ]
    return ["DOCKER_OUTPUT", "DOCKER_POSTROUTING"], rules, tcp, udp


def program(cluster: Cluster, node: Node, nn: NodeNet, host_ingress_ok: bool = True) -> None:
    ingress = cluster.ingress()
    local = cluster.node_networks(node)
    new_model = node.family in ("18.09", "20.10")
    default_vs = dict(HOST_VS_DEFAULT)

    # -------- overlay namespaces: remote endpoints as this node's NetworkDB knows them
    for net_name in local:
        net = cluster.network(net_name)
        ov = nn.netns[f"1-{net.id[:10]}"]
        remote: dict[str, str] = {}  # ip -> vtep
        for svc in cluster.services_on_network(net_name):
            for t in cluster.node_view(node, net_name, svc.name):
                if t.node != node.hostname:
                    remote[t.addresses[net_name]] = cluster.node(t.node).addr
        for other in cluster.nodes:
            if other is node or net_name not in cluster.node_networks(other):
                continue
            if net.ingress and other.ingress_ip:
                remote[other.ingress_ip] = other.addr
            if not net.ingress and net_name in other.lb_ips and other.family != "17.06":
                remote[other.lb_ips[net_name]] = other.addr
        for ip in sorted(remote, key=_ipkey):
            mac = mac_from_ip(ip)
            ov.neigh.append(f"{ip} dev vxlan0 lladdr {mac} PERMANENT")
            ov.fdb.append(f"{mac} dev vxlan0 dst {remote[ip]} link-netnsid 0 self permanent")
        ov.sysctl.update(default_vs)

    # -------- ingress sandbox
    sb = nn.netns.get("ingress_sbox")
    ingress_svcs = [s for s in cluster.services if s.ingress_ports]
    if sb is not None:
        mangle_rules = []
        ipvs = []
        for svc in ingress_svcs:
            mark = node.fwmarks[(ingress.name, svc.name)]
            for proto, _tgt, pub in svc.ingress_ports:
                mangle_rules.append(f"-A PREROUTING -p {proto} -m {proto} --dport {pub} -j MARK --set-xmark {hexmark(mark)}")
            vip = svc.vips[ingress.name]
            chain = "INPUT" if new_model else "OUTPUT"
            mangle_rules.append(f"-A {chain} -d {vip}/32 -j MARK --set-xmark {hexmark(mark)}")
            if new_model:
                sb.ifaces[1].addrs.append(Addr(f"{vip}/32", brd=False))
            backends = [(t.addresses[ingress.name], 1) for t in cluster.node_view(node, ingress.name, svc.name)]
            ipvs.append((mark, backends))
            for ip, _ in backends[:2]:
                sb.neigh.append(f"{ip} dev eth0 lladdr {mac_from_ip(ip)} STALE")
        if ingress_svcs:
            # Rules appear once the routing mesh serves a published port.
            sb.tables["mangle"] = (chains("mangle", [], {"PREROUTING": _cnt(node.hostname + "sbm")}), mangle_rules)
            nat_rules = [f"-A POSTROUTING -d {ingress.subnet} -m ipvs --ipvs -j SNAT --to-source {node.ingress_ip}"]
            sb.tables["nat"] = (chains("nat", []), nat_rules)
        sb.ipvs = ipvs
        sb.neigh.insert(0, f"172.18.0.1 dev eth1 lladdr {_gwmac(nn)} REACHABLE")
        sb.sysctl = lb_sysctl(node)
        sb.fdb = _eth_fdb(sb)

    # -------- per-network LB sandboxes (18.09+)
    for net_name in local:
        net = cluster.network(net_name)
        if net.ingress or not new_model:
            continue
        lb = nn.netns.get(f"lb_{net.id[:9]}")
        if lb is None:
            continue
        eth0 = lb.ifaces[1]
        mangle_rules = []
        ipvs = []
        for svc in cluster.services_on_network(net_name):
            mark = node.fwmarks[(net_name, svc.name)]
            vip = svc.vips[net_name]
            eth0.addrs.append(Addr(f"{vip}/32", brd=False))
            mangle_rules.append(f"-A INPUT -d {vip}/32 -j MARK --set-xmark {hexmark(mark)}")
            backends = [(t.addresses[net_name], 1) for t in cluster.node_view(node, net_name, svc.name)]
            ipvs.append((mark, backends))
            for ip, _ in backends[:1]:
                lb.neigh.append(f"{ip} dev eth0 lladdr {mac_from_ip(ip)} STALE")
        lb.tables["mangle"] = (chains("mangle", [], {"INPUT": _cnt(node.hostname + net.id + "lbm")}), mangle_rules)
        lb.tables["nat"] = (chains("nat", []), [
            f"-A POSTROUTING -d {net.subnet} -m ipvs --ipvs -j SNAT --to-source {node.lb_ips[net_name]}"
        ])
        lb.ipvs = ipvs
        lb.sysctl = lb_sysctl(node)
        lb.fdb = _eth_fdb(lb)

    # -------- task containers
    for t in cluster.tasks_on(node.hostname):
        if t.state != "running":
            continue
        svc = cluster.service(t.service)
        sbx = nn.netns[t.sandbox_key()]
        user, dns_rules, _, _ = dns_nat(t.id)
        nat_rules = []
        nat_user = list(user)
        filter_rules = []
        mangle_rules = []
        ipvs = []
        nets = cluster.service_networks(svc)
        if svc.ingress_ports and ingress.name in t.addresses:
            ip = t.addresses[ingress.name]
            for proto, tgt, pub in svc.ingress_ports:
                nat_rules.append(f"-A PREROUTING -d {ip}/32 -p {proto} -m {proto} --dport {pub} -j REDIRECT --to-ports {tgt}")
                filter_rules += [
                    f"-A INPUT -d {ip}/32 -p {proto} -m {proto} --dport {tgt} -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT",
                ]
            filter_rules += [f"-A INPUT -d {ip}/32 -p {p} -j DROP" for p in ("udp", "tcp", "sctp")]
            for proto, tgt, pub in svc.ingress_ports:
                filter_rules.append(f"-A OUTPUT -s {ip}/32 -p {proto} -m {proto} --sport {tgt} -m conntrack --ctstate ESTABLISHED -j ACCEPT")
            filter_rules += [f"-A OUTPUT -s {ip}/32 -p {p} -j DROP" for p in ("udp", "tcp", "sctp")]
        nat_rules += dns_rules[:2]
        if not new_model:
            # 17.06: IPVS and marks live in every task sandbox; own VIPs on lo.
            for net_name in nets:
                net = cluster.network(net_name)
                if net.ingress:
                    continue
                for other in cluster.services_on_network(net_name):
                    mark = node.fwmarks[(net_name, other.name)]
                    vip = other.vips[net_name]
                    mangle_rules.append(f"-A OUTPUT -d {vip}/32 -j MARK --set-xmark {hexmark(mark)}")
                    backends = [(x.addresses[net_name], 1) for x in cluster.node_view(node, net_name, other.name)]
                    ipvs.append((mark, backends))
                nat_rules.append(f"-A POSTROUTING -d {net.subnet} -m ipvs --ipvs -j SNAT --to-source {t.addresses[net_name]}")
            for net_name in nets:
                sbx.ifaces[0].addrs.append(Addr(f"{svc.vips[net_name]}/32", brd=False))
        nat_rules += dns_rules[2:]
        counters = {"OUTPUT": _cnt(t.id + "o", 10, 900), "POSTROUTING": _cnt(t.id + "p", 10, 900)}
        sbx.tables["nat"] = (chains("nat", nat_user, counters), nat_rules)
        if filter_rules:
            sbx.tables["filter"] = (chains("filter", []), filter_rules)
        if mangle_rules:
            sbx.tables["mangle"] = (chains("mangle", [], {"OUTPUT": _cnt(t.id + "m", 10, 900)}), mangle_rules)
        sbx.ipvs = ipvs
        sbx.sysctl = {"net.ipv4.ip_forward": "0", **default_vs}
        if mangle_rules:
            sbx.sysctl["net.ipv4.vs.conntrack"] = "1"
        sbx.neigh.append(f"172.18.0.1 dev {_gw_if(sbx)} lladdr {_gwmac(nn)} STALE")
        if new_model:
            for net_name in nets:
                net = cluster.network(net_name)
                if net.ingress or net_name not in node.lb_ips:
                    continue
                ifn = _if_for(sbx, t.addresses[net_name])
                for other in cluster.services_on_network(net_name)[:1]:
                    sbx.neigh.append(f"{other.vips[net_name]} dev {ifn} lladdr {mac_from_ip(node.lb_ips[net_name])} REACHABLE")
        sbx.fdb = _eth_fdb(sbx)

    for ns in nn.netns.values():
        if not ns.sysctl:
            ns.sysctl = {"net.ipv4.ip_forward": "0", **default_vs}


def _ipkey(ip: str):
    return tuple(int(x) for x in ip.split("."))


def _gwmac(nn: NodeNet) -> str:
    return next(i.mac for i in nn.host.ifaces if i.name == "docker_gwbridge")


def _gw_if(ns) -> str:
    for i in ns.ifaces:
        for a in i.addrs:
            if a.cidr.startswith("172.18."):
                return i.name
    return "eth1"


def _if_for(ns, ip: str) -> str:
    for i in ns.ifaces:
        for a in i.addrs:
            if a.cidr.split("/")[0] == ip:
                return i.name
    raise KeyError(ip)


def _eth_fdb(ns) -> list[str]:
    out = []
    for i in ns.ifaces:
        if i.kind == "lo":
            continue
        out.append(f"33:33:00:00:00:01 dev {i.name} self permanent")
        out.append(f"01:00:5e:00:00:01 dev {i.name} self permanent")
    return out


# ---------------------------------------------------------------- host iptables

def host_tables(cluster: Cluster, node: Node, ingress_rules: bool, forward_policy: str = "DROP",
                counters_label: str = "") -> dict:
    fam = node.family
    ports = [p for s in cluster.services for p in s.ingress_ports]
    has_ingress = ingress_rules and bool(ports)
    lbl = node.hostname + counters_label
    if fam == "17.06":
        iso_chains = ["DOCKER-ISOLATION"]
    else:
        iso_chains = ["DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2"]
    fchains = ["DOCKER"] + (["DOCKER-INGRESS"] if has_ingress else []) + iso_chains + ["DOCKER-USER"]
    frules = ["-A FORWARD -j DOCKER-USER"]
    if has_ingress:
        frules.append("-A FORWARD -j DOCKER-INGRESS")
    frules.append(f"-A FORWARD -j {iso_chains[0]}")
    for br in ("docker_gwbridge", "docker0"):
        frules += [
            f"-A FORWARD -o {br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            f"-A FORWARD -o {br} -j DOCKER",
            f"-A FORWARD -i {br} ! -o {br} -j ACCEPT",
        ]
        frules.append(f"-A FORWARD -i {br} -o {br} -j {'DROP' if br == 'docker_gwbridge' else 'ACCEPT'}")
    if has_ingress:
        for proto, _t, pub in ports:
            frules.append(f"-A DOCKER-INGRESS -p {proto} -m {proto} --dport {pub} -j ACCEPT")
            frules.append(f"-A DOCKER-INGRESS -p {proto} -m state --state RELATED,ESTABLISHED -m {proto} --sport {pub} -j ACCEPT")
        frules.append("-A DOCKER-INGRESS -j RETURN")
    if fam == "17.06":
        frules += [
            "-A DOCKER-ISOLATION -i docker0 -o docker_gwbridge -j DROP",
            "-A DOCKER-ISOLATION -i docker_gwbridge -o docker0 -j DROP",
            "-A DOCKER-ISOLATION -j RETURN",
        ]
    else:
        frules += [
            "-A DOCKER-ISOLATION-STAGE-1 -i docker_gwbridge ! -o docker_gwbridge -j DOCKER-ISOLATION-STAGE-2",
            "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
            "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
            "-A DOCKER-ISOLATION-STAGE-2 -o docker_gwbridge -j DROP",
            "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
            "-A DOCKER-ISOLATION-STAGE-2 -j RETURN",
        ]
    frules.append("-A DOCKER-USER -j RETURN")
    filt = (chains("filter", fchains,
                   {"INPUT": _cnt(lbl + "fi", 20000, 900000), "FORWARD": _cnt(lbl + "ff", 0, 90),
                    "OUTPUT": _cnt(lbl + "fo", 20000, 900000)},
                   {"FORWARD": forward_policy}), frules)
    nchains = ["DOCKER"] + (["DOCKER-INGRESS"] if has_ingress else [])
    nrules = []
    if has_ingress:
        nrules.append("-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS")
    nrules.append("-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER")
    if has_ingress:
        nrules.append("-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS")
    nrules.append("-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER")
    if has_ingress:
        nrules.append("-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE")
    nrules += [
        "-A POSTROUTING -s 172.18.0.0/16 ! -o docker_gwbridge -j MASQUERADE",
        "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        "-A DOCKER -i docker_gwbridge -j RETURN",
        "-A DOCKER -i docker0 -j RETURN",
    ]
    if has_ingress:
        for proto, _t, pub in ports:
            nrules.append(f"-A DOCKER-INGRESS -p {proto} -m {proto} --dport {pub} -j DNAT --to-destination 172.18.0.2:{pub}")
        nrules.append("-A DOCKER-INGRESS -j RETURN")
    nat = (chains("nat", nchains, {"PREROUTING": _cnt(lbl + "np", 100, 9000), "INPUT": _cnt(lbl + "ni", 50, 5000),
                                   "OUTPUT": _cnt(lbl + "no", 1000, 90000), "POSTROUTING": _cnt(lbl + "npo", 1000, 90000)}),
           nrules)
    return {"filter": filt, "nat": nat}
