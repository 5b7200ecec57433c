#!/usr/bin/env bash
# Creates (once) the project virtualenv .venv/<name> from the pinned requirements/<name>.txt (and <name>.nodeps.txt,
# installed without dependencies, when present) and prints its python.
# Idempotent: it is rebuilt only when the requirements file changes (its SHA-256 is kept in the venv). Needs python3
# (3.10 to 3.13) with venv, and PyPI. These environments serve the tests only; the product stays Java.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: scripts/python-env.sh NAME (requirements/NAME.txt)}"
req="$root/requirements/$name.txt"
venv="$root/.venv/$name"
[ -f "$req" ] || { echo "python-env: no $req" >&2; exit 2; }
nodeps="$root/requirements/$name.nodeps.txt" # optional: packages wanted for their data only, installed without dependencies
if [ -f "$nodeps" ]; then
  want="$(cat "$req" "$nodeps" | sha256sum | cut -d' ' -f1)"
else
  want="$(sha256sum < "$req" | cut -d' ' -f1)"
fi
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi
py="${CNF_PYTHON:-python3}"
command -v "$py" >/dev/null 2>&1 || { echo "python-env: no $py on PATH" >&2; exit 3; }
echo "python-env: creating $venv from requirements/$name.txt with $("$py" --version 2>&1)" >&2
rm -rf "$venv"
"$py" -m venv "$venv" >&2
"$venv/bin/pip" install -q --disable-pip-version-check --no-input -r "$req" >&2
if [ -f "$nodeps" ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check --no-input --no-deps -r "$nodeps" >&2
fi
echo "$want" > "$venv/.requirements.sha256"
echo "$venv/bin/python"
