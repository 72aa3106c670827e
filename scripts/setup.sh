#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: bubblewrap for the sandbox, a
# virtual environment with the project, the CPU build of torch (pinned) and
# the dev tools. Safe to run again; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bwrap >/dev/null 2>&1 || ! /sbin/ldconfig -p | grep -q 'libseccomp\.so\.2'; then
  echo "setup: installing bubblewrap and libseccomp2 (the grader's sandbox)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq bubblewrap libseccomp2 >/dev/null
fi

# Debian's docker-compose validates docker-compose.yml in CI (tests/deploy);
# no Docker engine is needed for that.
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "setup: installing docker-compose (to validate docker-compose.yml)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq docker-compose >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.torchdojo-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[grader,dev,docker]'
  touch "$stamp"
fi
