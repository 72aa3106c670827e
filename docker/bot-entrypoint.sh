#!/bin/sh
# Bot image entry point. With arguments: run that torchdojo command (the
# compose file's one-shot `migrate` service runs `db upgrade`). Without: run
# the chat adapter named by TORCHDOJO_PLATFORM (discord or slack); the bot
# itself also applies pending migrations on start.
set -eu
if [ "$#" -gt 0 ]; then
  exec torchdojo "$@"
fi
platform="${TORCHDOJO_PLATFORM:-}"
case "$platform" in
  discord|slack) exec torchdojo bot "$platform" ;;
  *)
    echo "torchdojo: set TORCHDOJO_PLATFORM to discord or slack (got '${platform}')" >&2
    exit 2
    ;;
esac
