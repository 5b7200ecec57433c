#!/usr/bin/env bash
# Installs what some tests need besides Maven, idempotently; where it is present already this takes a second.
# - Debian packages (as root): Chromium for the report rendering and the Temporal Web UI tests, libturbojpeg0 for the
#   system JPEG decoder's tests, python3 (/usr/bin/python3) for the Airflow DAG compile check, nodejs and npm to drive
#   Chromium with playwright-core, awscli (/usr/bin/aws) to sync published models from the embedded S3, openssl for a test CA.
# - npm: playwright-core, pinned by workers/src/test/ui/package-lock.json (no browser is downloaded).
# - PyPI: the Airflow virtualenv .venv/airflow from requirements/airflow.txt, and the oracles' .venv/oracles
#   (torch 2.7.1, diffusers, transformers; about 5 GB, 2 minutes the first time) from requirements/oracles.txt
#   (scripts/python-env.sh).
# - Go: the real Temporal server (devserver/build.sh, cached in devserver/target/), with the machine's Go.
# What cannot be installed here (no root, no apt-get, no Go) is named; under CI=true those tests then fail, not skip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so' || missing+=(libturbojpeg0)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/aws ] || missing+=(awscli)
[ -x /usr/bin/openssl ] || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-prerequisites: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or those tests skip (fail under CI=true)" >&2
  else
    echo "test-prerequisites: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi
ui=workers/src/test/ui
if command -v npm >/dev/null 2>&1 && [ ! -f "$ui/node_modules/playwright-core/package.json" ]; then
  echo "test-prerequisites: npm ci in $ui (playwright-core)" >&2
  (cd "$ui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
fi
if command -v python3 >/dev/null 2>&1; then
  scripts/python-env.sh airflow >/dev/null  # Airflow 3 for the DAG tests, pinned in requirements/airflow.txt
  scripts/python-env.sh oracles >/dev/null  # diffusers, transformers, torch 2.7.1: DiffusersParityTest, ClipTokenizerOracleTest
  scripts/python-env.sh interop >/dev/null  # datasets, webdataset: PairedImportTest
else
  echo "test-prerequisites: no python3; the Airflow DAG test skips (fails under CI=true)" >&2
fi
if command -v go >/dev/null 2>&1; then
  devserver/build.sh >/dev/null
else
  echo "test-prerequisites: no Go toolchain; the tests on the real Temporal server skip (fail under CI=true)" >&2
fi
