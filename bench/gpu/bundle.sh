#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has python3 + CUDA torch + g++ but maybe no JDK and no
# network: a small JRE (jlink), the model module's classes and runtime jars (no CPU libtorch: the machine's own
# libtorch is used), DJL v0.36.0's JNI sources with the generated JNI header, and the JDK's JNI headers.
# Usage: bench/gpu/bundle.sh OUT_DIR [DJL_CHECKOUT]   (run from the repository root after `mvn -DskipTests install`)
#   DJL_CHECKOUT: a deepjavalibrary/djl git checkout holding the tag v0.36.0; cloned from GitHub when absent.
set -euo pipefail
out="$(mkdir -p "$1" && cd "$1" && pwd)"
djl="${2:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
rm -rf "$out"/{lib,djl,jni-include,jre.tar.xz}
mkdir -p "$out/lib" "$out/djl"

# runtime jars of the model module (tests' classpath: the benchmark lives in test-classes) without libtorch builds
mvn -B -q test-compile -pl model
mvn -B -q dependency:build-classpath -pl model -Dmdep.outputFile="$out/cp.txt" -Dmdep.includeScope=test
tr ':' '\n' < "$out/cp.txt" | grep -v -e pytorch-native -e pytorch-jni -e junit-jupiter-params -e junit-jupiter-engine \
  -e junit-platform-engine | while read -r jar; do cp "$jar" "$out/lib/"; done
rm "$out/cp.txt"
jar cf "$out/lib/cnf-model.jar" -C model/target/classes .
(cd model/target/test-classes && find . -name '*.class' | jar cf "$out/lib/cnf-model-benchmarks.jar" @/dev/stdin) # classes only

# DJL v0.36.0's JNI sources and the header javac generates from its PyTorchLibrary.java
if [ -z "$djl" ]; then
  djl="$(mktemp -d)/djl"
  git clone -q --depth 1 -b v0.36.0 https://github.com/deepjavalibrary/djl "$djl"
fi
git -C "$djl" archive v0.36.0 engines/pytorch/pytorch-native/src/main/native api/src/main/native \
  engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java | tar -x -C "$out/djl"
engine_jars="$(ls "$out"/lib/api-0.36.0.jar "$out"/lib/pytorch-engine-0.36.0.jar "$out"/lib/slf4j-api-*.jar | paste -sd:)"
classes="$(mktemp -d)"
javac -cp "$engine_jars" -h "$out/djl/build/include" -d "$classes" \
  "$out/djl/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
cp -r "$java_home/include" "$out/jni-include"

# a JRE of the modules the benchmark uses, native code stripped, xz-packed (the machine gets 64 MiB of files)
jre="$(mktemp -d)/jre"
jlink --add-modules java.base,java.logging,java.xml,jdk.unsupported --strip-debug --no-header-files --no-man-pages \
  --compress=2 --output "$jre"
strip --strip-unneeded "$jre/lib/server/libjvm.so" 2>/dev/null || true
tar -cJf "$out/jre.tar.xz" -C "$(dirname "$jre")" jre
du -sh "$out"
