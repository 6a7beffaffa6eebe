# shellcheck shell=bash
# Shared functions of the swarm lab: N real dockerd in swarm mode on one machine.
#
# Each node is a network namespace (sdlab-nodeN) with a veth on one bridge
# (sdlab0) in the root namespace, address 198.18.0.(10+N)/24, and a persistent
# UTS namespace (hostname nodeN). Its dockerd runs inside both with its own
# data-root, exec-root, pidfile and unix socket. Traffic stays between these
# namespaces: no address on the bridge, no default route, registry lookups go
# to a dead proxy on loopback (127.0.0.1:9).
#
# Source this file from bash; the scripts beside it are the entry points.

LAB=/run/sdlab            # per-node state: sockets, exec-roots, logs, uts files
LAB_DATA=/var/lib/sdlab   # per-node data-roots
LAB_BR=sdlab0
LAB_NS=sdlab-
LAB_IMAGE=lab/busybox:1
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
# The daemon's own CLI (docker.io), not another docker earlier in PATH.
DOCKER_CLI=${DOCKER_CLI:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )}

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
	log "FAILED: $*"
	exit 1
}

node_ip() { echo "198.18.0.$((10 + $1))"; }
node_sock() { echo "unix://$LAB/node$1/docker.sock"; }
# d N ARGS...: docker CLI against node N, bounded in time.
d() {
	local n=$1
	shift
	timeout 60 "$DOCKER_CLI" -H "$(node_sock "$n")" "$@"
}
lab_nodes() { cat "$LAB/nodes" 2>/dev/null; }

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every second.
wait_until() {
	local t=$1 what=$2 i=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -ge "$t" ]; then
			log "timeout after ${t}s waiting for: $what"
			return 1
		fi
		sleep 1
	done
	log "ok after ${i}s: $what"
}

lab_check_host() {
	[ "$(id -u)" = 0 ] || fail "the lab needs root"
	local t
	for t in dockerd containerd runc ip iptables nsenter unshare busybox timeout flock; do
		command -v "$t" >/dev/null || fail "missing tool: $t (apt-get install -y docker.io ipvsadm iptables busybox-static)"
	done
	[ -n "$DOCKER_CLI" ] || fail "no docker CLI"
}

# A tiny image from the static busybox (no registry here).
lab_image_tar() {
	local tar=$LAB/busybox-image.tar root=$LAB/busybox-rootfs a
	[ -s "$tar" ] && return 0
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www"
	cp "$(command -v busybox)" "$root/bin/busybox"
	for a in sh httpd sleep nc ip cat nslookup ls echo ping hostname; do
		ln -s busybox "$root/bin/$a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	echo "hello from the swarmdiag lab" >"$root/www/index.html"
	tar -C "$root" -cf "$tar" .
}

lab_net_up() {
	local n ns
	ip link add "$LAB_BR" type bridge
	ip link set "$LAB_BR" up
	# Bridged frames must not go through the root namespace's iptables,
	# or gossip between nodes is dropped by its FORWARD chain.
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		cat /proc/sys/net/bridge/bridge-nf-call-iptables >"$LAB/saved-bridge-nf-call-iptables"
		echo 0 >/proc/sys/net/bridge/bridge-nf-call-iptables
	fi
	for n in $(lab_nodes); do
		ns=${LAB_NS}node$n
		ip netns add "$ns"
		ip link add "sdlab$n" type veth peer name eth0 netns "$ns"
		ip link set "sdlab$n" master "$LAB_BR" up
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$(node_ip "$n")/24" dev eth0
		ip -n "$ns" link set eth0 up
	done
}

# dockerd_start N: start node N's dockerd in its namespaces, wait for its API.
# LAB_DOCKERD_ARGS: extra dockerd flags (split on blanks); LAB_DAEMON_JSON:
# daemon.json content instead of the default (both for the canary scenario).
dockerd_start() {
	local n=$1 dir=$LAB/node$1
	log "starting dockerd on node$n"
	setsid nsenter --net="/run/netns/${LAB_NS}node$n" --uts="$dir/uts" -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
		dockerd --data-root "$LAB_DATA/node$n" --exec-root "$dir/exec" \
		--pidfile "$dir/dockerd.pid" -H "$(node_sock "$n")" \
		--config-file "$dir/daemon.json" ${LAB_DOCKERD_ARGS:-} \
		</dev/null >>"$dir/dockerd.log" 2>&1 &
	wait_until 60 "node$n dockerd API" d "$n" version || fail "node$n dockerd did not start; see $dir/dockerd.log"
}

# dockerd_stop N: SIGTERM node N's dockerd and wait until it has exited.
dockerd_stop() {
	local n=$1 pid i
	pid=$(cat "$LAB/node$n/dockerd.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	log "stopping dockerd on node$n (pid $pid)"
	kill -TERM "$pid"
	for i in $(seq 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
	log "dockerd pid $pid still alive after 60s, SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

lab_daemons_up() {
	local n dir
	lab_image_tar
	for n in $(lab_nodes); do
		dir=$LAB/node$n
		mkdir -p "$dir/exec" "$LAB_DATA/node$n"
		touch "$dir/uts"
		unshare --uts="$dir/uts" hostname "node$n"
		if [ -n "${LAB_DAEMON_JSON:-}" ]; then
			printf '%s\n' "$LAB_DAEMON_JSON" >"$dir/daemon.json"
		else
			cat >"$dir/daemon.json" <<-EOF
				{
				  "log-level": "info",
				  "labels": ["lab=swarmdiag"]
				}
			EOF
		fi
		dockerd_start "$n"
	done
	for n in $(lab_nodes); do
		d "$n" import -c 'CMD ["/bin/sh"]' "$LAB/busybox-image.tar" "$LAB_IMAGE" >/dev/null
	done
}

# lab_swarm MANAGERS: node1 inits, nodes 2..MANAGERS join as managers, the rest as workers.
lab_swarm() {
	local managers=$1 n tm tw
	d 1 swarm init --advertise-addr "$(node_ip 1)" >/dev/null
	tm=$(d 1 swarm join-token -q manager)
	tw=$(d 1 swarm join-token -q worker)
	for n in $(lab_nodes); do
		[ "$n" = 1 ] && continue
		if [ "$n" -le "$managers" ]; then
			d "$n" swarm join --token "$tm" --advertise-addr "$(node_ip "$n")" "$(node_ip 1):2377" >/dev/null
		else
			d "$n" swarm join --token "$tw" --advertise-addr "$(node_ip "$n")" "$(node_ip 1):2377" >/dev/null
		fi
	done
	wait_until 60 "all nodes Ready" nodes_ready "$(lab_nodes | wc -l)"
}
nodes_ready() {
	[ "$(d 1 node ls --format '{{.Status}}' | grep -c '^Ready$')" = "$1" ]
}

# lab_up NODES [NODES_STARTED_HOOK]: namespaces, daemons, image; no swarm yet.
lab_up() {
	local nodes=$1
	lab_check_host
	mkdir -p "$LAB"
	date +%s >"$LAB/started"
	seq 1 "$nodes" >"$LAB/nodes"
	lab_net_up
	lab_daemons_up
}

# Every service of the swarm at its desired replica count.
services_converged() {
	local line
	line=$(d 1 service ls --format '{{.Replicas}}') || return 1
	[ -n "$line" ] || return 1
	echo "$line" | awk -F'[/ ]' '$1 != $2 { bad = 1 } END { exit bad }'
}

# Which collector to run: the built binary's `collect` subcommand when it has
# one (SWARMDIAG_BIN), else the script itself.
collector_cmd() {
	if [ -n "${SWARMDIAG_BIN:-}" ] && "$SWARMDIAG_BIN" collect --help 2>&1 | grep -q -e --exec-root; then
		echo "$SWARMDIAG_BIN collect"
	else
		echo "sh $REPO_DIR/src/collector/collect.sh"
	fi
}

# collect_node N DEST_DIR [FORMAT]: run the collector on node N (inside its
# network and UTS namespaces, as on a real node) and unpack the bundle to
# DEST_DIR/nodeN. FORMAT is tar.gz (default) or zip (then the archive is kept
# beside the directory and unpacked by the caller).
collect_node() {
	local n=$1 dest=$2 fmt=${3:-tar.gz} dir=$LAB/node$1 tmp out t0 t1 top since wrap
	# Logs since this lab started (plus a margin), so that bundles hold this
	# scenario only; the kernel ring buffer is shared by all labs.
	since=${LAB_SINCE:-$(($(date +%s) - $(cat "$LAB/started") + 10))s}
	tmp=$(mktemp -d)
	out=$tmp/node$n.$fmt
	t0=$(date +%s%N)
	# LAB_COLLECT_WRAP: a command prefix for the collection (strace -f …);
	# "{node}" in it becomes nodeN.
	wrap=${LAB_COLLECT_WRAP:-}
	wrap=${wrap//\{node\}/node$n}
	# shellcheck disable=SC2046,SC2086
	$wrap nsenter --net="/run/netns/${LAB_NS}node$n" --uts="$dir/uts" -- \
		$(collector_cmd) --docker "$DOCKER_CLI -H $(node_sock "$n")" \
		--exec-root "$dir/exec" --daemon-log "$dir/dockerd.log" --since "$since" \
		--out "$out" >"$tmp/stdout" 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		fail "collector failed on node$n"
	}
	t1=$(date +%s%N)
	mkdir -p "$dest"
	rm -rf "${dest:?}/node$n"
	if [ "$fmt" = zip ]; then
		cp "$out" "$dest/node$n.zip"
	else
		mkdir "$tmp/x"
		tar -xzf "$out" -C "$tmp/x"
		top=$(ls "$tmp/x")
		[ "$(echo "$top" | wc -l)" = 1 ] || fail "bundle of node$n has several top directories: $top"
		case $top in swarmdiag-node$n-*) ;; *) fail "bundle of node$n: unexpected top directory $top" ;; esac
		mv "$tmp/x/$top" "$dest/node$n"
		chmod -R u+rwX,go+rX "$dest/node$n"
	fi
	log "collected node$n in $(((t1 - t0) / 1000000)) ms, archive $(wc -c <"$out") bytes -> $dest/node$n"
	echo "node$n $(((t1 - t0) / 1000000)) $(wc -c <"$out")" >>"$dest/.timings"
	rm -rf "$tmp"
}

collect_all() {
	local dest=$1 n
	for n in $(lab_nodes); do collect_node "$n" "$dest"; done
}

# Kill what is left of processes we started (dockerd, containerd, shims):
# those whose command line names a lab path. Only by pid.
kill_lab_leftovers() {
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case $cmd in
		*"$LAB/"* | *"$LAB_DATA/"*) kill -KILL "${p#/proc/}" 2>/dev/null && log "killed leftover ${p#/proc/}: ${cmd:0:80}" ;;
		esac
	done
}

# Teardown in the order that works (LAB-NOTES): services, swarm leave, dockerd
# SIGTERM and wait, unmount, namespaces, bridge. Safe to run at any point.
lab_down() {
	local n m pids
	if [ -f "$LAB/nodes" ]; then
		for n in $(lab_nodes); do
			if [ -S "$LAB/node$n/docker.sock" ] && d "$n" info >/dev/null 2>&1; then
				d "$n" service ls -q 2>/dev/null | xargs -r timeout 30 "$DOCKER_CLI" -H "$(node_sock "$n")" service rm >/dev/null 2>&1 || true
			fi
		done
		# In parallel; wait only for these jobs (the dockerds are jobs too).
		pids=()
		for n in $(lab_nodes); do
			if [ -S "$LAB/node$n/docker.sock" ]; then
				timeout 30 "$DOCKER_CLI" -H "$(node_sock "$n")" swarm leave --force >/dev/null 2>&1 &
				pids+=($!)
			fi
		done
		[ ${#pids[@]} = 0 ] || wait "${pids[@]}" || true
		pids=()
		for n in $(lab_nodes); do
			dockerd_stop "$n" &
			pids+=($!)
		done
		[ ${#pids[@]} = 0 ] || wait "${pids[@]}" || true
	fi
	kill_lab_leftovers
	# Lazily unmount everything under the lab paths, deepest first.
	for m in $(awk -v a="$LAB" -v b="$LAB_DATA" '$2 ~ "^" a "/" || $2 ~ "^" b "/" { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_NS}" || true); do
		ip netns del "$n" 2>/dev/null || true
	done
	ip link del "$LAB_BR" 2>/dev/null || true
	if [ -s "$LAB/saved-bridge-nf-call-iptables" ]; then
		cat "$LAB/saved-bridge-nf-call-iptables" >/proc/sys/net/bridge/bridge-nf-call-iptables
	fi
	rm -rf "$LAB" "$LAB_DATA"
}

# The app most scenarios run: overlay appnet, `web` (3 replicas, httpd,
# published on 8080) and `db` (1 replica) holding a secret and a PASSWORD env.
# The string hunter2 must never reach a bundle.
deploy_app() {
	d 1 network create -d overlay appnet >/dev/null
	printf 's3cr3t-hunter2' | d 1 secret create labsecret - >/dev/null
	d 1 service create -d --name web --replicas 3 --network appnet --publish 8080:80 \
		--stop-grace-period 1s --no-resolve-image "$LAB_IMAGE" httpd -f -p 80 -h /www >/dev/null
	d 1 service create -d --name db --replicas 1 --network appnet --env PASSWORD=hunter2 \
		--secret labsecret --stop-grace-period 1s --no-resolve-image "$LAB_IMAGE" sleep 3600 >/dev/null
	wait_until 90 "services converged" services_converged || fail "services did not converge"
}

# web_task N: id and appnet address of a web container on node N.
web_task() {
	local id
	id=$(d "$1" ps -q --filter label=com.docker.swarm.service.name=web | head -n 1)
	[ -n "$id" ] || return 1
	echo "$id $(d "$1" inspect --format '{{(index .NetworkSettings.Networks "appnet").IPAddress}}' "$id")"
}

# From a web task on node1: GET a web task on another node over the overlay
# (must work: VXLAN is in the kernel), then the service VIP (times out here:
# no IPVS). Results go to the log and $LAB/traffic.txt.
check_overlay_traffic() {
	local src dst n reply
	src=$(web_task 1) || {
		log "no web task on node1; traffic check skipped"
		return 0
	}
	for n in 3 2; do dst=$(web_task "$n") && break; done
	[ -n "${dst:-}" ] || return 0
	reply=$(d 1 exec "${src%% *}" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 ${dst#* } 80" 2>&1 || true)
	case $reply in
	*"hello from the swarmdiag lab"*) log "task-to-task over the overlay: node1 -> node$n (${dst#* }) OK" ;;
	*) fail "task-to-task over the overlay failed: node1 -> node$n (${dst#* }): $reply" ;;
	esac
	reply=$(d 1 exec "${src%% *}" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 web 80" 2>&1 || true)
	case $reply in
	*"hello from the swarmdiag lab"*) log "service VIP web:80 answered" ;;
	*) log "service VIP web:80 did not answer (expected without IPVS): ${reply:-no reply}" ;;
	esac
}
