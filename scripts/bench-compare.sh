#!/usr/bin/env bash
# Our daemon against Spark 3.5.6's JVM external shuffle service, same workloads, same client,
# alternating order; then 3 workloads with Spark's own client against both; then the layout
# sweep, the headline: Spark's own client at its defaults (one connection per executor,
# 32 requests of 100 blocks in flight) on hosts holding 10, 500, 5,000 and 50,000 map
# outputs, 4 KiB and 2 MiB blocks, warm and (as root) cold page cache; then plots
# (layouts.png: blocks/s and server CPU/GB against map outputs).
# 20 to 30 minutes with the defaults: 5 to 9 for the workloads (2 rounds x 7 workloads x 2
# services x (1 s warm-up + 6 s), start-ups, sendfile ceiling, the Spark-client runs), about
# 7 for the layout sweep (7 layouts, each with fresh services, 2 s warm-up + 6 s per
# service, the 4 KiB ones once per round; 4 cold runs, each on a fresh service), and the
# first time ~15 GB of shuffle files written under target/bench-data (the 2 MiB layout of 5,000 map outputs is 10.5 GB; 50,000 would be
# 105 GB and is skipped, see --max-layout-gb). Not part of scripts/test.sh.
#
#   scripts/bench-compare.sh                  # full run, results in docs/benchmarks/
#   scripts/bench-compare.sh --quick          # tiny shapes, ~2 min: checks the machinery
#   scripts/bench-compare.sh --out-dir /tmp/b --rounds 3 --duration 10
#   scripts/bench-compare.sh --layouts 10,5000 --no-cold
#
# Extra arguments go to `shuffle-load compare` (see `shuffle-load compare --help`).
# Needs Java 17 and the pyspark 3.5.6 jars (scripts/setup.sh installs both); plotting needs
# matplotlib in .venv (installed here if missing) and is skipped if that fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

out_dir=
cold=1
args=()
for arg in "$@"; do
  case "$arg" in
    --no-cold) cold= ;;
    *) args+=("$arg") ;;
  esac
done
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --out-dir) out_dir=${args[$((i + 1))]:-} ;;
    --out-dir=*) out_dir=${args[$i]#--out-dir=} ;;
  esac
done
set -- "${args[@]}"
# A cold page cache needs /proc/sys/vm/drop_caches, which only root may write.
if [ -n "$cold" ]; then
  if [ -w /proc/sys/vm/drop_caches ]; then
    set -- --cold "$@"
  else
    echo "bench-compare: /proc/sys/vm/drop_caches is not writable: no cold-cache runs" >&2
  fi
fi
if [ -z "$out_dir" ]; then
  out_dir=docs/benchmarks
  set -- --out-dir "$out_dir" "$@"
fi

cargo build --release -q -p shuffle-server --bin shuffle-server
cargo build --release -q -p shuffle-benches --bin shuffle-load --bin sendfile-loop

echo "load before: $(cat /proc/loadavg)" >&2
target/release/shuffle-load compare "$@"

python=.venv/bin/python
if [ -x "$python" ] && ! "$python" -c 'import matplotlib' 2>/dev/null; then
  "$python" -m pip install --quiet --disable-pip-version-check matplotlib || true
fi
if [ -x "$python" ] && "$python" -c 'import matplotlib' 2>/dev/null; then
  "$python" scripts/bench-plot.py "$out_dir/results.json" "$out_dir"
else
  echo "bench-compare: no matplotlib in .venv; skipping plots" >&2
fi
