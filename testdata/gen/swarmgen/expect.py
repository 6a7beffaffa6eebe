"""Expected findings per scenario, and a self-check of the log claims.

The analyzer's rules are written elsewhere; this file states what the bundles
contain, in catalogue ids (signatures.md §1) and check ids (docs/rules.md). The
generator verifies the log claims against the rendered logs with the
distinctive substrings below: a `must` id has at least one of its substrings
in some dockerd.log of the scenario, a `must_not` id has none. (Substrings are
this generator's own approximation of each signature, not the analyzer's rules.)
"""

from __future__ import annotations

SIG: dict[str, list[str]] = {
    "IPAM-01": ["node is missing network attachments"],
    "IPAM-02": ["failed to allocate network IP for task"],
    "IPAM-03": ["while allocating VIP", "could not allocate VIP from IPAM"],
    "IPAM-04": ["Failed to allocate network resources for node", "error reallocating network resources for node"],
    "IPAM-05": ["has pending allocations"],
    "IPAM-06": ["failed to find a load balancer IP to use for network"],
    "IPAM-07": ["Address already in use"],
    "NET-01": ["cannot create a swarm scoped network when swarm is not active"],
    "NET-04": ["No such network", "failed to get network during CreateEndpoint"],
    "NET-05": ["no ingress network is present", "no ingress network found"],
    "KMOD-01": ["Running modprobe ip_vs failed", "Could not get ipvs family information"],
    "KMOD-02": ["br_netfilter", "bridge-nf-call-iptables is disabled"],
    "KMOD-05": ["is incompatible with swarm mode"],
    "OVL-03": ["sandbox join failed"],
    "OVL-04": ["error creating vxlan interface"],
    "OVL-07": ["peerDbAdd transient condition", "Peer operation failed", "Entry already present in db"],
    "OVL-08": ["Neighbor entry already present"],
    "LB-01": ["Failed to add firewall mark rule"],
    "LB-02": ["Failed to create a new service for vip"],
    "LB-03": ["Failed to create real server"],
    "LB-04": ["Failed to delete real server"],
    "LB-05": ["Failed to set LB weight of real server"],
    "LB-07": ["Failed to delete firewall mark rule"],
    "LB-09": ["Unable to find load balancing endpoint", "addLBBackend "],
    "LB-10": ["IP alias"],
    "LB-11": ["Failed to add ingress:", "Failed to delete ingress:", "failed to program ingress ports"],
    "LB-14": ["possible transient state", "aborted c.serviceBindings", "failed adding service binding"],
    "IPT-01": ["iptables failed: "],
    "IPT-03": ["COMMAND_FAILED: '"],
    "GOS-01": ["Failed to send gossip"],
    "GOS-02": ["memberlist: Failed fallback", "memberlist: Failed UDP ping", "memberlist: Failed to send UDP ping",
               "memberlist: Failed TCP fallback ping"],
    "GOS-03": ["but UDP probes failed", "but other probes failed"],
    "GOS-04": ["memberlist: Suspect", "memberlist: Marking", "memberlist: Refuting", "memberlist: Push/Pull with"],
    "GOS-05": ["Node join event for", "Node leave event for", "joined gossip cluster", "left gossip cluster"],
    "GOS-06": ["healthscore:"],
    "GOS-07": ["NetworkDB stats"],
    "GOS-08": ["Bulk sync to node", "bulk sync to node", "periodic bulk sync failure", "bulk syncing"],
    "GOS-09": ["Initializing Libnetwork Agent", "Error in joining gossip cluster", "could not join node to memberlist"],
    "GOS-10": ["is the cluster running the same docker engine version"],
    "RAFT-01": ["The swarm does not have a leader"],
    "RAFT-02": ["raft: no elected cluster leader"],
    "RAFT-03": ["became follower at term", "became leader at term", "lost leader", "is starting a new election"],
    "RAFT-05": ["error sending message to peer", "peer is unreachable", "error streaming message to peer"],
    "NODE-01": ["agent: session failed", "heartbeat to manager"],
    "TASK-03": ["task: non-zero exit", "starting container failed"],
    "TLS-01": ["x509: certificate has expired"],
    "DNS-01": ["[resolver] failed to query", "[resolver] read from DNS server failed"],
}

ALL_CHECKS = (
    [f"SW10{i}" for i in range(1, 9)] + [f"SW20{i}" for i in range(1, 5)] + ["SW301", "SW302"]
    + [f"SW40{i}" for i in range(1, 10)] + ["SW501", "SW502"] + [f"SW60{i}" for i in range(1, 7)]
    + ["SW701", "SW702"]
)


class ExpectationError(AssertionError):
    pass


def check_logs(name: str, exp: dict, logs: list[str]) -> None:
    text = "\n".join(logs)
    rules = exp["log_rules"]
    declared = set(rules["must"]) | set(rules["must_not"]) | set(rules.get("present", [])) | set(rules.get("benign", []))
    for rid in declared:
        if rid not in SIG:
            raise ExpectationError(f"{name}: no substrings known for {rid}")
    for rid in rules["must"] + rules.get("present", []) + rules.get("benign", []):
        if not any(s in text for s in SIG[rid]):
            raise ExpectationError(f"{name}: {rid} declared present but absent from the logs")
    for rid in rules["must_not"]:
        hits = [s for s in SIG[rid] if s in text]
        if hits:
            raise ExpectationError(f"{name}: {rid} declared absent but the logs contain {hits}")
    checks = exp["checks"]
    must = {c["id"] for c in checks["must"]}
    listed = must | set(checks["must_not"]) | set(checks.get("unspecified", []))
    if listed != set(ALL_CHECKS) or must & set(checks["must_not"]):
        raise ExpectationError(f"{name}: check lists must partition docs/rules.md: missing {sorted(set(ALL_CHECKS) - listed)}")


def must_not_checks(must: list[dict], unspecified: list[str] = ()) -> list[str]:
    ids = {c["id"] for c in must} | set(unspecified)
    return [c for c in ALL_CHECKS if c not in ids]


def log_rules(must: list[str], present: list[str] = (), benign: list[str] = ()) -> dict:
    """`must_not` is every other signature this file knows (their text is absent)."""
    declared = set(must) | set(present) | set(benign)
    return {
        "must": list(must),
        "present": list(present),
        "benign": list(benign),
        "must_not": [rid for rid in SIG if rid not in declared],
    }
