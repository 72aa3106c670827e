#!/usr/bin/env bash
# Sets up (first time) and runs everything CI runs: lint, the whole test
# suite (slow tests included), and the benchmarks in smoke mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

# The dashboard's browser tests drive Debian's Chromium (Playwright's own
# browser download does not work everywhere); only tests need it.
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium (the dashboard's browser tests)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

# PostgreSQL is a service of this machine kind; start it if it is down so the
# persistence tests run on both databases instead of skipping.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -q; then
  for v in /etc/postgresql/*; do
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
  done
fi

.venv/bin/ruff check .
# Two pytest workers, a test file each at a time (pytest-xdist): a third of the
# suite's time is waiting (for a sandbox to start, a timeout to pass, a process
# to stop), and the other worker's tests use that core meanwhile (16 -> 11 min
# on two cores). PYTEST_WORKERS=0 runs it in one process.
.venv/bin/pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
echo "--- grader benchmark (smoke) ---"
.venv/bin/python benchmarks/bench_grader.py --quick
echo "--- CLI benchmark (smoke: torchdojo grade vs import torch) ---"
.venv/bin/python benchmarks/bench_cli.py --runs 3
echo "--- dashboard benchmark (smoke) ---"
.venv/bin/python benchmarks/bench_dashboard.py --smoke
echo "--- chat benchmark (smoke: discord.py against the fake Discord, embedded) ---"
.venv/bin/python benchmarks/bench_chat.py --quick
echo "--- chat benchmark (smoke: slack-bolt against the fake Slack, embedded) ---"
.venv/bin/python benchmarks/bench_slack.py --quick
