"""Assembles one node bundle (docs/bundle-layout.md, version 1) from the model.

Returns {relative path: text}; the manifest is computed last from the other
files, so its byte counts are exact.
"""

from __future__ import annotations

import json

from . import docker_json as dj
from .common import go_time, small_int
from .lbstate import host_tables, program
from .logs import LogBook
from .model import Cluster, Node
from .netstate import (
    build_node_net,
    host_routes,
    render_ip,
    render_ipvsadm,
    render_iptables_save,
    render_lines,
    render_sysctl,
)

IMAGE_META = {
    "instavote/vote": {
        "image_id": "sha256:1f6b7b1b4fe0f0e1a9e3a9a51a6e5d5b23d0a33e8d1f4b6f3c02f1ad96e0b7a2",
        "path": "gunicorn",
        "args": ["app:app", "-b", "0.0.0.0:80", "--log-file", "-", "--access-logfile", "-", "--workers", "4",
                 "--keep-alive", "0"],
        "cmd": ["gunicorn", "app:app", "-b", "0.0.0.0:80", "--log-file", "-", "--access-logfile", "-",
                "--workers", "4", "--keep-alive", "0"],
        "entrypoint": None,
        "env": ["PATH", "LANG", "GPG_KEY", "PYTHON_VERSION", "PYTHON_PIP_VERSION"],
        "workdir": "/app",
        "ports": ["80/tcp"],
    },
    "smakam/myubuntu": {
        "image_id": "sha256:5b1d2f8a57a8ce5a41c1c1fde0a0a7e1f57a6b0a1d2b6a1a8bd3b6a3c1e4f0d2",
        "path": "sleep",
        "args": ["infinity"],
        "cmd": ["sleep", "infinity"],
        "entrypoint": None,
        "env": ["PATH"],
        "workdir": "",
        "ports": [],
    },
    "nginx": {
        "image_id": "sha256:c82521676580c4850bb8f0d72e47390a50d60c8ffe44d623ce57be521bca9869",
        "path": "nginx",
        "args": ["-g", "daemon off;"],
        "cmd": ["nginx", "-g", "daemon off;"],
        "entrypoint": None,
        "env": ["PATH", "NGINX_VERSION", "NJS_VERSION"],
        "workdir": "",
        "ports": ["80/tcp"],
        "stop_signal": "SIGTERM",
    },
    "ctelfer/lb-upgrade-test-cli": {
        "image_id": "sha256:7d2e2f0f5d5c4bd1f2d0b7f1b9a6f3e6f1f3c2b5a6d7e8f9a0b1c2d3e4f5a6b7",
        "path": "/client.sh",
        "args": [],
        "cmd": ["/client.sh"],
        "entrypoint": None,
        "env": ["PATH", "SERVER", "OUTFILE"],
        "workdir": "/",
        "ports": [],
    },
}


def image_meta(image: str) -> dict:
    repo = image.split("@")[0].rsplit(":", 1)[0]
    return IMAGE_META[repo]


def modules_txt(node: Node) -> str:
    ubuntu = node.os_name.startswith("Ubuntu")
    mods = [
        ("xt_ipvs", 16384, 2, ""),
        ("ip_vs_rr", 16384, 4, ""),
        ("ip_vs", 151552 if ubuntu else 172032, 7 if ubuntu else 9, "ip_vs_rr,xt_ipvs"),
        ("xt_nat", 16384, 7, ""),
        ("xt_mark", 16384, 5, ""),
        ("xt_conntrack", 16384, 4, ""),
        ("xt_addrtype", 16384, 4, ""),
        ("vxlan", 57344 if ubuntu else 65536, 0, ""),
        ("ip6_udp_tunnel", 16384, 1, "vxlan"),
        ("udp_tunnel", 16384, 1, "vxlan"),
        ("veth", 16384 if ubuntu else 28672, 0, ""),
        ("br_netfilter", 24576, 0, ""),
        ("bridge", 155648 if ubuntu else 192512, 1, "br_netfilter"),
        ("stp", 16384, 1, "bridge"),
        ("llc", 16384, 2, "bridge,stp"),
        ("overlay", 77824 if ubuntu else 135168, 5, ""),
        ("ipt_MASQUERADE", 16384, 5, ""),
        ("nf_nat_masquerade_ipv4", 16384, 1, "ipt_MASQUERADE"),
        ("iptable_nat", 16384, 2, ""),
        ("nf_nat_ipv4", 16384, 2, "ipt_MASQUERADE,iptable_nat"),
        ("nf_nat", 32768, 3, "nf_nat_masquerade_ipv4,nf_nat_ipv4,xt_nat"),
        ("nf_conntrack_ipv4", 16384, 9, ""),
        ("nf_defrag_ipv4", 16384, 1, "nf_conntrack_ipv4"),
        ("nf_conntrack", 131072, 8, "ip_vs,nf_nat,ipt_MASQUERADE,nf_nat_ipv4,xt_conntrack,nf_conntrack_ipv4,xt_nat"),
        ("iptable_mangle", 16384, 1, ""),
        ("iptable_filter", 16384, 1, ""),
        ("ip_tables", 28672, 3, "iptable_filter,iptable_mangle,iptable_nat"),
        ("x_tables", 40960, 9, "xt_ipvs,xt_conntrack,iptable_filter,xt_nat,xt_addrtype,ipt_MASQUERADE,xt_mark,ip_tables,iptable_mangle"),
    ]
    if not ubuntu:
        mods = [m for m in mods if m[0] not in ("nf_nat_masquerade_ipv4", "nf_conntrack_ipv4")]
        mods += [("nft_chain_nat", 16384, 2, ""), ("nft_compat", 20480, 24, ""), ("nf_tables", 180224, 140, "nft_compat,nft_chain_nat")]
    lines = ["Module                  Size  Used by"]
    for name, size, used, by in mods:
        lines.append(f"{name:<24}{size:>6}  {used} {by}".rstrip())
    return "\n".join(lines) + "\n"


def sockets_txt(node: Node) -> str:
    pid = node.daemon_pid
    rows = [("udp", "UNCONN", "0.0.0.0:4789", "0.0.0.0:*", "")]
    rows.append(("udp", "UNCONN", "*:7946", "*:*", f'users:(("dockerd",pid={pid},fd=34))'))
    if node.is_manager:
        rows.append(("tcp", "LISTEN", "*:2377", "*:*", f'users:(("dockerd",pid={pid},fd=26))'))
    rows.append(("tcp", "LISTEN", "*:7946", "*:*", f'users:(("dockerd",pid={pid},fd=31))'))
    out = ["Netid  State    Recv-Q   Send-Q     Local Address:Port     Peer Address:Port"]
    for netid, state, local, peer, proc in rows:
        line = f"{netid:<7}{state:<9}{'0':<9}{'128' if state == 'LISTEN' else '0':<6}{local:>20}{peer:>21}"
        if proc:
            line += "        " + proc
        out.append(line)
    return "\n".join(out) + "\n"


def host_sysctl(node: Node) -> dict[str, str]:
    d = {
        "net.bridge.bridge-nf-call-ip6tables": "1",
        "net.bridge.bridge-nf-call-iptables": "1",
        "net.ipv4.conf.all.rp_filter": "1",
        "net.ipv4.conf.default.rp_filter": "1",
        f"net.ipv4.conf.{node.uplink}.rp_filter": "1",
        "net.ipv4.ip_forward": "1",
        "net.ipv4.neigh.default.gc_thresh1": "128",
        "net.ipv4.neigh.default.gc_thresh2": "512",
        "net.ipv4.neigh.default.gc_thresh3": "1024",
        "net.ipv4.vs.conn_reuse_mode": "1",
        "net.ipv4.vs.conntrack": "0",
        "net.ipv4.vs.expire_nodest_conn": "0",
        "net.ipv4.vs.expire_quiescent_template": "0",
    }
    return d


SYSCTL_CMD = ("sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables "
              "net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.conf.<uplink>.rp_filter "
              "net.ipv4.vs net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2 "
              "net.ipv4.neigh.default.gc_thresh3")


class NodeFiles:
    """Collects files plus the manifest's command records."""

    def __init__(self, node: Node):
        self.node = node
        self.files: dict[str, str] = {}
        self.cmds: list[dict] = []

    def add(self, path: str, command: str, content: str, exit_code: int | None = 0, stderr: str = "",
            skipped: str | None = None) -> None:
        rec = {"path": path, "command": command}
        if skipped is not None:
            rec["exit_code"] = None
            rec["skipped"] = skipped
            self.cmds.append(rec)
            return
        self.files[path] = content
        if stderr:
            self.files[path + ".stderr"] = stderr
        rec["exit_code"] = exit_code
        nbytes = len(content.encode())
        rec["duration_ms"] = small_int(f"{self.node.hostname}:{path}:ms", 2, 40) + nbytes // 20000
        rec["bytes"] = nbytes
        rec["truncated"] = False
        self.cmds.append(rec)


def build_node_bundle(cluster: Cluster, node: Node, book: LogBook, *, ingress_host_rules: bool = True,
                      forward_policy: str = "DROP", daemon_json: str | None = None,
                      log_header: str | None = None, kernel_header: str | None = None,
                      iptables_nft: bool = False) -> dict[str, str]:
    nf = NodeFiles(node)
    local_now = node.local_ns(node.collected_ns)
    fam = node.family

    # ---- docker/
    tasks_here = [t for t in cluster.tasks_on(node.hostname) if t.container_id and not t.container_removed]
    counts = {
        "total": len(tasks_here),
        "running": len([t for t in tasks_here if t.state == "running"]),
        "images": len({cluster.service(t.service).image for t in tasks_here}) or 1,
    }
    nf.add("docker/version.json", "docker version --format '{{json .}}'", dj.version_json(node, local_now))
    nf.add("docker/info.json", "docker info --format '{{json .}}'", dj.info_json(cluster, node, counts, local_now))
    if daemon_json is None:
        nf.add("docker/daemon.json", "cat /etc/docker/daemon.json", "", exit_code=1,
               stderr="cat: /etc/docker/daemon.json: No such file or directory\n")
    else:
        nf.add("docker/daemon.json", "cat /etc/docker/daemon.json", daemon_json)
    nf.add("docker/dockerd-cmdline.txt", f"tr '\\0' '\\n' < /proc/{node.daemon_pid}/cmdline",
           "\n".join(node.cmdline) + "\n")

    # ---- swarm/
    if node.is_manager:
        nf.add("swarm/nodes.json", "docker node inspect $(docker node ls -q)", dj.nodes_json(cluster))
        nf.add("swarm/services.json", "docker service inspect $(docker service ls -q)", dj.services_json(cluster, fam))
        nf.add("swarm/tasks.json", "docker inspect $(docker service ps -q --no-trunc $(docker service ls -q))",
               dj.tasks_json(cluster, fam))
        nf.add("swarm/service-ps.txt", "docker service ps --no-trunc $(docker service ls -q)",
               dj.service_ps(cluster, local_now, minwidth=20 if fam == "17.06" else 10))
    else:
        for p, c in (("swarm/nodes.json", "docker node inspect $(docker node ls -q)"),
                     ("swarm/services.json", "docker service inspect $(docker service ls -q)"),
                     ("swarm/tasks.json", "docker inspect $(docker service ps -q --no-trunc $(docker service ls -q))"),
                     ("swarm/service-ps.txt", "docker service ps --no-trunc $(docker service ls -q)")):
            nf.add(p, c, "", skipped="not a manager")
    nf.add("swarm/networks.json", "docker network inspect --verbose $(docker network ls -q --filter scope=swarm)",
           dj.networks_json(cluster, node))

    # ---- net state (must run before containers: assigns gwbridge IPs)
    nn = build_node_net(cluster, node)
    program(cluster, node, nn)

    metas = {cluster.service(t.service).image: image_meta(cluster.service(t.service).image) for t in tasks_here}
    nf.add("containers/inspect.json", "docker inspect $(docker ps -aq)",
           dj.containers_json(cluster, node, metas) if tasks_here else "[]\n")

    # ---- logs/
    since = cluster.since
    nf.add("logs/dockerd.log", f"journalctl -u docker -o short-iso-precise --since -{since}",
           book.render(book.daemon, node.hostname, log_header, until=local_now))
    nf.add("logs/kernel.log", f"journalctl -k -o short-iso-precise --since -{since}",
           book.render(book.kernel, node.hostname, kernel_header, until=local_now))

    # ---- host/
    old_ip = node.iproute_family.startswith("4")
    nf.add("host/ip-addr.txt", "ip -d addr show", render_ip(nn.host, True))
    nf.add("host/ip-link.txt", "ip -d link show", render_ip(nn.host, False))
    nf.add("host/ip-route.txt", "ip route show table all", render_lines(host_routes(node, nn), old_ip))
    tables = host_tables(cluster, node, ingress_host_rules, forward_policy)
    nf.add("host/iptables-save.txt", "iptables-save",
           render_iptables_save(tables, node.iptables_version, local_now, iptables_nft))
    nf.add("host/sysctl.txt", SYSCTL_CMD.replace("<uplink>", node.uplink), render_sysctl(host_sysctl(node)))
    nf.add("host/modules.txt", "lsmod", modules_txt(node))
    nf.add("host/sockets.txt", "ss -lntup | grep -E 'Netid|:(2377|7946|4789)\\b'", sockets_txt(node))

    # ---- netns/
    for name in sorted(nn.netns):
        ns = nn.netns[name]
        pre = f"nsenter --net=/var/run/docker/netns/{name} "
        base = f"netns/{name}/"
        nf.add(base + "ip-addr.txt", pre + "ip -d addr show", render_ip(ns, True))
        nf.add(base + "ip-link.txt", pre + "ip -d link show", render_ip(ns, False))
        nf.add(base + "ip-route.txt", pre + "ip route show", render_lines(ns.routes, old_ip))
        nf.add(base + "ip-neigh.txt", pre + "ip neigh show", render_lines(ns.neigh, True))
        nf.add(base + "bridge-fdb.txt", pre + "bridge fdb show", render_lines(ns.fdb, False))
        nf.add(base + "iptables-save.txt", pre + "iptables-save",
               render_iptables_save(ns.tables, node.iptables_version, local_now, iptables_nft))
        nf.add(base + "ipvsadm.txt", pre + "ipvsadm -Ln", render_ipvsadm(ns.ipvs))
        nf.add(base + "sysctl.txt", pre + "sysctl net.ipv4.ip_forward net.ipv4.vs", render_sysctl(ns.sysctl))

    # ---- manifest
    manifest = {
        "format": "swarmdiag-bundle",
        "version": 1,
        "collector_version": "0.1.0",
        "collected_at": go_time((local_now // 10**9) * 10**9),
        "hostname": node.hostname,
        "since": since,
        "exec_root": "/var/run/docker",
        "daemon_log_source": "journald",
        "absent_tools": [],
        "commands": nf.cmds,
    }
    files = dict(nf.files)
    files["manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    files["__netstate__"] = nn  # consumed by the validator, never written
    return files
