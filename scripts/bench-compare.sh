#!/usr/bin/env bash
# Our daemon against Spark 3.5.6's JVM external shuffle service, same workloads, same client,
# alternating order; then 3 workloads with Spark's own client against both; then plots.
# 5 to 9 minutes with the defaults (2 rounds x 7 workloads x 2 services x (1 s warm-up +
# 6 s), start-ups, sendfile ceiling, the Spark-client runs, writing ~1.5 GB of shuffle files
# under target/bench-data the first time). Not part of scripts/test.sh.
#
#   scripts/bench-compare.sh                  # full run, results in docs/benchmarks/
#   scripts/bench-compare.sh --quick          # tiny shapes, ~1 min: checks the machinery
#   scripts/bench-compare.sh --out-dir /tmp/b --rounds 3 --duration 10
#
# Extra arguments go to `shuffle-load compare` (see `shuffle-load compare --help`).
# Needs Java 17 and the pyspark 3.5.6 jars (scripts/setup.sh installs both); plotting needs
# matplotlib in .venv (installed here if missing) and is skipped if that fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

out_dir=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --out-dir) out_dir=${args[$((i + 1))]:-} ;;
    --out-dir=*) out_dir=${args[$i]#--out-dir=} ;;
  esac
done
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
