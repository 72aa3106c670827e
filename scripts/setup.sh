#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine. Safe to run again; does nothing
# that is already done.
#
#   scripts/setup.sh         what running the bot needs: bubblewrap (the grader's
#                            sandbox) and .venv with the project and the CPU build
#                            of torch (pinned)
#   scripts/setup.sh --dev   also the test tools: the dev extras, Debian's
#                            docker-compose (validates docker-compose.yml; no
#                            Docker engine needed)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v bwrap >/dev/null 2>&1 || ! /sbin/ldconfig -p | grep -q 'libseccomp\.so\.2'; then
  echo "setup: installing bubblewrap and libseccomp2 (the grader's sandbox)" >&2
  apt_install bubblewrap libseccomp2
fi

if [ "$DEV" = 1 ] && ! command -v docker-compose >/dev/null 2>&1; then
  echo "setup: installing docker-compose (to validate docker-compose.yml)" >&2
  apt_install docker-compose
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras="grader"
stamp=.venv/.torchdojo-installed
if [ "$DEV" = 1 ]; then
  extras="grader,dev,docker"
  stamp=.venv/.torchdojo-installed-dev
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  touch "$stamp"
fi
