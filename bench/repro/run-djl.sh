#!/usr/bin/env bash
# Runs DjlRepro.java (Java 17 single-file launch) on the model module's DJL/PyTorch classpath.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cp="$(mktemp)"
mvn -B -q -f "$root/model/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp" -Dmdep.includeScope=runtime
java -cp "$(cat "$cp")" "$root/bench/repro/DjlRepro.java" "$@"
