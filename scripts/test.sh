#!/usr/bin/env bash
# Runs every check: setup (idempotent), build of all targets, all tests, a short fuzz pass.
# Exits non-zero on the first failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# A one-shot run gains nothing from incremental caches, which would be a third of target/.
export CARGO_INCREMENTAL=0

# A clean run writes about 3 GB (target/, fuzz/target/, .venv, .venv-spark4); say so before a
# linker fails on a full disk with a bus error.
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
echo "== $((free_kib / 1024 / 1024)) GiB free on this disk; a clean run needs about 3.5"
if [ "$free_kib" -lt $((7 * 512 * 1024)) ]; then
  echo "test: warning: under 3.5 GiB free; the build may fail for lack of space" >&2
fi

echo "== scripts/setup.sh"
scripts/setup.sh

echo "== scripts/build-jvm.sh"
scripts/build-jvm.sh

echo "== cargo build --workspace --all-targets"
cargo build --workspace --all-targets --quiet

echo "== cargo test --workspace"
cargo test --workspace

if [ -f scripts/fuzz.sh ]; then
  echo "== scripts/fuzz.sh 20"
  bash scripts/fuzz.sh 20
fi

echo "== scripts/test.sh: all passed"
