"""Scenario `exhausted-27` (seed 002, "Failure Caused by Address Space Exhaustion").

Five nodes tk1706-ubuntu-0..4 on 18.09.1 (managers 0, 1, 2; 0 leader), a new
swarm. Stack `ex`: overlay ex_net --subnet 10.0.9.0/27 and ex_service, 24
replicas, endpoint mode vip.

Address arithmetic of the /27: 32 addresses - 3 (network, broadcast, gateway)
- 1 (VIP) - 5 (one LB address per node with tasks) = 23 < 24 tasks.

2019-01-17, UTC:
  21:02:58  stack deployed. The leader allocates the VIP and 24 task IPs
            (.2-.26), then node LB IPs for ubuntu-0/2/3/4 (.27-.30); ubuntu-1's
            fails: "Failed to allocate network resources for node …" (could not
            find an available IP), retried twice.
  21:03:08  19 tasks running; the 5 on ubuntu-1 wait in Preparing
  21:03:37  they are rejected: "node is missing network attachments, ip
            addresses may be exhausted"; their 5 replacements first fail
            allocation ("task allocation failure … could not find an available
            IP"), then get the 5 released addresses and run on the other nodes
  21:11:15  collected: 24/24 running, 0 addresses left in 10.0.9.0/27
            (3 reserved + 1 VIP + 4 node LB IPs + 24 tasks = 32)
The leader's node object reports Status.Addr 0.0.0.0 (moby#35437): use
ManagerStatus.Addr for managers.
"""

from __future__ import annotations

from .common import NS, T, hex12, hex64, small_int, swarm_id
from .engines import E18091
from .logs import LogBook, daemon_ready, daemon_start, netdb_stats, new_pid
from .model import Cluster, Network, Node, SerialAllocator, Service, Task

NAME = "exhausted-27"
DAY = "2019-01-17"
MS = 1_000_000
S = NS
HOSTS = [
    ("tk1706-ubuntu-0", "172.31.18.74", "manager"),
    ("tk1706-ubuntu-1", "172.31.21.180", "manager"),
    ("tk1706-ubuntu-2", "172.31.25.9", "manager"),
    ("tk1706-ubuntu-3", "172.31.17.133", "worker"),
    ("tk1706-ubuntu-4", "172.31.28.201", "worker"),
]
MACS = ["0a:3f:51:6e:2c:94", "0a:8e:13:c2:7a:0e", "0a:c1:9d:04:5b:f6", "0a:27:e8:b3:19:6a", "0a:5d:40:9f:e1:22"]
# seed 002 first `docker service ps ex_service`: slot -> (task id prefix, node index)
FIRST = {
    1: ("xdevhaoovqew", 1), 2: ("q9fc83to7n8p", 4), 3: ("p5h3gbxct2cn", 2), 4: ("fs2380pgiy09", 3),
    5: ("vht1n02bu076", 2), 6: ("ac4rqb92ln5r", 0), 7: ("ndopmbh4odwp", 0), 8: ("15v7de4wh86i", 3),
    9: ("n5qe7b01rims", 3), 10: ("qwg2kgifx997", 0), 11: ("i64lee19ia6s", 1), 12: ("mlngcwkok7lv", 4),
    13: ("lvgu2chww41a", 2), 14: ("v1oris8jvhc1", 1), 15: ("fzadkml9rx6s", 2), 16: ("ltwiom799rjz", 1),
    17: ("rbewma4plt95", 4), 18: ("vbthfd5pq9hc", 3), 19: ("58oo545x10ud", 3), 20: ("iz4dzpalegez", 0),
    21: ("j3u7qsb6uyfe", 2), 22: ("zjcg1swgcvin", 4), 23: ("yp8cjae6xh7g", 0), 24: ("j53nz0hasu0e", 1),
}
# ... and the replacements in the settled output
SECOND = {1: ("2w6uzqbqtxff", 3), 11: ("kah5rzm81dbs", 4), 14: ("pv88mx99lq3x", 0), 16: ("i3o8qmuwf8ls", 2),
          24: ("xb4lzjrkgadk", 4)}
HEADER = "-- Logs begin at Thu 2019-01-17 20:29:51 UTC, end at Thu 2019-01-17 {end} UTC. --"


def t(hms: str, label: str | None = None) -> int:
    return T(f"{DAY}T{hms}", label)


def build():
    nodes = []
    for i, (h, addr, role) in enumerate(HOSTS):
        joined = t("20:31:40.21", "ex:init") if i == 0 else t("20:32:14.5", f"ex:join{i}") + i * 17 * S
        n = Node(
            hostname=h, id=swarm_id(f"ex:{h}"), role=role, addr=addr, engine=E18091, os_name="Ubuntu 18.04.1 LTS",
            kernel="4.15.0-43-generic", uplink="ens5", uplink_mac=MACS[i], uplink_mtu=9001,
            default_gw="172.31.16.1", prefixlen=20, created_ns=joined,
            updated_ns=joined + 455 * MS if i != 1 and i != 2 else t("20:33:02.7", f"ex:prom{i}") + i * 9 * S,
            collected_ns=t("21:11:15", f"ex:c{i}") + i * 4 * S, netdb_id=hex12(f"ex:netdb:{h}"), leader=(i == 0),
            iptables_version="1.6.1", iproute_family="4.15", mem_bytes=4_136_218_624, cpus=2,
        )
        new_pid(n, "ex")
        nodes.append(n)
    nodes[0].status_addr_override = "0.0.0.0"
    cl = Cluster(NAME, nodes, [], cluster_id=swarm_id("ex:cluster"), created_ns=t("20:31:40.1", "ex:cl"), since="3h")
    ingress = Network("ingress", swarm_id("ex:ingress"), "10.255.0.0/16", "10.255.0.1", 4096,
                      created_ns=t("20:31:40.5", "ex:ing"), ingress=True)
    ex_net = Network("ex_net", swarm_id("ex:ex_net"), "10.0.9.0/27", "10.0.9.1", 4097,
                     created_ns=t("21:02:58.41", "ex:net"), labels={"com.docker.stack.namespace": "ex"})
    cl.networks = [ingress, ex_net]
    ia, na = SerialAllocator(ingress.subnet), SerialAllocator(ex_net.subnet)
    assert ia.take() == ingress.gateway and na.take() == ex_net.gateway
    for n in nodes:
        n.ingress_ip = ia.take()
    svc = Service("ex_service", swarm_id("ex:svc", "wn3x4lu9cnln"),
                  "nginx:latest@sha256:0fb320e2a1b1620b4905facb3447e3d84ad36da0b2c8aa8fe3a5a81d1187b884",
                  created_ns=t("21:02:58.63", "ex:svcc"), updated_ns=t("21:02:58.63", "ex:svcu"), replicas=24,
                  networks=["ex_net"], stack="ex", aliases=["service"], spec_family="18.09", version_index=88)
    cl.services = [svc]
    svc.vips["ex_net"] = na.take()  # .2

    created = t("21:02:58.94", "ex:tc")
    first: dict[int, Task] = {}
    for slot in range(1, 25):
        prefix, ni = FIRST[slot]
        n = nodes[ni]
        tk = Task(id=swarm_id(f"ex:t{slot}", prefix), service="ex_service", node=n.hostname, slot=slot,
                  created_ns=created + slot * 61_000, status_ns=0, state="running", desired="running",
                  message="started", addresses={"ex_net": na.take()}, version_index=small_int(f"exv{slot}", 120, 190))
        first[slot] = tk
        cl.tasks.append(tk)
    # node LB addresses: the allocator serves nodes in ID order; ubuntu-1 gets none (.31 is broadcast)
    for i in (0, 2, 3, 4):
        nodes[i].lb_ips["ex_net"] = na.take()
    assert na.free() == 0, na.free()

    run0 = t("21:03:08.02", "ex:run")
    rejected_at = t("21:03:37.885405884")
    for slot, tk in first.items():
        ni = FIRST[slot][1]
        if ni == 1:
            tk.state, tk.desired, tk.message = "rejected", "shutdown", "preparing"
            tk.err = "node is missing network attachments, ip addresses may be exhausted"
            tk.status_ns = rejected_at + (slot * 1_013_337 if slot != 11 else 0)
            tk.container_status_empty = True
            na.release(tk.addresses["ex_net"])
        else:
            tk.started_ns = run0 + slot * 97 * MS
            tk.status_ns = tk.started_ns + 61 * MS
            tk.container_id = hex64(f"ex:c{slot}")
            tk.sandbox_id = hex64(f"ex:sb{slot}")
            tk.pid = small_int(f"ex:pid{slot}", 2000, 9000)
    for k, (slot, (prefix, ni)) in enumerate(sorted(SECOND.items())):
        n = nodes[ni]
        c = rejected_at + 104 * MS + k * 3 * MS
        tk = Task(id=swarm_id(f"ex:r{slot}", prefix), service="ex_service", node=n.hostname, slot=slot,
                  created_ns=c, status_ns=c + (3_100 + 211 * k) * MS, state="running", desired="running",
                  message="started", addresses={"ex_net": na.take()}, container_id=hex64(f"ex:rc{slot}"),
                  sandbox_id=hex64(f"ex:rsb{slot}"), pid=small_int(f"ex:rpid{slot}", 2000, 9000),
                  started_ns=c + (3_040 + 211 * k) * MS, version_index=small_int(f"exr{slot}", 200, 240))
        assert tk.addresses["ex_net"] == first[slot].addresses["ex_net"]  # the released address comes back
        cl.tasks.append(tk)
    assert na.free() == 0
    for n in nodes:
        n.fwmarks = {("ex_net", "ex_service"): 256} if "ex_net" in n.lb_ips else {}

    book = logs(cl, first)
    opts = {}
    from .common import _split  # noqa: PLC0415

    for n in nodes:
        end = _split(n.local_ns(n.collected_ns))[0].strftime("%H:%M:%S")
        opts[n.hostname] = dict(log_header=HEADER.format(end=end), kernel_header=HEADER.format(end=end),
                                daemon_json=None)
    return cl, book, opts


def logs(cl: Cluster, first: dict[int, Task]) -> LogBook:
    b = LogBook()
    u = cl.nodes
    u0 = u[0]
    nid = lambda n: {"node.id": n.id}  # noqa: E731
    raft = {n.hostname: (hex12("exraft:" + n.hostname) + hex12("exraft2:" + n.hostname))[:16] for n in u}
    r0 = raft[u0.hostname]
    ing = cl.ingress()
    ex_net = cl.network("ex_net")
    svc = cl.service("ex_service")

    for i, n in enumerate(u):
        s = daemon_start(b, n, t("20:30:04.7", f"ex:start{i}") + i * 2_300 * MS)
        daemon_ready(b, n, s + 25 * MS)
    # swarm init
    ti = t("20:31:40.02", "ex:init")
    b.d(u0, ti, "info", "Listening for connections", addr="[::]:2377", module="node", proto="tcp", **nid(u0))
    b.d(u0, ti + 1 * MS, "info", "Listening for local connections", addr="/var/run/docker/swarm/control.sock",
        module="node", proto="unix", **nid(u0))
    for k, line in enumerate((f"{r0} became follower at term 0",
                              f"newRaft {r0} [peers: [], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]",
                              f"{r0} became follower at term 1", f"{r0} is starting a new election at term 1",
                              f"{r0} became candidate at term 2", f"{r0} received MsgVoteResp from {r0} at term 2",
                              f"{r0} became leader at term 2", f"raft.node: {r0} elected leader {r0} at term 2")):
        b.d(u0, ti + (40 + k) * MS, "info", line, module="raft", **nid(u0))
    _agent_up(b, u0, ti + 400 * MS, u0, [], u)
    for i, n in enumerate(u[1:], start=1):
        tj = t("20:32:14.5", f"ex:join{i}") + i * 17 * S
        _agent_up(b, n, tj, u0, [u0.addr], u)
        for other in u[:i]:
            b.d(other, tj + 215 * MS, "info",
                f"{other.hostname}({other.netdb_id}): Node join event for {n.netdb_id}/{n.addr}")
    for i in (1, 2):
        n = u[i]
        tp = t("20:33:02.7", f"ex:prom{i}") + i * 9 * S
        r = raft[n.hostname]
        b.d(n, tp + 900 * MS, "info", "Listening for connections", addr="[::]:2377", module="node", proto="tcp", **nid(n))
        for k, line in enumerate((f"{r} became follower at term 0",
                                  f"newRaft {r} [peers: [], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]",
                                  f"{r} [term: 0] received a MsgHeartbeat message with higher term from {r0} [term: 2]",
                                  f"{r} became follower at term 2", f"raft.node: {r} elected leader {r0} at term 2")):
            b.d(n, tp + (940 + k) * MS, "info", line, module="raft", **nid(n))
    # periodic stats: ingress everywhere; ex_net on the four nodes that have it after the deploy
    for i, n in enumerate(u):
        start = t("20:36:47.1", f"ex:st{i}") + i * 13 * S
        netdb_stats(b, n, start, t("21:03:00"), [(ing.id, 5, 10)])
        nets = [(ing.id, 5, 10)] + ([(ex_net.id, 4, 28)] if "ex_net" in n.lb_ips else [])
        netdb_stats(b, n, start + 30 * 60 * S, t("21:11:40"), nets)
    # the deploy: node LB allocation fails for ubuntu-1 (IPAM-04), its tasks are rejected (IPAM-01),
    # their replacements first fail IP allocation (IPAM-02)
    u1 = u[1]
    for k, at in enumerate(("21:02:59.31", "21:03:04.46", "21:03:19.52")):
        b.d(u0, t(at, f"ex:ipam4:{k}"), "error", f"Failed to allocate network resources for node {u1.id}",
            error="could not find an available IP", module="node", **nid(u0))
    for slot, tk in sorted(first.items()):
        if tk.node != u1.hostname:
            continue
        b.d(u1, tk.status_ns - 1 * MS, "error", "fatal task error",
            error="node is missing network attachments, ip addresses may be exhausted",
            module="node/agent/taskmanager", **{"node.id": u1.id, "service.id": svc.id, "task.id": tk.id})
    repl = sorted((tk for tk in cl.tasks if tk.id not in {x.id for x in first.values()}), key=lambda x: x.created_ns)
    for k, tk in enumerate(repl):
        b.d(u0, tk.created_ns + 2 * MS, "error", "task allocation failure",
            error=f"failed to allocate network IP for task {tk.id} network {ex_net.id}: could not find an available IP",
            module="node", **nid(u0))
    # kernel: each node that runs tasks builds ex_net's namespaces and sandboxes
    from .netstate import build_node_net  # noqa: PLC0415

    for i, n in enumerate(u):
        if "ex_net" in n.lb_ips:
            nn = build_node_net(cl, n)
            b.kernel_burst(n, t("21:02:59.9", f"ex:k{i}") + i * 71 * MS,
                           [e for e in nn.kernel_events if "ingress" not in e], step_ns=900_000)
    return b


def _agent_up(b: LogBook, n: Node, at: int, leader: Node, remotes: list[str], nodes: list[Node]) -> None:
    nid = {"node.id": n.id}
    b.d(n, at, "info", f"manager selected by agent for new session: {{{leader.id} {leader.addr}:2377}}",
        module="node/agent", **nid)
    b.d(n, at + 1 * MS, "info", "waiting 0s before registering session", module="node/agent", **nid)
    b.d(n, at + 180 * MS, "info", f"Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr={n.addr} "
                                  f"Adv-addr={n.addr} Data-addr= Remote-addr-list=[{' '.join(remotes)}] MTU=9001")
    b.d(n, at + 181 * MS, "info", f"New memberlist node - Node:{n.hostname} will use memberlist nodeID:{n.netdb_id} with "
                                  f"config:&{{NodeID:{n.netdb_id} Hostname:{n.hostname} BindAddr:0.0.0.0 "
                                  f"AdvertiseAddr:{n.addr} BindPort:0 Keys:[[<masked>] [<masked>] [<masked>]] "
                                  "PacketBufferSize:1400 reapEntryInterval:1800000000000 "
                                  "reapNetworkInterval:1825000000000 StatsPrintPeriod:5m0s HealthPrintPeriod:1m0s}")
    b.d(n, at + 183 * MS, "info", f"Node {n.netdb_id}/{n.addr}, joined gossip cluster")
    b.d(n, at + 184 * MS, "info", f"Node {n.netdb_id}/{n.addr}, added to nodes list")
    if remotes:
        b.d(n, at + 186 * MS, "info", f"The new bootstrap node list is:[{' '.join(remotes)}]")
        for m in nodes:
            if m is n or m.created_ns > n.created_ns:
                continue
            b.d(n, at + 201 * MS, "info", f"Node {m.netdb_id}/{m.addr}, joined gossip cluster")
            b.d(n, at + 202 * MS, "info", f"Node {m.netdb_id}/{m.addr}, added to nodes list")


def expected(cl: Cluster) -> dict:
    from .expect import log_rules, must_not_checks

    u1 = cl.nodes[1]
    must = [{"id": "SW301", "network": "ex_net", "subnet": "10.0.9.0/27", "free": 0,
             "arithmetic": "32 - 3 (network, broadcast, gateway) - 1 VIP - 4 node LB IPs - 24 task IPs = 0",
             "why": "the first pass needed 32 - 3 - 1 - 5 = 23 < 24; ubuntu-1 got no LB IP"}]
    return {
        "nodes": {n.hostname: {"role": n.role, "engine": n.engine.version, "addr": n.addr, "id": n.id}
                  for n in cl.nodes},
        "log_rules": log_rules(must=["IPAM-01", "IPAM-02", "IPAM-04"],
                               benign=["RAFT-03", "GOS-05", "GOS-07", "GOS-09"]),
        "checks": {"must": must, "unspecified": ["SW302"], "must_not": must_not_checks(must, ["SW302"])},
        "facts": {
            "replicas": {"ex_service": "24/24"},
            "rejected_tasks_on": u1.hostname,
            "rejected_task_ids": sorted(t.id for t in cl.tasks if t.state == "rejected"),
            "lb_ips": {n.hostname: n.lb_ips.get("ex_net") for n in cl.nodes},
            "leader_status_addr": "0.0.0.0 (use ManagerStatus.Addr 172.31.18.74:2377)",
            "reused_addresses": "the 5 rejected tasks keep addresses that their running replacements now hold; "
                                "only non-terminal tasks count (SW107 and SW301 must ignore terminal tasks)",
        },
    }
