#!/usr/bin/env bash
# Installs the system packages some tests need, idempotently (Debian/Ubuntu, as root): Chromium for the report
# rendering test, libturbojpeg0 for the system JPEG decoder's tests, Debian's python3 (/usr/bin/python3) for the Airflow
# DAG compile check. Everything else comes from Maven Central.
# Without root it only says what is missing; under CI=true those tests then fail rather than skip.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so' || missing+=(libturbojpeg0)
[ -x /usr/bin/python3 ] || missing+=(python3)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-prerequisites: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or those tests skip (fail under CI=true)" >&2
  exit 0
fi
echo "test-prerequisites: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
