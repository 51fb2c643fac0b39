#!/usr/bin/env bash
# Builds the JVM bridge plugin (jvm/) with javac and jar, no Maven, into <target>/jvm/:
#   spark-mesos-bridge_2.12.jar  against Spark 3.5.6's jars in .venv (or $SPARK_JARS_DIR)
#   spark-mesos-bridge_2.13.jar  against Spark 4.0.x's jars in .venv-spark4 (or
#                                $SPARK4_JARS_DIR)
# Both by default; arguments (2.12, 2.13) pick some. Missing jars are an error (run
# scripts/setup.sh), except that SKIP_SPARK4=1 outside CI skips the 2.13 jar with a note.
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

wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then wanted=(2.12 2.13); fi
for scala in "${wanted[@]}"; do
  case $scala in
    2.12)
      if [ -n "${SPARK_JARS_DIR:-}" ]; then jars=$SPARK_JARS_DIR; else jars=$(venv_jars .venv) || jars=; fi
      if [ -z "$jars" ]; then
        echo "build-jvm: no Spark 3.5 jars (.venv or \$SPARK_JARS_DIR); run scripts/setup.sh" >&2
        exit 1
      fi
      # Spark 3.5 still runs on Java 8.
      build 2.12 "$jars" 8
      ;;
    2.13)
      if [ -n "${SPARK4_JARS_DIR:-}" ]; then jars=$SPARK4_JARS_DIR; else jars=$(venv_jars .venv-spark4) || jars=; fi
      if [ -n "$jars" ]; then
        build 2.13 "$jars" 17
      elif [ "${SKIP_SPARK4:-}" = 1 ] && [ -z "${CI:-}" ]; then
        echo "build-jvm: SKIP_SPARK4=1: no Spark 4 jars, so no 2.13 jar" >&2
      else
        echo "build-jvm: no Spark 4 jars (.venv-spark4 or \$SPARK4_JARS_DIR); run" \
          "scripts/setup.sh (or set SKIP_SPARK4=1 outside CI to build only the 2.12 jar)" >&2
        exit 1
      fi
      ;;
    *)
      echo "build-jvm: unknown Scala version $scala (2.12 or 2.13)" >&2
      exit 2
      ;;
  esac
done
