#!/bin/bash
# usage: tests/lab/run.sh OUTDIR [SCENARIO...]
#
# Runs lab scenarios one after the other (default: all), each on a fresh lab,
# and writes the unpacked node bundles to OUTDIR/<scenario>/<node>/. Holds
# /run/sdlab.lock so two labs never run at once; tears the lab down on exit.
# SWARMDIAG_BIN: a built swarmdiag; its `collect` subcommand is used when present.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ALL_SCENARIOS="healthy exhausted gossip-blocked drained daemon-restart mtu-mismatch"

out=${1:?usage: run.sh OUTDIR [SCENARIO...]}
shift
scenarios=${*:-$ALL_SCENARIOS}
mkdir -p "$out"
out=$(cd "$out" && pwd)

lab_check_host
exec 9>/run/sdlab.lock
flock -w 1200 9 || fail "another lab holds /run/sdlab.lock"
trap 'lab_down' EXIT
log "collector: $(collector_cmd)"
for s in $scenarios; do
	[ -f "$LAB_DIR/scenarios/$s.sh" ] || fail "no scenario $s"
	# shellcheck source=/dev/null
	source "$LAB_DIR/scenarios/$s.sh"
	lab_down
	t0=$(date +%s%N)
	log "=== scenario $s"
	"scenario_${s//-/_}" "$out"
	t1=$(date +%s%N)
	lab_down
	t2=$(date +%s%N)
	log "=== scenario $s: $(((t1 - t0) / 1000000)) ms, teardown $(((t2 - t1) / 1000000)) ms"
	echo "$s $(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000))" >>"$out/.timings"
done
