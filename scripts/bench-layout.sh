#!/usr/bin/env bash
# One layout-sweep run against our daemon alone: Spark 3.5.6's own client (SparkLoad, one
# connection, 32 requests of 100 blocks of 4 KiB in flight) on a layout that
# scripts/bench-compare.sh wrote under target/bench-data; prints blocks/s and the daemon's
# CPU-s/GB (utime + stime from /proc over the measured phase). For before/after comparisons
# of the daemon without the JVM service; not part of scripts/test.sh.
#
#   scripts/bench-layout.sh SERVER_BIN MAPS [WARMUP_S] [DURATION_S]
#   PERF=/tmp/p.data scripts/bench-layout.sh target/release/shuffle-server 50000 20 6
#   COLD=1 scripts/bench-layout.sh target/release/shuffle-server 50000 0 6   # as root
#
# Env: DATA (default target/bench-data; needs layout-MAPS-4k and spark-load/ from a
# bench-compare run), JARS (default .venv's pyspark/jars), PERF=FILE (perf record -g of the
# measured phase), FREQ (its sampling rate, default 999), STAT=EVENTS (perf stat of it),
# COLD=1 (sync and drop the page cache before the run; root only).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$1; maps=$2; warm=${3:-2}; dur=${4:-6}
data=${DATA:-$repo/target/bench-data}
jars=${JARS:-$(ls -d "$repo"/.venv/lib/python3*/site-packages/pyspark/jars | head -1)}
reduces=$((100000 / maps))
port=$((7400 + RANDOM % 400))
state=$(mktemp -d)
"$bin" --host 127.0.0.1 --port "$port" --state-dir "$state" >"$state/log" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
if [ -n "${COLD:-}" ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
cpu() { awk '{print $14 + $15}' "/proc/$spid/stat"; }
java -cp "$jars/*:$data/spark-load" SparkLoad 127.0.0.1 "$port" app-bench "exec-$maps" \
  "$data/layout-$maps-4k/blockmgr-bench" "$maps" "$reduces" 4096 blocks 100 1 32 "$warm" "$dur" 1 \
  2>/dev/null |
while read -r line; do
  case "$line" in
    WARM)
      c0=$(cpu)
      if [ -n "${PERF:-}" ]; then
        perf record -F "${FREQ:-999}" -g -p "$spid" -o "$PERF" -- sleep "$((dur - 1))" >/dev/null 2>&1 &
      fi
      if [ -n "${STAT:-}" ]; then
        perf stat -e "$STAT" -p "$spid" -o "$state/stat" -- sleep "$((dur - 1))" >/dev/null 2>&1 &
      fi
      ;;
    DONE*)
      c1=$(cpu)
      python3 - "$c0" "$c1" "${line#DONE }" "$maps" "$(getconf CLK_TCK)" <<'PY'
import json, sys
c0, c1, j, maps, hz = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], float(sys.argv[5])
cpu = (c1 - c0) / hz
print(f"maps {maps}: {j['blocks'] / j['seconds']:.0f} blocks/s, server cpu {cpu:.2f} s, "
      f"{cpu / (j['bytes'] / 1e9):.3f} CPU-s/GB, {cpu / j['blocks'] * 1e6:.1f} us/block, "
      f"errors {j['errors']}")
PY
      sleep 1.2
      if [ -n "${STAT:-}" ]; then grep -E '^ +[0-9]' "$state/stat" || true; fi
      ;;
  esac
done
