# shellcheck shell=bash
# healthy: 3 nodes (node1, node2 managers; node3 worker), an overlay network,
# a published service with 3 replicas, and a service holding a secret and a
# PASSWORD env (the collector must mask both). Task-to-task traffic over the
# overlay is checked across nodes; the VIP is tried and expected to time out
# (no IPVS in the lab kernel).

scenario_healthy() {
	local out=$1
	lab_up 3
	lab_swarm 2
	deploy_app
	check_overlay_traffic
	collect_all "$out/healthy"
	# The .zip format too, when zip exists (kept out of testdata: hidden dir).
	if command -v zip >/dev/null; then collect_node 1 "$out/.zip/healthy" zip; fi
}
