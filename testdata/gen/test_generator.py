#!/usr/bin/env python3
"""Self-tests of the generator: determinism, and that the validator rejects
inconsistent data (each mutation below must raise `Invalid`).

    python3 testdata/gen/test_generator.py
"""

from __future__ import annotations

import copy
import json
import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from swarmgen import scen_exhausted, scen_upgrade, scen_vote  # noqa: E402
from swarmgen.bundle import build_node_bundle  # noqa: E402
from swarmgen.model import Fault  # noqa: E402
from swarmgen.validate import Invalid, validate  # noqa: E402


def render(builder):
    cluster, book, opts = builder()
    bundles = {}
    for node in cluster.nodes:
        files = build_node_bundle(cluster, node, book, **opts.get(node.hostname, {}))
        files.pop("__netstate__")
        bundles[node.hostname] = files
    return cluster, bundles


class Determinism(unittest.TestCase):
    def test_two_runs_identical(self):
        for builder in (scen_vote.build, scen_upgrade.build_mid, scen_exhausted.build):
            _, a = render(builder)
            _, b = render(builder)
            self.assertEqual(a, b)


class ValidatorRejects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vote = render(scen_vote.build)
        cls.ex = render(scen_exhausted.build)
        cls.mid = render(scen_upgrade.build_mid)

    def mutate(self, which, host, path, fn):
        """Change one file and keep the manifest's byte count in step, so that
        the semantic check under test is the one that fails."""
        cluster, bundles = copy.deepcopy(getattr(self, which))
        bundles[host][path] = fn(bundles[host][path])
        if path != "host/sysctl.txt":
            man = json.loads(bundles[host]["manifest.json"])
            for c in man["commands"]:
                if c["path"] == path:
                    c["bytes"] = len(bundles[host][path].encode())
            bundles[host]["manifest.json"] = json.dumps(man, indent=2) + "\n"
        return cluster, bundles

    def assertInvalid(self, cluster, bundles, needle=""):
        with self.assertRaises(Invalid) as cm:
            validate(cluster, bundles)
        self.assertIn(needle, str(cm.exception))

    def test_baselines_pass(self):
        for which in ("vote", "ex", "mid"):
            validate(*copy.deepcopy(getattr(self, which)))

    def test_undeclared_fault(self):
        cluster, bundles = copy.deepcopy(self.vote)
        cluster.faults = [f for f in cluster.faults if f.kind != "stale_backend"]
        self.assertInvalid(cluster, bundles, "undeclared stale backend 10.0.0.6")

    def test_declared_fault_absent(self):
        cluster, bundles = copy.deepcopy(self.ex)
        cluster.faults = [Fault("missing_dnat", "tk1706-ubuntu-0", port=8080)]
        self.assertInvalid(cluster, bundles, "declared faults not present")

    def test_mark_mismatch(self):
        c, b = self.mutate("vote", "worker1", "netns/lb_uhtur2cqn/iptables-save.txt",
                           lambda s: s.replace("0x101/0xffffffff", "0x105/0xffffffff"))
        self.assertInvalid(c, b, "LocalLBIndex")

    def test_vip_alias_missing(self):
        c, b = self.mutate("ex", "tk1706-ubuntu-3", "netns/lb_" + _netid(self.ex, "ex_net")[:9] + "/ip-addr.txt",
                           lambda s: s.replace("inet 10.0.9.2/32", "inet 10.0.9.99/32"))
        self.assertInvalid(c, b, "not aliased")

    def test_ipvs_backend_changed(self):
        c, b = self.mutate("ex", "tk1706-ubuntu-2", "netns/lb_" + _netid(self.ex, "ex_net")[:9] + "/ipvsadm.txt",
                           lambda s: s.replace("10.0.9.7:0 ", "10.0.9.31:0"))
        self.assertInvalid(c, b, "IPVS")

    def test_task_ip_differs_from_container(self):
        def fn(s):
            d = json.loads(s)
            d[0]["NetworkSettings"]["Networks"]["ex_net"]["IPAddress"] = "10.0.9.30"
            return json.dumps(d, indent=4)
        c, b = self.mutate("ex", "tk1706-ubuntu-0", "containers/inspect.json", fn)
        self.assertInvalid(c, b, "ip on ex_net")

    def test_version_disagrees(self):
        c, b = self.mutate("mid", "tk1706-ubuntu-3", "docker/version.json",
                           lambda s: s.replace('"Version":"18.09.1"', '"Version":"17.06.2-ee-15"'))
        self.assertInvalid(c, b, "engine version")

    def test_duplicate_live_ip(self):
        def fn(s):
            d = json.loads(s)
            next(n for n in d if n["Name"] == "ingress")["Containers"]["ingress-sbox"]["IPv4Address"] = "10.255.0.2/16"
            return json.dumps(d, indent=4)
        c, b = self.mutate("ex", "tk1706-ubuntu-4", "swarm/networks.json", fn)
        self.assertInvalid(c, b, "10.255.0.2 used by")

    def test_bad_json(self):
        c, b = self.mutate("vote", "manager1", "swarm/services.json", lambda s: s[:-3])
        self.assertInvalid(c, b, "invalid JSON")

    def test_path_outside_layout(self):
        cluster, bundles = copy.deepcopy(self.vote)
        bundles["manager1"]["host/extra.txt"] = "x\n"
        self.assertInvalid(cluster, bundles, "not a layout path")

    def test_manifest_bytes(self):
        c, b = self.mutate("vote", "worker1", "host/sysctl.txt", lambda s: s + "net.ipv4.ip_forward = 1\n")
        self.assertInvalid(c, b, "bytes of host/sysctl.txt")

    def test_dnat_present_where_declared_missing(self):
        cluster, bundles = copy.deepcopy(self.vote)
        bundles["worker1"]["host/iptables-save.txt"] = bundles["manager1"]["host/iptables-save.txt"]
        with self.assertRaises(Invalid):
            validate(cluster, bundles)


def _netid(rendered, name):
    _, bundles = rendered
    for files in bundles.values():
        for net in json.loads(files["swarm/networks.json"]):
            if net["Name"] == name:
                return net["Id"]
    raise KeyError(name)


if __name__ == "__main__":
    unittest.main()
