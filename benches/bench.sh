#!/usr/bin/env bash
# Measures analyze's speed and peak memory on a large synthetic cluster:
# the exhausted-27 seed bundles with each node's dockerd.log grown to
# LINES lines (default 2,000,000 per node, ~600 MB per node) by repeating its
# own lines, read as a directory and as a tar.gz.
# Usage: benches/bench.sh [LINES]    (needs python3 and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-2000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q
cp -r testdata/bundles/exhausted-27 "$work/cluster"
for log in "$work"/cluster/*/logs/dockerd.log; do
	python3 - "$log" "$lines" <<'PY'
import sys
path, want = sys.argv[1], int(sys.argv[2])
seed = open(path, encoding="utf-8").read().splitlines(keepends=True)
with open(path, "w", encoding="utf-8") as out:
    n = 0
    while n < want:
        for line in seed:
            out.write(line)
            n += 1
            if n >= want:
                break
PY
done
tar -C "$work" -czf "$work/cluster.tar.gz" cluster
du -sh "$work/cluster" "$work/cluster.tar.gz"
total=$(cat "$work"/cluster/*/logs/dockerd.log | wc -l)
echo "log lines in total: $total"

run() {
	local label=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f "%M" -o "$work/rss" target/release/swarmdiag analyze "$@" --format json >"$work/out.json" || [ $? -eq 1 ]
	t1=$(date +%s.%N)
	local secs rss
	secs=$(echo "$t1 - $t0" | bc)
	rss=$(tail -n 1 "$work/rss")
	printf '%-8s %6.2f s  %8.0f lines/s  peak RSS %s MiB\n' "$label" "$secs" "$(echo "$total / $secs" | bc)" "$((rss / 1024))"
}
run dir "$work/cluster"
run tar.gz "$work/cluster.tar.gz"
