#!/usr/bin/env bash
# Sets up (first time) and runs the whole bot in this terminal with embedded
# defaults: SQLite in ./torchdojo.sqlite3, the sandboxed grader (a child process), a
# ready demo cohort. Extra arguments go to `torchdojo console`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/torchdojo console "$@"
