"""Scenario `partial-logs-only`: a bundle that is nothing but `logs/dockerd.log`.

No manifest, no other file: the analyzer must find the root by its `logs/`
directory, take the hostname from the journald prefix and report everything
else as missing in the coverage section. The node is a lab VM whose kernel has
no IPVS (LAB-NOTES.md): dockerd 20.10.24 logs KMOD-01 when it sets up the
ingress sandbox.
"""

from __future__ import annotations

from .common import T
from .engines import E201024
from .logs import LogBook
from .model import Node

NAME = "partial-logs-only"


def build() -> dict[str, str]:
    n = Node(hostname="lab-node3", id="", role="worker", addr="198.18.0.13", engine=E201024, os_name="", kernel="",
             uplink="eth0", uplink_mac="", uplink_mtu=1500, default_gw="", prefixlen=24, created_ns=0, updated_ns=0,
             collected_ns=0, netdb_id="c41f09d27e3a", daemon_pid=2291)
    b = LogBook()
    ms = 1_000_000
    t = T("2024-05-06T09:14:02.113")
    b.systemd(n, t - 170 * ms, "Starting Docker Application Container Engine...")
    b.d(n, t, "info", "Starting up")
    b.d(n, t + 61 * ms, "info", "[graphdriver] using prior storage driver: overlay2")
    b.d(n, t + 74 * ms, "info", "Loading containers: start.")
    b.d(n, t + 391 * ms, "info", "Loading containers: done.")
    b.d(n, t + 418 * ms, "info", "Docker daemon", commit=n.engine.commit, **{"graphdriver(s)": "overlay2"},
        version=n.engine.version)
    b.d(n, t + 431 * ms, "info", "manager selected by agent for new session: {r2lq0c4gu6m7pz5xwe1h3v9kd 198.18.0.11:2377}",
        module="node/agent", **{"node.id": "k8d3w7q2mzv0b5n1x9y4c6p0s"})
    b.d(n, t + 612 * ms, "info", "Initializing Libnetwork Agent Listen-Addr=0.0.0.0 Local-addr=198.18.0.13 "
                                 "Adv-addr=198.18.0.13 Data-addr= Remote-addr-list=[198.18.0.11] MTU=1500")
    b.d(n, t + 870 * ms, "warning", "Running modprobe ip_vs failed with message: `modprobe: FATAL: Module ip_vs not "
                                    "found in directory /lib/modules/6.1.102`, error: exit status 1")
    b.d(n, t + 871 * ms, "error", "Could not get ipvs family information from the kernel. It is possible that ipvs "
                                  "is not enabled in your kernel. Native loadbalancing will not work until this is fixed.")
    for k, p in enumerate(("conn_reuse_mode", "expire_nodest_conn", "expire_quiescent_template")):
        b.d(n, t + (874 + k) * ms, "error", f"error reading the kernel parameter net.ipv4.vs.{p}",
            error=f"open /proc/sys/net/ipv4/vs/{p}: no such file or directory")
    b.d(n, t + 1_020 * ms, "info", "Daemon has completed initialization")
    b.d(n, t + 1_024 * ms, "info", "API listen on /run/docker.sock")
    b.systemd(n, t + 1_025 * ms, "Started Docker Application Container Engine.")
    return {"logs/dockerd.log": b.render(b.daemon, n.hostname)}


def expected() -> dict:
    from .expect import log_rules, must_not_checks

    must = [{"id": "SW108", "node": "lab-node3", "source": "logs/dockerd.log (KMOD-01)"},
            {"id": "SW601", "node": "lab-node3", "source": "logs/dockerd.log (KMOD-01)"}]
    return {
        "nodes": {"lab-node3": {"role": "unknown", "engine": "20.10.24 (from the 'Docker daemon' line)"}},
        "log_rules": log_rules(must=["KMOD-01"], benign=["GOS-09"]),
        "checks": {"must": must, "must_not": must_not_checks(must)},
        "facts": {"coverage": "no manifest; only logs/dockerd.log; hostname lab-node3 from the journald prefix"},
    }
