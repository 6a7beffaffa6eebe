#!/usr/bin/env bash
# Checks that two swarmdiag binaries give the same bytes on every testdata
# bundle: analyze (json, table, markdown), timeline, and diff of the lab's
# before/after pairs. For speed work: build the old binary first, keep a copy.
# Usage: benches/same-output.sh OLD_BINARY NEW_BINARY [EXTRA_INPUT...]
# Prints each difference and exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
old=$1
new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

inputs=()
for d in testdata/bundles/*/ testdata/lab/*/; do
	inputs+=("${d%/}")
done
# Sosreports: each node's archive, and each set as a whole.
for d in testdata/sos/*/; do
	inputs+=("${d%/}")
	for f in "$d"*.tar.xz; do
		[ -e "$f" ] && inputs+=("$f")
	done
done
inputs+=("$@")

differ=0
same=0
compare() {
	local name=$1
	shift
	"$old" "$@" >"$work/old" 2>&1
	echo "exit $?" >>"$work/old"
	"$new" "$@" >"$work/new" 2>&1
	echo "exit $?" >>"$work/new"
	if cmp -s "$work/old" "$work/new"; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		echo "DIFFERS: $name"
		diff "$work/old" "$work/new" | head -20
	fi
}

for input in "${inputs[@]}"; do
	for format in json table markdown; do
		compare "analyze --format $format $input" analyze --format "$format" "$input"
	done
	compare "timeline $input" timeline "$input"
done
for pair in drained gossip-blocked; do
	compare "diff $pair" diff "testdata/lab/$pair-before" "testdata/lab/$pair"
done
compare "diff daemon-down daemon-restart" diff testdata/lab/daemon-down testdata/lab/daemon-restart
for t in 1 2; do
	for input in testdata/lab/exhausted testdata/bundles/exhausted-27; do
		RAYON_NUM_THREADS=$t compare "RAYON_NUM_THREADS=$t analyze $input" analyze --format json "$input"
	done
done
echo "$same identical, $differ different"
[ "$differ" -eq 0 ]
