# shellcheck shell=bash
# gossip-blocked: the healthy app on a working swarm, every node collected into
# gossip-blocked-before/; then node3's own firewall (iptables in its namespace)
# drops gossip (tcp+udp 7946) to and from node2, and every node is collected
# again into gossip-blocked/ (a real before/after pair for `swarmdiag diff`).
# node1 still reaches both, so the swarm stays up while memberlist/NetworkDB
# between node2 and node3 fails: pings, push/pull and bulk sync.

scenario_gossip_blocked() {
	local out=$1 ns=/run/netns/${LAB_NS}node3 peer p
	lab_up 3
	lab_swarm 2
	deploy_app
	collect_all "$out/gossip-blocked-before"
	peer=$(node_ip 2)
	log "node3: dropping tcp+udp 7946 to and from node2"
	for p in tcp udp; do
		nsenter --net="$ns" iptables -I INPUT -s "$peer" -p "$p" --dport 7946 -j DROP
		nsenter --net="$ns" iptables -I OUTPUT -d "$peer" -p "$p" --dport 7946 -j DROP
	done
	# node3 fails at once (its OUTPUT rule: "sendto: operation not permitted");
	# node2 sees it only on its next push/pull (i/o timeout, within ~60 s).
	wait_until 120 "node2 logs a failed push/pull or bulk sync" \
		grep -q -E 'bulk sync to node .* failed|Push/Pull with .* failed' \
		"$LAB/node2/dockerd.log" || true
	collect_all "$out/gossip-blocked"
}
