#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and fails on the first crash.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
#
# Installs cargo-fuzz if missing. Works on a stable toolchain: cargo-fuzz passes nightly-only
# flags (-Z sanitizer, sancov passes), which RUSTC_BOOTSTRAP=1 unlocks. The address sanitizer
# is tried first and dropped if this toolchain cannot build with it. The corpus
# (fuzz/corpus, git-ignored) is seeded with the committed Spark golden vectors each run;
# crashes land in fuzz/artifacts/<target>/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo/fuzz"

secs=${1:-20}
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
  echo "fuzz: seconds per target must be a positive integer, got '$secs'" >&2
  exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1

targets=(frame message)

# Seeds: every golden vector as wire bytes (frame target, after its two control bytes) and as
# an RPC body / frame payload (message target, whose first byte is the type).
fixture="$repo/protocol/tests/fixtures/spark-3.5.6-vectors.txt"
mkdir -p corpus/frame corpus/message
while read -r name hex; do
  case $name in '' | '#'*) continue ;; esac
  bytes=$(sed 's/../\\x&/g' <<<"$hex")
  printf '\x00\x00%b' "$bytes" >"corpus/frame/seed-$name"
  printf '%b' "$bytes" >"corpus/message/seed-$name"
  # A transport vector without its length prefix is `type | payload`.
  printf '%b' "$(sed 's/../\\x&/g' <<<"${hex:16}")" >"corpus/message/seed-$name-payload"
done <"$fixture"

# `cargo fuzz build` fails fast when the sanitizer runtime is unusable here; fall back to none.
mkdir -p target
sanitizer=address
if ! cargo fuzz build --sanitizer "$sanitizer" >target/asan-build.log 2>&1; then
  echo "fuzz: address sanitizer build failed (fuzz/target/asan-build.log); using --sanitizer none"
  sanitizer=none
  cargo fuzz build --sanitizer none
fi

for target in "${targets[@]}"; do
  echo "== fuzz $target for ${secs}s (sanitizer: $sanitizer)"
  cargo fuzz run --sanitizer "$sanitizer" "$target" -- -max_total_time="$secs" -print_final_stats=1
done
echo "fuzz: no crashes"
