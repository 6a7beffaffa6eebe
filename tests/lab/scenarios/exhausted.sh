# shellcheck shell=bash
# exhausted: overlay --subnet 10.50.0.0/27 (29 usable addresses: VIP, one LB
# address per node, tasks) and 30 replicas. Real errors follow: the leader
# logs `could not find an available IP`, and tasks are rejected with `node is
# missing network attachments, ip addresses may be exhausted`.

scenario_exhausted() {
	local out=$1
	lab_up 3
	lab_swarm 2
	d 1 network create -d overlay --subnet 10.50.0.0/27 small >/dev/null
	d 1 service create -d --name many --replicas 30 --network small \
		--stop-grace-period 1s --no-resolve-image "$LAB_IMAGE" sleep 3600 >/dev/null
	wait_until 90 "leader logs 'could not find an available IP'" \
		grep -q 'could not find an available IP' "$LAB/node1/dockerd.log" || true
	wait_until 90 "a task rejected with 'node is missing network attachments'" \
		tasks_say 'node is missing network attachments' || true
	collect_all "$out/exhausted"
}

# tasks_say TEXT: some task's error mentions TEXT.
tasks_say() {
	d 1 service ps --no-trunc --format '{{.Error}}' "$(d 1 service ls -q)" | grep -q -F "$1"
}
