"""Scenarios `upgrade-before` and `upgrade-mid` (seed 002).

Five testkit nodes tk1706-ubuntu-0..4 (Ubuntu 18.04 on EC2, ens5 MTU 9001),
managers 0, 1, 2 (0 leader), workers 3, 4, all on 17.06.2-ee-15 with
`"debug": true`. Stack `test`: test_service (global nginx, restart on-failure,
3 attempts) and test_client (2 replicas) on overlay test_default.

upgrade-before (collected 2019-01-15 20:50): everything healthy.

upgrade-mid (collected 21:11), the procedure done wrong:
  20:58:10  ubuntu-0 drained (`docker node update --availability drain`, visible
            as the API call in ubuntu-0's debug log and in the node's UpdatedAt);
            its tasks shut down, test_client.1 moves to ubuntu-3
  21:00:02  ubuntu-0 dockerd stopped (raft leadership moves to ubuntu-1)
  21:01:40  ubuntu-0 starts 18.09.1, rejoins
  21:02:31  ubuntu-0 re-activated BEFORE managers 1 and 2 are upgraded: the 17.06
            leader allocates no node network attachments, so every test_service
            task there is rejected after 30 s: "node is missing network
            attachments, ip addresses may be exhausted" (4 attempts)
  21:05:00  worker ubuntu-3 upgraded (left active): its first new task is rejected
            with "cannot create a swarm scoped network when swarm is not active",
            the next three with the missing-attachments error
  21:08:40  ubuntu-4 drained, not upgraded yet (still drained at collection)
ubuntu-4's clock is 90 s fast: its logs, its agent's task timestamps, its
`collected_at` and `SystemTime` all carry +90 s.
"""

from __future__ import annotations

from .common import NS, T, hex12, hex64, small_int, swarm_id
from .engines import E17062EE15, E18091
from .logs import LogBook, daemon_ready, daemon_start, daemon_stop, netdb_stats, new_pid
from .model import Cluster, Network, Node, SerialAllocator, Service, Task

HOSTS = [
    # hostname, node id (seed 002), address, role
    ("tk1706-ubuntu-0", "t7felwp30mvi4n910z2y3u1cu", "172.31.18.74", "manager"),
    ("tk1706-ubuntu-1", "rgwd7c9f151elfy4io9es7983", "172.31.21.180", "manager"),
    ("tk1706-ubuntu-2", "bkir1i90n88pf3n30ftx32yww", "172.31.25.9", "manager"),
    ("tk1706-ubuntu-3", "z5tqpoosc7akmy1rooonzyqk2", "172.31.17.133", "worker"),
    ("tk1706-ubuntu-4", "w232ljdni54ibvlsgewehon99", "172.31.28.201", "worker"),
]
MACS = ["0a:3f:51:6e:2c:94", "0a:8e:13:c2:7a:0e", "0a:c1:9d:04:5b:f6", "0a:27:e8:b3:19:6a", "0a:5d:40:9f:e1:22"]
SKEW = {"tk1706-ubuntu-4": 90 * NS}
RAFT = {h: (hex12("raft:" + h) + hex12("raft2:" + h))[:16] for h, *_ in HOSTS}  # raft member ids
DAY = "2019-01-15"
HEADER = "-- Logs begin at Tue 2019-01-15 19:37:48 UTC, end at Tue 2019-01-15 {end} UTC. --"
S = NS
MS = 1_000_000


def t(hms: str, label: str | None = None) -> int:
    return T(f"{DAY}T{hms}", label)


def _nodes(stage: str) -> list[Node]:
    nodes = []
    for i, (h, nid, addr, role) in enumerate(HOSTS):
        collected = t("20:50:12" if stage == "before" else "21:11:00", f"{stage}:{h}:c") + i * 4 * S
        joined = t("19:41:12.6", "created") if i == 0 else t("19:42:31.3", f"join{i}") + i * 21 * S
        if i == 0:
            updated = t("19:41:13.1", "upd0")
        elif role == "manager":
            updated = t("19:44:05.29", f"upd{i}") + (14 * S if i == 2 else 0)
        else:
            updated = joined + 412 * MS
        n = Node(
            hostname=h, id=nid, role=role, addr=addr, engine=E17062EE15, os_name="Ubuntu 18.04.1 LTS",
            kernel="4.15.0-43-generic", uplink="ens5", uplink_mac=MACS[i], uplink_mtu=9001,
            default_gw="172.31.16.1", prefixlen=20,
            created_ns=joined, updated_ns=updated,
            collected_ns=collected, netdb_id=hex12(f"netdb:{h}:1706"), leader=(i == 0),
            skew_ns=SKEW.get(h, 0), iptables_version="1.6.1", iproute_family="4.15",
            mem_bytes=4_136_218_624, cpus=2,
        )
        n.ingress_ip = f"10.255.0.{i + 2}"  # ingress-sbox addresses, in join order
        n.daemon_json = {"debug": True}
        new_pid(n, "boot")
        nodes.append(n)
    return nodes


def _base(stage: str):
    nodes = _nodes(stage)
    cl = Cluster(f"upgrade-{stage}", nodes, [], cluster_id=swarm_id("tk1706:cluster"),
                 created_ns=t("19:41:12.5", "cluster"), since="3h")
    ingress = Network("ingress", swarm_id("tk1706:ingress"), "10.255.0.0/16", "10.255.0.1", 4096,
                      created_ns=t("19:41:12.9", "ingress"), ingress=True)
    net = Network("test_default", swarm_id("tk1706:test_default"), "10.0.0.0/24", "10.0.0.1", 4097,
                  created_ns=t("20:05:31.2", "testnet"), labels={"com.docker.stack.namespace": "test"})
    cl.networks = [ingress, net]
    ia, na = SerialAllocator(ingress.subnet), SerialAllocator(net.subnet)
    ia.take(), na.take()
    for n in nodes:
        assert ia.take() == n.ingress_ip
    client = Service("test_client", swarm_id("tk1706:test_client"),
                     "ctelfer/lb-upgrade-test-cli:latest@sha256:3c8e5a8d0bd7b2d5f6a3c9f1e4b27d0c91a6e8f2d54b7a3c0e1f9d8b6a5c4e3d",
                     created_ns=t("20:05:31.4", "svc1"), updated_ns=t("20:05:31.4", "svc1u"), replicas=2,
                     networks=["test_default"], stack="test", legacy_spec_networks=True, aliases=["client"],
                     spec_family="17.06", version_index=58)
    service = Service("test_service", swarm_id("tk1706:test_service"),
                      "nginx:latest@sha256:0fb320e2a1b1620b4905facb3447e3d84ad36da0b2c8aa8fe3a5a81d1187b884",
                      created_ns=t("20:05:31.6", "svc2"), updated_ns=t("20:05:31.6", "svc2u"), mode="global",
                      networks=["test_default"], stack="test", legacy_spec_networks=True, aliases=["service"],
                      spec_family="17.06", restart_condition="on-failure", restart_max_attempts=3,
                      version_index=61)
    cl.services = [client, service]
    client.vips["test_default"] = na.take()
    service.vips["test_default"] = na.take()
    marks = {0: ("test_client", "test_service")}
    for i, n in enumerate(nodes):
        a, b = marks.get(i, ("test_service", "test_client"))
        n.fwmarks = {("test_default", a): 256, ("test_default", b): 257}
    return cl, na


def _task(cl: Cluster, tid: str, svc: str, node: str | None, slot, created: int, status: int, state: str,
          desired: str, message: str, alloc: SerialAllocator, *, err=None, container=True, exit_code=0,
          started=None, finished=None, vindex=0) -> Task:
    n = cl.node(node)
    tk = Task(id=tid, service=svc, node=node, slot=slot, created_ns=created,
              status_ns=status + (n.skew_ns if message not in ("pending task scheduling", "assigned") else 0),
              state=state, desired=desired, message=message, err=err,
              addresses={"test_default": alloc.take()}, version_index=vindex or small_int(tid, 80, 400))
    if container:
        tk.container_id = hex64("c:" + tid)
        tk.sandbox_id = hex64("sb:" + tid)
        tk.started_ns = started
        tk.finished_ns = finished
        tk.exit_code = exit_code
        if state == "running":
            tk.pid = small_int("pid:" + tid, 2000, 9000)
    else:
        tk.container_status_empty = True
    cl.tasks.append(tk)
    return tk


U = [h for h, *_ in HOSTS]


def _initial_tasks(cl: Cluster, na: SerialAllocator, stage: str) -> dict[str, Task]:
    """Tasks created by `docker stack deploy` at 20:05:31 (all running before the upgrade)."""
    out = {}
    run = t("20:05:36.2", "run")
    out["client1"] = _task(cl, swarm_id("t:c1a", "5gp5gbt61sh9"), "test_client", U[0], 1, t("20:05:31.7", "c1c"),
                           run + 210 * MS, "running", "running", "started", na, started=run + 150 * MS)
    out["client2"] = _task(cl, swarm_id("t:c2", "ibg27ylftdgv"), "test_client", U[1], 2, t("20:05:31.7", "c2c"),
                           run + 402 * MS, "running", "running", "started", na, started=run + 330 * MS)
    seed_ids = ["jnk6579o00si", "d64vq365ehi2", "qfj700xptc0d", "7uffy3trubyq", "n28ip529ru04"]
    for i, h in enumerate(U):
        out[f"svc{i}"] = _task(cl, swarm_id(f"t:s{i}", seed_ids[i]), "test_service", h, None,
                               t("20:05:31.8", f"s{i}c"), run + (500 + 97 * i) * MS, "running", "running", "started",
                               na, started=run + (430 + 97 * i) * MS)
    return out


def build_before():
    cl, na = _base("before")
    _initial_tasks(cl, na, "before")
    book = story(_nodes("mid"))
    return cl, book, _opts(cl)


def build_mid():
    cl, na = _base("mid")
    tk = _initial_tasks(cl, na, "mid")
    u0, u1, u2, u3, u4 = cl.nodes
    # --- 20:58:10 drain ubuntu-0
    drain0 = t("20:58:10.43", "drain0")
    c1 = tk["client1"]
    c1.state, c1.desired, c1.message = "shutdown", "shutdown", "shutdown"
    c1.status_ns, c1.finished_ns, c1.exit_code = drain0 + 612 * MS, drain0 + 590 * MS, 143
    s0 = tk["svc0"]
    s0.state, s0.desired, s0.message = "shutdown", "shutdown", "shutdown"
    s0.status_ns, s0.finished_ns, s0.exit_code = drain0 + 655 * MS, drain0 + 640 * MS, 0
    c1b = _task(cl, swarm_id("t:c1b", "xjnra1dwfttg"), "test_client", U[3], 1, drain0 + 480 * MS,
                t("21:06:21.63", "c1bs"), "shutdown", "shutdown", "shutdown", na,
                started=drain0 + 2_830 * MS, finished=t("21:05:00.61", "c1bf"), exit_code=143)
    # --- ubuntu-0 upgraded to 18.09.1 and re-activated at 21:02:31
    active0 = t("21:02:31.71", "active0")
    u0.engine = E18091
    u0.leader = False
    u1.leader = True
    u0.updated_ns = active0
    u0.netdb_id = hex12(f"netdb:{U[0]}:1809")
    new_pid(u0, "upgraded")
    c = active0 + 180 * MS
    seed0 = {2: "tuddp1ycbf38", 3: "134tseerb5ay"}
    for k in range(4):
        rej = c + (5_200 if k else 300) * MS + 30_120 * MS
        _task(cl, swarm_id(f"t:u0r{k}", seed0.get(k, "")), "test_service", U[0], None, c, rej, "rejected",
              "shutdown", "preparing", na, err="node is missing network attachments, ip addresses may be exhausted",
              container=False)
        c = rej + 110 * MS
    # --- 21:05 ubuntu-3 stopped (worker, left active); test_client.1 rescheduled to ubuntu-2
    stop3 = t("21:05:00.21", "stop3")
    c1c = _task(cl, swarm_id("t:c1c", "dsfza4hcu4gp"), "test_client", U[2], 1, stop3 + 10_410 * MS,
                stop3 + 14_020 * MS, "running", "running", "started", na, started=stop3 + 13_950 * MS)
    start3 = t("21:06:20.83", "start3")
    u3.engine = E18091
    u3.netdb_id = hex12(f"netdb:{U[3]}:1809")
    new_pid(u3, "upgraded")
    s3 = tk["svc3"]
    s3.state, s3.desired, s3.message = "complete", "shutdown", "finished"
    s3.status_ns, s3.finished_ns, s3.exit_code = start3 + 905 * MS, stop3 + 380 * MS, 0
    c = start3 + 1_010 * MS
    _task(cl, swarm_id("t:u3n", "er7zhjrz3yfj"), "test_service", U[3], None, c, c + 412 * MS, "rejected",
          "shutdown", "preparing", na, err="cannot create a swarm scoped network when swarm is not active",
          container=False)
    c += 520 * MS
    for k in range(3):
        rej = c + 5_200 * MS + 30_140 * MS
        _task(cl, swarm_id(f"t:u3r{k}"), "test_service", U[3], None, c, rej, "rejected", "shutdown", "preparing", na,
              err="node is missing network attachments, ip addresses may be exhausted", container=False)
        c = rej + 110 * MS
    # --- 21:08:40 ubuntu-4 drained (not upgraded yet)
    drain4 = t("21:08:40.92", "drain4")
    u4.availability = "drain"
    u4.updated_ns = drain4
    s4 = tk["svc4"]
    s4.state, s4.desired, s4.message = "shutdown", "shutdown", "shutdown"
    s4.status_ns, s4.finished_ns, s4.exit_code = drain4 + 702 * MS + u4.skew_ns, drain4 + 690 * MS, 0
    for n in (u0, u3, u4):
        n.fwmarks = {}
    book = story(_nodes("mid"))
    return cl, book, _opts(cl)


def _opts(cl: Cluster) -> dict:
    out = {}
    for n in cl.nodes:
        end = n.local_ns(n.collected_ns)
        from .common import _split  # noqa: PLC0415

        hms = _split(end)[0].strftime("%H:%M:%S")
        out[n.hostname] = dict(daemon_json='{\n    "debug": true\n}\n', log_header=HEADER.format(end=hms),
                               kernel_header=HEADER.format(end=hms))
    return out


# ------------------------------------------------------------------ the logs

def story(nodes: list[Node]) -> LogBook:
    """The whole day's logs, built on a fresh set of nodes that change as the story goes.

    Both stages render from this one book (each cut at its collection time), so
    upgrade-before's logs are an exact prefix of upgrade-mid's.
    """
    b = LogBook()
    u0, u1, u2, u3, u4 = nodes
    ids = {n.hostname: n.id for n in nodes}
    nid = lambda n: {"node.id": n.id}  # noqa: E731
    mgr_of = {U[1]: u0, U[2]: u0, U[3]: u0, U[4]: u0}

    def ml(n: Node) -> str:
        return f"{n.hostname}-{n.netdb_id}" if n.family == "17.06" else n.netdb_id

    # ---- 19:38 daemons start (17.06.2-ee-15)
    for i, n in enumerate(nodes):
        s = daemon_start(b, n, t("19:38:02.3", f"start{i}") + i * 3_100 * MS)
        daemon_ready(b, n, s + 22 * MS)
        b.kernel_burst(n, t("19:38:02.9") + i * 3_100 * MS, [
            "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.",
            "Bridge firewalling registered",
            "nf_conntrack version 0.5.0 (65536 buckets, 262144 max)",
            "Initializing XFRM netlink socket",
            "Netfilter messages via NETLINK v0.30.",
            "ctnetlink v0.93: registering with nfnetlink.",
            "IPv6: ADDRCONF(NETDEV_UP): docker0: link is not ready",
        ])
    # ---- 19:41:12 swarm init on ubuntu-0
    ti = t("19:41:12.52", "init")
    r0 = RAFT[U[0]]
    b.d(u0, ti, "debug", "Calling POST /v1.30/swarm/init")
    b.d(u0, ti + 1 * MS, "info", "Listening for connections", addr="[::]:2377", module="node", proto="tcp", **nid(u0))
    b.d(u0, ti + 2 * MS, "info", "Listening for local connections", addr="/var/run/docker/swarm/control.sock",
        module="node", proto="unix", **nid(u0))
    b.d(u0, ti + 40 * MS, "info", f"{r0} became follower at term 0", module="raft", **nid(u0))
    b.d(u0, ti + 41 * MS, "info", f"newRaft {r0} [peers: [], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]",
        module="raft", **nid(u0))
    b.d(u0, ti + 42 * MS, "info", f"{r0} became follower at term 1", module="raft", **nid(u0))
    b.d(u0, ti + 43 * MS, "info", f"{r0} is starting a new election at term 1", module="raft", **nid(u0))
    b.d(u0, ti + 44 * MS, "info", f"{r0} became candidate at term 2", module="raft", **nid(u0))
    b.d(u0, ti + 45 * MS, "info", f"{r0} received MsgVoteResp from {r0} at term 2", module="raft", **nid(u0))
    b.d(u0, ti + 46 * MS, "info", f"{r0} became leader at term 2", module="raft", **nid(u0))
    b.d(u0, ti + 47 * MS, "info", f"raft.node: {r0} elected leader {r0} at term 2", module="raft", **nid(u0))
    b.d(u0, ti + 380 * MS, "info", f"manager selected by agent for new session: {{{u0.id} {u0.addr}:2377}}",
        module="node/agent", **nid(u0))
    b.d(u0, ti + 381 * MS, "info", "waiting 0s before registering session", module="node/agent", **nid(u0))
    b.d(u0, ti + 520 * MS, "info", f"Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr={u0.addr} "
                                   f"Adv-addr={u0.addr} Data-addr= Remote-addr-list=[] MTU=9001")
    # ---- joins
    for i, n in enumerate(nodes[1:], start=1):
        tj = t("19:42:30.11", f"join{i}") + i * 21 * S
        b.d(n, tj, "debug", "Calling POST /v1.30/swarm/join")
        b.d(n, tj + 806 * MS, "info", f"manager selected by agent for new session: {{{u0.id} {u0.addr}:2377}}",
            module="node/agent", **nid(n))
        b.d(n, tj + 807 * MS, "info", "waiting 0s before registering session", module="node/agent", **nid(n))
        b.d(n, tj + 1_010 * MS, "info", f"Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr={n.addr} "
                                        f"Adv-addr={n.addr} Data-addr= Remote-addr-list=[{u0.addr}] MTU=9001")
        for other in nodes[:i]:
            b.d(n, tj + 1_030 * MS, "info", f"Node join event for {ml(other)}/{other.addr}")
            b.d(other, tj + 1_032 * MS, "info", f"Node join event for {ml(n)}/{n.addr}")
    # ---- promotions of ubuntu-1 and ubuntu-2
    for i, n in ((1, u1), (2, u2)):
        tp = t("19:44:05.33", f"prom{i}") + (14 * S if i == 2 else 0)
        b.d(u0, tp - 40 * MS, "debug", f"Calling POST /v1.30/nodes/{n.id}/update?version={17 + 4 * i}")
        b.d(u0, tp - 39 * MS, "debug", 'form data: {"Availability":"active","Labels":{},"Role":"manager"}')
        r = RAFT[n.hostname]
        b.d(n, tp + 1_200 * MS, "info", "Listening for connections", addr="[::]:2377", module="node", proto="tcp",
            **nid(n))
        b.d(n, tp + 1_201 * MS, "info", "Listening for local connections", addr="/var/run/docker/swarm/control.sock",
            module="node", proto="unix", **nid(n))
        b.d(n, tp + 1_240 * MS, "info", f"{r} became follower at term 0", module="raft", **nid(n))
        b.d(n, tp + 1_241 * MS, "info", f"newRaft {r} [peers: [], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]",
            module="raft", **nid(n))
        b.d(n, tp + 1_262 * MS, "info", f"{r} [term: 0] received a MsgHeartbeat message with higher term from {r0} [term: 2]",
            module="raft", **nid(n))
        b.d(n, tp + 1_263 * MS, "info", f"{r} became follower at term 2", module="raft", **nid(n))
        b.d(n, tp + 1_264 * MS, "info", f"raft.node: {r} elected leader {r0} at term 2", module="raft", **nid(n))
    # ---- 20:05:31 docker stack deploy (client on ubuntu-0)
    td = t("20:05:31.18", "deploy")
    b.d(u0, td, "debug", "Calling POST /v1.30/networks/create")
    b.d(u0, td + 1 * MS, "debug", 'form data: {"Attachable":false,"CheckDuplicate":false,"ConfigFrom":null,"ConfigOnly":false,'
                                  '"Driver":"overlay","EnableIPv6":false,"IPAM":{"Config":[],"Driver":"default","Options":null},'
                                  '"Ingress":false,"Internal":false,"Labels":{"com.docker.stack.namespace":"test"},'
                                  '"Name":"test_default","Options":null,"Scope":""}')
    b.d(u0, td + 190 * MS, "debug", "Calling POST /v1.30/services/create")
    b.d(u0, td + 390 * MS, "debug", "Calling POST /v1.30/services/create")
    for i, n in enumerate(nodes):
        b.kernel_burst(n, t("20:05:33.1", f"k{i}") + i * 97 * MS, _deploy_kernel(n, i))
    # 17.06 prints no periodic NetworkDB stats (they appeared in 17.09); see the 18.09 nodes below.
    svc_id = swarm_id("tk1706:test_service")
    cli_id = swarm_id("tk1706:test_client")

    def state_changed(n: Node, at: int, task: str, svc: str, desired: str, transition: str) -> None:
        b.d(n, at, "debug", "state changed", module="node/agent/taskmanager",
            **{"node.id": n.id, "service.id": svc, "state.desired": desired, "state.transition": transition,
               "task.id": task})

    # ---- 20:58:10 drain ubuntu-0
    drain0 = t("20:58:10.43", "drain0")
    b.d(u0, drain0 - 3 * MS, "debug", "Calling GET /v1.30/nodes")
    b.d(u0, drain0 - 2 * MS, "debug", f"Calling POST /v1.30/nodes/{u0.id}/update?version=103")
    b.d(u0, drain0 - 1 * MS, "debug", 'form data: {"Availability":"drain","Labels":{},"Role":"manager"}')
    state_changed(u0, drain0 + 612 * MS, swarm_id("t:c1a", "5gp5gbt61sh9"), cli_id, "SHUTDOWN", "RUNNING->SHUTDOWN")
    state_changed(u0, drain0 + 655 * MS, swarm_id("t:s0", "jnk6579o00si"), svc_id, "SHUTDOWN", "RUNNING->SHUTDOWN")
    b.kernel_burst(u0, drain0 + 600 * MS, _teardown_kernel(u0, 2))
    c1b = swarm_id("t:c1b", "xjnra1dwfttg")
    for k, tr in enumerate(["ASSIGNED->ACCEPTED", "ACCEPTED->PREPARING", "PREPARING->READY", "READY->STARTING",
                            "STARTING->RUNNING"]):
        state_changed(u3, drain0 + (520 + 600 * k) * MS, c1b, cli_id, "RUNNING", tr)
    # ---- 21:00:02 ubuntu-0 stopped
    stop0 = t("21:00:02.11", "stop0")
    gone = daemon_stop(b, u0, stop0)
    for n in nodes[1:]:
        b.d(n, gone - 40 * MS, "info", f"Node leave event for {ml(u0)}/{u0.addr}")
    for n in (u3, u4):
        b.d(n, gone + 3 * MS, "error", "agent: session failed",
            error="rpc error: code = Unavailable desc = transport is closing", module="node/agent", **nid(n))
        b.d(n, gone + 190 * MS, "info", f"manager selected by agent for new session: {{{u1.id} {u1.addr}:2377}}",
            module="node/agent", **nid(n))
        b.d(n, gone + 191 * MS, "info", "waiting 0s before registering session", module="node/agent", **nid(n))
    r1, r2 = RAFT[U[1]], RAFT[U[2]]
    te = gone + 4_310 * MS
    for line in (f"{r1} is starting a new election at term 2", f"{r1} became candidate at term 3",
                 f"{r1} received MsgVoteResp from {r1} at term 3",
                 f"{r1} [logterm: 2, index: 318] sent MsgVote request to {r0} at term 3",
                 f"{r1} [logterm: 2, index: 318] sent MsgVote request to {r2} at term 3",
                 f"raft.node: {r1} lost leader {r0} at term 3"):
        b.d(u1, te, "info", line, module="raft", **nid(u1))
        te += 100_000
    for line in (f"{r2} [term: 2] received a MsgVote message with higher term from {r1} [term: 3]",
                 f"{r2} became follower at term 3",
                 f"{r2} [logterm: 2, index: 318, vote: 0] cast MsgVote for {r1} [logterm: 2, index: 318] at term 3",
                 f"raft.node: {r2} lost leader {r0} at term 3",
                 f"raft.node: {r2} elected leader {r1} at term 3"):
        b.d(u2, te + 2 * MS, "info", line, module="raft", **nid(u2))
        te += 100_000
    te += 3 * MS
    for line in (f"{r1} received MsgVoteResp from {r2} at term 3",
                 f"{r1} [quorum:2] has received 2 MsgVoteResp votes and 0 vote rejections",
                 f"{r1} became leader at term 3", f"raft.node: {r1} elected leader {r1} at term 3"):
        b.d(u1, te, "info", line, module="raft", **nid(u1))
        te += 100_000
    # ---- 21:01:40 ubuntu-0 starts 18.09.1
    u0.engine = E18091
    u0.netdb_id = hex12(f"netdb:{U[0]}:1809")
    new_pid(u0, "upgraded")
    start0 = t("21:01:40.32", "start0")
    s = daemon_start(b, u0, start0)
    s = _swarm_rejoin(b, u0, s, manager=True, leader=u1, leader_raft=r1, nodes=nodes)
    s = daemon_ready(b, u0, s + 40 * MS)
    for n in nodes[1:]:
        b.d(n, s - 160 * MS, "info", f"Node join event for {ml(u0)}/{u0.addr}")
    _reaptime_warnings(b, u0, s + 210 * MS, [u1, u2, u4])
    # ---- 21:02:31 ubuntu-0 re-activated; four rejected tasks
    active0 = t("21:02:31.71", "active0")
    b.d(u0, active0 - 3 * MS, "debug", "Calling GET /v1.39/nodes")
    b.d(u0, active0 - 2 * MS, "debug", f"Calling POST /v1.39/nodes/{u0.id}/update?version=112")
    b.d(u0, active0 - 1 * MS, "debug", 'form data: {"Availability":"active","Labels":{},"Role":"manager"}')
    c = active0 + 180 * MS
    seed0 = {2: "tuddp1ycbf38", 3: "134tseerb5ay"}
    for k in range(4):
        tid = swarm_id(f"t:u0r{k}", seed0.get(k, ""))
        prep = c + (5_200 if k else 300) * MS
        rej = prep + 30_120 * MS
        state_changed(u0, prep - 100 * MS, tid, svc_id, "RUNNING", "ASSIGNED->ACCEPTED")
        state_changed(u0, prep, tid, svc_id, "RUNNING", "ACCEPTED->PREPARING")
        b.d(u0, rej - 1 * MS, "error", "fatal task error",
            error="node is missing network attachments, ip addresses may be exhausted",
            module="node/agent/taskmanager", **{"node.id": u0.id, "service.id": svc_id, "task.id": tid})
        state_changed(u0, rej, tid, svc_id, "RUNNING", "PREPARING->REJECTED")
        c = rej + 110 * MS
    # ---- 21:05:00 ubuntu-3 stopped, 21:06:20 started as 18.09.1
    stop3 = t("21:05:00.21", "stop3")
    gone3 = daemon_stop(b, u3, stop3)
    b.kernel_burst(u3, stop3 + 300 * MS, _teardown_kernel(u3, 2))
    for n in (u1, u2, u4):
        b.d(n, gone3 - 30 * MS, "info", f"Node leave event for {ml(u3)}/{u3.addr}")
    c1c = swarm_id("t:c1c", "dsfza4hcu4gp")
    for k, tr in enumerate(["ASSIGNED->ACCEPTED", "ACCEPTED->PREPARING", "PREPARING->READY", "READY->STARTING",
                            "STARTING->RUNNING"]):
        state_changed(u2, stop3 + (10_520 + 700 * k) * MS, c1c, cli_id, "RUNNING", tr)
    b.kernel_burst(u2, stop3 + 13_100 * MS, [
        "IPVS: Creating netns size=2048 id=9",
        f"br0: port 4({'veth' + hex12('k:u2:c1c')[:7]}) entered blocking state",
        f"br0: port 4({'veth' + hex12('k:u2:c1c')[:7]}) entered disabled state",
        f"device {'veth' + hex12('k:u2:c1c')[:7]} entered promiscuous mode",
        f"IPv6: ADDRCONF(NETDEV_UP): {'veth' + hex12('k:u2:c1c')[:7]}: link is not ready",
        "eth0: renamed from " + "veth" + hex12("k:u2:c1c:e")[:7],
        f"br0: port 4({'veth' + hex12('k:u2:c1c')[:7]}) entered blocking state",
        f"br0: port 4({'veth' + hex12('k:u2:c1c')[:7]}) entered forwarding state",
    ])
    u3.engine = E18091
    u3.netdb_id = hex12(f"netdb:{U[3]}:1809")
    new_pid(u3, "upgraded")
    start3 = t("21:06:20.83", "start3")
    s = daemon_start(b, u3, start3)
    s = _swarm_rejoin(b, u3, s, manager=False, leader=u1, leader_raft=r1, nodes=nodes)
    s = daemon_ready(b, u3, s + 30 * MS)
    for n in (u0, u1, u2, u4):
        b.d(n, s - 120 * MS, "info", f"Node join event for {ml(u3)}/{u3.addr}" if n.family == "17.06" else
            f"{n.hostname}({n.netdb_id}): Node join event for {ml(u3)}/{u3.addr}")
    _reaptime_warnings(b, u3, s + 190 * MS, [u1, u2])
    c = start3 + 1_010 * MS
    tid = swarm_id("t:u3n", "er7zhjrz3yfj")
    state_changed(u3, c + 300 * MS, tid, svc_id, "RUNNING", "ASSIGNED->ACCEPTED")
    state_changed(u3, c + 350 * MS, tid, svc_id, "RUNNING", "ACCEPTED->PREPARING")
    b.d(u3, c + 411 * MS, "error", "fatal task error",
        error="cannot create a swarm scoped network when swarm is not active",
        module="node/agent/taskmanager", **{"node.id": u3.id, "service.id": svc_id, "task.id": tid})
    state_changed(u3, c + 412 * MS, tid, svc_id, "RUNNING", "PREPARING->REJECTED")
    c += 520 * MS
    for k in range(3):
        tid = swarm_id(f"t:u3r{k}")
        prep = c + 5_200 * MS
        rej = prep + 30_140 * MS
        state_changed(u3, prep - 100 * MS, tid, svc_id, "RUNNING", "ASSIGNED->ACCEPTED")
        state_changed(u3, prep, tid, svc_id, "RUNNING", "ACCEPTED->PREPARING")
        b.d(u3, rej - 1 * MS, "error", "fatal task error",
            error="node is missing network attachments, ip addresses may be exhausted",
            module="node/agent/taskmanager", **{"node.id": u3.id, "service.id": svc_id, "task.id": tid})
        state_changed(u3, rej, tid, svc_id, "RUNNING", "PREPARING->REJECTED")
        c = rej + 110 * MS
    # ---- 21:08:40 ubuntu-4 drained (API on ubuntu-0)
    drain4 = t("21:08:40.92", "drain4")
    b.d(u0, drain4 - 3 * MS, "debug", "Calling GET /v1.39/nodes")
    b.d(u0, drain4 - 2 * MS, "debug", f"Calling POST /v1.39/nodes/{u4.id}/update?version=131")
    b.d(u0, drain4 - 1 * MS, "debug", 'form data: {"Availability":"drain","Labels":{},"Role":"worker"}')
    state_changed(u4, drain4 + 702 * MS, swarm_id("t:s4", "n28ip529ru04"), svc_id, "SHUTDOWN", "RUNNING->SHUTDOWN")
    b.kernel_burst(u4, drain4 + 690 * MS, _teardown_kernel(u4, 1))
    # the upgraded nodes print periodic NetworkDB stats (18.x format) for the only network they have
    ing_id = swarm_id("tk1706:ingress")
    netdb_stats(b, u0, t("21:06:42.18"), t("21:11:40"), [(ing_id, 5, 10)])
    netdb_stats(b, u3, t("21:11:21.64"), t("21:11:40"), [(ing_id, 5, 10)])
    return b


def _reaptime_warnings(b: LogBook, n: Node, at: int, senders: list[Node]) -> None:
    """An 18.09 node receiving NetworkDB table events from 17.06 peers, which send
    no ResidualReapTime (GOS-10)."""
    ing = swarm_id("tk1706:ingress")
    for k, peer in enumerate(senders):
        key = hex64(f"ep:ingress-sbox:{peer.hostname}")
        ip = [int(x) for x in peer.ingress_ip.split(".")]
        value = [10, 4] + ip + [18, 6, 2, 66] + ip + [26, 4] + [int(x) for x in peer.addr.split(".")]
        ev = (f"&TableEvent{{Type:CREATE,LTime:{31 + 3 * k},NodeName:{peer.hostname}-{peer.netdb_id},"
              f"NetworkID:{ing},TableName:overlay_peer_table,Key:{key},"
              f"Value:[{' '.join(str(v) for v in value)}],ResidualReapTime:0,}}")
        b.d(n, at + k * 2 * MS, "warning", f"{n.hostname}({n.netdb_id}) handleTableEvent object {ev} has a 0 "
                                          "reapTime, is the cluster running the same docker engine version?")


def _swarm_rejoin(b: LogBook, n: Node, s: int, *, manager: bool, leader: Node, leader_raft: str,
                  nodes: list[Node]) -> int:
    ms = MS
    nid = {"node.id": n.id}
    if manager:
        r = RAFT[n.hostname]
        b.d(n, s + 9 * ms, "info", "Listening for connections", addr="[::]:2377", module="node", proto="tcp", **nid)
        b.d(n, s + 10 * ms, "info", "Listening for local connections", addr="/var/run/docker/swarm/control.sock",
            module="node", proto="unix", **nid)
        b.d(n, s + 52 * ms, "info", f"{r} became follower at term 2", module="raft", **nid)
        b.d(n, s + 53 * ms, "info", f"newRaft {r} [peers: [], term: 2, commit: 331, applied: 0, lastindex: 331, lastterm: 2]",
            module="raft", **nid)
        b.d(n, s + 370 * ms, "info", f"{r} [term: 2] received a MsgHeartbeat message with higher term from {leader_raft} [term: 3]",
            module="raft", **nid)
        b.d(n, s + 371 * ms, "info", f"{r} became follower at term 3", module="raft", **nid)
        b.d(n, s + 372 * ms, "info", f"raft.node: {r} elected leader {leader_raft} at term 3", module="raft", **nid)
        s += 372 * ms
    b.d(n, s + 40 * ms, "info", f"manager selected by agent for new session: {{{leader.id} {leader.addr}:2377}}",
        module="node/agent", **nid)
    b.d(n, s + 41 * ms, "info", "waiting 0s before registering session", module="node/agent", **nid)
    remotes = " ".join(m.addr for m in nodes if m.is_manager and m is not n)
    b.d(n, s + 190 * ms, "info", f"Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr={n.addr} "
                                 f"Adv-addr={n.addr} Data-addr= Remote-addr-list=[{remotes}] MTU=9001")
    b.d(n, s + 191 * ms, "info", f"New memberlist node - Node:{n.hostname} will use memberlist nodeID:{n.netdb_id} with "
                                 f"config:&{{NodeID:{n.netdb_id} Hostname:{n.hostname} BindAddr:0.0.0.0 "
                                 f"AdvertiseAddr:{n.addr} BindPort:0 Keys:[[<masked>] [<masked>] [<masked>]] "
                                 "PacketBufferSize:1400 reapEntryInterval:1800000000000 reapNetworkInterval:1825000000000 "
                                 "StatsPrintPeriod:5m0s HealthPrintPeriod:1m0s}")
    b.d(n, s + 193 * ms, "info", f"Node {n.netdb_id}/{n.addr}, joined gossip cluster")
    b.d(n, s + 194 * ms, "info", f"Node {n.netdb_id}/{n.addr}, added to nodes list")
    b.d(n, s + 196 * ms, "info", f"The new bootstrap node list is:[{remotes}]")
    for m in nodes:
        if m is n:
            continue
        name = f"{m.hostname}-{m.netdb_id}" if m.family == "17.06" else m.netdb_id
        b.d(n, s + 205 * ms, "info", f"Node {name}/{m.addr}, joined gossip cluster")
        b.d(n, s + 206 * ms, "info", f"Node {name}/{m.addr}, added to nodes list")
    return s + 210 * ms


def _deploy_kernel(n: Node, i: int) -> list[str]:
    v = lambda k: "veth" + hex12(f"k:{n.hostname}:{k}")[:7]  # noqa: E731
    lines = [
        "IPVS: Creating netns size=2048 id=6",
        "IPVS: ftp: loaded support on port[0] = 21",
        "br0: renamed from ov-001001-" + swarm_id("tk1706:test_default")[:5],
        "vxlan0: renamed from vx-001001-" + swarm_id("tk1706:test_default")[:5],
        "device vxlan0 entered promiscuous mode",
        "br0: port 1(vxlan0) entered blocking state",
        "br0: port 1(vxlan0) entered forwarding state",
    ]
    for k in range(2 if i < 2 else 1):
        lines += [
            f"br0: port {k + 2}({v(k)}) entered blocking state",
            f"br0: port {k + 2}({v(k)}) entered disabled state",
            f"device {v(k)} entered promiscuous mode",
            f"docker_gwbridge: port {k + 2}({v(k + 10)}) entered blocking state",
            f"docker_gwbridge: port {k + 2}({v(k + 10)}) entered disabled state",
            f"device {v(k + 10)} entered promiscuous mode",
            f"IPv6: ADDRCONF(NETDEV_UP): {v(k + 10)}: link is not ready",
            f"eth0: renamed from {v(k + 20)}",
            f"eth1: renamed from {v(k + 30)}",
            f"IPv6: ADDRCONF(NETDEV_CHANGE): {v(k + 10)}: link becomes ready",
            f"br0: port {k + 2}({v(k)}) entered forwarding state",
            f"docker_gwbridge: port {k + 2}({v(k + 10)}) entered forwarding state",
        ]
    return lines


def _teardown_kernel(n: Node, count: int) -> list[str]:
    v = lambda k: "veth" + hex12(f"k:{n.hostname}:{k}")[:7]  # noqa: E731
    lines = []
    for k in range(count):
        lines += [
            f"br0: port {k + 2}({v(k)}) entered disabled state",
            f"{v(k + 40)}: renamed from eth0",
            f"device {v(k)} left promiscuous mode",
            f"br0: port {k + 2}({v(k)}) entered disabled state",
            f"docker_gwbridge: port {k + 2}({v(k + 10)}) entered disabled state",
            f"{v(k + 50)}: renamed from eth1",
            f"device {v(k + 10)} left promiscuous mode",
            f"docker_gwbridge: port {k + 2}({v(k + 10)}) entered disabled state",
        ]
    return lines


def expected_before(cl: Cluster) -> dict:
    from .expect import log_rules, must_not_checks

    return {
        "nodes": {n.hostname: {"role": n.role, "engine": n.engine.version, "availability": n.availability,
                               "addr": n.addr, "id": n.id} for n in cl.nodes},
        "log_rules": log_rules(must=[], benign=["RAFT-03", "GOS-05", "GOS-09"]),
        "checks": {"must": [], "must_not": must_not_checks([])},
        "facts": {"replicas": {"test_service": "5/5 (global)", "test_client": "2/2"}},
    }


def expected_mid(cl: Cluster) -> dict:
    from .expect import log_rules, must_not_checks

    must = [
        {"id": "SW401", "versions": {"17.06.2-ee-15": [U[1], U[2], U[4]], "18.09.1": [U[0], U[3]]}},
        {"id": "SW402", "node": U[3], "engine": "18.09.1", "older_managers": [U[1], U[2]]},
        {"id": "SW403", "why": "UPG-01: managers <= 17.09 (ubuntu-1, ubuntu-2) with nodes >= 18.09 (ubuntu-0, ubuntu-3)"},
        {"id": "SW404", "node": U[4], "availability": "drain"},
        {"id": "SW501", "service": "test_service", "mode": "global", "running": 2, "eligible_nodes": 4,
         "reasons": ["node is missing network attachments, ip addresses may be exhausted",
                     "cannot create a swarm scoped network when swarm is not active"]},
    ]
    return {
        "nodes": {n.hostname: {"role": n.role, "engine": n.engine.version, "availability": n.availability,
                               "leader": n.leader, "addr": n.addr, "id": n.id, "clock_skew_s": n.skew_ns // NS}
                  for n in cl.nodes},
        "log_rules": log_rules(must=["IPAM-01", "NET-01", "GOS-10"], present=["RAFT-03", "NODE-01"],
                               benign=["GOS-05", "GOS-07", "GOS-09"]),
        "checks": {"must": must, "must_not": must_not_checks(must)},
        "facts": {
            "replicas": {"test_service": "2 running (ubuntu-1, ubuntu-2); ubuntu-0 and ubuntu-3 only rejected "
                                         "tasks; ubuntu-4 drained", "test_client": "2/2"},
            "timeline_utc": [
                ["2019-01-15T20:58:10", U[0], "drain (API call in its debug log; node UpdatedAt)"],
                ["2019-01-15T21:00:02", U[0], "dockerd stopped (Processing signal 'terminated')"],
                ["2019-01-15T21:00:07", U[1], "becomes raft leader at term 3"],
                ["2019-01-15T21:01:40", U[0], "dockerd 18.09.1 starts"],
                ["2019-01-15T21:02:31", U[0], "re-activated; 4 tasks rejected (IPAM-01) until 21:04:48"],
                ["2019-01-15T21:05:00", U[3], "dockerd stopped, 21:06:20 starts 18.09.1"],
                ["2019-01-15T21:06:22", U[3], "task rejected (NET-01), then 3 rejected (IPAM-01)"],
                ["2019-01-15T21:08:40", U[4], "drained (its own log shows 21:10:11: clock +90 s)"],
            ],
            "clock_skew": {U[4]: "+90 s (logs, task timestamps reported by its agent, collected_at, SystemTime)"},
            "peers_trap": "ubuntu-0 and ubuntu-3 hold only rejected tasks on test_default and correctly are not "
                          "in its Peers: SW701 must not fire",
        },
    }
