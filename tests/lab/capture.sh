#!/bin/bash
# usage: tests/lab/capture.sh
#
# Runs every lab scenario and replaces testdata/lab/<scenario>/<node>/ with the
# fresh, unpacked bundles, then rewrites testdata/lab/README.md. Maintainer
# tool: run it as root on a lab machine and review the diff before committing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
dest=$REPO_DIR/testdata/lab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bash "$LAB_DIR/run.sh" "$tmp"
grep -r -l hunter2 "$tmp" && fail "a secret reached a bundle"
rm -rf "$dest"
mkdir -p "$dest"
for s in "$tmp"/*/; do
	s=$(basename "$s")
	cp -r "$tmp/$s" "$dest/$s"
	rm -f "$dest/$s/.timings"
done

{
	cat <<'MD'
# Real bundles from the swarm lab

Captured by `tests/lab/capture.sh`: each scenario ran on a fresh 3-node lab
(`tests/lab/`: one network namespace and one real dockerd per node, node1 and
node2 managers, node3 a worker; addresses 198.18.0.11-13), and the collector
(`src/collector/collect.sh`) ran on every node inside that node's network and
UTS namespaces, with `--since` set to the time since that lab started (logs and
the kernel log hold that scenario only). Each `<scenario>/<node>/` is one unpacked
node bundle (layout: `docs/bundle-layout.md`). Nothing was edited by hand.

`drained-before`/`drained`, `gossip-blocked-before`/`gossip-blocked` and
`daemon-down`/`daemon-restart` are before/after pairs of one swarm each, for
`swarmdiag diff` and `swarmdiag timeline` (asserted by `tests/lab_bundles.rs`).

The lab kernel has no IPVS (`CONFIG_IP_VS` unset, no loadable modules): every
dockerd logs `Could not get ipvs family information from the kernel`, every
`ipvsadm.txt` is empty with `Can't initialize ipvs: Protocol not available` in
`ipvsadm.txt.stderr`, and service VIPs and the ingress routing mesh do not
answer while task-to-task traffic over the overlay works. That is a real
finding present in every scenario. `host/modules.txt` is skipped for the same
reason (no `/proc/modules`). Registry lookups go to a dead proxy on loopback,
so workers also log `pulling image failed ... proxyconnect tcp: dial tcp
127.0.0.1:9: connect: connection refused` before using the local image.

| directory | what was done | real messages in the bundles |
|---|---|---|
| `healthy` | overlay `appnet`; service `web` (3 replicas, httpd, published 8080); service `db` with `--env PASSWORD=hunter2` and a secret. Task-to-task GET over the overlay from node1 to node3 works; `web:80` (VIP) times out. | `PASSWORD=<masked>` in services/tasks/containers; IPVS errors |
| `exhausted` | overlay `small` with `--subnet 10.50.0.0/27`; service `many` with 30 replicas | leader: `Failed to allocate network resources for node …` and `task allocation failure … could not find an available IP`; workers: `fatal task error … node is missing network attachments, ip addresses may be exhausted` (tasks `Rejected`) |
| `gossip-blocked-before` | the `healthy` app on a working swarm, collected just before node3's firewall is changed (the before side of `gossip-blocked`) | no gossip failure; node3 `host/iptables-save.txt` without 7946 rules |
| `gossip-blocked` | continues `gossip-blocked-before`: node3's own iptables (in its namespace) now drops tcp+udp 7946 to and from node2; collected once node2 logs a failed push/pull or bulk sync (about 30 s) | node3: `memberlist: Failed to send ping: write udp [::]:7946->198.18.0.12:7946: sendto: operation not permitted` (and/or `Failed to send gossip to 198.18.0.12`); node2 or node3 (whichever tries first): `bulk sync to node … failed: failed to send a TCP message during bulk sync: dial tcp …:7946: i/o timeout` or `memberlist: Push/Pull with … failed`; node3 `host/iptables-save.txt` holds the DROP rules |
| `drained-before` | the `healthy` app, collected just before the drain (the before side of `drained`) | node3 `Availability: active`, running tasks |
| `drained` | continues `drained-before`: `docker node update --availability drain node3`; its tasks move to node1/node2 | node3 `Availability: drain` (its `UpdatedAt` after the drain; at log level info no daemon logs the API call); node3's bundle shows namespaces being removed (skipped as `not a live namespace`) |
| `daemon-down` | the `healthy` app, then node3's dockerd stopped (SIGTERM) while node3 is still active; collected while it is down | managers: node3 `State: down`, `heartbeat failure`; node3's bundle: docker output skipped (`dockerd not reachable: Cannot connect to the Docker daemon …`), logs and host/netns state still there |
| `daemon-restart` | continues `daemon-down`: node3's dockerd started again, node3 `Ready`, services converged | node3's log shows shutdown and a second start (`Daemon has completed initialization` twice) |
| `mtu-mismatch` | node3's veth (both ends) set to MTU 1400 before the swarm forms; the `healthy` app on overlays with docker's default MTU 1450. From a web task on node1, a 1000-byte ping to node3's web task passes and a 1400-byte one (1478 bytes once VXLAN wraps it) is lost | node3 `host/ip-addr.txt`: `eth0: mtu 1400`; its `netns/1-*/ip-link.txt`: `vxlan0 … mtu 1450` |

MD
	echo "## This capture"
	echo
	echo "- date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- dockerd: $(dockerd --version)"
	echo "- docker CLI: $("$DOCKER_CLI" --version)"
	echo "- kernel: $(uname -r)"
	echo "- collector: $(sh "$REPO_DIR/src/collector/collect.sh" --version)"
	echo
	echo "Timings (ms) and archive sizes (bytes, .tar.gz) measured by the lab:"
	echo
	echo '```'
	echo "scenario total_ms teardown_ms"
	cat "$tmp/.timings"
	for s in "$tmp"/*/; do
		[ -f "$s/.timings" ] || continue
		echo "$(basename "$s"): node collect_ms archive_bytes"
		sed 's/^/  /' "$s/.timings"
	done
	echo '```'
} >"$dest/README.md"
log "testdata/lab updated; review with git status / git diff"
