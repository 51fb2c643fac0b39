#!/usr/bin/env bash
# Builds the JVM bridge plugin (jvm/) with javac and jar, no Maven, into <target>/jvm/:
#   spark-mesos-bridge_2.12.jar  against Spark 3.5.6's jars in .venv (or $SPARK_JARS_DIR)
#   spark-mesos-bridge_2.13.jar  against Spark 4.0.x's jars in .venv-spark4 (or
#                                $SPARK4_JARS_DIR), skipped with a note when neither exists
# A jar newer than every source is kept. Prints the paths of the jars it leaves.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$repo/$target ;; esac
out=$target/jvm
mkdir -p "$out"

venv_jars() {
  local d
  for d in "$repo/$1"/lib/python*/site-packages/pyspark/jars; do
    if [ -d "$d" ]; then echo "$d"; return 0; fi
  done
  return 1
}

# build SCALA_VERSION JARS_DIR JAVA_RELEASE
build() {
  local scala=$1 jars=$2 release=$3
  local jar=$out/spark-mesos-bridge_$scala.jar
  local sources
  sources=$(find "$repo/jvm/src/main" "$repo/jvm/src/scala-$scala" -type f | sort)
  if [ -f "$jar" ] && [ -z "$(find $sources -newer "$jar")" ]; then
    echo "$jar"
    return 0
  fi
  # Global, so the EXIT trap still sees it.
  classes=$(mktemp -d "$out/classes_$scala.XXXXXX")
  trap 'rm -rf "$classes"' EXIT
  # shellcheck disable=SC2086
  javac -nowarn -Xlint:-options --release "$release" -cp "$jars/*" -d "$classes" \
    $(echo "$sources" | grep '\.java$') >&2
  cp -r "$repo/jvm/src/main/resources/." "$classes/"
  jar cf "$jar.tmp" -C "$classes" .
  mv "$jar.tmp" "$jar"
  rm -rf "$classes"
  echo "$jar"
}

if [ -n "${SPARK_JARS_DIR:-}" ]; then jars212=$SPARK_JARS_DIR; else jars212=$(venv_jars .venv) || jars212=; fi
if [ -n "$jars212" ]; then
  # Spark 3.5 still runs on Java 8.
  build 2.12 "$jars212" 8
else
  echo "build-jvm: no Spark 3.5 jars (.venv or \$SPARK_JARS_DIR); run scripts/setup.sh" >&2
  exit 1
fi

if [ -n "${SPARK4_JARS_DIR:-}" ]; then jars213=$SPARK4_JARS_DIR; else jars213=$(venv_jars .venv-spark4) || jars213=; fi
if [ -n "$jars213" ]; then
  build 2.13 "$jars213" 17
else
  echo "build-jvm: no Spark 4 jars (.venv-spark4 or \$SPARK4_JARS_DIR); skipping the 2.13 jar" >&2
fi
