"""Renderers for the docker CLI's JSON and table outputs.

Shapes follow research/formats.md §1-6 and §11: inspect output is a 4-space
indented array in Go struct field order, maps have sorted keys, empty optional
fields are omitted as the API does for each engine family.
"""

from __future__ import annotations

import base64
import hashlib

from .common import (
    compact_json,
    docker_inspect_json,
    go_time,
    hex64,
    human_duration,
    natural_key,
    tabwrite,
)
from .model import Cluster, Network, Node, Service, Task, endpoint_id, ep_mac

CA_SUBJECT = "MBMxETAPBgNVBAMTCHN3YXJtLWNh"  # DER of CN=swarm-ca, as every swarm shows it


def gomap(d: dict) -> dict:
    """encoding/json writes map keys sorted."""
    return {k: d[k] for k in sorted(d)}


def _b64(label: str, n: int) -> str:
    raw = b""
    i = 0
    while len(raw) < n:
        raw += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return base64.b64encode(raw[:n]).decode()


def trust_root(cluster: Cluster) -> str:
    body = _b64("ca:" + cluster.name, 360)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def tls_info(cluster: Cluster) -> dict:
    return {
        "TrustRoot": trust_root(cluster),
        "CertIssuerSubject": CA_SUBJECT,
        "CertIssuerPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + _b64("pk:" + cluster.name, 48),
    }


def engine_plugins(family: str) -> list[dict]:
    logs = ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "logentries", "splunk", "syslog"]
    if family != "17.06":
        logs.insert(6, "local")
    nets = ["bridge", "host", "macvlan", "null", "overlay"]
    if family != "17.06":
        nets.insert(2, "ipvlan")
    out = [{"Type": "Log", "Name": n} for n in logs]
    out += [{"Type": "Network", "Name": n} for n in nets]
    out += [{"Type": "Volume", "Name": "local"}]
    return out


# ---------------------------------------------------------------- nodes

def node_object(cluster: Cluster, n: Node, version_index: int) -> dict:
    status = {"State": n.state, "Addr": n.addr}
    if getattr(n, "status_addr_override", None):
        status["Addr"] = n.status_addr_override
    obj = {
        "ID": n.id,
        "Version": {"Index": version_index},
        "CreatedAt": go_time(n.created_ns),
        "UpdatedAt": go_time(n.updated_ns),
        "Spec": {"Labels": {}, "Role": n.role, "Availability": n.availability},
        "Description": {
            "Hostname": n.hostname,
            "Platform": {"Architecture": "x86_64", "OS": "linux"},
            "Resources": {"NanoCPUs": n.cpus * 1_000_000_000, "MemoryBytes": n.mem_bytes},
            "Engine": {"EngineVersion": n.engine.version, "Plugins": engine_plugins(n.family)},
            "TLSInfo": tls_info(cluster),
        },
        "Status": status,
    }
    if n.is_manager:
        ms = {}
        if n.leader:
            ms["Leader"] = True
        ms["Reachability"] = n.reachability
        ms["Addr"] = f"{n.addr}:2377"
        obj["ManagerStatus"] = ms
    return obj


def nodes_json(cluster: Cluster) -> str:
    objs = [node_object(cluster, n, 9 + 7 * i + (n.updated_ns // 10**9) % 13) for i, n in enumerate(cluster.nodes)]
    return docker_inspect_json(objs)


# ---------------------------------------------------------------- services

def _container_spec(cluster: Cluster, svc: Service, family: str) -> dict:
    """`family` is the API family of the daemon answering (it adds Isolation)."""
    spec = {"Image": svc.image}
    if svc.stack:
        spec["Labels"] = {"com.docker.stack.namespace": svc.stack}
    if svc.command:
        spec["Command"] = svc.command
    if svc.args:
        spec["Args"] = svc.args
    if svc.stack:
        spec["Privileges"] = {"CredentialSpec": None, "SELinuxContext": None}
    spec["StopGracePeriod"] = 10_000_000_000
    spec["DNSConfig"] = {}
    if family != "17.06":
        spec["Isolation"] = "default"
    return spec


def _net_refs(cluster: Cluster, svc: Service) -> list[dict]:
    out = []
    for name in svc.networks:
        ref = {"Target": cluster.network(name).id}
        if svc.aliases is not None:
            ref["Aliases"] = list(svc.aliases)
        out.append(ref)
    return out


def _endpoint_spec(svc: Service) -> dict:
    spec = {"Mode": "vip"}
    if svc.ingress_ports:
        spec["Ports"] = [
            {"Protocol": p, "TargetPort": t, "PublishedPort": pub, "PublishMode": "ingress"}
            for (p, t, pub) in svc.ingress_ports
        ]
    return spec


def task_template(cluster: Cluster, svc: Service, family: str, for_task: bool) -> dict:
    tt = {
        "ContainerSpec": _container_spec(cluster, svc, family),
        "Resources": {"Limits": {}, "Reservations": {}},
        "RestartPolicy": {"Condition": svc.restart_condition, "Delay": 5_000_000_000,
                          "MaxAttempts": svc.restart_max_attempts},
        "Placement": {"Platforms": [{"Architecture": "amd64", "OS": "linux"}]} if svc.spec_family != "17.06" else {},
    }
    if for_task or not svc.legacy_spec_networks:
        tt["Networks"] = _net_refs(cluster, svc)
    tt["ForceUpdate"] = 0
    if not for_task:
        tt["Runtime"] = "container"
    return tt


def service_object(cluster: Cluster, svc: Service, family: str) -> dict:
    spec = {"Name": svc.name, "Labels": {}}
    if svc.stack:
        spec["Labels"] = gomap({
            "com.docker.stack.image": svc.image.split("@")[0],
            "com.docker.stack.namespace": svc.stack,
        })
    spec["TaskTemplate"] = task_template(cluster, svc, family, for_task=False)
    spec["Mode"] = {"Replicated": {"Replicas": svc.replicas}} if svc.mode == "replicated" else {"Global": {}}
    upd = {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000, "MaxFailureRatio": 0, "Order": "stop-first"}
    spec["UpdateConfig"] = dict(upd)
    spec["RollbackConfig"] = dict(upd)
    if svc.legacy_spec_networks:
        spec["Networks"] = _net_refs(cluster, svc)
    spec["EndpointSpec"] = _endpoint_spec(svc)
    endpoint = {"Spec": _endpoint_spec(svc)}
    if svc.ingress_ports:
        endpoint["Ports"] = _endpoint_spec(svc)["Ports"]
    vips = []
    for net_name in cluster.service_networks(svc):
        net = cluster.network(net_name)
        vips.append({"NetworkID": net.id, "Addr": net.cidr(svc.vips[net_name])})
    endpoint["VirtualIPs"] = vips
    return {
        "ID": svc.id,
        "Version": {"Index": svc.version_index},
        "CreatedAt": go_time(svc.created_ns),
        "UpdatedAt": go_time(svc.updated_ns),
        "Spec": spec,
        "Endpoint": endpoint,
    }


def services_json(cluster: Cluster, family: str) -> str:
    return docker_inspect_json([service_object(cluster, s, family) for s in cluster.services])


# ---------------------------------------------------------------- tasks

def network_attachment_object(net: Network, family: str) -> dict:
    spec = {"Name": net.name, "Labels": gomap(net.labels)}
    if family != "17.06":
        spec["DriverConfiguration"] = {}
    if net.ingress:
        spec["Ingress"] = True
    spec["IPAMOptions"] = {"Driver": {}, "Configs": [{"Subnet": net.subnet, "Gateway": net.gateway}]}
    spec["Scope"] = "swarm"
    return {
        "ID": net.id,
        "Version": {"Index": 6 if net.ingress else 24},
        "CreatedAt": go_time(net.created_ns),
        "UpdatedAt": go_time(net.created_ns + 3_417_226),
        "Spec": spec,
        "DriverState": {
            "Name": "overlay",
            "Options": {"com.docker.network.driver.overlay.vxlanid_list": str(net.vni)},
        },
        "IPAMOptions": {
            "Driver": {"Name": "default"},
            "Configs": [{"Subnet": net.subnet, "Gateway": net.gateway}],
        },
    }


def task_object(cluster: Cluster, t: Task, family: str) -> dict:
    svc = cluster.service(t.service)
    obj = {
        "ID": t.id,
        "Version": {"Index": t.version_index},
        "CreatedAt": go_time(t.created_ns),
        "UpdatedAt": go_time(t.status_ns),
        "Labels": {},
        "Spec": task_template(cluster, svc, family, for_task=True),
        "ServiceID": svc.id,
    }
    if t.slot is not None:
        obj["Slot"] = t.slot
    if t.node is not None:
        obj["NodeID"] = cluster.node(t.node).id
    status = {"Timestamp": go_time(t.status_ns), "State": t.state, "Message": t.message}
    if t.err:
        status["Err"] = t.err
    if t.container_id is not None or t.container_status_empty:
        cs_full = {"ContainerID": t.container_id or "", "PID": t.pid, "ExitCode": t.exit_code}
        if family == "17.06":
            cs = {k: v for k, v in cs_full.items() if v not in ("", 0)}
        else:
            cs = cs_full
        status["ContainerStatus"] = cs
    status["PortStatus"] = {}
    obj["Status"] = status
    obj["DesiredState"] = t.desired
    atts = []
    for net_name in cluster.service_networks(svc):
        if net_name not in t.addresses:
            continue
        net = cluster.network(net_name)
        att = network_attachment_object(net, family)
        att_out = {"Network": att, "Addresses": [net.cidr(t.addresses[net_name])]}
        atts.append(att_out)
    if atts:
        obj["NetworksAttachments"] = atts
    return obj


def tasks_json(cluster: Cluster, family: str) -> str:
    tasks = sorted(cluster.tasks, key=lambda t: (t.service, t.created_ns))
    return docker_inspect_json([task_object(cluster, t, family) for t in tasks])


# ---------------------------------------------------------------- service ps

def service_ps(cluster: Cluster, now_ns: int, minwidth: int) -> str:
    """`docker service ps --no-trunc <every service>`: one table, natural order by
    task name, newest first, older tasks of a slot prefixed with ` \\_ `."""
    rows = [["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"]]
    tasks = sorted(cluster.tasks, key=lambda t: (natural_key(t.name(cluster)), -t.created_ns))
    prev = None
    for t in tasks:
        name = t.name(cluster)
        shown = name if name != prev else " \\_ " + name
        prev = name
        svc = cluster.service(t.service)
        state = t.state.capitalize() + " " + human_duration(max(0, now_ns - t.status_ns)) + " ago"
        err = f'"{t.err}"' if t.err else ""
        rows.append([
            t.id,
            shown,
            svc.image,
            t.node or "",
            t.desired.capitalize(),
            state,
            err,
            "",
        ])
    return tabwrite(rows, minwidth=minwidth)


# ---------------------------------------------------------------- networks (node view)

def network_view(cluster: Cluster, node: Node, net: Network) -> dict:
    """`docker network inspect --verbose <net>` as `node` answers it."""
    containers = {}
    for t in cluster.tasks:
        if t.node != node.hostname or not t.live or net.name not in t.addresses:
            continue
        ip = t.addresses[net.name]
        containers[t.container_id] = {
            "Name": t.container_name(cluster),
            "EndpointID": endpoint_id(f"{t.id}:{net.name}"),
            "MacAddress": ep_mac(ip),
            "IPv4Address": net.cidr(ip),
            "IPv6Address": "",
        }
    if net.ingress and node.ingress_ip:
        containers["ingress-sbox"] = {
            "Name": "ingress-endpoint",
            "EndpointID": endpoint_id(f"ingress-sbox:{node.hostname}"),
            "MacAddress": ep_mac(node.ingress_ip),
            "IPv4Address": net.cidr(node.ingress_ip),
            "IPv6Address": "",
        }
    if not net.ingress and net.name in node.lb_ips:
        ip = node.lb_ips[net.name]
        containers[f"lb-{net.name}"] = {
            "Name": f"{net.name}-endpoint",
            "EndpointID": endpoint_id(f"lb:{node.hostname}:{net.name}"),
            "MacAddress": ep_mac(ip),
            "IPv4Address": net.cidr(ip),
            "IPv6Address": "",
        }
    peers = []
    for other in cluster.nodes:
        if net.name in cluster.node_networks(other):
            peers.append({"Name": peer_name(other), "IP": other.addr})
    services = {}
    for svc in cluster.services_on_network(net.name):
        view = cluster.node_view(node, net.name, svc.name)
        tasks = []
        for t in view:
            tasks.append({
                "Name": t.container_name(cluster),
                "EndpointID": endpoint_id(f"{t.id}:{net.name}"),
                "EndpointIP": t.addresses[net.name],
                "Info": {"Host IP": cluster.node(t.node).addr},
            })
        ports = []
        if net.ingress:
            ports = [f"Target: {tgt}, Publish: {pub}" for (_, tgt, pub) in svc.ingress_ports]
        services[svc.name] = {
            "VIP": svc.vips[net.name],
            "Ports": ports,
            "LocalLBIndex": node.fwmarks[(net.name, svc.name)],
            "Tasks": tasks,
        }
    obj = {
        "Name": net.name,
        "Id": net.id,
        "Created": go_time(net.created_ns),
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": False,
        "IPAM": {
            "Driver": "default",
            "Options": None,
            "Config": [{"Subnet": net.subnet, "Gateway": net.gateway}],
        },
        "Internal": False,
        "Attachable": net.attachable,
        "Ingress": net.ingress,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": gomap(containers),
        "Options": {"com.docker.network.driver.overlay.vxlanid_list": str(net.vni)},
        "Labels": gomap(net.labels),
        "Peers": peers,
    }
    if services:
        obj["Services"] = gomap(services)
    return obj


def peer_name(node: Node) -> str:
    """NetworkDB peer names: `<hostname>-<12hex>` on 17.x, bare 12 hex later."""
    if node.family == "17.06":
        return f"{node.hostname}-{node.netdb_id}"
    return node.netdb_id


def networks_json(cluster: Cluster, node: Node) -> str:
    names = sorted(cluster.node_networks(node))
    return docker_inspect_json([network_view(cluster, node, cluster.network(n)) for n in names])


# ---------------------------------------------------------------- containers

def container_object(cluster: Cluster, node: Node, t: Task, meta: dict) -> dict:
    svc = cluster.service(t.service)
    cid = t.container_id
    running = t.state == "running"
    name = t.container_name(cluster)
    state = {
        "Status": "running" if running else "exited",
        "Running": running,
        "Paused": False,
        "Restarting": False,
        "OOMKilled": False,
        "Dead": False,
        "Pid": t.pid if running else 0,
        "ExitCode": 0 if running else t.exit_code,
        "Error": "",
        "StartedAt": go_time(node.local_ns(t.started_ns)) if t.started_ns else "0001-01-01T00:00:00Z",
        "FinishedAt": go_time(node.local_ns(t.finished_ns)) if (t.finished_ns and not running) else "0001-01-01T00:00:00Z",
    }
    nets = {}
    for net_name in cluster.service_networks(svc):
        if net_name not in t.addresses:
            continue
        net = cluster.network(net_name)
        ip = t.addresses[net_name]
        nets[net_name] = {
            "IPAMConfig": {"IPv4Address": ip},
            "Links": None,
            "Aliases": [cid[:12]] if not svc.aliases else list(svc.aliases) + [cid[:12]],
            "NetworkID": net.id,
            "EndpointID": endpoint_id(f"{t.id}:{net_name}") if running else "",
            "Gateway": "",
            "IPAddress": ip if running else "",
            "IPPrefixLen": net.prefixlen if running else 0,
            "IPv6Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "MacAddress": ep_mac(ip) if running else "",
            "DriverOpts": None,
        }
    labels = gomap({
        "com.docker.swarm.node.id": cluster.node(t.node).id,
        "com.docker.swarm.service.id": svc.id,
        "com.docker.swarm.service.name": svc.name,
        "com.docker.swarm.task": "",
        "com.docker.swarm.task.id": t.id,
        "com.docker.swarm.task.name": name,
        **({"com.docker.stack.namespace": svc.stack} if svc.stack else {}),
    })
    cfg = {
        "Hostname": cid[:12],
        "Domainname": "",
        "User": "",
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "ExposedPorts": {p: {} for p in meta["ports"]} if meta["ports"] else None,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": [f"{k}=<masked>" for k in meta["env"]],
        "Cmd": meta["cmd"],
        "Image": svc.image,
        "Volumes": None,
        "WorkingDir": meta["workdir"],
        "Entrypoint": meta["entrypoint"],
        "OnBuild": None,
        "Labels": labels,
    }
    if meta.get("stop_signal"):
        cfg["StopSignal"] = meta["stop_signal"]
    if cfg["ExposedPorts"] is None:
        del cfg["ExposedPorts"]
    sandbox_key = f"/var/run/docker/netns/{t.sandbox_key()}" if running else ""
    obj = {
        "Id": cid,
        "Created": go_time(node.local_ns(t.started_ns - 180_000_000 if t.started_ns else t.created_ns)),
        "Path": meta["path"],
        "Args": meta["args"],
        "State": state,
        "Image": meta["image_id"],
        "ResolvConfPath": f"/var/lib/docker/containers/{cid}/resolv.conf",
        "HostnamePath": f"/var/lib/docker/containers/{cid}/hostname",
        "HostsPath": f"/var/lib/docker/containers/{cid}/hosts",
        "LogPath": f"/var/lib/docker/containers/{cid}/{cid}-json.log",
        "Name": "/" + name,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "docker-default" if node.os_name.startswith("Ubuntu") else "",
        "ExecIDs": None,
        "HostConfig": {
            "Binds": None,
            "ContainerIDFile": "",
            "LogConfig": {"Type": "json-file", "Config": {}},
            "NetworkMode": "default",
            "PortBindings": {},
            "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
            "AutoRemove": False,
            "VolumeDriver": "",
            "VolumesFrom": None,
            "Isolation": "default",
            "Init": False,
        },
        "GraphDriver": {
            "Data": {
                "LowerDir": f"/var/lib/docker/overlay2/{hex64('l:' + cid)}-init/diff",
                "MergedDir": f"/var/lib/docker/overlay2/{hex64('l:' + cid)}/merged",
                "UpperDir": f"/var/lib/docker/overlay2/{hex64('l:' + cid)}/diff",
                "WorkDir": f"/var/lib/docker/overlay2/{hex64('l:' + cid)}/work",
            },
            "Name": "overlay2",
        },
        "Mounts": [],
        "Config": cfg,
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": t.sandbox_id if running else "",
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": {p: None for p in meta["ports"]} if running else {},
            "SandboxKey": sandbox_key,
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": gomap(nets),
        },
    }
    return obj


def containers_json(cluster: Cluster, node: Node, metas: dict) -> str:
    """`docker inspect $(docker ps -aq)`: newest container first."""
    ts = [t for t in cluster.tasks_on(node.hostname) if t.container_id and not t.container_removed]
    ts.sort(key=lambda t: -(t.started_ns or t.created_ns))
    return docker_inspect_json([container_object(cluster, node, t, metas[cluster.service(t.service).image]) for t in ts])


# ---------------------------------------------------------------- version / info

def version_json(node: Node, collected_local_ns: int) -> str:
    e = node.engine
    if e.family == "17.06":
        client = {
            "Version": e.version, "ApiVersion": e.api, "GitCommit": e.commit, "GoVersion": e.go,
            "Os": "linux", "Arch": "amd64", "BuildTime": _ctime_build(e.build_time_ns),
        }
        # 17.06 servers answer the flat struct (no Platform, no Components).
        server = {
            "Version": e.version, "ApiVersion": e.api, "MinAPIVersion": e.min_api,
            "GitCommit": e.commit, "GoVersion": e.go, "Os": "linux", "Arch": "amd64",
            "KernelVersion": node.kernel, "Experimental": False,
            "BuildTime": go_rfc3339_build(e.build_time_ns),
        }
        return compact_json({"Client": client, "Server": server})
    client = {
        "Platform": {"Name": "" if e.family == "18.09" else "Docker Engine - Community"},
        "Version": e.version,
        "ApiVersion": e.api,
        "DefaultAPIVersion": e.api,
        "GitCommit": e.commit,
        "GoVersion": e.go,
        "Os": "linux",
        "Arch": "amd64",
        "BuildTime": _ctime_build(e.build_time_ns),
        "Experimental": False,
    }
    if e.family == "20.10":
        client["Context"] = "default"
    details = {
        "ApiVersion": e.api, "Arch": "amd64", "BuildTime": _ctime_build(e.build_time_ns),
        "Experimental": "false", "GitCommit": e.commit, "GoVersion": e.go, "KernelVersion": node.kernel,
        "MinAPIVersion": e.min_api, "Os": "linux",
    }
    comps = [{"Name": "Engine", "Version": e.version, "Details": details}]
    if e.family == "20.10":
        comps += [
            {"Name": "containerd", "Version": e.containerd, "Details": {"GitCommit": e.containerd_commit}},
            {"Name": "runc", "Version": e.runc, "Details": {"GitCommit": e.runc_commit}},
            {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": e.init_commit}},
        ]
    server = {
        "Platform": {"Name": e.platform},
        "Components": comps,
        "Version": e.version,
        "ApiVersion": e.api,
        "MinAPIVersion": e.min_api,
        "GitCommit": e.commit,
        "GoVersion": e.go,
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": node.kernel,
        "BuildTime": go_rfc3339_build(e.build_time_ns),
    }
    return compact_json({"Client": client, "Server": server})


def _ctime_build(ns: int) -> str:
    from .common import ctime

    return ctime(ns)


def go_rfc3339_build(ns: int) -> str:
    from .common import rfc3339_fixed

    return rfc3339_fixed(ns).replace("Z", "+00:00")


def info_json(cluster: Cluster, node: Node, counts: dict, collected_local_ns: int) -> str:
    e = node.engine
    swarm = {
        "NodeID": node.id,
        "NodeAddr": node.addr,
        "LocalNodeState": "active",
        "ControlAvailable": node.is_manager,
        "Error": "",
        "RemoteManagers": [{"NodeID": m.id, "Addr": f"{m.addr}:2377"} for m in cluster.managers()],
    }
    if node.is_manager:
        swarm["Nodes"] = len(cluster.nodes)
        swarm["Managers"] = len(cluster.managers())
        spec = {
            "Name": "default",
            "Labels": {},
            "Orchestration": {"TaskHistoryRetentionLimit": cluster.task_history_limit},
            "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "LogEntriesForSlowFollowers": 500,
                     "ElectionTick": 10, "HeartbeatTick": 1},
            "Dispatcher": {"HeartbeatPeriod": 5_000_000_000},
            "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000},
            "TaskDefaults": {},
            "EncryptionConfig": {"AutoLockManagers": False},
        }
        clus = {
            "ID": cluster.cluster_id,
            "Version": {"Index": 10},
            "CreatedAt": go_time(cluster.created_ns),
            "UpdatedAt": go_time(cluster.created_ns + 651_908_112_004),
            "Spec": spec,
            "TLSInfo": tls_info(cluster),
            "RootRotationInProgress": False,
        }
        if e.family != "17.06":
            clus["DefaultAddrPool"] = ["10.0.0.0/8"]
            clus["SubnetSize"] = 24
            clus["DataPathPort"] = 4789
        swarm["Cluster"] = clus
    ubuntu = node.os_name.startswith("Ubuntu")
    info = {
        "ID": _engine_key(node.hostname),
        "Containers": counts["total"],
        "ContainersRunning": counts["running"],
        "ContainersPaused": 0,
        "ContainersStopped": counts["total"] - counts["running"],
        "Images": counts["images"],
        "Driver": "overlay2",
        "DriverStatus": [["Backing Filesystem", "extfs" if ubuntu else "xfs"], ["Supports d_type", "true"],
                         ["Native Overlay Diff", "true"]],
        "Plugins": {"Volume": ["local"], "Network": [p["Name"] for p in engine_plugins(e.family) if p["Type"] == "Network"],
                    "Authorization": None,
                    "Log": [p["Name"] for p in engine_plugins(e.family) if p["Type"] == "Log"]},
        "MemoryLimit": True,
        "SwapLimit": not ubuntu,
        "KernelMemory": True,
        "CpuCfsPeriod": True,
        "CpuCfsQuota": True,
        "CPUShares": True,
        "CPUSet": True,
        "IPv4Forwarding": True,
        "BridgeNfIptables": True,
        "BridgeNfIp6tables": True,
        "Debug": bool(node.daemon_json.get("debug")),
        "NFd": 38 + counts["running"] * 6,
        "OomKillDisable": True,
        "NGoroutines": 141 + counts["running"] * 17,
        "SystemTime": go_time(collected_local_ns),
        "LoggingDriver": "json-file",
        "CgroupDriver": "cgroupfs",
        "NEventsListener": 0,
        "KernelVersion": node.kernel,
        "OperatingSystem": node.os_name,
        "OSType": "linux",
        "Architecture": "x86_64",
        "IndexServerAddress": "https://index.docker.io/v1/",
        "NCPU": node.cpus,
        "MemTotal": node.mem_bytes,
        "DockerRootDir": "/var/lib/docker",
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": node.hostname,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": e.version,
        "Runtimes": {"runc": {"path": "docker-runc" if e.family == "17.06" else "runc"}},
        "DefaultRuntime": "runc",
        "Swarm": swarm,
        "LiveRestoreEnabled": False,
        "Isolation": "",
        "InitBinary": "docker-init",
        "SecurityOptions": ["name=apparmor", "name=seccomp,profile=default"] if ubuntu else ["name=seccomp,profile=default"],
    }
    if e.family == "20.10":
        info["CgroupVersion"] = "1"
        info["KernelMemoryTCP"] = True
        info["PidsLimit"] = True
        info["ContainerdCommit"] = {"ID": e.containerd_commit, "Expected": e.containerd_commit}
        info["RuncCommit"] = {"ID": e.runc_commit, "Expected": e.runc_commit}
        info["InitCommit"] = {"ID": e.init_commit, "Expected": e.init_commit}
    if e.family != "17.06":
        info["Warnings"] = ["WARNING: No swap limit support"] if ubuntu else None
    if e.family == "20.10":
        info["ClientInfo"] = {"Debug": False, "Context": "default", "Plugins": [], "Warnings": None}
    return compact_json(info)


def _engine_key(label: str) -> str:
    h = hashlib.sha512(("engine:" + label).encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    chars = "".join(alphabet[b % 32] for b in h[:48])
    return ":".join(chars[i : i + 4] for i in range(0, 48, 4))
