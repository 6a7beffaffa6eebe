#!/usr/bin/env bash
# Measures analyze (and its verdict) on a swarm with many rejected tasks:
# the exhausted-27 seed bundles with TASKS more rejected tasks ("node is
# missing network attachments") added to every manager's tasks.json, each a
# copy of a real rejected task with a new id. The verdict links findings
# through indexes, so its share of the time stays small however many tasks.
# Usage: benches/verdict_tasks.sh [TASKS]   (default 40000; needs python3)
#        BIN=target/debug/swarmdiag benches/verdict_tasks.sh  to skip the release build
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-40000}
bin=${BIN:-target/release/swarmdiag}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -n "${BIN:-}" ] || cargo build --release -q
cp -r testdata/bundles/exhausted-27 "$work/cluster"
for f in "$work"/cluster/*/swarm/tasks.json; do
	python3 - "$f" "$tasks" <<'PY'
import json, sys, hashlib
path, n = sys.argv[1], int(sys.argv[2])
tasks = json.load(open(path))
seed = next(t for t in tasks if t["Status"]["State"] == "rejected")
alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
for i in range(n):
    t = json.loads(json.dumps(seed))
    h = int(hashlib.sha256(f"bench-{i}".encode()).hexdigest(), 16)
    t["ID"] = "".join(alphabet[(h >> (5 * k)) % 36] for k in range(25))
    tasks.append(t)
json.dump(tasks, open(path, "w"), indent=1)
PY
done
du -sh "$work"/cluster/tk1706-ubuntu-2/swarm/tasks.json
t0=$(date +%s.%N)
"$bin" analyze "$work/cluster" --format json >"$work/out.json" || [ $? -eq 1 ]
t1=$(date +%s.%N)
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("tasks in the model:", r["cluster"]["tasks"])
for c in r["root_causes"]:
    print("root cause:", c["id"], "explains", ", ".join(c["explains"]), "breadth", c["breadth"])
PY
echo "analyze: $(echo "$t1 - $t0" | bc) s"
