"""Daemon and kernel logs as `journalctl -o short-iso-precise` prints them.

Each dockerd line is logrus text (`time="…" level=… msg="…" key=value…`,
fields sorted by key) behind a journald prefix. Times given to the book are
true instants; the node's clock skew is added here, to both the journald
prefix and the logrus time, since both come from the node's clock.
"""

from __future__ import annotations

from .common import hex12, journald_iso_precise, logrus_value, rfc3339_fixed, small_int
from .model import Node


class LogBook:
    def __init__(self) -> None:
        self.daemon: dict[str, list[tuple[int, int, str]]] = {}
        self.kernel: dict[str, list[tuple[int, int, str]]] = {}
        self.seq = 0

    def _add(self, book: dict, node: Node, local_ns: int, text: str) -> None:
        self.seq += 1
        book.setdefault(node.hostname, []).append((local_ns, self.seq, text))

    def d(self, node: Node, t_true: int, level: str, msg: str, **fields: str) -> None:
        """One logrus line from dockerd."""
        # sub-millisecond digits of a real clock; story steps are >= 1 ms apart
        local = node.local_ns(t_true) + small_int(f"j:{node.hostname}:{t_true}:{msg}", 0, 99_999)
        old = node.family == "17.06"
        parts = [f'time="{rfc3339_fixed(local)}"', f"level={level}"]
        if msg:
            parts.append("msg=" + logrus_value(msg, old))
        for k in sorted(fields):
            parts.append(f"{k}=" + logrus_value(str(fields[k]), old))
        delay = small_int(f"{node.hostname}:{t_true}:{msg}", 12_000, 420_000)
        prefix = journald_iso_precise(local + delay)
        self._add(self.daemon, node, local + delay,
                  f"{prefix} {node.hostname} dockerd[{node.daemon_pid}]: " + " ".join(parts))

    def raw(self, node: Node, t_true: int, ident: str, text: str) -> None:
        """A non-logrus line in the docker unit's journal (systemd, stray output)."""
        local = node.local_ns(t_true)
        self._add(self.daemon, node, local, f"{journald_iso_precise(local)} {node.hostname} {ident}: {text}")

    def systemd(self, node: Node, t_true: int, text: str) -> None:
        self.raw(node, t_true, "systemd[1]", text)

    def k(self, node: Node, t_true: int, text: str) -> None:
        local = node.local_ns(t_true)
        self._add(self.kernel, node, local, f"{journald_iso_precise(local)} {node.hostname} kernel: {text}")

    def kernel_burst(self, node: Node, t_true: int, lines: list[str], step_ns: int = 1_700_000) -> int:
        t = t_true
        for line in lines:
            self.k(node, t, line)
            t += step_ns + small_int(f"{node.hostname}:{line}:{t}", 0, 900_000)
        return t

    def render(self, book: dict, hostname: str, header: str | None = None, until: int | None = None) -> str:
        entries = sorted(e for e in book.get(hostname, []) if until is None or e[0] <= until)
        lines = [e[2] for e in entries] or ["-- No entries --"]
        if header:
            lines.insert(0, header)
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------ common sequences

def daemon_start(book: LogBook, node: Node, t: int, *, graph_prior: bool = True, swarm_manager: bool = False,
                 firewalld: bool = False, containers_restore: bool = True) -> int:
    """systemd start + dockerd startup lines up to 'Loading containers: done.'.

    Returns the instant after 'Docker daemon' (so callers continue the story).
    """
    fam = node.family
    book.systemd(node, t, f"Starting {node.systemd_unit_name}...")
    t += 180_000_000
    ms = 1_000_000
    if fam == "17.06":
        book.d(node, t, "info", "libcontainerd: new containerd process, pid: %d" % node.containerd_pid)
        t += 1012 * ms
        book.d(node, t, "warning", "failed to rename /var/lib/docker/tmp for background deletion: %!s(<nil>). Deleting synchronously")
        t += 9 * ms
        book.d(node, t, "info", "[graphdriver] using prior storage driver: overlay2")
        t += 21 * ms
        book.d(node, t, "info", "Graph migration to content-addressability took 0.00 seconds")
        t += 3 * ms
        book.d(node, t, "warning", "Your kernel does not support swap memory limit")
        book.d(node, t + 40_000, "warning", "Your kernel does not support cgroup rt period")
        book.d(node, t + 80_000, "warning", "Your kernel does not support cgroup rt runtime")
        t += 2 * ms
        book.d(node, t, "info", "Loading containers: start.")
        t += 430 * ms
        book.d(node, t, "info", "Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address")
        t += 160 * ms
        book.d(node, t, "info", "Loading containers: done.")
        t += 40 * ms
        book.d(node, t, "info", "Docker daemon", commit=node.engine.commit, graphdriver="overlay2",
               version=node.engine.version)
        return t + 2 * ms
    book.d(node, t, "info", "Starting up")
    t += 3 * ms
    grpc = [
        ("info", 'parsed scheme: "unix"'),
        ("info", 'scheme "unix" not registered, fallback to default scheme'),
    ]
    if fam == "18.09":
        grpc += [
            ("info", "ccResolverWrapper: sending new addresses to cc: [{unix:///run/containerd/containerd.sock 0  <nil>}]"),
            ("info", "ClientConn switching balancer to \"pick_first\""),
            ("info", "pickfirstBalancer: HandleSubConnStateChange: 0xc42018e0a0, CONNECTING"),
            ("info", "pickfirstBalancer: HandleSubConnStateChange: 0xc42018e0a0, READY"),
        ]
    else:
        grpc += [
            ("info", "ccResolverWrapper: sending update to cc: {[{unix:///run/containerd/containerd.sock  <nil> 0 <nil>}] <nil> <nil>}"),
            ("info", "ClientConn switching balancer to \"pick_first\""),
        ]
    for rep in range(2):
        for lvl, m in grpc:
            book.d(node, t, lvl, m, module="grpc")
            t += 180_000
        t += 2 * ms
    if fam == "18.09":
        book.d(node, t, "info", "[graphdriver] using prior storage driver: overlay2")
        t += 14 * ms
        book.d(node, t, "info", "Graph migration to content-addressability took 0.00 seconds")
        t += 1 * ms
        book.d(node, t, "warning", "Your kernel does not support swap memory limit")
        book.d(node, t + 30_000, "warning", "Your kernel does not support cgroup rt period")
        book.d(node, t + 60_000, "warning", "Your kernel does not support cgroup rt runtime")
    else:
        book.d(node, t, "info", "[graphdriver] using prior storage driver: overlay2")
        t += 11 * ms
        book.d(node, t, "info", "Loading containers: start.")
        t += 1 * ms
    if fam == "18.09":
        t += 2 * ms
        book.d(node, t, "info", "Loading containers: start.")
    t += 120 * ms
    if firewalld:
        book.d(node, t, "info", "Firewalld: docker zone already exists, returning")
        t += 45 * ms
        book.d(node, t, "info", "Firewalld: interface docker0 already part of docker zone, returning")
        t += 25 * ms
    book.d(node, t, "info", "Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address")
    t += 90 * ms
    if firewalld:
        book.d(node, t, "info", "Firewalld: interface docker_gwbridge already part of docker zone, returning")
        t += 20 * ms
    book.d(node, t, "info", "Loading containers: done.")
    t += 31 * ms
    book.d(node, t, "info", "Docker daemon", commit=node.engine.commit, **{"graphdriver(s)": "overlay2"},
           version=node.engine.version)
    return t + 1 * ms


def daemon_ready(book: LogBook, node: Node, t: int) -> int:
    book.d(node, t, "info", "Daemon has completed initialization")
    t += 4_000_000
    sock = "/var/run/docker.sock" if node.family != "20.10" else "/run/docker.sock"
    book.d(node, t, "info", f"API listen on {sock}")
    t += 1_000_000
    book.systemd(node, t, f"Started {node.systemd_unit_name}.")
    return t


def daemon_stop(book: LogBook, node: Node, t: int, *, containers: list[str] = (), slow: list[str] = ()) -> int:
    """systemd stop, dockerd shutdown lines; returns the instant the unit stopped."""
    ms = 1_000_000
    book.systemd(node, t, f"Stopping {node.systemd_unit_name}...")
    t += 2 * ms
    book.d(node, t, "info", "Processing signal 'terminated'")
    t += 25 * ms
    for cid in slow:
        t += 10_003 * ms
        book.d(node, t, "info", f"Container {cid} failed to exit within 10 seconds of signal 15 - using the force")
    for cid in list(containers) + list(slow):
        t += 140 * ms
        if node.family == "17.06":
            continue
        book.d(node, t, "info", "ignoring event", container=cid, module="libcontainerd", namespace="moby",
               topic="/tasks/delete", type="*events.TaskDelete")
        t += 1 * ms
        book.d(node, t, "info", "shim reaped", id=cid) if node.family == "18.09" else None
    t += 480 * ms
    if node.family != "17.06":
        book.d(node, t, "info", "stopping event stream following graceful shutdown", error="<nil>",
               module="libcontainerd", namespace="moby")
        t += 2 * ms
    book.d(node, t, "info", "Daemon shutdown complete")
    t += 9 * ms
    if node.family == "20.10":
        book.systemd(node, t, "docker.service: Succeeded.")
    book.systemd(node, t + 1 * ms, f"Stopped {node.systemd_unit_name}.")
    return t + 1 * ms


def netdb_stats(book: LogBook, node: Node, t_start: int, t_end: int, nets: list[tuple[str, int, int]],
                period_ns: int = 300 * 10**9) -> None:
    """Periodic healthy `NetworkDB stats` lines: (network id, netPeers, entries)."""
    assert node.family != "17.06", "17.06 prints no NetworkDB stats"
    t = t_start
    while t < t_end:
        for i, (nid, peers, entries) in enumerate(nets):
            msg = (f"NetworkDB stats {node.hostname}({node.netdb_id}) - netID:{nid} leaving:false "
                   f"netPeers:{peers} entries:{entries} Queue qLen:0 netMsg/s:0")
            book.d(node, t + i * 41_000, "info", msg)
        t += period_ns


def new_pid(node: Node, label: str) -> None:
    node.daemon_pid = small_int("pid:" + node.hostname + label, 700, 32000)
    node.containerd_pid = node.daemon_pid + small_int("cpid:" + label, 12, 60)


def memberlist_id(label: str) -> str:
    return hex12("ml:" + label)
