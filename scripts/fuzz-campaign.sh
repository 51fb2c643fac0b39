#!/usr/bin/env bash
# The long fuzz campaign (not part of CI, which runs scripts/fuzz.sh for 20 s a target): every
# target for RUNS inputs or at most SECONDS, whichever comes first, then its corpus minimized
# with `cargo fuzz cmin`. One summary line per target goes to stdout and to
# LOG_DIR/summary.txt:
#
#   target=frame runs=10000000 execs_per_sec=41234 seconds=243 exit=0 crashes=0
#     corpus_files=63 corpus_start=36 corpus_end=274 corpus_minimized=246 load=3.10
#
#   scripts/fuzz-campaign.sh [RUNS] [SECONDS_PER_TARGET] [SANITIZER] [TARGET...]
#   (defaults: 10000000 3600 none, every target; FUZZ_LOG_DIR defaults to fuzz/logs)
#
# `corpus_files` counts the files before the run, `corpus_start` what libFuzzer kept of them
# (`INITED corp:`), `corpus_end` its corpus when it stopped (`DONE corp:`), `corpus_minimized`
# the files cmin left; `load` is the 1-minute load average when the run ended. While a run is
# going, the last `#N ... exec/s:` line of LOG_DIR/<target>.log is how far it got.
#
# Seeds and builds through scripts/fuzz.sh (1 s a target, same sanitizer), so the corpora
# start from the same golden vectors. SANITIZER none trades the address sanitizer's checks
# for about three times the inputs per second; the targets are safe Rust, where a sanitizer
# finds little that the debug assertions and overflow checks cargo-fuzz enables do not.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-10000000}
secs=${2:-3600}
sanitizer=${3:-none}
targets=(frame message sasl auth_engine cipher index mesos_event)
if [ $# -gt 3 ]; then
  targets=("${@:4}")
fi
logs=${FUZZ_LOG_DIR:-$repo/fuzz/logs}
mkdir -p "$logs"

FUZZ_SANITIZER=$sanitizer bash "$repo/scripts/fuzz.sh" 1 >&2
cd "$repo/fuzz"
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  files=$(find "corpus/$target" -type f | wc -l)
  log="$logs/$target.log"
  status=0
  cargo fuzz run --sanitizer "$sanitizer" "$target" -- -runs="$runs" -max_total_time="$secs" \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  load=$(cut -d' ' -f1 /proc/loadavg)
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  took=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  start=$(sed -n 's/.*INITED .* corp: \([0-9]*\)\/.*/\1/p' "$log" | head -1)
  end=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$log" | tail -1)
  crashes=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
  cargo fuzz cmin --sanitizer "$sanitizer" "$target" >"$logs/$target-cmin.log" 2>&1 || true
  after=$(find "corpus/$target" -type f | wc -l)
  echo "target=$target runs=${done_runs:-?} execs_per_sec=${rate:-?} seconds=${took:-?}" \
    "exit=$status crashes=$crashes corpus_files=$files corpus_start=${start:-?}" \
    "corpus_end=${end:-?} corpus_minimized=$after load=$load" | tee -a "$logs/summary.txt"
done
