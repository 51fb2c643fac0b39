#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (run as root): everything the tests need besides
# a Rust toolchain. Installs a JDK if javac is missing, pyspark 3.5.6 (which carries the
# Spark jars the interop tests run against) into <repo>/.venv if its jars are missing,
# pyspark 4.0.1 into <repo>/.venv-spark4 if that is missing, systemd if systemd-analyze is
# missing, and chromium if it is missing.
# Set SPARK_JARS_DIR to use an existing directory of Spark 3.5.6 jars instead.
# Set SKIP_SPARK4=1 to leave Spark 4 out (not under CI, which always runs the Spark 4 tests).
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

need_venv() {
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "setup: python3 with venv support not found, installing python3-venv"
    apt_install python3 python3-venv
  fi
}

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
  need_venv
  echo "setup: installing pyspark==$pyspark_version into $repo/.venv (a few hundred MB)"
  python3 -m venv "$repo/.venv"
  "$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pyspark==$pyspark_version"
  jars=$(venv_jars) || { echo "setup: pyspark installed but no Spark jars found" >&2; exit 1; }
  did+=("pip installed pyspark==$pyspark_version into .venv")
fi

# 3. pyspark 4.0.x into <repo>/.venv-spark4: the Scala 2.13 jars scripts/build-jvm.sh compiles
# the bridge's second jar against, and the Spark 4 driver and executors of
# tests/tests/mesos_bridge_spark4.rs and mesos_e2e_spark4.rs. About 500 MB, a minute or two to
# install.
spark4_version=4.0.1
spark4_dir=$repo/.venv-spark4
spark4_ok() {
  [ -x "$spark4_dir/bin/python" ] &&
    compgen -G "$spark4_dir/lib/python*/site-packages/pyspark/jars/spark-core_2.13-4.0.*.jar" >/dev/null
}
skip_spark4=
if [ "${SKIP_SPARK4:-}" = 1 ]; then
  if [ -n "${CI:-}" ]; then
    echo "setup: CI is set, so SKIP_SPARK4=1 is ignored: CI always runs the Spark 4 tests" >&2
  else
    skip_spark4=1
  fi
fi
if spark4_ok; then
  spark4="$spark4_dir (pyspark $("$spark4_dir/bin/python" -c 'import pyspark; print(pyspark.__version__)'))"
elif [ -n "$skip_spark4" ]; then
  spark4="skipped (SKIP_SPARK4=1): the Spark 4 tests print SKIPPED, build-jvm.sh builds no 2.13 jar"
else
  need_venv
  echo "setup: installing pyspark==$spark4_version into $spark4_dir for the Spark 4 bridge" \
    "tests (about 500 MB; SKIP_SPARK4=1 skips this outside CI)"
  rm -rf "$spark4_dir"
  python3 -m venv "$spark4_dir"
  "$spark4_dir/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pyspark==$spark4_version"
  spark4_ok || { echo "setup: pyspark $spark4_version installed but no Spark 4 jars found" >&2; exit 1; }
  spark4="$spark4_dir (pyspark $spark4_version)"
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
  echo "setup: nothing to do (javac: $(command -v javac); Spark jars: $jars; Spark 4: $spark4)"
else
  printf 'setup: %s\n' "${did[@]}"
  echo "setup: done (javac: $(command -v javac); Spark jars: $jars; Spark 4: $spark4)"
fi
