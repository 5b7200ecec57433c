#!/usr/bin/env bash
# Builds cnf-temporal (a real Temporal server + Web UI, see main.go) with the machine's Go, once: the binary is cached
# in devserver/target/ and rebuilt only when main.go, go.mod, go.sum or this script change. Prints the binary's path.
# Exit 3 when no Go toolchain (>= the version go.mod names) is installed: callers fall back to the Java test server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/target/cnf-temporal"
if [ -x "$bin" ] && [ -z "$(find "$here" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh \) -newer "$bin" -print -quit)" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "cnf-temporal: no Go toolchain on PATH; install Go $(sed -n 's/^go //p' "$here/go.mod") or newer to build the real Temporal server" >&2
  exit 3
fi
echo "cnf-temporal: building the Temporal server and Web UI with $(go version | cut -d' ' -f3) (first use: a few minutes)..." >&2
mkdir -p "$here/target"
# GOTOOLCHAIN=local: build with this Go or say why not; -mod=readonly: exactly the versions go.sum pins
# CGO_ENABLED=0: one static binary (pure-Go SQLite), runs in any Linux image
(cd "$here" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp" .) >&2
mv "$bin.tmp" "$bin"
echo "$bin"
