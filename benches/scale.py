#!/usr/bin/env python3
"""Builds a big-cluster bundle set for benches/bench.sh: N services, N tasks and
N container namespaces on the lab's real 3-node `healthy` capture.

Usage: benches/scale.py N OUT_DIR
       benches/scale.py --roots N OUT_DIR
Writes OUT_DIR/node1.zip, node2.zip, node3.zip (deterministic bytes); with
--roots, OUT_DIR/roots.zip: N node roots, each the lab's node3 manifest.json
and docker/info.json under its own hostname and swarm node id.

Each node keeps its real files. The managers' swarm/services.json lists N
services cloned from the real `db` service (one VIP on `appnet`), tasks.json N
running tasks (task i of service i, on node1/node2/node3 in turn), and
networks.json widens appnet's subnet to 10.64.0.0/10 so every VIP and task
address fits. Every task's container gets a sandbox namespace
(`netns/<12 hex>/ip-addr.txt`, its eth0 holding the task address) on its own
node. Ids derive from sha256 of labels, so two runs give the same bytes. One
zip per node keeps each input under the reader's 100,000-entry cap.
"""
import copy
import hashlib
import io
import ipaddress
import json
import os
import sys
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
LAB = os.path.join(ROOT, "testdata", "lab", "healthy")
NODES = ["node1", "node2", "node3"]
MANAGERS = ["node1", "node2"]
APPNET = "x52vaui8qy50vqgk2ao4thz2u"
SUBNET = ipaddress.ip_network("10.64.0.0/10")
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def swarm_id(label):
    n = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big")
    out = []
    for _ in range(25):
        n, r = divmod(n, 36)
        out.append(B36[r])
    return "".join(out)


def hex_id(label):
    return hashlib.sha256(label.encode()).hexdigest()


def addr(k):
    return f"{SUBNET.network_address + 2 + k}/{SUBNET.prefixlen}"


def compact_array(items):
    # One object per line inside an array: valid `docker inspect` JSON, a
    # fraction of the indented size.
    body = ",\n".join(json.dumps(i, separators=(",", ":")) for i in items)
    return "[\n" + body + "\n]\n"


def ip_addr_text(ip):
    return (
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n"
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        "    inet 127.0.0.1/8 scope host lo\n"
        "       valid_lft forever preferred_lft forever\n"
        "18: eth0@if19: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default \n"
        "    link/ether 02:42:0a:40:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n"
        f"    inet {ip} brd {SUBNET.broadcast_address} scope global eth0\n"
        "       valid_lft forever preferred_lft forever\n"
    )


def stamp(z, name, data):
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 22, 2, 56, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def roots(n, out):
    os.makedirs(out, exist_ok=True)
    base = os.path.join(LAB, "node3")
    manifest = json.load(open(os.path.join(base, "manifest.json")))
    info = json.load(open(os.path.join(base, "docker", "info.json")))
    with zipfile.ZipFile(os.path.join(out, "roots.zip"), "w") as z:
        for i in range(n):
            host = f"node{i:06d}"
            manifest["hostname"] = host
            info["Name"] = host
            info["Swarm"]["NodeID"] = swarm_id(f"node {i}")
            stamp(z, f"{host}/manifest.json", json.dumps(manifest, indent=2) + "\n")
            stamp(z, f"{host}/docker/info.json", json.dumps(info) + "\n")


def main():
    if sys.argv[1] == "--roots":
        return roots(int(sys.argv[2]), sys.argv[3])
    n = int(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    load = lambda node, rel: json.load(open(os.path.join(LAB, node, rel)))
    svc_tpl = next(s for s in load("node1", "swarm/services.json") if s["Spec"]["Name"] == "db")
    task_tpl = next(t for t in load("node1", "swarm/tasks.json") if t["ServiceID"] == svc_tpl["ID"])
    node_ids = {x["Description"]["Hostname"]: x["ID"] for x in load("node1", "swarm/nodes.json")}

    services, tasks = [], []
    netns = {node: [] for node in NODES}
    for i in range(n):
        s = copy.deepcopy(svc_tpl)
        s["ID"] = swarm_id(f"service {i}")
        s["Spec"]["Name"] = f"svc{i:06d}"
        s["Endpoint"]["VirtualIPs"] = [{"NetworkID": APPNET, "Addr": addr(i)}]
        services.append(s)
        node = NODES[i % len(NODES)]
        t = copy.deepcopy(task_tpl)
        t["ID"] = swarm_id(f"task {i}")
        t["ServiceID"] = s["ID"]
        t["NodeID"] = node_ids[node]
        cid = hex_id(f"container {i}")
        t["Status"]["ContainerStatus"]["ContainerID"] = cid
        t["NetworksAttachments"][0]["Addresses"] = [addr(n + i)]
        t["NetworksAttachments"][0]["Network"]["IPAMOptions"]["Configs"] = [
            {"Subnet": str(SUBNET), "Gateway": str(SUBNET.network_address + 1)}
        ]
        tasks.append(t)
        netns[node].append((cid[:12], ip_addr_text(addr(n + i))))
    services_text = compact_array(services)
    tasks_text = compact_array(tasks)

    for node in NODES:
        base = os.path.join(LAB, node)
        with zipfile.ZipFile(os.path.join(out, f"{node}.zip"), "w", zipfile.ZIP_DEFLATED) as z:
            def put(rel, data):
                stamp(z, f"{node}/{rel}", data)

            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                for f in sorted(filenames):
                    path = os.path.join(dirpath, f)
                    rel = os.path.relpath(path, base)
                    data = open(path, "rb").read()
                    if node in MANAGERS and rel == "swarm/services.json":
                        data = services_text.encode()
                    elif node in MANAGERS and rel == "swarm/tasks.json":
                        data = tasks_text.encode()
                    elif rel == "swarm/networks.json":
                        nets = json.loads(data)
                        for net in nets:
                            if net["Id"] == APPNET:
                                net["IPAM"]["Config"] = [
                                    {"Subnet": str(SUBNET), "Gateway": str(SUBNET.network_address + 1)}
                                ]
                        data = (json.dumps(nets, indent=4) + "\n").encode()
                    put(rel, data)
            for name, text in netns[node]:
                put(f"netns/{name}/ip-addr.txt", text)


if __name__ == "__main__":
    main()
