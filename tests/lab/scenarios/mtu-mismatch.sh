# shellcheck shell=bash
# mtu-mismatch: node3's link to the others carries 1400 bytes (as after a
# patch that moved the VM to a VPN or OpenStack underlay) while the overlay
# keeps docker's default 1450 (1500 - 50). Small packets between tasks cross
# the overlay; full-size ones to node3 are dropped on its link. Both are
# tried for real from a task on node1, then every node is collected.

scenario_mtu_mismatch() {
	local out=$1 ns=${LAB_NS}node3
	lab_up 3
	log "node3: link MTU 1400 (both ends of its veth)"
	ip link set sdlab3 mtu 1400
	ip -n "$ns" link set eth0 mtu 1400
	lab_swarm 2
	deploy_app
	check_overlay_mtu
	collect_all "$out/mtu-mismatch"
}

# From a web task on node1 to the web task on node3: a small ping must pass,
# a 1400-byte one (1478 bytes once VXLAN wraps it) must not.
check_overlay_mtu() {
	local src dst
	src=$(web_task 1) || fail "no web task on node1"
	dst=$(web_task 3) || fail "no web task on node3"
	d 1 exec "${src%% *}" ping -c 2 -W 2 -s 1000 "${dst#* }" >/dev/null ||
		fail "overlay ping with 1000 bytes node1 -> node3 (${dst#* }) failed"
	log "overlay ping with 1000 bytes node1 -> node3 (${dst#* }) OK"
	if d 1 exec "${src%% *}" ping -c 2 -W 2 -s 1400 "${dst#* }" >/dev/null; then
		fail "overlay ping with 1400 bytes node1 -> node3 passed despite the 1400 MTU link"
	fi
	log "overlay ping with 1400 bytes node1 -> node3 (${dst#* }) lost, as the MTU says"
}
