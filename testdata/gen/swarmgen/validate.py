"""Consistency assertions over the RENDERED files of a scenario.

The generator refuses to write a scenario unless every check here passes. The
checks re-parse the text the analyzer will read (JSON, ip addr, iptables-save,
ipvsadm), so they test the output rather than the model. A declared `Fault`
must be visible in the output, and is the only mismatch tolerated.
"""

from __future__ import annotations

import ipaddress
import json
import re

from .model import Cluster

SWARM_ID = re.compile(r"^[0-9a-z]{25}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")

LAYOUT = [
    r"manifest\.json",
    r"docker/(version|info|daemon)\.json",
    r"docker/dockerd-cmdline\.txt",
    r"swarm/(nodes|services|tasks|networks)\.json",
    r"swarm/service-ps\.txt",
    r"containers/inspect\.json",
    r"logs/(dockerd|kernel)\.log",
    r"host/(ip-addr|ip-link|ip-route|iptables-save|sysctl|modules|sockets)\.txt",
    r"netns/(ingress_sbox|lb_[0-9a-z]{9}|1-[0-9a-z]{10}|[0-9a-f]{12})/"
    r"(ip-addr|ip-link|ip-route|ip-neigh|bridge-fdb|iptables-save|ipvsadm|sysctl)\.txt",
]
LAYOUT_RE = re.compile("^(" + "|".join(LAYOUT) + r")(\.stderr)?$")


class Invalid(AssertionError):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Invalid(msg)


# ------------------------------------------------------------ text parsers (minimal, strict)

def parse_inet(text: str) -> dict[str, list[str]]:
    """ip addr -> {ifname: [cidr, ...]}"""
    out: dict[str, list[str]] = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^\d+: ([^:@]+)(@\S+)?: <", line)
        if m:
            cur = m.group(1)
            out[cur] = []
            continue
        m = re.match(r"^\s+inet (\S+) ", line)
        if m and cur:
            out[cur].append(m.group(1))
    return out


def parse_ipt(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("*"):
            cur = line[1:]
            out[cur] = []
        elif line.startswith("-A ") and cur:
            out[cur].append(line)
    return out


def parse_ipvs(text: str) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^FWM  (\d+) rr$", line)
        if m:
            cur = int(m.group(1))
            out[cur] = []
            continue
        m = re.match(r"^  -> (\d+\.\d+\.\d+\.\d+):0\s+Masq\s+(\d+)\s+\d+\s+\d+\s*$", line)
        if m and cur is not None:
            out[cur].append((m.group(1), int(m.group(2))))
    return out


def mark_rules(rules: list[str], chain: str) -> dict[str, int]:
    """-A <chain> -d VIP/32 -j MARK --set-xmark 0x101/0xffffffff -> {VIP: 257}"""
    out = {}
    for r in rules:
        m = re.match(rf"^-A {chain} -d (\S+)/32 -j MARK --set-xmark 0x([0-9a-f]+)/0xffffffff$", r)
        if m:
            out[m.group(1)] = int(m.group(2), 16)
    return out


# ------------------------------------------------------------ validation

def validate(cluster: Cluster, bundles: dict[str, dict[str, str]]) -> list[str]:
    """Returns a list of human-readable facts checked (for the log); raises Invalid."""
    facts = []
    seen_faults = set()
    hostnames = [n.hostname for n in cluster.nodes]
    check(sorted(bundles) == sorted(hostnames), f"bundle dirs {sorted(bundles)} != nodes {sorted(hostnames)}")

    # ---- generic file checks
    parsed: dict[str, dict[str, object]] = {}
    for host, files in bundles.items():
        parsed[host] = {}
        for path, text in files.items():
            check(LAYOUT_RE.match(path) is not None, f"{host}: {path} is not a layout path")
            if path.endswith(".json"):
                try:
                    parsed[host][path] = json.loads(text) if text.strip() else None
                except json.JSONDecodeError as e:  # pragma: no cover - fails loudly
                    raise Invalid(f"{host}/{path}: invalid JSON: {e}")
        man = parsed[host]["manifest.json"]
        check(man["format"] == "swarmdiag-bundle" and man["version"] == 1, f"{host}: manifest format")
        check(man["hostname"] == host, f"{host}: manifest hostname")
        for c in man["commands"]:
            if c.get("skipped"):
                check(c["exit_code"] is None and c["path"] not in files, f"{host}: skipped {c['path']} present")
                continue
            check(c["path"] in files, f"{host}: manifest lists missing {c['path']}")
            check(c["bytes"] == len(files[c["path"]].encode()), f"{host}: bytes of {c['path']}")
        listed = {c["path"] for c in man["commands"]}
        for path in files:
            if path != "manifest.json" and not path.endswith(".stderr"):
                check(path in listed, f"{host}: {path} not in manifest")
    facts.append("all JSON parses; all paths follow docs/bundle-layout.md; manifests list every file with exact bytes")

    # ---- control plane from the managers (identical across managers)
    managers = [n.hostname for n in cluster.nodes if n.is_manager]
    ref = managers[0]
    for m in managers[1:]:
        # Managers of different engine versions render the same raft store with
        # their own API types: compare the facts, not the bytes.
        check(_digest(parsed[m]) == _digest(parsed[ref]), f"{m}: swarm/*.json facts differ from {ref}")
    for n in cluster.nodes:
        if not n.is_manager:
            check("swarm/nodes.json" not in bundles[n.hostname], f"worker {n.hostname} has nodes.json")
    nodes = parsed[ref]["swarm/nodes.json"]
    services = parsed[ref]["swarm/services.json"]
    tasks = parsed[ref]["swarm/tasks.json"]
    node_by_id = {x["ID"]: x for x in nodes}
    host_of = {x["ID"]: x["Description"]["Hostname"] for x in nodes}
    svc_by_id = {s["ID"]: s for s in services}
    check(sorted(host_of.values()) == sorted(hostnames), "nodes.json hostnames")
    for x in nodes:
        check(SWARM_ID.match(x["ID"]) is not None, f"node id {x['ID']}")
        host = x["Description"]["Hostname"]
        ver = parsed[host]["docker/version.json"]["Server"]["Version"]
        info = parsed[host]["docker/info.json"]
        check(x["Description"]["Engine"]["EngineVersion"] == ver == info["ServerVersion"],
              f"{host}: engine version nodes.json/version.json/info.json disagree")
        check(info["Swarm"]["NodeID"] == x["ID"], f"{host}: info NodeID")
        check(info["Swarm"]["ControlAvailable"] == (x["Spec"]["Role"] == "manager"), f"{host}: ControlAvailable")
    facts.append("node ids, roles and engine versions agree across nodes.json, version.json, info.json")

    net_ids = {}
    for host in hostnames:
        for net in parsed[host]["swarm/networks.json"]:
            net_ids.setdefault(net["Name"], net["Id"])
            check(net_ids[net["Name"]] == net["Id"], f"network {net['Name']} id differs on {host}")
            check(SWARM_ID.match(net["Id"]) is not None, f"network id {net['Id']}")
    net_name_by_id = {v: k for k, v in net_ids.items()}

    vip = {}  # (svc name, net name) -> ip
    for s in services:
        check(SWARM_ID.match(s["ID"]) is not None, f"service id {s['ID']}")
        for v in s["Endpoint"].get("VirtualIPs", []):
            name = net_name_by_id.get(v["NetworkID"])
            if name:
                vip[(s["Spec"]["Name"], name)] = v["Addr"].split("/")[0]

    running = {}  # (svc, net) -> {ip: (task id, host)}
    for t in tasks:
        check(SWARM_ID.match(t["ID"]) is not None, f"task id {t['ID']}")
        check(t["ServiceID"] in svc_by_id, f"task {t['ID']} service")
        check(t.get("NodeID") in node_by_id, f"task {t['ID']} node")
        host = host_of[t["NodeID"]]
        svc = svc_by_id[t["ServiceID"]]["Spec"]["Name"]
        cid = t["Status"].get("ContainerStatus", {}).get("ContainerID", "")
        if cid:
            check(HEX64.match(cid) is not None, f"container id {cid}")
        if t["Status"]["State"] == "running":
            conts = {c["Id"]: c for c in parsed[host]["containers/inspect.json"]}
            check(cid in conts, f"running task {t['ID']} container missing on {host}")
            c = conts[cid]
            check(c["State"]["Running"], f"container {cid[:12]} not running")
            slot = t.get("Slot")
            want = f"/{svc}.{slot if slot else t['NodeID']}.{t['ID']}"
            check(c["Name"] == want, f"container name {c['Name']} != {want}")
            for att in t.get("NetworksAttachments", []):
                name = att["Network"]["Spec"]["Name"]
                ip = att["Addresses"][0].split("/")[0]
                check(c["NetworkSettings"]["Networks"][name]["IPAddress"] == ip, f"{cid[:12]} ip on {name}")
                check(att["Network"]["ID"] == net_ids.get(name, att["Network"]["ID"]), f"attachment net id {name}")
                running.setdefault((svc, name), {})[ip] = (t["ID"], host)
                sk = c["NetworkSettings"]["SandboxKey"].rsplit("/", 1)[-1]
                ns_inet = parse_inet(bundles[host][f"netns/{sk}/ip-addr.txt"])
                check(any(a.split("/")[0] == ip for addrs in ns_inet.values() for a in addrs),
                      f"{host}: sandbox {sk} lacks {ip}")
    ps = bundles[ref]["swarm/service-ps.txt"]
    for t in tasks:
        check(t["ID"] in ps, f"task {t['ID']} missing from service-ps.txt")
    check(len(ps.splitlines()) == len(tasks) + 1, "service-ps.txt row count")
    facts.append("every running task has its container (name, IPs) and sandbox on its node; service ps lists every task")

    # ---- uniqueness of live endpoint IPs per network
    for net_name, nid in net_ids.items():
        owners: dict[str, str] = {}

        def own(ip: str, who: str) -> None:
            check(ip not in owners, f"{net_name}: {ip} used by {owners.get(ip)} and {who}")
            owners[ip] = who

        gw = cluster.network(net_name).gateway
        own(gw, "gateway")
        for (s, n), ip in vip.items():
            if n == net_name:
                own(ip, f"VIP {s}")
        for (s, n), ips in running.items():
            if n == net_name:
                for ip, (tid, _) in ips.items():
                    own(ip, f"task {tid}")
        for host in hostnames:
            for net in parsed[host]["swarm/networks.json"]:
                if net["Name"] != net_name:
                    continue
                for key, c in net["Containers"].items():
                    if key == "ingress-sbox" or key.startswith("lb-"):
                        own(c["IPv4Address"].split("/")[0], f"{key}@{host}")
    facts.append("live endpoint IPs (gateway, VIPs, running tasks, lb-/ingress-sbox) are unique per network")

    # ---- per node: data plane vs its own network inspect vs control plane
    fault_keys = {(f.kind, f.node, f.network, f.service, f.ip, f.port) for f in cluster.faults}
    for n in cluster.nodes:
        host = n.hostname
        files = bundles[host]
        nat = parse_ipt(files["host/iptables-save.txt"]).get("nat", [])
        for net in parsed[host]["swarm/networks.json"]:
            name = net["Name"]
            ingress = net["Ingress"]
            peer_ips = {p["IP"] for p in net["Peers"]}
            for other in cluster.nodes:
                has = any(x["Name"] == name for x in parsed[other.hostname]["swarm/networks.json"])
                check(has == (other.addr in peer_ips), f"{host}: Peers of {name} vs {other.hostname}")
            for key, c in net["Containers"].items():
                if key in ("ingress-sbox",) or key.startswith("lb-"):
                    continue
                check(HEX64.match(key) is not None, f"{host}: container key {key}")
            ov_ns = f"netns/1-{net['Id'][:10]}/ip-addr.txt"
            check(ov_ns in files, f"{host}: overlay namespace for {name}")
            check(any(a == f"{cluster.network(name).gateway}/{cluster.network(name).prefixlen}"
                      for a in parse_inet(files[ov_ns]).get("br0", [])), f"{host}: br0 gateway of {name}")
            if ingress:
                sbox = net["Containers"].get("ingress-sbox")
                check(sbox is not None, f"{host}: no ingress-sbox")
                inet = parse_inet(files["netns/ingress_sbox/ip-addr.txt"])
                check(sbox["IPv4Address"] in inet["eth0"], f"{host}: ingress_sbox eth0")
                gw_ip = inet["eth1"][0].split("/")[0]
                ns_ipt = parse_ipt(files["netns/ingress_sbox/iptables-save.txt"])
                ipvs = parse_ipvs(files["netns/ingress_sbox/ipvsadm.txt"])
                for sname, s in net.get("Services", {}).items():
                    mark = s["LocalLBIndex"]
                    check(s["VIP"] == vip[(sname, name)], f"{host}: ingress VIP of {sname}")
                    for p in s["Ports"]:
                        pub = int(re.search(r"Publish: (\d+)", p).group(1))
                        want = f"-A PREROUTING -p tcp -m tcp --dport {pub} -j MARK --set-xmark 0x{mark:x}/0xffffffff"
                        check(want in ns_ipt["mangle"], f"{host}: ingress_sbox mark for {pub}")
                        dnat = (f"-A DOCKER-INGRESS -p tcp -m tcp --dport {pub} -j DNAT --to-destination "
                                f"{gw_ip}:{pub}")
                        if ("missing_dnat", host, None, None, None, pub) in fault_keys:
                            check(dnat not in nat, f"{host}: declared missing DNAT {pub} is present")
                            check(not any("DOCKER-INGRESS" in r for r in nat), f"{host}: DOCKER-INGRESS left in nat")
                            seen_faults.add(("missing_dnat", host, None, None, None, pub))
                        else:
                            check(dnat in nat, f"{host}: host DNAT for {pub} missing")
                    backends = {ip for ip, _ in ipvs.get(mark, [])}
                    view = {x["EndpointIP"] for x in s["Tasks"]}
                    check(backends == view, f"{host}: ingress IPVS {sorted(backends)} != inspect {sorted(view)}")
                    truth = set(running.get((sname, name), {}))
                    _compare(host, name, sname, backends, truth, fault_keys, seen_faults)
                continue
            # non-ingress overlay
            lb = net["Containers"].get(f"lb-{name}")
            new_model = n.family in ("18.09", "20.10")
            if new_model:
                check(lb is not None, f"{host}: {name} has no lb-{name} endpoint")
                ns = f"netns/lb_{net['Id'][:9]}/"
                inet = parse_inet(files[ns + "ip-addr.txt"])
                check(lb["IPv4Address"] in inet["eth0"], f"{host}: lb eth0 address")
                marks = mark_rules(parse_ipt(files[ns + "iptables-save.txt"])["mangle"], "INPUT")
                ipvs = parse_ipvs(files[ns + "ipvsadm.txt"])
                sandboxes = [(inet["eth0"], marks, ipvs)]
            else:
                check(lb is None, f"{host}: 17.06 node with an lb endpoint")
                sandboxes = []
                for key, c in net["Containers"].items():
                    cont = next(x for x in parsed[host]["containers/inspect.json"] if x["Id"] == key)
                    sk = cont["NetworkSettings"]["SandboxKey"].rsplit("/", 1)[-1]
                    ipt = parse_ipt(files[f"netns/{sk}/iptables-save.txt"])
                    sandboxes.append((parse_inet(files[f"netns/{sk}/ip-addr.txt"])["lo"],
                                      mark_rules(ipt["mangle"], "OUTPUT"),
                                      parse_ipvs(files[f"netns/{sk}/ipvsadm.txt"])))
                    own_svc = c["Name"].split(".")[0]
                    check(f"{vip[(own_svc, name)]}/32" in sandboxes[-1][0], f"{host}: VIP of {own_svc} not on lo of {sk}")
            for sname, s in net.get("Services", {}).items():
                mark = s["LocalLBIndex"]
                check(s["VIP"] == vip[(sname, name)], f"{host}: VIP of {sname} on {name}")
                view = {x["EndpointIP"] for x in s["Tasks"]}
                for addrs, marks, ipvs in sandboxes:
                    if new_model:
                        check(f"{s['VIP']}/32" in addrs, f"{host}: VIP {s['VIP']} not aliased in lb_")
                    check(marks.get(s["VIP"]) == mark, f"{host}: mark for {s['VIP']} != LocalLBIndex {mark}")
                    backends = {ip for ip, _ in ipvs.get(mark, [])}
                    check(mark in ipvs, f"{host}: no FWM {mark}")
                    check(backends == view, f"{host}: IPVS {sorted(backends)} != inspect view {sorted(view)}")
                truth = set(running.get((sname, name), {}))
                _compare(host, name, sname, view, truth, fault_keys, seen_faults)
    missing = fault_keys - seen_faults
    check(not missing, f"declared faults not present in output: {sorted(missing, key=str)}")
    facts.append("per node: VIP == /32 alias == MARK target; LocalLBIndex == FWM == hex mark; IPVS == inspect view")
    facts.append("IPVS backends == running task IPs except the declared faults, each of which is present: "
                 + ", ".join(f"{f.kind}@{f.node}" + (f"[{f.ip or f.port}]") for f in cluster.faults) if cluster.faults
                 else "IPVS backends == running task IPs everywhere (no faults declared)")
    return facts


def _digest(p: dict) -> tuple:
    nodes = sorted((x["ID"], x["Description"]["Hostname"], x["Description"]["Engine"]["EngineVersion"],
                    x["Spec"]["Availability"], x["Spec"]["Role"], x["Status"]["State"], x["UpdatedAt"])
                   for x in p["swarm/nodes.json"])
    svcs = sorted((s["ID"], s["Spec"]["Name"], json.dumps(s["Endpoint"].get("VirtualIPs"), sort_keys=True))
                  for s in p["swarm/services.json"])
    tasks = sorted((t["ID"], t["Status"]["State"], t["Status"].get("Err", ""), t["DesiredState"], t.get("NodeID"),
                    t["Status"]["Timestamp"],
                    json.dumps([a["Addresses"] for a in t.get("NetworksAttachments", [])]))
                   for t in p["swarm/tasks.json"])
    return nodes, svcs, tasks


def _compare(host, net, svc, backends, truth, fault_keys, seen) -> None:
    for ip in sorted(backends - truth):
        key = ("stale_backend", host, net, svc, ip, None)
        check(key in fault_keys, f"{host}: undeclared stale backend {ip} for {svc} on {net}")
        seen.add(key)
    for ip in sorted(truth - backends):
        key = ("missing_backend", host, net, svc, ip, None)
        check(key in fault_keys, f"{host}: undeclared missing backend {ip} for {svc} on {net}")
        seen.add(key)
