# shellcheck shell=bash
# daemon-restart: the healthy app, then node3's dockerd is stopped while node3
# is still active in the swarm. While it is down, every node is collected into
# daemon-down/ (node3's bundle has no docker output: its daemon is gone). Then
# node3's dockerd starts again and every node is collected into daemon-restart/.

scenario_daemon_restart() {
	local out=$1
	lab_up 3
	lab_swarm 2
	deploy_app
	dockerd_stop 3
	wait_until 60 "managers see node3 down" node_state_is node3 down
	collect_all "$out/daemon-down"
	dockerd_start 3
	wait_until 60 "managers see node3 ready" node_state_is node3 ready
	wait_until 60 "services converged again" services_converged
	collect_all "$out/daemon-restart"
}

node_state_is() {
	[ "$(d 1 node inspect "$1" --format '{{.Status.State}}')" = "$2" ]
}
