# shellcheck shell=bash
# drained: the healthy app, every node collected into drained-before/, then
# node3 is drained; its tasks move to node1 and node2 and node3 keeps none
# running; every node collected again into drained/ (a real before/after pair
# of one swarm for `swarmdiag diff`).

scenario_drained() {
	local out=$1
	lab_up 3
	lab_swarm 2
	deploy_app
	collect_all "$out/drained-before"
	d 1 node update --availability drain node3 >/dev/null
	wait_until 60 "node3 runs no task" node_runs_nothing 3
	wait_until 60 "services converged again" services_converged
	collect_all "$out/drained"
}

node_runs_nothing() {
	[ -z "$(d "$1" ps -q)" ]
}
