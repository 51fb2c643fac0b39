#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and fails on the first crash:
# frames, every message, the SASL and AuthEngine handshakes, the transport decryptor,
# `.index` files and the mesos crate's SUBSCRIBE stream.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
#
# Installs cargo-fuzz if missing. Works on a stable toolchain: cargo-fuzz passes nightly-only
# flags (-Z sanitizer, sancov passes), which RUSTC_BOOTSTRAP=1 unlocks. The address sanitizer
# is tried first and dropped if this toolchain cannot build with it (FUZZ_SANITIZER forces
# one). The corpus (fuzz/corpus, git-ignored) is seeded with the committed Spark and Mesos
# golden vectors each run; crashes land in fuzz/artifacts/<target>/.
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

targets=(frame message sasl auth_engine cipher index mesos_event)

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

# Seeds for the other targets: each input starts with the mode byte its target documents.
mkdir -p corpus/sasl corpus/auth_engine corpus/cipher corpus/index
response='charset=utf-8,username="c3BhcmtTYXNsVXNlcg==",realm="default",nonce="1WiXFIsJognCAN+nJB13z4xXtbm2rHOOomUK8SmN",nc=00000001,cnonce="FcyqDPzl3xjl1G0XqRe5Ml3VZZdUuXo2fjDYyaos",digest-uri="null/default",maxbuf=65536,response=0c85fa9cb5413dbcca5fa9d78dd2a718,qop=auth'
printf '\x00%s' "$response" >corpus/sasl/seed-spark-response
printf '\x01\x00\x00\x10\x41FcyqDPzl3xjl1G0X' >corpus/sasl/seed-client
printf '\x02realm="default",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess' \
  >corpus/sasl/seed-challenge
printf '\x02\x00\x00\x00app-1' >corpus/auth_engine/seed-client-v1
printf '\x02\x01\x00\x00app-1' >corpus/auth_engine/seed-client-v2
printf '\x04\x07\x00\x10abcdefghijklmnop\x00\x03xyz' >corpus/cipher/seed-ctr
printf '\x05\x07\x00\x10abcdefghijklmnop\x00\x03xyz' >corpus/cipher/seed-gcm
# Long GCM messages: exactly two segments (an empty last one is due), one segment less 20
# bytes (Spark misdeclares its length), and one segment plus 5 with a byte flipped past it.
printf '\x05\x07\xf8\x00a' >corpus/cipher/seed-gcm-two-segments
printf '\x05\x07\xf7\xecb\x00\x10c' >corpus/cipher/seed-gcm-misdeclared
printf '\x09\x07\x80\x40\xf0\x05d' >corpus/cipher/seed-gcm-flip-long
printf '\x01\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x03\x00\x10\x00\x00\x01\x00' \
  >corpus/index/seed-valid

# mesos_event: every event of the Mesos golden vectors as a one-record protobuf stream
# (`[flags=0, seed, len, '\n', bytes]`), and a few JSON events (`flags=1`).
mkdir -p corpus/mesos_event
while read -r name hex; do
  case $name in event_*) ;; *) continue ;; esac
  bytes=$(sed 's/../\\x&/g' <<<"$hex")
  printf '\x00\x07%d\n%b' "$((${#hex} / 2))" "$bytes" >"corpus/mesos_event/seed-$name"
done <"$repo/mesos/tests/fixtures/mesos-1.4.3-v1-vectors.txt"
json_events=(
  '{"type":"HEARTBEAT"}'
  '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"fw"},"heartbeat_interval_seconds":15}}'
  '{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","uuid":"AAEC"}}}'
  '{"type":"OFFERS","offers":{"offers":[{"id":{"value":"o"},"framework_id":{"value":"fw"},"agent_id":{"value":"a"},"hostname":"h","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"*"}]}]}}'
)
for i in "${!json_events[@]}"; do
  printf '\x01\x07%d\n%s' "${#json_events[$i]}" "${json_events[$i]}" >"corpus/mesos_event/seed-json-$i"
done

# FUZZ_SANITIZER picks the sanitizer (the campaign passes its own, sparing a second build).
# Otherwise the address sanitizer is tried: `cargo fuzz build` fails fast when its runtime
# is unusable here, and the pass falls back to none.
mkdir -p target
if [ -n "${FUZZ_SANITIZER:-}" ]; then
  sanitizer=$FUZZ_SANITIZER
  cargo fuzz build --sanitizer "$sanitizer"
else
  sanitizer=address
  if ! cargo fuzz build --sanitizer "$sanitizer" >target/asan-build.log 2>&1; then
    echo "fuzz: address sanitizer build failed (fuzz/target/asan-build.log); using --sanitizer none"
    sanitizer=none
    cargo fuzz build --sanitizer none
  fi
fi

for target in "${targets[@]}"; do
  echo "== fuzz $target for ${secs}s (sanitizer: $sanitizer)"
  cargo fuzz run --sanitizer "$sanitizer" "$target" -- -max_total_time="$secs" -print_final_stats=1
done
echo "fuzz: no crashes"
