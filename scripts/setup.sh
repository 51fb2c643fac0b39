#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (run as root): everything the tests need besides
# a Rust toolchain. Installs a JDK if javac is missing, pyspark 3.5.6 (which carries the
# Spark jars the interop tests run against) into <repo>/.venv if its jars are missing,
# systemd if systemd-analyze is missing, and chromium if it is missing.
# Set SPARK_JARS_DIR to use an existing directory of Spark 3.5.6 jars instead.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pyspark_version=3.5.6
did=()

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to apt-get install $*" >&2
    exit 1
  fi
  if [ -z "${apt_updated:-}" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  did+=("apt-get installed $*")
}

# 1. JDK (java + javac).
if ! command -v javac >/dev/null 2>&1; then
  echo "setup: javac not found, installing openjdk-17-jdk-headless"
  apt_install openjdk-17-jdk-headless
fi

# 2. Spark jars, from pip's pyspark wheel.
jars_in() { compgen -G "$1/spark-network-common_*.jar" >/dev/null; }
venv_jars() {
  local d
  for d in "$repo"/.venv/lib/python*/site-packages/pyspark/jars; do
    if jars_in "$d"; then echo "$d"; return 0; fi
  done
  return 1
}
if [ -n "${SPARK_JARS_DIR:-}" ] && jars_in "$SPARK_JARS_DIR"; then
  jars=$SPARK_JARS_DIR
elif [ -n "${SPARK_JARS_DIR:-}" ]; then
  echo "setup: SPARK_JARS_DIR=$SPARK_JARS_DIR holds no spark-network-common jar;" \
    "the real-Spark tests only look there (unset it to use .venv)" >&2
  exit 1
elif jars=$(venv_jars); then
  :
else
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "setup: python3 with venv support not found, installing python3-venv"
    apt_install python3 python3-venv
  fi
  echo "setup: installing pyspark==$pyspark_version into $repo/.venv (a few hundred MB)"
  python3 -m venv "$repo/.venv"
  "$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pyspark==$pyspark_version"
  jars=$(venv_jars) || { echo "setup: pyspark installed but no Spark jars found" >&2; exit 1; }
  did+=("pip installed pyspark==$pyspark_version into .venv")
fi

# 3. Optional (SETUP_SPARK4=1): pyspark 4.0.1 into <repo>/.venv-spark4, whose Scala 2.13 jars
# scripts/build-jvm.sh compiles the bridge's second jar against. About 500 MB and minutes to
# install, so not by default.
spark4_version=4.0.1
if [ "${SETUP_SPARK4:-}" = 1 ] && ! compgen -G "$repo/.venv-spark4/lib/python*/site-packages/pyspark/jars/spark-core_2.13-*.jar" >/dev/null; then
  echo "setup: installing pyspark==$spark4_version into $repo/.venv-spark4 (about 500 MB)"
  python3 -m venv "$repo/.venv-spark4"
  "$repo/.venv-spark4/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pyspark==$spark4_version"
  did+=("pip installed pyspark==$spark4_version into .venv-spark4")
fi

# 4. systemd-analyze, which checks the unit in deploy/systemd (tests/tests/deploy.rs).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "setup: systemd-analyze not found, installing systemd"
  apt_install systemd
fi

# 5. Headless Chromium, which renders the dispatcher's web UI (mesos-dispatcher/tests/webui.rs).
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: chromium not found, installing Debian's chromium"
  apt_install --no-install-recommends chromium fonts-dejavu-core
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: warning: cargo not found; install Rust >= 1.85 (https://rustup.rs) to build" >&2
fi

if [ ${#did[@]} -eq 0 ]; then
  echo "setup: nothing to do (javac: $(command -v javac); Spark jars: $jars)"
else
  printf 'setup: %s\n' "${did[@]}"
  echo "setup: done (javac: $(command -v javac); Spark jars: $jars)"
fi
