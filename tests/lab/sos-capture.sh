#!/bin/bash
# usage: tests/lab/sos-capture.sh SOS_TREE OUTDIR [SCENARIO...]
#
# Runs lab scenarios (default: exhausted gossip-blocked mtu-mismatch drained
# daemon-restart) and, where a scenario collects its nodes, runs sos (from an
# upstream source tree at SOS_TREE: `bin/sos`) on each node instead of
# swarmdiag's collector, as a customer's support engineer would. Writes
# OUTDIR/<scenario>/sosreport-<node>-….tar.xz. Used to make testdata/sos/.
#
# sos runs inside the node's network and UTS namespaces with DOCKER_HOST at
# the node's daemon: `sos report --batch -o docker,networking,kernel`.
# Only the collections named in WANT are kept (not the `-before` ones, nor
# daemon-restart's second). The lab has no journald, so sos's docker journal
# file is empty: `sos-journal.py` puts the node's real daemon log there in
# journalctl's default short format. Holds /run/sdlab.lock.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sos_tree=$(cd "${1:?usage: sos-capture.sh SOS_TREE OUTDIR [SCENARIO...]}" && pwd)
out=${2:?usage: sos-capture.sh SOS_TREE OUTDIR [SCENARIO...]}
shift 2
scenarios=${*:-exhausted gossip-blocked mtu-mismatch drained daemon-restart}
WANT=" healthy exhausted gossip-blocked mtu-mismatch drained daemon-down "
mkdir -p "$out"
out=$(cd "$out" && pwd)

# sos_node N DEST: one sosreport of node N into DEST.
sos_node() {
	local n=$1 dest=$2 tmp f host
	tmp=$(mktemp -d)
	host=node$n
	# sos must make no network call: the node's namespace has no route out.
	nsenter --net="/run/netns/${LAB_NS}node$n" --uts="$LAB/node$n/uts" -- \
		env DOCKER_HOST="$(node_sock "$n")" PYTHONPATH="$sos_tree" PATH="$(dirname "$DOCKER_CLI"):$PATH" \
		timeout 600 python3 "$sos_tree/bin/sos" report --batch \
		-o docker,networking,kernel \
		--skip-files '/proc/kallsyms' --skip-files '/sys/module/*' \
		--skip-files '/sys/devices/*' --skip-files '/proc/[0-9]*/net/*' \
		--skip-commands 'modinfo*' --skip-commands 'ethtool -S*' \
		--skip-commands 'ip netns exec*' -k networking.ethtool-namespaces=off \
		--tmp-dir "$tmp" >"$tmp/stdout" 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		fail "sos failed on node$n"
	}
	f=$(ls "$tmp"/sosreport-*.tar.xz)
	mkdir -p "$dest"
	python3 "$LAB_DIR/sos-journal.py" "$f" "$LAB/node$n/dockerd.log" "$host" \
		"$dest/$(basename "$f")"
	log "sos on node$n: $(wc -c <"$dest/$(basename "$f")") bytes -> $dest"
	rm -rf "$tmp"
}

# Scenarios call collect_all DEST: sos instead of the collector.
collect_all() {
	local dest=$1 n
	case $WANT in *" $(basename "$dest") "*) ;; *) return 0 ;; esac
	for n in $(lab_nodes); do
		# A stopped daemon's node still gets its sosreport (docker commands fail).
		sos_node "$n" "$dest"
	done
}

lab_check_host
exec 9>/run/sdlab.lock
flock -w 1200 9 || fail "another lab holds /run/sdlab.lock"
trap 'lab_down' EXIT
for s in $scenarios; do
	# shellcheck source=/dev/null
	source "$LAB_DIR/scenarios/$s.sh"
	lab_down
	log "=== scenario $s (sos)"
	"scenario_${s//-/_}" "$out"
	lab_down
done
