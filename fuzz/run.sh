#!/bin/sh
# Runs every fuzz target for SECONDS each (default 60), on the stable
# toolchain: libFuzzer (from the libfuzzer-sys crate) with the compiler's
# SanitizerCoverage passes, which are stable `-C` flags, so neither nightly
# nor cargo-fuzz is needed. Corpora grow in fuzz/corpus/<target>/ (seeded from
# testdata on the first run); crashes land in fuzz/artifacts/<target>/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")"
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"archive json_inspect log_line command_output manifest rules model redact"}

export RUSTFLAGS="${RUSTFLAGS:-} -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros.
triple=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --quiet --target "$triple"
bin="$CARGO_TARGET_DIR/$triple/release"

seed() { # target dir: copy a few real inputs as the first corpus
  t=$1; d=$2
  [ -n "$(ls -A "$d" 2>/dev/null)" ] && return 0
  mkdir -p "$d"
  td=../testdata
  case $t in
    archive) (cd "$td/bundles/partial-logs-only/.." && tar czf "$OLDPWD/$d/seed.tar.gz" partial-logs-only) ;;
    json_inspect)
      i=0; for f in "$td"/lab/healthy/node1/swarm/*.json "$td"/lab/healthy/node1/docker/*.json; do
        [ -f "$f" ] || continue; i=$((i+1)); { printf '\001'; head -c 20000 "$f"; } > "$d/s$i"; done ;;
    log_line) for f in "$td"/lab/healthy/node1/logs/*.log; do head -n 50 "$f" > "$d/$(basename "$f")"; done ;;
    command_output)
      i=0; for f in "$td"/lab/healthy/node1/host/*.txt "$td"/lab/healthy/node1/netns/*/*.txt; do
        [ -f "$f" ] || continue; i=$((i+1)); { printf "\\$(printf %o $((i % 11)))"; head -c 20000 "$f"; } > "$d/s$i"; done ;;
    manifest) cp "$td/lab/healthy/node1/manifest.json" "$d/" ;;
    rules) cp ../rules/*.toml "$d/" ;;
    redact) head -c 20000 "$td/lab/healthy/node1/host/ip-addr.txt" > "$d/ip"; head -n 30 "$td/lab/healthy/node1/logs/dockerd.log" > "$d/log" ;;
    *) printf 'x' > "$d/empty" ;;
  esac
}

status=0
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  seed "$t" "corpus/$t"
  echo "== $t ($secs s)"
  if ! "$bin/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=4096 \
      -timeout=20 -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus/$t" \
      > "artifacts/$t/last-run.log" 2>&1; then
    echo "   CRASH: see fuzz/artifacts/$t/ and last-run.log"; status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "artifacts/$t/last-run.log" | tr '\n' ' '; echo
done
exit $status
