#!/usr/bin/env bash
# Speed benchmark of `swarmdiag analyze` against ripgrep on the same logs and
# patterns, zipped against `unzip -p | rg`, 1 core against all, 1x against
# 2x data, peak RSS, and big clusters (100,000 services/tasks/namespaces;
# 40,000 node roots; with --big, 30 nodes and ~3 GB of logs). Data is built
# deterministically from testdata/lab; it prints ratios against the targets of
# issue 13. Not run by CI. Needs python3, rg, unzip, taskset and GNU time.
# Usage: benches/bench.sh [--lines N] [--scenario NAME] [--rounds R]
#                         [--log-rounds R] [--scale N] [--roots N] [--big] [--keep]
# (benches/bench.py --help explains each option.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
exec python3 benches/bench.py "$@"
