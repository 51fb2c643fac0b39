#!/usr/bin/env bash
# Runs every check: setup (idempotent), build of all targets, all tests, a short fuzz pass.
# Exits non-zero on the first failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

echo "== scripts/setup.sh"
scripts/setup.sh

echo "== cargo build --workspace --all-targets"
cargo build --workspace --all-targets --quiet

echo "== cargo test --workspace"
cargo test --workspace

if [ -f scripts/fuzz.sh ]; then
  echo "== scripts/fuzz.sh 20"
  bash scripts/fuzz.sh 20
fi

echo "== scripts/test.sh: all passed"
